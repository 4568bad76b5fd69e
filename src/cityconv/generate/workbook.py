"""Spreadsheet data entry: a workbook to fill in (`new-ward`), and `cityconv import-workbook` to read it back.

Why: researchers enter data in Excel or LibreOffice, not in 14 CSV files with codes only the codebook
lists. The workbook has one sheet per table with the header row, drop-down lists of the allowed codes
(the codes and their labels side by side on the sheet "Lists"), cells formatted as text where Excel
would otherwise turn "2020-04" or "16-24" into a date, date cells for dates, and a sheet "Columns"
explaining each column. It is generated from the schemas and the ward's questionnaire, so it cannot
disagree with the validation.

Reading it back follows the import rules of `cityconv.generate.import_survey`: every problem at once,
named by sheet and spreadsheet row; nothing written unless everything validates; files that already
hold data replaced only with `replace=True`. A sheet left empty writes nothing (the ward has no such
source, or keeps the file it has).
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any

from cityconv.core.escaping import set_text_cell
from cityconv.core.limits import capped, limited_rows, workbook_problem
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles
from cityconv.data.questionnaire import Questionnaire, ward_questionnaire
from cityconv.generate.export_reader import cell_text
from cityconv.generate.import_survey import write_tables

FIRST_ROW, LAST_ROW = 2, 1001  # rows given drop-downs (the header is row 1); formats are whole columns'
INFO_SHEETS = ("How to fill in", "Columns", "Lists")
HEADER_FILL = "DDEBF7"


def _column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _allowed_text(field: dict[str, Any]) -> str:
    if "categories" in field:
        return "; ".join(f"{c['value']} = {c['label']}" for c in field["categories"])
    c = field.get("constraints", {})
    parts = []
    if "minimum" in c:
        parts.append(f"at least {c['minimum']}")
    if "maximum" in c:
        parts.append(f"at most {c['maximum']}")
    if field["name"] == "month" or "0[1-9]|1[0-2]" in c.get("pattern", ""):
        parts.append("a month as YYYY-MM, e.g. 2026-04")
    elif "pattern" in c:
        parts.append(f"text of the form {c['pattern']}")
    return "; ".join(parts)


def _append_text(sheet, values: list[Any]) -> None:
    """A row after the sheet's last, every text an explicit string cell (questionnaire wording is never a formula)."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, start=1):
        set_text_cell(sheet.cell(row, column), value)


