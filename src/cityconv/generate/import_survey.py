"""`cityconv import-survey`: a survey tool's export, as downloaded, into a ward's survey files.

Real surveys come out of Microsoft Forms, Google Forms, SurveyMonkey, Qualtrics, KoboToolbox or
LimeSurvey with one to three header rows, labels or numeric codes, multi-answer questions joined in
one cell or spread over one column per option, free text, grids and rankings, and columns that must
never be copied (names, e-mail and IP addresses, locations). Reading the file is `export_reader`'s
job; this module is the mapping (YAML; every key in docs/importing.md) that says which column is which
question of the ward's questionnaire and which label is which code, and the build of the survey
files from it: `survey_responses.csv` (single, rating, numeric answers; one column per grid item and
ranking option), `survey_mentions.csv` (multi answers) and `survey_text.csv` (free text and "other,
please specify" text).

Rules (each a promise the tests check):
- every problem is reported at once, with the file and sheet, the row as numbered in the spreadsheet,
  the column, the value and what was expected, and "did you mean" for near misses;
- nothing is guessed: an answer that is neither in `values` nor a label or code of the questionnaire
  is an error, never a silent "other"; in option-per-column questions a value that is not declared
  `chosen`, `not_chosen` or `missing` is an error, never a tick; a blank answer is a missing answer;
- a column that looks personal must be dropped or mapped; free text is PII-screened before writing;
- test, preview and duplicate responses are left out only when the mapping says so (`skip`,
  `duplicates`), and the summary counts them;
- nothing is written unless the whole import succeeds: the new files are made and validated in a
  staging folder first; files that already hold data are replaced only with `replace=True`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cityconv.core.files import replace_all
from cityconv.core.limits import capped
from cityconv.core.params import did_you_mean, read_yaml_mapping, to_plain, validation_problems, yaml_line
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles
from cityconv.data.denylist import NoDenylistWarning, load_denylist
from cityconv.data.questionnaire import Question, Questionnaire, ward_questionnaire
from cityconv.generate.export_reader import ColumnRef, Export, HeaderRows, Record, read_export, unscreened_personal
from cityconv.generate.export_reader import cell_text as _cell_text
from cityconv.methods.pii import screen_table, screen_text

SURVEY_FILES = ("survey_responses", "survey_mentions")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
SLASHED_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")
ISO_DATE = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b")
MONTH_ONLY = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


# --------------------------------------------------------------------------------------------------
# The mapping file


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


Ref = str | ColumnRef
"""A column as a mapping names it: a heading (any header row), or {heading, occurrence}, {heading, question},
{import_id} or {column: <letter>} (generate.export_reader.ColumnRef)."""


class MonthColumn(_Strict):
    """The column holding when each response was made, and its date format when the order is ambiguous."""

    column: Ref = Field(description="the heading of a date or date-time column")
    format: str | None = Field(default=None, description='strptime format, e.g. "%m/%d/%Y %H:%M:%S"')


class MultiSource(_Strict):
    """Where a multi-answer question's answers are: one joined cell, or one column per option."""

    column: str | None = Field(default=None, description="the heading of the column holding joined answers")
    separator: str | None = Field(default=None, description='how answers are joined, e.g. ";" or ", "')
    question: str | None = Field(default=None, description="the question heading above the option columns")
    columns: dict[str, str] | None = Field(default=None, description="option heading -> our code (one column each)")
    chosen: list[str] | None = Field(default=None, description="option columns: the values that mean ticked")
    not_chosen: list[str] | None = Field(default=None, description='option columns: the values that mean not ticked (default [""])')
    missing: list[str] = Field(default_factory=list, description='option columns: values meaning "not asked", e.g. "N/A"')

    @model_validator(mode="after")
    def _one_way(self) -> "MultiSource":
        if (self.column is None) == (self.columns is None):
            raise ValueError("give either 'column' (with 'separator') or 'columns', not both or neither")
        if self.column is not None and not self.separator:
            raise ValueError(f"column {self.column!r}: 'separator' is needed (e.g. \";\" or \", \")")
        if self.columns is not None and self.separator is not None:
            raise ValueError("'separator' is only for 'column'")
        if self.column is not None and (self.chosen is not None or self.not_chosen is not None or self.missing):
            raise ValueError("'chosen', 'not_chosen' and 'missing' are only for 'columns' (one column per option)")
        overlap = set(self.chosen or ()) & (set(self.not_chosen or ()) | set(self.missing))
        if overlap or set(self.not_chosen or ()) & set(self.missing):
            raise ValueError("a value can be only one of chosen, not_chosen and missing")
        return self


class ItemColumns(_Strict):
    """A grid's items or a ranking's options: one column each."""

    question: str | None = Field(default=None, description="the question heading above the columns")
    columns: dict[str, str] = Field(description="column heading -> item code (grid) or option code (ranking)")


class Mapping(_Strict):
    """How one export's columns and labels become the ward's survey files."""

    header_rows: HeaderRows = "auto"
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    id: Ref | None = None
    month: MonthColumn | str | None = None
    month_format: str | None = None
    constants: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, Ref] = Field(default_factory=dict)
    multi: dict[str, MultiSource] = Field(default_factory=dict)
    items: dict[str, ItemColumns] = Field(default_factory=dict)
    other_text: dict[str, Ref] = Field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = Field(default_factory=dict)
    drop: list[Ref] = Field(default_factory=list)
    skip: dict[str, list[str]] = Field(default_factory=dict)
    duplicates: Literal["keep", "drop-exact"] = "keep"

    @property
    def month_constant(self) -> str | None:
        """`month: "2024-05"`: every response in that month."""
        return self.month if isinstance(self.month, str) and MONTH_ONLY.match(self.month) else None

    @property
    def month_column(self) -> tuple[Ref, str | None] | None:
        """The date column and its format, or None (a constant month, or no dates at all)."""
        if isinstance(self.month, MonthColumn):
            return self.month.column, self.month.format or self.month_format
        if isinstance(self.month, str) and not MONTH_ONLY.match(self.month):
            return self.month, self.month_format  # `month: "Heading"`, the older short form
        return None


