"""Tests of cityconv.methods.disclosure: every rule that protects respondents.

The secondary-suppression tests include an *attack*: an independent re-implementation of what a
motivated intruder can do with the published numbers alone (row and column sums, totals, margins shared
with linked tables, counts being whole and non-negative, and — when zeros are shown — every `[c]` being
at least 1). It must fail to pin down any suppressed figure.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from cityconv.core.problems import Problem
from cityconv.data.denylist import NoDenylistWarning, load_denylist
from cityconv.methods.attribution import ALLOWED_ROLES, check_quote_attribution
from cityconv.methods.disclosure import (
    SUPPRESSED,
    TOTAL,
    DisclosureError,
    DisclosureRules,
    assert_publishable,
    attribute_disclosure,
    protect_counts,
    protect_percentages,
    suppress_linked,
)
from cityconv.methods.pii import screen_table, screen_text

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore::cityconv.data.denylist.NoDenylistWarning")


@pytest.fixture(autouse=True)
def _no_real_denylist(tmp_path_factory, monkeypatch):
    """Never read the developer's own deny-list: point the screen at a file that does not exist."""
    monkeypatch.setenv("CITYCONV_DENYLIST", str(tmp_path_factory.mktemp("nolist") / "absent.txt"))


def masked(pt) -> set[tuple]:
    return {(r, c) for r in pt.mask.index for c in pt.mask.columns if pt.mask.loc[r, c]}


# ---------------------------------------------------------------------------------------------------
# The attacker
# ---------------------------------------------------------------------------------------------------


def _entries(name: str, display: pd.DataFrame, interior_shape: tuple[int, int]):
    """All quantities of a published table, as (name, row, col) keys, and its line equations.

    Margins not shown in the display are still quantities (unknown to the attacker).
    """
    rows = [r for r in display.index if r != TOTAL]
    cols = [c for c in display.columns if c != TOTAL]
    two_way = interior_shape[0] > 1 and interior_shape[1] > 1
    keys, lines = [], []
    cells = [(name, r, c) for r in rows for c in cols]
    keys += cells
    if two_way:
        row_tot = [(name, r, TOTAL) for r in rows]
        col_tot = [(name, TOTAL, c) for c in cols]
        grand = (name, TOTAL, TOTAL)
        keys += row_tot + col_tot + [grand]
        lines += [([(name, r, c) for c in cols], (name, r, TOTAL)) for r in rows]
        lines += [([(name, r, c) for r in rows], (name, TOTAL, c)) for c in cols]
        lines += [(row_tot, grand), (col_tot, grand)]
    elif interior_shape[1] == 1:  # one-way down the rows
        grand = (name, TOTAL, cols[0])
        keys.append(grand)
        lines.append((cells, grand))
    else:  # one-way across a single row
        grand = (name, rows[0], TOTAL)
        keys.append(grand)
        lines.append((cells, grand))
    return keys, lines


def attack(published: dict, links: list[tuple[tuple, tuple]] = (), zeros_shown: bool = True) -> dict:
    """Try to recover every `[c]` from the published numbers. Returns {key: value} for each success.

    published: name -> (display DataFrame, interior shape). links: pairs of keys known to be equal
    (a one-way count and the matching margin of a two-way table, or two grand totals).
    """
    keys, lines, known, shown_c = [], [], {}, set()
    for name, (display, shape) in published.items():
        k, l = _entries(name, display, shape)
        keys += k
        lines += l
        for _, r, c in k:
            if r in display.index and c in display.columns:
                text = str(display.loc[r, c])
                if text == SUPPRESSED:
                    shown_c.add((name, r, c))
                else:
                    known[(name, r, c)] = int(text.replace(",", ""))
    unknown = [k for k in keys if k not in known]
    col = {k: i for i, k in enumerate(unknown)}
    a_rows, b = [], []

    def equation(terms: list[tuple[tuple, float]]) -> None:
        row, rhs = np.zeros(len(unknown)), 0.0
        for key, coef in terms:
            if key in col:
                row[col[key]] += coef
            else:
                rhs -= coef * known[key]
        if row.any():
            a_rows.append(row)
            b.append(rhs)

    for parts, total in lines:
        equation([(p, 1.0) for p in parts] + [(total, -1.0)])
    for left, right in links:
        equation([(left, 1.0), (right, -1.0)])
    a = np.array(a_rows) if a_rows else np.zeros((0, len(unknown)))
    b = np.array(b)
    rank = np.linalg.matrix_rank(a) if len(a) else 0
    lower = [1.0 if (zeros_shown and k in shown_c) else 0.0 for k in unknown]
    recovered = {}
    for key in sorted(shown_c, key=str):
        i = col[key]
        unit = np.zeros(len(unknown))
        unit[i] = 1.0
        if len(a) and np.linalg.matrix_rank(np.vstack([a, unit])) == rank:  # linear arithmetic
            sol = np.linalg.lstsq(a, b, rcond=None)[0]
            recovered[key] = round(sol[i])
            continue
        kw = {"bounds": [(lo, None) for lo in lower], "method": "highs"}
        if len(a):
            kw.update(A_eq=a, b_eq=b)
        low, high = linprog(unit, **kw), linprog(-unit, **kw)
        assert low.status == 0, "the attacker's equations must be consistent with the truth"
        if high.status == 0 and math.floor(-high.fun + 1e-6) <= math.ceil(low.fun - 1e-6):
            recovered[key] = round(low.fun)
    return recovered


