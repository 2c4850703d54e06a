/*
 * The resident's report form (PH-1, PH-2). Plain ES5, no framework.
 *
 * Photos are sent one by one as soon as they are chosen, so a refused or interrupted photo costs
 * only itself (retry or remove it); the server keeps the others for the report. Previews are the
 * phone's own files: photos are never served back from the server. The place comes from a tap
 * on the map, the phone's position or a photo's position — whichever the resident picks.
 * Without this script the form still posts its files and fields.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("report-form-config").textContent);
  var text = config.text;
  var form = document.getElementById("report-form");
  var list = document.getElementById("photo-list");
  var input = document.getElementById("id_photos");
  var uploading = 0;
  var photoLocations = {}; // photo id -> [lat, lng] from its EXIF, offered only on request
  var map = null;
  var marker = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function csrfToken() {
    return form.elements.csrfmiddlewaretoken.value;
  }

  function post(url, data, done) {
    var request = new XMLHttpRequest();
    request.open("POST", url, true);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      if (!answer) {
        // The sign-in page instead of JSON: the resident session ended.
        return done(false, request.status === 401 ? text.session : text.failed);
      }
      done(answer.ok, answer.ok ? answer : answer.error);
    };
    request.onerror = function () { done(false, text.failed); };
    request.send(data);
  }

  // --- photos -----------------------------------------------------------------------------------

  function tiles() { return list.querySelectorAll(".ph-photo"); }

  function refreshPhotoButtons() {
    var full = tiles().length >= config.maxPhotos;
    $("photo-pick").hidden = full;
    var any = false;
    for (var id in photoLocations) {
      if (photoLocations.hasOwnProperty(id) && photoLocations[id]) { any = true; }
    }
    $("use-photo").hidden = !any;
  }

  function removeButton(tile, photoId) {
    var button = el("button", "ph-photo-remove", "×");
    button.type = "button";
    button.setAttribute("aria-label", text.remove);
    button.addEventListener("click", function () {
      if (photoId) {
        var data = new FormData();
        data.append("id", photoId);
        post(config.discardUrl, data, function () {});
        delete photoLocations[photoId];
      }
      list.removeChild(tile);
      refreshPhotoButtons();
    });
    tile.appendChild(button);
  }

  function markStored(tile, photoId, location) {
    tile.setAttribute("data-photo-id", photoId);
    var hidden = el("input");
    hidden.type = "hidden";
    hidden.name = "photo";
    hidden.value = photoId;
    tile.appendChild(hidden);
    photoLocations[photoId] = location || null;
    removeButton(tile, photoId);
  }

  function failTile(tile, file, message) {
    tile.className = "ph-photo ph-photo-failed";
    tile.querySelector(".ph-photo-state").textContent = message;
    removeButton(tile, null);
    if (file && message !== text.tooLarge) {
      var retry = el("button", "ph-photo-retry", text.retry);
      retry.type = "button";
      retry.addEventListener("click", function () {
        tile.parentNode.removeChild(tile);
        addFile(file);
      });
      tile.appendChild(retry);
    }
    refreshPhotoButtons();
  }

  function addFile(file) {
    var tile = el("li", "ph-photo");
    tile.setAttribute("data-testid", "photo-tile");
    var preview = el("img");
    preview.alt = file.name;
    preview.onerror = function () {
      // HEIC and other files the browser cannot show: a label instead of a broken image.
      tile.replaceChild(el("span", "ph-photo-label", file.name), preview);
    };
    if (window.URL && URL.createObjectURL) { preview.src = URL.createObjectURL(file); }
    tile.appendChild(preview);
    var state = el("span", "ph-photo-state", text.uploading);
    tile.appendChild(state);
    list.appendChild(tile);
    refreshPhotoButtons();
    if (file.size > config.maxBytes) {
      return failTile(tile, file, text.tooLarge);
    }
    var data = new FormData();
    data.append("photo", file, file.name);
    uploading += 1;
    post(config.uploadUrl, data, function (ok, answer) {
      uploading -= 1;
      $("upload-wait").hidden = uploading === 0;
      if (!ok) { return failTile(tile, file, answer); }
      tile.removeChild(state);
      markStored(tile, answer.id, answer.location);
      refreshPhotoButtons();
    });
  }

  function onFilesChosen() {
    var files = Array.prototype.slice.call(input.files || []);
    var room = config.maxPhotos - tiles().length;
    files.slice(0, Math.max(room, 0)).forEach(addFile);
    if (files.length > room) { window.alert(text.tooMany); }
    input.value = ""; // sent already: the form must not post them a second time
  }

  function startPhotos() {
    input.className += " ph-enhanced";
    input.addEventListener("change", onFilesChosen);
    config.pending.forEach(function (photo) {
      var tile = list.querySelector('[data-photo-id="' + photo.id + '"]');
      if (!tile) { return; }
      photoLocations[photo.id] = photo.location || null;
      removeButton(tile, photo.id);
    });
    refreshPhotoButtons();
  }

  // --- place ------------------------------------------------------------------------------------

  function setPlace(lat, lng, source) {
    form.elements.latitude.value = Number(lat).toFixed(6);
    form.elements.longitude.value = Number(lng).toFixed(6);
    form.elements.location_source.value = source;
    $("located").textContent = text.located[source] || "";
    if (map) {
      if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.marker([lat, lng]).addTo(map); }
      map.setView([lat, lng], Math.max(map.getZoom(), 16));
    }
  }

  function startMap() {
    if (!window.L) { return; }
    map = L.map("report-map", { zoomControl: true }).setView(config.centre, 14);
    var layer = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 18 });
    layer.on("tileerror", function () {
      var notice = $("map-notice");
      notice.textContent = text.tilesFailed;
      notice.hidden = false;
    });
    layer.addTo(map);
    map.on("click", function (event) { setPlace(event.latlng.lat, event.latlng.lng, "pin"); });
  }

  function useDevice() {
    if (!navigator.geolocation) { $("located").textContent = text.noPosition; return; }
    navigator.geolocation.getCurrentPosition(
      function (position) { setPlace(position.coords.latitude, position.coords.longitude, "device"); },
      function () { $("located").textContent = text.noPosition; },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  }

  function usePhoto() {
    var tilesNow = tiles();
    for (var i = 0; i < tilesNow.length; i++) {
      var location = photoLocations[tilesNow[i].getAttribute("data-photo-id")];
      if (location) { return setPlace(location[0], location[1], "photo"); }
    }
  }

  // --- submit -----------------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    if (uploading > 0) {
      event.preventDefault();
      $("upload-wait").hidden = false;
      return;
    }
    $("report-submit").disabled = true; // one report per tap
  });

  startPhotos();
  startMap();
  $("use-device").addEventListener("click", useDevice);
  $("use-photo").addEventListener("click", usePhoto);
  if (config.initial) { setPlace(config.initial.lat, config.initial.lng, config.initial.source); }
}());
