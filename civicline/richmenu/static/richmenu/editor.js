/* The tab editor's live preview: the chosen layout, tile colours, icons and labels, as staff type.
   The real image is drawn by the server on save; this only sketches it. Plain ES5, like console.js,
   so that it runs on any Edge a city PC may have. */
(function () {
  "use strict";

  // When the server cannot draw the saved image, no broken picture: it may have failed before this
  // deferred script ran, so look at it as well as listening.
  var saved = document.getElementById("saved-image");
  if (saved) {
    if (saved.complete && !saved.naturalWidth) {
      saved.hidden = true;
    }
    saved.addEventListener("error", function () { saved.hidden = true; });
  }

  var dataNode = document.getElementById("editor-data");
  var form = document.getElementById("tab-form");
  var board = document.getElementById("board");
  if (!dataNode || !form || !board) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var geometry = data.geometry;
  var tiles = form.querySelectorAll("[data-tile]");
  var SVG = "http://www.w3.org/2000/svg";

  function field(tile, name) {
    return tile.querySelector("[name$='-" + name + "']");
  }

  function currentLayout() {
    var checked = form.querySelector("input[name='layout']:checked");
    return checked ? checked.value : null;
  }

  // Black or white text, as the server's renderer chooses it (WCAG contrast for large bold text).
  function luminance(hex) {
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }
  function inkFor(hex) {
    if (!/^#[0-9a-fA-F]{6}$/.test(hex || "")) {
      return "#ffffff";
    }
    return (1.05) / (luminance(hex) + 0.05) >= 3 ? "#ffffff" : "#1f2937";
  }

  function place(node, box) {
    node.style.left = box[0] + "%";
    node.style.top = box[1] + "%";
    node.style.width = box[2] + "%";
    node.style.height = box[3] + "%";
  }

  function icon(key, colour) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 100 100");
    svg.style.color = colour;
    var use = document.createElementNS(SVG, "use");
    use.setAttribute("href", "#icon-" + key);
    use.setAttributeNS("http://www.w3.org/1999/xlink", "xlink:href", "#icon-" + key);
    svg.appendChild(use);
    return svg;
  }

  function drawStrip(scale) {
    var tabs = data.tabs.length > 1 ? geometry.tabs : [];
    tabs.forEach(function (box, index) {
      var node = document.createElement("div");
      var active = index === data.tabIndex;
      node.className = "rm-strip-tab";
      node.style.background = active ? data.theme : "#e6eaef";
      node.style.color = active ? inkFor(data.theme) : "#374151";
      node.style.fontSize = Math.max(9, Math.round(74 * scale)) + "px";
      node.textContent = index === data.tabIndex ? form.querySelector("[name='title']").value : data.tabs[index];
      place(node, [box[0] + 0.5, box[1] + 1.5, box[2] - 1, box[3] - 1.5]);
      board.appendChild(node);
    });
    if (!tabs.length && data.heading && geometry.strip) {
      var band = document.createElement("div");
      band.style.background = data.theme;
      band.style.color = inkFor(data.theme);
      band.style.fontWeight = "bold";
      band.style.fontSize = Math.max(10, Math.round(85 * scale)) + "px";
      band.textContent = data.heading;
      place(band, geometry.strip);
      board.appendChild(band);
    }
  }

  // Whether the tile opens a site outside LINE and the city's pages (as actions.leaves_line decides).
  function leavesLine(tile) {
    var kind = field(tile, "action_type").value;
    if (kind === "feature") {
      var chosen = data.features[field(tile, "action_feature").value];
      return Boolean(chosen && chosen.external);
    }
    if (kind !== "uri") {
      return false;
    }
    var link = document.createElement("a");
    link.href = field(tile, "action_uri").value.trim();
    var host = link.hostname.toLowerCase();
    if (!/^https?:$/.test(link.protocol) || !host || !field(tile, "action_uri").value.trim()) {
      return false;
    }
    var lineHost = host === "line.me" || host.slice(-8) === ".line.me";
    return host !== data.siteHost && !lineHost;
  }

  function showExternalNote(tile) {
    var note = tile.querySelector("[data-external-note]");
    if (note) {
      note.hidden = !leavesLine(tile);
    }
  }

  function drawTile(tile, box, scale) {
    var cell = document.createElement("div");
    var inner = document.createElement("div");
    var colour = field(tile, "colour").value;
    var iconKey = field(tile, "icon").value;
    var label = document.createElement("span");
    var ink = inkFor(colour);
    var widthPx = (box[2] / 100) * board.clientWidth;
    var heightPx = (box[3] / 100) * board.clientHeight;
    cell.className = "rm-cell" + (widthPx >= heightPx * 1.9 ? " wide" : "");
    if (tile.contains(document.activeElement)) {
      cell.className += " selected";
    }
    place(cell, box);
    inner.style.background = colour;
    inner.style.color = ink;
    if (iconKey) {
      inner.appendChild(icon(iconKey, ink));
    }
    label.className = "rm-label";
    label.textContent = field(tile, "label").value;
    label.style.fontSize = Math.max(9, Math.round(Math.min(116, (heightPx / scale) * 0.135) * scale)) + "px";
    inner.appendChild(label);
    if (leavesLine(tile)) {
      // The same corner mark the server draws on the image (rendering._external_mark).
      var mark = document.createElement("span");
      mark.className = "rm-external-mark";
      mark.textContent = "↗";
      mark.style.background = ink;
      mark.style.color = colour;
      inner.appendChild(mark);
    }
    showExternalNote(tile);
    cell.appendChild(inner);
    board.appendChild(cell);
  }

  function render() {
    var layout = currentLayout();
    var boxes = (layout && geometry.templates[layout]) || [];
    board.style.paddingTop = (100 * geometry.aspect[1] / geometry.aspect[0]) + "%";
    while (board.firstChild) {
      board.removeChild(board.firstChild);
    }
    var scale = board.clientWidth / geometry.aspect[0];
    drawStrip(scale);
    for (var i = 0; i < tiles.length; i++) {
      var used = i < boxes.length;
      tiles[i].hidden = !used;
      if (used) {
        drawTile(tiles[i], boxes[i], scale);
      }
    }
  }

  // Only the field for the chosen kind of action is shown (URL, feature, or text to send).
  function showActionField(tile) {
    var kind = field(tile, "action_type").value;
    var wanted = { uri: "action_uri", feature: "action_feature", message: "action_text", postback: "action_text" }[kind];
    ["action_uri", "action_feature", "action_text"].forEach(function (name) {
      var wrapper = tile.querySelector("[data-field='" + name + "']");
      if (wrapper) {
        wrapper.hidden = name !== wanted;
      }
    });
  }

  // Picking a feature fills an empty label and icon with the feature's own suggestion.
  function suggest(tile) {
    var chosen = data.features[field(tile, "action_feature").value];
    if (!chosen) {
      return;
    }
    if (!field(tile, "label").value.trim()) {
      field(tile, "label").value = chosen.label;
    }
    if (!field(tile, "icon").value && chosen.icon) {
      field(tile, "icon").value = chosen.icon;
    }
  }

  function drawThumbnails() {
    var thumbs = document.querySelectorAll(".rm-layout-thumb");
    for (var i = 0; i < thumbs.length; i++) {
      var boxes = geometry.templates[thumbs[i].getAttribute("data-layout")] || [];
      boxes.forEach(function (box) {
        var span = document.createElement("span");
        place(span, box);
        this.appendChild(span);
      }, thumbs[i]);
    }
  }

  for (var t = 0; t < tiles.length; t++) {
    (function (tile) {
      showActionField(tile);
      field(tile, "action_type").addEventListener("change", function () { showActionField(tile); });
      field(tile, "action_feature").addEventListener("change", function () { suggest(tile); render(); });
    })(tiles[t]);
  }
  form.addEventListener("input", render);
  form.addEventListener("change", render);
  form.addEventListener("focusin", render);
  window.addEventListener("resize", render);
  drawThumbnails();
  render();
})();
