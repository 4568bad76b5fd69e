"""The teaching explorers: pure functions, figures and ipywidgets wiring for three interactive notebooks.

Why this module exists: the teaching notebooks (`notebooks/40-…`, `41-…`, `42-…`) let a class change
an assumption and watch a result move. Everything that computes lives here, as pure functions with
unit tests (`tests/test_explorers.py`); the widgets only call them. The pipeline runs the same
notebooks with `interactive=False`, which shows each explorer's *default* state as a static figure,
so the book page needs no kernel.

Three explorers:

1. **Sampling bias** (`sampling_bias_state`): respondents are drawn from a ward's Census 2021 adults
   with the sampling model of `cityconv.generate.simulate` (`draw_sample`, `expected_composition`,
   `sample_composition`, `CLUBMOOR_LIKE_PROPENSITIES`). The headline estimate is the share naming
   *social media* as a way they would like public agencies to engage with them. Its chance depends on
   age group only, taken from the reconstruction's assumptions (`cityconv.generate.reconstruct.METHOD_PROBABILITIES`,
   which are invented, chosen to show the published finding that digital tools reach younger people).
   So the "population value" is a property of this teaching model, not a finding about Clubmoor.
   Weighting is raking (`cityconv.methods.stats.rake`) to three margins: age group (younger 16-44, middle
   45-64, older 65+, as `cityconv.generate.reconstruct.AGE_GROUP`), sex, and ethnic group collapsed to White /
   ethnic minority groups. Categories are collapsed because a survey of a few dozen people often has
   nobody in a small group, and raking cannot give weight to people who are not there.
2. **Precision** (`precision_curve`): Wilson interval width against sample size, with the ward's
   adults for context. At a share of 0.5 the half-width is exactly `cityconv.methods.stats.half_width(n)`.
3. **Recommendations** (`recommendation_state`): switch findings on and off and see which rules of
   `cityconv.chapters.recommendations` fire.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from cityconv.chapters import statistics_prose
from cityconv.generate import reconstruct as rc
from cityconv.generate.simulate import (
    CENSUS_AGE_TO_SURVEY,
    CLUBMOOR_LIKE_PROPENSITIES,
    check_propensities,
    draw_sample,
    expected_composition,
    hashable_margins,
    population_margins,
    sample_composition,
)
from cityconv.methods import stats
from cityconv.present import (
    MUTED,
    PALETTE,
    Chart,
    fmt_int,
    fmt_pct,
    fmt_pp,
    use_house_style,
)
from cityconv.present.figures import wrap_label
from cityconv.present.prose import join_words, template_renderer

TEACHING_WARD = "clubmoor"
DEFAULT_N = 48  # the published number of Clubmoor survey responses (see published_figures.csv)
DEFAULT_SEED = 2020
HEADLINE_CODE = "social_media"
HEADLINE_LABEL = "name social media as a way they would like to be engaged"
AGE_GROUP_LABELS = {"younger": "16-44", "middle": "45-64", "older": "65+"}
WHITE = "White"
MINORITY = "Ethnic minority groups"
DIMENSION_LABELS = {"age_band": "Age", "sex": "Sex", "ethnic_group": "Ethnic group"}

TEMPLATES = Path(__file__).parent / "templates" / "explorers"
render = template_renderer(TEMPLATES)

PROPENSITY_RANGE = (0.0, 3.0)


# ==================================================================================================
# The ward's population
# ==================================================================================================


@dataclass(frozen=True)
class WardPopulation:
    """What the explorers need to know about a ward: its adults' margins and how many adults there are."""

    ward_id: str
    name: str
    margins: dict[str, dict[str, float]]
    adults: int  # residents aged 15+ (Census 2021 best fit); 15-24 stands in for the survey's 16-24
    published: dict[str, int] = field(default_factory=dict)  # published figures (Clubmoor only)


@lru_cache(maxsize=8)
def _load_population(ward_id: str, root: str | None) -> WardPopulation:
    from cityconv.core.params import load_params
    from cityconv.core.paths import Project
    from cityconv.data.context import load_context

    project = Project(Path(root)) if root else Project.discover()
    params = load_params(project.params_file(ward_id), project.root)
    if params.ward is None:
        raise ValueError(f"params/{ward_id}.yml has no ward section, so it has no population to sample from")
    context = load_context(project.context_dir, params.ward.code, params.ward.boundary_set)
    margins = population_margins(context)
    age = context.age
    rows = age[(age["ward_code"] == context.ward_code) & (age["boundary_set"] == context.boundary_set)]
    adults = int(rows.loc[rows["category"].isin(list(CENSUS_AGE_TO_SURVEY)), "count"].sum())
    published: dict[str, int] = {}
    if params.data_dir:
        path = project.root / params.data_dir / "published_figures.csv"
        if path.is_file():
            figures = pd.read_csv(path, dtype={"figure_id": str})
            published = {str(r.figure_id): int(r.value) for r in figures.itertuples() if float(r.value).is_integer()}
    return WardPopulation(ward_id, params.ward.name, margins, adults, published)


def load_population(ward_id: str = TEACHING_WARD, root: Path | str | None = None) -> WardPopulation:
    """The ward's adults by age band, sex and ethnic group (shares), its adult count and published figures."""
    return _load_population(ward_id, str(Path(root).resolve()) if root else None)


# ==================================================================================================
# 1. Sampling bias
# ==================================================================================================


