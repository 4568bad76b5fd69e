"""The suite sees the repository as a fresh clone sees it (tests/conftest.py, issue 21).

A developer's `book/generated` (chapters and findings from an earlier build, possibly stale) once made
tests/test_recommendations.py fail in a working tree and pass in a clean clone. Every in-process
`Project` of the repository now has a generated folder of the test session instead.
"""

from __future__ import annotations

from pathlib import Path

from cityconv.chapters import findings
from cityconv.chapters.loader import open_chapter
from cityconv.core.paths import Project
from nbtools import REPO


def test_the_working_trees_generated_chapters_are_never_read(repository_generated_files_are_never_read: Path):
    stand_in = repository_generated_files_are_never_read
    working_tree = REPO / "book" / "generated"
    assert Project(REPO).generated_dir == stand_in != working_tree
    assert not stand_in.is_relative_to(REPO)
    # What a chapter reads its ward's findings from (the file that went stale in /work/main)
    assert findings.artifact_path(open_chapter("clubmoor", REPO)).is_relative_to(stand_in)


def test_other_projects_keep_their_own_generated_folder(tmp_path: Path):
    assert Project(tmp_path).generated_dir == tmp_path / "book" / "generated"
