"""Run every (ward or study × chapter template) pair through papermill, safely and only when needed.

- Validate first: params, templates, parameters handed vs declared, data files. Any problem stops the
  run before a single notebook starts.
- Cache: a run is skipped when nothing it used has changed (`pipeline.cache`): its template, handed
  parameters, the lock file, and the files, folders and package modules it recorded while it ran
  (`pipeline.recording`), kept in one manifest under book/generated/.
- Atomic: a notebook executes into a temporary file beside its destination and replaces the
  published chapter only if papermill succeeded and no cell recorded an error. A failure leaves the
  previous chapter in place; the other runs still complete.
- Parallel: runs go to an `Executor` (`executors.py`: warm kernels by default, a fresh papermill
  kernel per notebook, or Dask). Workers return executed notebooks; only this process publishes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cityconv.core.params import StudyParams, load_all, problems_by_study, select
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import context as ctx
from cityconv.pipeline import cache
from cityconv.pipeline.atlas import ATLAS_IDS_HINT, atlas_selection_problems, atlas_tasks, split_atlas_ids
from cityconv.pipeline.execute import Failure, RunResult, publish_result
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
    from cityconv.methods.pii import screen_table

    data_dir = project.root / params.data_dir
    if params.kind == "study":  # a study's own inputs are checked by what its templates read
        return []
    from cityconv.pipeline.fieldkit_book import codebook_problem

    problems = validate_data_dir(data_dir, project.root) + codebook_problem(data_dir, project.root, params.id)
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
    present = _shared_paths(project, patterns)
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


#: The shared data folders `_validate_shared_inputs` checks: once they pass, the runs' loaders trust them too.
SHARED_FOLDERS = ("evidence", "recommendations", "city")


def _shared_paths(project: Project, patterns: set[str]) -> set[str]:
    """The project files the planned runs' `reads` patterns match, project-relative."""
    return {path.relative_to(project.root).as_posix() for pattern in patterns for path in project.root.glob(pattern)}


def _validated_folder(folder: Path) -> list[str]:
    """`folder`'s fingerprint, taken before it is checked (a later edit then fails to match), if it exists."""
    from cityconv.data.wardfiles import folder_fingerprint

    return [folder_fingerprint(folder)] if folder.is_dir() else []


def _load_denylist_quietly():
    """The deny-list of names for the PII screen; its absence is reported once, as a note."""
    import warnings

    from cityconv.data.denylist import NoDenylistWarning, load_denylist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDenylistWarning)
        return load_denylist()


def unknown_id_problems(project: Project, ids: list[str] | None) -> list[Problem]:
    """Ids on the command line that name no ward, study or atlas page, each with a "did you mean".

    Checked before a command takes the run lock, so a misspelt id changes nothing in the project.
    An id whose params file exists but fails is known: `build_plan` reports its own problems.
    """
    if not ids:
        return []
    all_params, params_problems = load_all(project)
    chosen, _ = split_atlas_ids(project, all_params, ids)
    failing = problems_by_study(params_problems)
    try:
        select(all_params, [i for i in chosen or [] if i not in failing], also=ATLAS_IDS_HINT)
    except InputError as exc:
        return exc.problems
    return []


