"""Small maps written directly as SVG: panels of shaded areas, each labelled, with an outline and a key.

Why not matplotlib: the profile's map of a ward's neighbourhoods is a dozen polygons and their numbers,
yet laying out, drawing and encoding it as a PNG took about 0.2 s of CPU on each of the atlas's 94
profiles (issue 24's cold-build budget). As SVG it takes milliseconds, stays sharp when zoomed and
weighs less (`present.svg`: escaping, text widths). Shapes are shapely geometries in longitude and
latitude, drawn north up with the east-west distances scaled by the cosine of the latitude (as the
matplotlib maps set their aspect), which is exact enough at the scale of a ward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from cityconv.present.style import TEXT
from cityconv.present.svg import CHAR_EM, MARGIN, WIDTH, SvgFigure, finish, svg_document, text_element, wrap_px

PANEL_GAP = 20
PANEL_HEIGHT = 300  # the most a panel's map may take; a wide ward's map is shorter
TITLE_PX = 14
LABEL_PX = 13
KEY_PX = 12
SWATCH = 14


@dataclass(frozen=True)
class Area:
    """A shaded shape with its label drawn at a point inside it."""

    geometry: Any  # shapely Polygon or MultiPolygon, lon/lat
    label: str
    fill: str
    label_fill: str


@dataclass(frozen=True)
class Panel:
    """One map: its title (lines), its areas and the outline drawn over them (the ward's boundary)."""

    title: list[str]
    areas: list[Area]
    outline: Any


@dataclass(frozen=True)
class KeyEntry:
    label: str
    fill: str  # "none" for an outline entry
    outline: bool = False


def _path(geometry, to_px) -> str:
    """An SVG path of a (multi)polygon, holes included (drawn with the even-odd rule)."""
    parts = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [to_px(x, y) for x, y, *_ in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _projection(shapes: list, left: float, top: float, width: float, height: float):
    """lon/lat -> pixels, fitting the shapes' bounds into the box (centred), north up."""
    minx = min(g.bounds[0] for g in shapes)
    miny = min(g.bounds[1] for g in shapes)
    maxx = max(g.bounds[2] for g in shapes)
    maxy = max(g.bounds[3] for g in shapes)
    squeeze = math.cos(math.radians((miny + maxy) / 2))
    scale = min(width / max((maxx - minx) * squeeze, 1e-9), height / max(maxy - miny, 1e-9))
    used_w, used_h = (maxx - minx) * squeeze * scale, (maxy - miny) * scale
    x0, y0 = left + (width - used_w) / 2, top

    def to_px(x: float, y: float) -> tuple[float, float]:
        return x0 + (x - minx) * squeeze * scale, y0 + (maxy - y) * scale

    return to_px, used_h


def map_panels_svg(panels: list[Panel], key_title: str, key: list[KeyEntry], title: str) -> SvgFigure:
    """Panels side by side, each titled, with a key below them. `title` is the document's title (not drawn:
    the page's caption says what the maps show)."""
    if not panels:
        raise ValueError("a map needs at least one panel")
    root = svg_document(title, TEXT)
    inner = WIDTH - 2 * MARGIN
    panel_w = (inner - PANEL_GAP * (len(panels) - 1)) / len(panels)
    title_lines = max(len(p.title) for p in panels)
    map_top = MARGIN + title_lines * TITLE_PX * 1.25 + 6
    bottom = map_top
    for i, panel in enumerate(panels):
        left = MARGIN + i * (panel_w + PANEL_GAP)
        group = ET.SubElement(root, "g", {"class": "panel"})
        text_element(group, left + panel_w / 2, MARGIN + TITLE_PX, panel.title, TITLE_PX,
                     **{"text-anchor": "middle", "font-weight": "bold", "class": "panel-title"})
        to_px, used_h = _projection([a.geometry for a in panel.areas] + [panel.outline], left, map_top, panel_w,
                                    PANEL_HEIGHT)
        bottom = max(bottom, map_top + used_h)
        for area in panel.areas:
            ET.SubElement(group, "path", {"d": _path(area.geometry, to_px), "fill": area.fill, "fill-rule": "evenodd",
                                          "stroke": "white", "stroke-width": "1.1"})
        ET.SubElement(group, "path", {"d": _path(panel.outline, to_px), "fill": "none", "stroke": "black",
                                      "stroke-width": "2.2", "stroke-linejoin": "round", "class": "outline"})
        for area in panel.areas:
            point = area.geometry.representative_point()
            x, y = to_px(point.x, point.y)
            text_element(group, x, y + LABEL_PX * 0.35, [area.label], LABEL_PX,
                         **{"text-anchor": "middle", "font-weight": "bold", "fill": area.label_fill, "class": "area-label"})
    height = _draw_key(root, bottom + 14, key_title, key, inner)
    return finish(root, height, title)


def _draw_key(root: ET.Element, top: float, key_title: str, key: list[KeyEntry], inner: float) -> float:
    """The key: its title, then the entries in as many columns as the longest label allows; the y it ends at."""
    group = ET.SubElement(root, "g", {"class": "key"})
    title_lines = wrap_px(key_title, KEY_PX + 1, inner)
    text_element(group, MARGIN, top + KEY_PX, title_lines, KEY_PX + 1, **{"font-weight": "bold"})
    top += len(title_lines) * (KEY_PX + 1) * 1.25 + 6
    widest = max(len(entry.label) for entry in key) * KEY_PX * CHAR_EM + SWATCH + 8
    columns = max(1, min(len(key), int(inner // (widest + 12))))
    column_w = inner / columns
    for i, entry in enumerate(key):
        x = MARGIN + (i % columns) * column_w
        y = top + (i // columns) * (SWATCH + 8)
        swatch = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": str(SWATCH), "height": str(SWATCH), "fill": entry.fill}
        if entry.outline:
            swatch.update({"stroke": "black", "stroke-width": "2"})
        ET.SubElement(group, "rect", swatch)
        text_element(group, x + SWATCH + 6, y + SWATCH - 2, [entry.label], KEY_PX)
    rows = math.ceil(len(key) / columns)
    return top + rows * (SWATCH + 8) + MARGIN
