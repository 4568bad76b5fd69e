"""The topics councils publish, on real atlas profiles: every indicator shown has Liverpool and England
values (or [x] with a note) and a rank; rank strips have every ward as a dot and name this ward's rank;
the 2011 -> 2021 change is given only between figures built the same way."""

from __future__ import annotations

import html
import re
from pathlib import Path
from xml.etree import ElementTree

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import profile as P  # noqa: E402
from cityconv.data import context as ctx  # noqa: E402
from cityconv.present.figures import FIGURE_METADATA_KEY, figure_bundle  # noqa: E402
from cityconv.present.rank_strips import Strip, rank_strips_svg  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
SAMPLE = ["clubmoor", "e05015290", "e05015312", "e05015332", "e05000889"]  # incl. Mossley Hill 2023, Waterfront North, Central


@pytest.fixture(scope="module", params=SAMPLE)
def ward(request) -> P.WardProfile:
    return P.load_profile(request.param, REPO)


def test_every_indicator_table_has_liverpool_england_and_a_rank(ward):
    tables = [*P.topic_tables(ward), P.age_table(ward), P.ethnicity_table(ward), P.tenure_table(ward)]
    assert len(tables) == len(P.more_topics(ward)) + 3 and len(P.more_topics(ward)) >= 10
    n = ward.n_wards
    for table in tables:
        frame = table.frame
        city = [c for c in frame.columns if c.startswith("Liverpool")]
        assert city and P.ENGLAND_COLUMN in frame and P.RANK_COLUMN in frame, table.title
        assert not frame[city[0]].eq("[x]").any() and P.RANK_NOTE in table.notes
        assert frame[P.RANK_COLUMN].str.endswith(f" of {n}").all(), table.title
        missing_england = frame[P.ENGLAND_COLUMN].eq("[x]")
        assert not missing_england.any() or any("England" in note for note in table.notes)


def test_topic_values_match_the_indicator_table(ward):
    for topic in P.more_topics(ward):
        frame = P.topic_table(ward, topic).frame
        rows = ward.ward_indicators[ward.ward_indicators["topic"] == topic]
        assert list(frame[topic]) == list(rows["category"])
        assert list(frame[f"{ward.ward_name} (%)"]) == [P.fmt_pct(v, 1) for v in rows["share"]]
        assert list(frame["England (%)"]) == [P.fmt_pct(v, 1) for v in rows["england_share"]]
        assert list(frame["Method"]) == list(rows["method"])


def test_rank_strips_show_every_ward_and_label_this_one(ward):
    """The SVG strips: per headline figure a row of every ward's dot, this ward's dot at its rank, and its
    label with the ward's share and rank (and "modelled" exactly where the figure is)."""
    chart = P.rank_strips(ward)
    svg = ElementTree.fromstring(chart.fig.svg)
    rows = P.rank_strip_rows(ward)
    strips = svg.findall(f".//{SVG}g[@class='strip']")
    assert len(strips) == len(rows) >= 10
    for strip, row in zip(strips, rows.itertuples()):
        texts = ["".join(t.itertext()) for t in strip.iter(f"{SVG}text")]
        assert texts[0] == P._strip_label(row)
        assert f"rank {int(row.rank)} of {int(row.n_wards)}" in texts[1]
        assert ("modelled" in texts[1]) == (row.method == ctx.METHOD_MODELLED)
        dots = [float(c.get("cx")) for c in strip.findall(f"{SVG}g[@class='wards']/{SVG}circle")]
        assert len(dots) == ward.n_wards  # every ward of the set is a dot
        (highlight,) = strip.findall(f"{SVG}circle[@class='ward']")
        assert float(highlight.get("cx")) == dots[int(row.rank) - 1]  # at this ward's rank (1 = left)
    assert svg.find(f"{SVG}title").text == f"Where {ward.ward_name} ranks on each headline figure"
    assert ward.ward_name in chart.alt and "tables above" in chart.alt


def test_rank_strips_escape_what_they_show():
    """Labels and titles are data: the SVG is built by ElementTree, so a name with markup stays text."""
    figure = rank_strips_svg([Strip('<b>"x" & y</b>', "5%; rank 1 of 2", 1.0, 2)], "Where <St Michael's> ranks",
                             "Rank", "1", "2")
    svg = ElementTree.fromstring(figure.svg)  # well-formed
    assert "<b>" not in figure.svg and "&lt;b&gt;" in figure.svg
    assert ['<b>"x" & y</b>'] == ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")][1:2]


def test_rank_strips_shown_as_an_svg_image_with_its_alt_text_and_caption(ward):
    chart = P.rank_strips(ward)
    data, metadata = figure_bundle(chart.fig, chart.alt, chart.caption, "x-ranks", status=chart.status)
    assert set(data) == {"image/svg+xml", "text/plain"} and data["image/svg+xml"].startswith("<svg")
    assert metadata[FIGURE_METADATA_KEY]["alt"] == chart.alt and "Sources:" in metadata[FIGURE_METADATA_KEY]["caption"]
    with pytest.raises(ValueError, match="only repeats the figure title"):
        figure_bundle(chart.fig, chart.fig.title, chart.caption, status=chart.status)


def test_change_is_computed_only_between_figures_built_the_same_way(ward):
    table = P.change_table(ward)
    rows = ctx.load_change(ward.context_dir, ward.ward_code, ward.boundary_set)
    rows = rows[rows["boundary_set"] == ward.boundary_set].reset_index(drop=True)
    assert len(table.frame) == len(rows)
    for change, m11, m21 in zip(table.frame["Change"], rows["method_2011"], rows["method_2021"]):
        if m11 != m21:
            assert change == "[x]"
    assert any("same geography" in table.title for _ in [0])
    assert any(":" in note and note.split(":")[0] in set(rows["topic"]) for note in table.notes)  # what differs


def test_population_states_its_method_and_the_ons_mid2020_difference():
    clubmoor = P.population_text(P.load_profile("clubmoor", REPO))
    assert "sum of its 54 Census output areas, so it is exact" in clubmoor
    assert "ONS's own estimate for the ward in mid-2020 was 14,893" in clubmoor and "within 10%" in clubmoor
    central = P.population_text(P.load_profile("e05000889", REPO))
    assert "more than 10% apart" in central
    new_ward = P.population_text(P.load_profile("e05015290", REPO))
    assert "mid-2020" not in new_ward  # ONS publishes no mid-2020 estimate for the 2023 wards
    table = pd.read_csv(REPO / "data" / "context" / "wards.csv")
    assert table.loc[table["ward_code"] == "E05000892", "population_2021"].iloc[0] == 15373


def test_topic_tables_stack_on_phones_with_every_cell_labelled_by_its_column(ward):
    """On a phone (atlas.css) each row stacks and each value is introduced by its column's heading."""
    table = P.topic_tables(ward)[0]
    page = P.stacked_on_phones(table.bundle()["text/html"])
    assert f'<div class="cityconv-table {P.STACKED_TABLE_CLASS}">' in page
    labels = re.findall(r'<td[^>]* data-label="([^"]*)"', page)
    columns = list(table.frame.columns[1:])
    assert len(labels) == len(table.frame) * len(columns)
    assert labels == [html.escape(c, quote=True) for _ in range(len(table.frame)) for c in columns]
    assert "<td>" not in page and '<td style' not in page  # no cell left without its label
