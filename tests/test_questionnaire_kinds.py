"""The seven question kinds: what each declares, the columns it gives, and the problems a bad one reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityconv.core.problems import InputError
from cityconv.data.questionnaire import load_questionnaire, standard_questionnaire

HEAD = """title: "A study of its own"
ward: "Test Ward"
reconstructed: false
introduction: "Questions of every kind."
questions:
"""

EVERY_KIND = """
  - id: tenure
    kind: single
    text: "How long have you lived here?"
    short: "Time lived here"
    ordered: true
    options: {under_1: "Under a year", one_to_5: "1 to 5 years", over_5: "Over 5 years"}
    missing: {dk: "Don't know"}
  - id: groups
    kind: multi
    text: "Which groups do you belong to?"
    short: "Groups"
    max_answers: 2
    other: other
    options: {choir: "Choir", Star_Wars: "Star Wars fan club", other: "Other, please specify"}
  - id: safety
    kind: rating
    text: "How safe do you feel after dark?"
    short: "Safety after dark"
    options: {"1": "Very unsafe", "2": "Unsafe", "3": "Safe", "4": "Very safe"}
    missing: {"-99": "Prefer not to say"}
  - id: age_years
    kind: numeric
    text: "How old are you?"
    short: "Age"
    unit: "years"
    range: [16, 110]
    integer: true
  - id: comments
    kind: text
    text: "Anything else?"
    short: "Comments"
  - id: priorities
    kind: ranking
    text: "Rank these from most to least important."
    short: "Priorities"
    options: {parks: "Parks", buses: "Buses", shops: "Shops"}
  - id: services
    kind: grid
    text: "How satisfied are you with each service?"
    short: "Services"
    options: {low: "Not satisfied", mid: "Fairly satisfied", high: "Very satisfied"}
    items: {bins: "Bin collection", libraries: "Libraries"}
  - id: gender
    kind: single
    text: "How do you describe yourself?"
    short: "Gender"
    options: {woman: "Woman", man: "Man", non_binary: "Non-binary", self: "Prefer to self-describe"}
    census:
      topic: sex
      map: {woman: {"Female": 1}, man: {"Male": 1}}
  - id: age_band
    kind: single
    text: "Your age?"
    short: "Age band"
    ordered: true
    options: {"18_29": "18 to 29", "30_49": "30 to 49", "50_plus": "50 and over"}
    census:
      topic: age
      map:
        "18_29": {"15-24": 0.6, "25-34": 1}
        "30_49": {"35-44": 1, "45-54": 0.5}
        "50_plus": {"45-54": 0.5, "55-64": 1, "65-74": 1, "75+": 1}