MAPPING_SECTIONS = ("constants", "fields", "multi", "items", "other_text", "values", "drop", "skip")


def load_mapping(path: Path, root: Path) -> tuple[Mapping, Any]:
    """The mapping file, strictly validated (unknown keys, wrong types: every problem with its line)."""
    name = relative(path, root)
    raw = read_yaml_mapping(path, root, expected_keys=", ".join(Mapping.model_fields))
    plain = {k: v for k, v in to_plain(raw).items() if not (v is None and k in MAPPING_SECTIONS)}  # a section left empty
    try:
        return Mapping.model_validate(plain), raw
    except ValidationError as exc:
        raise InputError(validation_problems(exc, raw, name, Mapping)) from None


def _line(raw: Any, *keys: Any) -> int | None:
    node, line = raw, None
    for key in keys:
        if isinstance(node, dict) and key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (AttributeError, KeyError, TypeError):
                line = yaml_line(node[key]) or line
            node = node[key]
        else:
            break
    return line


SECTION_KINDS = {"fields": ("single", "rating", "numeric", "text"), "multi": ("multi",), "items": ("grid", "ranking")}
"""Which question kinds each mapping section takes."""


def _codes(question: Question) -> dict[str, str]:
    """Every code an answer to the question may take (options, then declared missing codes) -> its label."""
    return question.all_codes()


def _either(kinds: tuple[str, ...]) -> str:
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]


def check_mapping(mapping: Mapping, raw: Any, questionnaire: Questionnaire, name: str) -> list[Problem]:
    """What the mapping refers to must exist in the ward's questionnaire with the right kind; required ones mapped."""
    problems: list[Problem] = []
    mode = next(f for f in wardfiles.schema_descriptor("survey_responses")["fields"] if f["name"] == "mode")
    modes = [c["value"] for c in mode["categories"]]

    def fits(section: str, key: str, kinds: tuple[str, ...]) -> bool:
        if questionnaire.has(key) and questionnaire.question(key).kind in kinds:
            return True
        choices = [q.id for q in questionnaire.questions if q.kind in kinds] + (["mode"] if section == "fields" else [])
        found = f" (it is a {questionnaire.question(key).kind} question)" if questionnaire.has(key) else ""
        problems.append(Problem(name, f"{section}: {key!r} is not a {_either(kinds)} question of the ward's "
                                f"questionnaire{found}{did_you_mean(key, set(choices)) if not found else ''}",
                                line=_line(raw, section, key), expected="one of: " + ", ".join(choices)))
        return False

    for key in mapping.fields:
        if key != "mode":
            fits("fields", key, SECTION_KINDS["fields"])
    for key, value in mapping.constants.items():
        if key == "mode":
            if value not in modes:
                problems.append(Problem(name, f"constants.mode: unknown code{did_you_mean(value, set(modes))}",
                                        line=_line(raw, "constants", key), value=value,
                                        expected="one of: " + ", ".join(repr(c) for c in modes)))
        elif fits("constants", key, ("single", "rating")):
            codes = _codes(questionnaire.question(key))
            if value not in codes:
                problems.append(Problem(name, f"constants.{key}: unknown code{did_you_mean(value, set(codes))}",
                                        line=_line(raw, "constants", key), value=value,
                                        expected="one of: " + ", ".join(repr(c) for c in codes)))
        if key in mapping.fields:
            problems.append(Problem(name, f"{key!r} is both a constant and a field", line=_line(raw, "constants", key)))
    for key, source in mapping.multi.items():
        if fits("multi", key, SECTION_KINDS["multi"]):
            options = dict(questionnaire.question(key).options)
            for heading, code in (source.columns or {}).items():
                if code not in options:
                    problems.append(Problem(name, f"multi.{key}.columns[{heading!r}]: unknown code for {key!r}"
                                            f"{did_you_mean(code, set(options))}", line=_line(raw, "multi", key, "columns", heading),
                                            value=code, expected="one of: " + ", ".join(repr(c) for c in options)))
    for key, source in mapping.items.items():
        if fits("items", key, SECTION_KINDS["items"]):
            q = questionnaire.question(key)
            wanted = dict(q.items or {}) if q.kind == "grid" else dict(q.options)
            for heading, code in source.columns.items():
                if code not in wanted:
                    problems.append(Problem(name, f"items.{key}.columns[{heading!r}]: unknown "
                                            f"{'item' if q.kind == 'grid' else 'option'} of {key!r}{did_you_mean(code, set(wanted))}",
                                            line=_line(raw, "items", key, "columns", heading), value=code,
                                            expected="one of: " + ", ".join(repr(c) for c in wanted)))
    for key in mapping.other_text:
        if fits("other_text", key, ("single", "multi")) and not questionnaire.question(key).other:
            problems.append(Problem(name, f"other_text: question {key!r} has no 'other' option in the questionnaire",
                                    line=_line(raw, "other_text", key),
                                    expected=f"other: <the option code that carries typed text> under {key!r} in questionnaire.yml"))
    mapped = set(mapping.fields) | set(mapping.multi) | set(mapping.items)
    for key, table in mapping.values.items():
        if key not in mapped:
            problems.append(Problem(name, f"values: {key!r} is not a question mapped under fields, multi or items"
                                    f"{did_you_mean(key, mapped)}", line=_line(raw, "values", key),
                                    expected="a key of 'fields', 'multi' or 'items'"))
            continue
        if key == "mode":
            codes = dict.fromkeys(modes, "")
        else:
            q = questionnaire.question(key)
            if q.kind in ("numeric", "text", "ranking"):
                continue  # a label maps to a number, a rank or null; checked on each cell
            codes = _codes(q)
        for label, code in table.items():
            if code is not None and code not in codes:
                problems.append(Problem(name, f"values.{key}[{label!r}]: unknown code for {key!r}{did_you_mean(code, set(codes))}",
                                        line=_line(raw, "values", key, label), value=code,
                                        expected="one of: " + ", ".join(repr(c) for c in codes) + ", or null for a missing answer"))
    problems += _columns_used_twice(mapping, raw, name)
    for q in questionnaire.questions:
        if q.required and q.id not in mapping.fields and q.id not in mapping.constants:
            problems.append(Problem(name, f"{q.id!r} is a required question: map it under 'fields' or give it under 'constants'",
                                    expected=f"fields: {{{q.id}: <column heading>}} or constants: {{{q.id}: <code>}}"))
    return problems


