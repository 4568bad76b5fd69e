"""Ward-level context tables derived from public open data (Census 2011/2021, IMD 2019/2025, boundaries).

Why this module exists: every chapter shows a ward's figures beside Liverpool's, and the numbers must be
traceable. Raw files stay outside the repository (`cityconv.core.paths.shared_open_data_dir`); this module
reads them and writes small, committed, byte-for-byte reproducible tables into `data/context/`
(`cityconv derive-context` calls `derive_all`). `data/context/PROVENANCE.md` is generated here too, so
the documentation can never drift from the code that produced the numbers.

Two ward boundary sets exist: the 30 wards used 2004-2023 ("2004-2023", codes E05000886-E05000915,
Clubmoor = E05000892) and the 64 wards from May 2023 ("2023-"). Liverpool rows use boundary_set "city".
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SET_OLD = "2004-2023"
SET_NEW = "2023-"
SET_CITY = "city"
BOUNDARY_SETS = (SET_OLD, SET_NEW)
CITY_CODE = "E08000012"
CITY_NAME = "Liverpool"
WATERFRONT_NORTH = "E05015332"

# --- raw file names (relative to the open-data folder) -------------------------------------------
F_CENSUS2011 = "census2011_ward_liverpool_GDSL-UL_san_census_data.csv"
F_LOOKUP21 = "liverpool_lsoa21_to_ward_lookup.csv"
F_LOOKUP11 = "liverpool_lsoa11_to_ward17_bestfit_lookup.csv"
F_IMD2019 = "imd2019_lsoa11_liverpool_ranks_deciles.csv"
F_IMD2025 = "imd2025_lsoa21_liverpool_scores_ranks_deciles.csv"
F_BOUNDARY_OLD = "liverpool_wards_WD22_2004-2023_boundaries.geojson"
F_BOUNDARY_NEW = "liverpool_wards_WD25_2023on_boundaries.geojson"
F_LSOA21_BOUNDARIES = "liverpool_lsoa21_boundaries.geojson"
CENSUS_DIR = "census2021_lsoa21_liverpool"


def census_file(table: str) -> str:
    return f"{CENSUS_DIR}/census2021-{table}-lsoa_liverpool.csv"


# --- category definitions (raw Census 2021 labels -> published categories) -----------------------
# Five-year bands in TS007A split at 14/15, not 15/16, so the honest bands are 0-14 and 15-24.
AGE_BANDS: dict[str, list[str]] = {
    "0-14": ["Aged 4 years and under", "Aged 5 to 9 years", "Aged 10 to 14 years"],
    "15-24": ["Aged 15 to 19 years", "Aged 20 to 24 years"],
    "25-34": ["Aged 25 to 29 years", "Aged 30 to 34 years"],
    "35-44": ["Aged 35 to 39 years", "Aged 40 to 44 years"],
    "45-54": ["Aged 45 to 49 years", "Aged 50 to 54 years"],
    "55-64": ["Aged 55 to 59 years", "Aged 60 to 64 years"],
    "65-74": ["Aged 65 to 69 years", "Aged 70 to 74 years"],
    "75+": ["Aged 75 to 79 years", "Aged 80 to 84 years", "Aged 85 years and over"],
}
AGE_BANDS = {band: [f"Age: {label}" for label in labels] for band, labels in AGE_BANDS.items()}

SEX_CATEGORIES: dict[str, list[str]] = {
    "Female": ["Sex: Female; measures: Value"],
    "Male": ["Sex: Male; measures: Value"],
}

ETHNIC_MINORITY = "Ethnic minority (all groups except White)"
ETHNICITY_CATEGORIES: dict[str, list[str]] = {
    "White": ["Ethnic group: White"],
    "Mixed/multiple": ["Ethnic group: Mixed or Multiple ethnic groups"],
    "Asian/Asian British": ["Ethnic group: Asian, Asian British or Asian Welsh"],
    "Black/Black British": ["Ethnic group: Black, Black British, Black Welsh, Caribbean or African"],
    "Other": ["Ethnic group: Other ethnic group"],
}

TENURE_CATEGORIES: dict[str, list[str]] = {
    "Owned outright": ["Tenure of household: Owned: Owns outright"],
    "Owned with mortgage/shared ownership": [
        "Tenure of household: Owned: Owns with a mortgage or loan",
        "Tenure of household: Shared ownership: Shared ownership",
    ],
    "Social rented": [
        "Tenure of household: Social rented: Rents from council or Local Authority",
        "Tenure of household: Social rented: Other social rented",
    ],
    "Private rented": [
        "Tenure of household: Private rented: Private landlord or letting agency",
        "Tenure of household: Private rented: Other private rented",
    ],
    "Rent free": ["Tenure of household: Lives rent free"],
}

POPULATION_COLUMN = "Residence type: Total; measures: Value"  # TS001
HOUSEHOLDS_COLUMN = "Number of households: Number of households; measures: Value"  # TS041

AGE_SEX_METHOD = "estimated: independence of age and sex within ward"
GEOMETRY_DECIMALS = 5
SIMPLIFY_TOLERANCE_DEG = 0.0  # inputs are already ONS "super-generalised"; rounding alone keeps files small

CSV_OUTPUTS = (
    "wards",
    "age",
    "sex",
    "ethnicity",
    "tenure",
    "age_sex",
    "deprivation_lsoa",
    "deprivation_summary",
    "deprivation2025_lsoa",
    "deprivation2025_summary",
)
GEOJSON_OUTPUTS = {SET_OLD: "wards_2004-2023.geojson", SET_NEW: "wards_2023-.geojson"}
LONG_TABLES = ("age", "sex", "ethnicity", "tenure")

SET_ORDER = {SET_OLD: 0, SET_NEW: 1, SET_CITY: 2}


# ================================================================================================
# reading the raw data
# ================================================================================================


def _read_csv(open_data_dir: Path, name: str) -> pd.DataFrame:
    path = Path(open_data_dir) / name
    if not path.exists():
        raise FileNotFoundError(
            f"open data file missing: {path} (see /work/shared/open-data/PROVENANCE.md or set $CITYCONV_OPEN_DATA)"
        )
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"geography code": str})


def _census_lsoa(open_data_dir: Path, table: str, categories: dict[str, list[str]]) -> pd.DataFrame:
    """LSOA 2021 x category counts for one Census table, columns in the published category order."""
    raw = _read_csv(open_data_dir, census_file(table)).set_index("geography code")
    missing = [c for cols in categories.values() for c in cols if c not in raw.columns]
    if missing:
        raise KeyError(f"{census_file(table)}: expected columns not found: {missing}")
    out = pd.DataFrame({cat: raw[cols].sum(axis=1) for cat, cols in categories.items()})
    out.index.name = "lsoa21_code"
    return out.astype("int64")


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


def _aggregate(lsoa: pd.DataFrame, geo: _Geography) -> pd.DataFrame:
    """Sum LSOA rows to wards of both sets plus Liverpool; wards without LSOAs get NaN (missing), not 0."""
    frames = []
    for bset in BOUNDARY_SETS:
        wards = geo.wards[bset]
        grouped = lsoa.groupby(geo.lsoa21_to_ward[bset].reindex(lsoa.index).values).sum()
        agg = grouped.reindex(wards["ward_code"])  # NaN for wards with no LSOA (Waterfront North)
        agg.index = pd.MultiIndex.from_arrays(
            [[bset] * len(wards), wards["ward_code"], wards["ward_name"]],
            names=["boundary_set", "ward_code", "ward_name"],
        )
        frames.append(agg)
    city = lsoa.sum().to_frame().T
    city.index = pd.MultiIndex.from_tuples([(SET_CITY, CITY_CODE, CITY_NAME)], names=frames[0].index.names)
    frames.append(city)
    return pd.concat(frames)


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


def _write_csv(df: pd.DataFrame, path: Path, formats: dict[str, object]) -> Path:
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


def _waterfront_north_neighbours(open_data_dir: Path, geo: _Geography) -> list[str]:
    """2023 wards that received (by best fit) the LSOAs overlapping Waterfront North, for its caveat."""
    from shapely.geometry import shape

    new = json.loads((open_data_dir / F_BOUNDARY_NEW).read_text(encoding="utf-8"))["features"]
    wn = [shape(f["geometry"]) for f in new if f["properties"]["WD25CD"] == WATERFRONT_NORTH]
    path = open_data_dir / F_LSOA21_BOUNDARIES
    if not wn or not path.exists():
        return []
    target = wn[0]
    overlaps = []
    for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geom = shape(f["geometry"])
        share = geom.intersection(target).area / target.area
        if share >= 0.05:
            overlaps.append((share, f["properties"]["LSOA21CD"]))
    ward_of = geo.lsoa21_to_ward[SET_NEW]
    names = dict(zip(geo.wards[SET_NEW]["ward_code"], geo.wards[SET_NEW]["ward_name"]))
    seen: list[str] = []
    for _, code in sorted(overlaps, reverse=True):
        name = names.get(ward_of.get(code, ""), "")
        if name and name not in seen:
            seen.append(name)
    return seen


def _wards_table(open_data_dir: Path, geo: _Geography) -> pd.DataFrame:
    c11 = _read_csv(open_data_dir, F_CENSUS2011).set_index("code")["pop"]
    pop = _census_lsoa(open_data_dir, "ts001", {"population_2021": [POPULATION_COLUMN]})
    hh = _census_lsoa(open_data_dir, "ts041", {"households_2021": [HOUSEHOLDS_COLUMN]})
    counts = pop.join(hh)
    counts["n_lsoa21"] = 1
    agg = _aggregate(counts, geo).reset_index()
    agg["n_lsoa21"] = agg["n_lsoa21"].fillna(0)
    agg["population_2011"] = agg["ward_code"].map(c11).where(agg["boundary_set"] == SET_OLD)
    agg.loc[agg["boundary_set"] == SET_CITY, "population_2011"] = c11.sum()

    neighbours = _waterfront_north_neighbours(open_data_dir, geo)
    old_caveat = (
        "2011: official Census 2011 ward figure. 2021: sum of Census 2021 LSOAs assigned by best fit "
        "(LSOA 2011 -> ward 2017 lookup); counts approximate, shares reliable."
    )
    new_caveat = (
        "2021: sum of Census 2021 LSOAs assigned by ONS LSOA 2021 -> ward 2024 best fit; counts approximate, "
        "shares reliable. No 2011 figure for these boundaries."
    )
    wn_caveat = (
        "No LSOA best-fits to this ward in ONS's lookup, so no Census 2021 figures can be derived (missing, not zero); "
        "its residents are counted in neighbouring wards"
        + (f" (mainly {' and '.join(neighbours[:2])})" if neighbours else "")
        + "."
    )
    city_caveat = (
        "Liverpool (E08000012): 2011 = sum of the 30 official ward figures; 2021 = sum of all Liverpool LSOAs."
    )
    agg["caveat"] = np.select(
        [agg["ward_code"] == WATERFRONT_NORTH, agg["boundary_set"] == SET_OLD, agg["boundary_set"] == SET_NEW],
        [wn_caveat, old_caveat, new_caveat],
        default=city_caveat,
    )
    cols = [
        "boundary_set",
        "ward_code",
        "ward_name",
        "population_2011",
        "population_2021",
        "households_2021",
        "n_lsoa21",
        "caveat",
    ]
    return _sort(agg[cols])


def _census_long_tables(open_data_dir: Path, geo: _Geography) -> dict[str, pd.DataFrame]:
    specs = {
        "age": ("ts007a", AGE_BANDS),
        "sex": ("ts008", SEX_CATEGORIES),
        "ethnicity": ("ts021", ETHNICITY_CATEGORIES),
        "tenure": ("ts054", TENURE_CATEGORIES),
    }
    out: dict[str, pd.DataFrame] = {}
    wide: dict[str, pd.DataFrame] = {}
    for name, (table, cats) in specs.items():
        agg = _aggregate(_census_lsoa(open_data_dir, table, cats), geo)
        wide[name] = agg
        extra = None
        order = list(cats)
        if name == "ethnicity":
            extra = {ETHNIC_MINORITY: agg.sum(axis=1, min_count=1) - agg["White"]}
            order.append(ETHNIC_MINORITY)
        out[name] = _order_categories(_to_long(agg, extra), order)
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


def _write_geojson(src: Path, code_key: str, name_key: str, path: Path) -> Path:
    """Ward code + name only, coordinates rounded to 1e-5 degrees (about 1 m); one feature per line."""
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
            "properties": {"ward_code": f["properties"][code_key], "ward_name": f["properties"][name_key]},
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

OVERLAPS = "ward_overlaps"
OVERLAP_METHOD = (
    "Each Census 2021 neighbourhood (LSOA) is assigned by best fit to one ward of each boundary set; the "
    "residents of the LSOAs a ward shares with a ward of the other set, divided by the ward's residents, "
    "give the share of its population that ward holds."
)
OVERLAP_CAVEAT = (
    "Approximate: a neighbourhood that straddles a boundary counts wholly in one ward, so a share can be off "
    "by about one neighbourhood (roughly 1,500 residents), and a ward that takes only a sliver of another may "
    "not appear at all. Waterfront North has no neighbourhood of its own in ONS's best fit, so it has no "
    "overlaps here; its residents are counted with the wards around it."
)


def _overlaps(open_data_dir: Path, geo: _Geography) -> pd.DataFrame:
    """Both directions: for each ward, the wards of the other set holding its residents, and their share."""
    pop = _census_lsoa(open_data_dir, "ts001", {"population_2021": [POPULATION_COLUMN]})["population_2021"]
    lsoa = pd.DataFrame({
        SET_OLD: geo.lsoa21_to_ward[SET_OLD].reindex(pop.index),
        SET_NEW: geo.lsoa21_to_ward[SET_NEW].reindex(pop.index),
        "population_2021": pop,
    })
    if lsoa[[SET_OLD, SET_NEW]].isna().any().any():
        raise ValueError(f"{F_LOOKUP21}: some Liverpool LSOA 2021 has no ward in one of the boundary sets")
    names = {code: name for bset in BOUNDARY_SETS for code, name in geo.wards[bset].itertuples(index=False)}
    frames = []
    for source, target in ((SET_OLD, SET_NEW), (SET_NEW, SET_OLD)):
        cross = lsoa.groupby([source, target]).agg(n_lsoa21=("population_2021", "size"),
                                                   population_2021=("population_2021", "sum")).reset_index()
        totals = cross.groupby(source)["population_2021"].transform("sum")
        frames.append(pd.DataFrame({
            "boundary_set": source, "ward_code": cross[source], "ward_name": cross[source].map(names),
            "other_boundary_set": target, "other_ward_code": cross[target],
            "other_ward_name": cross[target].map(names), "n_lsoa21": cross["n_lsoa21"],
            "population_2021": cross["population_2021"], "share": cross["population_2021"] / totals,
        }))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["ward_code", "share", "other_ward_code"], ascending=[True, False, True], kind="mergesort")
    return _sort(out)


def load_overlaps(context_dir: Path, ward_code: str | None, other_ward_code: str | None = None) -> pd.DataFrame:
    """Rows of `ward_overlaps.csv` for one ward (the other set's wards holding its residents, largest
    first), or with `other_ward_code` the reverse rows: wards whose residents partly live in that ward."""
    path = Path(context_dir) / f"{OVERLAPS}.csv"
    if not path.exists():
        return pd.DataFrame()
    df = pd.read_csv(path, dtype={"ward_code": str, "other_ward_code": str})
    keep = df["ward_code"] == ward_code if other_ward_code is None else df["other_ward_code"] == other_ward_code
    return df[keep].reset_index(drop=True)


# ================================================================================================
# public API
# ================================================================================================

_I = _fmt_int
_F1 = _fmt_float(1)
_F4 = _fmt_float(4)
CSV_FORMATS: dict[str, dict[str, object]] = {
    "wards": {"population_2011": _I, "population_2021": _I, "households_2021": _I, "n_lsoa21": _I},
    **{name: {"count": _I, "share": _F4} for name in LONG_TABLES},
    "age_sex": {"count_estimated": _F1, "share_estimated": _F4},
    "deprivation_lsoa": {"imd2019_rank": _I, "imd2019_decile": _I, "imd2025_decile": _I},
    "deprivation_summary": {"imd_decile": _I, "n_lsoa": _I},
    "deprivation2025_lsoa": {"imd2025_rank": _I, "imd2025_decile": _I},
    "deprivation2025_summary": {"imd_decile": _I, "n_lsoa": _I},
    OVERLAPS: {"n_lsoa21": _I, "population_2021": _I, "share": _F4},
}


def derive_tables(open_data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every context CSV as a DataFrame (unformatted), keyed by output name; useful for tests and notebooks."""
    open_data_dir = Path(open_data_dir)
    geo = _load_geography(open_data_dir)
    tables = {"wards": _wards_table(open_data_dir, geo)}
    tables.update(_census_long_tables(open_data_dir, geo))
    tables.update(_deprivation(open_data_dir, geo))
    tables[OVERLAPS] = _overlaps(open_data_dir, geo)
    return tables


