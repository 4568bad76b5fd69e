"""How many notebooks run at once: `--jobs`, else $CITYCONV_JOBS, else one per core."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cityconv import cli
from cityconv.pipeline import runner


@pytest.fixture
def jobs_asked(monkeypatch) -> list:
    """The `jobs` each `cityconv run` hands the runner (the run itself replaced: nothing executes)."""
    asked: list = []
    monkeypatch.setattr(cli, "_run", lambda project, ids, jobs, *args, **kwargs: asked.append(jobs))
    monkeypatch.setattr(cli, "_exit_if_failed", lambda summary: None)
    return asked


def _run(tmp_path, *args: str, env: dict[str, str | None]):
    (tmp_path / "_config.yml").write_text("title: a project\n", encoding="utf-8")
    (tmp_path / "params").mkdir(exist_ok=True)
    return CliRunner().invoke(cli.app, ["run", *args, "--root", str(tmp_path)], env=env)


def test_the_option_wins_then_the_environment_then_the_cores(tmp_path, jobs_asked, monkeypatch) -> None:
    assert _run(tmp_path, "--jobs", "3", env={cli.JOBS_ENV: "1"}).exit_code == 0
    assert _run(tmp_path, env={cli.JOBS_ENV: "1"}).exit_code == 0
    assert _run(tmp_path, env={cli.JOBS_ENV: None}).exit_code == 0
    assert jobs_asked == [3, 1, None]  # None: the runner's default
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 6)
    assert runner.default_jobs() == 6


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_value_in_the_environment_is_a_clear_error(tmp_path, jobs_asked, value) -> None:
    result = _run(tmp_path, env={cli.JOBS_ENV: value})
    assert result.exit_code == 2 and jobs_asked == []
    message = " ".join(result.output.replace("│", " ").split())
    assert "CITYCONV_JOBS" in message  # where the value came from
    assert f"'{value}': expected a whole number of parallel runs, 1 or more" in message  # the value, what was expected
    assert "Traceback" not in result.output


def test_a_bad_option_value_is_refused_the_same_way(tmp_path, jobs_asked) -> None:
    result = _run(tmp_path, "--jobs", "0", env={cli.JOBS_ENV: None})
    assert result.exit_code == 2 and jobs_asked == []
    assert "'0': expected a whole number of parallel runs, 1 or more" in " ".join(result.output.replace("│", " ").split())
