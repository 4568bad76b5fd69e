"""Where things live in a project tree.

Everything is resolved from one project root so the same code serves the real book, a researcher's
copy and the small fixture book the end-to-end tests build in a temporary directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = ("_config.yml", "params")
PARAMS_SUFFIXES = (".yml", ".yaml")


def is_project(folder: Path) -> bool:
    """A folder holding a project's markers (`_config.yml` and `params/`)."""
    return all((Path(folder) / marker).exists() for marker in ROOT_MARKERS)


def find_root(start: Path | None = None) -> Path:
    """Return the project root: $CITYCONV_ROOT, else the nearest parent holding `_config.yml` and `params/`."""
    env = os.environ.get("CITYCONV_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if is_project(candidate):
            return candidate
    raise FileNotFoundError(
        f"no cityconv project found at or above {here}: expected a folder with _config.yml and params/"
    )


@dataclass(frozen=True)
class Project:
    """The standard layout of a cityconv project, rooted at `root`."""

    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> "Project":
        return cls(find_root(start))

    @property
    def params_dir(self) -> Path:
        return self.root / "params"

    def params_file(self, study_id: str) -> Path:
        """The params file of a ward or study: `params/<id>.yml` or `params/<id>.yaml`, whichever exists.

        The one place that names a params file, so both spellings work everywhere; when neither exists
        this is the `.yml` path (for a new file, or for the "file not found" message).
        """
        for suffix in PARAMS_SUFFIXES:
            candidate = self.params_dir / f"{study_id}{suffix}"
            if candidate.is_file():
                return candidate
        return self.params_dir / f"{study_id}{PARAMS_SUFFIXES[0]}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def context_dir(self) -> Path:
        """Ward-level tables derived from the public open data (see data/context/PROVENANCE.md)."""
        return self.data_dir / "context"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def book_dir(self) -> Path:
        return self.root / "book"

    @property
    def generated_dir(self) -> Path:
        """Executed chapters, one folder per ward or study; never committed."""
        return self.book_dir / "generated"

    @property
    def toc_file(self) -> Path:
        """The committed table of contents: hand-written pages and an empty block for generated chapters."""
        return self.root / "_toc.yml"

    @property
    def built_toc_file(self) -> Path:
        """The table of contents the book is rendered from: `_toc.yml` with the generated block filled in.

        Written under `_build/` on every run, so a build never edits a tracked file.
        """
        return self.build_dir / "toc.yml"

    @property
    def build_dir(self) -> Path:
        return self.root / "_build"


def shared_open_data_dir(root: Path) -> Path:
    """The public open data kept beside the repository (read, never copied in).

    $CITYCONV_OPEN_DATA overrides the default `<root>/../shared/open-data`.
    """
    env = os.environ.get("CITYCONV_OPEN_DATA")
    return Path(env).resolve() if env else (root / ".." / "shared" / "open-data").resolve()
