"""Survey statistics checked against values computed independently (textbook formulas, published
worked examples, or solutions derived by hand), never against the module's own output."""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cityconv.chapters import statistics_prose
from cityconv.methods import stats

Z95 = sps.norm.ppf(0.975)


def wilson_formula(x: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + z**2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    denom = 1 + z**2 / n
    return ((centre - spread) / denom, (centre + spread) / denom)


# --------------------------------------------------------------------------------------------------
# wilson_interval
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # Values given in the brief.
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_published_values(x, n, low, high):
    got = stats.wilson_interval(x, n)
    assert got[0] == pytest.approx(low, abs=6e-5)
    assert got[1] == pytest.approx(high, abs=6e-5)


@pytest.mark.parametrize(("x", "n"), [(1, 48), (7, 48), (24, 48), (47, 48), (3, 5), (12, 26)])
def test_wilson_matches_textbook_formula(x, n):
    low, high = wilson_formula(x, n)
    assert stats.wilson_interval(x, n) == pytest.approx((low, high), abs=1e-12)


def test_wilson_other_confidence_level():
    z90 = sps.norm.ppf(0.95)
    assert stats.wilson_interval(12, 48, confidence=0.90) == pytest.approx(wilson_formula(12, 48, z90), abs=1e-12)


def test_wilson_bounds_stay_in_unit_interval():
    assert stats.wilson_interval(0, 48)[0] == 0.0
    assert stats.wilson_interval(48, 48)[1] == 1.0


def test_wilson_empty_sample_is_nan():
    low, high = stats.wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize(("x", "n"), [(-1, 10), (11, 10), (1, -1), (1.5, 10), (True, 10)])
def test_wilson_rejects_impossible_counts(x, n):
    with pytest.raises(ValueError):
        stats.wilson_interval(x, n)


def test_wilson_rejects_bad_confidence():
    with pytest.raises(ValueError):
        stats.wilson_interval(1, 10, confidence=95)


def test_wilson_accepts_numpy_integers():
    assert stats.wilson_interval(np.int64(5), np.int64(10)) == pytest.approx((0.2366, 0.7634), abs=6e-5)


# --------------------------------------------------------------------------------------------------
# proportion_table
# --------------------------------------------------------------------------------------------------


def test_proportion_table_single_answer():
    counts = pd.Series({"Yes": 30, "No": 12, "Not sure": 6}, name="n").rename_axis("answer")
    table = stats.proportion_table(counts, base=48)
    assert list(table.columns) == ["category", "count", "base", "share", "ci_low", "ci_high"]
    assert list(table["category"]) == ["Yes", "No", "Not sure"]
    assert list(table["count"]) == [30, 12, 6]
    assert (table["base"] == 48).all()
    assert table["share"].tolist() == pytest.approx([30 / 48, 12 / 48, 6 / 48])
    for row in table.itertuples():
        assert (row.ci_low, row.ci_high) == pytest.approx(wilson_formula(row.count, 48), abs=1e-12)
    assert table.attrs["category_name"] == "answer"


def test_proportion_table_multi_response_counts_may_exceed_base():
    # 48 respondents could tick several issues: 60 ticks in all, each share out of 48 people.
    counts = pd.Series({"Litter": 30, "Parking": 18, "Crime": 12})
    table = stats.proportion_table(counts, base=48)
    assert table["count"].sum() == 60
    assert table.set_index("category")["share"].to_dict() == pytest.approx(
        {"Litter": 0.625, "Parking": 0.375, "Crime": 0.25}
    )


def test_proportion_table_sorted_by_count_then_category():
    counts = pd.Series({"b": 3, "c": 10, "a": 3, "d": 0})
    table = stats.proportion_table(counts, base=16)
    assert list(table["category"]) == ["c", "a", "b", "d"]
    assert table["count"].tolist() == [10, 3, 3, 0]


def test_proportion_table_rejects_count_above_base_and_bad_counts():
    with pytest.raises(ValueError, match="Litter"):
        stats.proportion_table(pd.Series({"Litter": 49}), base=48)
    with pytest.raises(ValueError):
        stats.proportion_table(pd.Series({"a": -1}), base=48)
    with pytest.raises(ValueError):
        stats.proportion_table(pd.Series({"a": 1.5}), base=48)


# --------------------------------------------------------------------------------------------------
# precision_statement
# --------------------------------------------------------------------------------------------------


def test_precision_statement_for_48_responses():
    n = 48
    # Widest Wilson half-width is at p = 0.5: z/(1+z²/n)·sqrt(1/(4n) + z²/(4n²)).
    hw = Z95 / (1 + Z95**2 / n) * math.sqrt(1 / (4 * n) + Z95**2 / (4 * n**2))
    assert hw == pytest.approx(0.1361, abs=1e-4)
    assert stats.half_width(n) == pytest.approx(hw, abs=1e-12)
    text = statistics_prose.precision_statement(n)
    assert f"±{round(hw * 100)} percentage points" in text
    assert text == (
        "With 48 responses, a percentage from this survey could be out by up to ±14 percentage points "
        "(95% confidence), so small differences should not be read as real."
    )


def test_precision_statement_follows_the_computation():
    n = 1000
    hw = Z95 / (1 + Z95**2 / n) * math.sqrt(1 / (4 * n) + Z95**2 / (4 * n**2))
    assert f"±{round(hw * 100)} percentage points" in statistics_prose.precision_statement(n)
    z90 = sps.norm.ppf(0.95)
    hw90 = z90 / (1 + z90**2 / 26) * math.sqrt(1 / (4 * 26) + z90**2 / (4 * 26**2))
    text = statistics_prose.precision_statement(26, confidence=0.90)
    assert f"±{round(hw90 * 100)} percentage points (90% confidence)" in text
    assert "With 1 response," in statistics_prose.precision_statement(1)


def test_precision_statement_odd_n_uses_half_successes():
    n = 49
    hw = Z95 / (1 + Z95**2 / n) * math.sqrt(1 / (4 * n) + Z95**2 / (4 * n**2))
    assert stats.half_width(n) == pytest.approx(hw, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# goodness_of_fit
# --------------------------------------------------------------------------------------------------


def test_chi_square_statistic_by_hand():
    observed = pd.Series({"a": 30, "b": 10, "c": 8})
    # Shares as percentages and in a different order: aligned by label and renormalised.
    expected = pd.Series({"c": 20, "a": 50, "b": 30})
    result = stats.goodness_of_fit(observed, expected)
    # Expected counts 48 × (0.2, 0.5, 0.3) = (9.6, 24, 14.4); Σ(O−E)²/E by hand:
    by_hand = (30 - 24) ** 2 / 24 + (10 - 14.4) ** 2 / 14.4 + (8 - 9.6) ** 2 / 9.6
    assert by_hand == pytest.approx(3.111111, abs=1e-6)
    assert result.statistic == pytest.approx(by_hand)
    assert result.dof == 2
    # Chi-square with 2 degrees of freedom has survival function exp(−x/2).
    assert result.p_value_asymptotic == pytest.approx(math.exp(-by_hand / 2))
    assert result.min_expected == pytest.approx(9.6)
    assert set(result.categories) == {"a", "b", "c"}
    assert result.n == 48


def test_chi_square_textbook_uniform_case():
    result = stats.goodness_of_fit(pd.Series([10, 20, 30]), pd.Series([1, 1, 1]))
    assert result.statistic == pytest.approx(10.0)  # (100 + 0 + 100) / 20
    assert result.p_value_asymptotic == pytest.approx(math.exp(-5))


def test_exact_p_value_equals_two_sided_binomial():
    # Two categories with share 1/2: ordering by chi-square is ordering by |x − n/2|.
    result = stats.goodness_of_fit(pd.Series({"f": 9, "m": 1}), pd.Series({"f": 0.5, "m": 0.5}))
    assert "exact" in result.method
    assert result.p_value_exact_or_mc == pytest.approx(22 / 1024)  # 2·(1 + 10)/2¹⁰
    assert result.p_value_exact_or_mc == pytest.approx(sps.binomtest(9, 10, 0.5).pvalue)


def test_exact_p_value_against_brute_force_enumeration():
    observed = np.array([7, 2, 3])
    p = np.array([0.3, 0.5, 0.2])
    n = observed.sum()
    expected = n * p
    stat = ((observed - expected) ** 2 / expected).sum()
    brute = 0.0
    for a, b in product(range(n + 1), repeat=2):
        c = n - a - b
        if c < 0:
            continue
        x = np.array([a, b, c])
        if ((x - expected) ** 2 / expected).sum() >= stat - 1e-9:
            brute += sps.multinomial.pmf(x, n, p)
    result = stats.goodness_of_fit(pd.Series(observed, index=list("xyz")), pd.Series(p, index=list("xyz")))
    assert result.min_expected < 5
    assert not result.asymptotic_reliable
    assert result.p_value_exact_or_mc == pytest.approx(brute, rel=1e-9)


def test_monte_carlo_reproducible_and_close_to_asymptotic_for_large_sample():
    observed = pd.Series({"a": 110, "b": 90, "c": 100})
    equal = pd.Series({"a": 1, "b": 1, "c": 1})
    first = stats.goodness_of_fit(observed, equal, seed=7, method="monte-carlo")
    again = stats.goodness_of_fit(observed, equal, seed=7, method="monte-carlo")
    other = stats.goodness_of_fit(observed, equal, seed=8, method="monte-carlo")
    assert first == again
    assert first.p_value_exact_or_mc != other.p_value_exact_or_mc
    assert "Monte Carlo" in first.method and "seed 7" in first.method
    assert first.statistic == pytest.approx(2.0)  # (100 + 100 + 0) / 100
    assert first.p_value_asymptotic == pytest.approx(math.exp(-1))
    # 20,000 draws: standard error about 0.0034, so 0.02 is > 5 standard errors.
    assert first.p_value_exact_or_mc == pytest.approx(math.exp(-1), abs=0.02)


def test_monte_carlo_agrees_with_exact_for_survey_sized_sample():
    observed = pd.Series({"16-34": 6, "35-64": 30, "65+": 12})
    shares = pd.Series({"16-34": 0.30, "35-64": 0.50, "65+": 0.20})
    exact = stats.goodness_of_fit(observed, shares, method="exact")
    mc = stats.goodness_of_fit(observed, shares, method="monte-carlo", simulations=20000)
    se = math.sqrt(exact.p_value_exact_or_mc * (1 - exact.p_value_exact_or_mc) / 20000)
    assert abs(mc.p_value_exact_or_mc - exact.p_value_exact_or_mc) < 5 * se + 1e-4


def test_monte_carlo_p_value_never_zero():
    result = stats.goodness_of_fit(
        pd.Series({"a": 300, "b": 0}), pd.Series({"a": 0.5, "b": 0.5}), method="monte-carlo", simulations=999
    )
    assert result.p_value_exact_or_mc == pytest.approx(1 / 1000)


def test_goodness_of_fit_category_handling():
    # Missing observed category counts as zero; zero-share category with no respondents is dropped.
    result = stats.goodness_of_fit(pd.Series({"a": 5}), pd.Series({"a": 0.5, "b": 0.5, "c": 0.0}))
    assert result.categories == ("a", "b")
    assert result.observed == (5, 0)
    with pytest.raises(ValueError, match="'c'"):
        stats.goodness_of_fit(pd.Series({"a": 5, "c": 1}), pd.Series({"a": 0.5, "b": 0.5, "c": 0.0}))
    with pytest.raises(ValueError, match="'z'"):
        stats.goodness_of_fit(pd.Series({"a": 5, "z": 2}), pd.Series({"a": 0.5, "b": 0.5}))


# --------------------------------------------------------------------------------------------------
# representation_table / representation_sentences
# --------------------------------------------------------------------------------------------------


def test_representation_verdicts_of_each_kind():
    counts = pd.Series({"16-34": 5, "35-64": 30, "65+": 13})
    population = pd.Series({"16-34": 0.40, "35-64": 0.30, "65+": 0.30})
    table = stats.representation_table(counts, population).set_index("category")
    for category, count in counts.items():
        low, high = wilson_formula(count, 48)
        assert table.loc[category, "ci_low"] == pytest.approx(low, abs=1e-12)
        assert table.loc[category, "ci_high"] == pytest.approx(high, abs=1e-12)
    # 30/48: Wilson lower bound 0.484 > 0.30; 5/48: upper bound 0.222 < 0.40; 13/48 covers 0.30.
    assert table.loc["35-64", "verdict"] == "over-represented"
    assert table.loc["16-34", "verdict"] == "under-represented"
    assert table.loc["65+", "verdict"] == "in line"
    assert table.loc["35-64", "ratio"] == pytest.approx((30 / 48) / 0.30)
    assert table["sample_count"].sum() == 48


def test_representation_tolerance_widens_in_line():
    counts = pd.Series({"a": 30, "b": 18})
    population = pd.Series({"a": 0.45, "b": 0.55})
    low = wilson_formula(30, 48)[0]
    assert 0.45 < low < 0.50
    strict = stats.representation_table(counts, population).set_index("category")
    loose = stats.representation_table(counts, population, tolerance=0.05).set_index("category")
    assert strict.loc["a", "verdict"] == "over-represented"
    assert loose.loc["a", "verdict"] == "in line"


def test_representation_population_category_without_respondents_and_errors():
    table = stats.representation_table(pd.Series({"a": 48}), pd.Series({"a": 60, "b": 40}))
    assert table["population_share"].tolist() == pytest.approx([0.6, 0.4])
    assert table.set_index("category").loc["b", "verdict"] == "under-represented"
    with pytest.raises(ValueError, match="'c'"):
        stats.representation_table(pd.Series({"a": 10, "c": 2}), pd.Series({"a": 0.6, "b": 0.4}))


def test_representation_sentences_come_from_the_table():
    counts = pd.Series({"women aged 35–64": 20, "everyone else": 28})
    population = pd.Series({"women aged 35–64": 0.19, "everyone else": 0.81})
    table = stats.representation_table(counts, population)
    sentences = statistics_prose.representation_sentences(table, "the ward's adults")
    assert sentences[0] == (
        "Women aged 35–64 made up 42% of respondents against 19% of the ward's adults: over-represented."
    )
    assert sentences[1] == (
        "Everyone else made up 58% of respondents against 81% of the ward's adults: under-represented."
    )
    # Halves round up for readers: 30/48 = 62.5% prints as 63%, 18/48 = 37.5% as 38%.
    halves = stats.representation_table(pd.Series({"a": 30, "b": 18}), pd.Series({"a": 0.5, "b": 0.5}))
    assert [s.split(" made up ")[1].split(" ")[0] for s in statistics_prose.representation_sentences(halves, "x")] == [
        "63%",
        "38%",
    ]
    low, high = wilson_formula(20, 48)
    with_ci = statistics_prose.representation_sentences(table, "the ward's adults", show_interval=True)[0]
    assert f"(between {round(low * 100)}% and {round(high * 100)}%)" in with_ci


# --------------------------------------------------------------------------------------------------
# rake, post_stratify and diagnostics
# --------------------------------------------------------------------------------------------------


def sample_from_cells(cells: dict[tuple[str, str], int], index_start: int = 101) -> pd.DataFrame:
    rows = [(a, b) for (a, b), k in cells.items() for _ in range(k)]
    return pd.DataFrame(rows, columns=["sex", "age"], index=range(index_start, index_start + len(rows)))


def test_rake_independent_table_gives_product_of_margins():
    # Sample cells [[2, 4], [4, 8]] (odds ratio 1) raked to 50/50 × 50/50: every cell total becomes
    # 18/4 = 4.5, so the weights are 4.5/2, 4.5/4, 4.5/4, 4.5/8.
    sample = sample_from_cells({("F", "young"): 2, ("F", "old"): 4, ("M", "young"): 4, ("M", "old"): 8})
    margins = {"sex": pd.Series({"F": 0.5, "M": 0.5}), "age": pd.Series({"young": 0.5, "old": 0.5})}
    result = stats.rake(sample, margins, trim=None)
    assert result.converged
    by_cell = result.weights.groupby([sample["sex"], sample["age"]]).agg(["min", "max"])
    expected = {("F", "young"): 2.25, ("F", "old"): 1.125, ("M", "young"): 1.125, ("M", "old"): 0.5625}
    for cell, w in expected.items():
        assert by_cell.loc[cell, "min"] == pytest.approx(w, abs=1e-7)
        assert by_cell.loc[cell, "max"] == pytest.approx(w, abs=1e-7)
    assert result.weights.mean() == pytest.approx(1.0)
    assert result.weights.index.equals(sample.index)
    # Kish by hand: Σw = 18; Σw² = 2·2.25² + 8·1.125² + 8·0.5625² = 22.78125; deff = 18·22.78125/18².
    assert result.design_effect == pytest.approx(18 * 22.78125 / 18**2, abs=1e-7)
    assert result.design_effect == pytest.approx(1.265625, abs=1e-7)
    assert result.effective_sample_size == pytest.approx(18 / 1.265625, abs=1e-6)


def test_rake_two_by_two_matches_odds_ratio_solution():
    # IPF keeps the sample's odds ratio (3·3)/(1·1) = 9 and meets the margins. With row totals 4, 4 and
    # column totals 2, 6 (of 8), cell (F, young) = x solves x(2 + x) = 9(4 − x)(2 − x), i.e.
    # x² − 7x + 9 = 0, x = (7 − √13)/2.
    sample = sample_from_cells({("F", "young"): 3, ("F", "old"): 1, ("M", "young"): 1, ("M", "old"): 3})
    margins = {"sex": pd.Series({"F": 0.5, "M": 0.5}), "age": pd.Series({"young": 0.25, "old": 0.75})}
    result = stats.rake(sample, margins, trim=None, tol=1e-12, max_iter=1000)
    x = (7 - math.sqrt(13)) / 2
    expected = {("F", "young"): x / 3, ("F", "old"): 4 - x, ("M", "young"): 2 - x, ("M", "old"): (2 + x) / 3}
    got = result.weights.groupby([sample["sex"], sample["age"]]).mean()
    for cell, w in expected.items():
        assert got[cell] == pytest.approx(w, abs=1e-9)
    assert result.converged
    assert result.max_margin_error <= 1e-12
    weighted_young = result.weights[sample["age"] == "young"].sum() / result.weights.sum()
    assert weighted_young == pytest.approx(0.25, abs=1e-12)
    w = result.weights.to_numpy()
    assert result.design_effect == pytest.approx(len(w) * (w**2).sum() / w.sum() ** 2)


def test_rake_margins_matched_to_tolerance_on_three_margins():
    rng = np.random.default_rng(1)
    n = 48
    sample = pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], size=n, p=[0.65, 0.35]),
            "age": rng.choice(["16-34", "35-64", "65+"], size=n, p=[0.15, 0.55, 0.30]),
            "tenure": rng.choice(["own", "social", "private"], size=n, p=[0.6, 0.25, 0.15]),
        }
    )
    margins = {
        "sex": pd.Series({"F": 0.52, "M": 0.48}),
        "age": pd.Series({"16-34": 0.32, "35-64": 0.46, "65+": 0.22}),
        "tenure": pd.Series({"own": 0.45, "social": 0.35, "private": 0.20}),
    }
    result = stats.rake(sample, margins, trim=None, tol=1e-10, max_iter=500)
    assert result.converged
    assert result.weights.mean() == pytest.approx(1.0)
    for column, target in margins.items():
        achieved = result.weights.groupby(sample[column]).sum() / result.weights.sum()
        assert (achieved.reindex(target.index) - target).abs().max() <= 1e-10
    assert result.effective_sample_size == pytest.approx(n / result.design_effect)


