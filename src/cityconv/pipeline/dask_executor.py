"""Runs on a Dask distributed cluster: one warm kernel per worker thread, no shared disk needed.

`DaskExecutor(address)` joins a running cluster (`dask scheduler`, then `dask worker ADDRESS` on
each machine, or dask-jobqueue / dask-kubernetes: see docs/distributed.md); without an address it
starts a LocalCluster of `jobs` single-threaded worker processes.

A task carries what it needs: the `RunTask` and its input files (`task_files`: the template, the
params file, the ward's data folder, the files matching the template's declared `reads`, and what
its last run recorded reading), each scattered to the cluster once under its content hash, so a
worker fetches only files it does not hold yet. The worker rebuilds a scratch project from those files, executes the
notebook there on its warm kernel (`WarmKernelPlugin`), and returns the finished notebook; the
coordinator publishes it atomically, and records the reads the worker's notebook recorded (paths are
project-relative, so they mean the same on both sides). Workers need the same cityconv installed:
a worker whose package source differs from the coordinator's refuses the task with a clear failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Iterator

from distributed.diagnostics.plugin import WorkerPlugin

from cityconv.core.problems import InputError, Problem
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


def package_digest() -> str:
    """Content hash of the package's source and data files: coordinator and workers must agree."""
    import hashlib

    from cityconv.pipeline.warm_kernel import PACKAGE_DIR

    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def task_files(task: RunTask) -> list[str]:
    """Project-relative paths of the files a run may read, for a worker without our disk."""
    import yaml

    from cityconv.core.paths import Project
    from cityconv.pipeline import cache
    from cityconv.pipeline.recording import project_relative

    root = task.root
    found = {task.template_path, task.params_path}
    params = yaml.safe_load(task.params_path.read_text(encoding="utf-8")) or {}
    if isinstance(params.get("data_dir"), str) and (root / params["data_dir"]).is_dir():
        found.update(p for p in (root / params["data_dir"]).rglob("*") if p.is_file())
    for pattern in task.declared_reads:
        found.update(p for p in root.glob(pattern) if p.is_file())
    # Every params file and template: chapters link to the book's other chapters and studies only
    # when those exist (a name looked up with `exists()` or a folder listed), which a worker must see too.
    found.update(p for folder in ("params", "notebooks") if (root / folder).is_dir()
                 for p in (root / folder).iterdir() if p.is_file())
    entry = cache.load_manifest(Project(root)).get(task.label, {})
    found.update(root / rel for rel in entry.get("reads", {}) if not rel.startswith("package:") and (root / rel).is_file())
    for rel in entry.get("listings", {}):  # the names in a folder the last run listed
        if not rel.startswith("package:") and (root / rel).is_dir():
            found.update(p for p in (root / rel).iterdir() if p.is_file())
    return sorted({rel for p in found if (rel := project_relative(str(p), root.resolve()))}
                  | {p.relative_to(root).as_posix() for p in (task.template_path, task.params_path)})


def run_on_worker(task: RunTask, files: dict[str, bytes], package: str):
    """On a Dask worker: rebuild the inputs in scratch space, execute on the warm kernel, return the notebook."""
    from distributed import get_worker

    from cityconv.pipeline.execute import Failure, RunResult

    worker = get_worker()
    if package_digest() != package:
        return RunResult(task, "failed", 0.0, Failure(
            None, "PackageMismatch",
            f"worker {worker.address} has a different cityconv source from the coordinator; install the same version"))
    scratch = Path(worker.local_directory) / "cityconv" / f"{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        for relative, content in files.items():
            path = scratch / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        result = worker.plugins[PLUGIN_NAME].kernel().run(_rebase(task, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dataclasses.replace(result, task=task)  # paths of this machine's project again


SCHEDULER_TIMEOUT = 5.0  # seconds a scheduler has to accept a connection


def scheduler_must_answer(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Fail in seconds, with a message, when nothing listens at a TCP scheduler address (Dask's own
    client would try for 30 s and end in a traceback)."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    where = "--scheduler (or CITYCONV_SCHEDULER)"
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError([Problem(where, f"not a scheduler address: {exc}", value=address,
                                  expected="tcp://host:port, e.g. tcp://127.0.0.1:8786")]) from None
    if scheme not in ("tcp", "tls"):
        return  # in-process and other transports: Dask reports those itself
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError([Problem(where, f"no Dask scheduler answers at {address} within {timeout:.0f} s "
                                         f"({exc.strerror or type(exc).__name__})", value=address,
                                  expected="the address of a running scheduler (dask scheduler prints it)")]) from None


class DaskExecutor:
    """Send runs to a Dask cluster at `address` (or a LocalCluster of `jobs` workers).

    Connected from the first `map` to `close()`, so both stages of a run share the workers' warm
    kernels and the files already sent. An abandoned `map` (a signal) cancels what is queued; a local
    cluster is then killed outright, a remote one is left running (it is not ours) and its workers'
    results are simply never published.
    """

    def __init__(self, address: str | None = None, jobs: int = 1, recycle_after: int | None = None):
        self.address = address or os.environ.get("CITYCONV_SCHEDULER") or None
        self.jobs = max(1, jobs)
        self.recycle_after = recycle_after
        self._client = self._cluster = None
        self._local_pids: list[int] = []
        self._blobs: dict = {}

    def _connect(self):
        if self._client is not None:
            return self._client
        import psutil
        from distributed import Client, LocalCluster

        if self.address:
            scheduler_must_answer(self.address)
            self._client = Client(self.address, timeout=f"{SCHEDULER_TIMEOUT * 2:.0f}s")
        else:
            before = {p.pid for p in psutil.Process().children(recursive=True)}
            self._cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._local_pids = [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]
            self._client = Client(self._cluster)
        self._client.register_plugin(WarmKernelPlugin(self.recycle_after), name=PLUGIN_NAME)
        self.package = package_digest()
        return self._client

    def _send(self, client, task: RunTask) -> dict:
        files = {}
        for relative in task_files(task):
            content = (task.root / relative).read_bytes()
            key = f"cityconv-file-{hashlib.sha256(content).hexdigest()}"
            if key not in self._blobs:  # each distinct file goes to the cluster once
                self._blobs[key] = client.scatter({key: content}, hash=False)[key]
            files[relative] = self._blobs[key]
        return files

    def map(self, tasks: list[RunTask]) -> Iterator:
        from distributed import as_completed

        from cityconv.pipeline.execute import Failure, RunResult, _first_line

        client = self._connect()
        finished = False
        futures = {}
        try:
            for task in tasks:
                future = client.submit(run_on_worker, task, self._send(client, task), self.package,
                                       key=f"cityconv-run-{task.label}-{uuid.uuid4().hex[:8]}", pure=False, retries=0)
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
                from cityconv.pipeline.interrupts import kill_process_trees

                if self._cluster is not None:
                    kill_process_trees(self._local_pids, grace=0.5)  # leave no local worker or kernel behind
                    self._cluster = None
                else:
                    with contextlib.suppress(Exception):
                        client.cancel(list(futures), force=True)
                self.close()

    def close(self) -> None:
        from cityconv.pipeline.interrupts import kill_process_trees

        with contextlib.suppress(Exception):
            if self._client is not None:
                self._client.close(timeout=5)
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                self._cluster.close(timeout=10)
        kill_process_trees(self._local_pids, grace=0.5)
        self._client = self._cluster = None
        self._local_pids, self._blobs = [], {}
