"""Runs on a Dask distributed cluster: one warm kernel per worker thread, no shared disk needed.

`DaskExecutor(address)` joins a running cluster (`dask scheduler`, then `dask worker ADDRESS` on
each machine, or dask-jobqueue / dask-kubernetes: see docs/distributed.md); without an address it
starts a LocalCluster of `jobs` single-threaded worker processes.

A task carries what it needs: the `RunTask` and every input file it lists (template, params file,
data files), each file scattered to the cluster once, under its content hash, so a worker fetches
a file it does not hold yet. The worker rebuilds a scratch project from those files, executes the
notebook there on its warm kernel (`WarmKernelPlugin`), and returns the finished notebook; the
coordinator publishes it atomically. Workers need the same cityconv installed: a worker whose
package source differs from the coordinator's refuses the task with a clear failure.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Iterator

from distributed.diagnostics.plugin import WorkerPlugin

from cityconv.pipeline.tasks import RunTask

PLUGIN_NAME = "cityconv-warm-kernel"


class WarmKernelPlugin(WorkerPlugin):
    """Keeps a `WarmKernel` per worker thread (one per worker with `--nthreads 1`), shut down with it."""

    name = PLUGIN_NAME

    def __init__(self, recycle_after: int | None = None):
        self.recycle_after = recycle_after

    def setup(self, worker) -> None:
        self.worker = worker
        self.kernels: dict[int, object] = {}
        self.lock = threading.Lock()

    def kernel(self):
        from cityconv.pipeline.warm_kernel import RECYCLE_AFTER, WarmKernel

        ident = threading.get_ident()
        with self.lock:
            if ident not in self.kernels:
                self.kernels[ident] = WarmKernel(recycle_after=self.recycle_after or RECYCLE_AFTER)
            return self.kernels[ident]

    def teardown(self, worker) -> None:
        for kernel in self.kernels.values():
            kernel.shutdown()
        self.kernels.clear()


def _rebase(task: RunTask, root: Path) -> RunTask:
    """The same task with every path moved under another project root."""
    def moved(path: Path) -> Path:
        return root / path.relative_to(task.root)

    return dataclasses.replace(task, root=root, template_path=moved(task.template_path),
                               params_path=moved(task.params_path), output_path=moved(task.output_path))


def run_on_worker(task: RunTask, files: dict[str, bytes]):
    """On a Dask worker: rebuild the inputs in scratch space, execute on the warm kernel, return the notebook."""
    from distributed import get_worker

    from cityconv.pipeline.runner import Failure, RunResult, package_source_hash

    worker = get_worker()
    if package_source_hash() != task.package_hash:
        return RunResult(task, "failed", 0.0, Failure(
            None, "PackageMismatch",
            f"worker {worker.address} has a different cityconv source from the coordinator; install the same version"))
    scratch = Path(worker.local_directory) / "cityconv" / f"{task.input_hash[:16]}-{threading.get_ident()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        for relative, content in files.items():
            path = scratch / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        result = worker.plugins[PLUGIN_NAME].kernel().run(_rebase(task, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dataclasses.replace(result, task=task)


class DaskExecutor:
    """Send runs to a Dask cluster at `address` (or a LocalCluster of `jobs` workers)."""

    def __init__(self, address: str | None = None, jobs: int = 1, recycle_after: int | None = None):
        self.address = address or os.environ.get("CITYCONV_SCHEDULER") or None
        self.jobs = max(1, jobs)
        self.recycle_after = recycle_after

    def _connect(self):
        import psutil
        from distributed import Client, LocalCluster

        if self.address:
            return Client(self.address, timeout="30s"), None, []
        before = {p.pid for p in psutil.Process().children(recursive=True)}
        cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        started = [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]
        return Client(cluster), cluster, started

    def map(self, tasks: list[RunTask]) -> Iterator:
        from distributed import as_completed

        from cityconv.pipeline.interrupts import kill_process_trees
        from cityconv.pipeline.runner import Failure, RunResult, _first_line

        client, cluster, local_pids = self._connect()
        finished = False
        futures = {}
        try:
            client.register_plugin(WarmKernelPlugin(self.recycle_after), name=PLUGIN_NAME)
            blobs = {}  # content hash -> future of the bytes, scattered once
            for task in tasks:
                for relative, digest in task.inputs.items():
                    if digest not in blobs:
                        key = f"cityconv-file-{digest}"
                        blobs[digest] = client.scatter({key: (task.root / relative).read_bytes()}, hash=False)[key]
            for task in tasks:
                files = {relative: blobs[digest] for relative, digest in task.inputs.items()}
                future = client.submit(run_on_worker, task, files, key=f"cityconv-run-{task.label}-{task.input_hash[:12]}",
                                       pure=False, retries=0)
                futures[future] = task
            for future in as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # the worker died or the task could not be sent
                    yield RunResult(task, "failed", 0.0, Failure(None, type(exc).__name__, _first_line(str(exc))))
            finished = True
        finally:
            if not finished:
                client.cancel(list(futures), force=True)
            if cluster is not None and not finished:
                kill_process_trees(local_pids, grace=0.5)  # a stopped run leaves no local worker behind
            try:
                client.close(timeout=5)
                if cluster is not None:
                    cluster.close(timeout=10)
            except Exception:
                pass
            if cluster is not None:
                kill_process_trees(local_pids, grace=0.5)
