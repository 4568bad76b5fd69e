"""Reading a survey tool's export, as downloaded, into header rows and numbered records.

Why a module of its own: what a file *is* (encoding, delimiter, header rows, which tool wrote it,
which columns are personal) is a question apart from what its columns *mean* for a ward
(`import_survey`'s mapping). Every export the tools write in the wild reads here unchanged (see
`../shared/real-exports/PROVENANCE.md`, "What an importer must handle"):

- encoding: UTF-8 (with or without BOM); otherwise the bytes that are not UTF-8 are read as
  Windows-1252 (a whole Excel "Save as CSV" file, or two stray bytes in a SurveyMonkey heading) and a
  warning names where they are; `encoding:` in the mapping overrides;
- delimiter: whichever of `,` `;` tab `|` splits the header record into most cells; `delimiter:`
  overrides; records, not lines, are counted (a real CSV parser: quoted line breaks, CRLF/LF mixes);
- header rows: 1, 2 or 3 by the tool's signature (Qualtrics' ImportId row, legacy Qualtrics' V1..V10,
  SurveyMonkey's blank under its respondent id), never by a row count per tool; SurveyMonkey's question
  row is forward-filled over its option columns;
- workbooks: openpyxl with the declared dimension ignored (Microsoft Forms declares `A1`), any sheet by
  name, true datetimes whatever their number format; macro-enabled workbooks refused.

A column is found by the text of ANY header row, compared after trimming, collapsing whitespace and
folding case; or by its Qualtrics ImportId; or by its column letter. Identical headings are told apart
with `occurrence`. Rows are numbered as a spreadsheet shows them (the first header row is row 1).
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openpyxl.utils import column_index_from_string, get_column_letter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cityconv.core.limits import CSV_BYTES, csv_records_with_lines, limited_rows, read_input_bytes, workbook_problem
from cityconv.core.params import did_you_mean
from cityconv.core.problems import Problem, relative

HeaderRows = Literal[1, 2, 3, "auto"]
DELIMITERS = (",", ";", "\t", "|")
FALLBACK_ENCODING = "cp1252"

MICROSOFT_FORMS = "Microsoft Forms"
GOOGLE_FORMS = "Google Forms"
SURVEYMONKEY = "SurveyMonkey"
QUALTRICS = "Qualtrics"
QUALTRICS_LEGACY = "Qualtrics legacy"
KOBOTOOLBOX = "KoboToolbox"
LIMESURVEY = "LimeSurvey"
UNKNOWN = "unknown"

# Row 2 texts SurveyMonkey writes under a single-answer or open-ended question (not an option label).
SURVEYMONKEY_RESPONSE = ("response", "open-ended response")


def normalise(text: str) -> str:
    """A heading as references are compared: trimmed, inner whitespace collapsed, case folded."""
    return " ".join(str(text).split()).casefold()


def cell_text(value: Any) -> str:
    """A cell as text: empty for an absent cell, whole numbers without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


# --------------------------------------------------------------------------------------------------
# What was read


@dataclass(frozen=True)
class Column:
    """One column of an export: where it is and what each header row says about it."""

    index: int  # 0-based
    texts: tuple[str, ...]  # each header row's text (SurveyMonkey's row 1 forward-filled over its block)
    import_id: str | None = None  # Qualtrics' ImportId (row 3), e.g. "QID1" or "startDate"
    occurrence: int = 1  # 1 for the first column with these header texts, 2 for the next identical one, ...
    forward_filled: bool = False  # row 1 was blank here and carries the question of the block to its left

    @property
    def letter(self) -> str:
        """The column as a spreadsheet names it: A, B, ..., Z, AA, ..."""
        return get_column_letter(self.index + 1)

    @property
    def heading(self) -> str:
        """The header rows' distinct texts joined, as a reader recognises the column (ImportId left out)."""
        texts = [t for t in self.texts if t and not _looks_like_import_id(t)]
        return " / ".join(dict.fromkeys(texts))

    @property
    def label(self) -> str:
        """Letter and heading, the way every problem names a column."""
        return f"{self.letter}: {self.heading}" if self.heading else f"{self.letter} (no heading)"


@dataclass(frozen=True)
class Record:
    """One response: its row as the spreadsheet shows it, and its cells (raw values: text, numbers, dates)."""

    row: int
    cells: tuple[Any, ...]


