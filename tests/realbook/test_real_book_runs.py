"""The real book's runs, read from what each published chapter recorded (pipeline.recording).

Uses the session's one build of the real book (tests/real_book.py), so it costs no extra runs; it also
stands in for nbval over the templates: every chapter the build executed has no error output and each
code cell that ran has its outputs recorded.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from cityconv.core.params import load_all
from cityconv.core.paths import Project
from cityconv.data.wardfiles import city_dir_for
from cityconv.pipeline.book import CITATION_FILE
from cityconv.pipeline.templates import discover
from real_book import VENV_BIN, build_environment, writing

pytestmark = pytest.mark.realbook


@pytest.fixture(scope="module")
def root(real_book: Path) -> Path:
    return real_book


def _published(root: Path) -> list[Path]:
    return sorted((root / "book" / "generated").glob("*/*.ipynb"))


def test_every_chapter_reads_only_what_it_declares(root: Path) -> None:
    """Besides its own params file, data folder and the city folder beside it, a chapter opens only files its template's `reads` names."""
    project = Project(root)
    studies, _ = load_all(project)
    templates = {t.stem: t for t in discover(project)[0]}
    outside: list[str] = []
    for path in _published(root):
        study = studies.get(path.parent.name)
        if study is None:  # an atlas page (a ward without params): checked by the atlas tests
            continue
        template = templates[path.stem]
        # a ward's data loader also reads the city-level sources kept once beside the ward folders
        # (and the pipeline reads CITATION.cff for every chapter's "Cite this chapter" box)
        own = [study.where, CITATION_FILE, *([f"{study.data_dir}/*", f"{city_dir_for(Path(study.data_dir)).as_posix()}/*"] if study.data_dir else [])]
        record = nbformat.read(path, as_version=4).metadata["cityconv"]["record"]
        for read in record["reads"]:
            if read.startswith("package:"):
                continue
            if not any(fnmatch.fnmatch(read, pattern) for pattern in (*own, *template.reads)):
                outside.append(f"{path.parent.name}/{path.stem} read {read} (declared: {', '.join(template.reads) or 'nothing'})")
    assert outside == []


def test_findings_are_computed_once_per_ward_and_read_by_their_chapters(root: Path) -> None:
    project = Project(root)
    studies, _ = load_all(project)
    wards = [s for s, p in studies.items() if p.kind == "ward" and p.data_dir]
    for ward in wards:
        artifact = root / "book" / "generated" / ward / "findings.json"
        assert artifact.is_file(), ward
        assert json.loads(artifact.read_text())["findings"], ward
    reads = {
        f"{p.parent.name}/{p.stem}": set(nbformat.read(p, as_version=4).metadata["cityconv"]["record"]["reads"])
        for p in _published(root)
    }
    for ward in wards:
        for chapter in ("00-executive-summary", "09-principles-audit", "10-recommendations"):
            assert f"book/generated/{ward}/findings.json" in reads[f"{ward}/{chapter}"], (ward, chapter)
    comparison = reads["ward-comparison/30-ward-comparison"]
    assert {f"book/generated/{w}/findings.json" for w in wards} <= comparison


def test_a_second_run_runs_nothing_and_the_checkout_stays_clean(root: Path, tmp_path_factory) -> None:
    with writing(tmp_path_factory):  # not while the PDFs are printed from the same copy
        again = subprocess.run([str(VENV_BIN / "cityconv"), "run", "--root", str(root)], capture_output=True,
                               text=True, cwd=root, timeout=600, env=build_environment())
    assert again.returncode == 0, again.stdout + again.stderr
    assert " 0 done" in again.stdout and " 0 failed" in again.stdout, again.stdout[-2000:]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True)
    assert status.stdout == "", f"the build changed tracked or unignored files:\n{status.stdout}"


def test_every_template_ran_in_the_build_without_an_error_and_kept_its_outputs(root: Path) -> None:
    """What `pytest --nbval-lax notebooks` checked, read from the chapters the session's build already
    executed instead of 20 fresh kernels: each template ran (for some ward or study), no cell raised,
    every code cell recorded its execution, and every chapter has outputs. (Makefile's `test` still runs nbval on one template
    opened as a reader would, outside a pipeline run.)"""
    executed: dict[str, list[tuple[Path, nbformat.NotebookNode]]] = {}
    for path in sorted((root / "book" / "generated").rglob("*.ipynb")):
        if not path.name.startswith("."):  # a chapter may be published under another name (atlas/index-2023)
            nb = nbformat.read(path, as_version=4)
            executed.setdefault(nb.metadata["cityconv"]["template_id"], []).append((path, nb))
    templates = {re.sub(r"^\d+-", "", t.stem): t.name for t in (root / "notebooks").glob("*.ipynb")}
    assert sorted(name for t, name in templates.items() if t not in executed) == [], "templates the build never executed"
    problems = []
    for template_id in sorted(templates):
        for path, nb in executed[template_id]:
            code = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
            name = path.relative_to(root).as_posix()
            problems += [f"{name}: an error output ({out.get('ename')}: {out.get('evalue')})"
                         for cell in code for out in cell.get("outputs", []) if out.get("output_type") == "error"]
            problems += [f"{name}: a code cell never ran" for cell in code if cell.get("execution_count") is None]
            if not any(cell.get("outputs") for cell in code):
                problems.append(f"{name}: no code cell has an output")
    assert problems == []
