"""The book as PDF, offline, without LaTeX: Jupyter Book's single-page HTML printed by headless Chromium.

`build_book_pdf(project)` writes the whole book (every chapter in `_toc.yml`, with its figures, tables
and bibliography) as ONE PDF; `build_briefings(project)` writes a two-page briefing per ward for a
councillor: its executive summary (which opens with the ward's headline findings), printed compactly,
plus a page listing the references it cites. Both go to
`_build/pdf/`. Neither runs any notebook: they print what `cityconv build` (papermill) published in
`book/generated/` and listed in `_toc.yml`, so the PDF and the HTML book always hold the same chapters.

How:

1. `jupyter-book build --builder singlehtml` renders the printed pages as one HTML page into its own
   folder (`_build/pdf-source/`, its own doctrees), never touching `_build/html`, once for the book
   and its briefings (`build_book_and_briefings`). Same flags as the HTML book (warnings are errors),
   through `cityconv.pipeline.book.render`, but with a table of contents of its own
   (`_build/pdf-source/toc.yml`) that leaves out the atlas's ward profiles (a one-page PDF each), so
   they are never rendered here.
2. Headless Chromium from Debian (`/usr/bin/chromium`, driven by Playwright's Python API; no browser
   download, nothing fetched from the web) opens that page from disk. A little JavaScript adds what
   a printed book needs and the web page has not: a contents list, and a title page for each part
   of `_toc.yml` (the ward's name: every ward's chapters share the same titles). For a briefing it
   keeps only the ward's executive summary (without its provenance box), sets it in a smaller type
   (`BRIEFING_CSS`) and adds the works it cites on a page of their own.
3. `page.pdf()` prints with `book/_static/print.css` (navigation, sidebars and buttons hidden, a new
   page for each chapter, readable tables, dropdowns open), A4, page numbers in the footer, a PDF
   outline (bookmarks from the headings) and tags (a tagged PDF, for screen readers).

Each PDF is written to a temporary file and renamed into place, so a failed run never leaves a
half-written PDF where the last good one was.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from cityconv.core.paths import Project
from cityconv.pipeline.chromium import PdfError, launch

#: Chapters that make up a ward's briefing, in this order (templates `notebooks/<stem>.ipynb`). The
#: executive summary alone: it is kept under 900 words so that the briefing fits two A4 pages.
BRIEFING_STEMS = ("00-executive-summary",)
#: The briefing's compact print style (added to the page before printing; print.css stays as it is).
BRIEFING_CSS = """
@page { size: A4; margin: 12mm 14mm 14mm 14mm; }
@media print {
  html.cityconv-briefing-pdf, html.cityconv-briefing-pdf body { font-size: 8.5pt !important; line-height: 1.25 !important; }
  .cityconv-briefing h1, .cityconv-briefing h2, .cityconv-briefing h3 { margin: 0.5em 0 0.25em !important; }
  .cityconv-briefing h1 { font-size: 1.5em !important; }
  .cityconv-briefing h2 { font-size: 1.2em !important; }
  .cityconv-briefing p, .cityconv-briefing ul, .cityconv-briefing ol { margin: 0 0 0.35em !important; }
  .cityconv-briefing li { margin: 0 !important; }
  .cityconv-briefing .admonition { margin: 0.3em 0 !important; padding: 0.3em 0.6em !important; }
  .cityconv-briefing table { font-size: 0.95em !important; margin: 0.2em 0 !important; }
  .cityconv-briefing td, .cityconv-briefing th { padding: 0.1em 0.35em !important; }
  .cityconv-briefing-title h1 { font-size: 1.6em !important; margin: 0 0 0.2em !important; }
  .cityconv-briefing-title p { margin: 0 0 0.4em !important; }
  .cityconv-briefing-references { break-before: page; font-size: 0.95em; }
  .cityconv-briefing-references li { margin-bottom: 0.3em !important; }
}
"""

PDF_DIRNAME = "pdf"
SOURCE_DIRNAME = "pdf-source"
BOOK_PDF_NAME = "cityconv-book.pdf"
PRINT_PAGE = "cityconv-print.html"
BRIEFING_PATTERN = "briefing-{id}.pdf"

FOOTER = (
    '<div style="font-size:8pt;width:100%;text-align:center;color:#444;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


# --------------------------------------------------------------------------- table of contents


@dataclass(frozen=True)
class Part:
    """A part of `_toc.yml`: its caption and its documents (docnames, no suffix), in book order."""

    caption: str | None
    docnames: tuple[str, ...]


def _docname(entry: str) -> str:
    name = str(entry).strip().lstrip("/")
    return re.sub(r"\.(md|ipynb|rst)$", "", name)


def _flatten(entries: list | None) -> list[str]:
    names: list[str] = []
    for entry in entries or []:
        if isinstance(entry, dict):
            if "file" in entry:
                names.append(_docname(entry["file"]))
            names.extend(_flatten(entry.get("sections")))
    return names


def read_toc(project: Project) -> tuple[str, list[Part]]:
    """The root docname and the parts of `_toc.yml` (a jb-book toc; plain `chapters` make one part)."""
    toc = project.built_toc_file if project.built_toc_file.exists() else project.toc_file
    data = yaml.safe_load(toc.read_text(encoding="utf-8")) or {}
    root = _docname(data.get("root", "index"))
    parts: list[Part] = []
    if data.get("parts"):
        for part in data["parts"]:
            parts.append(Part(part.get("caption"), tuple(_flatten(part.get("chapters")))))
    elif data.get("chapters"):
        parts.append(Part(None, tuple(_flatten(data["chapters"]))))
    return root, parts


def briefing_docnames(project: Project) -> dict[str, list[str]]:
    """For each ward or study with briefing chapters in the book: their docnames, in briefing order.

    A chapter counts only if its notebook exists in `book/generated/<id>/` *and* `_toc.yml` lists it
    (only listed files are rendered). Wards without any are left out.
    """
    _, parts = read_toc(project)
    in_toc = {name for part in parts for name in part.docnames}
    found: dict[str, list[str]] = {}
    if not project.generated_dir.is_dir():
        return found
    for folder in sorted(p for p in project.generated_dir.iterdir() if p.is_dir()):
        names = []
        for stem in BRIEFING_STEMS:
            docname = (folder / stem).relative_to(project.root).as_posix()
            if (folder / f"{stem}.ipynb").exists() and docname in in_toc:
                names.append(docname)
        if names:
            found[folder.name] = names
    return found


def _caption_for(study_id: str, parts: list[Part], project: Project) -> str:
    prefix = (project.generated_dir / study_id).relative_to(project.root).as_posix() + "/"
    for part in parts:
        if part.caption and any(name.startswith(prefix) for name in part.docnames):
            return part.caption
    return study_id.replace("-", " ").title()


def book_title(project: Project) -> str:
    config = project.root / "_config.yml"
    if config.exists():
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        if data.get("title"):
            return str(data["title"])
    return "The City Conversation"


# --------------------------------------------------------------------------- single-page HTML


def source_dir(project: Project) -> Path:
    return project.build_dir / SOURCE_DIRNAME


def pdf_dir(project: Project) -> Path:
    return project.build_dir / PDF_DIRNAME


def _without_own_pdfs(entries: list | None) -> list:
    """Toc entries (and their sections) minus the atlas's ward profiles (`_NOT_RENDERED`)."""
    kept = []
    for entry in entries or []:
        if isinstance(entry, dict) and "file" in entry and _NOT_RENDERED.match(_docname(entry["file"])):
            continue
        if isinstance(entry, dict) and entry.get("sections"):
            entry = {**entry, "sections": _without_own_pdfs(entry["sections"])}
            if not entry["sections"]:
                del entry["sections"]
        kept.append(entry)
    return kept


