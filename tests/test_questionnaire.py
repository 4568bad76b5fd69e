"""A ward's own questionnaire: strict loading with line numbers, schemas that follow it, shared questions compared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cityconv.core.problems import InputError
from cityconv.data.questionnaire import (
    load_questionnaire,
    standard_questionnaire,
    template_text,
    ward_questionnaire,
)
from cityconv.data.wardfiles import load_ward_data, validate_data_dir, ward_descriptor

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"

EXTRA_MULTI = """
  - id: local_events
    kind: multi
    text: "Which local events have you been to this year?"
    short: "Local events"
    options:
      fair: "The summer fair"
      market: "The market"
"""


def problems_of(tmp_path: Path, text: str):
    path = tmp_path / "questionnaire.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_questionnaire(path, tmp_path)
    return exc.value.problems


def test_template_fills_in_the_ward_and_names_no_other_ward():
    q = standard_questionnaire("Orrell Park")
    assert q.question("recommend").text == "Would you recommend Orrell Park as a place to live?"
    assert q.ward == "Orrell Park" and q.reconstructed is False and q.added() == []
    text = template_text("Orrell Park")
    assert "Clubmoor" not in text and "Ducky" not in text and "{ward}" not in text


def test_clubmoor_carries_its_reconstructed_wording():
    q = load_questionnaire(CLUBMOOR / "questionnaire.yml", REPO)
    assert q.reconstructed is True and "RECONSTRUCTED" in (CLUBMOOR / "questionnaire.yml").read_text(encoding="utf-8")
    assert q.labels("best_things")["green_spaces"] == "Green spaces and parks (e.g. the Ducky)"
    assert q.question("recommend").text == "Would you recommend Clubmoor as a place to live?"
    assert (REPO / "data" / "anfield" / "questionnaire.yml").read_text(encoding="utf-8") == template_text("Anfield")


def test_misspelt_key_is_reported_with_its_line_and_a_suggestion(tmp_path):
    text = template_text("X").replace("    options:\n      \"yes\"", "    optoins:\n      \"yes\"")
    lines = text.splitlines()
    line = next(i for i, l in enumerate(lines, 1) if "optoins" in l)
    found = problems_of(tmp_path, text)
    assert any(p.line == line and "unknown key 'questions.2.optoins' — did you mean 'options'?" in p.message for p in found), found


@pytest.mark.parametrize("edit, message", [
    (lambda t: t + "\n  - id: recommend\n    kind: single\n    text: \"Again?\"\n    short: \"Again\"\n    options: {a: A, b: B}\n",
     "question id 'recommend' is used twice"),
    (lambda t: t.replace("      Female: \"Female\"", "      Woman: \"Female\""),
     "census map 'Female' is not one of its options — did you mean 'Male'?"),
    (lambda t: t.replace('        Male: {"Male": 1}', '        Male: {"Males": 1}'),
     "census map 'Male': 'Males' is not a Census sex category — did you mean 'Male'?"),
    (lambda t: t.replace('        25-34: {"25-34": 1}', '        25-34: {"15-24": 0.5}'),
     "the options cover 1.5 of Census category '15-24'"),
    (lambda t: t.replace("      topic: ethnic_group", "      topic: ethnicity"), "questions.8.census.topic"),
    (lambda t: t.replace("    kind: single\n    text: \"Would", "    kind: singel\n    text: \"Would"), "questions.2.kind"),
    (lambda t: t.replace("    short: \"Would recommend\"\n", "    short: \"Would recommend\"\n    max_answers: 2\n"),
     "max_answers is only for multi questions"),
    (lambda t: t.replace("  - id: recommend", "  - id: month"), "question id 'month' is a column of the survey files"),
    (lambda t: t.replace("reconstructed: false", "reconstructed: no"), "reconstructed"),
    (lambda t: t.replace('      not_sure: "Not sure"', '      "not sure, really": "Not sure"'), "questions.2.options"),
])
def test_bad_questionnaires_are_refused(tmp_path, edit, message):
    found = problems_of(tmp_path, edit(template_text("X")))
    assert any(message in p.message for p in found), found
    assert all(p.file == "questionnaire.yml" for p in found)


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "w"
    shutil.copytree(CLUBMOOR, folder)
    return folder


def test_a_bad_questionnaire_is_reported_by_validate_and_the_survey_files_wait(ward, tmp_path):
    path = ward / "questionnaire.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - id: improve\n", "  - id: improve\n    colour: red\n"),
                    encoding="utf-8")
    found = validate_data_dir(ward, tmp_path)
    assert [(p.file, p.message) for p in found] == [
        ("data/w/questionnaire.yml", "unknown key 'questions.1.colour'")]
    assert found[0].line is not None


def test_an_added_multi_question_extends_the_mentions_schema(ward, tmp_path):
    with open(ward / "questionnaire.yml", "a", encoding="utf-8") as fh:
        fh.write(EXTRA_MULTI)
    with open(ward / "survey_mentions.csv", "a", encoding="utf-8") as fh:
        fh.write("S01,local_events,fair\nS02,local_events,market\n")
    assert validate_data_dir(ward, tmp_path) == []
    q, _ = ward_questionnaire(ward, tmp_path)
    d = ward_descriptor("survey_mentions", q)
    assert d["x-codes-by-question"]["codes"]["local_events"] == ["fair", "market"]
    with open(ward / "survey_mentions.csv", "a", encoding="utf-8") as fh:
        fh.write("S03,local_events,green_spaces\n")
    found = validate_data_dir(ward, tmp_path)
    assert [(p.row, p.column, p.value) for p in found] == [(len((ward / "survey_mentions.csv").read_text().splitlines()),
                                                           "code", "green_spaces")]
    assert "'fair', 'market'" in found[0].expected


def test_a_removed_question_is_an_unexpected_column(ward, tmp_path):
    path = ward / "questionnaire.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: covid_community_spirit")
    end = text.index("  - id: preferred_methods")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    found = validate_data_dir(ward, tmp_path)
    assert {(p.row, p.column) for p in found} == {(1, "covid_community_spirit")}


def test_comparison_compares_only_the_questions_wards_share(tmp_path):
    from cityconv.chapters import comparison as cmp
    from nbtools import add_ward

    for name in ("alpha", "beta"):
        add_ward(tmp_path, name)
    shutil.copytree(REPO / "data" / "context", tmp_path / "data" / "context")
    with open(tmp_path / "data" / "beta" / "questionnaire.yml", "a", encoding="utf-8") as fh:
        fh.write(EXTRA_MULTI)
    (tmp_path / "params" / "ward-comparison.yml").write_text(
        "id: ward-comparison\nkind: study\ntitle: Comparing wards\n", encoding="utf-8")
    comp = cmp.load_comparison("ward-comparison", tmp_path)
    shared = cmp.shared_questions(comp)
    assert "local_events" not in shared and {"best_things", "recommend"} <= set(shared)
    assert "Beta (reconstructed): Local events" in cmp.own_questions_text(comp)
    frame = cmp.shared_questions_frame(comp)
    assert frame.loc["Would recommend"].tolist() == ["Yes: 33 (69% of all 48 respondents)"] * 2  # shares of all respondents, as every page
    assert load_ward_data(tmp_path / "data" / "beta", tmp_path).questionnaire.added()[0].id == "local_events"
