"""The survey chapter follows the study's own questionnaire: each kind of question gets its natural table,
figure and words, in questionnaire order, with the tables' own suppression decisions in every sentence."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import survey as S  # noqa: E402
from cityconv.data.wardfiles import load_ward_data  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED, assert_publishable  # noqa: E402
from cityconv.present import Chart, Table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "own_questions"
SMALL_IN_PROSE = re.compile(r"(?<![\d.,%±-])\b[1-4]\s+(?:of the [\d,]+\s+)?(?:respondents?|people|responses?)\b", re.I)


def ward_copy(tmp_path: Path, name: str = "w") -> Path:
    folder = tmp_path / "data" / name
    shutil.copytree(FIXTURE, folder)
    if not (tmp_path / "data" / "city").exists():
        shutil.copytree(REPO / "data" / "city", tmp_path / "data" / "city")
    return folder


@pytest.fixture(scope="module")
def sv(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    return S.from_data(load_ward_data(ward_copy(root), root), "Test Ward")


def sections(sv) -> dict[str, list]:
    return {q.id: S.question_section(sv, q, "w") for q in S.reported_questions(sv)}


def test_every_question_but_the_census_ones_is_reported_in_questionnaire_order(sv):
    assert [q.id for q in S.reported_questions(sv)] == [
        "tenure", "groups", "safety", "years_here", "priorities", "services", "comments"]
    intro = S.introduction_text(sv)
    assert "gender and age group are compared with the Census" in intro
    for borrowed in ("recommend", "Covid", "best things", "engage"):
        assert borrowed not in intro and borrowed not in S.summary_text(sv)
    assert S.methods_by_age_intro(sv) is None and S.methods_by_age_text(sv) is None


def test_each_kind_has_its_table_and_figure_with_names_unique_per_ward_and_question(sv):
    shown = sections(sv)
    names = [name for items in shown.values() for _, name in items if name]
    assert len(names) == len(set(names)) and "w-services-figure" in names and "w-services-table" in names
    kinds = {qid: [type(item).__name__ for item, _ in items if item is not None] for qid, items in shown.items()}
    for qid in ("tenure", "groups", "safety", "years_here", "priorities", "services"):
        assert "Chart" in kinds[qid] and "Table" in kinds[qid], (qid, kinds[qid])
    assert kinds["comments"] == ["str", "str"]  # heading and the count with screened quotes
    alts = [item.alt for items in shown.values() for item, _ in items if isinstance(item, Chart)]
    assert len(alts) == len(set(alts))
    for items in shown.values():
        for item, _ in items:
            if isinstance(item, Table):
                assert_publishable(item.frame)
            elif isinstance(item, str):
                assert SMALL_IN_PROSE.search(item) is None, item


def test_ordered_options_keep_their_order_and_missing_codes_are_not_answers(sv):
    table = S.frequency_table_display(sv, "tenure").frame
    assert list(table.index) == ["Under a year", "1 to 5 years", "Over 5 years", "Don't know", "No answer",
                                 "All respondents"]
    assert "**Over 5 years**" in S.single_answer_text(sv, "tenure")  # the most common, not the first in order
    rating = S.frequency_table_display(sv, "safety").frame
    assert list(rating.index)[:6] == ["Very unsafe", "Fairly unsafe", "Neither", "Fairly safe", "Very safe",
                                      "Prefer not to say"]
    chart = S.ordered_bar_chart(sv, "safety")
    assert "in the scale's order" in chart.alt and chart.alt.index("Neither") < chart.alt.index("Very safe")


def test_labels_keep_their_case(sv):
    words = S.multi_response_text(sv, "groups") + S.frequency_table_display(sv, "groups").frame.to_string()
    assert "Star Wars fan club" in words and "star Wars" not in words


def test_numbers_are_summarised_by_quartiles_and_a_protected_histogram(sv):
    q = sv.questionnaire.question("years_here")
    table = S.numeric_table(sv, q).frame
    assert table.loc["All respondents", "Respondents"] == "40"
    values = pd.to_numeric(sv.responses["years_here"], errors="coerce").dropna()
    assert f"Half gave {S._number(values.median())} years or less" in S.numeric_text(sv, q)
    summary = S.numeric_summary(sv, q)
    assert int(summary.bins.sum()) == len(values)  # every number in one band, the largest included
    for band, withheld in summary.protected.mask.iloc[:, 0].items():
        if withheld and band in summary.bins.index:
            assert table.loc[band, "Respondents"] == SUPPRESSED and band not in S.numeric_chart(sv, q).alt.split(". ")[1]


def test_rankings_give_mean_rank_and_share_ranked_first(sv):
    q = sv.questionnaire.question("priorities")
    summary = S.ranking_summary(sv, q)
    ranks = sv.responses["priorities__parks"].astype("Float64")
    assert summary.loc["Parks", "mean_rank"] == pytest.approx(float(ranks.mean()))
    assert summary.loc["Parks", "first"] == int((ranks == 1).sum())
    table = S.ranking_table(sv, q).frame
    assert table.loc["Parks", "Ranked first: respondents"] == str(int((ranks == 1).sum()))
    assert "**Parks** had the best (lowest) mean rank" in S.ranking_text(sv, q)


def test_a_grid_is_one_stacked_chart_and_a_protected_long_table(sv):
    q = sv.questionnaire.question("services")
    chart = S.grid_chart(sv, q)
    assert all(item in chart.alt for item in ("Bin collection", "Street lighting", "Parks upkeep"))
    frame = S.grid_table(sv, q).frame
    assert set(frame.index.get_level_values("Item")) == {"Bin collection", "Street lighting", "Parks upkeep"}
    assert_publishable(frame)


def test_free_text_is_counted_and_only_screened_answers_are_quoted(tmp_path):
    folder = ward_copy(tmp_path)
    with open(folder / "survey_text.csv", "a", encoding="utf-8") as fh:
        fh.write("S01,comments,,Call me on 07911 123456 about the bins\n")
    text = S.free_text_summary(S.from_data(load_ward_data(folder, tmp_path), "Test Ward"),
                               load_ward_data(folder, tmp_path).questionnaire.question("comments"))
    assert "13 of the 40 respondents wrote an answer" in text and "07911" not in text
    assert text.count("> “") == 3
    assert S.screened_quotes(["Call me on 07911 123456", "Nice park"]) == ["Nice park"]


def test_a_withheld_answer_is_never_named_as_the_most_common(tmp_path):
    folder = ward_copy(tmp_path)
    lines = (folder / "survey_responses.csv").read_text(encoding="utf-8").splitlines()[:2]  # one respondent
    (folder / "survey_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for stem in ("survey_mentions", "survey_text"):
        path = folder / f"{stem}.csv"
        kept = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("S01,")]
        if stem == "survey_mentions" and not kept:
            path.unlink()  # a file with no rows must go (survey_text.csv may keep only its header)
        else:
            path.write_text("\n".join([path.read_text(encoding="utf-8").splitlines()[0], *kept]) + "\n", encoding="utf-8")
    one = S.from_data(load_ward_data(folder, tmp_path), "Test Ward")
    answer = one.questionnaire.question("tenure").all_codes()[str(one.responses["tenure"].iloc[0])]
    text = S.single_answer_text(one, "tenure")
    # one respondent: the words say neither the answer, nor that everyone gave the same one, nor a count
    assert "same answer" not in text and "everyone" not in text and answer not in text
    assert "counts are withheld in the table" in text
    assert "Half gave" not in S.numeric_text(one, one.questionnaire.question("years_here"))
    assert S.numeric_chart(one, one.questionnaire.question("years_here")) is None


def test_a_study_of_its_own_is_not_told_the_city_conversations_words(sv, tmp_path):
    """Its multi-answer table does not claim free text was coded (its options were ticked), and a ward without
    survey_mentions.csv is told which of *its* sections say so, not the City Conversation's "best things"."""
    notes = " ".join(S.frequency_table_display(sv, "groups").notes)
    assert "more than one answer" in notes and "Free-text answers were coded" not in notes
    folder = ward_copy(tmp_path)
    (folder / "survey_mentions.csv").unlink()
    text_file = folder / "survey_text.csv"  # and the "other" text typed beside those ticks, which would then contradict them
    text_file.write_text("".join(line for line in text_file.read_text(encoding="utf-8").splitlines(keepends=True)
                                 if line.split(",")[1:2] != ["groups"]), encoding="utf-8")
    without = S.from_data(load_ward_data(folder, tmp_path), "Test Ward")
    text = " ".join(S.availability_text(without).split())
    assert "no coded answers to its multi-answer questions, so the sections on “Local groups” say so" in text
    assert "best things" not in text and "no coded answers" not in S.availability_text(sv)


