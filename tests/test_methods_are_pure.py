"""methods/ holds pure functions (docs/architecture.md): no file or environment access.

Files are read in data/ (e.g. the PII screen's deny-list, `cityconv.data.denylist`) and pipeline/, and
passed in; a method that opened a file or read an environment variable could not be tested or reused
on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

METHODS = sorted((Path(__file__).resolve().parents[1] / "src" / "cityconv" / "methods").glob("*.py"))
#: Modules whose import means file or environment access.
FORBIDDEN_MODULES = {"os", "pathlib", "io", "shutil", "glob", "tempfile"}
#: Calls that read or write files, whatever object they are called on.
FORBIDDEN_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "read_csv", "read_excel",
                   "to_csv", "to_excel", "getenv"}


def file_access(source: str) -> list[str]:
    """Where `source` imports a file-access module or calls a file-reading function, as "line N: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: {name}(...)")
    return found


@pytest.mark.parametrize("module", METHODS, ids=[m.stem for m in METHODS])
def test_methods_do_not_touch_files(module: Path):
    assert file_access(module.read_text(encoding="utf-8")) == [], module.name


def test_the_check_sees_file_access():
    source = "import os\nfrom pathlib import Path\nx = open('f')\ny = frame.to_csv('f')\n"
    assert file_access(source) == ["line 1: import os", "line 2: from pathlib import ...", "line 3: open(...)",
                                   "line 4: to_csv(...)"]
