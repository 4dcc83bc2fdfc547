/* Rotating QR code for the room's screen (templates/sessions/signing/qr.html).
 *
 * The token in the QR code changes every SUIVI_QR_ROTATION_SECONDS. This script counts
 * down, then fetches the new SVG from data-image-url; the server's answer says which URL
 * the code encodes (X-Qr-Url) and how long before the next change (X-Qr-Seconds-Left),
 * so the countdown follows the server's clock, not the screen's.
 */
(function () {
  "use strict";

  var RETRY_SECONDS = 5;

  function QrRotator(root) {
    this.root = root;
    this.image = root.querySelector("[data-qr-image]");
    this.urlLink = root.querySelector("[data-qr-url]");
    this.progress = root.querySelector("[data-qr-progress]");
    this.countdown = root.querySelector("[data-qr-countdown]");
    this.errorBox = root.querySelector("[data-qr-error]");
    this.statusBox = root.querySelector("[data-qr-status]");
    this.imageUrl = root.getAttribute("data-image-url");
    this.rotation = parseInt(root.getAttribute("data-rotation-seconds"), 10) || 60;
    this.deadline = Date.now() + (parseInt(root.getAttribute("data-seconds-left"), 10) || 0) * 1000;
    this.loading = false;
    this.stopped = false;
    this.render();
    var self = this;
    this.timer = window.setInterval(function () { self.tick(); }, 1000);
    document.addEventListener("visibilitychange", function () {
      // Timers sleep in a hidden tab: catch up at once when the screen comes back.
      if (document.visibilityState === "visible") self.refresh();
    });
    keepScreenOn();
  }

  QrRotator.prototype.text = function (name) {
    return this.root.getAttribute("data-" + name) || "";
  };

  QrRotator.prototype.secondsLeft = function () {
    return Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
  };

  QrRotator.prototype.render = function () {
    var left = this.secondsLeft();
    if (this.progress) {
      this.progress.max = this.rotation;
      this.progress.value = Math.min(left, this.rotation);
    }
    if (this.countdown) {
      this.countdown.textContent = this.text("countdown-template").replace("{s}", String(left));
    }
  };

  QrRotator.prototype.tick = function () {
    if (this.stopped) return;
    this.render();
    if (this.secondsLeft() <= 0) this.refresh();
  };

  QrRotator.prototype.refresh = function () {
    if (this.loading || this.stopped) return;
    this.loading = true;
    var self = this;
    fetch(this.imageUrl, { cache: "no-store", credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 410 || response.status === 403 || response.status === 404 ||
            response.type === "opaqueredirect") {
          self.stop(self.text("gone-message"));
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var url = response.headers.get("X-Qr-Url");
        var left = parseInt(response.headers.get("X-Qr-Seconds-Left"), 10);
        return response.text().then(function (svg) {
          // A data: URL (allowed by the CSP's img-src) shows exactly the SVG just fetched.
          self.image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
          if (url && self.urlLink) {
            self.urlLink.href = url;
            self.urlLink.textContent = url;
          }
          self.deadline = Date.now() + (isNaN(left) ? self.rotation : left) * 1000;
          if (self.errorBox) self.errorBox.textContent = "";
          if (self.statusBox) self.statusBox.textContent = self.text("renewed-message");
          self.render();
        });
      })
      .catch(function () {
        if (self.errorBox) self.errorBox.textContent = self.text("offline-message");
        self.deadline = Date.now() + RETRY_SECONDS * 1000;
      })
      .then(function () { self.loading = false; });
  };

  QrRotator.prototype.stop = function (message) {
    this.stopped = true;
    window.clearInterval(this.timer);
    if (this.errorBox) this.errorBox.textContent = message;
    if (this.image) this.image.hidden = true;
  };

  /* The screen showing the code should not fall asleep during the round of signatures. */
  function keepScreenOn() {
    if (!navigator.wakeLock || !navigator.wakeLock.request) return;
    function request() {
      navigator.wakeLock.request("screen").catch(function () { /* refused: never mind */ });
    }
    request();
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") request();
    });
  }

  function init() {
    var roots = document.querySelectorAll("[data-qr-rotate]");
    for (var i = 0; i < roots.length; i++) new QrRotator(roots[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