def derive_all(open_data_dir: Path, out_dir: Path) -> list[Path]:
    """Re-derive every file in data/context/ from the raw open data; returns the paths written.

    Deterministic: fixed row order, fixed float formatting, '\\n' line endings, no timestamps.
    """
    open_data_dir, out_dir = Path(open_data_dir), Path(out_dir)
    tables = derive_tables(open_data_dir)
    written = [_write_csv(tables[name], out_dir / f"{name}.csv", CSV_FORMATS[name]) for name in (*CSV_OUTPUTS, OVERLAPS)]
    written.append(_write_geojson(open_data_dir / F_BOUNDARY_OLD, "WD22CD", "WD22NM", out_dir / GEOJSON_OUTPUTS[SET_OLD]))
    written.append(_write_geojson(open_data_dir / F_BOUNDARY_NEW, "WD25CD", "WD25NM", out_dir / GEOJSON_OUTPUTS[SET_NEW]))
    prov = out_dir / "PROVENANCE.md"
    prov.write_bytes(provenance_text(tables).encode("utf-8"))
    written.append(prov)
    return written


class UnknownWardError(KeyError):
    """An unknown ward code or name; the message carries difflib's "did you mean ...?" suggestions."""

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return str(self.args[0]) if self.args else ""


def ward_index(context_dir: Path) -> pd.DataFrame:
    """Code, name and boundary set of every ward (both sets) plus Liverpool, from data/context/wards.csv."""
    wards = pd.read_csv(Path(context_dir) / "wards.csv", dtype=str, keep_default_na=False)
    return wards[["ward_code", "ward_name", "boundary_set"]].rename(columns={"ward_code": "code", "ward_name": "name"})


