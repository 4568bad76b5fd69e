"""The book as PDF (cityconv.pipeline.pdf): one PDF of the whole book, and a briefing per ward.

Fast tests cover the table-of-contents logic. The PDF tests build the real book in a copy of the
repository (the session's real book, tests/real_book.py, printed once per session), print it with headless Chromium
and read the text back with poppler's `pdftotext`. They skip with a reason when Chromium or
poppler-utils are absent, and fail instead when CITYCONV_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.pipeline.pdf import (
    BRIEFING_STEMS,
    OWN_PDF_NOTE,
    book_pdf_parts,
    briefing_docnames,
    pdftotext,
    read_toc,
)
from nbtools import write_template
from real_book import REPO, built_pdfs, require, require_chromium


def _norm(text: str) -> str:
    text = html.unescape(text).replace("\u00ad", "")
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def _require_pdf_tools() -> None:
    require_chromium()
    require(shutil.which("pdftotext") is not None, "pdftotext not found (apt-get install poppler-utils)")


# --------------------------------------------------------------------------- fast: toc logic


def _project(tmp_path: Path, toc: str) -> Project:
    (tmp_path / "_toc.yml").write_text(toc, encoding="utf-8")
    (tmp_path / "params").mkdir()
    return Project(tmp_path)


def test_read_toc_parts_and_sections(tmp_path: Path) -> None:
    project = _project(tmp_path, (
        "format: jb-book\nroot: book/index\nparts:\n"
        "- caption: About\n  chapters:\n  - file: book/a.md\n  - file: book/b\n    sections:\n    - file: book/b1\n"
        "- caption: Clubmoor\n  chapters:\n  - file: book/generated/clubmoor/01-ward-profile\n"
    ))
    root, parts = read_toc(project)
    assert root == "book/index"
    assert [p.caption for p in parts] == ["About", "Clubmoor"]
    assert parts[0].docnames == ("book/a", "book/b", "book/b1")


def test_briefing_chapters_are_those_that_exist_and_are_in_the_toc(tmp_path: Path) -> None:
    project = _project(tmp_path, (
        "format: jb-book\nroot: book/index\nparts:\n- caption: Clubmoor\n  chapters:\n"
        "  - file: book/generated/clubmoor/00-executive-summary\n  - file: book/generated/clubmoor/01-ward-profile\n"
        "  - file: book/generated/clubmoor/10-recommendations\n"
        "- caption: Anfield\n  chapters:\n  - file: book/generated/anfield/01-ward-profile\n"
    ))
    for ward, stems in {"clubmoor": ("00-executive-summary", "01-ward-profile", "10-recommendations"),
                        "anfield": ("01-ward-profile", "10-recommendations")}.items():  # anfield's 10 is not in the toc
        for stem in stems:
            path = project.generated_dir / ward / f"{stem}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("{}", encoding="utf-8")
    (project.generated_dir / "downloads").mkdir()  # a folder without chapters is ignored
    # A briefing is the executive summary alone (the recommendations chapter would make it 20 pages).
    assert BRIEFING_STEMS == ("00-executive-summary",)
    assert briefing_docnames(project) == {"clubmoor": ["book/generated/clubmoor/00-executive-summary"]}


# --------------------------------------------------------------------------- the real book


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def page_text(pdf: Path, page: int) -> str:
    """One page's text (poppler's pdftotext -f/-l)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return _norm(out)


def assert_two_pages_and_references(pdf: Path) -> None:
    """At most two pages of briefing, plus at most one page that holds only the references."""
    pages = page_count(pdf)
    assert pages <= 3, f"{pdf.name}: {pages} pages (a briefing is at most 2 pages plus a page of references)"
    if pages == 3:
        assert page_text(pdf, 3).startswith("References"), f"{pdf.name}: page 3 is not the references page"
    assert "References" not in page_text(pdf, 1)


def assert_first_page_has_the_headline_findings(pdf: Path, study_id: str, root: Path) -> None:
    """Page 1 states the ward's headline findings, as the executive summary words them."""
    from cityconv.chapters import summary

    first = page_text(pdf, 1)
    s = summary.load_summary(study_id, root)
    from cityconv.chapters import headlines

    expected = headlines.published_headlines(s.source_keys) or headlines.record_headlines(s.findings, s.data_status)
    assert expected, f"{study_id}: no headline findings to check"
    for h in expected[:3]:
        words = _norm(re.sub(r"[*_`]", "", h.text))
        assert words in first, f"{pdf.name}: page 1 lacks the headline {words!r}"
    assert "Headline findings" in first



