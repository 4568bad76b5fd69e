"""Derive the ward-level context tables in `data/context/` from the raw public open data.

Raw files stay outside the repository (`cityconv.core.paths.shared_open_data_dir`); this module reads
them and writes small, committed, byte-for-byte reproducible tables (`cityconv derive-context` calls
`derive_all`), then their PROVENANCE.md (`cityconv.data.context_provenance`). What the tables hold is
defined in `cityconv.data.context`, which also reads them back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityconv.data.context import (
    AGE_BANDS,
    AGE_SEX_METHOD,
    BOUNDARY_SETS,
    CENTRAL,
    CENTRAL_CAVEAT,
    CHANGE_TABLE,
    CITY_CAVEAT,
    CITY_CODE,
    CITY_NAME,
    CSV_OUTPUTS,
    DEFINITIONS_TABLE,
    ETHNIC_MINORITY,
    ETHNICITY_CATEGORIES,
    F_BOUNDARY_NEW,
    F_BOUNDARY_OLD,
    F_CENSUS2011,
    F_IMD2019,
    F_IMD2025,
    F_LOOKUP11,
    F_LOOKUP21,
    F_LSOA11_BOUNDARIES,
    F_LSOA21_BOUNDARIES,
    GEOJSON_OUTPUTS,
    GEOMETRY_DECIMALS,
    INDICATORS_TABLE,
    LONG_TABLES,
    LSOA_GEOJSON_OUTPUTS,
    METHOD_EXACT,
    NEW_CAVEAT,
    OLD_CAVEAT,
    OVERLAPS,
    SET_CITY,
    SET_NEW,
    SET_OLD,
    SET_ORDER,
    SEX_CATEGORIES,
    SIMPLIFY_TOLERANCE_DEG,
    TENURE_CATEGORIES,
    WARDS_COLUMNS,
)
from cityconv.data.context_indicators import change_table, indicator_table
from cityconv.data.context_oa import (
    F_OA_WARD_LOOKUP,
    OaGeography,
    load_oa_geography,
    oa_lsoa11,
    read_open_csv,
    sape_mid2020,
    ward_names,
    ward_sums,
    ward_table,
)
from cityconv.data.context_provenance import provenance_text

# ================================================================================================
# reading the raw data
# ================================================================================================


def _read_csv(open_data_dir: Path, name: str) -> pd.DataFrame:
    return read_open_csv(open_data_dir, name, dtype={"geography code": str})


@dataclass
class _Geography:
    """Ward lists and LSOA lookups for both boundary sets."""

    wards: dict[str, pd.DataFrame]  # boundary set -> ward_code, ward_name (sorted by code)
    lsoa21_to_ward: dict[str, pd.Series]  # boundary set -> Series lsoa21_code -> ward_code
    lookup21: pd.DataFrame
    lookup11: pd.DataFrame


def _load_geography(open_data_dir: Path) -> _Geography:
    lookup21 = _read_csv(open_data_dir, F_LOOKUP21)
    lookup11 = _read_csv(open_data_dir, F_LOOKUP11)
    old = _geojson_wards(open_data_dir / F_BOUNDARY_OLD, "WD22CD", "WD22NM")
    new = _geojson_wards(open_data_dir / F_BOUNDARY_NEW, "WD25CD", "WD25NM")
    if len(old) != 30 or len(new) != 64:
        raise ValueError(f"expected 30 and 64 wards in the boundary files, found {len(old)} and {len(new)}")
    return _Geography(
        wards={SET_OLD: old, SET_NEW: new},
        lsoa21_to_ward={
            SET_OLD: lookup21.set_index("lsoa21_code")["WD22CD"],
            SET_NEW: lookup21.set_index("lsoa21_code")["WD24CD"],
        },
        lookup21=lookup21,
        lookup11=lookup11,
    )


def _geojson_wards(path: Path, code_key: str, name_key: str) -> pd.DataFrame:
    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    rows = [(f["properties"][code_key], f["properties"][name_key]) for f in features]
    return pd.DataFrame(rows, columns=["ward_code", "ward_name"]).sort_values("ward_code", ignore_index=True)


# ================================================================================================
# aggregation helpers
# ================================================================================================


def _to_long(agg: pd.DataFrame, extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """Wide ward x category counts -> long table with share within ward (of the categories' sum)."""
    total = agg.sum(axis=1, min_count=1)
    shares = agg.div(total, axis=0)
    cols = list(agg.columns)
    counts = agg.copy()
    if extra:
        for name, series in extra.items():
            counts[name] = series
            shares[name] = series / total
            cols.append(name)
    long = (
        counts[cols]
        .stack(future_stack=True)
        .rename("count")
        .to_frame()
        .join(shares[cols].stack(future_stack=True).rename("share"))
        .reset_index()
        .rename(columns={"level_3": "category"})
    )
    long["count"] = long["count"].round().astype("Int64")
    return long[["boundary_set", "ward_code", "ward_name", "category", "count", "share"]]


# ================================================================================================
# formatting (fixed, so re-derivation is byte-for-byte identical)
# ================================================================================================


def _fmt_float(decimals: int):
    def fmt(x) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
            return ""
        value = round(float(x), decimals)
        return f"{value + 0.0:.{decimals}f}"  # +0.0 turns -0.0 into 0.0

    return fmt


def _fmt_int(x) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(int(x))


def _write_csv(df: pd.DataFrame, path: Path, formats: dict[str, Callable[[Any], str]]) -> Path:
    out = df.copy()
    for col, fmt in formats.items():
        out[col] = [fmt(v) for v in out[col]]
    out = out.astype(object).where(out.notna(), "")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = out.to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))
    return path


