"""Checks on the session's real book that read files only: no browser, so they run without Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def site(real_book_site: Path) -> Path:
    """`_build/html` of the real book (tests/browser/ has a `site` that also demands Chromium)."""
    return real_book_site
