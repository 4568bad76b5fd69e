"""`tools/release.py`: one version and date set everywhere, the changelog moved, a dirty tree refused.

Runs on a temporary Git repository holding copies of the files that carry the version; it never builds
the real book.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
RELEASE = REPO / "tools" / "release.py"
CARRIERS = ("pyproject.toml", "CITATION.cff", ".zenodo.json", "_config.yml", "CHANGELOG.md")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
                          cwd=root, capture_output=True, text=True, check=True).stdout


def release(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RELEASE), *args, "--root", str(root)],
                          capture_output=True, text=True, timeout=60,
                          env={"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                               "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
                               "PATH": "/usr/bin:/bin"})


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in CARRIERS:
        shutil.copy(REPO / name, tmp_path / name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "before the release")
    return tmp_path


def versions_and_dates(root: Path) -> dict[str, tuple[str, str]]:
    yaml = YAML(typ="safe")
    cff = yaml.load((root / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((root / ".zenodo.json").read_text(encoding="utf-8"))
    config = yaml.load((root / "_config.yml").read_text(encoding="utf-8"))
    subs = config["parse"]["myst_substitutions"]
    footer_version = config["html"]["extra_footer"].split("Version ", 1)[1].split(",", 1)[0]
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = changelog.split("\n## [", 2)[2].split("\n", 1)[0]  # the section after Unreleased
    version, date = heading.split("] - ")
    return {
        "pyproject.toml": (tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"], date),
        "CITATION.cff": (str(cff["version"]), str(cff["date-released"])),
        "CITATION.cff preferred": (str(cff["preferred-citation"]["version"]), date if str(cff["preferred-citation"]["year"]) == date[:4] else "year differs"),
        ".zenodo.json": (zenodo["version"], zenodo["publication_date"]),
        "_config.yml": (subs["version"], subs["date_released"]),
        "_config.yml footer": (footer_version, date if subs["year"] == date[:4] else "year differs"),
        "CHANGELOG.md": (version, date),
    }


def test_release_sets_one_version_and_date_everywhere_and_moves_the_changelog(checkout: Path) -> None:
    unreleased = (checkout / "CHANGELOG.md").read_text(encoding="utf-8").split("## [Unreleased]", 1)[1].split("\n## [")[0]
    result = release(checkout, "prepare", "9.8.7", "--date", "2031-02-03")
    assert result.returncode == 0, result.stderr
    assert set(versions_and_dates(checkout).values()) == {("9.8.7", "2031-02-03")}
    changelog = (checkout / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.split("## [Unreleased]", 1)[1].startswith("\n\n## [9.8.7] - 2031-02-03")
    assert unreleased.strip() in changelog.split("## [9.8.7] - 2031-02-03", 1)[1]
    assert git(checkout, "status", "--porcelain") == ""  # committed, so the edition's archive is clean
    assert git(checkout, "log", "-1", "--format=%s").strip() == "Release 9.8.7"
    cffconvert = REPO / ".venv-cffconvert" / "bin" / "cffconvert"
    if cffconvert.exists():  # the released citation file is still valid CFF (make test installs cffconvert)
        checked = subprocess.run([str(cffconvert), "--validate", "-i", str(checkout / "CITATION.cff")],
                                 capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_dirty_tree_is_refused_and_nothing_changes(checkout: Path) -> None:
    (checkout / "CITATION.cff").write_text((checkout / "CITATION.cff").read_text(encoding="utf-8") + "# edit\n",
                                           encoding="utf-8")
    before = {name: (checkout / name).read_bytes() for name in CARRIERS}
    result = release(checkout, "prepare", "9.8.7")
    assert result.returncode == 1
    assert result.stderr.strip() == ("release: the working tree has uncommitted changes (CITATION.cff); commit or "
                                     "stash them, then run make release again")
    assert {name: (checkout / name).read_bytes() for name in CARRIERS} == before


def test_a_malformed_version_is_refused(checkout: Path) -> None:
    result = release(checkout, "prepare", "v2")
    assert result.returncode == 1
    assert "VERSION='v2' is not a version number: expected x.y.z" in result.stderr


def test_collect_gathers_site_pdfs_and_source_with_checksums(checkout: Path) -> None:
    (checkout / "_build" / "html").mkdir(parents=True)
    (checkout / "_build" / "html" / "index.html").write_text("<html></html>", encoding="utf-8")
    (checkout / "_build" / "pdf").mkdir()
    (checkout / "_build" / "pdf" / "cityconv-book.pdf").write_bytes(b"%PDF-1.4 stand-in")
    (checkout / "book" / "generated" / "source").mkdir(parents=True)
    (checkout / "book" / "generated" / "source" / "cityconv-source.tar.gz").write_bytes(b"stand-in archive")
    result = release(checkout, "collect", "9.8.7")
    assert result.returncode == 0, result.stderr
    out = checkout / "_build" / "release" / "9.8.7"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["SHA256SUMS", "cityconv-9.8.7-html.zip", "cityconv-9.8.7-source.tar.gz", "cityconv-book.pdf"]
    import hashlib

    sums = dict(reversed(line.split("  ")) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert sums == {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in names if n != "SHA256SUMS"}


def test_collect_without_a_built_book_says_what_to_do(checkout: Path) -> None:
    result = release(checkout, "collect", "9.8.7")
    assert result.returncode == 1
    assert result.stderr.strip() == "release: _build/html/index.html is missing: build the book first (make book)"
