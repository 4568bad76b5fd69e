"""Progress of a run: a live display on a terminal, plain lines otherwise (CI logs, pipes, tests).

On a terminal (rich): one bar with done, failed and remaining counts and an estimate of the time
left, and one line per failure as it happens. Elsewhere: one line per run, as
`[ 3/24] ran     clubmoor/profile   4.2s`, which logs and tests read.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

MARKS = {"done": "[green]ran[/]    ", "skipped": "[dim]cached[/] ", "failed": "[red]FAILED[/] "}


def estimate_seconds_left(executed: int, remaining: int, elapsed: float) -> float | None:
    """Time left at the pace so far (runs finished per second of wall clock, whatever the workers)."""
    if executed == 0 or remaining == 0:
        return None if remaining else 0.0
    return elapsed / executed * remaining


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = int(round(seconds))
    return f"about {seconds // 60}m {seconds % 60:02d}s left" if seconds >= 60 else f"about {seconds}s left"


class RunProgress:
    """Call with each `RunResult` as it arrives (`runner.run_plan(on_result=…)`)."""

    def __init__(self, total: int, console: Console | None = None, live: bool | None = None):
        self.console = console or Console(highlight=False, emoji=False)
        self.total = total
        self.live = self.console.is_terminal if live is None else live
        self.seen = 0
        self.counts = {"done": 0, "skipped": 0, "failed": 0}
        self.started: float | None = None
        self._progress: Progress | None = None
        self._bar: TaskID | None = None

    def __enter__(self) -> "RunProgress":
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), console=self.console, transient=False,
            )
            self._progress.start()
            self._bar = self._progress.add_task("chapters", total=self.total, counts=self._counts_text(), eta="")
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _counts_text(self) -> str:
        remaining = self.total - self.seen
        return (f"{self.counts['done']} done · {self.counts['failed']} failed · "
                f"{self.counts['skipped']} unchanged · {remaining} remaining")

    def __call__(self, result) -> None:
        self.seen += 1
        self.counts[result.status] += 1
        if result.status != "skipped" and self.started is None:
            self.started = time.perf_counter() - result.seconds
        if not self.live or self._progress is None or self._bar is None:
            took = f" {result.seconds:5.1f}s" if result.status != "skipped" else ""
            self.console.print(f"[{self.seen:>{len(str(self.total))}}/{self.total}] {MARKS[result.status]}{escape(result.task.label)}{took}")
            return
        if result.status == "failed":
            self._progress.console.print(f"[red]✗[/] {escape(result.report_line())}", soft_wrap=True)
        executed = self.counts["done"] + self.counts["failed"]
        elapsed = time.perf_counter() - self.started if self.started is not None else 0.0
        eta = format_eta(estimate_seconds_left(executed, self.total - self.seen, elapsed))
        self._progress.update(self._bar, advance=1, counts=self._counts_text(), eta=eta)