def write_workbook(path: Path, questionnaire: Questionnaire, ward_name: str, ward_id: str) -> Path:
    """The data-entry workbook for a ward: one sheet per table, drop-downs, formats and explanations."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    intro = book.active
    intro.title = INFO_SHEETS[0]
    lines = [
        f"Data entry for {ward_name}",
        "",
        "One sheet per table. Keep row 1 (the column names) as it is and add one row per record below it.",
        "Coded columns have a drop-down list: choose a code (the sheet 'Lists' gives each code's label).",
        "Dates: a date cell (dd/mm/yyyy is fine). Months: text YYYY-MM, e.g. 2026-04. Blank cell = missing.",
        "Leave a sheet empty when the ward has no such source. The sheet 'Columns' explains every column.",
        "Never enter names, addresses, phone numbers or e-mail addresses: use pseudonyms such as S1, I1.",
        "",
        "When you are done, save the workbook and run:",
        f"    cityconv import-workbook {ward_id} <this file>.xlsx",
        "Every problem is listed at once, with the sheet and row; nothing is written until there are none.",
        "Survey answers from Microsoft Forms, Google Forms or SurveyMonkey: use cityconv import-survey instead.",
    ]
    for r, line in enumerate(lines, start=1):
        set_text_cell(intro.cell(r, 1), line)
    intro["A1"].font = Font(bold=True, size=14)
    intro.column_dimensions["A"].width = 110

    columns_sheet = book.create_sheet(INFO_SHEETS[1])
    _append_text(columns_sheet, ["Sheet", "Column", "Required", "What it holds", "Allowed values"])
    lists = book.create_sheet(INFO_SHEETS[2])
    list_col = 1
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for stem in wardfiles.known_files():
        d = wardfiles.ward_descriptor(stem, questionnaire)
        ws = book.create_sheet(stem[:31])
        for index, field in enumerate(d["fields"], start=1):
            letter = _column_letter(index)
            cell = set_text_cell(ws.cell(1, index), field["name"])
            cell.font, cell.fill = bold, fill
            required = bool(field.get("constraints", {}).get("required"))
            description = f"{field.get('title', '')}: {field.get('description', '')}"
            cell.comment = Comment(description + (" (required)" if required else ""), "cityconv")
            ws.column_dimensions[letter].width = max(14, min(40, len(field["name"]) + 4))
            _append_text(columns_sheet, [stem, field["name"], "yes" if required else "no", description, _allowed_text(field)])
            cells = f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}"
            kind = field.get("type", "string")
            if field.get("categories"):  # an empty code list (no such question) gets no drop-down
                codes = [c["value"] for c in field["categories"]]
                set_text_cell(lists.cell(1, list_col), f"{stem}.{field['name']}").font = bold
                set_text_cell(lists.cell(1, list_col + 1), "label").font = bold
                for r, cat in enumerate(field["categories"], start=2):  # codes and labels come from the questionnaire
                    set_text_cell(lists.cell(r, list_col), cat["value"]).number_format = "@"
                    set_text_cell(lists.cell(r, list_col + 1), cat["label"])
                ref = f"Lists!${_column_letter(list_col)}$2:${_column_letter(list_col)}${len(codes) + 1}"
                dv = DataValidation(type="list", formula1=ref, allow_blank=not required, showErrorMessage=True,
                                    errorTitle="Not an allowed code", error="Choose a code from the list (see the sheet Lists).")
                lists.column_dimensions[_column_letter(list_col)].width = 24
                lists.column_dimensions[_column_letter(list_col + 1)].width = 40
                list_col += 3
            elif kind == "date":
                dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=not required,
                                    showErrorMessage=True, error="Enter a date, e.g. 26/04/2026.")
            elif kind == "integer":
                minimum = field.get("constraints", {}).get("minimum", 0)
                dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1=str(minimum),
                                    allow_blank=not required, showErrorMessage=True, error=f"Enter a whole number of at least {minimum}.")
            else:
                dv = None
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(cells)
            number_format = "yyyy-mm-dd" if kind == "date" else ("0" if kind == "integer" else ("General" if kind == "number" else "@"))
            # The column's own style, which Excel and LibreOffice give every cell typed into it: one
            # setting instead of a thousand styled empty cells (which made writing a kit's workbook slow).
            ws.column_dimensions[letter].number_format = number_format
        ws.freeze_panes = "A2"
    for col, width in zip("ABCDE", (22, 26, 10, 70, 70)):
        columns_sheet.column_dimensions[col].width = width
        columns_sheet[f"{col}1"].font = bold
    for row in columns_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
    return Path(path)


# --------------------------------------------------------------------------------------------------
# Reading a filled workbook


def _value(cell: Any, field: dict[str, Any]) -> str:
    """A cell as the CSV text its schema expects: dates as YYYY-MM-DD, months as YYYY-MM, whole numbers plain."""
    if isinstance(cell, (dt.datetime, dt.date)):
        if field.get("type") == "date":
            return cell.strftime("%Y-%m-%d")
        if field["name"] == "month":
            return cell.strftime("%Y-%m")  # Excel turned "2026-04" into a date: take its month
    return cell_text(cell)


def read_workbook(path: Path, root: Path, questionnaire: Questionnaire) -> tuple[dict, dict, list[Problem]]:
    """{stem: rows}, {stem: [sheet row of each CSV row]} and the problems of the sheets' headers."""
    from openpyxl import load_workbook

    rel = relative(path, root)
    if Path(path).suffix.lower() != ".xlsx" or not Path(path).is_file():
        return {}, {}, [Problem(rel, "not an .xlsx workbook" if Path(path).is_file() else "workbook not found",
                                value=Path(path).name, expected="the data-entry workbook written by `cityconv new-ward`, saved as .xlsx")]
    refused = workbook_problem(Path(path), root)
    if refused is not None:
        return {}, {}, [refused]
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        return {}, {}, [Problem(rel, f"cannot be read as an Excel workbook ({type(exc).__name__})",
                                expected="an .xlsx file saved by Excel or LibreOffice")]
    try:
        return _read_sheets(book, rel, questionnaire)
    finally:
        book.close()


