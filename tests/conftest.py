"""Shared fixtures: the repository root, a small fast project in a temporary folder, and the real book.

Tiers (markers registered in pyproject.toml): the default selection is the fast tier; `make test`
selects everything. A test that uses a real-book fixture is marked `realbook` here even if its module
forgot to say so, so the fast tier never builds the real book.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nbtools import REPO, make_mini_project  # noqa: E402
from real_book import built_book, built_pdfs  # noqa: E402

REAL_BOOK_FIXTURES = {"real_book", "real_book_site", "real_book_pdfs", "site", "base_url"}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    return make_mini_project(tmp_path)


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Path:
    """Project root of the real book built in a copy (once per session, shared by xdist workers)."""
    return built_book(tmp_path_factory)


@pytest.fixture(scope="session")
def real_book_site(real_book: Path) -> Path:
    """`_build/html` of the real book: for checks that read HTML and need no browser."""
    return real_book / "_build" / "html"


@pytest.fixture(scope="session")
def real_book_pdfs(tmp_path_factory) -> tuple[Path, Path, list[Path]]:
    """(project root, book PDF, briefing PDFs) of the real book, printed once per session."""
    return built_pdfs(tmp_path_factory)


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    """Mark real-book users `realbook`, and run them after the rest (an xdist worker then builds the
    book while the other is still busy with quick tests)."""
    for item in items:
        if REAL_BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realbook)
    items.sort(key=lambda item: item.get_closest_marker("realbook") is not None)
