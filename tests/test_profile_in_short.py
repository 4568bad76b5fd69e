"""The profile's "In short": rules decide which figures get a sentence (a stated threshold, ranks at the
edges), every sentence names the index edition or the method of its figure, and "percentages are more
reliable" is said only of wards built from enough neighbourhoods. Run on the real context tables."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import in_short, indicators  # noqa: E402
from cityconv.chapters import profile as P  # noqa: E402
from cityconv.data import context as ctx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
CLUBMOOR_EAST = "e05015290"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.])\s+", text.replace("\n", " ")) if s.strip()]


@pytest.fixture(scope="module")
def wards() -> pd.DataFrame:
    return ctx.ward_index(CONTEXT)


def test_clubmoor_east_names_the_edition_of_each_deprivation_sentence():
    text = P.summary_text(P.load_profile(CLUBMOOR_EAST, REPO))
    said = sentences(text)
    (on_2019,) = [s for s in said if "all 4 of its neighbourhoods (100%)" in s]
    (on_2025,) = [s for s in said if "3 of its 4 neighbourhoods (75%)" in s]
    assert "IMD 2019" in on_2019 and "2025" not in on_2019
    assert "IMD 2025" in on_2025 and "a lower share than on the IMD 2019" in on_2025
    assert "2011 boundaries" in on_2019 and "2021 boundaries" in on_2025


def test_rank_words_only_at_the_edges_and_counting_wards_with_figures():
    assert in_short.rank_words(1, 30) == "the highest of the 30 wards"
    assert in_short.rank_words(3, 63, 64) == "the 3rd highest of the 63 wards with figures"
    assert in_short.rank_words(30, 30) == "the lowest of the 30 wards"
    assert in_short.rank_words(29, 30) == "the 2nd lowest of the 30 wards"
    assert in_short.rank_words(4, 30) == "" and in_short.rank_words(float("nan"), 30) == ""
    assert [in_short.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]


@pytest.mark.parametrize("boundary_set", ctx.BOUNDARY_SETS)
def test_statements_follow_the_threshold_and_carry_the_method(boundary_set):
    figures = indicators.ward_indicators(CONTEXT, boundary_set)
    city = figures[figures["boundary_set"] == ctx.SET_CITY].iloc[0]
    wards = figures[figures["boundary_set"] == boundary_set]
    said = 0
    for row in wards.itertuples():
        found = {s.key: s for s in in_short.statements(figures, boundary_set, row.ward_code)}
        for h in indicators.HEADLINES:
            value = getattr(row, h.key)
            if pd.isna(value):
                assert h.key not in found
                continue
            beyond = abs(float(value) - float(city[h.key])) * 100 >= in_short.DIFFERENCE_PP
            assert (h.key in found) == beyond, (row.ward_name, h.key)
            if beyond:
                said += 1
                s = found[h.key]
                assert s.direction == ("higher" if value > city[h.key] else "lower")
                assert s.qualifier == in_short.METHOD_QUALIFIER.get(h.method, "")
    assert said > len(wards)  # the rule speaks about most wards


def test_no_sentence_about_a_modelled_figure_lacks_the_word():
    """A figure whose method is "modelled" is always called a modelled estimate in its sentence."""
    figures = indicators.ward_indicators(CONTEXT, ctx.SET_OLD)
    modelled = tuple(indicators.Headline(h.key, h.words, indicators.METHOD_MODELLED, h.edition)
                     for h in indicators.HEADLINES if not h.edition)
    clubmoor = "E05000892"
    statements = in_short.statements(figures, ctx.SET_OLD, clubmoor, modelled)
    assert statements, "Clubmoor differs from Liverpool on some headline figure"
    context = {**P.summary_context(P.load_profile("clubmoor", REPO)), "statements": statements}
    text = P.render("summary", context)
    for s in statements:
        (sentence,) = [t for t in sentences(text) if s.words in t]
        assert "modelled" in sentence, sentence


@pytest.mark.parametrize("study_id", ["clubmoor", "e05015290", "e05000887", "e05015300", "e05015332"])
def test_every_census_sentence_of_in_short_says_how_its_figure_was_made(study_id):
    p = P.load_profile(study_id, REPO)
    text = P.summary_text(p)
    for s in P.summary_context(p)["statements"]:
        (sentence,) = [t for t in sentences(text) if s.words in t]
        assert s.qualifier and s.qualifier in sentence
    for sentence in sentences(text):
        if "most deprived 10%" in sentence:
            assert re.search(r"IMD 20(19|25)", sentence), sentence


def test_more_reliable_is_never_said_of_a_ward_with_few_neighbourhoods(wards):
    table = pd.read_csv(CONTEXT / "wards.csv", dtype={"ward_code": str})
    few = table[(table["n_lsoa21"] < P.MIN_LSOAS_FOR_RELIABLE_SHARES) & (table["n_lsoa21"] > 0)]
    assert (few["n_lsoa21"] == 2).any(), "the data has a two-neighbourhood ward (Mossley Hill)"
    many = table[(table["n_lsoa21"] >= P.MIN_LSOAS_FOR_RELIABLE_SHARES) & (table["boundary_set"] != ctx.SET_CITY)]
    for code, expect in ((few["ward_code"].iloc[0], False), (many["ward_code"].iloc[0], True)):
        p = P.load_profile(code.lower(), REPO)
        said = [P.population_method_text(p), *P.age_table(p).notes, P.age_chart(p).caption,
                *P.population_table(p).notes, P.population_text(p)]
        assert any("more reliable" in t for t in said) == expect, (code, said)
        if not expect:
            assert not any("shares reliable" in t for t in said)
            assert f"with only {int(p.population['n_lsoa21'].iloc[0])} neighbourhoods" in P.population_method_text(p)


# --------------------------------------------------------------------------- the neighbourhoods inside the ward


@pytest.mark.parametrize("study_id", ["clubmoor", "e05015290", "e05000896"])  # Everton's LSOAs changed in 2021
def test_neighbourhood_map_labels_every_neighbourhood_with_its_decile_and_has_its_table(study_id):
    p = P.load_profile(study_id, REPO)
    chart = P.neighbourhood_map(p)
    axes = chart.fig.get_axes()
    in_tables = set(p.lsoas["lsoa_code"]) | (set(p.lsoas2025["lsoa_code"]) if P.lsoa2025_table(p) is not None else set())
    for ax, (edition, year, rows, column) in zip(axes, P.EDITIONS):
        frame = P.neighbourhoods(p, rows, column, year)
        assert edition in ax.get_title() and year in ax.get_title()
        assert sorted(t.get_text() for t in ax.texts) == sorted(str(d) for d in frame["decile"])
        assert set(frame["lsoa_code"]) <= in_tables  # every neighbourhood shown is in a table
    assert "IMD 2019" in chart.alt and "IMD 2025" in chart.alt and "table below" in chart.alt
    table = P.lsoa_table(p)
    assert len(table.frame) == len(p.lsoas)
    changed = set(p.lsoas2025["lsoa_code"]) != set(p.lsoas["lsoa_code"])
    assert (P.lsoa2025_table(p) is not None) == changed and changed == (study_id == "e05000896")


def test_clubmoor_east_neighbourhoods_name_what_changed_between_editions():
    text = P.neighbourhoods_text(P.load_profile(CLUBMOOR_EAST, REPO))
    assert "On the IMD 2019, all 4 of its neighbourhoods (100%) are in decile 1." in text
    assert "On the IMD 2025, 3 of its 4 neighbourhoods (75%) are in decile 1: a lower share than on the IMD 2019." in text


def test_a_ward_without_neighbourhoods_says_so_and_has_no_map():
    p = P.load_profile("e05015332", REPO)  # Waterfront North
    assert P.neighbourhood_map(p) is None and "no map of its neighbourhoods" in P.neighbourhoods_text(p)
