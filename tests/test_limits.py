"""Hostile and broken inputs (issue 27): each is refused with a one-line problem naming the file and
the limit, in seconds, never a hang or a traceback; one bad params file never blocks another ward.

Every test runs under an alarm (`within`), so a regression that hangs fails in seconds instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from cityconv.core import files as files_module
from cityconv.core.files import remove_stale_temporaries, replace_all
from cityconv.core.limits import capped, workbook_problem
from cityconv.core.params import load_all, read_yaml
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem
from cityconv.data.wardfiles import validate_data_dir
from nbtools import REPO, make_mini_project, write_template

CITYCONV = str(Path(sys.executable).with_name("cityconv"))

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi")
)


@contextlib.contextmanager
def within(seconds: int):
    """Fail the test (instead of hanging) when the block takes longer than `seconds`."""
    def alarm(signum, frame):
        raise AssertionError(f"took more than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def messages(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


# --------------------------------------------------------------------------- YAML: params, questionnaires, mappings


@pytest.mark.parametrize(("text", "expected"), [
    (BOMB, "CITYCONV_MAX_YAML_NODES"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "CITYCONV_MAX_YAML_DEPTH"),
    ("a: " + "{x: " * 5000 + "1" + "}" * 5000 + "\n", "CITYCONV_MAX_YAML_DEPTH"),
    ("disclosure:\n  threshold: " + "9" * 5000 + "\n", "a number too long"),
    ("id: x\n\0title: y\n", "NUL byte"),
])
def test_hostile_yaml_is_refused_in_seconds(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "params" / "zz-bomb.yml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with within(10):
        tree, problems = read_yaml(path, tmp_path)
    assert tree is None and len(problems) == 1
    assert str(problems[0]).startswith("params/zz-bomb.yml") and expected in str(problems[0])


def test_a_big_params_file_is_refused_before_it_is_parsed(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "params" / "big.yml"
    path.parent.mkdir()
    path.write_text("title: '" + "x" * 2_000_000 + "'\n", encoding="utf-8")
    with within(5):
        _, problems = read_yaml(path, tmp_path)
    assert "over the limit of 1,000,000 bytes" in str(problems[0]) and "CITYCONV_MAX_YAML_BYTES" in str(problems[0])
    monkeypatch.setenv("CITYCONV_MAX_YAML_BYTES", "3000000")  # the documented way to raise it
    assert read_yaml(path, tmp_path)[1] == []


@pytest.mark.parametrize("kind", ["fifo", "folder", "link-out"])
def test_only_regular_files_inside_the_project_are_read(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "params" / "odd.yml"
    path.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("/etc/passwd")
    with within(5):
        _, problems = read_yaml(path, tmp_path)
    text = messages(problems)
    assert text.startswith("params/odd.yml: ")
    assert {"fifo": "named pipe", "folder": "a folder", "link-out": "outside the project"}[kind] in text
    assert "root:" not in text


# --------------------------------------------------------------------------- params: isolation


def test_a_hostile_params_file_stops_only_itself(tmp_path: Path) -> None:
    from cityconv.pipeline.runner import build_plan

    project = Project(make_mini_project(tmp_path))
    (project.params_dir / "zz-bomb.yml").write_text(BOMB, encoding="utf-8")
    with within(60):
        named = build_plan(project, ["alpha"])
        everything = build_plan(project)
    assert named.problems == [] and not named.failed_wards  # not named: not reported, not in the way
    assert {t.study_id for t in named.tasks} == {"alpha"}
    assert everything.problems == []  # a full build goes on with every other ward…
    assert {"alpha", "beta"} <= {t.study_id for t in everything.tasks}
    assert "CITYCONV_MAX_YAML_NODES" in messages(everything.failed_wards["zz-bomb"])  # …and reports this one
    bad = build_plan(project, ["zz-bomb"])
    assert "zz-bomb" in bad.failed_wards and not bad.tasks
    found, problems = load_all(project)
    assert set(found) == {"alpha", "beta"} and len(problems) == 1


def one_template_project(root: Path) -> Path:
    """The fixture project with its template that reads no input (02-arithmetic) only: what the checks of
    whole runs here need (01-files, which lists a ward's data files, adds a run per ward and nothing checked)."""
    make_mini_project(root)
    (root / "notebooks" / "01-files.ipynb").unlink()
    return root


@pytest.fixture(scope="module")
def bombed_build(tmp_path_factory) -> dict:
    """{"root", "returncode", "stdout", "stderr"} of one `cityconv build` (the real command line) of a
    fresh project beside a YAML-bomb params file: read by the test of that build, and copied by the
    time-limit test, which needs a ward's chapter published before its notebook hangs."""
    root = one_template_project(tmp_path_factory.mktemp("bombed"))
    (root / "params" / "zz-bomb.yml").write_text(BOMB, encoding="utf-8")
    built = subprocess.run([CITYCONV, "build", "--root", str(root), "--jobs", "1"],
                           capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "250"})
    return {"root": root, "returncode": built.returncode, "stdout": built.stdout, "stderr": built.stderr}


