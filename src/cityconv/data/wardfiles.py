"""A ward's engagement tables: schemas, validation, typed loading and the codebook.

Each ward keeps its tables in one folder (e.g. `data/clubmoor/`), one CSV per source, each described
by a frictionless Table Schema in `cityconv/data/schemas/ward/<file-stem>.schema.json`. The schema is the
single description of a file: types, required values, code lists with labels (`categories`, kept
identical to the `enum` constraint), ranges, primary and foreign keys, and the question wording that
the codebook prints. `codebook_markdown()` renders the codebook from the schemas, so the two cannot
drift.

Why frictionless rather than reading with pandas and checking the frame: frictionless validates the
file *as written*. It reports row numbers as they are in the file (header = row 1), short rows
(`missing-cell`), extra cells, blank rows and type errors in one pass; pandas would silently pad a
short row with NaN, drop a blank line, or coerce `"12a"` to object dtype and move on. We run
frictionless with `encoding="utf-8"` set explicitly (left to guess, it accepted a Latin-1 file as
cp1252); a UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted.

What frictionless does not do for us here, and this module does:
- check the header against the schema by name (missing required columns, unexpected columns,
  duplicate or blank labels): frictionless matches columns by name (`fieldsMatch: partial`) and we
  word the header problems ourselves;
- foreign keys between files (frictionless needs a whole Package for that, and cannot say "the file
  you refer to is absent");
- codes that depend on another column (`x-codes-by-question` in survey_mentions and survey_text_codes);
- the survey files' agreement with each other: text typed beside an "other" option the response did not
  choose (`check_other_text_ticked`), a coded answer that survey_text.csv does not hold
  (`check_coded_answers_typed`);
- the folder itself: unknown CSV names (with the expected names), required files missing.

Every problem is reported at once, as `cityconv.core.problems.Problem` (file relative to the project root,
row as numbered in the file, column, value, expectation). Nothing is coerced silently.

The survey files follow the ward's questionnaire (`questionnaire.yml` in its folder, see
`cityconv.data.questionnaire`): their schemas on disk hold only the columns that are not questions, and
`ward_descriptor` adds each question's column or codes, wording and labels. A folder without a
questionnaire is read with the City Conversation questionnaire; a questionnaire with problems is
reported with its lines, and the survey files wait until it is fixed. The data-entry workbook
(`<ward>-data-entry.xlsx`) may sit in the folder; it is imported, never read here.

Which files a ward must have: `objectives.csv` and `survey_responses.csv` (`x-required-file` in the
schemas). All others are optional; an absent source loads as `None` and chapters say so. A file
that refers to another (e.g. `survey_mentions.csv` -> `survey_responses.csv`) needs that file.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import math
import os
import re
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.core.escaping import myst_code, myst_escape
from cityconv.core.limits import CSV_BYTES, MAX_PROBLEMS, capped, csv_records, file_problem, read_input_bytes
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import schema_store
from cityconv.data.questionnaire import (
    QUESTIONNAIRE_FILE,
    Questionnaire,
    standard_questionnaire,
    ward_questionnaire,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xls", ".ods", ".tsv", ".txt", ".json"}
DATA_ENTRY_SUFFIX = "-data-entry.xlsx"  # the workbook `new-ward` writes: filled in, then imported, never read here

# The order files are listed in the codebook and in WardData.
FILE_ORDER = (
    "published_figures",
    "objectives",
    "training_sessions",
    "training_attendance",
    "survey_responses",
    "survey_mentions",
    "survey_text",
    "survey_text_codes",
    "interviews",
    "interview_themes",
    "social_media_posts",
    "workshops",
    "workshop_themes",
    "quotes",
    "findings_statements",
)


# --------------------------------------------------------------------------------------------------
# Folders the pipeline's planner has validated

#: Set by the pipeline for each notebook it runs: the fingerprints (`folder_fingerprint`) of the data
#: folders its plan validated, separated by spaces. A chapter run by hand has none, so it validates.
VALIDATED_FOLDERS_ENV = "CITYCONV_VALIDATED_FOLDERS"


def folder_fingerprint(folder: Path) -> str:
    """The folder's absolute path and its entries' names, sizes and modification times, as one digest.

    Why not the files' content: taking it must cost far less than the validation it stands in for,
    and any save of a file changes its modification time. Listing the folder also records it for the
    run cache, as the validation's listing did.
    """
    folder = Path(folder).resolve()
    digest = hashlib.sha256(str(folder).encode() + b"\0")
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            info = entry.stat()
            digest.update(f"{entry.name}\0{entry.is_dir()}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def validated_by_planner(folder: Path) -> bool:
    """Whether the pipeline that runs this notebook validated `folder` as it is now (so checking it again is waste)."""
    trusted = os.environ.get(VALIDATED_FOLDERS_ENV, "").split()
    return bool(trusted) and Path(folder).is_dir() and folder_fingerprint(folder) in trusted


# --------------------------------------------------------------------------------------------------
# Schemas


def _schema_texts(folder_name: str = "ward") -> dict[str, str]:
    return schema_store.schema_texts(folder_name)


def schema_descriptor(stem: str) -> dict[str, Any]:
    """The Table Schema (as a fresh dict) for the data file `<stem>.csv`, for the City Conversation questionnaire.

    A ward's own survey files follow its questionnaire: use `ward_descriptor(stem, questionnaire)`.
    """
    return ward_descriptor(stem, standard_questionnaire())


def ward_descriptor(stem: str, questionnaire: Questionnaire) -> dict[str, Any]:
    """The Table Schema of `<stem>.csv` for a ward whose survey follows `questionnaire`.

    The survey schemas on disk hold only the columns that are not questions (`x-questions`); the
    questions, their wording and codes are added from the questionnaire, so the schema, the codebook
    and the chapter read one description of the survey.
    """
    d = schema_store.schema_descriptor("ward", stem)
    kind = d.pop("x-questions", None)
    if kind == "single":
        # Census-compared questions first, as the City Conversation's files have them (readers match
        # columns by name; writers use this order), then every other question in questionnaire order.
        with_columns = [q for q in questionnaire.questions if q.response_columns()]
        ordered = [q for q in with_columns if q.census is not None] + [q for q in with_columns if q.census is None]
        d["fields"] += [f for q in ordered for f in _response_fields(q)]
        rankings = {q.id: q.response_columns() for q in questionnaire.of_kind("ranking")}
        if rankings:
            d["x-rankings"] = rankings
    elif kind == "multi":
        _describe_long_file(d, questionnaire.multi(), "code", lambda q: q.all_codes())
        multi = questionnaire.multi()
        d["x-codes-by-question"] = {"field": "code", "depends_on": "question",
                                    "codes": {q.id: list(q.all_codes()) for q in multi}}
        d["x-code-labels-by-question"] = {q.id: q.all_codes() for q in multi}
    elif kind == "text":
        typed = [q for q in questionnaire.questions if q.kind == "text" or q.other is not None]
        _describe_long_file(d, typed, "option", lambda q: {} if q.other is None else {q.other: q.all_codes()[q.other]})
        d["x-text-options"] = {q.id: q.other or "" for q in typed}
    elif kind == "text_codes":
        coded = questionnaire.coded()
        _describe_long_file(d, coded, "theme", lambda q: dict(q.themes or {}))
        d["x-codes-by-question"] = {"field": "theme", "depends_on": "question",
                                    "codes": {q.id: list(q.themes or {}) for q in coded}}
        d["x-code-labels-by-question"] = {q.id: dict(q.themes or {}) for q in coded}
    return d


def _describe_long_file(d: dict[str, Any], questions: list, code_column: str, codes_of) -> None:
    """A long file's `question` column (these questions) and code column (their codes, first label kept)."""
    codes: dict[str, str] = {}
    for q in questions:
        for code, label in codes_of(q).items():
            codes.setdefault(code, label)
    for f in d["fields"]:
        if f["name"] == "question":
            f["categories"] = [{"value": q.id, "label": q.labelled_text} for q in questions]
            f["constraints"]["enum"] = [q.id for q in questions]
        elif f["name"] == code_column:
            f["categories"] = [{"value": c, "label": label} for c, label in codes.items()]
            f["constraints"]["enum"] = list(codes)


