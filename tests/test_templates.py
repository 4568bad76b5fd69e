"""Templates declare their parameters; what we hand them must match exactly."""

from __future__ import annotations

from pathlib import Path

from cityconv.core.params import StudyParams
from cityconv.pipeline.templates import check_parameters, parameters_for, read_template, template_id, templates_for
from nbtools import write_template


def ward(**extra) -> StudyParams:
    return StudyParams.model_validate(
        {"id": "demo", "kind": "ward", "title": "Demo", "data_dir": "data/demo",
         "ward": {"code": "E05000892", "name": "Clubmoor", "boundary_set": "2004-2023"}, **extra}
    )


def test_template_id_drops_order_prefix() -> None:
    assert template_id(Path("03-residents-survey.ipynb")) == "residents-survey"
    assert template_id(Path("07_practitioners.ipynb")) == "practitioners"


def test_template_must_have_exactly_one_parameters_cell(tmp_path: Path) -> None:
    path = write_template(tmp_path / "01-x.ipynb", title="X", parameters_cells=2)
    template, problems = read_template(path, tmp_path)
    assert template is None
    assert [str(p) for p in problems] == ["01-x.ipynb: needs exactly one cell tagged 'parameters', found 2"]
    path = write_template(tmp_path / "02-y.ipynb", title="Y", parameters_cells=0)
    assert "found 0" in str(read_template(path, tmp_path)[1][0])


def test_template_metadata_is_required(tmp_path: Path) -> None:
    path = write_template(tmp_path / "01-x.ipynb", title="", applies_to=("town",))
    _, problems = read_template(path, tmp_path)
    messages = " | ".join(str(p) for p in problems)
    assert "cityconv.title" in messages and "cityconv.applies_to" in messages


def test_declared_parameters_are_read(tmp_path: Path) -> None:
    path = write_template(tmp_path / "01-x.ipynb", title="X", parameters='study_id = "clubmoor"\nconfidence = 0.95')
    template, problems = read_template(path, tmp_path)
    assert problems == [] and template.declared == ("study_id", "confidence")


def test_handed_parameter_not_declared_is_an_error(tmp_path: Path) -> None:
    template, _ = read_template(write_template(tmp_path / "01-x.ipynb", title="X"), tmp_path)
    params = ward(template_parameters={"x": {"confidnce": 0.9}})
    handed = parameters_for(params, template)
    assert handed == {"study_id": "demo", "confidnce": 0.9}
    found = [str(p) for p in check_parameters(params, template, handed)]
    assert found == [
        "params/demo.yml: parameter 'confidnce' is not declared in the parameters cell of 01-x.ipynb"
        " (expected one of: study_id)"
    ]


def test_declared_parameter_not_handed_is_an_error(tmp_path: Path) -> None:
    path = write_template(tmp_path / "01-x.ipynb", title="X", parameters='study_id = "clubmoor"\nconfidence = 0.95')
    template, _ = read_template(path, tmp_path)
    params = ward()
    found = [str(p) for p in check_parameters(params, template, parameters_for(params, template))]
    assert len(found) == 1 and "declares parameter 'confidence'" in found[0]
    params = ward(template_parameters={"x": {"confidence": 0.9}})
    assert check_parameters(params, template, parameters_for(params, template)) == []


def test_chapters_selection_and_misspelling(tmp_path: Path) -> None:
    a, _ = read_template(write_template(tmp_path / "01-profile.ipynb", title="A"), tmp_path)
    b, _ = read_template(write_template(tmp_path / "02-survey.ipynb", title="B"), tmp_path)
    s, _ = read_template(write_template(tmp_path / "09-study.ipynb", title="S", applies_to=("study",)), tmp_path)
    assert templates_for(ward(), [a, b, s]) == ([a, b], [])
    chosen, problems = templates_for(ward(chapters=["survey", "profle"]), [a, b, s])
    assert chosen == [b]
    assert "unknown chapter 'profle' for a ward — did you mean 'profile'?" in str(problems[0])
