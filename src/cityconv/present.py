"""The presentation layer every chapter uses: house style, figures, tables, generated prose.

Rules this module enforces or makes easy (see each function):

- **Figures** are static PNG images (so the HTML and the PDF show the same thing), drawn with seaborn
  in a colour-blind-safe palette (Okabe–Ito, `PALETTE`), with plain-English titles and axis labels
  and **alt text on every figure**. `show_figure` refuses empty alt text, or alt text that only
  repeats the title. Alt text and caption travel in the output's metadata under
  `cityconv.book.FIGURE_METADATA_KEY`; `cityconv.book.lift_figure_metadata` moves them into the cell
  metadata myst-nb reads (`mystnb.image.alt`, `mystnb.figure.caption`).
  *One figure per cell, and nothing else displayed in that cell*: myst-nb (Sphinx) wraps **every**
  display output of a cell that has `mystnb.figure` options in a figure with that caption.
- **Tables** follow the GSS presentation conventions: a title (the HTML `<caption>`), units stated,
  `[c]` for a suppressed cell and `[x]` for not available (each explained in a note when present),
  numbered notes and a "Source: …" line. `show_table` displays one output carrying two
  representations: accessible HTML (`<th scope="col">` / `<th scope="row">`) for the HTML builder,
  and a Markdown fallback (pipe table) for the LaTeX/PDF builder. Our `_config.yml`
  (`nb_mime_priority_overrides`) makes html prefer `text/html`, and latex drop `text/html` and prefer
  `text/latex`, then `text/markdown`. We deliberately provide **no** `text/latex`: myst-nb renders
  `text/latex` outputs as a *math block*, not as a table. The pipe table needs
  `nb_render_markdown_format: myst` (or `gfm`) — the default `commonmark` has no tables.
  This module does no disclosure control: the frame it gets is already protected
  (`cityconv.disclosure` does that).
- **Numbers in prose come from data.** A chapter builds its sentences in the package (with `fmt_int`,
  `fmt_pct`, `fmt_pp`) and shows them with `md`, which displays a `text/markdown` output.

Why `md` and not myst-nb's `glue`: glue only moves single values into hand-written Markdown cells. A
ward chapter's prose changes *shape* with the data ("higher than" / "lower than", a sentence that must
disappear for a ward without Census figures, a list of neighbouring wards), which glue cannot express
without logic in the notebook; glued values also show as unrendered `{glue:text}` roles to anyone
reading the template in Jupyter, and glue keys would have to be unique per page. With `md` the whole
sentence is built, unit-tested and rendered in one place, and the executed notebook reads correctly in
Jupyter as well as in the book. Cost: MyST syntax inside generated Markdown (admonitions, roles,
tables) needs `nb_render_markdown_format: myst` in `_config.yml`; plain CommonMark prose works
either way.

`show(item)` is a convenience for thin notebooks: it shows a `Chart`, a `Table` or a Markdown string,
and shows nothing for `None` (a section with no data for this ward), so a template needs no `if`.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Sequence

import pandas as pd

from .book import FIGURE_METADATA_KEY
from .downloads import download_link_html, flatten_columns

# Okabe & Ito (2008) "Color Universal Design" palette: distinguishable with every common form of
# colour-vision deficiency. Order chosen so the first two differ strongly in lightness too (print).
PALETTE: list[str] = [
    "#0072B2",  # blue — "this ward" in every chapter
    "#E69F00",  # orange — "Liverpool" (comparison) in every chapter
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow (use on dark backgrounds or with outlines only)
    "#000000",  # black
]
WARD_COLOUR = PALETTE[0]
CITY_COLOUR = PALETTE[1]
MUTED = "#D9D9D9"  # background shapes (e.g. other wards on a map)
TEXT = "#1A1A1A"

DPI = 110

SOURCES: dict[str, str] = {
    "census2021": "ONS Census 2021 (LSOA best-fit to ward), Open Government Licence v3.0",
    "census2021_city": "ONS Census 2021, Open Government Licence v3.0",
    "census2011": "ONS Census 2011 (official ward figures), Open Government Licence v3.0",
    "imd2019": "MHCLG English Indices of Deprivation 2019 (LSOA 2011), Open Government Licence v3.0",
    "imd2025": "MHCLG English Indices of Deprivation 2025 (LSOA 2021), Open Government Licence v3.0",
    "lookups": "ONS Open Geography Portal best-fit lookups, Open Government Licence v3.0",
    "boundaries": (
        "ONS Open Geography Portal ward boundaries, Open Government Licence v3.0; "
        "contains OS data © Crown copyright and database right"
    ),
}

SUPPRESSED = "[c]"
NOT_AVAILABLE = "[x]"
SHORTHAND_NOTES = {
    SUPPRESSED: "[c] = confidential: the value is suppressed to protect the people counted.",
    NOT_AVAILABLE: "[x] = not available.",
}


# --------------------------------------------------------------------------- style


def use_house_style() -> None:
    """Seaborn theme, Okabe–Ito palette, readable font sizes and ~110 dpi (small HTML pages)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",
        rc={
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 12,
            "xtick.labelsize": 11,
            "ytick.labelsize": 11,
            "legend.fontsize": 11,
            "legend.title_fontsize": 11,
            "axes.edgecolor": "#4D4D4D",
            "text.color": TEXT,
            "axes.labelcolor": TEXT,
            "xtick.color": TEXT,
            "ytick.color": TEXT,
            "grid.color": "#E5E5E5",
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
        },
    )
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=PALETTE)


