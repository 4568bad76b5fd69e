"""The field kit in the book (issue 15, items 3 and 4): a kit per ward and a blank one, as pages and
downloads; the schemas, the codebook and the kit follow a ward's questionnaire when it changes.

Most checks stub the PDF printing (Chromium is slow); one test prints the blank kit for real.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cityconv.core.paths import Project
from cityconv.data import wardfiles
from cityconv.data.questionnaire import load_questionnaire
from cityconv.generate import fieldkit
from cityconv.pipeline import artifacts, fieldkit_book
from cityconv.pipeline.book import write_toc

REPO = Path(__file__).resolve().parents[1]
DOCUMENT_NAMES = [name for name, _ in (*fieldkit.DOCUMENTS, fieldkit.CODEBOOK_DOCUMENT)]

NEW_QUESTION = '''
  - id: bus_use
    kind: single
    text: "How often do you use the local bus?"
    short: "Bus use"
    options:
      weekly: "Every week"
      never: "Never"
'''
NEW_OPTION_AFTER = '      schools: "Schools"\n'
NEW_OPTION = '      allotments: "Allotments and gardening"\n'


def _project(root: Path, wards=("anfield", "clubmoor")) -> Project:
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO / name, root / name)
    (root / "params").mkdir()
    (root / "notebooks").mkdir()
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    for ward in wards:
        shutil.copy(REPO / "params" / f"{ward}.yml", root / "params")
        shutil.copytree(REPO / "data" / ward, root / "data" / ward)
        published = root / "book" / "generated" / ward / "01-ward-profile.ipynb"  # a ward of the book
        published.parent.mkdir(parents=True)
        published.write_text("{}", encoding="utf-8")
    return Project(root)


@pytest.fixture
def no_pdfs(monkeypatch):
    """Printing stubbed out: records what would be printed and reports that no browser could."""
    asked: list = []
    monkeypatch.setattr(fieldkit_book, "_print_pdfs", lambda pairs: asked.extend(pairs) or False)
    return asked


def publish(project: Project) -> None:
    """The book stage of the plan: the kits' artifacts (and the landing page, which these tests ignore)."""
    results = artifacts.build_artifacts(project)
    assert not [r for r in results if r.status == "failed"], [r.reason for r in results]