def published(tables: dict, results: dict) -> dict:
    shapes = {}
    for name, t in tables.items():
        frame = t.to_frame() if isinstance(t, pd.Series) else t
        shapes[name] = (results[name].display, frame.shape)
    return shapes


# ---------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------


def test_rules_defaults_and_params() -> None:
    rules = DisclosureRules()
    assert (rules.threshold, rules.min_percent_base, rules.zeros_disclosive) == (5, 10, False)
    assert DisclosureRules.from_params(None) == rules
    assert DisclosureRules.from_params({}) == rules
    custom = DisclosureRules.from_params({"threshold": 10, "min_percent_base": 30, "zeros_disclosive": True})
    assert custom == DisclosureRules(10, 30, True)


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"treshold": 10}, "did you mean 'threshold'"),
        ({"threshold": "5"}, "whole number"),
        ({"threshold": True}, "whole number"),
        ({"threshold": 0}, "at least 1"),
        ({"zeros_disclosive": "no"}, "true or false"),
        ({"threshold": 10, "min_percent_base": 5}, "at least 'threshold'"),
    ],
)
def test_rules_from_params_refuse_bad_values(mapping, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        DisclosureRules.from_params(mapping)


# ---------------------------------------------------------------------------------------------------
# Primary suppression
# ---------------------------------------------------------------------------------------------------


def test_primary_boundaries_threshold_5() -> None:
    counts = pd.DataFrame({"a": [0, 1, 4, 5, 6], "b": [20, 20, 20, 20, 20]}, index=list("vwxyz"))
    pt = protect_counts(counts, DisclosureRules(), with_totals=False)
    assert pt.primary["a"].tolist() == [False, True, True, False, False]
    assert pt.display["a"].tolist() == ["0", SUPPRESSED, SUPPRESSED, "5", "6"]
    assert not pt.secondary.to_numpy().any()  # no totals published: nothing to protect against


def test_primary_threshold_is_configurable() -> None:
    counts = pd.Series([0, 1, 2, 3, 4, 10], index=list("uvwxyz"), name="n")
    pt = protect_counts(counts, DisclosureRules(threshold=3, min_percent_base=10), with_totals=False)
    assert pt.display["n"].tolist() == ["0", SUPPRESSED, SUPPRESSED, "3", "4", "10"]


def test_zeros_disclosive_suppresses_zeros() -> None:
    counts = pd.Series([0, 7, 9], index=list("abc"), name="n")
    pt = protect_counts(counts, DisclosureRules(zeros_disclosive=True))
    assert pt.primary["n"].tolist() == [True, False, False, False]
    assert pt.display["n"].tolist() == [SUPPRESSED, SUPPRESSED, "9", "16"]  # 0 and its complement
    assert pt.notes[0] == DisclosureRules().symbol_note() + "."  # the same words as for any other [c]
    assert attack(published({"t": counts}, {"t": pt}), zeros_shown=False) == {}


def test_refuses_bad_counts() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        protect_counts(pd.Series([1.5, 3.0]))
    with pytest.raises(ValueError, match="NaN"):
        protect_counts(pd.Series([1.0, np.nan]))
    with pytest.raises(ValueError, match="whole numbers"):
        protect_counts(pd.Series([-1, 3]))
    with pytest.raises(ValueError, match="already has a row labelled 'Total'"):
        protect_counts(pd.Series([5, 6, 11], index=["a", "b", "Total"]))


# ---------------------------------------------------------------------------------------------------
# Secondary suppression: exact masks on small examples
# ---------------------------------------------------------------------------------------------------


def test_one_way_single_suppressed_cell_gets_the_smallest_complement() -> None:
    counts = pd.Series([12, 3, 20, 8], index=list("abcd"), name="n")
    pt = protect_counts(counts)
    assert pt.display["n"].tolist() == ["12", SUPPRESSED, "20", SUPPRESSED, "43"]
    assert masked(pt) == {("b", "n"), ("d", "n")}
    assert pt.primary["n"].tolist() == [False, True, False, False, False]
    assert pt.secondary["n"].tolist() == [False, False, False, True, False]
    assert pt.notes[0] == (
        "[c] Withheld to protect the people counted: a count below 5, or a figure withheld so that such a "
        "count cannot be worked out from the others."
    )


def test_one_way_without_total_needs_no_complement() -> None:
    counts = pd.Series([12, 3, 20, 8], index=list("abcd"), name="n")
    pt = protect_counts(counts, with_totals=False)
    assert masked(pt) == {("b", "n")}
    assert TOTAL not in pt.display.index


def test_one_way_two_small_cells_protect_each_other() -> None:
    pt = protect_counts(pd.Series([12, 3, 20, 2], index=list("abcd"), name="n"))
    assert masked(pt) == {("b", "n"), ("d", "n")}
    assert not pt.secondary.to_numpy().any()


def test_one_way_small_total_is_itself_withheld() -> None:
    pt = protect_counts(pd.Series([3, 0, 0], index=list("abc")))
    assert pt.display["Count"].tolist() == [SUPPRESSED, "0", "0", SUPPRESSED]


def test_one_row_frame_is_a_one_way_table_with_a_total_column() -> None:
    pt = protect_counts(pd.DataFrame([[12, 3, 20, 8]], columns=list("abcd"), index=["All"]))
    assert list(pt.display.columns) == ["a", "b", "c", "d", TOTAL]
    assert list(pt.display.index) == ["All"]
    assert pt.display.loc["All"].tolist() == ["12", SUPPRESSED, "20", SUPPRESSED, "43"]


def test_two_way_rectangle() -> None:
    counts = pd.DataFrame({"x": [2, 6, 12], "y": [10, 7, 11], "z": [8, 9, 15]}, index=list("abc"))
    pt = protect_counts(counts)
    assert masked(pt) == {("a", "x"), ("a", "z"), ("b", "x"), ("b", "z")}
    assert pt.primary.loc["a", "x"] and pt.secondary.loc["b", "z"]
    assert pt.display.loc[TOTAL].tolist() == ["20", "28", "32", "80"]
    assert pt.display[TOTAL].tolist() == ["20", "22", "38", "80"]
    assert attack(published({"t": counts}, {"t": pt})) == {}


def test_two_way_smallest_first_exact_mask() -> None:
    # Smallest complement first, as the rule says (this example shows it can over-suppress).
    counts = pd.DataFrame({"x": [10, 6, 12], "y": [2, 7, 11], "z": [8, 9, 5]}, index=list("abc"))
    pt = protect_counts(counts)
    expected = {("a", "x"), ("a", "y"), ("a", "z"), ("b", "x"), ("b", "y"), ("c", "y"), ("c", "z")}
    assert masked(pt) == expected
    assert attack(published({"t": counts}, {"t": pt})) == {}


def test_two_way_small_row_total_needs_a_second_total() -> None:
    counts = pd.DataFrame({"x": [1, 9, 7], "y": [2, 8, 10]}, index=list("abc"))
    pt = protect_counts(counts)
    assert pt.display.values.tolist() == [
        [SUPPRESSED, SUPPRESSED, SUPPRESSED],
        ["9", SUPPRESSED, SUPPRESSED],
        [SUPPRESSED, SUPPRESSED, "17"],
        ["17", "20", "37"],
    ]
    assert pt.primary.loc["a", TOTAL] and pt.secondary.loc["b", TOTAL]
    assert attack(published({"t": counts}, {"t": pt})) == {}


def test_row_with_no_second_cell_has_its_total_withheld_and_says_so() -> None:
    counts = pd.DataFrame({"x": [2, 7, 8], "y": [9, 0, 6], "z": [0, 0, 5]}, index=list("abc"))
    pt = protect_counts(counts)
    # Row b's only non-zero cell (7) is withheld to protect column x; it has no second cell, so its
    # total goes too.
    assert pt.mask.loc["b", "x"] and pt.mask.loc["b", TOTAL]
    assert any("totals are withheld" in note for note in pt.notes)
    assert attack(published({"t": counts}, {"t": pt})) == {}


def test_every_line_with_a_suppression_has_at_least_two() -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        counts = pd.DataFrame(rng.poisson(6, size=(4, 3)), index=list("abcd"), columns=list("xyz"))
        pt = protect_counts(counts)
        m = pt.mask.to_numpy()
        for line in [*m, *m.T]:
            assert line.sum() != 1


def test_audit_catches_a_bridge_that_two_per_line_misses() -> None:
    from cityconv.methods.disclosure import _Problem

    counts = pd.DataFrame(np.full((4, 4), 9), index=list("abcd"), columns=list("wxyz"))
    problem = _Problem({"t": counts}, DisclosureRules(), True)
    cell = problem.tables[0].cell
    pattern = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]  # (0, 2) joins
    for i, j in pattern:
        problem.suppressed[problem.group[int(cell[i, j])]] = True
    problem.line_rule()
    assert sum(problem.suppressed.values()) == len(pattern)  # every line already has 0 or >= 2
    before = problem.result(problem.tables[0])
    assert attack({"t": (before.display, (4, 4))}) == {("t", "a", "y"): 9}  # the joining cell falls
    assert problem.exposed() == [problem.group[int(cell[0, 2])]]
    problem.solve()
    assert problem.exposed() == []
    pt = problem.result(problem.tables[0])
    assert attack({"t": (pt.display, (4, 4))}) == {}


