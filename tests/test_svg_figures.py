"""Figures written directly as SVG (`present.svg_maps`): shapes drawn north up with their holes, labels
escaped, the key laid out within the width, and each shown as an image with its alt text."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from shapely.geometry import Polygon

from cityconv.present.figures import FIGURE_METADATA_KEY, figure_bundle
from cityconv.present.svg import WIDTH
from cityconv.present.svg_maps import Area, KeyEntry, Panel, map_panels_svg

SVG = "{http://www.w3.org/2000/svg}"
SQUARE_WITH_HOLE = Polygon([(-3.0, 53.4), (-2.9, 53.4), (-2.9, 53.5), (-3.0, 53.5)],
                           [[(-2.97, 53.43), (-2.93, 53.43), (-2.93, 53.47), (-2.97, 53.47)]])
NORTH = Polygon([(-3.0, 53.5), (-2.9, 53.5), (-2.9, 53.6), (-3.0, 53.6)])


def _map(label: str = "1", key_label: str = "1 (most deprived)"):
    return map_panels_svg([Panel(["IMD 2019", "(2011 neighbourhoods)"],
                                 [Area(SQUARE_WITH_HOLE, label, "#a50026", "white"), Area(NORTH, "2", "#d73027", "white")],
                                 SQUARE_WITH_HOLE.union(NORTH))],
                          key_title="Decile", key=[KeyEntry(key_label, "#a50026"), KeyEntry("Ward boundary", "none", True)],
                          title="A ward's neighbourhoods")


def _numbers(path: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]


def test_a_map_keeps_holes_empty_and_north_at_the_top():
    svg = ElementTree.fromstring(_map().svg)
    south, north, outline = svg.findall(f".//{SVG}path")
    assert south.get("fill-rule") == "evenodd" and south.get("d").count("M") == 2  # the hole is its own ring
    assert max(_numbers(north.get("d"))[1::2]) <= min(_numbers(south.get("d"))[1::2]) + 0.1  # north is higher up
    assert outline.get("class") == "outline" and outline.get("fill") == "none"
    assert float(svg.get("width")) == WIDTH and svg.get("viewBox").startswith(f"0 0 {WIDTH} ")
    xs = _numbers(south.get("d"))[0::2] + _numbers(north.get("d"))[0::2]
    assert 0 <= min(xs) and max(xs) <= WIDTH  # inside the picture


def test_map_labels_and_key_are_text_never_markup():
    figure = _map(label='<script>"x"</script>', key_label="A & B <i>")
    svg = ElementTree.fromstring(figure.svg)  # well-formed
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert '<script>"x"</script>' in texts and "A & B <i>" in texts
    assert "<script>" not in figure.svg and "<i>" not in figure.svg


def test_a_map_is_shown_as_an_svg_image_with_its_alt_text():
    figure = _map()
    data, metadata = figure_bundle(figure, "Two neighbourhoods shaded by decile, the ward outlined", "Caption.",
                                   status="published")
    assert data["image/svg+xml"] == figure.svg and metadata[FIGURE_METADATA_KEY]["alt"].startswith("Two neighbourhoods")
