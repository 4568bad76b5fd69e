"""Stopping runs: Ctrl-C and SIGTERM stop within 5 s leaving no process behind; a SIGKILLed run
publishes nothing afterwards and its leftovers are cleaned by the next run; runs never interleave.

Each test runs the real command line on the small fixture project, with one template held at a gate
(it waits until the test creates a file) so that the signal arrives while notebooks are running and the
test decides when they may finish, instead of sleeping for a fixed time.
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


def gate(root: Path) -> Path:
    """The file whose creation lets the held notebooks finish (outside the project: it is no input)."""
    return root.parent / f"{root.name}-gate"


def held(root: Path) -> Path:
    """The folder where each held notebook's kernel says it is waiting (outside the project too)."""
    return root.parent / f"{root.name}-held"


def make_held(root: Path, limit: float = 300) -> None:
    """The slow template says it is held (a file named after its kernel's process in `held(root)`), then
    waits for the gate file (at most `limit` seconds, so a failed test cannot leave kernels waiting
    forever). It is the project's only template: the other (01-files) would add a run per ward that
    finishes before the signal, and nothing here checks it."""
    (root / "notebooks" / "01-files.ipynb").unlink()
    held(root).mkdir()
    write_template(root / "notebooks" / SLOW, title="Arithmetic", code=[
        f"import os, pathlib, time\npathlib.Path({str(held(root))!r}, f'kernel-{{os.getpid()}}').touch()\n"
        f"deadline = time.monotonic() + {limit}\n"
        f"while not pathlib.Path({str(gate(root))!r}).exists() and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)",
        "print('released')"])


def open_gate(root: Path) -> None:
    gate(root).touch()


def start(root: Path, *args: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    """`cityconv run` in a session of its own, as a terminal would run it (so killpg is Ctrl-C)."""
    return subprocess.Popen([CITYCONV, "run", "--root", str(root), *args], stdout=subprocess.PIPE,
                            stderr=stderr, text=True, start_new_session=True)


def wait_for_text(path: Path, text: str, process: subprocess.Popen, timeout: float = 240) -> None:
    """Poll a process's stderr file until it says `text` (the process must still be running)."""
    deadline = time.monotonic() + timeout
    while text not in path.read_text(encoding="utf-8"):
        assert process.poll() is None, path.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"never said {text!r}: {path.read_text(encoding='utf-8')}"
        time.sleep(0.1)


def temp_notebooks(root: Path) -> list[Path]:
    generated = root / "book" / "generated"
    return sorted(generated.rglob(".*.running.ipynb")) if generated.exists() else []


def wait_until_slow_runs_are_executing(root: Path, process: subprocess.Popen, count: int = 2,
                                       timeout: float = 240) -> None:
    """Until `count` slow notebooks run, each in a kernel that has reached the gate (a temporary notebook
    is written before its kernel starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [p for p in temp_notebooks(root) if SLOW.removesuffix(".ipynb") in p.name]
        if len(running) >= count and len(list(held(root).iterdir())) >= count:
            return  # held at the gate until the test opens it
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
    make_held(root)
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
    make_held(root)
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
    open_gate(root)  # a surviving kernel would now finish its notebook within a moment…
    time.sleep(1)
    assert not published(root, "alpha") and not published(root, "beta")  # …but nothing published

    again = subprocess.run([CITYCONV, "run", "--root", str(root)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert temp_notebooks(root) == []  # …and the next run removed them
    assert published(root, "alpha") and published(root, "beta")


def test_a_second_run_refuses_or_waits_and_never_interleaves(mini_project: Path) -> None:
    root = mini_project
    make_held(root)  # held until the other commands have planned and reached the lock
    first = start(root, "--jobs", "1")  # the lock is the coordinator's: one worker holds the run as well as two
    wait_until_slow_runs_are_executing(root, first, count=1)
    queued_err = root.parent / f"{root.name}-queued.err"
    with queued_err.open("w", encoding="utf-8") as err_file:
        queued = start(root, "--wait", stderr=err_file)
    refused = subprocess.run([CITYCONV, "run", "--root", str(root)], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 75
    assert "another cityconv run is in progress" in refused.stderr and f"process {first.pid}" in refused.stderr
    assert "--wait" in refused.stderr
    assert first.poll() is None  # it was refused while the first was still running
    wait_for_text(queued_err, "waiting for the run in progress to finish", queued)  # the queued one is waiting
    open_gate(root)

    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    first_done = time.monotonic()
    out2, _ = queued.communicate(timeout=300)
    err2 = queued_err.read_text(encoding="utf-8")
    assert queued.returncode == 0, out2 + err2
    assert "waiting for the run in progress to finish" in err2
    # It ran after the first had published everything, so it found nothing to do.
    assert "Runs: 0 done, 2 skipped (unchanged), 0 failed" in out2
    assert time.monotonic() >= first_done
