"""Params files are validated strictly, with messages that say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityconv.core.params import did_you_mean, load_all, load_params, select
from cityconv.core.problems import InputError

GOOD = """\
id: demo
kind: ward
title: Demo ward
ward:
  code: "E05000892"
  name: Clubmoor
  boundary_set: "2004-2023"
data_dir: data/demo
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "data" / "demo").mkdir(parents=True)
    return tmp_path


def write(root: Path, text: str, name: str = "demo.yml") -> Path:
    path = root / "params" / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def problems(root: Path, text: str | bytes, name: str = "demo.yml") -> list[str]:
    with pytest.raises(InputError) as caught:
        load_params(write(root, text, name), root)
    return [str(p) for p in caught.value.problems]


def test_good_params_load(root: Path) -> None:
    params = load_params(write(root, GOOD), root)
    assert params.ward.code == "E05000892"
    assert params.data_status == "observed"


def test_unknown_key_is_rejected_with_hint_and_line(root: Path) -> None:
    found = problems(root, GOOD + "reconstucted: true\n")
    assert found == ["params/demo.yml, line 9: unknown key 'reconstucted' — did you mean 'reconstructed'?"]


def test_unknown_nested_key_gets_hint(root: Path) -> None:
    found = problems(root, GOOD.replace("  name: Clubmoor", "  nmae: Clubmoor"))
    assert any("unknown key 'ward.nmae' — did you mean 'name'?" in p for p in found)
    assert any("missing required key 'ward.name'" in p for p in found)


def test_unquoted_ward_code_number_is_not_coerced(root: Path) -> None:
    text = GOOD.replace('title: Demo ward', 'title: 0123')
    found = problems(root, text)
    assert found == ["params/demo.yml, line 3: title: expected text, got 123 (int) — put the value in quotes"]


def test_yaml_no_is_not_a_boolean_and_bool_fields_are_strict(root: Path) -> None:
    found = problems(root, GOOD + "synthetic: no\n")
    assert len(found) == 1 and "line 9" in found[0] and "synthetic" in found[0] and "'no'" in found[0]


def test_dates_are_not_accepted_as_text(root: Path) -> None:
    found = problems(root, GOOD.replace("title: Demo ward", "title: 2020-04-01"))
    assert len(found) == 1 and "title" in found[0] and "line 3" in found[0]


def test_ward_code_pattern(root: Path) -> None:
    found = problems(root, GOOD.replace('"E05000892"', '"E0500089"'))
    assert len(found) == 1 and "ward.code" in found[0] and "line 5" in found[0]


def test_id_must_match_file_name(root: Path) -> None:
    found = problems(root, GOOD, name="other.yml")
    assert found == ["params/other.yml, line 1: id 'demo' must match the file name 'other'"]


def test_ward_needs_ward_section_and_data(root: Path) -> None:
    found = problems(root, "id: demo\nkind: ward\ntitle: Demo\n")
    assert any("need a 'ward' section" in p for p in found)


def test_missing_data_dir_folder(root: Path) -> None:
    found = problems(root, GOOD.replace("data/demo", "data/nowhere"))
    assert found == ["params/demo.yml, line 8: data_dir 'data/nowhere' is not a folder in the project"]


def test_duplicate_keys_and_broken_yaml(root: Path) -> None:
    assert "not valid YAML" in problems(root, GOOD + "title: again\n")[0]
    assert "not valid YAML" in problems(root, GOOD + "kind: [ward\n")[0]


def test_non_utf8_file(root: Path) -> None:
    found = problems(root, GOOD.replace("Demo ward", "Démo").encode("latin-1"))
    assert len(found) == 1 and "not valid UTF-8" in found[0]


def test_synthetic_and_reconstructed_are_exclusive(root: Path) -> None:
    found = problems(root, GOOD + "synthetic: true\nreconstructed: true\n")
    assert any("both 'synthetic' and 'reconstructed'" in p for p in found)


def test_select_misspelt_id_suggests(root: Path) -> None:
    params = load_params(write(root, GOOD), root)
    with pytest.raises(InputError) as caught:
        select({"clubmoor": params}, ["clubmor"])
    assert "unknown ward or study 'clubmor' — did you mean 'clubmoor'?" in str(caught.value)
    assert select({"clubmoor": params}, None) == {"clubmoor": params}


def test_did_you_mean_is_silent_when_nothing_is_close() -> None:
    assert did_you_mean("zzz", ["clubmoor"]) == ""


def test_a_params_file_may_be_spelt_yaml(tmp_path):
    """`.yml` and `.yaml` both work everywhere: the plan, the chapter loader and the runs."""
    import shutil

    from cityconv.chapters.loader import open_chapter
    from cityconv.core.paths import Project
    from cityconv.pipeline.runner import build_plan
    from nbtools import make_mini_project

    root = make_mini_project(tmp_path)
    shutil.move(root / "params" / "alpha.yml", root / "params" / "alpha.yaml")
    project = Project(root)
    assert project.params_file("alpha").name == "alpha.yaml"
    plan = build_plan(project, ["alpha"])
    assert plan.problems == [] and {t.params_path.name for t in plan.tasks} == {"alpha.yaml"}
    assert open_chapter("alpha", root).params.where == "params/alpha.yaml"
    shutil.copy(root / "params" / "alpha.yaml", root / "params" / "alpha.yml")
    _, problems = load_all(project)
    assert any("a second params file for 'alpha'" in p.message for p in problems)


@pytest.mark.parametrize("data_dir", ["/etc", "../outside", "data/../../outside"])
def test_data_dir_outside_the_project_is_refused(tmp_path, data_dir):
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "w.yml"
    path.write_text(f'id: w\nkind: study\ntitle: W\ndata_dir: "{data_dir}"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_params(path, tmp_path)
    (problem,) = caught.value.problems
    assert "must be a folder inside the project" in problem.message and problem.line == 4