def write_print_toc(project: Project, out: Path) -> Path:
    """The book's table of contents without the atlas's ward profiles, at `out/toc.yml`."""
    toc = project.built_toc_file if project.built_toc_file.exists() else project.toc_file
    data = yaml.safe_load(toc.read_text(encoding="utf-8")) or {}
    if data.get("parts"):
        data["parts"] = [{**part, "chapters": chapters} for part in data["parts"]
                         if (chapters := _without_own_pdfs(part.get("chapters")))]
    elif data.get("chapters"):
        data["chapters"] = _without_own_pdfs(data["chapters"])
    out.mkdir(parents=True, exist_ok=True)
    path = out / "toc.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def render_singlehtml(project: Project) -> Path:
    """Render the printed pages as one HTML page into `_build/pdf-source/`; return the page's path."""
    from cityconv.pipeline.book import render

    out = source_dir(project)
    print_toc = write_print_toc(project, out)
    # `render` names the book's toc; a second --toc (the last one given wins) names the print toc.
    code = render(project, builder="singlehtml", extra_args=["--path-output", str(out), "--toc", str(print_toc)])
    if code != 0:
        raise PdfError(f"jupyter-book build --builder singlehtml failed (exit {code}); see the messages above")
    root, _ = read_toc(project)
    site = out / "_build" / "singlehtml"
    page = site / f"{root}.html"
    if not page.exists():
        raise PdfError(f"the single-page build did not write {page}")
    # Sphinx's singlehtml builder writes the page as `<root docname>.html` (here `book/index.html`)
    # but makes every link in it relative to the output folder (`_static/…`, `_images/…`). A copy at
    # the top of the folder resolves them all.
    printable = site / PRINT_PAGE
    printable.write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    return printable


