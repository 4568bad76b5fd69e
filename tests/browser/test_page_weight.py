"""Light pages (issue 26 part 2) in the built book: what makes a page heavy stays out of it.

No page loads Font Awesome's script (the icons are CSS, `_static/icons.css`); a chapter page does not
load the search index, yet the search box still finds a chapter; an explorer page's HTML is small and
its data arrives as a file of its own; every image has a width and height (and all but a page's first
load lazily); every page has a meta description. The weights themselves are measured by
benchmarks/page_weight.py and recorded in benchmarks/README.md (they depend on the machine).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_book_in_browser import PageReport, html_pages, new_page

from cityconv.core.page_markup import EXPLORER_ATTRIBUTE, STATIC_IMAGE_CLASS
from cityconv.pipeline.sphinx_light import DATA_LABELS, DESCRIPTION_LIMIT

pytestmark = pytest.mark.browser

#: An explorer page's HTML without its data and figure (it was 634 KiB with them inline).
EXPLORER_HTML_LIMIT = 120 * 1024
#: The issue's target for an explorer page's empty-cache transfer.
EXPLORER_TRANSFER_LIMIT = 1.5 * 1024 * 1024


def sphinx_pages(site: Path) -> list[str]:
    """The book's pages written by Sphinx (not the redirect at the root or the field kits' print documents)."""
    return [p for p in html_pages(site)
            if "documentation_options.js" in (site / p).read_text(encoding="utf-8", errors="replace")]


def a_chapter(site: Path) -> str:
    pages = sphinx_pages(site)
    return next((p for p in pages if p.startswith("book/generated/clubmoor/")),
                next(p for p in pages if p.startswith("book/generated/")))


def explorer_pages(site: Path) -> list[str]:
    return [p for p in sphinx_pages(site) if f'{EXPLORER_ATTRIBUTE}="' in (site / p).read_text(encoding="utf-8")]


def transfer_recorder(sizes: list[tuple[str, int]]):
    """A `requestfinished` listener adding (url, header and body bytes received) to `sizes`."""
    def record(request) -> None:
        received = request.sizes()
        sizes.append((request.url, received["responseBodySize"] + received["responseHeadersSize"]))
    return record


class _Tags(HTMLParser):
    """Every <img> and <meta name="description"> of a page, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.descriptions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        elif tag == "meta" and attributes.get("name") == "description":
            self.descriptions.append(attributes.get("content") or "")


def _tags(site: Path, page: str) -> _Tags:
    parser = _Tags()
    parser.feed((site / page).read_text(encoding="utf-8"))
    return parser


def test_no_page_asks_for_font_awesome_and_only_search_asks_for_the_index(site: Path) -> None:
    pages = sphinx_pages(site)
    assert len(pages) > 10
    with_font_awesome = [p for p in pages if "fontawesome.js" in (site / p).read_text(encoding="utf-8")]
    with_index = [p for p in pages if "searchindex.js" in (site / p).read_text(encoding="utf-8")]
    assert not with_font_awesome, with_font_awesome
    assert with_index == ["search.html"]
    assert (site / "_static" / "icons.css").is_file()


