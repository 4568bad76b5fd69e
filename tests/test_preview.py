"""`cityconv preview`: the served page follows a saved file, shows a failed rebuild's error, and stops cleanly.

The quick tests serve a folder of HTML and watch a temporary folder; the slow ones run the real
command on the two-template fixture project (tests/nbtools.py) and read the pages over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from watchfiles import Change

from cityconv.core.paths import Project
from cityconv.pipeline.preview import ProjectInputs, Watcher, watched_paths
from cityconv.pipeline.preview_render import PREVIEW_RENDER_ENV, KeptRenderer
from cityconv.pipeline.preview_server import BANNER_ID, STATUS_PATH, PreviewState, address, decorate, start_server
from nbtools import make_mini_project, write_template
from test_interrupts import alive

CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


# --------------------------------------------------------------------------- the server


def test_a_failed_rebuild_is_shown_escaped_above_the_page_and_the_reload_script_is_added() -> None:
    problem = "data/alpha/workshops.csv row 2, column 'participants': '<b>twelve</b>' is not an integer"
    page = decorate("<html><body class='x'><p>Chapter</p></body></html>",
                    {"generation": 7, "building": False, "problems": [problem]})
    assert page.index(f'<div id="{BANNER_ID}" role="alert"') == page.index("<body class='x'>") + len("<body class='x'>")
    assert "&lt;b&gt;twelve&lt;/b&gt;" in page and "<b>twelve</b>" not in page
    assert "const shown = 7;" in page and page.index("cityconv-preview-reload") < page.index("</body>")
    assert BANNER_ID not in decorate("<html><body></body></html>", {"generation": 1, "building": False, "problems": []})


def test_the_server_decorates_pages_passes_other_files_and_reports_its_status(tmp_path: Path) -> None:
    site = tmp_path / "html"
    state = PreviewState()
    server = start_server(site, state)
    try:
        url = address(server)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        assert "The first build is running" in fetch(url)  # nothing rendered yet
        (site / "book").mkdir(parents=True)
        (site / "index.html").write_text("<html><body><p>Landing</p></body></html>", encoding="utf-8")
        (site / "book" / "style.css").write_text("body { color: black }", encoding="utf-8")
        state.started()
        assert json.loads(fetch(url + STATUS_PATH.lstrip("/"))) == {"generation": 0, "building": True, "problems": []}
        state.finished(["data/alpha/workshops.csv row 2: expected an integer"])
        assert json.loads(fetch(url + STATUS_PATH.lstrip("/")))["generation"] == 1
        landing = fetch(url)
        assert "<p>Landing</p>" in landing and "row 2: expected an integer" in landing and "const shown = 1;" in landing
        assert fetch(url + "book/style.css") == "body { color: black }"
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(url + "book/no-such-page.html")
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- the watcher


def test_the_watcher_sees_inputs_and_ignores_what_builds_write(tmp_path: Path) -> None:
    project = Project(make_mini_project(tmp_path))
    inputs = ProjectInputs(project)
    root = project.root
    assert inputs(Change.modified, str(root / "data" / "alpha" / "workshops.csv"))
    assert inputs(Change.modified, str(root / "book" / "index.md"))
    assert not inputs(Change.modified, str(root / "book" / "generated" / "alpha" / "01-files.ipynb"))
    assert not inputs(Change.added, str(root / "_build" / "html" / "index.html"))
    assert not inputs(Change.modified, str(root / "notebooks" / ".ipynb_checkpoints" / "01-files-checkpoint.ipynb"))
    assert {root / "params", root / "data", root / "notebooks", root / "book", root / "_toc.yml",
            root / "_config.yml"} <= set(watched_paths(project))

    watcher = Watcher([root / "data", root / "book"], inputs)
    try:
        time.sleep(0.3)  # the watch is set up in its thread
        (root / "book" / "generated").mkdir()
        (root / "book" / "generated" / "page.md").write_text("written by a build", encoding="utf-8")
        saved = root / "data" / "alpha" / "workshops.csv"
        saved.write_text(saved.read_text(encoding="utf-8"), encoding="utf-8")
        changed = watcher.wait(timeout=5)
        assert changed == {str(saved)}
    finally:
        watcher.stop()


# --------------------------------------------------------------------------- the loop


def test_a_rebuild_that_raises_is_shown_and_the_preview_goes_on_until_stopped(tmp_path: Path, monkeypatch) -> None:
    """The loop alone (no notebook, no render): a broken rebuild is reported, a signal ends it with 128 + signal."""
    from cityconv.pipeline import preview as live
    from cityconv.pipeline.interrupts import RunInterrupted

    calls: list[int] = []

    def rebuild(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("_toc.yml: the generated-chapters markers are missing\nexpected lines …")
        raise RunInterrupted(signal.SIGINT)

    class OneChange:
        def __init__(self, *args) -> None:
            self.changes = [{"data/alpha/workshops.csv"}]

        def wait(self, timeout: float) -> set[str]:
            return self.changes.pop() if self.changes else set()

        def stop(self) -> None:
            pass

    class NoRenderer:
        def __init__(self, root: Path) -> None:
            pass

        def kill(self) -> None:
            pass

    monkeypatch.setattr(live, "rebuild", rebuild)
    monkeypatch.setattr(live, "Watcher", OneChange)
    monkeypatch.setattr(live, "KeptRenderer", NoRenderer)
    said: list[str] = []
    reports: list[live.Rebuild] = []
    code = live.preview(Project(make_mini_project(tmp_path)), None, 1, say=said.append, report=reports.append)
    assert code == 128 + signal.SIGINT and len(calls) == 2
    assert [r.problems for r in reports] == [
        ["the rebuild stopped: ValueError: _toc.yml: the generated-chapters markers are missing"]]
    url = re.search(r"http://127\.0\.0\.1:\d+/", said[0])
    assert url, said
    with pytest.raises(urllib.error.URLError):
        fetch(url.group(0))  # the server stopped with the loop


def test_a_port_in_use_is_refused_with_the_option_named(tmp_path: Path) -> None:
    import socket

    from cityconv.core.problems import InputError
    from cityconv.pipeline.preview import preview

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError) as refused:
            preview(Project(make_mini_project(tmp_path)), None, 1, port=port, say=lambda text: None)
    assert [str(p) for p in refused.value.problems] == [
        f"--port: cannot serve on 127.0.0.1:{port}: Address already in use (expected a free port, or no --port for any free one)"]


# --------------------------------------------------------------------------- the kept renderer


def test_the_kept_renderer_runs_jupyter_books_command_line_in_a_child_per_render(tmp_path: Path) -> None:
    renderer = KeptRenderer(tmp_path)
    try:
        assert renderer.render(["--version"]) == 0
        # its renders skip what only the published book needs (sphinx_light: no PurgeCSS). Read once it has
        # answered: read right after the start, a process still between fork and exec showed no environment.
        assert psutil.Process(renderer.process.pid).environ().get(PREVIEW_RENDER_ENV) == "1"
        assert renderer.render(["build", str(tmp_path / "no-such-book")]) not in (0, None)  # click's usage error
        assert renderer.process.poll() is None  # a failed render does not end the renderer
        assert renderer.render(["--version"]) == 0
    finally:
        renderer.close()
    assert renderer.process.returncode == 0  # it ends when its input closes
    assert renderer.render(["--version"]) is None  # gone: the preview falls back to `jupyter-book`


# --------------------------------------------------------------------------- the command, end to end

PARTICIPANTS = (
    "import pandas as pd\nfrom cityconv.core.paths import Project\n"
    "workshops = pd.read_csv(Project.discover().data_dir / study_id / 'workshops.csv')\n"
    "print(f\"Workshop participants: {workshops['participants'].sum()}\")"
)


def one_ward_project(base: Path) -> Path:
    """The fixture project (in `base`/project) with one ward, whose first chapter prints a total from its workshops.csv."""
    root = base / "project"
    root.mkdir()
    make_mini_project(root)
    (root / "params" / "beta.yml").unlink()
    write_template(root / "notebooks" / "01-files.ipynb", title="Workshops", code=[PARTICIPANTS])
    return root


class Preview:
    """`cityconv preview` in a child process, its output in a file, its address read from it."""

    def __init__(self, root: Path, *args: str) -> None:
        self.log = root.parent / "preview.log"  # beside the project: not an input it watches
        self.handle = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen([CITYCONV, "preview", "--root", str(root), "--jobs", "1", *args],
                                        stdout=self.handle, stderr=subprocess.STDOUT)
        self.url = self._wait_for(r"Serving the book at (http://127\.0\.0\.1:\d+/)", timeout=60)
        self.seen: dict[int, psutil.Process] = {}

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found.group(1)
            assert self.process.poll() is None, self.output()
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} within {timeout} s:\n{self.output()}")

    def note_descendants(self) -> None:
        """Remember every process below the preview, to check later that none outlived it."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            self.seen.setdefault(child.pid, child)

    def status(self) -> dict:
        return json.loads(fetch(self.url + STATUS_PATH.lstrip("/")))

    def wait_for_rebuild(self, after: int, timeout: float = 900) -> dict:
        """The status once a rebuild later than generation `after` has finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.note_descendants()
            status = self.status()
            if status["generation"] > after and not status["building"]:
                return status
            time.sleep(0.2)
        raise AssertionError(f"no rebuild within {timeout} s:\n{self.output()}")

    def stop(self, signum: int, timeout: float = 30) -> int:
        self.note_descendants()
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.handle.close()

    def command_lines(self) -> list[str]:
        lines = []
        for process in self.seen.values():
            with contextlib.suppress(psutil.Error):
                lines.append(" ".join(process.cmdline()))
        return lines

    def survivors(self) -> list[psutil.Process]:
        return alive(list(self.seen.values()))


def chapter_url(preview: Preview) -> str:
    return preview.url + "book/generated/alpha/01-files.html"


@pytest.mark.slow
def test_saving_a_ward_csv_changes_the_served_page_and_a_bad_one_shows_its_error(tmp_path: Path) -> None:
    root = one_ward_project(tmp_path)
    preview = Preview(root)
    try:
        first = preview.wait_for_rebuild(after=0)
        assert first["problems"] == [], preview.output()
        assert "Workshop participants: 20" in fetch(chapter_url(preview))
        assert not (root / ".cityconv" / "run.lock").read_text(encoding="utf-8").strip()  # idle: the lock is free

        workshops = root / "data" / "alpha" / "workshops.csv"
        good = workshops.read_text(encoding="utf-8")
        workshops.write_text(good.replace("W1,1,2020-11,12", "W1,1,2020-11,15"), encoding="utf-8")
        second = preview.wait_for_rebuild(after=first["generation"])
        assert second["problems"] == [], preview.output()
        page = fetch(chapter_url(preview))
        assert "Workshop participants: 23" in page and BANNER_ID not in page

        published = root / "book" / "generated" / "alpha" / "01-files.ipynb"
        before = published.read_bytes()
        workshops.write_text(good.replace("W1,1,2020-11,12", "W1,1,2020-11,twelve"), encoding="utf-8")
        third = preview.wait_for_rebuild(after=second["generation"])
        problem = next(line for line in third["problems"] if "workshops.csv" in line)
        assert "row" in problem and "participants" in problem and "twelve" in problem, problem
        page = fetch(chapter_url(preview))
        assert BANNER_ID in page and "twelve" in page  # the error, above the last good chapter
        assert "Workshop participants: 23" in page
        assert published.read_bytes() == before  # the good chapter was not replaced
        assert problem in preview.output()  # the same line the terminal shows
    finally:
        code = preview.stop(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, preview.output()
    assert preview.survivors() == []
    with pytest.raises(urllib.error.URLError):
        fetch(preview.url)


@pytest.mark.slow
def test_ctrl_c_during_a_rebuild_stops_server_watcher_and_kernels(tmp_path: Path) -> None:
    root = one_ward_project(tmp_path)
    preview = Preview(root)
    deadline = time.monotonic() + 120
    while not any("ipykernel" in command for command in preview.command_lines()):
        assert time.monotonic() < deadline, "no kernel started:\n" + preview.output()
        preview.note_descendants()
        time.sleep(0.1)
    code = preview.stop(signal.SIGINT)
    assert code == 128 + signal.SIGINT, preview.output()
    assert preview.survivors() == [], preview.output()
    assert "Traceback" not in preview.output()
    with pytest.raises(urllib.error.URLError):
        fetch(preview.url)
