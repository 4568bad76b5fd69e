"""Tables in the GSS presentation style: title, units, [c] and [x] explained, notes, source, CSV download.

Every table states its data status (`cityconv.present.status`): the CSV download opens with rows giving
the title, the data status, the source, the units and the notes, so a copy taken out of the book still
says what it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Sequence

import pandas as pd

from cityconv.core.escaping import myst_escape
from cityconv.methods.disclosure import NOT_AVAILABLE, SUPPRESSED
from cityconv.present.downloads import download_link_html, flatten_columns, slug
from cityconv.present.mime import display_bundle
from cityconv.present.numbers import fmt_int, is_missing
from cityconv.present.status import check_status, page_line, status_line

SHORTHAND_NOTES = {
    SUPPRESSED: "[c] = confidential: the value is suppressed to protect the people counted.",
    NOT_AVAILABLE: "[x] = not available.",
}


_NUMERIC = re.compile(r"^[-+−]?[£$€]?[\d,]*\.?\d+\s*(%|pp)?$|^\[[a-z]\]$")


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if is_missing(value):
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
    if isinstance(frame.index, pd.MultiIndex):  # a grid's (item, answer) rows: one readable header, never a tuple
        names = [str(n) for n in frame.index.names if n is not None]
        frame = frame.set_axis(pd.Index([": ".join(map(str, key)) for key in frame.index], name=": ".join(names)), axis=0)
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


def table_html(prepared: _Prepared, title: str, units: str, name: str | None = None) -> str:
    e = html.escape
    right = ' style="text-align:right"'
    id_attr = f' id="{e(slug(name))}"' if name else ""
    # The table alone scrolls sideways in its own box on a narrow screen (book/_static/accessibility.css);
    # the box is a named, focusable region so keyboard users can scroll it too (WCAG 2.1.1).
    out = ['<div class="cityconv-table">',
           f'<div class="cityconv-table-scroll" role="region" tabindex="0" aria-label="{e(title)} (table)">',
           f'<table class="table cityconv-table"{id_attr}>']
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
    out.append("</div>")
    if prepared.notes:
        out.append('<p class="cityconv-notes"><strong>Notes</strong></p><ol class="cityconv-notes">')
        out.extend(f"<li>{e(n)}</li>" for n in prepared.notes)
        out.append("</ol>")
    out.append(f'<p class="cityconv-source">{e(prepared.source)}</p>')
    out.append("</div>")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    """A cell, title or note as MyST text: pipes, roles, maths and HTML from data are escaped (one line)."""
    return str(myst_escape(text))


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


def csv_comments(prepared: _Prepared, title: str, units: str, status: str, page_status: str | None = None) -> list[str]:
    """The rows a CSV download opens with: what the table is, its data status (and the page's, when a real
    table sits on a reconstructed or synthetic ward's page), source, units and notes."""
    notes = [f"Note {i}: {n}" for i, n in enumerate(prepared.notes, 1)]
    page = page_line(page_status, status)
    return [f"Table: {title}", status_line(status), *([page] if page else []), prepared.source, f"Units: {units}",
            *notes]


def table_bundle(
    display_frame: pd.DataFrame,
    title: str,
    source: str,
    units: str,
    notes: list[str] | None = None,
    name: str | None = None,
    *,
    status: str | None = None,
    page_status: str | None = None,
) -> dict[str, str]:
    """The MIME bundle `show_table` displays (text/html, text/markdown, text/plain).

    `status` says what the table is built from ("observed", "reconstructed", "synthetic", "published",
    or a combination such as "reconstructed and synthetic"); it is required, and heads the CSV download.
    `page_status` is the data status of the ward whose page shows the table: a Census table on a
    synthetic ward's page says so in its CSV.
    """
    for label, value in (("title", title), ("source", source), ("units", units)):
        if not str(value or "").strip():
            raise ValueError(f"a table needs a {label} (GSS presentation conventions)")
    if status is None:
        raise ValueError(f"table {title!r} needs a data status (observed, reconstructed, synthetic or published)")
    status = check_status(status)
    title = " ".join(str(title).split())
    units = " ".join(str(units).split())
    prepared = _prepare(display_frame, source, notes)
    markdown = table_markdown(prepared, title, units)
    # Each table downloads as CSV from its page; the link rides inside the HTML, so the PDF has none.
    link = download_link_html(display_frame, name or title, "Download this table as CSV",
                              csv_comments(prepared, title, units, status,
                                           None if page_status is None else check_status(page_status)))
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
    *,
    status: str | None = None,
) -> None:
    """Display an accessible table: HTML for the web book, a Markdown pipe table for the PDF.

    `display_frame` holds display-ready, already protected cells (strings such as "1,906", "42%",
    "[c]"). Its index supplies row headers when it is named or not a plain RangeIndex; otherwise the
    first column does. `[c]` and `[x]` get an explanatory note automatically. `status`: see `table_bundle`.
    """
    display_bundle(table_bundle(display_frame, title, source, units, notes, name, status=status))


@dataclass
class Table:
    """A display-ready table with its GSS furniture and data status, ready for `show_table`."""

    frame: pd.DataFrame
    title: str
    source: str
    units: str
    notes: list[str] = field(default_factory=list)
    #: What the table is built from (see `cityconv.present.status`); required when it is shown.
    status: str | None = None
    #: The data status of the ward whose page shows it, for a table of public data on a ward's page.
    page_status: str | None = None

    def bundle(self, name: str | None = None) -> dict[str, str]:
        """The MIME bundle `show_table` displays for this table."""
        return table_bundle(self.frame, self.title, self.source, self.units, list(self.notes), name,
                            status=self.status, page_status=self.page_status)
