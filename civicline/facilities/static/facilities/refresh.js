/*
 * Live occupancy: a page with [data-refresh="N"] reloads every N seconds while it is visible and no
 * field is being filled in, so staff at headquarters and at the shelter see arrivals without a key.
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.querySelector("[data-refresh]");
    if (!holder) { return; }
    var seconds = parseInt(holder.getAttribute("data-refresh"), 10) || 30;
    window.setInterval(function () {
      var active = document.activeElement;
      var typing = active && (active.tagName === "INPUT" || active.tagName === "SELECT" || active.tagName === "TEXTAREA");
      if (document.visibilityState === "visible" && !typing) { window.location.reload(); }
    }, seconds * 1000);
  });
})();
