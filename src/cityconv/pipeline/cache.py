"""The run cache: a chapter is current when nothing it actually used has changed since it was made.

A run's key is its template, the parameters handed to it, the lock file (a dependency upgrade re-runs
everything), and what the notebook recorded while it ran (`pipeline.recording`): the content of every
project file it opened (a file it looked for and did not find counts as "absent", so creating it
invalidates the run), the names in every project folder it listed, and the source of every `cityconv`
module it imported. So editing a module no chapter imports (the CLI, the PDF printer) re-runs nothing,
editing the survey chapter's module re-runs only the chapters that import it, and a ward's README,
which no chapter reads, re-runs nothing.

Whether a chapter is current is answered from one small manifest, `book/generated/manifest.json`
(one entry per run, written atomically by the coordinator after each success), not by opening every
published notebook. The same manifest holds, under `artifacts`, the entries of the plan's other
artifacts (pages, bundles, PDFs: `pipeline.artifacts`), keyed on their declared inputs and the source
of their builder's modules (`module_closure`).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cityconv.core.files import write_atomically
from cityconv.core.paths import Project
from cityconv.pipeline.tasks import RunTask

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 2
LOCK_FILE = "requirements.lock"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `cityconv` package


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def module_file(name: str) -> Path | None:
    """The source file of a `cityconv` module, found without importing it."""
    base = PACKAGE_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


class Digests:
    """Content digests for one run of the pipeline, each file hashed at most once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._files: dict[str, str | None] = {}
        self._listings: dict[str, str | None] = {}
        self._modules: dict[str, str | None] = {}

    def file(self, rel: str) -> str | None:
        if rel not in self._files:
            if rel.startswith("package:"):  # a data file of the package (pipeline.recording)
                path = PACKAGE_ROOT / "cityconv" / rel.removeprefix("package:")
            else:
                path = self.root / rel
            self._files[rel] = sha256_file(path) if path.is_file() else None
        return self._files[rel]

    def listing(self, rel: str) -> str | None:
        if rel not in self._listings:
            path = self.root / rel
            if path.is_dir():
                # Hidden names are temporary files of runs in progress, never inputs.
                names = "\n".join(sorted(n for n in os.listdir(path) if not n.startswith(".")))
                self._listings[rel] = hashlib.sha256(names.encode()).hexdigest()
            else:
                self._listings[rel] = None
        return self._listings[rel]

    def module(self, name: str) -> str | None:
        if name not in self._modules:
            path = module_file(name)
            self._modules[name] = sha256_file(path) if path else None
        return self._modules[name]

    def lock(self) -> str | None:
        return self.file(LOCK_FILE)


def entry_for(task: RunTask, record: dict[str, Any], digests: Digests) -> dict[str, Any]:
    """The manifest entry for a run that just succeeded, from what it recorded."""
    return {
        "output": task.output_path.relative_to(task.root).as_posix(),
        "template": digests.file(task.template_path.relative_to(task.root).as_posix()),
        "parameters": json.loads(json.dumps(task.parameters, sort_keys=True, default=str)),
        "lock": digests.lock(),
        "reads": {rel: digests.file(rel) for rel in record.get("reads", [])},
        # A folder the run read from is listed too: an optional file a chapter looks for with
        # `exists()` (which no audit event reports) then changes the folder's listing when it appears.
        "listings": {rel: digests.listing(rel) for rel in _folders(record)},
        "modules": {name: digests.module(name) for name in record.get("modules", [])},
        **({} if task.atlas_wards is None else {"atlas_wards": sorted(task.atlas_wards)}),
    }


def _folders(record: dict[str, Any]) -> list[str]:
    # Not params/: a chapter opens its params file by name, and a new ward must not re-run every chapter.
    reads = [rel for rel in record.get("reads", []) if not rel.startswith("package:")]
    # Nor book/generated/<id>/: its other files are outputs that change as other runs finish.
    parents = {Path(rel).parent.as_posix() for rel in reads if not rel.startswith("book/generated/")} - {"params"}
    return sorted((set(record.get("listings", [])) | parents) - {"."})


