/* Signature pad — our own, no dependency.
 *
 * Markup (templates/sessions/signing/_pad.html), inside the <form> it submits:
 *   [data-signature-pad]  wrapper, carries the French messages in data-* attributes
 *     canvas.signature-canvas
 *     input[data-pad-output]       ← {"width", "height", "strokes": [[[x, y, t_ms], …], …]}
 *     input[data-pad-nonce]        ← random value: a double submit signs only once
 *     input[data-pad-device-time]  ← the device's clock (ISO 8601), kept beside the server's
 *     [data-pad-error]             aria-live region for refusals
 *     button[data-pad-clear], button[data-pad-submit]
 *
 * Coordinates are CSS pixels relative to the canvas; t is milliseconds since the first
 * point of the signature. Pointer events cover mouse, pen and finger.
 */
(function () {
  "use strict";

  var MIN_LENGTH = 5; // same rule as sessions/signatures.py: a tap is not a signature
  var LINE_WIDTH = 2.5;
  var INK = "#1b1b1b";

  function randomNonce() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function round1(value) {
    return Math.round(value * 10) / 10;
  }

  function strokeLength(stroke) {
    var length = 0;
    for (var i = 1; i < stroke.length; i++) {
      length += Math.hypot(stroke[i][0] - stroke[i - 1][0], stroke[i][1] - stroke[i - 1][1]);
    }
    return length;
  }

  function SignaturePad(root) {
    this.root = root;
    this.form = root.closest("form");
    this.canvas = root.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.output = root.querySelector("[data-pad-output]");
    this.nonceInput = root.querySelector("[data-pad-nonce]");
    this.deviceTimeInput = root.querySelector("[data-pad-device-time]");
    this.errorBox = root.querySelector("[data-pad-error]");
    this.clearButton = root.querySelector("[data-pad-clear]");
    this.submitButton = root.querySelector("[data-pad-submit]");
    this.strokes = [];
    this.current = null;
    this.t0 = null;
    this.width = 0;
    this.height = 0;
    this.submitting = false;
    if (this.nonceInput) this.nonceInput.value = randomNonce();
    this.resize();
    this.bind();
  }

  SignaturePad.prototype.message = function (name) {
    return this.root.getAttribute("data-" + name + "-message") || "";
  };

  SignaturePad.prototype.say = function (text) {
    if (this.errorBox) this.errorBox.textContent = text;
  };

  /* Sizes the bitmap to the canvas's CSS box times the device pixel ratio (sharp lines
   * on high-DPI screens). If strokes exist, they are scaled uniformly to fit the new box
   * so a signature survives a rotation of the tablet without being distorted. */
  SignaturePad.prototype.resize = function () {
    var rect = this.canvas.getBoundingClientRect();
    var width = Math.max(1, Math.round(rect.width));
    var height = Math.max(1, Math.round(rect.height));
    if (width === this.width && height === this.height) return;
    var ratio = window.devicePixelRatio || 1;
    if (this.strokes.length && this.width && this.height) {
      var scale = Math.min(width / this.width, height / this.height);
      this.strokes = this.strokes.map(function (stroke) {
        return stroke.map(function (p) {
          return [round1(p[0] * scale), round1(p[1] * scale), p[2]];
        });
      });
      this.say(this.message("resized"));
    }
    this.width = width;
    this.height = height;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.redraw();
  };

  SignaturePad.prototype.setupInk = function () {
    var ctx = this.ctx;
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
  };

  /* Quadratic curves through the midpoints of successive points: smooth, and exactly
   * the recorded points (no resampling). */
  SignaturePad.prototype.drawStroke = function (stroke) {
    var ctx = this.ctx;
    if (!stroke.length) return;
    if (stroke.length === 1 || strokeLength(stroke) === 0) {
      ctx.beginPath();
      ctx.arc(stroke[0][0], stroke[0][1], LINE_WIDTH / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(stroke[0][0], stroke[0][1]);
    for (var i = 1; i < stroke.length - 1; i++) {
      var midX = (stroke[i][0] + stroke[i + 1][0]) / 2;
      var midY = (stroke[i][1] + stroke[i + 1][1]) / 2;
      ctx.quadraticCurveTo(stroke[i][0], stroke[i][1], midX, midY);
    }
    var last = stroke[stroke.length - 1];
    ctx.lineTo(last[0], last[1]);
    ctx.stroke();
  };

  SignaturePad.prototype.redraw = function () {
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.setupInk();
    for (var i = 0; i < this.strokes.length; i++) this.drawStroke(this.strokes[i]);
    if (this.current) this.drawStroke(this.current);
  };

  SignaturePad.prototype.point = function (event) {
    var rect = this.canvas.getBoundingClientRect();
    var now = event.timeStamp || performance.now();
    if (this.t0 === null) this.t0 = now;
    // Clamped: a finger sliding off the edge keeps drawing along it, never outside.
    var x = Math.min(Math.max(event.clientX - rect.left, 0), this.width);
    var y = Math.min(Math.max(event.clientY - rect.top, 0), this.height);
    return [round1(x), round1(y), Math.max(0, Math.round(now - this.t0))];
  };

  SignaturePad.prototype.bind = function () {
    var pad = this;
    var canvas = this.canvas;

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(event.pointerId); } catch (e) { /* not capturable */ }
      }
      pad.current = [pad.point(event)];
      pad.say("");
      pad.redraw();
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!pad.current) return;
      event.preventDefault();
      var events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      if (!events.length) events = [event];
      for (var i = 0; i < events.length; i++) {
        var p = pad.point(events[i]);
        var last = pad.current[pad.current.length - 1];
        if (p[0] !== last[0] || p[1] !== last[1]) pad.current.push(p);
      }
      pad.redraw();
    });

    function end(event) {
      if (!pad.current) return;
      if (event && event.type === "pointerup") {
        var p = pad.point(event);
        var last = pad.current[pad.current.length - 1];
        if (p[0] !== last[0] || p[1] !== last[1]) pad.current.push(p);
      }
      // A dot (the point on an "i") is kept as a stroke of two identical points: the
      // server wants at least two points per stroke.
      if (pad.current.length === 1) pad.current.push(pad.current[0].slice());
      pad.strokes.push(pad.current);
      pad.current = null;
      pad.redraw();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", function () { end(null); });

    if (this.clearButton) {
      this.clearButton.addEventListener("click", function () {
        pad.clear();
        pad.say(pad.message("cleared"));
        canvas.focus();
      });
    }

    if (this.form) {
      this.form.addEventListener("submit", function (event) { pad.onSubmit(event); });
    }

    // The canvas's box changes with rotation, window size, or a <details> being opened
    // (the countersignature pad): follow it.
    var pending = null;
    function scheduleResize() {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(function () { pending = null; pad.resize(); });
    }
    if (window.ResizeObserver) {
      new window.ResizeObserver(scheduleResize).observe(canvas);
    }
    window.addEventListener("resize", scheduleResize);
    window.addEventListener("orientationchange", function () {
      window.setTimeout(function () { pad.resize(); }, 250);
    });
    // Coming back with the browser's "back" button: the page may be restored as it was.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        pad.submitting = false;
        if (pad.submitButton) pad.submitButton.disabled = false;
      }
    });
  };

  SignaturePad.prototype.clear = function () {
    this.strokes = [];
    this.current = null;
    this.t0 = null;
    if (this.output) this.output.value = "";
    this.redraw();
  };

  SignaturePad.prototype.isLongEnough = function () {
    var longest = 0;
    for (var i = 0; i < this.strokes.length; i++) {
      longest = Math.max(longest, strokeLength(this.strokes[i]));
    }
    return longest >= MIN_LENGTH;
  };

  SignaturePad.prototype.onSubmit = function (event) {
    if (this.submitting) {
      // Second tap on "Valider" while the first is on its way: one signature only.
      event.preventDefault();
      return;
    }
    if (!this.strokes.length || !this.isLongEnough()) {
      event.preventDefault();
      this.say(this.message(this.strokes.length ? "short" : "empty"));
      this.canvas.focus();
      return;
    }
    this.output.value = JSON.stringify({
      width: this.width,
      height: this.height,
      strokes: this.strokes
    });
    if (this.deviceTimeInput) this.deviceTimeInput.value = new Date().toISOString();
    this.submitting = true;
    var button = this.submitButton;
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  };

  function init() {
    var roots = document.querySelectorAll("[data-signature-pad]");
    for (var i = 0; i < roots.length; i++) {
      if (!roots[i].signaturePad) roots[i].signaturePad = new SignaturePad(roots[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
