"""Shared fixtures: the repository root, a small fast project in a temporary folder, and the real book.

Tiers (markers registered in pyproject.toml): the default selection is the fast tier; `make test`
selects everything. A test that uses a real-book fixture is marked `realbook` here even if its module
forgot to say so, so the fast tier never builds the real book.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nbtools import REPO, build_published_mini_project, make_mini_project, stop_warm_kernel  # noqa: E402
from real_book import (  # noqa: E402
    built_book,
    built_once,
    built_pdfs,
    finish_background_build,
    session_folder,
    start_building_in_background,
)
from xdist_units import contiguous_file_scheduler  # noqa: E402

# One notebook worker per `cityconv run` or `build` unless a test says otherwise (`--jobs`): the session's
# pytest-xdist workers already keep both cores busy, and a second worker only adds the start of its
# process and kernel, about 3 CPU s a build (benchmarks/README.md). Set here, at import, so that every
# subprocess and the background real-book build (which asks for two) inherit it; an explicit value stays.
os.environ.setdefault("CITYCONV_JOBS", "1")

REAL_BOOK_FIXTURES = {"real_book", "real_book_site", "real_book_pdfs", "site", "base_url"}

#: The real-book tests' longest files (wall-clock seconds of run AH, benchmarks/README.md), handed out first
#: among the real-book tests, longest first, so that the workers finish together instead of one running
#: the tutorial alone at the end while the others have finished (the rest keep the collection's order).
LONGEST_REALBOOK_FILES = (
    "tests/browser/test_book_in_browser.py",  # 106 s: the audit of every page
    "tests/test_pdf.py",  # 40 s: the book's PDF and briefings
    "tests/test_tutorial.py",  # 39 s
    "tests/browser/test_explorers_in_browser.py",  # 24 s
    "tests/test_executor_identity.py",  # 19 s: a real ward again with papermill
    "tests/browser/test_page_weight.py",  # 11 s
)

#: How much lower the tests' CPU priority is than the background real-book build's (a nice increment).
BUILD_PRIORITY_OVER_TESTS = 5

#: The print cache's variable (`cityconv.pipeline.print_html`), set for the session by `pytest_configure`.
PRINT_CACHE_ENV = "CITYCONV_PRINT_CACHE"
#: Its value before the session (restored at the end; absent: None).
PRINT_CACHE_BEFORE = pytest.StashKey["str | None"]()

#: Key of the background real-book build's thread in the session's stash (set when a real-book test is selected).
BACKGROUND_BUILD = pytest.StashKey["object"]()


@pytest.hookimpl(trylast=True)  # after pytest's tmpdir plugin has made the session's tmp_path_factory
def pytest_configure(config: pytest.Config) -> None:
    """One print cache for the session, never the developer's (`~/.cache/cityconv/print`): a folder of the
    session's shared temporary folder, empty when the session starts, used by both xdist workers and every
    `cityconv` they start (set here, before the background real-book build copies the environment).
    `CITYCONV_PRINT_CACHE=0` given to pytest is kept: every page is then printed."""
    config.stash[PRINT_CACHE_BEFORE] = os.environ.get(PRINT_CACHE_ENV)
    if os.environ.get(PRINT_CACHE_ENV) == "0":
        return
    factory = config._tmp_path_factory  # type: ignore[attr-defined]  # pytest's tmp_path_factory
    os.environ[PRINT_CACHE_ENV] = str(session_folder(factory) / "print-cache")


def pytest_unconfigure(config: pytest.Config) -> None:
    before = config.stash.get(PRINT_CACHE_BEFORE, None)
    if before is None:
        os.environ.pop(PRINT_CACHE_ENV, None)
    else:
        os.environ[PRINT_CACHE_ENV] = before


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session", autouse=True)
def repository_generated_files_are_never_read(tmp_path_factory):
    """Tests see the repository's chapters as a fresh clone does: what a chapter reads from
    `book/generated` (a ward's findings.json, through `findings.artifact_path`, the chapters' only read
    of generated files) comes from a folder of this session that starts empty, never from the working
    tree (a developer's findings from an earlier build, possibly stale, made tests fail in /work/main
    and pass in a clean clone: issue 21). `Project.generated_dir` itself is left alone: the pipeline
    places its outputs under the project root. Chapters a test needs come from the session's real book
    (`real_book`) or a project of its own."""
    from cityconv.chapters import findings

    stand_in = tmp_path_factory.mktemp("repository-generated") / "generated"
    repository = REPO.resolve()
    working_tree = findings.artifact_path

    def artifact_path(ch) -> Path:
        if Path(ch.project.root).resolve() == repository:
            return stand_in / ch.params.id / findings.ARTIFACT_NAME
        return working_tree(ch)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(findings, "artifact_path", artifact_path)
        yield stand_in


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    return make_mini_project(tmp_path)


@pytest.fixture(scope="session")
def built_mini_project(tmp_path_factory) -> dict:
    """The fixture project as published (Git, CITATION.cff, source offer), built once per session and
    shared by xdist workers: {"root", "commit", "returncode", "stdout", "stderr"} of its first build.
    Read it; a test that changes the project copies it first (`built_mini_copy`)."""
    return built_once(tmp_path_factory, "mini-book", lambda folder: build_published_mini_project(folder / "project"))


@pytest.fixture(scope="session")
def own_questions_book(tmp_path_factory) -> dict:
    """{"root", "returncode", "output"} of the one build of the own-questions project, whose `own` ward
    has coded free text (tests/test_own_questions_build.py, tests/test_survey_text_themes.py)."""
    from test_own_questions_build import build_own_questions

    return built_once(tmp_path_factory, "own-questions", build_own_questions)


@pytest.fixture
def built_mini_copy(built_mini_project: dict, tmp_path: Path) -> Path:
    """A copy of the built fixture project (chapters, manifest, HTML, Git history) for a test to change."""
    copy = tmp_path / "project"
    shutil.copytree(built_mini_project["root"], copy, symlinks=True)
    return copy


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


@pytest.hookimpl(optionalhook=True)  # an xdist hook: pytest -p no:xdist must still load this file
def pytest_xdist_make_scheduler(config, log):
    """Under `--dist loadfile`, hand out each unbroken run of one file's tests as a unit (tests/xdist_units.py)."""
    if config.getoption("dist", None) != "loadfile":
        return None
    return contiguous_file_scheduler(config, log)


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    """Mark real-book users `realbook`, and run them after the rest (the real book is built in the
    background meanwhile: `pytest_collection_finish`)."""
    for item in items:
        if REAL_BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realbook)

    def order(item) -> tuple[bool, int]:
        realbook = item.get_closest_marker("realbook") is not None
        file = item.nodeid.split("::", 1)[0]
        longest = LONGEST_REALBOOK_FILES.index(file) if realbook and file in LONGEST_REALBOOK_FILES else len(LONGEST_REALBOOK_FILES)
        return realbook, longest

    items.sort(key=order)  # stable: otherwise the collection's order


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the selection is final: if it holds a real-book test, start building the real book now, in
    the background, so the build overlaps the quick tests (the real-book tests run last and wait for it).
    Under xdist each worker starts one; the session's file lock lets the first build and the other wait."""
    _freeze_collected_heap()
    if not any(item.get_closest_marker("realbook") for item in session.items):
        return
    if getattr(session.config.option, "collectonly", False):
        return
    factory = session.config._tmp_path_factory  # type: ignore[attr-defined]  # pytest's tmp_path_factory
    session.stash[BACKGROUND_BUILD] = start_building_in_background(factory)
    # The build is the longest chain of the run (the real-book tests wait for it at the end), so it gets
    # the CPU first: this (main) thread, and every process a test starts from it, yields to it. On Linux
    # a nice value belongs to a thread and a new thread takes its creator's, so the build thread started
    # above, and the `cityconv build` it starts, keep theirs.
    os.nice(BUILD_PRIORITY_OVER_TESTS)


def _freeze_collected_heap() -> None:
    """Move what collection made (test modules, the libraries they import, the items) out of the garbage
    collector's generations: it lives as long as the session, and the collections that the tests' own
    allocations trigger stop walking it (about 2 % of an in-process test file's CPU; benchmarks/README.md,
    stop 39). The warm chapter kernel does the same after its warm-up (`warm_kernel.warm_up`)."""
    import gc

    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_warm_kernel()
    thread = session.stash.get(BACKGROUND_BUILD, None)
    if thread is not None:
        finish_background_build(thread, aborted=bool(session.shouldfail or session.shouldstop))
