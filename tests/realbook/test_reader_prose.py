"""Reader prose across the whole built book (issue 12): no code names, and mentions of other chapters are links.

"Reader prose" is a page's article text outside what is meant for analysts: code (inline or in
blocks), tables (their cells hold values and column names), links (a download link is named after
its file), and collapsed notes ("For analysts", the provenance box). Pages about commands (the
tutorial and "Reproduce this book") show commands in code, which is excluded like everywhere else.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

SKIP_FOLDERS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}

#: A snake_case key, a dotted module path of ours, or a file name with a data or code suffix.
CODE_NAME = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"
    r"|\bcityconv\.[a-z_.]+"
    r"|\b[\w-]+\.(?:csv|ya?ml|py|ipynb|json|md)\b"
)
#: Names of chapters other pages mention as "the … chapter" or "the … page".
CHAPTER_TITLES = ("ward profile", "how the evidence was gathered", "residents’ survey", "residents' survey",
                  "who took part", "interviews", "social media", "practitioners and partners", "sense check",
                  "principles audit", "recommendations", "executive summary", "comparing wards",
                  "business case", "tutorial")
MENTION = re.compile(r"\b(?:the|see) (" + "|".join(re.escape(t) for t in CHAPTER_TITLES) + r") (?:chapter|page)\b",
                     re.IGNORECASE)


@functools.cache  # the session's real book is read-only here: each page is parsed once, not once per check
def reader_prose(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.find("main")
    if article is None:
        return ""
    for tag in article(["script", "style", "code", "pre", "table", "a", "math", "svg", "figcaption"]):
        tag.decompose()
    for box in article.select("details, .admonition.dropdown"):  # collapsed notes meant for analysts
        title = box.find("summary") if box.name == "details" else box.find(class_="admonition-title")
        if title is not None and re.search(r"analysts|provenance", title.get_text(), re.I):
            box.decompose()
    for tag in article.select(".cell_input, .headerlink, .bibtex-citation, .footnote, .citation"):
        tag.decompose()
    return re.sub(r"\s+", " ", article.get_text(" "))


def book_pages(site: Path) -> list[Path]:
    return [p for p in sorted(site.rglob("*.html"))
            if not SKIP_FOLDERS & set(p.relative_to(site).parts) and p.name not in SKIP_PAGES]


def field_kit_document(page: str) -> bool:
    """A field kit document (book/generated/field-kit/<ward>/…): a printable copy for use away from the
    book, so it names the ward's chapters without linking them."""
    return re.match(r"book/generated/field-kit/[^/]+/", page) is not None


def codebook(page: str) -> bool:
    """A codebook lists a ward's files and columns by name: that is what it is for."""
    return field_kit_document(page) and page.endswith("/codebook.html")


def test_reader_prose_is_read_from_real_pages(site: Path) -> None:
    """The checks below are not vacuous: the pages' prose is found."""
    prose = reader_prose(site / "book" / "generated" / "clubmoor" / "03-residents-survey.html")
    assert len(prose.split()) > 200


def _matches_by_page(site: Path, pattern: re.Pattern, exempt) -> dict[str, list[str]]:
    """page -> the distinct matches of `pattern` in its reader prose, for pages not `exempt`."""
    found = {}
    for page in book_pages(site):
        name = page.relative_to(site).as_posix()
        hits = [] if exempt(name) else sorted({m.group(0) for m in pattern.finditer(reader_prose(page))})
        if hits:
            found[name] = hits
    return found


def test_no_code_identifiers_or_file_names_in_reader_prose(site: Path) -> None:
    found = _matches_by_page(site, CODE_NAME, codebook)
    assert not found, "code names in reader prose:\n" + "\n".join(f"{p}: {h}" for p, h in found.items())


def test_mentions_of_other_chapters_are_links(site: Path) -> None:
    """Link text is removed before the search, so a mention left in the prose is one without a link."""
    found = _matches_by_page(site, MENTION, field_kit_document)
    assert not found, "chapters mentioned without a link:\n" + "\n".join(f"{p}: {h}" for p, h in found.items())
