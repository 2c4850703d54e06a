/* A form page's "use my location" buttons: fill a location question's hidden lat/lng from the phone's GPS. Plain ES5. */
(function () {
  "use strict";
  if (!navigator.geolocation) { return; }
  var buttons = document.querySelectorAll("[data-fm-locate]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var key = button.getAttribute("data-fm-locate");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          document.getElementById("id_" + key + "_lat").value = position.coords.latitude.toFixed(6);
          document.getElementById("id_" + key + "_lng").value = position.coords.longitude.toFixed(6);
          document.querySelector("[data-fm-located='" + key + "']").hidden = false;
        }, function () {
          // The message comes from the page, in the resident's language.
          button.textContent = button.getAttribute("data-failed");
        }, { timeout: 10000 });
      });
    })(buttons[i]);
  }
})();
