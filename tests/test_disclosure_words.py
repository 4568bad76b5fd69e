"""Every number a reader sees outside a table takes that table's suppression decision (issue 22 item 4).

Findings of a review of main, each rebuilt here from small tables as the reviewer built them: words,
alt text and charts that stated what the table withheld, or something from which it follows.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from cityconv.chapters import survey as S  # noqa: E402
from cityconv.chapters import who_took_part as R  # noqa: E402
from cityconv.data.context import load_context  # noqa: E402
from cityconv.data.questionnaire import Questionnaire  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED, DisclosureRules  # noqa: E402
from cityconv.present.numbers import WITHHELD_PHRASE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OWN = Questionnaire.model_validate(yaml.safe_load(
    (REPO / "tests" / "fixtures" / "own_questions" / "questionnaire.yml").read_text(encoding="utf-8")))
CLUBMOOR = ("E05000892", "2004-2023")


def own_survey(rules: DisclosureRules | None = None, **columns: list) -> S.Survey:
    """A survey of the test questionnaire with only the given columns answered."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"response_id": [f"S{i:02d}" for i in range(n)], **columns})
    return S.Survey("Test Ward", frame, None, rules or DisclosureRules(), questionnaire=OWN)


# --------------------------------------------------------------------------- numbers: missing codes


def test_a_missing_codes_count_the_table_withholds_is_not_stated():
    """20 numbers, 7 "Don't know" and 2 no answer: the 2 is [c], and the 7 is withheld to protect it."""
    sv = own_survey(years_here=["5"] * 10 + ["25"] * 10 + ["dk"] * 7 + [None] * 2)
    q = OWN.question("years_here")
    table = S.numeric_table(sv, q).frame
    assert table.loc["Don't know", "Respondents"] == SUPPRESSED and table.loc["No answer", "Respondents"] == SUPPRESSED
    text = S.numeric_text(sv, q)
    assert f"“Don't know”: {WITHHELD_PHRASE}".replace("[c]", "\\[c\\]") in text
    assert not re.search(r"\b7\b", text)
    assert "20 of the 29 respondents gave a number" in text  # every band is shown: the sum is the reader's own


def test_how_many_gave_a_number_is_not_stated_when_it_would_give_a_band_back():
    """A band (2) and "No answer" (3) are [c]: "22 gave a number" would be a new total giving the 2 back."""
    sv = own_survey(years_here=["5"] * 10 + ["25"] * 2 + ["45"] * 10 + ["dk"] * 6 + [None] * 3)
    q = OWN.question("years_here")
    table = S.numeric_table(sv, q).frame
    assert table.loc["20 to 29", "Respondents"] == SUPPRESSED and table.loc["No answer", "Respondents"] == SUPPRESSED
    text = S.numeric_text(sv, q)
    assert "the number of respondents who gave a number is withheld" in text and "22" not in text


def test_the_histogram_caption_does_not_say_which_rule_withheld_a_band():
    sv = own_survey(years_here=["5"] * 10 + ["25"] * 2 + ["45"] * 10 + ["dk"] * 6 + [None] * 5)
    chart = S.numeric_chart(sv, OWN.question("years_here"))
    assert chart is not None and "fewer than" not in chart.caption
    assert "withheld to protect the people counted" in chart.caption


# --------------------------------------------------------------------------- ratings and grids: shares


def test_a_rating_chart_draws_no_share_the_table_withholds():
    """n = 9 (threshold 3, so both counts are shown): the table withholds every percentage (base below 10),
    so there is no chart to say "Fairly safe 56%", and a sentence says why."""
    sv = own_survey(DisclosureRules(threshold=3, min_percent_base=10), safety=["4"] * 5 + ["5"] * 4)
    table = S.frequency_table_display(sv, "safety").frame
    assert table.loc["Fairly safe", "Respondents"] == "5" and table.loc["Fairly safe", "% of all respondents"] == SUPPRESSED
    assert S.ordered_bar_chart(sv, "safety") is None
    section = dict((name, item) for item, name in S.question_section(sv, OWN.question("safety"), "t") if name)
    assert "There is no chart: no percentage is given on a base of fewer than 10" in section["t-safety-figure"]


