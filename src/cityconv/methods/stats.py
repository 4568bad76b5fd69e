"""Small-sample survey statistics used by every findings chapter.

Why this module exists: the City Conversation survey in Clubmoor has 48 responses. With samples that
small, every percentage needs an honest interval, comparisons with the Census need a test that does not
rely on large-sample approximations, and any weighting must say how much precision it costs. Keeping
all of this here (rather than in notebooks) means each number in the book comes from tested code.

What is borrowed rather than hand-rolled:

* Wilson intervals: ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
* Pearson chi-square and its asymptotic p-value: ``scipy.stats.chisquare``.
* Multinomial draws for Monte Carlo p-values: ``numpy.random.Generator.multinomial``;
  exact multinomial probabilities use ``scipy.special.gammaln``.
* Raking (iterative proportional fitting) and post-stratification are a few lines of pandas; they are
  written here because neither scipy nor statsmodels provides survey raking with trimming.

Conventions: shares are fractions in 0..1; "pp" means percentage points; category labels are kept as
given (a ``category`` column in every table); all functions raise ``ValueError`` with a message that
names the offending column or category rather than returning silently wrong numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats as _sps
from scipy.special import gammaln
from statsmodels.stats.proportion import proportion_confint

from cityconv.data.census_map import check_census_cover

__all__ = [
    "GoodnessOfFit",
    "RakeResult",
    "census_margin",
    "collapse_categories",
    "collapse_shares",
    "design_effect",
    "effective_sample_size",
    "goodness_of_fit",
    "half_width",
    "post_stratify",
    "precision_points",
    "proportion_table",
    "rake",
    "representation_table",
    "weighted_share",
    "weighted_vs_unweighted",
    "wilson_interval",
]

VERDICT_OVER = "over-represented"
VERDICT_UNDER = "under-represented"
VERDICT_IN_LINE = "in line"


# --------------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------------


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return confidence


def _as_int(value, what: str) -> int:
    """Accept Python/numpy integers and integer-valued floats; reject bools, NaN and fractions."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an integer, got {value!r}") from None
    if not math.isfinite(as_float) or as_float != int(as_float):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(as_float)


def _counts_series(counts: pd.Series, what: str) -> pd.Series:
    """Integer-valued, non-negative counts; a Series is required so categories keep their labels."""
    if not isinstance(counts, pd.Series):
        raise TypeError(f"{what} must be a pandas Series indexed by category, got {type(counts).__name__}")
    if counts.index.has_duplicates:
        dupes = list(counts.index[counts.index.duplicated()].unique())
        raise ValueError(f"{what} has duplicated categories: {dupes}")
    values = pd.to_numeric(counts, errors="coerce")
    bad = values.isna() | (values < 0) | (values != np.floor(values))
    if bad.any():
        first = counts.index[bad.to_numpy()][0]
        raise ValueError(
            f"{what} must be non-negative whole numbers; category {first!r} has {counts[first]!r}"
        )
    return values.astype(np.int64)