def test_rake_trimming_respected_with_known_solution():
    # Untrimmed, the single young woman gets weight 2.39. With an upper bound of 2.2: the five men
    # must carry half of 22, i.e. 11 = 5 × 2.2, so all men sit at the bound; then the "p" margin
    # gives 13·w + 2.2 = 11 → w = 8.8/13 and the "q" margin 4·w + 4·2.2 = 11 → w = 0.55.
    cells = {("F", "p"): 13, ("F", "q"): 4, ("M", "p"): 1, ("M", "q"): 4}
    sample = sample_from_cells(cells)
    margins = {"sex": pd.Series({"F": 0.5, "M": 0.5}), "age": pd.Series({"p": 0.5, "q": 0.5})}
    untrimmed = stats.rake(sample, margins, trim=None)
    assert untrimmed.weights.max() > 2.2
    trimmed = stats.rake(sample, margins, trim=(0.2, 2.2), max_iter=1000)
    assert trimmed.converged
    assert trimmed.weights.max() <= 2.2 + 1e-9
    assert trimmed.weights.min() >= 0.2 - 1e-9
    got = trimmed.weights.groupby([sample["sex"], sample["age"]]).mean()
    expected = {("F", "p"): 8.8 / 13, ("F", "q"): 0.55, ("M", "p"): 2.2, ("M", "q"): 2.2}
    for cell, w in expected.items():
        assert got[cell] == pytest.approx(w, abs=1e-6)
    assert trimmed.weights.mean() == pytest.approx(1.0)
    assert trimmed.max_margin_error <= 1e-8
    # Trimming costs less precision than the untrimmed weights here.
    assert trimmed.design_effect < untrimmed.design_effect