def resolve_ward(context_dir: Path, code_or_name: str, boundary_set: str | None = None) -> tuple[str, str, str]:
    """Accept a ward code or a case-insensitive name from either boundary set -> (code, name, boundary_set).

    Some names exist in both sets (e.g. Anfield); then `boundary_set` chooses, defaulting to 2004-2023,
    the wards of the City Conversation. Near misses raise UnknownWardError with suggestions.
    """
    index = ward_index(context_dir)
    if boundary_set is not None:
        index = index[index["boundary_set"].isin([boundary_set, SET_CITY])]
    query = str(code_or_name).strip()
    hit = index[index["code"].str.upper() == query.upper()]
    if hit.empty:
        norm = _norm_name(query)
        hit = index[index["name"].map(_norm_name) == norm]
    if not hit.empty:
        hit = hit.assign(_o=hit["boundary_set"].map(SET_ORDER)).sort_values("_o")
        row = hit.iloc[0]
        return row["code"], row["name"], row["boundary_set"]
    candidates = list(index["name"]) + list(index["code"])
    by_norm = {_norm_name(c): c for c in candidates}
    norm = _norm_name(query)
    partial = [c for c in by_norm if norm and (c.startswith(norm) or f" {norm}" in c)] if len(norm) >= 3 else []
    close = list(dict.fromkeys(partial[:3] + difflib.get_close_matches(norm, list(by_norm), n=3, cutoff=0.6)))[:4]
    hint = f"; did you mean {', '.join(repr(by_norm[c]) for c in close)}?" if close else ""
    raise UnknownWardError(f"unknown ward {code_or_name!r} (not a Liverpool ward code or name{hint})")


