"""`cityconv new-ward`: a valid params file and empty templates, never overwriting anything."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from cityconv.core.params import load_params
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data import wardfiles as datafiles
from cityconv.data.questionnaire import load_questionnaire
from cityconv.generate.scaffold import new_ward, slugify
from nbtools import blank_census_figures, clubmoor_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the real project's config, params and context (and Clubmoor's data) in tmp_path."""
    return Project(clubmoor_project(tmp_path))


def tree(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256), plus every folder, to detect any change."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return out


def header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def test_by_code_creates_params_and_templates(project: Project) -> None:
    written = new_ward(project, "E05000887")
    params_file = project.params_dir / "anfield.yml"
    data = project.data_dir / "anfield"
    assert written[0] == params_file
    assert set(written[1:]) == set(data.iterdir())
    params = load_params(params_file, project.root)
    assert params.id == "anfield" and params.kind == "ward"
    assert (params.ward.code, params.ward.name, params.ward.boundary_set) == ("E05000887", "Anfield", "2004-2023")
    assert params.data_dir == "data/anfield"
    assert params.synthetic is False and params.reconstructed is False

    text = params_file.read_text(encoding="utf-8")
    assert 'code: "E05000887"' in text  # quoted
    assert "# reconstructed:" in text and "# synthetic:" in text  # every key is explained

    expected = {f"{stem}.csv" for stem in datafiles.known_files()} | {
        "CODEBOOK.md", "README.md", "questionnaire.yml", "survey-mapping.yml", "anfield-data-entry.xlsx"}
    assert {p.name for p in data.iterdir()} == expected
    questionnaire = load_questionnaire(data / "questionnaire.yml", project.root)
    assert questionnaire.ward == "Anfield" and questionnaire.reconstructed is False
    assert questionnaire.question("recommend").text == "Would you recommend Anfield as a place to live?"
    codebook = (data / "CODEBOOK.md").read_text(encoding="utf-8")
    assert codebook == datafiles.codebook_markdown(questionnaire)
    assert "Would you recommend Anfield as a place to live?" in codebook and "Clubmoor" not in codebook.split(
        "## `survey_responses.csv`")[1].split("## `interviews.csv`")[0]
    mapping = (data / "survey-mapping.yml").read_text(encoding="utf-8")
    assert 'recommend: "Would you recommend Anfield as a place to live?"' in mapping and "drop:" in mapping
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "cityconv validate anfield" in readme
    assert "14,510" in readme and "14,731" in readme  # population 2011 and 2021 from data/context
    assert not [p for p in project.root.iterdir() if p.name.startswith(".new-ward")]  # staging removed


def test_templates_are_header_only_with_schema_columns(project: Project) -> None:
    new_ward(project, "Anfield")
    for stem in datafiles.known_files():
        path = project.data_dir / "anfield" / f"{stem}.csv"
        columns = [f["name"] for f in datafiles.schema_descriptor(stem)["fields"]]
        assert header(path) == columns, stem
        assert path.read_bytes() == (",".join(columns) + "\n").encode("utf-8")


def test_by_name_case_insensitive_and_2023_set(project: Project) -> None:
    new_ward(project, "clubmoor EAST")
    params = load_params(project.params_dir / "clubmoor-east.yml", project.root)
    assert (params.ward.code, params.ward.name, params.ward.boundary_set) == ("E05015290", "Clubmoor East", "2023-")
    readme = (project.data_dir / "clubmoor-east" / "README.md").read_text(encoding="utf-8")
    assert "Population, Census 2011 | not available" in readme  # the 2023 wards did not exist in 2011


def test_name_in_both_sets_uses_boundary_set_and_custom_id(project: Project) -> None:
    new_ward(project, "anfield", ward_id="anfield-2023", boundary_set="2023-")
    params = load_params(project.params_dir / "anfield-2023.yml", project.root)
    assert (params.ward.code, params.ward.boundary_set) == ("E05015279", "2023-")
    assert params.data_dir == "data/anfield-2023"


def test_apostrophes_and_ampersands_make_valid_ids(project: Project) -> None:
    assert slugify("St Michael's") == "st-michaels"
    assert slugify("Grassendale & Cressington") == "grassendale-and-cressington"
    new_ward(project, "Grassendale & Cressington")
    params = load_params(project.params_dir / "grassendale-and-cressington.yml", project.root)
    assert params.ward.name == "Grassendale & Cressington"


def test_misspelt_name_suggests_and_writes_nothing(project: Project) -> None:
    before = tree(project.root)
    with pytest.raises(InputError) as info:
        new_ward(project, "Anfeild")
    assert "did you mean 'Anfield'" in str(info.value)
    assert tree(project.root) == before


@pytest.mark.parametrize("query", ["Liverpool", "E08000012"])
def test_city_is_not_a_ward(project: Project, query: str) -> None:
    before = tree(project.root)
    with pytest.raises(InputError, match="not a ward"):
        new_ward(project, query)
    assert tree(project.root) == before