def test_rake_default_trim_leaves_moderate_weights_alone():
    sample = sample_from_cells({("F", "young"): 2, ("F", "old"): 4, ("M", "young"): 4, ("M", "old"): 8})
    margins = {"sex": pd.Series({"F": 0.5, "M": 0.5}), "age": pd.Series({"young": 0.5, "old": 0.5})}
    assert stats.rake(sample, margins).weights.tolist() == pytest.approx(
        stats.rake(sample, margins, trim=None).weights.tolist(), abs=1e-7
    )


def test_rake_infeasible_trim_warns_but_keeps_bounds_and_mean_one():
    # Five men must carry half the weight of 22 people (average 2.2), impossible under a cap of 2.
    sample = sample_from_cells({("F", "p"): 13, ("F", "q"): 4, ("M", "p"): 1, ("M", "q"): 4})
    margins = {"sex": pd.Series({"F": 0.5, "M": 0.5}), "age": pd.Series({"p": 0.5, "q": 0.5})}
    with pytest.warns(RuntimeWarning, match="did not converge"):
        result = stats.rake(sample, margins, trim=(0.2, 2.0), max_iter=200)
    assert not result.converged
    assert result.iterations == 200
    assert result.weights.max() <= 2.0 + 1e-9
    assert result.weights.min() >= 0.2 - 1e-9
    assert result.weights.mean() == pytest.approx(1.0)
    men = result.weights[sample["sex"] == "M"].sum() / result.weights.sum()
    assert result.max_margin_error >= abs(men - 0.5) - 1e-12
    assert result.max_margin_error > 0.01


