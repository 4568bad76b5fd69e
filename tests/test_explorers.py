"""The teaching explorers: their core functions, widgets, and the three notebooks run as the pipeline runs them."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import explorers as ex
from cityconv.chapters import statistics_prose
from cityconv.generate.simulate import CLUBMOOR_LIKE_PROPENSITIES
from cityconv.methods import stats

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = {
    "sampling-bias-explorer": REPO / "notebooks" / "40-sampling-bias-explorer.ipynb",
    "precision-explorer": REPO / "notebooks" / "41-precision-explorer.ipynb",
    "recommendation-explorer": REPO / "notebooks" / "42-recommendation-explorer.ipynb",
}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def population() -> ex.WardPopulation:
    return ex.load_population("clubmoor", REPO)


def share(state: ex.SamplingBiasState, dimension: str, category: str, column: str = "share") -> float:
    comp = state.composition
    return float(comp.loc[(comp["dimension"] == dimension) & (comp["category"] == category), column].iloc[0])


# --------------------------------------------------------------------------------------------- population


def test_population_is_clubmoor_adults(population):
    assert population.name == "Clubmoor"
    assert population.adults > 10_000  # residents aged 15+ in a ward of about 15,000 people
    for groups in population.margins.values():
        assert math.isclose(sum(groups.values()), 1.0)
    assert population.published["survey_responses"] == 48  # the published figure, read from the data


# --------------------------------------------------------------------------------------------- sampling bias


def test_same_arguments_same_state(population):
    a = ex.sampling_bias_state(None, 200, 7, population)
    b = ex.sampling_bias_state(None, 200, 7, population)
    assert a.unweighted == b.unweighted and a.weighted == b.weighted
    assert a.composition.equals(b.composition)


def test_default_is_clubmoor_like(population):
    state = ex.sampling_bias_state(population=population)
    assert state.propensities["sex"]["Female"] == CLUBMOOR_LIKE_PROPENSITIES["sex"]["Female"]
    assert state.n == ex.DEFAULT_N == population.published["survey_responses"]
    assert int(state.composition.query("dimension == 'sex'")["count"].sum()) == state.n


def test_raising_female_propensity_raises_female_share(population):
    low = ex.sampling_bias_state({"sex": {"Female": 1.0}}, 2000, 1, population)
    high = ex.sampling_bias_state({"sex": {"Female": 3.0}}, 2000, 1, population)
    # expected composition (no noise) and the drawn sample both move
    assert share(high, "sex", "Female", "expected_share") > share(low, "sex", "Female", "expected_share") + 0.2
    assert share(high, "sex", "Female") > share(low, "sex", "Female") + 0.15
    # with propensity 3 for women: 3p / (3p + (1 - p))
    p = population.margins["sex"]["Female"]
    assert math.isclose(share(high, "sex", "Female", "expected_share"), 3 * p / (3 * p + 1 - p))


def test_no_bias_sample_matches_population(population):
    state = ex.sampling_bias_state({}, 2000, 3, population)
    assert math.isclose(state.expected_unweighted, state.population_value)
    assert abs(state.unweighted - state.population_value) < 0.04


def test_weighting_moves_estimate_back_toward_population(population):
    # people aged 16-44 (who name social media most in the model) four times less likely to answer
    props = {"age_band": {"16-24": 0.25, "25-34": 0.25, "35-44": 0.25}}
    state = ex.sampling_bias_state(props, 3000, 11, population)
    assert state.expected_unweighted < state.population_value - 0.1  # the bias is real and large
    assert state.unweighted < state.population_value - 0.08
    assert abs(state.bias_weighted) < abs(state.bias_unweighted) / 3
    assert abs(state.bias_weighted) < 0.02
    assert not state.weighting_note
    # weighting matches the margins it was raked to, and costs precision
    assert share(state, "sex", "Female", "weighted_share") == pytest.approx(population.margins["sex"]["Female"], abs=1e-6)
    assert state.design_effect > 1.2 and state.effective_sample_size < state.n


def test_empty_group_cannot_be_weighted(population):
    nobody = {"ethnic_group": {g: 0.0 for g in population.margins["ethnic_group"] if g != "White"}}
    state = ex.sampling_bias_state(nobody, 300, 2, population)
    assert math.isnan(state.weighted)
    note = "Nobody from an ethnic minority group answered, so weighting cannot represent them"
    assert note in state.weighting_note  # reader words, not the raking function's message
    assert note in ex.sampling_bias_summary(state)
    assert "ethnic_group_2" not in state.weighting_note and "collapse" not in state.weighting_note


def test_every_empty_weighting_group_is_named_in_reader_words(population):
    sample = pd.DataFrame({"age_band": ["45-54", "55-64"], "sex": ["Female", "Female"], "ethnic_group": ["White", "White"]})
    note = ex.weighting_gap_note(sample, population.margins)
    assert note.startswith("Nobody aged 16-44, aged 65+, who is a man or from an ethnic minority group answered")


def test_unweighted_interval_is_wilson(population):
    state = ex.sampling_bias_state(None, 48, 5, population)
    k = round(state.unweighted * 48)
    assert state.unweighted_ci == stats.wilson_interval(k, 48)


def test_bad_propensities_are_refused(population):
    from cityconv.core.problems import InputError

    with pytest.raises(InputError):
        ex.sampling_bias_state({"sex": {"Femal": 2.0}}, 48, 1, population)
    with pytest.raises(ValueError):
        ex.sampling_bias_state(None, 0, 1, population)


def test_sampling_bias_figure_alt_text_from_data(population):
    state = ex.sampling_bias_state(population=population)
    chart = ex.sampling_bias_figure(state)
    try:
        assert f"{round(state.unweighted * 100)}%" in chart.alt
        assert "Clubmoor" in chart.alt and "simulated" in chart.caption
    finally:
        import matplotlib.pyplot as plt

        plt.close(chart.fig)


# --------------------------------------------------------------------------------------------- precision


def test_precision_width_shrinks_with_n_and_matches_half_width(population):
    ns = [10, 48, 60, 100, 400, 1000]
    curve = ex.precision_curve(ns, 0.5, adults=population.adults)
    assert list(curve["n"]) == ns
    assert curve["half_width"].is_monotonic_decreasing
    for row in curve.itertuples():
        assert row.half_width == pytest.approx(stats.half_width(row.n), abs=1e-12)
        assert row.width == pytest.approx(2 * row.half_width)
        assert row.sampling_fraction == pytest.approx(row.n / population.adults)


def test_precision_at_whole_counts_is_wilson_interval():
    curve = ex.precision_curve([48], 0.25)
    low, high = stats.wilson_interval(12, 48)
    assert (curve.at[0, "ci_low"], curve.at[0, "ci_high"]) == (low, high)
    assert high - 0.25 > 0.25 - low  # asymmetric away from 50%


def test_precision_narrower_away_from_half():
    assert ex.precision_curve([48], 0.1)["width"].iloc[0] < ex.precision_curve([48], 0.5)["width"].iloc[0]


def test_sample_size_for_target():
    n = ex.sample_size_for(0.05)
    assert stats.half_width(n) <= 0.05 < stats.half_width(n - 1)
    with pytest.raises(ValueError):
        ex.sample_size_for(0.7)


def test_precision_summary_uses_stats(population):
    text = ex.precision_summary(48, 0.5, population)
    assert statistics_prose.precision_statement(48) in text
    assert "13,843" in text or f"{population.adults:,}" in text


# --------------------------------------------------------------------------------------------- recommendations


# A small rule set, written here so the switching logic is tested apart from the project's rules file:
# a rule fires when every finding in its first tuple holds and, if the second is not empty, one of it.
TOY_RULES = {
    "targeted-outreach": (("published_sample_bias_reproduced",), ()),
    "blended-engagement": (("digital_for_younger", "traditional_for_older"), ()),
    "mixed-methods": ((), ("blended_engagement_favoured", "published_sample_bias_reproduced")),
    "sustain-mutual-aid": (("covid_community_spirit", "sense_check_similar"), ()),
    "feed-back": (("sense_check_similar",), ()),
}
TOY_FINDINGS = {
    "published_sample_bias_reproduced": True, "digital_for_younger": True, "traditional_for_older": True,
    "blended_engagement_favoured": True, "covid_community_spirit": True, "sense_check_similar": True,
    "findings_fed_back": False,
}


def toy_engine() -> ex.RuleEngine:
    def fire(on):
        return [rid for rid, (all_of, any_of) in TOY_RULES.items()
                if all(on.get(f, False) for f in all_of) and (not any_of or any(on.get(f, False) for f in any_of))]

    return ex.RuleEngine(
        rule_ids=tuple(TOY_RULES), titles={r: r.replace("-", " ") for r in TOY_RULES}, texts={r: r for r in TOY_RULES},
        needs={r: tuple(dict.fromkeys(a + b)) for r, (a, b) in TOY_RULES.items()},
        base_findings=dict(TOY_FINDINGS), switchable=frozenset(TOY_FINDINGS),
        labels={f: f.replace("_", " ") for f in TOY_FINDINGS}, fire=fire, source="test rules", data_status="synthetic",
    )


def test_switching_off_unfires_the_rule_that_needs_it():
    engine = toy_engine()
    state = ex.recommendation_state(engine=engine)
    assert "blended-engagement" in state.fired
    off = ex.recommendation_state({"digital_for_younger": False}, engine)
    assert "blended-engagement" not in off.fired
    assert set(off.fired) == set(state.fired) - {"blended-engagement"}
    # a rule any one of two findings can satisfy survives losing one of them
    one_gone = ex.recommendation_state({"blended_engagement_favoured": False}, engine)
    assert "mixed-methods" in one_gone.fired
    both_gone = ex.recommendation_state({"blended_engagement_favoured": False, "published_sample_bias_reproduced": False}, engine)
    assert "mixed-methods" not in both_gone.fired


def test_pivotal_findings():
    engine = toy_engine()
    state = ex.recommendation_state(engine=engine)
    pivots = ex.pivotal_findings(state, engine)
    assert pivots.loc["blended-engagement", "digital_for_younger"]
    assert not pivots.loc["mixed-methods"].any()  # two findings hold, so neither alone is pivotal


def test_unknown_finding_is_refused():
    with pytest.raises(ValueError, match="unknown finding"):
        ex.recommendation_state({"digital_for_yonger": False}, toy_engine())


def test_project_rules_switching_off_unfires(repo_root):
    """With the project's rules: each pivotal, on finding un-fires its rule when switched off."""
    engine = ex.rule_engine("clubmoor", repo_root)
    state = ex.recommendation_state(engine=engine)
    pivots = ex.pivotal_findings(state, engine)
    checked = 0
    for rule in state.fired:
        for finding in pivots.columns[pivots.loc[rule]]:
            if state.findings[finding]:
                assert rule not in ex.recommendation_state({finding: False}, engine).fired
                checked += 1
    assert checked > 0