def _response_fields(q) -> list[dict[str, Any]]:
    """A question's columns of survey_responses.csv as Table Schema fields: wording, codes, labels, ranges."""
    if q.kind in ("single", "rating"):
        return [_coded_field(q.id, q.short, q.text, q.all_codes(), q.is_ordered, q.required)]
    if q.kind == "grid":
        return [_coded_field(column, f"{q.short}: {label}", f"{q.text} — {label}", q.all_codes(), q.is_ordered, False)
                for column, label in zip(q.response_columns(), (q.items or {}).values())]
    if q.kind == "ranking":
        n = len(q.options or {})
        return [{"name": column, "title": f"{q.short}: {label}", "description": f"{q.text} — rank of {label!r}",
                 "type": "integer", "constraints": {"minimum": 1, "maximum": n}}
                for column, label in zip(q.response_columns(), (q.options or {}).values())]
    # numeric: checked by check_numeric_answers (a number in range, or one of its missing codes)
    field: dict[str, Any] = {
        "name": q.id, "title": q.short, "description": q.text + (f" ({q.unit})" if q.unit else ""),
        "type": "string", "constraints": {"required": True} if q.required else {},
        "x-numeric": {"integer": q.integer, "range": list(q.range) if q.range else None, "missing": dict(q.missing)},
    }
    if q.missing:
        field["categories"] = [{"value": c, "label": label} for c, label in q.missing.items()]
    return [field]


def _coded_field(name: str, title: str, description: str, codes: dict[str, str], ordered: bool,
                 required: bool) -> dict[str, Any]:
    """A column of codes as a Table Schema field: its wording, codes (options, then missing codes) and labels."""
    field: dict[str, Any] = {
        "name": name, "title": title, "description": description, "type": "string",
        "categories": [{"value": c, "label": label} for c, label in codes.items()],
        "constraints": ({"required": True} if required else {}) | {"enum": list(codes)},
    }
    if ordered:
        field["categoriesOrdered"] = True
    return field


def csv_text(columns: list[str], rows: list[dict[str, Any]] = ()) -> str:
    """A data file as every tool of ours writes one: the columns in order, one header row, LF line
    ends, None as an empty cell. A row key that is not a column is a bug, never silently dropped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"row keys {sorted(unknown)} are not columns of the file ({', '.join(columns)})")
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return out.getvalue()


# City-level sources (the citywide consultation of 2019): kept once, in `data/city/` beside the ward
# folders, with schemas in `schemas/city/`; every ward's chapters compare with the same copy.
CITY_FOLDER = "city"


def city_dir_for(data_dir: Path) -> Path:
    """The city-level folder for a ward's data folder: `data/city/` beside `data/<ward>/`."""
    return Path(data_dir).parent / CITY_FOLDER


def city_files() -> tuple[str, ...]:
    return tuple(sorted(_schema_texts(CITY_FOLDER)))


def city_schema_descriptor(stem: str) -> dict[str, Any]:
    return schema_store.schema_descriptor(CITY_FOLDER, stem)


def validate_city_dir(city_dir: Path, root: Path) -> list[Problem]:
    """Every problem in the city-level folder (an absent folder is fine: the chapters say "not available")."""
    city_dir = Path(city_dir)
    if not city_dir.is_dir():
        return []
    problems: list[Problem] = []
    for path in sorted(city_dir.glob("*.csv")):
        stem = path.name[:-4]
        if stem not in city_files():
            problems.append(unknown_csv_problem(path, city_files(), root, "city-level data file"))
            continue
        _, found = validate_table_file(path, relative(path, root), city_schema_descriptor(stem), root)
        problems += found
    return problems


