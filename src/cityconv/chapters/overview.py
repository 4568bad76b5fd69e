"""The city overview (`notebooks/52-city-overview.ipynb`): choropleth maps of key indicators for each
boundary set, with the studied wards outlined, alt text, and a table of every ward as the maps' equivalent.

Colours: five fixed classes of the viridis scale, light yellow (low) to dark purple (high). Viridis
reads the same with the common colour-vision deficiencies and in greyscale, and unlike cividis it has
no grey middle band that reads as "no data". A ward without figures (Waterfront North) is hatched,
not coloured, so a missing value is never read as a low one. Every ward carries its number on the
map, keyed to the table after it (names would not fit 64 wards legibly); the table is the map's text
alternative and links each ward to its profile. The indicators are those of the atlas index
(`cityconv.chapters.indicators`), so the overview, the index and the profiles agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cityconv.chapters import indicators as ind
from cityconv.chapters.loader import not_started
from cityconv.chapters.profile import BOUNDARY_SET_TEXT, _title, add_shape, ward_shapes
from cityconv.chapters.ward_pages import ATLAS_DIR, GENERATED, WardPages, href, link_row_headers, load_ward_pages
from cityconv.core.escaping import myst_escape
from cityconv.present import Chart, Table, cite, fmt_int, fmt_pct, join_words
from cityconv.present.figures import new_figure

INDICATORS = {
    "imd2019_decile1": "neighbourhoods among the most deprived 10% in England (IMD 2019)",
    "social_rented": "households renting from a council or housing association",
}
SHORT = {  # in a sentence, after a percentage
    "imd2019_decile1": "of its neighbourhoods in the most deprived 10% (IMD 2019)",
    "social_rented": "of its households renting socially",
}
COLUMN = {"imd2019_decile1": "Most deprived 10%, IMD 2019", "social_rented": "Renting socially"}
TABLE_ONLY = {"imd2025_decile1": "Most deprived 10%, IMD 2025"}  # in the table, not mapped
MISSING_COLOUR = "#FFFFFF"
COLOURMAP = "viridis_r"
OVERVIEW_DOC = f"{GENERATED}/{ATLAS_DIR}/city-overview"  # this page, for links from its tables


@dataclass
class Overview:
    boundary_set: str
    indicators: pd.DataFrame  # atlas.ward_indicators, wards only
    shapes: pd.DataFrame
    studied: dict[str, str]  # ward code -> study title, for wards with their own study
    pages: WardPages | None = None
    not_started: list[str] = field(default_factory=list)  # titles of wards set up by new-ward, not filled in
    statuses: dict[str, str] = field(default_factory=dict)  # ward code -> its study's data status

    @property
    def set_text(self) -> str:
        return BOUNDARY_SET_TEXT[self.boundary_set]


def load_overview(boundary_set: str, root: Path | None = None) -> Overview:
    from cityconv.core.params import load_all
    from cityconv.core.paths import Project

    project = Project(Path(root)) if root is not None else Project.discover()
    frame = ind.ward_indicators(project.context_dir, boundary_set)
    frame = frame[frame["boundary_set"] == boundary_set].sort_values("ward_name").reset_index(drop=True)
    frame["map_number"] = range(1, len(frame) + 1)  # alphabetical, so the table finds a number quickly
    studies, _ = load_all(project)
    here = [p for p in studies.values() if p.kind == "ward" and p.ward is not None and p.ward.boundary_set == boundary_set]
    started = [p for p in here if p.ward is not None and not not_started(project, p)]
    titles = {p.ward.code: p.title for p in started if p.ward is not None}
    statuses = {p.ward.code: p.data_status for p in started if p.ward is not None}
    waiting = sorted(p.title for p in here if not_started(project, p))
    return Overview(boundary_set, frame, ward_shapes(project.context_dir, boundary_set), titles,
                    load_ward_pages(project), waiting, statuses)


# Fixed, round class edges (shares 0-1), the same on both maps of an indicator so they compare.
CLASS_EDGES = {
    "imd2019_decile1": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    "social_rented": [0.0, 0.1, 0.2, 0.3, 0.4, 1.0],
}


def class_label(edges: list[float], i: int) -> str:
    if i == len(edges) - 2:
        return f"{fmt_pct(edges[i], 0)} or more"
    return f"{fmt_pct(edges[i], 0)} to under {fmt_pct(edges[i + 1], 0)}"


def _class_of(value, edges: list[float]) -> int | None:
    if pd.isna(value):
        return None
    return min(int(np.searchsorted(edges, float(value), side="right")) - 1, len(edges) - 2)


def ranks(o: Overview, indicator: str) -> pd.Series:
    """Rank of each ward, 1 = the highest value (most deprived / most social renting); missing stays missing."""
    return o.indicators.set_index("ward_code")[indicator].astype(float).rank(ascending=False, method="min")


def studied_text(o: Overview) -> str:
    waiting = (f"\n\nSet up but not started yet, so not marked: {join_words(myst_escape(t) for t in o.not_started)}."
               if o.not_started else "")
    if not o.studied:
        return f"No ward {o.set_text} has a study of its own in this book yet." + waiting
    parts = []
    for code, title in sorted(o.studied.items(), key=lambda kv: kv[1]):
        row = o.indicators.set_index("ward_code").loc[code]
        bits = [f"{fmt_pct(row[k], 0)} {SHORT[k]} (rank {fmt_int(ranks(o, k)[code])} of "
                f"{fmt_int(o.indicators[k].notna().sum())})" for k in INDICATORS if not pd.isna(row[k])]
        parts.append(f"**{title}** ({row['ward_name']}; {STUDY_STATUS[o.statuses.get(code, 'observed')]}): "
                     + join_words(bits) + ".")
    return ("Wards with a study of their own are outlined in black on the maps; beside each is the status of its "
            "engagement records. The figures here are Census and deprivation figures for every ward (published). "
            "Rank 1 is the highest share.\n\n"
            + "\n\n".join(f"- {p}" for p in parts) + waiting)


def choropleth(o: Overview, indicator: str) -> Chart:
    from matplotlib.patches import Patch

    words = INDICATORS[indicator]
    values = o.indicators.set_index("ward_code")[indicator]
    edges = CLASS_EDGES[indicator]
    colours = class_colours(len(edges) - 1)
    fig = new_figure(6.2, 6.4)
    ax = fig.add_subplot()
    for row in o.shapes.itertuples():
        k = _class_of(values.get(row.ward_code), edges)
        style = {"facecolor": MISSING_COLOUR, "hatch": "///"} if k is None else {"facecolor": colours[k]}
        add_shape(ax, row.geometry, edgecolor="white", linewidth=0.6, zorder=1, **style)
    numbers = o.indicators.set_index("ward_code")["map_number"]
    for row in o.shapes.itertuples():  # every ward's number, keyed to the table
        k = _class_of(values.get(row.ward_code), edges)
        dark = k is not None and _is_dark(colours[k])
        point = row.geometry.representative_point()
        ax.text(point.x, point.y, str(numbers[row.ward_code]), ha="center", va="center", fontsize=7 if len(o.shapes) > 40 else 9,
                color="white" if dark else "black", zorder=4, fontweight="bold")
    for code in o.studied:  # outline the studied wards on top
        geometry = o.shapes.loc[o.shapes["ward_code"] == code, "geometry"].iloc[0]
        add_shape(ax, geometry, facecolor="none", edgecolor="black", linewidth=2.2, zorder=3)
    minx, miny, maxx, maxy = np.array([g.bounds for g in o.shapes["geometry"]]).T
    ax.set_xlim(minx.min() - 0.01, maxx.max() + 0.01)
    ax.set_ylim(miny.min() - 0.01, maxy.max() + 0.01)
    ax.set_aspect(1 / math.cos(math.radians((miny.min() + maxy.max()) / 2)))
    ax.set_axis_off()
    _title(ax, f"{COLUMN[indicator]}: wards {o.set_text}", width=32)  # a map panel is narrow
    handles = [Patch(facecolor=colours[i], edgecolor="#555555", label=class_label(edges, i)) for i in range(len(edges) - 1)]
    if values.isna().any():
        handles.append(Patch(facecolor=MISSING_COLOUR, hatch="///", edgecolor="#555555", label="no figures"))
    if o.studied:
        handles.append(Patch(facecolor="none", edgecolor="black", linewidth=2.2, label="ward with a study in this book (its status: table below)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, fontsize=9)
    known = o.indicators.dropna(subset=[indicator]).sort_values(indicator)
    high, low = known.iloc[-1], known.iloc[0]
    studied = [f"{o.studied[c]} is in the class {class_label(edges, k)}"
               for c in sorted(o.studied) if (k := _class_of(values.get(c), edges)) is not None]
    alt = (
        f"Map of Liverpool's {fmt_int(len(o.shapes))} wards {o.set_text}, shaded in {len(edges) - 1} classes "
        f"from light (low) to dark (high) by the share of {words}. The highest is {high['ward_name']} "
        f"({fmt_pct(high[indicator], 0)}), the lowest {low['ward_name']} ({fmt_pct(low[indicator], 0)})."
        + (f" {join_words(studied)}." if studied else "")
        + (" One ward has no figures and is hatched." if values.isna().any() else "")
        + " Each ward carries its number from the table below, which gives every ward's value."
    )
    caption = (f"Share of {words}, wards {o.set_text}. Numbers are the wards' numbers in the table below. "
               "The classes are the same on both boundary sets' maps. "
               f"Sources: {cite('census2021')}; {cite('imd2019')}; {cite('boundaries')}.")
    return Chart(fig, alt, caption, status="published")


def class_colours(n: int):
    """n colours of the viridis scale, light (low) to dark (high), with no grey middle band."""
    import matplotlib as mpl

    return mpl.colormaps[COLOURMAP](np.linspace(0.05, 0.95, n))


def _is_dark(rgba) -> bool:
    """Relative luminance below the middle: a label on it is written in white."""
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45


#: How the overview marks a study ward: the status of its engagement records (its census figures are real).
STUDY_STATUS = {"observed": "study with its own data", "reconstructed": "study with reconstructed records",
                "synthetic": "synthetic demonstration study"}


def _ward_label(name: str, code: str, status: str | None) -> str:
    return f"{name} ({code})" + (f" [{STUDY_STATUS[status]}]" if status else "")


def overview_table(o: Overview) -> Table:
    """The maps' table equivalent: every ward by its map number, with the mapped indicators and ranks."""
    frame = o.indicators.sort_values("map_number")
    everything = {**COLUMN, **TABLE_ONLY}
    r = {k: ranks(o, k) for k in everything}
    status = {code: o.statuses.get(code, "observed") for code in o.studied}
    out = pd.DataFrame({"Ward": [_ward_label(n, c, status.get(c)) for n, c in zip(frame["ward_name"], frame["ward_code"])],
                        "Number on the maps": [fmt_int(v) for v in frame["map_number"]]})
    for k, column in everything.items():
        out[f"{column}: share"] = ["[x]" if pd.isna(v) else fmt_pct(v, 1) for v in frame[k]]
        out[f"{column}: rank"] = ["[x]" if pd.isna(v) else fmt_int(v) for v in r[k].reindex(frame["ward_code"])]
    return Table(
        out, title=f"Key indicators for every ward {o.set_text}",
        source=f"{cite('census2021')}; {cite('imd2019')}; {cite('imd2025')}; {cite('lookups')}",
        units="Percentage of the ward's neighbourhoods (LSOAs) or households; rank (1 = highest share)",
        notes=["Wards are in alphabetical order, numbered as on the maps. Each ward's name links to its profile.",
               "Neighbourhoods: the share among the most deprived 10% in England, on the IMD 2019 (2011 "
               "neighbourhoods; mapped) and the IMD 2025 (2021 neighbourhoods; table only).",
               "Households: the share renting from a council or housing association (Census 2021).",
               "Households renting socially: sums of the ward's output areas (exact). Deprivation: the neighbourhoods "
               "assigned to the ward by best fit."],
        status="published",
    )


def overview_table_bundle(o: Overview) -> dict[str, str]:
    """The table with each ward's name linking to its profile."""
    table = overview_table(o)
    bundle = table.bundle(f"overview-{o.boundary_set}")
    if o.pages is None:
        return bundle
    hrefs = {label: href(OVERVIEW_DOC, o.pages.doc(code, o.boundary_set))
             for label, code in zip(table.frame["Ward"], o.indicators.sort_values("map_number")["ward_code"])
             if o.pages.has_page(code, o.boundary_set)}
    return {**bundle, "text/html": link_row_headers(bundle["text/html"], hrefs)}


def show_overview_table(o: Overview) -> None:
    from cityconv.present.mime import display_bundle

    display_bundle(overview_table_bundle(o))
