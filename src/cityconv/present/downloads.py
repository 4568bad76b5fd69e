"""Downloads for readers: each table as CSV from its chapter page, and the evidence base as one XLSX.

**Tables as CSV.** `download_link_html(frame, filename, label)` returns a small HTML paragraph with a
link whose target is the table itself, as a `data:text/csv;base64,…` URI with a `download="<name>.csv"`
attribute. `cityconv.present.show_table` appends it to the table's `text/html` representation, so:

- each chapter stays self-contained and atomic: no side files to write, copy, cache or clean up,
  nothing that a failed or cached papermill run could leave out of step with the page;
- the CSV holds exactly the cells the reader sees (the frame `show_table` gets is already protected
  by `cityconv.methods.disclosure`: `[c]` stays `[c]`), never the records behind it;
- the CSV starts with comment rows (`# …`: title, data status, source, units, notes), so a copy
  taken out of the book still says where it came from and whether it is reconstructed or synthetic.
  The first of them says how many there are, so any program can skip them
  (`pandas.read_csv(path, skiprows=n)`, or `comment="#"` when no cell holds a `#`);
- the PDF is unaffected (the Markdown representation has no link, and `print.css` hides the link).

The CSV is UTF-8 with a byte-order mark, so Excel opens "£", "–" and "’" correctly, and `\\n` line
endings (as the project's own data files). Row headers from a named or non-default index are kept
as the first column, as in the HTML table.

**The evidence base as XLSX.** `evidence_workbook(evidence_dir, out_path)` writes every table of
`data/evidence/` to one sheet each, after a README sheet (what the workbook is, source, licence, how
to cite, one line per sheet). The workbook is reproducible: the same CSV files give the same bytes
(fixed document dates and zip timestamps); an unchanged workbook is not rewritten; a changed one is
written to a temporary file and renamed into place, so a failure never leaves a broken workbook.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Sequence

import pandas as pd

from cityconv.core.escaping import neutralise_formula, neutralise_frame, set_text_cell

CSV_MIME = "text/csv"
#: A data URI is carried inside the page: keep downloads small (display tables are a few kB).
MAX_CSV_BYTES = 1_000_000

# --------------------------------------------------------------------------- CSV links


def slug(text: str) -> str:
    """Lower-case words joined by hyphens: a safe file name or HTML id from any label."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def csv_filename(name: str) -> str:
    """A safe download name: "Usual residents by age (Clubmoor)" -> "usual-residents-by-age-clubmoor.csv"."""
    stem = slug(re.sub(r"\.csv$", "", str(name), flags=re.IGNORECASE))
    if not stem:
        raise ValueError(f"cannot make a file name from {name!r}")
    return f"{stem[:100].rstrip('-')}.csv"


def flatten_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Two-level headers as one ("Female – 35-44"), the same on the page and in the download."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    frame = frame.copy()
    frame.columns = [" – ".join(str(p) for p in col if str(p)) for col in frame.columns]
    return frame


def comment_rows(lines: Sequence[str]) -> list[str]:
    """`# …` rows for the top of a CSV, the first saying how many rows to skip to reach the table."""
    texts = [" ".join(str(line).split()) for line in lines if str(line).strip()]
    if not texts:
        return []
    count = len(texts) + 1
    lead = f"# The first {count} lines are notes about the table; the table starts on line {count + 1}."
    return [lead, *(f"# {t}" for t in texts)]


def csv_bytes(frame: pd.DataFrame, comments: Sequence[str] = ()) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM), after `comments` as `# …` rows; a named or non-default
    index becomes the first column."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("a CSV download needs a pandas DataFrame")
    frame = flatten_columns(frame)
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    # A cell of text from data starting with "=", "+", "-", "@", tab or CR is quoted so no spreadsheet runs it.
    text = neutralise_frame(frame).to_csv(index=not default_index, lineterminator="\n")
    head = "".join(f"{neutralise_formula(row)}\n" for row in comment_rows(comments))
    return (head + text).encode("utf-8-sig")


def csv_data_uri(frame: pd.DataFrame, comments: Sequence[str] = ()) -> str:
    """`data:text/csv;charset=utf-8;base64,…` holding the table; raises ValueError above MAX_CSV_BYTES."""
    data = csv_bytes(frame, comments)
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(
            f"table is {len(data):,} bytes as CSV, more than {MAX_CSV_BYTES:,}: too big to carry inside the "
            "page; publish it as a file instead"
        )
    return f"data:{CSV_MIME};charset=utf-8;base64,{base64.b64encode(data).decode('ascii')}"


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1000 else f"{n / 1000:.1f} kB"


