"""Clean validations remembered between runs, so a run with nothing changed does not re-check every file.

Planning a run validates each ward's data files (frictionless schemas, then the personal-information
screen of free text) and the shared evidence and rules files; on the real book that is most of the
time a no-op `cityconv run` takes. A check that found nothing wrong is remembered under a digest of
everything it depended on: the content and names of the files it checked, the package's own source
and data files (schemas, validators, the PII screen), the lock file (library versions) and the
deny-list of names. Any change to one of them checks again. Problems are never cached: a failing check
runs every time, so its messages always describe the files as they are now.

`cityconv validate` does not use this cache; it always checks everything.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from cityconv.core.paths import Project
from cityconv.core.problems import Problem

CACHE_NAME = "validated.json"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/cityconv
_SOURCE_SUFFIXES = {".py", ".json", ".yml", ".yaml", ".csv", ".txt", ".md", ".j2"}


def _hash_file(digest: "hashlib._Hash", path: Path, label: str) -> None:
    digest.update(label.encode() + b"\0")
    if path.is_file():
        digest.update(path.read_bytes())
    else:
        digest.update(b"<absent>")
    digest.update(b"\0")


def _files_under(folder: Path) -> list[Path]:
    """Every file in a folder tree, in a stable order; hidden names are temporary files, not inputs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        found += [Path(dirpath) / name for name in sorted(filenames) if not name.startswith(".")]
    return found


class ValidationCache:
    """One project's remembered clean checks (`.cityconv/validated.json`), saved by `save()`."""

    def __init__(self, project: Project, extra_inputs: Iterable[Path] = ()):
        self.project = project
        self.path = project.root / ".cityconv" / CACHE_NAME
        try:
            self.entries: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self._changed = False
        self._code = self._code_digest(extra_inputs)

    def _code_digest(self, extra_inputs: Iterable[Path]) -> str:
        digest = hashlib.sha256()
        for path in _files_under(PACKAGE_DIR):
            if path.suffix in _SOURCE_SUFFIXES:
                _hash_file(digest, path, path.relative_to(PACKAGE_DIR).as_posix())
        _hash_file(digest, self.project.root / "requirements.lock", "requirements.lock")
        for path in extra_inputs:
            _hash_file(digest, Path(path), str(path))
        return digest.hexdigest()

    def _digest(self, inputs: Iterable[Path]) -> str:
        digest = hashlib.sha256(self._code.encode())
        for item in inputs:
            item = Path(item)
            for path in _files_under(item) if item.is_dir() else [item]:
                _hash_file(digest, path, path.relative_to(self.project.root).as_posix()
                           if path.is_relative_to(self.project.root) else str(path))
        return digest.hexdigest()

    def check(self, name: str, inputs: Iterable[Path], validate: Callable[[], list[Problem]]) -> list[Problem]:
        """`validate()`'s problems, or none without calling it when the same inputs were found clean before."""
        key = self._digest(inputs)
        if self.entries.get(name) == key:
            return []
        problems = validate()
        if problems:
            self._changed |= self.entries.pop(name, None) is not None
        else:
            self.entries[name] = key
            self._changed = True
        return problems

    def save(self) -> None:
        """Write the cache atomically; a project we cannot write to simply checks again next time."""
        if not self._changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{CACHE_NAME}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self.entries, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            return
        self._changed = False
