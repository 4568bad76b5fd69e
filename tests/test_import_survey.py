"""`cityconv import-survey`: each tool's export gives the same records; each bad export a clear error, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import exports
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data.wardfiles import load_ward_data, validate_data_dir
from cityconv.generate.import_survey import LabelTable, import_survey, month_order, split_answers
from cityconv.generate.scaffold import new_ward
from exports import problem_matches, snapshot
from nbtools import clubmoor_project

WARD = "anfield"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A scratch project with a new ward whose questionnaire has one question of its own (bus use)."""
    (tmp_path / "project").mkdir()
    project = Project(clubmoor_project(tmp_path / "project"))
    new_ward(project, "Anfield")
    data = project.data_dir / WARD
    with open(data / "questionnaire.yml", "a", encoding="utf-8") as fh:
        fh.write(exports.ADDED_QUESTION)
    (data / "survey_responses.csv").write_text(
        "response_id,month,mode,age_band,sex,ethnic_group,recommend,change_5yr,covid_community_spirit,bus_use\n",
        encoding="utf-8")
    return project


def data_dir(project: Project) -> Path:
    return project.data_dir / WARD


def run(project: Project, export: Path, mapping_text: str, replace: bool = False, name: str = "mapping.yml"):
    mapping = project.root / name
    mapping.write_text(mapping_text, encoding="utf-8")
    return import_survey(data_dir(project), export, mapping, project.root, replace=replace)


def records(project: Project) -> tuple[str, str]:
    folder = data_dir(project)
    return ((folder / "survey_responses.csv").read_text(encoding="utf-8"),
            (folder / "survey_mentions.csv").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------- the three tools


def test_forms_xlsx_imports_and_validates(project: Project) -> None:
    export = exports.forms_xlsx(project.root / "forms.xlsx")
    written, imported = run(project, export, exports.FORMS_MAPPING)
    assert [p.name for p in written] == ["survey_responses.csv", "survey_mentions.csv"]
    assert validate_data_dir(data_dir(project), project.root) == [] or all(
        "survey" not in p.file for p in validate_data_dir(data_dir(project), project.root))
    responses, mentions = records(project)
    lines = responses.splitlines()
    assert lines[0] == "response_id,month,mode,age_band,sex,ethnic_group,recommend,change_5yr,covid_community_spirit,bus_use"
    assert lines[1] == "S1,2026-04,online,45-54,Female,White,yes,,,weekly"
    assert lines[4] == "S4,2026-05,online,16-24,Male,Mixed/multiple,no,,,monthly"
    assert lines[5] == "S5,2026-05,online,55-64,Male,White,,,,weekly"  # a blank answer is missing
    assert len(lines) == 1 + len(exports.ANSWERS)
    assert "S1,best_things,green_spaces\nS1,best_things,community\nS1,preferred_methods,postal\n" in mentions
    assert "S4,best_things" not in mentions  # no answer: no rows
    assert imported.ignored == []  # every column is mapped or dropped
    for personal in ("anonymous",):
        assert personal not in responses + mentions


def test_the_three_tools_give_the_same_records(project: Project, tmp_path: Path) -> None:
    run(project, exports.forms_xlsx(tmp_path / "forms.xlsx"), exports.FORMS_MAPPING)
    forms = records(project)
    run(project, exports.google_csv(tmp_path / "google.csv"), exports.GOOGLE_MAPPING, replace=True)
    assert records(project) == forms
    run(project, exports.surveymonkey_csv(tmp_path / "monkey.csv"), exports.SURVEYMONKEY_MAPPING, replace=True)
    assert records(project) == forms
    # Excel's "CSV UTF-8" (with a byte-order mark) and a semicolon-separated CSV read the same
    run(project, exports.google_csv(tmp_path / "bom.csv", bom=True, delimiter=";"), exports.GOOGLE_MAPPING, replace=True)
    assert records(project) == forms


def complete_the_folder(project: Project) -> None:
    """Objectives filled in (a copy of Clubmoor's, for the test only) and the other empty templates deleted."""
    folder = data_dir(project)
    for path in folder.glob("*.csv"):
        if not path.name.startswith("survey_"):
            path.unlink()
    (folder / "objectives.csv").write_bytes((project.data_dir / "clubmoor" / "objectives.csv").read_bytes())


def test_a_ward_imported_loads_with_its_own_question(project: Project, tmp_path: Path) -> None:
    run(project, exports.forms_xlsx(tmp_path / "forms.xlsx"), exports.FORMS_MAPPING)
    complete_the_folder(project)
    ward = load_ward_data(data_dir(project), project.root)
    assert ward.questionnaire.question("bus_use").text == "How often do you use the local bus?"
    assert [q.id for q in ward.questionnaire.added()] == ["bus_use"]
    assert list(ward.survey_responses["bus_use"].astype(str)[:2]) == ["weekly", "never"]
    assert len(ward.survey_responses) == len(exports.ANSWERS)


def test_month_format_for_month_first_text(project: Project, tmp_path: Path) -> None:
    rows = [(r[0].replace(day=min(r[0].day, 12)), *r[1:]) for r in exports.ANSWERS]  # no day above 12
    export = exports.surveymonkey_csv(tmp_path / "monkey.csv", rows)
    with pytest.raises(InputError) as exc:
        run(project, export, exports.SURVEYMONKEY_MAPPING)
    assert "cannot tell whether the dates are day/month or month/day" in str(exc.value)
    run(project, export, exports.SURVEYMONKEY_MAPPING + 'month_format: "%m/%d/%Y %I:%M:%S %p"\n')
    assert records(project)[0].splitlines()[4].startswith("S4,2026-05,")


def test_labels_containing_the_separator_stay_whole() -> None:
    table = LabelTable({"community": "Sense of community, neighbours", "quiet": "Quiet, peaceful area",
                        "schools": "Schools"})
    assert split_answers("Sense of community, neighbours, Schools, Quiet, peaceful area", ", ", table) == [
        "Sense of community, neighbours", "Schools", "Quiet, peaceful area"]
    assert split_answers("Schools;", ";", table) == ["Schools"]
    assert month_order(["26/04/2026 10:00", "01/05/2026"]) == "dmy"
    assert month_order(["04/26/2026 10:00 AM"]) == "mdy"
    assert month_order(["01/05/2026"]) is None


# ---------------------------------------------------------------------------- bad exports, nothing written


def _forms(tmp_path: Path, edit=None, rows=exports.ANSWERS) -> Path:
    path = exports.forms_xlsx(tmp_path / "forms.xlsx", rows)
    if edit:
        from openpyxl import load_workbook

        book = load_workbook(path)
        edit(book.active)
        book.save(path)
    return path


def _set(cell: str, value):
    def edit(ws):
        ws[cell] = value
    return edit


def _heading(old: str, new: str):
    def edit(ws):
        for cell in ws[1]:
            if cell.value == old:
                cell.value = new
    return edit


def _add_column(heading: str, value: str):
    def edit(ws):
        col = ws.max_column + 1
        ws.cell(1, col, heading)
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col, value)
    return edit