def _columns_used_twice(mapping: Mapping, raw: Any, name: str) -> list[Problem]:
    """An export column mapped to two of our fields: one of them would be filled from the wrong answers."""
    uses: dict[Ref, list[tuple[str, tuple[Any, ...]]]] = {}
    if mapping.id:
        uses.setdefault(mapping.id, []).append(("id", ("id",)))
    if mapping.month_column:
        uses.setdefault(mapping.month_column[0], []).append(("month", ("month",)))
    for key, heading in mapping.fields.items():
        uses.setdefault(heading, []).append((f"fields.{key}", ("fields", key)))
    for key, heading in mapping.other_text.items():
        uses.setdefault(heading, []).append((f"other_text.{key}", ("other_text", key)))
    for key, source in mapping.multi.items():
        if source.column is not None:
            uses.setdefault(source.column, []).append((f"multi.{key}.column", ("multi", key, "column")))
    return [Problem(name, f"export column {heading!r} is mapped more than once ({', '.join(u for u, _ in used)})",
                    line=_line(raw, *used[1][1]), value=heading, expected="each export column mapped to one field")
            for heading, used in uses.items() if len(used) > 1]


# --------------------------------------------------------------------------------------------------
# Reading an export


Sheet = Export  # the export as build_import reads it (generate.export_reader)


# --------------------------------------------------------------------------------------------------
# Months


def _month_from_excel(value: Any) -> str | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < float(value) < 80000:
        day = EXCEL_EPOCH + dt.timedelta(days=float(value))  # an Excel date serial number
        return f"{day.year:04d}-{day.month:02d}"
    return None


def month_order(texts: list[str]) -> str | None:
    """'dmy' or 'mdy' when the whole column shows which (a first number above 12: day first), else None."""
    day_first = month_first = False
    for text in texts:
        m = SLASHED_DATE.match(text)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first and not month_first:
        return "dmy"
    if month_first and not day_first:
        return "mdy"
    return None


def months(sheet: Sheet, column: int, fmt: str | None) -> tuple[dict[int, str], list[Problem]]:
    """YYYY-MM for every row (keyed by spreadsheet row), from Excel dates, ISO text or day/month text."""
    out: dict[int, str] = {}
    problems: list[Problem] = []
    heading = sheet.display(column)
    texts = [_cell_text(cells[column]) for _, cells in sheet.rows]
    order = None
    slashed = [t for t in texts if SLASHED_DATE.match(t)]
    if fmt is None and slashed:
        order = month_order(slashed)
        if order is None:
            sample = next(t for t in slashed)
            return {}, [Problem(sheet.where, "cannot tell whether the dates are day/month or month/day: no day above 12 "
                                "in this column", column=heading, value=sample,
                                expected='month_format in the mapping, e.g. month_format: "%d/%m/%Y %H:%M:%S" or "%m/%d/%Y %I:%M:%S %p"')]
    for (number, cells), text in zip(sheet.rows, texts):
        value = cells[column]
        month = _month_from_excel(value) if not isinstance(value, str) else None
        if month is None and text:
            if fmt is not None:
                try:
                    parsed = dt.datetime.strptime(text, fmt)
                    month = f"{parsed.year:04d}-{parsed.month:02d}"
                except ValueError:
                    month = None
            elif (m := ISO_DATE.match(text)) or (m := MONTH_ONLY.match(text)):
                month = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
            elif (m := SLASHED_DATE.match(text)):
                d, mo = (m.group(1), m.group(2)) if order == "dmy" else (m.group(2), m.group(1))
                year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
                month = f"{year:04d}-{int(mo):02d}" if 1 <= int(mo) <= 12 and 1 <= int(d) <= 31 else None
        if not text:
            problems.append(Problem(sheet.where, "date is blank", row=number, column=heading,
                                    expected="the date the response was received"))
        elif month is None or not re.match(r"^20\d{2}-(0[1-9]|1[0-2])$", month):
            problems.append(Problem(sheet.where, "not a date", row=number, column=heading, value=text,
                                    expected=(f"a date in the form {fmt!r}" if fmt else
                                              "an Excel date, YYYY-MM-DD, or day/month/year text")))
        else:
            out[number] = month
    return out, problems


