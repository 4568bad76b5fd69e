"""Run every (ward or study × chapter template) pair through papermill, safely and only when needed.

- Validate first: params, templates, parameters handed vs declared, data files. Any problem stops the
  run before a single notebook starts.
- Cache: a run is skipped when the content hash of its inputs (template, params file, handed
  parameters, every data file it reads, the package source) equals the hash recorded in the published
  chapter. Jupyter Book's own cache sees code cells only, not data files, so this one is ours.
- Atomic: a notebook executes into a temporary file beside its destination and replaces the
  published chapter only if papermill succeeded and no cell recorded an error. A failure leaves the
  previous chapter in place; the other runs still complete.
- Parallel: runs go to an `Executor` (see `executors.py`: warm kernels by default, a fresh papermill
  kernel per notebook, or Dask). Workers return executed notebooks; only this process publishes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal

import nbformat

from cityconv.core.params import StudyParams, load_all, select
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.pipeline.tasks import RunTask
from cityconv.pipeline.templates import (
    Template,
    check_parameters,
    discover,
    parameters_for,
    templates_for,
)

if TYPE_CHECKING:
    from cityconv.pipeline.executors import Executor

PACKAGE_DIR = Path(__file__).resolve().parent
PORT_RACE_MARKERS = ("Address already in use", "Kernel died before replying to kernel_info")
KERNEL_START_ATTEMPTS = 4


# --------------------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def package_source_hash() -> str:
    """One hash over the package's code and schemas: a change to the logic re-runs every chapter."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json", ".yml", ".yaml"}:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def _data_files(project: Project, params: StudyParams, template: Template) -> list[Path]:
    """Every file this run reads: the ward's data folder plus the template's declared extra reads."""
    files: set[Path] = set()
    if params.data_dir:
        files.update(p for p in (project.root / params.data_dir).rglob("*") if p.is_file())
    for pattern in template.reads:
        files.update(p for p in project.root.glob(pattern) if p.is_file())
    return sorted(f for f in files if not any(part.startswith(".") for part in f.relative_to(project.root).parts))


# --------------------------------------------------------------------------- plan


@dataclass
class Plan:
    project: Project
    studies: dict[str, StudyParams]
    chapters: dict[str, list[Template]]
    tasks: list[RunTask]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def output_path(project: Project, study_id: str, template: Template) -> Path:
    return project.generated_dir / study_id / f"{template.stem}.ipynb"


def _validate_data(project: Project, params: StudyParams, denylist) -> list[Problem]:
    """Schema checks first; then, on clean files only, the personal-information screen of free text."""
    if not params.data_dir or not (project.root / params.data_dir).is_dir():
        return []  # a missing folder is already reported by the params check
    from cityconv.data.wardfiles import (
        free_text_columns,
        known_files,
        validate_data_dir,
    )
    from cityconv.methods.disclosure import screen_table

    data_dir = project.root / params.data_dir
    if params.kind == "study":  # a study's own inputs are checked by what its templates read
        return []
    problems = validate_data_dir(data_dir, project.root)
    if problems:
        return problems
    import pandas as pd

    for stem in known_files():
        path = data_dir / f"{stem}.csv"
        columns = free_text_columns(stem)
        if path.exists() and columns:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            problems += screen_table(frame, columns, relative(path, project.root), denylist=denylist)
    return problems


def _validate_ward(project: Project, params: StudyParams) -> list[Problem]:
    """The ward in a params file must be a real Liverpool ward from our derived context tables."""
    if params.ward is None or not project.context_dir.is_dir():
        return []
    from cityconv.data.context import resolve_ward

    where = f"params/{params.id}.yml"
    try:
        code, name, boundary_set = resolve_ward(project.context_dir, params.ward.code)
    except Exception as exc:  # resolve_ward explains the miss, with a hint
        message = exc.args[0] if exc.args else str(exc)
        return [Problem(where, f"ward.code: {message}")]
    problems = []
    if name != params.ward.name:
        problems.append(Problem(where, f"ward.name {params.ward.name!r} does not match {code}", expected=repr(name)))
    if boundary_set != params.ward.boundary_set:
        problems.append(
            Problem(where, f"ward.boundary_set {params.ward.boundary_set!r} does not match {code}", expected=repr(boundary_set))
        )
    return problems