def load_city_data(city_dir: Path, root: Path) -> dict[str, pd.DataFrame]:
    """The city-level tables, validated (unless the pipeline's plan did) and typed; raises InputError listing every problem."""
    problems = [] if validated_by_planner(city_dir) else validate_city_dir(city_dir, root)
    if problems:
        raise InputError(problems)
    frames = {}
    for stem in city_files():
        path = Path(city_dir) / f"{stem}.csv"
        if path.exists():
            raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False)
            frames[stem] = typed_frame(raw, city_schema_descriptor(stem))
    return frames


def known_files() -> tuple[str, ...]:
    """File stems with a schema, in codebook order (any schema not in FILE_ORDER goes last)."""
    stems = set(_schema_texts())
    return tuple(s for s in FILE_ORDER if s in stems) + tuple(sorted(stems - set(FILE_ORDER)))


def required_files() -> tuple[str, ...]:
    return tuple(s for s in known_files() if schema_descriptor(s).get("x-required-file"))


def _field_required(field: dict[str, Any]) -> bool:
    return bool(field.get("constraints", {}).get("required"))


def _frictionless_schema(descriptor: dict[str, Any]):
    """The schema as frictionless validates one file: cross-file foreign keys are checked here instead."""
    from frictionless import Schema

    d = {k: v for k, v in descriptor.items() if k in ("fields", "primaryKey", "missingValues")}
    d["fields"] = [{k: v for k, v in f.items() if not k.startswith("x-")} for f in d["fields"]]
    d["fieldsMatch"] = "partial"  # columns are matched by name, in any order; the header is checked by name in check_header
    return Schema.from_descriptor(d)


# --------------------------------------------------------------------------------------------------
# Validation


def _expected_for(field: dict[str, Any], constraint: str | None) -> str:
    c = field.get("constraints", {})
    if constraint == "enum":
        if not c["enum"]:
            return "no value: the questionnaire declares none for this column"
        return "one of: " + ", ".join(repr(v) for v in c["enum"])
    if constraint == "minimum":
        return f"a value >= {c['minimum']}"
    if constraint == "maximum":
        return f"a value <= {c['maximum']}"
    if constraint == "pattern":
        return f"text matching {c['pattern']}"
    if constraint == "required":
        return "a value (this column must not be blank)"
    if constraint == "unique":
        return "a value not used in another row"
    return _type_expectation(field)


def _type_expectation(field: dict[str, Any]) -> str:
    t = field.get("type", "string")
    return {
        "integer": "a whole number",
        "number": "a number",
        "date": "a date as YYYY-MM-DD",
        "boolean": "true or false",
        "string": "text",
    }.get(t, t)


def decode_utf8(path: Path, rel: str, root: Path) -> tuple[str | None, list[Problem]]:
    """A CSV file's text, refused before it is read when it is no regular file of the project or too big."""
    raw, refused = read_input_bytes(path, root, CSV_BYTES)
    if raw is None:
        return None, refused
    try:
        text = raw.decode("utf-8-sig")  # accepts, and drops, a UTF-8 byte-order mark
    except UnicodeDecodeError as exc:
        start = exc.start
        line = raw.count(b"\n", 0, start) + 1
        bad = raw[start : start + 4]
        return None, [
            Problem(
                rel,
                f"file is not UTF-8 encoded (invalid byte at position {start})",
                row=line,
                value=bad,
                expected="UTF-8 text; in Excel use 'Save As > CSV UTF-8'",
            )
        ]
    return text, []


def check_header(rel: str, header: list[str], descriptor: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    names = [f["name"] for f in descriptor["fields"]]
    seen: set[str] = set()
    for i, label in enumerate(header, start=1):
        if label.strip() == "":
            problems.append(Problem(rel, f"header cell {i} is blank", row=1, expected="a column name"))
        elif label in seen:
            problems.append(Problem(rel, "duplicate column name", row=1, column=label, value=label))
        elif label not in names:
            close = difflib.get_close_matches(label, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    rel,
                    f"unexpected column; {hint}".rstrip("; ").rstrip(),
                    row=1,
                    column=label,
                    value=label,
                    expected="columns: " + ", ".join(names),
                )
            )
        seen.add(label)
    for field in descriptor["fields"]:
        if field["name"] not in seen and _field_required(field):
            problems.append(
                Problem(
                    rel,
                    "required column is missing",
                    row=1,
                    column=field["name"],
                    expected=f"a column named {field['name']!r}",
                )
            )
    return problems


_CONSTRAINT_RE = re.compile(r'constraint "(\w+)"')


def _unique_header(text: str) -> tuple[str, dict[str, str]]:
    """Rename duplicate or blank header labels (already reported) so frictionless still checks the rows.

    Returns the text to validate and {placeholder: name to show in problems}.
    """
    records = list(csv.reader(io.StringIO(text, newline="")))
    header = records[0]
    if len(set(header)) == len(header) and all(label.strip() for label in header):
        return text, {}
    seen: set[str] = set()
    renamed, display = [], {}
    for i, label in enumerate(header, start=1):
        new = label
        if not label.strip() or label in seen:
            new = f"{label or 'blank'}__column_{i}"
            display[new] = f"{label} (column {i})" if label.strip() else f"(unnamed column {i})"
        seen.add(new)
        renamed.append(new)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(renamed)
    writer.writerows(records[1:])
    return out.getvalue(), display