def _read_sheets(book: Any, rel: str, questionnaire: Questionnaire) -> tuple[dict, dict, list[Problem]]:
    """Every table sheet of an open workbook, within the row and column limits."""
    known = wardfiles.known_files()
    tables, numbers, problems = {}, {}, []
    for ws in book.worksheets:
        if ws.title in INFO_SHEETS:
            continue
        where = f"{rel}, sheet {ws.title!r}"
        if ws.title not in known:
            close = difflib.get_close_matches(ws.title, list(known), n=1)
            problems.append(Problem(where, "unknown sheet" + (f"; did you mean {close[0]!r}?" if close else ""),
                                    value=ws.title, expected="one sheet per table: " + ", ".join(known)))
            continue
        d = wardfiles.ward_descriptor(ws.title, questionnaire)
        by_name = {f["name"]: f for f in d["fields"]}
        records, too_big = limited_rows(ws, where)
        if records is None:
            problems += too_big
            continue
        if not records:
            continue
        header = [cell_text(c) for c in records[0]]
        while header and header[-1] == "":
            header.pop()
        header_problems = wardfiles.check_header(where, header, d)
        problems += header_problems
        rows, sheet_rows = [], []
        for number, cells in enumerate(records[1:], start=2):
            cells = list(cells[: len(header)]) + [None] * (len(header) - len(cells))
            if not any(cell_text(c) for c in cells):
                continue
            rows.append({name: _value(c, by_name.get(name, {"name": name})) for name, c in zip(header, cells) if name})
            sheet_rows.append(number)
        if rows and not header_problems:
            tables[ws.title], numbers[ws.title] = rows, sheet_rows
    return tables, numbers, problems


def import_workbook(data_dir: Path, path: Path, root: Path, replace: bool = False) -> list[Path]:
    """Write the CSVs of every filled sheet; InputError naming sheet and row, having written nothing."""
    data_dir = Path(data_dir)
    questionnaire, problems = ward_questionnaire(data_dir, root)
    if problems:
        raise InputError(problems)
    tables, numbers, problems = read_workbook(path, root, questionnaire)
    if problems:
        raise InputError(capped(problems, relative(path, root)))
    if not tables:
        raise InputError([Problem(relative(path, root), "every table sheet is empty; nothing was written",
                                  expected="rows below the header on at least one sheet")])
    try:
        return write_tables(data_dir, root, tables, replace)
    except InputError as exc:
        raise InputError(capped([_on_sheet(p, data_dir, path, root, numbers) for p in exc.problems],
                                relative(path, root))) from None


def _on_sheet(problem: Problem, data_dir: Path, path: Path, root: Path, numbers: dict[str, list[int]]) -> Problem:
    """A problem found in a staged CSV, named by the workbook's sheet and spreadsheet row instead."""
    prefix = relative(data_dir, root) + "/"
    name = problem.file[len(prefix):] if problem.file.startswith(prefix) else ""
    stem = name[:-4] if name.endswith(".csv") else None
    if stem not in numbers or problem.message.startswith("already holds data"):
        return problem
    row = problem.row
    if row is not None and 2 <= row < 2 + len(numbers[stem]):
        row = numbers[stem][row - 2]
    return Problem(f"{relative(path, root)}, sheet {stem!r}", problem.message, row, problem.column, problem.value,
                   problem.expected, problem.line)
