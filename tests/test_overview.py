"""The city overview: a choropleth per indicator and boundary set, with alt text from the data and a
table of every ward as its equivalent; missing figures are shown as missing, never as a low value."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cityconv.chapters import overview as ov  # noqa: E402
from cityconv.data import context as ctx  # noqa: E402
from nbtools import any_title  # noqa: E402

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
    assert "carries its number" in chart.alt
    top = old.indicators.sort_values("social_rented").iloc[-1]
    assert f"The highest is {top['ward_name']}" in chart.alt
    chart_new = ov.choropleth(new, "imd2019_decile1")
    assert "64 wards" in chart_new.alt and "One ward has no figures and is hatched" in chart_new.alt


def test_table_lists_every_ward_with_ranks(both):
    for boundary_set, n in ((ctx.SET_OLD, 30), (ctx.SET_NEW, 64)):
        o = both[boundary_set]
        table = ov.overview_table(o)
        assert len(table.frame) == n
        assert list(table.frame["Number on the maps"]) == [str(k) for k in range(1, n + 1)]
        assert list(o.indicators.sort_values("map_number")["ward_name"]) == sorted(o.indicators["ward_name"])
        waterfront = table.frame.set_index("Ward").loc["Waterfront North (E05015332)"] if boundary_set == ctx.SET_NEW else None
        assert waterfront is None or waterfront["Most deprived 10%, IMD 2019: share"] == "[x]"
    old = both[ctx.SET_OLD]
    clubmoor = old.indicators.set_index("ward_code").loc["E05000892"]
    row = ov.overview_table(old).frame.set_index("Ward").loc["Clubmoor (E05000892) [study with reconstructed records]"]
    assert row["Renting socially: share"] == ov.fmt_pct(clubmoor["social_rented"], 1)
    assert int(row["Renting socially: rank"]) == int(ov.ranks(old, "social_rented")["E05000892"])
    assert "**Clubmoor**" in ov.studied_text(old) and "rank" in ov.studied_text(old)
    assert "**Clubmoor** (Clubmoor; study with reconstructed records)" in ov.studied_text(old)
    # each study ward by its records' status: Anfield's are synthetic (its census figures are real)
    assert "Anfield (E05000887) [synthetic demonstration study]" in set(ov.overview_table(old).frame["Ward"])
    assert "[own study]" not in " ".join(ov.overview_table(old).frame["Ward"])


def _map_labels(chart) -> dict[str, tuple[float, float]]:
    (ax,) = chart.fig.get_axes()
    return {t.get_text(): t.get_position() for t in ax.texts}


@pytest.mark.parametrize("indicator", list(ov.INDICATORS))
def test_every_ward_is_labelled_on_every_map_with_its_table_number(both, indicator):
    """Each map labels every ward by its number in the table that follows it, inside the ward."""
    for o in both.values():
        chart = ov.choropleth(o, indicator)
        labels = _map_labels(chart)
        numbers = o.indicators.set_index("ward_code")["map_number"]
        assert set(labels) == {str(k) for k in numbers}
        for row in o.shapes.itertuples():
            from shapely.geometry import Point

            assert row.geometry.contains(Point(labels[str(numbers[row.ward_code])])), row.ward_name
        assert "IMD 2019" in any_title(chart.fig.get_axes()[0]) or indicator != "imd2019_decile1"


def test_the_scale_has_no_grey_band():
    """Every class colour is clearly coloured (no near-grey middle that reads as "no data"), and they
    run from light to dark."""
    colours = ov.class_colours(5)
    for rgba in colours:
        assert max(rgba[:3]) - min(rgba[:3]) > 0.25, rgba  # saturation: grey has equal channels
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in colours]
    assert luminance == sorted(luminance, reverse=True)


def test_overview_table_links_each_ward_to_its_profile(both):
    old = both[ctx.SET_OLD]
    page = ov.overview_table_bundle(old)["text/html"]
    links = dict((label, href) for href, label in re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>', page))
    assert len(links) == 30
    assert links["Clubmoor (E05000892) [study with reconstructed records]"] == "../clubmoor/01-ward-profile.html"
    other = old.indicators[~old.indicators["ward_code"].isin(old.studied)].iloc[0]
    label = f"{other['ward_name']} ({other['ward_code']})"
    assert links[label] == f"{other['ward_code'].lower()}/01-ward-profile.html"


@pytest.mark.parametrize("template", ["01-ward-profile", "50-ward-atlas-2004-2023", "51-ward-atlas-2023", "52-city-overview"])
def test_atlas_templates_code_cells_compile(template):
    """A typo in a thin template's call only shows when the atlas is built; compile every code cell here."""
    import json

    nb = json.loads((REPO / "notebooks" / f"{template}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            compile("".join(cell["source"]), f"{template}:{cell.get('id')}", "exec")


def test_a_ward_not_started_is_not_marked_and_one_line_says_so(tmp_path):
    """A ward made by `cityconv new-ward` and left empty has no study yet: not outlined, named once."""
    from cityconv.core.paths import Project
    from cityconv.generate.scaffold import new_ward
    from nbtools import clubmoor_project

    root = clubmoor_project(tmp_path)
    new_ward(Project(root), "Anfield")
    o = ov.load_overview("2004-2023", root)
    assert set(o.studied.values()) == {"Clubmoor"} and o.not_started == ["Anfield"]
    text = ov.studied_text(o)
    assert text.endswith("Set up but not started yet, so not marked: Anfield.")
    assert text.count("Anfield") == 1