def stale_reason(task: RunTask, entry: dict[str, Any] | None, digests: Digests) -> str | None:
    """Why the published chapter is out of date, or None when it is current."""
    if entry is None:
        return "never run"
    if not task.output_path.exists():
        return "no published chapter"
    if entry.get("template") != digests.file(task.template_path.relative_to(task.root).as_posix()):
        return "template changed"
    if entry.get("parameters") != json.loads(json.dumps(task.parameters, sort_keys=True, default=str)):
        return "parameters changed"
    if entry.get("lock") != digests.lock():
        return "dependencies changed"
    if entry.get("atlas_wards") != (None if task.atlas_wards is None else sorted(task.atlas_wards)):
        return "the atlas pages built changed"  # links to the atlas's pages (data.context.ATLAS_WARDS_ENV)
    for rel, digest in entry.get("reads", {}).items():
        if digests.file(rel) != digest:
            return f"{rel} changed" if digest else f"{rel} now exists"
    for rel, digest in entry.get("listings", {}).items():
        if digests.listing(rel) != digest:
            return f"files in {rel}/ changed"
    for name, digest in entry.get("modules", {}).items():
        if digests.module(name) != digest:
            return f"module {name} changed"
    return None


def manifest_path(project: Project) -> Path:
    return project.generated_dir / MANIFEST_NAME


def _manifest_section(project: Project, section: str) -> dict[str, dict[str, Any]]:
    path = manifest_path(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    entries = data.get(section)
    return entries if isinstance(entries, dict) else {}


def load_manifest(project: Project) -> dict[str, dict[str, Any]]:
    """label -> entry of each notebook run; an unreadable or old-format manifest counts as empty (everything re-runs)."""
    return _manifest_section(project, "runs")


def load_artifact_entries(project: Project) -> dict[str, dict[str, Any]]:
    """`kind:id` -> entry of each other artifact of the plan (`pipeline.artifacts`), from the same manifest."""
    return _manifest_section(project, "artifacts")


def _write_manifest(project: Project, runs: dict[str, dict[str, Any]], artifacts: dict[str, dict[str, Any]]) -> None:
    """Write the manifest atomically (a temporary file, then a rename)."""
    path = manifest_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": MANIFEST_VERSION, "runs": runs, "artifacts": artifacts}
    write_atomically(path, json.dumps(data, indent=1, sort_keys=True))


def save_manifest(project: Project, runs: dict[str, dict[str, Any]]) -> None:
    """Replace the notebook runs' entries, keeping the other artifacts' entries."""
    _write_manifest(project, runs, load_artifact_entries(project))


def save_artifact_entries(project: Project, artifacts: dict[str, dict[str, Any]]) -> None:
    """Replace the other artifacts' entries, keeping the notebook runs' entries."""
    _write_manifest(project, load_manifest(project), artifacts)


def imported_cityconv_modules(name: str) -> set[str]:
    """The `cityconv` modules one module's source imports (at the top or inside functions)."""
    path = module_file(name)
    if path is None:
        return set()
    return set(_imports_in_source(path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1024)
def _imports_in_source(source: str) -> frozenset[str]:
    """Parsed once per distinct source text (the plan asks for the same modules many times)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a module being edited: its own digest already says it changed
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "cityconv"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "cityconv":
            found.add(node.module)
            # `from cityconv.chapters import survey` imports a module, not a name
            found |= {f"{node.module}.{alias.name}" for alias in node.names if module_file(f"{node.module}.{alias.name}")}
    return frozenset(module for module in found if module_file(module))


def module_closure(names: tuple[str, ...] | list[str]) -> list[str]:
    """`names` and every `cityconv` module they import, directly or not: a builder's code."""
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending += sorted(imported_cityconv_modules(name) - seen)
    return sorted(seen)
