// engage: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Confirm destructive actions marked with data-confirm (the server still decides).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  // Move focus to the first field in error after a server-side validation round trip.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  });
})();

// Maps (Leaflet, loaded only on pages that have one). Without JavaScript the coordinates are
// plain fields and the ideas are a list, so these only add the map.
(function () {
  "use strict";
  var ROMANIA = [45.94, 24.97];
  function tiles(map, el) {
    window.L.tileLayer(el.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: el.getAttribute("data-attribution") || ""
    }).addTo(map);
  }
  function picker(el) {
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    if (!lat || !lon) { return; }
    el.hidden = false;
    var start = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : null;
    var centre = (el.getAttribute("data-centre") || "").split(",").map(parseFloat);
    var view = start || (centre.length === 2 && !isNaN(centre[0]) ? centre : null);
    var map = window.L.map(el).setView(view || ROMANIA, start ? 15 : (view ? 13 : 6));
    tiles(map, el);
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = window.L.circleMarker(latlng, {radius: 9}).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
    if (start) { place(window.L.latLng(start[0], start[1])); }
    map.on("click", function (event) { place(event.latlng); });
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "link-button";
    clear.textContent = el.getAttribute("data-clear-label");
    clear.addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = ""; lon.value = "";
    });
    el.insertAdjacentElement("afterend", clear);
    if (navigator.geolocation) {
      var locate = document.createElement("button");
      locate.type = "button";
      locate.className = "link-button";
      locate.textContent = el.getAttribute("data-locate-label");
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          var here = window.L.latLng(position.coords.latitude, position.coords.longitude);
          place(here);
          map.setView(here, 16);
        });
      });
      el.insertAdjacentElement("afterend", locate);
    }
  }
  function ideaMap(el) {
    el.hidden = false;
    var map = window.L.map(el, {preferCanvas: true}).setView(ROMANIA, 6);
    tiles(map, el);
    var label = el.getAttribute("data-supports-label") || "";
    fetch(el.getAttribute("data-geojson"), {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = window.L.geoJSON(data, {
          pointToLayer: function (feature, latlng) { return window.L.circleMarker(latlng, {radius: 7}); },
          onEachFeature: function (feature, marker) {
            var link = document.createElement("a");
            link.href = feature.properties.url;
            link.textContent = feature.properties.title;
            var box = document.createElement("div");
            box.appendChild(link);
            box.appendChild(document.createTextNode(" (" + feature.properties.supports + " " + label + ")"));
            marker.bindPopup(box);
          }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), {maxZoom: 16, padding: [20, 20]}); }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.L) { return; }
    var el = document.querySelector("[data-map-picker]");
    if (el) { picker(el); }
    el = document.querySelector("[data-idea-map]");
    if (el) { ideaMap(el); }
  });
})();
