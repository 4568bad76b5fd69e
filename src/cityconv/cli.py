"""The `cityconv` command line.

typer gives typed options and `--help` from the signatures; rich gives progress and tables that
degrade to plain text in CI logs. Exit codes: 0 success, 1 a notebook failed, 2 invalid input.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape as plain
from rich.table import Table

from cityconv.core.paths import ROOT_MARKERS, Project, is_project, shared_open_data_dir
from cityconv.core.problems import InputError, Problem

#: Sets --jobs when the option is not given (read by typer, checked like the option itself).
JOBS_ENV = "CITYCONV_JOBS"

app = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False, no_args_is_help=True, help="Build the City Conversation book.")
# Text from files (problems, titles, paths) is printed through `plain` (rich.markup.escape), and emoji codes
# are off, so a cell holding "[/x]" or ":x:" prints as written instead of being read as console markup.
console = Console(highlight=False, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 75  # another run holds the project (EX_TEMPFAIL: try again later)


class Executor(str, enum.Enum):
    warm = "warm"
    papermill = "papermill"
    dask = "dask"


RootOption = typer.Option(None, "--root", help="Project root (default: found from the current folder).")
IdsArgument = typer.Argument(None, help="Ward or study ids (default: all in params/).", show_default=False)


def _project(root: Optional[Path]) -> Project:
    """The project at --root (which must be one: nothing is created elsewhere), or found from here."""
    try:
        if root and not is_project(root.resolve()):
            raise FileNotFoundError(f"--root {root} is not a cityconv project: expected a folder with "
                                    f"{' and '.join(ROOT_MARKERS)}")
        return Project(root.resolve()) if root else Project.discover()
    except FileNotFoundError as exc:
        err.print(f"[bold red]error:[/] {plain(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _exit_now(code: int) -> None:
    """Exit at once after a stop signal: workers and kernels are dead and everything published was
    written atomically, so nothing is left to wait for (the interpreter's exit could wait on the
    worker pool's manager thread; a stop must take seconds, every time)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _report_problems(problems, consequence: str = "nothing was run") -> None:
    err.print(f"[bold red]{len(problems)} problem{'s' if len(problems) != 1 else ''} found; {plain(consequence)}.[/]")
    for problem in problems:
        err.print(f"  [red]✗[/] {plain(str(problem))}", soft_wrap=True)


def _fail_on_problems(problems) -> None:
    if problems:
        _report_problems(problems)
        raise typer.Exit(EXIT_BAD_INPUT)


def _refuse_unknown_ids(project: Project, ids: Optional[list[str]]) -> None:
    """Exit 2 on a misspelt id before the run lock is taken: nothing in the project changes."""
    from cityconv.pipeline.runner import unknown_id_problems

    _fail_on_problems(unknown_id_problems(project, ids))


@contextlib.contextmanager
def _project_lock(project: Project, wait: bool):
    """The project's run lock, or exit 75 with a message when another run holds it."""
    from cityconv.pipeline.interrupts import RunBusy, run_lock

    try:
        with run_lock(project, wait=wait):
            yield
    except RunBusy as exc:
        err.print(f"[bold red]error:[/] {plain(str(exc))}", soft_wrap=True)
        raise typer.Exit(EXIT_BUSY) from None


@app.command("list")
def list_(root: Optional[Path] = RootOption) -> None:
    """List wards and studies with their chapters, then every artifact of the build plan and whether it is current."""
    from cityconv.pipeline.artifacts import artifact_plan, current_states
    from cityconv.pipeline.runner import build_plan

    plan = build_plan(_project(root))
    artifacts = artifact_plan(plan)
    states = current_states(plan, artifacts)
    table = Table("id", "kind", "title", "data", "chapters (✓ published and current)")
    for study_id, params in plan.studies.items():
        tasks = [t for t in plan.tasks if t.study_id == study_id]
        chapters = ", ".join(f"{t.template_id}{' ✓' if states[f'notebook:{t.label}'] is None else ''}" for t in tasks)
        table.add_row(plain(study_id), params.kind, plain(params.title), params.data_status, plain(chapters) or "—")
    console.print(table)
    table = Table("stage", "kind", "id", "outputs", "current", title="Artifacts of the build plan")
    table.columns[3].overflow = table.columns[4].overflow = "fold"  # a path is shown whole, never cut
    for artifact in artifacts:
        outputs = artifact.outputs[0] if artifact.outputs else "—"
        if len(artifact.outputs) > 1:
            outputs += f" (+{len(artifact.outputs) - 1} more)"
        reason = states[artifact.label]
        table.add_row(artifact.stage, artifact.kind, plain(artifact.id), plain(outputs), "✓" if reason is None else plain(f"no: {reason}"))
    console.print(table)
    if plan.problems:
        err.print(f"[yellow]{len(plan.problems)} problem(s): run `cityconv validate` for details[/]")


@app.command()
def validate(ids: Optional[list[str]] = IdsArgument, root: Optional[Path] = RootOption) -> None:
    """Check params, templates and data files; report every problem with file, row and column."""
    from cityconv.pipeline.runner import build_plan

    plan = build_plan(_project(root), ids, remember_clean=False)
    # A ward not started yet or with invalid data does not stop a build, but validate reports it.
    _fail_on_problems(plan.problems + [p for found in (plan.not_started, plan.failed_wards) for ps in found.values() for p in ps])
    console.print(f"[green]✓[/] {len(plan.studies)} ward(s)/stud(ies), {len(plan.tasks)} chapter run(s): all inputs valid")
    for note in plan.notes:
        console.print(f"  [dim]note:[/] {plain(str(note))}", soft_wrap=True)


def _run(project: Project, ids: Optional[list[str]], jobs: Optional[int], force: bool,
         executor: str = "warm", scheduler: Optional[str] = None, wait: bool = False):
    """Plan, then execute under the run lock; Ctrl-C/SIGTERM stop it with a summary (exit 130/143)."""
    from cityconv.pipeline.executors import make_executor
    from cityconv.pipeline.interrupts import RunBusy, RunInterrupted, signals_stop_the_run
    from cityconv.pipeline.progress import RunProgress
    from cityconv.pipeline.runner import build_plan, default_jobs, run_plan

    with signals_stop_the_run():
        try:
            plan = build_plan(project, ids)
            _fail_on_problems(plan.problems)
            chosen = make_executor(executor, jobs or default_jobs(), scheduler=scheduler)
            with RunProgress(len(plan.tasks), console) as progress:
                summary = run_plan(plan, jobs or default_jobs(), force=force, executor=chosen,
                                   on_result=progress, wait=wait)
        except RunBusy as exc:
            err.print(f"[bold red]error:[/] {plain(str(exc))}", soft_wrap=True)
            raise typer.Exit(EXIT_BUSY) from None
        except RunInterrupted as exc:  # before any notebook started
            err.print(f"[bold red]Stopped ({plain(str(exc))}) before any notebook ran; nothing was changed.[/]")
            raise typer.Exit(exc.exit_code) from None
    console.print(
        f"Runs: {summary.count('done')} done, {summary.count('skipped')} skipped (unchanged), "
        f"{summary.count('failed')} failed"
    )
    _report_wards(summary)
    if summary.failed:
        err.print("[bold red]Failed runs[/] (the previously published chapter, if any, was kept):")
        for result in summary.failed:
            err.print(f"  [red]✗[/] {plain(result.report_line())}", soft_wrap=True)
    if summary.interrupted is not None:
        stopped = RunInterrupted(summary.interrupted)
        not_run = len(plan.tasks) - len(summary.results)
        err.print(
            f"[bold red]Run {stopped}[/]: {summary.count('done')} chapter(s) finished and were published; "
            f"{not_run} did not finish and were not published (their previous chapters, if any, are kept).",
            soft_wrap=True,
        )
        _exit_now(stopped.exit_code)
    return summary


def _report_wards(summary) -> None:
    """One line per ward not started; the full report for each ward whose data stopped it alone."""
    for ward_id in summary.not_started:
        console.print(f"Not started: {plain(ward_id)} (its data files are still empty templates; profile only)")
    for ward_id, problems in summary.failed_wards.items():
        _report_problems(problems, f"the chapters of {ward_id} were not run (its published chapters were kept)")


def _exit_if_failed(summary) -> None:
    """Invalid ward data: exit 2, as for any bad input; a failed notebook: exit 1."""
    if summary.failed_wards:
        raise typer.Exit(EXIT_BAD_INPUT)
    if summary.failed:
        raise typer.Exit(EXIT_RUN_FAILED)


# --jobs unset: $CITYCONV_JOBS, else one worker per core (runner.default_jobs). On a machine whose cores are
# already busy (a test session's workers, a shared server) a smaller default saves each extra worker's start.
def _jobs(value: str) -> int:
    """`--jobs` or $CITYCONV_JOBS as a number of workers; a bad value is named in the error (typer adds where it came from)."""
    try:
        jobs = int(value.strip())
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise typer.BadParameter(f"{value!r}: expected a whole number of parallel runs, 1 or more")
    return jobs


JobsOption = typer.Option(None, "--jobs", "-j", parser=_jobs, envvar=JOBS_ENV, show_envvar=True,
                          help="Parallel runs (default: number of cores).")
ForceOption = typer.Option(False, "--force", help="Re-run even if no input changed.")
ExecutorOption = typer.Option(
    Executor.warm, "--executor", "-e",
    help="warm: one kernel kept per worker (fast, default); papermill: a fresh kernel per notebook; "
    "dask: a Dask cluster (--scheduler) or a local one.",
)
SchedulerOption = typer.Option(
    None, "--scheduler", envvar="CITYCONV_SCHEDULER",
    help="Dask scheduler address (tcp://host:8786) for --executor dask; without it a local cluster starts.",
)
WaitOption = typer.Option(False, "--wait", help="If another run is in progress in this project, wait for it instead of refusing.")


@app.command()
def run(
    ids: Optional[list[str]] = IdsArgument,
    jobs: Optional[int] = JobsOption,
    force: bool = ForceOption,
    executor: Executor = ExecutorOption,
    scheduler: Optional[str] = SchedulerOption,
    wait: bool = WaitOption,
    root: Optional[Path] = RootOption,
) -> None:
    """Execute chapter templates for each ward or study (skipping unchanged ones)."""
    summary = _run(_project(root), ids, jobs, force, executor.value, scheduler, wait)
    _exit_if_failed(summary)


def _parse_kinds(values: Optional[list[str]], option: str = "--only") -> Optional[list[str]]:
    """`--only page --only pdf` or `--only page,pdf` (or `--skip`) as a list of kinds; None when not given."""
    from cityconv.pipeline.artifacts import KINDS

    if not values:
        return None
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        _fail_on_problems([Problem(option, f"unknown artifact kind {kind!r}", expected=", ".join(KINDS))
                           for kind in unknown])
    return kinds


def _build_artifacts(project: Project, stages: tuple[str, ...], kinds: Optional[list[str]] = None,
                     force: bool = False, ids: Optional[list[str]] = None) -> list:
    """The plan's artifacts after the notebooks (book stage, and print if asked); one line per one built or failed."""
    from cityconv.pipeline.artifacts import build_artifacts

    def show(result) -> None:
        if result.status == "built":
            console.print(f"  built {result.artifact.label} ({result.reason})", soft_wrap=True)
        elif result.status == "failed":
            err.print(f"  [red]✗[/] {result.artifact.label}: {result.reason}", soft_wrap=True)

    results = build_artifacts(project, stages=stages, kinds=kinds, force=force, on_result=show, ids=ids)
    built = sum(r.status == "built" for r in results)
    failed = sum(r.status == "failed" for r in results)
    console.print(f"Artifacts: {built} built, {len(results) - built - failed} skipped (unchanged), {failed} failed")
    return results


OnlyOption = typer.Option(
    None, "--only", help="Build only these kinds of artifact (notebook, page, bundle, pdf; repeat or comma-separate); "
    "no HTML is rendered. `cityconv list` shows them.",
)


SkipOption = typer.Option(
    None, "--skip", help="Build everything but these kinds of artifact (e.g. --skip pdf: no field-kit PDFs while "
    "working; repeat or comma-separate), then render the HTML. A later build without it makes them.",
)


@app.command()
def build(
    ids: Optional[list[str]] = IdsArgument,
    jobs: Optional[int] = JobsOption,
    force: bool = ForceOption,
    executor: Executor = ExecutorOption,
    scheduler: Optional[str] = SchedulerOption,
    wait: bool = WaitOption,
    only: Optional[list[str]] = OnlyOption,
    skip: Optional[list[str]] = SkipOption,
    root: Optional[Path] = RootOption,
) -> None:
    """Run what is out of date, build the book's pages and downloads, then render the HTML book into _build/html."""
    from cityconv.pipeline.artifacts import KINDS
    from cityconv.pipeline.book import index_html, render

    project = _project(root)
    kinds, skipped = _parse_kinds(only), _parse_kinds(skip, "--skip")
    if kinds and skipped:
        _fail_on_problems([Problem("--skip", "--only and --skip were both given", expected="one of them")])
    if skipped and "notebook" in skipped:
        _fail_on_problems([Problem("--skip", "'notebook' cannot be skipped: the book renders the runs' chapters",
                                   expected="page, bundle or pdf")])
    _refuse_unknown_ids(project, ids)
    with _project_lock(project, wait):  # held through rendering: two builds never write _build/html at once
        summary = None
        if kinds is None or "notebook" in kinds:
            summary = _run(project, ids, jobs, force, executor.value, scheduler, wait)
        book_kinds = [kind for kind in KINDS if kind not in skipped] if skipped else kinds
        artifacts = _build_artifacts(project, ("book", "print") if kinds else ("book",), book_kinds, force)
        if kinds is not None:  # a subset: nothing rendered
            if summary is not None:
                _exit_if_failed(summary)
            if any(r.status == "failed" for r in artifacts):
                raise typer.Exit(EXIT_RUN_FAILED)
            return
        code = render(project)
    if code != 0:
        err.print(f"[bold red]jupyter-book build failed (exit {code}); see the messages above.[/]")
        raise typer.Exit(code)
    console.print(  # repeated after Jupyter Book's own output, so the summary is the last thing shown
        f"Runs: {summary.count('done')} done, {summary.count('skipped')} skipped (unchanged), "
        f"{summary.count('failed')} failed"
    )
    console.print(f"Book: {index_html(project)}")
    _report_wards(summary)
    if summary.failed or summary.failed_wards:
        err.print("[red]The book was rendered with the previously published chapters of the failed runs.[/]")
    _exit_if_failed(summary)
    if any(r.status == "failed" for r in artifacts):
        err.print("[red]The book was rendered with the previous files of the failed artifacts.[/]")
        raise typer.Exit(EXIT_RUN_FAILED)


@app.command()
def pdf(
    ids: Optional[list[str]] = IdsArgument,
    jobs: Optional[int] = JobsOption,
    root: Optional[Path] = RootOption,
) -> None:
    """Run what is out of date, then print the whole book, a briefing per ward and a one-page profile
    per profile-only ward to PDF (Chromium); each PDF only when what it is made from changed."""
    from cityconv.pipeline.pdf import pdf_dir

    project = _project(root)
    _refuse_unknown_ids(project, ids)
    with _project_lock(project, wait=False):  # held through printing: two runs never write the PDFs at once
        summary = _run(project, ids, jobs, force=False)
        results = _build_artifacts(project, ("book", "print"), ids=ids or None)
    printed = {r.artifact.id: r for r in results if r.artifact.stage == "print"}
    console.print(f"Book PDF: {pdf_dir(project) / 'cityconv-book.pdf'}")
    for output in printed["book"].artifact.outputs[1:] if "book" in printed else ():
        console.print(f"Briefing: {project.root / output}")
    profiles = printed["profile-sheets"].artifact.outputs if "profile-sheets" in printed else ()
    console.print(f"Ward profiles: {len(profiles)} one-page PDF(s) in {pdf_dir(project)}" if profiles
                  else "Ward profiles: none (no profile-only ward chosen)")
    _exit_if_failed(summary)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(EXIT_RUN_FAILED)


@app.command()
def preview(
    ids: Optional[list[str]] = IdsArgument,
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one)."),
    jobs: Optional[int] = JobsOption,
    executor: Executor = ExecutorOption,
    root: Optional[Path] = RootOption,
) -> None:
    """Serve the book on 127.0.0.1 and rebuild what each saved file affects (params, ward data, templates,
    pages, the package); the open page reloads, and shows the error when a rebuild fails. Ctrl-C stops it."""
    from cityconv.pipeline.preview import preview as serve_and_rebuild
    from cityconv.pipeline.preview import stop_children
    from cityconv.pipeline.runner import default_jobs

    project = _project(root)
    _refuse_unknown_ids(project, ids)

    def say(text: str) -> None:
        console.print(plain(text), soft_wrap=True)
        sys.stdout.flush()  # the address and each rebuild show at once, even through a pipe

    def report(outcome) -> None:
        say(f"{outcome.summary} ({outcome.total:.1f} s: {outcome.timing()})")
        if outcome.problems:
            _report_problems(outcome.problems, "the page shows them; the last good chapters were kept")
        else:
            say("✓ rebuilt; the open page reloads")
        sys.stderr.flush()

    code = serve_and_rebuild(project, ids, jobs or default_jobs(), port, executor.value, say=say, report=report)
    stop_children()  # this process was only the preview: nothing it started outlives it
    console.print("Preview stopped.")
    _exit_now(code)


