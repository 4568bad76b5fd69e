"""Measure `cityconv preview`'s edit loop as a researcher sees it, in a real browser.

Not a timed test: the machines here are shared and noisy, so each figure is printed with the
machine's description and its load while measuring, and with the rebuild's own phase timings
(plan, notebooks, pages, render) from the preview's output, which say where the time went.

Usage:  .venv/bin/python benchmarks/preview.py [--project fixture|real] [--repeats 3] [--jobs 2]

- fixture (default): the test suite's one-ward project (tests/test_preview.py): a copy of Clubmoor's
  data and a chapter printing the total of workshops.csv's `participants`, plus two hand-written pages.
- real: a scratch copy of the whole project (first build: the whole book, tens of minutes); the CSV
  edited is Clubmoor's workshops.csv, and the page watched is the chapter given by --page.

`--render-cpu` instead builds the fixture once (`cityconv build`) and compares the CPU seconds of
rendering one changed hand-written page by a `jupyter-book` process (what `cityconv build` does) and by
a fork of the preview's kept renderer (`pipeline/preview_render.py`), `--repeats` times each.

Two loops, each `--repeats` times, with the page open in headless Chromium (Debian's):
1. save one ward's CSV with a new workshop participant count, then wait until the open page has
   reloaded and shows the new number (target: 5 s on a two-core machine);
2. save a hand-written page (`book/about-the-data.md`) with a new sentence, then wait until the open
   page shows it (target: 2 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from cityconv.pipeline.preview_server import STATUS_PATH

ROOT = Path(__file__).resolve().parents[1]
CITYCONV = str(Path(sys.executable).with_name("cityconv"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

WORKSHOP_ROW = "W1,1,2020-11,"
HAND_WRITTEN = "book/about-the-data.md"
PHASES = re.compile(r"\(([\d.]+) s: (plan [^)]*)\)")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, {platform.platform()}"


def fixture_project(base: Path) -> tuple[Path, str]:
    from test_preview import one_ward_project

    base.mkdir(parents=True)
    return one_ward_project(base), "book/generated/alpha/01-files.html"


def real_project(base: Path, page: str) -> tuple[Path, str]:
    from build_speed import scratch_project

    return scratch_project(base), page


class Preview:
    """`cityconv preview` running in the background, its output in a file."""

    def __init__(self, root: Path, jobs: int) -> None:
        self.log_path = root.parent / "preview.log"
        self.log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen([CITYCONV, "preview", "--root", str(root), "--jobs", str(jobs)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.url = self.wait_for(r"Serving the book at (http://127\.0\.0\.1:\d+/)", 120)

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output()[start:])
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise SystemExit(f"the preview stopped:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise SystemExit(f"no {pattern!r} within {timeout} s:\n{self.output()[-3000:]}")

    def generation(self) -> int:
        """How many rebuilds have finished (the preview's status), once none is running."""
        import json
        import urllib.request

        while True:
            with urllib.request.urlopen(self.url + STATUS_PATH.lstrip("/"), timeout=30) as response:
                status = json.load(response)
            if not status["building"]:
                return status["generation"]
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the preview and everything below it (kernels, renders that ended)."""
        total = 0.0
        for process in [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        self.log.close()


def slowdown(cpu_seconds: float = 0.3) -> float:
    """How many times slower than on an idle core this process runs now: a fixed CPU-bound loop's
    wall-clock time over its CPU time (1.0 on a quiet machine). Measured beside each save, it is the
    run's own idle baseline: a loop's wall time divided by it estimates the time on a quiet machine."""
    wall, cpu = time.monotonic(), time.process_time()
    while time.process_time() - cpu < cpu_seconds:
        sum(i * i for i in range(10_000))
    return max(1.0, (time.monotonic() - wall) / (time.process_time() - cpu))


def wait_for_text(page, text: str, timeout: float = 900) -> float:
    """Seconds until the open page's text includes `text` (the page reloads itself; we only read it)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if text in page.inner_text("body", timeout=1000):
                return time.monotonic() - started
        except Exception:  # noqa: BLE001  (the page is reloading: read it again)
            pass
        time.sleep(0.02)
    raise SystemExit(f"the page never showed {text!r}")


def edit_loop(preview: Preview, page, path: Path, edits: list[tuple[str, str, str]]) -> list[tuple[float, float, float]]:
    """For each (old, new, expected text): save the edit, time until the page shows the text.

    Returns (wall-clock seconds, CPU seconds of the preview's process tree, slowdown) per edit: on a
    shared machine the CPU time says what the loop costs whatever the load, and the slowdown measured
    just before and after the save (`slowdown`) turns the wall time into an estimate for a quiet machine.
    """
    times = []
    for old, new, expected in edits:
        preview.generation()  # no rebuild running: the save below starts one from idle
        before = slowdown()
        start = len(preview.output())
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        cpu = preview.cpu_seconds()
        saved = time.monotonic()
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        wait_for_text(page, expected)
        seconds = time.monotonic() - saved
        cpu = preview.cpu_seconds() - cpu
        phases = preview.wait_for(r"(\([\d.]+ s: plan [^)]*\))", 60, start)
        factor = (before + slowdown()) / 2
        times.append((seconds, cpu, factor))
        print(f"  {seconds:6.2f} s to the reloaded page, {cpu:5.2f} s CPU, slowdown ×{factor:.1f} "
              f"(≈ {seconds / factor:.2f} s idle); rebuild {phases}", flush=True)
        time.sleep(1.0)  # let the browser settle before the next save
    return times


def render_cpu(root: Path, repeats: int) -> None:
    """CPU seconds of an incremental render of one changed page: a `jupyter-book` process, then a fork
    of a process that has imported what the kept renderer imports."""
    import importlib
    import resource

    from cityconv.core.paths import Project
    from cityconv.pipeline import preview_render
    from cityconv.pipeline.book import render_arguments

    build = subprocess.run([CITYCONV, "build", "--root", str(root), "--jobs", "2"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    arguments = render_arguments(Project(root))
    page = root / HAND_WRITTEN

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def timed(label: str, render) -> None:
        for i in range(repeats):
            page.write_text(page.read_text(encoding="utf-8") + f"\nA sentence for render {label} {i}.\n", encoding="utf-8")
            cpu, wall = children_cpu(), time.monotonic()
            code = render()
            print(f"  {label}: exit {code}, {time.monotonic() - wall:5.1f} s wall, {children_cpu() - cpu:5.2f} s CPU", flush=True)

    jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
    timed("jupyter-book process", lambda: subprocess.call([jupyter_book, *arguments], cwd=root,
                                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for name in preview_render.PRELOADED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    os.chdir(root)
    quiet = os.open(os.devnull, os.O_WRONLY)
    terminal = os.dup(1)

    def forked() -> int:
        os.dup2(quiet, 1)
        try:
            return preview_render.render_in_child(arguments)
        finally:
            os.dup2(terminal, 1)

    timed("kept renderer (fork)", forked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", choices=("fixture", "real"), default="fixture")
    parser.add_argument("--page", default="book/generated/clubmoor/02-evidence-gathering.html",
                        help="with --project real: the chapter showing the workshop participants")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--render-cpu", action="store_true", help="only compare the CPU cost of one incremental render")
    args = parser.parse_args()
    if args.render_cpu:
        print(f"Machine: {machine()}; load {os.getloadavg()[0]:.1f}")
        base = Path(tempfile.mkdtemp(prefix="cityconv-render-bench-"))
        try:
            root, _ = fixture_project(base / "fixture")
            print("Render of one changed page (book/about-the-data.md) on the built fixture:", flush=True)
            render_cpu(root, args.repeats)
            print(f"load {os.getloadavg()[0]:.1f} after")
        finally:
            shutil.rmtree(base, ignore_errors=True)
        return

    from playwright.sync_api import sync_playwright

    from cityconv.pipeline.chromium import launch

    print(f"Machine: {machine()}")
    print(f"Commit: {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}")
    base = Path(tempfile.mkdtemp(prefix="cityconv-preview-bench-"))
    loads = [os.getloadavg()[0]]
    try:
        root, chapter = fixture_project(base / "fixture") if args.project == "fixture" else real_project(base, args.page)
        started = time.monotonic()
        preview = Preview(root, args.jobs)
        try:
            preview.wait_for(r"(✓ rebuilt|problems? found)", 7200)
            print(f"First build: {time.monotonic() - started:.1f} s", flush=True)
            csv = root / "data" / ("alpha" if args.project == "fixture" else "clubmoor") / "workshops.csv"
            first = re.search(re.escape(WORKSHOP_ROW) + r"(\d+)", csv.read_text(encoding="utf-8"))
            assert first, f"no {WORKSHOP_ROW}… row in {csv}"
            others = sum(int(n) for n in re.findall(r"^W\d+,\d+,[\d-]+,(\d+)$", csv.read_text(encoding="utf-8"), re.M)) - int(first.group(1))
            counts = [int(first.group(1)), *(int(first.group(1)) + 3 * (i + 1) for i in range(args.repeats))]
            edits = [(f"{WORKSHOP_ROW}{a}\n", f"{WORKSHOP_ROW}{b}\n", f"{b + others}") for a, b in zip(counts, counts[1:])]
            if args.project == "fixture":
                edits = [(old, new, f"Workshop participants: {total}") for old, new, total in edits]
            page_md = root / HAND_WRITTEN
            marker = page_md.read_text(encoding="utf-8").rstrip("\n")
            words = [f"Preview benchmark sentence {i}." for i in range(args.repeats + 1)]
            built = preview.generation()
            page_md.write_text(marker + f"\n\n{words[0]}\n", encoding="utf-8")
            while preview.generation() == built:  # the first sentence is in the page before we time the next
                time.sleep(0.2)
            page_edits = [(words[i], words[i + 1], words[i + 1]) for i in range(args.repeats)]
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = browser.new_page()
                page.goto(preview.url + chapter)
                print(f"CSV saved → reloaded page shows the new total ({csv.relative_to(root)}, {chapter}):", flush=True)
                csv_times = edit_loop(preview, page, csv, edits)
                loads.append(os.getloadavg()[0])
                page.goto(preview.url + HAND_WRITTEN.replace(".md", ".html"))
                print(f"Hand-written page saved → reloaded page shows the new sentence ({HAND_WRITTEN}):", flush=True)
                page_times = edit_loop(preview, page, page_md, page_edits)
                loads.append(os.getloadavg()[0])
                browser.close()
        finally:
            preview.stop()
        for name, times, target in (("CSV edit", csv_times, 5.0), ("page edit", page_times, 2.0)):
            values = sorted(t for t, _, _ in times)
            cpu = sorted(c for _, c, _ in times)
            idle = sorted(t / f for t, _, f in times)
            print(f"{name}: median {values[len(values) // 2]:.2f} s (min {values[0]:.2f}, max {values[-1]:.2f}; "
                  f"target {target:.0f} s: {'met' if values[len(values) // 2] <= target else 'not met'}); "
                  f"CPU median {cpu[len(cpu) // 2]:.2f} s; divided by the slowdown: median {idle[len(idle) // 2]:.2f} s")
        print(f"1-minute load average while measuring: {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