def _norm_name(name: str) -> str:
    """Case-, apostrophe- and '&'/'and'-insensitive form, so "St Michaels" finds "St Michael's"."""
    text = str(name).lower().replace("&", " and ").replace("'", "").replace("’", "")
    return " ".join(text.replace("-", " ").split())


def schema_path(name: str) -> Path:
    """The frictionless Table Schema of one context CSV (shipped inside the package)."""
    return Path(__file__).parent / "schemas" / "context" / f"{name}.schema.json"


def _integer_columns(name: str) -> list[str]:
    path = schema_path(name)
    if not path.exists():
        return []
    fields = json.loads(path.read_text(encoding="utf-8"))["fields"]
    return [f["name"] for f in fields if f["type"] == "integer"]


@dataclass
class WardContext:
    """One ward's context tables, each holding the ward's rows followed by the Liverpool rows for comparison."""

    ward_code: str
    ward_name: str
    boundary_set: str
    wards: pd.DataFrame
    age: pd.DataFrame
    sex: pd.DataFrame
    ethnicity: pd.DataFrame
    tenure: pd.DataFrame
    age_sex: pd.DataFrame
    deprivation_lsoa: pd.DataFrame
    deprivation_summary: pd.DataFrame
    deprivation2025_lsoa: pd.DataFrame = field(default_factory=pd.DataFrame)
    deprivation2025_summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def caveat(self) -> str:
        row = self.wards[self.wards["ward_code"] == self.ward_code]
        return "" if row.empty else str(row["caveat"].iloc[0])