def test_rake_errors_name_column_and_category():
    sample = sample_from_cells({("F", "young"): 2, ("M", "old"): 3})
    with pytest.raises(ValueError, match=r"'age'.*'old'.*absent"):
        stats.rake(sample, {"age": pd.Series({"young": 0.5, "middle": 0.5})})
    with pytest.raises(ValueError, match=r"'age'.*'middle'.*no respondents"):
        stats.rake(sample, {"age": pd.Series({"young": 0.4, "middle": 0.2, "old": 0.4})})
    with pytest.raises(ValueError, match="'tenure'"):
        stats.rake(sample, {"tenure": pd.Series({"own": 1.0})})
    missing = sample.copy()
    missing.loc[missing.index[0], "age"] = None
    with pytest.raises(ValueError, match="missing"):
        stats.rake(missing, {"age": pd.Series({"young": 0.5, "old": 0.5})})


def test_rake_ignores_empty_population_category_with_zero_share():
    sample = sample_from_cells({("F", "young"): 2, ("M", "old"): 6})
    result = stats.rake(sample, {"age": pd.Series({"young": 0.5, "middle": 0.0, "old": 0.5})}, trim=None)
    assert result.converged
    assert result.weights[sample["age"] == "young"].tolist() == pytest.approx([2.0, 2.0])
    assert result.weights[sample["age"] == "old"].tolist() == pytest.approx([4 / 6] * 6)