def headline_probabilities() -> dict[str, float]:
    """Chance that a respondent in each age band names the headline method (teaching model)."""
    position = rc.METHODS.index(HEADLINE_CODE)
    return {band: float(rc.METHOD_PROBABILITIES[rc.AGE_GROUP[band]][position]) for band in CENSUS_AGE_TO_SURVEY.values()}


def _age_group(band: str) -> str:
    return AGE_GROUP_LABELS[rc.AGE_GROUP[band]]


def weighting_margins(margins: Mapping[str, Mapping[str, float]]) -> dict[str, pd.Series]:
    """Population margins for raking, with sparse categories collapsed (see module docstring)."""
    return {name: shares.copy() for name, shares in _weighting_margins(hashable_margins(margins)).items()}


# Remembered per ward: the page's explorer rakes hundreds of samples of one ward to the same margins.
@lru_cache(maxsize=8)
def _weighting_margins(frozen_margins: tuple) -> dict[str, pd.Series]:
    margins = {dim: dict(groups) for dim, groups in frozen_margins}
    age = stats.collapse_shares(pd.Series(margins["age_band"]), {b: _age_group(b) for b in margins["age_band"]})
    sex = pd.Series(margins["sex"], dtype=float)
    eth = stats.collapse_shares(
        pd.Series(margins["ethnic_group"]), {g: (WHITE if g == WHITE else MINORITY) for g in margins["ethnic_group"]}
    )
    return {"age_group": age, "sex": sex, "ethnic_group_2": eth}


def _weighting_columns(sample: pd.DataFrame) -> pd.DataFrame:
    bands = sample["age_band"]
    ethnic_group = sample["ethnic_group"]
    return pd.DataFrame({
        "age_group": bands.map({band: _age_group(band) for band in bands.unique()}),
        "sex": sample["sex"],
        "ethnic_group_2": stats.collapse_categories(ethnic_group, {g: MINORITY for g in ethnic_group.unique() if g != WHITE}),
    }, index=sample.index)


#: How each weighting group is named in a reader's sentence ("Nobody {who} answered").
WEIGHTING_GROUP_WORDS = {
    "age_group": lambda g: f"aged {g}",
    "sex": lambda g: {"Female": "who is a woman", "Male": "who is a man"}.get(g, f"of sex {g}"),
    "ethnic_group_2": lambda g: "from an ethnic minority group" if g == MINORITY else f"in the group {g}",
}


def weighting_gap_note(sample: pd.DataFrame, margins: Mapping[str, Mapping[str, float]]) -> str:
    """Why a sample cannot be weighted, in a reader's words: the groups of the ward with nobody in it.

    Why: raking needs at least one respondent in every group that has residents; the library's error
    names columns and functions, which a teacher or student should never see.
    """
    columns, targets = _weighting_columns(sample), weighting_margins(margins)
    missing = [WEIGHTING_GROUP_WORDS[dim](str(group)) for dim, shares in targets.items()
               for group, share in shares.items() if share > 0 and not (columns[dim] == group).any()]
    if not missing:
        return "This sample cannot be weighted: some answers cannot be matched to the ward's population."
    return (f"Nobody {join_words(missing, 'or')} answered, so weighting cannot represent them: "
            "this sample has no weighted estimate.")


@dataclass(frozen=True, eq=False)
class SamplingBiasState:
    """One run of the sampling-bias explorer: who answered, and what the headline estimate looks like."""

    ward_name: str
    propensities: dict[str, dict[str, float]]  # every group's propensity (1.0 where not given)
    n: int
    seed: int
    composition: pd.DataFrame  # dimension, category, population_share, expected_share, count, share, weighted_share
    population_value: float  # the headline share among all the ward's adults (teaching model)
    expected_unweighted: float  # what an unweighted estimate tends to with these propensities (no noise)
    unweighted: float
    unweighted_ci: tuple[float, float]
    weighted: float  # NaN when the sample cannot be weighted
    weighting_note: str  # "" when raking converged; otherwise why the weighted estimate is missing or approximate
    design_effect: float
    effective_sample_size: float

    @property
    def bias_unweighted(self) -> float:
        return self.unweighted - self.population_value

    @property
    def bias_weighted(self) -> float:
        return self.weighted - self.population_value