@dataclass
class Export:
    """An export as read: where it came from, how it was read, its columns and its records."""

    file: str  # as problems name it (relative to the project when inside it)
    sheet: str | None  # workbooks only
    tool: str  # MICROSOFT_FORMS, GOOGLE_FORMS, ... or UNKNOWN
    encoding: str | None  # CSV only: "utf-8", "utf-8-sig", "cp1252", or the mapping's `encoding:`
    delimiter: str | None  # CSV only
    header_rows: int
    header: list[list[str]]  # the header rows as read (before forward-filling)
    columns: list[Column]
    records: list[Record]
    warnings: list[Problem] = field(default_factory=list)  # read anyway; the import summary shows them

    @property
    def where(self) -> str:
        """The file (and sheet) as problems name it."""
        return f"{self.file}, sheet {self.sheet!r}" if self.sheet is not None else self.file

    def describe(self) -> str:
        """One line for the import summary: tool, encoding, delimiter, header rows, size."""
        how = [f"{self.tool} export" if self.tool != UNKNOWN else "export from an unrecognised tool"]
        if self.encoding is not None:
            how.append(f"encoding {self.encoding}")
        if self.delimiter is not None:
            how.append(f"delimiter {self.delimiter!r}")
        how.append(f"{self.header_rows} header row{'s' if self.header_rows > 1 else ''}")
        how.append(f"{len(self.columns)} columns, {len(self.records)} responses")
        return ", ".join(how)

    # The `Sheet` interface import_survey's build_import has used: (row 1, row 2) headings and (row, cells).

    @property
    def headings(self) -> list[tuple[str, str]]:
        return [(c.texts[0], c.texts[1] if len(c.texts) > 1 else "") for c in self.columns]

    @property
    def rows(self) -> list[tuple[int, list[Any]]]:
        return [(r.row, list(r.cells)) for r in self.records]

    def display(self, index: int) -> str:
        """A column's heading as build_import's problems have named it (row 1 / row 2); `Column.label` adds the letter."""
        top, sub = self.headings[index]
        return f"{top} / {sub}" if sub and top else (top or sub)

    def find(self, ref: "str | ColumnRef", mapping_name: str, section: str) -> tuple[Column | None, list[Problem]]:
        """The one column a mapping's reference names, or the problem: not found, or ambiguous (with candidates)."""
        return find_column(self, ColumnRef.of(ref), mapping_name, section)


# --------------------------------------------------------------------------------------------------
# Reading


def read_export(path: Path, root: Path, *, header_rows: HeaderRows | None = None, sheet: str | None = None,
                encoding: str | None = None, delimiter: str | None = None) -> tuple[Export | None, list[Problem]]:
    """An .xlsx or .csv export as header rows and numbered records, or every problem that stops reading it."""
    path = Path(path)
    rel = relative(path, root)
    suffix = path.suffix.lower()
    found: tuple[list[list[Any]], str | None, str | None, list[Problem]] | None  # records, encoding, delimiter, warnings
    if suffix == ".xlsm":
        return None, [Problem(rel, "a macro-enabled workbook (.xlsm) is refused: macros are never opened", value=path.name,
                              expected="the export saved as 'Excel Workbook (.xlsx)' or as CSV")]
    if suffix == ".xlsx":
        if encoding is not None or delimiter is not None:
            return None, [Problem(rel, "encoding: and delimiter: are for .csv files; a workbook has neither",
                                  expected="remove them from the mapping")]
        table, title, problems = _read_workbook(path, root, sheet)
        found = (table, None, None, []) if table is not None else None
    elif suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            return None, [Problem(rel, f"sheet: {sheet!r} is for workbooks; a CSV file has one table", expected="remove sheet: from the mapping")]
        title = None
        found, problems = _read_csv(path, root, encoding, delimiter)
    else:
        return None, [Problem(rel, f"cannot import a {suffix or 'file without extension'} file", value=path.name,
                              expected="an .xlsx workbook or a .csv file (save .xls or .ods as .xlsx first)")]
    if found is None:
        return None, problems
    records, used_encoding, used_delimiter, warnings = found
    where = f"{rel}, sheet {title!r}" if title is not None else rel
    return _shape(records, rel, where, title, used_encoding, used_delimiter, header_rows, warnings)