def test_collapse_categories_then_rake():
    sample = pd.DataFrame({"age": ["16-24"] + ["25-34"] * 3 + ["35-64"] * 4})
    margin = pd.Series({"16-24": 0.1, "25-34": 0.2, "35-64": 0.4, "65+": 0.3})
    with pytest.raises(ValueError, match="'65\\+'"):
        stats.rake(sample, {"age": margin})
    mapping = {"16-24": "16-34", "25-34": "16-34", "65+": "35+", "35-64": "35+"}
    collapsed = stats.collapse_categories(sample["age"], mapping)
    assert collapsed.tolist() == ["16-34"] * 4 + ["35+"] * 4
    merged = stats.collapse_shares(margin, mapping)
    assert merged.to_dict() == pytest.approx({"16-34": 0.3, "35+": 0.7})
    result = stats.rake(sample.assign(age=collapsed), {"age": merged}, trim=None)
    assert result.weights.tolist() == pytest.approx([0.3 * 8 / 4] * 4 + [0.7 * 8 / 4] * 4)


def test_collapse_categories_keeps_categorical_order_and_missing():
    s = pd.Series(pd.Categorical(["a", "b", None, "c"], categories=["a", "b", "c"], ordered=True))
    out = stats.collapse_categories(s, {"b": "bc", "c": "bc"})
    assert list(out.cat.categories) == ["a", "bc"]
    assert out.cat.ordered
    assert out.isna().tolist() == [False, False, True, False]
    assert out.dropna().tolist() == ["a", "bc", "bc"]


