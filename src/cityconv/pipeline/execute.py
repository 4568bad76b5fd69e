"""Execute one run: papermill into a hidden temporary file, promoted only if no cell failed.

Shared by every executor (papermill pool, warm kernels, Dask workers) and by the runner, which is why it
is a module of its own: the executors import this, never the runner.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nbformat

from cityconv.core.limits import NOTEBOOK_SECONDS
from cityconv.pipeline.book import HIDDEN
from cityconv.pipeline.recording import FINISH_CELL_SOURCE, RECORDER_TAG, start_cell_source
from cityconv.pipeline.tasks import RunTask
from cityconv.present.mime import ARTIFACT_MIME

PORT_RACE_MARKERS = ("Address already in use", "Kernel died before replying to kernel_info")
KERNEL_START_ATTEMPTS = 4


# --------------------------------------------------------------------------- execution


@dataclass(frozen=True)
class Failure:
    cell: int | None  # 1-based position in the template, not counting the injected cell
    error_type: str
    message: str


@dataclass(frozen=True)
class RunResult:
    task: RunTask
    status: Literal["done", "skipped", "failed"]
    seconds: float = 0.0
    failure: Failure | None = None
    attempts: int = 1
    record: dict | None = None  # what the notebook read and imported (pipeline.recording), on success
    notebook: str | None = None  # the finished notebook, when a worker leaves publishing to us
    artifact: str | None = None  # and the artifact it showed (stage 1), likewise

    def report_line(self) -> str:
        f = self.failure
        where = f"cell {f.cell}" if f and f.cell else "before any cell ran"
        return f"{self.task.study_id} · {self.task.template_path.name} · {where} · {f.error_type}: {f.message}" if f else ""


def _is_port_race(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(marker in text for marker in PORT_RACE_MARKERS)


def _first_error(nb: nbformat.NotebookNode) -> Failure | None:
    """Find the first cell that recorded an error; papermill can exit cleanly and still have one.

    The cell number counts the template's own cells only: papermill's injected-parameters cell and
    its red error-banner cells are not in the template the author is looking at.
    """
    added_by_papermill = {"injected-parameters", "papermill-error-cell-tag", RECORDER_TAG}
    number = 0
    for cell in nb.cells:
        if added_by_papermill & set(cell.get("metadata", {}).get("tags", [])):
            continue
        number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return Failure(number, output.get("ename", "Error"), _first_line(output.get("evalue", "")))
    if nb.metadata.get("papermill", {}).get("exception"):
        return Failure(None, "ExecutionError", "papermill recorded an exception but no cell shows one")
    return None


TIME_LIMIT_KEY = "time_limit"  # a template's own default, in its notebook metadata under "cityconv"


def time_limit(task: RunTask, template: nbformat.NotebookNode) -> float:
    """Seconds this notebook may run: the params' `time_limits` for its template, else the template's
    own default (`metadata.cityconv.time_limit`), else CITYCONV_NOTEBOOK_TIMEOUT (600 s)."""
    if task.time_limit:
        return float(task.time_limit)
    own = template.metadata.get("cityconv", {}).get(TIME_LIMIT_KEY)
    return float(own) if isinstance(own, (int, float)) and own > 0 else float(NOTEBOOK_SECONDS.value)


def _first_line(text: str, limit: int = 300) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def execute_task(task: RunTask, engine_options: dict | None = None, publish: bool = True) -> RunResult:
    """Execute one notebook into a temporary file and promote it only on success.

    `engine_options` go to papermill (a warm kernel passes its engine and live kernel manager);
    with `publish=False` the finished notebook (and artifact) come back in the result for the
    coordinator to publish with `publish_result`, so a worker whose coordinator is gone never publishes.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cityconv.pipeline.book import finalize_notebook

    started = time.perf_counter()
    task.output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = task.output_path.with_name(f".{task.output_path.stem}.{os.getpid()}.running.ipynb")
    # The kernel inherits our environment: point it at this project (and what the plan validated) for
    # the run, then restore, so an in-process run (--jobs 1, tests) leaves the caller's environment as it found it.
    environment = task.kernel_environment()
    previous = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    attempts = 0
    failure: Failure | None = None
    record: dict | None = None
    finished: str | None = None
    artifact_text: str | None = None
    try:
        template = nbformat.read(task.template_path, as_version=4)
        limit = time_limit(task, template)
        deadline = time.monotonic() + limit
        notebook = with_recorder(template, task.root)
        # The running file marks a run in progress (a run killed outright leaves it for the next run
        # to remove); papermill replaces it with the executed notebook at the end.
        tmp.write_text(nbformat.writes(notebook), encoding="utf-8")
        while True:
            attempts += 1
            try:
                papermill.execute_notebook(
                    copy.deepcopy(notebook),
                    str(tmp),
                    parameters=dict(task.parameters),
                    cwd=str(task.root),
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    # Written once when it ends, not after every cell: a run that stops halfway
                    # is discarded anyway, and each save re-validated the whole notebook.
                    request_save_on_cell_execute=False,
                    # The kernel's start-up notices would flood a parallel run's log.
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                    # The whole notebook's time limit: each cell may use what is left of it; on
                    # timeout the kernel is interrupted, so the cell fails and the kernel is free.
                    timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
                    interrupt_on_timeout=True,
                    **(engine_options or {}),
                )
                break
            except PapermillExecutionError:
                break  # the notebook on disk says which cell failed
            except Exception as exc:  # kernel start-up and I/O errors
                if _is_port_race(exc) and attempts < KERNEL_START_ATTEMPTS:
                    time.sleep(0.2 + random.random() * attempts)
                    continue
                failure = Failure(None, type(exc).__name__, _first_line(str(exc)))
                break
        if failure is None:
            if not tmp.exists():
                failure = Failure(None, "MissingOutput", "papermill wrote no notebook")
            else:
                nb = nbformat.read(tmp, as_version=4)
                failure = _first_error(nb)
                if failure is not None and time.monotonic() >= deadline:
                    failure = Failure(failure.cell, "TimeLimit", f"the notebook ran over its time limit of {limit:g} s "
                                      f"(raise it with time_limits in {task.params_path.name} or {NOTEBOOK_SECONDS.env})")
                artifact = _artifact(nb) if failure is None and task.produces else None
                if failure is None and task.produces and artifact is None:
                    failure = Failure(None, "MissingArtifact", f"the notebook showed no {task.produces} output")
                if failure is None:
                    record = finalize_notebook(nb, task)
                    finished = nbformat.writes(nb)
                    if artifact is not None:
                        artifact_text = json.dumps(artifact, indent=1, sort_keys=True)
                    if publish:
                        tmp.write_text(finished, encoding="utf-8")
                        if artifact_text is not None:
                            _write_atomically(task.artifact_path, artifact_text)
                        os.replace(tmp, task.output_path)
                        finished = artifact_text = None
    finally:
        if tmp.exists():
            tmp.unlink()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    status: Literal["done", "failed"] = "failed" if failure else "done"
    return RunResult(task, status, time.perf_counter() - started, failure, attempts, record, finished, artifact_text)


