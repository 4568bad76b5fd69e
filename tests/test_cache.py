"""The run cache re-runs exactly what changed (pipeline.cache, pipeline.recording).

Unit tests drive `stale_reason` with a record and a scratch project and package tree; one test runs a
real notebook to show the recorder sees the files it opens and the modules it imports, and only those.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from cityconv.core.paths import Project
from cityconv.pipeline import cache
from cityconv.pipeline.execute import execute_task
from cityconv.pipeline.runner import build_plan
from nbtools import make_mini_project, write_template


def _task(project: Project, template: Path):
    from cityconv.pipeline.tasks import RunTask

    out = project.generated_dir / "alpha" / "01-x.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("{}")
    return RunTask(root=project.root, study_id="alpha", study_title="Alpha", data_status="observed", banner=False,
                   template_id="x", template_title="X", template_path=template, params_path=project.params_file("alpha"),
                   output_path=out, parameters={"study_id": "alpha"})


@pytest.fixture()
def scratch(tmp_path: Path, monkeypatch):
    """A project with one template, a lock file and a fake `cityconv` package tree for module digests."""
    root = tmp_path / "project"
    for folder in ("params", "notebooks", "data/alpha"):
        (root / folder).mkdir(parents=True)
    (root / "params" / "alpha.yml").write_text("id: alpha\n")
    (root / "data" / "alpha" / "survey.csv").write_text("a\n1\n")
    (root / "data" / "alpha" / "README.md").write_text("notes\n")
    (root / "requirements.lock").write_text("pandas==2.3.3\n")
    template = root / "notebooks" / "01-x.ipynb"
    template.write_text("{}")
    package = tmp_path / "site" / "cityconv"
    for module in ("chapters/survey.py", "pipeline/pdf.py", "cli.py", "__init__.py"):
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        (package / module).write_text(f"# {module}\n")
    monkeypatch.setattr(cache, "PACKAGE_ROOT", tmp_path / "site")
    project = Project(root)
    task = _task(project, template)
    record = {"reads": ["params/alpha.yml", "data/alpha/survey.csv", "data/alpha/later.csv"], "listings": [],
              "modules": ["cityconv", "cityconv.chapters.survey"]}
    entry = cache.entry_for(task, record, cache.Digests(root))
    return root, package, task, entry


def _stale(task, entry):
    return cache.stale_reason(task, entry, cache.Digests(task.root))


def test_unchanged_inputs_are_current(scratch):
    _, _, task, entry = scratch
    assert _stale(task, entry) is None


def test_a_file_the_chapter_read_changes(scratch):
    root, _, task, entry = scratch
    (root / "data" / "alpha" / "survey.csv").write_text("a\n2\n")
    assert _stale(task, entry) == "data/alpha/survey.csv changed"


def test_a_readme_no_chapter_reads_changes_nothing(scratch):
    root, _, task, entry = scratch
    (root / "data" / "alpha" / "README.md").write_text("more notes\n")
    assert _stale(task, entry) is None


def test_a_file_looked_for_and_missing_now_exists(scratch):
    root, _, task, entry = scratch
    (root / "data" / "alpha" / "later.csv").write_text("b\n")
    assert _stale(task, entry) == "data/alpha/later.csv now exists"


def test_a_new_file_in_a_folder_it_read_from(scratch):
    root, _, task, entry = scratch
    (root / "data" / "alpha" / "interviews.csv").write_text("c\n")  # found by exists(), not by open
    assert _stale(task, entry) == "files in data/alpha/ changed"


def test_an_imported_module_changes(scratch):
    _, package, task, entry = scratch
    (package / "chapters" / "survey.py").write_text("# edited\n")
    assert _stale(task, entry) == "module cityconv.chapters.survey changed"


@pytest.mark.parametrize("module", ["pipeline/pdf.py", "cli.py"])
def test_a_module_no_chapter_imports_changes_nothing(scratch, module):
    _, package, task, entry = scratch
    (package / module).write_text("# edited\n")
    assert _stale(task, entry) is None


def test_a_dependency_upgrade_reruns(scratch):
    root, _, task, entry = scratch
    (root / "requirements.lock").write_text("pandas==2.3.4\n")
    assert _stale(task, entry) == "dependencies changed"


def test_template_and_parameters(scratch):
    root, _, task, entry = scratch
    from dataclasses import replace

    assert _stale(replace(task, parameters={"study_id": "beta"}), entry) == "parameters changed"
    (root / "notebooks" / "01-x.ipynb").write_text('{"cells": []}')
    assert _stale(task, entry) == "template changed"
    assert _stale(task, None) == "never run"


def test_manifest_round_trip_and_old_format(tmp_path: Path):
    project = Project(tmp_path)
    cache.save_manifest(project, {"alpha/x": {"lock": "1"}})
    assert cache.load_manifest(project) == {"alpha/x": {"lock": "1"}}
    cache.manifest_path(project).write_text('{"runs": {}}')  # no version: from an older cache
    assert cache.load_manifest(project) == {}


def test_the_recorder_sees_what_a_notebook_opens_and_imports(tmp_path: Path, monkeypatch):
    root = make_mini_project(tmp_path)
    write_template(root / "notebooks" / "03-reads.ipynb", title="Reads", code=[
        "from cityconv.chapters.loader import open_chapter\nch = open_chapter(study_id)\n"
        "from pathlib import Path\nprint(Path('data/alpha/not-there.csv').is_file())\n"
        "try:\n    open('data/alpha/optional.csv')\nexcept FileNotFoundError:\n    pass",
    ])
    monkeypatch.setenv("CITYCONV_ROOT", str(root))
    plan = build_plan(Project(root), ["alpha"])
    assert plan.problems == []
    (task,) = [t for t in plan.tasks if t.template_id == "reads"]
    result = execute_task(task)
    assert result.status == "done", result.report_line()
    record = result.record
    assert "params/alpha.yml" in record["reads"] and "data/alpha/survey_responses.csv" in record["reads"]
    assert "data/alpha/optional.csv" in record["reads"]  # looked for, not found: its creation re-runs
    assert "data/alpha/README.md" not in record["reads"] and "data/alpha/CODEBOOK.md" not in record["reads"]
    assert any(r.startswith("data/context/") for r in record["reads"])
    assert "cityconv.chapters.loader" in record["modules"] and "cityconv.data.wardfiles" in record["modules"]
    assert not any(m.startswith(("cityconv.pipeline", "cityconv.cli", "cityconv.chapters.survey")) for m in record["modules"])
    nb = nbformat.read(task.output_path, as_version=4)
    assert nb.metadata.cityconv["record"] == record
    assert not any("cityconv-recorder" in c.metadata.get("tags", []) for c in nb.cells)


def test_a_prose_template_or_schema_inside_the_package_is_an_input(scratch):
    _, package, task, _ = scratch
    template = package / "chapters" / "templates" / "survey" / "intro.md"
    template.parent.mkdir(parents=True)
    template.write_text("The survey asked {{ n }} people.\n")
    record = {"reads": ["package:chapters/templates/survey/intro.md"], "listings": [], "modules": []}
    entry = cache.entry_for(task, record, cache.Digests(task.root))
    assert _stale(task, entry) is None
    template.write_text("We asked {{ n }} people.\n")
    assert _stale(task, entry) == "package:chapters/templates/survey/intro.md changed"


def test_package_paths_are_recorded_with_their_prefix(tmp_path: Path):
    from cityconv.pipeline import recording

    schema = recording.PACKAGE_DIR / "data" / "schemas" / "ward" / "objectives.schema.json"
    assert recording.project_relative(str(schema), tmp_path) == "package:data/schemas/ward/objectives.schema.json"
    assert recording.project_relative(str(recording.PACKAGE_DIR / "cli.py"), tmp_path) is None


def test_the_recorder_ignores_folders_the_import_system_lists(tmp_path: Path, monkeypatch) -> None:
    """A fresh kernel's first import lists folders on sys.path, a warm kernel's does not: such
    listings are not inputs (modules are recorded by name), so records agree across executors."""
    import importlib
    import os
    import sys

    from cityconv.pipeline import recording

    (tmp_path / "data").mkdir()
    (tmp_path / "libs").mkdir()
    (tmp_path / "libs" / "fresh_module_for_recorder_test.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "libs"))
    importlib.invalidate_caches()
    recording.start(str(tmp_path))
    try:
        importlib.import_module("fresh_module_for_recorder_test")
        import pkgutil

        list(pkgutil.iter_modules([str(tmp_path / "libs")]))  # a plugin scan, as frictionless makes once
        os.listdir(tmp_path / "data")  # a chapter listing a folder: an input
    finally:
        recording._state["on"] = False
        sys.modules.pop("fresh_module_for_recorder_test", None)
    listed = {recording.project_relative(p, tmp_path.resolve()) for p in recording._state["listings"]}
    assert listed == {"data"}