def _read_workbook(path: Path, root: Path, sheet: str | None) -> tuple[list[list[Any]] | None, str | None, list[Problem]]:
    """A sheet's rows (the first sheet, or `sheet`) as written, whatever dimension the sheet declares."""
    from openpyxl import load_workbook

    rel = relative(path, root)
    refused = workbook_problem(path, root)
    if refused is not None:
        return None, None, [refused]
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        return None, None, [Problem(rel, f"cannot be read as an Excel workbook ({type(exc).__name__})",
                                    expected="an .xlsx file saved by Excel, LibreOffice or the survey tool")]
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            return None, None, [Problem(rel, f"no sheet {sheet!r}{did_you_mean(sheet, names)}", value=sheet,
                                        expected="one of: " + ", ".join(repr(n) for n in names))]
        ws = book[sheet or names[0]]
        records, too_big = limited_rows(ws, f"{rel}, sheet {ws.title!r}")  # resets the declared dimension
        return records, ws.title, too_big
    finally:
        book.close()


def _read_csv(path: Path, root: Path, encoding: str | None, delimiter: str | None
              ) -> tuple[tuple[list[list[Any]], str | None, str | None, list[Problem]] | None, list[Problem]]:
    rel = relative(path, root)
    raw, refused = read_input_bytes(path, root, CSV_BYTES)
    if raw is None:
        return None, refused
    text, used, problems, strays = decode(raw, rel, encoding)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(rel, "file is empty", row=1, expected="a header row of question headings, then one row per response")]
    if delimiter is not None and len(delimiter) != 1:
        return None, [Problem(rel, "delimiter: must be one character", value=delimiter, expected='",", ";", "\\t" or "|"')]
    used_delimiter = delimiter or detect_delimiter(text)
    parsed, problems = csv_records_with_lines(text, rel, used_delimiter)
    if parsed is None:
        return None, problems
    records = [cells for cells, _ in parsed]
    warnings = [_stray_warning(rel, text, parsed, strays, used)] if strays else []
    return (records, used, used_delimiter, warnings), []


# --------------------------------------------------------------------------------------------------
# Encoding and delimiter


@dataclass(frozen=True)
class StrayBytes:
    """Bytes that are not UTF-8, read as Windows-1252: how many, and the first run of them."""

    count: int
    first_offset: int  # byte offset in the file
    first_bytes: bytes
    first_text_index: int  # where they are in the decoded text
    first_text: str  # what they were read as


_SURROGATES = re.compile("[\udc80-\udcff]+")


def decode(raw: bytes, name: str, encoding: str | None = None) -> tuple[str | None, str, list[Problem], StrayBytes | None]:
    """The file's text, the encoding used, problems, and the bytes read as cp1252 when it was not all UTF-8.

    UTF-8 (a BOM is dropped) first. A file that is not is read byte by byte: valid UTF-8 stays UTF-8 and
    every other byte is read as Windows-1252, which is exactly a cp1252 decode when the rest is ASCII (an
    Excel "Save as CSV" file) and keeps a UTF-8 file's accents when only a few stray bytes are wrong.
    """
    if encoding is not None:
        codec = "utf-8-sig" if normalise(encoding).replace("_", "-") in ("utf-8", "utf8") else encoding
        try:
            return raw.decode(codec), encoding, [], None
        except LookupError:
            return None, encoding, [Problem(name, f"unknown encoding {encoding!r} (encoding: in the mapping)", value=encoding,
                                            expected='an encoding Python knows, e.g. "utf-8", "cp1252", "latin-1", "mac_roman"')], None
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            return None, encoding, [Problem(name, f"cannot be read as {encoding} (byte {exc.start}, on line {line} of the file)",
                                            value=raw[exc.start: exc.start + 4].hex(" ").upper(),
                                            expected="the encoding the file was saved in (encoding: in the mapping), or leave it out")], None
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    used = "utf-8-sig" if bom else "utf-8"
    escaped = body.decode("utf-8", errors="surrogateescape")
    runs = list(_SURROGATES.finditer(escaped))
    if not runs:
        return escaped, used, [], None
    first = runs[0]
    first_bytes = bytes(ord(c) - 0xDC00 for c in first.group())
    count = sum(len(r.group()) for r in runs)
    offset = len(escaped[: first.start()].encode("utf-8", errors="surrogateescape")) + (3 if bom else 0)
    text = _SURROGATES.sub(lambda m: _as_cp1252(m.group()), escaped)
    all_ascii_else = _SURROGATES.sub("", escaped).isascii()
    used = FALLBACK_ENCODING if all_ascii_else and not bom else f"{used} with {count} byte(s) read as {FALLBACK_ENCODING}"
    stray = StrayBytes(count, offset, first_bytes, first.start(), _as_cp1252(first.group()))  # one character per byte
    return text, used, [], stray


