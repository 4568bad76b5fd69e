"""The atlas profile pages of the real book, checked as HTML (no browser).

The session's copy of the real book builds the atlas's declared sample of profile pages
(tests/atlas_sample.py; tests/real_book.py, ATLAS SAMPLE), which the browser audits
(tests/browser/test_book_in_browser.py) also open. Here each is read with BeautifulSoup and held to the
audit's rules that HTML can show: images have alternative text, headings do not skip a level, tables have
header cells, links have a name, internal links and images resolve, and no raw markup reaches the
reader. That the sample covers every shape of profile (which optional tables and texts a ward's page
has) is checked for every ward in-process: tests/test_profile.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from atlas_sample import ATLAS_SAMPLE, atlas_ward

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

#: Markup that should have been rendered: an HTML tag, a Jinja2 or MyST role/directive, Markdown emphasis.
HEADING = re.compile(r"h[1-6]")
RAW_MARKUP = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^>]*)?>|\{\{|\}\}|\{%|%\}|^:::|```|\{[a-z-]+\}`|\*\*\w", re.M)


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _article(soup):
    return soup.select_one("article.bd-article") or soup.find("main") or soup


@dataclass(frozen=True)
class Profile:
    path: Path
    problems: list[str]


@pytest.fixture(scope="module")
def profiles(site: Path) -> dict[str, Profile]:
    """`<ward code>/<page>` -> every atlas profile page, each parsed once."""
    found = {}
    for page in sorted(site.glob("book/generated/atlas/e0*/*.html")):
        ward = atlas_ward(page.relative_to(site).as_posix())
        if ward:
            soup = _soup(page)
            found[f"{ward}/{page.name}"] = Profile(page, _problems(site, page, soup))
    return found


def _problems(site: Path, page: Path, soup) -> list[str]:
    """What the browser audit would report on this page, where HTML can show it (one pass over its tags)."""
    article = _article(soup)
    in_article = article.find_all(True)
    found = []
    if not (soup.html and soup.html.get("lang")):
        found.append("the page has no language (html lang)")
    if not (soup.title and soup.title.get_text(strip=True)):
        found.append("the page has no title")
    for image in (tag for tag in in_article if tag.name == "img"):
        if image.get("alt") is None:
            found.append(f"image without alternative text: {image.get('src')}")
    levels = [int(tag.name[1]) for tag in in_article if HEADING.fullmatch(tag.name)]
    if levels[:1] != [1] or levels.count(1) != 1:
        found.append(f"expected one h1 first, found heading levels {levels}")
    for before, after in zip(levels, levels[1:]):
        if after > before + 1:
            found.append(f"heading level skips from h{before} to h{after}")
    for table in (tag for tag in in_article if tag.name == "table"):
        if table.find("th") is None:
            found.append(f"table without header cells: {table.get_text(' ', strip=True)[:60]!r}")
    everywhere = soup.find_all(["a", "img"])
    for link in (tag for tag in everywhere if tag.name == "a" and tag.get("href") is not None):
        named = link.get_text(strip=True) or link.get("aria-label") or link.get("title") or \
            any(img.get("alt") for img in link.find_all("img"))
        if not named:
            found.append(f"link without a name: {link['href']}")
    found += _broken_references(site, page, everywhere)
    for tag in (tag for tag in in_article if tag.name in ("script", "style", "code", "pre")):
        tag.decompose()
    raw = sorted({m.group(0) for m in RAW_MARKUP.finditer(article.get_text("\n"))})
    if raw:
        found.append(f"raw markup in the text: {raw[:5]}")
    return found


def _broken_references(site: Path, page: Path, tags) -> list[str]:
    """Links and images (`tags`: the page's <a> and <img>) to a file or anchor of the site that is not there."""
    broken = []
    references = [("link", tag["href"]) if tag.name == "a" else ("image", tag.get("src", ""))
                  for tag in tags if tag.name == "img" or tag.get("href") is not None]
    for kind, url in references:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("mailto:", "data:")) or not (parts.path or parts.fragment):
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or site.resolve() not in target.parents:
            broken.append(f"{kind} to missing {url}")
        elif kind == "link" and parts.fragment and target.suffix == ".html" and \
                unquote(parts.fragment) not in _ids(target):
            broken.append(f"link to missing anchor {url}")
    return broken


@cache
def _ids(page: Path) -> frozenset[str]:
    return frozenset(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8", errors="replace")))


def test_the_atlas_builds_the_profiles_of_its_sample(profiles: dict[str, Profile]) -> None:
    wards = {key.split("/")[0] for key in profiles}
    assert wards == set(ATLAS_SAMPLE), (
        f"the copy's atlas should build exactly its sample: missing {sorted(set(ATLAS_SAMPLE) - wards)}, "
        f"not sampled {sorted(wards - set(ATLAS_SAMPLE))}")


def test_every_atlas_profile_keeps_the_audits_html_rules(profiles: dict[str, Profile]) -> None:
    problems = [f"{key}: {problem}" for key, profile in profiles.items() for problem in profile.problems]
    assert not problems, f"{len(problems)} problem(s) in atlas profiles:\n" + "\n".join(problems)


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """The HTML rules are not vacuous: a page breaking each of them is reported for each."""
    page = tmp_path / "book" / "page.html"
    page.parent.mkdir()
    page.write_text(
        '<html><head></head><body><main><h1>Ward</h1><h3>Skipped a level</h3><img src="missing.png">'
        '<table><tr><td>1</td></tr></table><a href="other.html"></a><a href="#nowhere">here</a>'
        "<p>**bold** and {{ ward }}</p></main></body></html>", encoding="utf-8")
    found = "\n".join(_problems(tmp_path, page, _soup(page)))
    for expected in ("no language", "no title", "without alternative text", "skips from h1 to h3",
                     "table without header cells", "link without a name", "link to missing other.html",
                     "image to missing missing.png", "link to missing anchor #nowhere", "raw markup"):
        assert expected in found, f"{expected!r} not reported:\n{found}"
