"""Who took part for any questionnaire: census mappings, answers with no census counterpart, absent questions.

Issue 22 item 1: a study asks age, sex and ethnic group in its own categories (or not at all). The
chapter compares and weights through each question's `census:` mapping; the weights are checked here
against an independent raking written out in the test, from the census file read directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import survey as S  # noqa: E402
from cityconv.chapters import who_took_part as R  # noqa: E402
from cityconv.data.context import load_context  # noqa: E402
from cityconv.data.questionnaire import Questionnaire  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED, DisclosureRules  # noqa: E402
from cityconv.methods.stats import census_margin  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = ("E05000892", "2004-2023")
SMALL_IN_PROSE = re.compile(r"(?<![\d.,%±-])\b[1-4]\s+(?:of the [\d,]+\s+)?(?:respondents?|people)\b", re.IGNORECASE)

AGE_MAP = {"18_29": {"15-24": 0.7, "25-34": 0.5},  # 18-24 is 7 of the 10 years of census band 15-24
           "30_49": {"25-34": 0.5, "35-44": 1, "45-54": 0.5},
           "50_plus": {"45-54": 0.5, "55-64": 1, "65-74": 1, "75+": 1}}


def questionnaire(*questions: dict) -> Questionnaire:
    return Questionnaire.model_validate({"title": "A study of its own", "ward": "Clubmoor", "reconstructed": False,
                                         "introduction": "Questions of our own.", "questions": list(questions)})


SATISFACTION = {"id": "satisfaction", "kind": "rating", "text": "How satisfied are you with the area?",
                "short": "Satisfaction", "options": {"1": "Very dissatisfied", "2": "Dissatisfied", "3": "Neither",
                                                     "4": "Satisfied", "5": "Very satisfied"}}
AGE = {"id": "age", "kind": "single", "text": "How old are you?", "short": "Age", "ordered": True,
       "options": {"18_29": "18 to 29", "30_49": "30 to 49", "50_plus": "50 and over"},
       "missing": {"pns": "Prefer not to say"}, "census": {"topic": "age", "map": AGE_MAP}}
GENDER = {"id": "gender", "kind": "single", "text": "What is your gender?", "short": "Gender",
          "options": {"woman": "Woman", "man": "Man", "non_binary": "Non-binary", "self": "Prefer to self-describe"},
          "census": {"topic": "sex", "map": {"woman": {"Female": 1}, "man": {"Male": 1}}}}


def responses() -> pd.DataFrame:
    """60 respondents: ages 12 / 20 / 26 and 2 who preferred not to say; 32 women, 24 men, 3 non-binary and
    1 who self-described (4 with no census counterpart: fewer than the threshold of 5)."""
    ages = ["18_29"] * 12 + ["30_49"] * 20 + ["50_plus"] * 26 + ["pns"] * 2
    genders = (["woman", "man"] * 24 + ["woman"] * 8 + ["non_binary"] * 3 + ["self"])
    ratings = [str(1 + (i * 7) % 5) for i in range(60)]
    return pd.DataFrame({"response_id": [f"R{i:02d}" for i in range(60)], "month": "2024-05", "mode": "online",
                         "satisfaction": ratings, "age": ages, "gender": genders})


@pytest.fixture(scope="module")
def context():
    return load_context(REPO / "data" / "context", *CLUBMOOR)


@pytest.fixture(scope="module")
def comp(context):
    sv = S.Survey("Clubmoor", responses(), None, DisclosureRules(), "test records",
                  questionnaire=questionnaire(SATISFACTION, AGE, GENDER))
    return R.composition(sv, context)


def census(table: str) -> pd.Series:
    """The ward's census counts, read from the file itself (not through the package's loaders)."""
    frame = pd.read_csv(REPO / "data" / "context" / f"{table}.csv", dtype={"category": str})
    rows = frame[(frame["ward_code"] == CLUBMOOR[0]) & (frame["boundary_set"] == CLUBMOOR[1])]
    return rows.set_index("category")["count"].astype(float)


# --------------------------------------------------------------------------- the census margin


def test_census_margin_adds_the_declared_fractions_of_census_bands():
    counts = pd.Series({"15-24": 100.0, "25-34": 200.0, "35-44": 300.0})
    margin = census_margin(counts, {"18_29": {"15-24": 0.7, "25-34": 0.5}, "30_44": {"25-34": 0.5, "35-44": 1}})
    assert margin.to_dict() == pytest.approx({"18_29": 170 / 570, "30_44": 400 / 570})


@pytest.mark.parametrize("mapping, words", [
    ({"a": {"15-25": 1}}, "census map 'a': '15-25' is not a Census category"),
    ({"a": {"15-24": 1.5}}, "must be more than 0 and at most 1, not 1.5"),
    ({"a": {"15-24": 0}, "b": {"25-34": 1}}, "must be more than 0 and at most 1, not 0"),  # as the questionnaire says
    ({"a": {"15-24": 0.6}, "b": {"15-24": 0.6}}, "the options cover 1.2 of Census category '15-24'"),
])
def test_census_margin_refuses_a_mapping_that_cannot_be_right(mapping, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        census_margin(pd.Series({"15-24": 100.0, "25-34": 200.0}), mapping)


# --------------------------------------------------------------------------- non-census bands, "Non-binary"


def test_age_groups_follow_the_studys_own_bands_and_population(comp):
    cmp = R.compare(comp, "age")
    table = cmp.table.set_index("category")
    age = census("age")
    expected = {"18_29": 0.7 * age["15-24"] + 0.5 * age["25-34"],
                "30_49": 0.5 * age["25-34"] + age["35-44"] + 0.5 * age["45-54"],
                "50_plus": 0.5 * age["45-54"] + age["55-64"] + age["65-74"] + age["75+"]}
    total = sum(expected.values())
    labels = {"18_29": "People aged 18 to 29", "30_49": "People aged 30 to 49", "50_plus": "People aged 50 and over"}
    for code, label in labels.items():
        assert table.loc[label, "population_share"] == pytest.approx(expected[code] / total)
    assert table.loc["People aged 18 to 29", "sample_count"] == 12
    assert table.loc[R.NOT_STATED, "sample_count"] == 2  # the missing code "pns" is not stated, not an answer


def test_gender_options_without_a_census_counterpart_are_counted_not_compared(comp):
    cmp = R.compare(comp, "sex")
    assert list(cmp.counts.index) == ["Female", "Male", R.LEFT_OUT]
    assert cmp.counts[R.LEFT_OUT] == 4
    sex = census("sex")
    table = cmp.table.set_index("category")
    assert table.loc["Female", "population_share"] == pytest.approx(sex["Female"] / (sex["Female"] + sex["Male"]))
    shown = R.comparison_table(comp, "sex").frame
    row = "Non-binary, Prefer to self-describe (no Census counterpart)"
    assert shown.loc[row, "Respondents"] == SUPPRESSED  # 4: below the threshold, by the table's own decision
    assert shown.loc[row, "Verdict"] == "[x]" and shown.loc[row, "% of ward"] == "[x]"
    text = R.representation_text(comp, "sex")
    # the one wording for every [c]: "fewer than 5" here and "some" for a secondary one would tell them apart
    assert "The number who answered “Non-binary” or “Prefer to self-describe”, which have no Census counterpart, " \
           "is \\[c\\] (withheld to protect the people counted)" in text
    assert "ewer than" not in text
    assert SMALL_IN_PROSE.search(text) is None


def test_weights_with_non_census_age_bands_match_an_independent_raking(comp):
    w = R.weighting(comp)
    assert w is not None and w.result.converged
    assert w.margins == ["age", "sex"]
    data = responses()
    used = data[data["age"].isin(AGE_MAP) & data["gender"].isin(["woman", "man"])]
    assert sorted(w.sample["response_id"]) == sorted(used["response_id"])  # 54: no "pns", no non-census gender

    age, sex = census("age"), census("sex")
    age_pop = {code: sum(age[band] * f for band, f in parts.items()) for code, parts in AGE_MAP.items()}
    sex_pop = {"woman": sex["Female"], "man": sex["Male"]}
    margins = [(used["age"].to_numpy(), age_pop), (used["gender"].to_numpy(), sex_pop)]
    weights = np.ones(len(used))
    for _ in range(200):  # iterative proportional fitting, written out
        for values, pop in margins:
            total = sum(pop.values())
            for category, count in pop.items():
                chosen = values == category
                weights[chosen] *= (count / total) * len(used) / weights[chosen].sum()
    got = w.result.weights.reindex(used.index).to_numpy()
    assert got == pytest.approx(weights, rel=1e-6)
    text = R.weighting_text(comp)
    assert "Respondents who gave their age and sex were weighted" in text and "to the ward's age and sex profile" in text


def test_weighted_results_include_the_studys_own_rating_question(comp):
    data = R.weighted_comparison(comp)
    assert set(data["question"]) == {"satisfaction"}
    assert list(data["label"]) == list(SATISFACTION["options"].values())
    assert R.weighted_table(comp).frame.iloc[0, 0] == "Satisfaction: Very dissatisfied"


def test_the_chapter_reads_as_the_studys_own(comp):
    summary = R.summary_text(comp)
    assert "On age and sex, no difference from the 2021 Census is larger than chance." in summary
    assert "Weighting the answers to the ward's age and sex moves the headline results" in summary
    assert "ethnic" not in summary
    assert "The survey has no ethnic group question mapped to Census categories" in R.representation_text(comp, "ethnicity")
    assert R.compare(comp, "age_sex") is None  # 30-49 and 50+ do not pick out ages 35 to 64
    chart = R.comparison_chart(comp)
    assert chart.alt.startswith("Two horizontal bar charts") and "each age group and sex" in chart.alt
    note = " ".join(R.comparison_table(comp, "age").notes)
    assert "census mapping declares" in note and "16 to 24" not in note


# --------------------------------------------------------------------------- no demographic question at all


def test_a_study_without_demographic_questions_says_so_and_carries_on(context):
    sv = S.Survey("Clubmoor", responses()[["response_id", "month", "mode", "satisfaction"]], None,
                  DisclosureRules(), "test records", questionnaire=questionnaire(SATISFACTION))
    comp = R.composition(sv, context)
    assert not comp.has_census and comp.missing == ["age", "sex", "ethnicity"]
    assert "no age, sex or ethnic group question mapped to Census categories" in R.availability_text(comp)
    assert "asked no age, sex or ethnic group question" in R.summary_text(comp)
    for dimension, words in (("age", "age"), ("sex", "sex"), ("ethnicity", "ethnic group")):
        assert R.representation_text(comp, dimension) == (
            f"The survey has no {words} question mapped to Census categories, so respondents' {words} is not "
            "compared with the ward's or used in the weighting.")
        assert R.comparison_table(comp, dimension) is None
    assert R.weighting(comp) is None and R.weighted_table(comp) is None and R.comparison_chart(comp) is None
    assert R.fit_table(comp) is None


def test_ethnic_groups_map_to_white_and_minority_and_a_mixed_option_is_left_out():
    q = questionnaire({"id": "ethnicity", "kind": "single", "text": "Ethnic group?", "short": "Ethnic group",
                       "options": {"white": "White", "asian": "Asian", "mixed_other": "Mixed or other",
                                   "arab": "Arab", "both": "White and Asian"},
                       "census": {"topic": "ethnic_group", "map": {
                           "white": {"White": 0.99}, "asian": {"Asian/Asian British": 0.99},
                           "mixed_other": {"Mixed/multiple": 1, "Other": 1},
                           "both": {"White": 0.01, "Asian/Asian British": 0.01}}}})  # spans both sides
    demo = R.demographic(q, "ethnicity")
    assert demo.groups == {"white": R.WHITE, "asian": R.MINORITY, "mixed_other": R.MINORITY}
    assert demo.left_out == ["arab", "both"]
