// Live SMS counter of the campaign form (no inline script: strict CSP). The GSM 03.38
// tables come from the server (data-gsm-basic, data-gsm-extension on the textarea, the
// same strings as alertes/sms_segments.py), the sentences from the counter's data-*
// attributes (translated). The count is the same as the server's (greedy parts: an
// extension character or a surrogate pair is never split; tests/alertes/sms_vectors.json
// is checked against both). The figure is the worst case among the structure's members:
// « {prénom} » as long as the longest first name (data-name-length), Unicode if a first
// name forces it (data-name-forcing), with the provider's STOP mention (data-suffix).
(function () {
  "use strict";
  var PLACEHOLDER = "{prénom}";

  // The characters of `text` with what each costs (septets for GSM-7, UTF-16 units for
  // UCS-2), and the distinct characters outside GSM-7 in order.
  function characters(text, basic, extension) {
    var chars = [];
    var forcing = [];
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      var ch = text.charAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        var next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          ch = text.substr(i, 2);
          i++;
        }
      }
      chars.push(ch);
      if (basic.indexOf(ch) === -1 && extension.indexOf(ch) === -1 && forcing.indexOf(ch) === -1) {
        forcing.push(ch);
      }
    }
    return { chars: chars, forcing: forcing };
  }

  function segments(text, basic, extension, extraForcing) {
    var found = characters(text, basic, extension);
    var forcing = found.forcing.slice();
    (extraForcing || []).forEach(function (ch) {
      if (forcing.indexOf(ch) === -1) {
        forcing.push(ch);
      }
    });
    var unicode = forcing.length > 0;
    var costs = found.chars.map(function (ch) {
      if (unicode) {
        return ch.length;
      }
      return extension.indexOf(ch) !== -1 ? 2 : 1;
    });
    var total = costs.reduce(function (sum, cost) { return sum + cost; }, 0);
    var single = unicode ? 70 : 160;
    var part = unicode ? 67 : 153;
    var count;
    if (total === 0) {
      count = 0;
    } else if (total <= single) {
      count = 1;
    } else {
      count = 1;
      var room = part;
      costs.forEach(function (cost) {
        if (cost > room) {
          count += 1;
          room = part;
        }
        room -= cost;
      });
    }
    return {
      encoding: unicode ? "UCS-2" : "GSM-7",
      characters: total,
      segments: count,
      perSegment: total <= single ? single : part,
      forcing: forcing
    };
  }

  // For the browser test: the same vectors as the server's (tests/alertes/sms_vectors.json).
  window.SuiviSmsCounter = { segments: segments };

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
    var suffix = area.dataset.suffix || "";
    var nameLength = parseInt(area.dataset.nameLength || "10", 10);
    var nameForcing = characters(area.dataset.nameForcing || "", basic, extension).chars;
    var names = {};
    try {
      names = JSON.parse(area.dataset.charNames || "{}");
    } catch (error) {
      names = {};
    }
    var name = new Array(nameLength + 1).join("x");
    var summary = output.querySelector("[data-summary]");
    var warning = output.querySelector("[data-unicode]");
    function label(ch) {
      return Object.prototype.hasOwnProperty.call(names, ch) ? "« " + names[ch] + " »" : ch;
    }
    function update() {
      // A textarea's value has LF line breaks; the server normalises the CRLF it posts.
      var text = area.value.replace(/\r\n?/g, "\n").trim();
      var hasName = text.indexOf(PLACEHOLDER) !== -1;
      var result = segments(
        text.split(PLACEHOLDER).join(name) + suffix,
        basic,
        extension,
        hasName ? nameForcing : []
      );
      summary.textContent = fill(output.dataset.template, {
        characters: result.characters,
        segments: result.segments,
        encoding: result.encoding,
        per: result.perSegment,
        name: nameLength
      });
      if (result.forcing.length) {
        warning.hidden = false;
        var template = result.forcing.length === 1 ? output.dataset.unicodeTemplateOne : output.dataset.unicodeTemplate;
        warning.textContent = fill(template, { chars: result.forcing.map(label).join(", ") });
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