def test_bad_boundary_set_and_bad_id(project: Project) -> None:
    before = tree(project.root)
    with pytest.raises(InputError, match="did you mean '2023-'"):
        new_ward(project, "Anfield", boundary_set="2023")
    with pytest.raises(InputError, match="invalid id"):
        new_ward(project, "Anfield", ward_id="Anfield_Ward")
    assert tree(project.root) == before


def test_existing_params_file_is_never_overwritten(project: Project) -> None:
    before = tree(project.root)
    with pytest.raises(InputError) as info:
        new_ward(project, "Clubmoor")  # params/clubmoor.yml and data/clubmoor exist
    message = str(info.value)
    assert "params/clubmoor.yml" in message and "data/clubmoor" in message
    assert tree(project.root) == before


def test_existing_data_folder_alone_blocks_creation(project: Project) -> None:
    (project.data_dir / "anfield").mkdir()
    (project.data_dir / "anfield" / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(project.root)
    with pytest.raises(InputError, match="data/anfield: already exists"):
        new_ward(project, "Anfield")
    assert tree(project.root) == before
    assert not (project.params_dir / "anfield.yml").exists()


def test_existing_params_alone_blocks_creation(project: Project) -> None:
    (project.params_dir / "anfield.yml").write_text("# someone else's\n", encoding="utf-8")
    before = tree(project.root)
    with pytest.raises(InputError, match="params/anfield.yml: already exists"):
        new_ward(project, "Anfield")
    assert tree(project.root) == before


def test_second_call_fails_and_changes_nothing(project: Project) -> None:
    new_ward(project, "Anfield")
    before = tree(project.root)
    with pytest.raises(InputError):
        new_ward(project, "Anfield")
    assert tree(project.root) == before


def test_fresh_scaffold_loads_as_empty_tables(project: Project) -> None:
    """What validation currently makes of a fresh scaffold (see the report to the lead)."""
    new_ward(project, "Anfield")
    data = project.data_dir / "anfield"
    problems = datafiles.validate_data_dir(data, project.root)
    assert all("data/anfield" in p.file for p in problems)
    if not problems:
        ward = datafiles.load_ward_data(data, project.root)
        assert len(ward.survey_responses) == 0 and len(ward.objectives) == 0


def test_ward_without_census_figures_is_still_scaffolded(project: Project) -> None:
    blank_census_figures(project.context_dir, "E05015332")
    new_ward(project, "Waterfront North")
    readme = (project.data_dir / "waterfront-north" / "README.md").read_text(encoding="utf-8")
    assert "Population, Census 2021 (sum of output areas) | not available" in readme
    assert "sum of the ward's Census 2021 output areas" in readme  # the caveat is printed


def test_failure_while_writing_leaves_nothing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from cityconv.generate import scaffold

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(scaffold, "_place_new_file", boom)
    before = tree(project.root)
    with pytest.raises(OSError):
        new_ward(project, "Anfield")
    assert tree(project.root) == before


def test_next_line_names_every_step_and_every_file(project: Project) -> None:
    """`new-ward`'s "Next:" line: questionnaire (or a draft), the three ways in, codebook, required and optional files, check, build."""
    from cityconv.generate.scaffold import next_steps

    line = next_steps("anfield")
    assert numbered_steps(line) == list(range(1, 8))
    assert "data/anfield/questionnaire.yml" in line and "`census:`" in line
    assert "`cityconv import-survey anfield <export> --draft`" in line
    assert "`cityconv import-survey anfield <export> --mapping data/anfield/survey-mapping.yml`" in line
    assert "`cityconv import-workbook anfield data/anfield/anfield-data-entry.xlsx`" in line
    assert_steps_after_records(line, first=3)


def test_import_surveys_next_lines_name_every_step_left() -> None:
    """After `import-survey --draft`: review, import with the draft, then the rest; after an import: the rest."""
    from cityconv.generate.scaffold import draft_next_steps, import_next_steps

    line = draft_next_steps("anfield", "export.csv", "data/anfield/survey-mapping.yml")
    assert line.startswith("Next: (1) check every `# REVIEW:` mark in both files; "
                           "(2) `cityconv import-survey anfield export.csv --mapping data/anfield/survey-mapping.yml`; ")
    assert_steps_after_records(line, first=3)
    assert_steps_after_records(import_next_steps("anfield"), first=1)


def numbered_steps(line: str) -> list[int]:
    return [int(n) for n in re.findall(r"\((\d)\) ", line)]


def assert_steps_after_records(line: str, first: int) -> None:
    """The line ends with the steps from records to a built ward, numbered from `first`, naming every data file."""
    steps = numbered_steps(line)
    assert steps == list(range(1, first + 5)), line
    assert f"({first}) `cityconv codebook anfield`" in line
    required, optional = re.search(r"required files \(([^)]*)\)", line), re.search(r"delete the others \(([^)]*)\)", line)
    assert required.group(1).split(", ") == [f"{s}.csv" for s in datafiles.required_files()]
    assert set(optional.group(1).split(", ")) == {f"{s}.csv" for s in datafiles.known_files()} - set(
        required.group(1).split(", "))
    assert line.endswith(f"({first + 3}) `cityconv validate anfield`; ({first + 4}) `cityconv build anfield`.")
