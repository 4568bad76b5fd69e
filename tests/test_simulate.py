"""`cityconv simulate`: valid, deterministic synthetic data with a controllable sampling bias."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityconv.core.params import load_params
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data import wardfiles as datafiles
from cityconv.data.context import load_context
from cityconv.generate import reconstruct as rc
from cityconv.generate import simulate as sim
from cityconv.generate.scaffold import new_ward
from nbtools import blank_census_figures, clubmoor_project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(clubmoor_project(tmp_path))


@pytest.fixture
def anfield(project: Project) -> Project:
    new_ward(project, "Anfield")
    return project


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
            for p in sorted(root.rglob("*"))}


def margins_of(project: Project, ward: str) -> dict[str, dict[str, float]]:
    return sim.population_margins(load_context(project.context_dir, ward))


# --------------------------------------------------------------------------------------------------
# simulate_ward


def test_valid_and_marked_synthetic(anfield: Project) -> None:
    written = sim.simulate_ward(anfield, "anfield")
    data = anfield.data_dir / "anfield"
    assert written[0] == anfield.params_dir / "anfield.yml"
    assert datafiles.validate_data_dir(data, anfield.root) == []
    params = load_params(anfield.params_dir / "anfield.yml", anfield.root)
    assert params.synthetic is True and params.reconstructed is False
    ward = datafiles.load_ward_data(data, anfield.root)
    assert len(ward.survey_responses) == 48
    assert ward.published_figures is None and ward.quotes is None  # header-only templates of unsimulated sources removed
    for name in ("objectives", "interviews", "interview_themes", "training_sessions", "training_attendance",
                 "social_media_posts", "workshops", "workshop_themes", "survey_mentions"):
        assert len(getattr(ward, name)) > 0, name
    assert (ward.objectives["target"].notna()).sum() >= 3  # objectives carry their targets
    assert "SYNTHETIC" in (data / "README.md").read_text(encoding="utf-8")


def test_simulated_files_borrow_no_clubmoor_wording(anfield: Project) -> None:
    """The words, sources and partner names of Clubmoor's study never appear (targets: test_simulate_own_study)."""
    sim.simulate_ward(anfield, "anfield")
    data = anfield.data_dir / "anfield"
    for path in sorted(data.glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        for word in ("MyClubmoor", "Clubmoor", "slide", "Ducky", rc.SOURCE_KEY):
            assert word.lower() not in text.lower(), f"{path.name} mentions {word!r}"
    objectives = datafiles.load_ward_data(data, anfield.root).objectives
    assert set(objectives["source_key"]) == {sim.SYNTHETIC_SOURCE_KEY}
    assert set(objectives["delivered_basis"]) == {"synthetic"}
    assert list(objectives["objective_id"]) == [oid for oid, *_ in sim.AIMS]


def test_params_comments_and_quotes_preserved(anfield: Project) -> None:
    path = anfield.params_dir / "anfield.yml"
    before = path.read_text(encoding="utf-8").splitlines()
    sim.simulate_ward(anfield, "anfield")
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after)
    assert changed == [("synthetic: false", "synthetic: true")]


def test_params_without_synthetic_key_gets_one(anfield: Project) -> None:
    path = anfield.params_dir / "anfield.yml"
    text = path.read_text(encoding="utf-8").replace("synthetic: false\n", "")
    path.write_text(text, encoding="utf-8")
    sim.simulate_ward(anfield, "anfield")
    assert load_params(path, anfield.root).synthetic is True
    assert "# ward: the electoral ward" in path.read_text(encoding="utf-8")


def test_deterministic_given_seed(anfield: Project) -> None:
    sim.simulate_ward(anfield, "anfield", seed=7)
    first = digests(anfield.data_dir / "anfield")
    sim.simulate_ward(anfield, "anfield", seed=7, overwrite=True)
    assert digests(anfield.data_dir / "anfield") == first
    sim.simulate_ward(anfield, "anfield", seed=8, overwrite=True)
    second = digests(anfield.data_dir / "anfield")
    assert second["survey_responses.csv"] != first["survey_responses.csv"]
    assert second["CODEBOOK.md"] == first["CODEBOOK.md"]


def test_sample_size(anfield: Project) -> None:
    sim.simulate_ward(anfield, "anfield", n=150)
    responses = pd.read_csv(anfield.data_dir / "anfield" / "survey_responses.csv", dtype=str)
    assert len(responses) == 150 and responses["response_id"].is_unique
    assert responses["response_id"].iloc[0] == "S001"
    assert datafiles.validate_data_dir(anfield.data_dir / "anfield", anfield.root) == []


def test_small_sample_is_valid(anfield: Project) -> None:
    sim.simulate_ward(anfield, "anfield", n=1)
    ward = datafiles.load_ward_data(anfield.data_dir / "anfield", anfield.root)
    assert len(ward.survey_responses) == 1
    assert (ward.interviews["interviewee_type"] == "survey_respondent").sum() <= 1


