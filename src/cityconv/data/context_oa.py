"""Census 2021 ward figures built from output areas (OAs), the way ONS builds ward figures.

Why: a ward figure summed from whole LSOAs assigned by best fit is off by up to half a ward where LSOAs
straddle ward boundaries. Output areas (about 125 households each) nest in LSOAs and are placed in wards
by their reference point, which reproduces the official 2011 ward totals exactly (see
../shared/open-data/census-oa/PROVENANCE.md). So:

- a table published at OA level is summed over the ward's OAs: method "exact";
- a table published only at LSOA level (age TS007A, ethnic group TS021, household composition TS003) is
  split across wards by the LSOA's OAs' population (or households, for household tables): method
  "modelled", or "exact" for a ward whose every contributing LSOA lies wholly inside it.

`OaGeography` holds the lookups; `ward_sums` and `ward_splits` turn OA or LSOA tables into ward tables
carrying their method. Indicator definitions and the tidy indicator table live in
`cityconv.data.context_indicators`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cityconv.data.context import (
    BOUNDARY_SETS,
    CITY_CODE,
    CITY_NAME,
    HOUSEHOLDS_COLUMN,
    METHOD_EXACT,
    METHOD_MODELLED,
    POPULATION_COLUMN,
    SET_CITY,
    SET_NEW,
    SET_OLD,
    census_file,
)

OA_DIR = "census-oa/census2021_oa21"
F_OA_WARD_LOOKUP = "census-oa/lookups/liverpool_oa21_to_ward_lookup_DERIVED.csv"
F_LSOA11_LSOA21 = "census-oa/lookups/liverpool_lsoa11_to_lsoa21_lookup_geographr.csv"
F_SAPE_2020 = "census-oa/sape/ons_sape_mid2020_wards2019_liverpool_totals.csv"
F_ENGLAND = "census-oa/national/census2021_england_totals.csv"
CENSUS2011_DIR = "census-oa/census2011_lsoa11_cdrc"
#: Count tables ONS publishes for OAs that the open-data snapshot holds (PROVENANCE section 1; TS006,
#: a density, cannot be summed and is left out).
OA_TABLES = frozenset(
    "ts001 ts002 ts004 ts008 ts011 ts015 ts016 ts017 ts018 ts019 ts020 ts023 ts025 ts026 ts027 ts029 "
    "ts030 ts037 ts038 ts039 ts040 ts041 ts044 ts045 ts046 ts050 ts051 ts052 ts053 ts054 ts055 ts056 ts058 "
    "ts059 ts061 ts062 ts063 ts065 ts067 ts068 ts075".split()
)
#: Household tables split by households rather than residents when modelled from LSOAs.
HOUSEHOLD_TABLES = frozenset({"ts003", "ts011", "ts041", "ts044", "ts045", "ts046", "ts050", "ts051", "ts052",
                              "ts053", "ts054", "ts017", "ts023", "ts025", "ts026", "ts040", "ts075"})
WARD_COLUMNS = {SET_OLD: ("WD22CD", "WD22NM"), SET_NEW: ("WD25CD", "WD25NM")}


def oa_file(table: str) -> str:
    return f"{OA_DIR}/census2021-{table.lower()}-oa_liverpool.csv"


def census2011_file(table: str) -> str:
    return f"{CENSUS2011_DIR}/E08000012_{table}.csv"


def read_open_csv(open_data_dir: Path, name: str, **kwargs) -> pd.DataFrame:
    """A raw open-data CSV; a missing file is one clear line naming it and where the data should be."""
    path = Path(open_data_dir) / name
    if not path.exists():
        raise FileNotFoundError(
            f"open data file missing: {path} (see ../shared/open-data/PROVENANCE.md and census-oa/PROVENANCE.md, "
            "or set $CITYCONV_OPEN_DATA)"
        )
    return pd.read_csv(path, encoding="utf-8-sig", **kwargs)


def _clean_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Nomis headers carry '; measures: Value' and, in TS062, line breaks; keep one canonical form."""
    frame.columns = [" ".join(str(c).replace("; measures: Value", "").split()) for c in frame.columns]
    return frame


