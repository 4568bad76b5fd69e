"""Planning a run re-checks only data that changed since it last passed (pipeline.validation_cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.core.problems import Problem
from cityconv.pipeline import runner
from cityconv.pipeline.validation_cache import ValidationCache


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    (tmp_path / "data" / "alpha").mkdir(parents=True)
    (tmp_path / "data" / "alpha" / "survey.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "requirements.lock").write_text("pandas==2.3.3\n", encoding="utf-8")
    return Project(tmp_path)


def _counting(result: list[Problem]):
    calls = []

    def validate() -> list[Problem]:
        calls.append(1)
        return list(result)

    return validate, calls


def test_a_clean_check_is_not_repeated_until_an_input_changes(project: Project) -> None:
    folder = project.root / "data" / "alpha"
    validate, calls = _counting([])
    for _ in range(2):
        cache = ValidationCache(project)
        assert cache.check("data:alpha", [folder], validate) == []
        cache.save()
    assert len(calls) == 1
    (folder / "survey.csv").write_text("a\n2\n", encoding="utf-8")  # an edit
    assert ValidationCache(project).check("data:alpha", [folder], validate) == []
    assert len(calls) == 2
    (folder / "new.csv").write_text("b\n", encoding="utf-8")  # a new file in the folder
    assert ValidationCache(project).check("data:alpha", [folder], validate) == []
    assert len(calls) == 3


def test_problems_are_never_remembered(project: Project) -> None:
    folder = project.root / "data" / "alpha"
    problem = Problem("data/alpha/survey.csv", "bad value", row=2, column="a")
    validate, calls = _counting([problem])
    for _ in range(2):
        cache = ValidationCache(project)
        assert cache.check("data:alpha", [folder], validate) == [problem]
        cache.save()
    assert len(calls) == 2


def test_the_checking_code_libraries_and_deny_list_are_inputs_too(project: Project, tmp_path: Path) -> None:
    folder = project.root / "data" / "alpha"
    denylist = tmp_path / "names.txt"
    denylist.write_text("Jo Bloggs\n", encoding="utf-8")
    validate, calls = _counting([])
    cache = ValidationCache(project, extra_inputs=[denylist])
    cache.check("data:alpha", [folder], validate)
    cache.save()
    denylist.write_text("Jo Bloggs\nSam Smith\n", encoding="utf-8")
    ValidationCache(project, extra_inputs=[denylist]).check("data:alpha", [folder], validate)
    (project.root / "requirements.lock").write_text("pandas==3.0.0\n", encoding="utf-8")
    ValidationCache(project, extra_inputs=[denylist]).check("data:alpha", [folder], validate)
    assert len(calls) == 3


def test_planning_twice_validates_each_ward_once_and_an_edit_is_caught(mini_project: Path, monkeypatch) -> None:
    project = Project(mini_project)
    real = runner._validate_data
    checked: list[str] = []

    def spy(project, params, denylist):
        checked.append(params.id)
        return real(project, params, denylist)

    monkeypatch.setattr(runner, "_validate_data", spy)
    assert runner.build_plan(project).problems == []
    first = sorted(checked)
    assert first == ["alpha", "beta"]
    assert runner.build_plan(project).problems == []
    assert sorted(checked) == first  # nothing changed: no ward checked again

    responses = mini_project / "data" / "alpha" / "survey_responses.csv"
    lines = responses.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("age_band")] = "ancient"
    responses.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8")
    plan = runner.build_plan(project)
    assert checked.count("alpha") == 2 and checked.count("beta") == 1
    assert any("ancient" in str(p) for found in plan.failed_wards.values() for p in found)
    # `cityconv validate` checks everything, cached or not
    runner.build_plan(project, remember_clean=False)
    assert checked.count("beta") == 2