# --------------------------------------------------------------------------------------------------
# Labels


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass
class LabelTable:
    """label (as exported) -> code for one question: the mapping's `values`, then the questionnaire's labels and codes.

    A `values` entry mapped to null (`"N/A": null`) declares a missing answer: it reads as "" (no answer).
    """

    codes: dict[str, str]  # code -> questionnaire label (options, then missing codes)
    extra: dict[str, str | None] = field(default_factory=dict)  # mapping values: export label -> code or None

    def declared(self, label: str) -> str | None:
        """The mapping's own entry for a label ("" when it declares the label missing), or None when it has none."""
        if label in self.extra:
            return self.extra[label] or ""
        wanted = _norm(label)
        for known, code in self.extra.items():
            if _norm(known) == wanted:
                return code or ""
        return None

    def lookup(self, label: str) -> str | None:
        declared = self.declared(label)
        if declared is not None:
            return declared
        wanted = _norm(label)
        for code, known in self.codes.items():
            if _norm(known) == wanted or _norm(code) == wanted:
                return code
        return None

    def expected(self) -> list[str]:
        return list(self.extra) + [l for l in self.codes.values() if l not in self.extra]


def _safe_value(value: str) -> str:
    """An answer as an error message may show it: withheld when it looks like personal information."""
    with warnings.catch_warnings():  # the deny-list note belongs to the PII screen of written files, not here
        warnings.simplefilter("ignore", NoDenylistWarning)
        hits = screen_text(value, load_denylist())
    return f"[withheld: {hits[0].hint}]" if hits else value


def _unknown_label(sheet: Sheet, number: int, heading: str, value: str, table: LabelTable, qid: str) -> Problem:
    expected = table.expected()
    hint = did_you_mean(value, expected)
    return Problem(sheet.where, f"answer not in the mapping or the questionnaire for {qid!r}{hint}", row=number,
                   column=heading, value=_safe_value(value),
                   expected="one of: " + ", ".join(repr(e) for e in expected) + f" (or add it under values: {qid})")


def split_answers(cell: str, separator: str, table: LabelTable) -> list[str]:
    """The answers joined in one cell, keeping labels that themselves contain the separator together.

    Google Forms joins with ", " though a label may read "Sense of community, neighbours": pieces are
    re-joined greedily where the joined text is a known label. Empty pieces (Forms' trailing ";") go.
    """
    pieces = [p.strip() for p in cell.split(separator.strip() or separator)]
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            joined = (separator.strip() + " ").join(pieces[i:j]) if separator.strip() else separator.join(pieces[i:j])
            if j - i > 1 and table.lookup(joined) is not None:
                out.append(joined)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return [p for p in out if p]


# --------------------------------------------------------------------------------------------------
# The import


@dataclass
class Imported:
    """The survey files an import would write, and what the researcher should know."""

    responses: list[dict[str, str]]
    mentions: list[dict[str, str]]
    ignored: list[str]  # columns neither mapped nor dropped (not personal-looking): not read
    texts: list[dict[str, str]] = field(default_factory=list)  # survey_text rows: free text and "other" text
    skipped: dict[str, int] = field(default_factory=dict)  # "Status = 2" -> rows left out by `skip`
    duplicates: int = 0  # rows left out by `duplicates: drop-exact`
    read_as: str = ""  # how the export was read: tool, encoding, delimiter, header rows (export_reader)
    warnings: list[Problem] = field(default_factory=list)  # read anyway (e.g. stray bytes read as cp1252)


class Columns:
    """The export's columns a mapping names (generate.export_reader finds them), each read by one key only."""

    def __init__(self, sheet: Sheet, mapping_name: str) -> None:
        self.sheet = sheet
        self.mapping_name = mapping_name
        self.used: dict[int, str] = {}  # column -> what reads it

    OCCURRENCE = re.compile(r"^(?P<heading>.*\S)\s+#(?P<n>\d+)$", re.DOTALL)
    """A heading key "Heading #2": the second column so headed (a key of `columns:` cannot be a reference)."""

    def find(self, ref: Ref, section: str, question: str | None = None) -> tuple[int | None, list[Problem]]:
        if isinstance(ref, str) and question is not None:
            ref = ColumnRef(heading=ref, question=question)
        column, problems = self.sheet.find(ref, self.mapping_name, section)
        wanted = ref.heading if isinstance(ref, ColumnRef) else ref
        if column is None and wanted and (m := self.OCCURRENCE.match(wanted)) and (
                not isinstance(ref, ColumnRef) or ref.occurrence is None):
            again = ColumnRef(heading=m.group("heading"), occurrence=int(m.group("n")), question=question)
            column, second = self.sheet.find(again, self.mapping_name, section)
            problems = second if column is None else []
        if column is None:
            return None, problems
        if column.index in self.used:
            return None, [Problem(self.sheet.where, f"column {column.label!r} is read twice ({self.used[column.index]} and "
                                  f"{section})", row=1, column=column.label, expected="each export column mapped once")]
        self.used[column.index] = section
        return column.index, []

    def dropped(self, ref: Ref) -> list[int]:
        """The columns a `drop:` entry names: every column with that heading (duplicates too), or the one a reference finds."""
        if isinstance(ref, ColumnRef):
            column, _ = self.sheet.find(ref, self.mapping_name, "drop")
            return [column.index] if column is not None else []
        return [c.index for c in self.sheet.columns if any(_norm(t) == _norm(ref) for t in c.texts if t)]


