"""A scratch book project for build tests: the real config, chapter templates and book furniture, no ward.

Tests that build wards of their own (tests/test_any_study_build.py, tests/test_real_exports_build.py)
start from this and add their wards, then run the real command line on it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from cityconv.pipeline.book import TOC_BEGIN, TOC_END
from nbtools import REPO

CITYCONV = str(Path(sys.executable).with_name("cityconv"))
WARD_TEMPLATES = ("00-executive-summary", "02-evidence-gathering", "03-residents-survey", "04-who-took-part",
                  "05-interviews", "06-social-media", "07-practitioners", "08-sense-check", "09-principles-audit",
                  "10-recommendations", "11-ward-findings")


def study_book(root: Path) -> Path:
    """The real config and every ward chapter template (and the ward comparison), a table of contents of its own."""
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copy(REPO / "references.bib", root / "references.bib")
    pages = ("about-the-data", "protecting-respondents", "references")  # the pages chapters link to
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n- caption: About this book\n  chapters:\n"
        + "".join(f"  - file: book/{page}\n" for page in pages) + TOC_BEGIN + "\n" + TOC_END + "\n", encoding="utf-8")
    (root / "book").mkdir()
    (root / "book" / "index.md").write_text("# A fixture book\n\nA study of its own.\n", encoding="utf-8")
    for page in pages:
        shutil.copy(REPO / "book" / f"{page}.md", root / "book" / f"{page}.md")
    for assets in ("_static", "_templates"):
        if (REPO / "book" / assets).is_dir():
            shutil.copytree(REPO / "book" / assets, root / "book" / assets)
    (root / "notebooks").mkdir()
    for template in (*WARD_TEMPLATES, "30-ward-comparison"):
        shutil.copy(REPO / "notebooks" / f"{template}.ipynb", root / "notebooks")
    for folder in ("context", "city", "evidence", "recommendations"):
        shutil.copytree(REPO / "data" / folder, root / "data" / folder)
    (root / "params").mkdir()
    shutil.copy(REPO / "params" / "ward-comparison.yml", root / "params")
    return root


def cityconv(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command line on the scratch project (a fresh process, as a researcher runs it)."""
    return subprocess.run([CITYCONV, *args, "--root", str(root)], capture_output=True, text=True, timeout=1500)


def outputs(path: Path) -> str:
    """Everything a built notebook shows (Markdown and text outputs), as one text."""
    nb = nbformat.read(path, as_version=4)
    return "\n".join(str(o.get("data", {}).get("text/markdown", o.get("text", "")))
                     for c in nb.cells for o in c.get("outputs", []))
