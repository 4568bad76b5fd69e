"""Where notebooks execute: warm kernels (default), a fresh papermill kernel each, or Dask.

Every executor runs a task with the one function `execute.execute_task` (through `WarmKernel.run`
for warm kernels) with `publish=False`, and yields each result as soon as it is known; the
coordinator publishes (`execute.publish_result`). So a worker that outlives its coordinator, or
a Dask worker on another machine, never writes a chapter.

Local executors run notebooks in worker processes, never in the coordinator: it stays free to
handle Ctrl-C and SIGTERM, and kills every worker and kernel when a run is stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.util
import os
from typing import Iterator, Protocol

from cityconv.pipeline.tasks import RunTask

EXECUTORS = ("warm", "papermill", "dask")
DEFAULT_EXECUTOR = "warm"


class Executor(Protocol):
    """Runs tasks and yields each result as soon as it is known, in any order."""

    def map(self, tasks: list[RunTask]) -> Iterator: ...


def run_one(task: RunTask, engine: str, kernel=None):
    """Execute one task, unpublished: on `kernel` (a `WarmKernel`) if given, else papermill's own."""
    from cityconv.pipeline.execute import execute_task

    if kernel is not None:
        return kernel.run(task)
    return execute_task(task, publish=False)


# --------------------------------------------------------------------------- worker processes

_WORKER: dict = {}


def _worker_start(parent_pid: int, engine: str, recycle_after: int) -> None:
    """Worker set-up: leave signals to the coordinator; die with it; keep a kernel if warm."""
    from cityconv.pipeline.interrupts import die_with_children, shield_from_terminal_interrupts, watch_parent

    shield_from_terminal_interrupts()
    watch_parent(parent_pid, die_with_children)
    _WORKER["engine"] = engine
    if engine == "warm":
        from cityconv.pipeline.warm_kernel import WarmKernel

        kernel = WarmKernel(recycle_after=recycle_after)
        _WORKER["kernel"] = kernel
        # multiprocessing workers skip atexit; its own finalisers do run on a clean exit.
        multiprocessing.util.Finalize(None, kernel.shutdown, exitpriority=10)


def _worker_run(task: RunTask):
    return run_one(task, _WORKER["engine"], _WORKER.get("kernel"))


class LocalPoolExecutor:
    """A pool of worker processes, each with a warm kernel (`warm`) or a fresh one per run (`papermill`).

    The pool (and its kernels) lives from the first `map` to `close()`, so the two stages of a run
    share warm kernels. If a `map` is abandoned (a signal, an error), every worker and kernel is
    killed at once and the pool is gone.
    """

    def __init__(self, jobs: int, engine: str = DEFAULT_EXECUTOR, recycle_after: int | None = None):
        from cityconv.pipeline.warm_kernel import RECYCLE_AFTER

        self.jobs = max(1, jobs)
        self.engine = engine
        self.recycle_after = recycle_after or RECYCLE_AFTER
        self._pool: cf.ProcessPoolExecutor | None = None

    def _workers(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # no inherited ZMQ or matplotlib state
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=context,
                initializer=_worker_start, initargs=(os.getpid(), self.engine, self.recycle_after),
            )
        return self._pool

    def map(self, tasks: list[RunTask]) -> Iterator:
        from cityconv.pipeline.execute import Failure, RunResult, _first_line

        pool = self._workers()
        finished = False
        try:
            futures = {pool.submit(_worker_run, task): task for task in tasks}
            for future in cf.as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # a worker died: report it like any other failed run
                    yield RunResult(task, "failed", 0.0, Failure(None, type(exc).__name__, _first_line(str(exc))))
                    if isinstance(exc, cf.process.BrokenProcessPool):
                        self.close()
                        pool = self._workers()
            finished = True
        finally:
            if not finished:  # stopped early: abandon running notebooks, leave nothing behind
                self.kill()

    def kill(self) -> None:
        from cityconv.pipeline.interrupts import descendants, kill_processes

        if self._pool is not None:
            # Kernels are listed while their workers still hold them: a worker that exits on the
            # shutdown below would otherwise leave its kernel out of the list, still running.
            everyone = descendants(list(getattr(self._pool, "_processes", {}) or {}))
            manager = getattr(self._pool, "_executor_manager_thread", None)
            self._pool.shutdown(wait=False, cancel_futures=True)
            kill_processes(everyone)
            self._pool = None
            if manager is not None:
                manager.join(timeout=2)  # it sees the dead workers and ends; exit must not wait on it

    def close(self) -> None:
        """Stop the workers cleanly (each shuts its kernel down); kill whatever remains."""
        from cityconv.pipeline.interrupts import kill_process_trees

        if self._pool is not None:
            workers = list(getattr(self._pool, "_processes", {}) or {})
            self._pool.shutdown(wait=True)
            kill_process_trees(workers)  # after a clean shutdown this finds nothing
            self._pool = None


def make_executor(name: str | None, jobs: int, scheduler: str | None = None) -> Executor:
    """The executor called `name` (default warm) with `jobs` local workers."""
    name = name or DEFAULT_EXECUTOR
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; expected one of {', '.join(EXECUTORS)}")
    if name == "dask":
        from cityconv.pipeline.dask_executor import DaskExecutor

        return DaskExecutor(scheduler, jobs)
    return LocalPoolExecutor(jobs, engine=name)
