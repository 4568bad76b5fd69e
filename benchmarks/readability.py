"""Words and Flesch reading ease for every page of the built book.

Issue 12 aims at plain English: a Flesch reading ease of 60 or more on the landing page, the
introduction and the executive summaries, and 55 or more on every chapter (60–70 is plain English;
the seed documents score 33–42). This script measures what a reader meets, page by page, so the
aim can be checked after each rewrite.

Usage:  .venv/bin/python benchmarks/readability.py [--html _build/html] [--markdown] [--min-words 50]

It reads the built HTML (run `make book` first), keeps the article body of each page and drops what
is not prose: navigation, headers and footers, code, tables (with their notes and download links),
equations and scripts, and headings (labels, not sentences). Each paragraph, list item and caption
ends at least one sentence, so a list without full stops does not run into one long "sentence".
(Running all the text together instead scores lists as very long sentences: the introduction then
reads about 4 points lower.)

textstat 0.7.4 scores offline (pyphen for syllables); later versions download a dictionary at first
use. It imports pkg_resources, which warns on import: the warning is silenced here.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "pkg_resources is deprecated as an API" (textstat 0.7.4)
    import textstat

ROOT = Path(__file__).resolve().parents[1]
#: Pages Sphinx writes that are not part of the book's text.
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
SKIP_FOLDERS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
#: Elements that are not prose a reader reads as sentences.
NOT_PROSE = [
    "nav", "header", "footer", "script", "style", "noscript", "pre", "code", "kbd", "samp", "table",
    "math", "svg", "button", "form",
    ".cityconv-table", ".cityconv-download", ".cityconv-notes", ".cityconv-source", ".headerlink",
    ".toctree-wrapper", ".prev-next-area", ".math", ".cell_input", ".highlight", ".bd-toc", ".footnote",
    "#searchbox", ".citation",
]
BLOCKS = ["p", "li", "dt", "dd", "figcaption", "blockquote", "caption"]
HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


@dataclass(frozen=True)
class PageScore:
    path: str
    title: str
    words: int
    sentences: int
    reading_ease: float | None


def page_text(html: str) -> tuple[str, str]:
    """(title, prose) of one built page: the article body without navigation, code or tables."""
    soup = BeautifulSoup(html, "html.parser")
    article = soup.select_one("article.bd-article") or soup.select_one('[role="main"]') or soup.body or soup
    heading = article.find("h1")
    title = " ".join(heading.get_text(" ").replace("#", " ").split()) if heading else ""
    for selector in NOT_PROSE + HEADINGS:
        for element in article.select(selector):
            element.decompose()
    sentences = []
    for block in article.find_all(BLOCKS):
        if block.find(BLOCKS):  # a list item holding paragraphs: its paragraphs are counted instead
            continue
        text = " ".join(block.get_text(" ").split())
        text = re.sub(r"\s+([,.;:!?)])", r"\1", text).strip()
        if not re.search(r"[A-Za-z]", text):
            continue
        if not text.endswith((".", "!", "?", ":")):
            text += "."
        sentences.append(text)
    return title, "\n".join(sentences)


def score_page(path: Path, html_dir: Path) -> PageScore:
    title, text = page_text(path.read_text(encoding="utf-8"))
    words = textstat.lexicon_count(text, removepunct=True)
    ease = round(float(textstat.flesch_reading_ease(text)), 1) if words else None
    return PageScore(path.relative_to(html_dir).as_posix(), title, words, textstat.sentence_count(text) if words else 0,
                     ease)


def book_pages(html_dir: Path) -> list[Path]:
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        relative = path.relative_to(html_dir)
        if relative.name in SKIP_PAGES or SKIP_FOLDERS & set(relative.parts):
            continue
        pages.append(path)
    return pages


def score_book(html_dir: Path, min_words: int = 0) -> list[PageScore]:
    scores = [score_page(p, html_dir) for p in book_pages(html_dir)]
    return [s for s in scores if s.words >= max(min_words, 1)]  # a redirect page has no words


def _fmt_ease(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def report(scores: list[PageScore], markdown: bool) -> str:
    total = sum(s.words for s in scores)
    if markdown:
        lines = ["| Page | Title | Words | Reading ease |", "|:---|:---|---:|---:|"]
        lines += [f"| `{s.path}` | {s.title.replace('|', '/')} | {s.words:,} | {_fmt_ease(s.reading_ease)} |"
                  for s in scores]
    else:
        width = max([len(s.path) for s in scores] + [4])
        lines = [f"{'page':<{width}}  {'words':>6}  {'ease':>6}  title"]
        lines += [f"{s.path:<{width}}  {s.words:>6,}  {_fmt_ease(s.reading_ease):>6}  {s.title}" for s in scores]
    below_55 = [s for s in scores if s.reading_ease is not None and s.reading_ease < 55]
    lines += ["", f"{len(scores)} pages, {total:,} words; {len(below_55)} pages read below 55 (aim: 55 or more, "
                  "60 or more for the landing page, introduction and executive summaries)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built book (default _build/html)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for benchmarks/README.md)")
    parser.add_argument("--min-words", type=int, default=0, help="leave out pages with fewer words")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").exists():
        print(f"error: no built book at {args.html} (run `make book` first)", file=sys.stderr)
        return 2
    print(report(score_book(args.html, args.min_words), args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