# ---------------------------------------------------------------------------------------------------
# The recovery attempt on many tables
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_attacker_recovers_nothing_from_random_tables(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = [(3, 3), (4, 3), (5, 2), (3, 4)][seed % 4]
    counts = pd.DataFrame(
        rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 11, 15], size=shape),
        index=[f"r{i}" for i in range(shape[0])],
        columns=[f"c{j}" for j in range(shape[1])],
    )
    rules = DisclosureRules(zeros_disclosive=bool(seed % 3 == 0))
    pt = protect_counts(counts, rules)
    assert (pt.primary.to_numpy() <= pt.mask.to_numpy()).all()
    expected_primary = pt.counts.map(rules.is_small).to_numpy()
    assert (pt.primary.to_numpy() == expected_primary).all()
    assert attack(published({"t": counts}, {"t": pt}), zeros_shown=not rules.zeros_disclosive) == {}
    assert_publishable(pt.display, rules)


def test_attacker_would_succeed_without_secondary_suppression() -> None:
    """The attacker is not toothless: primary suppression alone is broken by the totals."""
    counts = pd.DataFrame({"x": [2, 6, 12], "y": [10, 7, 11], "z": [8, 9, 15]}, index=list("abc"))
    pt = protect_counts(counts)
    naive = pt.counts.astype(str).where(~pt.primary, SUPPRESSED)
    assert attack({"t": (naive, counts.shape)}) == {("t", "a", "x"): 2}


