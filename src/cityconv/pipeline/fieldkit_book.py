"""The field kit in the book: each ward's kit, and a blank one for a new ward, as pages and downloads.

Two hooks in `cityconv.pipeline.book`: `field_kit_toc_parts(project)` gives the kits' part of the
table of contents (`write_toc`, at every `cityconv run`; cheap), and `publish_field_kits(project)`
writes the kits just before the book is rendered (`render`), so a run that renders nothing prints no
PDF. For each ward with a params file and a valid questionnaire, and for a blank ward, it writes into
`book/generated/field-kit/<id>/` what `cityconv field-kit` writes (`generate.fieldkit.write_field_kit`:
each document as Markdown and HTML, the codebook, the data-entry workbook), prints each document to
PDF, and adds a kit page linking the documents (pages of the book) and the downloads.
`book/field-kit/index.md` links the list of kits.

A kit whose inputs did not change is left alone (a digest of them is kept beside it), so a no-op
build stays a no-op: Sphinx sees no changed file. Without Chromium the PDFs are skipped and the pages
say to print from the browser; the build goes on.

It also keeps each ward's committed `CODEBOOK.md` following its questionnaire: when the questionnaire
changes (a question or an answer added), the codebook is rewritten from it, never edited by hand.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cityconv import __version__
from cityconv.core.params import DisclosureSettings, load_all
from cityconv.core.paths import Project
from cityconv.data import wardfiles
from cityconv.data.questionnaire import Questionnaire, ward_questionnaire
from cityconv.generate import fieldkit

FIELD_KIT_DIR = "field-kit"  # under book/generated/
BLANK_KIT_ID = "new-ward"
CAPTION = "Field kits by ward"
INPUTS_STAMP = ".inputs.sha256"
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


def _inputs_digest(source: KitSource) -> str:
    """Everything a kit is made from: the questionnaire, the settings, the templates and code that write it."""
    digest = hashlib.sha256()
    digest.update(json.dumps([source.kit_id, source.title, source.threshold, source.status, __version__,
                              source.questionnaire.model_dump(mode="json")], sort_keys=True).encode())
    digest.update(wardfiles.codebook_markdown(source.questionnaire).encode())  # the schemas
    package = resources.files("cityconv.generate")
    for item in sorted(package.joinpath("fieldkit").iterdir(), key=lambda p: p.name):
        digest.update(item.name.encode() + item.read_bytes())
    for module in ("fieldkit.py", "workbook.py"):
        digest.update(package.joinpath(module).read_bytes())
    return digest.hexdigest()


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _write_documents(out_dir: Path, source: KitSource) -> bool:
    """The kit's documents and workbook (via `write_field_kit`); False if its inputs had not changed."""
    digest = _inputs_digest(source)
    stamp = out_dir / INPUTS_STAMP
    workbook = out_dir / fieldkit.workbook_name(source.kit_id)
    if stamp.exists() and stamp.read_text(encoding="utf-8") == digest and workbook.exists():
        return False
    with tempfile.TemporaryDirectory(prefix="cityconv-kit-") as staging:
        written = fieldkit.write_field_kit(Path(staging), source.questionnaire, source.kit_id, source.threshold)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in written:
            _write_if_changed(out_dir / path.name, path.read_bytes())
    stamp.write_text(digest, encoding="utf-8")
    return True


def _stale_pdfs(out_dir: Path) -> list[tuple[Path, Path]]:
    names = [name for name, _ in (*fieldkit.DOCUMENTS, fieldkit.CODEBOOK_DOCUMENT)]
    pairs = [(out_dir / f"{name}.html", out_dir / f"{name}.pdf") for name in names]
    return [(html, pdf) for html, pdf in pairs if not pdf.exists() or pdf.stat().st_mtime < html.stat().st_mtime]


def _print_pdfs(pairs: list[tuple[Path, Path]]) -> bool:
    """Print the documents; False (and a note) when no browser can, so the build goes on without PDFs."""
    from cityconv.pipeline.chromium import PdfError
    from cityconv.pipeline.print_html import print_pages

    try:
        print_pages(pairs)
    except PdfError as exc:
        print(f"note: the field kit's PDFs were not printed ({exc})", file=sys.stderr)
        return False
    return True


def refresh_codebook(data_dir: Path | None, questionnaire: Questionnaire) -> bool:
    """Rewrite a ward's committed CODEBOOK.md when it no longer follows its questionnaire; True if it did."""
    if data_dir is None or not (data_dir / CODEBOOK_FILE).exists():
        return False
    text = wardfiles.codebook_markdown(questionnaire)
    return _write_if_changed(data_dir / CODEBOOK_FILE, text.encode("utf-8"))


def publish_field_kits(project: Project) -> None:
    """Write every kit's pages and downloads into `book/generated/field-kit/` (what `field_kit_toc_parts` lists)."""
    root = kits_dir(project)
    sources = kit_sources(project)
    for source in sources:
        refresh_codebook(source.data_dir, source.questionnaire)
        _write_documents(root / source.kit_id, source)
    if root.is_dir():  # kits of wards that are gone
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in {s.kit_id for s in sources}:
                shutil.rmtree(folder)
    stale = [pair for source in sources for pair in _stale_pdfs(root / source.kit_id)]
    if stale:
        _print_pdfs(stale)
        for html, pdf in stale:  # a PDF older than its page (printing failed) is not offered
            if pdf.exists() and pdf.stat().st_mtime < html.stat().st_mtime:
                pdf.unlink()
    documents = [name for name, _ in (*fieldkit.DOCUMENTS, fieldkit.CODEBOOK_DOCUMENT)]
    any_pdf = False
    for source in sources:
        out_dir = root / source.kit_id
        pdfs = {name for name in documents if (out_dir / f"{name}.pdf").exists()}
        any_pdf |= bool(pdfs)
        page = fieldkit.kit_page_markdown(source.title, source.kit_id, source.questionnaire, source.threshold,
                                          source.status, pdfs, blank=source.blank)
        _write_if_changed(out_dir / "index.md", page.encode("utf-8"))
    kits = [{"kit_id": s.kit_id, "title": s.title, "note": _note(s)} for s in sources]
    _write_if_changed(root / "index.md", fieldkit.kits_index_markdown(kits, any_pdf).encode("utf-8"))


def _note(source: KitSource) -> str:
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