def test_chapter_page_loads_neither_and_its_search_box_still_finds_the_chapter(site: Path, base_url: str,
                                                                               browser) -> None:
    chapter = a_chapter(site)
    report = PageReport(chapter)
    context, page = new_page(browser, base_url, report)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(base_url + chapter, wait_until="networkidle")
        loaded = list(requested)
        # The icons are drawn: the search button's magnifying glass has a size and an SVG mask.
        icon = page.evaluate("""() => {
          const i = document.querySelector('.search-button__button i.fa-magnifying-glass');
          const s = getComputedStyle(i, '::before');
          return {width: parseFloat(s.width), mask: s.maskImage || s.webkitMaskImage};
        }""")
        page.keyboard.press("Control+k")
        field = page.locator("#pst-search-dialog input[name=q]")
        field.wait_for(state="visible")
        field.fill("Clubmoor")
        field.press("Enter")
        page.wait_for_url("**/search.html?q=Clubmoor*")
        page.wait_for_selector("#search-results ul.search li a", timeout=60_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map((a) => a.href)")
    finally:
        context.close()
    assert not [u for u in loaded if "fontawesome.js" in u], loaded
    assert not [u for u in loaded if "searchindex.js" in u], loaded
    assert any(u.endswith("_static/icons.css") or "_static/icons.css?" in u for u in loaded), loaded
    assert icon["width"] > 0 and "svg" in icon["mask"], icon
    assert any(u.split("?")[0].endswith("searchindex.js") for u in requested), "the search page loads the index"
    assert hrefs, "the search from a chapter page found nothing"
    assert not report.console_errors and not report.failed_requests, (report.console_errors, report.failed_requests)


def test_explorer_pages_are_small_and_fetch_their_data(site: Path, base_url: str, browser) -> None:
    pages = explorer_pages(site)
    assert len(pages) == 3, pages
    for path in pages:
        text = (site / path).read_text(encoding="utf-8")
        assert len(text.encode("utf-8")) < EXPLORER_HTML_LIMIT, f"{path}: {len(text) // 1024} KiB of HTML"
        assert "base64," not in text and 'data-src="' in text, path
        report = PageReport(path)
        context, page = new_page(browser, base_url, report)
        sizes: list[tuple[str, int]] = []
        page.on("requestfinished", transfer_recorder(sizes))
        try:
            page.goto(base_url + path, wait_until="networkidle")
            page.wait_for_function("() => document.querySelector('[data-cityconv-explorer]').dataset.defaultState")
        finally:
            context.close()
        data_files = [u for u, _ in sizes if u.endswith(".json.gz")]
        assert len(data_files) == 1, (path, data_files)
        # Vega is fetched when the explorer is first used (tests/browser/test_explorers_in_browser.py), not with the page
        assert not [u for u, _ in sizes if "/vendor/vega" in u], path
        assert [u for u, _ in sizes if u.endswith(".png")], f"{path}: the default figure is the first paint"
        total = sum(b for _, b in sizes)
        assert total <= EXPLORER_TRANSFER_LIMIT, f"{path}: {total / 1024:,.0f} KiB transferred"
        assert not report.console_errors and not report.failed_requests, (report.console_errors, report.failed_requests)


def test_every_image_has_its_size_and_all_but_the_first_load_lazily(site: Path) -> None:
    missing, eager = [], []
    for path in sphinx_pages(site):
        images = _tags(site, path).images
        missing += [f"{path}: {img.get('src', '')[:80]}" for img in images
                    if not (img.get("width") and img.get("height"))]
        # an explorer's default figure is its first paint (the live chart comes on first use): loaded eagerly
        eager += [f"{path}: {img.get('src', '')[:80]}" for img in images[1:]
                  if img.get("loading") != "lazy" and STATIC_IMAGE_CLASS not in (img.get("class") or "").split()]
    assert not missing, "images without width and height:\n" + "\n".join(missing[:20])
    assert not eager, "images after the first without loading=lazy:\n" + "\n".join(eager[:20])


def test_every_page_has_one_meta_description(site: Path) -> None:
    problems = []
    for path in sphinx_pages(site):
        descriptions = _tags(site, path).descriptions
        if len(descriptions) != 1 or not descriptions[0].strip() or len(descriptions[0]) > DESCRIPTION_LIMIT:
            problems.append(f"{path}: {descriptions}")
    assert not problems, "\n".join(problems[:20])
    # A chapter's description is its data label (its banner's title), then its lede: words from its text.
    chapter = a_chapter(site)
    (description,) = _tags(site, chapter).descriptions
    label = next((f"{t}: " for t in DATA_LABELS if f"{t}</p>" in (site / chapter).read_text(encoding="utf-8")), "")
    assert description.startswith(label), (chapter, description)
    description = description.removeprefix(label)
    article = (site / chapter).read_text(encoding="utf-8").split("<article", 1)[1]
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())
    assert " ".join(description.split()[:4]) in words, (chapter, description)