# --------------------------------------------------------------------------- formatting


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _round_half_up(value: float, decimals: int, scale: int = 1) -> str:
    """Round half away from zero, as GSS guidance expects (Python's own rounding is half to even).

    Works on the shortest decimal repr of the float *before* scaling, so a share of 0.145 becomes
    14.5 exactly and rounds to 15 (0.145 * 100 in binary floating point is 14.4999…).
    """
    from decimal import ROUND_HALF_UP, Decimal

    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}")
    quantum = Decimal(1).scaleb(-decimals)
    text = str((Decimal(repr(float(value))) * scale).quantize(quantum, rounding=ROUND_HALF_UP))
    if float(text) == 0:  # never "-0%"
        text = text.lstrip("-")
    return text


def fmt_int(n: Any) -> str:
    """Whole number with a thousands separator: 1906 -> "1,906"; missing -> "[x]"."""
    if _missing(n):
        return NOT_AVAILABLE
    value = float(n)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {n!r} as a whole number")
    return f"{int(_round_half_up(value, 0)):,}"


def fmt_pct(share: Any, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: 0.4211 -> "42%", fmt_pct(0.4211, 1) -> "42.1%"; missing -> "[x]"."""
    if _missing(share):
        return NOT_AVAILABLE
    text = _round_half_up(float(share), decimals, scale=100)
    return f"{text}%"


def fmt_pp(x: Any, decimals: int = 0, signed: bool = False) -> str:
    """A difference of two shares (0-1 scale) in percentage points: 0.05 -> "5 percentage points".

    `signed=True` adds "+" for a rise; a fall always shows "-". Missing -> "[x]".
    """
    if _missing(x):
        return NOT_AVAILABLE
    text = _round_half_up(float(x), decimals, scale=100)
    if signed and float(text) > 0:
        text = "+" + text
    unit = "percentage point" if abs(float(text)) == 1 else "percentage points"
    return f"{text} {unit}"


def join_words(items, word: str = "and") -> str:
    """["a", "b", "c"] → "a, b and c": lists in generated prose read as English."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def capitalise(text: str) -> str:
    """Upper-case the first letter only (unlike str.capitalize, keeps "Covid-19" and "ONS")."""
    return text[:1].upper() + text[1:]


def cite(source_key: str) -> str:
    """The source line for a known source key (see `SOURCES`), e.g. cite("census2021")."""
    try:
        return SOURCES[source_key]
    except KeyError:
        raise KeyError(f"unknown source {source_key!r}; known: {', '.join(sorted(SOURCES))}") from None


# --------------------------------------------------------------------------- display primitives


def _display(bundle: dict[str, str], metadata: dict | None = None) -> None:
    from IPython.display import display

    display(bundle, raw=True, metadata=metadata or {})


def show_html(fragment: str | None) -> None:
    """Display HTML for the web page only (e.g. a download link): the PDF builder drops text/html."""
    if fragment:
        _display({"text/html": fragment})


def md(text: str | None) -> None:
    """Display generated Markdown (prose whose numbers come from data); None shows nothing.

    Keep headings in the template's own Markdown cells: myst-nb cannot place headings found inside
    an output. MyST syntax (admonitions, roles) needs `nb_render_markdown_format: myst`.
    """
    import textwrap

    if text is None:  # a section function returns None when the ward lacks that source
        return
    body = textwrap.dedent(str(text)).strip()
    if not body:
        return
    _display({"text/markdown": body, "text/plain": body})


# --------------------------------------------------------------------------- figures


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _figure_titles(fig) -> list[str]:
    titles = []
    if getattr(fig, "_suptitle", None) is not None:
        titles.append(fig._suptitle.get_text())
    for ax in fig.get_axes():
        for loc in ("left", "center", "right"):
            title = ax.get_title(loc=loc)
            if title:
                titles.append(title)
    return titles


def check_alt(alt: str, fig=None) -> str:
    """Alt text must say something: non-empty, and not just the figure's title."""
    text = " ".join(str(alt or "").split())
    if not text:
        raise ValueError("every figure needs alt text describing what it shows (got empty alt text)")
    if fig is not None:
        for title in _figure_titles(fig):
            if _normalise(text) == _normalise(title):
                raise ValueError(
                    f"alt text only repeats the figure title ({title!r}); describe what the figure shows"
                )
    if len(_normalise(text).split()) < 4:
        raise ValueError(f"alt text {text!r} is too short to describe a figure; say what it shows")
    return text


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def figure_bundle(fig, alt: str, caption: str | None = None, name: str | None = None) -> tuple[dict, dict]:
    """The (data, metadata) pair `show_figure` displays; separated out for testing."""
    alt_text = check_alt(alt, fig)
    data = {
        "image/png": base64.b64encode(figure_png(fig)).decode("ascii"),
        "text/plain": f"<Figure: {alt_text}>",
    }
    meta: dict[str, str] = {"alt": alt_text}
    if caption:
        meta["caption"] = " ".join(str(caption).split())
    if name:
        meta["name"] = str(name)
    return data, {FIGURE_METADATA_KEY: meta}


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None) -> None:
    """Show a matplotlib figure as a static PNG with alt text (and optional caption and name), then close it.

    `name` becomes a Sphinx label, which must be unique in the whole book: prefix it with the study
    id (e.g. f"{study_id}-age"), because the same template renders once per ward.
    Raises ValueError for missing alt text, or alt text that only repeats the title.
    """
    import matplotlib.pyplot as plt

    try:
        data, metadata = figure_bundle(fig, alt, caption, name)
    finally:
        plt.close(fig)
    _display(data, metadata)