def test_a_grid_of_many_long_statements_stays_readable(sv, monkeypatch):
    """LimeSurvey's twelve agree/disagree statements: rows grow with their wrapped labels, and the sentence
    does not read every statement out (the table lists them)."""
    scale = [("Agree", 0.5), ("Disagree", 0.25)]
    short = S._stacked_chart(sv, sv.questionnaire.question("services"), [("Bins", scale), ("Lights", scale)], "t")
    statement = "Er beschreibt das CPS wie es hergestellt wird (as-manufactured) und wie es betrieben wird."
    long = S._stacked_chart(sv, sv.questionnaire.question("services"), [(statement, scale), (statement + " 2", scale)], "t")
    assert long.fig.get_size_inches()[1] > short.fig.get_size_inches()[1]
    q = sv.questionnaire.question("services")
    assert "“Bin collection”, “Street lighting” and “Parks upkeep” on one scale" in S.grid_text(sv, q)
    monkeypatch.setattr(S, "GRID_ITEMS_NAMED", 2)
    assert "respondents rated 3 items (the table lists them) on one scale" in S.grid_text(sv, q)


def test_one_respondent_is_withheld_in_words_as_in_the_tables(sv):
    """Qualtrics' sample export holds one response. The tables withhold a total below the threshold
    (book/protecting-respondents.md), so the words say "fewer than 5", never "1 person" nor a margin of error
    (which would give the number back)."""
    import dataclasses

    one = S.from_data(dataclasses.replace(sv.data, survey_responses=sv.data.survey_responses.head(1),
                                          survey_mentions=None), "Test Ward")
    assert "**In short.** Fewer than 5 people answered the survey." in S.summary_text(one)
    availability = " ".join(S.availability_text(one).split())
    assert "The survey received **fewer than 5** responses. With fewer than 5 responses, no percentage" in availability
    assert not re.search(r"\b1 (person|people|response)|\*\*1\*\*|±", S.summary_text(one) + availability)
    assert "Every percentage below" not in availability  # none is given
    assert "Every percentage below" in S.availability_text(sv)