class _Titles(HTMLParser):
    """The page title of a built HTML page: the text of its first <h1>, without the ¶/# link."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "h1":
            self.depth += 1
        elif self.depth and tag == "a" and "headerlink" in (dict(attrs).get("class") or ""):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self.depth:
            self.depth -= 1
            self.done = not self.depth
        elif tag == "a" and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and not self.done:
            self.parts.append(data)


def html_title(page: Path) -> str:
    parser = _Titles()
    parser.feed(page.read_text(encoding="utf-8"))
    return _norm("".join(parser.parts))


@functools.cache
def book_text(pdf: Path) -> str:
    """The book PDF's text, normalised: read once for the tests below (pdftotext of the whole book is ~1 CPU s)."""
    return _norm(pdftotext(pdf))


@pytest.fixture(scope="session")
def book_pdfs(real_book: Path, tmp_path_factory):
    """(root, book PDF, briefings) of the session's real book; the tools are checked before printing."""
    _require_pdf_tools()
    return built_pdfs(tmp_path_factory)


@pytest.mark.pdf
def test_book_pdf_holds_every_chapter_of_the_html_book(book_pdfs) -> None:
    root, pdf, _ = book_pdfs
    assert pdf.exists() and pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = book_text(pdf)
    project = Project(root)
    root_doc, all_parts = read_toc(project)
    parts, own_pdfs = book_pdf_parts(all_parts)  # atlas profiles and field kits: PDFs of their own
    assert any("/atlas/e0" in name for name in own_pdfs), "the real book has atlas profiles"
    assert _norm(OWN_PDF_NOTE) in text
    html_dir = root / "_build" / "html"
    # In book order: each part's caption, then the titles of its chapters (every ward's chapters
    # share titles, so order is what proves each ward's chapters are all there).
    position = text.find(html_title(html_dir / f"{root_doc}.html"))
    assert position >= 0, "the book's title page is missing"
    missing = []
    expected = 0
    for part in parts:
        if part.caption:
            found = text.find(_norm(part.caption), position)
            if found < 0:
                missing.append(f"part {part.caption!r}")
                continue
            position = found
        for docname in part.docnames:
            expected += 1
            title = html_title(html_dir / f"{docname}.html")
            assert title, f"no title in {docname}.html"
            found = text.find(title, position)
            if found < 0:
                missing.append(f"{docname} ({title!r})")
            else:
                position = found + len(title)
    assert not missing, f"{len(missing)} of {expected} chapters of the HTML book missing from the PDF (in order): {missing}"


@pytest.mark.pdf
def test_book_pdf_has_key_figures_tables_and_images(book_pdfs) -> None:
    root, pdf, _ = book_pdfs
    text = book_text(pdf)
    assert re.search(r"\b48 survey responses\b", text)  # published figure, landing page
    clubmoor = root / "book" / "generated" / "clubmoor"
    built = (root / "_build" / "html" / "book" / "generated" / "clubmoor")
    if built.is_dir() and "1,906" in " ".join(p.read_text(encoding="utf-8") for p in built.glob("*.html")):
        assert "1,906" in text  # a key figure of the Clubmoor chapters, wherever the HTML book shows it
    if clubmoor.is_dir():
        assert "Clubmoor" in text
    assert "Source:" in text  # table furniture from cityconv.present
    assert "Fig. 1" in text  # figures and their captions
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    if images.returncode == 0:
        assert len(images.stdout.splitlines()) > 3, "no images in the PDF"
    # Navigation and buttons are not printed.
    assert "Ctrl+K" not in text and "Skip to main content" not in text


@pytest.mark.pdf
def test_briefings_are_short_and_hold_only_their_chapters(book_pdfs) -> None:
    root, book_pdf, briefings = book_pdfs
    project = Project(root)
    wanted = briefing_docnames(project)
    assert sorted(p.name for p in briefings) == sorted(f"briefing-{w}.pdf" for w in wanted)
    html_dir = root / "_build" / "html"
    book_pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(book_pdf)], capture_output=True, text=True).stdout).group(1))
    for study_id, docnames in wanted.items():
        pdf = project.build_dir / "pdf" / f"briefing-{study_id}.pdf"
        text = _norm(pdftotext(pdf))
        assert "briefing" in text.lower()
        for docname in docnames:
            assert html_title(html_dir / f"{docname}.html") in text
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) < book_pages
        assert_two_pages_and_references(pdf)
        assert_first_page_has_the_headline_findings(pdf, study_id, root)