def load_context(context_dir: Path, ward_code: str, boundary_set: str | None = None) -> WardContext:
    """Read data/context/ for one ward (code, or name via resolve_ward) plus the Liverpool rows."""
    context_dir = Path(context_dir)
    code, name, bset = resolve_ward(context_dir, ward_code, boundary_set)
    frames = {}
    for table in CSV_OUTPUTS:
        path = context_dir / f"{table}.csv"
        if not path.exists():
            frames[table] = pd.DataFrame()
            continue
        df = pd.read_csv(path, dtype={"ward_code": str, "lsoa_code": str})
        for col in _integer_columns(table):  # keep counts integer even where a ward has missing values
            if col in df:
                df[col] = df[col].astype("Int64")
        keep = ((df["ward_code"] == code) & (df["boundary_set"] == bset)) | (df["boundary_set"] == SET_CITY)
        frames[table] = df[keep].reset_index(drop=True)
    return WardContext(ward_code=code, ward_name=name, boundary_set=bset, **frames)



# ================================================================================================
# PROVENANCE.md (generated, so it always matches the code and the numbers)
# ================================================================================================

_SOURCES = {
    "census2021": (
        "`census2021_lsoa21_liverpool/census2021-{ts001,ts007a,ts008,ts021,ts041,ts054}-lsoa_liverpool.csv` -- "
        "iyy18/ELT_and_Analysis @ 5bfb81cc283d5be001a57fa422ce1768f50f6c24 : data/census2021-tsNNN-lsoa.csv; "
        "ONS Census 2021 bulk topic summaries (nomisweb), Liverpool rows only; OGL v3"
    ),
    "lookup21": (
        "`liverpool_lsoa21_to_ward_lookup.csv` -- built from humaniverse/geographr @ c026be5c "
        "(lookup_lsoa11_lsoa21_ltla22, lookup_lsoa11_ward17, lookup_lsoa21_ward24_ltla24); ONS Open Geography "
        "Portal lookups, OGL v3. WD22CD column: LSOA21 -> LSOA11 -> ward 2017 best fit (derived upstream); "
        "WD24CD column: ONS's own LSOA21 -> ward 2024 best fit"
    ),
    "lookup11": (
        "`liverpool_lsoa11_to_ward17_bestfit_lookup.csv` -- humaniverse/geographr @ c026be5c : "
        "data/lookup_lsoa11_ward17.rda; ONS LSOA (2011) to Electoral Ward (2017) lookup, OGL v3"
    ),
    "census2011": (
        "`census2011_ward_liverpool_GDSL-UL_san_census_data.csv` (column `pop`) -- GDSL-UL/san @ "
        "593698e071520d350ef3da9328000d4fcff80494 : data/census/census_data.csv; ONS Census 2011 ward figures "
        "(OGL); the repository itself has no licence file (University of Liverpool course material)"
    ),
    "imd2019": (
        "`imd2019_lsoa11_liverpool_ranks_deciles.csv` -- cwthom/hack25usefuldata @ ac00fc57 : "
        "data/iod2019_eng.rda; MHCLG English Indices of Deprivation 2019 (File 2), OGL v3"
    ),
    "imd2025": (
        "`imd2025_lsoa21_liverpool_scores_ranks_deciles.csv` -- humaniverse/IMD @ 2f6c9050 : "
        "data/imd2025_england_lsoa21.rda; MHCLG English Indices of Deprivation 2025 (LSOA 2021), OGL v3"
    ),
    "boundary_old": (
        "`liverpool_wards_WD22_2004-2023_boundaries.geojson` -- drkane/geo-lookups @ "
        "d23350ed68f1022c89fc773f31b81423acc769ad : boundaries/ward/E08000012.geojson; ONS Wards (December "
        "2022) super-generalised boundaries, CRS84; OGL v3, contains OS data (c) Crown copyright"
    ),
    "boundary_new": (
        "`liverpool_wards_WD25_2023on_boundaries.geojson` -- drkane/geo-lookups @ "
        "e20a072d5fc0918437abaa3622be63f40b71d9dd : boundaries/ward/E08000012.geojson; ONS Wards (2025) "
        "boundaries, 64 wards, CRS84; OGL v3, contains OS data (c) Crown copyright"
    ),
    "lsoa21_boundaries": (
        "`liverpool_lsoa21_boundaries.geojson` -- drkane/geo-lookups @ e20a072d : "
        "boundaries/lsoa/E08000012.geojson; ONS boundaries, OGL v3 (used only to name the wards that "
        "absorb Waterfront North's residents in its caveat)"
    ),
}