def test_female_propensity_raises_female_share(anfield: Project) -> None:
    n = 3000
    sim.simulate_ward(anfield, "anfield", n=n, propensities={})
    neutral = pd.read_csv(anfield.data_dir / "anfield" / "survey_responses.csv", dtype=str)
    sim.simulate_ward(anfield, "anfield", n=n, propensities={"sex": {"Female": 3}}, overwrite=True)
    biased = pd.read_csv(anfield.data_dir / "anfield" / "survey_responses.csv", dtype=str)

    def female_share(df: pd.DataFrame) -> float:
        stated = df[df["sex"] != "Prefer not to say"]
        return float((stated["sex"] == "Female").mean())

    pop = margins_of(anfield, "Anfield")["sex"]["Female"]
    expected = 3 * pop / (3 * pop + (1 - pop))
    assert abs(female_share(neutral) - pop) < 0.03
    assert abs(female_share(biased) - expected) < 0.03
    assert female_share(biased) > female_share(neutral) + 0.15


def test_refuses_when_data_exist(anfield: Project) -> None:
    sim.simulate_ward(anfield, "anfield")
    before = tree(anfield.root)
    with pytest.raises(InputError, match="already holds data"):
        sim.simulate_ward(anfield, "anfield", seed=1)
    assert tree(anfield.root) == before


def test_refuses_real_data_in_a_scaffolded_folder(anfield: Project) -> None:
    quotes = anfield.data_dir / "anfield" / "quotes.csv"
    quotes.write_text(quotes.read_text(encoding="utf-8") + "Q01,Hello,Interviewee,published,green_spaces,clubmoor_slides_2021,x\n",
                      encoding="utf-8")
    before = tree(anfield.root)
    with pytest.raises(InputError, match="quotes.csv: already holds data"):
        sim.simulate_ward(anfield, "anfield")
    assert tree(anfield.root) == before


def test_refuses_clubmoor_and_reconstructed(project: Project) -> None:
    before = tree(project.root)
    with pytest.raises(InputError, match="never simulated over"):
        sim.simulate_ward(project, "clubmoor", overwrite=True)
    # a reconstructed ward under another id, pointing at a copy of the data
    shutil.copytree(project.data_dir / "clubmoor", project.data_dir / "copy")
    text = (project.params_dir / "clubmoor.yml").read_text(encoding="utf-8")
    (project.params_dir / "copy.yml").write_text(
        text.replace("id: clubmoor", "id: copy").replace("data/clubmoor", "data/copy"), encoding="utf-8")
    before = tree(project.root)
    with pytest.raises(InputError, match="reconstructed"):
        sim.simulate_ward(project, "copy", overwrite=True)
    assert tree(project.root) == before


def test_refuses_data_dir_pointing_at_clubmoor(anfield: Project) -> None:
    path = anfield.params_dir / "anfield.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("data_dir: data/anfield", "data_dir: data/clubmoor"),
                    encoding="utf-8")
    before = tree(anfield.root)
    with pytest.raises(InputError, match="cannot hold simulated data"):
        sim.simulate_ward(anfield, "anfield", overwrite=True)
    assert tree(anfield.root) == before


def test_unknown_ward_id_and_bad_arguments(anfield: Project) -> None:
    with pytest.raises(InputError, match="cityconv new-ward"):
        sim.simulate_ward(anfield, "nowhere")
    with pytest.raises(InputError, match="sample size"):
        sim.simulate_ward(anfield, "anfield", n=0)
    with pytest.raises(InputError) as info:
        sim.simulate_ward(anfield, "anfield", propensities={"sex": {"Femal": 2}, "age": {}, "age_band": {"15-24": 2}})
    message = str(info.value)
    assert "did you mean 'Female'" in message and "did you mean 'age_band'" in message and "'16-24'" in message
    with pytest.raises(InputError, match=">= 0"):
        sim.simulate_ward(anfield, "anfield", propensities={"sex": {"Female": -1}})


def test_ward_without_census_figures_is_refused(project: Project) -> None:
    new_ward(project, "Waterfront North")
    blank_census_figures(project.context_dir, "E05015332")
    with pytest.raises(InputError, match="no Census 2021"):
        sim.simulate_ward(project, "waterfront-north")
    assert load_params(project.params_dir / "waterfront-north.yml", project.root).synthetic is False


def test_never_touches_clubmoor(anfield: Project) -> None:
    before = digests(anfield.data_dir / "clubmoor")
    sim.simulate_ward(anfield, "anfield")
    assert digests(anfield.data_dir / "clubmoor") == before


# --------------------------------------------------------------------------------------------------
# The sampling model


def test_margins_are_adult_shares_in_survey_codes(project: Project) -> None:
    margins = margins_of(project, "Clubmoor")
    assert list(margins["age_band"]) == ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
    for shares in margins.values():
        assert sum(shares.values()) == pytest.approx(1.0)
    age = load_context(project.context_dir, "Clubmoor").age
    adults = age[(age["ward_code"] == "E05000892") & (age["category"] != "0-14")]["count"].sum()
    assert int(adults) == sim.CLUBMOOR_ADULTS_2021


