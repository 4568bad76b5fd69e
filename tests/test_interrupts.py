"""Stopping runs: Ctrl-C and SIGTERM stop within 5 s leaving no process behind; a SIGKILLed run
publishes nothing afterwards and its leftovers are cleaned by the next run; runs never interleave.

Each test runs the real command line on the small fixture project, with one template made slow
(it sleeps) so that the signal arrives while notebooks are running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from nbtools import write_template

CITYCONV = str(Path(sys.executable).with_name("cityconv"))
SLOW = "02-arithmetic.ipynb"


def make_slow(root: Path, seconds: float) -> None:
    write_template(root / "notebooks" / SLOW, title="Arithmetic",
                   code=[f"import time\ntime.sleep({seconds})", "print('slept')"])


def start(root: Path, *args: str) -> subprocess.Popen:
    """`cityconv run` in a session of its own, as a terminal would run it (so killpg is Ctrl-C)."""
    return subprocess.Popen([CITYCONV, "run", "--root", str(root), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def temp_notebooks(root: Path) -> list[Path]:
    generated = root / "book" / "generated"
    return sorted(generated.rglob(".*.running.ipynb")) if generated.exists() else []


def wait_until_slow_runs_are_executing(root: Path, process: subprocess.Popen, count: int = 2,
                                       timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len([p for p in temp_notebooks(root) if SLOW.removesuffix(".ipynb") in p.name]) >= count:
            time.sleep(0.5)  # well inside the sleeping cell
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError("the slow notebooks never started")


def family(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    survivors = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                survivors.append(p)
        except psutil.NoSuchProcess:
            pass
    return survivors


def described(processes: list[psutil.Process]) -> str:
    """Who a survivor is: its command line and parent (1 once its own parent has gone)."""
    lines = []
    for p in processes:
        with contextlib.suppress(psutil.Error):
            lines.append(f"{p.pid} (parent {p.ppid()}): {' '.join(p.cmdline())[:200]}")
    return "\n".join(lines)


def published(root: Path, study: str, name: str = SLOW) -> bool:
    return (root / "book" / "generated" / study / name).exists()


@pytest.mark.parametrize(
    ("executor", "stop", "code", "name"),
    [("warm", "group-sigint", 130, "SIGINT"), ("papermill", "sigterm", 143, "SIGTERM")],
)
def test_signal_stops_the_run_within_5_seconds(mini_project: Path, executor: str, stop: str, code: int,
                                               name: str) -> None:
    root = mini_project
    make_slow(root, 120)
    run = start(root, "--force", "--jobs", "2", "--executor", executor)
    wait_until_slow_runs_are_executing(root, run)
    children = family(run)
    assert len(children) >= 4  # two workers and their kernels
    signalled = time.monotonic()
    if stop == "group-sigint":
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    else:
        run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=30)
    took = time.monotonic() - signalled
    assert run.returncode == code, out + err
    assert took <= 5, f"took {took:.1f} s to stop"
    # No worker, no kernel. A process killed (or the resource tracker, which ends when we do) can
    # still be tearing down when the command has exited: give it a moment to be gone, not a reprieve.
    psutil.wait_procs(alive(children), timeout=3)
    assert alive(children) == [], described(alive(children))
    assert f"Run stopped by {name}" in err and "were not published" in err
    assert not published(root, "alpha") and not published(root, "beta")
    assert temp_notebooks(root) == []
    assert "Traceback" not in err


def test_after_sigkill_nothing_publishes_and_the_next_run_cleans_up(mini_project: Path) -> None:
    root = mini_project
    make_slow(root, 8)
    run = start(root, "--force", "--jobs", "2")
    wait_until_slow_runs_are_executing(root, run)
    children = family(run)
    killed = time.monotonic()
    run.kill()  # SIGKILL: no handler, no clean-up in the coordinator
    run.wait()
    deadline = time.monotonic() + 10
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive(children) == [], "workers or kernels outlived their coordinator"
    print(f"orphans gone {time.monotonic() - killed:.1f} s after the kill")
    left_behind = temp_notebooks(root)
    assert left_behind  # the killed run's temporary notebooks are still there…
    time.sleep(max(0.0, killed + 12 - time.monotonic()))  # past the moment the sleeps would end
    assert not published(root, "alpha") and not published(root, "beta")  # …but nothing published

    make_slow(root, 0)
    again = subprocess.run([CITYCONV, "run", "--root", str(root)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert temp_notebooks(root) == []  # …and the next run removed them
    assert published(root, "alpha") and published(root, "beta")


def test_a_second_run_refuses_or_waits_and_never_interleaves(mini_project: Path) -> None:
    root = mini_project
    make_slow(root, 45)  # long enough for the other commands to plan and reach the lock
    first = start(root, "--jobs", "2")
    wait_until_slow_runs_are_executing(root, first)
    queued = start(root, "--wait")
    refused = subprocess.run([CITYCONV, "run", "--root", str(root)], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 75
    assert "another cityconv run is in progress" in refused.stderr and f"process {first.pid}" in refused.stderr
    assert "--wait" in refused.stderr
    assert first.poll() is None  # it was refused while the first was still running
    assert queued.poll() is None  # and the queued one is waiting

    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    first_done = time.monotonic()
    out2, err2 = queued.communicate(timeout=300)
    assert queued.returncode == 0, out2 + err2
    assert "waiting for the run in progress to finish" in err2
    # It ran after the first had published everything, so it found nothing to do.
    assert "Runs: 0 done, 4 skipped (unchanged), 0 failed" in out2
    assert time.monotonic() >= first_done