def _sort(df: pd.DataFrame, *extra: str) -> pd.DataFrame:
    key = df["boundary_set"].map(SET_ORDER)
    return (
        df.assign(_set=key)
        .sort_values(["_set", "ward_code", *extra], kind="mergesort")
        .drop(columns="_set")
        .reset_index(drop=True)
    )


def _order_categories(long: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rank = {c: i for i, c in enumerate(order)}
    long = long.assign(_cat=long["category"].map(rank))
    return _sort(long, "_cat").drop(columns="_cat")


# ================================================================================================
# individual tables
# ================================================================================================


def _wards_table(open_data_dir: Path, geo: _Geography, oa: OaGeography) -> pd.DataFrame:
    """Residents and households per ward summed from output areas (exact), with the ONS mid-2020 check."""
    c11 = _read_csv(open_data_dir, F_CENSUS2011).set_index("code")["pop"]
    counts = pd.DataFrame({"population_2021": oa.oa["population"], "households_2021": oa.oa["households"],
                           "n_oa21": 1})
    agg = ward_sums(counts, oa).values
    for bset in BOUNDARY_SETS:  # LSOAs with at least one output area in the ward
        n = oa.oa.groupby(bset)["lsoa21"].nunique()
        agg.loc[bset, "n_lsoa21"] = n.reindex(agg.loc[bset].index).to_numpy()
    agg.loc[(SET_CITY, CITY_CODE), "n_lsoa21"] = oa.oa["lsoa21"].nunique()
    agg = agg.reset_index()
    agg["ward_name"] = ward_names(oa).reindex(pd.MultiIndex.from_frame(agg[["boundary_set", "ward_code"]])).to_numpy()
    names = {bset: set(geo.wards[bset]["ward_code"]) for bset in BOUNDARY_SETS}
    for bset in BOUNDARY_SETS:
        got = set(agg.loc[agg["boundary_set"] == bset, "ward_code"])
        if got != names[bset]:
            raise ValueError(f"{F_OA_WARD_LOOKUP}: wards {sorted(got ^ names[bset])} differ from the {bset} boundaries")
    agg["population_method"] = METHOD_EXACT
    old = agg["boundary_set"] == SET_OLD
    agg["population_2011"] = agg["ward_code"].map(c11).where(old)
    agg.loc[agg["boundary_set"] == SET_CITY, "population_2011"] = c11.sum()
    sape = sape_mid2020(open_data_dir)
    agg["population_mid2020_ons"] = agg["ward_code"].map(sape).where(old)
    agg.loc[agg["boundary_set"] == SET_CITY, "population_mid2020_ons"] = sape.sum()
    agg["difference_from_mid2020_pct"] = (agg["population_2021"] / agg["population_mid2020_ons"] - 1) * 100
    agg["caveat"] = np.select(
        [agg["ward_code"] == CENTRAL, old, agg["boundary_set"] == SET_NEW],
        [CENTRAL_CAVEAT, OLD_CAVEAT, NEW_CAVEAT], default=CITY_CAVEAT)
    return _sort(agg[WARDS_COLUMNS])


def _census_long_tables(open_data_dir: Path, oa: OaGeography) -> dict[str, pd.DataFrame]:
    specs = {
        "age": ("ts007a", AGE_BANDS),
        "sex": ("ts008", SEX_CATEGORIES),
        "ethnicity": ("ts021", ETHNICITY_CATEGORIES),
        "tenure": ("ts054", TENURE_CATEGORIES),
    }
    out: dict[str, pd.DataFrame] = {}
    wide: dict[str, pd.DataFrame] = {}
    for name, (table, cats) in specs.items():
        built = ward_table(open_data_dir, table, oa)
        clean = {cat: [c.replace("; measures: Value", "") for c in cols] for cat, cols in cats.items()}
        agg = pd.DataFrame({cat: built.values[cols].sum(axis=1) for cat, cols in clean.items()})
        names = ward_names(oa).reindex(agg.index)
        agg.index = pd.MultiIndex.from_arrays([agg.index.get_level_values(0), agg.index.get_level_values(1),
                                               names.to_numpy()], names=["boundary_set", "ward_code", "ward_name"])
        wide[name] = agg
        extra = None
        order = list(cats)
        if name == "ethnicity":
            extra = {ETHNIC_MINORITY: agg.sum(axis=1, min_count=1) - agg["White"]}
            order.append(ETHNIC_MINORITY)
        long = _to_long(agg, extra)
        method = built.method.reindex(pd.MultiIndex.from_frame(long[["boundary_set", "ward_code"]]))
        long["method"] = method.to_numpy()
        out[name] = _order_categories(long, order)
    out["age_sex"] = _age_sex(wide["age"], wide["sex"])
    return out


def _age_sex(age: pd.DataFrame, sex: pd.DataFrame) -> pd.DataFrame:
    """Age x sex under independence: age-band count x ward female/male share. NOT observed data."""
    sex_share = sex.div(sex.sum(axis=1, min_count=1), axis=0)
    age_total = age.sum(axis=1, min_count=1)
    rows = []
    for band in age.columns:
        for s in sex.columns:
            est = age[band] * sex_share[s]
            part = est.rename("count_estimated").to_frame()
            part["share_estimated"] = est / age_total
            part["age_band"] = band
            part["sex"] = s
            rows.append(part.reset_index())
    df = pd.concat(rows, ignore_index=True)
    df["method"] = AGE_SEX_METHOD
    band_rank = {b: i for i, b in enumerate(age.columns)}
    df = df.assign(_b=df["age_band"].map(band_rank))
    df = _sort(df, "_b", "sex").drop(columns="_b")
    return df[
        ["boundary_set", "ward_code", "ward_name", "age_band", "sex", "count_estimated", "share_estimated", "method"]
    ]


def _deprivation(open_data_dir: Path, geo: _Geography) -> dict[str, pd.DataFrame]:
    """IMD 2019 on LSOA 2011 (its native geography), IMD 2025 on LSOA 2021, for both ward sets."""
    imd19 = _read_csv(open_data_dir, F_IMD2019).set_index("lsoa11_code")
    imd19 = imd19.rename(
        columns={
            "index_of_multiple_deprivation_imd_rank": "imd2019_rank",
            "index_of_multiple_deprivation_imd_decile": "imd2019_decile",
        }
    )
    imd25 = _read_csv(open_data_dir, F_IMD2025).set_index("lsoa21_code")
    lk21 = geo.lookup21
    lk11 = geo.lookup11
    names_old = dict(zip(geo.wards[SET_OLD]["ward_code"], geo.wards[SET_OLD]["ward_name"]))
    names_new = dict(zip(geo.wards[SET_NEW]["ward_code"], geo.wards[SET_NEW]["ward_name"]))

    # LSOA11 -> 2021 successor(s), for the notes and the "unchanged" IMD 2025 column.
    parents = lk21.assign(lsoa11_code=lk21["lsoa11_codes"].str.split(";")).explode("lsoa11_code")
    changes = parents.groupby("lsoa11_code").agg(
        change=("change_code", "first"), successors=("lsoa21_code", lambda s: ";".join(sorted(s)))
    )

    # 2004-2023 wards: ONS LSOA11 -> ward 2017 best fit (Liverpool's wards unchanged 2004-2023).
    old = lk11.rename(columns={"lsoa11_code": "lsoa_code", "lsoa11_name": "lsoa_name", "WD17CD": "ward_code"})
    old = old[["ward_code", "lsoa_code", "lsoa_name"]].assign(boundary_set=SET_OLD)

    # 2023- wards: each LSOA21 row's ONS WD24 best fit, carried to its LSOA11 parent(s); an LSOA11 whose
    # 2021 children fall in different 2023 wards is listed under each of them.
    new = parents[["WD24CD", "lsoa11_code"]].rename(columns={"WD24CD": "ward_code", "lsoa11_code": "lsoa_code"})
    new = new.drop_duplicates().assign(boundary_set=SET_NEW)
    new["lsoa_name"] = new["lsoa_code"].map(lk11.set_index("lsoa11_code")["lsoa11_name"])
    n_wards_of = new.groupby("lsoa_code")["ward_code"].nunique()

    lsoa = pd.concat([old, new], ignore_index=True)
    lsoa["ward_name"] = np.where(
        lsoa["boundary_set"] == SET_OLD, lsoa["ward_code"].map(names_old), lsoa["ward_code"].map(names_new)
    )
    lsoa = lsoa.join(imd19[["imd2019_rank", "imd2019_decile"]], on="lsoa_code")
    unchanged = lsoa["lsoa_code"].map(changes["change"]).eq("U")
    lsoa["imd2025_decile"] = lsoa["lsoa_code"].map(imd25["IMD_decile"]).where(unchanged)

    def note(row) -> str:
        ch = changes.loc[row.lsoa_code]
        parts = []
        if ch.change == "S":
            parts.append(f"split in 2021 into {ch.successors}; IMD 2025 decile not comparable")
        elif ch.change == "M":
            parts.append(f"merged in 2021 into {ch.successors}; IMD 2025 decile not comparable")
        if row.boundary_set == SET_NEW and n_wards_of.get(row.lsoa_code, 1) > 1:
            parts.append("2021 parts best-fit to different 2023 wards; listed under each")
        return "; ".join(parts)

    lsoa["note"] = [note(r) for r in lsoa.itertuples()]
    lsoa = _sort(lsoa, "lsoa_code")[
        [
            "boundary_set",
            "ward_code",
            "ward_name",
            "lsoa_code",
            "lsoa_name",
            "imd2019_rank",
            "imd2019_decile",
            "imd2025_decile",
            "note",
        ]
    ]

    # IMD 2025 on its own geography (LSOA 2021) via the same lookups as the Census tables.
    rows25 = []
    for bset, col, names in ((SET_OLD, "WD22CD", names_old), (SET_NEW, "WD24CD", names_new)):
        part = lk21[[col, "lsoa21_code", "lsoa21_name"]].rename(
            columns={col: "ward_code", "lsoa21_code": "lsoa_code", "lsoa21_name": "lsoa_name"}
        )
        part = part.assign(boundary_set=bset, ward_name=part["ward_code"].map(names))
        rows25.append(part)
    lsoa25 = pd.concat(rows25, ignore_index=True)
    lsoa25["imd2025_rank"] = lsoa25["lsoa_code"].map(imd25["IMD_rank"])
    lsoa25["imd2025_decile"] = lsoa25["lsoa_code"].map(imd25["IMD_decile"])
    lsoa25 = _sort(lsoa25, "lsoa_code")[
        ["boundary_set", "ward_code", "ward_name", "lsoa_code", "lsoa_name", "imd2025_rank", "imd2025_decile"]
    ]

    city19 = imd19["imd2019_decile"]  # all 298 Liverpool LSOA 2011
    city25 = imd25["IMD_decile"]  # all 302 Liverpool LSOA 2021
    return {
        "deprivation_lsoa": lsoa,
        "deprivation_summary": _decile_summary(lsoa, "imd2019_decile", city19, geo),
        "deprivation2025_lsoa": lsoa25,
        "deprivation2025_summary": _decile_summary(lsoa25, "imd2025_decile", city25, geo),
    }


def _decile_summary(lsoa: pd.DataFrame, col: str, city: pd.Series, geo: _Geography) -> pd.DataFrame:
    """Count of LSOAs per decile (all ten deciles listed); a ward with no LSOA gets missing counts."""
    counts = lsoa.groupby(["boundary_set", "ward_code", col]).size()
    rows = []
    for bset in BOUNDARY_SETS:
        for code, name in geo.wards[bset].itertuples(index=False):
            has = (bset, code) in counts.index.droplevel(2)
            for d in range(1, 11):
                n = int(counts.get((bset, code, float(d)), 0)) if has else None
                rows.append((bset, code, name, d, n))
    city_counts = city.value_counts()
    for d in range(1, 11):
        rows.append((SET_CITY, CITY_CODE, CITY_NAME, d, int(city_counts.get(float(d), 0))))
    df = pd.DataFrame(rows, columns=["boundary_set", "ward_code", "ward_name", "imd_decile", "n_lsoa"])
    df["n_lsoa"] = df["n_lsoa"].astype("Int64")
    return _sort(df, "imd_decile")


# ================================================================================================
# geometry
# ================================================================================================


def _round_ring(ring: list, decimals: int) -> list:
    out: list[list[float]] = []
    for x, y in (c[:2] for c in ring):
        pt = [round(float(x), decimals) + 0.0, round(float(y), decimals) + 0.0]
        if not out or pt != out[-1]:
            out.append(pt)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def _round_geometry(geom: dict, decimals: int) -> dict:
    if geom["type"] == "Polygon":
        rings = [_round_ring(r, decimals) for r in geom["coordinates"]]
        return {"type": "Polygon", "coordinates": [r for r in rings if len(r) >= 4]}
    if geom["type"] == "MultiPolygon":
        polys = [[_round_ring(r, decimals) for r in poly] for poly in geom["coordinates"]]
        return {"type": "MultiPolygon", "coordinates": [[r for r in p if len(r) >= 4] for p in polys if len(p[0]) >= 4]}
    raise ValueError(f"unexpected geometry type {geom['type']}")


def _write_geojson(src: Path, code_key: str, name_key: str, path: Path,
                   names: tuple[str, str] = ("ward_code", "ward_name")) -> Path:
    """Code + name only (as `names`), coordinates rounded to 1e-5 degrees (about 1 m); one feature per line."""
    from shapely.geometry import mapping, shape

    features = json.loads(Path(src).read_text(encoding="utf-8"))["features"]
    lines = []
    for f in sorted(features, key=lambda f: f["properties"][code_key]):
        geom = f["geometry"]
        if SIMPLIFY_TOLERANCE_DEG > 0:
            geom = mapping(shape(geom).simplify(SIMPLIFY_TOLERANCE_DEG, preserve_topology=True))
            geom = json.loads(json.dumps(geom))  # tuples -> lists
        feature = {
            "type": "Feature",
            "properties": {names[0]: f["properties"][code_key], names[1]: f["properties"][name_key]},
            "geometry": _round_geometry(geom, GEOMETRY_DECIMALS),
        }
        lines.append(json.dumps(feature, separators=(",", ":"), ensure_ascii=False))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path



# ================================================================================================
# boundary overlaps (the May 2023 boundary change)
# ================================================================================================

def _overlaps(oa: OaGeography) -> pd.DataFrame:
    """Both directions: for each ward, the wards of the other set holding its residents, and their share.

    Built from output areas (each lies in one ward of each set), so the shares of a ward sum to 1."""
    names = ward_names(oa).droplevel(0)
    frames = []
    for source, target in ((SET_OLD, SET_NEW), (SET_NEW, SET_OLD)):
        cross = oa.oa.groupby([source, target]).agg(n_oa21=("population", "size"), n_lsoa21=("lsoa21", "nunique"),
                                                  population_2021=("population", "sum")).reset_index()
        totals = cross.groupby(source)["population_2021"].transform("sum")
        frames.append(pd.DataFrame({
            "boundary_set": source, "ward_code": cross[source], "ward_name": cross[source].map(names),
            "other_boundary_set": target, "other_ward_code": cross[target],
            "other_ward_name": cross[target].map(names), "n_oa21": cross["n_oa21"], "n_lsoa21": cross["n_lsoa21"],
            "population_2021": cross["population_2021"], "share": cross["population_2021"] / totals,
        }))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["ward_code", "share", "other_ward_code"], ascending=[True, False, True], kind="mergesort")
    return _sort(out)


