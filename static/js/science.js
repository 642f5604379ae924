// Citizen science on a phone: the location (the phone's, a tap on the map, or typed), and an
// offline queue. Without this file the capture page is a plain form that works the same.
//
// Offline: a submitted observation that cannot reach the server is kept in IndexedDB (its
// fields and photo Blobs, under the client id made here) and sent when the connection returns
// or a page using this file opens; the server stores a client id once, so a resend is harmless.
// A fresh CSRF token is fetched just before sending: the one in a page kept offline may be old.
(function () {
  "use strict";
  var DB_NAME = "engage-science", STORE = "queue";
  var queueBox = null, sending = false;

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // ------------------------------------------------------------ IndexedDB
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "id"}); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        var request = work(tx.objectStore(STORE));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function queued() { return withStore("readonly", function (s) { return s.getAll(); }).then(function (r) { return r || []; }); }
  function keep(item) { return withStore("readwrite", function (s) { return s.put(item); }); }
  function drop(id) { return withStore("readwrite", function (s) { return s["delete"](id); }); }

  // ------------------------------------------------------------ the status line
  function say(text) {
    if (!queueBox) { return; }
    queueBox.querySelector(".queue-text").textContent = text || "";
  }
  function waitingText(n) {
    var form = "other";
    try { form = new Intl.PluralRules(document.documentElement.lang || "ro").select(n); } catch (e) { /* old browser */ }
    var text = queueBox.getAttribute("data-" + form) || queueBox.getAttribute("data-other") || "";
    return text.replace("{n}", String(n));
  }
  function showCount(extra) {
    if (!queueBox) { return Promise.resolve(0); }
    return queued().then(function (items) {
      var parts = [];
      if (extra) { parts.push(extra); }
      if (items.length) { parts.push(waitingText(items.length)); }
      say(parts.join(" "));
      return items.length;
    }, function () { say(extra || ""); return 0; });
  }

  // ------------------------------------------------------------ sending
  function freshToken() {
    return fetch(queueBox.getAttribute("data-csrf-url"), {credentials: "same-origin", cache: "no-store",
                                                          headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error("token " + r.status); } return r.json(); })
      .then(function (data) { return data.csrf_token; });
  }
  function post(url, body, token) {
    body.set("csrf_token", token);
    return fetch(url, {method: "POST", body: body, credentials: "same-origin", cache: "no-store",
                       headers: {Accept: "application/json", "X-CSRFToken": token}});
  }
  function bodyOf(item) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    item.files.forEach(function (file) { body.append(file.name, file.blob, file.filename || "photo.jpg"); });
    return body;
  }
  function errorsText(data) {
    if (data && data.errors) { return Object.keys(data.errors).map(function (k) { return data.errors[k]; }).join(" "); }
    return (data && data.message) || "";
  }
  // Send every queued observation, oldest first; stop at the first one the network or the
  // session does not let through (it stays queued for the next try).
  function flush() {
    if (!queueBox || sending || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    var sent = 0, notes = [];
    return queued().then(function (items) {
      if (!items.length) { sending = false; return "idle"; }
      items.sort(function (a, b) { return a.created - b.created; });
      say(queueBox.getAttribute("data-sending"));
      return freshToken().then(function (token) {
        var chain = Promise.resolve(true);
        items.forEach(function (item) {
          chain = chain.then(function (go) {
            if (!go) { return false; }
            return post(item.url, bodyOf(item), token).then(function (response) {
              if (response.status === 200 || response.status === 201) { sent += 1; return drop(item.id).then(function () { return true; }); }
              if (response.status === 401) { notes.push(queueBox.getAttribute("data-login")); return false; }
              if (response.status === 422 || response.status === 409 || response.status === 404) {
                // Refused for good: tell the citizen why, and do not send it again.
                return response.json().catch(function () { return {}; }).then(function (data) {
                  notes.push(queueBox.getAttribute("data-refused") + " " + errorsText(data));
                  return drop(item.id).then(function () { return true; });
                });
              }
              return false;  // CSRF, rate limit, server error: try again later
            });
          });
        });
        return chain;
      });
    }).catch(function () { return null; }).then(function (state) {
      if (state === "idle") { return; }
      sending = false;
      if (sent) { notes.unshift(queueBox.getAttribute("data-sent")); }
      return showCount(notes.join(" ")).then(function (left) {
        if (sent && !left && queueBox.hasAttribute("data-reload-after-sync")) {
          window.location.reload();
        }
      });
    });
  }

  // ------------------------------------------------------------ the capture form
  function localNow() {
    var now = new Date(), pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) + "T" + pad(now.getHours()) + ":" + pad(now.getMinutes());
  }
  function queueForm(form, note) {
    var item = {id: form.elements.client_id.value, url: window.location.pathname, created: Date.now(), fields: [], files: []};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf_token") { return; }
      if (typeof value === "string") { item.fields.push([name, value]); }
      else if (value && value.size) { item.files.push({name: name, blob: value, filename: value.name}); }
    });
    return keep(item).then(function () {
      form.reset();
      form.elements.client_id.value = newId();
      if (form.elements.observed_at) { form.elements.observed_at.value = localNow(); }
      document.dispatchEvent(new CustomEvent("science:cleared"));
      window.scrollTo(0, 0);
      return showCount(note || queueBox.getAttribute("data-queued"));
    });
  }
  function capture(form) {
    // A page kept by the service worker carries the client id and the time it was first
    // served with.
    form.elements.client_id.value = newId();
    var moment = form.elements.observed_at;
    if (moment && moment.hasAttribute("data-default-now")) { moment.value = localNow(); }
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.indexedDB) { return; }  // the plain form
      event.preventDefault();
      if (!navigator.onLine) { queueForm(form); return; }
      var body = new FormData(form);
      freshToken().then(function (token) {
        return post(window.location.pathname, body, token).then(function (response) {
          if (response.status === 200 || response.status === 201) {
            try { window.sessionStorage.setItem("science-saved", "1"); } catch (e) { /* private mode */ }
            window.location.assign(form.getAttribute("data-mine-url"));
            return;
          }
          // A lost session: keep the observation on the phone (sent after logging in again)
          // rather than losing what was typed and photographed to the log-in redirect.
          if (response.status === 401) { return queueForm(form, queueBox.getAttribute("data-login")); }
          // Errors in the fields, a closed campaign: the plain form shows them.
          form.submit();
        });
      }, function () { return queueForm(form); }).catch(function () { return queueForm(form); });
    });
  }

  // ------------------------------------------------------------ location
  function locationPicker(form) {
    var lat = form.elements.lat, lon = form.elements.lon;
    var accuracy = form.elements.accuracy, source = form.elements.location_source;
    var note = document.getElementById("location-accuracy");
    var mapEl = document.querySelector("[data-observation-map]");
    var map = null, marker = null, circle = null;
    function tell(key, metres) {
      if (!note) { return; }
      var text = note.getAttribute("data-" + key) || "";
      var wanted = parseFloat(note.getAttribute("data-min-accuracy"));
      if (key === "accuracy") {
        text = text.replace("{m}", String(Math.round(metres)));
        if (!isNaN(wanted) && metres > wanted) { text += " " + note.getAttribute("data-too-coarse"); }
      }
      note.textContent = text;
    }
    function show(latValue, lonValue, metres) {
      if (!map) { return; }
      var here = window.L.latLng(latValue, lonValue);
      if (marker) { marker.setLatLng(here); } else { marker = window.L.circleMarker(here, {radius: 9}).addTo(map); }
      if (circle) { map.removeLayer(circle); circle = null; }
      if (metres) { circle = window.L.circle(here, {radius: metres, weight: 1}).addTo(map); }
      map.setView(here, Math.max(map.getZoom(), 16));
    }
    function set(latValue, lonValue, how, metres) {
      lat.value = latValue.toFixed(6);
      lon.value = lonValue.toFixed(6);
      accuracy.value = metres ? String(Math.round(metres)) : "";
      source.value = how;
      show(latValue, lonValue, metres);
    }
    if (mapEl && window.L) {
      mapEl.hidden = false;
      var centre = (mapEl.getAttribute("data-centre") || "").split(",").map(parseFloat);
      map = window.L.map(mapEl).setView(centre.length === 2 && !isNaN(centre[0]) ? centre : [45.94, 24.97], centre.length === 2 ? 13 : 6);
      window.L.tileLayer(mapEl.getAttribute("data-tiles"), {maxZoom: 19, attribution: mapEl.getAttribute("data-attribution") || ""}).addTo(map);
      var area = mapEl.getAttribute("data-area");
      if (area) {
        try { window.L.geoJSON(JSON.parse(area), {style: {weight: 2, fill: false}}).addTo(map); } catch (e) { /* no outline */ }
      }
      map.on("click", function (event) { set(event.latlng.lat, event.latlng.lng, "map", 0); tell("map"); });
      if (lat.value && lon.value && !isNaN(parseFloat(lat.value))) { show(parseFloat(lat.value), parseFloat(lon.value), parseFloat(accuracy.value) || 0); }
    }
    function typed() {
      source.value = "typed";
      accuracy.value = "";
      var a = parseFloat(lat.value.replace(",", ".")), b = parseFloat(lon.value.replace(",", "."));
      if (!isNaN(a) && !isNaN(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) { show(a, b, 0); }
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    var button = document.getElementById("use-location");
    if (button && navigator.geolocation) {
      button.parentNode.hidden = false;
      button.addEventListener("click", function () {
        tell("locating");
        navigator.geolocation.getCurrentPosition(function (position) {
          set(position.coords.latitude, position.coords.longitude, "gps", position.coords.accuracy);
          tell("accuracy", position.coords.accuracy);
        }, function () { tell("denied"); }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
      });
    }
    document.addEventListener("science:cleared", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      if (circle) { map.removeLayer(circle); circle = null; }
      if (note) { note.textContent = ""; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    queueBox = document.getElementById("science-queue");
    var form = document.querySelector("[data-science-capture]");
    if (form) { capture(form); locationPicker(form); }
    if (!queueBox) { return; }
    var saved = null;
    try { saved = window.sessionStorage.getItem("science-saved"); window.sessionStorage.removeItem("science-saved"); } catch (e) { /* private mode */ }
    showCount(saved ? queueBox.getAttribute("data-saved") : "").then(flush);
    window.addEventListener("online", flush);
    var worker = queueBox.getAttribute("data-sw");
    if (worker && navigator.serviceWorker) {
      navigator.serviceWorker.register(worker, {scope: "/"}).catch(function () { /* offline use only */ });
    }
  });
})();