def build_plan(project: Project, ids: list[str] | None = None, remember_clean: bool = True) -> Plan:
    """Validate everything the selected runs need and list the runs; nothing executes here.

    With `remember_clean`, checks of data that passed before, unchanged, are not repeated
    (`pipeline.validation_cache`); `cityconv validate` passes False and checks everything.
    """
    from cityconv.data.denylist import denylist_path
    from cityconv.pipeline.validation_cache import ValidationCache

    checks = ValidationCache(project, extra_inputs=[denylist_path()])
    if not remember_clean:
        checks.entries = {}
    all_params, params_problems = load_all(project)
    templates, problems = discover(project)
    full_build = not ids
    ids, atlas_wanted = split_atlas_ids(project, all_params, ids)
    # A params file that failed stops its own ward only; one not named on the command line is not reported.
    bad_params = {i: found for i, found in problems_by_study(params_problems).items() if full_build or i in ids}
    try:
        wanted = [i for i in ids or [] if i not in bad_params]
        studies = select(all_params, wanted, also=ATLAS_IDS_HINT) if wanted or full_build else {}
    except InputError as exc:
        return Plan(project, {}, {}, [], problems + exc.problems)
    studies = {i: p for i, p in studies.items() if i not in bad_params}  # e.g. both alpha.yml and alpha.yaml

    denylist = _load_denylist_quietly()
    chapters: dict[str, list[Template]] = {}
    tasks: list[RunTask] = []
    validated_folders: list[str] = []  # handed to every run: its loader need not check these again
    failed_wards: dict[str, list[Problem]] = dict(bad_params)
    not_started: dict[str, list[Problem]] = {}
    for study_id, params in studies.items():
        chosen, chapter_problems = templates_for(params, templates)
        problems += chapter_problems
        known = {t.id for t in templates}
        problems += [
            Problem(params.where, f"template_parameters names unknown template {name!r}")
            for name in params.template_parameters
            if name not in known
        ] + [
            Problem(params.where, f"time_limits names unknown template {name!r}")
            for name in params.time_limits
            if name not in known
        ]
        problems += _validate_ward(project, params)
        data_inputs = [project.params_file(study_id), *([project.root / params.data_dir] if params.data_dir else [])]
        fingerprint = _validated_folder(project.root / params.data_dir) if params.kind == "ward" and params.data_dir else []
        data_problems = checks.check(f"data:{study_id}", data_inputs,
                                     lambda params=params: _validate_data(project, params, denylist))
        if not data_problems:
            validated_folders += fingerprint
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
                    # Reconstructed or synthetic records are labelled where a page uses them; a page of
                    # public data only (the census profile) is real data and carries no such banner.
                    banner=(params.synthetic or params.reconstructed) and template.uses_records,
                    template_id=template.id,
                    template_title=template.title,
                    template_path=template.path,
                    params_path=params_path,
                    output_path=output_path(project, study_id, template),
                    parameters=handed,
                    declared_reads=tuple(template.reads),
                    produces=template.produces,
                    time_limit=params.time_limits.get(template.id),
                )
            )
    tasks += atlas_tasks(project, all_params, templates, atlas_wanted)  # profile-only wards and index pages
    patterns = {pattern for task in tasks for pattern in task.declared_reads}
    shared_inputs = [project.params_dir, *(project.data_dir / name for name in SHARED_FOLDERS)]
    read = _shared_paths(project, patterns)
    # the shared folders the plan checks (those some planned run reads), fingerprinted before the check
    shared_fingerprints = [fingerprint for name in SHARED_FOLDERS if any(p.startswith(f"data/{name}/") for p in read)
                           for fingerprint in _validated_folder(project.data_dir / name)]
    shared_problems = checks.check("shared:" + ",".join(sorted(patterns)), shared_inputs,
                                   lambda: _validate_shared_inputs(project, patterns))
    problems += shared_problems
    if not shared_problems:
        validated_folders += shared_fingerprints
    checks.save()
    problems += atlas_selection_problems(project)
    atlas_wards = ctx.atlas_selection()
    tasks = [replace(task, validated_folders=tuple(validated_folders), atlas_wards=atlas_wards) for task in tasks]
    return Plan(project, studies, chapters, tasks, problems, notes=[denylist.note],
                failed_wards=failed_wards, not_started=not_started)


@dataclass
class RunSummary:
    results: list[RunResult]
    not_started: list[str] = field(default_factory=list)  # ward ids: profile only (see Plan.not_started)
    failed_wards: dict[str, list[Problem]] = field(default_factory=dict)  # ward id -> its data problems
    interrupted: int | None = None  # the signal that stopped the run early, if one did

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and self.interrupted is None


def stale_reasons(plan: Plan) -> dict[str, str | None]:
    """label -> why the run is out of date (None: current), from the manifest."""
    digests = cache.Digests(plan.project.root)
    manifest = cache.load_manifest(plan.project)
    return {task.label: cache.stale_reason(task, manifest.get(task.label), digests) for task in plan.tasks}


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
    time per project (`wait`: queue behind another run instead of refusing); a signal turned into
    `RunInterrupted` by `interrupts.signals_stop_the_run` ends the run early with what finished.
    """
    if plan.problems:
        raise InputError(plan.problems)
    from cityconv.pipeline.executors import make_executor
    from cityconv.pipeline.interrupts import RunInterrupted, run_lock

    with run_lock(plan.project, wait=wait):
        run = executor if executor is not None and not isinstance(executor, str) else make_executor(executor, jobs)
        try:
            return _run_locked(plan, jobs, force, run, on_result, RunInterrupted)
        finally:  # workers (and their warm kernels) serve both stages, then stop here
            if hasattr(run, "close"):
                run.close()


def _run_locked(plan: Plan, jobs: int, force: bool, run: Executor, on_result, interrupted_by) -> RunSummary:
    results: list[RunResult] = []
    manifest = cache.load_manifest(plan.project)
    interrupted: int | None = None

    def report(result: RunResult) -> None:
        result = publish_result(result)
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
        if interrupted is not None:
            break
        digests = cache.Digests(plan.project.root)
        pending: list[RunTask] = []
        for task in stage:
            if not task.produces and task.reads_findings and task.study_id in failed_findings:
                report(RunResult(task, "failed", failure=Failure(None, "NotRun", "its ward's findings could not be computed")))
            elif not force and cache.stale_reason(task, manifest.get(task.label), digests) is None:
                report(RunResult(task, "skipped"))
            else:
                pending.append(task)
        try:
            for result in run.map(pending) if pending else ():
                report(result)
                if result.task.produces and result.status == "failed":
                    failed_findings.add(result.task.study_id)
        except interrupted_by as stop:
            interrupted = stop.signum
    from cityconv.pipeline.book import write_toc

    write_toc(plan.project)
    order = {t.label: i for i, t in enumerate(plan.tasks)}
    results.sort(key=lambda r: order[r.task.label])
    return RunSummary(results, sorted(plan.not_started), dict(plan.failed_wards), interrupted)


def default_jobs() -> int:
    """One worker per core when neither `--jobs` nor $CITYCONV_JOBS says otherwise (see `cli.JobsOption`).

    Each worker starts a kernel of its own (about 3 CPU s with its process), so where the cores are busy
    anyway a smaller number finishes the same notebooks with less CPU."""
    return os.cpu_count() or 1