def test_real_survey_age_by_sex(repo_root: Path) -> None:
    survey = pd.read_csv(repo_root / "data" / "clubmoor" / "survey_responses.csv")
    table = pd.crosstab(survey["age_band"], survey["sex"])
    sex = survey["sex"].value_counts().sort_index()
    age = survey["age_band"].value_counts().sort_index()
    tables = {"sex": sex, "age": age, "age_by_sex": table}
    results = suppress_linked(tables)
    links = [(("sex", k, "count"), ("age_by_sex", TOTAL, k)) for k in sex.index]
    links += [(("age", k, "count"), ("age_by_sex", k, TOTAL)) for k in age.index]
    links += [
        (("sex", TOTAL, "count"), ("age_by_sex", TOTAL, TOTAL)),
        (("age", TOTAL, "count"), ("sex", TOTAL, "count")),
    ]
    assert attack(published(tables, results), links) == {}
    for pt in results.values():
        assert_publishable(pt.display)


# ---------------------------------------------------------------------------------------------------
# Linked tables
# ---------------------------------------------------------------------------------------------------


def _sex_tables():
    sex = pd.Series([20, 25], index=pd.Index(["Female", "Male"], name="sex"), name="n")
    by_age = pd.DataFrame(
        [[2, 8, 10], [6, 9, 10]],
        index=pd.Index(["Female", "Male"], name="sex"),
        columns=pd.Index(["16-34", "35-64", "65+"], name="age"),
    )
    return sex, by_age


