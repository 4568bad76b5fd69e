"""The data-entry workbook: drop-downs and formats from the schemas; a filled workbook imports all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data import wardfiles
from cityconv.data.wardfiles import load_ward_data
from cityconv.generate.scaffold import new_ward
from cityconv.generate.workbook import import_workbook
from nbtools import clubmoor_project

WARD = "anfield"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "p").mkdir()
    project = Project(clubmoor_project(tmp_path / "p"))
    new_ward(project, "Anfield")
    return project


def folder(project: Project) -> Path:
    return project.data_dir / WARD


def workbook(project: Project) -> Path:
    return folder(project) / f"{WARD}-data-entry.xlsx"


def snapshot(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


def put(ws, rows) -> None:
    """Type rows in from row 2, as a researcher would (the formatted empty rows below are not data)."""
    start = next(r for r in range(2, ws.max_row + 2) if all(c.value is None for c in ws[r]))
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            ws.cell(start + offset, col, value)


def fill(project: Project, survey_rows, objectives=True, out: Path | None = None) -> Path:
    """Fill the workbook as a researcher would: typed codes, a month Excel turned into a date."""
    book = load_workbook(workbook(project))
    ws = book["survey_responses"]
    put(ws, survey_rows)
    if objectives:
        header = [c.value for c in book["objectives"][1]]
        source = (project.data_dir / "clubmoor" / "objectives.csv").read_text(encoding="utf-8").splitlines()
        import csv

        put(book["objectives"], [[record.get(h) or None for h in header] for record in list(csv.DictReader(source))[:2]])
    ids = {row[0] for row in survey_rows}
    put(book["survey_mentions"], [m for m in (["S1", "best_things", "green_spaces"], ["S2", "improve", "housing"])
                                  if m[0] in ids])
    path = out or project.root / "filled.xlsx"
    book.save(path)
    return path


GOOD = [
    ["S1", dt.datetime(2026, 4, 1), "paper", "45-54", "Female", "White", "yes", "same", None],
    ["S2", "2026-05", "online", "16-24", "Male", "Other", None, "better", "more"],
]


def test_workbook_has_a_sheet_per_table_with_dropdowns_and_explanations(project: Project) -> None:
    book = load_workbook(workbook(project))
    assert book.sheetnames[:3] == ["How to fill in", "Columns", "Lists"]
    assert set(book.sheetnames[3:]) == set(wardfiles.known_files())
    ws = book["survey_responses"]
    header = [c.value for c in ws[1]]
    assert header == [f["name"] for f in wardfiles.schema_descriptor("survey_responses")["fields"]]
    formulas = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    sex_col = "E"
    ref = formulas[f"{sex_col}2:{sex_col}1001"]
    lists = book["Lists"]
    col = ref.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
    codes = [lists[f"{col}{r}"].value for r in range(2, 5)]
    labels = [lists.cell(r, lists[f"{col}2"].column + 1).value for r in range(2, 5)]
    assert codes == ["Female", "Male", "Prefer not to say"] and labels == codes
    # Formats are the columns' own, so every cell typed into one takes it (not only rows 2-1001).
    assert ws.column_dimensions["B"].number_format == "@"  # months stay text: Excel would turn 2026-04 into a date
    assert book["social_media_posts"].column_dimensions["B"].number_format == "yyyy-mm-dd"
    columns = [[c.value for c in row] for row in book["Columns"].iter_rows(min_row=2)]
    assert ["survey_responses", "recommend", "no", "Would recommend: Would you recommend Anfield as a place to live?",
            "yes = Yes; no = No; not_sure = Not sure"] in columns
    assert "cityconv import-workbook anfield" in " ".join(str(r[0].value) for r in book["How to fill in"].iter_rows())


def test_filled_workbook_imports_and_validates(project: Project) -> None:
    written = import_workbook(folder(project), fill(project, GOOD), project.root)
    assert sorted(p.name for p in written) == ["objectives.csv", "survey_mentions.csv", "survey_responses.csv"]
    text = (folder(project) / "survey_responses.csv").read_text(encoding="utf-8").splitlines()
    assert text[1] == "S1,2026-04,paper,45-54,Female,White,yes,same,"
    for path in folder(project).glob("*.csv"):  # the sheets left empty: delete their templates
        if path not in written:
            path.unlink()
    ward = load_ward_data(folder(project), project.root)
    assert len(ward.survey_responses) == 2 and len(ward.objectives) == 2


def test_every_problem_by_sheet_and_row_and_nothing_written(project: Project) -> None:
    bad = [
        ["S1", "2026-04", "paper", "45-54", "female", "White", "yes", "same", None],
        [None, None, None, None, None, None, None, None, None],  # a blank row, skipped
        ["S2", "April", "online", "16-24", "Male", "Other", None, "better", "more"],
    ]
    path = fill(project, bad)
    before = snapshot(folder(project))
    with pytest.raises(InputError) as exc:
        import_workbook(folder(project), path, project.root)
    found = {(p.file, p.row, p.column, p.value) for p in exc.value.problems}
    assert ("filled.xlsx, sheet 'survey_responses'", 2, "sex", "female") in found
    assert ("filled.xlsx, sheet 'survey_responses'", 4, "month", "April") in found  # spreadsheet row, not CSV row
    assert snapshot(folder(project)) == before


def test_header_changed_and_unknown_sheet(project: Project) -> None:
    book = load_workbook(workbook(project))
    book["survey_responses"]["E1"] = "gender"
    book.create_sheet("survey_answers")
    path = project.root / "bad.xlsx"
    book.save(path)
    with pytest.raises(InputError) as exc:
        import_workbook(folder(project), path, project.root)
    messages = [str(p) for p in exc.value.problems]
    assert any("sheet 'survey_responses', row 1, column 'gender': unexpected column" in m for m in messages), messages
    assert any("sheet 'survey_answers': unknown sheet; did you mean 'survey_responses'?" in m for m in messages), messages


def test_personal_information_in_free_text_stops_the_import(project: Project) -> None:
    book = load_workbook(workbook(project))
    header = [c.value for c in book["quotes"][1]]
    row = {"quote_id": "Q1", "text": "Call me on 07911 123456 about it", "speaker_role": "On-line survey respondent",
           "theme": None, "source_key": "own_survey", "location": "interview 1"}
    put(book["quotes"], [[row.get(h) for h in header]])
    path = project.root / "pii.xlsx"
    book.save(path)
    before = snapshot(folder(project))
    with pytest.raises(InputError) as exc:
        import_workbook(folder(project), path, project.root)
    assert any("possible personal information" in p.message and p.file == "pii.xlsx, sheet 'quotes'" and p.row == 2
               for p in exc.value.problems), [str(p) for p in exc.value.problems]
    assert "07911" not in str(exc.value)
    assert snapshot(folder(project)) == before


def test_existing_data_needs_replace(project: Project) -> None:
    import_workbook(folder(project), fill(project, GOOD), project.root)
    before = snapshot(folder(project))
    with pytest.raises(InputError) as exc:
        import_workbook(folder(project), fill(project, GOOD[:1], out=project.root / "again.xlsx"), project.root)
    assert {p.message for p in exc.value.problems} == {"already holds data; nothing was written"}
    assert snapshot(folder(project)) == before
    import_workbook(folder(project), project.root / "again.xlsx", project.root, replace=True)
    assert len((folder(project) / "survey_responses.csv").read_text(encoding="utf-8").splitlines()) == 2
