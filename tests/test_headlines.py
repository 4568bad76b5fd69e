"""Headline findings (cityconv.chapters.headlines) and the landing page's "What we found"."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import headlines as hl
from cityconv.chapters.findings import make_finding
from cityconv.core.paths import Project
from cityconv.methods.claims import CLAIMS, SOURCE_KEY

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "data" / "clubmoor" / "published_figures.csv"
CLUBMOOR_WORDS = ("clubmoor", "myclubmoor", "ducky", "slide", "published")


def _findings(**values) -> dict:
    labels = {"top_best_things": {"parks": "Parks and gardens", "shops": "Local shops"},
              "top_improve": {"bins": "Bin collections", "buses": "Buses"}}
    return {fid: make_finding(fid, value, labels.get(fid)) for fid, value in values.items()}


def test_published_headlines_quote_the_claims_as_published() -> None:
    headlines = hl.published_headlines({SOURCE_KEY})
    claims = {c.claim_id: c for c in CLAIMS}
    assert len(headlines) == len(hl.PUBLISHED_CLAIMS) + 1  # the practitioners' finding
    for h, (claim_id, chapter) in zip(headlines, hl.PUBLISHED_CLAIMS):
        assert h.text == f"“{claims[claim_id].statement}”"
        assert (h.status, h.chapter, h.source_key) == ("published", chapter, SOURCE_KEY)
        assert h.location == claims[claim_id].location
    practitioners = headlines[-1]
    assert practitioners.chapter == hl.PRACTITIONERS and "joined-up working" in practitioners.text
    assert practitioners.location == claims["practitioner_findings_raised"].location
    assert "engagement *by* communities" in practitioners.text
    assert "\n" not in practitioners.text  # one line, so it can sit in a list item


def test_no_published_headlines_without_their_source() -> None:
    assert hl.published_headlines(set()) == []
    assert hl.published_headlines({"some_other_report"}) == []


def test_record_headlines_come_from_the_findings_and_leave_out_unknowns() -> None:
    findings = _findings(top_best_things=["parks", "shops"], top_improve=["bins"],
                         covid_community_spirit=False, blended_engagement_favoured=None, workshop_themes=None)
    out = hl.record_headlines(findings, "synthetic")
    texts = [h.text for h in out]  # the records' status beside every sentence, not only in the banner
    assert texts[0] == "In the synthetic records, the best things named most often were “Parks and gardens” and “Local shops”."
    assert texts[1] == "In the synthetic records, the things to improve named most often were “Bin collections”."
    assert texts[2].startswith("In the synthetic records, half or fewer said")
    assert len(out) == 3  # blended engagement and workshop themes are not known: no sentence
    assert {h.status for h in out} == {"synthetic"}
    for text in texts:
        assert not any(word in text.lower() for word in CLUBMOOR_WORDS), text


def test_record_headline_for_practitioners_names_the_themes_raised() -> None:
    labels = {"lack_joined_up_working": "Challenges: historic lack of joined-up working",
              "community_driven_engagement": "With communities: community-driven and community-owned engagement"}
    raised = make_finding("workshop_themes", ["community_driven_engagement", "data_sharing"], labels)
    (h,) = hl.record_headlines({"workshop_themes": raised}, "reconstructed")
    assert h.text == "In the reconstructed records, practitioners spoke of community-driven and community-owned engagement."
    both = make_finding("workshop_themes", list(labels), labels)
    (h,) = hl.record_headlines({"workshop_themes": both}, "observed")  # a ward's own records need no label
    assert h.text == ("Practitioners spoke of a historic lack of joined-up working. "
                      "They also spoke of community-driven and community-owned engagement.")


def test_links_only_to_chapters_the_book_has() -> None:
    pages = hl.available_chapters(REPO)
    assert hl.link(hl.SURVEY, "generated/w/", pages) == "{doc}`generated/w/03-residents-survey`"
    assert hl.link(hl.SURVEY, "generated/w/", {}) == ""
    assert {hl.SURVEY, hl.INTERVIEWS, hl.PRACTITIONERS, hl.FIELDWORK, hl.SUMMARY} <= set(pages)


def test_landing_page_has_five_to_seven_linked_findings_then_three_lines_on_how_sure() -> None:
    text = hl.landing_markdown(REPO)
    found, sure = text.split("**How sure are these findings?**")
    items = [line for line in found.splitlines() if line.startswith("- ")]
    assert 5 <= len(items) <= 7, items
    for item in items:  # the slides name no method: the link says where the book sets it beside its records
        assert re.search(r"\(Set beside rebuilt records in \{doc\}`generated/clubmoor/\d\d-[a-z-]+`\.\)$",
                         item), item
        assert "(See " not in item
    assert f"{{cite:p}}`{SOURCE_KEY}`" in text
    lines = [line for line in sure.splitlines() if line.startswith("- ")]
    assert len(lines) == 3, lines
    margin, reach, bias = lines
    assert "48 responses" in margin and "±14 percentage points" in margin  # stats.precision_points(48)
    figures = pd.read_csv(FIGURES, dtype=str).set_index("figure_id")["value"]
    for fid in ("survey_responses", "interviews", "practitioner_workshops", "practitioner_participants",
                "social_media_average_audience"):
        assert f" {figures[fid]} " in reach, fid
    assert "(published figures)" in reach
    assert "“Some over-representation of middle-aged females within sample.”" in bias
    assert "reconstructed records" in text  # what the chapters test them on is labelled


def test_landing_numbers_follow_the_data(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for folder in ("params", "notebooks", "data/clubmoor", "data/context", "data/city"):
        shutil.copytree(REPO / folder, root / folder)
    figures = pd.read_csv(root / "data/clubmoor/published_figures.csv", dtype=str, keep_default_na=False)
    figures.loc[figures["figure_id"] == "survey_responses", "value"] = "4321"
    figures.to_csv(root / "data/clubmoor/published_figures.csv", index=False)
    assert "4,321 survey responses" in hl.landing_markdown(root)


def test_landing_page_without_a_published_ward(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/index\n", encoding="utf-8")
    text = hl.landing_markdown(tmp_path)
    assert "No ward in this book has published findings yet" in text and "{doc}" not in text


def test_write_landing_writes_under_generated_and_keeps_an_unchanged_file(tmp_path: Path) -> None:
    from cityconv.pipeline.artifacts import write_landing

    (tmp_path / "params").mkdir()
    project = Project(tmp_path)
    path = write_landing(project)
    assert path == project.generated_dir / hl.LANDING_FILE and path.read_text(encoding="utf-8").strip()
    before = path.stat().st_mtime_ns
    write_landing(project)
    assert path.stat().st_mtime_ns == before


@pytest.mark.slow  # runs a real chapter template
def test_the_book_stage_writes_the_landing_findings_and_render_only_runs_jupyter_book(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan's book stage writes the file book/index.md includes; `render` writes nothing itself."""
    from cityconv.pipeline import book
    from cityconv.pipeline.artifacts import build_artifacts

    (tmp_path / "params").mkdir()
    calls = []
    monkeypatch.setattr(book.subprocess, "call", lambda command, cwd: calls.append(command) or 0)
    assert book.render(Project(tmp_path)) == 0 and calls
    assert not (Project(tmp_path).generated_dir / hl.LANDING_FILE).exists()
    results = build_artifacts(Project(tmp_path), kinds=["page"])
    assert "page:landing" in [r.artifact.label for r in results if r.status == "built"]
    assert (Project(tmp_path).generated_dir / hl.LANDING_FILE).exists()


def test_index_page_includes_the_generated_findings_first() -> None:
    index = (REPO / "book" / "index.md").read_text(encoding="utf-8")
    include = f"```{{include}} generated/{hl.LANDING_FILE}"
    assert include in index
    assert index.index("## What we found") < index.index(include) < index.index("## What this book is")
    assert "generated/" in (REPO / ".gitignore").read_text(encoding="utf-8")  # never committed
