"""The real book, built once per test session in a copy, shared by every test that reads it.

The copy holds the repository as it is (chapter templates, params, data, pages, our static assets),
without `.venv`, `_build`, `book/generated` or other local state, and is built with the real
command line (`cityconv build --root <copy>`), so the tests see exactly what a reader would.

Under pytest-xdist every worker is a process of its own: the build sits in the session's shared
temporary folder behind a file lock, so the first worker to ask builds it and the others wait for
it and reuse it (a failed build is recorded too, and fails every test that asks, once). When the
session has selected any real-book test, each worker starts asking as soon as collection is done, in a
background thread (`start_building_in_background`, from tests/conftest.py): the build then overlaps the
quick tests instead of leaving one worker idle waiting for it at the end of the run.
The fixtures that hand it out are in tests/conftest.py; a test that uses them is marked `realbook`.

ATLAS SAMPLE: the copy is built as `make book` builds it, except that the ward atlas makes the profile
pages of its declared sample only (tests/atlas_sample.py, through $CITYCONV_ATLAS_WARDS): the other 84
profile-only pages are the same template with other wards' numbers, and were over half of the build's
runs. Every ward still runs through every function of the profile template in-process
(tests/test_profile.py), the plan still lists a page for every ward code (tests/test_atlas_selection.py),
and a page links only to the profiles that are built.

WRITERS: most tests only read the copy. The few that write into it (`cityconv run` again, printing the
PDFs, which renders into `_build/pdf-source`) hold the session's writer lock (`writing`), so they run
one after another whichever worker they are on (`make test` hands out whole files, tests/xdist_units.py,
but two writers may sit in different files).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock

from atlas_sample import ATLAS_SAMPLE
from cityconv.data.context import ATLAS_WARDS_ENV
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


def _record_once(folder: Path, name: str, make) -> dict:
    """Run `make()` unless a process of this session already has, and return the recorded outcome
    ({"ok": result} or {"error": message}); the file lock makes every other asker wait for it."""
    outcome = folder / f"{name}.json"
    with FileLock(str(folder / f"{name}.lock")):
        if not outcome.exists():
            try:
                result = {"ok": make()}
            except Exception as error:  # recorded so that every worker fails the same way, once
                result = {"error": str(error)}
            outcome.write_text(json.dumps(result), encoding="utf-8")
        return json.loads(outcome.read_text(encoding="utf-8"))


def _once(folder: Path, name: str, make) -> dict:
    """`make()`'s JSON-able outcome, computed by the first process of the session to ask and then read by all."""
    recorded = _record_once(folder, name, make)
    if "error" in recorded:
        pytest.fail(recorded["error"], pytrace=False)
    return recorded["ok"]


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make) -> dict:
    """`make(folder)`'s JSON-able outcome, built in its own folder of the session's shared temporary
    folder by the first process to ask, and read by every other (the same file lock as the real book)."""
    folder = session_folder(tmp_path_factory) / name
    folder.mkdir(exist_ok=True)
    return _once(folder, name, lambda: make(folder))


class BuildFailed(Exception):
    pass


#: `cityconv build` processes running for this worker (`finish_background_build` ends them when a session is stopped early).
_BUILDS: list[subprocess.Popen] = []


#: What the copy is built with besides the session's environment (ATLAS SAMPLE above). A test that runs
#: `cityconv` on the copy, or on chapters copied from it, uses it too: with another selection every
#: chapter would be out of date (its links depend on it).
ATLAS_SAMPLE_ENV = {ATLAS_WARDS_ENV: " ".join(sorted(ATLAS_SAMPLE))}


def build_environment() -> dict[str, str]:
    """The environment of a `cityconv` process on the copy: this session's, with the open data found and
    the atlas cut to its declared sample."""
    env = {k: v for k, v in os.environ.items() if k != "CITYCONV_ROOT"}
    env.setdefault("CITYCONV_OPEN_DATA", str((REPO / ".." / "shared" / "open-data").resolve()))
    return {**env, **ATLAS_SAMPLE_ENV}


