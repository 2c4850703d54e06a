/*
 * linesim's stand-in for the LIFF SDK (https://static.line-scdn.net/liff/edge/2/sdk.js), served at
 * <emulator>/sim/liff-sdk.js. It implements the part of `window.liff` civicline uses, with LIFF's
 * names and return types, so a page written for LINE runs unchanged inside the emulator's phone.
 *
 * CONTRACT — how a page learns who is using it
 * --------------------------------------------
 * 1. The phone page resolves a LIFF URL (https://liff.line.me/<liffId>/<path>?<query>, line://app/…,
 *    https://line.me/R/app/…) with
 *        GET <emulator>/sim/api/liff/resolve?url=<LIFF URL>&user=<userId>
 *    → {"liffId", "url", "viewType": "full"|"tall"|"compact", "endpointUrl"}
 *    and loads "url" (in an iframe sized by viewType, or as a page). "url" is the app's endpoint URL
 *    with the LIFF URL's path and query appended (LINE's "concat" pattern), and a URL fragment
 *        #linesim=<base64url(JSON context)>
 *    (after any fragment of the LIFF URL itself, joined with "&"). The context is
 *        {"liffId", "viewType", "endpointUrl", "userId", "idToken", "language", "api"}
 *    where idToken is a fresh LINE-Login-style ID token (1 hour) and "api" is the emulator's base URL.
 *    Without &user=… the URL carries no context: the page opens as in an external browser, logged out.
 * 2. On load this script reads the fragment, keeps the context in sessionStorage (per liffId, so it
 *    survives the page's own navigations), and removes the `linesim=` part from the address bar with
 *    history.replaceState, as the real SDK strips its own fragment.
 * 3. If there is no fragment and no stored context, and the page is framed, `liff.init()` asks the
 *    parent: it posts {type: "linesim:liff:context-request", liffId} to window.parent and waits up to
 *    1.5 s for {type: "linesim:liff:context", context: {...same fields...}}. The phone page may answer
 *    this instead of (or as well as) using the fragment.
 * 4. The page sends the token to its own server, which verifies it exactly as against LINE: locally,
 *    with the ES256 key named by the token's kid from
 *        GET <LINE API base>/oauth2/v2.1/certs  (JWKS)
 *    or with POST <LINE API base>/oauth2/v2.1/verify  (id_token, client_id = channel id).
 *
 * Messages to the parent (the phone page listens for them when the page is framed):
 *    {type: "linesim:liff:close", liffId}                  liff.closeWindow()
 *    {type: "linesim:liff:sent", liffId, messages}         after liff.sendMessages() succeeded
 *    {type: "linesim:liff:open-window", url, external}     liff.openWindow()
 * Outside a frame, closeWindow() calls window.close().
 *
 * Implemented: liff.init, ready, id, isLoggedIn, login, logout, getIDToken, getDecodedIDToken,
 * getAccessToken, getProfile, getContext, getLanguage, getVersion, getOS, isInClient, isApiAvailable,
 * closeWindow, openWindow, sendMessages (text messages, sent as the user through
 * POST <api>/sim/api/liff/send; LINE lets a LIFF app send only what a user could send).
 */
