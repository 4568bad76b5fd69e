"""`import-survey` reads every question kind, and every malformed cell gets one clear problem with nothing written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.generate.import_survey import import_survey
from exports import problem_matches, project_with_new_ward, snapshot

WARD = "anfield"

QUESTIONNAIRE = """\
title: "Every kind"
ward: "Anfield"
reconstructed: false
introduction: "A questionnaire with one question of each kind, for the importer's tests."
questions:
  - id: tenure
    kind: single
    text: "Do you rent or own?"
    short: "Tenure"
    options: {rent: "Rent", own: "Own", other: "Other"}
    other: other
    missing: {prefer_not: "Prefer not to say"}
  - id: safety
    kind: rating
    text: "How safe do you feel?"
    short: "Safety"
    options: {very_unsafe: "Very unsafe", unsafe: "Unsafe", safe: "Safe", very_safe: "Very safe"}
  - id: years
    kind: numeric
    text: "How many years have you lived here?"
    short: "Years here"
    unit: "years"
    integer: true
    range: [0, 100]
  - id: change
    kind: text
    text: "What one thing would you change?"
    short: "One change"
  - id: priorities
    kind: ranking
    text: "Rank these"
    short: "Priorities"
    options: {parks: "Parks", shops: "Shops", buses: "Buses"}
  - id: services
    kind: grid
    text: "How good are these services?"
    short: "Services"
    options: {poor: "Poor", fair: "Fair", good: "Good"}
    items: {bins: "Bins", libraries: "Libraries"}
    missing: {dont_know: "Don't know"}
  - id: groups
    kind: multi
    text: "Which groups do you belong to?"
    short: "Groups"
    options: {sports: "Sports club", faith: "Faith group", tenants: "Tenants, residents", other: "Other"}
    other: other
"""

HEADER = ["ID", "Status", "Submitted", "Do you rent or own?", "Tenure - Other", "How safe do you feel?",
          "How many years have you lived here?", "What one thing would you change?",
          "Rank: Parks", "Rank: Shops", "Rank: Buses", "Services: Bins", "Services: Libraries",
          "Groups [Sports club]", "Groups [Faith group]", "Groups [Tenants, residents]", "Groups", "Email"]
ROWS = [
    ["1", "0", "2026-04-02", "Rent", "", "Safe", "12", "More benches", "1", "2", "3", "Good", "Don't know", "Ja", "Nein", "Ja",
     "Sports club, Tenants, residents", "a@example.org"],
    ["2", "0", "2026-04-03", "", "Houseboat", "very safe", "3 years", "", "2", "1", "3", "Poor", "Fair", "Nein", "N/A", "Nein",
     "", "b@example.org"],
    ["3", "2", "2026-04-03", "Own", "", "Unsafe", "40", "", "", "", "", "", "", "N/A", "N/A", "N/A", "", ""],  # a test response
    ["4", "0", "2026-05-01", "Prefer not to say", "", "", "-99", "", "3", "2", "1", "Fair", "Good", "Nein", "Ja", "Nein",
     "Faith group", ""],
]
MAPPING = """\
id: "ID"
month: {column: "Submitted"}
skip: {Status: ["1", "2"]}
fields:
  tenure: "Do you rent or own?"
  safety: "How safe do you feel?"
  years: "How many years have you lived here?"
  change: "What one thing would you change?"
other_text:
  tenure: "Tenure - Other"
items:
  priorities: {columns: {"Rank: Parks": parks, "Rank: Shops": shops, "Rank: Buses": buses}}
  services: {columns: {"Services: Bins": bins, "Services: Libraries": libraries}}
multi:
  groups:
    chosen: ["Ja"]
    not_chosen: ["Nein"]
    missing: ["N/A"]
    columns: {"Groups [Sports club]": sports, "Groups [Faith group]": faith, "Groups [Tenants, residents]": tenants}
values:
  years: {"-99": null}
