"""The profile's "In short": rules decide which figures get a sentence (a stated threshold, ranks at the
edges), every sentence names the index edition or the method of its figure, and "percentages are more
reliable" is said only of wards built from enough neighbourhoods. Run on the real context tables."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import in_short, indicators  # noqa: E402
from cityconv.chapters import profile as P  # noqa: E402
from cityconv.data import context as ctx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
SVG = "{http://www.w3.org/2000/svg}"
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


def _headline(code: str, boundary_set: str) -> pd.DataFrame:
    rows = indicators.headline_rows(CONTEXT, code, boundary_set)
    return rows[~rows["indicator"].isin(list(indicators.EDITIONS))]


@pytest.mark.parametrize("boundary_set", ctx.BOUNDARY_SETS)
def test_statements_follow_the_threshold_and_carry_the_method(boundary_set, wards):
    """The largest differences of 5 points or more, at most five, each with its method's word."""
    said = 0
    for code in wards.loc[wards["boundary_set"] == boundary_set, "code"]:
        rows = _headline(code, boundary_set)
        diffs = (rows["share"] - rows["liverpool_share"]).abs() * 100
        found = in_short.statements(rows)
        beyond = int((diffs >= in_short.DIFFERENCE_PP).sum())
        assert len(found) == min(beyond, in_short.MAX_STATEMENTS), code
        by_key = {f"{r.indicator}/{r.category}": r for r in rows.itertuples()}
        for s in found:
            row = by_key[s.key]
            assert abs(row.share - row.liverpool_share) * 100 >= in_short.DIFFERENCE_PP
            assert s.direction == ("higher" if row.share > row.liverpool_share else "lower")
            assert ("modelled" in s.qualifier) == (row.method == ctx.METHOD_MODELLED)
            assert s.england_share and s.rank_words == in_short.rank_words(row.rank, row.n_wards)
        said += len(found)
    assert said > 0


def test_no_sentence_about_a_modelled_figure_lacks_the_word():
    """A figure whose method is "modelled" is always called a modelled estimate in its sentence, even
    when every headline figure is modelled."""
    p = P.load_profile("clubmoor", REPO)
    rows = _headline("E05000892", ctx.SET_OLD).assign(method=ctx.METHOD_MODELLED)
    statements = in_short.statements(rows)
    assert statements, "Clubmoor differs from Liverpool on some headline figure"
    text = P.render("summary", {**P.summary_context(p), "statements": statements})
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == len(statements)
    assert all("(a modelled estimate)" in line for line in lines), lines


@pytest.mark.parametrize("study_id", ["clubmoor", "e05015290", "e05000887", "e05015312", "e05015332", "e05000889"])
def test_every_in_short_line_says_how_its_figure_was_made_and_each_index_its_edition(study_id):
    p = P.load_profile(study_id, REPO)
    text = P.summary_text(p)
    statements = P.summary_context(p)["statements"]
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == len(statements)
    for s, line in zip(statements, lines):
        assert line.startswith(f"- {s.category}: {s.share} of {s.base}")
        assert ("modelled" in line) == (s.method == ctx.METHOD_MODELLED)
        assert "Liverpool (" in line and (not s.england_share or f"England ({s.england_share})" in line)
    for sentence in sentences(text):
        if "most deprived 10%" in sentence and not sentence.startswith("Where"):
            assert re.search(r"IMD 20(19|25)", sentence), sentence


def test_more_reliable_is_never_said_and_few_neighbourhoods_are_flagged():
    """Counts now come from output areas; a modelled share of a ward touching few neighbourhoods is flagged,
    and no page says percentages are "more reliable" (the old claim, false for a two-neighbourhood ward)."""
    table = pd.read_csv(CONTEXT / "wards.csv", dtype={"ward_code": str})
    table = table[table["boundary_set"] != ctx.SET_CITY]
    few = table[table["n_lsoa21"] < P.MIN_LSOAS_FOR_RELIABLE_SHARES]
    many = table[table["n_lsoa21"] >= P.MIN_LSOAS_FOR_RELIABLE_SHARES]
    assert (few["n_lsoa21"] <= 2).any(), "the data has a ward touching two neighbourhoods or fewer"
    for code, is_few in ((few["ward_code"].iloc[0], True), (many["ward_code"].iloc[0], False)):
        p = P.load_profile(code.lower(), REPO)
        said = [P.population_method_text(p), *P.age_table(p).notes, P.age_chart(p).caption,
                *P.population_table(p).notes, P.population_text(p), *P.ethnicity_table(p).notes]
        assert not any("more reliable" in t or "shares reliable" in t for t in said), (code, said)
        flagged = f"touches only {int(p.population['n_lsoa21'].iloc[0])} neighbourhoods"
        assert (flagged in P.population_method_text(p)) == is_few
        assert (flagged in " ".join(P.age_table(p).notes)) == is_few  # age is modelled


# --------------------------------------------------------------------------- the neighbourhoods inside the ward


@pytest.mark.parametrize("study_id", ["clubmoor", "e05015290", "e05000896"])  # Everton's LSOAs changed in 2021
def test_neighbourhood_map_labels_every_neighbourhood_with_its_decile_and_has_its_table(study_id):
    p = P.load_profile(study_id, REPO)
    chart = P.neighbourhood_map(p)
    svg = ElementTree.fromstring(chart.fig.svg)
    panels = svg.findall(f"{SVG}g[@class='panel']")
    assert len(panels) == len(P.EDITIONS)
    in_tables = set(p.lsoas["lsoa_code"]) | (set(p.lsoas2025["lsoa_code"]) if P.lsoa2025_table(p) is not None else set())
    for panel, (edition, year, rows, column) in zip(panels, P.EDITIONS):
        frame = P.neighbourhoods(p, rows, column, year)
        title = " ".join(panel.find(f"{SVG}text[@class='panel-title']").itertext())
        assert edition in title and year in title
        labels = ["".join(t.itertext()) for t in panel.findall(f"{SVG}text[@class='area-label']")]
        assert sorted(labels) == sorted(str(d) for d in frame["decile"])  # every neighbourhood labelled with its decile
        shaded = [path.get("fill") for path in panel.findall(f"{SVG}path") if path.get("class") != "outline"]
        colours = [P._hex(c) for c in P.decile_colours()]
        assert sorted(shaded) == sorted(colours[d - 1] for d in frame["decile"])  # and shaded by it
        assert len(panel.findall(f"{SVG}path[@class='outline']")) == 1  # the ward's boundary
        assert set(frame["lsoa_code"]) <= in_tables  # every neighbourhood shown is in a table
    key = ["".join(t.itertext()) for t in svg.findall(f"{SVG}g[@class='key']/{SVG}text")]
    assert key[0].startswith("Decile (1 = most deprived") and "1 (most deprived)" in key and f"{p.ward_name} boundary" in key
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
