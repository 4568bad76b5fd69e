"""What the figures written directly as SVG share (`rank_strips`, `svg_maps`): the figure type, the page
width they are laid out for, the font, and text that wraps to a width without measuring it.

Why no text measurement: measuring needs a font engine (what made matplotlib's figures slow). Widths
are estimated for DejaVu Sans (the house font, among the widest sans-serif faces), so a narrower
fallback face only leaves more room. The documents are built with `xml.etree.ElementTree` (standard
library), which escapes every text, so no ward name or label can become markup.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.etree import ElementTree as ET


@dataclass(frozen=True)
class SvgFigure:
    """A figure written directly as SVG, shown as an image like a matplotlib one (`present.figures`).

    `title` is the figure's title: the alt-text check compares the two, as for a matplotlib figure.
    """

    svg: str
    title: str


WIDTH = 600  # CSS pixels: about the book's text column; a phone shows it at about 60%
MARGIN = 10
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_EM = 0.62  # DejaVu Sans's average advance per character, in ems (generous for digits and capitals)


def text_px(text: str, size: float) -> float:
    """The estimated width of `text` at `size` px."""
    return len(text) * size * CHAR_EM


def wrap_px(text: str, size: float, room: float) -> list[str]:
    """`text` wrapped into lines no wider (by estimate) than `room` px."""
    return textwrap.wrap(text, max(8, int(room / (size * CHAR_EM)))) or [""]


def text_element(parent: ET.Element, x: float, y: float, lines: list[str], size: float, **attrs: str) -> ET.Element:
    """A <text> at (x, y) (the first line's baseline), one <tspan> per line."""
    node = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": str(size), **attrs})
    for i, line in enumerate(lines):
        span = ET.SubElement(node, "tspan", {"x": f"{x:.1f}", "dy": "0" if i == 0 else f"{size * 1.25:.1f}"})
        span.text = line
    return node


def svg_document(title: str, fill: str) -> ET.Element:
    """An empty SVG document with its title (its accessible name when opened on its own)."""
    root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "font-family": FONT, "fill": fill})
    ET.SubElement(root, "title").text = title
    return root


def finish(root: ET.Element, height: float, title: str) -> SvgFigure:
    """The document sized (`WIDTH` by `height` px, scaling with the page through its viewBox) and serialised."""
    root.set("width", str(WIDTH))
    root.set("height", f"{height:.0f}")
    root.set("viewBox", f"0 0 {WIDTH} {height:.0f}")
    return SvgFigure(ET.tostring(root, encoding="unicode"), title)
