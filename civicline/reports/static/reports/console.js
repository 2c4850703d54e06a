/*
 * Maps of the reports console (plain ES5, Leaflet from the facilities app's vendored copy):
 * the inbox's markers, a report's location, and drawing an area's boundary by clicking vertices.
 * Without map tiles (offline city networks) markers and drawing still work on a grey map.
 */
(function () {
  "use strict";

  var holder = document.getElementById("report-map");
  if (!holder || !window.L) { return; }
  var config = JSON.parse(document.getElementById("report-map-config").textContent);

  var map = L.map(holder).setView(config.centre, 13);
  var tiles = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 18 });
  tiles.on("tileerror", function () {
    var notice = document.getElementById("map-notice");
    if (notice) { notice.hidden = false; }
  });
  tiles.addTo(map);

  function icon(status) {
    return L.divIcon({ className: "", html: '<div class="ph-marker ph-marker-' + status + '"></div>', iconSize: [18, 18] });
  }

  var points = config.points || [];
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.marker([p.lat, p.lng], { icon: icon(p.status), title: p.number || "" }).addTo(map);
    if (p.url) {
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.number + " " + p.category + "（" + p.statusLabel + "）";
      marker.bindPopup(link);
    }
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 16); }
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 }); }

  // Drawing an area: each click adds a vertex; the textarea holds the GeoJSON Polygon.
  var target = holder.getAttribute("data-draw-into");
  if (!target) { return; }
  var field = document.getElementById(target);
  var vertices = [];
  var shape = null;

  function redraw() {
    if (shape) { map.removeLayer(shape); }
    shape = vertices.length ? L.polygon(vertices).addTo(map) : null;
    if (vertices.length >= 3) {
      var ring = vertices.map(function (v) { return [Number(v[1].toFixed(6)), Number(v[0].toFixed(6))]; });
      ring.push(ring[0]);
      field.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    }
  }

  try {
    var existing = JSON.parse(field.value || "null");
    if (existing && existing.type === "Polygon") {
      vertices = existing.coordinates[0].slice(0, -1).map(function (c) { return [c[1], c[0]]; });
      redraw();
      if (shape) { map.fitBounds(shape.getBounds(), { padding: [24, 24] }); }
    }
  } catch (e) { /* pasted text that is not JSON yet: the server says what is wrong */ }

  map.on("click", function (event) {
    vertices.push([event.latlng.lat, event.latlng.lng]);
    redraw();
  });
  document.getElementById("draw-reset").addEventListener("click", function () {
    vertices = [];
    field.value = "";
    redraw();
  });
})();
