"""Print stand-alone HTML pages to A4 PDFs with the headless Chromium the book's PDF uses.

For pages made outside the book (the field kit's documents, the one-page ward profiles): no Sphinx
build, no scripts needed, nothing fetched. Each PDF is written to a temporary name and renamed into
place, so a failed print never leaves half a PDF where the last good one was.
"""

from __future__ import annotations

import os
from pathlib import Path

from cityconv.pipeline.chromium import launch


def print_pages(pages: list[tuple[Path, Path]], footer: str | None = None) -> list[Path]:
    """Print each (HTML page, PDF path) pair; returns the PDFs written, in order.

    Raises PdfError when Chromium is missing (see `cityconv.pipeline.chromium`).
    """
    if not pages:
        return []
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            # One offline context and one tab for all the pages: each page is a static file loaded afresh, so
            # nothing carries over, and a context per page cost about three times the CPU (a kit of eight
            # documents: 4 s against 1.7 s; benchmarks/README.md, run I).
            context = browser.new_context(offline=True, color_scheme="light")
            page = context.new_page()
            for page_path, target in pages:
                page.goto(Path(page_path).resolve().as_uri(), wait_until="load")
                target = Path(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                page.pdf(path=str(tmp), format="A4", prefer_css_page_size=True, print_background=True,
                         tagged=True, outline=True, display_header_footer=footer is not None,
                         header_template="<span></span>", footer_template=footer or "<span></span>")
                os.replace(tmp, target)
                written.append(target)
        finally:
            browser.close()
    return written