@pytest.mark.slow  # a subprocess build of a small project (shared with the time-limit test)
def test_a_hostile_params_file_leaves_the_other_wards_run_and_build_intact(bombed_build: dict) -> None:
    """A full build runs and renders every other ward and reports the bad file (exit 2); a run that
    names a good ward is not even held up by it (exit 0).

    One build runs every notebook (the named run comes after it, in this process, and finds its
    chapters current: which tasks a named plan holds is checked in `test_a_hostile_params_file_stops_only_itself`)."""
    from typer.testing import CliRunner

    from cityconv import cli

    root = bombed_build["root"]
    output = bombed_build["stdout"] + bombed_build["stderr"]
    assert bombed_build["returncode"] == 2, output  # the bad file is reported after the build…
    assert "params/zz-bomb.yml" in bombed_build["stderr"] and "CITYCONV_MAX_YAML_NODES" in bombed_build["stderr"]
    assert (root / "_build" / "html" / "index.html").exists()  # …and every other ward was built
    for ward in ("alpha", "beta"):
        assert (root / "book" / "generated" / ward / "02-arithmetic.ipynb").exists()
    assert "Runs: 2 done, 0 skipped (unchanged), 0 failed" in bombed_build["stdout"], output
    assert "Traceback" not in bombed_build["stderr"]
    named = CliRunner().invoke(cli.app, ["run", "alpha", "--root", str(root)])
    assert named.exit_code == 0, named.output
    assert "Runs: 0 done, 1 skipped (unchanged), 0 failed" in named.stdout
    assert "zz-bomb" not in named.output  # not named: not reported, not in the way
    assert named.exception is None or isinstance(named.exception, SystemExit)  # no traceback


# --------------------------------------------------------------------------- a ward's data folder


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    (root / "_config.yml").write_text("title: x\n", encoding="utf-8")
    (root / "params").mkdir()
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
    return root / "data" / "clubmoor"


def _validate(ward: Path) -> str:
    with within(120):
        return messages(validate_data_dir(ward, ward.parent.parent))


@pytest.mark.parametrize("kind", ["fifo", "folder", "link-out", "nul"])
def test_odd_quotes_files_are_problems_not_hangs(ward: Path, kind: str) -> None:
    quotes = ward / "quotes.csv"
    quotes.unlink()
    if kind == "fifo":
        os.mkfifo(quotes)
    elif kind == "folder":
        quotes.mkdir()
    elif kind == "link-out":
        quotes.symlink_to("/etc/passwd")
    else:
        quotes.write_bytes(b"quote_id,source,quote\nq1,survey,hello\0there\n")
    text = _validate(ward)
    line = next(line for line in text.splitlines() if line.startswith("data/clubmoor/quotes.csv"))
    assert {"fifo": "named pipe", "folder": "is a folder", "link-out": "outside the project", "nul": "NUL byte"}[kind] in line
    assert "root:" not in text


def test_a_cell_over_the_limit_is_a_problem_with_its_row(ward: Path) -> None:
    objectives = ward / "objectives.csv"
    lines = objectives.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[-1] = '"' + "x" * 200_000 + '"'
    objectives.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    text = _validate(ward)
    assert "data/clubmoor/objectives.csv, row 2: a cell is over the limit of 131,072 characters" in text, (header, text)
    assert "CITYCONV_MAX_CELL_CHARS" in text


def test_numbers_beyond_the_schema_and_implausible_months_are_refused(ward: Path) -> None:
    workshops = ward / "workshops.csv"
    if not workshops.exists():
        pytest.skip("the fixture ward has no workshops file")
    lines = workshops.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("participants")] = "99999999999999999999999"
    cells[header.index("month")] = "2099-04"
    workshops.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    text = _validate(ward)
    assert "data/clubmoor/workshops.csv, row 2, column 'participants': value out of range (got '99999999999999999999999'" in text
    assert "data/clubmoor/workshops.csv, row 2, column 'month': date out of the plausible range (got '2099-04'" in text