# --------------------------------------------------------------------------- printing

# Runs in the page before printing. Adds part title pages and a contents list (book), or keeps only
# the briefing chapters under a title, in the briefing's style, with their references (briefing).
# Returns the docnames it could not find.
_PREPARE_JS = r"""
({mode, parts, keep, drop, heading, intro, title, css}) => {
  const missing = [];
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const docSpan = (name) => document.getElementById("document-" + name);
  const chapterTitle = (span) => {
    // singlehtml demotes every chapter title one level (the root page holds the only h1).
    const section = span && span.nextElementSibling;
    const heading = section && section.querySelector("h1, h2, h3");
    if (!heading) return null;
    const copy = heading.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach((a) => a.remove());
    return copy.textContent.trim();
  };
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  };
  document.title = title;
  document.documentElement.classList.add("cityconv-pdf");  // print.css rules for the PDF only
  if (mode === "book") {
    for (const name of drop || []) {  // pages printed as PDFs of their own
      const span = docSpan(name);
      if (span && span.nextElementSibling) span.nextElementSibling.remove();
      if (span) span.remove();
    }
    const contents = el("nav", "cityconv-pdf-contents");
    contents.setAttribute("aria-label", "Contents");
    contents.append(el("h1", null, "Contents"));
    if (intro) contents.append(el("p", null, intro));
    const list = el("ol");
    for (const part of parts) {
      const present = part.docnames.filter((n) => docSpan(n));
      part.docnames.filter((n) => !docSpan(n)).forEach((n) => missing.push(n));
      if (!present.length) continue;
      let target = list;
      if (part.caption) {
        const item = el("li", "cityconv-pdf-contents-part", part.caption);
        target = el("ol");
        item.append(target);
        list.append(item);
        const divider = el("div", "cityconv-pdf-part");
        divider.append(el("h1", null, part.caption));
        docSpan(present[0]).before(divider);
      }
      for (const name of present) {
        const t = chapterTitle(docSpan(name));
        if (t) target.append(el("li", null, t));
      }
    }
    contents.append(list);
    const first = parts.flatMap((p) => p.docnames).map(docSpan).find((s) => s);
    if (first) {
      const divider = first.previousElementSibling && first.previousElementSibling.classList.contains("cityconv-pdf-part")
        ? first.previousElementSibling : first;
      divider.before(contents);
    } else {
      article.append(contents);
    }
  } else {
    const kept = [];
    for (const name of keep) {
      const span = docSpan(name);
      if (!span || !span.nextElementSibling) { missing.push(name); continue; }
      kept.push(span, span.nextElementSibling);
    }
    document.documentElement.classList.add("cityconv-briefing-pdf");
    const style = document.createElement("style");
    style.textContent = css;
    document.head.append(style);
    const header = el("header", "cityconv-briefing-title");
    header.append(el("h1", null, heading), el("p", null, intro));
    const body = el("div", "cityconv-briefing");
    body.append(...kept);
    // Two pages hold the text and tables: figures stay on the web page (the text states what they show).
    body.querySelectorAll("figure").forEach((figure) => figure.remove());
    // The provenance and citation boxes are for the web page; a councillor's briefing has no use for them.
    body.querySelectorAll(".admonition.dropdown").forEach((box) => {
      const t = box.querySelector(".admonition-title");
      if (t && /^(Provenance|Cite this chapter)/.test(t.textContent.trim())) box.remove();
    });
    // The works the briefing cites, read from the bibliography before it leaves the page.
    const cited = [];
    body.querySelectorAll(".bibtex-citation a[href*='#']").forEach((a) => {
      const id = a.getAttribute("href").split("#").pop();
      if (!cited.includes(id)) cited.push(id);
    });
    // (singlehtml can give a citation in the text the same id as its bibliography entry: ask for the entry.)
    const entries = cited.map((id) => document.querySelector(`.citation[id="${id}"]`)).filter((e) => e);
    const parts = [header, body];
    if (entries.length) {
      const refs = el("section", "cityconv-briefing-references");
      refs.append(el("h2", null, "References"));
      const list = el("ul");
      for (const entry of entries) {
        const label = entry.querySelector(".label");
        const text = entry.querySelector("p") || entry;
        list.append(el("li", null, ((label ? label.textContent.trim() + " " : "") + text.textContent).replace(/\s+/g, " ").trim()));
      }
      refs.append(list);
      parts.push(refs);
    }
    article.replaceChildren(...parts);
  }
  return missing;
}
"""


