/* Console helpers. Kept to plain ES5 so that it runs on any Edge a city PC may have. */
(function () {
  "use strict";
  // <form data-confirm="…"> asks before submitting (disable account, delete, reset…).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // <span data-colour="#1e7ad6"> gets that colour as its --colour CSS property (a colour staff chose,
  // such as a facility category's): the Content-Security-Policy refuses style="" attributes, not
  // styles set from a script of our own.
  function applyColours() {
    var marked = document.querySelectorAll("[data-colour]");
    for (var i = 0; i < marked.length; i++) {
      marked[i].style.setProperty("--colour", marked[i].getAttribute("data-colour"));
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", applyColours);
  } else {
    applyColours();
  }
})();
