"""The named fact definitions: one number per fact, the same rendering everywhere, qualifiers attached."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import facts
from cityconv.chapters import profile as P
from cityconv.chapters import survey as S
from cityconv.chapters.loader import open_chapter
from cityconv.methods import claims as C
from cityconv.methods.disclosure import DisclosureRules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clubmoor_profile():
    return P.load_profile("clubmoor", REPO)


@pytest.fixture(scope="module")
def clubmoor_survey():
    return S.from_chapter(open_chapter("clubmoor", REPO))


def test_every_definition_names_what_is_counted_base_year_boundary_and_source():
    for fact_id, d in facts.DEFINITIONS.items():
        assert d.fact_id == fact_id
        for part in (d.counted, d.base, d.year, d.boundary, d.source):
            assert part.strip(), (fact_id, d)


def test_clubmoor_population_facts_are_exact_and_say_which_definition(clubmoor_profile):
    pop = facts.population_facts(clubmoor_profile)
    assert pop["population_2021"].text == "15,373"  # the sum of its output areas, never rounded to "about 15,400"
    assert "output areas" in pop["population_2021"].phrase and "2021" in pop["population_2021"].phrase
    assert pop["population_2011"].text == "15,272" and "official" in pop["population_2011"].phrase
    assert pop["population_described"].text == "about 15,000"
    assert "project" in pop["population_described"].phrase


def test_only_the_project_ward_has_a_described_population():
    assert facts.population_described("E05000892") is not None
    assert facts.population_described("E05000887") is None  # Anfield: synthetic engagement data, no description
    anfield = facts.population_facts(P.load_profile("anfield", REPO))
    assert "population_described" not in anfield and anfield["population_2021"].text == "14,731"


def test_a_ward_without_census_figures_has_no_population_fact():
    assert facts.population_2021(pd.NA) is None and facts.population_2011(None) is None
    waterfront = facts.population_facts(P.load_profile("e05015332", REPO))
    assert set(waterfront) == {"population_2021"}  # from output areas it has residents; no 2011 figure


def test_the_two_answer_bases_are_different_facts_with_their_own_qualifier(clubmoor_survey):
    sv = clubmoor_survey
    every = facts.survey_answer_share(sv.responses, sv.mentions, "best_things", "green_spaces", rules=sv.rules)
    answered = facts.survey_answer_share(sv.responses, sv.mentions, "best_things", "green_spaces", answered=True,
                                         rules=sv.rules)
    assert every.text == "50%" and every.fact_id == "answer_share_all" and every.phrase == "50% of all respondents"
    assert answered.text == "52%" and answered.fact_id == "answer_share_answered"
    assert answered.phrase == "52% of those who answered"
    # single-answer questions: a column of the responses
    rec = facts.survey_answer_share(sv.responses, sv.mentions, "recommend", "yes", rules=sv.rules)
    assert rec.text == "69%"  # 33 of 48


def test_the_survey_chapter_prints_the_registry_numbers(clubmoor_survey):
    text = S.summary_text(clubmoor_survey)
    assert "“Green spaces and parks” (50% of all respondents)" in text  # labels keep their case
    assert S.multi_response_text(clubmoor_survey, "best_things").count("(50%") == 1


def test_a_withheld_share_is_not_a_fact():
    rules = DisclosureRules()
    assert facts.answer_share(3, 48, rules=rules) is None  # small count
    assert facts.answer_share(6, 8, rules=rules) is None  # base below the percentage threshold
    assert facts.answer_share(6, 48, rules=rules).text == "13%"


def test_one_age_grouping_for_the_digital_comparison(clubmoor_survey):
    assert facts.AGE_GROUP_BANDS == {C.YOUNGER_LABEL: C.YOUNGER_BANDS, C.OLDER_LABEL: C.OLDER_BANDS}
    assert set(facts.AGE_GROUPS) == {"16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"}
    assert S.AGE_GROUPS is facts.AGE_GROUPS and (S.YOUNGER, S.OLDER) == (C.YOUNGER_LABEL, C.OLDER_LABEL)
    by_age = facts.digital_share_by_age(clubmoor_survey.responses, clubmoor_survey.mentions, clubmoor_survey.rules)
    assert by_age[C.YOUNGER_LABEL].text == "86%" and by_age[C.OLDER_LABEL].text == "47%"
    # the claim's evidence uses the same groups and base, so it states the same shares
    claim = next(c for c in C.CLAIMS if c.claim_id == "digital_for_younger")
    result = claim.evaluate(clubmoor_survey.data, None)
    assert result.passed is True
    assert round(result.evidence["share_younger_digital"], 2) == 0.86
    assert round(result.evidence["share_older_digital"], 2) == 0.47
    assert "16 to 54" in claim.operationalised and "55 and over" in claim.operationalised
    # and the survey chapter's prose gives those numbers
    text = S.methods_by_age_text(clubmoor_survey)
    assert "86% of those aged 16 to 54" in text and "47% of those aged 55 and over" in text


# ---- aims, their statuses and targets: one rule for every page (issue 23, item 2)


@pytest.fixture(scope="module")
def clubmoor_objectives() -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "clubmoor" / "objectives.csv", dtype={"status": str})


def test_clubmoor_has_seven_aims_and_four_numeric_targets(clubmoor_objectives):
    count = facts.aim_count(clubmoor_objectives)
    # 8 rows: "Deliver 6 citizen focus groups and 2 community workshops" is one published aim with two targets
    assert (len(clubmoor_objectives), count.aims, count.targets, count.aims_with_target) == (8, 7, 4, 3)
    assert count.phrase == "7 aims, 3 of them with a number to reach (4 targets in all)"


def test_an_aim_with_one_target_each_is_said_without_the_bracket():
    frame = pd.DataFrame({"objective": ["A", "B"], "target": [5, None], "status": ["met", "not quantified"]})
    assert facts.aim_count(frame).phrase == "2 aims, 1 of them with a number to reach"
    assert facts.aim_count(frame.iloc[0:0]) is None


def test_an_aim_whose_targets_disagree_in_status_is_not_clear():
    frame = pd.DataFrame({"objective": ["A", "A", "B"], "target": [1, 2, None], "status": ["met", "adapted", "met"]})
    assert dict(facts.aims(frame).itertuples(index=False, name=None)) == {"A": "unclear", "B": "met"}
    assert facts.aims_by_status(frame)["unclear"] == 1 and facts.aims_by_status(frame)["met"] == 1


def test_clubmoor_aims_by_status_count_the_two_target_aim_once(clubmoor_objectives):
    counts = facts.aims_by_status(clubmoor_objectives)
    assert counts == {"met": 0, "not met": 0, "adapted": 1, "unclear": 2, "not quantified": 4}
    assert sum(counts.values()) == facts.aim_count(clubmoor_objectives).aims


def test_a_share_of_a_target_is_only_given_for_an_aim_that_was_met_or_not_met():
    assert facts.target_share(20, 23, "met").text == "115%"
    assert facts.target_share(60, 48, "not met").text == "80%"
    for status in ("unclear", "adapted", "not quantified"):  # "115%" would read as met when the status withholds it
        assert facts.target_share(20, 23, status) is None
    assert facts.target_share(None, 3, "met") is None and facts.target_share(0, 3, "met") is None


def test_clubmoor_training_and_residents_targets_have_no_share(clubmoor_objectives):
    by_id = clubmoor_objectives.set_index("objective_id")
    for aim in ("train_researchers", "engage_residents"):
        row = by_id.loc[aim]
        assert row["status"] == "unclear"
        assert facts.target_share(row["target"], row["delivered"], row["status"]) is None
        assert facts.aim_status(row["status"]) == "Not clear"