def sampling_bias_state(
    propensities: Mapping | None = None,
    n: int = DEFAULT_N,
    seed: int = DEFAULT_SEED,
    population: WardPopulation | None = None,
) -> SamplingBiasState:
    """Draw a sample of `n` with the given response propensities; estimate the headline, unweighted and raked.

    `propensities` maps characteristic -> group -> multiplier of the chance of responding, as in
    `cityconv.generate.simulate` (None: `CLUBMOOR_LIKE_PROPENSITIES`, the explorer's default; `{}`: no bias).
    Same arguments, same result (one seeded `numpy.random.default_rng(seed)`).
    """
    pop = population or load_population()
    chosen = CLUBMOOR_LIKE_PROPENSITIES if propensities is None else propensities
    margins = pop.margins
    full = check_propensities(chosen, margins)
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    sample = draw_sample(margins, full, n, rng)
    p_by_band = headline_probabilities()
    outcome = pd.Series(rng.random(n) < sample["age_band"].map(p_by_band).to_numpy(), index=sample.index)

    expected = expected_composition(margins, full)
    observed = sample_composition(sample, margins)
    # Both list the margins' groups in the margins' order: the sample's counts go beside the expected shares.
    groups = ["dimension", "category"]
    assert observed[groups].values.tolist() == expected[groups].values.tolist()
    composition = expected.assign(count=observed["count"].to_numpy(), share=observed["share"].to_numpy())

    population_value = sum(share * p_by_band[band] for band, share in margins["age_band"].items())
    exp_age = expected[expected["dimension"] == "age_band"].set_index("category")["expected_share"]
    expected_unweighted = float(sum(exp_age[band] * p for band, p in p_by_band.items()))

    successes = int(outcome.sum())
    unweighted = successes / n
    ci = stats.wilson_interval(successes, n)

    weights = None
    note = ""
    deff = ess = math.nan
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            result = stats.rake(_weighting_columns(sample), weighting_margins(margins))
        weights = result.weights
        deff, ess = result.design_effect, result.effective_sample_size
        if not result.converged or any(issubclass(w.category, RuntimeWarning) for w in caught):
            note = (
                "Weighting could not match the ward exactly without extreme weights (none is below 0.2 or "
                f"above 5), so the weighted shares miss the ward's by up to {fmt_pp(result.max_margin_error, 1)}."
            )
    except ValueError:  # the reason in reader words, never the library's message
        note = weighting_gap_note(sample, margins)
    if weights is not None:
        weighted = stats.weighted_share(outcome, weights)
        total = float(weights.sum())
        by_group = {dim: weights.groupby(sample[dim].to_numpy()).sum() for dim in composition["dimension"].unique()}
        composition["weighted_share"] = [float(by_group[row.dimension].get(row.category, 0.0)) / total
                                         for row in composition.itertuples()]
    else:
        weighted = math.nan
        composition["weighted_share"] = math.nan
    composition["count"] = composition["count"].fillna(0).astype(int)
    return SamplingBiasState(
        ward_name=pop.name,
        propensities=full,
        n=n,
        seed=int(seed),
        composition=composition,
        population_value=float(population_value),
        expected_unweighted=expected_unweighted,
        unweighted=float(unweighted),
        unweighted_ci=ci,
        weighted=float(weighted),
        weighting_note=note,
        design_effect=float(deff),
        effective_sample_size=float(ess),
    )


def _group_label(dimension: str, category: str) -> str:
    return f"{DIMENSION_LABELS[dimension]}: {category}"


def sampling_bias_summary_parts(state: SamplingBiasState) -> tuple[str, str, str]:
    """The summary in three sentences: who answered; the unweighted estimate; the weighted one.

    Kept apart so that the book's in-page explorer can show the third only while weighting is on.
    """
    comp = state.composition
    comp = comp.assign(gap=comp["share"] - comp["population_share"])
    over = comp.loc[comp["gap"].idxmax()]
    under = comp.loc[comp["gap"].idxmin()]
    n = fmt_int(state.n)
    who = render("sampling_who", {
        "n": n, "seed": state.seed, "ward": state.ward_name,
        "over": _group_label(over.dimension, over.category).lower(), "over_share": fmt_pct(over.share),
        "over_population": fmt_pct(over.population_share),
        "under": _group_label(under.dimension, under.category).lower(), "under_share": fmt_pct(under.share),
        "under_population": fmt_pct(under.population_share)})
    unweighted = render("sampling_unweighted", {
        "population_value": fmt_pct(state.population_value), "headline": HEADLINE_LABEL,
        "unweighted": fmt_pct(state.unweighted), "low": fmt_pct(state.unweighted_ci[0]),
        "high": fmt_pct(state.unweighted_ci[1]), "expected": fmt_pct(state.expected_unweighted)})
    has_weights = not math.isnan(state.weighted)
    weighted = render("sampling_weighted", {
        "weighted": fmt_pct(state.weighted) if has_weights else "", "note": state.weighting_note,
        "design_effect": f"{state.design_effect:.2f}" if has_weights else "", "n": n,
        "effective_n": fmt_int(state.effective_sample_size) if has_weights else ""})
    return who, unweighted, weighted


def sampling_bias_summary(state: SamplingBiasState) -> str:
    """Plain-English sentences on the state shown, every number from `state`."""
    return " ".join(sampling_bias_summary_parts(state))


