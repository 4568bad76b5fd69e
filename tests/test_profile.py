"""The ward profile chapter: data shaping, generated prose, figures, and the template run end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

from cityconv import present  # noqa: E402
from cityconv.chapters import profile  # noqa: E402
from cityconv.core.escaping import myst_escape
from cityconv.data import context as ctx  # noqa: E402
from cityconv.present.figures import FIGURE_METADATA_KEY  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
TEMPLATE = REPO / "notebooks" / "01-ward-profile.ipynb"
CLUBMOOR = "E05000892"
CLUBMOOR_EAST = "E05015290"  # a 2023- ward
WATERFRONT_NORTH = ctx.WATERFRONT_NORTH


def make(code: str, boundary_set: str | None = None) -> profile.WardProfile:
    return profile.ward_profile(ctx.load_context(CONTEXT, code, boundary_set), CONTEXT)


@pytest.fixture(scope="module")
def clubmoor() -> profile.WardProfile:
    return make(CLUBMOOR)


@pytest.fixture(scope="module")
def waterfront() -> profile.WardProfile:
    return make(WATERFRONT_NORTH)


# --------------------------------------------------------------------------- data shaping


def test_clubmoor_frames(clubmoor):
    assert (clubmoor.ward_name, clubmoor.boundary_set, clubmoor.n_wards) == ("Clubmoor", "2004-2023", 30)
    pop = clubmoor.population.set_index("area")
    assert pop.loc["ward", "population_2021"] == 15373 and pop.loc["ward", "population_2011"] == 15272  # output areas
    assert pop.loc["city", "population_2021"] == 486093 and pop.loc["ward", "n_oa21"] == 54
    assert list(clubmoor.age.loc[clubmoor.age["area"] == "ward", "category"].astype(str)) == profile.AGE_ORDER
    for frame in (clubmoor.age, clubmoor.sex, clubmoor.ethnicity, clubmoor.tenure):
        for area in ("ward", "city"):
            assert float(profile.shares(frame, area).sum()) == pytest.approx(1, abs=0.002)
    assert ctx.ETHNIC_MINORITY not in set(clubmoor.ethnicity["category"].astype(str))  # derived row kept apart
    minority = ctx.load_context(CONTEXT, CLUBMOOR).ethnicity.set_index(["ward_code", "category"])
    assert float(profile.shares(clubmoor.ethnic_minority, "ward").iloc[0]) == minority.loc[(CLUBMOOR, ctx.ETHNIC_MINORITY), "share"]
    dep = clubmoor.deprivation
    assert dep.loc[dep["area"] == "ward", "n_lsoa"].sum() == 11 and dep.loc[dep["area"] == "city", "n_lsoa"].sum() == 298
    assert clubmoor.has_census and clubmoor.has_deprivation


def test_waterfront_north_has_census_figures_but_no_neighbourhood_of_its_own(waterfront):
    """From output areas Waterfront North has residents (it had none on the LSOA best fit); no LSOA is
    assigned to it, so it still has no deprivation figures or neighbourhood map."""
    assert waterfront.has_census and not waterfront.has_deprivation
    for chart in (profile.age_chart, profile.ethnicity_chart, profile.tenure_chart):
        assert chart(waterfront) is not None
    for item in (profile.deprivation_chart, profile.deprivation_table, profile.lsoa_table, profile.neighbourhood_map):
        assert item(waterfront) is None
    wards = ctx.load_context(CONTEXT, WATERFRONT_NORTH).wards.set_index("ward_code")
    assert f"**{present.fmt_int(wards.loc[WATERFRONT_NORTH, 'population_2021'])}**" in profile.population_text(waterfront)
    assert "no deprivation figures" in profile.deprivation_text(waterfront)
    assert profile.map_chart(waterfront).alt.startswith("Map of Liverpool's 64 wards")


# --------------------------------------------------------------------------- words


def test_compare_and_of_phrase():
    assert profile.compare(0.20, 0.16) == "higher than"
    assert profile.compare(0.12, 0.17) == "lower than"
    assert profile.compare(0.161, 0.150) == "similar to"
    assert profile.of_phrase(10, 11) == "10 of the 11"
    assert profile.of_phrase(11, 11) == "all 11"
    assert profile.of_phrase(0, 4) == "none of the 4"
    assert profile.of_phrase(1, 1) == "the only one"


def test_prose_numbers_come_from_the_data(clubmoor):
    text = profile.population_text(clubmoor)
    assert "**15,373**" in text and "6,439 households" in text and "486,093" in text and "15,272" in text
    assert present.fmt_pct(15373 / 486093, 1) in text
    assert myst_escape(clubmoor.caveat) in text  # the caveat sits beside the figures (escaped as data)
    ward, city = profile.shares(clubmoor.age, "ward"), profile.shares(clubmoor.age, "city")
    age = profile.age_text(clubmoor)
    assert f"Children under 15 make up {present.fmt_pct(ward['0-14'])}" in age
    assert f"({present.fmt_pct(city['0-14'])})" in age
    assert present.fmt_pct(profile.shares(clubmoor.sex, "ward")["Female"]) + " of residents are female" in age
    white = present.fmt_pct(profile.shares(clubmoor.ethnicity, "ward")["White"])
    assert f"{white} of Clubmoor's residents gave their ethnic group as White" in profile.ethnicity_text(clubmoor)
    tenure, shares = profile.tenure_text(clubmoor), profile.shares(clubmoor.tenure, "ward")
    assert tenure.startswith(f"{present.fmt_pct(shares['Social rented'])} of Clubmoor's households rent from a council")
    assert f"{present.fmt_pct(shares['Private rented'])} rent privately" in tenure
    dep = profile.deprivation_text(clubmoor)
    assert dep.startswith("10 of the 11 neighbourhoods (LSOAs) in Clubmoor are among the most deprived 10%")
    assert "145 of 298" in dep


def test_location(clubmoor):
    facts = profile.location_facts(profile.map_frame(clubmoor), CLUBMOOR)
    assert facts["part"] == "in the north of the city"
    assert {"Anfield", "Norris Green", "West Derby"} <= set(facts["neighbours"])
    assert "Clubmoor" not in facts["neighbours"] and facts["n_wards"] == 30
    assert "borders Anfield, County, Norris Green" in profile.location_text(clubmoor)


def test_2023_ward_notes_split_neighbourhoods():
    p = make("E05015289")  # City Centre South: lists a 2011 LSOA split between two 2023 wards
    assert p.boundary_set == "2023-"
    assert "listed under each of them" in profile.deprivation_text(p)
    notes = " ".join(profile.lsoa_table(p).notes)
    assert "Liverpool 060A" in notes and "[x] in the IMD 2025 column" in notes
    assert "[x]" in profile.population_table(p).frame[p.ward_name].iloc[0]  # no 2011 figure


def _every_ward():
    """Every ward of both boundary sets, one test each (so xdist spreads them); the fast tier keeps the
    declared atlas sample (tests/atlas_sample.py) and the studied wards, `make test` runs them all."""
    from atlas_sample import ATLAS_SAMPLE

    index = ctx.ward_index(CONTEXT)
    for code, boundary_set in zip(index["code"], index["boundary_set"]):
        if boundary_set not in ctx.BOUNDARY_SETS:
            continue
        sampled = code.lower() in ATLAS_SAMPLE or code in (CLUBMOOR, CLUBMOOR_EAST, WATERFRONT_NORTH)
        yield pytest.param(code, boundary_set, id=f"{boundary_set}-{code}", marks=() if sampled else pytest.mark.slow)


#: What the profile template shows, in its order (notebooks/01-ward-profile.ipynb): text, then what may be
#: absent for a ward (None or empty), then the figures. The session's real book runs the template itself for
#: the atlas's sample only (tests/real_book.py), so every ward goes through every one of these here.
PROFILE_TEXTS = ("summary_text", "intro_text", "location_text", "boundary_change_intro", "boundary_change_text",
                 "study_links_text", "population_method_text", "population_text", "age_text", "ethnicity_text",
                 "tenure_text", "deprivation_text", "neighbourhoods_text")
PROFILE_TABLES = ("boundary_change_bundle", "population_table", "age_table", "ethnicity_table", "tenure_table",
                  "rank_table_bundle", "change_table", "deprivation_table", "lsoa_table", "lsoa2025_table")
PROFILE_CHARTS = ("map_chart", "age_chart", "ethnicity_chart", "tenure_chart", "deprivation_chart",
                  "rank_strips", "neighbourhood_map")


def _profile_of(code: str, boundary_set: str) -> profile.WardProfile:
    """The profile as its page loads it (`load_profile`: a studied ward by its params id, with its links)."""
    from cityconv.chapters.ward_pages import atlas_id, studied_wards
    from cityconv.core.paths import Project

    study = studied_wards(Project(REPO)).get((boundary_set, code))
    return profile.load_profile(study or atlas_id(code), REPO)


def _page_parts(p: profile.WardProfile) -> dict[str, object]:
    """Every part of the profile page, made as the template makes it (figures drawn, not rendered to PNG)."""
    import matplotlib.pyplot as plt

    parts: dict[str, object] = {name: getattr(profile, name)(p) for name in PROFILE_TEXTS + PROFILE_TABLES}
    parts["topic_tables"] = profile.topic_tables(p)
    for name in PROFILE_CHARTS:
        chart = getattr(profile, name)(p)
        parts[name] = chart
        if chart is not None and isinstance(getattr(chart, "fig", None), matplotlib.figure.Figure):
            plt.close(chart.fig)
    return parts


def _shape(parts: dict[str, object]) -> tuple:
    """Which tables and figures the page has, and how many topic tables: what makes one ward's page differ in
    form from another's (the audits' earlier HTML shape: its tables and figures under the template's headings)."""
    return tuple(parts[name] is not None for name in PROFILE_TABLES + PROFILE_CHARTS) + (len(parts["topic_tables"]),)