def _validate_shared_inputs(project: Project, inputs: set[str]) -> list[Problem]:
    """Check shared inputs that some planned run reads: the evidence base and the rules files.

    Driven by the paths templates declare in `reads`, so a new template that reads these files is
    protected without naming it here; a broken rule stops everything before any notebook runs.
    """
    problems: list[Problem] = []
    if any(path.startswith("data/evidence/") for path in inputs):
        from cityconv.data.evidence import validate_evidence

        problems += validate_evidence(project.data_dir / "evidence", project.root)
        if "data/evidence/principles_audit_rules.yml" in inputs:
            from cityconv.chapters.principles_audit import validate_audit_rules

            problems += validate_audit_rules(project)
    if any(path.startswith("data/recommendations/") for path in inputs):
        from cityconv.chapters.recommendations import validate_rules

        problems += validate_rules(project)
    return problems


def _load_denylist_quietly():
    """The deny-list of names for the PII screen; its absence is reported once, as a note."""
    import warnings

    from cityconv.methods.disclosure import NoDenylistWarning, load_denylist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDenylistWarning)
        return load_denylist()


def build_plan(project: Project, ids: list[str] | None = None) -> Plan:
    """Validate everything the selected runs need and list the runs; nothing executes here."""
    all_params, problems = load_all(project)
    templates, template_problems = discover(project)
    problems += template_problems
    try:
        studies = select(all_params, ids)
    except InputError as exc:
        return Plan(project, {}, {}, [], problems + exc.problems)

    package_hash = package_source_hash()
    denylist = _load_denylist_quietly()
    chapters: dict[str, list[Template]] = {}
    tasks: list[RunTask] = []
    for study_id, params in studies.items():
        chosen, chapter_problems = templates_for(params, templates)
        problems += chapter_problems
        known = {t.id for t in templates}
        problems += [
            Problem(f"params/{study_id}.yml", f"template_parameters names unknown template {name!r}")
            for name in params.template_parameters
            if name not in known
        ]
        problems += _validate_ward(project, params)
        problems += _validate_data(project, params, denylist)
        chapters[study_id] = chosen
        params_path = next(p for p in (project.params_dir / f"{study_id}.yml", project.params_dir / f"{study_id}.yaml") if p.exists())
        for template in chosen:
            handed = parameters_for(params, template)
            problems += check_parameters(params, template, handed)
            inputs = {
                relative(path, project.root): sha256_file(path)
                for path in (template.path, params_path, *_data_files(project, params, template))
            }
            key = json.dumps(
                {"inputs": inputs, "parameters": handed, "package": package_hash}, sort_keys=True, default=str
            )
            tasks.append(
                RunTask(
                    root=project.root,
                    study_id=study_id,
                    study_title=params.title,
                    data_status=params.data_status,
                    # Synthetic wards are labelled on every page; reconstructed records only where used.
                    banner=params.synthetic or (params.reconstructed and template.uses_records),
                    template_id=template.id,
                    template_title=template.title,
                    template_path=template.path,
                    params_path=params_path,
                    output_path=output_path(project, study_id, template),
                    parameters=handed,
                    inputs=inputs,
                    package_hash=package_hash,
                    input_hash=hashlib.sha256(key.encode()).hexdigest(),
                )
            )
    problems += _validate_shared_inputs(project, {path for task in tasks for path in task.inputs})
    return Plan(project, studies, chapters, tasks, problems, notes=[denylist.note])


def is_current(task: RunTask) -> bool:
    """True when the published chapter was made from exactly these inputs."""
    if not task.output_path.exists():
        return False
    try:
        nb = nbformat.read(task.output_path, as_version=4)
    except Exception:
        return False
    return nb.metadata.get("cityconv", {}).get("input_hash") == task.input_hash


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
    notebook: str | None = None  # the finished notebook, when a worker leaves publishing to us

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
    added_by_papermill = {"injected-parameters", "papermill-error-cell-tag"}
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


