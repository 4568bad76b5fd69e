"""`cityconv preview`: serve the book, rebuild what a saved file affects, reload the open page.

No second dependency tracker: a change only wakes the loop, which then does what `cityconv build`
does — `build_plan`, `run_plan` (the manifest skips every run still current), `build_artifacts` (the
same for pages and bundles) and `render`, which runs Jupyter Book without `--all`, so Sphinx keeps
its environment in `_build/.doctrees` and reads only the pages whose files changed. The run lock is
held through each rebuild and released while idle, so a `cityconv build` elsewhere can still run.
Two things stay up between rebuilds to make a save cheap: the executor's warm kernels (`KeptOpen`)
and a Jupyter Book renderer with its imports done (`preview_render.KeptRenderer`).

watchfiles (Rust `notify`: inotify on Linux, debounced batches, a filter hook) watches the inputs; it
is what uvicorn and sphinx-autobuild use, so we do not poll the tree ourselves. It runs in a thread
feeding a queue, which leaves the main thread free to receive Ctrl-C/SIGTERM as `RunInterrupted`.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import psutil
import watchfiles

from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem
from cityconv.pipeline.interrupts import RunInterrupted, kill_processes, run_lock, signals_stop_the_run
from cityconv.pipeline.preview_render import KeptRenderer
from cityconv.pipeline.preview_server import PreviewState, address, start_server

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/cityconv: a change to the code re-runs what imported it
WATCHED_FILES = ("_toc.yml", "_config.yml")
WATCHED_FOLDERS = ("params", "data", "notebooks", "book")
STEP_MS = 50  # a batch of changes is handed over this long after the last one (an editor's save is several)
EXTRA_IGNORED_DIRS = (".ipynb_checkpoints",)


@dataclass
class Rebuild:
    """One rebuild's outcome: the problem lines (the text the command line prints), a summary, timings."""

    problems: list[str] = field(default_factory=list)
    summary: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> wall-clock seconds, in order

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def timing(self) -> str:
        return ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in self.seconds.items()) + " s"


class KeptOpen:
    """The executor without `close`: `run_plan` leaves its workers (and warm kernels) up for the next rebuild.

    Safe because a warm kernel starts each notebook from its baseline, re-imports the package, and
    restarts when the package's source changed (`pipeline.warm_kernel`).
    """

    def __init__(self, executor) -> None:
        self.executor = executor

    def map(self, tasks):
        return self.executor.map(tasks)


def watched_paths(project: Project) -> list[Path]:
    """The inputs a preview watches: params, ward data, templates, hand-written pages, config, the package."""
    paths = [project.root / name for name in (*WATCHED_FOLDERS, *WATCHED_FILES)]
    return [path for path in [*paths, PACKAGE_DIR] if path.exists()]


class ProjectInputs(watchfiles.DefaultFilter):
    """watchfiles' default filter (caches, editors' swap files) minus what a build writes itself."""

    def __init__(self, project: Project) -> None:
        super().__init__(ignore_dirs=(*self.ignore_dirs, *EXTRA_IGNORED_DIRS))
        self.written_by_builds = (str(project.generated_dir), str(project.build_dir), str(project.root / ".cityconv"))

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return super().__call__(change, path) and not any(
            path == folder or path.startswith(folder + "/") for folder in self.written_by_builds
        )


