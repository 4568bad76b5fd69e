"""How the evidence was gathered: scorecard, methods, timeline, training; and the template end to end."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cityconv.chapters import evidence_gathering as F  # noqa: E402
from cityconv.chapters.loader import open_chapter  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED  # noqa: E402
from test_survey import SMALL_IN_HTML_CELL, assert_outputs_safe, make_project, prose_is_safe, run_template  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ch():
    return open_chapter("clubmoor", REPO)


@pytest.fixture(scope="module")
def fw(ch):
    return F.from_chapter(ch)


def test_scorecard_carries_published_targets_and_delivered_values_from_the_data(fw, ch):
    sc = F.scorecard(fw)
    quantified = sc[sc["target"].notna()]
    assert [int(t) for t in quantified["target"]] == [60, 20, 6, 2]
    obj = ch.data.objectives.set_index("objective_id")
    for _, row in sc.iterrows():
        expected = obj.loc[row["objective_id"], "delivered"]
        assert (pd.isna(expected) and row["Delivered"] == "[x]") or row["Delivered"].startswith(str(int(expected)))
    focus = sc.set_index("objective_id").loc["focus_groups"]
    assert focus["Status"] == "Done another way" and "lockdown" in focus["Why"]  # facts.aim_status
    table = F.scorecard_table(fw)
    assert list(table.frame["Target"]) == ["60 residents", "20 participants", "6 focus groups", "2 workshops"]
    assert list(table.frame["Delivered"]) == ["48 residents", "23 participants", "[x]", "2 workshops"]
    assert set(table.frame["Basis of the delivered figure"]) >= {"Published", "Project interpretation"}
    reasons = F.scorecard_reasons_text(fw)
    assert reasons.count("\n- ") == len(sc) - 1 and "lockdown" in reasons
    text = F.scorecard_text(fw)  # the targets themselves are in the table, not repeated in the prose
    # one aim ("6 focus groups and 2 community workshops") has two targets: 7 aims, said as on every page
    assert "7 aims, 3 of them with a number to reach (4 targets in all)" in text and "objectives" not in text
    assert "Covid-19" in text


def test_scorecard_follows_the_data_when_it_changes(ch):
    obj = ch.data.objectives.copy()
    obj.loc[obj["objective_id"] == "engage_residents", "target"] = 75
    fw = F.from_data(dataclasses.replace(ch.data, objectives=obj), "Testward", ch.rules)
    assert "75 residents" in list(F.scorecard_table(fw).frame["Target"])


def test_methods_use_published_figures_exactly(fw):
    by_key = {m.key: m for m in F.methods(fw)}
    assert list(by_key) == ["training", "survey", "interviews", "social_media", "workshops"]
    assert by_key["survey"].records == 48 and by_key["interviews"].records == 26
    assert by_key["survey"].months == ["2020-04", "2020-05"]
    text = F.methods_text(fw)
    for figure in ("48 responses", "26 interviews", "6 posts", "942", "176", "25 comments", "20 participants"):
        assert figure in text, figure
    table = F.methods_table(fw).frame
    assert table.loc["Social media posts", "Published figures"].startswith("6 posts; 942 average audience; 176")
    assert table.loc["Residents' survey", "When (from the records)"] == "April to May 2020"


def test_timeline_spans_the_months_in_the_records_and_marks_lockdown(fw):
    chart = F.timeline_chart(fw)
    assert "residents' survey April to May 2020" in chart.alt
    assert "practitioner workshops November 2020" in chart.alt
    assert "23 March 2020" in chart.alt
    ax = chart.fig.axes[0]
    assert [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()][0] == "Community researcher training"


def test_training_sessions_and_participants(fw):
    text = F.training_text(fw)
    assert text.startswith("4 training sessions") and "23 people came to at least one (the published figure)" in text
    assert "The target was to train 20 community researchers" in text
    table = F.training_table(fw)
    assert list(table.frame["Participants attending"]) == ["16", "13", "19", "14"]


def test_small_training_sessions_are_suppressed(ch):
    att = ch.data.training_attendance
    keep = att[(att["session_id"] != "T2") | att["participant_id"].isin(["R01", "R02", "R03"])]
    fw = F.from_data(dataclasses.replace(ch.data, training_attendance=keep), "Testward", ch.rules)
    table = F.training_table(fw)
    assert table.frame.iloc[1, 0] == SUPPRESSED
    assert not any(str(v).strip() in {"1", "2", "3", "4"} for v in table.frame.iloc[:, 0])


def test_small_interview_groups_are_suppressed(ch):
    iv = ch.data.interviews
    fewer = iv[~((iv["interviewee_type"] == "board_member") & (iv["interview_id"] != "I26"))]
    fewer = pd.concat([fewer, iv[iv["interviewee_type"] == "board_member"].head(2)]).drop_duplicates()
    fw = F.from_data(dataclasses.replace(ch.data, interviews=fewer), "Testward", ch.rules)
    frame = F.interviews_table(fw).frame
    assert frame.loc["Partnership board members", "Interviews"] == SUPPRESSED
    assert (frame["Interviews"] == SUPPRESSED).sum() >= 2  # secondary suppression: the total is shown
    text = F.methods_text(fw)
    assert prose_is_safe(text)


def test_absent_social_media_takes_the_not_available_path(ch):
    data = dataclasses.replace(ch.data, social_media_posts=None, published_figures=None)
    fw = F.from_data(data, "Testward", ch.rules)
    assert [m.key for m in F.methods(fw)] == ["training", "survey", "interviews", "workshops"]
    assert F.social_media_table(fw) is None
    assert "no records of social media posts" in F.unavailable_text(fw, "social_media_posts")
    assert "social media posts" in F.methods_text(fw) and "942" not in F.methods_text(fw)
    assert "Social media" not in F.timeline_chart(fw).alt


def test_no_optional_sources_at_all(ch):
    data = dataclasses.replace(ch.data, training_sessions=None, training_attendance=None, interviews=None,
                               social_media_posts=None, workshops=None, survey_responses=None)
    fw = F.from_data(data, "Testward", ch.rules)
    assert F.methods(fw) == [] and F.timeline_chart(fw) is None and F.methods_table(fw) is None
    assert "No fieldwork records" in F.methods_text(fw)
    assert "No community researcher training" in F.training_text(fw)


# --------------------------------------------------------------------------- template end to end


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("fieldwork-project"))


def test_template_runs_for_clubmoor(project):
    nb = run_template(project, "02-evidence-gathering.ipynb", "clubmoor")
    joined = assert_outputs_safe(nb)
    for figure in ("48", "26", "942", "176", "25 comments", "23", "60 residents", "6 focus groups"):
        assert figure in joined, figure
    assert "image/png" in str(nb.cells)


def test_template_runs_for_a_ward_without_social_media(project):
    nb = run_template(project, "02-evidence-gathering.ipynb", "beta")
    joined = assert_outputs_safe(nb)
    assert "no records of social media posts" in joined
    assert SMALL_IN_HTML_CELL.search(joined) is None


def test_a_ward_without_the_published_summary_says_nothing_about_slides_or_publication(ch):
    """Issue 12: a ward without the project's published summary (a synthetic one) never borrows the
    slides' words, and counts read as counts ("60 responses", never "60 in these records responses")."""
    data = dataclasses.replace(ch.data, published_figures=None)
    fw = F.from_data(data, "Testward", ch.rules)
    texts = [F.summary_text(fw), F.fieldwork_text(fw), F.methods_text(fw), F.training_text(fw), F.workshops_text(fw)]
    for text in texts + [F.scorecard_text(fw)]:  # (the scorecard's status labels come from the objectives file)
        for word in ("slide", "MyClubmoor", "Clubmoor", "in these records", "Covid-19"):
            assert word not in text, (word, text)
    assert not any("published" in text for text in texts)
    assert "had 48 responses" in F.methods_text(fw) and "with 20 participants" in F.workshops_text(fw)
    assert F.summary_text(fw).startswith("**In short.**") and "a survey with 48 responses" in F.summary_text(fw)


