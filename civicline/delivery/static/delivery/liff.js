/* The 受信設定 page: one blank birth-date row at a time, removing a child, asking before clearing. ES5. */
(function () {
  "use strict";
  var extras = document.querySelectorAll("[data-dl-extra]");
  var add = document.querySelector("[data-dl-add]");
  var i;
  for (i = 0; i < extras.length; i++) { extras[i].hidden = true; }
  if (add && extras.length) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var next = document.querySelector("[data-dl-extra][hidden]");
      if (next) {
        next.hidden = false;
        next.querySelector("input").focus();
      }
      if (!document.querySelector("[data-dl-extra][hidden]")) { add.hidden = true; }
    });
  }
  var removes = document.querySelectorAll("[data-dl-remove]");
  for (i = 0; i < removes.length; i++) {
    removes[i].hidden = false;
    removes[i].addEventListener("click", function (event) {
      var row = event.target.parentNode;
      row.querySelector("input").value = "";  // an empty date is not saved: the child is removed
      row.hidden = true;
    });
  }
  var confirming = document.querySelectorAll("[data-dl-confirm]");
  for (i = 0; i < confirming.length; i++) {
    confirming[i].addEventListener("submit", function (event) {
      if (!window.confirm(event.target.getAttribute("data-dl-confirm"))) { event.preventDefault(); }
    });
  }
})();