def test_draw_sample_is_pure_and_sized(project: Project) -> None:
    margins = margins_of(project, "Anfield")
    a = sim.draw_sample(margins, {"sex": {"Female": 2}}, 500, np.random.default_rng(1))
    b = sim.draw_sample(margins, {"sex": {"Female": 2}}, 500, np.random.default_rng(1))
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["age_band", "sex", "ethnic_group"] and len(a) == 500


def test_remembered_tables_are_copies_and_follow_the_propensities(project: Project) -> None:
    """cell_table and expected_composition are remembered per setting: a caller's edits never leak."""
    margins = margins_of(project, "Anfield")
    first = sim.cell_table(margins, {"sex": {"Female": 2}})
    first["response_share"] = 0.0  # a caller changes its table…
    again = sim.cell_table(margins, {"sex": {"Female": 2}})
    assert again["response_share"].sum() == pytest.approx(1.0)  # …and the next caller does not see it
    other = sim.cell_table(margins, {"sex": {"Female": 3}})
    female = other["sex"] == "Female"
    assert other.loc[female, "response_share"].sum() > again.loc[female, "response_share"].sum()
    expected = sim.expected_composition(margins, {"sex": {"Female": 2}})
    expected["expected_share"] = -1.0
    assert (sim.expected_composition(margins, {"sex": {"Female": 2}})["expected_share"] >= 0).all()
    with pytest.raises(InputError, match=">= 0"):  # checked every time, not only when first remembered
        sim.cell_table(margins, {"sex": {"Female": -1}})


def test_propensity_shifts_composition_over_many_draws(project: Project) -> None:
    margins = margins_of(project, "Anfield")
    rng = np.random.default_rng(2020)
    neutral = sim.sample_composition(sim.draw_sample(margins, {}, 20_000, rng), margins).set_index(["dimension", "category"])
    biased = sim.sample_composition(
        sim.draw_sample(margins, {"sex": {"Female": 3}, "age_band": {"75+": 0.2}}, 20_000, rng), margins
    ).set_index(["dimension", "category"])
    assert biased.loc[("sex", "Female"), "share"] > neutral.loc[("sex", "Female"), "share"] + 0.2
    assert biased.loc[("age_band", "75+"), "share"] < neutral.loc[("age_band", "75+"), "share"] / 2
    # ethnic composition is untouched by sex and age propensities (independence)
    assert abs(biased.loc[("ethnic_group", "White"), "share"] - neutral.loc[("ethnic_group", "White"), "share"]) < 0.02
    assert neutral.loc[("sex", "Female"), "ratio"] == pytest.approx(1.0, abs=0.03)


def test_default_propensities_reproduce_clubmoor_bias(project: Project) -> None:
    margins = margins_of(project, "Clubmoor")
    expected = sim.expected_composition(margins, sim.CLUBMOOR_LIKE_PROPENSITIES).set_index(["dimension", "category"])
    ages: dict[str, int] = {}
    sexes: dict[str, int] = {}
    for (age, sex), k in rc.SURVEY_AGE_SEX.items():
        ages[age] = ages.get(age, 0) + k
        sexes[sex] = sexes.get(sex, 0) + k
    stated_ages = sum(v for a, v in ages.items() if a != "Prefer not to say")
    for band in margins["age_band"]:
        assert expected.loc[("age_band", band), "expected_share"] == pytest.approx(ages[band] / stated_ages, abs=0.02)
    stated_sex = sexes["Female"] + sexes["Male"]
    assert expected.loc[("sex", "Female"), "expected_share"] == pytest.approx(sexes["Female"] / stated_sex, abs=0.02)
    white = rc.SURVEY_ETHNICITY["White"] / (sum(rc.SURVEY_ETHNICITY.values()) - rc.SURVEY_ETHNICITY["Prefer not to say"])
    assert expected.loc[("ethnic_group", "White"), "expected_share"] == pytest.approx(white, abs=0.02)


def test_parse_propensity_options() -> None:
    assert sim.parse_propensity_options(None) is None
    assert sim.parse_propensity_options([], no_bias=True) == {}
    assert sim.parse_propensity_options(["sex:Female=1.5", "age_band:45-54=1.4", "age_band:55-64=2"]) == {
        "sex": {"Female": 1.5}, "age_band": {"45-54": 1.4, "55-64": 2.0}}
    with pytest.raises(InputError, match="CHARACTERISTIC:GROUP=NUMBER"):
        sim.parse_propensity_options(["sex=Female"])


def test_readme_names_the_command_that_remakes_the_data(anfield: Project) -> None:
    sim.simulate_ward(anfield, "anfield", n=60, seed=3, propensities={"sex": {"Female": 1.5}})
    readme = (anfield.data_dir / "anfield" / "README.md").read_text(encoding="utf-8")
    assert "cityconv simulate anfield --n 60 --seed 3 --propensity sex:Female=1.5" in readme


def test_answer_distributions_are_probabilities() -> None:
    for dist in sim.ANSWER_DISTRIBUTIONS.values():
        assert sum(dist.values()) == pytest.approx(1.0)
    for probs in sim.MODE_PROBABILITIES.values():
        assert sum(probs) == pytest.approx(1.0)
