"""Measure the pipeline's run speed on this machine and print ratios from one run.

Not a timed test: machines here are shared and noisy, so we report ratios measured in the same run,
together with a description of the machine and its load while we measured.

Usage:  .venv/bin/python benchmarks/build_speed.py [--jobs 2] [--skip-atlas]

On a scratch copy of the project (without built output) it measures:
- the real book (every ward and study with a params file) cold, with `--executor papermill` (a
  fresh kernel per notebook) and with `--executor warm` (target: warm at least 3× faster);
- a no-op `cityconv run` of the real book right after (target ≤ 1.5 s: planning, validation from
  the validation cache, staleness from the manifest);
- the warm kernel's cost per notebook above the chapter's own work: a notebook that does nothing,
  run repeatedly on one warm kernel (target ≤ 0.3 s);
- warm `--jobs 1` against `--jobs N` (target ≥ 1.8× with 2);
- a Dask LocalCluster (`--executor dask`, no address) against the warm local pool (target: within 15%);
- the atlas-sized book (the real book plus every atlas ward: `cityconv run` with no ids) cold with
  warm kernels, then a no-op run.

With `--before REF` (default `main`) it first compares this tree's code with REF's, in the same run
and interleaved (REF, this, REF, this, ...), so both see the same load on a shared machine: the real
book cold with papermill and with warm kernels, the atlas-sized book cold, and each chapter's time
(the runner's per-notebook seconds in the warm runs, summed over wards). REF's code runs from a
`git archive` of it, on its own notebooks and data, through this environment (PYTHONPATH). With
`--compare-only` the other measurements above are left out.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parents[1]
CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def scratch_project(base: Path, name: str = "project") -> Path:
    """The real project without built output, caches or tools."""
    root = base / name
    ignore = shutil.ignore_patterns(".venv*", "_build", "generated", "node_modules", ".git", "test-artifacts",
                                    "__pycache__", ".pytest_cache", ".cityconv")
    shutil.copytree(ROOT, root, ignore=ignore)
    return root


def real_ids(root: Path) -> list[str]:
    from cityconv.core.params import load_all
    from cityconv.core.paths import Project

    params, _ = load_all(Project(root))
    return sorted(params)


def children_cpu_seconds() -> float:
    """User and system CPU seconds of this process's finished children and their descendants (kernels, workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


LAST_CPU = {"seconds": 0.0}  # CPU seconds of the last `run_cityconv`, with every process it started