def test_the_workshop_split_is_a_reconstruction_choice_not_what_the_slides_say(fw):
    text = " ".join(F.workshops_text(fw).split())
    assert "The slides say they were to sense-check the findings" in text
    assert "The participants were split" not in text  # once read as the slides' own figure
    assert "The slides do not say how the participants were split between the workshops" in text
    assert re.search(r"the reconstructed records split them \d+ and \d+, a choice made when rebuilding them", text)


def test_the_published_study_says_what_the_slides_say_and_no_more(fw):
    text = " ".join(F.scorecard_text(fw).split())
    assert "The slides say that lockdown stopped face-to-face work with residents" in text
    assert "The slides do not say what became of the planned focus groups" in text
    assert "gave way to" not in text and "moved to" not in F.fieldwork_text(fw)


def test_a_survey_without_dates_is_reported_without_a_period(ch):
    """An export with no date column (SurveyMonkey's, LimeSurvey's) imports with months unknown: the chapter says so."""
    responses = ch.data.survey_responses.copy()
    responses["month"] = pd.NA
    data = dataclasses.replace(ch.data, survey_responses=responses, training_sessions=None, training_attendance=None,
                               interviews=None, social_media_posts=None, workshops=None)
    fw = F.Fieldwork("Testward", data, ch.rules, "Testward engagement records")
    assert [m.months for m in F.methods(fw)] == [[]]
    summary = F.summary_text(fw)
    assert "gathered from" not in summary and "The records carry no dates" in summary
    assert f"The residents' survey had {len(responses)} responses; its records carry no dates." in F.methods_text(fw)
    assert "carry no dates, so there is no timeline" in F.fieldwork_text(fw)
    assert F.timeline_chart(fw) is None
    assert list(F.methods_table(fw).frame["When (from the records)"]) == ["No dates in the records"]


def test_aims_without_a_number_are_not_promised_a_table(ch):
    """A study whose aims set no target (an imported export's) gets no "each of the 0 targets" sentence."""
    objectives = ch.data.objectives.assign(target=pd.NA, delivered=pd.NA, unit=pd.NA)
    fw = F.Fieldwork("Testward", dataclasses.replace(ch.data, objectives=objectives), ch.rules, "records")
    assert F.scorecard_table(fw) is None
    text = F.scorecard_text(fw)
    assert "0 targets" not in text and "so there is no table of targets" in text