def test_a_rating_chart_leaves_out_a_withheld_answer_and_states_the_others():
    sv = own_survey(safety=["4"] * 12 + ["5"] * 3 + ["2"] * 10)
    chart = S.ordered_bar_chart(sv, "safety")
    assert "Fairly safe 48%" in chart.alt and "Very safe withheld" in chart.alt and "Fairly unsafe withheld" in chart.alt
    assert "12%" not in chart.alt and "40%" not in chart.alt  # the 3, and the 10 withheld to protect it


def test_a_grid_chart_follows_the_tables_minimum_base():
    rules = DisclosureRules(threshold=3, min_percent_base=10)
    sv = own_survey(rules, services__bins=["high"] * 5 + ["low"] * 4, services__lighting=["mid"] * 9,
                    services__parks=["mid"] * 4 + ["high"] * 5)
    q = OWN.question("services")
    frame = S.grid_table(sv, q).frame
    assert set(frame["% of all respondents"]) == {SUPPRESSED}
    assert S.grid_chart(sv, q) is None and "56%" not in S.grid_text(sv, q)
    assert "The chart shows" not in S.grid_text(sv, q)


def test_grid_notes_give_one_wording_for_every_c():
    """Item 1 alike answered (its zeros withheld) beside items with small counts: one note, not two."""
    sv = own_survey(services__bins=["high"] * 20, services__lighting=["mid"] * 17 + ["low"] * 3,
                    services__parks=["mid"] * 10 + ["high"] * 10)
    notes = S.grid_table(sv, OWN.question("services")).notes
    assert sum(SUPPRESSED in note for note in notes) == 1
    assert not any("none" in note for note in notes)


# --------------------------------------------------------------------------- ties


def test_a_tie_is_not_reported_as_the_most_common_answer():
    sv = own_survey(tenure=["one_to_5"] * 18 + ["over_5"] * 18)
    text = S.single_answer_text(sv, "tenure")
    assert "the most common answer" not in text
    assert "**1 to 5 years** and **Over 5 years** were given equally often, each by 18 of the 36" in text
    chart = S.single_answers_chart(sv, ["tenure"])
    assert "given equally often, 1 to 5 years and Over 5 years, 50% each" in chart.alt


def test_the_one_leader_is_still_named():
    sv = own_survey(tenure=["one_to_5"] * 19 + ["over_5"] * 17)
    assert "the most common answer was **1 to 5 years**" in S.single_answer_text(sv, "tenure")


def test_the_summary_names_tied_answers_together():
    sv = own_survey(tenure=["one_to_5"] * 18 + ["over_5"] * 18, safety=["4"] * 20 + ["5"] * 16)
    single = S.summary_context(sv)["single"]
    assert {"question": OWN.question("tenure").text, "answers": ["1 to 5 years", "Over 5 years"], "share": "50%"} in single


# --------------------------------------------------------------------------- who took part: verdicts


def _questionnaire(*questions: dict) -> Questionnaire:
    return Questionnaire.model_validate({"title": "A study", "ward": "Clubmoor", "reconstructed": False,
                                         "introduction": "Ours.", "questions": list(questions)})


AGE = {"id": "age", "kind": "single", "text": "How old are you?", "short": "Age", "ordered": True,
       "options": {"18_29": "18 to 29", "30_49": "30 to 49", "50_plus": "50 and over"},
       "census": {"topic": "age", "map": {"18_29": {"15-24": 0.7, "25-34": 0.5},
                                          "30_49": {"25-34": 0.5, "35-44": 1, "45-54": 0.5},
                                          "50_plus": {"45-54": 0.5, "55-64": 1, "65-74": 1, "75+": 1}}}}
GENDER = {"id": "gender", "kind": "single", "text": "What is your gender?", "short": "Gender",
          "options": {"woman": "Woman", "man": "Man"},
          "census": {"topic": "sex", "map": {"woman": {"Female": 1}, "man": {"Male": 1}}}}
ETHNIC = {"id": "ethnic", "kind": "single", "text": "Your ethnic group?", "short": "Ethnic group",
          "options": {"white": "White", "asian": "Asian"}, "missing": {"pns": "Prefer not to say"},
          "census": {"topic": "ethnic_group", "map": {"white": {"White": 1}, "asian": {"Asian/Asian British": 1}}}}


@pytest.fixture(scope="module")
def context():
    return load_context(REPO / "data" / "context", *CLUBMOOR)