def run_cityconv(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Seconds for `cityconv run …` and what it printed (exits on failure); its CPU time goes to LAST_CPU.

    CPU time, unlike elapsed time, hardly depends on what else the machine runs: on a shared machine it
    is the steadier comparison of two versions of the code.
    """
    cpu = children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run([CITYCONV, "run", "--root", str(root), *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    took = time.perf_counter() - started
    LAST_CPU["seconds"] = children_cpu_seconds() - cpu
    if result.returncode != 0:
        sys.exit(f"cityconv run {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return took, result.stdout


def timed(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds for `cityconv run …`, and how many notebooks it executed."""
    took, output = run_cityconv(root, *args, env=env)
    done = re.search(r"Runs: (\d+) done", output)
    return took, int(done.group(1)) if done else 0


RAN = re.compile(r"\] ran\s+(?P<study>[^/\s]+)/(?P<template>\S+)\s+(?P<seconds>[\d.]+)s")


def chapter_seconds(output: str) -> dict[str, float]:
    """Seconds per chapter template, summed over wards, from a run's progress lines."""
    totals: dict[str, float] = defaultdict(float)
    for match in RAN.finditer(output):
        totals[match["template"]] += float(match["seconds"])
    return dict(totals)


def project_at(ref: str, base: Path) -> Path:
    """The project as committed at `ref` (a `git archive`), to run with that commit's code."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    root = base / f"before-{re.sub(r'[^A-Za-z0-9_.-]+', '-', ref)}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def compare(base: Path, ref: str, jobs: str, skip_atlas: bool, row) -> None:
    """REF's code against this tree's, interleaved so both meet the same load."""
    before_root, after_root = project_at(ref, base), scratch_project(base, "after")
    # Each side runs the package from its own copy: editing the tree while this runs changes neither.
    sides = {side: (root, {"PYTHONPATH": str(root / "src")}) for side, root in (("before", before_root),
                                                                              ("after", after_root))}
    ids = real_ids(after_root)
    assert real_ids(before_root) == ids, "the two trees have different wards and studies"
    results: dict[str, dict[str, float]] = {"before": {}, "after": {}}
    chapters: dict[str, dict[str, float]] = {}
    runs = [("papermill", ["--executor", "papermill", *ids]), ("warm", ["--executor", "warm", *ids])]
    if not skip_atlas:
        runs.append(("atlas", ["--executor", "warm"]))
    for name, args in runs:
        for side, (root, env) in sides.items():
            clean(root)
            took, output = run_cityconv(root, "--force", "--jobs", jobs, *args, env=env)
            results[side][name] = took
            results[side][f"{name}-cpu"] = LAST_CPU["seconds"]
            done = re.search(r"Runs: (\d+) done", output)
            results[side][f"{name}-notebooks"] = float(done.group(1)) if done else 0.0
            if name == "warm":
                chapters[side] = chapter_seconds(output)
            row(f"{side:6} ({ref if side == 'before' else 'this tree'}): {name:9} {took:7.1f} s, "
                f"CPU {LAST_CPU['seconds']:7.1f} s ({int(results[side][f'{name}-notebooks'])} notebooks)")
    for side in ("before", "after"):
        r = results[side]
        row(f"{side:6}: real book papermill/warm {r['papermill'] / r['warm']:4.2f}x"
            + (f"; atlas-sized book cold {r['atlas']:6.1f} s, {r['atlas'] / max(r['atlas-notebooks'], 1):.2f} s a notebook"
               if "atlas" in r else ""))
        row(f"{side:6}: real book papermill/warm in CPU time {r['papermill-cpu'] / r['warm-cpu']:4.2f}x")
    for name in [n for n, _ in runs]:
        row(f"after/before, {name:9}: elapsed {results['after'][name] / results['before'][name]:4.2f}, "
            f"CPU {results['after'][f'{name}-cpu'] / results['before'][f'{name}-cpu']:4.2f}")
    row("chapter time in the warm real-book runs (seconds, summed over wards):")
    row(f"  {'template':32} {'before':>7} {'after':>7} {'after/before':>12}")
    for template in sorted(chapters["before"], key=lambda t: -chapters["before"][t]):
        was, now = chapters["before"][template], chapters["after"].get(template, float("nan"))
        row(f"  {template:32} {was:7.1f} {now:7.1f} {now / was:12.2f}")
    was, now = sum(chapters["before"].values()), sum(chapters["after"].values())
    row(f"  {'all chapters':32} {was:7.1f} {now:7.1f} {now / was:12.2f}")


def clean(root: Path) -> None:
    shutil.rmtree(root / "book" / "generated", ignore_errors=True)


def warm_overhead_seconds(base: Path, repeats: int = 20) -> tuple[float, float]:
    """Mean seconds per empty notebook on one warm kernel (after a first run), and for papermill."""
    from cityconv.pipeline.execute import execute_task
    from cityconv.pipeline.tasks import RunTask
    from cityconv.pipeline.warm_kernel import WarmKernel

    (base / "empty" / "params").mkdir(parents=True)
    template = base / "empty" / "notebooks" / "empty.ipynb"
    template.parent.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Empty"))
    nb.cells.append(nbformat.v4.new_code_cell('study_id = "x"', metadata={"tags": ["parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell("pass"))
    nbformat.write(nb, template)
    root = base / "empty"
    task = RunTask(root=root, study_id="x", study_title="X", data_status="observed", banner=False,
                   template_id="empty", template_title="Empty", template_path=template,
                   params_path=root / "params" / "x.yml", output_path=root / "book" / "generated" / "x" / "empty.ipynb",
                   parameters={"study_id": "x"})
    kernel = WarmKernel(recycle_after=repeats + 5)
    try:
        assert kernel.run(task).status == "done"  # starts and warms the kernel
        started = time.perf_counter()
        for _ in range(repeats):
            assert kernel.run(task).status == "done"
        warm = (time.perf_counter() - started) / repeats
    finally:
        kernel.shutdown()
    started = time.perf_counter()
    for _ in range(3):
        assert execute_task(task, publish=False).status == "done"
    fresh = (time.perf_counter() - started) / 3
    return warm, fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-atlas", action="store_true", help="Leave out the atlas-sized book.")
    parser.add_argument("--before", default="main", help="Git ref to compare this tree's code with ('' for none).")
    parser.add_argument("--compare-only", action="store_true", help="Only the comparison with --before.")
    args = parser.parse_args()
    jobs = str(args.jobs)
    loads = [os.getloadavg()[0]]
    rows: list[str] = []

    def row(text: str) -> None:
        rows.append(text)
        loads.append(os.getloadavg()[0])
        print(text, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.before:
            compare(base, args.before, jobs, args.skip_atlas, row)
        if args.compare_only:
            report_machine(loads)
            return
        root = scratch_project(base)
        ids = real_ids(root)
        papermill, n = timed(root, "--force", "--jobs", jobs, "--executor", "papermill", *ids)
        row(f"real book ({n} notebooks), cold, papermill, --jobs {jobs}:  {papermill:7.1f} s")
        clean(root)
        warm, _ = timed(root, "--force", "--jobs", jobs, "--executor", "warm", *ids)
        row(f"real book, cold, warm, --jobs {jobs}:                    {warm:7.1f} s   papermill/warm {papermill / warm:4.2f}x")
        noop_real, executed = timed(root, "--jobs", jobs, *ids)
        row(f"real book, no-op `cityconv run` ({executed} executed):  {noop_real:7.2f} s   (target <= 1.5 s)")
        per_warm, per_fresh = warm_overhead_seconds(base)
        row(f"empty notebook on a warm kernel:                    {per_warm:7.2f} s   (fresh papermill kernel {per_fresh:.2f} s)")
        sequential, _ = timed(root, "--force", "--jobs", "1", "--executor", "warm", *ids)
        row(f"real book, warm, --jobs 1:                          {sequential:7.1f} s   jobs1/jobs{jobs} {sequential / warm:4.2f}x")
        dask, _ = timed(root, "--force", "--jobs", jobs, "--executor", "dask", *ids)
        row(f"real book, Dask LocalCluster, {jobs} workers:            {dask:7.1f} s   dask/warm {dask / warm:4.2f}")
        if not args.skip_atlas:
            clean(root)
            atlas, m = timed(root, "--force", "--jobs", jobs)
            row(f"atlas-sized book ({m} notebooks), cold, warm:      {atlas:7.1f} s   {atlas / max(m, 1):.2f} s per notebook")
            noop, k = timed(root, "--jobs", jobs)
            row(f"atlas-sized book, no-op ({k} executed):             {noop:7.1f} s   ratio to cold {noop / atlas:5.3f}")

    report_machine(loads)


def report_machine(loads: list[float]) -> None:
    memory = psutil.virtual_memory().total / 2**30
    print(f"machine: {platform.platform()}; Python {platform.python_version()}; {os.cpu_count()} cores; "
          f"{memory:.0f} GiB")
    print(f"1-minute load average while measuring: {min(loads):.1f}–{max(loads):.1f} "
          f"(shared machine: other engineers' work was running)")


if __name__ == "__main__":
    main()
