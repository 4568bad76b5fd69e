"""One plan of artifacts (issue 21, part 1): every generated file is an artifact with declared inputs,
outputs and a builder, recorded in the one manifest, and rebuilt exactly when what it is made from changes.

A small fixture project (the mini project of `nbtools` with two published wards); no real book is built.
The package's data files and modules are judged from a copy (`cache.PACKAGE_ROOT` points at it), so a
test can edit a template without touching the checkout. Printing, the data-entry workbook and the class
pack's contents are stubbed (each has tests of its own: test_field_kit_book, test_class_pack).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cityconv import cli
from cityconv.chapters import class_pack
from cityconv.core.paths import Project
from cityconv.generate import fieldkit
from cityconv.pipeline import artifacts, cache, fieldkit_book, pdf, profile_pdf
from cityconv.pipeline.runner import build_plan, run_plan
from nbtools import REPO, make_mini_project

KITS = ("alpha", "beta", "new-ward")
NEW_OPTION_AFTER = '      schools: "Schools"\n'
NEW_OPTION = '      allotments: "Allotments and gardening"\n'


def _fake_pack(root: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in class_pack.file_names():
        (out_dir / name).write_bytes(b"a class pack file")
    return [out_dir / name for name in class_pack.file_names()]


def _fake_book_pdf(project: Project) -> Path:
    out = pdf.pdf_dir(project) / pdf.BOOK_PDF_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"%PDF-1.7 the book")
    return out


def _fake_profiles(project: Project, ids=None) -> list[Path]:
    out = []
    for study_id in profile_pdf.profile_ids(project):
        path = pdf.pdf_dir(project) / profile_pdf.PROFILE_PATTERN.format(id=study_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7 a profile")
        out.append(path)
    return out


def _fake_workbook(path: Path, *args, **kwargs) -> Path:
    path.write_bytes(b"a data-entry workbook")  # the real one (openpyxl) takes seconds: test_workbook.py
    return path


def _fake_print(pairs) -> bool:
    for html, printed in pairs:
        printed.write_bytes(b"%PDF-1.7 printed from " + html.name.encode())
    return True


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    make_mini_project(root)
    for ward in ("alpha", "beta"):  # a ward of the book has a published chapter
        published = root / "book" / "generated" / ward / "01-files.ipynb"
        published.parent.mkdir(parents=True, exist_ok=True)
        published.write_text("{}", encoding="utf-8")
    package = tmp_path / "package"
    shutil.copytree(cache.PACKAGE_ROOT / "cityconv", package / "cityconv",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_ROOT", package)
    monkeypatch.setattr(class_pack, "belongs_in_book", lambda root: True)
    monkeypatch.setattr(class_pack, "write_class_pack", _fake_pack)
    monkeypatch.setattr(fieldkit_book, "_print_pdfs", _fake_print)
    monkeypatch.setattr(fieldkit, "write_workbook", _fake_workbook)
    monkeypatch.setattr(pdf, "build_book_and_briefings", lambda project: (_fake_book_pdf(project), []))
    monkeypatch.setattr(profile_pdf, "build_profile_pdfs", _fake_profiles)
    return Project(root)


def _built(results) -> set[str]:
    return {r.artifact.label for r in results if r.status == "built"}


def _edit(path: Path, old: str = "", new: str = "") -> None:
    """Replace `old` with `new`, or append a comment (Jinja's, or Python's in a module)."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    comment = "# edited" if path.suffix == ".py" else "{# edited #}"
    path.write_text(text.replace(old, new, 1) if old else f"{text}\n{comment}\n", encoding="utf-8")


