/*
 * Conversations in the console: new messages and inbox rows appear without reloading (polling a
 * JSON endpoint every few seconds), canned replies go into the reply box. Plain ES5 with
 * XMLHttpRequest, so that it runs on any Edge a city PC may have; no library.
 */
(function () {
  "use strict";

  var THREAD_MS = 4000;
  var INBOX_MS = 10000;

  function getJson(url, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url, true);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      var data = null;
      if (request.status === 200) {
        try { data = JSON.parse(request.responseText); } catch (e) { data = null; }
      }
      // A login page or an error instead of JSON: the session ended; stop asking.
      done(data);
    };
    request.send();
  }

  function every(ms, task) {
    var stopped = false;
    function tick() {
      if (stopped) { return; }
      if (document.hidden) { window.setTimeout(tick, ms); return; }
      task(function (ok) {
        if (ok) { window.setTimeout(tick, ms); } else { stopped = true; }
      });
    }
    window.setTimeout(tick, ms);
  }

  function scrollToEnd(element) { element.scrollTop = element.scrollHeight; }

  // Images arrive after the text: keep the newest message in view as they load, if it was.
  function keepEndInView(element) {
    var images = element.querySelectorAll("img:not([data-cv-watched])");
    for (var i = 0; i < images.length; i++) {
      images[i].setAttribute("data-cv-watched", "1");
      images[i].addEventListener("load", function () {
        if (element.getAttribute("data-cv-follow") === "1") { scrollToEnd(element); }
      });
    }
  }

  var thread = document.getElementById("cv-messages");
  if (thread) {
    thread.setAttribute("data-cv-follow", "1");
    thread.addEventListener("scroll", function () {
      var nearEnd = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
      thread.setAttribute("data-cv-follow", nearEnd ? "1" : "0");
    });
    keepEndInView(thread);
    scrollToEnd(thread);
    every(THREAD_MS, function (next) {
      var url = thread.getAttribute("data-updates-url") + "?after=" + encodeURIComponent(thread.getAttribute("data-last") || "0");
      getJson(url, function (data) {
        if (!data) { next(false); return; }
        if (data.html) {
          thread.insertAdjacentHTML("beforeend", data.html);
          var empty = document.getElementById("cv-empty");
          if (empty) { empty.parentNode.removeChild(empty); }
          keepEndInView(thread);
          if (thread.getAttribute("data-cv-follow") === "1") { scrollToEnd(thread); }
        }
        thread.setAttribute("data-last", data.last);
        var status = document.getElementById("cv-status");
        if (status && data.status && status.getAttribute("data-status") !== data.status) {
          status.setAttribute("data-status", data.status);
          status.className = "tag cv-status-" + data.status;
          status.textContent = data.statusLabel;
        }
        next(true);
      });
    });
  }

  var rows = document.getElementById("cv-inbox-rows");
  if (rows) {
    every(INBOX_MS, function (next) {
      getJson(rows.getAttribute("data-url"), function (data) {
        if (!data) { next(false); return; }
        rows.innerHTML = data.rows;
        var unread = document.getElementById("cv-unread");
        if (unread) {
          unread.textContent = unread.textContent.replace(/\d+/, String(data.unread));
          unread.className = "tag cv-unread-count" + (data.unread ? " cv-has-unread" : "");
        }
        next(true);
      });
    });
  }

  var canned = document.getElementById("cv-canned");
  var text = document.getElementById("id_text");
  if (canned && text) {
    canned.addEventListener("change", function () {
      var option = canned.options[canned.selectedIndex];
      var body = option && option.getAttribute("data-body");
      if (body) {
        text.value = text.value ? text.value.replace(/\s+$/, "") + "\n" + body : body;
        text.focus();
      }
      canned.selectedIndex = 0;
    });
  }
})();
