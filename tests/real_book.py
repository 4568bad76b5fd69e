"""The real book, built once per test session in a copy, shared by every test that reads it.

The copy holds the repository as it is (chapter templates, params, data, pages, our static assets),
without `.venv`, `_build`, `book/generated` or other local state, and is built with the real
command line (`cityconv build --root <copy>`), so the tests see exactly what a reader would.

Under pytest-xdist every worker is a process of its own: the build sits in the session's shared
temporary folder behind a file lock, so the first worker to ask builds it and the others wait for
it and reuse it (a failed build is recorded too, and fails every test that asks, once).
The fixtures that hand it out are in tests/conftest.py; a test that uses them is marked `realbook`.

WRITERS: most tests only read the copy. The few that write into it (`cityconv run` again, printing the
PDFs, which renders into `_build/pdf-source`) share the xdist group "real-book-writers", so under
`--dist loadgroup` they run one after another on one worker and never race each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from cityconv.pipeline.chromium import CHROMIUM

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"

IGNORE = {".venv", ".venv-cffconvert", "_build", "node_modules", ".git", ".pytest_cache", ".cityconv",
          "test-artifacts", "__pycache__", ".ipynb_checkpoints", ".mypy_cache", ".ruff_cache"}


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


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this session shares (the session's own temporary folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n in IGNORE or n.endswith(".egg-info")}
    if Path(folder).name == "book" and "generated" in names:
        skip.add("generated")
    return skip


def _once(folder: Path, name: str, make) -> dict:
    """`make()`'s JSON-able outcome, computed by the first process of the session to ask and then read by all."""
    outcome = folder / f"{name}.json"
    with FileLock(str(folder / f"{name}.lock")):
        if not outcome.exists():
            try:
                result = {"ok": make()}
            except Exception as error:  # recorded so that every worker fails the same way, once
                result = {"error": str(error)}
            outcome.write_text(json.dumps(result), encoding="utf-8")
        recorded = json.loads(outcome.read_text(encoding="utf-8"))
    if "error" in recorded:
        pytest.fail(recorded["error"], pytrace=False)
    return recorded["ok"]


class BuildFailed(Exception):
    pass


def _build_copy(root: Path) -> str:
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
    rendered = "Book:" in result.stdout and (root / "_build" / "html" / "index.html").exists()
    if not rendered:
        raise BuildFailed(f"cityconv build of the copy failed (exit {result.returncode}):\n{log[-6000:]}")
    if result.returncode != 0:  # every chapter of the real book must run: a failed one is missing
        raise BuildFailed(f"cityconv build of the copy had failed runs (exit {result.returncode}):\n{log[-6000:]}")
    return str(root)


def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project root of the session's built copy of the repository (built once, by whichever worker asks first)."""
    folder = session_folder(tmp_path_factory)
    return Path(_once(folder, "real-book", lambda: _build_copy(folder / "real-book" / "repo")))


def built_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """(project root, book PDF, briefing PDFs) of the built copy (printed once per session)."""
    root = built_book(tmp_path_factory)

    def make() -> dict:
        from cityconv.core.paths import Project
        from cityconv.pipeline.pdf import build_book_and_briefings

        book, briefings = build_book_and_briefings(Project(root))
        return {"book": str(book), "briefings": [str(p) for p in briefings]}

    pdfs = _once(session_folder(tmp_path_factory), "real-book-pdfs", make)
    return root, Path(pdfs["book"]), [Path(p) for p in pdfs["briefings"]]