def test_linked_margin_recovers_a_cell_when_tables_are_protected_separately() -> None:
    sex, by_age = _sex_tables()
    one = protect_counts(sex)
    two = protect_counts(by_age, with_totals=False)
    assert two.display.loc["Female"].tolist() == [SUPPRESSED, "8", "10"]
    shapes = {"sex": (one.display, (2, 1)), "by_age": (two.display, (2, 3))}
    links = [(("sex", k, "n"), ("by_age", k, TOTAL)) for k in sex.index]
    assert attack(shapes, links) == {("by_age", "Female", "16-34"): 2}


def test_suppress_linked_treats_one_way_counts_as_margins() -> None:
    sex, by_age = _sex_tables()
    res = suppress_linked({"sex": sex, "by_age": by_age}, with_totals={"sex": True, "by_age": False})
    assert res["sex"].display["n"].tolist() == ["20", "25", "45"]
    assert res["by_age"].display.values.tolist() == [[SUPPRESSED, SUPPRESSED, "10"], ["6", "9", "10"]]
    assert masked(res["by_age"]) == {("Female", "16-34"), ("Female", "35-64")}
    links = [(("sex", k, "n"), ("by_age", k, TOTAL)) for k in sex.index]
    links.append((("sex", TOTAL, "n"), ("by_age", TOTAL, TOTAL)))
    assert attack(published({"sex": sex, "by_age": by_age}, res), links) == {}


def test_suppression_in_one_way_table_carries_into_the_two_way_margins() -> None:
    sex = pd.Series([20, 25, 3], index=pd.Index(["Female", "Male", "Other"], name="sex"), name="n")
    by_age = pd.DataFrame(
        {"Female": [8, 12], "Male": [10, 15], "Other": [1, 2]},
        index=pd.Index(["16-44", "45+"], name="age"),
    )
    by_age.columns.name = "sex"
    res = suppress_linked({"sex": sex, "age_by_sex": by_age})
    one, two = res["sex"], res["age_by_sex"]
    assert masked(one) == {("Other", "n"), ("Female", "n")}  # 3, then the smaller of 20 and 25
    for k in ("Other", "Female"):  # the same counts are withheld as margins of the two-way table
        assert two.mask.loc[TOTAL, k]
    assert two.notes[0] == one.notes[0] == DisclosureRules().symbol_note() + "."
    links = [(("sex", k, "n"), ("age_by_sex", TOTAL, k)) for k in sex.index]
    links.append((("sex", TOTAL, "n"), ("age_by_sex", TOTAL, TOTAL)))
    assert attack(published({"sex": sex, "age_by_sex": by_age}, res), links) == {}


def test_linked_tables_must_agree() -> None:
    sex, by_age = _sex_tables()
    with pytest.raises(ValueError, match="disagree"):
        suppress_linked({"sex": sex + 1, "by_age": by_age})
    other = sex.rename(index={"Male": "Man"})
    with pytest.raises(ValueError, match="different categories"):
        suppress_linked({"sex": other, "by_age": by_age})
    with pytest.raises(ValueError, match="no named axis"):
        suppress_linked({"sex": sex, "unnamed": pd.Series([5, 6])})


# ---------------------------------------------------------------------------------------------------
# Percentages
# ---------------------------------------------------------------------------------------------------


def test_percentages_small_base_and_suppressed_counts() -> None:
    counts = pd.Series([12, 3, 20, 8], index=list("abcd"), name="n")
    pct = protect_percentages(counts, 43, DisclosureRules())
    assert pct.tolist() == ["28%", SUPPRESSED, "47%", SUPPRESSED]  # 8 is a secondary suppression
    assert protect_percentages(pd.Series([6, 3]), 9).tolist() == [SUPPRESSED, SUPPRESSED]  # base 9 < 10
    assert protect_percentages(pd.Series([6, 5]), 11, decimals=1).tolist() == ["54.5%", "45.5%"]
    assert protect_percentages(pd.Series([6, 5]), 11, DisclosureRules(min_percent_base=12)).tolist() == [
        SUPPRESSED,
        SUPPRESSED,
    ]
    assert protect_percentages(pd.Series([1, 7]), 8, DisclosureRules(threshold=1, min_percent_base=1),
                               suffix="").tolist() == ["13", "88"]  # half rounds up