def _shares_series(shares: pd.Series, what: str) -> pd.Series:
    """Non-negative finite shares, renormalised to sum to 1 (so percentages or counts work too)."""
    if not isinstance(shares, pd.Series):
        raise TypeError(f"{what} must be a pandas Series indexed by category, got {type(shares).__name__}")
    if shares.index.has_duplicates:
        dupes = list(shares.index[shares.index.duplicated()].unique())
        raise ValueError(f"{what} has duplicated categories: {dupes}")
    values = pd.to_numeric(shares, errors="coerce").astype(float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = shares.index[bad.to_numpy()][0]
        raise ValueError(f"{what} must be finite and non-negative; category {first!r} has {shares[first]!r}")
    total = float(values.sum())
    if total <= 0:
        raise ValueError(f"{what} must have a positive total, got {total!r}")
    return values / total


def _sort_categories(values: Iterable) -> list:
    """Natural order when the labels are comparable, otherwise by their text."""
    values = list(values)
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _category_order(series: pd.Series) -> list:
    """Categories of a respondent-level column: declared order for categoricals, else sorted."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return _sort_categories(series.dropna().unique())


def _aligned_weights(weights: pd.Series, index: pd.Index, what: str = "weights") -> pd.Series:
    if not isinstance(weights, pd.Series):
        raise TypeError(f"{what} must be a pandas Series aligned to the sample index")
    missing = index.difference(weights.index)
    if len(missing):
        raise ValueError(f"{what} are missing for {len(missing)} respondent(s), e.g. index {missing[0]!r}")
    w = pd.to_numeric(weights.reindex(index), errors="coerce").astype(float)
    if (~np.isfinite(w)).any() or (w < 0).any():
        raise ValueError(f"{what} must be finite and non-negative")
    return w


# --------------------------------------------------------------------------------------------------
# 1-3. Proportions, intervals and the precision sentence
# --------------------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (statsmodels ``proportion_confint(method="wilson")``).

    Wilson rather than the textbook Wald interval because, with n around 48 and shares near 0 or 1,
    Wald intervals collapse to zero width or spill outside 0..1; Wilson keeps close to nominal coverage.
    ``n == 0`` gives ``(nan, nan)``: no data, no interval.
    """
    confidence = _check_confidence(confidence)
    n = _as_int(n, "n")
    successes = _as_int(successes, "successes")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), got {successes}")
    if n == 0:
        return (math.nan, math.nan)
    low, high = proportion_confint(successes, n, alpha=1.0 - confidence, method="wilson")
    # The Wilson bound is exactly 0 at 0 successes and 1 at n; set them so float noise (±1e-17)
    # never prints as "-0%" or fails a "== 0" check, and clip anything else into 0..1.
    low = 0.0 if successes == 0 else min(max(float(low), 0.0), 1.0)
    high = 1.0 if successes == n else min(max(float(high), 0.0), 1.0)
    return (low, high)


def proportion_table(counts: pd.Series, base: int, confidence: float = 0.95) -> pd.DataFrame:
    """Counts, shares and Wilson intervals per category, out of ``base`` respondents.

    Works for single-answer questions (counts sum to ``base``) and multi-response questions (each
    category's count is out of the respondents asked, so counts may sum to more than ``base``); hence
    each count is only required to be at most ``base``. The share denominator is always ``base``, so
    pass the number of people who answered the question, not the number of ticks.

    Returns columns ``category, count, base, share, ci_low, ci_high`` sorted by count (descending) then
    category; the original index name is kept in ``table.attrs["category_name"]``.
    """
    confidence = _check_confidence(confidence)
    base = _as_int(base, "base")
    if base < 0:
        raise ValueError(f"base must be non-negative, got {base}")
    values = _counts_series(counts, "counts")
    too_big = values > base
    if too_big.any():
        first = values.index[too_big.to_numpy()][0]
        raise ValueError(f"category {first!r} has count {values[first]} larger than the base ({base})")

    rows = []
    for category, count in values.items():
        low, high = wilson_interval(int(count), base, confidence)
        rows.append(
            {
                "category": category,
                "count": int(count),
                "base": base,
                "share": (count / base) if base else math.nan,
                "ci_low": low,
                "ci_high": high,
            }
        )
    table = pd.DataFrame(rows, columns=["category", "count", "base", "share", "ci_low", "ci_high"])
    if len(table):
        # Count descending, ties by category (natural order, or as text for mixed labels). Python's
        # sort is stable, so rows with equal keys keep their input order.
        if isinstance(counts.index, pd.CategoricalIndex):
            by_category = list(counts.index.categories)
        else:
            by_category = _sort_categories(table["category"].tolist())
        rank: dict = {}
        for position, category in enumerate(by_category):
            rank.setdefault(_hashable(category), position)
        order = sorted(
            range(len(table)),
            key=lambda i: (-table["count"].iat[i], rank[_hashable(table["category"].iat[i])]),
        )
        table = table.iloc[order].reset_index(drop=True)
    table["count"] = table["count"].astype(np.int64)
    table["base"] = table["base"].astype(np.int64)
    table.attrs["category_name"] = counts.index.name
    table.attrs["confidence"] = confidence
    return table