def test_a_long_list_of_problems_is_capped_with_a_count() -> None:
    problems = [Problem("f.csv", "bad", row=n) for n in range(2, 1002)]
    shown = capped(problems, "f.csv")
    assert len(shown) == 101 and "900 more problem(s) not shown" in str(shown[-1])


# --------------------------------------------------------------------------- workbooks


def _xlsx(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["a", "b"])
    book.save(path)
    if extra:
        with zipfile.ZipFile(path, "a") as archive:
            for name, data in extra.items():
                archive.writestr(name, data)
    return path


@pytest.mark.parametrize(("extra", "expected"), [
    ({"xl/vbaProject.bin": b"macro"}, "holds macros"),
    ({"xl/externalLinks/externalLink1.xml": b"<externalLink/>"}, "external link"),
])
def test_macro_and_external_link_workbooks_are_refused(tmp_path: Path, extra: dict, expected: str) -> None:
    problem = workbook_problem(_xlsx(tmp_path / "in.xlsx", extra), tmp_path)
    assert problem is not None and expected in str(problem) and str(problem).startswith("in.xlsx")


def test_a_zip_bomb_workbook_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet9.xml", b"\0" * 250_000_000)  # ~250 kB on disk
    with within(10):
        problem = workbook_problem(path, tmp_path)
    assert "unpacked" in str(problem) and "CITYCONV_MAX_WORKBOOK_UNCOMPRESSED_BYTES" in str(problem)


def test_too_many_parts_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CITYCONV_MAX_WORKBOOK_PARTS", "3")
    assert "part count" in str(workbook_problem(_xlsx(tmp_path / "in.xlsx"), tmp_path))


def test_rows_are_counted_from_the_data_not_the_declared_dimension(tmp_path: Path, monkeypatch) -> None:
    from openpyxl import Workbook, load_workbook

    from cityconv.core.limits import limited_rows

    path = tmp_path / "rows.xlsx"
    book = Workbook()
    for n in range(30):
        book.active.append([n, n])
    book.save(path)
    rows, problems = limited_rows(load_workbook(path, read_only=True).active, "rows.xlsx")
    assert len(rows) == 30 and problems == []
    monkeypatch.setenv("CITYCONV_MAX_WORKBOOK_ROWS", "10")
    rows, problems = limited_rows(load_workbook(path, read_only=True).active, "rows.xlsx")
    assert rows is None and "CITYCONV_MAX_WORKBOOK_ROWS" in str(problems[0])


# --------------------------------------------------------------------------- imports: mapping and atomicity


def test_a_mapping_that_uses_one_column_twice_is_refused() -> None:
    from cityconv.generate.import_survey import Mapping, _columns_used_twice

    mapping = Mapping.model_validate({"month": "When", "fields": {"mode": "When", "sex": "Sex", "age_band": "Sex"}})
    problems = _columns_used_twice(mapping, {}, "mapping.yml")
    assert sorted(p.value for p in problems) == ["Sex", "When"]
    assert "mapped more than once" in str(problems[0])


def test_replace_all_restores_every_file_when_one_cannot_be_written(tmp_path: Path, monkeypatch) -> None:
    targets = [tmp_path / "survey_responses.csv", tmp_path / "survey_mentions.csv"]
    for target in targets:
        target.write_text(f"old {target.name}\n", encoding="utf-8")
    staged = tmp_path / "staged"
    staged.mkdir()
    moves = {}
    for target in targets:
        (staged / target.name).write_text("new\n", encoding="utf-8")
        moves[staged / target.name] = target
    real_replace = os.replace

    def replace(source, destination):
        if Path(destination).name == "survey_mentions.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(destination))
        return real_replace(source, destination)

    monkeypatch.setattr(files_module.os, "replace", replace)
    with pytest.raises(InputError) as exc:
        replace_all(moves, name="data/anfield")
    assert [t.read_text(encoding="utf-8") for t in targets] == [f"old {t.name}\n" for t in targets]
    assert "could not write survey_mentions.csv: permission denied" in str(exc.value)
    assert not any(p.name.startswith(".replace-") for p in tmp_path.iterdir())


# --------------------------------------------------------------------------- temporary files, manifest, disk full


