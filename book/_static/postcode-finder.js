/* The postcode finder (book/postcode-finder.md): the ward of a Liverpool postcode on both boundary
 * sets, looked up in the browser in window.CITYCONV_POSTCODES (postcode-index.js, built by
 * `cityconv derive-context`). Nothing is requested from anywhere. Spacing and case do not matter;
 * the pattern is the one cityconv.data.postcodes uses. Each ward found links to its profile, from
 * window.CITYCONV_PROFILE_LINKS (ward code -> link; written by `cityconv build`, see
 * cityconv.pipeline.atlas.profile_links); without it the ward is named in plain text.
 */
(function () {
  "use strict";

  var PATTERN = /^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$/;
  var SETS = [
    ["2004-2023", "Ward from 2004 to May 2023"],
    ["2023-", "Ward since May 2023"],
  ];

  function lookup(index, compact) {
    var records = index.postcodes[compact.slice(0, -3)] || "";
    var inward = compact.slice(-3);
    for (var i = 0; i < records.length; i += 7) {
      if (records.substr(i, 3) === inward) {
        return SETS.map(function (set, k) {
          var cell = records.substr(i + 3 + 2 * k, 2);
          return cell === "--" ? null : index.wards[set[0]][parseInt(cell, 10)];
        });
      }
    }
    return null;
  }

  function show(output, parts) {
    output.textContent = "";
    parts.forEach(function (part) { output.appendChild(part); });
  }

  function paragraph(text, className) {
    var p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    return p;
  }

  function answer(index, links, text) {
    var compact = String(text).replace(/\s+/g, "").toUpperCase();
    if (!compact) return [paragraph("Type a postcode, for example L11 9AB.", "cityconv-postcode-message")];
    if (!PATTERN.test(compact)) {
      return [paragraph("\u201c" + text.trim() + "\u201d is not a UK postcode. A postcode looks like L11 9AB: " +
                        "letters and numbers, then a space (optional), a number and two letters.",
                        "cityconv-postcode-message")];
    }
    var display = compact.slice(0, -3) + " " + compact.slice(-3);
    var wards = lookup(index, compact);
    if (!wards) {
      return [paragraph(display + " is not a Liverpool postcode in our lookup. The finder covers postcodes " +
                        "in Liverpool City Council's area only; neighbouring areas such as Sefton or Knowsley " +
                        "also use L postcodes.", "cityconv-postcode-message")];
    }
    var list = document.createElement("dl");
    list.className = "cityconv-postcode-result";
    SETS.forEach(function (set, k) {
      var term = document.createElement("dt");
      term.textContent = set[1];
      var value = document.createElement("dd");
      if (!wards[k]) {
        value.textContent = "not inside any ward boundary of this set";
      } else {
        var href = links[wards[k][0]];
        var name = href ? document.createElement("a") : document.createElement("span");
        if (href) name.href = href;
        name.textContent = wards[k][1];
        value.appendChild(name);
        value.appendChild(document.createTextNode(" (" + wards[k][0] + ")"));
      }
      list.appendChild(term);
      list.appendChild(value);
    });
    var lead = "Postcode " + display + (Object.keys(links).length ? " (each ward links to its profile):" : ":");
    return [paragraph(lead), list];
  }

  function init() {
    var form = document.getElementById("cityconv-postcode-form");
    if (!form) return;
    var input = document.getElementById("cityconv-postcode");
    var output = document.getElementById("cityconv-postcode-answer");
    var index = window.CITYCONV_POSTCODES;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!index) {
        show(output, [paragraph("The postcode index did not load, so no postcode can be looked up.",
                                "cityconv-postcode-message")]);
        return;
      }
      show(output, answer(index, window.CITYCONV_PROFILE_LINKS || {}, input.value));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
