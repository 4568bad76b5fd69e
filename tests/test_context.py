"""Tests for the ward context tables in data/context/ and the functions that derive and read them.

Most tests read the committed files (they must be right on their own); the re-derivation tests also need
the raw open data beside the repository and skip, saying why, when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Resource, Schema

from cityconv.core.paths import shared_open_data_dir
from cityconv.data import context as ctx
from cityconv.data import context_derive

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
SCHEMAS = REPO / "src" / "cityconv" / "data" / "schemas" / "context"
OPEN_DATA = shared_open_data_dir(REPO)
CLUBMOOR = "E05000892"

needs_open_data = pytest.mark.skipif(
    not (OPEN_DATA / ctx.F_LOOKUP21).exists(),
    reason=f"raw open data not found at {OPEN_DATA} (set $CITYCONV_OPEN_DATA to re-derive data/context)",
)


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(CONTEXT / f"{name}.csv", dtype={"ward_code": str, "lsoa_code": str})


def test_all_outputs_present():
    for name in ctx.CSV_OUTPUTS:
        assert (CONTEXT / f"{name}.csv").is_file(), name
        assert (SCHEMAS / f"{name}.schema.json").is_file(), name
    for name in ctx.GEOJSON_OUTPUTS.values():
        assert (CONTEXT / name).is_file()
    prov = (CONTEXT / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "Contains public sector information licensed under the Open Government Licence v3.0" in prov
    assert "Contains OS data © Crown copyright and database right" in prov
    assert "cityconv derive-context" in prov


def test_clubmoor_populations():
    wards = read("wards").set_index(["boundary_set", "ward_code"])
    clubmoor = wards.loc[("2004-2023", CLUBMOOR)]
    assert clubmoor["ward_name"] == "Clubmoor"
    assert clubmoor["population_2011"] == 15272
    assert clubmoor["population_2021"] == 15373  # sum of its 54 output areas (the best fit gave 17,188)
    assert clubmoor["n_oa21"] == 54 and clubmoor["population_method"] == "exact"
    city = wards.loc[("city", "E08000012")]
    assert city["ward_name"] == "Liverpool"
    assert city["population_2011"] == 466415  # official Liverpool 2011 total = sum of the 30 wards


def test_clubmoor_white_share():
    eth = read("ethnicity")
    white = eth[(eth.ward_code == CLUBMOOR) & (eth.category == "White")]["share"].item()
    assert white == pytest.approx(0.924, abs=0.002)  # modelled: LSOAs split by output-area residents
    minority = eth[(eth.ward_code == CLUBMOOR) & (eth.category == ctx.ETHNIC_MINORITY)]["share"].item()
    assert white + minority == pytest.approx(1, abs=1e-4)


def test_ward_counts_and_waterfront_north():
    wards = read("wards")
    old, new = wards[wards.boundary_set == "2004-2023"], wards[wards.boundary_set == "2023-"]
    assert len(old) == 30 and set(old.ward_code) == {f"E05000{n}" for n in range(886, 916)}
    assert len(new) == 64 and new.ward_code.is_unique
    assert (wards.boundary_set == "city").sum() == 1
    assert old.population_2011.notna().all() and new.population_2011.isna().all()
    wn = new[new.ward_name == "Waterfront North"]
    assert len(wn) == 1
    wn = wn.iloc[0]  # no LSOA best-fits it, but output areas give it residents
    assert wn.population_2021 > 500 and wn.households_2021 > 0 and wn.n_oa21 > 0
    for name in (*ctx.LONG_TABLES, "age_sex"):
        df = read(name)
        rows = df[df.ward_code == ctx.WATERFRONT_NORTH]
        value_cols = [c for c in ("count", "share", "count_estimated", "share_estimated") if c in df]
        assert len(rows) > 0 and rows[value_cols].notna().all().all(), name
    # every ward of both sets appears in every table
    for name in (*ctx.LONG_TABLES, "age_sex", "deprivation_summary", "deprivation2025_summary"):
        df = read(name)
        assert set(zip(df.boundary_set, df.ward_code)) == set(zip(wards.boundary_set, wards.ward_code)), name


@pytest.mark.parametrize("name", ["age", "sex", "ethnicity", "tenure", "age_sex"])
def test_shares_sum_to_one(name):
    df = read(name)
    share = "share_estimated" if name == "age_sex" else "share"
    if name == "ethnicity":
        df = df[df.category != ctx.ETHNIC_MINORITY]  # derived extra row, the complement of White
    df = df[df[share].notna()]
    sums = df.groupby(["boundary_set", "ward_code"])[share].sum()
    assert len(sums) == 30 + 64 + 1
    n_cats = df.groupby(["boundary_set", "ward_code"]).size().max()
    assert ((sums - 1).abs() <= 0.00005 * n_cats + 1e-9).all(), sums[(sums - 1).abs() > 0.00005 * n_cats]


@pytest.mark.parametrize("name", ["age", "sex", "ethnicity", "tenure"])
def test_liverpool_equals_sum_of_wards(name):
    """The city row is the sum of all output areas (or LSOAs); each ward set partitions them. Exact tables
    sum exactly; modelled counts are rounded per ward, so they may differ by half a person per ward."""
    df = read(name)
    city = df[df.boundary_set == "city"].set_index("category")["count"]
    for bset in ctx.BOUNDARY_SETS:
        rows = df[df.boundary_set == bset]
        wards = rows.groupby("category")["count"].sum().reindex(city.index)
        tolerance = 0 if (rows["method"] == "exact").all() else rows["ward_code"].nunique() / 2
        assert ((wards - city).abs() <= tolerance).all(), (name, bset, (wards - city).abs().max())


@needs_open_data
def test_liverpool_equals_sum_of_output_areas():
    from cityconv.data.context_oa import oa_file

    raw = pd.read_csv(OPEN_DATA / oa_file("ts001"))
    wards = read("wards")
    city = wards[wards.boundary_set == "city"].iloc[0]
    assert city.population_2021 == raw["Residence type: Total; measures: Value"].sum() == 486093
    assert city.n_oa21 == len(raw) == 1624 and city.n_lsoa21 == 302
    eth = read("ethnicity")
    raw21 = pd.read_csv(OPEN_DATA / ctx.census_file("ts021"))
    white = eth[(eth.boundary_set == "city") & (eth.category == "White")]["count"].item()
    assert white == raw21["Ethnic group: White"].sum()


def test_age_sex_is_labelled_estimated_and_consistent():
    df = read("age_sex")
    assert (df.method == ctx.AGE_SEX_METHOD).all()
    assert set(df.sex) == {"Female", "Male"}
    assert list(dict.fromkeys(df.age_band)) == list(ctx.AGE_BANDS)
    # margins reproduce the observed age bands
    age = read("age").set_index(["boundary_set", "ward_code", "category"])["count"]
    est = df.groupby(["boundary_set", "ward_code", "age_band"])["count_estimated"].sum()
    est.index = est.index.set_names("category", level=2)
    joined = pd.concat([age, est], axis=1, join="inner").dropna()
    assert ((joined["count"] - joined["count_estimated"]).abs() <= 0.61).all()  # age counts are rounded


def test_deprivation_counts_match_lsoa_listing():
    lsoa = read("deprivation_lsoa")
    summary = read("deprivation_summary")
    n_listed = lsoa.groupby(["boundary_set", "ward_code"]).size()
    n_summary = summary[summary.boundary_set != "city"].groupby(["boundary_set", "ward_code"])["n_lsoa"].sum(min_count=1)
    assert (n_summary.dropna() == n_listed.reindex(n_summary.dropna().index)).all()
    assert n_summary.isna().sum() == 1  # Waterfront North only: no LSOA best-fits it (neighbourhood counts)
    old = lsoa[lsoa.boundary_set == "2004-2023"]
    assert len(old) == 298 and old.lsoa_code.is_unique
    assert summary[summary.boundary_set == "city"]["n_lsoa"].sum() == 298
    clubmoor = summary[(summary.ward_code == CLUBMOOR)].set_index("imd_decile")["n_lsoa"]
    assert clubmoor.sum() == 11 and clubmoor[1] == 10
    s25 = read("deprivation2025_summary")
    l25 = read("deprivation2025_lsoa")
    assert s25[s25.boundary_set == "city"]["n_lsoa"].sum() == 302
    for bset in ctx.BOUNDARY_SETS:
        assert s25[s25.boundary_set == bset]["n_lsoa"].sum() == (l25.boundary_set == bset).sum() == 302


@pytest.mark.parametrize("name", ctx.CSV_OUTPUTS)
def test_csv_validates_against_schema(name):
    schema = Schema.from_descriptor(json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")))
    report = Resource(path=f"{name}.csv", basepath=str(CONTEXT), schema=schema).validate()
    assert report.valid, [e.message for e in report.flatten(["message"])][:5]
    assert [f.name for f in schema.fields] == list(read(name).columns)


def test_geojson_small_and_clean():
    from shapely.geometry import shape

    for bset, name in ctx.GEOJSON_OUTPUTS.items():
        path = CONTEXT / name
        assert path.stat().st_size < 150_000
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        assert len(features) == (30 if bset == "2004-2023" else 64)
        for f in features:
            assert set(f["properties"]) == {"ward_code", "ward_name"}
            assert shape(f["geometry"]).is_valid, f["properties"]


@needs_open_data
def test_rederivation_is_byte_identical(tmp_path):
    written = context_derive.derive_all(OPEN_DATA, tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in CONTEXT.iterdir() if p.is_file())
    for p in written:
        assert p.read_bytes() == (CONTEXT / p.name).read_bytes(), f"{p.name} differs from the committed file"
        assert b"\r\n" not in p.read_bytes()


def test_resolve_ward():
    expected = (CLUBMOOR, "Clubmoor", "2004-2023")
    assert ctx.resolve_ward(CONTEXT, "Clubmoor") == expected
    assert ctx.resolve_ward(CONTEXT, "clubmoor") == expected
    assert ctx.resolve_ward(CONTEXT, "E05000892") == expected
    assert ctx.resolve_ward(CONTEXT, "clubmoor east")[2] == "2023-"
    assert ctx.resolve_ward(CONTEXT, "St Michaels", boundary_set="2004-2023")[1] == "St Michael's"
    assert ctx.resolve_ward(CONTEXT, "Anfield", boundary_set="2023-")[0].startswith("E05015")
    with pytest.raises(KeyError, match="did you mean 'Clubmoor'"):
        ctx.resolve_ward(CONTEXT, "Clubmor")
    with pytest.raises(KeyError, match="unknown ward"):
        ctx.resolve_ward(CONTEXT, "Atlantis")


def test_ward_index_is_parsed_once_per_version_of_its_file(tmp_path, monkeypatch):
    """A profile asks for the ward index several times: one parse per version of wards.csv, a copy to each
    caller, and an edited file read again."""
    (tmp_path / "wards.csv").write_bytes((CONTEXT / "wards.csv").read_bytes())
    parses = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: parses.append(a[0]) or read_csv(*a, **k))
    first = ctx.ward_index(tmp_path)
    first.loc[0, "name"] = "changed by a caller"
    again = ctx.ward_index(tmp_path)
    assert len(parses) == 1 and again.loc[0, "name"] != "changed by a caller"
    table = pd.read_csv(tmp_path / "wards.csv", dtype=str, keep_default_na=False)
    table.loc[0, "ward_name"] = "Renamed ward"
    table.to_csv(tmp_path / "wards.csv", index=False)
    assert ctx.ward_index(tmp_path).loc[0, "name"] == "Renamed ward"


def test_load_context_and_ward_index():
    index = ctx.ward_index(CONTEXT)
    assert list(index.columns) == ["code", "name", "boundary_set"]
    assert len(index) == 30 + 64 + 1
    wc = ctx.load_context(CONTEXT, CLUBMOOR)
    assert (wc.ward_code, wc.ward_name, wc.boundary_set) == (CLUBMOOR, "Clubmoor", "2004-2023")
    assert set(wc.sex.ward_code) == {CLUBMOOR, "E08000012"}
    assert len(wc.age) == 16 and len(wc.age_sex) == 32
    assert len(wc.deprivation_lsoa) == 11
    assert "output areas" in wc.caveat
    assert set(wc.age["method"]) <= {"exact", "modelled"}
    with pytest.raises(KeyError, match="did you mean"):
        ctx.load_context(CONTEXT, "E05000893x")