def sampling_bias_figure(state: SamplingBiasState) -> Chart:
    """Dot chart of who answered against who lives there, and the headline estimate three ways."""
    import matplotlib.pyplot as plt

    use_house_style()
    comp = state.composition.reset_index(drop=True)
    labels = [_group_label(r.dimension, r.category) for r in comp.itertuples()]
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(8.5, 9.6), gridspec_kw={"height_ratios": [len(comp), 4.2]}, constrained_layout=True
    )
    y = np.arange(len(comp))[::-1]
    ax.hlines(y, comp["population_share"] * 100, comp["share"] * 100, color=MUTED, lw=2, zorder=1)
    ax.scatter(comp["population_share"] * 100, y, s=70, facecolor="white", edgecolor="#1A1A1A", lw=1.5,
               label="Adults in the ward", zorder=3)
    ax.scatter(comp["share"] * 100, y, s=55, color=PALETTE[0], marker="o", label="Respondents (unweighted)", zorder=4)
    if comp["weighted_share"].notna().all():
        ax.scatter(comp["weighted_share"] * 100, y, s=55, color=PALETTE[1], marker="D",
                   label="Respondents (weighted)", zorder=5)
    ax.set_yticks(y, labels)
    ax.set_xlabel("Share of the group (%)")
    ax.set_title(f"Who answered, compared with {state.ward_name}'s adults")
    ax.legend(loc="lower right", frameon=True)
    ax.set_xlim(0, max(100, float(comp[["share", "population_share"]].max().max()) * 100 + 5))

    rows = [
        ("Population value (model)", state.population_value, None, "#1A1A1A", "o"),
        ("Unweighted: expected", state.expected_unweighted, None, MUTED, "o"),
        ("Unweighted: this sample", state.unweighted, state.unweighted_ci, PALETTE[0], "o"),
        ("Weighted: this sample", state.weighted, None, PALETTE[1], "D"),
    ]
    for i, (_label, value, ci, colour, marker) in enumerate(rows):
        yy = len(rows) - 1 - i
        if ci is not None:
            ax2.hlines(yy, ci[0] * 100, ci[1] * 100, color=colour, lw=2.5)
        if not math.isnan(value):
            ax2.scatter([value * 100], [yy], s=80, color=colour, marker=marker, edgecolor="#1A1A1A", zorder=3)
            ax2.annotate(fmt_pct(value), (value * 100, yy), xytext=(0, 9), textcoords="offset points",
                         ha="center", fontsize=10)
        else:
            ax2.annotate("cannot weight this sample", (2, yy), va="center", fontsize=10)
    ax2.axvline(state.population_value * 100, color="#1A1A1A", lw=1, ls=":")
    ax2.set_yticks(range(len(rows))[::-1], [r[0] for r in rows])
    ax2.set_xlim(0, 100)
    ax2.set_ylim(-0.6, len(rows) - 0.3)
    ax2.set_xlabel("Share who name social media (%); line = 95% Wilson interval")
    ax2.set_title("Headline estimate: weighted and unweighted")

    comp_gap = comp.assign(gap=comp["share"] - comp["population_share"])
    over = comp_gap.loc[comp_gap["gap"].idxmax()]
    alt = (
        f"Two dot charts. The first compares the make-up of {fmt_int(state.n)} simulated respondents with "
        f"{state.ward_name}'s adults for {len(comp)} groups of age, sex and ethnic group; the largest gap is "
        f"{_group_label(over.dimension, over.category).lower()}, {fmt_pct(over.share)} of respondents against "
        f"{fmt_pct(over.population_share)} of adults. The second shows the share who name social media: "
        f"{fmt_pct(state.population_value)} in the population model, {fmt_pct(state.unweighted)} unweighted "
        f"in this sample (95% interval {fmt_pct(state.unweighted_ci[0])} to {fmt_pct(state.unweighted_ci[1])}) and "
        + (f"{fmt_pct(state.weighted)} weighted." if not math.isnan(state.weighted) else "no weighted estimate, because the sample cannot be weighted.")
    )
    caption = (
        f"Sampling bias explorer, state shown: {fmt_int(state.n)} respondents drawn from {state.ward_name}'s "
        "Census 2021 adults with the chosen response propensities (simulated; a teaching model, not findings)."
    )
    return Chart(fig, alt, caption, status="synthetic")


# ==================================================================================================
# 2. Precision
# ==================================================================================================


def _wilson_fractional(successes: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson bounds for a possibly fractional count (as `stats.half_width` does at n/2)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=1.0 - confidence, method="wilson")
    return max(float(low), 0.0), min(float(high), 1.0)