class Watcher:
    """Changed files, batched by watchfiles in a background thread; `stop()` ends the thread."""

    def __init__(self, paths: Iterable[Path], watch_filter: watchfiles.BaseFilter) -> None:
        self._changes: queue.Queue[set[tuple[watchfiles.Change, str]]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(list(paths), watch_filter),
                                        name="cityconv-preview-watcher", daemon=True)
        self._thread.start()

    def _watch(self, paths: list[Path], watch_filter: watchfiles.BaseFilter) -> None:
        for changes in watchfiles.watch(*paths, watch_filter=watch_filter, stop_event=self._stop,
                                        step=STEP_MS, raise_interrupt=False):
            self._changes.put(changes)

    def wait(self, timeout: float) -> set[str]:
        """The files changed since the last call, waiting up to `timeout` seconds for the first."""
        changed: set[str] = set()
        with contextlib.suppress(queue.Empty):
            changed |= {path for _, path in self._changes.get(timeout=timeout)}
            while True:
                changed |= {path for _, path in self._changes.get_nowait()}
        return changed

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def rebuild(project: Project, ids: list[str] | None, jobs: int, executor,
            on_result: Callable | None = None, renderer: KeptRenderer | None = None) -> Rebuild:
    """Run what is out of date, build the book stage and render, as `cityconv build` does, under the run lock.

    A stop signal during the run raises `RunInterrupted` once the executor has stopped its kernels.
    """
    from cityconv.pipeline.artifacts import build_artifacts
    from cityconv.pipeline.book import render, render_arguments
    from cityconv.pipeline.runner import build_plan, run_plan

    outcome = Rebuild()
    clock = _Clock(outcome.seconds)
    with run_lock(project, wait=True):
        try:
            with clock("plan"):
                plan = build_plan(project, ids)
        except InputError as exc:
            outcome.problems, outcome.summary = [str(p) for p in exc.problems], "nothing was run"
            return outcome
        if plan.problems:  # a shared input is wrong: nothing runs and nothing is rendered
            outcome.problems = [str(p) for p in plan.problems]
            outcome.summary = f"{len(plan.problems)} problem(s) found; nothing was run"
            return outcome
        with clock("notebooks"):
            summary = run_plan(plan, jobs, executor=KeptOpen(executor), on_result=on_result)
        if summary.interrupted is not None:
            raise RunInterrupted(summary.interrupted)
        with clock("pages"):
            artifacts = build_artifacts(project, ("book",))
        with clock("render"):
            code = renderer.render(render_arguments(project)) if renderer is not None else None
            if code is None:  # no kept renderer, or it died: a fresh `jupyter-book` process
                code = render(project)
    outcome.problems = [str(p) for found in summary.failed_wards.values() for p in found]
    outcome.problems += [result.report_line() for result in summary.failed]
    outcome.problems += [f"{r.artifact.label}: {r.reason}" for r in artifacts if r.status == "failed"]
    if code != 0:
        outcome.problems.append(f"jupyter-book build failed (exit {code}); its messages are in the terminal running the preview")
    outcome.summary = (f"Runs: {summary.count('done')} done, {summary.count('skipped')} skipped (unchanged), "
                       f"{summary.count('failed')} failed; artifacts: {sum(r.status == 'built' for r in artifacts)} built")
    return outcome


class _Clock:
    """`with clock("phase"):` adds the phase's wall-clock seconds to a dict."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds

    @contextlib.contextmanager
    def __call__(self, phase: str):
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.monotonic() - started


def stop_children() -> None:
    """Kill whatever this process started and is still alive: for a process that is only the preview
    (the command line), after `preview` has stopped what it knows of, in case anything slipped by."""
    with contextlib.suppress(psutil.Error):
        kill_processes(psutil.Process().children(recursive=True), grace=1.0)


def preview(project: Project, ids: list[str] | None, jobs: int, port: int = 0, executor: str = "warm",
            say: Callable[[str], None] = print, report: Callable[[Rebuild], None] | None = None,
            on_result: Callable | None = None) -> int:
    """Serve and rebuild until Ctrl-C or SIGTERM; returns the exit code (128 + the signal).

    The server and the watcher start before the first build, so the address is known at once and a
    file saved during a rebuild is rebuilt next.
    """
    from cityconv.pipeline.executors import make_executor

    state = PreviewState()
    server = watcher = None
    workers = make_executor(executor, jobs)  # kept across rebuilds: its kernels stay warm
    renderer = None
    with signals_stop_the_run():
        try:
            try:
                server = start_server(project.build_dir / "html", state, port)
            except OSError as exc:  # the port asked for is taken (or not ours to use)
                raise InputError([Problem("--port", f"cannot serve on 127.0.0.1:{port}: {exc.strerror}",
                                          expected="a free port, or no --port for any free one")]) from None
            say(f"Serving the book at {address(server)} (Ctrl-C stops the preview)")
            watcher = Watcher(watched_paths(project), ProjectInputs(project))
            renderer = KeptRenderer(project.root)  # Jupyter Book imported once, while the first build runs
            changed: set[str] = {"(first build)"}
            while True:
                if changed:
                    state.started()
                    say(f"Rebuilding: {_describe(project, changed)}")
                    try:
                        outcome = rebuild(project, ids, jobs, workers, on_result, renderer)
                    except RunInterrupted:
                        raise
                    except Exception as exc:  # noqa: BLE001  (the preview outlives a broken rebuild; the page says why)
                        message = str(exc).splitlines()[0][:300] if str(exc) else ""
                        outcome = Rebuild([f"the rebuild stopped: {type(exc).__name__}: {message}"], "the rebuild stopped")
                    state.finished(outcome.problems)
                    if report:
                        report(outcome)
                changed = watcher.wait(timeout=0.5)
        except RunInterrupted as stop:
            return stop.exit_code
        finally:
            if watcher is not None:
                watcher.stop()
            if server is not None:
                server.shutdown()
                server.server_close()
            getattr(workers, "kill", getattr(workers, "close", lambda: None))()  # the kernels, not waited on
            if renderer is not None:
                renderer.kill()


def _describe(project: Project, changed: set[str]) -> str:
    names = sorted(Path(p).relative_to(project.root).as_posix() if Path(p).is_relative_to(project.root) else p
                   for p in changed)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
