"""Rank strips as a small SVG written directly: every ward a dot at its rank, one row per figure, one ward highlighted.

Why not matplotlib: a strip is a row of circles and two lines of text, yet a matplotlib figure of a
dozen strips took about 0.3 s of CPU to lay out, draw and encode, the most of any figure on an atlas
profile (issue 24's cold-build budget). Written as SVG it takes milliseconds, stays sharp at any
width and weighs a few kilobytes (`present.svg`: escaping, text widths).

Layout: each row is a label (left) and the ward's value and rank (right) on one line, or on two when
they would not fit side by side, above a line of dots from rank 1 (left) to the last rank (right).
The image scales with the page (it has a viewBox), and it is laid out narrow (`svg.WIDTH`) so that on
a phone its text stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

from cityconv.present.style import TEXT, WARD_COLOUR
from cityconv.present.svg import MARGIN, WIDTH, SvgFigure, finish, svg_document, text_element, text_px, wrap_px

FONT_PX = 14
TITLE_PX = 17
LINE_PX = 19
DOT_ROW_PX = 24
ROW_GAP_PX = 10
OTHER_DOT = "#8A8A8A"  # 3.4:1 against white, so every ward's dot is visible (WCAG 1.4.11)
STRIP_LINE = "#C8C8C8"
OTHER_RADIUS = 3.6
WARD_RADIUS = 7.0


@dataclass(frozen=True)
class Strip:
    """One figure's row: its label, this ward's value and rank as words, its rank (None: not ranked), of n wards."""

    label: str
    value: str
    rank: float | None
    n: int


def rank_strips_svg(strips: list[Strip], title: str, axis_label: str, highest: str, lowest: str) -> SvgFigure:
    """The strips as one SVG: a title, a row per strip, and the rank axis (`highest` under rank 1, `lowest`
    under the last rank, `axis_label` below)."""
    if not strips:
        raise ValueError("rank strips need at least one figure")
    inner = WIDTH - 2 * MARGIN
    dots_left, dots_right = MARGIN + WARD_RADIUS, WIDTH - MARGIN - WARD_RADIUS
    root = svg_document(title, TEXT)
    body = ET.SubElement(root, "g")
    title_lines = wrap_px(title, TITLE_PX, inner)
    text_element(body, MARGIN, MARGIN + TITLE_PX, title_lines, TITLE_PX, **{"font-weight": "bold"})
    y = MARGIN + len(title_lines) * TITLE_PX * 1.25 + ROW_GAP_PX
    for strip in strips:
        y = _draw_strip(body, strip, y, inner, dots_left, dots_right)
    n = max(s.n for s in strips)
    y += FONT_PX
    text_element(body, dots_left - WARD_RADIUS, y, [highest], FONT_PX - 1)
    text_element(body, dots_right + WARD_RADIUS, y, [lowest], FONT_PX - 1, **{"text-anchor": "end"})
    label_lines = wrap_px(axis_label, FONT_PX, inner)
    text_element(body, WIDTH / 2, y + LINE_PX + 2, label_lines, FONT_PX, **{"text-anchor": "middle"})
    height = y + LINE_PX + 2 + (len(label_lines) - 1) * FONT_PX * 1.25 + MARGIN
    ET.SubElement(root, "desc").text = f"{len(strips)} rows of {n} dots"
    return finish(root, height, title)


def _draw_strip(parent: ET.Element, strip: Strip, y: float, inner: float, left: float, right: float) -> float:
    """One row, its text's baseline at `y` + the font size; the y its next row starts at."""
    row = ET.SubElement(parent, "g", {"class": "strip"})
    side_by_side = text_px(strip.label, FONT_PX) + text_px(strip.value, FONT_PX) + 2 * FONT_PX <= inner
    y += FONT_PX
    text_element(row, MARGIN, y, [strip.label], FONT_PX, **{"font-weight": "bold"})
    if side_by_side:
        text_element(row, WIDTH - MARGIN, y, [strip.value], FONT_PX, **{"text-anchor": "end"})
    else:
        y += LINE_PX
        text_element(row, MARGIN, y, [strip.value], FONT_PX)
    middle = y + DOT_ROW_PX / 2 + 4
    ET.SubElement(row, "line", {"x1": f"{left:.1f}", "x2": f"{right:.1f}", "y1": f"{middle:.1f}", "y2": f"{middle:.1f}",
                                "stroke": STRIP_LINE, "stroke-width": "1"})
    step = (right - left) / max(strip.n - 1, 1)
    dots = ET.SubElement(row, "g", {"class": "wards", "fill": OTHER_DOT})
    for k in range(strip.n):
        ET.SubElement(dots, "circle", {"cx": f"{left + k * step:.1f}", "cy": f"{middle:.1f}", "r": str(OTHER_RADIUS)})
    if strip.rank is not None:
        ET.SubElement(row, "circle", {"class": "ward", "cx": f"{left + (strip.rank - 1) * step:.1f}", "cy": f"{middle:.1f}",
                                      "r": str(WARD_RADIUS), "fill": WARD_COLOUR, "stroke": "white", "stroke-width": "1.5"})
    return middle + DOT_ROW_PX / 2 + ROW_GAP_PX
