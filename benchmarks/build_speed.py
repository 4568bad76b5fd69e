"""Measure the pipeline's build speed on this machine and print ratios from one run.

Not a timed test: machines here are shared and noisy, so we report ratios measured in the same run
(a no-op rebuild against a cold build, sequential against parallel, our per-notebook cost against
papermill running an empty notebook), together with a description of the machine.

Usage:  .venv/bin/python benchmarks/build_speed.py [--wards 4] [--jobs 2]

It works on a scratch copy of the project in a temporary folder: the real book (every ward and
study in params/) plus N more copies of the Clubmoor data as wards `bench-1` … `bench-N`.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

ROOT = Path(__file__).resolve().parents[1]
CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def scratch_project(base: Path, wards: int) -> Path:
    """The real project (without built output) plus `wards` extra copies of Clubmoor's data."""
    root = base / "project"
    ignore = shutil.ignore_patterns(".venv*", "_build", "generated", "node_modules", ".git", "test-artifacts",
                                    "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, root, ignore=ignore)
    source = (ROOT / "params" / "clubmoor.yml").read_text(encoding="utf-8")
    for i in range(1, wards + 1):
        ward = f"bench-{i}"
        shutil.copytree(ROOT / "data" / "clubmoor", root / "data" / ward)
        text = source.replace("id: clubmoor", f"id: {ward}").replace("title: Clubmoor", f"title: Bench {i}")
        (root / "params" / f"{ward}.yml").write_text(text.replace("data/clubmoor", f"data/{ward}"), encoding="utf-8")
    return root


def timed(*args: str, root: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([CITYCONV, *args, "--root", str(root)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cityconv {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - started


def _count_runs(root: Path) -> int:
    from cityconv.core.paths import Project
    from cityconv.pipeline.runner import build_plan

    return len(build_plan(Project(root)).tasks)


def empty_notebook_seconds(base: Path, repeats: int = 3) -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"tags": ["parameters"]}))
    path = base / "empty.ipynb"
    nbformat.write(nb, path)
    started = time.perf_counter()
    for _ in range(repeats):
        papermill.execute_notebook(str(path), str(base / "empty-out.ipynb"), progress_bar=False, kernel_name="python3")
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = scratch_project(base, args.wards)
        notebooks = _count_runs(root)
        cold = timed("build", "--jobs", str(args.jobs), root=root)
        noop = timed("build", root=root)
        changed_file = root / "data" / "bench-1" / "README.md"
        changed_file.write_text(changed_file.read_text(encoding="utf-8") + "\nchanged\n", encoding="utf-8")
        one_ward = timed("build", root=root)
        sequential = timed("run", "--force", "--jobs", "1", root=root)
        parallel = timed("run", "--force", "--jobs", str(args.jobs), root=root)
        empty = empty_notebook_seconds(base)

    print(f"machine: {platform.platform()}; Python {platform.python_version()}; {os.cpu_count()} cores")
    print(f"workload: the real book + {args.wards} copies of Clubmoor = {notebooks} notebooks; --jobs {args.jobs}")
    print(f"cold build (run + render):      {cold:7.1f} s")
    print(f"no-op rebuild:                  {noop:7.1f} s   ratio to cold {noop / cold:5.2f}")
    print(f"one ward's data changed:        {one_ward:7.1f} s   ratio to cold {one_ward / cold:5.2f}")
    print(f"run all, --jobs 1:              {sequential:7.1f} s")
    print(f"run all, --jobs {args.jobs}:              {parallel:7.1f} s   speed-up {sequential / parallel:4.2f}x")
    print(f"per notebook, sequential:       {sequential / notebooks:7.2f} s")
    print(f"papermill, empty notebook:      {empty:7.2f} s   our per-notebook cost is {sequential / notebooks / empty:4.1f}x")


if __name__ == "__main__":
    main()