@app.command("derive-context")
def derive_context(
    open_data: Optional[Path] = typer.Option(None, help="Folder of raw open data (default: ../shared/open-data)."),
    root: Optional[Path] = RootOption,
) -> None:
    """Re-derive the ward-level context tables in data/context/ from the public open data."""
    from cityconv.data.context_derive import derive_all

    project = _project(root)
    source = open_data.resolve() if open_data else shared_open_data_dir(project.root)
    if not source.is_dir():
        err.print(f"[bold red]error:[/] open data folder not found: {source}")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        written = derive_all(source, project.context_dir)
    except (FileNotFoundError, KeyError, ValueError) as exc:  # a missing or changed raw file: one line each
        for line in str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc).splitlines():
            err.print(f"[bold red]error:[/] {plain(line)}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(f"[green]✓[/] wrote {len(written)} files to {project.context_dir}")


@app.command()
def reconstruct(
    seed: int = typer.Option(2020, help="Random seed of the documented reconstruction."),
    root: Optional[Path] = RootOption,
) -> None:
    """Re-create data/clubmoor/ (reconstructed response-level records consistent with the published summary)."""
    from cityconv.generate.reconstruct import reconstruct_clubmoor

    project = _project(root)
    written = reconstruct_clubmoor(project.data_dir / "clubmoor", seed=seed)
    console.print(f"[green]✓[/] wrote {len(written)} files to {project.data_dir / 'clubmoor'}")


@app.command("new-ward")
def new_ward(
    code_or_name: str = typer.Argument(..., help="Ward code (E05…) or name, from either Liverpool boundary set."),
    ward_id: Optional[str] = typer.Option(None, "--id", help="Id for params/<id>.yml and data/<id>/ (default: from the name)."),
    boundary_set: Optional[str] = typer.Option(None, help='"2004-2023" or "2023-" when a name exists in both.'),
    root: Optional[Path] = RootOption,
) -> None:
    """Scaffold a ward: params file and empty data templates with a codebook. Never overwrites."""
    from cityconv.generate.scaffold import new_ward as scaffold_ward
    from cityconv.generate.scaffold import next_steps

    project = _project(root)
    written = scaffold_ward(project, code_or_name, ward_id=ward_id, boundary_set=boundary_set)
    console.print(f"[green]✓[/] created {len(written)} files:")
    for path in written:
        console.print(f"  {plain(str(path.relative_to(project.root)))}")
    console.print(plain(next_steps(written[0].stem)))


@app.command()
def simulate(
    ward_id: str = typer.Argument(..., help="A ward made with `cityconv new-ward`."),
    n: int = typer.Option(48, "--n", min=1, help="Number of survey responses to simulate."),
    seed: int = typer.Option(2020, help="Random seed (same seed, same files)."),
    propensity: Optional[list[str]] = typer.Option(
        None, help="Response propensity, e.g. sex:Female=1.5 or age_band:45-54=1.4 (repeatable)."
    ),
    no_bias: bool = typer.Option(False, "--no-bias", help="Everyone equally likely to respond."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace data rows already in the folder."),
    start: str = typer.Option("2024-01", "--start", help="First month of the simulated study, YYYY-MM (its calendar)."),
    root: Optional[Path] = RootOption,
) -> None:
    """Fill a ward's data folder with SYNTHETIC demonstration data (marks the ward synthetic: true)."""
    from cityconv.generate.simulate import parse_propensity_options, simulate_ward

    project = _project(root)
    written = simulate_ward(
        project, ward_id, n=n, seed=seed,
        propensities=parse_propensity_options(propensity, no_bias), overwrite=overwrite, start=start,
    )
    console.print(f"[green]✓[/] wrote {len(written)} synthetic files for {plain(ward_id)}; params now say synthetic: true")


def _ward_data_dir(project: Project, ward_id: str) -> Path:
    """The data folder of a ward from its params file ("did you mean" for a misspelt id)."""
    from cityconv.core.params import load_all, select

    found, problems = load_all(project)
    if ward_id not in found and problems:
        raise InputError(problems)
    params = select(found, [ward_id])[ward_id]
    if params.data_dir is None:
        raise InputError([Problem(f"params/{ward_id}.yml", "this is a study, not a ward: it has no data folder")])
    return project.root / params.data_dir


ReplaceOption = typer.Option(False, "--replace", help="Overwrite survey files that already hold data.")


@app.command("import-survey")
def import_survey(
    ward_id: str = typer.Argument(..., help="The ward (its params id)."),
    export: Path = typer.Argument(..., help="The survey tool's export, as downloaded: .xlsx or .csv."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="YAML mapping of the export's columns and labels (docs/importing.md)."),
    draft: bool = typer.Option(False, "--draft", help="Write a draft questionnaire.yml and survey-mapping.yml from the export instead."),
    replace: bool = ReplaceOption,
    root: Optional[Path] = RootOption,
) -> None:
    """Turn a survey tool's export into the ward's survey files; all or nothing, every problem at once."""
    project = _project(root)
    data_dir = _ward_data_dir(project, ward_id)
    if draft == (mapping is not None):
        raise InputError([Problem("import-survey", "give either --mapping FILE (to import) or --draft (to write a draft "
                                  "questionnaire and mapping from the export)", expected="--mapping or --draft")])
    if draft:
        from cityconv.core.params import load_all, select
        from cityconv.generate.scaffold import draft_next_steps
        from cityconv.generate.survey_draft import write_draft

        params = select(load_all(project)[0], [ward_id])[ward_id]
        name = params.ward.name if params.ward is not None else ward_id
        written, read = write_draft(data_dir, export.resolve(), project.root, name)
        console.print(f"[green]✓[/] drafted from {plain(read.describe())}:")
        for path in written:
            console.print(f"  {plain(str(path.relative_to(project.root)))}")
        console.print(plain(draft_next_steps(ward_id, str(export), str(written[1].relative_to(project.root)))),
                      soft_wrap=True)
        return
    from cityconv.generate.import_survey import import_survey as run_import
    from cityconv.generate.scaffold import import_next_steps

    assert mapping is not None
    written, imported = run_import(data_dir, export.resolve(), mapping.resolve(), project.root, replace=replace)
    console.print(f"[green]✓[/] imported {len(imported.responses)} responses, {len(imported.mentions)} "
                  f"multi-answer mentions and {len(imported.texts)} text answers into {data_dir.relative_to(project.root)}:")
    for path in written:
        console.print(f"  {plain(str(path.relative_to(project.root)))}")
    if imported.read_as:
        console.print(f"  [dim]read as:[/] {plain(imported.read_as)}", soft_wrap=True)
    for warning in imported.warnings:
        console.print(f"  [yellow]warning:[/] {plain(str(warning))}", soft_wrap=True)
    for reason, count in imported.skipped.items():
        console.print(f"  [dim]skipped:[/] {count} row(s) with {plain(reason)} (skip: in the mapping)")
    if imported.duplicates:
        console.print(f"  [dim]skipped:[/] {imported.duplicates} exact duplicate row(s) (duplicates: drop-exact)")
    if imported.ignored:
        console.print("  [dim]note:[/] columns not read (neither mapped nor dropped): "
                      + plain(", ".join(repr(c) for c in imported.ignored)), soft_wrap=True)
    console.print(plain(import_next_steps(ward_id)), soft_wrap=True)


@app.command("import-workbook")
def import_workbook(
    ward_id: str = typer.Argument(..., help="The ward (its params id)."),
    workbook: Path = typer.Argument(..., help="The filled data-entry workbook (.xlsx) that new-ward wrote."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite files that already hold data."),
    root: Optional[Path] = RootOption,
) -> None:
    """Turn a filled data-entry workbook into the ward's CSV files; all or nothing, every problem at once."""
    from cityconv.generate.workbook import import_workbook as run_import

    project = _project(root)
    data_dir = _ward_data_dir(project, ward_id)
    written = run_import(data_dir, workbook.resolve(), project.root, replace=replace)
    console.print(f"[green]✓[/] wrote {len(written)} file(s) from the workbook:")
    for path in written:
        console.print(f"  {plain(str(path.relative_to(project.root)))}")
    console.print(f"Next: `cityconv validate {ward_id}`.")


@app.command("field-kit")
def field_kit(
    ward_id: str = typer.Argument(..., help="The ward (its params id)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the kit (default: _build/field-kit/<ward>)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also print each document to PDF (headless Chromium)."),
    root: Optional[Path] = RootOption,
) -> None:
    """Write the ward's field kit: printable questionnaire, information sheet and consent form, guides, workbook."""
    from cityconv.core.params import load_params
    from cityconv.data.questionnaire import ward_questionnaire
    from cityconv.generate.fieldkit import write_field_kit
    from cityconv.pipeline.fieldkit_book import codebook_problem

    project = _project(root)
    data_dir = _ward_data_dir(project, ward_id)
    questionnaire, problems = ward_questionnaire(data_dir, project.root)
    _fail_on_problems(problems)
    for problem in codebook_problem(data_dir, project.root, ward_id):
        console.print(f"  [dim]note:[/] {problem}", soft_wrap=True)
    params = load_params(project.params_dir / f"{ward_id}.yml", project.root)
    target = out.resolve() if out else project.root / "_build" / "field-kit" / ward_id
    written = write_field_kit(target, questionnaire, ward_id, params.disclosure.threshold)
    if pdf:
        from cityconv.generate.fieldkit import PRINT_FOOTER
        from cityconv.pipeline.print_html import print_pages

        written += print_pages([(p, p.with_suffix(".pdf")) for p in written if p.suffix == ".html"], footer=PRINT_FOOTER)
    console.print(f"[green]✓[/] field kit for {plain(params.title)} in {plain(str(target))}:")
    for path in written:
        if path.suffix != ".md":
            console.print(f"  {plain(path.name)}")


@app.command()
def codebook(
    ward_id: str = typer.Argument(..., help="The ward (its params id)."),
    root: Optional[Path] = RootOption,
) -> None:
    """Rewrite the ward's CODEBOOK.md from its questionnaire (a build never writes it; validate says when it is out of date)."""
    from cityconv.pipeline.fieldkit_book import CODEBOOK_FILE, rewrite_codebook

    project = _project(root)
    data_dir = _ward_data_dir(project, ward_id)
    path = (data_dir / CODEBOOK_FILE).relative_to(project.root)
    if rewrite_codebook(data_dir, project.root):
        console.print(f"[green]✓[/] rewrote {path} from the questionnaire")
    else:
        console.print(f"[green]✓[/] {path} already follows the questionnaire; nothing changed")


def main() -> None:
    """Entry point: input problems end in a short report and exit code 2, never a traceback."""
    try:
        app(standalone_mode=True)
    except InputError as exc:
        _report_problems(exc.problems, "nothing was changed")
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:  # a full disk, a permission refused: say where, not a traceback
        from cityconv.core.files import os_error_problem

        _report_problems([os_error_problem(exc, str(exc.filename or "the project"), "write or read a file")],
                         "the run stopped")
        sys.exit(EXIT_RUN_FAILED)
    except (RecursionError, OverflowError, ValueError, MemoryError) as exc:
        if os.environ.get("CITYCONV_DEBUG"):
            raise
        _report_problems([Problem("cityconv", f"stopped by {type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
                                  expected="set CITYCONV_DEBUG=1 to see where (and please report it)")], "the run stopped")
        sys.exit(EXIT_RUN_FAILED)


if __name__ == "__main__":
    main()