@dataclass
class OaGeography:
    """Every Liverpool OA21 with its LSOA21, its ward in both sets, residents and households."""

    oa: pd.DataFrame  # index OA21CD; columns lsoa21, 2004-2023, 2023-, population, households
    wards: dict[str, pd.DataFrame]  # boundary set -> ward_code, ward_name sorted by code

    @property
    def lsoas(self) -> pd.Index:
        return pd.Index(sorted(self.oa["lsoa21"].unique()), name="lsoa21_code")

    def weights(self, table: str) -> pd.Series:
        """The OA weight used to split an LSOA count: households for household tables, else residents."""
        return self.oa["households" if table.lower() in HOUSEHOLD_TABLES else "population"]

    def unit_ward_shares(self, bset: str, unit_of_oa: pd.Series, weight: pd.Series) -> pd.DataFrame:
        """Rows (unit, ward_code, share): the part of each unit's (LSOA's, block's) OA weight in each ward."""
        frame = pd.DataFrame({"unit": unit_of_oa.to_numpy(), "ward_code": self.oa[bset].to_numpy(),
                              "w": weight.to_numpy()})
        cross = frame.groupby(["unit", "ward_code"])["w"].sum().reset_index()
        total = cross.groupby("unit")["w"].transform("sum")
        n_wards = cross.groupby("unit")["ward_code"].transform("size")
        # A unit with no weight at all is split evenly; a unit in one ward is wholly there.
        cross["share"] = np.where(total > 0, cross["w"] / total.where(total > 0, 1), 1 / n_wards)
        return cross[["unit", "ward_code", "share"]]


def load_oa_geography(open_data_dir: Path) -> OaGeography:
    lookup = read_open_csv(open_data_dir, F_OA_WARD_LOOKUP, dtype=str).set_index("OA21CD")
    pop = _clean_columns(read_open_csv(open_data_dir, oa_file("ts001"), dtype={"geography code": str}))
    hh = _clean_columns(read_open_csv(open_data_dir, oa_file("ts041"), dtype={"geography code": str}))
    oa = pd.DataFrame({
        "lsoa21": lookup["LSOA21CD"],
        SET_OLD: lookup["WD22CD"],
        SET_NEW: lookup["WD25CD"],
    })
    oa["population"] = pop.set_index("geography code")[_clean(POPULATION_COLUMN)].reindex(oa.index)
    oa["households"] = hh.set_index("geography code")[_clean(HOUSEHOLDS_COLUMN)].reindex(oa.index)
    problems = [f"{F_OA_WARD_LOOKUP}: OA {code} has no {col}" for col in oa.columns
                for code in oa.index[oa[col].isna()]]
    if problems:
        raise ValueError("\n".join(problems[:20]))
    wards = {}
    for bset, (code_col, name_col) in WARD_COLUMNS.items():
        wards[bset] = (lookup[[code_col, name_col]].drop_duplicates()
                       .rename(columns={code_col: "ward_code", name_col: "ward_name"})
                       .sort_values("ward_code", ignore_index=True))
    return OaGeography(oa=oa.sort_index(), wards=wards)


def _clean(column: str) -> str:
    return " ".join(column.replace("; measures: Value", "").split())


def oa_table(open_data_dir: Path, table: str) -> pd.DataFrame:
    """OA21 x Nomis column counts of one Census 2021 table published at OA level."""
    raw = _clean_columns(read_open_csv(open_data_dir, oa_file(table), dtype={"geography code": str}))
    return raw.set_index("geography code").rename_axis("oa21_code")


def lsoa_table(open_data_dir: Path, table: str) -> pd.DataFrame:
    """LSOA21 x Nomis column counts of one Census 2021 table (every table exists at LSOA level)."""
    raw = _clean_columns(read_open_csv(open_data_dir, census_file(table.lower()), dtype={"geography code": str}))
    raw = raw.drop(columns=[c for c in ("date", "geography") if c in raw.columns])
    return raw.set_index("geography code").rename_axis("lsoa21_code")


@dataclass
class WardTable:
    """Ward x column figures for both boundary sets plus Liverpool, and each ward's method."""

    values: pd.DataFrame  # index (boundary_set, ward_code); columns as the source table
    method: pd.Series  # same index: METHOD_EXACT or METHOD_MODELLED
    detail: str  # how the figures were built, in one sentence


def _city_index(values: pd.DataFrame) -> pd.DataFrame:
    values.index = pd.MultiIndex.from_tuples([(SET_CITY, CITY_CODE)], names=["boundary_set", "ward_code"])
    return values


def ward_sums(oa_values: pd.DataFrame, geo: OaGeography) -> WardTable:
    """Sum an OA table to every ward of both sets (exact) and to Liverpool."""
    frames = []
    oa_values = oa_values.reindex(geo.oa.index)
    for bset in BOUNDARY_SETS:
        summed = oa_values.groupby(geo.oa[bset]).sum().reindex(geo.wards[bset]["ward_code"], fill_value=0)
        summed.index = pd.MultiIndex.from_product([[bset], summed.index], names=["boundary_set", "ward_code"])
        frames.append(summed)
    frames.append(_city_index(oa_values.sum().to_frame().T))
    values = pd.concat(frames)
    methods = pd.Series(METHOD_EXACT, index=values.index)
    return WardTable(values, methods, "sum of the ward's Census 2021 output areas")