def frictionless_problems(
    rel: str, text: str, descriptor: dict[str, Any], rows: dict[int, dict[str, str]]
) -> list[Problem]:
    from frictionless import Resource

    fields_by_name = {f["name"]: f for f in descriptor["fields"]}
    text, display = _unique_header(text)
    resource = Resource(
        data=text.encode("utf-8"),
        format="csv",
        encoding="utf-8",
        schema=_frictionless_schema(descriptor),
    )
    report = resource.validate(limit_errors=MAX_PROBLEMS.value + 1)
    problems: list[Problem] = []
    blank_rows: set[int] = set()
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    for e in errors:
        if e.type == "blank-row":
            blank_rows.add(e.row_number)
    for e in errors:
        kind = e.type
        row = getattr(e, "row_number", None)
        name = getattr(e, "field_name", None) or None
        name = display.get(name, name) if name else name
        cell = getattr(e, "cell", None)
        field = fields_by_name.get(name or "", {})
        if kind in ("incorrect-label", "missing-label", "extra-label", "duplicate-label", "blank-label"):
            continue  # the header is checked by name in check_header
        if kind == "blank-row":
            problems.append(Problem(rel, "blank row", row=row, expected="no blank rows inside the table"))
        elif kind == "missing-cell":
            problems.append(
                Problem(rel, "row is short: this cell is missing", row=row, column=name,
                        expected="as many cells as the header has columns")
            )
        elif kind == "extra-cell":
            problems.append(
                Problem(rel, f"row has an extra cell (position {e.field_number})", row=row, value=cell,
                        expected="as many cells as the header has columns")
            )
        elif kind == "type-error":
            problems.append(
                Problem(rel, "wrong type", row=row, column=name, value=cell, expected=_type_expectation(field))
            )
        elif kind == "constraint-error":
            m = _CONSTRAINT_RE.search(e.note or "")
            constraint = m.group(1) if m else None
            message = {
                "enum": "unknown code",
                "minimum": "value out of range",
                "maximum": "value out of range",
                "required": "required value is blank",
                "pattern": "value has the wrong form",
                "unique": "duplicate value",
            }.get(constraint or "", "value breaks a constraint")
            problems.append(
                Problem(rel, message, row=row, column=name, value=cell if cell != "" else None,
                        expected=_expected_for(field, constraint))
            )
        elif kind in ("primary-key", "unique-error"):
            if row in blank_rows:
                continue  # already reported as a blank row
            pk = descriptor.get("primaryKey", [])
            key = tuple(rows.get(row, {}).get(k, "") for k in pk)
            problems.append(
                Problem(rel, f"duplicate id: {e.note}", row=row, column=", ".join(pk),
                        value=key[0] if len(key) == 1 else key, expected="a unique " + " + ".join(pk))
            )
        else:
            problems.append(Problem(rel, f"{kind}: {e.note or e.message}", row=row, column=name, value=cell))
    return problems


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Data rows with their row number in the file (header = row 1); blank rows skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    header: list[str] | None = None
    for number, cells in enumerate(reader, start=1):
        if header is None:
            header = cells
            continue
        if not cells or all(c == "" for c in cells):
            continue
        out.append((number, dict(zip(header, cells))))
    return out


def _check_conditional_codes(rel: str, rows, descriptor: dict[str, Any]) -> list[Problem]:
    rule = descriptor.get("x-codes-by-question")
    if not rule:
        return []
    problems = []
    field, depends_on, codes = rule["field"], rule["depends_on"], rule["codes"]
    known = {code for allowed in codes.values() for code in allowed}
    for number, row in rows:
        key, value = row.get(depends_on), row.get(field)
        if key in codes and value in known and value not in codes[key]:  # an unknown code is reported by its enum
            problems.append(
                Problem(rel, f"unknown code for {depends_on} {key!r}", row=number, column=field, value=value,
                        expected="one of: " + ", ".join(repr(c) for c in codes[key]))
            )
    return problems


def check_numeric_answers(rel: str, rows, descriptor: dict[str, Any]) -> list[Problem]:
    """Numeric questions' cells: a number (whole where the question says so) within its range, or one of its
    missing codes. Checked here rather than by frictionless because a missing code is text in a number column."""
    numeric = {f["name"]: f["x-numeric"] for f in descriptor["fields"] if "x-numeric" in f}
    problems = []
    for number, row in rows:
        for column, rule in numeric.items():
            value = (row.get(column) or "").strip()
            if value == "" or value in rule["missing"]:
                continue
            expected = _numeric_expectation(rule)
            try:
                x = float(value)
            except ValueError:
                problems.append(Problem(rel, "not a number", row=number, column=column, value=value, expected=expected))
                continue
            low, high = rule["range"] or (-math.inf, math.inf)
            if not math.isfinite(x) or (rule["integer"] and not x.is_integer()) or not low <= x <= high:
                problems.append(Problem(rel, "number out of range" if math.isfinite(x) and (x < low or x > high)
                                        else "not a whole number" if math.isfinite(x) else "not a number",
                                        row=number, column=column, value=value, expected=expected))
    return problems


def _numeric_expectation(rule: dict[str, Any]) -> str:
    what = "a whole number" if rule["integer"] else "a number"
    if rule["range"]:
        what += f" from {rule['range'][0]:g} to {rule['range'][1]:g}"
    if rule["missing"]:
        what += ", or one of the missing codes " + ", ".join(repr(c) for c in rule["missing"])
    return what


def check_rankings(rel: str, rows, descriptor: dict[str, Any]) -> list[Problem]:
    """A ranking gives each rank once per response: two options ranked 2 is an error, a blank is unranked."""
    problems = []
    for number, row in rows:
        for question, columns in descriptor.get("x-rankings", {}).items():
            seen: dict[str, str] = {}
            for column in columns:
                rank = (row.get(column) or "").strip()
                if rank and rank in seen:
                    problems.append(Problem(rel, f"rank {rank} is given twice in this response (also to {seen[rank]})",
                                            row=number, column=column, value=rank,
                                            expected=f"each rank of {question!r} at most once in a response"))
                seen.setdefault(rank, column)
    return problems


def check_text_rows(rel: str, rows, descriptor: dict[str, Any]) -> list[Problem]:
    """survey_text.csv: a free-text answer leaves `option` blank, an "other" text names the question's other
    option, and a response types at most one text per question and option."""
    options = descriptor.get("x-text-options")
    if options is None:
        return []
    problems, seen = [], {}
    for number, row in rows:
        question, option = row.get("question") or "", (row.get("option") or "").strip()
        if question not in options:
            continue  # an unknown question is reported by its enum
        want = options[question]
        if option != want:
            problems.append(Problem(rel, "option does not match the question", row=number, column="option",
                                    value=option or None,
                                    expected=f"{want!r}, the question's other option" if want
                                    else "a blank option: the question is a free-text question"))
        key = (row.get("response_id") or "", question, option)
        if key in seen:
            problems.append(Problem(rel, f"a second text for this response and question (first in row {seen[key]})",
                                    row=number, column="response_id, question, option", value=key,
                                    expected="one row per response, question and option"))
        seen.setdefault(key, number)
    return problems