def test_design_effect_and_ess_by_hand():
    w = pd.Series([1.0, 1.0, 2.0, 4.0])
    # n·Σw²/(Σw)² = 4·22/64; ESS = 64/22.
    assert stats.design_effect(w) == pytest.approx(4 * 22 / 64)
    assert stats.effective_sample_size(w) == pytest.approx(64 / 22)
    assert stats.design_effect(np.ones(48)) == pytest.approx(1.0)


def test_post_stratify_known_weights():
    sample = pd.DataFrame({"sex": ["F"] * 6 + ["M"] * 2}, index=list("abcdefgh"))
    result = stats.post_stratify(sample, "sex", pd.Series({"F": 0.5, "M": 0.5}))
    assert result.weights.tolist() == pytest.approx([0.5 * 8 / 6] * 6 + [0.5 * 8 / 2] * 2)
    assert result.weights.index.equals(sample.index)
    assert result.weights.mean() == pytest.approx(1.0)
    assert result.max_margin_error == pytest.approx(0.0, abs=1e-15)
    # Σw² = 6·(2/3)² + 2·2² = 32/3; deff = 8·(32/3)/64 = 4/3.
    assert result.design_effect == pytest.approx(4 / 3)
    assert result.effective_sample_size == pytest.approx(6.0)