#: (code, boundary set) -> (profile, parts) made for `sampled_shapes`, each taken once by its ward's own test
#: below instead of being made again.
_MADE_FOR_THE_SAMPLE: dict[tuple[str, str], tuple[profile.WardProfile, dict[str, object]]] = {}


@pytest.fixture(scope="module")
def sampled_shapes() -> dict[tuple, str]:
    """The page shape of each ward whose profile the real book's copy builds (the atlas sample, the studied wards)."""
    from atlas_sample import ATLAS_SAMPLE

    index = ctx.ward_index(CONTEXT)
    shapes = {}
    for code, boundary_set in zip(index["code"], index["boundary_set"]):
        if code.lower() in ATLAS_SAMPLE or code in (CLUBMOOR, "E05000887"):  # Anfield, the other studied ward
            ward = _profile_of(code, boundary_set)
            parts = _page_parts(ward)
            _MADE_FOR_THE_SAMPLE[code, boundary_set] = (ward, parts)
            shapes.setdefault(_shape(parts), code)
    return shapes


@pytest.mark.parametrize("code, boundary_set", list(_every_ward()))
def test_every_ward_runs_every_part_of_its_page_in_a_shape_the_built_sample_has(code, boundary_set, sampled_shapes):
    """Each part of the template for every ward, as a built page would hold it: no error, no "nan" in its
    prose or tables, a table of ages exactly when the ward has census figures, and a
    shape (which optional parts it has) that a page the real book's copy builds and the browser opens has
    too, so the sample in tests/atlas_sample.py must grow with a new shape."""
    made = _MADE_FOR_THE_SAMPLE.pop((code, boundary_set), None)
    if made is None:
        ward = _profile_of(code, boundary_set)
        made = ward, _page_parts(ward)
    ward, parts = made
    for name in PROFILE_TEXTS:
        text = parts[name]
        assert isinstance(text, str) and "nan" not in text.lower().split() and "<NA>" not in text, (code, name)
    for name in ("summary_text", "intro_text", "location_text", "population_text", "age_text", "ethnicity_text",
                 "tenure_text", "deprivation_text"):
        assert parts[name], (code, name)
    for name in PROFILE_TABLES:
        table = parts[name]
        if table is not None:  # a Table, or the bundle a table with links is shown as
            markdown = table["text/markdown"] if isinstance(table, dict) else table.bundle()["text/markdown"]
            assert "nan" not in markdown.lower().split("|"), (code, name)
    assert (parts["age_table"] is None) == (not ward.has_census), code
    assert parts["topic_tables"] and parts["map_chart"] is not None and parts["rank_strips"] is not None, code
    assert _shape(parts) in sampled_shapes, (
        f"{code}: a profile shape no built page has {_shape(parts)}; add a ward of this shape to ATLAS_SAMPLE")


