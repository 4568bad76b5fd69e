"""The social media chapter (06): published totals exact, definitions, per-post figures, absent data."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import social_media as social
from cityconv.chapters.loader import open_chapter
from nbtools import add_ward, run_notebook

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sm():
    return social.social_summary(open_chapter("clubmoor", REPO))


def test_engagement_rate_definition():
    assert social.engagement_rate(18, 700) == pytest.approx(18 / 700)
    assert math.isnan(social.engagement_rate(5, 0))


def test_published_totals_exact_and_reproduced(sm):
    assert sm.available and sm.n_posts == 6
    assert sm.total("interactions") == 176 and sm.total("comments") == 25
    assert sm.mean_audience == 942
    assert {k: sm.published(k) for k in social.PUBLISHED_IDS} == {
        "posts": 6, "average_audience": 942, "interactions": 176, "comments": 25}
    assert all(sm.agrees(k) for k in social.PUBLISHED_IDS)
    intro = social.social_intro_text(sm)
    for bit in ("**6 posts**", "average audience of 942 people", "**176 reactions, comments and shares**",
                "including 25 comments", "reproduce all four figures exactly"):
        assert bit in intro
    table = social.totals_table(sm).frame.set_index("Measure")
    assert list(table["Published"][:4]) == ["6", "942", "176", "25"]
    assert list(table["Records agree"][:4]) == ["Yes"] * 4
    assert table.loc["Engagement rate, all posts (interactions ÷ audience)", "From the records"] == "3.1%"


def test_per_post_figures_from_records(sm):
    posts = sm.posts
    assert (posts["interactions"] == posts["reactions"] + posts["comments"] + posts["shares"]).all()
    table = social.posts_table(sm).frame.set_index("Post (date: topic)")
    assert table.loc["All posts", "Audience"] == "5,652" and table.loc["All posts", "Interactions"] == "176"
    first = posts.iloc[0]
    label = table.index[0]
    assert table.loc[label, "Engagement rate"] == f"{round(100 * first['interactions'] / first['audience'], 1)}%"
    types = social.interactions_table(sm).frame.set_index("Post (date: topic)")
    assert list(types.loc["All posts"]) == ["118", "25", "33", "176"]
    # the disclosure decision is stated where the numbers are shown
    assert social.PAGE_STATISTICS_NOTE in social.posts_table(sm).notes
    assert "page statistics" in social.posts_table(sm).title and "page statistics" in social.interactions_table(sm).title


def test_definition_and_pooled_rate_text(sm):
    text = social.definitions_text(sm)
    assert "interactions ÷ its audience" in text and "pooled" in text
    assert "about **3.1%**" in text and "176 interactions ÷ (6 posts × 942 average audience)" in text
    prose = social.posts_text(sm)
    assert "reconstructed" not in prose and "findings" not in prose  # the status is said in the banner, captions and sources
    assert "700 to 1,268 people" in prose


def test_charts_have_computed_alt_text(sm):
    audience = social.audience_chart(sm)
    assert "average of 942 people" in audience.alt and "700 to 1,268" in audience.alt
    inter = social.interactions_chart(sm)
    assert "118 reactions, 25 comments and 33 shares" in inter.alt


def test_absent_social_media_is_not_available(tmp_path):
    add_ward(tmp_path, drop=("social_media_posts",))
    s = social.social_summary(open_chapter("clubmoor", tmp_path))
    assert not s.available
    assert "Not available" in social.social_intro_text(s) and "social_media_posts.csv" in social.social_intro_text(s)
    assert social.definitions_text(s) == "" and social.posts_text(s) == ""
    for fn in (social.totals_table, social.posts_table, social.interactions_table, social.audience_chart,
               social.interactions_chart):
        assert fn(s) is None


def test_records_that_do_not_reproduce_a_published_total_are_flagged(tmp_path):
    data = add_ward(tmp_path)
    frame = pd.read_csv(data / "social_media_posts.csv", dtype=str)
    frame.loc[0, "comments"] = str(int(frame.loc[0, "comments"]) + 2)
    frame.to_csv(data / "social_media_posts.csv", index=False, lineterminator="\n")
    s = social.social_summary(open_chapter("clubmoor", tmp_path))
    assert s.agrees("comments") is False and s.agrees("posts") is True
    text = social.social_intro_text(s)
    assert "do not reproduce the published interactions, comments" in text
    table = social.totals_table(s).frame.set_index("Measure")
    assert table.loc["of which comments", "Records agree"] == "No"


def test_without_published_figures_numbers_come_from_records(tmp_path):
    add_ward(tmp_path, drop=("published_figures",))
    s = social.social_summary(open_chapter("clubmoor", tmp_path))
    text = social.social_intro_text(s)
    assert "publish" not in text and "**6 posts**" in text  # a ward without published figures never mentions any
    assert "Overall engagement rate from the records: **3.1%**" in social.definitions_text(s)
    totals = social.totals_table(s)  # no empty "Published" column when nothing was published
    assert list(totals.frame.columns) == ["Measure", "From the records"] and "publish" not in totals.title.lower()


def _shown_text(nb) -> str:
    """Every output's text and Markdown, after checking that no cell raised."""
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error"
            texts.append("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", "")))
    joined = "\n".join(texts)
    assert "Traceback" not in joined
    return joined


def test_template_executes_for_clubmoor(real_book):
    """Chapter 06 for Clubmoor, as the session's real-book build ran it: no error, totals shown."""
    from real_book import executed_chapter

    joined = _shown_text(executed_chapter(real_book, "clubmoor", "06-social-media.ipynb"))
    assert "**6 posts**" in joined and "**176 reactions, comments and shares**" in joined
    # respondent-count rule: prose states no count of 1-4 people (page statistics are not people)
    assert not re.search(r"\b[1-4] (people|respondents|interviewees|participants)\b", joined)


@pytest.mark.slow  # runs a real chapter template
def test_template_executes_for_a_ward_without_social_media(tmp_path):
    """Chapter 06 for a ward without social media files (a pair the real book has not): no error."""
    add_ward(tmp_path, "nosocial", drop=("social_media_posts", "published_figures"))
    (tmp_path / "notebooks").mkdir()
    template = tmp_path / "notebooks" / "06-social-media.ipynb"
    shutil.copy(REPO / "notebooks" / "06-social-media.ipynb", template)
    nb = run_notebook(template, tmp_path / "nosocial.ipynb", {"study_id": "nosocial"}, tmp_path)
    assert "Not available" in _shown_text(nb)


def test_two_posts_of_one_date_and_topic_keep_a_bar_each(sm):
    """Labels are a post's date and topic, which two posts may share: the charts draw a bar per post, as the
    table lists them, not one bar per label."""
    import dataclasses

    posts = sm.posts.copy()
    posts.loc[posts.index[1], ["date", "topic"]] = posts.loc[posts.index[0], ["date", "topic"]].to_numpy()
    twins = dataclasses.replace(sm, posts=posts)
    for chart in (social.audience_chart(twins), social.interactions_chart(twins)):
        ax = chart.fig.axes[0]
        assert [len(container) for container in ax.containers] == [len(posts)] * len(ax.containers)
    interactions = social.interactions_chart(twins).fig.axes[0]
    assert [list(c.datavalues) for c in interactions.containers] == [
        [float(v) for v in posts[kind]] for kind in social.INTERACTION_TYPES]
