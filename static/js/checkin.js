// engage, living labs, the check-in page: reads the QR code of a participant's ticket with the
// phone's camera and sends it as the ticket form would. The browser's BarcodeDetector is used
// where there is one; elsewhere jsQR (static/vendor, loaded only when needed). Without
// JavaScript, or without a camera, the typed code works the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin-scanner]");
  var form = document.getElementById("checkin-ticket-form");
  if (!box || !form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  box.hidden = false;
  var button = box.querySelector("[data-scan-toggle]");
  var statusLine = box.querySelector("[data-scan-status]");
  var video = box.querySelector("video");
  var input = form.querySelector("input[name=ticket]");
  var stream = null, detector = null, canvas = null, last = "", lastAt = 0, busy = false;

  function say(text) { statusLine.textContent = text || ""; }

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var script = document.createElement("script");
      script.src = box.getAttribute("data-vendor");
      script.onload = function () { resolve(); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function reader() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") === -1) { throw new Error("no qr"); }
        detector = new window.BarcodeDetector({formats: ["qr_code"]});
      }).catch(function () { detector = null; return loadJsQR(); });
    }
    return loadJsQR();
  }

  function found(value) {
    var now = Date.now();
    // The same ticket held in front of the camera is sent once, not at every frame.
    if (!value || busy || (value === last && now - lastAt < 4000)) { return; }
    last = value; lastAt = now; busy = true;
    input.value = value;
    if (window.htmx) {
      form.requestSubmit ? form.requestSubmit() : window.htmx.trigger(form, "submit");
    } else {
      stop();
      form.submit();
    }
    setTimeout(function () { busy = false; }, 1500);
  }

  function scan() {
    if (!stream) { return; }
    if (video.readyState >= 2) {
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (codes.length) { found(codes[0].rawValue); }
        }).catch(function () {});
      } else if (window.jsQR) {
        canvas = canvas || document.createElement("canvas");
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        var context = canvas.getContext("2d", {willReadFrequently: true});
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
        if (code && code.data) { found(code.data); }
      }
    }
    setTimeout(scan, 250);
  }

  function start() {
    reader().then(function () {
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      video.play();
      button.textContent = box.getAttribute("data-msg-stop");
      button.setAttribute("aria-pressed", "true");
      say("");
      scan();
    }).catch(function (error) {
      say(error && error.name === "NotAllowedError" ? box.getAttribute("data-msg-denied")
        : (error && error.name ? box.getAttribute("data-msg-denied") : box.getAttribute("data-msg-unsupported")));
      stop();
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    video.srcObject = null;
    button.textContent = box.getAttribute("data-msg-start");
    button.setAttribute("aria-pressed", "false");
  }

  button.addEventListener("click", function () { if (stream) { stop(); } else { start(); } });
  // After an answer, the code box is emptied for the next person (and keeps the focus when
  // the code was typed).
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt === form && event.detail.successful) { input.value = ""; }
  });
  window.addEventListener("pagehide", stop);
}());