def _hashable(value) -> Hashable:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def half_width(n: int, confidence: float = 0.95) -> float:
    """Widest Wilson half-width for a sample of ``n`` (reached at an observed share of 0.5).

    The Wilson half-width is z/(1+z²/n)·sqrt(p(1-p)/n + z²/(4n²)), largest at p = 0.5; computed via
    statsmodels with ``n/2`` successes (fractional for odd n, which the formula allows).
    """
    confidence = _check_confidence(confidence)
    n = _as_int(n, "n")
    if n <= 0:
        return math.nan
    low, high = proportion_confint(n / 2, n, alpha=1.0 - confidence, method="wilson")
    return float((high - low) / 2)


def precision_points(n: int, confidence: float = 0.95) -> float | None:
    """How far any percentage from ``n`` responses could be out, in percentage points (None for none).

    The worst case (a 50% answer), so it holds for every percentage from the survey; the wording is
    `cityconv.chapters.statistics_prose.precision_statement`.
    """
    confidence = _check_confidence(confidence)
    n = _as_int(n, "n")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return None if n == 0 else half_width(n, confidence) * 100


# --------------------------------------------------------------------------------------------------
# 4. Goodness of fit against known population shares
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoodnessOfFit:
    """Pearson chi-square of a sample against population shares, with a small-sample p-value.

    ``p_value_exact_or_mc`` is the one to report when ``min_expected < 5``; ``method`` says which it is.
    """

    statistic: float
    dof: int
    p_value_asymptotic: float
    p_value_exact_or_mc: float
    method: str
    min_expected: float
    categories: tuple
    n: int = 0
    observed: tuple = ()
    expected: tuple = ()

    @property
    def asymptotic_reliable(self) -> bool:
        """Cochran's rule of thumb: the chi-square approximation is trusted when every expected ≥ 5."""
        return self.min_expected >= 5


def _compositions(n: int, k: int) -> np.ndarray:
    """All vectors of k non-negative integers summing to n (stars and bars), one per row."""
    if k == 1:
        return np.array([[n]], dtype=np.int64)
    count = math.comb(n + k - 1, k - 1)
    bars = np.fromiter(
        combinations(range(n + k - 1), k - 1), dtype=np.dtype((np.int64, k - 1)), count=count
    )
    edges = np.hstack(
        [np.full((count, 1), -1, dtype=np.int64), bars, np.full((count, 1), n + k - 1, dtype=np.int64)]
    )
    return np.diff(edges, axis=1) - 1