def composition(context, ages: list[str], ethnic: list[str] | None = None, genders: list[str] | None = None):
    n = len(ages)
    frame = pd.DataFrame({"response_id": [f"R{i:02d}" for i in range(n)], "month": "2024-05", "mode": "online",
                          "age": ages, "gender": genders or (["woman", "man"] * n)[:n]})
    questions = [AGE, GENDER]
    if ethnic is not None:
        frame["ethnic"] = ethnic
        questions.append(ETHNIC)
    sv = S.Survey("Clubmoor", frame, None, DisclosureRules(), "test records", questionnaire=_questionnaire(*questions))
    return R.composition(sv, context)


def test_a_withheld_count_gets_a_verdict_only_when_every_count_it_could_be_gets_it(context):
    """n = 45 with 3 men: every count the men's [c] could stand for (0 to 4 of 45) is under-represented
    against a ward that is about half men, and the women's (withheld to protect it) is then 41 to 45, all
    over-represented: the verdicts say no more than the table does, so they are shown."""
    comp = composition(context, ["18_29"] * 10 + ["30_49"] * 15 + ["50_plus"] * 20, genders=["woman"] * 42 + ["man"] * 3)
    cmp = R.compare(comp, "sex")
    assert bool(cmp.mask["Male"]) and bool(cmp.mask["Female"])
    assert cmp.possible_counts("Male") == range(0, 5) and cmp.possible_counts("Female") == range(41, 46)
    frame = R.comparison_table(comp, "sex").frame
    assert (frame.loc["Male", "Verdict"], frame.loc["Female", "Verdict"]) == ("under-represented", "over-represented")


def test_a_verdict_that_would_narrow_a_withheld_count_is_not_given():
    """n = 45 and a group that is 12% of the ward: a count of 0 or 1 is under-represented, 2 to 4 in line,
    so "under-represented" beside [c] would say the count is at most 1: the verdict is withheld."""
    import pandas as pd

    table = pd.DataFrame({"category": ["Group", "Others"], "base": [45, 45], "population_share": [0.12, 0.88],
                          "verdict": ["under-represented", "over-represented"]})
    counts = pd.Series({"Group": 1, "Others": 44})
    mask, primary = pd.Series({"Group": True, "Others": True}), pd.Series({"Group": True, "Others": False})
    cmp = R.Comparison("x", table, counts, mask, primary, counts.astype(str), "", threshold=5)
    assert cmp.possible_counts("Group") == range(0, 5)
    assert cmp.verdict("Group") == R.NOT_ASSESSED
    assert cmp.possible_counts("Others") == range(41, 46)  # 41 to 45 of 45 against 88%: the interval decides
    both = pd.Series({"Group": False, "Others": False})
    assert R.Comparison("x", table, counts, mask, both, counts.astype(str), "", threshold=5).verdict("Group") \
        == R.NOT_ASSESSED  # withheld for another reason the table does not bound: never assessed


def test_ethnic_group_left_out_of_weighting_says_each_reason_that_applies(context):
    ages = ["18_29"] * 10 + ["30_49"] * 20 + ["50_plus"] * 20
    unstated = R.weighting(composition(context, ages, ["white"] * 40 + ["asian"] * 8 + ["pns"] * 2))
    too_few = R.weighting(composition(context, ages, ["white"] * 48 + ["asian"] * 2))
    both = R.weighting(composition(context, ages, ["white"] * 46 + ["asian"] * 2 + ["pns"] * 2))
    (unstated_reason,), (too_few_reason,), (both_reason,) = unstated.dropped, too_few.dropped, both.dropped
    assert "did not give an ethnic group" in unstated_reason and "too few" not in unstated_reason
    assert "too few" in too_few_reason and "did not give" not in too_few_reason
    assert "too few" in both_reason and "did not give" in both_reason
    for reason in (unstated_reason, too_few_reason, both_reason):
        assert not re.search(r"\d", reason)  # no count: the table decides what may be said of it


# --------------------------------------------------------------------------- one "other" code


