"""`cityconv import-survey`: a survey tool's export (.xlsx or .csv) into a ward's survey files.

Real surveys come out of Microsoft Forms, Google Forms, SurveyMonkey or Excel as one row per
respondent, question text as column headings, answer labels instead of codes, timestamps instead of
months, multi-answer questions joined in one cell (Forms: ";" with a trailing ";"; Google Forms:
", ") or spread over one column per option (SurveyMonkey, with a second header row of option
labels), and columns that must never be copied (name, e-mail). A mapping file (YAML, shape below)
says which column is which of the ward's questions and which label is which code; the ward's
questionnaire (`questionnaire.yml`) says which questions and codes exist.

    header_rows: auto          # or 1, 2, 3: heading rows above the responses (auto: from the tool's signature)
    sheet: "Sheet1"            # .xlsx only; default: the first sheet
    encoding: cp1252           # .csv only; default: UTF-8, else the bytes that are not UTF-8 read as cp1252
    delimiter: ";"             # .csv only; default: detected from the header record
    id: "ID"                   # column identifying a response; responses become S1, S2, ... in file order
    month: "Completion time"   # a date or date-time column; stored as YYYY-MM
    month_format: "%m/%d/%Y %I:%M:%S %p"   # only when day/month order cannot be inferred
    constants: {mode: online}  # fields the export does not hold, the same for every response
    fields: {age_band: "What is your age?"}            # single-answer fields -> column heading
    multi:                                             # multi-answer questions
      best_things: {column: "What are the best things?", separator: ";"}
      preferred_methods: {columns: {"Social media": social_media}}   # one column per option
    values: {age_band: {"Under 25": "16-24"}}          # the export's label -> our code
    drop: ["Email", "Name"]    # columns never read

Rules (each a promise the tests check):
- every problem is reported at once, with the sheet, the row as numbered in the spreadsheet, the
  column heading, the value and the labels expected, and "did you mean" for near misses;
- an answer label that is neither in `values` nor a label or code of the questionnaire is an error,
  never a silent "other"; a blank answer is a missing answer;
- a heading that looks personal (name, e-mail, phone, address, postcode, ...) must be dropped or
  mapped: an unnoticed personal column is an error;
- nothing is written unless the whole import succeeds: the new files are made and validated in a
  staging folder first; files that already hold data are replaced only with `replace=True`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cityconv.core.files import replace_all
from cityconv.core.limits import capped
from cityconv.core.params import did_you_mean, read_yaml_mapping, to_plain, validation_problems, yaml_line
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles
from cityconv.data.denylist import NoDenylistWarning, load_denylist
from cityconv.data.questionnaire import Questionnaire, ward_questionnaire
from cityconv.generate.export_reader import (
    ColumnRef,
    Export,
    HeaderRows,
    personal_columns,
    read_export,
    unscreened_personal,
)
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


class MultiSource(_Strict):
    """Where a multi-answer question's answers are: one joined cell, or one column per option."""

    column: str | None = Field(default=None, description="the heading of the column holding joined answers")
    separator: str | None = Field(default=None, description='how answers are joined, e.g. ";" or ", "')
    question: str | None = Field(default=None, description="two header rows: the question heading above the options")
    columns: dict[str, str] | None = Field(default=None, description="option heading -> our code (one column each)")

    @model_validator(mode="after")
    def _one_way(self) -> "MultiSource":
        if (self.column is None) == (self.columns is None):
            raise ValueError("give either 'column' (with 'separator') or 'columns', not both or neither")
        if self.column is not None and not self.separator:
            raise ValueError(f"column {self.column!r}: 'separator' is needed (e.g. \";\" or \", \")")
        if self.columns is not None and self.separator is not None:
            raise ValueError("'separator' is only for 'column'")
        return self


class Mapping(_Strict):
    """How one export's columns and labels become the ward's survey files."""

    header_rows: HeaderRows = "auto"
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    id: str | None = None
    month: str
    month_format: str | None = None
    constants: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)
    multi: dict[str, MultiSource] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)


def load_mapping(path: Path, root: Path) -> tuple[Mapping, Any]:
    """The mapping file, strictly validated (unknown keys, wrong types: every problem with its line)."""
    name = relative(path, root)
    raw = read_yaml_mapping(path, root, expected_keys="header_rows, sheet, encoding, delimiter, id, month, constants, fields, multi, values, drop")
    plain = {k: v for k, v in to_plain(raw).items()
             if not (v is None and k in ("constants", "fields", "multi", "values", "drop"))}  # a section left empty
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


