"""The chapters of the book, as the template notebooks define them: one registry instead of page names
written into the code.

A chapter is a notebook `notebooks/NN-name.ipynb`; its *page* ("03-residents-survey") is the notebook's
name, and code refers to it by the *name* without the number ("residents-survey"), so that renumbering
the notebooks changes no code. The title a link shows comes from the notebook's metadata
(``metadata.cityconv.title``), the same field the pipeline reads.

Nothing is cached: a chapter kernel lists `notebooks/` (and reads a notebook's metadata for its title)
each time, so the run record (`cityconv.pipeline.recording`) sees what the links depend on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cityconv.core.paths import Project

#: A template notebook's file name: two digits, a hyphen, the chapter's name.
_PAGE = re.compile(r"^(?P<number>\d\d)-(?P<name>[a-z0-9][a-z0-9-]*)$")


def _notebooks_dir(root: Path | str | None) -> Path:
    project = Project(Path(root).resolve()) if root else Project.discover()
    return project.notebooks_dir


def chapter_pages(root: Path | str | None = None) -> dict[str, str]:
    """chapter name -> page, for every template notebook ("residents-survey" -> "03-residents-survey")."""
    pages = {}
    for path in sorted(_notebooks_dir(root).glob("[0-9][0-9]-*.ipynb")):
        match = _PAGE.match(path.stem)
        if match:
            pages[match["name"]] = path.stem
    return pages


def page(name: str, root: Path | str | None = None) -> str:
    """The page of the chapter called `name`; KeyError naming the chapters there are if it is unknown."""
    pages = chapter_pages(root)
    if name not in pages:
        raise KeyError(f"no chapter called {name!r} in notebooks/ (chapters: {', '.join(sorted(pages))})")
    return pages[name]


def find_page(name: str, root: Path | str | None = None) -> str | None:
    """The page of the chapter called `name`, or None when this project has no such chapter (a link
    to it would break, so callers show plain text instead)."""
    return chapter_pages(root).get(name)


def title(name: str, root: Path | str | None = None) -> str:
    """The chapter's title, from its notebook's metadata (``cityconv.title``)."""
    path = _notebooks_dir(root) / f"{page(name, root)}.ipynb"
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return str(metadata.get("cityconv", {}).get("title") or name.replace("-", " ").capitalize())
