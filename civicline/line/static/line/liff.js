/*
 * civicline's LIFF glue, included by every resident page (line/liff/base.html). Plain ES5.
 *
 * It loads the LIFF SDK from the configured URL (LINE's SDK in production, the emulator's shim in
 * the demo and tests) and calls liff.init(). On the sign-in page (body[data-liff-auth=required])
 * it sends liff.getIDToken() to the server, which has LINE verify it and opens a resident session;
 * then the page is loaded again (or a POST whose session had ended is sent again).
 *
 * Features use:  civicline.liff.ready(function (liff) { ... })  -- runs once liff.init() is done.
 *                <button data-liff-close>  -- closes the LIFF window (shown only inside LINE).
 */
(function () {
  "use strict";

  // A second sign-in page this soon after a successful sign-in means the session did not stick
  // (cookies blocked): say so rather than reload forever.
  var LOOP_GUARD_KEY = "civicline.liff.signedInAt";
  var LOOP_GUARD_MS = 15000;

  function readJson(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    try { return JSON.parse(element.textContent); } catch (e) { return null; }
  }

  var config = readJson("civicline-liff") || {};
  var refusals = readJson("civicline-liff-refusals") || {};
  var signIn = document.body.getAttribute("data-liff-auth") === "required";
  var readyCallbacks = [];
  var sdk = null;

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function refuse(reason) {
    var gate = document.getElementById("liff-gate");
    var message = document.getElementById("liff-gate-message");
    // A page that rendered signed in closes the sign-in loop guard.
  if (!signIn && storage()) { storage().removeItem(LOOP_GUARD_KEY); }

  var retry = document.getElementById("liff-retry");
    if (!gate || !message) { return; }
    gate.setAttribute("data-state", reason);
    message.textContent = refusals[reason] || refusals.failed || "";
    if (retry) {
      // Retrying helps when LINE or the network failed, not when the page is opened outside LINE.
      retry.hidden = reason === "not_in_line";
    }
  }

  function continueSignedIn(csrfToken) {
    var store = storage();
    if (store) { store.setItem(LOOP_GUARD_KEY, String(new Date().getTime())); }
    var replay = document.getElementById("liff-replay");
    if (replay) {
      replay.elements.csrfmiddlewaretoken.value = csrfToken;
      replay.submit();
    } else {
      window.location.replace(window.location.href);
    }
  }

  function recentlySignedIn() {
    var store = storage();
    var at = store ? Number(store.getItem(LOOP_GUARD_KEY) || 0) : 0;
    if (store) { store.removeItem(LOOP_GUARD_KEY); }
    return at && new Date().getTime() - at < LOOP_GUARD_MS;
  }

  function openSession(idToken, language) {
    var request = new XMLHttpRequest();
    request.open("POST", config.sessionUrl, true);
    request.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    request.setRequestHeader("X-CSRFToken", config.csrfToken || "");
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      if (request.status === 200 && answer && answer.ok) {
        continueSignedIn(answer.csrfToken);
      } else {
        refuse(answer && answer.reason ? answer.reason : "failed");
      }
    };
    request.onerror = function () { refuse("unavailable"); };
    request.send("id_token=" + encodeURIComponent(idToken) + "&language=" + encodeURIComponent(language || ""));
  }

  function authenticate(liff) {
    if (recentlySignedIn()) { refuse("failed"); return; }
    if (!liff.isLoggedIn()) { refuse("not_in_line"); return; }
    var idToken = liff.getIDToken();
    if (!idToken) { refuse("not_in_line"); return; }
    // The LINE app's language: a resident who opens a page before following is still spoken to in it.
    openSession(idToken, typeof liff.getLanguage === "function" ? liff.getLanguage() : "");
  }

  function showCloseButtons(liff) {
    var inClient = typeof liff.isInClient === "function" && liff.isInClient();
    var buttons = document.querySelectorAll("[data-liff-close]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = !inClient;
      buttons[i].addEventListener("click", function () { liff.closeWindow(); });
    }
  }

  function initialised(liff) {
    sdk = liff;
    showCloseButtons(liff);
    while (readyCallbacks.length) { readyCallbacks.shift()(liff); }
    if (signIn) { authenticate(liff); }
  }

  function start() {
    var liff = window.liff;
    if (!liff || typeof liff.init !== "function" || !config.liffId) {
      if (signIn) { refuse(config.liffId ? "unavailable" : "failed"); }
      return;
    }
    liff.init({ liffId: config.liffId }).then(
      function () { initialised(liff); },
      function () { if (signIn) { refuse("not_in_line"); } }
    );
  }

  window.civicline = window.civicline || {};
  window.civicline.liff = {
    ready: function (callback) {
      if (sdk) { callback(sdk); } else { readyCallbacks.push(callback); }
    }
  };

  // A page that rendered signed in closes the sign-in loop guard.
  if (!signIn && storage()) { storage().removeItem(LOOP_GUARD_KEY); }

  var retry = document.getElementById("liff-retry");
  if (retry) {
    retry.addEventListener("click", function () { window.location.reload(); });
  }

  var script = document.createElement("script");
  script.src = config.sdkUrl;
  script.onload = start;
  script.onerror = function () { if (signIn) { refuse("unavailable"); } };
  document.head.appendChild(script);
})();
