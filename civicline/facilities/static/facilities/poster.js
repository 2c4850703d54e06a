/* The poster's print button (no inline handlers: the console's Content-Security-Policy). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-print]");
    if (button) { button.addEventListener("click", function () { window.print(); }); }
  });
})();