def _single_fields(questionnaire: Questionnaire) -> dict[str, dict[str, str]]:
    """Single-answer fields the export may fill: `mode` and the questionnaire's single questions."""
    mode = next(f for f in wardfiles.schema_descriptor("survey_responses")["fields"] if f["name"] == "mode")
    out = {"mode": {c["value"]: c["label"] for c in mode["categories"]}}
    out.update({q.id: dict(q.options) for q in questionnaire.single()})
    return out


def check_mapping(mapping: Mapping, raw: Any, questionnaire: Questionnaire, name: str) -> list[Problem]:
    """What the mapping refers to must exist in the ward's questionnaire; required fields must be filled."""
    problems: list[Problem] = []
    single = _single_fields(questionnaire)
    multi = {q.id: dict(q.options) for q in questionnaire.multi()}

    def unknown(section: str, key: str, choices) -> None:
        problems.append(Problem(name, f"{section}: {key!r} is not a {'multi-answer' if section == 'multi' else 'single-answer'} "
                                f"question of the ward's questionnaire{did_you_mean(key, set(choices))}",
                                line=_line(raw, section, key), expected="one of: " + ", ".join(choices)))

    for section in ("fields", "constants"):
        for key in getattr(mapping, section):
            if key not in single:
                unknown(section, key, list(single))
    for key in mapping.constants.keys() & mapping.fields.keys():
        problems.append(Problem(name, f"{key!r} is both a constant and a field", line=_line(raw, "constants", key)))
    for key, value in mapping.constants.items():
        if key in single and value not in single[key]:
            problems.append(Problem(name, f"constants.{key}: unknown code{did_you_mean(value, set(single[key]))}",
                                    line=_line(raw, "constants", key), value=value,
                                    expected="one of: " + ", ".join(repr(c) for c in single[key])))
    for key, source in mapping.multi.items():
        if key not in multi:
            unknown("multi", key, list(multi))
            continue
        for heading, code in (source.columns or {}).items():
            if code not in multi[key]:
                problems.append(Problem(name, f"multi.{key}.columns[{heading!r}]: unknown code for {key!r}"
                                        f"{did_you_mean(code, set(multi[key]))}", line=_line(raw, "multi", key, "columns", heading),
                                        value=code, expected="one of: " + ", ".join(repr(c) for c in multi[key])))
    for key, table in mapping.values.items():
        codes = single.get(key) or multi.get(key)
        if codes is None or (key not in mapping.fields and key not in mapping.multi):
            problems.append(Problem(name, f"values: {key!r} is not a mapped field or multi question"
                                    f"{did_you_mean(key, set(mapping.fields) | set(mapping.multi))}",
                                    line=_line(raw, "values", key),
                                    expected="a key of 'fields' or 'multi'"))
            continue
        for label, code in table.items():
            if code not in codes:
                problems.append(Problem(name, f"values.{key}[{label!r}]: unknown code for {key!r}{did_you_mean(code, set(codes))}",
                                        line=_line(raw, "values", key, label), value=code,
                                        expected="one of: " + ", ".join(repr(c) for c in codes)))
    problems += _columns_used_twice(mapping, raw, name)
    needed = ["mode"] + [q.id for q in questionnaire.single() if q.required]
    for key in needed:
        if key not in mapping.fields and key not in mapping.constants:
            problems.append(Problem(name, f"{key!r} must be filled: map it under 'fields' or give it under 'constants'",
                                    expected=f"fields: {{{key}: <column heading>}} or constants: {{{key}: <code>}}"))
    return problems


def _columns_used_twice(mapping: Mapping, raw: Any, name: str) -> list[Problem]:
    """An export column mapped to two of our fields: one of them would be filled from the wrong answers."""
    uses: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    if mapping.id:
        uses.setdefault(mapping.id, []).append(("id", ("id",)))
    uses.setdefault(mapping.month, []).append(("month", ("month",)))
    for key, heading in mapping.fields.items():
        uses.setdefault(heading, []).append((f"fields.{key}", ("fields", key)))
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
    """label (as exported) -> code for one field: the mapping's `values`, then the questionnaire's labels and codes."""

    codes: dict[str, str]  # code -> questionnaire label
    extra: dict[str, str] = field(default_factory=dict)  # mapping values: export label -> code

    def lookup(self, label: str) -> str | None:
        if label in self.extra:
            return self.extra[label]
        wanted = _norm(label)
        for known, code in self.extra.items():
            if _norm(known) == wanted:
                return code
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
    read_as: str = ""  # how the export was read (tool, encoding, delimiter, header rows): Export.describe()
    warnings: list[Problem] = field(default_factory=list)  # read anyway, e.g. bytes that were not UTF-8


