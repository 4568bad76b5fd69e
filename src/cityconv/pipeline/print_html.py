"""Print stand-alone HTML pages to A4 PDFs with the headless Chromium the book's PDF uses.

For pages made outside the book (the field kit's documents, the one-page ward profiles): no Sphinx
build, no scripts needed, nothing fetched. Each PDF is written to a temporary name and renamed into
place, so a failed print never leaves half a PDF where the last good one was.

Starting Chromium costs more than printing a short document, so a build prints all its kits with one
browser: inside `one_browser()` (the artifact build opens it), `print_pages` borrows the block's
browser, started on first use, instead of starting its own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from cityconv.pipeline.chromium import launch

#: The open `one_browser()` block's [playwright, browser] once something printed in it; empty outside a block.
_shared: list[list] = []


@contextlib.contextmanager
def one_browser() -> Iterator[None]:
    """Print every page asked for inside this block with one Chromium, started only if something prints."""
    slot: list = []
    _shared.append(slot)
    try:
        yield
    finally:
        _shared.pop()
        if slot:
            manager, playwright, browser = slot
            try:
                browser.close()
            finally:
                manager.__exit__(None, None, None)


@contextlib.contextmanager
def _browser() -> Iterator:
    """The open block's browser (started now if it has none yet), else a browser of this call's own."""
    from playwright.sync_api import sync_playwright

    if _shared:
        slot = _shared[-1]
        if not slot:
            manager = sync_playwright()
            playwright = manager.__enter__()
            try:
                slot.extend([manager, playwright, launch(playwright)])
            except BaseException:
                manager.__exit__(None, None, None)
                raise
        yield slot[2]
        return
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def print_pages(pages: list[tuple[Path, Path]], footer: str | None = None) -> list[Path]:
    """Print each (HTML page, PDF path) pair; returns the PDFs written, in order.

    Raises PdfError when Chromium is missing (see `cityconv.pipeline.chromium`).
    """
    if not pages:
        return []
    written = []
    with _browser() as browser:
        # One offline context and one tab for all the pages: each page is a static file loaded afresh, so
        # nothing carries over, and a context per page cost about three times the CPU (a kit of eight
        # documents: 4 s against 1.7 s; benchmarks/README.md, run I).
        context = browser.new_context(offline=True, color_scheme="light")
        try:
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
            context.close()
    return written