"""


def load(tmp_path: Path, questions: str):
    path = tmp_path / "questionnaire.yml"
    path.write_text(HEAD + questions, encoding="utf-8")
    return load_questionnaire(path, tmp_path)


def problems_of(tmp_path: Path, questions: str):
    with pytest.raises(InputError) as exc:
        load(tmp_path, questions)
    return exc.value.problems


def test_every_kind_loads_with_its_columns_order_and_codes(tmp_path):
    q = load(tmp_path, EVERY_KIND)
    assert [x.kind for x in q.questions] == ["single", "multi", "rating", "numeric", "text", "ranking", "grid",
                                             "single", "single"]
    assert {x.id: x.response_columns() for x in q.questions} == {
        "tenure": ["tenure"], "groups": [], "safety": ["safety"], "age_years": ["age_years"], "comments": [],
        "priorities": ["priorities__parks", "priorities__buses", "priorities__shops"],
        "services": ["services__bins", "services__libraries"], "gender": ["gender"], "age_band": ["age_band"]}
    assert {x.id for x in q.questions if x.is_ordered} == {"tenure", "safety", "services", "age_band"}
    assert list(q.question("safety").all_codes()) == ["1", "2", "3", "4", "-99"]
    assert q.question("groups").options["Star_Wars"] == "Star Wars fan club"  # labels and codes keep their case
    numeric = q.question("age_years")
    assert (numeric.range, numeric.integer, numeric.unit) == ((16.0, 110.0), True, "years")
    assert [x.id for x in q.of_kind("rating", "grid")] == ["safety", "services"]
    assert q.census_question("sex").id == "gender" and q.census_question("ethnic_group") is None
    assert q.census_question("age").census.map["18_29"] == {"15-24": 0.6, "25-34": 1.0}


def test_the_city_conversation_template_maps_its_about_you_questions_to_the_census():
    q = standard_questionnaire()
    assert {t: q.census_question(t).id for t in ("age", "sex", "ethnic_group")} == {
        "age": "age_band", "sex": "sex", "ethnic_group": "ethnic_group"}
    assert q.question("age_band").census.map["16-24"] == {"15-24": 1.0}
    assert "Prefer not to say" not in q.question("sex").census.map  # no Census counterpart: left out
    assert q.question("age_band").is_ordered and not q.question("recommend").is_ordered


def test_a_study_without_demographics_is_a_questionnaire_like_any_other(tmp_path):
    q = load(tmp_path, EVERY_KIND[: EVERY_KIND.index("  - id: gender")])
    assert all(q.census_question(t) is None for t in ("age", "sex", "ethnic_group"))


QUESTION = """
  - id: q1
    kind: {kind}
    text: "A question?"
    short: "Q1"
{extra}"""


@pytest.mark.parametrize("kind, extra, message", [
    ("numeric", "    options: {a: A, b: B}", "question 'q1': options is only for single, multi, rating, ranking or grid "
                                            "questions, not numeric"),
    ("single", "", "question 'q1': a single question needs options"),
    ("grid", "    options: {a: A, b: B}", "a grid question needs items"),
    ("single", "    options: {a: A, b: B}\n    items: {x: X}", "items is only for grid questions, not single"),
    ("single", "    options: {a: A, b: B}\n    unit: years", "unit is only for numeric questions, not single"),
    ("text", "    required: true", "required is only for single, rating or numeric questions, not text"),
    ("rating", "    options: {a: A, b: B}\n    ordered: false", "a rating scale is ordered"),
    ("multi", "    options: {a: A, b: B}\n    ordered: true", "ordered is only for single, rating or grid questions"),
    ("multi", "    options: {a: A, b: B}\n    max_answers: 3", "max_answers 3 is more than its 2 options"),
    ("single", "    options: {a: A, other: Other}\n    other: othr",
     "other 'othr' is not one of its options — did you mean 'other'?"),
    ("rating", "    options: {a: A, b: B}\n    other: a", "other is only for single or multi questions, not rating"),
    ("single", "    options: {a: A, dk: B}\n    missing: {dk: \"Don't know\"}", "missing code 'dk' is also an option"),
    ("text", "    missing: {dk: \"Don't know\"}", "missing is only for single, multi, rating, numeric or grid"),
    ("numeric", "    range: [120, 0]", "range [120, 0]: the lowest comes first"),
    ("numeric", "    range: [0, \"lots\"]", "questions.0.range"),
    ("ranking", "    options: {Parks: A, b: B}", "ranking option 'Parks' names a column q1__Parks"),
    ("multi", "    options: {a: A, b: B}\n    census: {topic: sex, map: {a: {Female: 1}}}",
     "census is only for single questions, not multi"),
    ("single", "    options: {a: A, b: B}\n    census: {topic: age, map: {a: {\"15-24\": 1.5}}}",
     "the fraction of '15-24' must be more than 0 and at most 1, not 1.5"),
    ("single", "    options: {a: A, b: B}\n    census: {topic: age, map: {c: {\"15-24\": 1}}}",
     "census map 'c' is not one of its options"),
    ("single", "    options: {a: A, b: B}\n    census: {topic: age, map: {a: {\"16-24\": 1}}}",
     "'16-24' is not a Census age category"),
    ("single", "    options: {a: A, b: B}\n    census: {topic: sex, map: {a: {Female: \"1\"}}}",
     "questions.0.census.map.a.Female"),
    ("sngle", "    options: {a: A, b: B}", "questions.0.kind"),
])
def test_a_bad_question_is_refused_with_its_line(tmp_path, kind, extra, message):
    found = problems_of(tmp_path, QUESTION.format(kind=kind, extra=extra))
    assert any(message in p.message for p in found), found
    assert all(p.file == "questionnaire.yml" and p.line is not None for p in found), found


@pytest.mark.parametrize("qid", ["a__b", "Age", "1st", "age-band"])
def test_a_question_id_must_be_a_plain_column_name(tmp_path, qid):
    found = problems_of(tmp_path, QUESTION.format(kind="text", extra="").replace("id: q1", f"id: {qid}"))
    assert any("questions.0.id" in p.message for p in found), found


def test_two_questions_cannot_both_stand_for_one_census_topic(tmp_path):
    both = EVERY_KIND + EVERY_KIND[EVERY_KIND.index("  - id: gender"):EVERY_KIND.index("  - id: age_band")].replace(
        "id: gender", "id: gender_again")
    found = problems_of(tmp_path, both)
    assert [p.message for p in found] == [
        "two questions map to the Census topic 'sex': keep the census: mapping on one"]