def _kobo_twice(columns: Columns, joined: dict[int, str], per_option: dict[int, str]) -> list[Problem]:
    """KoboToolbox writes a select_multiple question twice (codes in one cell, and a 0/1 column per option): read one."""
    problems = []
    for i, qid in joined.items():
        name = columns.sheet.columns[i].texts[0]
        twins = [columns.sheet.display(j) for j in per_option if re.match(re.escape(name) + r"[./]", columns.sheet.columns[j].texts[0])]
        if twins:
            problems.append(Problem(columns.sheet.where, f"the answers of {name!r} are mapped twice: as one cell of codes "
                                    f"({qid}) and as one column per option ({per_option[next(iter(per_option))]}: "
                                    f"{', '.join(repr(t) for t in twins[:3])}…)", row=1, column=name,
                                    expected="one source per question: the joined column or the option columns, not both"))
    return problems


def _number(text: str, q: Question) -> tuple[str | None, str]:
    """A numeric answer as written to the survey file, or None and what was expected."""
    low, high = q.range if q.range else (None, None)
    wanted = ("a whole number" if q.integer else "a number") + (f" in {q.unit}" if q.unit else "") + (
        f" from {low:g} to {high:g}" if q.range else "")
    value = text.strip()
    if q.unit and value.casefold().endswith(q.unit.casefold()):
        value = value[: -len(q.unit)].strip()
    try:
        number = float(value)
    except ValueError:
        return None, wanted
    if number != number or number in (float("inf"), float("-inf")):
        return None, wanted
    if q.integer and not number.is_integer():
        return None, wanted
    if q.range and not (low <= number <= high):
        return None, wanted
    return (str(int(number)) if number.is_integer() else repr(number)), wanted


@dataclass
class Reader:
    """How one mapped column is read: which question, from which column, and with what table of labels."""

    qid: str
    index: int
    kind: str  # a question kind, "mode", or "other" (typed text of an "other" option)
    column: str  # the output column (survey_responses) or "" for texts and multi
    table: LabelTable | None = None