# ================================================================================================
# public API
# ================================================================================================

def _fmt_count(x) -> str:
    """Whole numbers without a decimal point (exact sums), others to one decimal (modelled splits)."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    value = round(float(x), 1) + 0.0
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


_I = _fmt_int
_N = _fmt_count
_F1 = _fmt_float(1)
_F4 = _fmt_float(4)
CSV_FORMATS: dict[str, dict[str, Callable[[Any], str]]] = {
    "wards": {"population_2011": _I, "population_2021": _I, "households_2021": _I, "n_lsoa21": _I, "n_oa21": _I,
              "population_mid2020_ons": _I, "difference_from_mid2020_pct": _F1},
    **{name: {"count": _I, "share": _F4} for name in LONG_TABLES},
    "age_sex": {"count_estimated": _F1, "share_estimated": _F4},
    "deprivation_lsoa": {"imd2019_rank": _I, "imd2019_decile": _I, "imd2025_decile": _I},
    "deprivation_summary": {"imd_decile": _I, "n_lsoa": _I},
    "deprivation2025_lsoa": {"imd2025_rank": _I, "imd2025_decile": _I},
    "deprivation2025_summary": {"imd_decile": _I, "n_lsoa": _I},
    OVERLAPS: {"n_oa21": _I, "n_lsoa21": _I, "population_2021": _I, "share": _F4},
    INDICATORS_TABLE: {"count": _N, "base": _N, "share": _F4, "liverpool_share": _F4, "england_share": _F4,
                       "rank": _I, "n_wards": _I},
    DEFINITIONS_TABLE: {},
    CHANGE_TABLE: {"count_2011": _N, "base_2011": _N, "share_2011": _F4, "count_2021": _N, "base_2021": _N,
                   "share_2021": _F4, "change_pp": _F1, "count_change_pct": _F1},
}


def derive_tables(open_data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every context CSV as a DataFrame (unformatted), keyed by output name; useful for tests and notebooks."""
    open_data_dir = Path(open_data_dir)
    geo = _load_geography(open_data_dir)
    oa = load_oa_geography(open_data_dir)
    tables = {"wards": _wards_table(open_data_dir, geo, oa)}
    tables.update(_census_long_tables(open_data_dir, oa))
    tables.update(_deprivation(open_data_dir, geo))
    tables[OVERLAPS] = _overlaps(oa)
    tables[INDICATORS_TABLE], tables[DEFINITIONS_TABLE] = indicator_table(
        open_data_dir, oa, _oa_imd_deciles(open_data_dir, oa))
    tables[CHANGE_TABLE] = change_table(open_data_dir, oa)
    return tables