def publish_result(result: RunResult) -> RunResult:
    """Publish what a worker returned: the artifact, then the chapter, each replaced atomically."""
    if result.notebook is None:
        return result
    task = result.task
    task.output_path.parent.mkdir(parents=True, exist_ok=True)
    if result.artifact is not None:
        _write_atomically(task.artifact_path, result.artifact)
    _write_atomically(task.output_path, result.notebook)
    return dataclasses.replace(result, notebook=None, artifact=None)


def _artifact(nb: nbformat.NotebookNode) -> dict | None:
    """The artifact a stage-1 notebook showed (the last one, if it showed several)."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if ARTIFACT_MIME in output.get("data", {}):
                found = output["data"][ARTIFACT_MIME]
    return None if found is None else json.loads(json.dumps(found))


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def with_recorder(nb: nbformat.NotebookNode, root: Path) -> nbformat.NotebookNode:
    """The template with a first cell that starts recording reads and imports and a last that reports them."""
    meta = {"tags": [RECORDER_TAG, HIDDEN]}
    nb.cells.insert(0, nbformat.v4.new_code_cell(start_cell_source(root), metadata=meta))
    nb.cells.append(nbformat.v4.new_code_cell(FINISH_CELL_SOURCE, metadata=dict(meta, tags=list(meta["tags"]))))
    return nb


