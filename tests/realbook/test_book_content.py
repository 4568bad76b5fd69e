"""The whole built book, read as text: what reaches readers must be clean and honest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

PUBLISHED = ("48", "26", "942", "176", "25", "20", "23", "1,906")


def page_text(path: Path) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_no_page_shows_a_traceback_or_an_error_output(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in html, page
        assert 'class="output traceback' not in html and "ansi-red-fg" not in html, page


def test_clubmoor_chapters_carry_the_published_figures(site: Path) -> None:
    chapters = site / "book" / "generated" / "clubmoor"
    text = " ".join(page_text(p) for p in sorted(chapters.glob("*.html")))
    for figure in PUBLISHED:
        assert re.search(rf"(?<![\d,.]){re.escape(figure)}(?![\d,]|\.\d)", text), f"{figure} not on any Clubmoor page"


def test_every_page_built_from_synthetic_data_says_so(site: Path) -> None:
    pages = sorted((site / "book" / "generated" / "anfield").glob("*.html"))
    assert pages, "the demonstration ward was not built"
    for page in pages:  # the census profile is real data: only the pages of records carry the banner
        banner = "Synthetic demonstration data — not findings" in page_text(page)
        assert banner == (page.stem != "01-ward-profile"), page.name


def test_record_based_clubmoor_chapters_say_the_records_are_reconstructed(site: Path) -> None:
    for page in sorted((site / "book" / "generated" / "clubmoor").glob("*.html")):
        if page.stem == "01-ward-profile":  # public open data only
            continue
        assert "Reconstructed response-level data" in page_text(page), page.name