def _oa_imd_deciles(open_data_dir: Path, oa: OaGeography) -> dict[str, pd.Series]:
    """Each output area's national IMD decile: 2019 through its LSOA 2011, 2025 through its LSOA 2021."""
    imd19 = _read_csv(open_data_dir, F_IMD2019).set_index("lsoa11_code")["index_of_multiple_deprivation_imd_decile"]
    imd25 = _read_csv(open_data_dir, F_IMD2025).set_index("lsoa21_code")["IMD_decile"]
    return {"imd2019": oa_lsoa11(open_data_dir, oa).map(imd19), "imd2025": oa.oa["lsoa21"].map(imd25)}


def derive_all(open_data_dir: Path, out_dir: Path) -> list[Path]:
    """Re-derive every file in data/context/ from the raw open data; returns the paths written.

    Deterministic: fixed row order, fixed float formatting, '\\n' line endings, no timestamps.
    """
    open_data_dir, out_dir = Path(open_data_dir), Path(out_dir)
    tables = derive_tables(open_data_dir)
    written = [_write_csv(tables[name], out_dir / f"{name}.csv", CSV_FORMATS[name])
               for name in (*CSV_OUTPUTS, OVERLAPS, INDICATORS_TABLE, DEFINITIONS_TABLE, CHANGE_TABLE)]
    written.append(_write_geojson(open_data_dir / F_BOUNDARY_OLD, "WD22CD", "WD22NM", out_dir / GEOJSON_OUTPUTS[SET_OLD]))
    written.append(_write_geojson(open_data_dir / F_BOUNDARY_NEW, "WD25CD", "WD25NM", out_dir / GEOJSON_OUTPUTS[SET_NEW]))
    for year, source in (("2011", F_LSOA11_BOUNDARIES), ("2021", F_LSOA21_BOUNDARIES)):  # the ward profiles' LSOA maps
        written.append(_write_geojson(open_data_dir / source, f"LSOA{year[2:]}CD", f"LSOA{year[2:]}NM",
                                      out_dir / LSOA_GEOJSON_OUTPUTS[year], names=("lsoa_code", "lsoa_name")))
    from cityconv.data.postcodes import write_index

    written.append(write_index(open_data_dir, out_dir))  # the postcode finder's offline index
    prov = out_dir / "PROVENANCE.md"
    prov.write_bytes(provenance_text(tables).encode("utf-8"))
    written.append(prov)
    return written