# The page as loaded, kept before the first job's script changes it, and put back for each later job: the
# rendered page is the whole book (3.6 MB of HTML for the real one), and loading and laying it out again
# for each briefing cost about 7 CPU s a briefing; putting the kept copy back costs well under one. The
# copy is taken after the page's own scripts ran, as a fresh load would leave it; a stylesheet or image
# of the restored page is taken from the page's cache, and printing waits until each is loaded.
_KEEP_JS = "() => { window.__cityconvAsLoaded = document.documentElement.cloneNode(true); }"
_RESTORE_JS = "() => { document.replaceChild(window.__cityconvAsLoaded.cloneNode(true), document.documentElement); }"
_STYLES_LOADED_JS = "Array.from(document.querySelectorAll('link[rel~=\"stylesheet\"]')).every((link) => link.sheet)"


def _print(page, page_path: Path, out: Path, prepare: dict) -> Path:
    """Prepare the loaded page for one job (the book or a briefing) and print it to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    missing = page.evaluate(_PREPARE_JS, prepare)
    if missing:
        raise PdfError(f"{len(missing)} chapter(s) of _toc.yml missing from {page_path.name}: {', '.join(missing)}")
    # Images moved or added by the script above must be decoded before printing.
    page.wait_for_function("Array.from(document.images).every((img) => img.complete)")
    tmp = out.with_name(f".{out.name}.tmp")
    page.pdf(
        path=str(tmp),
        format="A4",
        prefer_css_page_size=True,
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER,
        outline=True,
        tagged=True,
    )
    os.replace(tmp, out)
    return out


# Left out of the book PDF, each with a PDF of its own: the ward atlas's profile pages (92 one-page
# profiles, `cityconv pdf` writes profile-<code>.pdf beside the book) and the field kits' documents.
_OWN_PDF = re.compile(r"^book/generated/(atlas/e0\d{7}|field-kit)/")
# Of those, the pages the print rendering leaves out altogether (92 of the book's 166 pages): no page
# that is printed links to a ward profile as a document. The field kits' pages stay in the rendering
# (the field-kit guide links to them, and an unknown document is a build error) and are dropped by
# the page script like before.
_NOT_RENDERED = re.compile(r"^book/generated/atlas/e0\d{7}/")
OWN_PDF_NOTE = ("Not printed here: each ward profile of the ward atlas is a separate one-page PDF, "
                "and each field kit document is a PDF in its kit.")


def book_pdf_parts(parts: list[Part]) -> tuple[list[Part], list[str]]:
    """The parts the book PDF prints, and the docnames it leaves out because they have PDFs of their own."""
    kept, dropped = [], []
    for part in parts:
        names = [n for n in part.docnames if not _OWN_PDF.match(n)]
        dropped += [n for n in part.docnames if _OWN_PDF.match(n)]
        if names:
            kept.append(Part(part.caption, tuple(names)))
    return kept, dropped


def _parts_payload(parts: list[Part]) -> list[dict]:
    return [{"caption": p.caption, "docnames": list(p.docnames)} for p in parts]


def _book_job(project: Project) -> tuple[Path, dict]:
    """Where the book PDF goes and what the page script needs to prepare it."""
    parts, dropped = book_pdf_parts(read_toc(project)[1])
    return pdf_dir(project) / BOOK_PDF_NAME, {
        "mode": "book", "parts": _parts_payload(parts), "keep": [], "drop": dropped, "heading": "",
        "intro": OWN_PDF_NOTE if dropped else "", "title": book_title(project), "css": ""}


def _briefing_jobs(project: Project) -> list[tuple[Path, dict]]:
    """Where each ward's briefing goes and what the page script needs to prepare it."""
    _, parts = read_toc(project)
    title = book_title(project)
    jobs = []
    for study_id, docnames in briefing_docnames(project).items():
        caption = _caption_for(study_id, parts, project)
        heading = f"{caption}: briefing"
        intro = (
            f"The main findings for {caption}, what the project set out to do, and what to do next, "
            f"from “{title}”. The full book gives the evidence, methods and data behind every finding."
        )
        jobs.append((pdf_dir(project) / BRIEFING_PATTERN.format(id=study_id),
                     {"mode": "briefing", "parts": [], "keep": docnames, "heading": heading,
                      "intro": intro, "title": f"{heading} — {title}", "css": BRIEFING_CSS}))
    return jobs


