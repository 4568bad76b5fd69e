"""Record what a notebook actually reads and imports while it runs, so the cache keys on exactly that.

The runner adds two cells to every notebook it executes: one before the template's first cell calls
`start(root)`, one after its last calls `finish()`. In between, a Python audit hook (PEP 578) notes
every file the kernel opens and every folder it lists inside the project; `finish()` adds the
`cityconv` modules the kernel has imported and displays the record as one output with its own MIME
type. The record travels inside the executed notebook (so an executor on another machine returns it
with the notebook); `pipeline.book.finalize_notebook` moves it into the notebook's metadata and drops
the two cells, and the runner stores it in the cache manifest.

Imported by the kernel only through the cells above: chapter code never imports the pipeline.
"""

from __future__ import annotations

import os
import pkgutil
import sys
from pathlib import Path

RECORD_MIME = "application/vnd.cityconv.run-record+json"
RECORDER_TAG = "cityconv-recorder"
#: Project folders whose files are never inputs of a chapter: tools, outputs, caches, the package source
#: (package modules are recorded by import, below).
IGNORED_TOP = (".git", ".venv", ".venv-cffconvert", "_build", "node_modules", ".pytest_cache", "test-artifacts", "src",
               "tests", "docs", "benchmarks", "tools")
WRITE_MODES = ("w", "a", "x", "+")

_state: dict = {"on": False, "root": None, "reads": set(), "listings": set(), "hooked": False}


def _hook(event: str, args: tuple) -> None:
    if not _state["on"]:
        return
    if event == "open":
        path, mode = args[0], args[1]
        if isinstance(path, int) or path is None:
            return
        if isinstance(mode, str) and any(flag in mode for flag in WRITE_MODES):
            return
        if mode is None and isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            return
        _state["reads"].add(os.fspath(path))
    elif event in ("os.listdir", "os.scandir"):
        if _discovering_modules(sys._getframe(1).f_code.co_filename):
            return
        path = args[0]
        if path is None or isinstance(path, int):
            path = "."
        _state["listings"].add(os.fspath(path))


def _discovering_modules(caller: str) -> bool:
    """A folder listed to find importable modules: by the import system filling its cache of a folder
    on sys.path, or by `pkgutil.iter_modules` (frictionless scans sys.path for plugins once per
    process). Not an input (imported modules are recorded by name), and only a kernel's first use does
    it, so keeping it would make a fresh kernel's record differ from a warm one's."""
    return caller.startswith("<frozen importlib") or caller == _PKGUTIL_FILE


_PKGUTIL_FILE = pkgutil.__file__


def start(root: str) -> None:
    """Begin recording (installs the audit hook once per process; a warm kernel reuses it)."""
    if not _state["hooked"]:
        sys.addaudithook(_hook)
        _state["hooked"] = True
    _state.update(on=True, root=str(Path(root).resolve()), reads=set(), listings=set())


PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the installed `cityconv` package
PACKAGE_PREFIX = "package:"


def project_relative(path: str, root: Path) -> str | None:
    """`path` as a project-relative POSIX path if it is a possible input of a chapter, else None.

    Data files inside the package (schemas, prose templates) are inputs too, wherever the package is
    installed: they are written `package:<path inside the package>`. Its modules are recorded by import.
    """
    full = Path(os.path.abspath(path))
    try:
        inside_package = full.relative_to(PACKAGE_DIR)
    except ValueError:
        inside_package = None
    if inside_package is not None:
        if full.suffix in (".py", ".pyc") or "__pycache__" in inside_package.parts:
            return None
        return PACKAGE_PREFIX + inside_package.as_posix()
    try:
        rel = full.relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    if not parts or parts[0] in IGNORED_TOP or "__pycache__" in parts:
        return None
    if any(part.startswith(".") for part in parts):  # temporary and hidden files, .ipynb_checkpoints
        return None
    if parts[:2] == ("book", "generated") and full.suffix == ".ipynb":
        return None  # published chapters are outputs (a chapter's own artifact files are inputs)
    return rel.as_posix()


def cityconv_modules() -> list[str]:
    """The `cityconv` modules this process has imported (the recorder and its package excepted)."""
    return sorted(
        name for name, module in list(sys.modules.items())
        if (name == "cityconv" or name.startswith("cityconv.")) and not name.startswith("cityconv.pipeline")
        and getattr(module, "__file__", None)
    )


def finish() -> dict:
    """Stop recording and display the record (reads, folder listings, modules) as one output."""
    _state["on"] = False
    root = Path(_state["root"])
    reads = sorted({r for p in _state["reads"] if (r := project_relative(p, root))})
    listings = sorted({r for p in _state["listings"] if (r := project_relative(p, root)) is not None})
    record = {"reads": reads, "listings": listings, "modules": cityconv_modules()}
    from IPython.display import display

    display({RECORD_MIME: record, "text/plain": "cityconv run record"}, raw=True)
    return record


def start_cell_source(root: Path) -> str:
    return f"import cityconv.pipeline.recording as _cityconv_recording\n_cityconv_recording.start({str(root)!r})"


FINISH_CELL_SOURCE = "_cityconv_recording.finish()\ndel _cityconv_recording"