def test_the_summary_leaves_out_the_questions_declared_other_option():
    """The summary used the code "other" while the question's own section used the declared `other`."""
    best = {"id": "best_things", "kind": "multi", "text": "What is best about the area?", "short": "Best things",
            "instruction": "tick all that apply", "other": "something_else",
            "options": {"parks": "Parks", "shops": "Shops", "something_else": "Something else"}}
    ids = [f"S{i:02d}" for i in range(30)]
    mentions = pd.DataFrame({"response_id": ids * 2, "question": "best_things",
                             "code": ["something_else"] * 30 + ["parks"] * 20 + ["shops"] * 10})
    sv = S.Survey("Test Ward", pd.DataFrame({"response_id": ids}), mentions, questionnaire=_questionnaire(best))
    named = [a["label"] for a in S.summary_context(sv)["best"]]
    assert named == ["Parks", "Shops"]
    assert [a["label"] for a in S.multi_response_context(sv, "best_things")["top"]] == named


# --------------------------------------------------------------------------- weighting: the survey table's decision


def test_the_weighted_table_withholds_what_the_survey_table_withholds(context):
    """Rating "1" is 3 ([c]) in the survey table and "2" (6) is withheld to protect it. The 3 did not give
    their age, so the weighted table's own counts show "1" as 0 and "2" as 6: its unweighted share of the
    47 others would give the survey table's withheld 6 back."""
    age = {**AGE, "missing": {"pns": "Prefer not to say"}}
    rating = {"id": "rating", "kind": "rating", "text": "How satisfied are you?", "short": "Satisfaction",
              "options": {"1": "Very dissatisfied", "2": "Dissatisfied", "3": "Satisfied", "4": "Very satisfied"}}
    ages = ["pns"] * 3 + ["18_29"] * 12 + ["30_49"] * 15 + ["50_plus"] * 20
    frame = pd.DataFrame({"response_id": [f"R{i:02d}" for i in range(50)], "month": "2024-05", "mode": "online",
                          "age": ages, "gender": (["woman", "man"] * 25),
                          "rating": ["1"] * 3 + ["2"] * 6 + ["3"] * 20 + ["4"] * 21})
    sv = S.Survey("Clubmoor", frame, None, DisclosureRules(), "test records",
                  questionnaire=_questionnaire(age, GENDER, rating))
    assert S.answer_withheld(sv, "rating", "2") and S.answer_withheld(sv, "rating", "1")
    comp = R.composition(sv, context)
    data = R.weighted_comparison(comp).set_index("category")
    assert R.weighted_table(comp).notes[0] == DisclosureRules().symbol_note() + "."  # one wording for every [c]
    assert data.loc["2", "count"] == 6 and data.loc["2", "withheld"]
    assert data.loc["1", "count"] == 0 and data.loc["1", "withheld"]  # [c] as in the survey table, not 0
    assert not data.loc["3", "withheld"] and not data.loc["4", "withheld"]


def test_a_lone_withheld_weighted_share_gets_a_companion(monkeypatch):
    """Shares add up to 100%: one [c] among them would be 100% minus the rest, so the smallest other
    non-zero share goes too."""
    from types import SimpleNamespace

    comp = SimpleNamespace(rules=DisclosureRules(), survey=None)
    counts = pd.Series({"a": 20, "b": 30, "c": 12, "d": 0})
    monkeypatch.setattr(R, "answer_withheld", lambda sv, q, code: False)
    assert R._weighted_rows_withheld(comp, "q", counts) == set()
    monkeypatch.setattr(R, "answer_withheld", lambda sv, q, code: code == "b")  # the survey table's decision
    assert R._weighted_rows_withheld(comp, "q", counts) == {"b", "c"}


def test_a_grid_names_every_item_tied_at_the_top_and_none_when_one_is_withheld():
    tied = own_survey(services__bins=["high"] * 12 + ["mid"] * 12, services__lighting=["high"] * 12 + ["low"] * 12,
                      services__parks=["high"] * 6 + ["mid"] * 18)
    text = S.grid_text(tied, OWN.question("services"))
    assert "“Bin collection” and “Street lighting” had equally the largest share answering “Very satisfied”: " \
           "50% of all respondents each" in text
    # parks' "Very satisfied" is 3 ([c]): it cannot be ranked, so no item is called the largest
    withheld = own_survey(services__bins=["high"] * 12 + ["mid"] * 12, services__lighting=["high"] * 10 + ["low"] * 14,
                          services__parks=["high"] * 3 + ["mid"] * 21)
    assert "largest share" not in S.grid_text(withheld, OWN.question("services"))