def check_other_text_ticked(parsed: dict[str, list], present: dict[str, Path], questionnaire: Questionnaire,
                            root: Path) -> list[Problem]:
    """Text typed beside an "other, please specify" option belongs to a response that chose that option.

    An error, not a warning: the record contradicts itself (the option's count leaves the response out
    while its text would be quoted as an "other" answer), and only the researcher can say which half is
    right. A chosen "other" with no text is fine: people often tick it and type nothing.
    """
    texts = parsed.get("survey_text")
    if not texts:
        return []
    others = {q.id: q for q in questionnaire.questions if q.other is not None}
    answers = {row.get("response_id", ""): row for _, row in parsed.get("survey_responses", [])}
    ticks = {(row.get("response_id", ""), row.get("question", ""), row.get("code", ""))
             for _, row in parsed.get("survey_mentions", [])}
    rel = relative(present["survey_text"], root)
    problems = []
    for number, row in texts:
        rid, qid, option = row.get("response_id", ""), row.get("question", ""), (row.get("option") or "").strip()
        q = others.get(qid)
        if q is None or option != q.other or rid not in answers:
            continue  # a wrong option or an unknown response is reported by its own check
        if q.kind == "single":
            chosen = (answers[rid].get(qid) or "").strip()
            if chosen != q.other:
                problems.append(Problem(
                    rel, f"text typed beside {q.other!r}, but the response chose {chosen!r} in survey_responses.csv"
                    if chosen else f"text typed beside {q.other!r}, but the response left {qid!r} blank in "
                    "survey_responses.csv", row=number, column="text", value=row.get("text"),
                    expected=f"{q.other!r} in column {qid!r} of survey_responses.csv for {rid}, or no text here"))
        elif (rid, qid, q.other) not in ticks:
            problems.append(Problem(
                rel, f"text typed beside {q.other!r}, but survey_mentions.csv has no {q.other!r} for this response",
                row=number, column="text", value=row.get("text"),
                expected=f"a row {rid},{qid},{q.other} in survey_mentions.csv, or no text here"))
    return problems


def check_coded_answers_typed(parsed: dict[str, list], present: dict[str, Path], questionnaire: Questionnaire,
                              root: Path) -> list[Problem]:
    """Every answer coded in survey_text_codes.csv is an answer in survey_text.csv (coding cannot invent one)."""
    codes = parsed.get("survey_text_codes")
    if not codes:
        return []
    rel = relative(present["survey_text_codes"], root)
    if "survey_text" not in present:
        return [Problem(rel, "codes answers, but survey_text.csv, which holds them, is missing",
                        column="response_id, question", expected="survey_text.csv in the same folder")]
    if "survey_text" not in parsed:
        return []  # survey_text.csv could not be read: its own problem is reported
    typed = {(row.get("response_id", ""), row.get("question", ""))
             for _, row in parsed["survey_text"] if not (row.get("option") or "").strip()}
    coded = {q.id for q in questionnaire.coded()}
    respondents = {row.get("response_id", "") for _, row in parsed.get("survey_responses", [])}
    return [Problem(rel, "coded answer is not in survey_text.csv", row=number, column="response_id, question",
                    value=f"{row.get('response_id', '')}, {row.get('question', '')}",
                    expected="a response and question with a typed answer in survey_text.csv")
            for number, row in codes
            if row.get("question") in coded and row.get("response_id") in respondents  # else reported as unknown
            and (row.get("response_id", ""), row.get("question", "")) not in typed]


EARLIEST_YEAR = 2000  # the ward schemas' months start with "20"; nothing here happened before 2000


def check_plausible_dates(rel: str, rows, descriptor: dict[str, Any], today: dt.date | None = None) -> list[Problem]:
    """Months and dates from 2000 to next year: a well-formed 2099-04 is a typing slip, not data."""
    latest = (today or dt.date.today()).year + 1
    columns = [f["name"] for f in descriptor["fields"] if f["name"] == "month" or f.get("type") == "date"]
    problems = []
    for number, row in rows:
        for column in columns:
            value = row.get(column) or ""
            year = value[:4]
            if year.isdigit() and not EARLIEST_YEAR <= int(year) <= latest:
                problems.append(Problem(rel, "date out of the plausible range", row=number, column=column, value=value,
                                        expected=f"a year from {EARLIEST_YEAR} to {latest}"))
    return problems


def free_text_columns(stem: str) -> list[str]:
    """Columns that hold free text, so the PII screen reads them: strings without a code list.

    Identifiers (primary and foreign keys) and coded columns cannot carry a name or a phone number
    that a schema would let through; anything else written as text might.
    """
    descriptor = schema_descriptor(stem)
    keys = set(descriptor.get("primaryKey") or [])
    for fk in descriptor.get("foreignKeys", []):
        fields = fk.get("fields")
        keys.update([fields] if isinstance(fields, str) else fields)
    return [
        f["name"]
        for f in descriptor["fields"]
        if f.get("type", "string") == "string"
        and "enum" not in f.get("constraints", {})
        and "pattern" not in f.get("constraints", {})
        and f["name"] not in keys
    ]


def unknown_csv_problem(path: Path, known, root: Path, noun: str) -> Problem:
    """A CSV whose name is not one of `known`, with the nearest name as a hint and the full list."""
    close = difflib.get_close_matches(path.name[:-4], list(known), n=1)
    hint = f"; did you mean {close[0]}.csv?" if close else ""
    return Problem(relative(path, root), f"unknown {noun}{hint}", value=path.name,
                   expected="one of: " + ", ".join(f"{s}.csv" for s in known))


