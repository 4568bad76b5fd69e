"""Limits on every input we read, checked before parsing, and the one safe way to open an input file.

Why: a 380-byte YAML alias bomb, a 60 MB params file, a FIFO named `quotes.csv` or a symlink to
`/etc/passwd` must each end in a one-line problem naming the file and the limit, not in a hang, a
traceback or another file's content in a message. Every limit can be raised with an environment
variable (see docs/limits.md); the message names it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cityconv.core.problems import Problem, relative


@dataclass(frozen=True)
class Limit:
    """One input limit: a default, the environment variable that raises it, and what it counts."""

    env: str
    default: int
    unit: str

    @property
    def value(self) -> int:
        """The limit in force: the environment variable when it holds a positive whole number."""
        text = os.environ.get(self.env, "").strip()
        return int(text) if text.isdigit() and 0 < len(text) < 19 and int(text) > 0 else self.default

    def exceeded(self, what: str) -> str:
        """The message for input beyond the limit, with how to raise it."""
        return f"{what} is over the limit of {self.value:,} {self.unit} (raise it with the environment variable {self.env})"


YAML_BYTES = Limit("CITYCONV_MAX_YAML_BYTES", 1_000_000, "bytes")
YAML_DEPTH = Limit("CITYCONV_MAX_YAML_DEPTH", 40, "levels of nesting")
YAML_NODES = Limit("CITYCONV_MAX_YAML_NODES", 200_000, "values once aliases are expanded")
CSV_BYTES = Limit("CITYCONV_MAX_CSV_BYTES", 200_000_000, "bytes")
CELL_CHARS = Limit("CITYCONV_MAX_CELL_CHARS", 131_072, "characters in one cell")
WORKBOOK_BYTES = Limit("CITYCONV_MAX_WORKBOOK_BYTES", 50_000_000, "bytes")
WORKBOOK_UNCOMPRESSED_BYTES = Limit("CITYCONV_MAX_WORKBOOK_UNCOMPRESSED_BYTES", 200_000_000, "bytes uncompressed")
WORKBOOK_PARTS = Limit("CITYCONV_MAX_WORKBOOK_PARTS", 500, "parts")
WORKBOOK_ROWS = Limit("CITYCONV_MAX_WORKBOOK_ROWS", 100_000, "rows in one sheet")
WORKBOOK_COLUMNS = Limit("CITYCONV_MAX_WORKBOOK_COLUMNS", 500, "columns in one sheet")
MAX_PROBLEMS = Limit("CITYCONV_MAX_PROBLEMS", 100, "problems per file")
NOTEBOOK_SECONDS = Limit("CITYCONV_NOTEBOOK_TIMEOUT", 600, "seconds")

ALL_LIMITS = (YAML_BYTES, YAML_DEPTH, YAML_NODES, CSV_BYTES, CELL_CHARS, WORKBOOK_BYTES,
              WORKBOOK_UNCOMPRESSED_BYTES, WORKBOOK_PARTS, WORKBOOK_ROWS, WORKBOOK_COLUMNS, MAX_PROBLEMS,
              NOTEBOOK_SECONDS)


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def input_name(path: Path, root: Path) -> str:
    """A file as named in messages: relative to the project as written, without following links."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(root)))
    except ValueError:
        return relative(path, root)


