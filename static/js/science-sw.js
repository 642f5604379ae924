// The citizen-science service worker: keeps the capture pages ("…/observe") and "my
// observations" pages, and the static files they need, so that the capture page still opens in
// a park with no signal. Pages: network first, the kept copy when offline. Static files: the
// kept copy, refreshed from the network in the background. Nothing else is touched: every
// other request (other pages, POSTs, the JSON sync, photos, other hosts) goes to the network.
"use strict";

var CACHE = "engage-science-v3";
var ASSETS = [
  "/static/css/engage.css",
  "/static/js/engage.js",
  "/static/js/science.js",
  "/static/vendor/htmx.min.js",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/favicon.svg"
];
var PAGES = /^\/[^/]+\/p\/[^/]+\/(observe|observations\/mine)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // One missing file must not stop the others from being kept.
    return Promise.all(ASSETS.map(function (url) {
      return cache.add(new Request(url, {cache: "reload"})).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("engage-science-") === 0 && name !== CACHE;
    }).map(function (name) { return caches["delete"](name); }));
  }).then(function () { return self.clients.claim(); }));
});

function pageFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request.url.split("?")[0], copy); });
    }
    return response;
  }, function () {
    return caches.match(request.url.split("?")[0]).then(function (kept) {
      return kept || Response.error();
    });
  });
}

function assetKept(request) {
  var url = new URL(request.url);
  var key = url.origin + url.pathname;
  return caches.open(CACHE).then(function (cache) {
    return cache.match(key).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(key, response.clone()); }
        return response;
      });
      if (kept) {
        fresh.catch(function () { return null; });
        return kept;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && PAGES.test(url.pathname)) {
    event.respondWith(pageFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0 && ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(assetKept(request));
  }
});
