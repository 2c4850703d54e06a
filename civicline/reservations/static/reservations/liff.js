/* The booking form's "use my location" button: fills the hidden lat/lng from the phone's GPS. Plain ES5. */
(function () {
  "use strict";
  var button = document.querySelector("[data-rs-locate]");
  if (!button || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("id_lat").value = position.coords.latitude.toFixed(6);
      document.getElementById("id_lng").value = position.coords.longitude.toFixed(6);
      document.querySelector("[data-rs-located]").hidden = false;
    }, function () {
      // The message comes from the page, in the resident's language.
      button.textContent = button.getAttribute("data-failed");
    }, { timeout: 10000 });
  });
})();