def _find_column(sheet: Sheet, heading: str | ColumnRef, section: str, mapping_name: str, line: int | None) -> tuple[int | None, list[Problem]]:
    column, problems = sheet.find(heading, mapping_name, section)
    return (column.index if column is not None else None), problems


def _option_columns(sheet: Sheet, source: MultiSource, qid: str, mapping_name: str) -> tuple[dict[int, str], list[Problem]]:
    out: dict[int, str] = {}
    problems: list[Problem] = []
    for option, code in (source.columns or {}).items():
        column, found = sheet.find(ColumnRef(heading=option, question=source.question), mapping_name, f"multi: {qid}")
        problems += found
        if column is not None:
            out[column.index] = code
    return out, problems


def build_import(sheet: Sheet, mapping: Mapping, raw_mapping: Any, questionnaire: Questionnaire,
                 mapping_name: str) -> tuple[Imported | None, list[Problem]]:
    """The rows of both survey files from an export, or every problem that stops the import."""
    problems = check_mapping(mapping, raw_mapping, questionnaire, mapping_name)
    single = _single_fields(questionnaire)
    multi_q = {q.id: q for q in questionnaire.multi()}

    used: set[int] = set()

    def column(heading: str, section: str) -> int | None:
        index, found = _find_column(sheet, heading, section, mapping_name, None)
        problems.extend(found)
        if index is not None:
            used.add(index)
        return index

    id_col = column(mapping.id, "id") if mapping.id else None
    month_col = column(mapping.month, "month")
    field_cols = {key: column(heading, "fields") for key, heading in mapping.fields.items() if key in single}
    multi_cols: dict[str, Any] = {}
    for qid, source in mapping.multi.items():
        if qid not in multi_q:
            continue
        if source.column is not None:
            multi_cols[qid] = column(source.column, "multi")
        else:
            found, option_problems = _option_columns(sheet, source, qid, mapping_name)
            problems.extend(option_problems)
            used.update(found)
            multi_cols[qid] = found
    dropped = set()
    for heading in mapping.drop:
        matches = [column.index for column in sheet.columns_headed(heading)]
        if not matches:
            tops = list(dict.fromkeys(t for t, _ in sheet.headings if t))
            problems.append(Problem(mapping_name, f"drop: no column headed {heading!r} in the export{did_you_mean(heading, tops)}",
                                    line=_line(raw_mapping, "drop"), value=heading,
                                    expected="headings of the export: " + ", ".join(repr(t) for t in tops)))
        dropped.update(matches)
    problems += unscreened_personal(sheet, used | dropped, mapping_name)
    personal = {column.index for column, _ in personal_columns(sheet)}
    ignored = [sheet.display(i) for i in range(len(sheet.headings))
               if i not in used | dropped | personal and sheet.display(i)]
    if problems:
        return None, problems

    month_by_row, month_problems = months(sheet, month_col, mapping.month_format)
    problems += month_problems
    if id_col is not None:
        seen: dict[str, int] = {}
        for number, cells in sheet.rows:
            value = _cell_text(cells[id_col])
            if not value:
                problems.append(Problem(sheet.where, "response identifier is blank", row=number,
                                        column=sheet.display(id_col), expected="a value in every row"))
            elif value in seen:
                problems.append(Problem(sheet.where, f"response identifier also in row {seen[value]}", row=number,
                                        column=sheet.display(id_col), value=value, expected="each response once"))
            else:
                seen[value] = number
    tables = {key: LabelTable(single[key], dict(mapping.values.get(key, {}))) for key in field_cols}
    multi_tables = {qid: LabelTable(dict(multi_q[qid].options), dict(mapping.values.get(qid, {}))) for qid in multi_cols}
    required = {q.id for q in questionnaire.single() if q.required} | {"mode"}

    responses, mentions = [], []
    for position, (number, cells) in enumerate(sheet.rows, start=1):
        rid = f"S{position}"
        record = {"response_id": rid, "month": month_by_row.get(number, ""), **mapping.constants}
        for key, index in field_cols.items():
            text = _cell_text(cells[index])
            if not text:
                record[key] = ""
                if key in required:
                    problems.append(Problem(sheet.where, f"required answer is blank ({key!r})", row=number,
                                            column=sheet.display(index),
                                            expected="one of: " + ", ".join(repr(e) for e in tables[key].expected())))
                continue
            code = tables[key].lookup(text)
            if code is None:
                problems.append(_unknown_label(sheet, number, sheet.display(index), text, tables[key], key))
            record[key] = code or ""
        responses.append(record)
        for qid, where in multi_cols.items():
            codes: list[str] = []
            if isinstance(where, int):
                heading = sheet.display(where)
                text = _cell_text(cells[where])
                source = mapping.multi[qid]
                for label in split_answers(text, source.separator, multi_tables[qid]) if text else []:
                    code = multi_tables[qid].lookup(label)
                    if code is None:
                        problems.append(_unknown_label(sheet, number, heading, label, multi_tables[qid], qid))
                    elif code not in codes:
                        codes.append(code)
            else:
                heading = " / ".join(dict.fromkeys(sheet.headings[i][0] for i in where)) or qid
                codes = [code for i, code in where.items() if _cell_text(cells[i])]
                codes = list(dict.fromkeys(codes))
            limit = multi_q[qid].max_answers
            if limit is not None and len(codes) > limit:
                problems.append(Problem(sheet.where, f"{len(codes)} answers to {qid!r}, which allows at most {limit}",
                                        row=number, column=heading, value=text if isinstance(where, int) else codes,
                                        expected=f"at most {limit} answers ({multi_q[qid].instruction or 'see the questionnaire'})"))
            mentions += [{"response_id": rid, "question": qid, "code": c} for c in codes]
    order = {(q.id, c): (i, j) for i, q in enumerate(questionnaire.multi()) for j, c in enumerate(q.options)}
    mentions.sort(key=lambda m: (int(m["response_id"][1:]), order[(m["question"], m["code"])]))
    if not sheet.rows:
        problems.append(Problem(sheet.where, "the export has no responses", row=sheet.header_rows + 1,
                                expected="one row per response below the header"))
    if problems:
        return None, problems
    return Imported(responses, mentions, ignored), []


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
    imported.read_as, imported.warnings = sheet.describe(), list(sheet.warnings)
    tables = {"survey_responses": imported.responses}
    remove: tuple[str, ...] = ()
    if imported.mentions:
        tables["survey_mentions"] = imported.mentions
    elif (data_dir / "survey_mentions.csv").exists():
        remove = ("survey_mentions",)  # it would refer to the responses this import replaces
    return write_tables(data_dir, root, tables, replace, remove), imported


