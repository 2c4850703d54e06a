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
})();
