"""Fixtures for the browser tests: the session's real book (tests/real_book.py) served locally, and Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from served import serve

from cityconv.pipeline.chromium import CHROMIUM, CHROMIUM_ARGS
from real_book import AXE, require, require_chromium


@pytest.fixture(scope="session")
def site(real_book_site: Path) -> Path:
    """`_build/html` of the real book, for tests that open it in Chromium (HTML-only checks use `real_book_site`)."""
    require_chromium()
    require(AXE.exists(), f"axe-core not found at {AXE} (run `npm ci`)")
    return real_book_site


@pytest.fixture(scope="session")
def base_url(site: Path):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site):
    """One Chromium per test module: Playwright's sync API cannot nest, and the PDF builder (used by
    tests/test_pdf.py later in the same session) opens its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