def validate_table_file(path: Path, rel: str, descriptor: dict[str, Any], root: Path) -> tuple[list | None, list[Problem]]:
    """One CSV file against its Table Schema: encoding, header, then every cell (frictionless).

    Returns the file's rows (numbered as in the file) for cross-file checks, or None when the file
    could not be read as a table at all; and every problem found. Shared by ward data and evidence.
    """
    text, problems = decode_utf8(path, rel, root)
    if text is None:
        return None, problems
    if text.strip() == "":
        return None, problems + [Problem(rel, "file is empty", row=1, expected="a header row naming the columns")]
    records, unreadable = csv_records(text, rel)
    if records is None:
        return None, problems + unreadable
    problems += check_header(rel, records[0], descriptor)
    rows = read_rows(text)
    problems += frictionless_problems(rel, text, descriptor, dict(rows))
    return rows, capped(problems, rel)


def has_no_data_rows(data_dir: Path) -> bool:
    """True for a data folder with no data row in any file: a fresh scaffold (header-only templates) or
    a folder with no tables yet. Such a ward is "not started": the book shows its profile and lists it,
    instead of failing. A header row must still be a header (a file with only blank lines is not).
    """
    files = [p for p in Path(data_dir).iterdir() if p.is_file() and not p.name.startswith(".")
             and p.suffix.lower() in {".csv", *SPREADSHEET_SUFFIXES} and not p.name.endswith(DATA_ENTRY_SUFFIX)]
    for path in files:
        if path.suffix.lower() != ".csv" or file_problem(path, Path(data_dir).parent, CSV_BYTES):
            return False  # a spreadsheet holds something, a link out or a huge file: let validation report it
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return False
        if not lines or not lines[0].strip() or any(line.strip() for line in lines[1:]):
            return False
    return True


def validate_data_dir(data_dir: Path, root: Path) -> list[Problem]:
    """Every problem in a ward's data folder, in one list (empty when the folder is clean).

    Files are reported relative to `root`; rows as numbered in the file (header = row 1).
    """
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    known = known_files()
    if not data_dir.is_dir():
        return [Problem(relative(data_dir, root), "data folder not found", expected="a folder of CSV files")]

    questionnaire, q_problems = ward_questionnaire(data_dir, root)
    problems += q_problems
    present: dict[str, Path] = {}
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(".") or path.name.endswith(DATA_ENTRY_SUFFIX):
            continue
        if path.is_dir():
            if path.suffix.lower() == ".csv":
                problems.append(Problem(relative(path, root), "is a folder, not a file", expected="a CSV file"))
            continue
        suffix = path.suffix.lower()
        if suffix == ".csv":
            stem = path.name[:-4]
            if stem in known and path.suffix == ".csv":
                present[stem] = path
            elif stem in city_files():
                problems.append(Problem(
                    relative(path, root), "a city-level source, kept once for every ward, not in a ward's folder",
                    value=path.name, expected=f"the file in {relative(city_dir_for(data_dir), root)}/ only"))
            else:
                problems.append(unknown_csv_problem(path, known, root, "data file"))
        elif suffix in SPREADSHEET_SUFFIXES:
            problems.append(
                Problem(relative(path, root), "not a CSV file; tables must be saved as CSV (UTF-8)",
                        value=path.name, expected="one of: " + ", ".join(f"{s}.csv" for s in known))
            )

    for stem in required_files():
        if stem not in present:
            problems.append(
                Problem(relative(data_dir / f"{stem}.csv", root), "required file is missing",
                        expected=f"{stem}.csv in {relative(data_dir, root)}")
            )

    key_values: dict[str, dict[tuple[str, ...], set[tuple[str, ...]]]] = {}
    parsed: dict[str, list] = {}
    def descriptor_of(stem: str) -> dict[str, Any]:
        return ward_descriptor(stem, questionnaire or standard_questionnaire())

    for stem, path in present.items():
        if questionnaire is None and stem.startswith("survey_"):
            continue  # their columns and codes come from the questionnaire, whose problems are reported
        rel = relative(path, root)
        descriptor = descriptor_of(stem)
        rows, file_problems = validate_table_file(path, rel, descriptor, root)
        problems += file_problems
        if rows is None:
            continue
        if not rows and not descriptor.get("x-may-be-empty"):  # a fresh scaffold's header-only template: say what to do
            problems.append(
                Problem(rel, "required file has no data rows (only the header)", row=2,
                        expected="at least one row below the header; see CODEBOOK.md")
                if descriptor.get("x-required-file")
                else Problem(rel, "file has no data rows: fill it in, or delete it if the ward has no such source",
                             row=2, expected="rows below the header, or no file")
            )
        problems += _check_conditional_codes(rel, rows, descriptor)
        problems += check_numeric_answers(rel, rows, descriptor)
        problems += check_rankings(rel, rows, descriptor)
        problems += check_text_rows(rel, rows, descriptor)
        problems += check_plausible_dates(rel, rows, descriptor)
        parsed[stem] = rows

    # Cross-file references.
    if questionnaire is not None:
        problems += check_other_text_ticked(parsed, present, questionnaire, root)
        problems += check_coded_answers_typed(parsed, present, questionnaire, root)
    for stem, rows in parsed.items():
        descriptor = descriptor_of(stem)
        rel = relative(present[stem], root)
        for fk in descriptor.get("foreignKeys", []):
            target = fk["reference"]["resource"]
            local, remote = fk["fields"], fk["reference"]["fields"]
            if target not in parsed:
                if target in present or questionnaire is None:
                    continue  # the target could not be read; its own problem is reported
                problems.append(
                    Problem(rel, f"refers to {target}.csv, which is missing", column=", ".join(local),
                            expected=f"{target}.csv in {relative(data_dir, root)}")
                )
                continue
            cache = key_values.setdefault(target, {})
            if tuple(remote) not in cache:
                cache[tuple(remote)] = {tuple(r.get(c, "") for c in remote) for _, r in parsed[target]}
            targets = cache[tuple(remote)]
            for number, row in rows:
                value = tuple(row.get(c, "") for c in local)
                if any(v == "" for v in value):
                    continue  # blank values are reported by the required constraint
                if value not in targets:
                    problems.append(
                        Problem(rel, f"refers to a row that is not in {target}.csv", row=number,
                                column=", ".join(local), value=value[0] if len(value) == 1 else value,
                                expected=f"a {', '.join(remote)} present in {target}.csv")
                    )
    return problems


