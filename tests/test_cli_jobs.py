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


@pytest.mark.parametrize("value, expected", [("two", "valid integer"), ("0", "greater than or equal to 1")])
def test_a_bad_value_in_the_environment_is_a_clear_error(tmp_path, jobs_asked, value, expected) -> None:
    result = _run(tmp_path, env={cli.JOBS_ENV: value})
    assert result.exit_code == 2 and jobs_asked == []
    message = " ".join(result.output.replace("│", " ").split())
    assert "CITYCONV_JOBS" in message and expected in message
    assert "Traceback" not in result.output