def build_import(sheet: Sheet, mapping: Mapping, raw_mapping: Any, questionnaire: Questionnaire,
                 mapping_name: str) -> tuple[Imported | None, list[Problem]]:
    """The rows of the survey files from an export, or every problem that stops the import."""
    problems = check_mapping(mapping, raw_mapping, questionnaire, mapping_name)
    if problems:
        return None, problems
    columns = Columns(sheet, mapping_name)

    def column(heading: str, section: str, question: str | None = None) -> int | None:
        index, found = columns.find(heading, section, question)
        problems.extend(found)
        return index

    def values(key: str, codes: dict[str, str]) -> LabelTable:
        return LabelTable(codes, dict(mapping.values.get(key, {})))

    id_col = column(mapping.id, "id") if mapping.id else None
    month_col = column(mapping.month_column[0], "month") if mapping.month_column else None
    readers: list[Reader] = []
    for key, heading in mapping.fields.items():
        index = column(heading, f"fields.{key}")
        if index is None:
            continue
        if key == "mode":
            mode = next(f for f in wardfiles.schema_descriptor("survey_responses")["fields"] if f["name"] == "mode")
            readers.append(Reader(key, index, "mode", "mode", values(key, {c["value"]: c["label"] for c in mode["categories"]})))
            continue
        q = questionnaire.question(key)
        table = values(key, _codes(q)) if q.kind in ("single", "rating") else values(key, {})
        readers.append(Reader(key, index, q.kind, "" if q.kind == "text" else key, table))
    for key, source in mapping.items.items():
        q = questionnaire.question(key)
        for heading, code in source.columns.items():
            index = column(heading, f"items.{key}", source.question)
            if index is not None:
                table = values(key, _codes(q)) if q.kind == "grid" else values(key, {})
                readers.append(Reader(key, index, q.kind, f"{key}__{code}", table))
    for key, heading in mapping.other_text.items():
        index = column(heading, f"other_text.{key}")
        if index is not None:
            readers.append(Reader(key, index, "other", ""))
    joined: dict[int, str] = {}
    per_option: dict[int, str] = {}
    option_cols: dict[str, dict[int, str]] = {}
    for key, source in mapping.multi.items():
        if source.column is not None:
            index = column(source.column, f"multi.{key}")
            if index is not None:
                joined[index] = key
        else:
            option_cols[key] = {}
            for heading, code in (source.columns or {}).items():
                index = column(heading, f"multi.{key}", source.question)
                if index is not None:
                    option_cols[key][index] = code
                    per_option[index] = key
    problems += _kobo_twice(columns, joined, per_option)
    skip_cols = {heading: column(heading, "skip") for heading in mapping.skip}
    dropped: set[int] = set()
    for ref in mapping.drop:
        matches = columns.dropped(ref)
        if not matches:
            tops = list(dict.fromkeys(t for c in sheet.columns for t in c.texts if t))
            shown = ref if isinstance(ref, str) else ref.describe()
            problems.append(Problem(mapping_name, f"drop: no column {shown!r} in the export{did_you_mean(shown, tops)}",
                                    line=_line(raw_mapping, "drop"), value=shown,
                                    expected="headings of the export: " + ", ".join(repr(t) for t in tops[:40])))
        dropped.update(matches)
    read = set(columns.used) | dropped
    problems += unscreened_personal(sheet, read, mapping_name)
    ignored = [sheet.display(i) for i in range(len(sheet.columns)) if i not in read and sheet.columns[i].heading]
    if problems:
        return None, problems

    # rows left out: test and preview responses (`skip`), then exact duplicates (`duplicates: drop-exact`)
    skipped: dict[str, int] = {}
    kept: list[tuple[int, list[Any]]] = []
    seen_answers: set[tuple[str, ...]] = set()
    duplicates = 0
    answer_cols = sorted(set(columns.used) - {id_col, month_col, *skip_cols.values()})
    for number, cells in sheet.rows:
        reason = next((f"{heading} = {_cell_text(cells[index])}" for heading, index in skip_cols.items()
                       if index is not None and _cell_text(cells[index]) in mapping.skip[heading]), None)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        if mapping.duplicates == "drop-exact":
            answers = tuple(_cell_text(cells[i]) for i in answer_cols)
            if answers in seen_answers:
                duplicates += 1
                continue
            seen_answers.add(answers)
        kept.append((number, cells))
    rows = _with_records(sheet, kept)

    if month_col is not None:
        month_by_row, month_problems = months(rows, month_col, mapping.month_column[1])
        problems += month_problems
    else:
        month_by_row = {number: mapping.month_constant or "" for number, _ in kept}
    if id_col is not None:
        seen: dict[str, int] = {}
        for number, cells in kept:
            value = _cell_text(cells[id_col])
            if not value:
                problems.append(Problem(sheet.where, "response identifier is blank", row=number,
                                        column=sheet.display(id_col), expected="a value in every row"))
            elif value in seen:
                problems.append(Problem(sheet.where, f"response identifier also in row {seen[value]}", row=number,
                                        column=sheet.display(id_col), value=value, expected="each response once"))
            else:
                seen[value] = number

    responses, mentions, texts = [], [], []
    for position, (number, cells) in enumerate(kept, start=1):
        rid = f"S{position}"
        record = {"response_id": rid, "month": month_by_row.get(number, ""), **mapping.constants}
        typed_other: set[str] = set()  # questions whose "other, please specify" text this response filled in
        for reader in readers:
            value, problem = _read_cell(rows, number, cells, reader, questionnaire)
            if problem is not None:
                problems.append(problem)
            elif reader.kind in ("text", "other"):
                if value:
                    q = questionnaire.question(reader.qid)
                    texts.append({"response_id": rid, "question": reader.qid,
                                  "option": q.other if reader.kind == "other" else "", "text": value})
                    if reader.kind == "other":
                        typed_other.add(reader.qid)
            else:
                record[reader.column] = value or ""
        for qid in typed_other:  # typed "other" text is an answer "other" (LimeSurvey has no tick for it)
            q = questionnaire.question(qid)
            if q.kind == "single" and not record.get(qid):
                record[qid] = q.other
        responses.append(record)
        for key in mapping.multi:
            q = questionnaire.question(key)
            codes, found = _multi_codes(rows, number, cells, key, mapping.multi[key], joined, option_cols.get(key, {}),
                                        values(key, _codes(q)))
            problems += found
            if key in typed_other and q.other and q.other not in codes:
                codes.append(q.other)
            if q.max_answers is not None and len(codes) > q.max_answers:
                heading = " / ".join(dict.fromkeys(sheet.columns[i].texts[0] for i in option_cols.get(key, {}))) or next(
                    (sheet.display(i) for i, k in joined.items() if k == key), key)
                problems.append(Problem(sheet.where, f"{len(codes)} answers to {key!r}, which allows at most {q.max_answers}",
                                        row=number, column=heading, value=codes,
                                        expected=f"at most {q.max_answers} answers ({q.instruction or 'see the questionnaire'})"))
            mentions += [{"response_id": rid, "question": key, "code": c} for c in codes]
    order = {(q.id, c): (i, j) for i, q in enumerate(questionnaire.multi()) for j, c in enumerate(_codes(q))}
    mentions.sort(key=lambda m: (int(m["response_id"][1:]), order[(m["question"], m["code"])]))
    if not kept:
        first = (sheet.rows[0][0] if sheet.rows else sheet.header_rows + 1)
        problems.append(Problem(sheet.where, "the export has no responses" + (" left after skip/duplicates" if sheet.rows else ""),
                                row=first, expected="one row per response below the header"))
    if problems:
        return None, problems
    return Imported(responses, mentions, ignored, texts, skipped, duplicates, sheet.describe(), list(sheet.warnings)), []


def _with_records(sheet: Sheet, kept: list[tuple[int, list[Any]]]) -> Sheet:
    """The export with only the rows kept (after `skip` and `duplicates`)."""
    return replace(sheet, records=[Record(number, tuple(cells)) for number, cells in kept])