# --------------------------------------------------------------------------------------------- widgets


def test_sampling_bias_widget_reacts(population):
    explorer = ex.build_sampling_bias_widget(population)
    before = share(explorer.state, "sex", "Female")
    explorer.controls["n"].value = 1500
    explorer.controls["sex:Female"].value = 3.0
    assert explorer.state.n == 1500 and explorer.state.propensities["sex"]["Female"] == 3.0
    assert share(explorer.state, "sex", "Female") > before
    explorer.controls["no_bias"].click()
    assert explorer.state.propensities["sex"]["Female"] == 1.0


def test_precision_widget_reacts(population):
    explorer = ex.build_precision_widget(population)
    explorer.controls["n"].value = 400
    assert explorer.state["half_width"].iloc[0] == pytest.approx(stats.half_width(400))


def test_recommendation_widget_reacts():
    engine = toy_engine()
    explorer = ex.build_recommendation_widget(engine)
    assert "blended-engagement" in explorer.state.fired
    explorer.controls["digital_for_younger"].value = False
    assert "blended-engagement" not in explorer.state.fired
    explorer.controls["reset"].click()
    assert "blended-engagement" in explorer.state.fired


# --------------------------------------------------------------------------------------------- notebooks as the pipeline runs them


def test_teaching_params_hand_every_declared_parameter(repo_root):
    from cityconv.core.params import load_params
    from cityconv.core.paths import Project
    from cityconv.pipeline.templates import check_parameters, discover, parameters_for, templates_for

    project = Project(repo_root)
    params = load_params(project.params_dir / "teaching.yml", project.root)
    templates, _ = discover(project)
    chosen, problems = templates_for(params, templates)
    assert not problems and [t.id for t in chosen] == list(NOTEBOOKS)
    for template in chosen:
        handed = parameters_for(params, template)
        assert handed["interactive"] == "auto"  # the in-page explorer under papermill; widgets in JupyterLab
        assert not check_parameters(params, template, handed)


@pytest.mark.parametrize("template_id", list(NOTEBOOKS))
def test_notebook_run_as_the_pipeline_runs_it_shows_the_page_explorer(template_id, real_book):
    """`interactive: auto` under the pipeline: the in-page explorer (HTML, with the PNG for print), no widget.
    Read from the session's real-book build, which ran the teaching study with these parameters."""
    from real_book import executed_chapter

    nb = executed_chapter(real_book, "teaching", NOTEBOOKS[template_id].name)
    (injected,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    for handed in ('study_id = "teaching"', 'ward_id = "clubmoor"', 'interactive = "auto"'):
        assert handed in injected.source.splitlines()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    explorers = [o for o in outputs if "data-cityconv-explorer" in o.get("data", {}).get("text/html", "")]
    assert len(explorers) == 1
    assert "image/png" in explorers[0]["data"]  # the default state, for print and other renderers
    assert not any(WIDGET_MIME in o.get("data", {}) for o in outputs)
    if template_id == "recommendation-explorer":  # it reads Clubmoor's reconstructed records
        assert any("Reconstructed response-level data" in o.get("data", {}).get("text/markdown", "") for o in outputs)