def wilson_bounds(n: int, share: float = 0.5, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson interval around `share` for one sample size: the one computation `precision_curve`,
    `sample_size_for` and the explorer's sentences share (a scalar, so a search over n builds no table)."""
    n = int(n)
    if n < 1:
        raise ValueError(f"sample sizes must be at least 1, got {n}")
    if abs(share - 0.5) < 1e-12:
        hw = stats.half_width(n, confidence)
        return 0.5 - hw, 0.5 + hw
    if float(share * n).is_integer():
        return stats.wilson_interval(int(share * n), n, confidence)
    return _wilson_fractional(share * n, n, confidence)


def _checked_share(share: float) -> float:
    share = float(share)
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    return share


def precision_curve(
    ns: Iterable[int], share: float = 0.5, confidence: float = 0.95, adults: int | None = None
) -> pd.DataFrame:
    """Wilson interval around `share` for each sample size in `ns`.

    Columns: n, share, ci_low, ci_high, half_width (a share; ±), width, and, with `adults`,
    sampling_fraction = n / adults. At share 0.5 the half-width equals `stats.half_width(n)`; at
    an integer count it equals `stats.wilson_interval`. Intervals assume a random sample: they say
    nothing about the bias the sampling-bias explorer shows.
    """
    share = _checked_share(share)
    rows = []
    for n in ns:
        low, high = wilson_bounds(n, share, confidence)
        row = {"n": int(n), "share": share, "ci_low": low, "ci_high": high, "half_width": (high - low) / 2,
               "width": high - low}
        if adults:
            row["sampling_fraction"] = int(n) / adults
        rows.append(row)
    return pd.DataFrame(rows)


@lru_cache(maxsize=256)
def sample_size_for(target_half_width: float, share: float = 0.5, confidence: float = 0.95, max_n: int = 100_000) -> int:
    """Smallest n whose Wilson half-width around `share` is at most `target_half_width` (a share, e.g. 0.05).

    Cached: the explorer asks it once per sentence, thousands of times for the same few shares."""
    target = float(target_half_width)
    if not 0 < target < 0.5:
        raise ValueError(f"target half-width must be a share between 0 and 0.5, got {target!r}")
    share = _checked_share(share)

    def ok(n: int) -> bool:
        low, high = wilson_bounds(n, share, confidence)
        return (high - low) / 2 <= target

    lo, hi = 1, 1
    while not ok(hi):
        hi *= 2
        if hi > max_n:
            raise ValueError(f"no sample size up to {max_n:,} reaches ±{target:.3f}")
    while lo < hi:  # half-width falls with n for a fixed share
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


DEFAULT_NS = tuple(range(10, 1001, 5))


def precision_marks(population: WardPopulation) -> dict[int, str]:
    """Sample sizes worth marking on the curve: the published survey responses and target, where known."""
    marks = {}
    if "survey_responses" in population.published:
        marks[population.published["survey_responses"]] = "survey responses (published)"
    if "target_residents_engaged" in population.published:
        marks[population.published["target_residents_engaged"]] = "residents to engage (published target)"
    return marks or {DEFAULT_N: "a survey of this size"}


#: The precision explorer's sentence, shared with the book's in-page explorer (which fills the same
#: fields from numbers precomputed here), so the page and the package say the same thing.
PRECISION_SUMMARY = (
    "With {n} responses and an observed share of {share}, the {confidence} Wilson interval runs from {low} to "
    "{high}: about ±{half_width}. {n} responses are {fraction} of {ward}'s {adults} residents aged 15 and over "
    "(Census 2021). To be within ±5 percentage points at this share would take {n5} responses. {statement}"
)


def precision_summary_fields(n: int, share: float, population: WardPopulation, confidence: float = 0.95) -> dict[str, str]:
    """The formatted numbers `PRECISION_SUMMARY` needs, for one sample size and share."""
    low, high = wilson_bounds(n, _checked_share(share), confidence)
    return {
        "n": fmt_int(n),
        "share": fmt_pct(share),
        "confidence": fmt_pct(confidence),
        "low": fmt_pct(low, 1),
        "high": fmt_pct(high, 1),
        "half_width": fmt_pp((high - low) / 2, 1),
        "fraction": fmt_pct(int(n) / population.adults, 1),
        "ward": population.name,
        "adults": fmt_int(population.adults),
        "n5": fmt_int(sample_size_for(0.05, share, confidence)),
        "statement": statistics_prose.precision_statement(n, confidence),
    }


def precision_summary(n: int, share: float, population: WardPopulation, confidence: float = 0.95) -> str:
    return PRECISION_SUMMARY.format(**precision_summary_fields(n, share, population, confidence))


def precision_figure(
    population: WardPopulation,
    share: float = 0.5,
    ns: Sequence[int] = DEFAULT_NS,
    highlight: int | None = None,
    confidence: float = 0.95,
) -> Chart:
    """The Wilson interval around `share` narrowing as n grows, with the published sample sizes marked."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mpl_ticker

    use_house_style()
    curve = precision_curve(ns, share, confidence, population.adults)
    marks = precision_marks(population)
    if highlight is not None:
        marks = {**marks, int(highlight): marks.get(int(highlight), "chosen sample size")}
    fig, ax = plt.subplots(figsize=(8.5, 5.2), constrained_layout=True)
    ax.fill_between(curve["n"], curve["ci_low"] * 100, curve["ci_high"] * 100, color=PALETTE[4], alpha=0.35,
                    label=f"{fmt_pct(confidence)} Wilson interval")
    ax.plot(curve["n"], [share * 100] * len(curve), color=PALETTE[0], lw=1.5, label="Observed share")
    at = precision_curve(sorted(marks), share, confidence, population.adults)
    for k, row in enumerate(at.itertuples()):
        ax.vlines(row.n, row.ci_low * 100, row.ci_high * 100, color=PALETTE[5], lw=2.5)
        above = k % 2 == 0  # alternate labels above and below so neighbouring marks do not collide
        ax.annotate(f"n = {fmt_int(row.n)}, {marks[row.n]}:\n±{fmt_pp(row.half_width)}",
                    (row.n, (row.ci_high if above else row.ci_low) * 100), xytext=(6, 10 if above else -12),
                    textcoords="offset points", va="bottom" if above else "top", fontsize=10, color=PALETTE[5])
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(mpl_ticker.FuncFormatter(lambda v, _p: fmt_int(v)))
    ax.set_xlabel(f"Number of responses (log scale); {population.name} has {fmt_int(population.adults)} adults")
    ax.set_ylabel("Estimated share (%)")
    ax.set_ylim(0, 100)
    ax.set_title("How the margin of error shrinks with more responses")
    ax.legend(loc="lower right")
    first, last = curve.iloc[0], curve.iloc[-1]
    mark_text = "; ".join(f"at {fmt_int(r.n)} responses ({marks[r.n]}) it is ±{fmt_pp(r.half_width)}" for r in at.itertuples())
    alt = (
        f"Line chart of the {fmt_pct(confidence)} Wilson interval around an observed share of {fmt_pct(share)} "
        f"for sample sizes from {fmt_int(first.n)} to {fmt_int(last.n)} on a log scale. The interval is "
        f"±{fmt_pp(first.half_width)} at {fmt_int(first.n)} responses and ±{fmt_pp(last.half_width)} at "
        f"{fmt_int(last.n)}; {mark_text}."
    )
    caption = (
        f"Precision explorer, state shown: observed share {fmt_pct(share)}. Intervals assume a random sample "
        "of the ward's adults; they do not measure bias. No survey records are used: the intervals follow from "
        "the share and the number of responses alone, and the ward's adults are from Census 2021."
    )
    return Chart(fig, alt, caption, status="published")  # no records: the Census adults only, no synthetic label


# ==================================================================================================
# 3. Recommendations
# ==================================================================================================
#
# Switching a finding "off" means: it does not hold. For a yes/no finding that is "no"; for a number,
# share, list or text finding it is "not known" (value None), so any rule that reads it cannot be
# true (`cityconv.chapters.recommendations` uses three-valued logic and fires only on true). Switching "on"
# restores the recorded value; a finding not known for the ward cannot be switched on (nothing to
# restore), except a yes/no finding, which is then "yes".


@dataclass(frozen=True)
class RuleEngine:
    """Rules, the ward's findings switched on or off as recorded, and how to evaluate a switch setting."""

    rule_ids: tuple[str, ...]
    titles: dict[str, str]  # rule id -> short title
    texts: dict[str, str]  # rule id -> the recommendation
    needs: dict[str, tuple[str, ...]]  # rule id -> finding ids its condition reads
    base_findings: dict[str, bool]  # finding id -> holds as recorded
    switchable: frozenset[str]  # findings that can be switched on as well as off
    labels: dict[str, str]  # finding id -> plain-English label
    fire: Callable[[Mapping[str, bool]], list[str]]  # switch setting -> ids of the rules that fire
    source: str  # the module whose rules these are: "cityconv.chapters.recommendations"
    data_status: str  # of the findings: observed, reconstructed or synthetic


def _holds(finding: Any) -> bool:
    """On as recorded: a yes/no finding that is yes; any other finding that is known."""
    if finding.value is None:
        return False
    return bool(finding.value) if finding.kind == "bool" else True


def _real_engine(rec: Any, ward_id: str, project: Any) -> RuleEngine:
    from cityconv.chapters import findings as findings_catalogue
    from cityconv.chapters.loader import open_chapter
    from cityconv.core.problems import InputError
    from cityconv.data.rules import load_rules, rules_path
    from cityconv.methods.conditions import condition_findings

    problems = rec.validate_rules(project)
    if problems:
        raise InputError(problems)
    rules = load_rules(rules_path(project), project.root)
    chapter = open_chapter(ward_id, project.root)
    recorded = findings_catalogue.load_findings(chapter)
    used = list(dict.fromkeys(f for r in rules for f in condition_findings(r.when)))
    used += [f for f in recorded if f not in used]

    def switched(on: Mapping[str, bool]) -> dict[str, Any]:
        out = dict(recorded)
        for fid, want in on.items():
            f = recorded[fid]
            if want == _holds(f):
                continue
            if f.kind == "bool":
                out[fid] = findings_catalogue.make_finding(fid, bool(want), f.codes_display or None)
            elif not want:
                out[fid] = findings_catalogue.make_finding(fid, None)
        return out

    def fire(on: Mapping[str, bool]) -> list[str]:
        return [x.rule.id for x in rec.evaluate(rules, switched(on)) if x.fired]

    return RuleEngine(
        rule_ids=tuple(r.id for r in rules),
        titles={r.id: r.title for r in rules},
        texts={r.id: r.text for r in rules},
        needs={r.id: tuple(condition_findings(r.when)) for r in rules},
        base_findings={fid: _holds(recorded[fid]) for fid in used},
        switchable=frozenset(fid for fid in used if recorded[fid].kind == "bool" or recorded[fid].value is not None),
        labels={fid: findings_catalogue.FINDINGS[fid].label for fid in used},
        fire=fire,
        source="cityconv.chapters.recommendations",
        data_status=chapter.data_status,
    )


def rule_engine(ward_id: str = TEACHING_WARD, root: Path | str | None = None) -> RuleEngine:
    """The project's rules and the ward's findings (`cityconv.chapters.recommendations`).

    A missing or broken rules file raises `InputError`, as everywhere else.
    """
    from cityconv.chapters import recommendations as rec
    from cityconv.core.paths import Project

    project = Project(Path(root).resolve()) if root else Project.discover()
    return _real_engine(rec, ward_id, project)


@dataclass(frozen=True)
class RecommendationState:
    findings: dict[str, bool]  # finding id -> on (holds) after overrides
    overrides: dict[str, bool]
    fired: tuple[str, ...]  # ids of the rules that fire, in rule order
    rule_ids: tuple[str, ...]  # every rule, in rule order
    source: str


def recommendation_state(findings_overrides: Mapping[str, bool] | None = None, engine: RuleEngine | None = None) -> RecommendationState:
    """Which rules fire once the given findings are switched on (True) or off (False)."""
    engine = engine or rule_engine()
    overrides = {str(k): bool(v) for k, v in (findings_overrides or {}).items()}
    unknown = sorted(set(overrides) - set(engine.base_findings))
    if unknown:
        from cityconv.core.params import did_you_mean

        raise ValueError(f"unknown finding {unknown[0]!r}{did_you_mean(unknown[0], set(engine.base_findings))}")
    stuck = sorted(f for f, v in overrides.items() if v and not engine.base_findings[f] and f not in engine.switchable)
    if stuck:
        raise ValueError(f"finding {stuck[0]!r} is not known for this ward, so it cannot be switched on")
    on = {**engine.base_findings, **overrides}
    fired = set(engine.fire(on))
    return RecommendationState(on, overrides, tuple(r for r in engine.rule_ids if r in fired), engine.rule_ids, engine.source)


def pivotal_findings(state: RecommendationState, engine: RuleEngine) -> pd.DataFrame:
    """Rules × the findings rules read: True where switching that one finding (from `state`) changes
    whether the rule fires.

    Worked out by switching, so it needs nothing of a rule but that it can be evaluated. A rule that
    any one of several findings can satisfy has no pivotal finding while two of them hold; a finding
    that is not known cannot be switched on, so it is never pivotal that way.
    """
    findings = list(dict.fromkeys(f for r in engine.rule_ids for f in engine.needs[r] if f in engine.base_findings))
    fired = set(state.fired)
    table = {}
    for finding in findings:
        on = state.findings[finding]
        if not on and finding not in engine.switchable:
            table[finding] = [False] * len(engine.rule_ids)
            continue
        flipped = set(engine.fire({**state.findings, finding: not on}))
        table[finding] = [(r in fired) != (r in flipped) and finding in engine.needs[r] for r in engine.rule_ids]
    return pd.DataFrame(table, index=list(engine.rule_ids), columns=findings, dtype=bool)


def recommendation_figure(state: RecommendationState, engine: RuleEngine | None = None) -> Chart:
    """Grid of rules (rows) against the findings they read (columns): on/off, pivotal findings, what fires."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    use_house_style()
    engine = engine or rule_engine()
    pivots = pivotal_findings(state, engine)
    findings = list(pivots.columns)
    rules = list(pivots.index)
    width = min(15.0, max(8.5, 0.42 * len(findings) + 6))
    fig, ax = plt.subplots(figsize=(width, 0.45 * len(rules) + 5.2), constrained_layout=True)
    for i, rule in enumerate(rules):
        yy = len(rules) - 1 - i
        fires = rule in state.fired
        ax.axhspan(yy - 0.45, yy + 0.45, color=PALETTE[2] if fires else MUTED, alpha=0.3, lw=0)
        for j, finding in enumerate(findings):
            if finding not in engine.needs[rule]:
                continue
            on = state.findings[finding]
            pivotal = bool(pivots.loc[rule, finding])
            ax.scatter([j], [yy], s=150 if pivotal else 90, marker="s", color=PALETTE[0] if on else "white",
                       edgecolor=PALETTE[5] if pivotal else PALETTE[0], lw=2.6 if pivotal else 1.5, zorder=3)
    # reader labels, wrapped so that they fit: never a finding's id
    ax.set_xticks(range(len(findings)),
                  [wrap_label(f"{engine.labels.get(f, f.replace('_', ' '))} ({'on' if state.findings[f] else 'OFF'})", 40)
                   for f in findings], rotation=90, ha="center", fontsize=8)
    ax.set_yticks(range(len(rules))[::-1], [wrap_label(f"{engine.titles.get(r, r)} — "
                                                      f"{'FIRES' if r in state.fired else 'does not fire'}", 40)
                                           for r in rules], fontsize=9)
    ax.set_xlim(-0.6, len(findings) - 0.4)
    ax.set_ylim(-0.6, len(rules) - 0.4)
    ax.grid(False)
    ax.set_title("Which recommendations follow, and which findings they rest on")
    handles = [
        Line2D([], [], marker="s", ls="", ms=9, color=PALETTE[0], label="finding read by the rule, on"),
        Line2D([], [], marker="s", ls="", ms=9, markerfacecolor="white", markeredgecolor=PALETTE[0], label="read by the rule, off"),
        Line2D([], [], marker="s", ls="", ms=10, markerfacecolor="white", markeredgecolor=PALETTE[5], markeredgewidth=2.6,
               label="pivotal: switching it alone changes the rule"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=10)  # fits 8.5 in
    off = [f for f, v in state.findings.items() if not v]
    n_pivotal = int(pivots.to_numpy().sum())
    alt = (
        f"Grid of {len(rules)} recommendation rules (rows) against the {len(findings)} findings they read (columns); "
        f"a square marks a finding a rule reads, filled when the finding is on, outlined in orange when switching it "
        f"alone would change whether the rule fires ({n_pivotal} such pairs). {len(state.fired)} of {len(rules)} rules fire"
        + (f": {'; '.join(engine.titles.get(r, r) for r in state.fired)}." if state.fired else ".")
        + (f" Findings off: {', '.join(f.replace('_', ' ') for f in off)}." if off else " Every finding is on.")
    )
    caption = (
        "Recommendation explorer, state shown: the ward's findings "
        + ("with changes" if state.overrides else "as recorded")
        + ". Shaded rows fire."
    )
    return Chart(fig, alt, caption, status=engine.data_status)


def recommendation_summary(state: RecommendationState, engine: RuleEngine | None = None) -> str:
    engine = engine or rule_engine()
    return render("recommendation_summary", {
        "n_fired": len(state.fired), "n_rules": len(state.rule_ids),
        "fired": [{"title": engine.titles.get(r, r), "text": engine.texts.get(r, r)} for r in state.fired]})


# ==================================================================================================
# Widgets (a live kernel only; the pipeline shows the default state as a static figure instead)
# ==================================================================================================


@dataclass
class Explorer:
    """A built explorer: the widget to display, its controls by name, and a function to redraw it."""

    widget: Any
    controls: dict[str, Any]
    refresh: Callable[[], Any]
    state: Any = None

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _render(output, chart: Chart, text: str | None = None) -> None:
    from cityconv.present import md, show_figure

    output.clear_output(wait=True)
    with output:
        show_figure(chart.fig, chart.alt, chart.caption, status=chart.status)
        if text:
            md(text)


def build_sampling_bias_widget(population: WardPopulation | None = None) -> Explorer:
    """Sliders for every group's response propensity, sample size and seed; redraws on every change."""
    import ipywidgets as w

    pop = population or load_population()
    style = {"description_width": "160px"}
    layout = w.Layout(width="420px")
    sliders: dict[str, Any] = {}
    tabs = []
    for dim, groups in pop.margins.items():
        boxes = []
        for cat in groups:
            s = w.FloatSlider(value=CLUBMOOR_LIKE_PROPENSITIES.get(dim, {}).get(cat, 1.0), min=PROPENSITY_RANGE[0],
                              max=PROPENSITY_RANGE[1], step=0.1, description=cat, style=style, layout=layout,
                              continuous_update=False, readout_format=".1f")
            sliders[f"{dim}:{cat}"] = s
            boxes.append(s)
        tabs.append(w.VBox(boxes))
    tab = w.Tab(children=tabs, titles=[DIMENSION_LABELS[d] for d in pop.margins])
    n = w.IntSlider(value=DEFAULT_N, min=10, max=2000, step=1, description="Respondents (n)", style=style,
                    layout=layout, continuous_update=False)
    seed = w.IntText(value=DEFAULT_SEED, description="Random seed", style=style, layout=w.Layout(width="260px"))
    reset = w.Button(description="Clubmoor-like bias", tooltip="Propensities of the Clubmoor survey (reconstruction)")
    flat = w.Button(description="No bias", tooltip="Every group equally likely to respond")
    output = w.Output()
    controls = {**sliders, "n": n, "seed": seed, "reset": reset, "no_bias": flat}
    explorer = Explorer(None, controls, lambda: None)

    def current() -> dict[str, dict[str, float]]:
        props: dict[str, dict[str, float]] = {}
        for key, s in sliders.items():
            dim, cat = key.split(":", 1)
            props.setdefault(dim, {})[cat] = float(s.value)
        return props

    def refresh(*_):
        try:
            state = sampling_bias_state(current(), n.value, seed.value, pop)
        except Exception as exc:  # e.g. every group of a characteristic at 0
            output.clear_output(wait=True)
            with output:
                print(f"Cannot draw a sample: {exc}")
            return None
        explorer.state = state
        _render(output, sampling_bias_figure(state), sampling_bias_summary(state))
        return state

    def set_all(values: Mapping[str, Mapping[str, float]]):
        for key, s in sliders.items():
            s.unobserve(refresh, names="value")
            dim, cat = key.split(":", 1)
            s.value = values.get(dim, {}).get(cat, 1.0)
            s.observe(refresh, names="value")
        refresh()

    for s in [*sliders.values(), n, seed]:
        s.observe(refresh, names="value")
    reset.on_click(lambda _b: set_all(CLUBMOOR_LIKE_PROPENSITIES))
    flat.on_click(lambda _b: set_all({}))
    explorer.widget = w.VBox([w.HTML("<b>Response propensities</b> (1 = as likely to respond as average; 2 = twice as likely)"),
                              tab, w.HBox([n, seed]), w.HBox([reset, flat]), output])
    explorer.refresh = refresh
    refresh()
    return explorer


def build_precision_widget(population: WardPopulation | None = None) -> Explorer:
    """A sample-size slider and an observed-share slider; redraws the interval curve and the sentence."""
    import ipywidgets as w

    pop = population or load_population()
    style = {"description_width": "160px"}
    n = w.IntSlider(value=DEFAULT_N, min=10, max=1000, step=1, description="Responses (n)", style=style,
                    layout=w.Layout(width="480px"), continuous_update=False)
    share = w.FloatSlider(value=0.5, min=0.01, max=0.99, step=0.01, description="Observed share", style=style,
                          layout=w.Layout(width="480px"), continuous_update=False, readout_format=".0%")
    output = w.Output()
    explorer = Explorer(None, {"n": n, "share": share}, lambda: None)

    def refresh(*_):
        curve = precision_curve([n.value], share.value, adults=pop.adults)
        explorer.state = curve
        _render(output, precision_figure(pop, share.value, highlight=n.value), precision_summary(n.value, share.value, pop))
        return curve

    n.observe(refresh, names="value")
    share.observe(refresh, names="value")
    explorer.widget = w.VBox([n, share, output])
    explorer.refresh = refresh
    refresh()
    return explorer


def build_recommendation_widget(engine: RuleEngine | None = None) -> Explorer:
    """One checkbox per finding; redraws which rules fire."""
    import ipywidgets as w

    engine = engine or rule_engine()
    boxes = {f: w.Checkbox(value=v, description=f.replace("_", " "), indent=False, layout=w.Layout(width="360px"),
                           disabled=(not v and f not in engine.switchable), tooltip=engine.labels.get(f, f))
             for f, v in engine.base_findings.items()}
    reset = w.Button(description="Findings as recorded")
    output = w.Output()
    explorer = Explorer(None, {**boxes, "reset": reset}, lambda: None)

    def refresh(*_):
        overrides = {f: b.value for f, b in boxes.items() if b.value != engine.base_findings[f]}
        state = recommendation_state(overrides, engine)
        explorer.state = state
        _render(output, recommendation_figure(state, engine), recommendation_summary(state, engine))
        return state

    def restore(_b):
        for f, b in boxes.items():
            b.unobserve(refresh, names="value")
            b.value = engine.base_findings[f]
            b.observe(refresh, names="value")
        refresh()

    for b in boxes.values():
        b.observe(refresh, names="value")
    reset.on_click(restore)
    explorer.widget = w.VBox([w.HTML("<b>Findings</b> (untick to switch one off)"),
                              w.GridBox(list(boxes.values()), layout=w.Layout(grid_template_columns="repeat(2, 370px)")),
                              reset, output])
    explorer.refresh = refresh
    refresh()
    return explorer
