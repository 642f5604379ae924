// engage, citizen science, organisers' settings page: draws the campaign's area on a small map
// and redraws it as the organiser types a box or pastes GeoJSON. Without JavaScript the area is
// a plain text box; the server parses and checks it either way.
(function () {
  "use strict";
  function polygonOf(text) {
    text = (text || "").trim();
    if (!text) { return null; }
    if (text.charAt(0) === "{") {
      try {
        var data = JSON.parse(text);
        if (data.type === "FeatureCollection" && data.features && data.features.length === 1) { data = data.features[0]; }
        if (data.type === "Feature") { data = data.geometry; }
        return data && data.type === "Polygon" ? data : null;
      } catch (error) { return null; }
    }
    var parts = text.replace(/;/g, ",").replace(/,/g, " ").split(/\s+/).filter(Boolean).map(Number);
    if (parts.length !== 4 || parts.some(isNaN)) { return null; }
    var s = parts[0], w = parts[1], n = parts[2], e = parts[3];
    return {type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]]};
  }
  function areaMap(el) {
    var text = document.getElementById(el.getAttribute("data-text-id"));
    if (!text) { return; }
    el.hidden = false;
    var map = window.L.map(el).setView([45.94, 24.97], 6);
    window.L.tileLayer(el.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: el.getAttribute("data-attribution") || ""
    }).addTo(map);
    var layer = null;
    function draw() {
      var polygon = polygonOf(text.value);
      if (layer) { map.removeLayer(layer); layer = null; }
      if (!polygon) { return; }
      try {
        layer = window.L.geoJSON(polygon, {style: {weight: 2, fillOpacity: 0.1}}).addTo(map);
        map.fitBounds(layer.getBounds(), {padding: [10, 10]});
      } catch (error) { layer = null; }
    }
    draw();
    var timer = null;
    text.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(draw, 400);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.L) { return; }
    var el = document.querySelector("[data-area-map]");
    if (el) { areaMap(el); }
  });
})();