# --------------------------------------------------------------------------------------------------
# Typed loading


@dataclass(frozen=True)
class WardData:
    """One typed DataFrame per data file; `None` when the ward has no such source."""

    data_dir: Path
    published_figures: pd.DataFrame | None = None
    objectives: pd.DataFrame | None = None
    training_sessions: pd.DataFrame | None = None
    training_attendance: pd.DataFrame | None = None
    survey_responses: pd.DataFrame | None = None
    survey_mentions: pd.DataFrame | None = None
    survey_text: pd.DataFrame | None = None
    survey_text_codes: pd.DataFrame | None = None
    interviews: pd.DataFrame | None = None
    interview_themes: pd.DataFrame | None = None
    social_media_posts: pd.DataFrame | None = None
    workshops: pd.DataFrame | None = None
    workshop_themes: pd.DataFrame | None = None
    quotes: pd.DataFrame | None = None
    citywide_consultation_2019: pd.DataFrame | None = None
    findings_statements: pd.DataFrame | None = None
    questionnaire: Questionnaire | None = None  # the ward's survey questions (the template if it has no file)

    def available(self) -> list[str]:
        return [f.name for f in dc_fields(self)
                if f.name not in ("data_dir", "questionnaire") and getattr(self, f.name) is not None]


def typed_frame(df: pd.DataFrame, descriptor: dict[str, Any]) -> pd.DataFrame:
    out = {}
    n = len(df)
    for field in descriptor["fields"]:
        name, kind = field["name"], field.get("type", "string")
        col = df[name] if name in df.columns else pd.Series([""] * n, index=df.index, dtype=object)
        col = col.where(col != "", None)
        if "enum" in field.get("constraints", {}):
            dtype = pd.CategoricalDtype(field["constraints"]["enum"], ordered=bool(field.get("categoriesOrdered")))
            out[name] = col.astype(dtype)
        elif kind == "integer":
            out[name] = pd.array([None if v is None else int(v) for v in col], dtype="Int64")
        elif kind == "number":
            out[name] = pd.array([None if v is None else float(v) for v in col], dtype="Float64")
        elif kind == "date":
            out[name] = pd.to_datetime(col, format="%Y-%m-%d")
        else:
            out[name] = col.astype("string")
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def load_ward_data(data_dir: Path, root: Path | None = None) -> WardData:
    """Validate `data_dir` and load each file with the types its schema gives.

    Raises `InputError` listing every problem if the folder does not validate. Enumerated codes load
    as pandas categoricals (ordered where the schema says so), integers as Int64, numbers as Float64,
    dates as datetime64, text as string; blank cells are missing values. A column the schema allows
    to be absent loads as all-missing. Under the pipeline, a folder its plan validated, unchanged since,
    is not validated again (`validated_by_planner`); run by hand, it always is.
    """
    data_dir = Path(data_dir)
    root = Path(root) if root is not None else data_dir.parent
    problems = [] if validated_by_planner(data_dir) else validate_data_dir(data_dir, root)
    if problems:
        raise InputError(problems)
    questionnaire, _ = ward_questionnaire(data_dir, root)
    frames = {}
    for stem in known_files():
        path = data_dir / f"{stem}.csv"
        if path.exists():
            raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False)
            frames[stem] = typed_frame(raw, ward_descriptor(stem, questionnaire))
    frames.update(load_city_data(city_dir_for(data_dir), root))  # the same city-level copy for every ward
    accepted = {f.name for f in dc_fields(WardData)} - {"questionnaire"}
    return WardData(data_dir=data_dir, questionnaire=questionnaire,
                    **{k: v for k, v in frames.items() if k in accepted})


# --------------------------------------------------------------------------------------------------
# Codebook


def _md(text: object) -> str:
    """Schema or questionnaire text as one MyST table cell or list item: nothing in it can run or make structure."""
    return str(myst_escape(text))


def _table_code(text: object) -> str:
    """A code span inside a table cell: GFM splits cells at "|" even inside code, so the pipe is escaped."""
    return str(myst_code(text)).replace("|", "\\|")


