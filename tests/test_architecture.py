"""The package's layers (docs/architecture.md): imports point only downwards, and no module cycle exists.

import-linter's contract in pyproject.toml is the rule; `make test` runs it as `lint-imports`, and this
test runs it too so a plain `pytest` cannot pass with the layers broken. grimp (import-linter's graph)
counts imports inside functions as well as those at the top of a module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("core", "data", "methods", "present", "generate", "chapters", "pipeline")


def test_import_linter_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("cityconv")
    assert _cycles(graph) == []


def test_every_module_sits_in_a_layer():
    graph = grimp.build_graph("cityconv")
    loose = sorted(
        m for m in graph.modules
        if m not in ("cityconv", "cityconv.cli") and m.split(".")[1] not in LAYERS
    )
    assert loose == [], f"modules outside the layers: {loose}"


def test_chapter_kernels_do_not_load_the_pipeline():
    """A chapter notebook imports chapters and below only: papermill and the book builder stay out of kernels."""
    code = (
        "import sys\n"
        "import cityconv.chapters.survey, cityconv.chapters.summary, cityconv.chapters.explorers\n"
        "import cityconv.chapters.comparison, cityconv.chapters.recommendations\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('papermill', 'cityconv.pipeline', 'cityconv.cli')))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
