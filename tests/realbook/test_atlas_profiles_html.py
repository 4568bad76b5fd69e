"""Every atlas profile page of the real book, checked as HTML (no browser).

The browser audits (tests/browser/test_book_in_browser.py) open a declared sample of the atlas's
profiles (tests/atlas_sample.py). Here every profile is read with BeautifulSoup and held to the audit's
rules that HTML can show: images have alternative text, headings do not skip a level, tables have
header cells, links have a name, internal links and images resolve, and no raw markup reaches the
reader. Each profile must also have the shape of a sampled page, so the sample covers every shape the
browser would otherwise meet only on an unsampled ward.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from atlas_sample import ATLAS_SAMPLE, atlas_ward

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

#: Markup that should have been rendered: an HTML tag, a Jinja2 or MyST role/directive, Markdown emphasis.
RAW_MARKUP = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^>]*)?>|\{\{|\}\}|\{%|%\}|^:::|```|\{[a-z-]+\}`|\*\*\w", re.M)


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def _article(soup):
    return soup.select_one("article.bd-article") or soup.find("main") or soup


@cache
def _profiles(site: Path) -> dict[str, Path]:
    """Ward code -> its atlas profile page (every page of the atlas's ward folders)."""
    pages = {}
    for page in sorted(site.glob("book/generated/atlas/e0*/*.html")):
        ward = atlas_ward(page.relative_to(site).as_posix())
        if ward:
            pages[f"{ward}/{page.name}"] = page
    return pages


def _problems(site: Path, page: Path) -> list[str]:
    soup = _soup(page)
    article = _article(soup)
    found = []
    if not (soup.html and soup.html.get("lang")):
        found.append("the page has no language (html lang)")
    if not (soup.title and soup.title.get_text(strip=True)):
        found.append("the page has no title")
    for image in article.find_all("img"):
        if image.get("alt") is None:
            found.append(f"image without alternative text: {image.get('src')}")
    levels = [int(h.name[1]) for h in article.find_all(re.compile(r"^h[1-6]$"))]
    if levels[:1] != [1] or levels.count(1) != 1:
        found.append(f"expected one h1 first, found heading levels {levels}")
    for before, after in zip(levels, levels[1:]):
        if after > before + 1:
            found.append(f"heading level skips from h{before} to h{after}")
    for table in article.find_all("table"):
        if table.find("th") is None:
            found.append(f"table without header cells: {table.get_text(' ', strip=True)[:60]!r}")
    for link in soup.find_all("a", href=True):
        named = link.get_text(strip=True) or link.get("aria-label") or link.get("title") or \
            any(img.get("alt") for img in link.find_all("img"))
        if not named:
            found.append(f"link without a name: {link['href']}")
    found += _broken_references(site, page, soup)
    for tag in article(["script", "style", "code", "pre"]):
        tag.decompose()
    raw = sorted({m.group(0) for m in RAW_MARKUP.finditer(article.get_text("\n"))})
    if raw:
        found.append(f"raw markup in the text: {raw[:5]}")
    return found


def _broken_references(site: Path, page: Path, soup) -> list[str]:
    broken = []
    references = [("link", a["href"]) for a in soup.find_all("a", href=True)] + \
                 [("image", img.get("src", "")) for img in soup.find_all("img")]
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


def _shape(page: Path) -> tuple:
    """A page's outline: its heading levels, and how many tables and figures it holds."""
    article = _article(_soup(page))
    return (tuple(h.name for h in article.find_all(re.compile(r"^h[1-6]$"))),
            len(article.find_all("table")), len(article.find_all("img")))


def test_the_atlas_has_its_profiles_and_the_sample_is_among_them(site: Path) -> None:
    profiles = _profiles(site)
    wards = {key.split("/")[0] for key in profiles}
    assert len(wards) >= 90, f"expected the atlas's 90-odd profiles, found {len(wards)}"
    assert set(ATLAS_SAMPLE) <= wards, f"sampled wards without an atlas profile: {set(ATLAS_SAMPLE) - wards}"


def test_every_atlas_profile_keeps_the_audits_html_rules(site: Path) -> None:
    problems = [f"{key}: {problem}" for key, page in _profiles(site).items() for problem in _problems(site, page)]
    assert not problems, f"{len(problems)} problem(s) in atlas profiles:\n" + "\n".join(problems)


def test_every_atlas_profile_has_the_shape_of_a_page_the_browser_opens(site: Path) -> None:
    profiles = _profiles(site)
    sampled = {_shape(page) for key, page in profiles.items() if key.split("/")[0] in ATLAS_SAMPLE}
    unsampled = [f"{key}: {_shape(page)}" for key, page in profiles.items() if _shape(page) not in sampled]
    assert not unsampled, (
        "atlas profiles with a shape no page of the browser's sample has (add one to ATLAS_SAMPLE in "
        "tests/atlas_sample.py):\n" + "\n".join(unsampled)
    )
