"""The explorers in the book's pages: controls that move with no kernel and no network.

Why: ipywidgets need a live Python kernel, so the book could only show each explorer's default
state. Here the notebook precomputes the package's own numbers over a grid of settings
(`cityconv.chapters.explorers`: the same functions as the widgets) and embeds them as JSON in a
`text/html` output, with native labelled controls (`<select>`, `<input type="range">`,
`<input type="checkbox">`: keyboard-operable). The book's JavaScript
(`book/_static/explorers/explorers.js`, drawing with the Vega runtime and a Vega spec per chart
compiled at build time, both served from the book's own `_static`: see
`cityconv.chapters.teaching_book`) reads the JSON, redraws the figure and
swaps in the precomputed sentences. Nothing is computed in the page but a look-up, so every number
shown is the package's.

Each output also carries the static PNG of the default state: it is the figure a reader without
JavaScript sees, the one printed in the PDF (`explorers.css` hides the live part in print), and the
`image/png` alternative for other renderers.

Grids (kept small, so a page stays well under a megabyte):
- sampling bias: a starting pattern (Clubmoor-like or no bias) × multipliers for younger adults
  (16-44), women and ethnic minority groups × sample size × seed; weighting on/off is a display
  switch (every state holds both estimates);
- precision: sample size (10 to 1,000 in fives, with the published sizes) × observed share;
- recommendations: each rule's truth table over the findings it reads (a rule depends on nothing
  else), so any combination of switches is looked up exactly.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from cityconv.chapters import explorers as ex
from cityconv.core.escaping import script_json
from cityconv.core.page_markup import DATA_SCRIPT_CLASS, EXPLORER_ATTRIBUTE, STATIC_IMAGE_CLASS
from cityconv.generate.simulate import CLUBMOOR_LIKE_PROPENSITIES
from cityconv.present import MUTED, PALETTE, Chart, fmt_int, fmt_pct
from cityconv.present.figures import figure_png

WIDGETS_AUTO = "auto"

# ----------------------------------------------------------------------------------------- live or static


def use_widgets(interactive: bool | str) -> bool:
    """Whether a notebook should build ipywidgets: True/False as given; "auto" when a Jupyter server runs it.

    A kernel started by a Jupyter server (JupyterLab, Notebook, Voilà, Binder; `make explore`) has
    `JPY_SESSION_NAME` in its environment; papermill's kernels (the book build) do not. So the
    notebook a reader downloads from the book, which carries `interactive = "auto"`, shows widgets
    when opened in JupyterLab and the in-page explorer when the pipeline runs it.
    """
    if interactive is True or interactive is False:
        return interactive
    if interactive == WIDGETS_AUTO:
        return bool(os.environ.get("JPY_SESSION_NAME"))
    raise ValueError(f"interactive must be True, False or {WIDGETS_AUTO!r}, got {interactive!r}")


# ----------------------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Control:
    """One native control: a select, a range over listed values, or a checkbox."""

    name: str
    label: str
    kind: str  # "select" | "range" | "checkbox"
    options: tuple[tuple[str, str], ...] = ()  # (value, label shown); for a checkbox: empty
    default: str | bool = ""
    hint: str = ""


def _value(v: float) -> str:
    """A grid value as it appears in a state key and an option's value: 0.25 -> "0.25", 2.0 -> "2"."""
    return format(float(v), "g")


def _control_html(kind: str, control: Control) -> str:
    cid = f"cityconv-{kind}-{control.name}"
    hint_id = f"{cid}-hint"
    described = f' aria-describedby="{hint_id}"' if control.hint else ""
    hint = f'<span class="cityconv-explorer-hint" id="{hint_id}">{html.escape(control.hint)}</span>' if control.hint else ""
    if control.kind == "checkbox":
        checked = " checked" if control.default else ""
        return (f'<div class="cityconv-explorer-control cityconv-explorer-checkbox">'
                f'<input type="checkbox" id="{cid}" name="{control.name}"{checked}{described}>'
                f'<label for="{cid}">{html.escape(control.label)}</label>{hint}</div>')
    if control.kind == "select":
        options = "".join(
            f'<option value="{html.escape(v)}"{" selected" if v == control.default else ""}>{html.escape(text)}</option>'
            for v, text in control.options
        )
        return (f'<div class="cityconv-explorer-control"><label for="{cid}">{html.escape(control.label)}</label>'
                f'<select id="{cid}" name="{control.name}"{described}>{options}</select>{hint}</div>')
    if control.kind == "range":
        values = [v for v, _ in control.options]
        texts = [t for _, t in control.options]
        index = values.index(str(control.default))
        return (
            f'<div class="cityconv-explorer-control"><label for="{cid}">{html.escape(control.label)}</label>'
            f'<input type="range" id="{cid}" name="{control.name}" min="0" max="{len(values) - 1}" step="1" '
            f'value="{index}" aria-valuetext="{html.escape(texts[index])}"{described} '
            f"data-values='{html.escape(json.dumps(values), quote=True)}' data-texts='{html.escape(json.dumps(texts), quote=True)}'>"
            f'<output for="{cid}" id="{cid}-shown">{html.escape(texts[index])}</output>{hint}</div>'
        )
    raise ValueError(f"unknown control kind {control.kind!r}")