# --------------------------------------------------------------------------- tables

_NUMERIC = re.compile(r"^[-+−]?[£$€]?[\d,]*\.?\d+\s*(%|pp)?$|^\[[a-z]\]$")


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if _missing(value):
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Integral):
        return fmt_int(value)
    if isinstance(value, Real):
        return f"{float(value):,g}"
    return str(value)


def _is_numeric(text: str) -> bool:
    return bool(_NUMERIC.match(text.strip()))


@dataclass(frozen=True)
class _Prepared:
    header: list[str]  # first entry: the row-header column's heading
    rows: list[tuple[str, list[str]]]  # (row header, data cells)
    numeric: list[bool]  # per data column: right-align?
    notes: list[str]
    source: str


def _prepare(frame: pd.DataFrame, source: str, notes: Sequence[str] | None) -> _Prepared:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("show_table needs a pandas DataFrame")
    frame = flatten_columns(frame)
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if default_index:
        if frame.shape[1] < 2:
            raise ValueError("a table needs a row-header column and at least one data column")
        header = [str(c) for c in frame.columns]
        rows = [(_cell(r[0]), [_cell(v) for v in r[1:]]) for r in frame.itertuples(index=False, name=None)]
    else:
        header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
        rows = [(_cell(i), [_cell(v) for v in r]) for i, r in zip(frame.index, frame.itertuples(index=False, name=None))]
    n_data = len(header) - 1
    numeric = [bool(rows) and all(_is_numeric(r[1][j]) for r in rows) for j in range(n_data)]
    all_notes = [" ".join(str(n).split()) for n in (notes or []) if str(n).strip()]
    cells = {c for _, data in rows for c in data}
    for mark, explanation in SHORTHAND_NOTES.items():
        if mark in cells and not any(mark in n for n in all_notes):
            all_notes.append(explanation)
    source = " ".join(str(source).split())
    if not source.lower().startswith("source"):
        source = f"Source: {source}"
    return _Prepared(header, rows, numeric, all_notes, source)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def table_html(prepared: _Prepared, title: str, units: str, name: str | None = None) -> str:
    e = html.escape
    right = ' style="text-align:right"'
    id_attr = f' id="{e(_slug(name))}"' if name else ""
    out = [f'<div class="cityconv-table">', f'<table class="table cityconv-table"{id_attr}>']
    out.append(
        f'<caption style="caption-side:top;text-align:left"><strong>{e(title)}</strong>'
        f'<br><span class="cityconv-units">Units: {e(units)}</span></caption>'
    )
    out.append("<thead><tr>")
    out.append(f'<th scope="col">{e(prepared.header[0])}</th>')
    for heading, num in zip(prepared.header[1:], prepared.numeric):
        out.append(f'<th scope="col"{right if num else ""}>{e(heading)}</th>')
    out.append("</tr></thead>")
    out.append("<tbody>")
    for row_header, data in prepared.rows:
        out.append(f'<tr><th scope="row">{e(row_header)}</th>')
        out.extend(f'<td{right if num else ""}>{e(value)}</td>' for value, num in zip(data, prepared.numeric))
        out.append("</tr>")
    out.append("</tbody></table>")
    if prepared.notes:
        out.append('<p class="cityconv-notes"><strong>Notes</strong></p><ol class="cityconv-notes">')
        out.extend(f"<li>{e(n)}</li>" for n in prepared.notes)
        out.append("</ol>")
    out.append(f'<p class="cityconv-source">{e(prepared.source)}</p>')
    out.append("</div>")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_markdown(prepared: _Prepared, title: str, units: str) -> str:
    lines = [f"**Table: {_md_cell(title)}**", "", f"Units: {_md_cell(units)}", ""]
    lines.append("| " + " | ".join(_md_cell(h) for h in prepared.header) + " |")
    lines.append("|:---|" + "".join("---:|" if num else ":---|" for num in prepared.numeric))
    for row_header, data in prepared.rows:
        lines.append("| " + " | ".join(_md_cell(c) for c in [row_header, *data]) + " |")
    lines.append("")
    if prepared.notes:
        lines.append("Notes:")
        lines.append("")
        lines.extend(f"{i}. {_md_cell(n)}" for i, n in enumerate(prepared.notes, 1))
        lines.append("")
    lines.append(_md_cell(prepared.source))
    return "\n".join(lines)