@pytest.mark.pdf
def test_briefing_pdfs_in_a_small_book(mini_project: Path) -> None:
    """A small book (tests/conftest.py) with stand-in chapters, so the briefing path is always tested.

    Built with the real command line, but only what a briefing is printed from: the chapters and the
    pages the table of contents lists (`--only notebook,page`). The HTML book and the field kits' PDFs
    are neither read by `build_briefings` nor checked here (the fixture project's full build is
    `built_mini_project`'s, tests/conftest.py); they were over a third of this test's CPU."""
    _require_pdf_tools()
    from cityconv.pipeline.pdf import build_briefings

    root = mini_project
    for folder in ("_static", "_templates"):
        if (REPO / "book" / folder).is_dir():
            shutil.copytree(REPO / "book" / folder, root / "book" / folder, dirs_exist_ok=True)
    write_template(root / "notebooks" / f"{BRIEFING_STEMS[0]}.ipynb", title="Executive summary",
                   code=["print('Forty-eight residents answered the survey.')"])
    write_template(root / "notebooks" / "10-recommendations.ipynb", title="Recommendations",
                   code=["print('Hold the next conversation in the library.')"])
    result = subprocess.run([str(Path(sys.executable).with_name("cityconv")), "build", "--only", "notebook,page",
                             "--root", str(root)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    stale = root / "_build" / "pdf" / "briefing-gone.pdf"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"%PDF-old")
    written = build_briefings(Project(root))
    assert [p.name for p in written] == ["briefing-alpha.pdf", "briefing-beta.pdf"]
    assert not stale.exists(), "a briefing of a ward without briefing chapters is removed"
    text = _norm(pdftotext(written[0]))
    assert "Alpha: briefing" in text
    assert "Forty-eight residents" in text and "Executive summary" in text
    assert "next conversation in the library" not in text  # the recommendations chapter is not in a briefing
    assert "Arithmetic" not in text and "Data files" not in text  # only the briefing chapters
    assert page_count(written[0]) <= 2 and "Forty-eight residents" in page_text(written[0], 1)


def test_atlas_profiles_and_field_kits_are_left_out_of_the_book_pdf() -> None:
    from cityconv.pipeline.pdf import Part

    parts = [Part("Clubmoor", ("book/generated/clubmoor/01-ward-profile",)),
             Part("Ward atlas", ("book/generated/atlas/index-2023", "book/generated/atlas/e05015290/01-ward-profile")),
             Part("Field kits by ward", ("book/generated/field-kit/index", "book/generated/field-kit/clubmoor/questionnaire"))]
    kept, dropped = book_pdf_parts(parts)
    assert kept == [Part("Clubmoor", ("book/generated/clubmoor/01-ward-profile",)),
                    Part("Ward atlas", ("book/generated/atlas/index-2023",))]
    assert dropped == ["book/generated/atlas/e05015290/01-ward-profile", "book/generated/field-kit/index",
                       "book/generated/field-kit/clubmoor/questionnaire"]


def test_the_print_toc_leaves_out_the_pages_with_pdfs_of_their_own(tmp_path: Path) -> None:
    """The atlas's ward profiles (a PDF each) are not rendered for the book PDF; the field kits' pages are
    (the field-kit guide links to them) and the page script drops them."""
    import yaml

    from cityconv.pipeline.pdf import write_print_toc

    (tmp_path / "_config.yml").write_text("title: T\n", encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n"
        "- caption: Clubmoor\n  chapters:\n  - file: book/generated/clubmoor/00-executive-summary\n"
        "- caption: Ward atlas\n  chapters:\n  - file: book/generated/atlas/index-2023\n    sections:\n"
        "    - file: book/generated/atlas/e05000892/01-profile\n"
        "- caption: Field kits\n  chapters:\n  - file: book/generated/field-kit/new-ward/consent-form\n",
        encoding="utf-8")
    toc = yaml.safe_load(write_print_toc(Project(tmp_path), tmp_path / "out").read_text(encoding="utf-8"))
    assert toc["root"] == "book/index"
    assert toc["parts"] == [
        {"caption": "Clubmoor", "chapters": [{"file": "book/generated/clubmoor/00-executive-summary"}]},
        {"caption": "Ward atlas", "chapters": [{"file": "book/generated/atlas/index-2023"}]},
        {"caption": "Field kits", "chapters": [{"file": "book/generated/field-kit/new-ward/consent-form"}]},
    ]