def _as_cp1252(escaped: str) -> str:
    """Surrogate-escaped bytes read as Windows-1252 (its five undefined bytes as U+FFFD)."""
    return bytes(ord(c) - 0xDC00 for c in escaped).decode(FALLBACK_ENCODING, errors="replace")


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the header record into most cells, the next records agreeing (a comma when none splits it).

    A candidate scores by how many of the first records have as many cells as its header record, then by
    that number of cells: `"a, b";"c"` has as many cells split at commas as at semicolons, but only the
    semicolon gives the records below the same shape.
    """
    best, best_score = ",", (0, 1)
    start = text[:2_000_000]  # twenty records fit, and a 200 MB file is not copied four times
    for candidate in DELIMITERS:
        reader = csv.reader(io.StringIO(start, newline=""), delimiter=candidate)
        try:
            records = [cells for _, cells in zip(range(20), reader)]
        except csv.Error:
            continue
        width = len(records[0]) if records else 0
        score = (sum(len(r) == width for r in records[1:] if any(r)), width)
        if width > 1 and score > best_score:
            best, best_score = candidate, score
    return best


def _stray_warning(name: str, text: str, parsed: list[tuple[list[str], int]], stray: StrayBytes, encoding: str) -> Problem:
    """Where the first bytes that were not UTF-8 are: the row (record) and column as a spreadsheet shows them."""
    physical = len(io.StringIO(text[: stray.first_text_index + 1], newline="").readlines())  # lines as csv counts them
    row = next((i for i, (_, end) in enumerate(parsed, start=1) if end >= physical), len(parsed))
    cells = parsed[row - 1][0] if parsed else []
    column = next((f"{get_column_letter(i + 1)}: {' '.join(c.split())}" for i, c in enumerate(cells) if stray.first_text in c), None)
    more = f"; {stray.count} such bytes in all" if stray.count > len(stray.first_bytes) else ""
    return Problem(name, f"not all UTF-8: read as {encoding}; bytes {stray.first_bytes.hex(' ').upper()} at byte "
                         f"{stray.first_offset} were read as {stray.first_text!r}{more}", row=row, column=column,
                   expected="check that text; if it is wrong, give the file's encoding as encoding: in the mapping "
                            '(e.g. "mac_roman") or export it again as CSV UTF-8')


# --------------------------------------------------------------------------------------------------
# Tool signatures and header rows


# Headings that identify a tool (compared normalised). Data, so a new tool or a localised export is one line.
MICROSOFT_FORMS_START = ("id", "start time", "completion time")
GOOGLE_FORMS_FIRST = ("timestamp", "zeitstempel", "marca temporal", "horodateur", "tijdstempel", "informazioni cronologiche")
SURVEYMONKEY_IDS = ("respondentid", "respondent id")
QUALTRICS_ROW1 = ("responseid", "startdate", "enddate", "recordeddate")
QUALTRICS_LEGACY_ROW1 = tuple(f"v{i}" for i in range(1, 11))
KOBOTOOLBOX_MARKS = ("_uuid", "_submission_time", "_index", "_parent_index", "_submission__uuid")
LIMESURVEY_IDS = ("response id", "antwort id", "id de respuesta", "id de la réponse", "id")
LIMESURVEY_MARKS = ("date submitted", "last page", "start language", "seed", "datum abgeschickt", "letzte seite",
                    "start-sprache", "submitdate", "lastpage", "startlanguage")
LIMESURVEY_SUBQUESTION = re.compile(r".\s\[[^\]]+\]$")  # "<question> [<option>]"


def _looks_like_import_id(text: str) -> bool:
    return text.lstrip().startswith("{") and "importid" in text.casefold()


def import_id(text: str) -> str | None:
    """Qualtrics' ImportId from a row-3 cell: JSON (2017+) or a Python dict literal (2016), never eval'd."""
    if not _looks_like_import_id(text):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            found = next((v for k, v in value.items() if str(k).casefold() == "importid"), None)
            return str(found) if found is not None else None
    return None


def detect_tool(rows: list[list[str]]) -> tuple[str, int]:
    """The tool that wrote an export and its number of header rows, from the first rows' signature."""
    row1 = [normalise(t) for t in rows[0]] if rows else []
    row2 = [normalise(t) for t in rows[1]] if len(rows) > 1 else []
    row3 = [t for t in rows[2] if t.strip()] if len(rows) > 2 else []
    heads = set(row1)
    if row3 and sum(import_id(t) is not None for t in row3) * 2 > len(row3):
        return QUALTRICS, 3
    if row1[:10] == list(QUALTRICS_LEGACY_ROW1) and "responseid" in row2:
        return QUALTRICS_LEGACY, 2
    if len(heads & set(QUALTRICS_ROW1)) >= 3:  # an ImportId row deleted: row 2 is labels unless it holds a date
        start = row1.index("startdate") if "startdate" in row1 else 0
        labels = len(row2) > start and not row2[start][:1].isdigit()
        return QUALTRICS, 2 if labels else 1
    if row1 and row1[0] in SURVEYMONKEY_IDS:
        blank_id = len(row2) > 0 and row2[0] == ""  # row 2 (option labels) is blank under the respondent id
        return SURVEYMONKEY, 2 if blank_id else 1
    if tuple(row1[:3]) == MICROSOFT_FORMS_START:
        return MICROSOFT_FORMS, 1
    if row1 and row1[0] in GOOGLE_FORMS_FIRST:
        return GOOGLE_FORMS, 1
    if len(heads & set(KOBOTOOLBOX_MARKS)) >= 2:
        return KOBOTOOLBOX, 1
    if row1 and row1[0] in LIMESURVEY_IDS and (heads & set(LIMESURVEY_MARKS)
                                              or sum(bool(LIMESURVEY_SUBQUESTION.search(t)) for t in rows[0]) >= 2):
        return LIMESURVEY, 1
    return UNKNOWN, 1


