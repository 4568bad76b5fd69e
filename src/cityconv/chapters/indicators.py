"""The atlas's headline indicators for every ward of a boundary set, with ranks.

One module, imported by the atlas index, the city overview and the profile's "In short", so all three
show the same numbers and ranks. It sits apart from `chapters.atlas` so that a change to the index page
does not re-run the 94 profiles (the run cache follows imported modules).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cityconv.data import context as ctx

METHOD_EXACT = ctx.METHOD_EXACT
METHOD_MODELLED = ctx.METHOD_MODELLED

#: What each indicator's share is a share of, said after the percentage ("12% of households ...").
BASES = {
    "residence": "residents", "age": "residents", "sex": "residents", "ethnic_group": "residents",
    "tenure": "households", "general_health": "residents", "disability": "residents",
    "unpaid_care": "residents aged 5 and over", "employment": "residents aged 16 and over",
    "not_in_employment": "residents aged 16 and over not in employment", "qualifications": "residents aged 16 and over",
    "cars": "households", "household_deprivation": "households", "english_proficiency": "residents aged 3 and over",
    "religion": "residents", "household_composition": "households", "nssec": "residents aged 16 and over",
    "imd2019": "residents", "imd2025": "residents",
}
#: The IMD rows of indicators.csv name their edition; every sentence about them must say it.
EDITIONS = {"imd2019": "IMD 2019", "imd2025": "IMD 2025"}


def headline_rows(context_dir: Path, ward_code: str, boundary_set: str) -> pd.DataFrame:
    """The ward's headline indicator rows (indicators.csv), with Liverpool and England shares, rank and method."""
    return headline_of(ctx.load_indicators(context_dir, ward_code, boundary_set), boundary_set)


def headline_of(rows: pd.DataFrame, boundary_set: str) -> pd.DataFrame:
    """The headline rows of a ward's rows of `load_indicators` (for a caller that has loaded them already)."""
    if rows.empty:
        return rows
    return rows[rows["headline"] & (rows["boundary_set"] == boundary_set)].reset_index(drop=True)


def _share(table: pd.DataFrame, categories: list[str]) -> pd.Series:
    rows = table[table["category"].isin(categories)]
    return rows.groupby(["boundary_set", "ward_code"])["share"].sum(min_count=1)


def _decile1_share(summary: pd.DataFrame) -> pd.Series:
    totals = summary.groupby(["boundary_set", "ward_code"])["n_lsoa"].sum(min_count=1)
    first = summary[summary["imd_decile"] == 1].set_index(["boundary_set", "ward_code"])["n_lsoa"]
    return (first / totals.replace(0, pd.NA)).astype("Float64")


def ward_indicators(context_dir: Path, boundary_set: str) -> pd.DataFrame:
    """One row per ward of a boundary set (plus Liverpool last) with the atlas's key indicators.

    Shares are 0-1 and missing (not zero) for a ward without Census figures (Waterfront North).
    """
    context_dir = Path(context_dir)
    read = lambda name: pd.read_csv(context_dir / f"{name}.csv", dtype={"ward_code": str})  # noqa: E731
    wards = read("wards")
    wards = wards[wards["boundary_set"].isin([boundary_set, ctx.SET_CITY])]
    key = ["boundary_set", "ward_code"]
    out = wards[[*key, "ward_name", "population_2021"]].set_index(key)
    out["aged_65_plus"] = _share(read("age"), ["65-74", "75+"])
    out["ethnic_minority"] = _share(read("ethnicity"), [ctx.ETHNIC_MINORITY])
    out["social_rented"] = _share(read("tenure"), ["Social rented"])
    out["imd2019_decile1"] = _decile1_share(read("deprivation_summary"))
    out["imd2025_decile1"] = _decile1_share(read("deprivation2025_summary"))
    out = out.reset_index()
    out["_city"] = out["boundary_set"] == ctx.SET_CITY
    return out.sort_values(["_city", "ward_name"]).drop(columns="_city").reset_index(drop=True)


def ranks(indicators: pd.DataFrame, boundary_set: str, key: str) -> pd.Series:
    """ward code -> rank among the wards of the set, 1 = the highest share; a missing value has no rank."""
    wards = indicators[indicators["boundary_set"] == boundary_set].set_index("ward_code")
    return wards[key].astype(float).rank(ascending=False, method="min")
