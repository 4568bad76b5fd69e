"""One plan of artifacts: every file the book offers is made by one artifact of this plan.

An artifact has a kind (`notebook`, `page`, `bundle`, `pdf`), an id, its outputs, its declared inputs
(glob patterns of project files or of the package's data files, `package:<pattern>`), facts it is made
from that are no file's content (a ward's title, which PDFs exist), and a builder: a function and the
modules whose source is its code (with every `cityconv` module they import, `cache.module_closure`).

Stages run in this order: findings → chapters (the notebook runs, `pipeline.runner`, with the inputs
they recorded while they ran) → book (pages, bundles and the field kits' PDFs, here) → render (HTML,
`pipeline.book.render`, Jupyter Book only) → print (the book, briefings and profile sheets as PDF).

An artifact is current when its entry in the one manifest (`book/generated/manifest.json`, section
`artifacts`; notebooks are in `runs`) matches the digests of its inputs, facts, builder code and the
lock file, and its outputs exist; a current artifact is not built again. Builders write a file only
when its bytes change, so an unchanged page gives Sphinx nothing to re-read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from cityconv.core.paths import Project
from cityconv.pipeline import cache, print_html
from cityconv.pipeline.tasks import RunTask

if TYPE_CHECKING:
    from cityconv.pipeline.runner import Plan

KINDS = ("notebook", "page", "bundle", "pdf")
STAGES = ("findings", "chapters", "book", "render", "print")
PACKAGE_PREFIX = "package:"


@dataclass(frozen=True)
class Artifact:
    """One generated file or set of files, and how it is made."""

    kind: str
    id: str
    stage: str
    outputs: tuple[str, ...]  # project-relative
    build: Callable[[], object] | None = None  # None for a notebook: the runner executes its task
    inputs: tuple[str, ...] = ()  # glob patterns, project-relative or `package:<pattern>`
    code: tuple[str, ...] = ()  # the builder's modules
    facts: Callable[[], object] | None = None  # JSON-able values it is made from that are no file
    task: RunTask | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class ArtifactResult:
    artifact: Artifact
    status: str  # built | skipped | failed
    reason: str | None = None  # why it was built, or why it failed


# --------------------------------------------------------------------------- digests and the manifest


def expand_inputs(root: Path, patterns: Iterable[str]) -> list[str]:
    """The files the patterns match now, as the manifest names them (hidden files and the manifest excluded)."""
    found: set[str] = set()
    for pattern in patterns:
        if pattern.startswith(PACKAGE_PREFIX):
            base, prefix, pattern = cache.PACKAGE_ROOT / "cityconv", PACKAGE_PREFIX, pattern.removeprefix(PACKAGE_PREFIX)
        else:
            base, prefix = Path(root), ""
        for path in base.glob(pattern):
            rel = path.relative_to(base)
            if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                found.add(prefix + rel.as_posix())
    found.discard(f"book/generated/{cache.MANIFEST_NAME}")  # changes whenever any artifact is made
    return sorted(found)


def _facts_digest(artifact: Artifact) -> str | None:
    if artifact.facts is None:
        return None
    text = json.dumps(artifact.facts(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_for(artifact: Artifact, root: Path) -> dict[str, Any]:
    """The manifest entry of an artifact just built, from the digests of what it was made from."""
    digests = cache.Digests(root)
    return {
        "kind": artifact.kind,
        "outputs": list(artifact.outputs),
        "inputs": {rel: digests.file(rel) for rel in expand_inputs(root, artifact.inputs)},
        "code": {name: digests.module(name) for name in cache.module_closure(artifact.code)},
        "facts": _facts_digest(artifact),
        "lock": digests.lock(),
    }


def stale_reason(artifact: Artifact, entry: dict[str, Any] | None, root: Path) -> str | None:
    """Why the artifact must be built, or None when it is current."""
    if entry is None:
        return "never built"
    missing = [out for out in artifact.outputs if not (Path(root) / out).exists()]
    if missing:
        return f"{missing[0]} is missing"
    now = entry_for(artifact, root)
    if entry.get("lock") != now["lock"]:
        return "dependencies changed"
    for section, what in (("inputs", "input"), ("code", "module")):
        before, after = entry.get(section, {}), now[section]
        for name in sorted(set(before) | set(after)):
            if name not in before:
                return f"new {what} {name}"
            if name not in after:
                return f"{what} {name} is gone"
            if before[name] != after[name]:
                return f"{what} {name} changed"
    if entry.get("facts") != now["facts"]:
        return "what it is made from changed"
    if list(entry.get("outputs", [])) != list(artifact.outputs):
        return "its outputs changed"
    return None


# --------------------------------------------------------------------------- the plan


def notebook_artifacts(plan: Plan) -> list[Artifact]:
    """The notebook runs of a runner plan, as artifacts (their cache is the runner's, `cache.stale_reason`)."""
    out = []
    for task in plan.tasks:
        outputs = [task.output_path, *([task.artifact_path] if task.artifact_path else [])]
        out.append(Artifact(
            kind="notebook", id=task.label, stage="findings" if task.produces else "chapters",
            outputs=tuple(p.relative_to(task.root).as_posix() for p in outputs), task=task,
        ))
    return out


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def landing_artifact(project: Project) -> Artifact:
    """The landing page's "What we found" (`chapters.headlines.landing_markdown`)."""
    from cityconv.chapters.headlines import LANDING_FILE, available_chapters

    path = project.generated_dir / LANDING_FILE
    return Artifact(
        kind="page", id="landing", stage="book", outputs=(_rel(project, path),),
        build=lambda: write_landing(project),
        inputs=("params/*.yml", "data/*/published_figures.csv", "package:chapters/templates/headlines/*.md"),
        code=("cityconv.chapters.headlines",),
        facts=lambda: sorted(available_chapters(project.root)),
    )


def write_landing(project: Project) -> Path:
    """Write `book/generated/what-we-found.md` (book/index.md includes it) if its text changed."""
    from cityconv.chapters.headlines import LANDING_FILE, landing_markdown

    path = project.generated_dir / LANDING_FILE
    write_if_changed(path, (landing_markdown(project.root) + "\n").encode("utf-8"))
    return path


def atlas_links_artifact(project: Project) -> Artifact:
    """The postcode finder's links to every ward profile (`pipeline.atlas.profile_links_markdown`)."""
    from cityconv.pipeline.atlas import PROFILE_LINKS_FILE

    path = project.generated_dir / PROFILE_LINKS_FILE
    return Artifact(
        kind="page", id="atlas-links", stage="book", outputs=(_rel(project, path),),
        build=lambda: write_atlas_links(project),
        inputs=("params/*.yml", "data/context/wards.csv", "notebooks/*.ipynb"),
        code=("cityconv.pipeline.atlas",),
        facts=_atlas_selection_fact,
    )


def _atlas_selection_fact() -> list[str] | None:
    """The atlas pages the build makes (`data.context.ATLAS_WARDS_ENV`): the finder links only to those."""
    from cityconv.data.context import atlas_selection

    selection = atlas_selection()
    return None if selection is None else sorted(selection)


def write_atlas_links(project: Project) -> Path:
    """Write `book/generated/atlas/profile-links.md` (book/postcode-finder.md includes it) if it changed."""
    from cityconv.pipeline.atlas import PROFILE_LINKS_FILE, profile_links_markdown

    path = project.generated_dir / PROFILE_LINKS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_if_changed(path, profile_links_markdown(project).encode("utf-8"))
    return path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` (via a temporary file) unless the file already holds it; True if it wrote."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def class_pack_artifacts(project: Project) -> list[Artifact]:
    """The class pack (`chapters.class_pack`), when the book has the teaching study and Clubmoor's records."""
    from cityconv.chapters import class_pack

    if not class_pack.belongs_in_book(project.root):
        return []
    out_dir = project.root / class_pack.OUTPUT
    ward = class_pack.WARD
    return [Artifact(
        kind="bundle", id="class-pack", stage="book",
        outputs=tuple(_rel(project, out_dir / name) for name in class_pack.file_names()),
        build=lambda: class_pack.write_class_pack(project.root, out_dir),
        inputs=(f"params/{ward}.yml", "params/teaching.yml", f"data/{ward}/*", "data/city/*", "data/evidence/*",
                "data/recommendations/*", "data/context/*", f"book/generated/{ward}/findings.json",
                "package:chapters/templates/class_pack/*", "package:data/schemas/**/*.json",
                "package:data/questionnaires/*"),
        code=("cityconv.chapters.class_pack",),
    )]


FIELD_KIT_CODE = ("cityconv.pipeline.fieldkit_book",)
FIELD_KIT_INPUTS = ("package:generate/fieldkit/*.j2", "package:data/schemas/ward/*.json", "package:data/questionnaires/*")



def _kit_page_facts(out_dir: Path, source) -> list:
    """What a kit's page shows besides its template: the kit's facts and which documents were printed."""
    from cityconv.pipeline import fieldkit_book as kits

    return [kits.kit_facts(source), kits.printed_documents(out_dir)]

def field_kit_artifacts(project: Project) -> list[Artifact]:
    """The kits' artifacts, in build order: per kit its documents, their PDFs and its page; then the list."""
    from cityconv.pipeline import fieldkit_book as kits

    root = kits.kits_dir(project)
    rel = lambda path: path.relative_to(project.root).as_posix()  # noqa: E731
    sources = kits.kit_sources(project)
    artifacts = []
    for source in sources:
        out_dir = root / source.kit_id
        facts = functools.partial(kits.kit_facts, source)
        artifacts += [
            Artifact(kind="page", id=f"field-kit/{source.kit_id}/documents", stage="book",
                     outputs=tuple(rel(out_dir / name) for name in kits.document_files(source)),
                     build=functools.partial(kits.write_documents, out_dir, source),
                     inputs=FIELD_KIT_INPUTS, code=FIELD_KIT_CODE, facts=facts),
            Artifact(kind="pdf", id=f"field-kit/{source.kit_id}", stage="book",
                     outputs=tuple(rel(out_dir / f"{name}.pdf") for name in kits.document_names()),
                     build=functools.partial(kits.print_documents, out_dir),
                     inputs=(f"{rel(out_dir)}/*.html",), code=("cityconv.pipeline.print_html",)),
            Artifact(kind="page", id=f"field-kit/{source.kit_id}", stage="book", outputs=(rel(out_dir / "index.md"),),
                     build=functools.partial(kits.write_kit_page, out_dir, source),
                     inputs=("package:generate/fieldkit/kit-page.md.j2",), code=FIELD_KIT_CODE,
                     facts=functools.partial(_kit_page_facts, out_dir, source)),
        ]
    artifacts.append(Artifact(
        kind="page", id="field-kit", stage="book", outputs=(rel(root / "index.md"),),
        build=lambda: kits.write_kits_index(project, sources),
        inputs=("package:generate/fieldkit/kit-index.md.j2",), code=FIELD_KIT_CODE,
        facts=lambda: [[s.kit_id, s.title, kits.kit_note(s)] for s in sources]
        + [bool(kits.printed_documents(root / s.kit_id)) for s in sources],
    ))
    return artifacts


def source_artifacts(project: Project) -> list[Artifact]:
    """The source archive of a Git checkout (`pipeline.source_archive`), and the paragraph pages include to offer it."""
    from cityconv.pipeline import source_archive as source

    out_dir = project.root / source.OUTPUT
    artifacts = []
    if source.is_checkout(project.root):
        artifacts.append(Artifact(
            kind="bundle", id="source", stage="book",
            outputs=tuple(_rel(project, out_dir / name)
                          for name in (source.ARCHIVE_NAME, source.CHECKSUM_NAME, source.METADATA_NAME)),
            build=lambda: [write_if_changed(path, data) for path, data in source.archive_files(project).items()],
            code=("cityconv.pipeline.source_archive",),
            facts=lambda: source.source_state(project.root).fingerprint(),
        ))
    artifacts.append(Artifact(
        kind="page", id="source-offer", stage="book", outputs=(_rel(project, out_dir / source.OFFER_NAME),),
        build=lambda: write_if_changed(out_dir / source.OFFER_NAME, source.offer_markdown(project.root).encode("utf-8")),
        inputs=(source.CITATION_FILE, f"{source.OUTPUT}/{source.METADATA_NAME}"),
        code=("cityconv.pipeline.source_archive",),
    ))
    return artifacts


def atlas_download_artifacts(project: Project) -> list[Artifact]:
    """The analysts' all-wards tables (`present.atlas_download`), when the project has ward context data."""
    from cityconv.present import atlas_download

    if not (project.context_dir / "indicators.csv").is_file():
        return []
    out_dir = project.root / atlas_download.OUTPUT
    return [Artifact(
        kind="bundle", id="atlas-all-wards", stage="book",
        outputs=tuple(_rel(project, out_dir / name) for name in atlas_download.file_names()),
        build=lambda: [write_if_changed(out_dir / name, data)
                       for name, data in atlas_download.all_wards_files(project.context_dir).items()],
        inputs=("data/context/*",),
        code=("cityconv.present.atlas_download",),
    )]


def book_artifacts(project: Project) -> list[Artifact]:
    """The book stage, in build order: the source archive and its offer, the landing page, the postcode finder's
    links, the field kits, the class pack, the atlas's all-wards downloads."""
    return [*source_artifacts(project), landing_artifact(project), atlas_links_artifact(project),
            *field_kit_artifacts(project), *class_pack_artifacts(project), *atlas_download_artifacts(project)]


def print_artifacts(project: Project, ids: list[str] | None = None) -> list[Artifact]:
    """The print stage: the book, the briefings and the atlas wards' profile sheets as PDF (after render)."""
    from cityconv.pipeline import pdf, profile_pdf

    book_inputs = ("_config.yml", "_toc.yml", "references.bib", "book/**/*")
    out_dir = pdf.pdf_dir(project)
    profiles = profile_pdf.profile_ids(project)
    chosen = profiles if ids is None else [i for i in profiles if i in set(ids)]
    has_toc = project.built_toc_file.exists() or project.toc_file.exists()
    briefings = pdf.briefing_docnames(project) if has_toc else {}  # no contents yet: no briefing
    return [
        # The book and the ward briefings print from one rendering of the printed pages, so they are one
        # artifact: rendering the single-page HTML is most of the cost of either.
        Artifact(kind="pdf", id="book", stage="print",
                 outputs=(_rel(project, out_dir / pdf.BOOK_PDF_NAME),
                          *(_rel(project, out_dir / pdf.BRIEFING_PATTERN.format(id=study_id)) for study_id in briefings)),
                 build=lambda: pdf.build_book_and_briefings(project), inputs=book_inputs,
                 code=("cityconv.pipeline.pdf",)),
        Artifact(kind="pdf", id="profile-sheets", stage="print",
                 outputs=tuple(_rel(project, out_dir / profile_pdf.PROFILE_PATTERN.format(id=i)) for i in chosen),
                 build=lambda: profile_pdf.build_profile_pdfs(project, ids), facts=lambda: chosen,
                 inputs=("params/*.yml", "data/context/*", "package:chapters/templates/profile_sheet/*"),
                 code=("cityconv.pipeline.profile_pdf",)),
    ]


def artifact_plan(plan: Plan, with_print: bool = True) -> list[Artifact]:
    """Every artifact of the project, in stage order (the notebook runs of `plan` first)."""
    artifacts = notebook_artifacts(plan) + book_artifacts(plan.project)
    if with_print:
        artifacts += print_artifacts(plan.project)
    order = {stage: i for i, stage in enumerate(STAGES)}
    return sorted(artifacts, key=lambda a: order[a.stage])  # stable: keeps the order within a stage


def current_states(plan: Plan, artifacts: list[Artifact]) -> dict[str, str | None]:
    """label -> why the artifact is out of date (None: current)."""
    from cityconv.pipeline.runner import stale_reasons

    runs = stale_reasons(plan)
    entries = cache.load_artifact_entries(plan.project)
    return {
        a.label: runs[a.task.label] if a.task is not None else stale_reason(a, entries.get(a.label), plan.project.root)
        for a in artifacts
    }


# --------------------------------------------------------------------------- building


@dataclass
class ArtifactBuild:
    """Build the non-notebook artifacts of some stages, in order, each only when it is out of date."""

    project: Project
    force: bool = False
    on_result: Callable[[ArtifactResult], None] | None = None
    results: list[ArtifactResult] = field(default_factory=list)

    def run(self, artifacts: Iterable[Artifact]) -> list[ArtifactResult]:
        """Artifacts are judged one by one, just before building: an earlier one may be a later one's input."""
        entries = cache.load_artifact_entries(self.project)
        with print_html.one_browser():  # every kit and profile sheet of this run printed by one Chromium
            for artifact in artifacts:
                if artifact.build is None:
                    continue
                result = self._judge_and_build(artifact, entries)
                self.results.append(result)
                if self.on_result:
                    self.on_result(result)
        return self.results

    def _judge_and_build(self, artifact: Artifact, entries: dict[str, dict[str, Any]]) -> ArtifactResult:
        """Skip `artifact` if it is current, else build it and record its inputs in `entries` (and the manifest)."""
        reason = "forced" if self.force else stale_reason(artifact, entries.get(artifact.label), self.project.root)
        if reason is None:
            return ArtifactResult(artifact, "skipped")
        assert artifact.build is not None
        try:
            artifact.build()
        except Exception as exc:  # noqa: BLE001  (reported per artifact; the last good files stay)
            last = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(last.filename).name}:{last.lineno}"
            return ArtifactResult(artifact, "failed", f"{type(exc).__name__}: {exc} ({where})")
        entries[artifact.label] = entry_for(artifact, self.project.root)
        cache.save_artifact_entries(self.project, entries)
        return ArtifactResult(artifact, "built", reason)


def select(artifacts: Iterable[Artifact], kinds: Iterable[str] | None = None,
           stages: Iterable[str] | None = None) -> list[Artifact]:
    """The artifacts of the given kinds and stages (all when None)."""
    kinds = set(kinds) if kinds else None
    stages = set(stages) if stages else None
    return [a for a in artifacts if (kinds is None or a.kind in kinds) and (stages is None or a.stage in stages)]


def build_artifacts(project: Project, stages: Iterable[str] = ("book",), kinds: Iterable[str] | None = None,
                    force: bool = False, on_result: Callable[[ArtifactResult], None] | None = None,
                    ids: list[str] | None = None) -> list[ArtifactResult]:
    """Build what is out of date among the book-stage (and, if asked, print-stage) artifacts."""
    stages = tuple(stages)
    chosen: list[Artifact] = []
    if "book" in stages:
        chosen += book_artifacts(project)
    builder = ArtifactBuild(project, force=force, on_result=on_result)
    builder.run(select(chosen, kinds))
    if "print" in stages:  # listed only now: the briefings follow the chapters the book stage left
        builder.run(select(print_artifacts(project, ids), kinds))
    return builder.results