def _shape(records: list[list[Any]], file: str, where: str, sheet: str | None, encoding: str | None, delimiter: str | None,
           header_rows: HeaderRows | None, warnings: list[Problem]) -> tuple[Export | None, list[Problem]]:
    """Header rows and records from a table of cells: tool detected, headings filled, blank rows and columns left out."""
    width = max((len(r) for r in records), default=0)
    padded = [list(r) + [None] * (width - len(r)) for r in records]
    texts = [[cell_text(c) for c in r] for r in padded[:3]]
    tool, detected = detect_tool(texts)
    rows = detected if header_rows in (None, "auto") else int(header_rows)
    if rows not in (1, 2, 3):
        return None, [Problem(where, "header_rows must be 1, 2, 3 or \"auto\"", value=header_rows,
                              expected="the number of heading rows above the first response")]
    if len(records) < rows:
        return None, [Problem(where, f"the header rows are missing: the file has {len(records)} row(s)", row=1,
                              expected=f"{rows} header row(s) above the responses (header_rows in the mapping)")]
    header = [[cell_text(c) for c in r] for r in padded[:rows]]
    while width and all(not h[width - 1] for h in header) and all(cell_text(r[width - 1]) == "" for r in padded):
        width -= 1  # a trailing empty column: lines ending in the delimiter, or a used range reaching too far
    header = [h[:width] for h in header]
    filled = [list(h) for h in header]
    forward = [False] * width
    if rows >= 2:  # SurveyMonkey: a question's text sits over its first option column only
        for i in range(1, width):
            if not filled[0][i] and filled[1][i] and filled[0][i - 1]:
                filled[0][i], forward[i] = filled[0][i - 1], True
    seen: dict[tuple[str, ...], int] = {}
    columns = []
    for i in range(width):
        column_texts = tuple(h[i] for h in filled)
        key = tuple(normalise(t) for t in column_texts if not _looks_like_import_id(t))
        seen[key] = seen.get(key, 0) + 1
        qid = import_id(column_texts[2]) if rows == 3 else None
        columns.append(Column(i, column_texts, qid, seen[key], forward[i]))
    data = [Record(n, tuple(r[:width])) for n, r in enumerate(padded[rows:], start=rows + 1)
            if any(cell_text(c) for c in r[:width])]
    return Export(file, sheet, tool, encoding, delimiter, rows, header, columns, data, list(warnings)), []


