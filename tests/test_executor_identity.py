"""Identical chapters from every executor: papermill, warm kernels and a Dask cluster on 127.0.0.1 (a
scheduler and two workers started as separate processes).

Executor identity is checked on the small fixture project (tests/nbtools.py, with a chapter that draws
a table and two figures) in every tier that runs slow tests; the real templates' identity between a fresh
kernel and the warm pool is checked on one real ward against the session's real book (its warm build,
tests/real_book.py): one chapter of each kind the ward templates make (`REAL_TEMPLATES`) runs a second
time, with papermill, and nothing else of the real book.

The workers run in folders of their own: tasks carry their input files and the coordinator
publishes, so they never use the project's disk. Chapters are compared after removing what
differs in any two runs (times, temporary paths, random cell ids, the kernel's process id).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from cityconv.core.paths import Project
from cityconv.pipeline.dask_executor import PLUGIN_NAME
from cityconv.pipeline.warm_kernel import RECYCLE_AFTER
from nbtools import write_template
from real_book import ATLAS_SAMPLE_ENV, build_environment

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CITYCONV = str(BIN / "cityconv")


def real_ids() -> list[str]:
    """Every ward and study with a params file: the real book without the atlas's profile-only wards."""
    from cityconv.core.params import load_all

    params, problems = load_all(Project(REPO))
    assert not problems
    return sorted(params)


#: The real book's ward whose chapters are run again with papermill (synthetic data, every ward template).
REAL_WARD = "anfield"

#: The ward templates run again on fresh kernels: one of each kind of chapter, and every kind of output.
#: Every ward template is built the same way (the chapter loader, a module of `cityconv.chapters`,
#: `cityconv.present`'s `show`/`md` and the house style; no template imports a library of its own), and
#: the warm kernel's reset (`warm_kernel.reset_kernel_state`) is the same for each, so a chapter adds
#: coverage through what it produces, not through its name. The other seven (evidence gathering, who took
#: part, social media, practitioners, sense check, principles audit, recommendations: a loader, a
#: chapter module, tables, a chart, prose) produce nothing the five below do not, and each ran on the
#: warm pool in the session's build (tests/realbook/test_real_book_runs.py: without an error, every code
#: cell run, its outputs kept). Each kept chapter is
#: compared with what the warm pool made of it after whichever chapters happened to run before it in
#: the same kernel, which is where a leak of state would show.
REAL_TEMPLATES = {
    "00-executive-summary.ipynb": "prose from the findings artifact (statistics in words, seeded p-values)",
    "01-ward-profile.ipynb": "Census only, no records: many tables and five figures, no synthetic banner",
    "03-residents-survey.ipynb": "survey charts, tables with withheld [c] cells, CSV downloads, Monte Carlo p-values",
    "05-interviews.ipynb": "qualitative records: themes and quotations (text tables)",
    "11-ward-findings.ipynb": "an artifact, not a page: the ward's findings JSON",
}

#: A fixture chapter with what real chapters show: text, an HTML table and two PNG figures.
FIGURES = [
    "import pandas as pd, matplotlib.pyplot as plt, seaborn as sns",
    "print('hello', study_id)\nframe = pd.DataFrame({'ward': ['a', 'b', 'c'], 'share': [0.125, 0.5, 0.375]})\nframe",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.bar(frame.ward, frame.share)\nax.set_title('Shares')\nplt.show()",
    "sns.barplot(data=frame, x='ward', y='share')\nplt.show()",
]


def scratch_copy(base: Path) -> Path:
    root = base / "project"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(
        ".venv*", "_build", "generated", "node_modules", ".git", "test-artifacts", "__pycache__", ".pytest_cache",
        ".cityconv"))
    return root


