"""The cross-ward comparison chapter: `cityconv.chapters.comparison` and `notebooks/30-ward-comparison.ipynb`."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cityconv.chapters import comparison as cmp
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem
from cityconv.generate.scaffold import new_ward
from cityconv.generate.simulate import simulate_ward
from cityconv.methods.disclosure import SUPPRESSED, DisclosureRules, assert_publishable
from cityconv.present import NOT_AVAILABLE
from nbtools import blank_census_figures

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "notebooks" / "30-ward-comparison.ipynb"

CLUBMOOR_YML = (
    'id: clubmoor\nkind: ward\ntitle: Clubmoor\nward:\n  code: "E05000892"\n  name: Clubmoor\n'
    '  boundary_set: "2004-2023"\ndata_dir: data/clubmoor\nreconstructed: true\n'
)
STUDY_YML = 'id: ward-comparison\nkind: study\ntitle: "Comparing wards"\nchapters: [ward-comparison]\n'


def make_project(root: Path, clubmoor: bool = True, study: bool = True) -> Project:
    """A project with the real context tables, optionally Clubmoor's data and the comparison study."""
    (root / "params").mkdir(parents=True)
    (root / "_config.yml").write_text("title: test\n", encoding="utf-8")
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    if clubmoor:
        shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
        (root / "params" / "clubmoor.yml").write_text(CLUBMOOR_YML, encoding="utf-8")
    if study:
        (root / "params" / "ward-comparison.yml").write_text(STUDY_YML, encoding="utf-8")
    return Project(root)


def add_synthetic(project: Project, name: str, n: int, seed: int = 1, **kwargs) -> str:
    path = new_ward(project, name, **kwargs)[0]
    simulate_ward(project, path.stem, n=n, seed=seed)
    return path.stem


@pytest.fixture(scope="module")
def three_wards(tmp_path_factory) -> Project:
    """Clubmoor, a synthetic 2004-2023 ward, a tiny synthetic 2023 ward, a half-made ward and one not started."""
    project = make_project(tmp_path_factory.mktemp("three"))
    add_synthetic(project, "Anfield", n=60, seed=2023)
    add_synthetic(project, "Princes Park", n=4, seed=7, boundary_set="2023-")
    new_ward(project, "Everton")
    with open(project.root / "data" / "everton" / "survey_responses.csv", "a", encoding="utf-8") as fh:
        fh.write("S1,not a month,,,,,,,\n")  # a row begun and left wrong: does not validate yet
    new_ward(project, "Kirkdale")  # header-only templates, untouched: not started
    return project


# ---------------------------------------------------------------------------------------------- rules


def test_combined_rules_take_the_strictest() -> None:
    a = DisclosureRules(threshold=5, min_percent_base=10)
    b = DisclosureRules(threshold=10, min_percent_base=10, zeros_disclosive=True)
    c = cmp.combined_rules(a, b)
    assert (c.threshold, c.min_percent_base, c.zeros_disclosive) == (10, 10, True)
    assert cmp.combined_rules(DisclosureRules(threshold=12, min_percent_base=12), a).min_percent_base == 12


