"""Words follow the table: `Disclosed`, `protect_answers` and `disclosed_count_phrase`.

Issue 22 item 4: prose said "7 of the 25" beside a table showing `[c]` for that cell, from which the
hidden small cell follows (25 minus the shown ones); at n = 1 it named the one respondent's answer.
Each test states the counts, works out by hand what the table withholds, and checks what the words say.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cityconv.methods.disclosure import (
    SUPPRESSED,
    Disclosed,
    DisclosureRules,
    everyone_answered_alike,
    protect_answers,
    protect_counts,
)
from cityconv.present.numbers import WITHHELD_PHRASE, disclosed_count_phrase


def _answers(**counts: int) -> pd.Series:
    series = pd.Series(counts, dtype="int64")
    series.index.name = "question"
    return series


def _numbers(text: str) -> set[int]:
    """Every whole number and percentage written in `text` (the numbers a reader could use)."""
    return {int(n) for n in re.findall(r"\d+", text)}


def test_a_cell_withheld_to_protect_another_is_not_stated():
    # 16 + 7 + 2 = 25. The 2 is small ([c]); shown alone it would be 25 - 16 - 7, so the 7 is withheld too.
    table = protect_counts(_answers(content=16, unhappy=7, other=2))
    disclosed = Disclosed(table)
    assert disclosed.withheld("other") and disclosed.withheld("unhappy")
    assert disclosed.count("unhappy") is None and disclosed.count("other") is None
    assert disclosed.count("content") == 16 and disclosed.total() == 25
    assert disclosed.share("content") == pytest.approx(0.64)
    assert disclosed.share("unhappy") is None
    phrases = {key: disclosed_count_phrase(disclosed, key) for key in ("content", "unhappy", "other")}
    assert phrases == {"content": "16 of the 25 respondents (64%)", "unhappy": WITHHELD_PHRASE,
                       "other": WITHHELD_PHRASE}
    # Neither hidden number, nor anything it follows from, appears in the words for the hidden cells.
    assert not (_numbers(phrases["unhappy"] + phrases["other"]) & {2, 7, 9, 28, 8})


def test_the_phrase_says_the_same_for_every_withheld_cell():
    """"Fewer than 5" for the small one and something else for its protector would tell them apart."""
    disclosed = Disclosed(protect_counts(_answers(a=16, b=7, c=2)))
    assert disclosed_count_phrase(disclosed, "b") == disclosed_count_phrase(disclosed, "c") == WITHHELD_PHRASE
    assert SUPPRESSED in WITHHELD_PHRASE and "fewer" not in WITHHELD_PHRASE


def test_no_share_on_a_small_base_and_no_base_that_is_itself_small():
    rules = DisclosureRules()
    disclosed = Disclosed(protect_counts(_answers(a=6, b=5), rules))  # total 11: both shown
    assert disclosed.share("a") == pytest.approx(6 / 11)
    assert disclosed.share("a", base=9) is None  # below min_percent_base (10)
    assert disclosed_count_phrase(disclosed, "a", base=9) == "6 of the 9 respondents"
    assert disclosed_count_phrase(disclosed, "a", base=4) == "6 respondents"  # a small base is not stated


def test_the_interval_is_stated_only_with_its_share():
    disclosed = Disclosed(protect_counts(_answers(a=24, b=24)))
    assert (disclosed_count_phrase(disclosed, "a", interval=(0.36, 0.64))
            == "24 of the 48 respondents (50%; 95% interval 36% to 64%)")
    withheld = Disclosed(protect_counts(_answers(a=24, b=3, c=21)))
    assert disclosed_count_phrase(withheld, "b", interval=(0.01, 0.17)) == WITHHELD_PHRASE


def test_one_respondent_answer_is_withheld_with_the_zeros_beside_it():
    """At n = 1 the zeros would say which answer the one respondent gave: they are withheld too."""
    table = protect_answers(_answers(yes=1, no=0, not_sure=0))
    assert table.mask.to_numpy().all()  # every answer and the total
    disclosed = Disclosed(table)
    assert all(disclosed_count_phrase(disclosed, k) == WITHHELD_PHRASE for k in ("yes", "no", "not_sure"))


def test_everyone_giving_one_answer_is_not_published_as_such():
    table = protect_answers(_answers(yes=25, no=0, not_sure=0))
    disclosed = Disclosed(table)
    assert disclosed.total() == 25  # how many answered may be said ...
    assert all(disclosed.count(k) is None for k in ("yes", "no", "not_sure"))  # ... but not what they said


def test_missing_answers_do_not_hide_a_group_attribute_disclosure():
    table = protect_answers(_answers(yes=22, no=0, not_sure=0, **{"No answer": 3}), missing=("No answer",))
    disclosed = Disclosed(table)
    assert disclosed.withheld("no") and disclosed.withheld("not_sure")  # the zeros no longer say "nobody"


def test_varied_answers_keep_their_zeros():
    table = protect_answers(_answers(yes=20, no=10, not_sure=0))
    assert Disclosed(table).count("not_sure") == 0
    assert not everyone_answered_alike(_answers(yes=20, no=10, not_sure=0))


def test_only_one_answer_of_several_given_is_what_counts_as_everyone_alike():
    assert everyone_answered_alike(_answers(yes=1, no=0))
    assert everyone_answered_alike(_answers(yes=0, no=3, **{"No answer": 9}), missing=("No answer",))
    assert not everyone_answered_alike(_answers(yes=3))  # a question with one option names nothing new
    assert not everyone_answered_alike(_answers(yes=0, no=0, **{"No answer": 9}), missing=("No answer",))


def test_the_footnote_does_not_say_that_everyone_answered_alike():
    """A=42, B=0, C=0, No answer=3 shows `42 [c] [c] [c] 45`; a footnote of its own ("possibly none") would
    tell the reader the [c] beside 42 are zeros, so that all who answered said A."""
    alike = protect_answers(_answers(A=42, B=0, C=0, **{"No answer": 3}), missing=("No answer",))
    assert alike.display.iloc[:, 0].tolist() == ["42", SUPPRESSED, SUPPRESSED, SUPPRESSED, "45"]
    varied = protect_answers(_answers(A=30, B=2, C=3, **{"No answer": 10}), missing=("No answer",))
    secondary = protect_answers(_answers(A=30, B=8, C=3, **{"No answer": 10}), missing=("No answer",))  # 8 guards 3
    assert secondary.secondary.to_numpy().any() and not alike.secondary.to_numpy().any()
    assert alike.notes == varied.notes == secondary.notes
    assert "none" not in " ".join(alike.notes) and "zero" not in " ".join(alike.notes).lower()


def test_a_two_way_table_needs_the_column_named():
    frame = pd.DataFrame({"younger": [10, 2], "older": [8, 9]}, index=pd.Index(["digital", "post"], name="method"))
    frame.columns.name = "age"
    disclosed = Disclosed(protect_counts(frame))
    with pytest.raises(ValueError, match="name the column"):
        disclosed.count("digital")
    assert disclosed.count("post", "younger") is None
    assert disclosed.withheld("digital", "younger")  # 12 - 2 would give the small cell back


# --------------------------------------------------------------------------- the survey chapter's words


def _survey():
    from cityconv.chapters import survey

    responses = pd.DataFrame({
        "response_id": [f"S{i:02d}" for i in range(25)],
        "recommend": ["yes"] * 16 + ["no"] * 7 + ["not_sure"] * 2,
        "covid_community_spirit": ["more"] + [None] * 24,  # one person answered
    })
    return survey, survey.Survey("Testward", responses, None)


def test_survey_words_never_give_the_cell_withheld_to_protect_another():
    survey, sv = _survey()
    text = survey.single_answer_text(sv, "recommend")
    assert "16 of the 25 respondents (64%" in text
    assert "No and Not sure: \\[c\\] (withheld to protect the people counted)" in text
    assert not ({7, 2, 9, 28, 8, 36} & _numbers(text.split("Other answers")[1]))
    chart = survey.single_answers_chart(sv, ["recommend"])
    assert "28%" not in chart.alt and "most common answer Yes, 64%" in chart.alt


def test_survey_words_never_name_the_one_respondents_answer():
    survey, sv = _survey()
    text = survey.single_answer_text(sv, "covid_community_spirit")
    assert "everyone" not in text and "same answer" not in text  # that would name it for the group
    assert "to protect the people counted, so these words name no answer" in text
    assert "more community spirit" not in text.lower()
    table = survey.frequency_table_display(sv, "covid_community_spirit")
    answers = table.frame.drop(index=["All respondents", "No answer"])  # 24 did not answer: that may be said
    assert set(answers["Respondents"]) == {SUPPRESSED}  # the zeros beside the one answer too
    chart = survey.single_answers_chart(sv, ["covid_community_spirit"])
    assert "every answer withheld" in chart.alt and "more community spirit" not in chart.alt.lower()


def test_other_pages_take_the_survey_tables_decision():
    from cityconv.chapters import facts

    survey, sv = _survey()
    assert survey.answer_withheld(sv, "recommend", "no") and not survey.answer_withheld(sv, "recommend", "yes")
    assert facts.answer_share(7, 25, withheld=True) is None
    assert facts.answer_share(7, 25).text == "28%"  # what it would say without the table's decision


def test_withheld_rows_are_not_ranked_by_size():
    """Two [c] that must add up to 6 with "got worse" (2) above "don't know" (4) in questionnaire order,
    never by size: sorted by size, the order itself would be a clue."""
    from cityconv.chapters import survey

    responses = pd.DataFrame({"response_id": [f"S{i:02d}" for i in range(25)],
                              "change_5yr": ["same"] * 11 + ["better"] * 8 + ["dont_know"] * 4 + ["worse"] * 2})
    sv = survey.Survey("Testward", responses, None)
    rows = list(survey.frequency_table_display(sv, "change_5yr").frame.index)
    assert rows[2:4] == ["Got worse", "Don't know"]
