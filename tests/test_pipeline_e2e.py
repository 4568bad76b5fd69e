"""End to end: build a small fixture book with the real command line, as a researcher would.

Covers the pipeline's promises: a no-op rebuild executes nothing, changing one ward's data re-runs
only that ward, bad input stops everything before any notebook runs, and a failing template leaves
the previously published chapter in place and exits non-zero with a one-line report.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbtools import write_template

CITYCONV = str(Path(sys.executable).with_name("cityconv"))


def cityconv(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CITYCONV, *args, "--root", str(root)], capture_output=True, text=True, timeout=600)


def cityconv_in_process(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line called in this process (no interpreter start-up): for commands that stop at an
    input check before any notebook runs."""
    from typer.testing import CliRunner

    from cityconv import cli

    result = CliRunner().invoke(cli.app, [*args, "--root", str(root)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a failure of the test, as it would be for a reader
    return subprocess.CompletedProcess(["cityconv", *args], result.exit_code, result.stdout, result.stderr)


def ran(result: subprocess.CompletedProcess) -> list[str]:
    return sorted(re.findall(r"\] ran\s+(\S+)", result.stdout))


def first_build(built_mini_project: dict) -> subprocess.CompletedProcess:
    """The session's first build of the fixture project (`cityconv build`, tests/conftest.py)."""
    outcome = built_mini_project
    return subprocess.CompletedProcess(["cityconv", "build"], outcome["returncode"], outcome["stdout"], outcome["stderr"])


@pytest.mark.slow  # renders the fixture book (the session's one build of it, then a copy)
def test_build_cache_failure_and_validation(built_mini_project: dict, built_mini_copy: Path) -> None:
    """The first build (the session's shared one), then its copy: no-op, changes beside a scaffolded
    ward, failure, bad input.

    One copy goes through every step, so that each real run carries every check it can: a ward made
    with `cityconv new-ward` is there from the incremental run on (which exits 0 beside it) and every
    other chapter runs beside it in the failing build; invalid ward data and a bad params file stop
    their own wards in one run (exit 2) while the third ward runs."""
    first = first_build(built_mini_project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert ran(first) == ["alpha/arithmetic", "alpha/files", "beta/arithmetic", "beta/files"]
    assert "Runs: 4 done, 0 skipped (unchanged), 0 failed" in first.stdout
    first_html = Path(built_mini_project["root"]) / "_build" / "html"
    assert str(first_html / "index.html") in first.stdout.replace("\n", "")
    root = built_mini_copy
    html = root / "_build" / "html"
    page = (html / "book" / "generated" / "alpha" / "01-files.html").read_text(encoding="utf-8")
    assert "Alpha" in page and "Reconstructed response-level data" in page and "Provenance of this chapter" in page
    assert "study_id = " not in page  # parameter cells are hidden
    beta = (html / "book" / "generated" / "beta" / "02-arithmetic.html").read_text(encoding="utf-8")
    assert "Synthetic demonstration data" in beta and "45" in beta

    # Nothing changed: nothing runs. (In this process: a run that runs nothing starts no worker.)
    again = cityconv_in_process(root, "run")
    assert again.returncode == 0 and ran(again) == []
    assert "0 done, 4 skipped" in again.stdout

    # A ward's README is read by no chapter: nothing runs. Its params file is read by both: both run.
    readme = root / "data" / "beta" / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nA local note.\n", encoding="utf-8")
    unread = cityconv_in_process(root, "run")
    assert unread.returncode == 0 and ran(unread) == [] and "0 done, 4 skipped" in unread.stdout
    # `cityconv new-ward`, then that run: the new ward is one line in the summary, runs nothing (the
    # fixture's templates all use records) and does not block the run, exit 0. The profile page a
    # not-started ward does get is checked with the real template in tests/test_atlas.py, and the whole
    # book rendered beside a not-started ward (`cityconv build` exits 0) in tests/test_any_study_build.py.
    scaffold = cityconv_in_process(root, "new-ward", "Clubmoor East")
    assert scaffold.returncode == 0, scaffold.stderr
    beta_params = root / "params" / "beta.yml"
    beta_params.write_text(beta_params.read_text(encoding="utf-8") + "# a comment changes the file\n", encoding="utf-8")
    changed = cityconv(root, "run")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert ran(changed) == ["beta/files"]  # 02-arithmetic never reads it; the new ward runs nothing
    assert "Runs: 1 done, 3 skipped (unchanged), 0 failed" in changed.stdout
    assert "Not started: clubmoor-east" in changed.stdout
    assert "no data rows" not in changed.stdout + changed.stderr
    validate = cityconv_in_process(root, "validate", "clubmoor-east")
    assert validate.returncode == 2 and "no data rows" in validate.stderr  # as the tutorial shows

    # A template made to raise: previous chapters stay, other runs complete, exit 1 with a report.
    published = root / "book" / "generated" / "alpha" / "02-arithmetic.ipynb"
    before = published.read_bytes()
    write_template(root / "notebooks" / "02-arithmetic.ipynb", title="Arithmetic",
                   code=["total = sum(range(10))", "raise RuntimeError('deliberate failure for the test')"])
    write_template(root / "notebooks" / "01-files.ipynb", title="Data files", code=["print('still fine')"])
    failed = cityconv(root, "build")
    assert failed.returncode == 1
    assert ran(failed) == ["alpha/files", "beta/files"]
    # Every chapter of the other wards ran beside the not-started ward (two failed, by design above),
    # which is still one line, not a problem (a problem would make this exit 2).
    assert "Runs: 2 done, 0 skipped (unchanged), 2 failed" in failed.stdout
    assert "Not started: clubmoor-east" in failed.stdout and "no data rows" not in failed.stdout + failed.stderr
    assert "alpha · 02-arithmetic.ipynb · cell 4 · RuntimeError: deliberate failure for the test" in failed.stderr
    assert published.read_bytes() == before
    assert not list(published.parent.glob(".*.running.ipynb"))
    built = "".join(p.read_text(encoding="utf-8") for p in html.rglob("*.html"))
    assert "Traceback" not in built and "deliberate failure" not in built

    # Bad input (issue 27), one run, the templates back as published: personal information in alpha's
    # free text stops alpha (its chapters are not run, its published ones stay) and an unknown key in
    # gamma's params file (a copy of alpha that validates without it) stops gamma before any of its
    # notebooks runs; beta still runs, and the command reports both problems and exits 2.
    #
    # `cityconv run`, not `build`: what is checked is decided by the run (plan, validation, exit code),
    # and `build` ends the same way (`_exit_if_failed`) after rendering. That a build with a ward stopped
    # by its inputs still renders every other ward's pages and exits 2 is checked in a fresh project by
    # tests/test_limits.py::test_a_hostile_params_file_leaves_the_other_wards_run_and_build_intact.
    for name in ("01-files.ipynb", "02-arithmetic.ipynb"):
        shutil.copy(Path(built_mini_project["root"]) / "notebooks" / name, root / "notebooks" / name)
    shutil.copytree(root / "data" / "alpha", root / "data" / "gamma")
    alpha_params = (root / "params" / "alpha.yml").read_text(encoding="utf-8")
    gamma_params = root / "params" / "gamma.yml"
    gamma_params.write_text(alpha_params.replace("id: alpha", "id: gamma").replace("title: Alpha", "title: Gamma")
                            .replace("data_dir: data/alpha", "data_dir: data/gamma"), encoding="utf-8")
    valid = cityconv_in_process(root, "validate", "gamma")
    assert valid.returncode == 0, valid.stdout + valid.stderr  # so only the key below stops gamma
    gamma_params.write_text(gamma_params.read_text(encoding="utf-8") + "synthtic: true\n", encoding="utf-8")
    alpha_chapter = root / "book" / "generated" / "alpha" / "01-files.ipynb"
    alpha_before = alpha_chapter.read_bytes()
    quotes = root / "data" / "alpha" / "quotes.csv"
    lines = quotes.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('community",', 'community. Ring me on 07911 123456",', 1)
    quotes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    beta_chapter = root / "book" / "generated" / "beta" / "01-files.ipynb"
    beta_before = beta_chapter.stat().st_mtime_ns
    bad = cityconv(root, "run", "--force")
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert ran(bad) == ["beta/arithmetic", "beta/files"]  # nothing of alpha, gamma (or clubmoor-east)
    assert "params/gamma.yml, line 10: unknown key 'synthtic' — did you mean 'synthetic'?" in bad.stderr
    assert "data/alpha/quotes.csv, row 3, column 'text'" in bad.stderr
    assert "ending 456" in bad.stderr and "07911 123456" not in bad.stderr
    assert "the chapters of alpha were not run" in bad.stderr
    assert alpha_chapter.read_bytes() == alpha_before
    assert beta_chapter.stat().st_mtime_ns != beta_before  # beta's chapter was published again
    assert cityconv_in_process(root, "validate").returncode == 2  # validate still reports it


def test_misspelt_id_and_undeclared_parameter_fail_before_running(mini_project: Path) -> None:
    root = mini_project
    wrong = cityconv_in_process(root, "run", "alpah")
    assert wrong.returncode == 2
    assert "unknown ward or study 'alpah' — did you mean 'alpha'?" in wrong.stderr

    params = root / "params" / "beta.yml"
    params.write_text(params.read_text(encoding="utf-8") + "template_parameters:\n  arithmetic:\n    level: 3\n",
                      encoding="utf-8")
    undeclared = cityconv_in_process(root, "validate")
    assert undeclared.returncode == 2
    assert "parameter 'level' is not declared in the parameters cell of 02-arithmetic.ipynb" in undeclared.stderr
    assert not (root / "book" / "generated").exists()


def test_template_missing_a_declared_parameter_fails_validation(mini_project: Path) -> None:
    root = mini_project
    write_template(root / "notebooks" / "02-arithmetic.ipynb", title="Arithmetic",
                   parameters='study_id = "clubmoor"\nconfidence_level = 0.95', code=["1"])
    result = cityconv_in_process(root, "run")
    assert result.returncode == 2
    assert "declares parameter 'confidence_level' that the pipeline does not hand it" in result.stderr
    assert not (root / "book" / "generated").exists()


def test_list_shows_wards_and_chapters(mini_project: Path) -> None:
    result = cityconv_in_process(mini_project, "list")
    assert result.returncode == 0
    assert "alpha" in result.stdout and "files, arithmetic" in result.stdout.replace("\n", " ")


@pytest.mark.slow  # renders the fixture book (the session's one build of it, then a copy)
def test_published_notebook_records_its_inputs(built_mini_project: dict) -> None:
    assert built_mini_project["returncode"] == 0
    nb = nbformat.read(Path(built_mini_project["root"]) / "book" / "generated" / "alpha" / "01-files.ipynb", as_version=4)
    record = nb.metadata.cityconv["record"]
    assert nb.metadata.cityconv["study_id"] == "alpha" and "params/alpha.yml" in record["reads"]


def test_a_rule_citing_unknown_evidence_stops_every_run(mini_project: Path) -> None:
    """Shared inputs a template reads (here the rules file) are validated before anything runs."""
    from nbtools import REPO

    for folder in ("evidence", "recommendations"):
        shutil.copytree(REPO / "data" / folder, mini_project / "data" / folder)
    write_template(mini_project / "notebooks" / "03-rules.ipynb", title="Rules", code=["1"],
                   reads=("data/recommendations/*",))
    rules = mini_project / "data" / "recommendations" / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    first_case = re.search(r"cases:\s*\n\s*- (\S+)|cases: \[([^\],]+)", text)
    case_id = first_case.group(1) or first_case.group(2)
    rules.write_text(text.replace(case_id, "no-such-case", 1), encoding="utf-8")
    result = cityconv_in_process(mini_project, "run")
    assert result.returncode == 2
    assert "no-such-case" in result.stderr and "data/recommendations/rules.yml" in result.stderr
    assert not (mini_project / "book" / "generated").exists()