def test_an_edit_rebuilds_exactly_the_artifacts_made_from_it(project: Project) -> None:
    package = cache.PACKAGE_ROOT / "cityconv"
    first = artifacts.build_artifacts(project)
    assert not [r for r in first if r.status == "failed"], [r.reason for r in first]
    assert _built(first) == {
        "page:landing", "page:field-kit", "bundle:class-pack", "page:source-offer",  # no Git checkout: no archive
        "bundle:atlas-all-wards", "page:atlas-links",
        *(f"page:field-kit/{kit}/documents" for kit in KITS),
        *(f"pdf:field-kit/{kit}" for kit in KITS),
        *(f"page:field-kit/{kit}" for kit in KITS),
    }
    assert _built(artifacts.build_artifacts(project)) == set()  # nothing changed: nothing built

    _edit(package / "generate" / "fieldkit" / "questionnaire.md.j2")
    assert _built(artifacts.build_artifacts(project)) == {f"page:field-kit/{kit}/documents" for kit in KITS}

    _edit(package / "chapters" / "templates" / "class_pack" / "worksheet.md")
    assert _built(artifacts.build_artifacts(project)) == {"bundle:class-pack"}

    _edit(package / "chapters" / "templates" / "headlines" / "landing.md")
    assert _built(artifacts.build_artifacts(project)) == {"page:landing"}

    _edit(package / "chapters" / "class_pack.py")  # the builder's code
    assert _built(artifacts.build_artifacts(project)) == {"bundle:class-pack"}
    assert _built(artifacts.build_artifacts(project)) == set()


def test_a_ward_questionnaire_change_rebuilds_its_kit_its_pdfs_and_its_page_only(project: Project) -> None:
    artifacts.build_artifacts(project)
    _edit(project.data_dir / "alpha" / "questionnaire.yml", NEW_OPTION_AFTER, NEW_OPTION_AFTER + NEW_OPTION)
    assert _built(artifacts.build_artifacts(project)) == {
        "page:field-kit/alpha/documents", "pdf:field-kit/alpha", "page:field-kit/alpha"}
    printed = (project.generated_dir / "field-kit" / "alpha" / "questionnaire.md").read_text(encoding="utf-8")
    assert "Allotments and gardening" in printed


def test_the_manifest_holds_runs_and_artifacts_and_no_stamps_are_left(project: Project) -> None:
    cache.save_manifest(project, {"alpha/files": {"output": "x"}})
    artifacts.build_artifacts(project)
    assert cache.load_manifest(project) == {"alpha/files": {"output": "x"}}  # the runs' entries are kept
    entries = cache.load_artifact_entries(project)
    assert entries["page:landing"]["inputs"] and "cityconv.chapters.headlines" in entries["page:landing"]["code"]
    cache.save_manifest(project, {})
    assert set(cache.load_artifact_entries(project)) == set(entries)
    assert not list(project.generated_dir.rglob(".inputs.sha256"))


def test_a_failing_builder_is_reported_and_the_others_still_build(project: Project, monkeypatch) -> None:
    def broken(root, out_dir):
        raise ValueError("no records")

    monkeypatch.setattr(class_pack, "write_class_pack", broken)
    results = {r.artifact.label: r for r in artifacts.build_artifacts(project)}
    assert results["bundle:class-pack"].status == "failed" and "ValueError: no records" in results["bundle:class-pack"].reason
    assert results["page:landing"].status == "built"
    assert "bundle:class-pack" not in cache.load_artifact_entries(project)  # tried again next time


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def test_a_build_writes_no_tracked_file_and_a_stale_codebook_is_a_problem(project: Project) -> None:
    root = project.root
    shutil.copy(REPO / ".gitignore", root / ".gitignore")
    _edit(root / "data" / "alpha" / "questionnaire.yml", NEW_OPTION_AFTER, NEW_OPTION_AFTER + NEW_OPTION)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "fixture")

    plan = build_plan(project, remember_clean=False)
    (problem,) = plan.failed_wards["alpha"]
    assert str(problem).startswith("data/alpha/CODEBOOK.md: does not follow the ward's questionnaire.yml")
    assert "run `cityconv codebook alpha`" in str(problem)
    summary = run_plan(plan, jobs=1)
    assert summary.count("done") == 2  # beta's chapters
    results = artifacts.build_artifacts(project)
    assert not [r for r in results if r.status == "failed"]
    assert _git(root, "status", "--porcelain") == ""  # nothing tracked was written, nothing untracked shown

    result = CliRunner().invoke(cli.app, ["codebook", "alpha", "--root", str(root)])
    assert result.exit_code == 0 and "rewrote data/alpha/CODEBOOK.md" in result.output
    assert "alpha" not in build_plan(project, remember_clean=False).failed_wards


