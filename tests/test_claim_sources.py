"""Claims carry their source type (issue 23, item 4): the "In short" boxes and the executive summary's
sentences never state a number from reconstructed or synthetic records without the records' status
beside it (in the same sentence, not only in the page banner); a published number says it is published.
And the corrections of the issue's list stay corrected: the legacy is worded as the slides word it, and
the principles audit judges no further than its sources.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import evidence_gathering as F
from cityconv.chapters import principles_audit as PA
from cityconv.chapters import summary as SM
from cityconv.chapters import survey as S
from cityconv.chapters import who_took_part as W
from cityconv.chapters.loader import open_chapter

REPO = Path(__file__).resolve().parents[1]
SEEDS = Path("/work/shared/seeds")


def sentences(markdown: str) -> list[str]:
    """The sentences of rendered Markdown that state a number (list items and paragraphs alike)."""
    text = " ".join(re.sub(r"\{(?:doc|cite:p)\}`[^`]*`", "", markdown).replace("**", "").split())
    parts = re.split(r"(?<=[.:])\s+(?=[A-Z“-])|\s-\s", text)
    return [p for p in parts if re.search(r"\d", p)]


def unlabelled(markdown: str, status: str) -> list[str]:
    """Sentences with a number that name neither the records' status nor a published source."""
    return [s for s in sentences(markdown)
            if not re.search(rf"{status}|published|Census|\{{cite", s, re.I)]


@pytest.fixture(scope="module", params=["clubmoor", "anfield"])
def chapter(request):
    return open_chapter(request.param, REPO)


def in_short_boxes(ch) -> dict[str, str]:
    sv = S.from_chapter(ch)
    return {"survey": S.summary_text(sv), "who took part": W.summary_text(W.composition(sv, ch.context)),
            "evidence gathering": F.summary_text(F.from_chapter(ch))}


def test_every_in_short_number_from_records_carries_the_records_status(chapter) -> None:
    status = chapter.data_status
    assert status in ("reconstructed", "synthetic")  # both wards' records are not their own: the test bites
    for name, text in in_short_boxes(chapter).items():
        assert text.startswith("**In short.**"), name
        assert sentences(text), name  # not vacuous: the box states numbers
        assert not unlabelled(text, status), (name, unlabelled(text, status))


def test_the_summary_sentences_carry_the_records_status(chapter) -> None:
    s = SM.load_summary(chapter.params.id, REPO)
    for text in (SM.findings_text(s), SM.how_sure_text(s)):
        record_part = text.split("cannot test them")[-1]  # after the published quotes (cited above)
        assert not unlabelled(record_part, s.data_status), unlabelled(record_part, s.data_status)


def test_the_reconstruction_only_results_of_the_issue_say_their_status() -> None:
    """The issue's examples: "16 to 34 and men were under-represented", "69% would recommend"."""
    ch = open_chapter("clubmoor", REPO)
    boxes = {k: " ".join(v.split()) for k, v in in_short_boxes(ch).items()}
    assert "Compared with the 2021 Census, in the reconstructed records" in boxes["who took part"]
    recommend = next(s for s in sentences(boxes["survey"]) if "69%" in s)
    assert "reconstructed records" in recommend


def test_the_how_sure_section_gives_the_margin_the_reach_and_who_was_missed() -> None:
    s = SM.load_summary("clubmoor", REPO)
    text = " ".join(SM.how_sure_text(s).split())
    assert "From the published count: with 48 responses, a percentage from this survey could be out by up to " \
           "±14 percentage points" in text
    assert "published figures are under “What the engagement did”" in text  # not repeated: one place for reach
    reach = " ".join(SM.how_sure_text(SM.load_summary("anfield", REPO)).split())
    anfield = {stem: pd.read_csv(REPO / "data" / "anfield" / f"{stem}.csv") for stem in ("survey_responses", "interviews", "workshops")}
    workshops = anfield["workshops"]
    for strand in (f"{len(anfield['survey_responses'])} survey responses", f"{len(anfield['interviews'])} interviews",
                   f"{int(workshops['participants'].sum())} practitioners at {len(workshops)} workshops",
                   "(counts in the synthetic records)"):  # Anfield's counts read from its data, never pinned
        assert strand in reach, strand
    assert "In the reconstructed records, compared with the 2021 Census" in text
    assert "“Under-representation of BAME people.”" in text  # the project's own words, quoted and cited
    chart = SM.how_sure_chart(s)
    assert chart is not None and "95%" in chart.alt and "reconstructed" in chart.alt
    for r in s.how_sure.results:  # every result inside its own interval, which is about ±14 points wide at most
        assert r.low <= r.share.value <= r.high and r.high - r.low <= 0.29


def test_the_legacy_is_worded_as_the_slides_word_it() -> None:
    statements = pd.read_csv(REPO / "data" / "clubmoor" / "findings_statements.csv")
    legacy = " ".join(statements.loc[statements["section"] == "legacy", "text"])
    assert "made a toolkit" not in legacy and "included a new MyClubmoor Plan" not in legacy
    assert "informing a new MyClubmoor Plan" in legacy and "developing a toolkit" in legacy
    if SEEDS.exists():  # the slides' own words
        slides = (SEEDS / "001_7db58e287697ba8a.txt").read_text(encoding="utf-8")
        assert "Informing a new MyClubmoor Plan" in slides and "Developing a community-led research toolkit" in slides


def test_the_principles_audit_judges_no_further_than_its_sources() -> None:
    audit = PA.load("clubmoor", REPO)
    scores = {p.principle: p for p in audit.scores}
    words = " ".join(p.because for p in audit.scores)
    for overreach in ("leaders and staff were short", "not fully resourced", "met its aims in a different way",
                      "know the area and its history"):
        assert overreach not in words, overreach
    # training 20 researchers is "not clear" on the evidence page, so principle 2 cannot be "met"
    assert scores["trust_and_capacity"].score == "not_known" and "not clear" in scores["trust_and_capacity"].because
    assert scores["honesty"].score == "not_known"  # not scored on statuses the book itself gave
    assert scores["resourcing"].score == "not_known"
    assert scores["local_knowledge"].score != "met"


def test_how_sure_claims_no_comparison_and_no_figure_a_study_of_its_own_does_not_have() -> None:
    """A study that asked nothing mapped to the Census (SurveyMonkey's Star Wars poll): no "no group differs
    from the Census", and no figure promised when none of the City Conversation's headline results exists."""
    import dataclasses

    s = SM.load_summary("anfield", REPO)
    own = dataclasses.replace(s, how_sure=dataclasses.replace(s.how_sure, results=(), under="", over="", compared=""))
    raw = SM.how_sure_text(own)
    assert "\n- **Reach.**" in raw and "\n- **Who was missed.**" in raw  # still one list item each
    text = " ".join(raw.split())
    assert "no group differs" not in text and "The figure shows" not in text
    assert "The survey asked no question that can be compared with the 2021 Census" in text
    compared = dataclasses.replace(own, how_sure=dataclasses.replace(own.how_sure, compared="age and sex"))
    assert "no group differs from the 2021 Census" in " ".join(SM.how_sure_text(compared).split())
