"""The print cache (`cityconv.pipeline.print_html`, issue 21): a self-contained page printed before is
copied from the cache instead of printed again; anything that could change its PDF (one byte of the
page, the footer, the browser) prints it again; a page that loads other files is printed every time; a
cache that cannot be written never stops a print; `CITYCONV_PRINT_CACHE=0` turns it off."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from cityconv.pipeline import print_html
from cityconv.pipeline.print_html import PrintCache, self_contained

REPO = Path(__file__).resolve().parents[1]
BROWSER = ["/usr/bin/chromium", "/usr/bin/chromium", 5066, 1, ["--headless"], "1.0"]
PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kit</title>'
        '<style>body { font-family: sans-serif; } h1 { color: #123; }</style></head>'
        '<body><h1 style="margin: 0">Questionnaire</h1><p><a href="#q1">Question 1</a></p>'
        '<img alt="a dot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==">'
        '<p id="q1">☐ Yes ☐ No</p></body></html>')


# --- which pages may be cached ---------------------------------------------------------------------------

def test_a_page_with_inline_styles_data_images_and_harmless_links_is_self_contained() -> None:
    assert self_contained(PAGE)
    assert self_contained('<a href="mailto:team@example.org">mail</a> <a href="https://example.org/x">site</a>')
    assert self_contained('<svg><rect fill="url(#stripes)"/></svg><div style="background: url(\'data:image/png;base64,AAAA\')">')


@pytest.mark.parametrize("reference", [
    '<img src="logo.png">',
    "<img src=logo.png>",
    '<IMG SRC = "./logo.png">',
    '<link rel="stylesheet" href="style.css">',
    '<a href="other.html">the next document</a>',  # a link's target is written into the PDF as a file:// address
    '<div style="background: url(x.png)"></div>',
    '<style>h1 { background: url( "../x.png" ) }</style>',
    '<style>@import "print.css";</style>',
    "<style>@import url(https://example.org/a.css);</style>",
    '<img srcset="small.png 1x, data:image/png;base64,AAAA 2x">',
    '<object data="chart.svg"></object>',
    '<svg><use xlink:href="sprites.svg#box"/></svg>',
    '<img src="//example.org/logo.png">',  # relative to the scheme: a file:// host
    "<script>document.title = new Date()</script>",
    '<meta http-equiv="refresh" content="0; url=other.html">',
])
def test_a_page_that_refers_to_another_file_is_not_self_contained(reference: str) -> None:
    assert not self_contained(PAGE.replace("</body>", reference + "</body>"))


def test_the_real_field_kit_documents_and_a_profile_sheet_are_self_contained(tmp_path: Path) -> None:
    """What the build prints, so what the cache is for: every kit document and the profile sheets."""
    from cityconv.chapters import atlas, profile_sheet
    from cityconv.data.questionnaire import ward_questionnaire
    from cityconv.generate import fieldkit
    from test_profile_pdf import ANFIELD, _project

    questionnaire, _ = ward_questionnaire(REPO / "data" / "clubmoor", REPO)
    pages = [p for p in fieldkit.write_field_kit(tmp_path / "kit", questionnaire, "clubmoor") if p.suffix == ".html"]
    assert len(pages) == 8
    for page in pages:
        assert self_contained(page.read_text(encoding="utf-8")), page.name
    assert self_contained(fieldkit.PRINT_FOOTER)
    (tmp_path / "project").mkdir()
    project = _project(tmp_path / "project")
    assert self_contained(profile_sheet.sheet_html(atlas.atlas_id(ANFIELD), project.root))


# --- where, and the key ----------------------------------------------------------------------------------

def test_the_cache_folder_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", str(tmp_path / "mine"))
    assert print_html.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", "0")
    assert print_html.cache_folder() is None
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", "")  # empty: as if unset
    assert print_html.cache_folder() == tmp_path / "home" / ".cache" / "cityconv" / "print"
    monkeypatch.delenv("CITYCONV_PRINT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert print_html.cache_folder() == tmp_path / "xdg" / "cityconv" / "print"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: ignored
    assert print_html.cache_folder() == tmp_path / "home" / ".cache" / "cityconv" / "print"


def test_the_session_has_a_print_cache_of_its_own() -> None:
    """tests/conftest.py: never the developer's cache (unless the session was asked to print everything)."""
    chosen = os.environ.get("CITYCONV_PRINT_CACHE")
    assert chosen == "0" or (chosen and Path(chosen).name == "print-cache" and "pytest-" in chosen)


