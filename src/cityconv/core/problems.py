"""One shape for every input problem, so params, data and rules errors all read the same way.

A researcher fixing a file needs: which file, which row (as numbered in the file, header = row 1),
which column, the offending value and what was expected. `str(problem)` gives that on one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object | None = None
    expected: str | None = None
    line: int | None = None  # for text formats such as YAML, where "row" would mislead

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" (got {self.value!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(Exception):
    """Raised with every problem found, so the user can fix them all in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def relative(path: Path, root: Path) -> str:
    """Show paths relative to the project root when possible: shorter and copy-pasteable."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