def test_a_full_disk_while_the_manifest_is_saved_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    from cityconv.pipeline import cache

    project = Project(tmp_path)

    def full(self, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as handle:
            handle.write("partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError):
        cache.save_manifest(project, {"a": {}})
    monkeypatch.undo()
    assert list(cache.manifest_path(project).parent.glob(".*.tmp")) == []


def test_temporary_files_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".manifest.json.{dead.stdout.strip()}.tmp"
    stale.write_text("{}", encoding="utf-8")
    ours = tmp_path / f".manifest.json.{os.getpid()}.tmp"
    ours.write_text("{}", encoding="utf-8")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert ours.exists()


def test_an_os_error_is_one_line_and_exit_1(monkeypatch, capsys) -> None:
    from cityconv import cli

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "book/generated/manifest.json")

    monkeypatch.setattr(cli, "app", full)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "book/generated/manifest.json: could not write or read a file: the disk is full" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- the command line


def test_root_must_be_a_project(tmp_path: Path, monkeypatch, capsys) -> None:
    """The `cityconv` entry point (`cli.main`), called in this process: an exception would fail the test."""
    from cityconv import cli

    missing = tmp_path / "nonexistent"
    monkeypatch.setattr(sys, "argv", ["cityconv", "validate", "--root", str(missing)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "is not a cityconv project" in err and "Traceback" not in err
    assert not missing.exists()


def test_an_unreachable_scheduler_fails_fast() -> None:
    from cityconv.pipeline.dask_executor import DaskExecutor

    started = time.monotonic()
    with pytest.raises(InputError) as exc:
        DaskExecutor("tcp://127.0.0.1:9")._connect()  # the discard port: nothing listens there
    assert time.monotonic() - started < 8
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in str(exc.value)


def test_the_run_lock_is_held_through_rendering(tmp_path: Path, monkeypatch) -> None:
    import fcntl
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from cityconv import cli
    from cityconv.pipeline import book
    from cityconv.pipeline.interrupts import lock_path

    root = make_mini_project(tmp_path)
    seen = {}

    def render(project):
        with open(lock_path(project), "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen["locked"] = False
            except BlockingIOError:
                seen["locked"] = True
        return 0

    summary = SimpleNamespace(count=lambda status: 0, failed=[], failed_wards={}, not_started=[])
    monkeypatch.setattr(cli, "_run", lambda *args, **kwargs: summary)
    monkeypatch.setattr(book, "render", render)
    result = CliRunner().invoke(cli.app, ["build", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert seen == {"locked": True}


# --------------------------------------------------------------------------- notebook time limits


@pytest.mark.slow  # a subprocess run of a small project
def test_a_notebook_that_never_ends_fails_at_its_time_limit_and_the_chapter_stays(bombed_build: dict,
                                                                                 tmp_path: Path) -> None:
    """A copy of the bombed build, its chapters published by that build, without the bomb: the hung
    notebook is the project's only problem."""
    root = tmp_path / "project"
    shutil.copytree(bombed_build["root"], root, symlinks=True)
    (root / "params" / "zz-bomb.yml").unlink()
    chapter = root / "book" / "generated" / "alpha" / "02-arithmetic.ipynb"
    assert bombed_build["returncode"] == 2 and chapter.exists(), bombed_build["stdout"] + bombed_build["stderr"]
    before = chapter.read_bytes()
    write_template(root / "notebooks" / "02-arithmetic.ipynb", title="Arithmetic", code=["while True: pass"])
    with open(root / "params" / "alpha.yml", "a", encoding="utf-8") as handle:
        handle.write("time_limits:\n  arithmetic: 3\n")
    started = time.monotonic()
    hung = subprocess.run([CITYCONV, "run", "alpha", "--root", str(root), "--jobs", "1"],
                          capture_output=True, text=True, timeout=120)
    assert hung.returncode == 1, hung.stdout + hung.stderr
    assert time.monotonic() - started < 100
    assert "alpha · 02-arithmetic.ipynb · cell 3 · TimeLimit: the notebook ran over its time limit of 3 s" in hung.stderr, hung.stderr
    assert "Traceback" not in hung.stderr
    assert chapter.read_bytes() == before


def test_a_second_ctrl_c_exits_as_quietly_as_the_first(tmp_path: Path) -> None:
    root = one_template_project(tmp_path)
    write_template(root / "notebooks" / "02-arithmetic.ipynb", title="Arithmetic",
                   code=["import time\ntime.sleep(120)"])
    run = subprocess.Popen([CITYCONV, "run", "--root", str(root), "--jobs", "2"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 180
    while len(list((root / "book" / "generated").rglob(".02-arithmetic.*.running.ipynb"))) < 2:
        assert run.poll() is None and time.monotonic() < deadline, "the slow notebooks never started"
        time.sleep(0.2)
    time.sleep(0.5)
    pressed = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)
    time.sleep(0.1)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert time.monotonic() - pressed <= 5
    assert run.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