def _first_line(text: str, limit: int = 300) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def execute_task(task: RunTask, engine_options: dict | None = None, publish: bool = True) -> RunResult:
    """Execute one notebook into a temporary file and promote it only on success.

    `engine_options` go to papermill (a warm kernel passes its engine and live kernel manager);
    with `publish=False` the finished notebook comes back in the result for the coordinator to
    publish with `publish_result`, so a worker whose coordinator is gone can never publish.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cityconv.pipeline.book import finalize_notebook

    started = time.perf_counter()
    task.output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = task.output_path.with_name(f".{task.output_path.stem}.{os.getpid()}.running.ipynb")
    # The kernel inherits our environment: point it at this project for the run, then restore, so
    # an in-process run (--jobs 1, tests) leaves the caller's environment as it found it.
    previous_root = os.environ.get("CITYCONV_ROOT")
    os.environ["CITYCONV_ROOT"] = str(task.root)
    attempts = 0
    failure: Failure | None = None
    finished: str | None = None
    try:
        while True:
            attempts += 1
            try:
                papermill.execute_notebook(
                    str(task.template_path),
                    str(tmp),
                    parameters=dict(task.parameters),
                    cwd=str(task.root),
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    # The kernel's start-up notices would flood a parallel run's log.
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
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
                if failure is None:
                    finalize_notebook(nb, task)
                    if publish:
                        nbformat.write(nb, tmp)
                        os.replace(tmp, task.output_path)
                    else:
                        finished = nbformat.writes(nb)
    finally:
        if tmp.exists():
            tmp.unlink()
        if previous_root is None:
            os.environ.pop("CITYCONV_ROOT", None)
        else:
            os.environ["CITYCONV_ROOT"] = previous_root
    status = "failed" if failure else "done"
    return RunResult(task, status, time.perf_counter() - started, failure, attempts, finished)


def publish_result(result: RunResult) -> RunResult:
    """Publish a notebook a worker returned: write beside the chapter, then replace it atomically."""
    if result.notebook is None:
        return result
    task = result.task
    task.output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = task.output_path.with_name(f".{task.output_path.stem}.{os.getpid()}.publishing.running.ipynb")
    try:
        tmp.write_text(result.notebook, encoding="utf-8")
        os.replace(tmp, task.output_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return RunResult(task, result.status, result.seconds, result.failure, result.attempts)


@dataclass
class RunSummary:
    results: list[RunResult]
    interrupted: int | None = None  # the signal that stopped the run early, if one did

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and self.interrupted is None


def run_plan(
    plan: Plan,
    jobs: int,
    force: bool = False,
    executor: Executor | str | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    wait: bool = False,
) -> RunSummary:
    """Execute what is out of date (everything with force) and regenerate the book's contents.

    `executor` is an `Executor` or a name (`warm`, the default; `papermill`; `dask`). One run at a
    time per project (`wait` chooses between waiting for another run and refusing); a signal
    handled by `interrupts.signals_stop_the_run` ends the run early with what finished so far.
    """
    if plan.problems:
        raise InputError(plan.problems)
    from cityconv.pipeline.executors import make_executor
    from cityconv.pipeline.interrupts import RunInterrupted, run_lock

    results: list[RunResult] = []
    interrupted: int | None = None
    with run_lock(plan.project, wait=wait):
        pending: list[RunTask] = []
        for task in plan.tasks:
            if not force and is_current(task):
                results.append(RunResult(task, "skipped"))
                if on_result:
                    on_result(results[-1])
            else:
                pending.append(task)
        if pending:
            chosen = executor if executor is not None and not isinstance(executor, str) else make_executor(executor, jobs)
            try:
                for result in chosen.map(pending):
                    results.append(publish_result(result))
                    if on_result:
                        on_result(results[-1])
            except RunInterrupted as stop:
                interrupted = stop.signum
        from cityconv.pipeline.book import write_toc

        write_toc(plan.project)
    order = {t.label: i for i, t in enumerate(plan.tasks)}
    results.sort(key=lambda r: order[r.task.label])
    return RunSummary(results, interrupted)


def default_jobs() -> int:
    return os.cpu_count() or 1


def iter_labels(results: Iterable[RunResult], status: str) -> list[str]:
    return [r.task.label for r in results if r.status == status]
