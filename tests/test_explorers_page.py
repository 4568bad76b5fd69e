"""The explorers in the book page: the grids hold the package's own numbers, and the HTML is usable.

The page's JavaScript only looks settings up in these grids (and fills `PRECISION_SUMMARY`), so
checking the grids against the package at sample points checks what a reader sees; the browser
test (tests/browser/test_explorers_in_browser.py) checks the page itself.
"""

from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cityconv.chapters import explorers as ex
from cityconv.chapters import page_explorers as pe

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def population() -> ex.WardPopulation:
    return ex.load_population("clubmoor", REPO)


@pytest.fixture(scope="module")
def bias_data(population) -> dict:
    return pe.sampling_bias_data(population)


@pytest.fixture(scope="module")
def precision_data(population) -> dict:
    return pe.precision_data(population)


@pytest.fixture(scope="module")
def engine() -> ex.RuleEngine:
    return ex.rule_engine("clubmoor", REPO)


# --------------------------------------------------------------------------------------------- live or static


def test_auto_builds_widgets_only_under_a_jupyter_server(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert pe.use_widgets("auto") is False  # papermill (the book build)
    monkeypatch.setenv("JPY_SESSION_NAME", "/tmp/40-sampling-bias-explorer.ipynb")
    assert pe.use_widgets("auto") is True  # a kernel started by JupyterLab
    assert pe.use_widgets(False) is False and pe.use_widgets(True) is True
    with pytest.raises(ValueError, match="interactive must be"):
        pe.use_widgets("yes")


# --------------------------------------------------------------------------------------------- sampling bias


def test_grid_covers_every_combination(bias_data):
    combos = (len(pe.PATTERNS) * len(pe.GRID_YOUNGER) * len(pe.GRID_WOMEN) * len(pe.GRID_MINORITY)
              * len(pe.GRID_N) * len(pe.GRID_SEEDS))
    assert len(bias_data["states"]) == combos
    controls = {c.name: c for c in pe.sampling_bias_controls()}
    for pattern, younger, women, minority, n, seed in [("none", 0.25, 1, 1, 2000, 2020), ("clubmoor", 2, 3, 0, 48, 2022)]:
        values = [pattern, pe._value(younger), pe._value(women), pe._value(minority), str(n), str(seed)]
        for name, value in zip(["pattern", "younger", "women", "minority", "n", "seed"], values):
            assert value in [v for v, _ in controls[name].options]  # every key part is a control's value
        assert "|".join(values) in bias_data["states"]


def test_default_grid_state_is_the_explorer_default(population, bias_data):
    default = ex.sampling_bias_state(population=population)
    key = pe.sampling_key("clubmoor", 1, 1, 1, ex.DEFAULT_N, ex.DEFAULT_SEED)
    assert bias_data["states"][key]["text"] == list(ex.sampling_bias_summary_parts(default))
    assert " ".join(bias_data["states"][key]["text"]) == ex.sampling_bias_summary(default)


def test_grid_point_equals_the_package_with_those_propensities(population, bias_data):
    """The exercise's setting (16-44 four times less likely, no other bias) as the package computes it."""
    state = ex.sampling_bias_state({"age_band": {"16-24": 0.25, "25-34": 0.25, "35-44": 0.25}}, 2000, 2020, population)
    stored = bias_data["states"][pe.sampling_key("none", 0.25, 1, 1, 2000, 2020)]
    assert stored["text"] == list(ex.sampling_bias_summary_parts(state))
    assert stored["unweighted"] == pytest.approx(state.unweighted, abs=1e-5)
    assert stored["estimate"] == pytest.approx(state.weighted, abs=1e-5)
    assert stored["share"] == pytest.approx(list(state.composition["share"]), abs=1e-4)


def test_no_minority_respondents_cannot_be_weighted(bias_data):
    stored = bias_data["states"][pe.sampling_key("clubmoor", 1, 1, 0, 2000, 2020)]
    assert stored["estimate"] is None and stored["weighted"] is None
    assert "Nobody from an ethnic minority group answered, so weighting cannot represent them" in stored["text"][2]


def test_multipliers_scale_the_pattern(population):
    props = pe.grid_propensities("clubmoor", 0.5, 3, 0, population.margins)
    like = ex.CLUBMOOR_LIKE_PROPENSITIES
    assert props["age_band"]["16-24"] == pytest.approx(like["age_band"]["16-24"] * 0.5)
    assert props["age_band"]["45-54"] == pytest.approx(like["age_band"]["45-54"])
    assert props["sex"]["Female"] == pytest.approx(like["sex"]["Female"] * 3)
    assert props["ethnic_group"]["White"] == 1.0 and props["ethnic_group"]["Other"] == 0.0
    with pytest.raises(ValueError, match="unknown pattern"):
        pe.grid_propensities("mostly", 1, 1, 1, population.margins)


# --------------------------------------------------------------------------------------------- precision


def fill(template: str, fields: dict) -> str:
    """What explorers.js does with the template (`{name}` -> the field)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(fields[m.group(1)]), template)


@pytest.mark.parametrize("n,share", [(48, 0.5), (60, 0.1), (10, 0.01), (1000, 0.99), (385, 0.35)])
def test_precision_page_sentence_is_the_package_sentence(population, precision_data, n, share):
    data = precision_data
    i, j = data["ns"].index(n), data["shares"].index(share)
    low, high, hw = data["cells"][j][i]
    fields = {**data["fixed"], **data["per_n"][i], **data["per_share"][j], "low": low, "high": high, "half_width": hw}
    assert fill(data["template"], fields) == ex.precision_summary(n, share, population)
    curve = ex.precision_curve([n], share, adults=population.adults).iloc[0]
    assert data["curves"][j][i] == pytest.approx([curve.ci_low, curve.ci_high], abs=1e-4)


def test_precision_grid_holds_the_published_sizes(population):
    ns = pe.precision_ns(population)
    assert {48, 60} <= set(ns) and ns == sorted(ns)
    assert 0.5 in pe.GRID_SHARES


# --------------------------------------------------------------------------------------------- recommendations


def lookup(data: dict, on: dict[str, bool]) -> list[str]:
    """What explorers.js does: each rule's truth table, indexed by its findings' switches."""
    return [r["id"] for r in data["rules"] if r["table"]["".join("1" if on[f] else "0" for f in r["needs"])]]


def test_rule_tables_agree_with_the_rules_for_any_switches(engine):
    data = pe.recommendation_data(engine)
    findings = [f["id"] for f in data["findings"]]
    # A finding that is not known for the ward and not switchable stays off, as on the page.
    can_switch_on = {f["id"] for f in data["findings"] if f["on"] or f["switchable"]}
    rng = random.Random(17)
    settings = [{}] + [{f: rng.random() < 0.6 and f in can_switch_on for f in findings} for _ in range(40)]
    settings += [{f: False} for f in findings]  # every single switch-off
    for overrides in settings:
        on = {**{f["id"]: f["on"] for f in data["findings"]}, **overrides}
        changed = {f: v for f, v in on.items() if v != engine.base_findings[f]}
        assert lookup(data, on) == list(ex.recommendation_state(changed, engine).fired), overrides


# --------------------------------------------------------------------------------------------- the HTML


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.scripts = [], set(), []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "select"):
            self.inputs.append(a)
        if tag == "label":
            self.labels.add(a.get("for"))
        self._in_script = tag == "script" and a.get("type") == "application/json"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
            self._in_script = False


def test_explorer_html_labels_every_control_and_embeds_json(population, precision_data):
    chart = ex.precision_figure(population)
    controls = pe.precision_controls(population)
    data = precision_data
    page = pe.explorer_html("precision", "Precision explorer", controls, data, chart, "<p>x</p>", "iVBORw0KGgo=")
    form = _Form()
    form.feed(page)
    assert len(form.inputs) == len(controls)
    assert all(i["id"] in form.labels for i in form.inputs)  # a <label for> per control
    assert all(i.get("aria-valuetext") for i in form.inputs if i.get("type") == "range")
    parsed = json.loads(form.scripts[0].replace("<\\/", "</"))
    assert parsed["kind"] == "precision" and parsed["ns"] == data["ns"]
    assert f'{pe.EXPLORER_ATTRIBUTE}="precision"' in page
    assert f'alt="{chart.alt[:40]}' in page  # the static figure keeps its alt text
    import matplotlib.pyplot as plt

    plt.close(chart.fig)
