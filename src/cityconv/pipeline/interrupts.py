"""Stopping a run cleanly, and one run at a time per project.

- Ctrl-C (SIGINT) and SIGTERM raise `RunInterrupted` in the coordinator; the executors then kill
  their workers and kernels (`kill_process_trees`), nothing half-done is published (workers never
  publish: the coordinator does, atomically), and the exit code is 128 + the signal (130, 143).
- A worker watches its parent (`watch_parent`): when the coordinator disappears (SIGKILL), it kills
  its kernel and exits, and since only the coordinator publishes, nothing appears later.
- `run_lock` holds an advisory lock on `.cityconv/run.lock`: a second run in the same project waits
  or refuses with a message naming the run that holds it. The kernel drops the lock when its holder
  dies, however it dies. On taking the lock, temporary notebooks left by a killed run are removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import psutil

from cityconv.core.files import remove_stale_temporaries
from cityconv.core.paths import Project

TEMP_NOTEBOOK_GLOB = ".*.running.ipynb"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(Exception):
    """A stop signal arrived; `exit_code` follows the shell's convention (128 + signal number)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class RunBusy(Exception):
    """Another run holds this project's lock."""


@contextlib.contextmanager
def signals_stop_the_run() -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into `RunInterrupted`; ignore repeats while we clean up and exit."""
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    raised = False

    def handler(signum, frame):
        nonlocal raised
        if raised:
            return
        raised = True
        raise RunInterrupted(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():  # once stopped, a second Ctrl-C is ignored: we are exiting
            signal.signal(sig, signal.SIG_IGN if raised else old)


def shield_from_terminal_interrupts() -> None:
    """In a worker: Ctrl-C reaches the whole process group, but only the coordinator decides."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------- processes


def _connection_files(processes: Iterable[psutil.Process]) -> list[Path]:
    """Kernel connection files named on kernels' command lines (`-f …/kernel-*.json`)."""
    found = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            for arg in process.cmdline():
                if re.search(r"kernel-[\w-]+\.json$", arg):
                    found.append(Path(arg))
    return found


def descendants(pids: Iterable[int]) -> list[psutil.Process]:
    """The given processes and everything below them that is still alive."""
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            for p in [process, *process.children(recursive=True)]:
                found[p.pid] = p
    return list(found.values())


def kill_process_trees(pids: Iterable[int], grace: float = 1.0) -> None:
    """Stop these processes and all their descendants (kernels included) within `grace` + a bit.

    Everything is listed first (a worker killed first would orphan its kernel), asked to stop with
    SIGTERM, then killed. Connection files of killed kernels are removed, as a clean shutdown would.
    """
    kill_processes(descendants(pids), grace)


def kill_processes(processes: Iterable[psutil.Process], grace: float = 1.0) -> None:
    """Stop processes listed beforehand (see `kill_process_trees`); a kernel whose worker has exited
    since the listing is still on the list, so it cannot be orphaned."""
    processes = [p for p in processes if p.pid != os.getpid()]
    if not processes:
        return
    files = _connection_files(processes)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=2)
    for path in files:
        with contextlib.suppress(OSError):
            path.unlink()


def watch_parent(parent_pid: int, on_orphaned: Callable[[], None], every: float = 0.2) -> threading.Thread:
    """Call `on_orphaned` (in a daemon thread) as soon as the process that started us is gone."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid or not psutil.pid_exists(parent_pid):
                on_orphaned()
                return
            time.sleep(every)

    thread = threading.Thread(target=watch, name="cityconv-parent-watch", daemon=True)
    thread.start()
    return thread


def die_with_children(exit_code: int = 70) -> None:
    """End this process now, killing its children (a kernel) first; used when orphaned."""
    kill_process_trees([c.pid for c in psutil.Process().children()], grace=0.2)
    os._exit(exit_code)


# --------------------------------------------------------------------------- one run at a time


def lock_path(project: Project) -> Path:
    return project.root / ".cityconv" / "run.lock"


def remove_temporary_notebooks(project: Project) -> list[Path]:
    """Temporary notebooks beside published chapters are never valid after their run: remove them."""
    removed = []
    if project.generated_dir.is_dir():
        for path in project.generated_dir.rglob(TEMP_NOTEBOOK_GLOB):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


_held: dict[Path, int] = {}  # lock file -> how many nested `run_lock`s of this process hold it


def _holder(handle) -> str:
    handle.seek(0)
    text = handle.read().strip()
    return text or "another run"


@contextlib.contextmanager
def run_lock(project: Project, wait: bool = False, poll: float = 0.5) -> Iterator[None]:
    """Hold the project's run lock for the duration of a run (wait for it, or refuse at once).

    While held, nobody else is running here, so any temporary notebook or `.<file>.<pid>.tmp` is a
    leftover of a run that was killed: those are removed on entry and on exit. Re-entrant within one
    process, so `cityconv build` holds it across running and rendering.
    """
    path = lock_path(project)
    if _held.get(path):  # this process holds it already (a build holds it across run and render)
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise RunBusy(
                        f"another cityconv run is in progress in {project.root} ({_holder(handle)}); "
                        "wait for it to finish, or run again with --wait to queue behind it"
                    ) from None
                if not announced:
                    announced = True
                    from rich.console import Console

                    Console(stderr=True, highlight=False).print(
                        f"waiting for the run in progress to finish ({_holder(handle)}) …"
                    )
                time.sleep(poll)
        try:
            handle.seek(0)
            handle.truncate()
            started = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S UTC")
            handle.write(f"process {os.getpid()}, started {started}\n")
            handle.flush()
            remove_temporary_notebooks(project)
            for folder in (project.generated_dir, lock_path(project).parent):
                remove_stale_temporaries(folder)
            _held[path] = 1
            yield
        finally:
            _held.pop(path, None)
            remove_temporary_notebooks(project)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