@contextlib.contextmanager
def real_book_environment() -> Iterator[None]:
    """This process's environment as the copy's build had it (ATLAS_SAMPLE_ENV), for in-process pipeline
    calls on the copy; restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ATLAS_SAMPLE_ENV.items():
            patch.setenv(name, value)
        yield


def _build_copy(root: Path, env: dict[str, str] | None = None) -> str:
    """Copy the repository to `root` and build it there; `env` is the build's environment, taken before
    any test could change this process's (a background build starts while tests run)."""
    env = env if env is not None else build_environment()
    shutil.copytree(REPO, root, ignore=_ignore, symlinks=True)
    # The copy is a git repository of its own, so a test can show that a build leaves it clean.
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run([*git, *step], cwd=root, check=True, capture_output=True)
    with subprocess.Popen(
        # Two workers: this build is the session's spine (its tests wait for it), not a test of defaults.
        [str(VENV_BIN / "cityconv"), "build", "--jobs", "2", "--root", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root,
    ) as process:
        _BUILDS.append(process)
        try:
            stdout, stderr = process.communicate(timeout=1800)
        except subprocess.TimeoutExpired:
            process.kill()
            raise BuildFailed("cityconv build of the copy took over 30 minutes") from None
        finally:
            _BUILDS.remove(process)
    log = stdout + stderr
    (root.parent / "build.log").write_text(log, encoding="utf-8")  # beside the copy: the copy stays clean
    rendered = "Book:" in stdout and (root / "_build" / "html" / "index.html").exists()
    if not rendered:
        raise BuildFailed(f"cityconv build of the copy failed (exit {process.returncode}):\n{log[-6000:]}")
    if process.returncode != 0:  # every chapter of the real book must run: a failed one is missing
        raise BuildFailed(f"cityconv build of the copy had failed runs (exit {process.returncode}):\n{log[-6000:]}")
    return str(root)


def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project root of the session's built copy of the repository (built once, by whichever worker asks first)."""
    folder = session_folder(tmp_path_factory)
    return Path(_once(folder, "real-book", lambda: _build_copy(folder / "real-book" / "repo")))


def start_building_in_background(tmp_path_factory: pytest.TempPathFactory) -> threading.Thread:
    """Start the session's real-book build now, in a thread, so that it runs while this worker (and the
    other) carry on with the tests that do not need it; `built_book` then waits on the same file lock.

    The build itself is a `cityconv build` subprocess, so the thread holds no Python lock while it runs.
    A failure is recorded in the outcome file and reported by `built_book` to every test that asks.
    """
    folder = session_folder(tmp_path_factory)
    env = build_environment()
    thread = threading.Thread(
        target=_record_once, name="real-book-build", daemon=True,
        args=(folder, "real-book", lambda: _build_copy(folder / "real-book" / "repo", env)),
    )
    thread.start()
    return thread


def executed_chapter(root: Path, study_id: str, template: str) -> nbformat.NotebookNode:
    """The chapter the session's build published for `study_id` from `template` (a notebook's file name):
    what a unit test reads instead of running the real template again (one run per template and ward)."""
    return nbformat.read(root / "book" / "generated" / study_id / template, as_version=4)


def writing(tmp_path_factory: pytest.TempPathFactory) -> FileLock:
    """The lock a test holds while it writes into the session's built copy (see WRITERS above)."""
    return FileLock(str(session_folder(tmp_path_factory) / "real-book-writers.lock"))


def built_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """(project root, book PDF, briefing PDFs) of the built copy (printed once per session)."""
    root = built_book(tmp_path_factory)

    def make() -> dict:
        from cityconv.core.paths import Project
        from cityconv.pipeline.pdf import build_book_and_briefings

        with writing(tmp_path_factory), real_book_environment():
            book, briefings = build_book_and_briefings(Project(root))
        return {"book": str(book), "briefings": [str(p) for p in briefings]}

    pdfs = _once(session_folder(tmp_path_factory), "real-book-pdfs", make)
    return root, Path(pdfs["book"]), [Path(p) for p in pdfs["briefings"]]


def finish_background_build(thread: threading.Thread, aborted: bool) -> None:
    """At the end of a worker's session: wait for a build the other worker may still need, or, when the
    session was stopped early (-x, Ctrl-C), end it rather than leave a build running on its own."""
    if aborted:
        for process in list(_BUILDS):
            process.terminate()
    thread.join()
