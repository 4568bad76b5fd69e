"""The ward atlas built cold, before and after a change, in one run on the same machine.

Each side is a `git archive` of one commit in its own temporary folder, run with that commit's own
source (`PYTHONPATH=<copy>/src`) and this worktree's `.venv`, so both sides share the libraries and
the machine's load at the time and differ only in the project's code and data. The atlas is every
ward profile without a params file, the two index pages and the city overview (`cityconv run` with
those ids, `--force`): the notebooks the atlas adds to the book, without the Sphinx render.

Usage:  .venv/bin/python benchmarks/atlas_cold.py --base main --head HEAD [--jobs 2] [--sample N] [--rounds R]

`--sample N` runs every k-th profile-only ward (N of them, the same wards on both sides) with the index
pages and the overview, for a busy machine; `--rounds R` alternates base and head R times so both see
the same load, and reports each round.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OPEN_DATA = (REPO / ".." / "shared" / "open-data").resolve()


def export(commit: str, into: Path) -> Path:
    """The commit's tracked files in `into` (no .git, no generated files)."""
    into.mkdir(parents=True)
    archive = into.with_suffix(".tar")
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def atlas_ids(root: Path, sample: int = 0) -> list[str]:
    """Every atlas page's id in that copy (or `sample` of the wards): ward codes no params file covers, the
    indexes, the overview."""
    covered = set()
    for path in (root / "params").glob("*.yml"):
        ward = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("ward") or {}
        covered.add((str(ward.get("boundary_set")), str(ward.get("code"))))
    with (root / "data" / "context" / "wards.csv").open(encoding="utf-8") as f:
        wards = [(r["boundary_set"], r["ward_code"]) for r in csv.DictReader(f) if r["boundary_set"] != "city"]
    codes = [code.lower() for s, code in wards if (s, code) not in covered]
    if sample:
        step = max(len(codes) // sample, 1)
        codes = codes[::step][:sample]
    return codes + ["atlas-2004-2023", "atlas-2023", "atlas-overview"]


def timed_run(root: Path, ids: list[str], jobs: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "CITYCONV_OPEN_DATA": str(OPEN_DATA)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from cityconv.cli import main; main()", "run", *ids, "--force",
                           "--jobs", jobs, "--root", str(root)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"run failed in {root}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    summary = re.findall(r"Runs: .*", done.stdout)
    return seconds, summary[-1] if summary else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--jobs", default="2")
    parser.add_argument("--sample", type=int, default=0, help="Only this many profile-only wards (0: all).")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-cold-") as tmp:
        sides = {name: export(commit, Path(tmp) / name) for name, commit in (("base", args.base), ("head", args.head))}
        commits = {name: subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", c], capture_output=True,
                                        text=True, check=True).stdout.strip() for name, c in (("base", args.base), ("head", args.head))}
        ids = atlas_ids(sides["base"], args.sample)
        assert ids == atlas_ids(sides["head"], args.sample), "the two sides have different atlas wards"
        totals = {"base": 0.0, "head": 0.0}
        for round_ in range(1, args.rounds + 1):
            for name, root in sides.items():
                shutil.rmtree(root / "book" / "generated", ignore_errors=True)  # cold: nothing generated
                shutil.rmtree(root / ".cityconv", ignore_errors=True)
                load = os.getloadavg()[0]
                seconds, summary = timed_run(root, ids, args.jobs)
                totals[name] += seconds
                print(f"round {round_} {name} ({commits[name]}): {len(ids)} notebooks, cold, --jobs {args.jobs}: "
                      f"{seconds:7.1f} s   load average at start {load:.1f}   {summary}", flush=True)
        print(f"ratio head / base over {args.rounds} round(s): {totals['head'] / totals['base']:.2f} (target: at most 1.5)")


if __name__ == "__main__":
    main()