def test_percentages_of_a_protected_table() -> None:
    counts = pd.DataFrame({"x": [2, 6, 12], "y": [10, 7, 11], "z": [8, 9, 15]}, index=list("abc"))
    pt = protect_counts(counts)
    by_col = protect_percentages(pt, "column")
    assert by_col["y"].tolist() == ["36%", "25%", "39%", "100%"]
    assert by_col.loc["a", "x"] == SUPPRESSED and by_col.loc["b", "z"] == SUPPRESSED
    by_row = protect_percentages(pt, "row")
    assert by_row.loc["c"].tolist() == ["32%", "29%", "39%", "100%"]
    small = pd.DataFrame({"x": [5, 20, 12], "y": [3, 9, 10]}, index=["p", "q", "r"])  # row p: base 8
    pt = protect_counts(small)
    by_row = protect_percentages(pt, "row")
    assert by_row.loc["p"].tolist() == [SUPPRESSED] * 3
    for r in by_row.index:  # withheld exactly where the count, or its base, is withheld
        for c in by_row.columns:
            expected = pt.mask.loc[r, c] or pt.mask.loc[r, TOTAL] or pt.counts.loc[r, TOTAL] < 10
            assert (by_row.loc[r, c] == SUPPRESSED) == expected
    zero = protect_counts(pd.DataFrame({"x": [5, 20, 12], "y": [7, 0, 10]}, index=list("pqr")))
    assert protect_percentages(zero, "row").loc["q"].tolist() == ["100%", "0%", "100%"]


# ---------------------------------------------------------------------------------------------------
# Group attribute disclosure
# ---------------------------------------------------------------------------------------------------


def test_attribute_disclosure_flags_unanimous_groups() -> None:
    frame = pd.DataFrame(
        {
            "age_band": ["16-24"] * 6 + ["25-34"] * 5 + ["75+"],
            "recommend": ["no"] * 6 + ["yes", "no", "yes", "yes", None] + ["yes"],
        }
    )
    flags = attribute_disclosure(frame, "age_band", "recommend", DisclosureRules())
    assert len(flags) == 2
    assert flags[0].startswith("age_band = '16-24': all 6 respondents gave the same recommend ('no')")
    assert "the only respondent" in flags[1] and "'75+'" in flags[1] and "below the threshold" in flags[1]
    assert attribute_disclosure(frame[frame.age_band == "25-34"], "age_band", "recommend") == []
    with pytest.raises(KeyError):
        attribute_disclosure(frame, "age", "recommend")


# ---------------------------------------------------------------------------------------------------
# Quotes
# ---------------------------------------------------------------------------------------------------


def test_quote_roles() -> None:
    for role in ALLOWED_ROLES:
        check_quote_attribution(role, None, None, DisclosureRules())
    with pytest.raises(ValueError, match="Did you mean 'Interviewee'"):
        check_quote_attribution("interviewee")
    with pytest.raises(ValueError, match="attribute quotes by role only"):
        check_quote_attribution("Mrs Smith, Queens Drive")


def test_quote_descriptors_need_threshold_matches() -> None:
    data = pd.DataFrame({"age_band": ["25-34"] * 5 + ["75+"] * 4, "sex": ["Female"] * 4 + ["Male"] * 5})
    check_quote_attribution("Interviewee", {"age_band": "25-34"}, data)
    with pytest.raises(ValueError, match=r"only 4 people match age_band = '75\+'"):
        check_quote_attribution("Interviewee", {"age_band": "75+"}, data)
    with pytest.raises(ValueError, match="only 1 person matches"):  # the combination, not each part
        check_quote_attribution("Interviewee", {"age_band": "25-34", "sex": "Male"}, data)
    check_quote_attribution("Interviewee", {"age_band": "75+"}, data, DisclosureRules(threshold=4))
    with pytest.raises(ValueError, match="needs the data"):
        check_quote_attribution("Interviewee", {"age_band": "25-34"}, None)
    with pytest.raises(ValueError, match="not columns"):
        check_quote_attribution("Interviewee", {"ward": "Clubmoor"}, data)


# ---------------------------------------------------------------------------------------------------
# Free-text PII screen
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, secret",
    [
        ("write to jo.bloggs@example.co.uk please", "e-mail address", "jo.bloggs@example.co.uk"),
        ("ring me on 07911 123456 after six", "UK phone number", "07911 123456"),
        ("ring me on +44 7911 123456", "UK phone number", "+44 7911 123456"),
        ("the office is 0151 709 1234", "UK phone number", "0151 709 1234"),
        ("or 0151 123 4567", "UK phone number", "0151 123 4567"),
        ("I live at L11 2SU near the park", "UK postcode", "L11 2SU"),
        ("round the corner, l4 0th", "UK postcode", "l4 0th"),
        ("postcode L112SU", "UK postcode", "L112SU"),
        ("my NI number is AB 12 34 56 C", "National Insurance number", "AB 12 34 56 C"),
        ("ni: ab123456c", "National Insurance number", "ab123456c"),
    ],
)
def test_screen_finds_pii(text: str, kind: str, secret: str) -> None:
    hits = screen_text(text, load_denylist())
    assert [h.kind for h in hits] == [kind]
    hit = hits[0]
    assert text[hit.start : hit.end] == secret
    assert secret not in hit.hint