def test_ward_order_puts_clubmoor_first(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    assert [w.id for w in comp.wards] == ["clubmoor", "anfield", "everton", "princes-park"]
    assert "ward-comparison" not in [w.id for w in comp.wards]  # studies are not wards


# ------------------------------------------------------------------------------------- any number


@pytest.mark.parametrize("n_wards", [0, 1, 2])
def test_works_with_few_wards(tmp_path: Path, n_wards: int) -> None:
    project = make_project(tmp_path, clubmoor=n_wards >= 1)
    if n_wards == 2:
        add_synthetic(project, "Anfield", n=30)
    comp = cmp.load_comparison("ward-comparison", root=project.root)
    assert comp.n == n_wards
    intro = cmp.intro_text(comp)
    if n_wards == 0:
        assert "nothing to compare" in intro
        assert cmp.context_table(comp) is None and cmp.reach_table(comp) is None and cmp.findings_table(comp) is None
        return
    if n_wards == 1:
        assert "Only one ward" in intro and "Clubmoor" in intro
        assert cmp.reach_text(comp) is None
    else:
        assert "beside Anfield" in cmp.summary_text(comp)
    for table in (cmp.context_table(comp), cmp.reach_table(comp), cmp.findings_table(comp)):
        assert len(table.frame) >= n_wards
    assert cmp.context_frame(comp)["Ward"].iloc[-1] == cmp.CITY_LABEL


def test_many_wards_every_table_labels_synthetic_wards(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    fake = pd.DataFrame({"r1": [True, False, True, False]}, index=["clubmoor", "anfield", "princes-park", "everton"])
    tables = [cmp.context_table(comp), cmp.reach_table(comp), cmp.findings_table(comp),
              cmp.recommendations_section(comp, provider=lambda project: fake)]
    for table in tables:
        text = " ".join(map(str, [*table.frame.columns, *table.frame.index, *table.frame.astype(str).to_numpy().ravel()]))
        assert "Anfield (synthetic)" in text and "Princes Park (synthetic)" in text, table.title
        assert "Clubmoor (reconstructed)" in text, table.title
    assert "synthetic demonstration" in cmp.intro_text(comp)


def test_mixed_boundary_sets_are_noted(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    table = cmp.context_table(comp)
    assert set(table.frame["Boundaries"]) == {"2004–2023", "2023–", "city"}
    assert any("different boundary sets" in n for n in table.notes)


def test_a_ward_whose_data_do_not_validate_is_reported_not_fatal(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    everton = next(w for w in comp.wards if w.id == "everton")
    assert everton.data is None and "cityconv validate everton" in everton.data_problem
    assert "cityconv validate everton" in cmp.intro_text(comp)
    reach = cmp.reach_frame(comp).set_index("Ward").loc["Everton"]
    assert reach["Survey responses"] == NOT_AVAILABLE and reach["Status"] == "no valid data"
    assert cmp.findings_frame(comp).set_index("Ward").loc["Everton"].tolist() == [NOT_AVAILABLE] * 3
    # its context is still shown: it comes from the public tables, not from the ward's records
    assert cmp.context_frame(comp).set_index("Ward").loc["Everton", "Residents (2021)"] != NOT_AVAILABLE


def test_a_ward_not_started_is_left_out_with_one_line(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    assert "kirkdale" not in [w.id for w in comp.wards] and comp.not_started == ["Kirkdale"]
    intro = cmp.intro_text(comp)
    assert intro.count("Kirkdale") == 1
    assert "Not started yet, so left out of every comparison: Kirkdale (set up with `cityconv new-ward`" in intro
    for frame in (cmp.reach_frame(comp), cmp.findings_frame(comp), cmp.context_frame(comp)):
        assert "Kirkdale" not in frame.to_string()


def test_broken_params_file_is_left_out_and_named(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project.params_dir / "broken.yml").write_text("id: broken\nkind: ward\n", encoding="utf-8")
    comp = cmp.load_comparison("ward-comparison", root=project.root)
    assert [w.id for w in comp.wards] == ["clubmoor"]
    assert "params/broken.yml" in cmp.intro_text(comp)


# ----------------------------------------------------------------------------------------- context


def test_context_figures_match_the_context_tables(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    clubmoor = comp.wards[0]
    fig = cmp.context_figures(clubmoor.context)
    wards = pd.read_csv(REPO / "data" / "context" / "wards.csv", dtype={"ward_code": str})
    row = wards[(wards.ward_code == "E05000892")].iloc[0]
    assert fig["population_2021"] == int(row.population_2021)
    eth = pd.read_csv(REPO / "data" / "context" / "ethnicity.csv")
    minority = eth[(eth.ward_code == "E05000892") & (eth.category == "Ethnic minority (all groups except White)")]
    assert fig["ethnic_minority"] == pytest.approx(float(minority["share"].iloc[0]), abs=2e-4)
    dep = pd.read_csv(REPO / "data" / "context" / "deprivation_summary.csv")
    d = dep[(dep.ward_code == "E05000892") & (dep.boundary_set == "2004-2023")]
    assert fig["most_deprived"] == int(d.loc[d.imd_decile == 1, "n_lsoa"].sum())
    assert fig["n_lsoa"] == int(d["n_lsoa"].sum())


def test_waterfront_north_context_is_not_available_not_zero(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    new_ward(project, "E05015332")
    with open(project.root / "data" / "waterfront-north" / "survey_responses.csv", "a", encoding="utf-8") as fh:
        fh.write("S1,2024-05,,,,,,,\n")  # started (a ward not started is left out of the comparison)
    blank_census_figures(project.context_dir, "E05015332")  # as for a ward without Census 2021 figures
    comp = cmp.load_comparison("ward-comparison", root=project.root)
    row = cmp.context_frame(comp).set_index("Ward").loc["Waterfront North"]
    assert row["Residents (2021)"] == NOT_AVAILABLE and row["Ethnic minority residents"] == NOT_AVAILABLE


# ----------------------------------------------------------------------------------- reach, status


def test_reach_counts_and_published_status(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    frame = cmp.reach_frame(comp).set_index("Ward")
    clubmoor = frame.loc["Clubmoor (reconstructed)"]
    assert (clubmoor["Survey responses"], clubmoor["Interviews"], clubmoor["Social media posts"],
            clubmoor["Workshop participants"]) == ("48", "26", "6", "20")  # the published totals
    assert clubmoor["Status"] == "published totals; records reconstructed"
    anfield = frame.loc["Anfield (synthetic)"]
    assert anfield["Survey responses"] == "60"
    assert anfield["Status"] == "synthetic records"


def test_observed_ward_status_and_absent_source(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    ward = add_synthetic(project, "Anfield", n=20)
    yml = project.params_dir / f"{ward}.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("synthetic: true", "synthetic: false"), encoding="utf-8")
    (project.data_dir / ward / "social_media_posts.csv").unlink()
    comp = cmp.load_comparison("ward-comparison", root=project.root)
    row = cmp.reach_frame(comp).set_index("Ward").loc["Anfield"]  # observed: no status suffix
    assert row["Social media posts"] == NOT_AVAILABLE  # absent file: not available, not zero
    assert row["Status"] == "observed records"
    assert "[x]" in cmp.reach_text(comp)


# ------------------------------------------------------------------------------------- disclosure


def test_tiny_ward_is_protected(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    tiny = next(w for w in comp.wards if w.id == "princes-park")
    assert len(tiny.data.survey_responses) == 4
    reach = cmp.reach_frame(comp).set_index("Ward").loc[tiny.label]
    assert reach["Survey responses"] == SUPPRESSED
    findings = cmp.findings_frame(comp).set_index("Ward").loc[tiny.label]
    assert findings.tolist() == [SUPPRESSED, SUPPRESSED, SUPPRESSED]


def test_no_count_below_threshold_and_no_percent_on_small_base() -> None:
    rules = DisclosureRules()
    data = _fake_data(responses=9, best={"green_spaces": 6, "community": 2})
    # 6 of the 9 respondents: the count may be shown, but the base is below 10, so no percentage
    assert cmp.top_answer(data, "best_things", rules) == "Green spaces and parks: 6 ([c]% of all 9 respondents)"
    assert cmp.recommend_share(data, rules) == SUPPRESSED
    data = _fake_data(responses=20, best={"green_spaces": 4, "community": 3}, recommend_yes=3)
    assert cmp.top_answer(data, "best_things", rules) == SUPPRESSED  # top named by fewer than 5
    assert cmp.recommend_share(data, rules) == SUPPRESSED  # 3 of 20 would say yes
    data = _fake_data(responses=20, best={"green_spaces": 7, "community": 7, "quiet": 5}, recommend_yes=15)
    assert cmp.top_answer(data, "best_things", rules) == (
        "Green spaces and parks / Sense of community, neighbours (tied): 7 (35% of all 20 respondents)")
    assert cmp.recommend_share(data, rules) == "75% of all 20 respondents"  # every share of all respondents (facts)
    strict = DisclosureRules(threshold=10, min_percent_base=30)
    assert cmp.top_answer(data, "best_things", strict) == SUPPRESSED
    assert cmp.recommend_share(data, strict) == SUPPRESSED


def test_published_tables_pass_the_last_line_check(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    for w, (_, row) in zip(comp.wards, cmp.findings_frame(comp).set_index("Ward").iterrows()):
        assert_publishable(row.to_frame().T, w.rules)
    reach = cmp.reach_frame(comp).set_index("Ward").drop(columns=["Social media posts", "Status"])
    for w, (_, row) in zip(comp.wards, reach.iterrows()):
        assert_publishable(row.to_frame().T, w.rules)


def test_ward_disclosure_settings_are_respected(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with open(project.params_dir / "clubmoor.yml", "a", encoding="utf-8") as fh:
        fh.write("disclosure:\n  threshold: 30\n  min_percent_base: 50\n")
    comp = cmp.load_comparison("ward-comparison", root=project.root)
    reach = cmp.reach_frame(comp).iloc[0]
    assert reach["Interviews"] == SUPPRESSED and reach["Workshop participants"] == SUPPRESSED  # 26, 20 < 30
    assert reach["Survey responses"] == "48" and reach["Social media posts"] == "6"  # posts are not people
    assert cmp.findings_frame(comp).iloc[0, 1:].tolist() == [SUPPRESSED] * 3  # bases 45-48 < 50


def _fake_data(responses: int, best: dict[str, int], recommend_yes: int | None = None):
    ids = [f"S{i:02d}" for i in range(1, responses + 1)]
    yes = responses if recommend_yes is None else recommend_yes
    survey = pd.DataFrame({"response_id": ids, "recommend": ["yes"] * yes + ["no"] * (responses - yes)})
    rows, i = [], 0
    for code, k in best.items():
        for j in range(k):
            rows.append({"response_id": ids[(i + j) % responses], "question": "best_things", "code": code})
        i += k
    # respondents not named above did not answer the question
    from cityconv.data.wardfiles import WardData

    return WardData(data_dir=Path("."), survey_responses=survey, survey_mentions=pd.DataFrame(rows))


# ---------------------------------------------------------------------------------- recommendations


def test_recommendations_without_a_rules_file_say_so(three_wards: Project) -> None:
    (three_wards.root / "data" / "recommendations" / "rules.yml").unlink(missing_ok=True)
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    text = cmp.recommendations_section(comp)
    assert isinstance(text, str) and "no recommendation rules" in text


def test_recommendations_table_layout(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)
    fired = pd.DataFrame({"rule-a": [True, False], "rule-b": [False, True]}, index=["anfield", "clubmoor"])
    table = cmp.recommendations_section(comp, provider=lambda project: fired)
    frame = table.frame
    assert list(frame.columns) == [w.label for w in comp.wards]  # Clubmoor first, every ward
    assert frame.loc["rule-a"].tolist() == ["—", "fires", NOT_AVAILABLE, NOT_AVAILABLE]
    assert frame.loc["rule-b", "Clubmoor (reconstructed)"] == "fires"


def test_recommendations_input_problems_fail_the_chapter(three_wards: Project) -> None:
    comp = cmp.load_comparison("ward-comparison", root=three_wards.root)

    def provider(project):
        raise InputError([Problem("data/everton/survey_responses.csv", "required file has no rows")])

    with pytest.raises(InputError):  # the validation gate reports it; the chapter never says "not available"
        cmp.recommendations_section(comp, provider=provider)

    def bug(project):
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):  # a bug is not hidden
        cmp.recommendations_section(comp, provider=bug)


def test_real_recommendations_module_if_present(tmp_path: Path) -> None:
    if cmp.recommendations_provider() is None:
        pytest.skip("cityconv.chapters.recommendations is not there yet")
    comp = cmp.load_comparison("ward-comparison", root=REPO)
    section = cmp.recommendations_section(comp)
    assert not isinstance(section, str), section
    assert list(section.frame.columns) == [w.label for w in comp.wards]
    assert set(section.frame.to_numpy().ravel()) <= {"fires", "—", NOT_AVAILABLE}


# ------------------------------------------------------------------------------------ the template


def test_template_is_thin_and_clean() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    meta = nb.metadata["cityconv"]
    assert meta["title"] == "Comparing wards" and meta["applies_to"] == ["study"] and meta["uses_records"] is True
    assert {"params/*.yml", "data/*/*.csv", "data/context/*"} <= set(meta["reads"])
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source.strip() == 'study_id = "ward-comparison"'
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert len(cell.source.splitlines()) <= 5  # logic lives in cityconv.chapters.comparison
    assert nb.cells[0].source == "# Comparing wards"


def test_real_study_params_are_valid() -> None:
    from cityconv.core.params import load_params

    params = load_params(REPO / "params" / "ward-comparison.yml", REPO)
    assert (params.kind, params.title, params.chapters, params.data_dir) == (
        "study", "Comparing wards", ["ward-comparison"], None)


def test_chapter_runs_end_to_end(real_book: Path) -> None:
    """`cityconv run ward-comparison` as the session's real-book build ran it (Clubmoor beside the
    synthetic Anfield): the executed chapter has every section."""
    from real_book import executed_chapter

    out = executed_chapter(real_book, "ward-comparison", TEMPLATE.name)
    shown = "\n".join(o.get("data", {}).get("text/markdown", "") for c in out.cells for o in c.get("outputs", []))
    for expected in ("beside Anfield", "Wards in context", "Engagement reach by ward", "Key survey findings by ward",
                     "Anfield (synthetic)", "Clubmoor (reconstructed)"):
        assert expected in shown, expected
    assert not any(c.get("output_type") == "error" for cell in out.cells for c in cell.get("outputs", []))
