"""A chapter trusts the validation its run's plan made, and only that: run by hand, it validates.

Planning a run validates each ward's data folder (and the city folder when a run reads it) and hands
the runs the folders' fingerprints (`RunTask.validated_folders`, in the kernel's environment); the
chapter's loader then skips the schema checks for a folder whose fingerprint matches. These tests
count the loader's calls of the validators: in the kernel under both executors, and by hand.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from cityconv.chapters.loader import open_chapter
from cityconv.core.paths import Project
from cityconv.data import wardfiles
from cityconv.data.wardfiles import VALIDATED_FOLDERS_ENV, folder_fingerprint
from cityconv.pipeline.execute import execute_task
from cityconv.pipeline.runner import build_plan
from nbtools import REPO, warm_kernel, write_template

# Counts the validators' calls while the chapter's loader opens the ward, then prints the counts.
COUNTING = (
    "import json\nimport cityconv.data.wardfiles as wardfiles\ncalls = {'ward': 0, 'city': 0}\n"
    "def counting(name, check):\n"
    "    def counted(*args, **kwargs):\n"
    "        calls[name] += 1\n"
    "        return check(*args, **kwargs)\n"
    "    return counted\n"
    "wardfiles.validate_data_dir = counting('ward', wardfiles.validate_data_dir)\n"
    "wardfiles.validate_city_dir = counting('city', wardfiles.validate_city_dir)\n"
    "from cityconv.chapters.loader import open_chapter\n"
    "chapter = open_chapter(study_id)\n"
    "print(json.dumps({'calls': calls, 'rows': len(chapter.data.survey_responses)}))"
)


@pytest.fixture
def counting_project(mini_project: Path) -> Path:
    write_template(mini_project / "notebooks" / "03-count.ipynb", title="Counting", parameters='study_id = "alpha"',
                   code=[COUNTING], reads=("data/city/*",))
    return mini_project


def counting_task(root: Path, study_id: str = "alpha"):
    plan = build_plan(Project(root), [study_id])
    assert not plan.problems, plan.problems
    return next(t for t in plan.tasks if t.template_id == "count")


def kernel_output(result) -> dict:
    import json

    import nbformat

    assert result.status == "done", result.failure
    nb = nbformat.reads(result.notebook, as_version=4)
    lines = [line for cell in nb.cells for o in cell.get("outputs", []) for line in "".join(o.get("text", "")).splitlines()
             if line.startswith("{")]
    return json.loads(lines[-1])


def test_the_plan_hands_its_runs_the_folders_it_validated(counting_project: Path) -> None:
    task = counting_task(counting_project)
    ward, city = counting_project / "data" / "alpha", counting_project / "data" / "city"
    assert set(task.validated_folders) == {folder_fingerprint(ward), folder_fingerprint(city)}
    assert task.kernel_environment()[VALIDATED_FOLDERS_ENV].split() == list(task.validated_folders)


def test_a_ward_whose_data_fails_is_not_handed_on(counting_project: Path) -> None:
    (counting_project / "data" / "beta" / "interviews.csv").write_text("not,the,header\n", encoding="utf-8")
    plan = build_plan(Project(counting_project), ["alpha", "beta"])
    ward_beta = folder_fingerprint(counting_project / "data" / "beta")
    assert plan.tasks and all(ward_beta not in task.validated_folders for task in plan.tasks)


@pytest.mark.slow
def test_a_chapter_under_the_pipeline_does_not_validate_again(counting_project: Path) -> None:
    task = counting_task(counting_project)
    warm = kernel_output(warm_kernel().run(task))
    fresh = kernel_output(execute_task(task, publish=False))  # papermill: a fresh kernel
    assert warm == fresh == {"calls": {"ward": 0, "city": 0}, "rows": warm["rows"]}
    assert warm["rows"] > 0


@pytest.mark.slow
def test_a_folder_changed_after_planning_is_validated_again(counting_project: Path) -> None:
    task = counting_task(counting_project)
    quotes = counting_project / "data" / "alpha" / "quotes.csv"
    later = time.time() + 5
    os.utime(quotes, (later, later))  # saved again after the plan checked it
    result = warm_kernel().run(task)
    assert kernel_output(result)["calls"] == {"ward": 1, "city": 0}


def test_a_chapter_run_by_hand_validates(monkeypatch) -> None:
    monkeypatch.delenv(VALIDATED_FOLDERS_ENV, raising=False)
    calls = {"ward": 0, "city": 0}
    for name, attribute in (("ward", "validate_data_dir"), ("city", "validate_city_dir")):
        check = getattr(wardfiles, attribute)

        def counted(*args, _check=check, _name=name, **kwargs):
            calls[_name] += 1
            return _check(*args, **kwargs)

        monkeypatch.setattr(wardfiles, attribute, counted)
    open_chapter("clubmoor", REPO)
    assert calls == {"ward": 1, "city": 1}
    # A fingerprint of some other folder (or a stale one) does not count as validation of this one.
    monkeypatch.setenv(VALIDATED_FOLDERS_ENV, folder_fingerprint(REPO / "data" / "city"))
    open_chapter("clubmoor", REPO)
    assert calls == {"ward": 2, "city": 1}


def test_the_shared_folders_the_plan_checked_are_handed_on_and_trusted_only_as_they_are(mini_project: Path,
                                                                                       monkeypatch) -> None:
    """The evidence base and the recommendation rules, checked by the plan when a run reads them, are
    handed on like the ward's folder; their loaders then skip the checks, and check again by hand."""
    from cityconv.chapters import recommendations
    from cityconv.data import evidence

    for folder in ("evidence", "recommendations"):
        if not (mini_project / "data" / folder).is_dir():
            shutil.copytree(REPO / "data" / folder, mini_project / "data" / folder)
    write_template(mini_project / "notebooks" / "03-shared.ipynb", title="Shared", parameters='study_id = "alpha"',
                   code=["print(study_id)"], reads=("data/evidence/*", "data/recommendations/*"))
    plan = build_plan(Project(mini_project), ["alpha"])
    assert not plan.problems, plan.problems
    task = next(t for t in plan.tasks if t.template_id == "shared")
    shared = [folder_fingerprint(mini_project / "data" / name) for name in ("evidence", "recommendations")]
    assert set(shared) <= set(task.validated_folders)

    calls = {"evidence": 0, "rules": 0}
    for module, attribute, name in ((evidence, "validate_evidence", "evidence"),
                                    (recommendations, "validate_rules", "rules")):
        check = getattr(module, attribute)

        def counted(*args, _check=check, _name=name, **kwargs):
            calls[_name] += 1
            return _check(*args, **kwargs)

        monkeypatch.setattr(module, attribute, counted)
    project = Project(mini_project)
    monkeypatch.setenv(VALIDATED_FOLDERS_ENV, task.kernel_environment()[VALIDATED_FOLDERS_ENV])
    evidence.load_evidence(mini_project / "data" / "evidence", mini_project)
    recommendations.fired_by_ward(project)  # reads the rules, as chapters 00 and 10 do
    assert recommendations._validated_by_planner(project)
    assert calls == {"evidence": 0, "rules": 0}
    monkeypatch.delenv(VALIDATED_FOLDERS_ENV)  # by hand: checked
    evidence.load_evidence(mini_project / "data" / "evidence", mini_project)
    assert calls == {"evidence": 1, "rules": 0}
    recommendations.fired_by_ward(project)
    assert not recommendations._validated_by_planner(project)
    assert calls["rules"] == 1
    monkeypatch.setenv(VALIDATED_FOLDERS_ENV, shared[1])  # the rules' folder alone: not trusted without the evidence
    assert not recommendations._validated_by_planner(project)
