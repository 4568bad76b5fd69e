"""Teaching pages without code, in the built book (issue 23 item 7): no page's reader text (prose,
table cells and captions, outside the analysts' and provenance notes) holds an exception message, a
module path, one of the package's function names or a rule id. The explorer states and the class
pack: tests/test_reader_text.py; snake_case names and file names in prose: test_reader_prose.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_reader_prose import book_pages

from reader_text import code_in

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

#: Pages about commands and files, for analysts: they show module and file names on purpose.
ANALYST_PAGES = {"book/reproduce.html", "book/tutorial.html", "book/field-kit/importing.html"}


def reader_text(path: Path) -> str:
    """What a reader reads on the page: prose, table cells and captions, without code or collapsed notes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.find("main")
    if article is None:
        return ""
    for tag in article(["script", "style", "code", "pre", "math", "svg"]):
        tag.decompose()
    for box in article.select("details, .admonition.dropdown"):
        title = box.find("summary") if box.name == "details" else box.find(class_="admonition-title")
        if title is not None and re.search(r"analysts|provenance", title.get_text(), re.I):
            box.decompose()
    for tag in article.select(".cell_input, .headerlink"):
        tag.decompose()
    for link in article.find_all("a"):  # a link's address is not read; its words are
        link.attrs = {}
    return re.sub(r"\s+", " ", article.get_text(" "))


def test_no_code_in_any_page(site: Path) -> None:
    pages = [p for p in book_pages(site) if p.relative_to(site).as_posix() not in ANALYST_PAGES]
    teaching = [p for p in pages if "teaching" in p.relative_to(site).parts or "4" == p.name[:1]]
    assert teaching, "no teaching pages found"
    found = {p.relative_to(site).as_posix(): hits for p in pages if (hits := code_in(reader_text(p)))}
    assert not found, "code in reader text:\n" + "\n".join(f"{p}: {h}" for p, h in found.items())