def provenance_text(tables: dict[str, pd.DataFrame]) -> str:
    """data/context/PROVENANCE.md: sources, methods, caveats, licence and the re-derivation command."""
    wards = tables["wards"]
    n_old = int((wards["boundary_set"] == SET_OLD).sum())
    n_new = int((wards["boundary_set"] == SET_NEW).sum())
    city = wards[wards["boundary_set"] == SET_CITY].iloc[0]
    wn = wards[wards["ward_code"] == WATERFRONT_NORTH].iloc[0]
    src = _SOURCES

    def bullets(*keys: str) -> str:
        return "\n".join(f"- {src[k]}" for k in keys)

    def cats(d) -> str:
        return "\n".join(f"  - `{c}` = " + " + ".join(f"`{r}`" for r in raw) for c, raw in d.items())

    age_cats = {b: [r.removeprefix("Age: ") for r in raw] for b, raw in AGE_BANDS.items()}
    return f"""# Provenance of `data/context/`

Generated by `cityconv.data.context.derive_all` -- do not edit by hand. Re-derive with:

```
cityconv derive-context
```

(reads the raw open data from `../shared/open-data` beside the repository, or from `$CITYCONV_OPEN_DATA`;
raw files are never copied into the repository). Re-running reproduces every file here byte for byte:
rows are in a fixed order (boundary set, ward code, category), numbers have fixed formatting, line endings
are `\\n` and nothing carries a timestamp.

## Licence and attribution

Contains public sector information licensed under the Open Government Licence v3.0.
Contains OS data © Crown copyright and database right.
Source: Office for National Statistics (Census 2011, Census 2021, ONS Open Geography Portal) and
Ministry of Housing, Communities and Local Government (English Indices of Deprivation 2019 and 2025).

## Geography: boundary sets and codes

- `boundary_set` = `"{SET_OLD}"`: the {n_old} Liverpool wards used from 2004 to May 2023 (codes E05000886-E05000915;
  Clubmoor = E05000892). Liverpool's wards did not change between 2004 and 2023, so the ONS 2017/2022 ward
  codes describe them.
- `boundary_set` = `"{SET_NEW}"`: the {n_new} wards in use since the May 2023 election (ONS WD24/WD25 codes, E05015277-E05015340).
- `boundary_set` = `"{SET_CITY}"`: Liverpool as a whole (`{CITY_CODE}`, "{CITY_NAME}"), for comparison beside every ward.

**Best fit.** Census 2021 figures exist for LSOAs (Lower layer Super Output Areas, ~1,500 residents), not for
these wards. Ward figures are the sum of the LSOAs whose population-weighted centroid lies in the ward
("best fit"). An LSOA that straddles a ward boundary is counted wholly in one ward, so ward counts are
approximate (typically a few hundred people out); shares (percentages) are much more reliable. The
{SET_OLD} wards use the LSOA 2021 -> LSOA 2011 -> ward 2017 best fit; the {SET_NEW} wards use ONS's own LSOA
2021 -> ward 2024 best fit.

**Waterfront North ({WATERFRONT_NORTH}).** ONS's best fit assigns no LSOA to this new ward, so it has no
Census 2021 figures. It is still listed everywhere, with empty (missing, not zero) counts and shares and
this caveat: "{wn["caveat"]}"

**Census disclosure control.** ONS perturbs Census 2021 counts slightly (cell key method), so totals differ
a little between tables (Liverpool: TS001 {int(city["population_2021"]):,} residents, TS008 and TS007A slightly
fewer). Every share is computed within its own table, over the sum of that table's categories.

## `wards.csv`

One row per ward of each boundary set plus Liverpool.
Columns: boundary_set, ward_code, ward_name, population_2011, population_2021, households_2021, n_lsoa21, caveat.

- `population_2011`: official Census 2011 ward population (column `pop`); empty for the {SET_NEW} wards,
  which did not exist. Liverpool = sum of the 30 wards = {int(city["population_2011"]):,}.
- `population_2021`: TS001 "Residence type: Total" summed over the ward's best-fit LSOAs. Liverpool = {int(city["population_2021"]):,}.
- `households_2021`: TS041 "Number of households" summed the same way (TS054's household total differs
  slightly because of perturbation).
- `n_lsoa21`: number of LSOA 2021 assigned to the ward (0 for Waterfront North; 302 for Liverpool).
- `caveat`: plain-language caveat to print beside the ward's figures.

Sources:
{bullets("census2011", "census2021", "lookup21")}

## `age.csv`, `sex.csv`, `ethnicity.csv`, `tenure.csv`

Long format: boundary_set, ward_code, ward_name, category, count, share (share within ward, 4 d.p.).
Counts are best-fit sums of LSOA 2021 rows (approximate; see above); Liverpool = sum of all LSOAs.

- `age.csv` (TS007A, usual residents). The Census five-year bands split at 14/15, not 15/16, so the
  honest bands are `0-14` and `15-24` (not 0-15/16-24); the others are as requested:
{cats(age_cats)}
- `sex.csv` (TS008): `Female`, `Male`.
- `ethnicity.csv` (TS021, broad groups, which sum to the total):
{cats(ETHNICITY_CATEGORIES)}
  - `{ETHNIC_MINORITY}` = total - `White`, derived; its share is the complement of White's. It is an
    extra row, so **only the five broad groups sum to 1**. Note that White minorities (White Irish, Gypsy or
    Irish Traveller, Roma, Other White) are inside `White`. The book uses "BAME" only when quoting the
    published slide.
- `tenure.csv` (TS054, households):
{cats(TENURE_CATEGORIES)}
  (there is no separate "other" tenure in TS054; "Other private rented" is inside `Private rented`).

Sources:
{bullets("census2021", "lookup21")}

## `age_sex.csv` -- ESTIMATED, not observed

**The supplied Census 2021 LSOA tables contain no cross-tabulation of sex by age.** This table is an
estimate that assumes age and sex are independent within each ward:
`count_estimated` = ward age-band count (TS007A) x ward female (or male) share (TS008);
`share_estimated` = count_estimated / ward age total, so the 16 cells of a ward sum to 1. Every row says
`method` = "{AGE_SEX_METHOD}". The assumption is wrong in known ways -- women outnumber men at 75+, and
student-heavy wards skew at 15-24 -- so use it only for an indicative population pyramid, label it as
estimated, and never present it as observed. Columns: boundary_set, ward_code, ward_name, age_band, sex,
count_estimated (1 d.p.), share_estimated (4 d.p.), method.

Sources: as for `age.csv` and `sex.csv`.

## `deprivation_lsoa.csv`, `deprivation_summary.csv` (IMD 2019)

IMD 2019 ranks (1 = most deprived of 32,844 LSOAs in England) and deciles (1 = most deprived 10%) exist for
LSOA **2011**, so rows list LSOA 2011 (`lsoa_code`, `lsoa_name`).
Columns: boundary_set, ward_code, ward_name, lsoa_code, lsoa_name, imd2019_rank, imd2019_decile, imd2025_decile, note.

- {SET_OLD} wards: ONS LSOA 2011 -> ward 2017 best fit; each of the 298 LSOAs appears once.
- {SET_NEW} wards: each LSOA 2021's ONS ward 2024 best fit is carried to its LSOA 2011 parent(s) (lookup
  column `lsoa11_codes`). Unchanged LSOAs (286) map one to one. **Merged** LSOAs (two 2011 LSOAs forming one
  2021 LSOA; 3 cases) list both 2011 parents under the 2021 LSOA's ward, each with its own IMD 2019 value.
  **Split** LSOAs (one 2011 LSOA divided into 2021 LSOAs; 6 parents) are listed under the ward(s) of their
  2021 children; when the children fall in different 2023 wards (2 cases) the parent is listed under each
  (see `note`), so summing the {SET_NEW} wards counts it twice. No IMD 2019 value is invented or averaged.
- `imd2025_decile` is filled only where the LSOA is unchanged between 2011 and 2021 (same code and area);
  for split/merged LSOAs it is empty and `note` names the 2021 successor(s). Use `deprivation2025_lsoa.csv`
  for IMD 2025 on its own geography.
- No Liverpool rows in the LSOA listing (it would repeat every LSOA).

`deprivation_summary.csv`: boundary_set, ward_code, ward_name, imd_decile, n_lsoa -- the number of the ward's
listed LSOA 2011 in each IMD 2019 decile, all ten deciles listed (0 where none). n_lsoa sums to the ward's
row count in `deprivation_lsoa.csv`. Waterfront North has empty counts. Liverpool = all 298 LSOA 2011.

Sources:
{bullets("imd2019", "lookup11", "lookup21", "imd2025")}

## `deprivation2025_lsoa.csv`, `deprivation2025_summary.csv` (IMD 2025)

IMD 2025 on LSOA 2021 (302 LSOAs), assigned to wards by the same best-fit lookups as the Census tables.
Columns: boundary_set, ward_code, ward_name, lsoa_code, lsoa_name, imd2025_rank, imd2025_decile; and the
summary has the same columns as `deprivation_summary.csv`. Liverpool summary = all 302 LSOA 2021.
IMD 2019 and 2025 ranks are each relative to England in their own year: compare deciles, not ranks, and
expect some LSOAs to move because of method changes as well as real change.

Sources:
{bullets("imd2025", "lookup21")}

## `wards_2004-2023.geojson`, `wards_2023-.geojson`

One feature per ward, properties `ward_code` and `ward_name` only, sorted by code, CRS84 (longitude,
latitude). Coordinates are rounded by our code to {GEOMETRY_DECIMALS} decimal places (about 1 m) and repeated
points dropped; no further simplification (tolerance {SIMPLIFY_TOLERANCE_DEG}), because the ONS inputs are
already generalised and the rounded files are well under 150 KB. For maps, not for measuring areas.

Sources:
{bullets("boundary_old", "boundary_new")}

The Waterfront North caveat's "mainly ..." wards come from overlaying {src["lsoa21_boundaries"].split(" -- ")[0]}
on the ward boundary (LSOAs covering at least 5% of the ward, by area).

## `ward_overlaps.csv` (the May 2023 boundary change)

For every ward of each boundary set, the wards of the other set that hold some of its residents.
Columns: boundary_set, ward_code, ward_name, other_boundary_set, other_ward_code, other_ward_name, n_lsoa21,
population_2021, share. Rows of one ward are largest share first; both directions are listed, so each
ward's shares sum to 1 (within rounding to 4 d.p.).

Method: {OVERLAP_METHOD}

Caveat: {OVERLAP_CAVEAT}

Sources:
{bullets("census2021", "lookup21")}

## Table Schemas

Each CSV has a frictionless Table Schema in `src/cityconv/data/schemas/context/<name>.schema.json`.
"""
