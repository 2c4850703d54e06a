/*
 * The resident's chat page: replies appear without reloading (polling every few seconds while the
 * page is visible); forms with data-confirm ask first. Plain ES5.
 */
(function () {
  "use strict";

  var POLL_MS = 5000;
  var thread = document.getElementById("cv-messages");

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  if (!thread) { return; }
  var end = document.getElementById("latest");
  if (end && end.scrollIntoView) { end.scrollIntoView(); }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, POLL_MS); return; }
    var request = new XMLHttpRequest();
    var url = thread.getAttribute("data-updates-url") + "?after=" + encodeURIComponent(thread.getAttribute("data-last") || "0");
    request.open("GET", url, true);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var data = null;
      try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      // No JSON: the resident's session ended (the sign-in page came back); reloading signs in again.
      if (request.status !== 200 || !data) { return; }
      if (data.html) {
        thread.insertAdjacentHTML("beforeend", data.html);
        if (end && end.scrollIntoView) { end.scrollIntoView(); }
      }
      thread.setAttribute("data-last", data.last);
      if (!data.open && document.getElementById("cv-send")) { window.location.reload(); return; }
      window.setTimeout(poll, POLL_MS);
    };
    request.onerror = function () { window.setTimeout(poll, POLL_MS * 3); };
    request.send();
  }
  window.setTimeout(poll, POLL_MS);
})();