def test_list_shows_every_kind_of_artifact_and_whether_it_is_current(project: Project, monkeypatch) -> None:
    monkeypatch.setattr(cli.console, "width", 400)
    artifacts.build_artifacts(project, kinds=["page"])
    result = CliRunner().invoke(cli.app, ["list", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    rows = [line.split("│") for line in result.output.splitlines() if line.count("│") >= 5]
    kinds = {row[2].strip() for row in rows}
    assert set(artifacts.KINDS) <= kinds
    by_id = {row[3].strip(): row for row in rows if row[2].strip() != "kind"}
    assert by_id["landing"][5].strip() == "✓" and "book/generated/what-we-found.md" in by_id["landing"][4]
    assert by_id["class-pack"][5].strip() == "no: never built"
    assert by_id["alpha/files"][2].strip() == "notebook"


def test_build_only_builds_that_kind(project: Project) -> None:
    result = CliRunner().invoke(cli.app, ["build", "--only", "page", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    generated = project.generated_dir
    assert (generated / "what-we-found.md").exists() and (generated / "field-kit" / "alpha" / "index.md").exists()
    assert not (generated / "class-pack").exists()  # a bundle
    assert not list(generated.rglob("*.pdf"))  # the kits' PDFs
    assert not (generated / "alpha" / "02-arithmetic.ipynb").exists()  # no notebook ran
    assert not (project.build_dir / "html").exists()  # nothing rendered

    result = CliRunner().invoke(cli.app, ["build", "--only", "bundle,pdf", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    assert (generated / "class-pack" / "class-pack.zip").exists()
    assert (generated / "field-kit" / "alpha" / "questionnaire.pdf").exists()
    assert (pdf.pdf_dir(project) / pdf.BOOK_PDF_NAME).exists()  # the print stage's PDFs too

    result = CliRunner().invoke(cli.app, ["build", "--only", "pages", "--root", str(project.root)])
    assert result.exit_code == 2 and "--only: unknown artifact kind 'pages'" in result.output


def test_build_skip_pdf_makes_every_other_artifact_and_renders(project: Project, monkeypatch) -> None:
    from cityconv.pipeline import book
    from cityconv.pipeline.runner import RunSummary

    rendered: list[Path] = []
    monkeypatch.setattr(cli, "_run", lambda *args, **kwargs: RunSummary(results=[]))  # no notebook run here
    monkeypatch.setattr(book, "render", lambda project: rendered.append(project.root) or 0)
    result = CliRunner().invoke(cli.app, ["build", "--skip", "pdf", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    generated = project.generated_dir
    assert (generated / "field-kit" / "alpha" / "index.md").exists() and (generated / "what-we-found.md").exists()
    assert (generated / "class-pack" / "class-pack.zip").exists()  # a bundle
    assert not list((generated / "field-kit").rglob("*.pdf"))  # the kits' PDFs
    assert not pdf.pdf_dir(project).exists()  # nor the print stage's
    assert "questionnaire.pdf" not in (generated / "field-kit" / "alpha" / "index.md").read_text(encoding="utf-8")
    assert rendered == [project.root] and "Book: " in result.output

    for option, message in ((["--skip", "notebook"], "'notebook' cannot be skipped"),
                            (["--skip", "pdf", "--only", "page"], "--only and --skip were both given"),
                            (["--skip", "pdfs"], "--skip: unknown artifact kind 'pdfs'")):
        result = CliRunner().invoke(cli.app, ["build", *option, "--root", str(project.root)])
        assert result.exit_code == 2 and message in result.output, (option, result.output)