def explorer_html(kind: str, title: str, controls: Sequence[Control], data: Mapping[str, Any], chart: Chart,
                  summary: str, png: str, note: str = "") -> str:
    """The explorer's HTML: hidden controls (shown by the script), the default figure (`png`, base64),
    the sentences (HTML) and the data."""
    payload = script_json({**data, "palette": list(PALETTE), "muted": MUTED}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    controls_html = "".join(_control_html(kind, c) for c in controls)
    caption = f"<figcaption>{html.escape(chart.caption or '')}</figcaption>" if chart.caption else ""
    note_html = f'<p class="cityconv-explorer-note">{html.escape(note)}</p>' if note else ""
    return (
        f'<div class="cityconv-explorer" {EXPLORER_ATTRIBUTE}="{kind}">'
        f'<form class="cityconv-explorer-controls" hidden aria-label="{html.escape(title)}: settings" '
        f'onsubmit="return false">{controls_html}</form>'
        f'{note_html}'
        f'<figure class="cityconv-explorer-figure">'
        f'<div class="cityconv-explorer-chart" hidden></div>'
        f'<img class="{STATIC_IMAGE_CLASS}" src="data:image/png;base64,{png}" alt="{html.escape(chart.alt)}">'
        f"{caption}</figure>"
        f'<div class="cityconv-explorer-summary" aria-live="polite">{summary}</div>'
        f'<script type="application/json" class="{DATA_SCRIPT_CLASS}">{payload}</script>'
        f"</div>"
    )


def show_explorer(kind: str, title: str, controls: Sequence[Control], data: Mapping[str, Any], chart: Chart,
                  summary: str, note: str = "") -> None:
    """Display the in-page explorer (text/html) with the default figure as image/png beside it."""
    import matplotlib.pyplot as plt

    from cityconv.present.mime import display_bundle

    try:
        png = base64.b64encode(figure_png(chart.fig)).decode("ascii")
        page = explorer_html(kind, title, controls, data, chart, summary, png, note)
    finally:
        plt.close(chart.fig)
    display_bundle({"text/html": page, "image/png": png, "text/plain": f"<{title}: {chart.alt}>"})


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


# ----------------------------------------------------------------------------------------- 1. sampling bias

PATTERNS = {"clubmoor": "Clubmoor-like (the published pattern)", "none": "No bias (every group alike)"}
YOUNGER_BANDS = ("16-24", "25-34", "35-44")
GRID_YOUNGER = (0.25, 0.5, 1.0, 2.0)
GRID_WOMEN = (1.0, 3.0)
GRID_MINORITY = (0.0, 0.5, 1.0)
GRID_N = (ex.DEFAULT_N, 200, 2000)
GRID_SEEDS = (ex.DEFAULT_SEED, ex.DEFAULT_SEED + 1, ex.DEFAULT_SEED + 2)


def grid_propensities(pattern: str, younger: float, women: float, minority: float,
                      margins: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Every group's propensity for one grid point: the pattern's, times the three multipliers."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; expected one of {', '.join(PATTERNS)}")
    base = CLUBMOOR_LIKE_PROPENSITIES if pattern == "clubmoor" else {}
    out = {dim: {cat: float(base.get(dim, {}).get(cat, 1.0)) for cat in cats} for dim, cats in margins.items()}
    for band in YOUNGER_BANDS:
        out["age_band"][band] *= younger
    out["sex"]["Female"] *= women
    for group in out["ethnic_group"]:
        if group != ex.WHITE:
            out["ethnic_group"][group] *= minority
    return out


def sampling_key(pattern: str, younger: float, women: float, minority: float, n: int, seed: int) -> str:
    return "|".join([pattern, _value(younger), _value(women), _value(minority), str(int(n)), str(int(seed))])


def grid_sampling_state(pattern: str = "clubmoor", younger: float = 1.0, women: float = 1.0, minority: float = 1.0,
                        n: int = ex.DEFAULT_N, seed: int = ex.DEFAULT_SEED,
                        population: ex.WardPopulation | None = None) -> ex.SamplingBiasState:
    """The package's state at one grid point (what the page shows for those settings)."""
    pop = population or ex.load_population()
    return ex.sampling_bias_state(grid_propensities(pattern, younger, women, minority, pop.margins), n, seed, pop)


def _num(x: float, digits: int = 5) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), digits)


