/* cityconv: the teaching explorers in the book page, with no kernel and no network.
 *
 * Each explorer is a <div data-cityconv-explorer="…"> written by cityconv.chapters.page_explorers:
 * hidden native controls, the default figure as a PNG, the default sentences, and a JSON block of
 * numbers the package precomputed over a grid of settings (in the book, a compressed file beside
 * the page: see loadData). This script shows the controls, and on every change looks the settings
 * up in the JSON and swaps in the package's sentences at once. It computes nothing but look-ups, so
 * every number shown is the package's. Without this script (or in print) the default PNG and
 * sentences stay.
 *
 * The figure is redrawn with the Vega runtime alone (vega.min.js, 509 KiB, served from the book's own
 * _static beside this file). Each chart shape is a Vega-Lite spec in the package
 * (cityconv/chapters/explorer_charts/), compiled to a Vega spec by vega-lite's own compiler when the
 * book is built (cityconv.chapters.teaching_book) and served as charts/<kind>.vg.json: its data are
 * named datasets and whatever else changes with the settings (titles, domains, colours) are signals,
 * which the builders below fill from the state (`data`, `signals`), so no Vega-Lite or vega-embed is
 * shipped. Vega and the spec are not loaded with the page: the PNG and the sentences are its first
 * paint, and both are fetched when the explorer is first used (pointer over it, focus or touch inside
 * it) or scrolls into view after the reader has scrolled (loadChart). Until it has drawn, the PNG
 * stays (marked busy if the settings already differ from it); if they cannot load, the explorer goes
 * back to its static state (default figure, default sentences, no controls).
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function paragraphs(target, texts) {
    target.replaceChildren.apply(target, texts.filter(Boolean).map(function (t) { return el("p", {}, t); }));
  }

  /* A control's current value: a range maps its position to the listed values. */
  function valueOf(form, name) {
    var input = form.elements.namedItem(name);
    if (input.type === "checkbox") return input.checked;
    if (input.type === "range") return JSON.parse(input.dataset.values)[Number(input.value)];
    return input.value;
  }

  function syncRange(input) {
    var text = JSON.parse(input.dataset.texts)[Number(input.value)];
    input.setAttribute("aria-valuetext", text);
    var shown = document.getElementById(input.id + "-shown");
    if (shown) shown.textContent = text;
  }

  /* ------------------------------------------------------------------ 1. sampling bias */

  function samplingBias(root, data, form) {
    var key = ["pattern", "younger", "women", "minority", "n", "seed"].map(function (k) { return valueOf(form, k); }).join("|");
    var weighting = valueOf(form, "weighting");
    var state = data.states[key];
    var P = data.palette;
    var dots = [], gaps = [];
    data.groups.forEach(function (g, i) {
      dots.push({ group: g.label, order: i, series: "Adults in the ward", value: 100 * g.population });
      dots.push({ group: g.label, order: i, series: "Respondents (unweighted)", value: 100 * state.share[i] });
      if (weighting && state.weighted) dots.push({ group: g.label, order: i, series: "Respondents (weighted)", value: 100 * state.weighted[i] });
      gaps.push({ group: g.label, order: i, from: 100 * g.population, to: 100 * state.share[i] });
    });
    var rows = [
      { row: "Population value (model)", value: 100 * data.population_value, label: state.labels[0], colour: "#1A1A1A" },
      { row: "Unweighted: expected", value: 100 * state.expected, label: state.labels[1], colour: "#6E6E6E" },
      { row: "Unweighted: this sample", value: 100 * state.unweighted, label: state.labels[2], colour: P[0],
        lo: 100 * state.ci[0], hi: 100 * state.ci[1] }
    ];
    if (weighting) {
      rows.push(state.estimate === null
        ? { row: "Weighted: this sample", value: null, label: "cannot weight this sample", colour: P[1] }
        : { row: "Weighted: this sample", value: 100 * state.estimate, label: state.labels[3], colour: P[1] });
    }
    var seriesDomain = ["Adults in the ward", "Respondents (unweighted)"].concat(weighting && state.weighted ? ["Respondents (weighted)"] : []);
    rows.forEach(function (r, i) { r.order = i; });
    var xMax = Math.max(100, Math.max.apply(null, dots.map(function (d) { return d.value; })) + 5);
    var texts = [state.text[0], state.text[1]].concat(weighting ? [state.text[2]] : []);
    return {
      key: key + "|" + (weighting ? "w" : "u"),
      texts: texts,
      description: "Sampling bias explorer. " + texts.join(" "),
      data: { gaps: gaps, dots: dots, estimates: rows },
      signals: { ward_title: "Who answered, compared with " + data.ward + "'s adults", x_max: xMax,
        series: seriesDomain, palette: P }
    };
  }

  /* ------------------------------------------------------------------ 2. precision */

  function fill(template, fields) {
    return template.replace(/\{(\w+)\}/g, function (_m, name) { return fields[name]; });
  }

  function precision(root, data, form) {
    var n = Number(valueOf(form, "n"));
    var share = Number(valueOf(form, "share"));
    var i = data.ns.indexOf(n);
    var j = data.shares.indexOf(share);
    var cell = data.cells[j][i];
    var fields = Object.assign({}, data.fixed, data.per_n[i], data.per_share[j], { low: cell[0], high: cell[1], half_width: cell[2] });
    fields.n = data.per_n[i].n;
    var text = fill(data.template, fields);
    var P = data.palette;
    var band = data.ns.map(function (m, k) { return { n: m, lo: 100 * data.curves[j][k][0], hi: 100 * data.curves[j][k][1] }; });
    var marks = data.marks.filter(function (m) { return m.n !== n; }).map(function (m) {
      var k = data.ns.indexOf(m.n);
      return { n: m.n, lo: 100 * data.curves[j][k][0], hi: 100 * data.curves[j][k][1], label: "n = " + m.n + ", " + m.label };
    });
    var chosen = [{ n: n, lo: 100 * data.curves[j][i][0], hi: 100 * data.curves[j][i][1], label: "n = " + fields.n + ": ±" + cell[2] }];
    return {
      key: n + "|" + share,
      texts: [text],
      description: "Precision explorer. " + text,
      data: { band: band, marks: marks, chosen: chosen },
      signals: { x_domain: [data.ns[0], data.ns[data.ns.length - 1]], share_line: 100 * share, palette: P,
        x_title: "Number of responses (log scale); " + data.ward + " has " + data.fixed.adults + " adults" }
    };
  }

  /* ------------------------------------------------------------------ 3. recommendations */

  function fires(rule, on) {
    return rule.table[rule.needs.map(function (f) { return on[f] ? "1" : "0"; }).join("")] === true;
  }

  function recommendations(root, data, form) {
    var on = {};
    data.findings.forEach(function (f) {
      var input = form.elements.namedItem("finding-" + f.id);
      on[f.id] = input ? input.checked : f.on;
    });
    var fired = data.rules.filter(function (r) { return fires(r, on); });
    var cells = [], rows = [];
    var P = data.palette;
    data.rules.forEach(function (r) {
      var firing = fires(r, on);
      var row = r.title + " — " + (firing ? "FIRES" : "does not fire");
      rows.push({ row: row, order: rows.length, firing: firing ? "fires" : "does not fire" });
      r.needs.forEach(function (f) {
        var meta = data.findings.filter(function (x) { return x.id === f; })[0];
        var canFlip = on[f] || meta.switchable;
        var flipped = Object.assign({}, on);
        flipped[f] = !on[f];
        var pivotal = canFlip && fires(r, flipped) !== firing;
        cells.push({ row: row, order: rows.length - 1, finding: f.replace(/_/g, " ") + " (" + (on[f] ? "on" : "OFF") + ")",
          state: on[f] ? "on" : "off", pivotal: pivotal ? "pivotal" : "not pivotal" });
      });
    });
    var columns = data.findings.map(function (f) { return f.id.replace(/_/g, " ") + " (" + (on[f.id] ? "on" : "OFF") + ")"; });
    var lead = fired.length + " of " + data.rules.length + " rules fire with these findings.";
    return {
      key: JSON.stringify(on),
      texts: [lead],
      fired: fired,
      description: "Recommendation explorer. " + lead + (fired.length ? " Firing: " + fired.map(function (r) { return r.title; }).join("; ") + "." : ""),
      data: { rules: rows, cells: cells },
      signals: { columns: columns, palette: P }
    };
  }

  function showFired(summary, result) {
    var list = el("ul");
    result.fired.forEach(function (r) {
      var item = el("li");
      item.appendChild(el("strong", {}, r.title));
      item.appendChild(document.createTextNode(": " + r.text));  // reader words only: no rule id
      list.appendChild(item);
    });
    summary.replaceChildren(el("p", {}, result.texts[0]));
    if (result.fired.length) summary.appendChild(list);
  }

  var BUILDERS = { "sampling-bias": samplingBias, "precision": precision, "recommendations": recommendations };

  /* The explorer's numbers: in the page (a notebook's output), or, in the book, a gzip-compressed JSON
   * file named by the data block's data-src (cityconv.pipeline.sphinx_light moves it there so the page
   * stays small). A server may already have undone the gzip (Content-Encoding): the magic bytes say. */
  function loadData(root) {
    var block = root.querySelector("script.cityconv-explorer-data");
    var src = block.getAttribute("data-src");
    if (!src) return Promise.resolve(JSON.parse(block.textContent));
    return fetch(src).then(function (response) {
      if (!response.ok) throw new Error("explorer data " + src + ": HTTP " + response.status);
      return response.arrayBuffer();
    }).then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
        if (typeof DecompressionStream !== "function") throw new Error("this browser cannot read gzip data");
        var stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"));
        return new Response(stream).text();
      }
      return new TextDecoder("utf-8").decode(bytes);
    }).then(JSON.parse);
  }

  /* ------------------------------------------------------------------ loading Vega on first use */

  // The Vega runtime and the explorer's compiled chart spec, beside this script (never a CDN).
  var HERE = document.currentScript ? document.currentScript.src : "";
  var VEGA = "vendor/vega.min.js";
  var vegaLoading = null;
  var specLoading = {};

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  /* One load of Vega for every explorer of the page; resolves when window.vega can parse and view. */
  function loadVega() {
    if (window.vega && typeof window.vega.View === "function") return Promise.resolve();
    if (!vegaLoading) {
      vegaLoading = loadScript(new URL(VEGA, HERE).href).then(function () {
        if (!window.vega || typeof window.vega.View !== "function") throw new Error("Vega did not start");
      });
    }
    return vegaLoading;
  }

  /* The Vega spec compiled at build time for this kind of explorer (charts/<kind>.vg.json). */
  function loadSpec(kind) {
    if (!specLoading[kind]) {
      var src = new URL("charts/" + kind + ".vg.json", HERE).href;
      specLoading[kind] = fetch(src).catch(function (err) {
        throw new Error("could not load " + src + " (" + err.message + ")");
      }).then(function (response) {
        if (!response.ok) throw new Error("explorer chart " + src + ": HTTP " + response.status);
        return response.json();
      });
    }
    return specLoading[kind];
  }

  /* Vega and the spec, fetched side by side; resolves to the parsed spec, ready for a vega.View. */
  function loadChart(kind) {
    return Promise.all([loadVega(), loadSpec(kind)]).then(function (loaded) { return window.vega.parse(loaded[1]); });
  }

  /* Call `go` once: when the reader first points at, focuses or touches the explorer, or (after the
   * reader has scrolled the page) when it comes into view. Not on page load: the bundle's parsing
   * would hold up the page's first use for nothing if the reader never touches the explorer. */
  function onFirstUse(root, go) {
    var done = false;
    var events = ["pointerenter", "focusin", "touchstart", "input"];
    var observer = null;
    function fire() {
      if (done) return;
      done = true;
      events.forEach(function (name) { root.removeEventListener(name, fire); });
      window.removeEventListener("scroll", watchScroll);
      if (observer) observer.disconnect();
      go();
    }
    function watchScroll() {
      window.removeEventListener("scroll", watchScroll);
      if (done || typeof IntersectionObserver !== "function") return;
      observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) fire();
      }, { rootMargin: "200px 0px" });
      observer.observe(root);
    }
    events.forEach(function (name) { root.addEventListener(name, fire, { passive: true }); });
    window.addEventListener("scroll", watchScroll, { passive: true });
  }

  function mount(root) {
    loadData(root).then(function (data) { start(root, data); }).catch(function (err) {
      root.dataset.error = String(err);
      root.dataset.fallback = "static";  // the static figure and sentences stay
      if (window.console) console.warn("cityconv explorer:", err);
    });
  }

  function start(root, data) {
    var build = BUILDERS[data.kind];
    if (!build) {
      root.dataset.fallback = "static";  // the static figure stays
      return;
    }
    var form = root.querySelector("form.cityconv-explorer-controls");
    var chart = root.querySelector(".cityconv-explorer-chart");
    var figure = root.querySelector(".cityconv-explorer-figure");
    var image = root.querySelector("img.cityconv-explorer-static");
    var summary = root.querySelector(".cityconv-explorer-summary");
    var staticSummary = summary.innerHTML;
    var renders = 0;
    var pending = Promise.resolve();
    var runtime = null;  // the parsed Vega spec, once loaded
    var view = null;
    var latest = null;

    /* The settings' sentences now (look-ups only); the figure when Vega is there. */
    function update() {
      latest = build(root, data, form);
      root.dataset.state = latest.key;
      if (data.kind === "recommendations") showFired(summary, latest);
      else paragraphs(summary, latest.texts);
      if (runtime) draw();
      else if (latest.key !== root.dataset.defaultState) figure.setAttribute("aria-busy", "true");
    }

    /* One Vega view per explorer, made on the first draw; each draw feeds it the state's rows and
     * signals and runs it again (the SVG is updated in place). */
    function draw() {
      var result = latest;
      pending = pending.then(function () {
        if (result !== latest) return null;  // a newer change is queued; draw only that one
        if (!view) {
          var canvas = el("div", { "class": "cityconv-explorer-vega" });
          chart.replaceChildren(canvas);
          view = new window.vega.View(runtime, { renderer: "svg", container: canvas });
        }
        Object.keys(result.signals).forEach(function (name) { view.signal(name, result.signals[name]); });
        Object.keys(result.data).forEach(function (name) { view.data(name, result.data[name]); });
        view.description(result.description);
        return view.runAsync().then(function () {
          var svg = chart.querySelector("svg");
          if (svg) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", result.description);
          }
          chart.hidden = false;
          image.hidden = true;
          figure.removeAttribute("aria-busy");
          renders += 1;
          root.dataset.renderedState = result.key;
          root.dataset.renders = String(renders);
        });
      }).catch(function (err) {
        chart.hidden = true;
        image.hidden = false;
        figure.removeAttribute("aria-busy");
        root.dataset.fallback = "static";
        root.dataset.error = String(err);
        if (window.console) console.warn("cityconv explorer:", err);
      });
    }

    /* Vega could not be loaded: back to the page as it is without JavaScript. */
    function giveUp(err) {
      form.hidden = true;
      summary.innerHTML = staticSummary;
      figure.removeAttribute("aria-busy");
      root.dataset.vega = "failed";
      root.dataset.fallback = "static";
      root.dataset.error = String(err);
      if (window.console) console.warn("cityconv explorer:", err);
    }

    Array.prototype.forEach.call(form.querySelectorAll("input[type=range]"), syncRange);
    form.addEventListener("input", function (event) {
      // After giving up, the page is as it is without JavaScript: a key pressed on the (now hidden,
      // still focused) control must not write a new state's sentences beside the static figure.
      if (root.dataset.vega === "failed") return;
      if (event.target.type === "range") syncRange(event.target);
      update();
    });
    latest = build(root, data, form);
    root.dataset.defaultState = latest.key;
    root.dataset.state = latest.key;
    form.hidden = false;
    onFirstUse(root, function () {
      root.dataset.vega = "loading";
      loadChart(data.kind).then(function (parsed) {
        root.dataset.vega = "ready";
        runtime = parsed;
        draw();
      }, giveUp);
    });
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-cityconv-explorer]"), mount);
  });
})();
