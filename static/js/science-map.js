// engage: the citizen-science map (Leaflet from static/vendor). Without JavaScript the page
// keeps its filter form and the list of observations; this only adds the map.
//
// On every move (debounced) it asks map.geojson for the visible box at the map's zoom, with
// the page's filters (the query string), and draws what comes back: grid cells as circles
// sized by their count and labelled with it (a click zooms in), single observations as small
// markers whose popup is the server's fragment (map/observations/<id>). Answers are kept per
// URL for the page's life, so panning back costs nothing; the server adds ETags for the rest.
(function () {
  "use strict";
  var ROMANIA = [45.94, 24.97];
  var DELAY = 250;
  // The legend's colours (static/css/engage.css, .science-dot-*).
  var COLOURS = {accepted: "#0b6e4f", pending: "#e0a23b", needs_checking: "#8a4b00", rejected: "#9b1c1c"};

  function round(value) { return Math.round(value * 1e5) / 1e5; }

  function scienceMap(el) {
    var L = window.L;
    el.hidden = false;
    var status = document.getElementById("science-map-status");
    var map = L.map(el, {preferCanvas: true});
    L.tileLayer(el.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: el.getAttribute("data-attribution") || ""
    }).addTo(map);
    var bounds = (el.getAttribute("data-bounds") || "").split(",").map(parseFloat);
    if (bounds.length === 4 && !isNaN(bounds[0])) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], {maxZoom: 16});
    } else {
      map.setView(ROMANIA, 6);
    }
    var layer = L.layerGroup().addTo(map);
    var base = el.getAttribute("data-geojson");
    var query = el.getAttribute("data-query") || "";
    var popupBase = el.getAttribute("data-popup-base");
    var countLabel = el.getAttribute("data-count-label") || "";
    var cache = {};
    var timer = null;
    var latest = 0;

    function say(text) { if (status) { status.textContent = text; } }

    // A point's popup: the server's fragment of its observation. Observations at the same
    // public position (rounded to the campaign's precision) share one marker, whose popup
    // steps through them ("2 / 5").
    function popup(marker, ids) {
      var index = 0;
      marker.bindPopup(el.getAttribute("data-loading-label") || "…", {maxWidth: 260});
      function show() {
        fetch(popupBase + encodeURIComponent(ids[index]), {
          credentials: "same-origin", headers: {"HX-Request": "true"}
        }).then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        }).then(function (html) {
          // The fragment is rendered and escaped by the server (never user HTML).
          var box = document.createElement("div");
          box.innerHTML = html;
          if (ids.length > 1) {
            var nav = document.createElement("p");
            nav.className = "science-popup-nav";
            var previous = document.createElement("button");
            previous.type = "button";
            previous.className = "link-button";
            previous.textContent = "‹ " + (el.getAttribute("data-previous-label") || "");
            previous.disabled = index === 0;
            previous.addEventListener("click", function () { index -= 1; show(); });
            var next = document.createElement("button");
            next.type = "button";
            next.className = "link-button";
            next.textContent = (el.getAttribute("data-next-label") || "") + " ›";
            next.disabled = index === ids.length - 1;
            next.addEventListener("click", function () { index += 1; show(); });
            var where = document.createElement("span");
            where.textContent = " " + (index + 1) + " / " + ids.length + " ";
            nav.appendChild(previous);
            nav.appendChild(where);
            nav.appendChild(next);
            box.insertBefore(nav, box.firstChild);
          }
          marker.setPopupContent(box);
        }).catch(function () {
          marker.setPopupContent(el.getAttribute("data-error-label") || "");
        });
      }
      marker.on("popupopen", show);
    }

    function radius(count) { return Math.min(28, 9 + 4 * Math.log(count + 1)); }

    function draw(data) {
      layer.clearLayers();
      var places = {};
      (data.features || []).forEach(function (feature) {
        var c = feature.geometry.coordinates;  // [lon, lat]
        var latlng = L.latLng(c[1], c[0]);
        var p = feature.properties || {};
        if (p.count && p.count > 1) {
          var size = radius(p.count) * 2;
          var cluster = L.marker(latlng, {
            icon: L.divIcon({
              className: "science-cluster",
              html: "<span>" + String(Number(p.count)) + "</span>",
              iconSize: [size, size]
            }),
            title: p.count + " " + countLabel,
            keyboard: true
          });
          cluster.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, 19)); });
          cluster.addTo(layer);
        } else if (p.id) {
          var key = c[1] + "," + c[0];
          if (!places[key]) { places[key] = {latlng: latlng, ids: [], state: p.status || "accepted"}; }
          places[key].ids.push(p.id);
        }
      });
      Object.keys(places).forEach(function (key) {
        var place = places[key];
        // Drawn on the canvas (preferCanvas), so the colours are options, not CSS.
        var marker = L.circleMarker(place.latlng, {
          radius: place.ids.length > 1 ? 9 : 7, color: "#fff", weight: 2,
          fillColor: COLOURS[place.state] || COLOURS.accepted, fillOpacity: 0.9
        });
        popup(marker, place.ids);
        marker.addTo(layer);
      });
      var total = (data.properties && data.properties.total) || 0;
      say(total + " " + countLabel);
    }

    function load() {
      var b = map.getBounds();
      var box = [round(b.getSouth()), round(b.getWest()), round(b.getNorth()), round(b.getEast())];
      var url = base + "?bbox=" + box.join(",") + "&zoom=" + map.getZoom() + (query ? "&" + query : "");
      if (cache[url]) { draw(cache[url]); return; }
      var ticket = ++latest;
      fetch(url, {credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (data) {
          cache[url] = data;
          if (ticket === latest) { draw(data); }
        })
        .catch(function () { say(el.getAttribute("data-error-label") || ""); });
    }

    map.on("moveend", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, DELAY);
    });
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-science-map]");
    if (el && window.L) { scienceMap(el); }
  });
})();