def test_screen_hints_are_useful_but_not_the_pii() -> None:
    (phone,) = screen_text("call 07911 123456", load_denylist())
    assert phone.hint == "a UK phone number ending 456"
    (postcode,) = screen_text("at L11 2SU", load_denylist())
    assert postcode.hint == "a full UK postcode in L11"


@pytest.mark.parametrize(
    "text",
    [
        "Ofcom's drama number 07700 900123 is not real",
        "people in L11 said the park matters",
        "L11 and L4 are next to each other",
        "[name] told us about [the pandemic]",
        "48 responses, 26 interviews and 3 workshops",
        "on 12/03/2021 and 2021-03-12, at 10:30",
        "HMRC's specimen QQ 12 34 56 C",
        "product code AB123456",
        "an email @ the council",
    ],
)
def test_screen_ignores_ordinary_text(text: str) -> None:
    assert screen_text(text, load_denylist()) == []


def test_screen_without_denylist_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CITYCONV_DENYLIST", str(tmp_path / "missing.txt"))
    with pytest.warns(NoDenylistWarning, match="names were not checked"):
        result = screen_text("Maria said hello", load_denylist())
    assert result == [] and not result.names_checked
    assert "without a deny-list" in result.note


def test_screen_denylist(tmp_path, monkeypatch) -> None:
    listing = tmp_path / "denylist.txt"
    listing.write_text("# people to look for\nMaria\nJo  Bloggs\n\n", encoding="utf-8")
    monkeypatch.setenv("CITYCONV_DENYLIST", str(listing))
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoDenylistWarning)
        hits = screen_text("maria said that JO BLOGGS helped; Mariam and Marias did not; [Maria] is a mark", load_denylist())
    assert [(h.kind, h.start) for h in hits] == [("name on the deny-list", 0), ("name on the deny-list", 16)]
    assert hits.names_checked and "2 name(s)" in hits.note
    assert all("aria" not in h.hint.lower() and "bloggs" not in h.hint.lower() for h in hits)


def test_denylist_inside_the_project_is_refused(tmp_path) -> None:
    (tmp_path / "_config.yml").write_text("title: x\n")
    (tmp_path / "params").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "denylist.txt").write_text("Maria\n")
    with pytest.raises(ValueError, match="outside the repository"):
        load_denylist(tmp_path / "data" / "denylist.txt")


def test_screen_table_numbers_rows_as_in_the_csv(tmp_path, monkeypatch) -> None:
    listing = tmp_path / "names.txt"
    listing.write_text("Maria\n")
    monkeypatch.setenv("CITYCONV_DENYLIST", str(listing))
    frame = pd.DataFrame(
        {
            "quote_id": ["Q1", "Q2", "Q3", "Q4"],
            "text": ["The park is lovely", "Ring 07911 123456", None, "Maria lives at L11 2SU"],
        }
    )
    problems = screen_table(frame, ["text", "missing"], "data/clubmoor/quotes.csv", denylist=load_denylist())
    assert all(isinstance(p, Problem) for p in problems)
    rows = [(p.row, p.column) for p in problems if p.row is not None]
    assert rows == [(3, "text"), (5, "text"), (5, "text")]
    texts = [str(p) for p in problems]
    assert texts[0].startswith("data/clubmoor/quotes.csv, row 3, column 'text': possible personal information")
    assert "a UK phone number ending 456" in texts[0]
    assert not any("07911" in t or "2SU" in t or "Maria" in t for t in texts)
    assert any(p.column == "missing" and p.row is None for p in problems)
    offset = screen_table(frame, ["text"], "q.csv", first_row_number=10, denylist=load_denylist())
    assert [p.row for p in offset] == [11, 13, 13]


def test_screen_real_quotes_are_clean(repo_root: Path) -> None:
    quotes = pd.read_csv(repo_root / "data" / "clubmoor" / "quotes.csv")
    assert list(screen_table(quotes, ["text"], "quotes.csv", denylist=load_denylist())) == []


