"""The field kit in the book: each ward's kit, and a blank one for a new ward, as pages and downloads.

`field_kit_toc_parts(project)` gives the kits' part of the table of contents (`write_toc`, at every
`cityconv run`; cheap). `pipeline.artifacts.field_kit_artifacts(project)` gives the kits' artifacts of the plan
(`pipeline.artifacts`, book stage, before render), for each ward with a params file and a valid
questionnaire and for a blank ward, in `book/generated/field-kit/<id>/`:

- `page field-kit/<id>/documents`: what `cityconv field-kit` writes (`generate.fieldkit.write_field_kit`:
  each document as Markdown and HTML, the codebook, the data-entry workbook);
- `pdf field-kit/<id>`: each document printed to PDF from its HTML. Without Chromium no PDF is
  printed (a note says so; the build goes on) and the artifact stays out of date, so a later build
  with a browser prints them;
- `page field-kit/<id>`: the kit's page, linking the documents (pages of the book), the PDFs that
  exist and the downloads;
- `page field-kit`: the list of kits (`book/field-kit/index.md` links it); it also removes the
  folders of kits whose ward is gone.

The manifest of the plan decides what is current; nothing is stamped beside the kits. A ward's
committed `CODEBOOK.md` is never written by a build: `cityconv validate` reports one that no longer
follows its questionnaire, and `cityconv codebook WARD` rewrites it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cityconv.core.params import DisclosureSettings, load_all
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles
from cityconv.data.questionnaire import Questionnaire, ward_questionnaire
from cityconv.generate import fieldkit

FIELD_KIT_DIR = "field-kit"  # under book/generated/
BLANK_KIT_ID = "new-ward"
CAPTION = "Field kits by ward"
CODEBOOK_FILE = "CODEBOOK.md"


@dataclass(frozen=True)
class KitSource:
    """What one kit is made from."""

    kit_id: str
    title: str
    questionnaire: Questionnaire
    threshold: int
    status: str | None = None  # the ward's data status; None for the blank kit
    data_dir: Path | None = None

    @property
    def blank(self) -> bool:
        return self.data_dir is None


def kits_dir(project: Project) -> Path:
    return project.generated_dir / FIELD_KIT_DIR


def kit_sources(project: Project) -> list[KitSource]:
    """A kit per ward of the book (by title), then the blank kit.

    A ward of the book: a params file, a data folder and at least one published chapter (a ward not
    started yet has its profile). A ward whose questionnaire has problems gets no kit until they are
    fixed (`cityconv validate` reports them; a kit that disagreed with the data rules would be worse
    than none).
    """
    studies, _ = load_all(project)
    sources = []
    for study_id, params in sorted(studies.items(), key=lambda item: item[1].title.lower()):
        if params.kind != "ward" or params.data_dir is None:
            continue
        if not any((project.generated_dir / study_id).glob("*.ipynb")):
            continue
        data_dir = project.root / params.data_dir
        questionnaire, problems = ward_questionnaire(data_dir, project.root)
        if questionnaire is None or problems:
            continue
        sources.append(KitSource(study_id, params.title, questionnaire, params.disclosure.threshold,
                                 params.data_status, data_dir))
    sources.append(KitSource(BLANK_KIT_ID, "a new ward", fieldkit.blank_questionnaire(),
                             DisclosureSettings().threshold))
    return sources


def document_names() -> list[str]:
    return [name for name, _ in (*fieldkit.DOCUMENTS, fieldkit.CODEBOOK_DOCUMENT)]


def document_files(source: KitSource) -> list[str]:
    """The files `write_field_kit` writes for a kit (names inside its folder)."""
    return [f"{name}.{ext}" for name in document_names() for ext in ("md", "html")] + [fieldkit.workbook_name(source.kit_id)]


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def write_documents(out_dir: Path, source: KitSource) -> list[Path]:
    """The kit's documents and workbook (via `write_field_kit`); a file is rewritten only if its bytes changed."""
    with tempfile.TemporaryDirectory(prefix="cityconv-kit-") as staging:
        written = fieldkit.write_field_kit(Path(staging), source.questionnaire, source.kit_id, source.threshold)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in written:
            _write_if_changed(out_dir / path.name, path.read_bytes())
    return [out_dir / path.name for path in written]