def _read_cell(sheet: Sheet, number: int, cells: list[Any], reader: Reader, questionnaire: Questionnaire) -> tuple[str | None, Problem | None]:
    """One cell's answer as the survey files hold it ("" for no answer), or the problem with it."""
    text = _cell_text(cells[reader.index])
    heading = sheet.display(reader.index)
    if reader.kind in ("text", "other"):
        shown = _safe_value(text)
        if shown != text:  # screened here, so the problem names the export's cell, not a row of survey_text.csv
            return None, Problem(sheet.where, f"free text for {reader.qid!r} may hold personal information", row=number,
                                 column=heading, value=shown,
                                 expected="no names, phone numbers, e-mail or postal addresses: redact them in a copy of "
                                          "the export, or drop the column")
        return text, None
    q = questionnaire.question(reader.qid) if reader.kind != "mode" else None
    assert reader.table is not None
    declared = reader.table.declared(text) if text else ""
    if declared is not None:  # blank, or a label the mapping maps (to a code, or to null: missing)
        if not declared and q is not None and q.required:
            return None, Problem(sheet.where, f"required answer is blank ({reader.qid!r})", row=number, column=heading,
                                 expected="one of: " + ", ".join(repr(e) for e in reader.table.expected()))
        if not declared or reader.kind not in ("numeric", "ranking"):
            return declared, None
        text = declared  # a label mapped to a number or rank
    if reader.kind == "numeric":
        assert q is not None
        value, wanted = _number(text, q)
        if value is None:
            return None, Problem(sheet.where, f"not a valid answer to {reader.qid!r}", row=number, column=heading,
                                 value=_safe_value(text), expected=wanted + f" (or map it under values: {reader.qid}, e.g. to null)")
        return value, None
    if reader.kind == "ranking":
        assert q is not None
        value = text[:-2] if text.endswith(".0") else text
        if not (value.isdigit() and 1 <= int(value) <= len(q.options)):
            return None, Problem(sheet.where, f"not a rank for {reader.qid!r}", row=number, column=heading, value=_safe_value(text),
                                 expected=f"a whole number from 1 to {len(q.options)} (or map it under values: {reader.qid})")
        return str(int(value)), None
    code = reader.table.lookup(text)
    if code is None:
        return None, _unknown_label(sheet, number, heading, text, reader.table, reader.qid)
    return code, None


def _limesurvey_option(heading: str) -> str:
    """"Question [option]" -> "option" (LimeSurvey's option columns)."""
    m = re.search(r"\[([^\]]*)\]\s*$", heading)
    return m.group(1).strip() if m else heading


CHOSEN_LABEL = "label"
"""In `chosen:`, the option's own label: its column's heading (SurveyMonkey writes it when ticked) or its label."""


def _multi_codes(sheet: Sheet, number: int, cells: list[Any], key: str, source: MultiSource, joined: dict[int, str],
                 option_cols: dict[int, str], table: LabelTable) -> tuple[list[str], list[Problem]]:
    """The codes ticked for one multi-answer question in one row, or the problems with its cells."""
    codes: list[str] = []
    problems: list[Problem] = []
    if source.column is not None:
        index = next((i for i, k in joined.items() if k == key), None)
        if index is None:
            return [], []
        text = _cell_text(cells[index])
        for label in split_answers(text, source.separator or ",", table) if text else []:
            code = table.lookup(label)
            if code is None:
                problems.append(_unknown_label(sheet, number, sheet.display(index), label, table, key))
            elif code and code not in codes:
                codes.append(code)
        return codes, problems
    not_chosen = [_norm(v) for v in (source.not_chosen if source.not_chosen is not None else [""])]
    missing = [_norm(v) for v in source.missing]
    for index, code in option_cols.items():
        text = _cell_text(cells[index])
        texts = [t for t in sheet.columns[index].texts if t]
        own_label = [*texts, _limesurvey_option(texts[0]) if texts else "", table.codes.get(code, code)]
        chosen = [_norm(n) for v in (source.chosen if source.chosen is not None else [CHOSEN_LABEL])
                  for n in (own_label if v == CHOSEN_LABEL else [v])]
        value = _norm(text)
        if value in chosen:
            if code not in codes:
                codes.append(code)
        elif value not in not_chosen and value not in missing:
            problems.append(Problem(sheet.where, f"neither chosen nor not chosen for {key!r}", row=number,
                                    column=sheet.display(index), value=_safe_value(text),
                                    expected=f"chosen: {source.chosen or [CHOSEN_LABEL]!r} or not_chosen: "
                                             f"{[*(source.not_chosen if source.not_chosen is not None else [''])]!r}"
                                             + (f" or missing: {source.missing!r}" if source.missing else
                                                f" (declare it under multi.{key}.missing if it means 'not asked')")))
    return codes, problems



# --------------------------------------------------------------------------------------------------
# Writing, all or nothing


def holds_data(path: Path) -> bool:
    """A file with rows below its header (a header-only template from `new-ward` holds none)."""
    if not path.exists():
        return False
    lines = [l for l in path.read_text(encoding="utf-8-sig", errors="replace").splitlines() if l.strip()]
    return len(lines) > 1