# ---------------------------------------------------------------------------------------------------
# Last-line check
# ---------------------------------------------------------------------------------------------------


def test_assert_publishable() -> None:
    rules = DisclosureRules()
    ok = pd.DataFrame(
        {"n": ["12", SUPPRESSED, "0", "1,234"], "%": ["3", "4", "0", "2"], "share": ["3%", "4.0", "x", ""]}
    )
    assert_publishable(ok, rules)
    with pytest.raises(DisclosureError, match="row 1, column 'n' shows 3"):
        assert_publishable(pd.DataFrame({"n": ["12", "3"]}), rules)
    with pytest.raises(DisclosureError):
        assert_publishable(pd.DataFrame({"n": [12, 4]}), rules)
    assert_publishable(pd.DataFrame({"Mean score": [2.0, 3.0]}), rules)
    with pytest.raises(DisclosureError, match="shows 0"):
        assert_publishable(pd.DataFrame({"n": ["0", "12"]}), DisclosureRules(zeros_disclosive=True))
    with pytest.raises(DisclosureError, match="n = 3"):
        assert_publishable(pd.DataFrame({"Aged 16-24 (n=3)": ["40%"]}), rules)
    assert_publishable(pd.DataFrame({"n": ["4"]}), DisclosureRules(threshold=4, min_percent_base=10))


def test_every_published_quote_role_is_allowed():
    """The quotes schema's role codes and the disclosure rule's allowed roles must agree."""
    import json
    from pathlib import Path

    from cityconv.data.wardfiles import load_ward_data

    root = Path(__file__).resolve().parents[1]
    schema = json.loads((root / "src/cityconv/data/schemas/ward/quotes.schema.json").read_text(encoding="utf-8"))
    field = next(f for f in schema["fields"] if f["name"] == "speaker_role")
    assert set(field["constraints"]["enum"]) <= set(ALLOWED_ROLES)
    quotes = load_ward_data(root / "data" / "clubmoor", root).quotes
    for role in quotes["speaker_role"]:
        check_quote_attribution(role)


@pytest.mark.parametrize("seed", range(6))
def test_quick_proofs_give_the_same_suppression_as_linear_programming_alone(seed: int, monkeypatch) -> None:
    """The audit skips linear programs when a null-space direction or the first bound already shows a
    cell is free; the suppression pattern must be exactly what the programs alone decide."""
    from cityconv.methods import disclosure

    rng = np.random.default_rng(100 + seed)
    shape = [(3, 3), (4, 3), (5, 2), (3, 4), (6, 4), (2, 7)][seed]
    tables = [pd.DataFrame(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 11, 15, 30], size=shape)) for _ in range(8)]
    rules = DisclosureRules(zeros_disclosive=bool(seed % 2))
    quick = [protect_counts(t, rules) for t in tables]
    decided = []
    real = disclosure._free_along_null_space
    monkeypatch.setattr(disclosure, "_free_along_null_space", lambda *a: decided.append(real(*a)) or False)
    slow = [protect_counts(t, rules) for t in tables]
    for q, s in zip(quick, slow):
        pd.testing.assert_frame_equal(q.mask, s.mask)
        pd.testing.assert_frame_equal(q.display, s.display)
    assert any(decided)  # the quick proof did decide some cells in these tables


def test_a_free_cell_is_never_reported_pinned_and_vice_versa() -> None:
    from cityconv.methods.disclosure import _free_along_null_space, _null_space, _pinned

    # x1 + x2 = 5, x2 + x3 = 4 with x >= 1: x2 ranges over 1..3 (free); x1 = 5 - x2 and x3 = 4 - x2 too.
    a, b, lower, x = np.array([[1.0, 1, 0], [0, 1, 1]]), np.array([5.0, 4]), np.ones(3), np.array([3.0, 2, 2])
    null = _null_space(a, 3)
    assert all(_free_along_null_space(null, x, lower, k) for k in range(3))
    assert not any(_pinned(a, b, lower, k, x[k]) for k in range(3))
    # x1 + x2 = 2 with x >= 1: both are pinned at 1; no quick proof may say otherwise.
    a, b, lower, x = np.array([[1.0, 1]]), np.array([2.0]), np.ones(2), np.array([1.0, 1])
    null = _null_space(a, 2)
    assert not any(_free_along_null_space(null, x, lower, k) for k in range(2))
    assert all(_pinned(a, b, lower, k, x[k]) for k in range(2))