def _pearson(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return (((counts - expected) ** 2) / expected).sum(axis=-1)


def goodness_of_fit(
    observed: pd.Series,
    expected_shares: pd.Series,
    seed: int = 2020,
    simulations: int = 20000,
    *,
    method: str = "auto",
    exact_max_outcomes: int = 500_000,
) -> GoodnessOfFit:
    """Does the sample's make-up differ from the population's? Pearson chi-square with a safe p-value.

    The statistic and asymptotic p-value come from ``scipy.stats.chisquare``. With n≈48 some expected
    counts fall below 5 and the chi-square approximation is unreliable, so a second p-value uses the
    same statistic but its exact distribution under the null:

    * ``method="exact"`` enumerates every possible sample (multinomial outcome) and adds up the
      probabilities of those at least as extreme as the observed one;
    * ``method="monte-carlo"`` draws ``simulations`` multinomial samples from a seeded
      ``numpy.random.default_rng(seed)`` and reports (1 + #{as extreme}) / (simulations + 1), which is
      never exactly zero (Davison & Hinkley 1997; North et al. 2002);
    * ``method="auto"`` (default) is exact when the number of outcomes, C(n+k-1, k-1), is at most
      ``exact_max_outcomes``, otherwise Monte Carlo.

    Categories are aligned by label; a category missing from ``observed`` counts as 0. Expected shares
    are renormalised to sum to 1. Categories with zero expected share and zero observed count are
    dropped; a positive observed count against a zero (or missing) expected share is a ``ValueError``,
    because it is impossible under the null and the statistic would be infinite.
    """
    if method not in {"auto", "exact", "monte-carlo"}:
        raise ValueError(f"method must be 'auto', 'exact' or 'monte-carlo', got {method!r}")
    obs = _counts_series(observed, "observed")
    shares = _shares_series(expected_shares, "expected_shares")

    labels = list(shares.index) + [c for c in obs.index if c not in shares.index]
    obs = obs.reindex(labels, fill_value=0)
    shares = shares.reindex(labels, fill_value=0.0)
    impossible = (obs > 0) & (shares <= 0)
    if impossible.any():
        bad = list(obs.index[impossible.to_numpy()])
        raise ValueError(
            f"categories {bad} have respondents but an expected share of 0 (or none given); "
            "fix or merge the categories (see collapse_categories) before testing"
        )
    keep = (shares > 0).to_numpy()
    obs, shares = obs[keep], shares[keep]
    n = int(obs.sum())
    if n == 0:
        raise ValueError("observed has no responses; a goodness-of-fit test needs at least one")
    k = len(obs)
    if k < 2:
        raise ValueError("a goodness-of-fit test needs at least two categories with a positive expected share")

    counts = obs.to_numpy(dtype=np.int64)
    p = shares.to_numpy(dtype=float)
    expected = n * p
    result = _sps.chisquare(counts, f_exp=expected)
    statistic = float(result.statistic)
    # Tolerance so float rounding never makes an outcome with the same statistic look less extreme.
    threshold = statistic - 1e-9 * max(1.0, statistic)

    outcomes = math.comb(n + k - 1, k - 1)
    use_exact = method == "exact" or (method == "auto" and outcomes <= exact_max_outcomes)
    if use_exact:
        tables = _compositions(n, k)
        log_prob = gammaln(n + 1) - gammaln(tables + 1).sum(axis=1) + (tables * np.log(p)).sum(axis=1)
        as_extreme = _pearson(tables, expected) >= threshold
        p_small = float(np.exp(log_prob[as_extreme]).sum())
        p_small = min(max(p_small, 0.0), 1.0)
        text = f"Pearson chi-square; exact multinomial p-value (all {outcomes:,} possible samples)"
    else:
        simulations = _as_int(simulations, "simulations")
        if simulations < 1:
            raise ValueError("simulations must be at least 1")
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(n, p, size=simulations)
        n_extreme = int((_pearson(draws, expected) >= threshold).sum())
        p_small = (1 + n_extreme) / (simulations + 1)
        text = (
            f"Pearson chi-square; Monte Carlo p-value from {simulations:,} multinomial samples "
            f"under the null (seed {seed})"
        )

    return GoodnessOfFit(
        statistic=statistic,
        dof=k - 1,
        p_value_asymptotic=float(result.pvalue),
        p_value_exact_or_mc=p_small,
        method=text,
        min_expected=float(expected.min()),
        categories=tuple(obs.index),
        n=n,
        observed=tuple(int(c) for c in counts),
        expected=tuple(float(e) for e in expected),
    )


# --------------------------------------------------------------------------------------------------
# 5. Who answered, compared with who lives there
# --------------------------------------------------------------------------------------------------


def representation_verdict(count: int, base: int, population_share: float, confidence: float = 0.95,
                           tolerance: float = 0.0) -> str:
    """The interval rule of `representation_table` for one category: over, under or in line."""
    low, high = wilson_interval(count, base, confidence)
    if low > population_share + tolerance:
        return VERDICT_OVER
    if high < population_share - tolerance:
        return VERDICT_UNDER
    return VERDICT_IN_LINE


def representation_table(
    sample_counts: pd.Series,
    population_shares: pd.Series,
    confidence: float = 0.95,
    tolerance: float = 0.0,
) -> pd.DataFrame:
    """Sample make-up against the population, with a verdict per category decided by the data.

    Rule (with ``tolerance`` t, a share, default 0): **over-represented** if the Wilson interval's lower
    bound exceeds population_share + t; **under-represented** if its upper bound is below
    population_share − t; otherwise **in line** — meaning the sample cannot tell the difference, not
    that the shares are equal. A positive t ignores differences too small to matter.

    Population shares are renormalised to sum to 1, so counts or percentages may be passed. Every
    sample category must appear in ``population_shares`` (else ``ValueError``); population categories
    with no respondents get a count of 0. Rows follow the population's order. Columns: ``category,
    sample_count, base, sample_share, ci_low, ci_high, population_share, ratio, verdict``; ``ratio`` is
    sample_share / population_share (inf when the population share is 0).
    """
    confidence = _check_confidence(confidence)
    tolerance = float(tolerance)
    if not 0.0 <= tolerance < 1.0:
        raise ValueError(f"tolerance must be a share between 0 and 1, got {tolerance!r}")
    counts = _counts_series(sample_counts, "sample_counts")
    shares = _shares_series(population_shares, "population_shares")
    unknown = [c for c in counts.index if c not in shares.index]
    if unknown:
        raise ValueError(
            f"sample categories {unknown} are not in population_shares; "
            "merge or relabel them (see collapse_categories) first"
        )
    counts = counts.reindex(shares.index, fill_value=0)
    base = int(counts.sum())
    if base == 0:
        raise ValueError("sample_counts has no respondents")

    rows = []
    for category in shares.index:
        count = int(counts[category])
        pop = float(shares[category])
        share = count / base
        low, high = wilson_interval(count, base, confidence)
        verdict = representation_verdict(count, base, pop, confidence, tolerance)
        if pop > 0:
            ratio = share / pop
        else:
            ratio = math.inf if share > 0 else math.nan
        rows.append(
            {
                "category": category,
                "sample_count": count,
                "base": base,
                "sample_share": share,
                "ci_low": low,
                "ci_high": high,
                "population_share": pop,
                "ratio": ratio,
                "verdict": verdict,
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["category_name"] = sample_counts.index.name or population_shares.index.name
    table.attrs["confidence"] = confidence
    table.attrs["tolerance"] = tolerance
    return table


# --------------------------------------------------------------------------------------------------
# 6-8. Weighting: raking, post-stratification and what weighting changes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # holds a Series, so compare fields explicitly
class RakeResult:
    """Weights (mean 1, aligned to the sample index) and the diagnostics a chapter should report."""

    weights: pd.Series
    iterations: int
    converged: bool
    max_margin_error: float
    design_effect: float
    effective_sample_size: float


def design_effect(weights: pd.Series | np.ndarray) -> float:
    """Kish's design effect from unequal weighting, n·Σw²/(Σw)² (1 = no loss of precision)."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.sum() <= 0:
        return math.nan
    return float(w.size * np.square(w).sum() / w.sum() ** 2)


def effective_sample_size(weights: pd.Series | np.ndarray) -> float:
    """Kish's effective sample size, (Σw)²/Σw² = n / design effect."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or np.square(w).sum() <= 0:
        return math.nan
    return float(w.sum() ** 2 / np.square(w).sum())


def collapse_categories(series: pd.Series, mapping: Mapping) -> pd.Series:
    """Relabel respondent-level answers with ``mapping`` (old → new) to merge sparse categories.

    Unmapped values and missing values are kept as they are. A categorical column stays categorical,
    its categories in the order their first source category had. Use :func:`collapse_shares` to apply
    the same mapping to a population margin.
    """
    if not isinstance(series, pd.Series):
        raise TypeError("series must be a pandas Series")
    mapping = dict(mapping)

    def relabel(value):
        if pd.isna(value):
            return value
        return mapping.get(value, value)

    if isinstance(series.dtype, pd.CategoricalDtype):
        new_order: list = []
        for category in series.cat.categories:
            label = mapping.get(category, category)
            if label not in new_order:
                new_order.append(label)
        out = series.astype(object).map(relabel)
        return pd.Series(
            pd.Categorical(out, categories=new_order, ordered=series.cat.ordered),
            index=series.index,
            name=series.name,
        )
    return series.map(relabel)


def collapse_shares(shares: pd.Series, mapping: Mapping) -> pd.Series:
    """Apply a :func:`collapse_categories` mapping to a margin (Series indexed by category): sums merged
    categories, keeping first-appearance order."""
    if not isinstance(shares, pd.Series):
        raise TypeError("shares must be a pandas Series indexed by category")
    mapping = dict(mapping)
    labels = [mapping.get(c, c) for c in shares.index]
    out = pd.Series(shares.to_numpy(), index=pd.Index(labels, name=shares.index.name)).groupby(
        level=0, sort=False
    ).sum()
    out.name = shares.name
    return out


def census_margin(census_counts: pd.Series, mapping: Mapping[str, Mapping[str, float]]) -> pd.Series:
    """Population share of each of a study's answer options, from census counts through a mapping.

    Why: a study's categories need not be the Census's (age "18-29" against census bands 15-24 and
    25-34), so the questionnaire declares, for each option, the fraction of each census category it
    covers (`census:` in questionnaire.yml). The option's population is the sum of count × fraction,
    and the shares are of the options' total, so the margin describes the people the options cover.
    Options absent from ``mapping`` are not in the result. Raises ``ValueError`` naming the option and
    census category when the mapping breaks the questionnaire's own rule (`check_census_cover`: the same
    check, so a mapping the questionnaire accepts is one the margin accepts), or covers no one.
    """
    counts = _shares_series(census_counts, "census_counts")
    check_census_cover(mapping, list(counts.index), str(counts.index.name or ""))
    populations = {option: sum(float(counts[category]) * float(fraction) for category, fraction in parts.items())
                   for option, parts in mapping.items()}
    margin = pd.Series(populations, dtype=float)
    if margin.sum() <= 0:
        raise ValueError("the mapped options cover no one in the census table")
    margin.index.name = census_counts.index.name
    return margin / margin.sum()


def _prepare_margin(sample: pd.DataFrame, column, shares: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Check one margin against the sample; return each respondent's category code and the targets."""
    if column not in sample.columns:
        raise ValueError(f"margin column {column!r} is not in the sample")
    values = sample[column]
    if values.isna().any():
        raise ValueError(
            f"column {column!r} has {int(values.isna().sum())} missing value(s); give them a category "
            "(e.g. 'Not stated') with a matching population share, or drop those respondents"
        )
    target = _shares_series(shares, f"margin {column!r}")
    present = set(values.unique())
    for category in _sort_categories(present):
        if category not in target.index:
            raise ValueError(
                f"column {column!r}: sample category {category!r} is absent from the population margin; "
                "add it or merge it with collapse_categories/collapse_shares"
            )
        if target[category] <= 0:
            raise ValueError(
                f"column {column!r}: sample category {category!r} has respondents but a population share "
                "of 0; raking would give them weight 0 — merge or relabel it"
            )
    for category in target.index:
        if target[category] > 0 and category not in present:
            raise ValueError(
                f"column {column!r}: population category {category!r} (share {target[category]:.3f}) has "
                "no respondents, so no weights can represent it; merge it with a neighbouring category "
                "using collapse_categories/collapse_shares"
            )
    target = target[target > 0]
    categories = list(target.index)
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.fromiter((lookup[v] for v in values), dtype=np.int64, count=len(values))
    return codes, target.to_numpy(dtype=float)


def _margin_errors(w: np.ndarray, prepared: list[tuple[np.ndarray, np.ndarray]]) -> float:
    total = w.sum()
    worst = 0.0
    for codes, target in prepared:
        achieved = np.bincount(codes, weights=w, minlength=len(target)) / total
        worst = max(worst, float(np.abs(achieved - target).max()))
    return worst


def _clip_to_mean_one(w: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Weights within [lower, upper] with mean exactly 1: clip(c·w) for the scale c that gives mean 1.

    mean(clip(c·w)) rises with c, so c is found by bisection (lower ≤ 1 ≤ upper makes it exist).
    After a converged trimmed rake c is 1 up to rounding; otherwise this keeps both promises —
    mean 1 and the bounds — and the margins are then only approximately met.
    """
    w = np.asarray(w, dtype=float)
    if w.sum() <= 0:
        return np.ones_like(w)

    def mean_at(c: float) -> float:
        return float(np.clip(c * w, lower, upper).mean())

    lo, hi = 0.0, 1.0 / w.mean()
    while mean_at(hi) < 1.0:
        hi *= 2.0
        if hi > 1e12:  # every weight is at the upper bound; upper ≥ 1 so clip at 1 is feasible
            return np.ones_like(w)
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if mean_at(mid) < 1.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    out = np.clip(hi * w, lower, upper)
    return out * (len(out) / out.sum()) if abs(out.mean() - 1.0) < 1e-9 else out


def rake(
    sample: pd.DataFrame,
    margins: dict[str, pd.Series],
    max_iter: int = 100,
    tol: float = 1e-8,
    trim: tuple[float, float] | None = (0.2, 5.0),
) -> RakeResult:
    """Rake (iterative proportional fitting) unit weights so weighted shares match population margins.

    Each sweep scales the weights, one margin at a time, so that column's weighted totals equal
    share × n (Deming & Stephan 1940). This keeps the total at n, i.e. mean weight 1. ``margins`` maps a
    column name to a Series of population shares indexed by that column's categories (renormalised to
    sum to 1). Convergence: the largest gap between a weighted and a target share, over all margins and
    categories, is at most ``tol`` after a sweep. ``max_iter`` counts sweeps.

    Trimming: with ``trim=(lower, upper)`` each weight is clipped to [lower, upper] (times the mean
    weight, which is 1) after every margin adjustment and raking continues, so the margins are
    re-matched with the trimmed weights ("trim and re-rake"). On convergence both the bounds and the
    margins hold. If the bounds make the margins unreachable, ``converged`` is False, the returned weights
    respect the bounds and ``max_margin_error`` shows how far the margins are off; a ``RuntimeWarning`` is
    issued. Trimming limits how much any one of 48 people can count, at the price of a small bias.

    Raises ``ValueError`` naming the column and category when a sample category is absent from its
    margin, a positive-share population category has no respondents (common with n=48 — merge
    categories with :func:`collapse_categories` and :func:`collapse_shares`), or a margin column has
    missing values.
    """
    if not isinstance(sample, pd.DataFrame):
        raise TypeError("sample must be a pandas DataFrame")
    if len(sample) == 0:
        raise ValueError("sample has no respondents")
    if not margins:
        raise ValueError("margins is empty; give at least one column's population shares")
    max_iter = _as_int(max_iter, "max_iter")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")
    if not tol > 0:
        raise ValueError("tol must be positive")
    lower = upper = None
    if trim is not None:
        lower, upper = (float(b) for b in trim)
        if not 0 <= lower <= 1 <= upper:
            raise ValueError(f"trim must be (lower, upper) with 0 ≤ lower ≤ 1 ≤ upper, got {trim!r}")

    prepared = [_prepare_margin(sample, column, shares) for column, shares in margins.items()]
    n = len(sample)
    w = np.ones(n, dtype=float)
    converged = False
    iterations = 0
    error = _margin_errors(w, prepared)
    if error <= tol:
        converged = True
    else:
        for sweep in range(1, max_iter + 1):
            iterations = sweep
            for codes, target in prepared:
                achieved = np.bincount(codes, weights=w, minlength=len(target))
                w = w * (target * n / achieved)[codes]
                if lower is not None:
                    w = np.clip(w, lower, upper)
            error = _margin_errors(w, prepared)
            if error <= tol:
                converged = True
                break

    if lower is None:
        w = w * (n / w.sum())  # mean 1 (already so, up to rounding)
    else:
        assert upper is not None  # bounds are given together (checked above)
        w = _clip_to_mean_one(w, lower, upper)
    error = _margin_errors(w, prepared)
    if not converged:
        warnings.warn(
            f"raking did not converge in {max_iter} sweeps (largest margin error {error:.2g}); "
            "merge sparse categories or loosen the trimming bounds",
            RuntimeWarning,
            stacklevel=2,
        )
    weights = pd.Series(w, index=sample.index, name="weight")
    return RakeResult(
        weights=weights,
        iterations=iterations,
        converged=converged,
        max_margin_error=error,
        design_effect=design_effect(w),
        effective_sample_size=effective_sample_size(w),
    )


def post_stratify(
    sample: pd.DataFrame,
    cell_column: str | Sequence[str],
    population_shares: pd.Series,
) -> RakeResult:
    """Post-stratification weights: each respondent in cell c gets P_c · n / n_c (mean weight 1).

    An alternative to raking when the joint cells (e.g. age × sex) all have respondents and are not
    sparse: it matches the full joint distribution exactly, not just the margins. ``cell_column`` is a
    column name, or a list of names whose combination forms the cell (then ``population_shares`` has a
    MultiIndex in the same order). Population shares are renormalised. Empty cells with a positive
    population share, or sample cells absent from the population, raise ``ValueError`` — collapse cells
    or use :func:`rake` on the margins instead. Returned as a :class:`RakeResult` (iterations 0) so the
    two methods are interchangeable in chapters.
    """
    if not isinstance(sample, pd.DataFrame):
        raise TypeError("sample must be a pandas DataFrame")
    if len(sample) == 0:
        raise ValueError("sample has no respondents")
    if isinstance(cell_column, str):
        columns = [cell_column]
    else:
        columns = list(cell_column)
    for column in columns:
        if column not in sample.columns:
            raise ValueError(f"cell column {column!r} is not in the sample")
    if len(columns) == 1:
        cells = sample[columns[0]]
    else:
        cells = pd.Series(list(zip(*(sample[c] for c in columns))), index=sample.index)
    frame = pd.DataFrame({"cell": cells})
    codes, target = _prepare_margin(frame, "cell", population_shares)
    n = len(sample)
    sizes = np.bincount(codes, minlength=len(target))
    w = (target * n / sizes)[codes]
    weights = pd.Series(w, index=sample.index, name="weight")
    return RakeResult(
        weights=weights,
        iterations=0,
        converged=True,
        max_margin_error=_margin_errors(w, [(codes, target)]),
        design_effect=design_effect(w),
        effective_sample_size=effective_sample_size(w),
    )


def weighted_share(indicator: pd.Series, weights: pd.Series) -> float:
    """Weighted share Σw·x / Σw of a yes/no (bool or 0/1) indicator; missing answers are left out."""
    if not isinstance(indicator, pd.Series):
        raise TypeError("indicator must be a pandas Series")
    x = indicator.dropna()
    values = pd.to_numeric(x.astype(object) if x.dtype == bool else x, errors="coerce").astype(float)
    if values.isna().any() or not values.isin([0.0, 1.0]).all():
        raise ValueError("indicator must be True/False or 0/1 (missing values are allowed)")
    w = _aligned_weights(weights, values.index)
    total = float(w.sum())
    if total <= 0:
        return math.nan
    return float((w * values).sum() / total)


def weighted_vs_unweighted(
    sample: pd.DataFrame,
    weights: pd.Series,
    column: str,
    categories: list | None = None,
) -> pd.DataFrame:
    """What weighting changes for one single-answer question: shares before and after, in pp.

    Denominator: respondents with an answer in ``column`` (missing answers are left out of both
    shares). ``categories`` fixes the rows and their order (categories nobody chose show 0); by default
    the column's categorical order, else sorted values. Answers outside a given ``categories`` list
    still count in the denominator. Columns: ``category, count, unweighted_share, weighted_share,
    difference_pp`` where difference_pp = (weighted − unweighted) × 100.
    """
    if column not in sample.columns:
        raise ValueError(f"column {column!r} is not in the sample")
    answers = sample[column].dropna()
    if len(answers) == 0:
        raise ValueError(f"column {column!r} has no answers")
    w = _aligned_weights(weights, answers.index)
    if w.sum() <= 0:
        raise ValueError("weights sum to zero for the respondents who answered")
    rows_for = list(categories) if categories is not None else _category_order(sample[column])
    rows = []
    for category in rows_for:
        chosen = (answers == category).to_numpy()
        rows.append(
            {
                "category": category,
                "count": int(chosen.sum()),
                "unweighted_share": float(chosen.mean()),
                "weighted_share": float(w.to_numpy()[chosen].sum() / w.sum()),
            }
        )
    table = pd.DataFrame(rows, columns=["category", "count", "unweighted_share", "weighted_share"])
    table["difference_pp"] = (table["weighted_share"] - table["unweighted_share"]) * 100
    return table


def cohens_kappa(first: list[bool], second: list[bool]) -> float | None:
    """Cohen's kappa for two coders' yes/no decisions on the same items (statsmodels ``cohens_kappa``).

    Agreement beyond chance: 1 is perfect, 0 no better than chance. None when it is undefined (no items,
    or both coders gave one answer to everything, so chance agreement is already 1).
    """
    import numpy as np
    from statsmodels.stats.inter_rater import cohens_kappa as _kappa

    if len(first) != len(second):
        raise ValueError("both coders must code the same items")
    if not first:
        return None
    a, b = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    table = np.array([[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]], dtype=float)
    n = table.sum()
    chance = (table[0].sum() * table[:, 0].sum() + table[1].sum() * table[:, 1].sum()) / n**2
    if chance >= 1:
        return None
    return float(_kappa(table, return_results=False))