def table_bundle(
    display_frame: pd.DataFrame,
    title: str,
    source: str,
    units: str,
    notes: list[str] | None = None,
    name: str | None = None,
) -> dict[str, str]:
    """The MIME bundle `show_table` displays (text/html, text/markdown, text/plain)."""
    for label, value in (("title", title), ("source", source), ("units", units)):
        if not str(value or "").strip():
            raise ValueError(f"a table needs a {label} (GSS presentation conventions)")
    title = " ".join(str(title).split())
    units = " ".join(str(units).split())
    prepared = _prepare(display_frame, source, notes)
    markdown = table_markdown(prepared, title, units)
    # Each table downloads as CSV from its page; the link rides inside the HTML, so the PDF has none.
    link = download_link_html(display_frame, name or title, "Download this table as CSV")
    return {
        "text/html": table_html(prepared, title, units, name) + "\n" + link,
        "text/markdown": markdown,
        "text/plain": markdown,
    }


def show_table(
    display_frame: pd.DataFrame,
    title: str,
    source: str,
    units: str,
    notes: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Display an accessible table: HTML for the web book, a Markdown pipe table for the PDF.

    `display_frame` holds display-ready, already protected cells (strings such as "1,906", "42%",
    "[c]"). Its index supplies row headers when it is named or not a plain RangeIndex; otherwise the
    first column does. `[c]` and `[x]` get an explanatory note automatically.
    """
    _display(table_bundle(display_frame, title, source, units, notes, name))


# --------------------------------------------------------------------------- thin-notebook helpers


@dataclass
class Chart:
    """A finished figure with its alt text and caption, ready for `show_figure`."""

    fig: Any
    alt: str
    caption: str | None = None


@dataclass
class Table:
    """A display-ready table with its GSS furniture, ready for `show_table`."""

    frame: pd.DataFrame
    title: str
    source: str
    units: str
    notes: list[str] = field(default_factory=list)


def show(item: Chart | Table | str | None, name: str | None = None) -> None:
    """Show a Chart, a Table or Markdown text; show nothing for None (no data for this ward)."""
    if item is None:
        return
    if isinstance(item, Chart):
        show_figure(item.fig, item.alt, item.caption, name)
    elif isinstance(item, Table):
        show_table(item.frame, item.title, item.source, item.units, list(item.notes), name)
    elif isinstance(item, str):
        md(item)
    else:
        raise TypeError(f"cannot show a {type(item).__name__}; expected Chart, Table, str or None")
