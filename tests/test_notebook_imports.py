"""The layers contract for the template notebooks, which import-linter cannot see.

import-linter reads the package's modules only, so a notebook importing `cityconv.pipeline` (the layer
that runs notebooks) went unnoticed. A chapter kernel sits at the chapters layer: its cityconv imports
may come only from the layers a chapter module may use. Parsing the code cells here is simpler and
clearer than generating Python copies of the notebooks for import-linter to read.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: What a chapter kernel may import: the chapters layer and everything below it except generate/,
#: which makes data rather than reading it (as docs/architecture.md says).
ALLOWED = {"chapters", "present", "methods", "data", "core"}


def _python(source: str) -> str:
    """A cell's source without IPython magics and shell escapes, which are not Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def cityconv_imports(notebook: Path) -> list[tuple[int, str]]:
    """(code cell number, from 1) and the cityconv subpackage each import in the notebook names."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    found = []
    for number, cell in enumerate(code, start=1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for node in ast.walk(ast.parse(_python(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = ([f"cityconv.{alias.name}" for alias in node.names] if node.module == "cityconv"
                         else [node.module])
            else:
                continue
            found += [(number, name.split(".")[1]) for name in names
                      if name.startswith("cityconv.") and len(name.split(".")) > 1]
    return found


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) > 10


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_imports_only_chapter_layers(notebook: Path):
    bad = [f"{notebook.name}, code cell {cell}: imports cityconv.{layer}"
           for cell, layer in cityconv_imports(notebook) if layer not in ALLOWED]
    assert not bad, "; ".join(bad) + f" — a chapter kernel may import only cityconv.{{{', '.join(sorted(ALLOWED))}}}"


def test_the_check_sees_a_layer_break(tmp_path: Path):
    notebook = tmp_path / "99-bad.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ["%matplotlib inline\n", "from cityconv.pipeline.book import finalize_notebook\n",
                       "import cityconv.present\n", "from cityconv import cli"]}
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert cityconv_imports(notebook) == [(1, "pipeline"), (1, "present"), (1, "cli")]
