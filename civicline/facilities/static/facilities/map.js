/*
 * The facility map residents open from LINE (MP-1, MP-3, MP-4). Plain ES5, no framework.
 *
 * The list is the page's backbone: it works without map tiles (offline, blocked tile server),
 * sorted by distance from the resident's position (once they allow it) or from the city centre.
 * Every text from the data is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var PAGE = 30; // list items shown at first and per "more"
  var config = JSON.parse(document.getElementById("facility-map-config").textContent);
  var text = config.text;
  var state = {
    facilities: [],
    categories: {},
    selected: {},
    openOnly: false,
    origin: { lat: config.centre[0], lng: config.centre[1], here: false },
    shown: PAGE,
    map: null,
    markers: {},
    hereMarker: null,
    sameAs: {}, // id of a second listing of a place -> the id shown for it
    detail: null // the facility whose card is open
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function haversine(lat1, lng1, lat2, lng2) {
    var rad = Math.PI / 180;
    var dphi = (lat2 - lat1) * rad;
    var dlmb = (lng2 - lng1) * rad;
    var a = Math.pow(Math.sin(dphi / 2), 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dlmb / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function distanceLabel(metres) {
    return metres < 1000 ? (Math.round(metres / 10) * 10) + " m" : (metres / 1000).toFixed(1) + " km";
  }

  function isWebUrl(url) { return /^https?:\/\//i.test(url || ""); }

  // --- data -------------------------------------------------------------------------------------

  function load() {
    var request = new XMLHttpRequest();
    request.open("GET", config.dataUrl);
    request.onload = function () {
      if (request.status !== 200) { return failed(); }
      var data;
      try { data = JSON.parse(request.responseText); } catch (e) { return failed(); }
      start(data);
    };
    request.onerror = failed;
    request.send();
  }

  function failed() {
    $("facility-count").textContent = text.loadFailed;
  }

  function start(data) {
    data.categories.forEach(function (c) {
      state.categories[c.key] = c;
      state.selected[c.key] = true;
    });
    state.facilities = data.features.map(function (f) {
      var p = f.properties;
      return {
        id: f.id, lat: f.geometry.coordinates[1], lng: f.geometry.coordinates[0],
        name: p.n, kana: p.k || "", category: p.c, address: p.a || "", phone: p.t || "", hours: p.h || "",
        url: p.u || "", capacity: p.cap, accessibility: p.acc || "", description: p.d || "",
        status: p.s || "", kinds: p.dk || []
      };
    });
    state.facilities = onePerPlace(state.facilities);
    if (data.disasterKind) {
      var banner = $("map-disaster");
      banner.textContent = format(text.disaster, { kind: config.kinds[data.disasterKind] });
      banner.hidden = false;
      // In a disaster residents look for a shelter they can go to now: closed ones only on request.
      state.openOnly = true;
      $("open-only").checked = true;
    }
    var sources = data.attributions.map(function (a) { return text.source + ": " + a; });
    $("map-source").textContent = sources.join(" / ");
    buildFilters(data.categories);
    buildMap();
    render();
    if (config.focus) { showDetail(byId(config.focus), true); }
    locateIfAllowed();
  }

  function byId(id) {
    id = state.sameAs[id] || id;
    for (var i = 0; i < state.facilities.length; i++) {
      if (state.facilities[i].id === id) { return state.facilities[i]; }
    }
    return null;
  }

  // Two listings name one place when the names match and they lie this close (cities' lists
  // differ in the last digits of the coordinates).
  var SAME_PLACE_METRES = 100;

  // A city lists many places twice (指定避難所 and 指定緊急避難場所): one entry per place, open if
  // either list has it open, a shelter if either is one, for every hazard either names.
  function onePerPlace(facilities) {
    var byName = {};
    return facilities.filter(function (f) {
      var name = f.name.replace(/[\s\u3000]/g, "");
      var kept = null;
      (byName[name] || []).forEach(function (other) {
        if (!kept && haversine(f.lat, f.lng, other.lat, other.lng) <= SAME_PLACE_METRES) { kept = other; }
      });
      if (!kept) { (byName[name] = byName[name] || []).push(f); return true; }
      state.sameAs[f.id] = kept.id;
      if (receiving(f) && !receiving(kept) || (!kept.status && f.status)) { kept.status = f.status; }
      if (!state.categories[kept.category].shelter && state.categories[f.category].shelter) {
        kept.category = f.category;
      }
      f.kinds.forEach(function (k) { if (kept.kinds.indexOf(k) < 0) { kept.kinds.push(k); } });
      return false;
    });
  }

  // --- filters ------------------------------------------------------------------------------------

  function buildFilters(categories) {
    var box = $("category-filters");
    categories.forEach(function (c) {
      var label = el("label", "fmap-chip");
      var input = el("input");
      input.type = "checkbox";
      input.checked = true;
      input.value = c.key;
      input.setAttribute("data-category", c.key);
      input.addEventListener("change", function () {
        state.selected[c.key] = input.checked;
        state.shown = PAGE;
        render();
      });
      var icon = el("span", "fmap-icon", c.icon);
      icon.style.background = c.colour;
      label.appendChild(input);
      label.appendChild(icon);
      label.appendChild(el("span", "fmap-chip-name", c.name));
      box.appendChild(label);
    });
    var openOnly = $("open-only");
    $("open-only-label").querySelector("span").textContent = text.openOnly;
    openOnly.addEventListener("change", function () {
      state.openOnly = openOnly.checked;
      state.shown = PAGE;
      render();
    });
    $("list-more").textContent = text.more;
    $("list-more").addEventListener("click", function () {
      state.shown += PAGE;
      render();
    });
  }

  // 混雑 (crowded) still takes residents: it counts as open, with its own label.
  function receiving(f) { return f.status === "open" || f.status === "crowded"; }

  function visible(f) {
    if (!state.selected[f.category]) { return false; }
    return !(state.openOnly && state.categories[f.category].shelter && !receiving(f));
  }

  // --- map (optional: the page works without tiles) ----------------------------------------------

  function buildMap() {
    if (!window.L) { return; }
    var map = L.map("facility-map", { zoomControl: true }).setView(config.centre, 13);
    var tiles = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 18 });
    var warned = false;
    tiles.on("tileerror", function () {
      if (warned) { return; }
      warned = true;
      var notice = $("map-notice");
      notice.textContent = text.tilesFailed;
      notice.hidden = false;
    });
    tiles.addTo(map);
    state.facilities.forEach(function (f) {
      var c = state.categories[f.category];
      var marker = L.marker([f.lat, f.lng], {
        title: f.name,
        icon: L.divIcon({
          className: "fmap-marker" + (f.status ? " fmap-marker-" + f.status : ""),
          html: "<span></span>",
          iconSize: [28, 28],
          iconAnchor: [14, 14]
        })
      });
      marker.on("add", function () {
        var span = marker.getElement().querySelector("span");
        span.textContent = c.icon;
        span.style.background = c.colour;
      });
      marker.on("click", function () { showDetail(f, false); });
      state.markers[f.id] = marker;
    });
    state.map = map;
  }

  function syncMarkers() {
    if (!state.map) { return; }
    state.facilities.forEach(function (f) {
      var marker = state.markers[f.id];
      var on = state.map.hasLayer(marker);
      if (visible(f) && !on) { marker.addTo(state.map); }
      if (!visible(f) && on) { state.map.removeLayer(marker); }
    });
  }

  // --- list ---------------------------------------------------------------------------------------

  function render() {
    var origin = state.origin;
    var items = state.facilities.filter(visible);
    items.forEach(function (f) { f.distance = haversine(origin.lat, origin.lng, f.lat, f.lng); });
    items.sort(function (a, b) { return a.distance - b.distance || a.id - b.id; });
    $("open-only-label").hidden = !Object.keys(state.categories).some(function (key) {
      return state.selected[key] && state.categories[key].shelter;
    });
    $("origin-label").textContent = origin.here ? text.fromHere : text.fromCentre;
    $("facility-count").textContent = items.length ? format(text.count, { n: items.length }) : text.none;
    var list = $("facility-list");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.slice(0, state.shown).forEach(function (f) { list.appendChild(listItem(f)); });
    $("list-more").hidden = items.length <= state.shown;
    syncMarkers();
    if (state.detail) { // its distance may have changed
      state.detail.distance = haversine(origin.lat, origin.lng, state.detail.lat, state.detail.lng);
      fillDetail(state.detail);
    }
  }

  function statusBadge(f) {
    return el("span", "fmap-status fmap-status-" + f.status, config.statuses[f.status]);
  }

  function listItem(f) {
    var c = state.categories[f.category];
    var li = el("li", "fmap-item");
    li.setAttribute("data-facility", f.id);
    li.setAttribute("data-category", f.category);
    var button = el("button", "fmap-item-button");
    button.type = "button";
    var icon = el("span", "fmap-icon", c.icon);
    icon.style.background = c.colour;
    var main = el("span", "fmap-item-main");
    main.appendChild(el("span", "fmap-item-name", f.name));
    var meta = el("span", "fmap-item-meta", c.name);
    if (f.status) { meta.appendChild(statusBadge(f)); }
    main.appendChild(meta);
    button.appendChild(icon);
    button.appendChild(main);
    button.appendChild(el("span", "fmap-item-distance", distanceLabel(f.distance)));
    button.addEventListener("click", function () { showDetail(f, true); });
    li.appendChild(button);
    return li;
  }

  // --- detail card --------------------------------------------------------------------------------

  function row(dl, label, value, href) {
    if (value === undefined || value === null || value === "") { return; }
    var wrap = el("div");
    wrap.appendChild(el("dt", null, label));
    var dd = el("dd");
    if (href) {
      var link = el("a", null, value);
      link.href = href;
      if (isWebUrl(href)) { link.target = "_blank"; link.rel = "noopener"; }
      dd.appendChild(link);
    } else {
      dd.textContent = value;
    }
    wrap.appendChild(dd);
    dl.appendChild(wrap);
  }

  function routeLink(label, href) {
    var link = el("a", "liff-button fmap-route", label);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  function showDetail(f, pan) {
    if (!f) { return; }
    var origin = state.origin;
    f.distance = haversine(origin.lat, origin.lng, f.lat, f.lng);
    state.detail = f;
    fillDetail(f);
    var card = $("facility-detail");
    if (state.map && pan) {
      state.map.setView([f.lat, f.lng], Math.max(state.map.getZoom(), 15));
    }
    if (card.scrollIntoView) { card.scrollIntoView({ block: "nearest" }); }
  }

  function fillDetail(f) {
    var c = state.categories[f.category];
    var card = $("facility-detail");
    while (card.firstChild) { card.removeChild(card.firstChild); }
    var title = el("h2", "liff-card-title", f.name);
    card.appendChild(title);
    var meta = el("p", "fmap-detail-meta", c.name);
    if (f.status) { meta.appendChild(statusBadge(f)); }
    meta.appendChild(el("span", "fmap-detail-distance", distanceLabel(f.distance)));
    card.appendChild(meta);
    var dl = el("dl", "liff-fields fmap-fields");
    row(dl, text.kinds, f.kinds.map(function (k) { return config.kinds[k]; }).join(text.listSeparator));
    row(dl, text.address, f.address);
    row(dl, text.phone, f.phone, f.phone ? "tel:" + f.phone.replace(/[^0-9+]/g, "") : null);
    row(dl, text.hours, f.hours);
    row(dl, text.capacity, f.capacity);
    row(dl, text.accessibility, f.accessibility);
    row(dl, text.description, f.description);
    if (isWebUrl(f.url)) { row(dl, text.website, f.url, f.url); }
    card.appendChild(dl);
    var destination = f.lat.toFixed(6) + "," + f.lng.toFixed(6);
    card.appendChild(routeLink(text.google,
      "https://www.google.com/maps/dir/?api=1&travelmode=walking&destination=" + destination));
    card.appendChild(routeLink(text.apple,
      "https://maps.apple.com/?dirflg=w&daddr=" + destination + "&q=" + encodeURIComponent(f.name)));
    var close = el("button", "liff-button liff-button-secondary", text.close);
    close.type = "button";
    close.addEventListener("click", function () {
      card.hidden = true;
      state.detail = null;
    });
    card.appendChild(close);
    card.setAttribute("data-facility", f.id);
    card.hidden = false;
  }

  // --- position -----------------------------------------------------------------------------------

  function useHere(position) {
    state.origin = { lat: position.coords.latitude, lng: position.coords.longitude, here: true };
    state.shown = PAGE;
    if (state.map) {
      if (state.hereMarker) { state.map.removeLayer(state.hereMarker); }
      state.hereMarker = L.circleMarker([state.origin.lat, state.origin.lng], {
        radius: 9, color: "#fff", weight: 3, fillColor: "#1a73e8", fillOpacity: 1
      }).addTo(state.map);
      if (state.detail) {
        // Keep the facility the resident came for in view, with where they are.
        state.map.fitBounds([[state.origin.lat, state.origin.lng], [state.detail.lat, state.detail.lng]],
          { padding: [40, 40], maxZoom: 16 });
      } else {
        state.map.setView([state.origin.lat, state.origin.lng], 15);
      }
    }
    render();
  }

  function locate() {
    if (!navigator.geolocation) { return noPosition(); }
    $("origin-label").textContent = text.locating;
    navigator.geolocation.getCurrentPosition(useHere, noPosition, { enableHighAccuracy: true, timeout: 15000 });
  }

  function noPosition() {
    var notice = $("map-notice");
    notice.textContent = text.noPosition;
    notice.hidden = false;
    render();
  }

  function locateIfAllowed() {
    // Ask without a tap only when the resident has already allowed it: no surprise prompt.
    if (!navigator.permissions || !navigator.permissions.query) { return; }
    navigator.permissions.query({ name: "geolocation" }).then(function (status) {
      if (status.state === "granted") { locate(); }
    }, function () {});
  }

  $("locate").addEventListener("click", locate);
  load();
})();
