"""Ctrl-C trials: start `cityconv run` on a small fixture project, press Ctrl-C while notebooks run,
and check each time that it exits within 5 s with code 130, no traceback and no process left; every
other trial presses Ctrl-C a second time at once, which must exit just as quietly.

    .venv/bin/python tools/sigint_trials.py --trials 50

Prints one line per trial and a closing `N passed, N failed` line; exits 1 if any trial failed.
The result of the last full run is recorded in docs/limits.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from nbtools import make_mini_project, write_template  # noqa: E402  (the tests' fixture project)

CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def running_notebooks(root: Path) -> int:
    generated = root / "book" / "generated"
    return len(list(generated.rglob(".*.running.ipynb"))) if generated.exists() else 0


def trial(root: Path, twice: bool) -> tuple[bool, str]:
    """One Ctrl-C (to the whole process group, as a terminal sends it); (passed, what happened)."""
    run = subprocess.Popen([CITYCONV, "run", "--root", str(root), "--force", "--jobs", "2"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while running_notebooks(root) < 2:
        if run.poll() is not None or time.monotonic() > deadline:
            run.kill()
            return False, "the notebooks never started"
        time.sleep(0.2)
    time.sleep(0.5)
    family = psutil.Process(run.pid).children(recursive=True)
    pressed = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)
    if twice:
        time.sleep(0.1)
        os.killpg(run.pid, signal.SIGINT)
    try:
        _, err = run.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        run.kill()
        return False, "still running 30 s after Ctrl-C"
    took = time.monotonic() - pressed
    time.sleep(0.2)
    left = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    problems = []
    if took > 5:
        problems.append(f"took {took:.1f} s")
    if run.returncode != 130:
        problems.append(f"exit {run.returncode}")
    if "Traceback" in err or "KeyboardInterrupt" in err:
        problems.append("printed a traceback")
    if left:
        problems.append(f"{len(left)} process(es) left")
    return not problems, f"{took:.1f} s, exit {run.returncode}" + (f" — {'; '.join(problems)}" if problems else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_mini_project(Path(tmp))
        write_template(root / "notebooks" / "02-arithmetic.ipynb", title="Arithmetic",
                       code=["import time\ntime.sleep(120)", "print('slept')"])
        passed = 0
        for number in range(1, args.trials + 1):
            twice = number % 2 == 0
            ok, what = trial(root, twice)
            passed += ok
            print(f"trial {number:2d} ({'Ctrl-C twice' if twice else 'Ctrl-C once '}): {'ok' if ok else 'FAILED'}, {what}",
                  flush=True)
    print(f"{passed} passed, {args.trials - passed} failed")
    return 0 if passed == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