def ward_splits(lsoa_values: pd.DataFrame, geo: OaGeography, weight: pd.Series, weight_name: str) -> WardTable:
    """Split each LSOA's counts across wards by its OAs' `weight` shares (modelled unless whole)."""
    detail = (f"each LSOA's Census 2021 counts split across wards by its output areas' {weight_name}; exact "
              "where every LSOA touching the ward lies wholly inside it")
    return split_units(lsoa_values.reindex(geo.lsoas).fillna(0), geo.oa["lsoa21"], geo, weight, detail)


def split_units(values: pd.DataFrame, unit_of_oa: pd.Series, geo: OaGeography, weight: pd.Series,
                detail: str) -> WardTable:
    """Counts of units made of whole OAs (LSOAs, or LSOA 2011/2021 blocks) split to the wards of both sets
    by their OAs' weights; a ward is modelled where any unit touching it is split, else exact."""
    frames, methods = [], []
    for bset in BOUNDARY_SETS:
        shares = geo.unit_ward_shares(bset, unit_of_oa, weight)
        parts = values.reindex(shares["unit"]).fillna(0).mul(shares["share"].to_numpy(), axis=0)
        parts.index = shares["ward_code"]
        summed = parts.groupby(level=0).sum().reindex(geo.wards[bset]["ward_code"], fill_value=0)
        split = shares.loc[shares["share"] < 1, "ward_code"].unique()
        method = pd.Series(np.where(summed.index.isin(split), METHOD_MODELLED, METHOD_EXACT), index=summed.index)
        idx = pd.MultiIndex.from_product([[bset], summed.index], names=["boundary_set", "ward_code"])
        summed.index, method.index = idx, idx
        frames.append(summed)
        methods.append(method)
    frames.append(_city_index(values.sum().to_frame().T))
    values = pd.concat(frames)
    methods.append(pd.Series(METHOD_EXACT, index=values.index[-1:]))
    return WardTable(values, pd.concat(methods), detail)


def ward_table(open_data_dir: Path, table: str, geo: OaGeography) -> WardTable:
    """A Census 2021 table for every ward: OA sums where the OA table exists, else LSOA splits."""
    table = table.lower()
    if table in OA_TABLES:
        return ward_sums(oa_table(open_data_dir, table), geo)
    weight_name = "households" if table in HOUSEHOLD_TABLES else "residents"
    return ward_splits(lsoa_table(open_data_dir, table), geo, geo.weights(table), weight_name)


def ward_names(geo: OaGeography) -> pd.Series:
    """(boundary_set, ward_code) -> ward_name for both sets and Liverpool."""
    parts = [pd.Series(w["ward_name"].to_numpy(),
                       index=pd.MultiIndex.from_product([[bset], w["ward_code"]], names=["boundary_set", "ward_code"]))
             for bset, w in geo.wards.items()]
    parts.append(pd.Series([CITY_NAME], index=pd.MultiIndex.from_tuples([(SET_CITY, CITY_CODE)],
                                                                         names=["boundary_set", "ward_code"])))
    return pd.concat(parts)


def sape_mid2020(open_data_dir: Path) -> pd.Series:
    """ONS mid-2020 ward population estimates (all ages) for the 2004-2023 wards, by ward code."""
    raw = read_open_csv(open_data_dir, F_SAPE_2020, dtype={"GEOGRAPHY_CODE": str})
    return raw.set_index("GEOGRAPHY_CODE")["OBS_VALUE"].astype("int64")


def england_totals(open_data_dir: Path) -> pd.Series:
    """(TABLE upper-case, cleaned Nomis column) -> England total, from the national sums."""
    raw = read_open_csv(open_data_dir, F_ENGLAND, dtype={"table": str, "column": str}, keep_default_na=False)
    raw["column"] = [_clean(c) for c in raw["column"]]
    raw = raw.drop_duplicates(["table", "column"])  # TS027's two identical headers (trailing space) collapse
    return raw.set_index(["table", "column"])["england"].astype("int64")


F_OA11_ATTRIBUTES = "census-oa/census2011_oa11/GDSL-UL_san_data_census_Liverpool_OA_attributes.csv"


def oa_lsoa11(open_data_dir: Path, geo: OaGeography) -> pd.Series:
    """Each OA21's LSOA 2011: its own 2011 LSOA where the OA kept its 2011 code, else its LSOA21's parent
    (the first, for the few LSOA21s merged from several, which the IMD 2019 rows then name as modelled)."""
    oa11 = read_open_csv(open_data_dir, F_OA11_ATTRIBUTES, dtype=str).set_index("OA_CD")["LSOA_CD"]
    lk = read_open_csv(open_data_dir, F_LSOA11_LSOA21, dtype=str)
    parent = lk.sort_values("lsoa11_code").groupby("lsoa21_code")["lsoa11_code"].first()
    own = oa11.reindex(geo.oa.index)
    return own.fillna(pd.Series(geo.oa["lsoa21"].map(parent).to_numpy(), index=geo.oa.index))
