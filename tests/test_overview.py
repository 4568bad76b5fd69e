"""The city overview: a choropleth per indicator and boundary set, with alt text from the data and a
table of every ward as its equivalent; missing figures are shown as missing, never as a low value."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cityconv.chapters import overview as ov  # noqa: E402
from cityconv.data import context as ctx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def both():
    return {s: ov.load_overview(s, REPO) for s in ctx.BOUNDARY_SETS}


def test_classes_are_fixed_and_labelled_without_overlap():
    edges = ov.CLASS_EDGES["imd2019_decile1"]
    assert [ov.class_label(edges, i) for i in (0, len(edges) - 2)] == ["0% to under 20%", "80% or more"]
    assert ov._class_of(0.2, edges) == 1 and ov._class_of(1.0, edges) == len(edges) - 2
    assert ov._class_of(float("nan"), edges) is None


def test_maps_have_alt_text_from_the_data(both):
    old, new = both[ctx.SET_OLD], both[ctx.SET_NEW]
    chart = ov.choropleth(old, "social_rented")
    assert "30 wards" in chart.alt and "Clubmoor is in the class" in chart.alt and "table below" in chart.alt
    top = old.indicators.sort_values("social_rented").iloc[-1]
    assert f"The highest is {top['ward_name']}" in chart.alt
    chart_new = ov.choropleth(new, "imd2019_decile1")
    assert "64 wards" in chart_new.alt and "One ward has no figures and is hatched" in chart_new.alt


def test_table_lists_every_ward_with_ranks(both):
    for boundary_set, n in ((ctx.SET_OLD, 30), (ctx.SET_NEW, 64)):
        o = both[boundary_set]
        table = ov.overview_table(o)
        assert len(table.frame) == n
        assert table.frame["Ward"].iloc[-1].startswith("Waterfront North") == (boundary_set == ctx.SET_NEW)
    old = both[ctx.SET_OLD]
    clubmoor = old.indicators.set_index("ward_code").loc["E05000892"]
    row = ov.overview_table(old).frame.set_index("Ward").loc["Clubmoor (E05000892) [own study]"]
    assert row["Renting socially: share"] == ov.fmt_pct(clubmoor["social_rented"], 1)
    assert int(row["Renting socially: rank"]) == int(ov.ranks(old, "social_rented")["E05000892"])
    assert "**Clubmoor**" in ov.studied_text(old) and "rank" in ov.studied_text(old)