def _page(folder: Path, text: str = PAGE, name: str = "questionnaire.html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_the_key_is_the_pages_bytes_name_footer_and_browser_not_its_folder(tmp_path: Path) -> None:
    cache = PrintCache(tmp_path / "cache", BROWSER)
    key = cache.key(_page(tmp_path / "one"), "<span class='title'></span>")
    assert key and key == cache.key(_page(tmp_path / "two"), "<span class='title'></span>")  # another project
    assert key != cache.key(_page(tmp_path / "three", PAGE.replace("Yes", "Yea")), "<span class='title'></span>")
    assert key != cache.key(_page(tmp_path / "four", name="consent.html"), "<span class='title'></span>")
    assert key != cache.key(_page(tmp_path / "one"), "<span class='title'></span> ")
    assert key != cache.key(_page(tmp_path / "one"), None)
    newer_chromium = BROWSER[:3] + [2] + BROWSER[4:]
    assert key != PrintCache(tmp_path / "cache", newer_chromium).key(_page(tmp_path / "one"), "<span class='title'></span>")


def test_a_footer_with_the_date_is_never_cached_and_one_with_the_address_is_keyed_by_it(tmp_path: Path) -> None:
    cache = PrintCache(tmp_path / "cache", BROWSER)
    assert cache.key(_page(tmp_path / "one"), '<span class="date"></span>') is None
    assert cache.key(_page(tmp_path / "one"), '<img src="logo.png">') is None
    with_address = '<span class="url"></span>'
    assert cache.key(_page(tmp_path / "one"), with_address) != cache.key(_page(tmp_path / "two"), with_address)
    assert cache.key(_page(tmp_path / "one", '<img src="logo.png">'), None) is None
    assert cache.key(tmp_path / "missing.html", None) is None


# --- entries ---------------------------------------------------------------------------------------------

def test_an_entry_is_stored_atomically_fetched_as_a_copy_and_a_hit_refreshes_it(tmp_path: Path) -> None:
    cache = PrintCache(tmp_path / "cache", BROWSER)
    printed = tmp_path / "printed.pdf"
    printed.write_bytes(b"%PDF-1.4 printed")
    cache.store("k" * 64, printed)
    assert [p.name for p in cache.folder.iterdir()] == ["k" * 64 + ".pdf"]  # no temporary left
    entry = cache.folder / ("k" * 64 + ".pdf")
    os.utime(entry, (1_000_000, 1_000_000))
    target = tmp_path / "project" / "copy.pdf"
    target.parent.mkdir()
    assert cache.fetch("k" * 64, target)
    assert target.read_bytes() == b"%PDF-1.4 printed"
    assert entry.stat().st_mtime > time.time() - 60  # recently used
    target.write_bytes(b"changed in place")  # the cache holds a copy, not the reader's file
    assert entry.read_bytes() == b"%PDF-1.4 printed"
    assert not cache.fetch("m" * 64, tmp_path / "project" / "other.pdf")
    assert not (tmp_path / "project" / "other.pdf").exists() and not list(target.parent.glob(".*.tmp"))


def test_the_cache_keeps_the_most_recently_used_entries(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(print_html, "MAX_ENTRIES", 3)
    cache = PrintCache(tmp_path / "cache", BROWSER)
    cache.folder.mkdir()
    for age, name in enumerate("abcd"):
        entry = cache.folder / f"{name}.pdf"
        entry.write_bytes(b"%PDF")
        os.utime(entry, (1_000_000 - age, 1_000_000 - age))  # a is the newest, d the oldest
    stale, fresh = cache.folder / ".x.crashed.tmp", cache.folder / ".y.storing.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh.write_bytes(b"half")
    printed = tmp_path / "e.pdf"
    printed.write_bytes(b"%PDF")
    cache.store("e", printed)
    assert sorted(p.name for p in cache.folder.iterdir()) == [".y.storing.tmp", "a.pdf", "b.pdf", "e.pdf"]


def test_a_cache_that_cannot_be_written_or_read_is_ignored(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    cache = PrintCache(blocked / "cache", BROWSER)  # root may write anywhere, but not under a file
    printed = tmp_path / "printed.pdf"
    printed.write_bytes(b"%PDF")
    cache.store("k", printed)  # no error
    assert not cache.fetch("k", tmp_path / "copy.pdf")


# --- printing with Chromium ------------------------------------------------------------------------------

@pytest.fixture
def counted(monkeypatch, tmp_path: Path) -> dict:
    """Counts of browser launches and printed pages, with a print cache of this test's own."""
    from playwright.sync_api import Page

    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("needs Chromium")
    counts = {"launches": 0, "prints": 0}
    real_launch, real_pdf = print_html.launch, Page.pdf

    def launch(playwright):
        counts["launches"] += 1
        return real_launch(playwright)

    def pdf(self, *args, **kwargs):
        counts["prints"] += 1
        return real_pdf(self, *args, **kwargs)

    monkeypatch.setattr(print_html, "launch", launch)
    monkeypatch.setattr(Page, "pdf", pdf)
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", str(tmp_path / "cache"))
    return counts


@pytest.mark.browser
def test_a_page_printed_before_is_copied_without_starting_chromium(tmp_path: Path, counted: dict) -> None:
    first, second = _page(tmp_path / "one"), _page(tmp_path / "two")  # the same page in two projects
    assert print_html.print_pages([(first, tmp_path / "one" / "q.pdf")]) == [tmp_path / "one" / "q.pdf"]
    assert counted == {"launches": 1, "prints": 1}
    assert len(list((tmp_path / "cache").glob("*.pdf"))) == 1
    with print_html.one_browser():
        assert print_html.print_pages([(second, tmp_path / "two" / "q.pdf")]) == [tmp_path / "two" / "q.pdf"]
    assert counted == {"launches": 1, "prints": 1}  # no browser started, nothing printed
    printed = (tmp_path / "one" / "q.pdf").read_bytes()
    assert printed.startswith(b"%PDF") and (tmp_path / "two" / "q.pdf").read_bytes() == printed
    assert not list((tmp_path / "two").glob(".*.tmp"))


@pytest.mark.browser
def test_a_second_projects_field_kit_is_copied_whole(tmp_path: Path, counted: dict) -> None:
    """What the test suite and a rebuilt project gain: the same kit in another folder starts no Chromium."""
    from cityconv.data.questionnaire import ward_questionnaire
    from cityconv.generate import fieldkit
    from cityconv.pipeline import fieldkit_book

    questionnaire, _ = ward_questionnaire(REPO / "data" / "clubmoor", REPO)
    fieldkit.write_field_kit(tmp_path / "one", questionnaire, "clubmoor")
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    assert fieldkit_book.print_documents(tmp_path / "one")
    assert counted == {"launches": 1, "prints": 8}
    assert fieldkit_book.print_documents(tmp_path / "two")
    assert counted == {"launches": 1, "prints": 8}
    for name in fieldkit_book.document_names():
        assert (tmp_path / "two" / f"{name}.pdf").read_bytes() == (tmp_path / "one" / f"{name}.pdf").read_bytes()


@pytest.fixture(scope="module")
def shared_browser():
    """One `print_html.one_browser()` block for the tests below, which count prints, not launches: its
    Chromium starts at the first print of the first of them and serves them all (a block of their own
    each started one Chromium per test). The tests that count launches come before these in this file,
    outside the block (a module fixture ends with the module); were one after, it would count none."""
    with print_html.one_browser():
        yield


@pytest.mark.browser
def test_one_byte_of_the_page_or_footer_prints_it_again(tmp_path: Path, counted: dict, shared_browser) -> None:
    page, footer = _page(tmp_path / "one"), '<span class="title"></span>'
    print_html.print_pages([(page, tmp_path / "a.pdf")], footer=footer)
    print_html.print_pages([(page, tmp_path / "b.pdf")], footer=footer)
    assert counted["prints"] == 1
    _page(tmp_path / "one", PAGE.replace("Yes", "Yea"))
    print_html.print_pages([(page, tmp_path / "c.pdf")], footer=footer)
    assert counted["prints"] == 2
    print_html.print_pages([(page, tmp_path / "d.pdf")], footer=footer + " ")
    assert counted["prints"] == 3
    print_html.print_pages([(page, tmp_path / "e.pdf")], footer=footer + " ")
    assert counted["prints"] == 3
    assert len(list((tmp_path / "cache").glob("*.pdf"))) == 3


@pytest.mark.browser
def test_a_page_that_refers_to_a_file_is_printed_every_time(tmp_path: Path, counted: dict, shared_browser) -> None:
    page = _page(tmp_path / "one", PAGE.replace("</body>", '<link rel="stylesheet" href="print.css"></body>'))
    (tmp_path / "one" / "print.css").write_text("h1 { color: red }", encoding="utf-8")
    print_html.print_pages([(page, tmp_path / "a.pdf")])
    print_html.print_pages([(page, tmp_path / "b.pdf")])
    assert counted["prints"] == 2
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


@pytest.mark.browser
def test_an_unwritable_cache_still_prints(tmp_path: Path, counted: dict, monkeypatch, shared_browser) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", str(tmp_path / "a-file" / "cache"))
    page = _page(tmp_path / "one")
    print_html.print_pages([(page, tmp_path / "a.pdf")])
    print_html.print_pages([(page, tmp_path / "b.pdf")])
    assert counted["prints"] == 2
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.browser
def test_cache_0_prints_every_time(tmp_path: Path, counted: dict, monkeypatch, shared_browser) -> None:
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    page = _page(tmp_path / "one")
    print_html.print_pages([(page, tmp_path / "a.pdf")])
    print_html.print_pages([(page, tmp_path / "b.pdf")])
    assert counted["prints"] == 2
    assert not (tmp_path / "xdg" / "cityconv").exists() and not (tmp_path / "cache").exists()