def _snapshot(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_a_kit_per_ward_and_a_blank_kit_as_pages_and_downloads(tmp_path, no_pdfs):
    project = _project(tmp_path)
    publish(project)
    (part,) = fieldkit_book.field_kit_toc_parts(project)
    kits = project.generated_dir / "field-kit"
    assert part["caption"] == fieldkit_book.CAPTION
    assert [c["file"] for c in part["chapters"]] == [
        "book/generated/field-kit/index", "book/generated/field-kit/anfield/index",
        "book/generated/field-kit/clubmoor/index", "book/generated/field-kit/new-ward/index"]
    for chapter in part["chapters"][1:]:
        kit_id = chapter["file"].split("/")[-2]
        assert [s["file"].split("/")[-1] for s in chapter["sections"]] == DOCUMENT_NAMES
        for name in DOCUMENT_NAMES:  # every page of the contents exists
            assert (kits / kit_id / f"{name}.md").read_text(encoding="utf-8").startswith("# ")
        page = (kits / kit_id / "index.md").read_text(encoding="utf-8")
        workbook = f"{kit_id}-data-entry.xlsx"
        assert (kits / kit_id / workbook).stat().st_size > 0
        assert f"{{download}}`{workbook} <{workbook}>`" in page
        assert "(PDF)" not in page and "print the page" in page  # no browser: no dead PDF links
        for name in DOCUMENT_NAMES:
            assert f"]({name}.md)" in page
    assert len(no_pdfs) == 3 * len(DOCUMENT_NAMES)

    clubmoor = (kits / "clubmoor" / "questionnaire.md").read_text(encoding="utf-8")
    assert "Green spaces and parks (e.g. the Ducky)" in clubmoor and "reconstructed" in clubmoor
    assert "**reconstructed**" in (kits / "clubmoor" / "index.md").read_text(encoding="utf-8")
    assert "**synthetic**" in (kits / "anfield" / "index.md").read_text(encoding="utf-8")
    anfield = (kits / "anfield" / "questionnaire.md").read_text(encoding="utf-8")
    assert "Would you recommend Anfield as a place to live?" in anfield and "Ducky" not in anfield
    blank = (kits / "new-ward" / "questionnaire.md").read_text(encoding="utf-8")
    assert "Would you recommend \\[your ward\\] as a place to live?" in blank  # MyST-escaped, renders as written
    assert "Clubmoor" not in blank and "Anfield" not in blank
    listing = (kits / "index.md").read_text(encoding="utf-8")
    assert re.findall(r"\]\(([\w-]+)/index\.md\)", listing) == ["anfield", "clubmoor", "new-ward"]


def test_the_hand_written_field_kit_page_links_the_generated_list_and_the_toc_carries_it(tmp_path, no_pdfs):
    project = _project(tmp_path, wards=("anfield",))
    write_toc(project)
    assert not (project.generated_dir / "field-kit").exists()  # a run lists the kits; the book stage writes them
    toc = yaml.safe_load(project.built_toc_file.read_text(encoding="utf-8"))
    (part,) = [p for p in toc["parts"] if p.get("caption") == fieldkit_book.CAPTION]
    assert part["chapters"][0] == {"file": "book/generated/field-kit/index"}
    index = (REPO / "book" / "field-kit" / "index.md").read_text(encoding="utf-8")
    assert "{doc}`../generated/field-kit/index`" in index


def test_a_second_publish_changes_nothing_and_a_removed_ward_loses_its_kit(tmp_path, no_pdfs):
    project = _project(tmp_path)
    publish(project)
    before = _snapshot(tmp_path)
    publish(project)
    assert _snapshot(tmp_path) == before  # a no-op build stays a no-op for Sphinx
    (tmp_path / "params" / "anfield.yml").unlink()
    publish(project)
    (part,) = fieldkit_book.field_kit_toc_parts(project)
    assert not (project.generated_dir / "field-kit" / "anfield").exists()
    assert "anfield" not in str(part)


def test_schemas_codebook_workbook_and_kit_follow_the_questionnaire(tmp_path, no_pdfs):
    """A question added and an answer option added: nothing edited by hand but the questionnaire."""
    project = _project(tmp_path, wards=("anfield",))
    data = tmp_path / "data" / "anfield"
    publish(project)
    old_codebook = (data / "CODEBOOK.md").read_text(encoding="utf-8")

    path = data / "questionnaire.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count(NEW_OPTION_AFTER) == 1
    path.write_text(text.replace(NEW_OPTION_AFTER, NEW_OPTION_AFTER + NEW_OPTION) + NEW_QUESTION, encoding="utf-8")
    questionnaire = load_questionnaire(path, tmp_path)

    responses = wardfiles.ward_descriptor("survey_responses", questionnaire)
    bus = next(f for f in responses["fields"] if f["name"] == "bus_use")
    assert [c["value"] for c in bus["categories"]] == ["weekly", "never"]
    mentions = wardfiles.ward_descriptor("survey_mentions", questionnaire)
    assert "allotments" in mentions["x-codes-by-question"]["codes"]["best_things"]

    publish(project)
    assert (data / "CODEBOOK.md").read_text(encoding="utf-8") == old_codebook  # a build writes no tracked file
    (problem,) = fieldkit_book.codebook_problem(data, tmp_path, "anfield")
    assert "data/anfield/CODEBOOK.md" in str(problem) and "cityconv codebook anfield" in str(problem)
    assert fieldkit_book.rewrite_codebook(data, tmp_path)
    codebook = (data / "CODEBOOK.md").read_text(encoding="utf-8")
    assert codebook != old_codebook and codebook == wardfiles.codebook_markdown(questionnaire)
    assert fieldkit_book.codebook_problem(data, tmp_path, "anfield") == []
    assert "`bus_use`" in codebook and "`allotments` = Allotments and gardening" in codebook

    kit = project.generated_dir / "field-kit" / "anfield"
    printed = (kit / "questionnaire.md").read_text(encoding="utf-8")
    assert "How often do you use the local bus?" in printed and "☐ Allotments and gardening" in printed
    assert (kit / "codebook.md").read_text(encoding="utf-8") == codebook
    assert "1 question of the ward's own: Bus use." in " ".join((kit / "index.md").read_text(encoding="utf-8").split())

    from openpyxl import load_workbook

    sheet = load_workbook(kit / "anfield-data-entry.xlsx")["survey_responses"]
    assert "bus_use" in [cell.value for cell in sheet[1]]


def test_a_ward_with_nothing_published_gets_no_kit(tmp_path, no_pdfs):
    project = _project(tmp_path)
    shutil.rmtree(project.generated_dir / "clubmoor")
    (part,) = fieldkit_book.field_kit_toc_parts(project)
    assert [c["file"].split("/")[-2] for c in part["chapters"][1:]] == ["anfield", "new-ward"]


def test_a_ward_with_a_broken_questionnaire_gets_no_kit_and_keeps_its_codebook(tmp_path, no_pdfs):
    project = _project(tmp_path, wards=("anfield",))
    data = tmp_path / "data" / "anfield"
    codebook = (data / "CODEBOOK.md").read_bytes()
    (data / "questionnaire.yml").write_text("title: [unclosed\n", encoding="utf-8")
    publish(project)
    (part,) = fieldkit_book.field_kit_toc_parts(project)
    assert [c["file"].split("/")[-2] for c in part["chapters"][1:]] == ["new-ward"]
    assert (data / "CODEBOOK.md").read_bytes() == codebook


def test_committed_codebooks_follow_their_questionnaires():
    """The committed CODEBOOK.md of every ward is what its questionnaire makes (`cityconv codebook` rewrites it)."""
    folders = [p.parent for p in sorted((REPO / "data").glob(f"*/{wardfiles.QUESTIONNAIRE_FILE}"))]
    assert {f.name for f in folders} >= {"anfield", "clubmoor"}
    for folder in folders:
        questionnaire = load_questionnaire(folder / wardfiles.QUESTIONNAIRE_FILE, REPO)
        assert (folder / "CODEBOOK.md").read_text(encoding="utf-8") == wardfiles.codebook_markdown(questionnaire), folder.name


@pytest.mark.pdf
def test_the_blank_kit_prints_to_pdf(tmp_path):
    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists() or not shutil.which("pdfinfo"):
        pytest.skip("needs Chromium and poppler-utils")
    project = _project(tmp_path, wards=())
    publish(project)
    kit = project.generated_dir / "field-kit" / "new-ward"
    for name in DOCUMENT_NAMES:
        info = subprocess.run(["pdfinfo", str(kit / f"{name}.pdf")], capture_output=True, text=True, check=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 1
    text = subprocess.run(["pdftotext", str(kit / "questionnaire.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Would you recommend [your ward] as a place to live?" in " ".join(text.split())
    page = (kit / "index.md").read_text(encoding="utf-8")
    assert "{download}`Questionnaire (PDF) <questionnaire.pdf>`" in page
    assert "print the page" not in page


def test_old_pdfs_are_not_offered_when_printing_fails(tmp_path, no_pdfs):
    project = _project(tmp_path, wards=())
    publish(project)
    kit = project.generated_dir / "field-kit" / "new-ward"
    old = kit / "questionnaire.pdf"
    old.write_bytes(b"%PDF-1.7 an earlier print")  # printed before the kit's pages changed
    publish(project)
    assert not old.exists()
    assert "(PDF)" not in (kit / "index.md").read_text(encoding="utf-8")
