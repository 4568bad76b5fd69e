"""Shared fixtures: the repository root and a small, fast project built in a temporary folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from nbtools import write_template  # noqa: E402

from cityconv.book import TOC_BEGIN, TOC_END  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def make_mini_project(root: Path) -> Path:
    """A two-ward project with two fast templates, laid out exactly like the real one.

    Both wards use a copy of the real Clubmoor data (so the real schemas apply) and the real derived
    ward context; the templates import only the package so each run takes about a second.
    """
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copy(REPO / "references.bib", root / "references.bib")
    # A table of contents of its own, so the fixture does not depend on the real book's pages.
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n- caption: About this book\n  chapters:\n"
        "  - file: book/about-the-data\n" + TOC_BEGIN + "\n" + TOC_END + "\n",
        encoding="utf-8",
    )
    (root / "book").mkdir()
    (root / "book" / "index.md").write_text("# A fixture book\n\nTwo wards, two templates.\n", encoding="utf-8")
    shutil.copy(REPO / "book" / "about-the-data.md", root / "book" / "about-the-data.md")
    for assets in ("_static", "_templates"):
        if (REPO / "book" / assets).is_dir():
            shutil.copytree(REPO / "book" / assets, root / "book" / assets)
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    for ward in ("alpha", "beta"):
        shutil.copytree(REPO / "data" / "clubmoor", root / "data" / ward)
    (root / "params").mkdir()
    (root / "params" / "alpha.yml").write_text(
        'id: alpha\nkind: ward\ntitle: Alpha\nward:\n  code: "E05000892"\n  name: Clubmoor\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/alpha\nreconstructed: true\n',
        encoding="utf-8",
    )
    (root / "params" / "beta.yml").write_text(
        'id: beta\nkind: ward\ntitle: Beta\nward:\n  code: "E05000887"\n  name: Anfield\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/beta\nsynthetic: true\n',
        encoding="utf-8",
    )
    write_template(
        root / "notebooks" / "01-files.ipynb",
        title="Data files",
        code=[
            "from cityconv.params import load_params\nfrom cityconv.paths import Project\n"
            "project = Project.discover()\n"
            "params = load_params(project.params_dir / f'{study_id}.yml', project.root)\n"
            "files = sorted(p.name for p in (project.root / params.data_dir).iterdir())\n"
            "print(params.title, len(files))",
        ],
    )
    write_template(
        root / "notebooks" / "02-arithmetic.ipynb",
        title="Arithmetic",
        code=["total = sum(range(10))\ntotal"],
    )
    return root


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    return make_mini_project(tmp_path)
