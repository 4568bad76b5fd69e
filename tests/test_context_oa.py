"""Ward figures from output areas: the committed tables in data/context/ and the functions that build them.

Most tests read the committed tables (they must be right on their own); the derivation tests also need
the raw open data beside the repository and skip, saying why, when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from frictionless import Resource, Schema

from cityconv.core.paths import shared_open_data_dir
from cityconv.data import context as ctx
from cityconv.data.context_oa import OaGeography, ward_splits, ward_sums

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
SCHEMAS = REPO / "src" / "cityconv" / "data" / "schemas" / "context"
OPEN_DATA = shared_open_data_dir(REPO)
NEW_TABLES = (ctx.OVERLAPS, ctx.INDICATORS_TABLE, ctx.DEFINITIONS_TABLE, ctx.CHANGE_TABLE)

needs_open_data = pytest.mark.skipif(
    not (OPEN_DATA / "census-oa" / "lookups").is_dir(),
    reason=f"census-oa open data not found under {OPEN_DATA} (set $CITYCONV_OPEN_DATA to re-derive data/context)",
)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(CONTEXT / f"{name}.csv", dtype={"ward_code": str, "category": str},
                       keep_default_na=False, na_values=[""])


# ------------------------------------------------------------------------------------------------
# populations
# ------------------------------------------------------------------------------------------------


def test_2004_2023_wards_within_ten_percent_of_ons_mid2020_except_central():
    wards = read("wards")
    old = wards[wards.boundary_set == ctx.SET_OLD].set_index("ward_code")
    assert old.population_mid2020_ons.notna().all() and len(old) == 30
    recomputed = (old.population_2021 / old.population_mid2020_ons - 1) * 100
    assert np.allclose(recomputed, old.difference_from_mid2020_pct, atol=0.051)
    far = old.index[old.difference_from_mid2020_pct.abs() > 10]
    assert list(far) == [ctx.CENTRAL], old.loc[far, ["ward_name", "difference_from_mid2020_pct"]]
    assert old.loc[ctx.CENTRAL, "ward_name"] == "Central"
    assert "mid-2020" in old.loc[ctx.CENTRAL, "caveat"]  # the reason is recorded with the figure
    assert wards[wards.boundary_set == ctx.SET_NEW].population_mid2020_ons.isna().all()


@pytest.mark.parametrize("column", ["population_2021", "households_2021", "n_oa21"])
def test_each_ward_set_sums_exactly_to_the_output_area_city_total(column):
    wards = read("wards")
    city = wards.loc[wards.boundary_set == ctx.SET_CITY, column].item()
    for bset in ctx.BOUNDARY_SETS:
        assert wards.loc[wards.boundary_set == bset, column].sum() == city, (bset, column)
    assert (wards.population_method == ctx.METHOD_EXACT).all()


def test_every_ward_has_residents():
    wards = read("wards")
    assert (wards.population_2021 > 0).all() and (wards.n_oa21 > 0).all()


def test_overlap_shares_sum_to_one_in_both_directions():
    overlaps = read(ctx.OVERLAPS)
    wards = read("wards").set_index(["boundary_set", "ward_code"])
    for bset in ctx.BOUNDARY_SETS:
        rows = overlaps[overlaps.boundary_set == bset]
        assert rows.ward_code.nunique() == (30 if bset == ctx.SET_OLD else 64)
        assert np.allclose(rows.groupby("ward_code")["share"].sum(), 1, atol=0.0005 * 12)
        residents = rows.groupby("ward_code")["population_2021"].sum()
        assert (residents == wards.loc[bset, "population_2021"].reindex(residents.index)).all()
    forward = overlaps[overlaps.boundary_set == ctx.SET_OLD].set_index(["ward_code", "other_ward_code"])
    back = overlaps[overlaps.boundary_set == ctx.SET_NEW].set_index(["other_ward_code", "ward_code"])
    back.index = back.index.set_names(forward.index.names)
    assert (forward["population_2021"] == back["population_2021"].reindex(forward.index)).all()


# ------------------------------------------------------------------------------------------------
# indicators
# ------------------------------------------------------------------------------------------------


def test_every_indicator_has_liverpool_england_and_rank():
    ind = read(ctx.INDICATORS_TABLE)
    wards = ind[ind.boundary_set != ctx.SET_CITY]
    assert wards.liverpool_share.notna().all()
    census = wards[~wards.indicator.str.startswith("imd")]
    assert census.england_share.notna().all()
    assert wards[wards.indicator.str.startswith("imd")].england_share.isna().all()  # no population share exists
    ranked = wards[wards.share.notna()]
    assert ranked["rank"].notna().all() and ranked.n_wards.notna().all()
    assert (ranked["rank"] >= 1).all() and (ranked["rank"] <= ranked.n_wards).all()
    assert set(ranked.n_wards[ranked.boundary_set == ctx.SET_OLD]) == {30}
    assert set(ranked.n_wards[ranked.boundary_set == ctx.SET_NEW]) == {64}


def test_rank_one_is_the_highest_share_and_liverpool_share_is_the_city_row():
    ind = read(ctx.INDICATORS_TABLE)
    for (bset, indicator, category), rows in ind[ind.boundary_set != ctx.SET_CITY].groupby(
            ["boundary_set", "indicator", "category"]):
        top = rows.loc[rows["rank"] == 1, "share"]
        assert len(top) >= 1 and np.isclose(top.max(), rows.share.max()), (bset, indicator, category)
    city = ind[ind.boundary_set == ctx.SET_CITY].set_index(["indicator", "category"])["share"]
    joined = ind.set_index(["indicator", "category"])["liverpool_share"]
    assert np.allclose(joined, city.reindex(joined.index))


def test_shares_are_counts_over_bases_and_methods_are_known():
    ind = read(ctx.INDICATORS_TABLE)
    assert set(ind.method) == set(ctx.METHODS)
    tolerance = 0.00005 + 0.051 / ind.base  # share to 4 decimals; modelled count and base to 1 decimal
    assert ((ind.share - ind["count"] / ind.base).abs() <= tolerance).all()
    exact = ind[ind.method == ctx.METHOD_EXACT]
    assert (exact["count"] == exact["count"].round()).all()  # sums of output areas are whole people


def test_exact_indicator_counts_sum_to_the_city():
    ind = read(ctx.INDICATORS_TABLE)
    city = ind[ind.boundary_set == ctx.SET_CITY].set_index(["indicator", "category"])["count"]
    for bset in ctx.BOUNDARY_SETS:
        rows = ind[ind.boundary_set == bset]
        summed = rows.groupby(["indicator", "category"])["count"].sum()
        all_exact = rows.groupby(["indicator", "category"])["method"].agg(lambda m: (m == ctx.METHOD_EXACT).all())
        tables_at_oa = summed[all_exact]
        assert len(tables_at_oa) > 50
        assert (tables_at_oa == city.reindex(tables_at_oa.index)).all(), bset
        modelled = summed[~all_exact]
        assert np.allclose(modelled, city.reindex(modelled.index), atol=0.1 * len(rows.ward_code.unique()))


def test_tables_without_output_area_figures_are_marked_modelled():
    ind = read(ctx.INDICATORS_TABLE)
    defs = read(ctx.DEFINITIONS_TABLE).set_index(["indicator", "category"])["source"]
    source = ind.set_index(["indicator", "category"]).index.map(defs)
    lsoa_only = source.str.contains("TS007A|TS021|TS003")
    assert (ind.method[~lsoa_only] == ctx.METHOD_EXACT).all()
    assert (ind.method[lsoa_only & (ind.boundary_set != ctx.SET_CITY)] == ctx.METHOD_MODELLED).any()


def test_the_council_topics_are_all_there():
    defs = read(ctx.DEFINITIONS_TABLE)
    topics = set(defs.topic)
    for topic in ("General health", "Disability", "Unpaid care", "Economic activity", "Qualifications",
                  "Car availability", "Household deprivation", "English language", "Religion",
                  "Household composition", "NS-SeC", "Population", "Age", "Sex", "Ethnic group", "Tenure",
                  "Deprivation"):
        assert topic in topics, topic
    assert defs.groupby("indicator")["headline"].any().sum() >= 15  # nearly every indicator has a headline


def test_load_indicators_adapter_joins_words_and_names():
    clubmoor = ctx.load_indicators(CONTEXT, "Clubmoor")
    assert set(clubmoor.ward_code) == {"E05000892"} and set(clubmoor.ward_name) == {"Clubmoor"}
    assert {"topic", "headline", "source"} <= set(clubmoor.columns)
    assert clubmoor.headline.dtype == bool and clubmoor.headline.any()
    assert len(clubmoor) == len(read(ctx.DEFINITIONS_TABLE))
    new = ctx.load_indicators(CONTEXT, boundary_set=ctx.SET_NEW)
    assert new.ward_code.nunique() == 64


# ------------------------------------------------------------------------------------------------
# change over time
# ------------------------------------------------------------------------------------------------


def test_no_change_is_computed_between_differently_built_figures():
    change = read(ctx.CHANGE_TABLE)
    differs = change.method_2011 != change.method_2021
    assert change.loc[differs, ["change_pp", "count_change_pct"]].isna().all().all()
    same = change[~differs & change.share_2011.notna()]
    assert len(same) > 0
    assert np.allclose(same.change_pp, (same.share_2021 - same.share_2011) * 100, atol=0.051)
    population = change[change.indicator == "population"]
    assert population.count_change_pct.notna().all() and population.change_pp.isna().all()
    assert change.loc[change.indicator != "population", "count_change_pct"].isna().all()


def test_old_ward_population_change_uses_official_2011_beside_output_area_sums():
    change = read(ctx.CHANGE_TABLE)
    wards = read("wards").set_index(["boundary_set", "ward_code"])
    old = change[(change.indicator == "population") & (change.boundary_set == ctx.SET_OLD)].set_index("ward_code")
    assert (old.method_2011 == ctx.METHOD_EXACT).all() and (old.method_2021 == ctx.METHOD_EXACT).all()
    assert (old.count_2011 == wards.loc[ctx.SET_OLD, "population_2011"].reindex(old.index)).all()
    assert (old.count_2021 == wards.loc[ctx.SET_OLD, "population_2021"].reindex(old.index)).all()


def test_every_compared_topic_says_what_differs():
    notes = ctx.load_question_changes()
    change = read(ctx.CHANGE_TABLE)
    assert set(change.indicator) == set(notes.indicator)
    assert (notes.what_differs.str.len() > 10).all() and notes.comparability.ne("").all()
    merged = ctx.load_change(CONTEXT, "Clubmoor East")
    assert set(merged.ward_code) == {"E05015290"} and merged.what_differs.notna().all()


# ------------------------------------------------------------------------------------------------
# files
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_TABLES)
def test_new_tables_validate_against_their_schema(name):
    schema = Schema.from_descriptor(json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")))
    report = Resource(path=f"{name}.csv", basepath=str(CONTEXT), schema=schema).validate()
    assert report.valid, [e.message for e in report.flatten(["message"])][:5]
    assert [f.name for f in schema.fields] == list(read(name).columns)


def test_derived_tables_are_small_enough_to_commit():
    for path in CONTEXT.glob("*.csv"):
        assert path.stat().st_size < 1_000_000, path.name


# ------------------------------------------------------------------------------------------------
# the building blocks, on a geography small enough to check by hand
# ------------------------------------------------------------------------------------------------


def _toy() -> OaGeography:
    """Two LSOAs: L1 wholly in ward A (oa1, oa2); L2 split, 30 residents in A (oa3) and 10 in B (oa4)."""
    oa = pd.DataFrame({
        "lsoa21": ["L1", "L1", "L2", "L2"],
        ctx.SET_OLD: ["A", "A", "A", "B"],
        ctx.SET_NEW: ["X", "X", "X", "X"],
        "population": [20, 20, 30, 10],
        "households": [10, 10, 5, 5],
    }, index=pd.Index(["oa1", "oa2", "oa3", "oa4"], name="OA21CD"))
    wards = {ctx.SET_OLD: pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Ay", "Bee"]}),
             ctx.SET_NEW: pd.DataFrame({"ward_code": ["X"], "ward_name": ["Ex"]})}
    return OaGeography(oa=oa, wards=wards)


def test_ward_sums_are_exact_sums_of_output_areas():
    geo = _toy()
    built = ward_sums(pd.DataFrame({"v": [1, 2, 3, 4]}, index=geo.oa.index), geo)
    assert built.values.loc[(ctx.SET_OLD, "A"), "v"] == 6 and built.values.loc[(ctx.SET_OLD, "B"), "v"] == 4
    assert built.values.loc[(ctx.SET_CITY, ctx.CITY_CODE), "v"] == 10
    assert (built.method == ctx.METHOD_EXACT).all()


def test_ward_splits_share_lsoa_counts_by_output_area_weights():
    geo = _toy()
    lsoa = pd.DataFrame({"v": [100.0, 80.0]}, index=pd.Index(["L1", "L2"]))
    by_residents = ward_splits(lsoa, geo, geo.oa["population"], "residents")
    assert by_residents.values.loc[(ctx.SET_OLD, "A"), "v"] == pytest.approx(100 + 80 * 0.75)
    assert by_residents.values.loc[(ctx.SET_OLD, "B"), "v"] == pytest.approx(80 * 0.25)
    assert by_residents.method[(ctx.SET_OLD, "A")] == ctx.METHOD_MODELLED  # L2 is split
    assert by_residents.method[(ctx.SET_NEW, "X")] == ctx.METHOD_EXACT  # both LSOAs wholly inside X
    by_households = ward_splits(lsoa, geo, geo.oa["households"], "households")
    assert by_households.values.loc[(ctx.SET_OLD, "B"), "v"] == pytest.approx(40)


# ------------------------------------------------------------------------------------------------
# derivation against the raw open data
# ------------------------------------------------------------------------------------------------


@needs_open_data
def test_output_area_sums_match_the_shared_derived_ward_file():
    """census-oa/derived holds ward sums built independently from the same OA files and lookup."""
    shared = pd.read_csv(OPEN_DATA / "census-oa" / "derived" / "liverpool_census2021_by_ward_WD22_DERIVED_from_oa21.csv")
    total = shared[(shared.table == "TS001") & (shared.variable == "Residence type: Total; measures: Value")]
    ours = read("wards").set_index("ward_code")["population_2021"]
    assert (total.set_index("WD22CD")["value"] == ours.reindex(total.WD22CD).to_numpy()).all()
    health = shared[(shared.table == "TS037") & (shared.variable == "General health: Bad health; measures: Value")]
    ind = read(ctx.INDICATORS_TABLE)
    bad = ind[(ind.boundary_set == ctx.SET_OLD) & (ind.category == "Bad health")].set_index("ward_code")["count"]
    assert (health.set_index("WD22CD")["value"] == bad.reindex(health.WD22CD).to_numpy()).all()


@needs_open_data
@pytest.mark.parametrize(("bset", "code_column", "file_set"), [(ctx.SET_OLD, "WD22CD", "WD22"), (ctx.SET_NEW, "WD25CD", "WD25")])
def test_modelled_splits_match_the_shared_derived_ward_file(bset, code_column, file_set):
    """The LSOA splits (residents for TS021, households for TS003) agree with the independent build."""
    shared = pd.read_csv(OPEN_DATA / "census-oa" / "derived" / f"liverpool_census2021_by_ward_{file_set}_DERIVED_from_oa21.csv")
    ind = read(ctx.INDICATORS_TABLE)
    ind = ind[ind.boundary_set == bset]
    for table, variable, indicator, category in (
        ("TS021", "Ethnic group: White", "ethnic_group", "White"),
        ("TS003", "Household composition: Single family household: Lone parent family: With dependent children; "
                  "measures: Value", "household_composition", "Lone parent, dependent children"),
    ):
        theirs = shared[(shared.table == table) & (shared.variable == variable)].set_index(code_column)["value"]
        ours = ind[(ind.indicator == indicator) & (ind.category == category)].set_index("ward_code")["count"]
        assert len(theirs) == len(ours) == (30 if bset == ctx.SET_OLD else 64)
        assert np.allclose(ours.reindex(theirs.index), theirs, atol=0.11), (table, bset)


def test_derive_context_with_a_missing_raw_file_says_so_in_one_line_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from cityconv.cli import app
    from nbtools import clubmoor_project

    (tmp_path / "project").mkdir()
    root = clubmoor_project(tmp_path / "project")
    before = {p.name: p.read_bytes() for p in (root / "data" / "context").iterdir() if p.is_file()}
    empty = tmp_path / "open-data"
    empty.mkdir()
    result = CliRunner().invoke(app, ["derive-context", "--open-data", str(empty), "--root", str(root)])
    assert result.exit_code == 2
    assert "open data file missing" in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (root / "data" / "context").iterdir() if p.is_file()} == before