def write_tables(data_dir: Path, root: Path, tables: dict[str, list[dict[str, str]]], replace: bool,
                 remove: tuple[str, ...] = ()) -> list[Path]:
    """Write ward tables all or nothing: staged, validated with the rest of the folder, PII-screened, then moved.

    `tables` maps a file stem to its rows (columns in schema order, for the ward's questionnaire);
    `remove` names files that must go because they would refer to rows replaced here. Raises
    InputError, having written nothing, when a file holding data would be replaced without `replace`,
    or when the new files do not validate or carry possible personal information.
    """
    data_dir = Path(data_dir)
    questionnaire, problems = ward_questionnaire(data_dir, root)
    if problems:
        raise InputError(problems)
    touched = [data_dir / f"{stem}.csv" for stem in (*tables, *remove)]
    if not replace:
        problems = [Problem(relative(p, root), "already holds data; nothing was written",
                            expected="--replace to overwrite it with the import") for p in touched if holds_data(p)]
        if problems:
            raise InputError(problems)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir.parent))
    try:
        staged = staging / data_dir.name
        shutil.copytree(data_dir, staged)
        texts = {}
        for stem, rows in tables.items():
            columns = [f["name"] for f in wardfiles.ward_descriptor(stem, questionnaire)["fields"]]
            texts[stem] = wardfiles.csv_text(columns, rows)
            (staged / f"{stem}.csv").write_text(texts[stem], encoding="utf-8", newline="")
        for stem in remove:
            (staged / f"{stem}.csv").unlink(missing_ok=True)
        names = {f"{stem}.csv" for stem in tables}
        problems = [p for p in wardfiles.validate_data_dir(staged, staging)
                    if Path(p.file).name in names or Path(p.file).name == "questionnaire.yml"]
        for stem, rows in tables.items():
            columns = wardfiles.free_text_columns(stem)
            if columns and rows:
                frame = pd.DataFrame(rows).reindex(columns=columns)
                problems += screen_table(frame, columns, relative(data_dir / f"{stem}.csv", root), denylist=load_denylist())
        if problems:
            prefix, real = f"{data_dir.name}/", relative(data_dir, root)
            raise InputError([Problem(f"{real}/{p.file[len(prefix):]}" if p.file.startswith(prefix) else p.file,
                                      p.message, p.row, p.column, p.value, p.expected, p.line) for p in problems])
        moves = {staged / f"{stem}.csv": data_dir / f"{stem}.csv" for stem in tables}
        replace_all(moves, tuple(data_dir / f"{stem}.csv" for stem in remove), name=relative(data_dir, root))
        return list(moves.values())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def import_survey(data_dir: Path, export: Path, mapping_path: Path, root: Path, replace: bool = False) -> tuple[list[Path], Imported]:
    """Import one export into a ward's data folder; InputError with every problem, having written nothing."""
    data_dir = Path(data_dir)
    questionnaire, problems = ward_questionnaire(data_dir, root)
    if problems:
        raise InputError(problems)
    mapping, raw = load_mapping(mapping_path, root)
    sheet, problems = read_export(export, root, header_rows=mapping.header_rows, sheet=mapping.sheet,
                                  encoding=mapping.encoding, delimiter=mapping.delimiter)
    if sheet is None:
        raise InputError(problems)
    imported, problems = build_import(sheet, mapping, raw, questionnaire, relative(mapping_path, root))
    if imported is None:
        raise InputError(capped(problems, relative(export, root)))
    tables = {"survey_responses": imported.responses}
    remove: list[str] = []
    for stem, rows in (("survey_mentions", imported.mentions), ("survey_text", imported.texts)):
        if rows:
            tables[stem] = rows
        elif (data_dir / f"{stem}.csv").exists():
            remove.append(stem)  # it would refer to the responses this import replaces
    return write_tables(data_dir, root, tables, replace, tuple(remove)), imported


# --------------------------------------------------------------------------------------------------
# The commented template `new-ward` writes


def mapping_template(questionnaire: Questionnaire) -> str:
    """A commented mapping file for the ward's questionnaire, shaped like a Microsoft Forms export."""
    fields = "\n".join(f"  {q.id}: {_quote(q.text)}" for q in questionnaire.questions if q.kind in SECTION_KINDS["fields"])
    multis = "\n".join(f"  {q.id}: {{column: {_quote(q.text)}, separator: \";\"}}" for q in questionnaire.multi())
    items = "\n".join(f"  {q.id}: {{columns: {{" + ", ".join(
        f"{_quote(label)}: {code}" for code, label in ((q.items if q.kind == "grid" else q.options) or {}).items()) + "}}"
        for q in questionnaire.questions if q.kind in SECTION_KINDS["items"])
    example = next((q for q in questionnaire.questions if q.kind in ("single", "rating") and q.options), None)
    values = (f"  # {example.id}: {{{_quote(next(iter(example.options.values())) + ' (as your tool words it)')}: "
              f"{_quote(next(iter(example.options)))}, \"N/A\": null}}") if example and example.options else "  # (none)"
    return f"""\
# How `cityconv import-survey` reads your survey tool's export: which column holds which question of
# this ward's questionnaire (questionnaire.yml), and which answer label is which code.
#
#   cityconv import-survey <ward id> <export.xlsx or .csv> --mapping <this file>
#   cityconv import-survey <ward id> <export> --draft    # or: a draft of this file and the questionnaire
#
# A heading below is the text of any header row of the export (spaces and case aside; a near miss gets
# "did you mean"). Labels the export uses that equal the questionnaire's labels (or codes) need no
# entry under values:. Any other label is an error until you add it there: nothing is guessed.
# Written for a Microsoft Forms export; every key, and a worked example for each survey tool, is in
# docs/importing.md.

id: "ID"                   # column identifying a response; responses become S1, S2, ... in file order
month: {{column: "Completion time"}}   # a date column; or month: "2026-05" for all; or leave out (unknown)

constants:                 # fields the export does not hold, the same for every response
  mode: online             # online, telephone or paper

fields:                    # single, rating, numeric and free-text questions: our id -> the export's heading
{fields}

multi:                     # multi-answer questions: our question id -> where the answers are
{multis or "  # (none)"}
  # or, one column per option (SurveyMonkey; LimeSurvey with chosen: ["Ja"], not_chosen: ["Nein", ""], missing: ["N/A"]):
  # preferred_methods: {{chosen: [label], columns: {{"Social media": social_media, "Knocking on doors": doorstep}}}}

items:                     # grids and rankings: one column per item (grid) or option (ranking)
{items or "  # (none)"}

values:                    # the export's answer label -> our code, per question; null = a missing answer
{values}

drop: ["Email", "Name", "Start time"]   # columns never read: name every personal column here
"""


def _quote(text: str) -> str:
    import json

    return json.dumps(str(text), ensure_ascii=False)
