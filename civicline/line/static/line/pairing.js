/*
 * Pairing a test device: while the code waits to be sent from the phone, ask the server every few
 * seconds whether it was, and show the outcome without a reload (a reload would issue nothing: the
 * code is shown once). Plain ES5 with XMLHttpRequest, like the rest of the console; no inline code,
 * so that the Content-Security-Policy can forbid inline scripts.
 */
(function () {
  "use strict";

  var POLL_MS = 3000;
  var box = document.getElementById("pairing");
  if (!box || !box.getAttribute("data-status-url")) { return; }
  var url = box.getAttribute("data-status-url");
  var status = document.getElementById("pairing-status");

  function show(data) {
    box.setAttribute("data-state", data.state);
    status.textContent = data.text;
    status.className = "pairing-status pairing-" + data.state;
    if (data.state === "waiting") { return; }
    // The instructions and the code are of no more use, whatever the outcome.
    var spent = box.querySelectorAll(".pairing-steps, .pairing-note");
    for (var i = 0; i < spent.length; i++) { spent[i].hidden = true; }
    var check = document.getElementById("pairing-check");
    if (check) { check.hidden = true; }
    if (data.state === "paired") {
      var done = document.getElementById("pairing-done");
      if (done) { done.hidden = false; done.focus(); }
      var step = document.getElementById("pairing-step");
      if (step) { step.className = "step done"; }
    }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var data = null;
      if (request.status === 200) {
        try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      }
      // A login page or an error instead of JSON: the session ended; stop asking.
      if (!data || !data.state) { return; }
      show(data);
      if (data.state === "waiting") { window.setTimeout(poll, POLL_MS); }
    };
    request.onerror = function () { window.setTimeout(poll, POLL_MS * 3); };
    request.send();
  }

  window.setTimeout(poll, POLL_MS);
})();