def _print_jobs(page_path: Path, jobs: list[tuple[Path, dict]]) -> list[Path]:
    """Print each (out, prepare) job from the one rendered page, loaded once, in one Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(color_scheme="light", offline=True, java_script_enabled=True)
            try:
                page = context.new_page()
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                page.evaluate(_KEEP_JS)
                written = []
                for i, (out, prepare) in enumerate(jobs):
                    if i:  # the page as loaded again, not as the last job left it
                        page.evaluate(_RESTORE_JS)
                        page.wait_for_function(_STYLES_LOADED_JS)
                    written.append(_print(page, page_path, out, prepare))
                return written
            finally:
                context.close()
        finally:
            browser.close()


def _remove_stale_briefings(project: Project, written: list[Path]) -> None:
    """Briefings of wards that no longer have a summary go."""
    out_dir = pdf_dir(project)
    if out_dir.is_dir():
        for stale in out_dir.glob(BRIEFING_PATTERN.format(id="*")):
            if stale not in written:
                stale.unlink()


def build_book_pdf(project: Project) -> Path:
    """The whole book as one PDF, `_build/pdf/cityconv-book.pdf`; returns its path."""
    (book,) = _print_jobs(render_singlehtml(project), [_book_job(project)])
    return book


def build_briefings(project: Project) -> list[Path]:
    """A two-page PDF per ward with an executive summary, for a councillor.

    Writes `_build/pdf/briefing-<id>.pdf` for each (plus a page of the references it cites), removes
    briefings of wards that no longer have a summary, and returns the paths written (possibly none).
    """
    jobs = _briefing_jobs(project)
    written = _print_jobs(render_singlehtml(project), jobs) if jobs else []
    _remove_stale_briefings(project, written)
    return written


def build_book_and_briefings(project: Project) -> tuple[Path, list[Path]]:
    """`build_book_pdf` and `build_briefings` from one rendering of the printed pages (what `cityconv pdf` runs)."""
    jobs = _briefing_jobs(project)
    book, *briefings = _print_jobs(render_singlehtml(project), [_book_job(project), *jobs])
    _remove_stale_briefings(project, briefings)
    return book, briefings


def pdftotext(pdf: Path) -> str:
    """The text of a PDF (poppler's `pdftotext`), for checks; raises PdfError if poppler is missing."""
    import subprocess

    exe = shutil.which("pdftotext")
    if not exe:
        raise PdfError("pdftotext not found: install Debian's poppler-utils")
    return subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def main(argv: list[str] | None = None) -> int:
    """`python -m cityconv.pipeline.pdf [--root DIR] [--book-only | --briefings-only]` (what `make pdf` runs)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cityconv.pipeline.pdf", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=None, help="project root (default: found from here)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--book-only", action="store_true", help="only the whole-book PDF")
    which.add_argument("--briefings-only", action="store_true", help="only the ward briefings")
    args = parser.parse_args(argv)
    project = Project(args.root.resolve()) if args.root else Project.discover()
    try:
        if args.book_only:
            print(f"Book PDF: {build_book_pdf(project)}")
            return 0
        if args.briefings_only:
            briefings = build_briefings(project)
        else:
            book, briefings = build_book_and_briefings(project)
            print(f"Book PDF: {book}")
        for path in briefings:
            print(f"Briefing: {path}")
        if not briefings:
            print("No briefings: no ward has an executive-summary or recommendations chapter in the book.")
    except PdfError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