# --------------------------------------------------------------------------------------------------
# The commented template `new-ward` writes


def mapping_template(questionnaire: Questionnaire) -> str:
    """A commented mapping file for the ward's questionnaire, shaped like a Microsoft Forms export."""
    single = [q for q in questionnaire.single()]
    multi = questionnaire.multi()
    fields = "\n".join(f"  {q.id}: {_quote(q.text)}" for q in single)
    multis = "\n".join(f"  {q.id}: {{column: {_quote(q.text)}, separator: \";\"}}" for q in multi)
    example = single[0] if single else None
    values = (f"  # {example.id}: {{{_quote(next(iter(example.options.values())) + ' (as your tool words it)')}: "
              f"{_quote(next(iter(example.options)))}}}") if example else "  # (none)"
    return f"""\
# How `cityconv import-survey` reads your survey tool's export: which column holds which question of
# this ward's questionnaire (questionnaire.yml), and which answer label is which code.
#
#   cityconv import-survey <ward id> <export.xlsx or .csv> --mapping <this file>
#
# Every heading below must be the text of one of the export's header rows; case, extra spaces and
# line breaks do not matter (a near miss gets "did you mean"). Labels the export uses that equal the questionnaire's labels (or codes) need no entry under
# values:. Any other label is an error until you add it there: nothing is guessed.
# Written for a Microsoft Forms export; see the field kit pages of the book for Google Forms and
# SurveyMonkey.

header_rows: auto          # or 1, 2, 3: heading rows above the responses (auto: from the tool's signature)
id: "ID"                   # column identifying a response; responses become S1, S2, ... in file order
month: "Completion time"   # a date or date-time column (Excel dates, ISO text, or day/month text)
# month_format: "%m/%d/%Y %I:%M:%S %p"   # needed only when day/month order cannot be inferred

constants:                 # fields the export does not hold, the same for every response
  mode: online             # online, telephone or paper

fields:                    # single-answer fields: our field -> the export's column heading
{fields}

multi:                     # multi-answer questions: our question id -> where the answers are
{multis}
  # or, one column per option (SurveyMonkey):
  # preferred_methods: {{columns: {{"Social media": social_media, "Knocking on doors": doorstep}}}}

values:                    # the export's answer label -> our code, per field or question
{values}

drop: ["Email", "Name", "Start time"]   # columns never read: name every personal column here
"""


def _quote(text: str) -> str:
    import json

    return json.dumps(str(text), ensure_ascii=False)