def file_problem(path: Path, root: Path, limit: Limit) -> Problem | None:
    """Why `path` must not be read as an input file, or None when it may.

    Refused: a missing path, anything but a regular file (folder, named pipe, device), a file in the
    project that is a link leading out of it (its target is never opened, so its content cannot leak
    into a message) and a file bigger than `limit`. A file named outside the project on the command
    line (an export in Downloads) is read where it is.
    """
    name = input_name(path, root)
    path = Path(path)
    try:
        written_inside = Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root))
        if written_inside and not path.resolve().is_relative_to(Path(root).resolve()):
            return Problem(name, "a link to a file outside the project; refused",
                           expected="the file itself inside the project, not a link out of it")
        info = path.stat()
    except FileNotFoundError:
        return Problem(name, "file not found")
    except OSError as exc:
        return Problem(name, f"cannot be read: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return Problem(name, f"is {_kind_of(info.st_mode)}, not a file", expected="a regular file")
    if info.st_size > limit.value:
        return Problem(name, limit.exceeded(f"the file's size ({info.st_size:,} bytes)"))
    return None


def read_input_bytes(path: Path, root: Path, limit: Limit) -> tuple[bytes | None, list[Problem]]:
    """An input file's bytes after the checks of `file_problem`, or the problem that refused it.

    Opened without blocking and checked again on the open file, so a pipe swapped in after the check
    cannot hang the read; NUL bytes are refused (no text input of ours holds one).
    """
    problem = file_problem(path, root, limit)
    if problem is not None:
        return None, [problem]
    name = input_name(path, root)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, [Problem(name, f"cannot be read: {exc.strerror or exc}")]
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, [Problem(name, "is not a regular file", expected="a regular file")]
        data = handle.read(limit.value + 1)
    if len(data) > limit.value:
        return None, [Problem(name, limit.exceeded("the file's size"))]
    nul = data.find(b"\0")
    if nul >= 0:
        return None, [Problem(name, f"holds a NUL byte (at byte {nul})", line=data.count(b"\n", 0, nul) + 1,
                              expected="plain text without NUL bytes")]
    return data, []


def yaml_shape_problem(events: Any, name: str) -> Problem | None:
    """Walk a YAML file's parser events (nothing is built yet) and refuse too deep or too big a tree.

    Aliases are counted at the size of the node they stand for, so a few hundred bytes of nested
    aliases that would expand to billions of values are refused before anything is expanded.
    """
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        ScalarEvent,
    )

    max_depth, max_nodes = YAML_DEPTH.value, YAML_NODES.value
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, values inside so far] for every open mapping or sequence
    total = 0
    for event in events:
        line = event.start_mark.line + 1 if getattr(event, "start_mark", None) else None
        count = 0
        if isinstance(event, CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > max_depth:
                return Problem(name, YAML_DEPTH.exceeded("the nesting"), line=line)
            total += 1
        elif isinstance(event, CollectionEndEvent):
            anchor, count = stack.pop()
            if anchor:
                sizes[anchor] = count
        elif isinstance(event, ScalarEvent):
            count = 1
            total += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            count = sizes.get(event.anchor, 1)
            total += count
        if count and stack:
            stack[-1][1] += count
        if total > max_nodes:
            return Problem(name, YAML_NODES.exceeded("the document (aliases expanded)"), line=line)
    return None


def capped(problems: list[Problem], name: str) -> list[Problem]:
    """The first MAX_PROBLEMS problems and one line counting the rest: a broken file of a million
    rows must not print a million lines."""
    limit = MAX_PROBLEMS.value
    if len(problems) <= limit:
        return problems
    rest = len(problems) - limit
    return problems[:limit] + [Problem(name, f"… and {rest:,} more problem(s) not shown "
                                             f"(the first {limit:,} are listed; raise with {MAX_PROBLEMS.env})")]


_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex", "macrosheets/")
_MACRO_TYPES = ("macroenabled", "vbaproject", "macrosheet")


def workbook_problem(path: Path, root: Path) -> Problem | None:
    """Why an .xlsx must not be opened, found from its zip directory before any part is parsed.

    Refused: anything but a regular file inside the project, more than WORKBOOK_BYTES on disk, not a
    zip, more than WORKBOOK_PARTS parts or WORKBOOK_UNCOMPRESSED_BYTES once unpacked (a zip bomb),
    macros (.xlsm content or a vbaProject.bin renamed .xlsx) and links to other workbooks.
    """
    import zipfile

    problem = file_problem(path, root, WORKBOOK_BYTES)
    if problem is not None:
        return problem
    name = input_name(path, root)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            content_types = ""
            if len(parts) <= WORKBOOK_PARTS.value:
                types = next((p for p in parts if p.filename == "[Content_Types].xml"), None)
                if types is not None and types.file_size <= 1_000_000:
                    content_types = archive.read(types).decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return Problem(name, f"cannot be read as an Excel workbook ({type(exc).__name__})",
                       expected="an .xlsx file saved by Excel or LibreOffice")
    if len(parts) > WORKBOOK_PARTS.value:
        return Problem(name, WORKBOOK_PARTS.exceeded(f"the workbook's part count ({len(parts):,})"))
    unpacked = sum(p.file_size for p in parts)
    if unpacked > WORKBOOK_UNCOMPRESSED_BYTES.value:
        return Problem(name, WORKBOOK_UNCOMPRESSED_BYTES.exceeded(f"the workbook unpacked ({unpacked:,} bytes)"))
    lowered = [p.filename.lower() for p in parts]
    if any(part in f for f in lowered for part in _MACRO_PARTS) or any(t in content_types for t in _MACRO_TYPES):
        return Problem(name, "holds macros (a macro-enabled workbook); refused",
                       expected="an .xlsx without macros: save it as 'Excel Workbook (.xlsx)'")
    if any(f.startswith("xl/externallinks/") for f in lowered) or "externallink" in content_types:
        return Problem(name, "links to another workbook (an external link); refused",
                       expected="values only: in Excel use Data > Edit Links > Break Link, then save")
    return None


def limited_rows(worksheet: Any, where: str) -> tuple[list[list[Any]] | None, list[Problem]]:
    """A read-only worksheet's rows as written (the declared dimension is ignored), within the row
    and column limits; the rows are counted while they are read, so a huge sheet stops early."""
    worksheet.reset_dimensions()  # a sheet may declare A1:XFD1048576 and hold three cells
    max_rows, max_columns = WORKBOOK_ROWS.value, WORKBOOK_COLUMNS.value
    records: list[list[Any]] = []
    for row in worksheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if len(values) > max_columns:
            return None, [Problem(where, WORKBOOK_COLUMNS.exceeded("the sheet's width"), row=len(records) + 1)]
        records.append(values)
        if len(records) > max_rows:
            return None, [Problem(where, WORKBOOK_ROWS.exceeded("the sheet's length"))]
    while records and not records[-1]:
        records.pop()
    return records, []


def csv_records(text: str, where: str, delimiter: str = ",") -> tuple[list[list[str]] | None, list[Problem]]:
    """CSV text as rows of cells, or the problem that stopped it: a cell over CELL_CHARS (the csv
    module's own limit would end in a traceback) or text the csv module cannot read."""
    parsed, problems = csv_records_with_lines(text, where, delimiter)
    return (None if parsed is None else [cells for cells, _ in parsed]), problems


def csv_records_with_lines(text: str, where: str, delimiter: str = ",") -> tuple[list[tuple[list[str], int]] | None, list[Problem]]:
    """As `csv_records`, each record with the physical line it ends on (a quoted cell may span lines),
    so a position in the text can be named by its record."""
    import csv
    import io

    previous = csv.field_size_limit(CELL_CHARS.value)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[list[str], int]] = []
    try:
        for cells in reader:
            records.append((cells, reader.line_num))
        return records, []
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return None, [Problem(where, CELL_CHARS.exceeded("a cell"), row=len(records) + 1)]
        return None, [Problem(where, f"cannot be read as CSV: {exc}", row=len(records) + 1)]
    finally:  # cells within the limit must also pass the csv readers that run after this check
        csv.field_size_limit(max(previous, CELL_CHARS.value))