def download_link_html(
    frame: pd.DataFrame, filename: str, label: str = "Download this table as CSV", comments: Sequence[str] = ()
) -> str:
    """A paragraph with a link that downloads the table as `<filename>.csv`, after `comments` rows.

    The link text says what it is; the format, size and row count follow it in plain text (WCAG 2.4.4,
    link purpose). Everything is escaped.
    """
    if not str(label or "").strip():
        raise ValueError("a download link needs link text")
    name = csv_filename(filename)
    uri = csv_data_uri(frame, comments)
    rows = len(frame)
    size = len(csv_bytes(frame, comments))
    e = html.escape
    return (
        '<p class="cityconv-download">'
        f'<a class="cityconv-download-link" href="{e(uri)}" download="{e(name)}" type="{CSV_MIME}">'
        f"{e(' '.join(str(label).split()))}</a>"
        f" <span class=\"cityconv-download-meta\">(CSV, {rows:,} row{'s' if rows != 1 else ''}, {_size(size)})</span>"
        "</p>"
    )


# --------------------------------------------------------------------------- the evidence workbook

WORKBOOK_TITLE = "The good conversations evidence base"
DEFAULT_LICENCE = (
    "The tables are the cityconv project's own work and are published under CC BY 4.0, like the "
    "book's text (see the book's page 'Licences and attribution'). Words quoted from the sources (for "
    "example the effect_published column) remain the copyright of their authors and are reproduced "
    "for citation; cite the original source for them."
)
#: A fixed date for the workbook's properties and zip entries, so the same data give the same bytes.
FIXED_DATE = dt.datetime(2020, 1, 1, 0, 0, 0)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _readme_sections(readme: Path) -> tuple[str, dict[str, str], dict[str, str]]:
    """From data/evidence/README.md: the opening paragraph, `## ` sections, and the per-file table's
    "one row per" descriptions."""
    if not readme.exists():
        return "", {}, {}
    text = readme.read_text(encoding="utf-8")
    intro = ""
    sections: dict[str, str] = {}
    current = None
    buffer: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            if current is not None:
                sections[current] = "\n".join(buffer).strip()
            elif not intro:
                intro = "\n".join(buffer).strip()
            current, buffer = line[3:].strip(), []
        elif line.startswith("# ") and current is None:
            buffer = []
        else:
            buffer.append(line)
    if current is not None:
        sections[current] = "\n".join(buffer).strip()
    else:
        intro = intro or "\n".join(buffer).strip()
    intro = intro.split("\n\n")[0]
    descriptions: dict[str, str] = {}
    for row in re.findall(r"^\|\s*`([^`]+\.csv)`\s*\|[^|]*\|([^|]*)\|", text, flags=re.MULTILINE):
        descriptions[row[0]] = row[1].strip()
    return intro, sections, descriptions


def _plain(markdown: str) -> str:
    text = re.sub(r"[*`]", "", markdown)
    return " ".join(text.split())


