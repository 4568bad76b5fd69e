"""Helpers for tests that need small notebooks written on the fly."""

from __future__ import annotations

from pathlib import Path

import nbformat


def write_template(
    path: Path,
    *,
    title: str,
    parameters: str = 'study_id = "clubmoor"',
    code: list[str] | None = None,
    applies_to: tuple[str, ...] = ("ward",),
    reads: tuple[str, ...] = (),
    parameters_cells: int = 1,
) -> Path:
    """Write a chapter template the way the real ones are written: title, parameters cell, code."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["cityconv"] = {"title": title, "applies_to": list(applies_to), "reads": list(reads)}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
    for _ in range(parameters_cells):
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    for source in code or []:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