drop: ["Email", "Groups"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return project_with_new_ward(tmp_path, QUESTIONNAIRE)


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(project: Project, export: Path, mapping: str = MAPPING, replace: bool = False):
    (project.root / "mapping.yml").write_text(mapping, encoding="utf-8")
    return import_survey(project.data_dir / WARD, export, project.root / "mapping.yml", project.root, replace=replace)


def read(project: Project, stem: str) -> list[dict[str, str]]:
    with open(project.data_dir / WARD / f"{stem}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_kind_is_read_into_its_file(project: Project, tmp_path: Path) -> None:
    written, imported = run(project, write_csv(tmp_path / "export.csv", ROWS))
    assert {p.name for p in written} == {"survey_responses.csv", "survey_mentions.csv", "survey_text.csv"}
    assert imported.skipped == {"Status = 2": 1}  # the test response, counted
    responses = read(project, "survey_responses")
    assert [r["response_id"] for r in responses] == ["S1", "S2", "S3"]
    assert [r["month"] for r in responses] == ["2026-04", "2026-04", "2026-05"]
    assert [r["tenure"] for r in responses] == ["rent", "other", "prefer_not"]  # typed "other" text chooses "other"
    assert [r["safety"] for r in responses] == ["safe", "very_safe", ""]  # labels match whatever their case
    assert [r["years"] for r in responses] == ["12", "3", ""]  # the unit is allowed; -99 is declared missing
    assert [(r["priorities__parks"], r["priorities__shops"], r["priorities__buses"]) for r in responses] == [
        ("1", "2", "3"), ("2", "1", "3"), ("3", "2", "1")]
    assert [(r["services__bins"], r["services__libraries"]) for r in responses] == [
        ("good", "dont_know"), ("poor", "fair"), ("fair", "good")]
    assert [(m["response_id"], m["code"]) for m in read(project, "survey_mentions")] == [
        ("S1", "sports"), ("S1", "tenants"), ("S3", "faith")]  # Nein and N/A are never ticks
    assert [(t["response_id"], t["question"], t["option"], t["text"]) for t in read(project, "survey_text")] == [
        ("S1", "change", "", "More benches"), ("S2", "tenure", "other", "Houseboat")]


def test_joined_answers_split_against_the_questions_labels(project: Project, tmp_path: Path) -> None:
    mapping = MAPPING.replace('drop: ["Email", "Groups"]', 'drop: ["Email", "Groups [Sports club]", "Groups [Faith group]", '
                              '"Groups [Tenants, residents]"]')
    mapping = mapping[:mapping.index("multi:")] + 'multi:\n  groups: {column: "Groups", separator: ", "}\n' + mapping[mapping.index("values:"):]
    run(project, write_csv(tmp_path / "export.csv", ROWS), mapping)
    assert [(m["response_id"], m["code"]) for m in read(project, "survey_mentions")] == [
        ("S1", "sports"), ("S1", "tenants"), ("S3", "faith")]  # "Tenants, residents" stays whole


def test_exact_duplicates_are_dropped_only_when_asked_and_counted(project: Project, tmp_path: Path) -> None:
    rows = [*ROWS, ["5", *ROWS[0][1:]]]  # a second submission of the first response
    written, imported = run(project, write_csv(tmp_path / "export.csv", rows), MAPPING + "duplicates: drop-exact\n")
    assert imported.duplicates == 1 and len(imported.responses) == 3
    _, imported = run(project, write_csv(tmp_path / "export.csv", rows), MAPPING, replace=True)
    assert imported.duplicates == 0 and len(imported.responses) == 4


def test_month_constant_or_absent(project: Project, tmp_path: Path) -> None:
    export = write_csv(tmp_path / "export.csv", ROWS)
    run(project, export, MAPPING.replace('month: {column: "Submitted"}', 'month: "2024-05"\ndrop_me: 1').replace("drop_me: 1\n", "")
        .replace('drop: ["Email", "Groups"]', 'drop: ["Email", "Groups", "Submitted"]'))
    assert {r["month"] for r in read(project, "survey_responses")} == {"2024-05"}
    run(project, export, MAPPING.replace('month: {column: "Submitted"}\n', "")
        .replace('drop: ["Email", "Groups"]', 'drop: ["Email", "Groups", "Submitted"]'), replace=True)
    assert {r["month"] for r in read(project, "survey_responses")} == {""}


def _cell(row: int, column: str, value: str) -> list[list[str]]:
    rows = [list(r) for r in ROWS]
    rows[row - 2][HEADER.index(column)] = value
    return rows


BAD = {
    # name: (rows, mapping, what the one problem must say)
    "not-a-number": (_cell(2, "How many years have you lived here?", "about ten"), MAPPING,
                     dict(row=2, value="about ten", message="not a valid answer to 'years'", expected="a whole number in years from 0 to 100")),
    "out-of-range": (_cell(3, "How many years have you lived here?", "140"), MAPPING,
                     dict(row=3, value="140", expected="from 0 to 100")),
    "not-whole": (_cell(2, "How many years have you lived here?", "2.5"), MAPPING, dict(row=2, value="2.5", expected="a whole number")),
    "bad-rank": (_cell(2, "Rank: Shops", "4"), MAPPING, dict(row=2, value="4", message="not a rank", expected="from 1 to 3")),
    "bad-grid": (_cell(3, "Services: Bins", "Great"), MAPPING, dict(row=3, value="Great", expected="'Good'")),
    "undeclared-option-value": (_cell(2, "Groups [Faith group]", "Vielleicht"), MAPPING,
                                dict(row=2, value="Vielleicht", message="neither chosen nor not chosen", expected="not_chosen")),
    "na-not-declared": (ROWS, MAPPING.replace('    missing: ["N/A"]\n', ""),
                        dict(row=3, value="N/A", message="neither chosen nor not chosen", expected="missing")),
    "unknown-label": (_cell(5, "How safe do you feel?", "Quite safe"), MAPPING,
                      dict(row=5, value="Quite safe", message="answer not in the mapping or the questionnaire for 'safety'",
                           expected="'Very unsafe', 'Unsafe', 'Safe', 'Very safe'")),
    "wrong-kind-section": (ROWS, MAPPING.replace("  safety: \"How safe", "  groups_x: \"How safe"),
                           dict(message="fields: 'groups_x' is not a single, rating, numeric or text question")),
    "other-without-option": (ROWS, MAPPING.replace("other_text:\n  tenure:", "other_text:\n  safety:"),
                             dict(message="other_text: 'safety' is not a single or multi question of the ward's questionnaire (it is a rating question)")),
    "null-only-for-unknown-code": (ROWS, MAPPING.replace('  years: {"-99": null}', '  years: {"-99": null}\n  safety: {"OK": okay}'),
                                   dict(value="okay", message="values.safety['OK']: unknown code")),
    "personal-free-text": (_cell(5, "What one thing would you change?", "Ring me on 07911 123456"), MAPPING,
                           dict(row=5, column="What one thing would you change?", message="may hold personal information",
                                value="[withheld: a UK phone number ending 456]")),
    "column-read-twice": (ROWS, MAPPING.replace('  change: "What one thing would you change?"', '  change: "How safe do you feel?"'),
                          dict(message="is mapped more than once")),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_malformed_cell_or_mapping_is_one_clear_problem_and_nothing_is_written(kind: str, project: Project, tmp_path: Path) -> None:
    rows, mapping, want = BAD[kind]
    export = write_csv(tmp_path / "export.csv", rows)
    before = snapshot(project.data_dir / WARD)
    with pytest.raises(InputError) as exc:
        run(project, export, mapping)
    problems = exc.value.problems
    assert any(problem_matches(p, want) for p in problems), f"{kind}: wanted {want}, got\n" + "\n".join(map(str, problems))
    for p in problems:
        if p.row is not None:  # a cell's problem names the file, row, column and value
            assert p.file.endswith("export.csv") and p.column and p.value is not None and p.expected, str(p)
    assert snapshot(project.data_dir / WARD) == before