# --------------------------------------------------------------------------------------------------
# Finding a column a mapping names


class ColumnRef(BaseModel):
    """A mapping's reference to one column: by heading (any header row), ImportId, or column letter.

    `{heading: "Other (please specify)", occurrence: 2}` is the second column so headed, counting from
    the left; `question:` narrows a heading to the columns under one question (SurveyMonkey's row 1).
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    heading: str | None = Field(default=None, description="the text of any header row (trimmed, spaces collapsed, case folded)")
    question: str | None = Field(default=None, description="only columns under this question heading (row 1)")
    occurrence: int | None = Field(default=None, ge=1, description="the n-th column with this heading, from the left")
    import_id: str | None = Field(default=None, description="Qualtrics' ImportId, e.g. QID12")
    column: str | None = Field(default=None, description="the column letter, e.g. K")

    @model_validator(mode="after")
    def _one_way(self) -> "ColumnRef":
        ways = [w for w in ("heading", "import_id", "column") if getattr(self, w) is not None]
        if len(ways) != 1:
            raise ValueError("give one of heading, import_id or column")
        if self.occurrence is not None and self.heading is None:
            raise ValueError("occurrence goes with heading")
        if self.column is not None and not re.fullmatch(r"[A-Za-z]{1,3}", self.column.strip()):
            raise ValueError(f"column {self.column!r} is not a column letter such as 'K' or 'AB'")
        return self

    @classmethod
    def of(cls, ref: "str | ColumnRef") -> "ColumnRef":
        """A plain heading string as a reference."""
        return ref if isinstance(ref, ColumnRef) else cls(heading=ref)

    def describe(self) -> str:
        if self.column is not None:
            return f"column {self.column.strip().upper()}"
        if self.import_id is not None:
            return f"ImportId {self.import_id!r}"
        text = repr(self.heading)
        if self.question is not None:
            text += f" under {self.question!r}"
        return text + (f" (occurrence {self.occurrence})" if self.occurrence else "")


def _candidate(column: Column, wanted: str) -> str:
    rows = [f"row {n}" for n, t in enumerate(column.texts, start=1) if normalise(t) == wanted] or ["ImportId"]
    return f"column {column.letter} ({', '.join(rows)}: {column.heading!r})"


def find_column(export: Export, ref: ColumnRef, mapping_name: str, section: str) -> tuple[Column | None, list[Problem]]:
    """The one column `ref` names; a heading matched by several columns is ambiguous unless `occurrence` says which.

    A heading matches a column when any header row's own text equals it after normalising; row 1 texts
    forward-filled from a question to its left only count when no column carries the text itself.
    """
    named = f"(named in {mapping_name}, {section})"
    if ref.column is not None:
        index = column_index_from_string(ref.column.strip().upper()) - 1
        if index < len(export.columns):
            return export.columns[index], []
        return None, [Problem(export.where, f"no column {ref.column.strip().upper()} {named}: the export has "
                              f"{len(export.columns)} columns (A to {export.columns[-1].letter if export.columns else 'A'})",
                              column=ref.column, expected="a column letter within the export")]
    if ref.import_id is not None:
        matches = [c for c in export.columns if c.import_id is not None and normalise(c.import_id) == normalise(ref.import_id)]
        wanted = ""
    else:
        wanted = normalise(ref.heading or "")
        pool = export.columns
        if ref.question is not None:
            pool = [c for c in pool if normalise(c.texts[0]) == normalise(ref.question)]
        own = [c for c in pool if any(normalise(t) == wanted for n, t in enumerate(c.texts) if not (n == 0 and c.forward_filled))]
        matches = own or [c for c in pool if any(normalise(t) == wanted for t in c.texts)]
        if ref.occurrence is not None:
            if ref.occurrence <= len(matches):
                return matches[ref.occurrence - 1], []
            return None, [Problem(export.where, f"occurrence {ref.occurrence} of {ref.heading!r} {named}, but only "
                                  f"{len(matches)} column(s) have that heading", column=ref.heading, value=ref.occurrence,
                                  expected="one of: " + "; ".join(_candidate(c, wanted) for c in matches) if matches else
                                  "a heading of the export")]
    if len(matches) == 1:
        return matches[0], []
    if not matches:
        headings = list(dict.fromkeys(t for c in export.columns for t in c.texts if t and not _looks_like_import_id(t)))
        target = ref.import_id if ref.import_id is not None else ref.heading or ""
        return None, [Problem(export.where, f"no column {ref.describe()} {named}{did_you_mean(target, headings)}",
                              row=1, column=target,
                              expected="a heading of any header row, compared with spaces trimmed and collapsed and case "
                                       "ignored, or {column: <letter>}")]
    return None, [Problem(export.where, f"{len(matches)} columns match {ref.describe()} {named}: the mapping must say which",
                          column=ref.heading or ref.import_id, row=1,
                          expected="{heading: ..., occurrence: N} or {column: <letter>} for one of: "
                                   + "; ".join(_candidate(c, wanted) for c in matches))]


# --------------------------------------------------------------------------------------------------
# The personal-column screen


@dataclass(frozen=True)
class MetadataRule:
    """A heading survey tools write: personal (refused unless mapped or dropped) or tool metadata (listed to drop).

    `words` match whole words of any header row (camelCase and _ split: "RecipientEmail" is "recipient
    email"); `heading` matches a whole heading (normalised), for names too common to match as a word.
    """

    words: str = ""
    heading: str = ""
    personal: bool = True
    why: str = ""


# Tool metadata that is not personal (compared as whole headings, normalised): listed so a draft drops it.
TOOL_METADATA: dict[str, tuple[str, ...]] = {
    MICROSOFT_FORMS: ("ID", "Id", "Start time", "Completion time", "Last modified time", "Total points", "Quiz feedback"),
    GOOGLE_FORMS: ("Timestamp", "Score"),
    SURVEYMONKEY: ("RespondentID", "Respondent ID", "Collector ID", "CollectorID", "Start Date", "End Date"),
    QUALTRICS: ("StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
                "ResponseId", "ResponseID", "ResponseSet", "DistributionChannel", "UserLanguage", "Q_RecaptchaScore",
                "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore", "Q_RelevantIDFraudScore"),
    QUALTRICS_LEGACY: tuple(f"V{i}" for i in range(1, 11)),
    KOBOTOOLBOX: ("start", "end", "today", "audit", "audit_URL", "_id", "_uuid", "_submission_time", "_validation_status",
                  "_notes", "_status", "_tags", "_index", "_parent_table_name", "_parent_index", "_submission__id",
                  "_submission__uuid", "_submission__submission_time", "_submission__validation_status",
                  "_submission__notes", "_submission__status", "_submission__tags", "__version__", "_version_",
                  "meta/instanceID", "instanceID", "meta/rootUuid"),
    LIMESURVEY: ("Response ID", "Antwort ID", "Date submitted", "Datum Abgeschickt", "Last page", "Letzte Seite",
                 "Start language", "Start-Sprache", "Seed", "Date started", "Datum gestartet", "Date last action",
                 "submitdate", "lastpage", "startlanguage", "startdate", "datestamp"),
}

# Personal columns: who someone is, how to reach them, where they were, which device or account they used.
# Matched as whole words of any header row or ImportId, most specific first (the first match gives the reason).
PERSONAL_WORDS: tuple[tuple[str, str], ...] = (
    ("submitted by", "the account that submitted the form (KoboToolbox)"),
    ("username", "the account that submitted the form"),
    ("recipient", "the invited person's name or e-mail (Qualtrics)"),
    ("external reference", "an id linking the response to a person (Qualtrics)"),
    ("external data reference", "an id linking the response to a person (Qualtrics)"),
    ("externe datenreferenz", "an id linking the response to a person (Qualtrics)"),
    ("custom data", "data passed in with the invitation (SurveyMonkey)"),
    ("token", "an invitation token linking the response to a person (LimeSurvey)"),
    ("ip", "an IP address"),
    ("ipaddr", "an IP address (LimeSurvey)"),
    ("ip adresse", "an IP address"),
    ("refurl", "the page the respondent came from (LimeSurvey)"),
    ("referrer url", "the page the respondent came from (LimeSurvey)"),
    ("latitude", "where the respondent was (GPS)"),
    ("longitude", "where the respondent was (GPS)"),
    ("altitude", "where the respondent was (GPS)"),
    ("location accuracy", "where the respondent was (GPS)"),
    ("geopoint", "where the respondent was (GPS)"),
    ("gps", "where the respondent was (GPS)"),
    ("breitengrad", "where the respondent was (GPS)"),
    ("längengrad", "where the respondent was (GPS)"),
    ("deviceid", "a device id"),
    ("device id", "a device id"),
    ("imei", "a device id"),
    ("subscriberid", "a SIM card id"),
    ("simserial", "a SIM card id"),
    ("email", "an e-mail address"),
    ("e mail", "an e-mail address"),
    ("phonenumber", "a phone number"),
    ("phone", "a phone number"),
    ("telephone", "a phone number"),
    ("mobile", "a phone number"),
    ("name", "a name"),
    ("surname", "a name"),
    ("forename", "a name"),
    ("vorname", "a name"),
    ("nachname", "a name"),
    ("address", "an address"),
    ("post code", "a postcode"),
    ("postcode", "a postcode"),
    ("date of birth", "a date of birth"),
    ("dob", "a date of birth"),
    ("contact details", "contact details"),
    ("signature", "a signature"),
)

# One table, tool metadata first: a tool's own heading such as Kobo's `_parent_table_name` is not a name.
SCREEN: tuple[MetadataRule, ...] = (
    *(MetadataRule(heading=h, personal=False, why=f"{tool} metadata") for tool, names in TOOL_METADATA.items() for h in names),
    *(MetadataRule(words=words, why=why) for words, why in PERSONAL_WORDS),
)

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def heading_words(text: str) -> list[str]:
    """A heading as lower-case words: camelCase, snake_case, dots and dashes split ("IPAddress" -> ip, address)."""
    return [w.casefold() for w in _WORD.findall(_CAMEL.sub(" ", text))]


def _matches(rule: MetadataRule, text: str) -> bool:
    if rule.heading:
        return normalise(text) == normalise(rule.heading)
    wanted, words = rule.words.split(), heading_words(text)
    return any(words[i: i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def screen_rule(column: Column) -> MetadataRule | None:
    """What SCREEN says of a column: personal when any header row (or the ImportId) reads as personal, else
    tool metadata when any reads as such. Each text is taken by its first rule, so Kobo's
    `_parent_table_name` is metadata while legacy Qualtrics' `V3` over `Name` is personal."""
    texts = [t for t in column.texts if t and not _looks_like_import_id(t)]
    if column.forward_filled:
        texts = texts[1:]  # the question over an option column says nothing about this column
    if column.import_id:
        texts.append(column.import_id)
    found = [rule for text in texts if (rule := next((r for r in SCREEN if _matches(r, text)), None)) is not None]
    return next((rule for rule in found if rule.personal), found[0] if found else None)


def personal_columns(export: Export) -> list[tuple[Column, MetadataRule]]:
    """Columns that look personal, each with why."""
    return [(c, rule) for c in export.columns if (rule := screen_rule(c)) is not None and rule.personal]


def metadata_columns(export: Export) -> list[tuple[Column, MetadataRule]]:
    """Columns a survey tool adds that are not answers and not personal (ids, times, status): a draft drops them."""
    return [(c, rule) for c in export.columns if (rule := screen_rule(c)) is not None and not rule.personal]


def unscreened_personal(export: Export, handled: set[int], mapping_name: str) -> list[Problem]:
    """A problem for every personal-looking column that is neither mapped nor dropped (by 0-based index)."""
    return [Problem(export.where, f"this column looks personal ({rule.why}) and is neither mapped nor dropped", row=1,
                    column=column.label, expected=f"add it to drop: in {mapping_name} (it is never read), or map it")
            for column, rule in personal_columns(export) if column.index not in handled]
