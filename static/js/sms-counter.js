// Live SMS counter of the campaign form (no inline script: strict CSP). The GSM 03.38
// tables come from the server (data-gsm-basic, data-gsm-extension on the textarea, the
// same strings as alertes/sms_segments.py), the sentences from the counter's data-*
// attributes (translated). « {prénom} » counts as a first name of data-name-length GSM-7
// letters; the campaign's page gives the exact worst case for its recipients.
(function () {
  "use strict";
  var PLACEHOLDER = "{prénom}";

  function segments(text, basic, extension) {
    var forcing = [];
    var septets = 0;
    var units = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      var ch = text.charAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        ch = text.substr(i, 2);
        i++;
      }
      units += ch.length;
      if (basic.indexOf(ch) !== -1) {
        septets += 1;
      } else if (extension.indexOf(ch) !== -1) {
        septets += 2;
      } else if (forcing.indexOf(ch) === -1) {
        forcing.push(ch);
      }
    }
    var unicode = forcing.length > 0;
    var characters = unicode ? units : septets;
    var single = unicode ? 70 : 160;
    var part = unicode ? 67 : 153;
    var count = characters === 0 ? 0 : characters <= single ? 1 : Math.ceil(characters / part);
    return {
      encoding: unicode ? "UCS-2" : "GSM-7",
      characters: characters,
      segments: count,
      perSegment: characters <= single ? single : part,
      forcing: forcing
    };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function attach(area) {
    var output = document.getElementById(area.dataset.smsCounter);
    if (!output) {
      return;
    }
    var basic = area.dataset.gsmBasic || "";
    var extension = area.dataset.gsmExtension || "";
    var nameLength = parseInt(output.dataset.nameLength || "10", 10);
    var name = new Array(nameLength + 1).join("x");
    var summary = output.querySelector("[data-summary]");
    var warning = output.querySelector("[data-unicode]");
    function update() {
      var result = segments(area.value.split(PLACEHOLDER).join(name), basic, extension);
      summary.textContent = fill(output.dataset.template, {
        characters: result.characters,
        segments: result.segments,
        encoding: result.encoding,
        per: result.perSegment
      });
      if (result.forcing.length) {
        warning.hidden = false;
        var template = result.forcing.length === 1 ? output.dataset.unicodeTemplateOne : output.dataset.unicodeTemplate;
        warning.textContent = fill(template, {
          chars: result.forcing.map(function (c) { return c === "\n" ? "↵" : c; }).join(", ")
        });
      } else {
        warning.hidden = true;
        warning.textContent = "";
      }
    }
    area.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("textarea[data-sms-counter]").forEach(attach);
})();