def codebook_markdown(questionnaire: Questionnaire | None = None) -> str:
    """The human codebook for a ward's data folder, generated from the schemas and its questionnaire."""
    questionnaire = questionnaire or standard_questionnaire()
    lines = [
        "# Codebook: a ward's engagement data",
        "",
        "<!-- Generated by cityconv.data.wardfiles.codebook_markdown() from src/cityconv/data/schemas/ward/*.schema.json."
        " Do not edit by hand: edit the schemas and regenerate. -->",
        "",
        "One CSV file per source, UTF-8 (a byte-order mark is accepted), comma-separated, header in row 1,"
        " one row per record, blank cell = missing. Required files: "
        + ", ".join(f"`{s}.csv`" for s in required_files())
        + "; every other file is optional (an absent file means the ward has no such source).",
        "",
        "Provenance: **published** = stated in the source; **reconstructed** = response-level records made"
        " up to be consistent with the published summary (see README.md); **project interpretation** ="
        " our reading of the source.",
        "",
        f"Survey questions: from the questionnaire of {_md(questionnaire.ward)} (`{QUESTIONNAIRE_FILE}` in this folder;"
        " the City Conversation questionnaire when there is none)"
        + (", whose wording is reconstructed." if questionnaire.reconstructed else "."),
        "",
        *_questions_table(questionnaire),
    ]
    for stem in known_files():
        d = ward_descriptor(stem, questionnaire)
        lines += [f"## `{stem}.csv` — {d.get('title', stem)}", "", d.get("description", ""), ""]
        meta = [f"- Provenance: {d.get('x-provenance', 'not stated')}",
                f"- Required file: {'yes' if d.get('x-required-file') else 'no'}",
                f"- Primary key: {', '.join(f'`{k}`' for k in d.get('primaryKey', [])) or 'none'}"]
        for fk in d.get("foreignKeys", []):
            ref = fk["reference"]
            meta.append(
                f"- Foreign key: {', '.join(f'`{k}`' for k in fk['fields'])} → "
                f"`{ref['resource']}.csv` {', '.join(f'`{k}`' for k in ref['fields'])}"
            )
        ranked = {column for columns in d.get("x-rankings", {}).values() for column in columns}
        lines += meta + ["", "| column | type | required | description / question | allowed values |",
                         "|---|---|---|---|---|"]
        for field in d["fields"]:
            c = field.get("constraints", {})
            allowed = []
            if "x-numeric" in field:
                allowed.append(_md(_numeric_expectation({**field["x-numeric"], "missing": {}}))
                               + "".join(f"; or {_table_code(cat['value'])} = {_md(cat['label'])}"
                                         for cat in field.get("categories", [])))
            elif "categories" in field and "x-codes-by-question" not in d:
                allowed.append("; ".join(f"{_table_code(cat['value'])} = {_md(cat['label'])}" for cat in field["categories"]))
                if field.get("categoriesOrdered"):
                    allowed.append("(ordered)")
            elif "categories" in field and d["x-codes-by-question"]["codes"]:
                allowed.append("depends on `question`, see below")
            elif "categories" in field:
                allowed.append("none: no question of the questionnaire is kept in this file")
            if "minimum" in c and "maximum" in c:
                allowed.append(_md(f"{c['minimum']} to {c['maximum']}"))
            elif "minimum" in c:
                allowed.append(_md(f"≥ {c['minimum']}"))
            elif "maximum" in c:
                allowed.append(_md(f"≤ {c['maximum']}"))
            if "pattern" in c:
                allowed.append(f"pattern {_table_code(c['pattern'])}")
            if field["name"] in ranked:
                allowed.append("(each rank at most once in a response)")
            lines.append(
                f"| `{field['name']}` | {field.get('type', 'string')} | {'yes' if c.get('required') else 'no'} "
                f"| {_md(field.get('title', ''))}: {_md(field.get('description', ''))} | {' '.join(allowed)} |"
            )
        labels = d.get("x-code-labels-by-question")
        if labels:
            question_field = next(f for f in d["fields"] if f["name"] == "question")
            wording = {cat["value"]: cat["label"] for cat in question_field["categories"]}
            lines.append("")
            for question, codes in labels.items():
                lines += ["", f"Codes for `{question}` ({_md(wording.get(question, ''))}):", ""]
                lines += [f"- {myst_code(code)} = {_md(label)}" for code, label in codes.items()]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


KIND_WORDS = {
    "single": "one answer", "multi": "several answers", "rating": "a rating scale (ordered)",
    "numeric": "a number", "text": "free text", "ranking": "a ranking", "grid": "a grid of items sharing one scale",
}


def _answers_live_in(q) -> str:
    """Where a question's answers are recorded, for the codebook's list of questions."""
    if q.kind == "multi":
        place = "`survey_mentions.csv` (one row per answer)"
    elif q.kind == "text":
        place = "`survey_text.csv` (one row per answer)"
    else:
        place = "`survey_responses.csv`: " + ", ".join(_table_code(c) for c in q.response_columns())
    if q.other is not None:
        place += f"; the text typed beside {_table_code(q.other)} in `survey_text.csv`"
    if q.is_coded:
        place += "; its themes in `survey_text_codes.csv`"
    return place


def _questions_table(questionnaire: Questionnaire) -> list[str]:
    """Every question of the questionnaire, in order, with its kind and the columns its answers fill."""
    lines = ["Questions, in the questionnaire's order:", "",
             "| question | kind | short name | answers recorded in | missing codes |", "|---|---|---|---|---|"]
    for q in questionnaire.questions:
        kind = KIND_WORDS[q.kind] + (", ordered" if q.kind == "single" and q.is_ordered else "")
        if q.kind == "numeric":
            kind += "".join(f", {x}" for x in (q.unit,) if x)
        if q.census is not None:
            kind += f"; compared with the Census ({q.census.topic.replace('_', ' ')})"
        missing = "; ".join(f"{_table_code(c)} = {_md(label)}" for c, label in q.missing.items()) or "none"
        lines.append(f"| `{q.id}` | {_md(kind)} | {_md(q.short)} | {_answers_live_in(q)} | {missing} |")
    lines.append("")
    for q in questionnaire.questions:
        if q.census is not None:
            lines.append(_census_line(q))
    return lines + ([""] if any(q.census for q in questionnaire.questions) else [])


def _census_line(q) -> str:
    """How a question's options stand for Census categories (fractions of a category below 1 shown)."""
    def cover(categories: dict[str, float]) -> str:
        return " + ".join(_md(c) if f == 1 else f"{f:g} × {_md(c)}" for c, f in categories.items())

    mapped = "; ".join(f"{_table_code(code)} → {cover(cats)}" for code, cats in q.census.map.items())
    left = [code for code in (q.options or {}) if code not in q.census.map]
    return (f"- `{q.id}` is compared with the Census ({_md(q.census.topic.replace('_', ' '))}): {mapped}"
            + (f"; not compared: {', '.join(_table_code(c) for c in left)}" if left else "") + ".")


def write_codebook(path: Path, questionnaire: Questionnaire | None = None) -> Path:
    """Write CODEBOOK.md; by default for the questionnaire in the same folder (the template if none)."""
    path = Path(path)
    if questionnaire is None:
        questionnaire, problems = ward_questionnaire(path.parent, path.parent)
        if problems:
            raise InputError(problems)
    path.write_text(codebook_markdown(questionnaire), encoding="utf-8", newline="\n")
    return path