def _sheet_name(stem: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", stem)[:31] or "sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f"_{n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _read_csv(path: Path) -> pd.DataFrame:
    # Strings as written: no type guessing (codes such as "0123" or "E05000892" stay as they are),
    # and a blank cell stays blank.
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _normalise_zip(data: bytes) -> bytes:
    """Re-pack the xlsx zip with fixed timestamps and a fixed entry order: byte-for-byte reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # openpyxl writes [Content_Types].xml first; keep its order
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the time of saving
                stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(entry, content)
    return out.getvalue()


def reproducible_xlsx(workbook) -> bytes:
    """An openpyxl workbook as XLSX bytes that are the same on every run (fixed dates and zip entries)."""
    props = workbook.properties
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue())


def evidence_workbook(
    evidence_dir: Path,
    out_path: Path,
    *,
    licence: str = DEFAULT_LICENCE,
) -> Path:
    """Write every `*.csv` of `evidence_dir` as one sheet of an XLSX workbook, after a README sheet.

    Returns `out_path`. Raises FileNotFoundError if the folder holds no CSV file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    evidence_dir = Path(evidence_dir)
    out_path = Path(out_path)
    files = sorted(evidence_dir.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no CSV files in {evidence_dir}")
    intro, sections, descriptions = _readme_sections(evidence_dir / "README.md")

    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    used = {"readme"}
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    sheets: list[tuple[str, Path, pd.DataFrame]] = []
    for path in files:
        sheets.append((_sheet_name(path.stem, used), path, _read_csv(path)))

    rows: list[tuple[str, str]] = [
        ("Title", WORKBOOK_TITLE),
        ("What this is", "Every table of the project's evidence base (data/evidence/ in the source archive the book offers on "
                         "its page 'Reproduce this book'), "
                         "one sheet per CSV file, exactly as published: cells are text as written, blank means missing."),
        ("Source", _plain(intro) or "See the chapter of the book this workbook was downloaded from."),
        ("Licence", licence),
        ("How to cite", _plain(sections.get("Citing", "")) or "See the chapter of the book this workbook was downloaded from."),
        ("Documentation", "Column meanings, grading rubric and checks: the chapter of the book this workbook was "
                          "downloaded from, and data/evidence/README.md in the book's source archive."),
    ]
    for r, (key, value) in enumerate(rows, start=1):
        readme.cell(row=r, column=1, value=key).font = bold
        set_text_cell(readme.cell(row=r, column=2), value).alignment = wrap
    start = len(rows) + 2
    for c, heading in enumerate(("Sheet", "File", "Rows", "Columns", "One row per"), start=1):
        readme.cell(row=start, column=c, value=heading).font = bold
    for r, (sheet, path, frame) in enumerate(sheets, start=start + 1):
        set_text_cell(readme.cell(row=r, column=1), sheet)
        set_text_cell(readme.cell(row=r, column=2), path.name)
        readme.cell(row=r, column=3, value=len(frame))
        readme.cell(row=r, column=4, value=len(frame.columns))
        set_text_cell(readme.cell(row=r, column=5), descriptions.get(path.name, "")).alignment = wrap
    readme.column_dimensions["A"].width = 24
    readme.column_dimensions["B"].width = 100
    for letter in "CDE":
        readme.column_dimensions[letter].width = 12 if letter != "E" else 60

    for sheet, _path, frame in sheets:
        ws = wb.create_sheet(sheet)
        # Cells are written one by one as text cells: a cell from data is never a formula, whatever it starts with.
        for c, column in enumerate(frame.columns, start=1):
            set_text_cell(ws.cell(row=1, column=c), str(column)).font = bold
        for r, record in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, value in enumerate(record, start=1):
                if value != "":
                    set_text_cell(ws.cell(row=r, column=c), value)
        ws.freeze_panes = "A2"
        if len(frame.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
        for i, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(v) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)

    props = wb.properties
    props.title = WORKBOOK_TITLE
    props.creator = "cityconv"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.lastModifiedBy = "cityconv"

    buffer = io.BytesIO()
    wb.save(buffer)
    data = _normalise_zip(buffer.getvalue())
    if out_path.exists() and out_path.read_bytes() == data:
        return out_path  # unchanged: keep the file's time, so Sphinx does not re-read the linking page
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out_path)
    return out_path


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_FILENAME = "evidence-base.xlsx"


def workbook_link_html(evidence_dir: Path, label: str = "Download the whole evidence base as one Excel workbook") -> str:
    """A paragraph with a link that downloads `evidence_workbook(evidence_dir)` as XLSX.

    Carried inside the page as a data URI, like the CSV links, so the study chapter that shows it stays
    self-contained and is replaced atomically with the rest of its run.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = evidence_workbook(Path(evidence_dir), Path(tmp) / WORKBOOK_FILENAME).read_bytes()
    uri = f"data:{XLSX_MIME};base64,{base64.b64encode(data).decode('ascii')}"
    sheets = len(list(Path(evidence_dir).glob("*.csv")))
    e = html.escape
    return (
        '<p class="cityconv-download">'
        f'<a class="cityconv-download-link" href="{e(uri)}" download="{WORKBOOK_FILENAME}" type="{XLSX_MIME}">'
        f"{e(label)}</a>"
        f' <span class="cityconv-download-meta">(XLSX, {sheets} tables and a README sheet, {_size(len(data))})</span>'
        "</p>"
    )
