"""The atlas's headline indicators for every ward of a boundary set, with ranks.

One module, imported by the atlas index, the city overview and the profile's "In short", so all three
show the same numbers and ranks. It sits apart from `chapters.atlas` so that a change to the index page
does not re-run the 94 profiles (the run cache follows imported modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cityconv.data import context as ctx

#: How each ward figure is made today: Census counts summed over the LSOAs that best fit the ward.
#: (Once ward figures are built from output areas they carry "exact" or "modelled" instead.)
METHOD_BEST_FIT = "best fit"
METHOD_EXACT = "exact"
METHOD_MODELLED = "modelled"


@dataclass(frozen=True)
class Headline:
    """One headline indicator: its key, how to say it after a percentage, and what it is built from."""

    key: str
    words: str  # after a percentage: "42% of households rent from a council or housing association"
    method: str  # METHOD_* of the ward figures ("best fit" for the Census topics, "exact" for deprivation counts)
    edition: str = ""  # the index edition, for a deprivation indicator


HEADLINES = (
    Headline("aged_65_plus", "of residents are aged 65 and over", METHOD_BEST_FIT),
    Headline("ethnic_minority", "of residents are from an ethnic minority group other than White", METHOD_BEST_FIT),
    Headline("social_rented", "of households rent from a council or housing association", METHOD_BEST_FIT),
    Headline("imd2019_decile1", "of its neighbourhoods are among the most deprived 10% in England",
             METHOD_EXACT, "IMD 2019"),
    Headline("imd2025_decile1", "of its neighbourhoods are among the most deprived 10% in England",
             METHOD_EXACT, "IMD 2025"),
)


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
