"""Shared by the browser and PDF tests: build the real book once per test session, in a copy.

The copy holds the repository as it is (chapter templates, params, data, pages, our static assets),
without `.venv`, `_build`, `book/generated` or other local state, and is built with the real
command line (`cityconv build --root <copy>`), so the tests see exactly what a reader would.
A chapter whose template fails is left out of the book by the runner itself (it is reported as a
warning here); the tests then check whatever the repository holds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cityconv.pipeline.chromium import CHROMIUM

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"

IGNORE = {".venv", ".venv-cffconvert", "_build", "node_modules", ".git", ".pytest_cache", ".cityconv",
          "test-artifacts", "__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}

_cache: dict[str, object] = {}


def require(condition: bool, reason: str) -> None:
    """Skip with a visible reason, or fail when CI demands the browser tests (CITYCONV_REQUIRE_BROWSER=1)."""
    if condition:
        return
    if os.environ.get("CITYCONV_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (CITYCONV_REQUIRE_BROWSER=1: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def require_chromium() -> None:
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        require(False, "the playwright Python package is not installed")


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n in IGNORE or n.endswith(".egg-info")}
    if Path(folder).name == "book" and "generated" in names:
        skip.add("generated")
    return skip


def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project root of a freshly built copy of the repository (built once per session)."""
    if "root" in _cache:
        return _cache["root"]  # type: ignore[return-value]
    if "error" in _cache:  # built once per session, even when the build fails
        pytest.fail(str(_cache["error"]), pytrace=False)
    root = tmp_path_factory.mktemp("book") / "repo"
    shutil.copytree(REPO, root, ignore=_ignore, symlinks=True)
    env = {k: v for k, v in os.environ.items() if k != "CITYCONV_ROOT"}
    env.setdefault("CITYCONV_OPEN_DATA", str((REPO / ".." / "shared" / "open-data").resolve()))
    # The copy is a git repository of its own, so a test can show that a build leaves it clean.
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run([*git, *step], cwd=root, check=True, capture_output=True)
    result = subprocess.run(
        [str(VENV_BIN / "cityconv"), "build", "--root", str(root)],
        capture_output=True, text=True, timeout=1800, env=env, cwd=root,
    )
    log = result.stdout + result.stderr
    (root.parent / "build.log").write_text(log, encoding="utf-8")  # beside the copy: the copy stays clean
    index = root / "_build" / "html" / "index.html"
    rendered = "Book:" in result.stdout and index.exists()
    if not rendered:
        _cache["error"] = f"cityconv build of the copy failed (exit {result.returncode}):\n{log[-6000:]}"
        pytest.fail(str(_cache["error"]), pytrace=False)
    if result.returncode != 0:  # every chapter of the real book must run: a failed one is missing
        _cache["error"] = f"cityconv build of the copy had failed runs (exit {result.returncode}):\n{log[-6000:]}"
        pytest.fail(str(_cache["error"]), pytrace=False)
    _cache["root"] = root
    return root


def chapters_built_this_session() -> Path | None:
    """`book/generated` of the real book if this test session has built it already, else None.

    Other end-to-end tests (the tutorial) start from these chapters instead of running the real
    book again: the run cache keys on file contents and project-relative paths, so a copy of the
    repository finds them current.
    """
    root = _cache.get("root")
    return None if root is None else root / "book" / "generated"  # type: ignore[operator]


def built_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """(project root, book PDF, briefing PDFs) of the built copy (made once per session)."""
    if "pdfs" not in _cache:
        from cityconv.core.paths import Project
        from cityconv.pipeline.pdf import build_book_pdf, build_briefings

        root = built_book(tmp_path_factory)
        project = Project(root)
        _cache["pdfs"] = (root, build_book_pdf(project), build_briefings(project))
    return _cache["pdfs"]  # type: ignore[return-value]