def _print_pdfs(pairs: list[tuple[Path, Path]]) -> bool:
    """Print the documents; False (and a note) when no browser can, so the build goes on without PDFs."""
    from cityconv.pipeline.chromium import PdfError
    from cityconv.pipeline.print_html import print_pages

    try:
        print_pages(pairs, footer=fieldkit.PRINT_FOOTER)
    except PdfError as exc:
        print(f"note: the field kit's PDFs were not printed ({exc})", file=sys.stderr)
        return False
    return True


def print_documents(out_dir: Path) -> bool:
    """Print every document of a kit; when printing fails, remove its old PDFs (they may not match the pages)."""
    pairs = [(out_dir / f"{name}.html", out_dir / f"{name}.pdf") for name in document_names()]
    printed = _print_pdfs(pairs)
    if not printed:
        for _, pdf in pairs:
            pdf.unlink(missing_ok=True)
    return printed


def printed_documents(out_dir: Path) -> list[str]:
    return [name for name in document_names() if (out_dir / f"{name}.pdf").exists()]


def write_kit_page(out_dir: Path, source: KitSource) -> Path:
    """The kit's page: its documents, the PDFs that exist, the workbook."""
    page = fieldkit.kit_page_markdown(source.title, source.kit_id, source.questionnaire, source.threshold,
                                      source.status, set(printed_documents(out_dir)), blank=source.blank)
    _write_if_changed(out_dir / "index.md", page.encode("utf-8"))
    return out_dir / "index.md"


def write_kits_index(project: Project, sources: list[KitSource]) -> Path:
    """The list of kits; the folders of kits whose ward is gone are removed."""
    root = kits_dir(project)
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in {s.kit_id for s in sources}:
                shutil.rmtree(folder)
    any_pdf = any(printed_documents(root / s.kit_id) for s in sources)
    kits = [{"kit_id": s.kit_id, "title": s.title, "note": kit_note(s)} for s in sources]
    _write_if_changed(root / "index.md", fieldkit.kits_index_markdown(kits, any_pdf).encode("utf-8"))
    return root / "index.md"


def kit_facts(source: KitSource) -> dict:
    """What a kit is made from besides files: its ward, settings and questionnaire."""
    return {"kit_id": source.kit_id, "title": source.title, "threshold": source.threshold, "status": source.status,
            "blank": source.blank, "questionnaire": source.questionnaire.model_dump(mode="json")}


def codebook_problem(data_dir: Path, root: Path, ward_id: str) -> list[Problem]:
    """A ward's committed CODEBOOK.md that no longer follows its questionnaire: a validation problem."""
    path = Path(data_dir) / CODEBOOK_FILE
    if not path.is_file():
        return []
    questionnaire, problems = ward_questionnaire(data_dir, root)
    if questionnaire is None or problems:
        return []  # the questionnaire's own problems are reported by the data checks
    if path.read_text(encoding="utf-8") == wardfiles.codebook_markdown(questionnaire):
        return []
    return [Problem(relative(path, root), "does not follow the ward's questionnaire.yml (it is generated from it)",
                    expected=f"run `cityconv codebook {ward_id}` to rewrite it")]


def rewrite_codebook(data_dir: Path, root: Path) -> bool:
    """Rewrite a ward's CODEBOOK.md from its questionnaire (`cityconv codebook`); True if it changed."""
    questionnaire, problems = ward_questionnaire(data_dir, root)
    if questionnaire is None or problems:
        raise InputError(problems)
    return _write_if_changed(Path(data_dir) / CODEBOOK_FILE, wardfiles.codebook_markdown(questionnaire).encode("utf-8"))


def kit_note(source: KitSource) -> str:
    if source.blank:
        return "the City Conversation questionnaire, for a ward not yet in this book"
    return {"synthetic": "its data in this book are synthetic",
            "reconstructed": "its questionnaire wording is reconstructed"}.get(source.status or "", "")


def field_kit_toc_parts(project: Project) -> list[dict]:
    """The list of kits, then each kit's page with its documents as sections."""
    root = kits_dir(project)
    sources = kit_sources(project)
    entry = lambda path: path.relative_to(project.root).as_posix()  # noqa: E731
    chapters = [{"file": entry(root / "index")}]
    for source in sources:
        out_dir = root / source.kit_id
        sections = [{"file": entry(out_dir / name)} for name, _ in (*fieldkit.DOCUMENTS, fieldkit.CODEBOOK_DOCUMENT)]
        chapters.append({"file": entry(out_dir / "index"), "sections": sections})
    return [{"caption": CAPTION, "chapters": chapters}]