def sampling_bias_data(population: ex.WardPopulation) -> dict[str, Any]:
    """Every grid state: shares for the figure, the three sentences, the headline numbers (formatted)."""
    groups = None
    states: dict[str, Any] = {}
    for pattern, younger, women, minority, n, seed in product(PATTERNS, GRID_YOUNGER, GRID_WOMEN, GRID_MINORITY,
                                                              GRID_N, GRID_SEEDS):
        state = grid_sampling_state(pattern, younger, women, minority, n, seed, population)
        comp = state.composition
        if groups is None:
            groups = [{"label": ex._group_label(r.dimension, r.category), "population": _num(r.population_share)}
                      for r in comp.itertuples()]
        weighted = not math.isnan(state.weighted)
        states[sampling_key(pattern, younger, women, minority, n, seed)] = {
            "share": [_num(v, 4) for v in comp["share"]],
            "weighted": [_num(v, 4) for v in comp["weighted_share"]] if weighted else None,
            "expected": _num(state.expected_unweighted),
            "unweighted": _num(state.unweighted),
            "ci": [_num(state.unweighted_ci[0]), _num(state.unweighted_ci[1])],
            "estimate": _num(state.weighted) if weighted else None,
            "labels": [fmt_pct(state.population_value), fmt_pct(state.expected_unweighted),
                       fmt_pct(state.unweighted), fmt_pct(state.weighted) if weighted else ""],
            "text": list(ex.sampling_bias_summary_parts(state)),
        }
    default = grid_sampling_state(population=population)
    return {
        "kind": "sampling-bias",
        "ward": population.name,
        "groups": groups,
        "population_value": _num(default.population_value),
        "headline": ex.HEADLINE_LABEL,
        "states": states,
    }


def sampling_bias_controls() -> list[Control]:
    def multipliers(values: Sequence[float]) -> tuple[tuple[str, str], ...]:
        return tuple((_value(v), f"× {_value(v)}") for v in values)

    return [
        Control("pattern", "Starting pattern", "select", tuple(PATTERNS.items()), "clubmoor",
                "who is more or less likely to respond before the changes below"),
        Control("younger", "Adults aged 16-44: how likely to respond", "range", multipliers(GRID_YOUNGER), "1",
                "times the starting pattern"),
        Control("women", "Women: how likely to respond", "select", multipliers(GRID_WOMEN), "1",
                "times the starting pattern"),
        Control("minority", "Ethnic minority groups: how likely to respond", "range", multipliers(GRID_MINORITY), "1",
                "times the starting pattern; × 0 means nobody from these groups responds"),
        Control("n", "Respondents (n)", "select", tuple((str(n), fmt_int(n)) for n in GRID_N), str(ex.DEFAULT_N)),
        Control("seed", "Random sample (seed)", "select", tuple((str(s), str(s)) for s in GRID_SEEDS), str(ex.DEFAULT_SEED),
                "the same settings and seed always draw the same sample"),
        Control("weighting", "Show the weighted estimate (raking to age group, sex and ethnic group)", "checkbox",
                default=True),
    ]


def show_sampling_bias(population: ex.WardPopulation) -> None:
    state = ex.sampling_bias_state(population=population)
    summary = "".join(_p(t) for t in ex.sampling_bias_summary_parts(state))
    show_explorer("sampling-bias", "Sampling bias explorer", sampling_bias_controls(), sampling_bias_data(population),
                  ex.sampling_bias_figure(state), summary)


# ----------------------------------------------------------------------------------------- 2. precision

GRID_SHARES = (0.01, *[k / 20 for k in range(1, 20)], 0.99)


def precision_ns(population: ex.WardPopulation) -> list[int]:
    return sorted(set(ex.DEFAULT_NS) | set(ex.precision_marks(population)) | {ex.DEFAULT_N})


