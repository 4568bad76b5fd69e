"""Run every (ward or study × chapter template) pair through papermill, safely and only when needed.

- Validate first: params, templates, parameters handed vs declared, data files. Any problem stops the
  run before a single notebook starts.
- Cache: a run is skipped when nothing it used has changed (`pipeline.cache`): its template, handed
  parameters, the lock file, and the files, folders and package modules it recorded while it ran
  (`pipeline.recording`), kept in one manifest under book/generated/.
- Atomic: a notebook executes into a temporary file beside its destination and replaces the
  published chapter only if papermill succeeded and no cell recorded an error. A failure leaves the
  previous chapter in place; the other runs still complete.
- Parallel: runs go to an `Executor`. The local one is a pool of subprocesses; kernel start-up port
  races are retried. A distributed executor only needs to implement `Executor.map`.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Protocol

import nbformat

from cityconv.core.params import StudyParams, load_all, select
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.pipeline import cache
from cityconv.pipeline.atlas import atlas_tasks, split_atlas_ids
from cityconv.pipeline.book import HIDDEN
from cityconv.pipeline.recording import FINISH_CELL_SOURCE, RECORDER_TAG, start_cell_source
from cityconv.pipeline.tasks import RunTask
from cityconv.present.mime import ARTIFACT_MIME
from cityconv.pipeline.templates import (
    Template,
    check_parameters,
    discover,
    parameters_for,
    templates_for,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PORT_RACE_MARKERS = ("Address already in use", "Kernel died before replying to kernel_info")
KERNEL_START_ATTEMPTS = 4


# --------------------------------------------------------------------------- plan


@dataclass
class Plan:
    project: Project
    studies: dict[str, StudyParams]
    chapters: dict[str, list[Template]]
    tasks: list[RunTask]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Wards whose data stop only themselves (their chapters are not run; the last good ones stay):
    failed_wards: dict[str, list[Problem]] = field(default_factory=dict)
    # Scaffolded wards whose files are all still header-only: profile only, with what `validate` says.
    not_started: dict[str, list[Problem]] = field(default_factory=dict)


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


def _not_started(project: Project, params: StudyParams) -> bool:
    """A ward scaffolded by `cityconv new-ward` and not yet filled in: no data file has a data row."""
    from cityconv.data.wardfiles import has_no_data_rows

    folder = project.root / params.data_dir if params.data_dir else None
    return params.kind == "ward" and folder is not None and folder.is_dir() and has_no_data_rows(folder)


def _validate_ward(project: Project, params: StudyParams) -> list[Problem]:
    """The ward in a params file must be a real Liverpool ward from our derived context tables."""
    if params.ward is None or not project.context_dir.is_dir():
        return []
    from cityconv.data.context import resolve_ward

    where = params.where
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


def _validate_shared_inputs(project: Project, patterns: set[str]) -> list[Problem]:
    """Check shared inputs that some planned run may read: the evidence base and the rules files.

    Driven by the paths templates declare in `reads`, so a new template that reads these files is
    protected without naming it here; a broken rule stops everything before any notebook runs.
    """
    present = {path.relative_to(project.root).as_posix() for pattern in patterns for path in project.root.glob(pattern)}
    problems: list[Problem] = []
    if any(path.startswith("data/evidence/") for path in present):
        from cityconv.data.evidence import validate_evidence

        problems += validate_evidence(project.data_dir / "evidence", project.root)
        if "data/evidence/principles_audit_rules.yml" in present:
            from cityconv.chapters.principles_audit import validate_audit_rules

            problems += validate_audit_rules(project)
    if any(path.startswith("data/recommendations/") for path in present):
        from cityconv.chapters.recommendations import validate_rules

        problems += validate_rules(project)
    if any(path.startswith("data/city/") for path in present):  # city-level sources, one copy for all wards
        from cityconv.data.wardfiles import validate_city_dir

        problems += validate_city_dir(project.data_dir / "city", project.root)
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
    ids, atlas_wanted = split_atlas_ids(project, all_params, ids)
    try:
        studies = select(all_params, ids) if ids or atlas_wanted is None else {}
    except InputError as exc:
        return Plan(project, {}, {}, [], problems + exc.problems)

    denylist = _load_denylist_quietly()
    chapters: dict[str, list[Template]] = {}
    tasks: list[RunTask] = []
    failed_wards: dict[str, list[Problem]] = {}
    not_started: dict[str, list[Problem]] = {}
    for study_id, params in studies.items():
        chosen, chapter_problems = templates_for(params, templates)
        problems += chapter_problems
        known = {t.id for t in templates}
        problems += [
            Problem(params.where, f"template_parameters names unknown template {name!r}")
            for name in params.template_parameters
            if name not in known
        ]
        problems += _validate_ward(project, params)
        data_problems = _validate_data(project, params, denylist)
        if data_problems and _not_started(project, params):
            not_started[study_id] = data_problems
            chosen = [t for t in chosen if not t.uses_records]  # the profile needs only open data
        elif data_problems:
            failed_wards[study_id] = data_problems
            chosen = []
        chapters[study_id] = chosen
        params_path = project.params_file(study_id)
        for template in chosen:
            handed = parameters_for(params, template)
            problems += check_parameters(params, template, handed)
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
                    declared_reads=tuple(template.reads),
                    produces=template.produces,
                )
            )
    tasks += atlas_tasks(project, all_params, templates, atlas_wanted)  # profile-only wards and index pages
    problems += _validate_shared_inputs(project, {pattern for task in tasks for pattern in task.declared_reads})
    return Plan(project, studies, chapters, tasks, problems, notes=[denylist.note],
                failed_wards=failed_wards, not_started=not_started)


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


def _first_line(text: str, limit: int = 300) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def execute_task(task: RunTask) -> RunResult:
    """Execute one notebook into a temporary file and promote it only on success."""
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
    record: dict | None = None
    try:
        while True:
            attempts += 1
            try:
                papermill.execute_notebook(
                    with_recorder(nbformat.read(task.template_path, as_version=4), task.root),
                    str(tmp),
                    parameters=dict(task.parameters),
                    cwd=str(task.root),
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    # The kernel's start-up notices would flood a parallel run's log.
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
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
                artifact = _artifact(nb) if failure is None and task.produces else None
                if failure is None and task.produces and artifact is None:
                    failure = Failure(None, "MissingArtifact", f"the notebook showed no {task.produces} output")
                if failure is None:
                    record = finalize_notebook(nb, task)
                    nbformat.write(nb, tmp)
                    if artifact is not None:
                        _write_atomically(task.artifact_path, json.dumps(artifact, indent=1, sort_keys=True))
                    os.replace(tmp, task.output_path)
    finally:
        if tmp.exists():
            tmp.unlink()
        if previous_root is None:
            os.environ.pop("CITYCONV_ROOT", None)
        else:
            os.environ["CITYCONV_ROOT"] = previous_root
    status = "failed" if failure else "done"
    return RunResult(task, status, time.perf_counter() - started, failure, attempts, record)


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
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def with_recorder(nb: nbformat.NotebookNode, root: Path) -> nbformat.NotebookNode:
    """The template with a first cell that starts recording reads and imports and a last that reports them."""
    meta = {"tags": [RECORDER_TAG, HIDDEN]}
    nb.cells.insert(0, nbformat.v4.new_code_cell(start_cell_source(root), metadata=meta))
    nb.cells.append(nbformat.v4.new_code_cell(FINISH_CELL_SOURCE, metadata=dict(meta, tags=list(meta["tags"]))))
    return nb


class Executor(Protocol):
    """Runs tasks and yields each result as soon as it is known, in any order."""

    def map(self, tasks: list[RunTask]) -> Iterator[RunResult]: ...


class InProcessExecutor:
    """One run after another in this process: simplest to debug (`--jobs 1`)."""

    def map(self, tasks: list[RunTask]) -> Iterator[RunResult]:
        for task in tasks:
            yield execute_task(task)


class LocalPoolExecutor:
    """A pool of worker processes; each run also starts its own kernel subprocess."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)

    def map(self, tasks: list[RunTask]) -> Iterator[RunResult]:
        context = multiprocessing.get_context("spawn")  # no inherited ZMQ or matplotlib state
        with cf.ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)) or 1, mp_context=context) as pool:
            futures = {pool.submit(execute_task, task): task for task in tasks}
            for future in cf.as_completed(futures):
                task = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # a worker died: report it like any other failed run
                    yield RunResult(task, "failed", 0.0, Failure(None, type(exc).__name__, _first_line(str(exc))))