def test_post_stratify_on_crossed_cells_and_empty_cell_error():
    sample = sample_from_cells({("F", "young"): 1, ("F", "old"): 3, ("M", "young"): 2, ("M", "old"): 2})
    shares = pd.Series(
        [0.25, 0.25, 0.25, 0.25],
        index=pd.MultiIndex.from_tuples([("F", "young"), ("F", "old"), ("M", "young"), ("M", "old")]),
    )
    result = stats.post_stratify(sample, ["sex", "age"], shares)
    got = result.weights.groupby([sample["sex"], sample["age"]]).mean()
    assert got[("F", "young")] == pytest.approx(2.0)
    assert got[("F", "old")] == pytest.approx(2 / 3)
    assert got[("M", "old")] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no respondents"):
        stats.post_stratify(sample, "sex", pd.Series({"F": 0.4, "M": 0.4, "X": 0.2}))


# --------------------------------------------------------------------------------------------------
# weighted_vs_unweighted / weighted_share
# --------------------------------------------------------------------------------------------------


def test_weighted_share_by_hand():
    indicator = pd.Series([True, False, True, None], index=[1, 2, 3, 4], dtype=object)
    weights = pd.Series({1: 2.0, 2: 1.0, 3: 0.5, 4: 10.0})
    # Missing answer left out: (2 + 0.5) / (2 + 1 + 0.5).
    assert stats.weighted_share(indicator, weights) == pytest.approx(2.5 / 3.5)
    assert stats.weighted_share(pd.Series([1, 0, 0, 1]), pd.Series([1.0, 1.0, 1.0, 1.0])) == 0.5
    with pytest.raises(ValueError):
        stats.weighted_share(pd.Series([1, 2]), pd.Series([1.0, 1.0]))
    with pytest.raises(ValueError, match="missing"):
        stats.weighted_share(pd.Series([1, 0], index=[1, 9]), weights)