@pytest.mark.parametrize("code", [CLUBMOOR, CLUBMOOR_EAST, "E05000889"])
def test_charts_have_meaningful_alt_text(code):
    p = make(code)
    for build in (profile.map_chart, profile.age_chart, profile.ethnicity_chart, profile.tenure_chart,
                  profile.deprivation_chart):
        chart = build(p)
        assert present.figures.check_alt(chart.alt, chart.fig) and p.ward_name in chart.alt
        assert "nan" not in chart.alt.lower()
        data, metadata = present.figure_bundle(chart.fig, chart.alt, chart.caption, status=chart.status)
        assert metadata[FIGURE_METADATA_KEY]["alt"] == chart.alt


# --------------------------------------------------------------------------- the template


def test_template_is_thin_and_stripped():
    nb = nbformat.read(TEMPLATE, as_version=4)
    assert nb.metadata["cityconv"] == {
        "title": "Ward profile", "applies_to": ["ward"], "reads": ["data/context/*", "params/*"], "uses_records": False,
    }
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source == 'study_id = "clubmoor"'
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            for word in ("if ", "for ", "def ", "while ", "lambda", "pd.", "plt."):
                assert word not in cell.source, (word, cell.source)


def _tmp_project(root: Path, study_id: str, code: str, name: str, boundary_set: str) -> Path:
    for config in ("_config.yml", "_toc.yml"):
        shutil.copy(REPO / config, root / config)
    shutil.copytree(CONTEXT, root / "data" / "context")
    (root / "data" / study_id).mkdir(parents=True)
    (root / "data" / study_id / "README.md").write_text("Context-only test ward.\n", encoding="utf-8")
    (root / "notebooks").mkdir()
    shutil.copy(TEMPLATE, root / "notebooks" / TEMPLATE.name)
    (root / "params").mkdir()
    (root / "params" / f"{study_id}.yml").write_text(
        f'id: {study_id}\nkind: ward\ntitle: {name}\nward:\n  code: "{code}"\n  name: {name}\n'
        f'  boundary_set: "{boundary_set}"\ndata_dir: data/{study_id}\n',
        encoding="utf-8",
    )
    return root


