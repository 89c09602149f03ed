// /verify: read a sharing QR code with the device's camera, where the
// browser offers both getUserMedia and the BarcodeDetector API with QR
// codes; otherwise the camera button stays hidden and the verifier pastes
// the text. The decoded text goes into the form's #token field; the
// verifier then presses Check (after typing their challenge code, if any).
// No library and no network: the browser decodes.
(function () {
  "use strict";
  var btn = document.getElementById("verify-scan");
  var video = document.getElementById("verify-video");
  var status = document.getElementById("verify-scan-status");
  var field = document.getElementById("token");
  if (!btn || !video || !field) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var stream = null, timer = null, detector = null;
  function say(text) {
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    btn.textContent = btn.dataset.start;
  }
  function found(text) {
    stop();
    field.value = text;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    say(btn.dataset.done);
    var submit = document.getElementById("verify-submit");
    if (submit) submit.focus();
  }
  function scan() {
    if (!stream || video.readyState < 2) return;
    detector.detect(video).then(function (codes) {
      for (var i = 0; i < codes.length; i++) {
        if (codes[i].rawValue) { found(codes[i].rawValue); return; }
      }
    }).catch(function () { /* a frame that failed: try the next */ });
  }
  function start() {
    say("");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      btn.textContent = btn.dataset.stop;
      return video.play();
    }).then(function () {
      timer = setInterval(scan, 250);
    }).catch(function () {
      stop();
      say(btn.dataset.error);
    });
  }
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") < 0) return;
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    btn.dataset.start = btn.textContent;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      if (stream) stop(); else start();
    });
  }).catch(function () { /* no detector: paste only */ });
})();
