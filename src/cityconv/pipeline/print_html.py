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

#: The browsers of the open `one_browser()` blocks, innermost last (None until something prints in it).
_blocks: list[dict] = []


def _launched(stack: contextlib.ExitStack):
    """Start Playwright and Chromium, closed (browser, then Playwright) when `stack` closes; if the launch
    fails, Playwright is stopped at once."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as attempt:
        browser = launch(attempt.enter_context(sync_playwright()))
        attempt.callback(browser.close)
        stack.enter_context(attempt.pop_all())
    return browser


@contextlib.contextmanager
def one_browser() -> Iterator[None]:
    """Print every page asked for inside this block with one Chromium, started only if something prints."""
    with contextlib.ExitStack() as stack:
        _blocks.append({"stack": stack, "browser": None})
        try:
            yield
        finally:
            _blocks.pop()


@contextlib.contextmanager
def _browser() -> Iterator:
    """The open block's browser (started now if it has none yet), else a browser of this call's own."""
    if _blocks:
        block = _blocks[-1]
        if block["browser"] is None:
            block["browser"] = _launched(block["stack"])
        yield block["browser"]
        return
    with contextlib.ExitStack() as stack:
        yield _launched(stack)


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
        # documents: 4 s against 1.7 s; benchmarks/README.md, "Where the CPU goes").
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
