"""Every edition carries its own source: the archive of the tracked files that built it.

The end-to-end test builds a small fixture project kept in Git, unpacks the archive its book offers
into another folder, builds that, and gets the same chapters.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.pipeline import source_archive
from cityconv.pipeline.artifacts import book_artifacts

CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def commit_all(root: Path) -> str:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture")
    return git(root, "rev-parse", "HEAD").strip()


def members(data: bytes) -> dict[str, bytes]:
    import io

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def archive_of(root: Path) -> dict[str, bytes]:
    files = source_archive.archive_files(Project(root))
    return {path.name: data for path, data in files.items()}


def test_archive_holds_exactly_the_tracked_files_with_commit_and_checksum(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# A project\n", encoding="utf-8")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "alpha.yml").write_text("id: alpha\n", encoding="utf-8")
    commit = commit_all(tmp_path)
    (tmp_path / "notes.txt").write_text("untracked, not part of the edition\n", encoding="utf-8")

    made = archive_of(tmp_path)
    inside = members(made[source_archive.ARCHIVE_NAME])
    top = f"cityconv-{commit[:12]}"
    assert sorted(inside) == [f"{top}/README.md", f"{top}/SOURCE.json", f"{top}/params/alpha.yml"]
    assert json.loads(inside[f"{top}/SOURCE.json"])["commit"] == commit
    digest = hashlib.sha256(made[source_archive.ARCHIVE_NAME]).hexdigest()
    assert made[source_archive.CHECKSUM_NAME].decode() == f"{digest}  {source_archive.ARCHIVE_NAME}\n"
    info = json.loads(made[source_archive.METADATA_NAME])
    assert (info["commit"], info["dirty"], info["sha256"]) == (commit, False, digest)
    assert archive_of(tmp_path)[source_archive.ARCHIVE_NAME] == made[source_archive.ARCHIVE_NAME]  # reproducible


def test_a_dirty_tree_is_named_dirty_and_archived_as_built(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# A project\n", encoding="utf-8")
    commit = commit_all(tmp_path)
    (tmp_path / "README.md").write_text("# A project, edited after the commit\n", encoding="utf-8")

    made = archive_of(tmp_path)
    inside = members(made[source_archive.ARCHIVE_NAME])
    top = f"cityconv-{commit[:12]}-dirty"
    assert inside[f"{top}/README.md"] == b"# A project, edited after the commit\n"
    assert json.loads(made[source_archive.METADATA_NAME])["dirty"] is True


def test_offer_names_repository_and_doi_only_when_configured(tmp_path: Path) -> None:
    (tmp_path / "CITATION.cff").write_text("cff-version: 1.2.0\ntitle: T\n", encoding="utf-8")
    bare = source_archive.offer_markdown(tmp_path)
    assert "not built from a Git checkout" in bare
    assert "repository" not in bare.replace("Git checkout", "") and "doi" not in bare.lower()

    (tmp_path / "CITATION.cff").write_text(
        "cff-version: 1.2.0\ntitle: T\nrepository-code: https://git.example.org/cityconv\ndoi: 10.5281/zenodo.1\n",
        encoding="utf-8")
    named = source_archive.offer_markdown(tmp_path)
    assert "<https://git.example.org/cityconv>" in named
    assert "[10.5281/zenodo.1](https://doi.org/10.5281/zenodo.1)" in named


def test_no_archive_artifact_outside_a_checkout(tmp_path: Path) -> None:
    labels = [a.label for a in book_artifacts(Project(tmp_path))]
    assert "bundle:source" not in labels and "page:source-offer" in labels


def chapters(root: Path) -> list[str]:
    html = root / "_build" / "html" / "book" / "generated"
    return sorted(p.relative_to(html).as_posix() for p in html.glob("*/*.html"))


@pytest.mark.slow  # renders the fixture book twice (the session's build and the unpacked archive)
def test_unpacked_archive_builds_the_same_chapters(built_mini_project: dict, tmp_path_factory) -> None:
    """The session's published fixture project (in Git, with CITATION.cff and the offer on its landing
    page: tests/nbtools.py `build_published_mini_project`), then its archive unpacked and built."""
    mini_project, commit = Path(built_mini_project["root"]), built_mini_project["commit"]
    assert built_mini_project["returncode"] == 0, built_mini_project["stdout"] + built_mini_project["stderr"]
    out = mini_project / source_archive.OUTPUT
    digest = hashlib.sha256((out / source_archive.ARCHIVE_NAME).read_bytes()).hexdigest()
    page = (mini_project / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
    assert source_archive.ARCHIVE_NAME in page and digest in page and commit in page
    chapter_html = (mini_project / "_build" / "html" / "book" / "generated" / "alpha" / "02-arithmetic.html")
    chapter = html.unescape(re.sub(r"<[^>]+>", "", chapter_html.read_text(encoding="utf-8")))  # the text a reader sees
    assert "Cite this chapter" in chapter and "@incollection{cityconv_alpha_arithmetic" in chapter
    assert "TY  - CHAP" in chapter and '"container-title"' in chapter

    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(out / source_archive.ARCHIVE_NAME) as tar:
        tar.extractall(unpacked, filter="data")
    (again,) = list(unpacked.iterdir())
    assert again.name == f"cityconv-{commit[:12]}"
    second = subprocess.run([CITYCONV, "build", "--root", str(again)], capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stdout + second.stderr
    assert chapters(again) == chapters(mini_project) != []
    assert "not built from a Git checkout" in (again / "_build" / "html" / "book" / "index.html").read_text(encoding="utf-8")