Q = {q: i for i, q in enumerate(["ID", "Start time", "Completion time", "Email", "Name", *exports.QUESTIONS], start=1)}


def _col(question: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(Q[question])


def _bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


BAD = {
    # name: (make the export, mapping text, what the problem must say)
    "unknown-label": (lambda t: _forms(t, _set(f"{_col(exports.Q_SEX)}3", "Femal")), exports.FORMS_MAPPING,
                      dict(row=3, column=exports.Q_SEX, value="Femal", message="did you mean 'Female'?",
                           expected="'Prefer not to say'")),
    "unknown-multi-label": (lambda t: _forms(t, _set(f"{_col(exports.Q_BEST)}2", "Green spaces and parks;Good pubs;")),
                            exports.FORMS_MAPPING,
                            dict(row=2, column=exports.Q_BEST, value="Good pubs", message="not in the mapping or the questionnaire",
                                 expected="'Quiet, peaceful area'")),
    "too-many-answers": (lambda t: _forms(t, _set(f"{_col(exports.Q_BEST)}2", "Schools;Quiet, peaceful area;Green spaces and parks;Local shops and amenities;")),
                         exports.FORMS_MAPPING, dict(row=2, column=exports.Q_BEST, message="4 answers to 'best_things', which allows at most 3")),
    "personal-column": (lambda t: _forms(t, _add_column("Phone number", "07911 123456")), exports.FORMS_MAPPING,
                        dict(row=1, column="M: Phone number", message="looks personal (a phone number) and is neither mapped nor dropped")),
    "missing-column": (lambda t: _forms(t, _heading(exports.Q_AGE, "What's your age?")), exports.FORMS_MAPPING,
                       dict(row=1, column=exports.Q_AGE, message="did you mean \"What's your age?\"")),
    "blank-required": (lambda t: _forms(t, _set(f"{_col(exports.Q_ETHNIC)}4", None)), exports.FORMS_MAPPING,
                       dict(row=4, column=exports.Q_ETHNIC, message="required answer is blank ('ethnic_group')")),
    "not-a-date": (lambda t: _forms(t, _set("C5", "next Tuesday")), exports.FORMS_MAPPING,
                   dict(row=5, column="Completion time", value="next Tuesday", message="not a date")),
    "duplicate-id": (lambda t: _forms(t, _set("A3", 1)), exports.FORMS_MAPPING,
                     dict(row=3, column="ID", value="1", message="response identifier also in row 2")),
    "no-responses": (lambda t: _forms(t, rows=[]), exports.FORMS_MAPPING,
                     dict(row=2, message="the export has no responses")),
    "wrong-sheet": (lambda t: _forms(t), exports.FORMS_MAPPING + 'sheet: "Form1"\n',
                    dict(value="Form1", message="no sheet 'Form1'", expected="'Sheet1'")),
    "mapping-typo": (lambda t: _forms(t), exports.FORMS_MAPPING.replace("fields:", "feilds:"),
                     dict(line=6, message="unknown key 'feilds' — did you mean 'fields'?")),
    "not-in-questionnaire": (lambda t: _forms(t), exports.FORMS_MAPPING.replace("  bus_use:", "  bus_usage:"),
                             dict(message="fields: 'bus_usage' is not a single, rating, numeric or text question of the ward's questionnaire — did you mean 'bus_use'?")),
    "unknown-code-in-values": (lambda t: _forms(t), exports.FORMS_MAPPING.replace('"Under 25": "16-24"', '"Under 25": "18-24"'),
                               dict(value="18-24", message="values.age_band['Under 25']: unknown code for 'age_band' — did you mean '16-24'?")),
    "ambiguous-dates": (lambda t: exports.google_csv(t / "google.csv", [(r[0].replace(day=5), *r[1:]) for r in exports.ANSWERS]),
                        exports.GOOGLE_MAPPING, dict(column="Timestamp", message="cannot tell whether the dates are day/month or month/day",
                                                     expected="month_format")),
    "unsupported-file": (lambda t: _bytes(t / "export.ods", b"PK\x03\x04"), exports.FORMS_MAPPING,
                         dict(value="export.ods", message="cannot import a .ods file", expected=".xlsx workbook or a .csv file")),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_export_gets_a_clear_error_and_writes_nothing(kind: str, project: Project, tmp_path: Path) -> None:
    make, mapping, want = BAD[kind]
    export = make(tmp_path)
    before = snapshot(data_dir(project))
    with pytest.raises(InputError) as exc:
        run(project, export, mapping)
    problems = exc.value.problems
    assert any(problem_matches(p, want) for p in problems), f"{kind}: wanted {want}, got\n" + "\n".join(map(str, problems))
    assert snapshot(data_dir(project)) == before
    assert not [p for p in project.data_dir.iterdir() if p.name.startswith(".import-")]  # staging removed
    if export.suffix == ".xlsx" and "sheet" not in want.get("message", "") and "line" not in want:
        assert all(p.file.endswith("sheet 'Sheet1'") or p.file == "mapping.yml" for p in problems)


def test_every_problem_is_reported_at_once(project: Project, tmp_path: Path) -> None:
    def edits(ws):
        ws[f"{_col(exports.Q_SEX)}3"] = "Femal"
        ws[f"{_col(exports.Q_AGE)}5"] = "Over 90"
        ws["C6"] = "soon"
    with pytest.raises(InputError) as exc:
        run(project, _forms(tmp_path, edits), exports.FORMS_MAPPING)
    rows = sorted((p.row, p.column) for p in exc.value.problems)
    assert rows == [(3, exports.Q_SEX), (5, exports.Q_AGE), (6, "Completion time")]


def test_existing_data_replaced_only_with_replace(project: Project, tmp_path: Path) -> None:
    export = exports.forms_xlsx(tmp_path / "forms.xlsx")
    run(project, export, exports.FORMS_MAPPING)
    before = snapshot(data_dir(project))
    with pytest.raises(InputError) as exc:
        run(project, exports.google_csv(tmp_path / "google.csv", exports.ANSWERS[:2]), exports.GOOGLE_MAPPING)
    assert [p.message for p in exc.value.problems] == ["already holds data; nothing was written"] * 2
    assert exc.value.problems[0].expected == "--replace to overwrite it with the import"
    assert snapshot(data_dir(project)) == before
    run(project, exports.google_csv(tmp_path / "google.csv", exports.ANSWERS[:2]), exports.GOOGLE_MAPPING, replace=True)
    assert len(records(project)[0].splitlines()) == 3


def test_personal_value_is_not_echoed_in_an_error(project: Project, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        run(project, _forms(tmp_path, _set(f"{_col(exports.Q_SEX)}2", "ring me on 07911 123456")), exports.FORMS_MAPPING)
    text = str(exc.value)
    assert "07911" not in text and "withheld" in text


def test_command_line_reports_and_exits_2(project: Project, tmp_path: Path) -> None:
    export = _forms(tmp_path, _set(f"{_col(exports.Q_SEX)}3", "Femal"))
    (project.root / "mapping.yml").write_text(exports.FORMS_MAPPING, encoding="utf-8")
    cli = [sys.executable, "-m", "cityconv.cli", "import-survey", WARD, str(export), "--mapping", "mapping.yml",
           "--root", str(project.root)]
    done = subprocess.run(cli, capture_output=True, text=True, cwd=project.root, env={"COLUMNS": "250", "PATH": ""})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "forms.xlsx, sheet 'Sheet1', row 3, column 'What is your sex?': answer not in the mapping" in done.stderr
    good = exports.forms_xlsx(tmp_path / "good.xlsx")
    done = subprocess.run(cli[:5] + [str(good)] + cli[6:], capture_output=True, text=True, cwd=project.root,
                          env={"COLUMNS": "250", "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert f"imported {len(exports.ANSWERS)} responses" in done.stdout