def test_weighted_vs_unweighted_by_hand():
    sample = pd.DataFrame({"answer": ["yes", "yes", "no", "no", "no", None]}, index=list("abcdef"))
    weights = pd.Series({"a": 2.0, "b": 2.0, "c": 1.0, "d": 0.5, "e": 0.5, "f": 3.0})
    table = stats.weighted_vs_unweighted(sample, weights, "answer", categories=["yes", "no", "unsure"])
    assert list(table.columns) == ["category", "count", "unweighted_share", "weighted_share", "difference_pp"]
    table = table.set_index("category")
    # Unweighted: 2/5 yes; weighted: 4/6 yes, 2/6 no (respondent f did not answer).
    assert table.loc["yes", "unweighted_share"] == pytest.approx(0.4)
    assert table.loc["yes", "weighted_share"] == pytest.approx(4 / 6)
    assert table.loc["yes", "difference_pp"] == pytest.approx((4 / 6 - 0.4) * 100)
    assert table.loc["no", "weighted_share"] == pytest.approx(2 / 6)
    assert table.loc["unsure", "count"] == 0
    assert table.loc["unsure", "difference_pp"] == 0
    default = stats.weighted_vs_unweighted(sample, weights, "answer")
    assert list(default["category"]) == ["no", "yes"]


def test_weighting_workflow_moves_shares_towards_population():
    sample = sample_from_cells({("F", "young"): 3, ("F", "old"): 27, ("M", "young"): 2, ("M", "old"): 16})
    margins = {"sex": pd.Series({"F": 0.52, "M": 0.48}), "age": pd.Series({"young": 0.35, "old": 0.65})}
    result = stats.rake(sample, margins)
    table = stats.weighted_vs_unweighted(sample, result.weights, "age").set_index("category")
    assert table.loc["young", "unweighted_share"] == pytest.approx(5 / 48)
    assert table.loc["young", "weighted_share"] == pytest.approx(0.35, abs=1e-7)