def precision_data(population: ex.WardPopulation) -> dict[str, Any]:
    """Intervals and formatted sentence fields for every (share, n); fields that depend on one only, once."""
    ns = precision_ns(population)
    curves, cells = [], []
    for share in GRID_SHARES:
        curve = ex.precision_curve(ns, share, adults=population.adults)
        curves.append([[_num(r.ci_low, 4), _num(r.ci_high, 4)] for r in curve.itertuples()])
        cells.append([[fmt_pct(r.ci_low, 1), fmt_pct(r.ci_high, 1), ex.fmt_pp(r.half_width, 1)] for r in curve.itertuples()])
    per_share = [ex.precision_summary_fields(ns[0], s, population) for s in GRID_SHARES]
    per_n = [ex.precision_summary_fields(n, 0.5, population) for n in ns]
    return {
        "kind": "precision",
        "ward": population.name,
        "adults": population.adults,
        "template": ex.PRECISION_SUMMARY,
        "fixed": {"confidence": per_n[0]["confidence"], "ward": population.name, "adults": per_n[0]["adults"]},
        "ns": ns,
        "shares": [_num(s) for s in GRID_SHARES],
        "per_share": [{"share": f["share"], "n5": f["n5"]} for f in per_share],
        "per_n": [{"n": f["n"], "fraction": f["fraction"], "statement": f["statement"]} for f in per_n],
        "curves": curves,
        "cells": cells,
        "marks": [{"n": n, "label": label} for n, label in sorted(ex.precision_marks(population).items())],
    }


def precision_controls(population: ex.WardPopulation) -> list[Control]:
    ns = precision_ns(population)
    return [
        Control("n", "Responses (n)", "range", tuple((str(n), f"{fmt_int(n)} responses") for n in ns), str(ex.DEFAULT_N)),
        Control("share", "Observed share", "range", tuple((_value(s), fmt_pct(s)) for s in GRID_SHARES), "0.5",
                "the percentage the survey found"),
    ]


def show_precision(population: ex.WardPopulation) -> None:
    chart = ex.precision_figure(population, highlight=ex.DEFAULT_N)
    summary = _p(ex.precision_summary(ex.DEFAULT_N, 0.5, population))
    show_explorer("precision", "Precision explorer", precision_controls(population), precision_data(population),
                  chart, summary)


# ----------------------------------------------------------------------------------------- 3. recommendations


def _rule_table(engine: ex.RuleEngine, rule: str) -> dict[str, bool]:
    """Whether `rule` fires for every on/off combination of the findings it reads ("10" = first on, second off)."""
    needs = [f for f in engine.needs[rule] if f in engine.base_findings]
    table = {}
    for combo in product((True, False), repeat=len(needs)):
        on = {**engine.base_findings, **dict(zip(needs, combo))}
        table["".join("1" if c else "0" for c in combo)] = rule in engine.fire(on)
    return table


def recommendation_data(engine: ex.RuleEngine) -> dict[str, Any]:
    findings = list(dict.fromkeys(f for r in engine.rule_ids for f in engine.needs[r] if f in engine.base_findings))
    return {
        "kind": "recommendations",
        "findings": [{"id": f, "label": engine.labels.get(f, f), "on": engine.base_findings[f],
                      "switchable": f in engine.switchable} for f in findings],
        "rules": [{"id": r, "title": engine.titles.get(r, r), "text": engine.texts.get(r, r),
                   "needs": [f for f in engine.needs[r] if f in engine.base_findings], "table": _rule_table(engine, r)}
                  for r in engine.rule_ids],
        "source": engine.source,
    }


def recommendation_controls(engine: ex.RuleEngine) -> list[Control]:
    data = recommendation_data(engine)
    return [Control(f"finding-{f['id']}", f["label"], "checkbox", default=f["on"])
            for f in data["findings"] if f["on"] or f["switchable"]]


def recommendation_summary_html(state: ex.RecommendationState, engine: ex.RuleEngine) -> str:
    items = "".join(f"<li><strong>{html.escape(engine.titles.get(r, r))}</strong>: "  # reader words: no rule id
                    f"{html.escape(engine.texts.get(r, r))}</li>" for r in state.fired)
    return _p(f"{len(state.fired)} of {len(state.rule_ids)} rules fire with these findings.") + (f"<ul>{items}</ul>" if items else "")


def show_recommendations(engine: ex.RuleEngine, note: str = "") -> None:
    state = ex.recommendation_state(engine=engine)
    show_explorer("recommendations", "Recommendation explorer", recommendation_controls(engine),
                  recommendation_data(engine), ex.recommendation_figure(state, engine),
                  recommendation_summary_html(state, engine), note)
