"""The suite sees the repository's chapters as a fresh clone sees them (tests/conftest.py, issue 21).

A developer's `book/generated` (chapters and findings from an earlier build, possibly stale) once made
tests/test_recommendations.py fail in a working tree and pass in a clean clone. What a chapter of the
repository reads from there (its ward's findings.json) now comes from a folder of the test session.
"""

from __future__ import annotations

from pathlib import Path

from cityconv.chapters import findings
from cityconv.chapters.loader import open_chapter
from nbtools import REPO, add_ward


def test_the_working_trees_generated_findings_are_never_read(repository_generated_files_are_never_read: Path):
    stand_in = repository_generated_files_are_never_read
    where = findings.artifact_path(open_chapter("clubmoor", REPO))
    assert where == stand_in / "clubmoor" / findings.ARTIFACT_NAME
    assert not where.is_relative_to(REPO)


def test_other_projects_read_their_own_findings(tmp_path: Path):
    add_ward(tmp_path, "clubmoor")
    where = findings.artifact_path(open_chapter("clubmoor", tmp_path))
    assert where == tmp_path / "book" / "generated" / "clubmoor" / findings.ARTIFACT_NAME


def test_a_files_tests_are_one_unit_unless_other_files_come_between():
    """`make test`'s workers get whole files, and a file's real-book tests (sorted last) as a unit of their own."""
    from xdist_units import contiguous_file_units

    order = ["tests/test_a.py::one", "tests/test_a.py::two", "tests/test_b.py::one",
             "tests/realbook/test_c.py::one", "tests/test_a.py::uses_the_real_book", "tests/test_b.py::too"]
    assert contiguous_file_units(order) == {
        "tests/test_a.py::one": "tests/test_a.py#0", "tests/test_a.py::two": "tests/test_a.py#0",
        "tests/test_b.py::one": "tests/test_b.py#0", "tests/realbook/test_c.py::one": "tests/realbook/test_c.py#0",
        "tests/test_a.py::uses_the_real_book": "tests/test_a.py#1", "tests/test_b.py::too": "tests/test_b.py#1"}