def normalised_chapters(root: Path) -> dict[str, str]:
    chapters = {}
    for path in sorted((root / "book" / "generated").rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".json" and path.name != "manifest.json":  # artifacts; the manifest repeats the records
            chapters[rel] = path.read_text(encoding="utf-8")
        if path.suffix != ".ipynb" or path.name.startswith("."):
            continue
        nb = nbformat.read(path, as_version=4)
        for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
            nb.metadata.get("papermill", {}).pop(key, None)
        nb.metadata.get("cityconv", {}).pop("run_date", None)
        for cell in nb.cells:
            cell.pop("id", None)
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            if "cityconv-provenance" in cell.metadata.get("tags", []):
                cell.source = "\n".join(line for line in cell.source.splitlines() if "**Run:**" not in line)
        listings = nb.metadata.get("cityconv", {}).get("record", {}).get("listings", [])
        nb.metadata.get("cityconv", {}).get("record", {})["listings"] = [
            name for name in listings if not is_import_scan(name)]
        text = json.dumps(nb, sort_keys=True, indent=1)  # not nbformat.writes: it would add new random ids
        chapters[rel] = re.sub(r"ipykernel_\d+", "ipykernel_PID", text)
    return chapters


def is_import_scan(listing: str) -> bool:
    """A top-level project folder in a run record's listings.

    A fresh kernel lists them while a library scans `sys.path` (which holds the project root) on its
    first import; a warm kernel imported that library once, before any notebook, so its records do not
    have them. No chapter reads a top-level folder's listing, so the difference changes no page.
    """
    return "/" not in listing and not listing.startswith("package:")


def import_scans(root: Path, study: str = "*") -> set[str]:
    found = set()
    generated = root / "book" / "generated"
    for path in (generated.rglob("*.ipynb") if study == "*" else generated.glob(f"{study}/*.ipynb")):
        if not path.name.startswith("."):
            record = nbformat.read(path, as_version=4).metadata.get("cityconv", {}).get("record", {})
            found |= {name for name in record.get("listings", []) if is_import_scan(name)}
    return found


def run(root: Path, ids: list[str], *args: str, jobs: int = 1, force: bool = True) -> subprocess.CompletedProcess:
    """`cityconv run` of `ids`. One worker unless asked: a warm worker then runs every notebook on one
    kernel (the most notebooks a kernel carries state across), and the warm pool of two workers is the
    session's real-book build (`--jobs 2`), which `test_a_real_ward_identical_…` compares with papermill."""
    force_flag = ["--force"] if force else []
    result = subprocess.run([CITYCONV, "run", "--root", str(root), *force_flag, "--jobs", str(jobs), *args, *ids],
                            capture_output=True, text=True, timeout=3600,
                            env=build_environment())  # as the session's real book was built
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


#: Dask's own housekeeping timers, slowed for the test cluster (an event-loop tick every 20 ms, a system
#: monitor every 0.5 s and a memory monitor every 0.1 s per process, by default): idle, the cluster then
#: spends about half the CPU. They time nothing our executor relies on (tasks, heartbeats and work
#: stealing keep their defaults).
QUIET_DASK = {"DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
              "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
              "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s"}


@contextlib.contextmanager
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(address, folder): `dask scheduler` and two `dask worker ADDRESS` processes on loopback, each in
    a folder of its own under `folder` (outside the project), ended on leaving the block.

    A context, not a fixture, so that the cluster lives only around the steps that use it: idle, a
    scheduler and two workers (with their nannies) spend about 8 CPU s a minute on their own event loops
    and monitors (4 with QUIET_DASK), which over the warm and papermill runs came to more than the Dask
    run itself (the test: 69 -> 43 CPU s)."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, **QUIET_DASK}
    processes = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for n in (1, 2):
            folder = tmp_path / f"worker-{n}"
            folder.mkdir()
            processes.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--local-directory", str(folder), "--name", f"w{n}"],
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
        yield address, tmp_path
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
def test_fixture_chapters_identical_from_warm_papermill_and_dask_over_loopback(mini_project: Path,
                                                                             tmp_path_factory) -> None:
    root = mini_project
    write_template(root / "notebooks" / "03-figures.ipynb", title="Figures", code=FIGURES)
    ids = ["alpha", "beta"]
    run(root, ids, "--executor", "warm")
    warm = normalised_chapters(root)
    warm_scans = import_scans(root)

    papermill = run(root, ids, "--executor", "papermill")
    reference = normalised_chapters(root)
    count = sum(path.endswith(".ipynb") for path in reference)
    assert count == 6 and f"Runs: {count} done, 0 skipped (unchanged), 0 failed" in papermill.stdout
    assert warm_scans <= import_scans(root)  # the warm records hold only listings a fresh kernel makes too
    assert sorted(warm) == sorted(reference)
    assert [p for p in reference if warm[p] != reference[p]] == []

    with dask_cluster(tmp_path_factory.mktemp("dask")) as (address, workers):  # started only now (dask_cluster)
        on_dask = run(root, ids, "--executor", "dask", "--scheduler", address, jobs=2)  # both workers
        # Each worker kept its warm kernel across notebooks (one start each, a second if recycled).
        from distributed import Client

        with Client(address, timeout="60s") as client:
            starts = client.run(lambda dask_worker: sum(kernel.starts for kernel in
                                                        dask_worker.plugins[PLUGIN_NAME].kernels.values()))
        # The workers built in their own scratch folders and cleaned them; nothing of theirs remains.
        assert not list((workers / "worker-1").rglob("*.ipynb")) and not list((workers / "worker-2").rglob("*.ipynb"))
    dask = normalised_chapters(root)
    assert [p for p in reference if dask[p] != reference[p]] == []
    assert f"Runs: {count} done" in on_dask.stdout
    assert 1 <= sum(starts.values()) <= 2 + count // RECYCLE_AFTER, starts
    # The cache then sees the Dask-built chapters as current (the recorded reads came back with them).
    # In this process: a run that finds everything current starts no worker and no kernel.
    from typer.testing import CliRunner

    from cityconv import cli

    again = CliRunner().invoke(cli.app, ["run", "--root", str(root), *ids], env=ATLAS_SAMPLE_ENV)  # as `run` ran them
    assert again.exit_code == 0 and f"Runs: 0 done, {count} skipped" in again.stdout, again.output


@pytest.mark.slow
@pytest.mark.realbook
def test_a_real_ward_identical_from_papermill_and_the_warm_pool(tmp_path: Path, real_book: Path) -> None:
    """The real templates (their figures, findings artifacts, seeds) on fresh kernels equal the session's
    warm build: one chapter of each kind (`REAL_TEMPLATES`) of one real ward.

    The session's chapters are copied in, current; the chosen ones are removed, so that a plain run (no
    `--force`) makes exactly those again, with papermill, and skips every other as unchanged."""
    assert REAL_WARD in real_ids()
    root = scratch_copy(tmp_path)
    built = real_book / "book" / "generated"
    for name in real_ids():  # the other studies' chapters, current, so that only the chosen ones run
        if (built / name).is_dir():
            shutil.copytree(built / name, root / "book" / "generated" / name)
    shutil.copy2(built / "manifest.json", root / "book" / "generated" / "manifest.json")
    ward = root / "book" / "generated" / REAL_WARD
    templates = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")
                       if "ward" in nbformat.read(p, as_version=4).metadata.get("cityconv", {}).get("applies_to", []))
    assert set(REAL_TEMPLATES) <= set(templates), "a template named in REAL_TEMPLATES is gone"
    chosen = [f"book/generated/{REAL_WARD}/{name}" for name in REAL_TEMPLATES]
    warm_all = normalised_chapters(root)
    warm = {p: warm_all[p] for p in chosen}
    warm_scans = import_scans(root, REAL_WARD)
    for name in REAL_TEMPLATES:
        (ward / name).unlink()
    papermill = run(root, [REAL_WARD], "--executor", "papermill", force=False)
    reference_all = normalised_chapters(root)
    reference = {p: reference_all[p] for p in chosen}
    others = len(templates) - len(chosen)
    assert f"Runs: {len(chosen)} done, {others} skipped (unchanged), 0 failed" in papermill.stdout, papermill.stdout
    assert warm_scans <= import_scans(root, REAL_WARD)  # the warm records hold only listings a fresh kernel makes too
    assert [p for p in reference if warm[p] != reference[p]] == []
    # The findings artifact made again on a fresh kernel equals the warm one too (so does the skipped rest).
    assert {p: t for p, t in reference_all.items() if p.endswith(".json")} == \
        {p: t for p, t in warm_all.items() if p.endswith(".json")}
