/*
 * The emulator's phone: draws a LINE talk from /sim/api/ and acts as the resident.
 *
 * Safety rule for the whole file: text from messages reaches the DOM only through el()
 * (textContent / attribute values), never through innerHTML; URLs pass safeUrl() and colours
 * pass colour() first, because the bot (or a tester) may send anything.
 *
 * LIFF pages in the overlay talk to the phone as the emulator's LIFF SDK (liff-sdk.js) does:
 *   {type: "linesim:liff:close"}                     liff.closeWindow(): the overlay closes
 *   {type: "linesim:liff:sent"}                      liff.sendMessages() went through: show them now
 *   {type: "linesim:liff:open-window", url, external} liff.openWindow()
 * The page gets its LIFF context from the URL fragment the emulator puts on "url" (links.py).
 */
(function () {
  "use strict";

  const configNode = document.getElementById("phone-config");
  const config = configNode && JSON.parse(configNode.textContent);
  if (!config) return;

  const userId = config.user.userId;
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const ui = {
    timeline: byTestId("timeline"),
    quickReplies: byTestId("quick-replies"),
    composer: byTestId("composer"),
    input: byTestId("composer-input"),
    send: byTestId("composer-send"),
    menuToggle: byTestId("menu-toggle"),
    menuBar: byTestId("menu-bar"),
    chatBar: byTestId("richmenu-bar"),
    richmenu: byTestId("richmenu"),
    attachSheet: byTestId("attach-sheet"),
    imageInput: byTestId("image-input"),
    backdrop: byTestId("sheet-backdrop"),
    locationSheet: byTestId("location-sheet"),
    datetimeSheet: byTestId("datetime-sheet"),
    liff: byTestId("liff-overlay"),
    toast: byTestId("toast"),
    banner: byTestId("friend-banner"),
    headerMenu: byTestId("header-menu-panel"),
  };

  const state = {
    user: config.user,
    cursor: { bot_after: 0, user_after: 0 },
    shown: new Set(),
    last: null,
    lastRow: null,
    lastDay: null,
    menu: null,
    menuKey: null,
    menuOpen: false,
    mode: "keyboard",
    stick: true,
  };

  // --- small helpers ---------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "testid") node.dataset.testid = value;
      else if (key === "style") Object.assign(node.style, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function safeUrl(url, schemes = ["http:", "https:"]) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      return schemes.includes(parsed.protocol) ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function colour(value) {
    return typeof value === "string" && /^#([0-9a-f]{6}|[0-9a-f]{8})$/i.test(value) ? value : null;
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && (data.error || data.message)) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const userApi = (suffix) => `/sim/api/users/${encodeURIComponent(userId)}/${suffix}`;

  let toastTimer = null;
  function toast(text, ms = 2500) {
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, ms);
  }

  async function attempt(promise) {
    try {
      return await promise;
    } catch (error) {
      toast(`送信できませんでした（${error.message}）`);
      return null;
    }
  }

  // --- what the resident does ------------------------------------------------------------------

  async function sendText(text) {
    if (!text) return;
    await attempt(api("POST", userApi("text"), { text }));
    poll();
  }

  async function sendPostback(data, { displayText = null, params = null } = {}) {
    await attempt(api("POST", userApi("postback"), { data, display_text: displayText, params }));
    poll();
  }

  async function sendLocation(place) {
    closeSheets();
    await attempt(api("POST", userApi("location"), place));
    poll();
  }

  async function sendImages(files) {
    if (!files.length) return;
    const form = new FormData();
    for (const file of files) form.append("image", file, file.name);
    await attempt(api("POST", userApi("images"), form));
    ui.imageInput.value = "";
    poll();
  }

  function recordInsight(body) {
    // The insight endpoint may not exist in every emulator build; counting is best effort.
    fetch(userApi("insight"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).catch(() => {});
  }

  async function setFriendship(act) {
    ui.headerMenu.hidden = true;
    const result = await attempt(api("POST", userApi(act)));
    if (result) renderFriendState(result.user);
    poll();
  }

  // --- actions: one function for bubbles, templates, flex, quick replies and the rich menu -------

  const actionHandlers = {
    postback(action) {
      applyInputOption(action);
      return sendPostback(action.data, { displayText: action.displayText || null });
    },
    message(action) {
      return sendText(action.text);
    },
    uri(action, context) {
      return openUri(action.uri, context);
    },
    datetimepicker(action) {
      openDatetimeSheet(action);
    },
    location() {
      openSheet(ui.locationSheet);
    },
    camera() {
      ui.imageInput.click();
    },
    cameraRoll() {
      ui.imageInput.click();
    },
    richmenuswitch(action) {
      return switchRichMenu(action);
    },
    clipboard(action) {
      navigator.clipboard?.writeText(action.clipboardText || "").catch(() => {});
      toast("コピーしました");
    },
  };

  function performAction(action, context = {}) {
    const handler = action && actionHandlers[action.type];
    if (!handler) {
      toast(`未対応のアクションです: ${action && action.type}`);
      return undefined;
    }
    return handler(action, context);
  }

  function applyInputOption(action) {
    // LINE's postback inputOption opens the keyboard or the menu after the tap.
    if (action.inputOption === "openKeyboard") {
      setMode("keyboard");
      if (action.fillInText) ui.input.value = action.fillInText;
      ui.input.focus();
      updateSendButton();
    } else if (action.inputOption === "openRichMenu" && state.menu) {
      setMode("menu");
      setMenuOpen(true);
    } else if (action.inputOption === "closeRichMenu") {
      setMenuOpen(false);
    }
  }

  async function openUri(uri, context) {
    if (context.messageId) recordInsight({ event: "click", messageId: context.messageId, url: uri });
    // The emulator follows the link's redirects as LINE's in-app browser would (links.py): one that
    // leads to a LIFF URL (a delivery's counted link) opens the LIFF view; any other page opens
    // where the redirects ended, so that a counted link is not counted twice.
    let target = null;
    try {
      target = await api("GET", `${userApi("open")}?${new URLSearchParams({ url: uri })}`);
    } catch (_) {
      target = null; // the emulator could not tell: the browser opens the link itself
    }
    if (target && target.liff && target.liff.url) {
      openLiff(target.liff);
      return;
    }
    if (target && target.notice) {
      toast(target.notice, 6000); // a sentence to read, not a word
      return;
    }
    const href = safeUrl((target && target.url) || uri, ["http:", "https:", "tel:", "mailto:"]);
    if (href) window.open(href, "_blank", "noopener");
    else toast("このリンクはエミュレーターでは開けません");
  }

  async function switchRichMenu(action) {
    await attempt(api("POST", userApi("richmenu/switch"), {
      richMenuAliasId: action.richMenuAliasId,
      data: action.data,
    }));
    await loadRichMenu();
    poll();
  }

  // --- sheets: location picker, date/time picker, attachments -----------------------------------

  function openSheet(sheet) {
    closeSheets();
    ui.backdrop.hidden = false;
    sheet.hidden = false;
  }

  function closeSheets() {
    for (const sheet of [ui.locationSheet, ui.datetimeSheet]) sheet.hidden = true;
    ui.backdrop.hidden = true;
    ui.attachSheet.hidden = true;
  }

  const DATETIME_INPUTS = {
    date: ["date", "日付を選択"],
    time: ["time", "時刻を選択"],
    datetime: ["datetime-local", "日時を選択"],
  };

  let pendingDatetime = null;
  function openDatetimeSheet(action) {
    const mode = DATETIME_INPUTS[action.mode] ? action.mode : "datetime";
    const [inputType, label] = DATETIME_INPUTS[mode];
    const input = byTestId("datetime-input");
    input.type = inputType;
    input.value = action.initial || "";
    for (const bound of ["min", "max"]) {
      if (action[bound]) input.setAttribute(bound, action[bound]);
      else input.removeAttribute(bound);
    }
    ui.datetimeSheet.querySelector(".datetime-label").textContent = action.label || label;
    pendingDatetime = { action, mode };
    openSheet(ui.datetimeSheet);
    input.focus();
  }

  function setupSheets() {
    const presets = byTestId("location-presets");
    for (const place of config.presets) {
      presets.append(el("button", {
        type: "button",
        class: "location-preset",
        testid: "location-preset",
        "data-name": place.title,
        onclick: () => sendLocation(place),
      }, el("span", { class: "location-preset-pin", "aria-hidden": "true" }, el("span", { class: "map-pin" })),
      el("span", { class: "location-preset-text" },
        el("strong", { text: place.title }), el("small", { text: place.address }))));
    }
    byTestId("location-free").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const latitude = Number(form.get("latitude"));
      const longitude = Number(form.get("longitude"));
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
        toast("緯度・経度を数値で入力してください");
        return;
      }
      sendLocation({ latitude, longitude, title: form.get("title") || "", address: form.get("address") || "" });
    });
    ui.datetimeSheet.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (!pendingDatetime) return;
      const { action, mode } = pendingDatetime;
      const value = byTestId("datetime-input").value;
      pendingDatetime = null;
      closeSheets();
      sendPostback(action.data, { params: { [mode]: value } });
    });
    for (const close of document.querySelectorAll(".sheet-close")) close.addEventListener("click", closeSheets);
    ui.backdrop.addEventListener("click", closeSheets);
    byTestId("composer-plus").addEventListener("click", () => {
      ui.attachSheet.hidden = !ui.attachSheet.hidden;
    });
    byTestId("attach-location").addEventListener("click", () => openSheet(ui.locationSheet));
    for (const id of ["attach-images", "attach-photos", "attach-camera"]) {
      byTestId(id).addEventListener("click", () => {
        ui.attachSheet.hidden = true;
        ui.imageInput.click();
      });
    }
    ui.imageInput.addEventListener("change", () => sendImages([...ui.imageInput.files]));
  }

  // --- composer and friendship ------------------------------------------------------------------

  function updateSendButton() {
    ui.send.disabled = !ui.input.value.trim() || state.user.blocked;
  }

  function submitComposer() {
    const text = ui.input.value;
    if (!text.trim() || state.user.blocked) return;
    ui.input.value = "";
    autosize();
    updateSendButton();
    sendText(text);
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 120)}px`;
  }

  function setupComposer() {
    ui.input.addEventListener("input", () => { autosize(); updateSendButton(); });
    ui.input.addEventListener("keydown", (event) => {
      // Enter sends as in LINE for PC, but never while a Japanese IME is still converting.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitComposer();
      }
    });
    ui.send.addEventListener("click", submitComposer);
    ui.menuToggle.addEventListener("click", () => { setMode("menu"); setMenuOpen(true); });
    byTestId("keyboard-toggle").addEventListener("click", () => { setMode("keyboard"); ui.input.focus(); });
    ui.chatBar.addEventListener("click", () => setMenuOpen(!state.menuOpen));
    byTestId("header-menu").addEventListener("click", () => {
      ui.headerMenu.hidden = !ui.headerMenu.hidden;
    });
    for (const button of document.querySelectorAll("[data-friend]")) {
      button.addEventListener("click", () => setFriendship(button.dataset.friend));
    }
  }

  function renderFriendState(user) {
    state.user = user;
    const text = ui.banner.querySelector(".friend-banner-text");
    if (user.blocked) {
      text.textContent = "このアカウントをブロックしています。";
      byTestId("friend-follow").textContent = "ブロック解除";
    } else if (!user.following) {
      text.textContent = `${config.botName} を友だち追加していません。`;
      byTestId("friend-follow").textContent = "追加";
    }
    ui.banner.hidden = user.following && !user.blocked;
    byTestId("friend-banner-block").hidden = user.blocked;
    byTestId("menu-follow").hidden = user.following && !user.blocked;
    byTestId("friend-unfollow").hidden = !user.following;
    byTestId("friend-block").hidden = user.blocked;
    ui.input.disabled = user.blocked;
    ui.input.placeholder = user.blocked ? "ブロック中は送信できません" : "メッセージを入力";
    updateSendButton();
  }

  // --- timeline ---------------------------------------------------------------------------------

  let polling = null;
  let pollAgain = false;

  function poll() {
    // One request at a time; a poll asked for meanwhile runs right after, so nothing is missed.
    if (polling) {
      pollAgain = true;
      return polling;
    }
    polling = fetchTimeline().finally(() => {
      polling = null;
      if (pollAgain) {
        pollAgain = false;
        poll();
      }
    });
    return polling;
  }

  async function fetchTimeline() {
    try {
      const data = await api("GET", `${userApi("timeline")}?${new URLSearchParams(state.cursor)}`);
      state.cursor = data.cursor;
      renderFriendState(data.user);
      if (data.items.length) {
        for (const item of data.items) appendItem(item);
        renderQuickReplies();
        // What the resident just sent always comes into view, as in LINE.
        if (data.items.some((item) => item.kind === "user")) state.stick = true;
        followEnd();
      }
    } catch (_) {
      // The emulator may be restarting; the next tick tries again.
    }
  }

  function tick() {
    Promise.allSettled([poll(), loadRichMenu()]).then(() => setTimeout(tick, config.pollMs));
  }

  function nearBottom() {
    const t = ui.timeline;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }

  function scrollToEnd() {
    ui.timeline.scrollTop = ui.timeline.scrollHeight;
  }

  // Whether the talk follows new content: decided by the resident's own scrolling only, because
  // content growing (an image loading) must not unstick it.
  function followEnd() {
    if (state.stick) scrollToEnd();
  }

  const WEEKDAYS = "日月火水木金土";
  function dayLabel(at) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (at.toDateString() === today.toDateString()) return "今日";
    if (at.toDateString() === yesterday.toDateString()) return "昨日";
    return `${at.getMonth() + 1}/${at.getDate()}(${WEEKDAYS[at.getDay()]})`;
  }

  function timeLabel(at) {
    const text = `${at.getHours()}:${String(at.getMinutes()).padStart(2, "0")}`;
    return el("time", { class: "stamp", datetime: at.toISOString(), text });
  }

  function appendItem(item) {
    const key = `${item.kind}:${item.id}`;
    if (state.shown.has(key)) return;
    state.shown.add(key);
    const at = new Date(item.at);
    if (at.toDateString() !== state.lastDay) {
      state.lastDay = at.toDateString();
      state.lastRow = null;
      ui.timeline.append(el("div", { class: "day" }, el("span", { text: dayLabel(at) })));
    }
    const row = item.kind === "bot" ? botRow(item, at) : userRow(item, at);
    for (const img of row.querySelectorAll("img")) img.addEventListener("load", followEnd, { once: true });
    ui.timeline.append(row);
    state.last = item;
    state.lastRow = row;
    if (item.kind === "bot" && document.visibilityState === "visible") {
      recordInsight({ event: "open", messageId: item.id });
    }
  }

  function senderOf(message) {
    const sender = message.sender || {};
    // A message's own sender (LINE's "sender" field) wins; otherwise the account's name and picture.
    return { name: sender.name || config.botName, icon: safeUrl(sender.iconUrl || (sender.name ? "" : config.botIcon)) };
  }

  function avatar(sender) {
    if (sender.icon) return el("img", { class: "avatar", src: sender.icon, alt: "" });
    return el("span", { class: "avatar", "aria-hidden": "true", text: Array.from(sender.name)[0] || "?" });
  }

  const WIDE_TYPES = new Set(["flex", "template", "imagemap"]);

  function botRow(item, at) {
    const message = item.message || {};
    const sender = senderOf(message);
    const previous = state.lastRow;
    const continued = previous && previous.dataset.kind === "bot" && previous.dataset.sender === sender.name;
    const context = { messageId: item.id };
    const content = renderBotMessage(message, context);
    const wide = WIDE_TYPES.has(message.type) && content.classList.contains("carousel");
    return el("div", {
      class: `row bot${continued ? " continued" : ""}${wide ? " wide" : ""}`,
      testid: "bubble-row",
      "data-kind": "bot",
      "data-type": message.type,
      "data-message-id": item.id,
      "data-sender": sender.name,
    },
    continued ? el("span", { class: "avatar-space" }) : avatar(sender),
    el("div", { class: "row-body" },
      continued ? null : el("div", { class: "sender", testid: "sender", text: sender.name }),
      el("div", { class: "line" }, content, el("div", { class: "meta" }, timeLabel(at)))));
  }

  function userRow(item, at) {
    const message = item.message || {};
    const render = userRenderers[message.type] || placeholder;
    return el("div", {
      class: "row user",
      testid: "bubble-row",
      "data-kind": "user",
      "data-type": message.type,
      "data-message-id": item.id,
    }, el("div", { class: "line" },
      el("div", { class: "meta" }, el("span", { class: "read", text: "既読" }), timeLabel(at)),
      render(message, item)));
  }

  // --- message renderers ------------------------------------------------------------------------

  function placeholder(message) {
    return el("div", { class: "bubble text", testid: "bubble", text: `[${message.type || "不明"}]` });
  }

  function textBubble(text, mine, emojis) {
    const bubble = el("div", { class: `bubble text${mine ? " mine" : ""}`, testid: "bubble" });
    const marks = (Array.isArray(emojis) ? emojis : []).filter((e) => Number.isInteger(e.index))
      .sort((a, b) => a.index - b.index);
    let position = 0;
    for (const emoji of marks) {
      // Each LINE emoji replaces one "$" at its index; shown as a small token (no network for sprites).
      bubble.append(String(text).slice(position, emoji.index));
      bubble.append(el("span", { class: "line-emoji", title: `${emoji.productId}/${emoji.emojiId}`, text: "☺" }));
      position = emoji.index + 1;
    }
    bubble.append(String(text ?? "").slice(position));
    return bubble;
  }

  function substituted(message) {
    // textV2: {key} placeholders replaced by mentions or emojis.
    const subs = message.substitution || {};
    return String(message.text || "").replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
      const sub = subs[key];
      if (!sub) return whole;
      if (sub.type === "mention") return sub.mentionee && sub.mentionee.type === "all" ? "@All" : "@ユーザー";
      return "☺";
    });
  }

  function imageBubble(url, mine) {
    const src = safeUrl(url);
    return el("div", { class: `bubble media${mine ? " mine" : ""}`, testid: "bubble" },
      src ? el("img", { src, alt: "画像", loading: "lazy" }) : el("div", { class: "media-missing", text: "画像" }));
  }

  function locationCard(message, mine) {
    return el("div", { class: `bubble location${mine ? " mine" : ""}`, testid: "bubble" },
      el("div", { class: "map", "aria-hidden": "true" }, el("span", { class: "map-pin" })),
      el("div", { class: "location-text" },
        el("div", { class: "location-title", text: message.title || "位置情報" }),
        el("div", { class: "location-address", text: message.address || `${message.latitude}, ${message.longitude}` })));
  }

  function mediaPlaceholder(label, preview) {
    const src = safeUrl(preview);
    return el("div", { class: "bubble media video", testid: "bubble" },
      src ? el("img", { src, alt: "", loading: "lazy" }) : null,
      el("span", { class: "media-label", text: label }));
  }

  const botRenderers = {
    text: (m) => textBubble(m.text, false, m.emojis),
    textV2: (m) => textBubble(substituted(m), false),
    image: (m) => imageBubble(m.previewImageUrl || m.originalContentUrl),
    video: (m) => mediaPlaceholder("▶ 動画", m.previewImageUrl),
    audio: (m) => mediaPlaceholder(`♪ 音声 ${Math.round((m.duration || 0) / 1000)}秒`),
    location: (m) => locationCard(m),
    sticker: (m) => el("div", { class: "sticker", testid: "bubble", title: `${m.packageId}/${m.stickerId}` },
      el("span", { text: "スタンプ" }), el("small", { text: `${m.packageId}/${m.stickerId}` })),
    imagemap: (m) => el("div", { class: "bubble text", testid: "bubble", text: `[イメージマップ] ${m.altText || ""}` }),
    template: (m, context) => (templateRenderers[m.template && m.template.type] || placeholder)(m.template || {}, context),
    flex: (m, context) => flexMessage(m.contents || {}, context),
  };

  function renderBotMessage(message, context) {
    return (botRenderers[message.type] || placeholder)(message, context);
  }

  const userRenderers = {
    text: (m) => textBubble(m.text, true, m.emojis),
    // A postback's displayText: LINE shows it as the resident's words.
    postback: (m) => textBubble(m.text, true),
    image: (m, item) => imageBubble(item.contentUrl, true),
    location: (m) => locationCard(m, true),
  };

  function actionButton(action, context, className) {
    return el("button", {
      type: "button",
      class: className,
      testid: "action",
      "data-action-type": action && action.type,
      "data-action-label": action && action.label,
      onclick: (event) => { event.stopPropagation(); performAction(action, context); },
    }, (action && action.label) || "");
  }

  function makeTappable(node, action, context) {
    if (!action) return node;
    node.classList.add("tappable");
    node.setAttribute("role", "button");
    node.tabIndex = 0;
    if (!node.dataset.testid) node.dataset.testid = "action";
    node.dataset.actionType = action.type;
    if (action.label) {
      node.dataset.actionLabel = action.label;
      node.setAttribute("aria-label", action.label);
    }
    node.addEventListener("click", (event) => { event.stopPropagation(); performAction(action, context); });
    return node;
  }

  // --- template messages ------------------------------------------------------------------------

  function templateImage(url, options, background) {
    const src = safeUrl(url);
    const frame = el("div", { class: `tpl-image${options.imageAspectRatio === "square" ? " square" : ""}` });
    const bg = colour(background);
    if (bg) frame.style.backgroundColor = bg;
    if (src) frame.append(el("img", { src, alt: "", style: { objectFit: options.imageSize === "contain" ? "contain" : "cover" } }));
    return frame;
  }

  function templateCard(column, options, context) {
    const card = el("div", { class: "tpl-card", testid: "bubble" });
    const image = column.thumbnailImageUrl ? templateImage(column.thumbnailImageUrl, options, column.imageBackgroundColor) : null;
    const body = el("div", { class: "tpl-body" },
      column.title ? el("div", { class: "tpl-title", text: column.title }) : null,
      el("div", { class: "tpl-text", text: column.text || "" }));
    if (column.defaultAction) {
      // defaultAction covers the image, title and text, not the buttons.
      if (image) makeTappable(image, column.defaultAction, context);
      makeTappable(body, column.defaultAction, context);
      body.dataset.testid = "default-action";
      if (image) image.dataset.testid = "default-action";
    }
    if (image) card.append(image);
    card.append(body,
      el("div", { class: "tpl-actions" }, (column.actions || []).map((a) => actionButton(a, context, "tpl-action"))));
    return card;
  }

  const templateRenderers = {
    buttons: (t, context) => templateCard(t, t, context),
    confirm: (t, context) => el("div", { class: "tpl-card confirm", testid: "bubble" },
      el("div", { class: "tpl-body" }, el("div", { class: "tpl-text", text: t.text || "" })),
      el("div", { class: "tpl-actions row2" }, (t.actions || []).map((a) => actionButton(a, context, "tpl-action")))),
    carousel: (t, context) => el("div", { class: "carousel" },
      (t.columns || []).map((column) => templateCard(column, t, context))),
    image_carousel: (t, context) => el("div", { class: "carousel" },
      (t.columns || []).map((column) => {
        const src = safeUrl(column.imageUrl);
        const label = column.action && column.action.label;
        const tile = el("div", { class: "img-col", testid: "bubble" },
          src ? el("img", { src, alt: "" }) : null,
          label ? el("span", { class: "img-col-label", text: label }) : null);
        return makeTappable(tile, column.action, context);
      })),
  };

  // --- Flex messages ----------------------------------------------------------------------------
  // Sizes in px as the LINE app draws them on a phone.

  const FLEX = {
    spacing: { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 },
    text: { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 },
    image: { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, "3xl": 180, "4xl": 200, "5xl": 240 },
    border: { none: 0, light: 0.5, normal: 1, medium: 2, "semi-bold": 3, bold: 4 },
    bubble: { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 },
    // Blocks pad their root box unless the box sets its own padding.
    blockPadding: { header: "20px", hero: "0px", body: "20px", footer: "10px" },
  };
  const GRAVITY = { top: "flex-start", center: "center", bottom: "flex-end" };
  const ALIGN = { start: "flex-start", center: "center", end: "flex-end" };

  function size(value, table) {
    if (typeof value === "string" && /^\d+(\.\d+)?(px|%)$/.test(value)) return value;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return `${table[value]}px`;
    return null;
  }

  function ratio(value) {
    const match = typeof value === "string" && value.match(/^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/);
    return match ? [Number(match[1]), Number(match[2])] : [1, 1];
  }

  function flexMessage(contents, context) {
    if (contents.type === "carousel") {
      return el("div", { class: "carousel flex-carousel" }, (contents.contents || []).map((b) => flexBubble(b, context)));
    }
    return flexBubble(contents, context);
  }

  function flexBubble(bubble, context) {
    const node = el("div", { class: "flex-bubble", testid: "bubble", dir: bubble.direction === "rtl" ? "rtl" : null });
    node.style.width = `${FLEX.bubble[bubble.size] || FLEX.bubble.mega}px`;
    const styles = bubble.styles || {};
    for (const name of ["header", "hero", "body", "footer"]) {
      const component = bubble[name];
      if (!component) continue;
      const style = styles[name] || {};
      const block = el("div", { class: `flex-block flex-${name}` });
      const bg = colour(style.backgroundColor);
      if (bg) block.style.backgroundColor = bg;
      if (style.separator && node.childElementCount) {
        block.style.borderTop = `1px solid ${colour(style.separatorColor) || "#d4d6da"}`;
      }
      const root = flexComponent(component, "vertical", context);
      if (component.type === "box" && !hasPadding(component)) root.style.padding = FLEX.blockPadding[name];
      block.append(root);
      node.append(block);
    }
    return makeTappable(node, bubble.action, context);
  }

  function hasPadding(box) {
    return ["paddingAll", "paddingTop", "paddingBottom", "paddingStart", "paddingEnd"].some((key) => box[key] != null);
  }

  const flexRenderers = {
    box: flexBox,
    text: flexText,
    image: flexImage,
    button: flexButton,
    separator: flexSeparator,
    spacer: flexSpacer,
    filler: () => el("div", { class: "fx-filler" }),
    icon: flexIcon,
    video: flexVideo,
  };
  // Components LINE sizes by content, whatever the box layout.
  const FIXED = new Set(["separator", "spacer", "icon"]);

  function flexComponent(component, parentLayout, context) {
    const render = flexRenderers[component && component.type];
    if (!render) return el("div", { class: "fx-unknown", text: `[${component && component.type}]` });
    const node = render(component, parentLayout, context);
    placeInParent(node, component, parentLayout);
    return node;
  }

  function placeInParent(node, component, parentLayout) {
    const s = node.style;
    if (!FIXED.has(component.type)) {
      const fallback = parentLayout === "vertical" ? 0 : 1;
      const flex = Number.isInteger(component.flex) && component.flex >= 0 ? component.flex : fallback;
      // Horizontal children share the width by flex from a zero basis; vertical ones keep their height.
      if (flex === 0) s.flex = "0 0 auto";
      else s.flex = parentLayout === "vertical" ? `${flex} 0 auto` : `${flex} 1 0`;
    }
    if (component.gravity && GRAVITY[component.gravity] && parentLayout !== "vertical") {
      s.alignSelf = GRAVITY[component.gravity];
    }
    if (component.position === "absolute") s.position = "absolute";
    const offsets = { offsetTop: "top", offsetBottom: "bottom", offsetStart: "insetInlineStart", offsetEnd: "insetInlineEnd" };
    for (const [key, property] of Object.entries(offsets)) {
      const value = size(component[key], FLEX.spacing);
      if (value) s[property] = value;
    }
  }

  function flexBox(box, parentLayout, context) {
    const layout = ["horizontal", "baseline"].includes(box.layout) ? box.layout : "vertical";
    const node = el("div", { class: `fx-box fx-${layout}` });
    const s = node.style;
    (box.contents || []).forEach((child, index) => {
      const childNode = flexComponent(child, layout, context);
      // A child's margin replaces the box's spacing before it; the first child has neither.
      const gap = index === 0 ? null : size(child.margin != null ? child.margin : box.spacing, FLEX.spacing);
      if (gap && child.position !== "absolute") {
        childNode.style[layout === "vertical" ? "marginTop" : "marginInlineStart"] = gap;
      }
      node.append(childNode);
    });
    const padding = {
      paddingAll: "padding", paddingTop: "paddingTop", paddingBottom: "paddingBottom",
      paddingStart: "paddingInlineStart", paddingEnd: "paddingInlineEnd",
    };
    for (const [key, property] of Object.entries(padding)) {
      const value = size(box[key], FLEX.spacing);
      if (value) s[property] = value;
    }
    const bg = colour(box.backgroundColor);
    if (bg) s.backgroundColor = bg;
    const borderColor = colour(box.borderColor);
    const borderWidth = size(box.borderWidth, FLEX.border);
    if (borderWidth) s.border = `${borderWidth} solid ${borderColor || "#000000"}`;
    const radius = size(box.cornerRadius, FLEX.spacing);
    if (radius) s.borderRadius = radius;
    for (const key of ["width", "maxWidth", "height", "maxHeight"]) {
      const value = size(box[key]);
      if (value) s[key] = value;
    }
    if (/^(flex-start|center|flex-end|space-between|space-around|space-evenly)$/.test(box.justifyContent || "")) {
      s.justifyContent = box.justifyContent;
    }
    if (/^(flex-start|center|flex-end)$/.test(box.alignItems || "")) s.alignItems = box.alignItems;
    const gradient = box.background;
    if (gradient && gradient.type === "linearGradient" && colour(gradient.startColor) && colour(gradient.endColor)) {
      const angle = /^-?\d+(\.\d+)?deg$/.test(gradient.angle || "") ? gradient.angle : "0deg";
      const center = colour(gradient.centerColor);
      const centerAt = /^\d+(\.\d+)?%$/.test(gradient.centerPosition || "") ? gradient.centerPosition : "50%";
      // LINE's 0deg points up, CSS's too; the colours run start → end along it.
      s.backgroundImage = `linear-gradient(${angle}, ${gradient.startColor}${center ? `, ${center} ${centerAt}` : ""}, ${gradient.endColor})`;
    }
    return makeTappable(node, box.action, context);
  }

  function styleText(node, spec) {
    const s = node.style;
    const fontSize = size(spec.size, FLEX.text);
    if (fontSize) s.fontSize = fontSize;
    if (spec.weight === "bold") s.fontWeight = "700";
    const color = colour(spec.color);
    if (color) s.color = color;
    if (spec.style === "italic") s.fontStyle = "italic";
    if (["underline", "line-through"].includes(spec.decoration)) s.textDecoration = spec.decoration;
  }

  function flexText(text, parentLayout, context) {
    const node = el("div", { class: `fx-text${text.wrap ? " wrap" : ""}` });
    if (Array.isArray(text.contents) && text.contents.length) {
      for (const span of text.contents) {
        const spanNode = el("span", { text: span.text || "" });
        styleText(spanNode, span);
        node.append(spanNode);
      }
    } else {
      node.textContent = text.text || "";
    }
    styleText(node, { size: "md", ...text });
    if (ALIGN[text.align]) node.style.textAlign = text.align;
    if (text.wrap && Number.isInteger(text.maxLines) && text.maxLines > 0) {
      node.classList.add("clamped");
      node.style.webkitLineClamp = String(text.maxLines);
    }
    const spacing = size(text.lineSpacing);
    if (spacing) node.style.lineHeight = `calc(1.4em + ${spacing})`;
    return makeTappable(node, text.action, context);
  }

  function flexImage(image, parentLayout, context) {
    const wrap = el("div", { class: "fx-image" });
    wrap.style.justifyContent = ALIGN[image.align] || "center";
    const frame = el("div", { class: "fx-image-frame" });
    frame.style.width = image.size === "full" ? "100%" : size(image.size, FLEX.image) || `${FLEX.image.md}px`;
    const [w, h] = ratio(image.aspectRatio);
    frame.style.aspectRatio = `${w} / ${h}`;
    const bg = colour(image.backgroundColor);
    if (bg) frame.style.backgroundColor = bg;
    const src = safeUrl(image.url);
    if (src) frame.append(el("img", { src, alt: "", style: { objectFit: image.aspectMode === "cover" ? "cover" : "contain" } }));
    wrap.append(frame);
    return makeTappable(wrap, image.action, context);
  }

  function flexButton(button, parentLayout, context) {
    const style = ["primary", "secondary"].includes(button.style) ? button.style : "link";
    const node = actionButton(button.action, context, `fx-button ${style} ${button.height === "sm" ? "sm" : "md"}`);
    const color = colour(button.color);
    if (color) node.style[style === "link" ? "color" : "backgroundColor"] = color;
    return node;
  }

  function flexSeparator(separator, parentLayout) {
    const node = el("div", { class: `fx-separator ${parentLayout === "vertical" ? "across" : "down"}` });
    const color = colour(separator.color);
    if (color) node.style.backgroundColor = color;
    return node;
  }

  function flexSpacer(spacer, parentLayout) {
    const node = el("div", { class: "fx-spacer" });
    node.style[parentLayout === "vertical" ? "height" : "width"] = size(spacer.size || "md", FLEX.spacing);
    return node;
  }

  function flexIcon(icon) {
    const height = size(icon.size || "md", FLEX.text) || "16px";
    const [w, h] = ratio(icon.aspectRatio);
    const src = safeUrl(icon.url);
    const node = el("span", { class: "fx-icon" });
    node.style.height = height;
    node.style.width = `calc(${height} * ${w / h})`;
    if (src) node.append(el("img", { src, alt: "" }));
    return node;
  }

  function flexVideo(video, parentLayout, context) {
    if (video.altContent) return flexComponent(video.altContent, parentLayout, context);
    const node = mediaPlaceholder("▶ 動画", video.previewUrl);
    node.removeAttribute("data-testid");
    return node;
  }

  // --- quick replies ----------------------------------------------------------------------------

  const QUICK_DEFAULTS = { camera: "カメラ", cameraRoll: "カメラロール", location: "位置情報" };
  // Taps that leave the talk as it is (a picker opens) keep the chips until something is sent.
  const KEEPS_CHIPS = new Set(["uri", "datetimepicker", "location", "camera", "cameraRoll", "clipboard"]);

  function renderQuickReplies() {
    const last = state.last;
    const items = (last && last.kind === "bot" && last.message.quickReply && last.message.quickReply.items) || [];
    ui.quickReplies.replaceChildren(...items.map((item) => {
      const action = item.action || {};
      const icon = safeUrl(item.imageUrl);
      return el("button", {
        type: "button",
        class: "qr-chip",
        testid: "quick-reply",
        "data-action-type": action.type,
        onclick: () => {
          if (!KEEPS_CHIPS.has(action.type)) ui.quickReplies.hidden = true;
          performAction(action, { messageId: last.id });
        },
      }, icon ? el("img", { src: icon, alt: "" }) : null, action.label || QUICK_DEFAULTS[action.type] || "");
    }));
    ui.quickReplies.hidden = !items.length || state.user.blocked;
  }

  // --- rich menu --------------------------------------------------------------------------------

  async function loadRichMenu() {
    let menu = null;
    try {
      menu = await api("GET", userApi("richmenu"));
    } catch (_) {
      menu = null; // 404: no menu linked and no default menu
    }
    const key = menu ? `${menu.richMenuId}|${menu.imageUrl}|${menu.chatBarText}` : "";
    if (key === state.menuKey) return;
    const first = state.menu === null;
    state.menuKey = key;
    state.menu = menu;
    renderRichMenu(menu, first);
  }

  function renderRichMenu(menu, first) {
    ui.menuToggle.hidden = !menu;
    if (!menu) {
      ui.richmenu.replaceChildren();
      setMode("keyboard");
      return;
    }
    ui.chatBar.querySelector(".chat-bar-text").textContent = menu.chatBarText || "メニュー";
    const width = (menu.size && menu.size.width) || 2500;
    const height = (menu.size && menu.size.height) || 1686;
    const src = safeUrl(menu.imageUrl);
    const board = el("div", { class: "richmenu-board", "data-menu-id": menu.richMenuId, style: { aspectRatio: `${width} / ${height}` } },
      src ? el("img", { src, alt: "", draggable: "false" }) : null,
      (menu.areas || []).map((area, index) => {
        const b = area.bounds || {};
        return el("button", {
          type: "button",
          class: "menu-area",
          testid: "menu-area",
          "data-index": index,
          "aria-label": (area.action && area.action.label) || `エリア ${index + 1}`,
          style: {
            left: `${(b.x / width) * 100}%`,
            top: `${(b.y / height) * 100}%`,
            width: `${(b.width / width) * 100}%`,
            height: `${(b.height / height) * 100}%`,
          },
          onclick: () => performAction(area.action, {}),
        });
      }));
    ui.richmenu.replaceChildren(board);
    if (first) {
      // As LINE: a menu shows instead of the keyboard, open if the bot marked it selected.
      setMode("menu");
      setMenuOpen(Boolean(menu.selected));
    } else {
      setMenuOpen(state.menuOpen);
    }
  }

  function setMode(mode) {
    state.mode = mode === "menu" && state.menu ? "menu" : "keyboard";
    ui.composer.hidden = state.mode === "menu";
    ui.menuBar.hidden = state.mode !== "menu";
    setMenuOpen(state.menuOpen);
  }

  function setMenuOpen(open) {
    state.menuOpen = Boolean(open && state.menu);
    ui.richmenu.hidden = !(state.menuOpen && state.mode === "menu");
    ui.chatBar.setAttribute("aria-expanded", String(state.menuOpen));
    ui.chatBar.classList.toggle("open", state.menuOpen);
    requestAnimationFrame(followEnd);
  }

  // --- LIFF overlay -----------------------------------------------------------------------------

  function openLiff(liff) {
    const src = safeUrl(liff.url);
    if (!src) {
      toast("LIFFアプリのURLが不正です");
      return;
    }
    closeLiff();
    const view = ["full", "tall", "compact"].includes(liff.viewType) ? liff.viewType : "full";
    ui.liff.className = `liff-overlay ${view}`;
    ui.liff.dataset.viewType = view;
    byTestId("liff-title").textContent = new URL(src).host;
    ui.liff.append(el("iframe", { src, testid: "liff-frame", title: "LIFF", allow: "geolocation; camera; clipboard-write" }));
    ui.liff.hidden = false;
  }

  function closeLiff() {
    ui.liff.querySelector("iframe")?.remove();
    ui.liff.hidden = true;
  }

  const liffMessages = {
    "linesim:liff:close": () => closeLiff(),
    "linesim:liff:sent": () => poll(),
    "linesim:liff:open-window": (data) => {
      if (data.external) {
        const href = safeUrl(data.url);
        if (href) window.open(href, "_blank", "noopener");
      } else {
        openUri(data.url, {});
      }
    },
  };

  function onLiffMessage(event) {
    const frame = ui.liff.querySelector("iframe");
    // Only the page in our own overlay may steer the phone.
    if (!frame || event.source !== frame.contentWindow || !event.data) return;
    const handler = liffMessages[event.data.type];
    if (handler) handler(event.data);
  }

  // --- start ------------------------------------------------------------------------------------

  setupComposer();
  setupSheets();
  ui.timeline.addEventListener("scroll", () => { state.stick = nearBottom(); }, { passive: true });
  byTestId("liff-close").addEventListener("click", closeLiff);
  window.addEventListener("message", onLiffMessage);
  renderFriendState(config.user);
  setMode("keyboard");
  window.linesimPhone = { performAction, openLiff, closeLiff, poll };
  tick();
})();