def _assert_profile_chapter(nb, root: Path, study_id: str, code: str, name: str, n_figures: int) -> None:
    """An executed profile chapter: its figures (alt text naming the ward, one output each), the ward in
    bold and its population as the context tables give it."""
    figures = [c for c in nb.cells if "mystnb" in c.metadata]
    assert len(figures) == n_figures
    for cell in figures:
        assert cell.metadata["mystnb"]["image"]["alt"] and name in cell.metadata["mystnb"]["image"]["alt"]
        assert cell.metadata["mystnb"]["figure"]["name"].startswith(study_id)
        assert len(cell.outputs) == 1  # nothing else in a figure cell: myst-nb would caption it too
    markdown = "\n".join(
        o.data["text/markdown"] for c in nb.cells for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})
    )
    assert f"**{name}**" in markdown
    population = ctx.load_context(root / "data" / "context", code).wards
    assert present.fmt_int(population["population_2021"].iloc[0]) in markdown
    if code == WATERFRONT_NORTH:
        assert "no map of its neighbourhoods" in markdown


@pytest.mark.parametrize(
    "study_id, code, name, boundary_set, n_figures",
    [
        # Clubmoor's chapter is read from the session's real book (test_template_ran_for_clubmoor_in_the_real_book)
        ("clubmoor-east", CLUBMOOR_EAST, "Clubmoor East", "2023-", 7),
        ("waterfront-north", WATERFRONT_NORTH, "Waterfront North", "2023-", 5),  # no neighbourhood of its own
    ],
)
@pytest.mark.slow  # runs a real chapter template
def test_template_runs_through_the_pipeline(tmp_path, monkeypatch, study_id, code, name, boundary_set, n_figures):
    """Plan and execute the real template with the runner (papermill on a warm kernel), as `cityconv run` does, for wards
    the real book has no params file for (their atlas pages are another shape)."""
    from cityconv.core.paths import Project
    from cityconv.pipeline.runner import build_plan
    from nbtools import run_task

    root = _tmp_project(tmp_path, study_id, code, name, boundary_set)
    monkeypatch.setenv("CITYCONV_ROOT", str(root))  # execute_task sets it; restore it afterwards
    plan = build_plan(Project(root), [study_id])
    # The chapter reads only data/context/; the ward's own engagement files (checked by
    # cityconv.data.wardfiles, required for real wards) are deliberately absent from this project.
    assert [p for p in plan.problems if not p.file.startswith(f"data/{study_id}/")] == []
    (task,) = plan.tasks
    result = run_task(task)
    assert result.status == "done", result.report_line()
    _assert_profile_chapter(nbformat.read(task.output_path, as_version=4), root, study_id, code, name, n_figures)


def test_template_ran_for_clubmoor_in_the_real_book(real_book):
    """Clubmoor's profile as the session's real-book build ran it: map, age, ethnicity, tenure,
    deprivation, neighbourhoods, ranks."""
    from real_book import executed_chapter

    nb = executed_chapter(real_book, "clubmoor", TEMPLATE.name)
    _assert_profile_chapter(nb, real_book, "clubmoor", CLUBMOOR, "Clubmoor", 7)


def test_the_chapter_opens_with_a_summary_from_the_named_facts():
    from cityconv.chapters import profile as P

    clubmoor = P.summary_text(P.load_profile("clubmoor", REPO))
    assert clubmoor.startswith("**In short.** Clubmoor lies in the north")
    assert "15,373 people lived there (Census 2021, sum of the ward's output areas)" in clubmoor
    assert "The project itself called it a neighbourhood of about 15,000 people" in clubmoor
    assert "17,200" not in clubmoor
    anfield = P.summary_text(P.load_profile("anfield", REPO))
    assert "14,731" in anfield and "project" not in anfield and "15,000" not in anfield
    waterfront = P.summary_text(P.load_profile("e05015332", REPO))
    assert "1,014 people lived there" in waterfront


def test_the_boundary_change_counts_come_from_the_ward_index():
    from cityconv.chapters import profile as P

    text = P.boundary_change_intro(P.load_profile("clubmoor", REPO))
    assert "Liverpool's 30 wards were replaced by 64 new wards" in text