(function () {
  "use strict";

  var VERSION = "2.24.0-linesim";
  var FRAGMENT_KEY = "linesim";
  var STORE_PREFIX = "linesim.liff.";
  var script = document.currentScript;
  var scriptApi = script && script.src ? new URL(script.src).origin : "";

  var state = { liffId: null, context: null, initialized: false };
  var resolveReady;
  var ready = new Promise(function (resolve) { resolveReady = resolve; });

  function LiffError(code, message) {
    var error = new Error(message);
    error.code = code;
    return error;
  }

  function b64urlDecode(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) padded += "=";
    var bytes = Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
    return new TextDecoder().decode(bytes);
  }

  function contextFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) return null;
    var params = new URLSearchParams(hash);
    var encoded = params.get(FRAGMENT_KEY);
    if (!encoded) return null;
    params.delete(FRAGMENT_KEY);
    var rest = params.toString();
    var clean = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
    window.history.replaceState(window.history.state, "", clean);
    try {
      return JSON.parse(b64urlDecode(encoded));
    } catch (e) {
      return null;
    }
  }

  function stored(liffId) {
    try {
      var raw = window.sessionStorage.getItem(STORE_PREFIX + liffId);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;  // storage can be unavailable in a sandboxed frame
    }
  }

  function store(context) {
    try {
      window.sessionStorage.setItem(STORE_PREFIX + context.liffId, JSON.stringify(context));
    } catch (e) { /* the context then lives only as long as this page */ }
  }

  function askParent(liffId) {
    if (window.parent === window) return Promise.resolve(null);
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { done(null); }, 1500);
      function done(context) {
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        resolve(context);
      }
      function onMessage(event) {
        var data = event.data || {};
        if (data.type === "linesim:liff:context" && data.context && data.context.liffId === liffId) {
          done(data.context);
        }
      }
      window.addEventListener("message", onMessage);
      window.parent.postMessage({ type: "linesim:liff:context-request", liffId: liffId }, "*");
    });
  }

  function tellParent(message) {
    if (window.parent !== window) window.parent.postMessage(message, "*");
  }

  function decodeToken(token) {
    if (!token) return null;
    try {
      return JSON.parse(b64urlDecode(token.split(".")[1]));
    } catch (e) {
      return null;
    }
  }

  function requireInit() {
    if (!state.initialized) throw LiffError("INIT_FAILED", "liff.init() must be called first");
  }

  function requireLogin() {
    requireInit();
    if (!state.context) throw LiffError("UNAUTHORIZED", "Need access_token for this API");
  }

  var fragmentContext = contextFromFragment();
  if (fragmentContext && fragmentContext.liffId) store(fragmentContext);

  var liff = {
    ready: ready,
    id: null,

    init: function (config) {
      var liffId = config && config.liffId;
      if (!liffId) return Promise.reject(LiffError("INVALID_CONFIG", "liffId is necessary for liff.init()"));
      state.liffId = liff.id = liffId;
      var known = fragmentContext && fragmentContext.liffId === liffId ? fragmentContext : stored(liffId);
      var found = known ? Promise.resolve(known) : askParent(liffId);
      return found.then(function (context) {
        if (context) store(context);
        state.context = context;
        state.initialized = true;
        resolveReady();
        if (config.withLoginOnExternalBrowser && !context) liff.login();
      });
    },

    isLoggedIn: function () { return Boolean(state.context && state.context.idToken); },
    login: function () {
      // A real login needs LINE; in the emulator the phone logs the user in by opening the LIFF URL.
      console.warn("linesim: open this page from the emulator's phone to be logged in");
    },
    logout: function () {
      if (state.liffId) {
        try { window.sessionStorage.removeItem(STORE_PREFIX + state.liffId); } catch (e) { /* ignore */ }
      }
      state.context = null;
    },

    getIDToken: function () { return state.context ? state.context.idToken : null; },
    getDecodedIDToken: function () { return decodeToken(liff.getIDToken()); },
    getAccessToken: function () { return state.context ? state.context.idToken : null; },

    getProfile: function () {
      try { requireLogin(); } catch (e) { return Promise.reject(e); }
      var claims = decodeToken(state.context.idToken) || {};
      var profile = { userId: state.context.userId, displayName: claims.name || "" };
      if (claims.picture) profile.pictureUrl = claims.picture;
      return Promise.resolve(profile);
    },

    getContext: function () {
      if (!state.context) return null;
      return {
        type: "utou",
        userId: state.context.userId,
        liffId: state.context.liffId,
        viewType: state.context.viewType,
        endpointUrl: state.context.endpointUrl,
        scope: ["profile", "chat_message.write", "openid"],
        availability: {},
        menuColorSetting: { adaptableColorSchemes: ["light"], currentColorScheme: "light" },
      };
    },

    getLanguage: function () { return (state.context && state.context.language) || navigator.language; },
    getVersion: function () { return VERSION; },
    // The emulator stands in for the LINE app on a phone.
    getOS: function () { return state.context ? "ios" : "web"; },
    isInClient: function () { return Boolean(state.context); },
    isApiAvailable: function (name) { return name === "sendMessages" ? liff.isInClient() : false; },

    closeWindow: function () {
      tellParent({ type: "linesim:liff:close", liffId: state.liffId });
      if (window.parent === window) window.close();
    },

    openWindow: function (params) {
      var url = params && params.url;
      if (!url) throw LiffError("INVALID_ARGUMENT", "url is necessary");
      if (window.parent !== window) {
        tellParent({ type: "linesim:liff:open-window", url: url, external: Boolean(params.external) });
      } else {
        window.open(url, params.external ? "_blank" : "_self");
      }
    },

    sendMessages: function (messages) {
      try { requireLogin(); } catch (e) { return Promise.reject(e); }
      var api = state.context.api || scriptApi;
      return fetch(api + "/sim/api/liff/send", {
        method: "POST",
        // text/plain keeps this a "simple" cross-origin request (no preflight); the body is JSON.
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify({ idToken: state.context.idToken, messages: messages }),
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw LiffError(body.code || "INVALID_ARGUMENT", body.error || "sendMessages failed");
          tellParent({ type: "linesim:liff:sent", liffId: state.liffId, messages: messages });
        });
      });
    },
  };

  window.liff = liff;
})();