def make_executor(jobs: int) -> Executor:
    return InProcessExecutor() if jobs <= 1 else LocalPoolExecutor(jobs)


@dataclass
class RunSummary:
    results: list[RunResult]
    not_started: list[str] = field(default_factory=list)  # ward ids: profile only (see Plan.not_started)
    failed_wards: dict[str, list[Problem]] = field(default_factory=dict)  # ward id -> its data problems

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed


def stale_reasons(plan: Plan) -> dict[str, str | None]:
    """label -> why the run is out of date (None: current), from the manifest."""
    digests = cache.Digests(plan.project.root)
    manifest = cache.load_manifest(plan.project)
    return {task.label: cache.stale_reason(task, manifest.get(task.label), digests) for task in plan.tasks}


def run_plan(
    plan: Plan,
    jobs: int,
    force: bool = False,
    executor: Executor | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> RunSummary:
    """Execute what is out of date (everything with force) and regenerate the book's contents."""
    if plan.problems:
        raise InputError(plan.problems)
    results: list[RunResult] = []
    manifest = cache.load_manifest(plan.project)
    run = executor or make_executor(jobs)

    def report(result: RunResult) -> None:
        results.append(result)
        if result.status == "done" and result.record is not None:
            # Digests afresh: a run may have been made from files edited since this run began.
            manifest[result.task.label] = cache.entry_for(result.task, result.record, cache.Digests(plan.project.root))
            cache.save_manifest(plan.project, manifest)
        if on_result:
            on_result(result)

    # Two stages: each ward's findings first, then the chapters, whose staleness is judged only now
    # (a chapter that reads a ward's findings re-runs when, and only when, they changed).
    failed_findings: set[str] = set()
    for stage in ([t for t in plan.tasks if t.produces], [t for t in plan.tasks if not t.produces]):
        digests = cache.Digests(plan.project.root)
        pending: list[RunTask] = []
        for task in stage:
            if not task.produces and task.reads_findings and task.study_id in failed_findings:
                report(RunResult(task, "failed", failure=Failure(None, "NotRun", "its ward's findings could not be computed")))
            elif not force and cache.stale_reason(task, manifest.get(task.label), digests) is None:
                report(RunResult(task, "skipped"))
            else:
                pending.append(task)
        for result in run.map(pending) if pending else ():
            report(result)
            if result.task.produces and result.status == "failed":
                failed_findings.add(result.task.study_id)
    from cityconv.pipeline.book import write_toc

    write_toc(plan.project)
    order = {t.label: i for i, t in enumerate(plan.tasks)}
    results.sort(key=lambda r: order[r.task.label])
    return RunSummary(results, sorted(plan.not_started), dict(plan.failed_wards))


def default_jobs() -> int:
    return os.cpu_count() or 1


def iter_labels(results: Iterable[RunResult], status: str) -> list[str]:
    return [r.task.label for r in results if r.status == status]
