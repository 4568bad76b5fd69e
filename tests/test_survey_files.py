"""A ward's survey files follow its questionnaire, whatever the kinds of its questions: columns, codes,
numbers, ranks and typed text are checked cell by cell, and each problem names file, row, column and value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cityconv.data.questionnaire import ward_questionnaire
from cityconv.data.wardfiles import (
    codebook_markdown,
    free_text_columns,
    load_ward_data,
    validate_data_dir,
    ward_descriptor,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "own_questions"


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "w"
    shutil.copytree(FIXTURE, folder)
    shutil.copytree(REPO / "data" / "city", tmp_path / "data" / "city")
    return folder


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row numbered as in the file, header = 1)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def found(ward: Path) -> list[tuple]:
    return [(p.file.rsplit("/", 1)[-1], p.row, p.column, p.value, p.message) for p in validate_data_dir(ward, ward.parents[1])]


def test_a_ward_with_questions_of_every_kind_validates_and_loads_typed(ward):
    assert validate_data_dir(ward, ward.parents[1]) == []
    data = load_ward_data(ward, ward.parents[1])
    r = data.survey_responses
    assert list(r.columns[3:5]) == ["gender", "age_group"]  # questions compared with the Census come first
    assert str(r["priorities__parks"].dtype) == "Int64" and r["services__bins"].cat.ordered
    assert list(r["safety"].cat.categories) == ["1", "2", "3", "4", "5", "-99"]
    assert set(r["years_here"].dropna()) >= {"dk"}  # a numeric column keeps its missing codes as written
    assert set(data.survey_text["question"]) == {"groups", "comments"}
    assert free_text_columns("survey_text") == ["text"]  # what the personal-information screen reads


@pytest.mark.parametrize("row, column, value, message, expected", [
    (2, "years_here", "lots", "not a number", "a whole number from 0 to 99, or one of the missing codes 'dk'"),
    (2, "years_here", "120", "number out of range", "a whole number from 0 to 99"),
    (2, "years_here", "3.5", "not a whole number", "a whole number"),
    (3, "safety", "6", "unknown code", "one of: '1', '2', '3', '4', '5', '-99'"),
    (4, "services__lighting", "medium", "unknown code", "one of: 'low', 'mid', 'high'"),
    (5, "priorities__shops", "5", "value out of range", "a value <= 4"),
    (6, "gender", "Woman", "unknown code", "'woman'"),
])
def test_a_bad_cell_is_named_by_file_row_column_and_value(ward, row, column, value, message, expected):
    edit_cell(ward / "survey_responses.csv", row, column, value)
    problems = validate_data_dir(ward, ward.parents[1])
    assert [(p.file, p.row, p.column, p.value, p.message) for p in problems] == [
        ("data/w/survey_responses.csv", row, column, value, message)]
    assert expected in problems[0].expected


def test_a_rank_given_twice_in_one_response_is_refused(ward):
    path = ward / "survey_responses.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    row = next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], 2)
               if line.split(",")[header.index("priorities__parks")] == "1")
    edit_cell(path, row, "priorities__buses", "1")
    assert found(ward) == [("survey_responses.csv", row, "priorities__buses", "1",
                            "rank 1 is given twice in this response (also to priorities__parks)")]


def test_typed_text_must_match_its_question(ward):
    with open(ward / "survey_text.csv", "a", encoding="utf-8") as fh:
        fh.write("S01,comments,other,Lovely place\nS01,groups,,Darts team\nS01,tenure,,Ten years\n"
                 "S01,comments,,Quiet streets\nS01,comments,,Quiet streets again\n")
    n = len((ward / "survey_text.csv").read_text(encoding="utf-8").splitlines())
    problems = found(ward)
    assert ("survey_text.csv", n - 4, "option", "other", "option does not match the question") in problems
    assert ("survey_text.csv", n - 3, "option", None, "option does not match the question") in problems
    assert ("survey_text.csv", n - 2, "question", "tenure", "unknown code") in problems
    assert ("survey_text.csv", n, "response_id, question, option", ("S01", "comments", ""),
            f"a second text for this response and question (first in row {n - 1})") in problems
    assert len(problems) == 4


def test_no_dates_no_mode_and_no_free_text_are_allowed(ward):
    path = ward / "survey_responses.csv"
    for row in range(2, 5):
        edit_cell(path, row, "month", "")
        edit_cell(path, row, "mode", "")
    (ward / "survey_text.csv").write_text("response_id,question,option,text\n", encoding="utf-8")
    assert found(ward) == []


def test_the_personal_information_screen_reads_typed_text(ward):
    import warnings

    import pandas as pd

    from cityconv.data.denylist import load_denylist
    from cityconv.methods.pii import screen_table

    with open(ward / "survey_text.csv", "a", encoding="utf-8") as fh:
        fh.write("S01,comments,,Ring me on 07911 123456 about the park\n")
    frame = pd.read_csv(ward / "survey_text.csv", dtype=str, keep_default_na=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without a local deny-list of names: phone numbers are still found
        hits = screen_table(frame, free_text_columns("survey_text"), "data/w/survey_text.csv", denylist=load_denylist())
    assert [(h.row, h.column) for h in hits] == [(len(frame) + 1, "text")]


def test_the_codebook_describes_every_kind(ward):
    q, _ = ward_questionnaire(ward, ward.parents[1])
    book = codebook_markdown(q)
    for line in (
        "| `tenure` | one answer, ordered | Time lived here | `survey_responses.csv`: `tenure` | `dk` = Don't know |",
        "| `safety` | a rating scale (ordered) |",
        "| `years_here` | a number, years |",
        "| `priorities` | a ranking | Priorities | `survey_responses.csv`: `priorities__parks`, `priorities__buses`,",
        "| `services` | a grid of items sharing one scale |",
        "| `comments` | free text | Other comments | `survey_text.csv` (one row per answer) | none |",
        "| `gender` | one answer; compared with the Census (sex) |",
        "the text typed beside `other` in `survey_text.csv`",
        "| a whole number from 0 to 99; or `dk` = Don't know |",
        "| 1 to 4 (each rank at most once in a response) |",
        "- `star_wars` = Star Wars fan club",
    ):
        assert line in book, line
    assert [f["name"] for f in ward_descriptor("survey_text", q)["fields"]] == ["response_id", "question", "option", "text"]
