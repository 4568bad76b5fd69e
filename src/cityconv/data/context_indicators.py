"""The ward indicators councils publish, as one tidy table, and 2011 -> 2021 change on one geography.

Why: a ward profile needs each figure beside Liverpool's and England's and the ward's rank among all
wards of its set, for health, disability, care, work, qualifications, cars, household deprivation,
language, religion, household types and NS-SeC as well as population, age, sex, ethnic group, tenure
and deprivation. `INDICATORS` says which Census 2021 columns make each category (data definitions, kept
beside the code that reads them); `indicator_table` builds `data/context/indicators.csv`.

Change over time (`change_table`) compares like with like: 2011 LSOA counts and 2021 LSOA counts are both
summed to the smallest blocks on which the two LSOA vintages agree (the ONS LSOA11 -> LSOA21 lookup),
then both are split to wards with the same output-area weights, so both years' figures carry the same
method by construction and a change is computed only where they do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cityconv.data.context import (
    AGE_BANDS,
    BOUNDARY_SETS,
    CITY_CODE,
    ETHNICITY_CATEGORIES,
    F_CENSUS2011,
    METHOD_EXACT,
    METHOD_MODELLED,
    SET_CITY,
    SET_OLD,
    SET_ORDER,
    TENURE_CATEGORIES,
)
from cityconv.data.context_oa import (
    F_LSOA11_LSOA21,
    OaGeography,
    WardTable,
    census2011_file,
    england_totals,
    lsoa_table,
    read_open_csv,
    split_units,
    ward_table,
)


def _strip(labels: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(c.replace("; measures: Value", "") for c in v) for k, v in labels.items()}


@dataclass(frozen=True)
class Indicator:
    """One topic's categories: each a sum of Census 2021 columns of `table`, over the `base` column."""

    topic: str
    indicator: str
    table: str
    base: str
    categories: dict[str, tuple[str, ...]]
    headline: tuple[str, ...] = ()
    count_table: str = ""  # when the counts come from another table than the base (employment)
    source: str = ""

    @property
    def label(self) -> str:
        return self.source or f"Census 2021 {self.table}"


def _prefixed(prefix: str, categories: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(f"{prefix}: {c}" for c in cols) for k, cols in categories.items()}


_H = "Household composition: "
INDICATORS: tuple[Indicator, ...] = (
    Indicator("Population", "residence", "TS001", "Residence type: Total", {
        "Lives in a household": ("Residence type: Lives in a household",),
        "Lives in a communal establishment": ("Residence type: Lives in a communal establishment",),
    }, headline=("Lives in a communal establishment",)),
    Indicator("Age", "age", "TS007A", "Age: Total", _strip(AGE_BANDS), headline=("0-14", "75+")),
    Indicator("Sex", "sex", "TS008", "Sex: All persons", {"Female": ("Sex: Female",), "Male": ("Sex: Male",)}),
    Indicator("Ethnic group", "ethnic_group", "TS021", "Ethnic group: Total: All usual residents", {
        **_strip(ETHNICITY_CATEGORIES),
        "Ethnic minority (all groups except White)": tuple(
            c for k, v in _strip(ETHNICITY_CATEGORIES).items() if k != "White" for c in v),
    }, headline=("Ethnic minority (all groups except White)",)),
    Indicator("Tenure", "tenure", "TS054", "Tenure of household: Total: All households", _strip(TENURE_CATEGORIES),
              headline=("Social rented", "Private rented")),
    Indicator("General health", "general_health", "TS037", "General health: Total: All usual residents", {
        **_prefixed("General health", {k: (k,) for k in (
            "Very good health", "Good health", "Fair health", "Bad health", "Very bad health")}),
        "Bad or very bad health": ("General health: Bad health", "General health: Very bad health"),
    }, headline=("Bad or very bad health",)),
    Indicator("Disability", "disability", "TS038", "Disability: Total: All usual residents", _prefixed("Disability", {
        "Disabled under the Equality Act": ("Disabled under the Equality Act",),
        "Disabled: day-to-day activities limited a lot": (
            "Disabled under the Equality Act: Day-to-day activities limited a lot",),
        "Disabled: day-to-day activities limited a little": (
            "Disabled under the Equality Act: Day-to-day activities limited a little",),
        "Not disabled": ("Not disabled under the Equality Act",),
    }), headline=("Disabled under the Equality Act",)),
    Indicator("Unpaid care", "unpaid_care", "TS039",
              "Provision of unpaid care: Total: All usual residents aged 5 and over", _prefixed(
                  "Provision of unpaid care", {
                      "Provides no unpaid care": ("Provides no unpaid care",),
                      "Provides unpaid care": ("Provides 19 hours or less unpaid care a week",
                                               "Provides 20 to 49 hours unpaid care a week",
                                               "Provides 50 or more hours unpaid care a week"),
                      "19 hours or less a week": ("Provides 19 hours or less unpaid care a week",),
                      "20 to 49 hours a week": ("Provides 20 to 49 hours unpaid care a week",),
                      "50 or more hours a week": ("Provides 50 or more hours unpaid care a week",),
                  }), headline=("Provides unpaid care", "50 or more hours a week")),
    Indicator("Economic activity", "employment", "TS062",
              "National Statistics Socio-economic Classification (NS-SEC): Total: All usual residents aged 16 "
              "years and over", {
                  "In employment the week before the census": (
                      "Hours worked: Total: All usual residents aged 16 years and over in employment the week "
                      "before the census",),
              }, headline=("In employment the week before the census",), count_table="TS059",
              source="Census 2021 TS059 (in employment) over TS062 (all residents aged 16 and over); TS066 "
                     "economic activity is not available for output areas or LSOAs in the open data"),
    Indicator("Economic activity", "not_in_employment", "TS065",
              "Unemployment history: Total: All usual residents aged 16 years and over not in employment the "
              "week before the census", _prefixed("Unemployment history: Not in employment", {
                  "Worked in the last 12 months": ("Worked in the last 12 months",),
                  "Not worked in the last 12 months": ("Not worked in the last 12 months",),
                  "Never worked": ("Never worked",),
              })),
    Indicator("Qualifications", "qualifications", "TS067",
              "Highest level of qualification: Total: All usual residents aged 16 years and over",
              _prefixed("Highest level of qualification", {k: (k,) for k in (
                  "No qualifications", "Level 1 and entry level qualifications", "Level 2 qualifications",
                  "Apprenticeship", "Level 3 qualifications", "Level 4 qualifications and above",
                  "Other qualifications")}),
              headline=("No qualifications", "Level 4 qualifications and above")),
    Indicator("Car availability", "cars", "TS045", "Number of cars or vans: Total: All households",
              _prefixed("Number of cars or vans", {k: (k,) for k in (
                  "No cars or vans in household", "1 car or van in household", "2 cars or vans in household",
                  "3 or more cars or vans in household")}), headline=("No cars or vans in household",)),
    Indicator("Household deprivation", "household_deprivation", "TS011", "Household deprivation: Total: All households",
              {**_prefixed("Household deprivation", {k: (f"Household is {k}",) for k in (
                  "not deprived in any dimension", "deprived in one dimension", "deprived in two dimensions",
                  "deprived in three dimensions", "deprived in four dimensions")}),
               "deprived in one or more dimensions": tuple(f"Household deprivation: Household is deprived in {n}"
                                                           for n in ("one dimension", "two dimensions",
                                                                     "three dimensions", "four dimensions"))},
              headline=("deprived in one or more dimensions",)),
    Indicator("English language", "english_proficiency", "TS029",
              "Proficiency in English language: Total: All usual residents aged 3 years and over", {
                  "Main language is English": (
                      "Proficiency in English language: Main language is English (English or Welsh in Wales)",),
                  "Main language is not English": (
                      "Proficiency in English language: Main language is not English (English or Welsh in Wales)",),
                  "Cannot speak English well or at all": tuple(
                      "Proficiency in English language: Main language is not English (English or Welsh in "
                      f"Wales): {x}" for x in ("Cannot speak English well", "Cannot speak English")),
              }, headline=("Main language is not English", "Cannot speak English well or at all")),
    Indicator("Religion", "religion", "TS030", "Religion: Total: All usual residents", _prefixed("Religion", {
        k: (k,) for k in ("No religion", "Christian", "Buddhist", "Hindu", "Jewish", "Muslim", "Sikh",
                          "Other religion", "Not answered")}), headline=("No religion",)),
    Indicator("Household composition", "household_composition", "TS003", "Household composition: Total", {
        "One person, aged 66 and over": (_H + "One person household: Aged 66 years and over",),
        "One person, other": (_H + "One person household: Other",),
        "Family, all aged 66 and over": (_H + "Single family household: All aged 66 years and over",),
        "Couple, no children": tuple(_H + f"Single family household: {c}" for c in (
            "Married or civil partnership couple: No children", "Cohabiting couple family: No children")),
        "Couple, dependent children": tuple(_H + f"Single family household: {c}" for c in (
            "Married or civil partnership couple: Dependent children",
            "Cohabiting couple family: With dependent children")),
        "Couple, all children non-dependent": tuple(_H + f"Single family household: {c}" for c in (
            "Married or civil partnership couple: All children non-dependent",
            "Cohabiting couple family: All children non-dependent")),
        "Lone parent, dependent children": (_H + "Single family household: Lone parent family: With dependent children",),
        "Lone parent, all children non-dependent": (
            _H + "Single family household: Lone parent family: All children non-dependent",),
        "Other single family": (_H + "Single family household: Other single family household",),
        "Other household types": (_H + "Other household types",),
    }, headline=("One person, aged 66 and over", "Lone parent, dependent children")),
    Indicator("NS-SeC", "nssec", "TS062",
              "National Statistics Socio-economic Classification (NS-SEC): Total: All usual residents aged 16 "
              "years and over", _prefixed("National Statistics Socio-economic Classification (NS-SEC)", {
                  "Higher managerial, administrative and professional (L1-3)": (
                      "L1, L2 and L3 Higher managerial, administrative and professional occupations",),
                  "Lower managerial, administrative and professional (L4-6)": (
                      "L4, L5 and L6 Lower managerial, administrative and professional occupations",),
                  "Intermediate (L7)": ("L7 Intermediate occupations",),
                  "Small employers and own account workers (L8-9)": (
                      "L8 and L9 Small employers and own account workers",),
                  "Lower supervisory and technical (L10-11)": ("L10 and L11 Lower supervisory and technical occupations",),
                  "Semi-routine (L12)": ("L12 Semi-routine occupations",),
                  "Routine (L13)": ("L13 Routine occupations",),
                  "Never worked and long-term unemployed (L14)": ("L14.1 and L14.2 Never worked and long-term unemployed",),
                  "Full-time students (L15)": ("L15 Full-time students",),
              }), headline=("Higher managerial, administrative and professional (L1-3)",
                            "Never worked and long-term unemployed (L14)")),
)

INDICATOR_COLUMNS = [
    "boundary_set", "ward_code", "indicator", "category", "count", "base", "share", "method",
    "liverpool_share", "england_share", "rank", "n_wards",
]
#: Per indicator and category, the words and source (kept apart so the long table stays small).
DEFINITION_COLUMNS = ["indicator", "category", "topic", "headline", "source"]
IMD_EDITIONS = {"imd2019": "English Indices of Deprivation 2019 (LSOA 2011)",
                "imd2025": "English Indices of Deprivation 2025 (LSOA 2021)"}


def _category_rows(ind: Indicator, base_table: WardTable, count_table: WardTable,
                   england: pd.Series) -> list[pd.DataFrame]:
    base = base_table.values[ind.base]
    method = pd.Series(np.where((base_table.method == METHOD_MODELLED) | (count_table.method == METHOD_MODELLED),
                                METHOD_MODELLED, METHOD_EXACT), index=base.index)
    count_tab = ind.count_table or ind.table
    rows = []
    for category, columns in ind.categories.items():
        missing = [c for c in columns if c not in count_table.values.columns]
        if missing:
            raise KeyError(f"Census 2021 {count_tab}: expected column(s) not found: {missing}")
        count = count_table.values[list(columns)].sum(axis=1)
        eng_count = sum(int(england[(count_tab, c)]) for c in columns)
        eng_base = int(england[(ind.table, ind.base)])
        rows.append(pd.DataFrame({
            "topic": ind.topic, "indicator": ind.indicator, "category": category,
            "headline": category in ind.headline, "count": count, "base": base, "method": method,
            "source": ind.label, "england_share": eng_count / eng_base,
        }))
    return rows


def _finish(frame: pd.DataFrame, geo: OaGeography) -> pd.DataFrame:
    """Add share, ward name, Liverpool's share and each ward's rank (1 = highest share) within its set."""
    frame = frame.reset_index()
    frame["share"] = frame["count"] / frame["base"].where(frame["base"] > 0)
    key = ["indicator", "category"]
    city = frame[frame["boundary_set"] == SET_CITY].set_index(key)["share"]
    frame["liverpool_share"] = frame.set_index(key).index.map(city)
    wards = frame["boundary_set"] != SET_CITY
    group = frame[wards].groupby(["boundary_set", *key])["share"]
    frame.loc[wards, "rank"] = group.rank(ascending=False, method="min")
    frame.loc[wards, "n_wards"] = group.transform("count")
    frame["rank"] = frame["rank"].astype("Int64")
    frame["n_wards"] = frame["n_wards"].astype("Int64")
    return frame


def indicator_table(open_data_dir: Path, geo: OaGeography,
                    imd: dict[str, pd.Series]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every indicator x category for every ward of both sets and Liverpool, with England and rank; and
    the definitions table (topic, headline, source of each indicator x category)."""
    england = england_totals(open_data_dir)
    cache: dict[str, WardTable] = {}

    def table(name: str) -> WardTable:
        if name not in cache:
            cache[name] = ward_table(open_data_dir, name, geo)
        return cache[name]

    rows: list[pd.DataFrame] = []
    order: dict[str, int] = {}
    for ind in INDICATORS:
        rows += _category_rows(ind, table(ind.table), table(ind.count_table or ind.table), england)
        order[ind.indicator] = len(order)
    for edition, decile in imd.items():
        rows += _imd_rows(edition, decile, geo)
        order[edition] = len(order)
    frame = _finish(pd.concat(rows), geo)
    frame["_i"] = frame["indicator"].map(order)
    frame["_s"] = frame["boundary_set"].map(SET_ORDER)
    cat_rank = {(i, c): n for n, (i, c) in enumerate(dict.fromkeys(zip(frame["indicator"], frame["category"])))}
    frame["_c"] = [cat_rank[k] for k in zip(frame["indicator"], frame["category"])]
    frame = frame.sort_values(["_s", "ward_code", "_i", "_c"], kind="mergesort")
    return frame[INDICATOR_COLUMNS].reset_index(drop=True), _definitions(frame)


def _definitions(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator x category, in table order: topic, headline flag and source."""
    first = frame.drop_duplicates(["indicator", "category"]).sort_values(["_i", "_c"], kind="mergesort")
    return first[DEFINITION_COLUMNS].reset_index(drop=True)


def _imd_rows(edition: str, oa_decile: pd.Series, geo: OaGeography) -> list[pd.DataFrame]:
    """Residents living in LSOAs of each national IMD decile (decile 1 = England's most deprived 10%).

    Counts are output-area residents (Census 2021), each OA taking its LSOA's decile, so the figures are
    exact sums of OAs; England's share is left empty (the decile is 10% of England's LSOAs, not of its people).
    """
    pop = geo.oa["population"]
    rows = []
    for d in range(1, 11):
        in_decile = pop.where(oa_decile.reindex(pop.index) == d, 0)
        parts = []
        for bset in BOUNDARY_SETS:
            count = in_decile.groupby(geo.oa[bset]).sum().reindex(geo.wards[bset]["ward_code"], fill_value=0)
            base = pop.groupby(geo.oa[bset]).sum().reindex(geo.wards[bset]["ward_code"], fill_value=0)
            idx = pd.MultiIndex.from_product([[bset], count.index], names=["boundary_set", "ward_code"])
            parts.append(pd.DataFrame({"count": count.to_numpy(), "base": base.to_numpy()}, index=idx))
        parts.append(pd.DataFrame({"count": [in_decile.sum()], "base": [pop.sum()]},
                                  index=pd.MultiIndex.from_tuples([(SET_CITY, CITY_CODE)],
                                                                  names=["boundary_set", "ward_code"])))
        frame = pd.concat(parts)
        label = "Decile 1 (most deprived 10%)" if d == 1 else f"Decile {d}"
        frame = frame.assign(topic="Deprivation", indicator=edition, category=label,
                             headline=d == 1, method=METHOD_EXACT, source=IMD_EDITIONS[edition],
                             england_share=np.nan)
        rows.append(frame)
    return rows


# ================================================================================================
# 2011 -> 2021 change on the same geography
# ================================================================================================


@dataclass(frozen=True)
class Comparison:
    """One topic both censuses hold: categories as (2011 columns, 2021 columns), each over its base."""

    topic: str
    indicator: str
    table_2011: str
    base_2011: str
    table_2021: str
    base_2021: str
    categories: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)


def _same(prefix11: str, prefix21: str, pairs: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]):
    return {k: (tuple(f"{prefix11}: {a}" for a in v11), tuple(f"{prefix21}: {b}" for b in v21))
            for k, (v11, v21) in pairs.items()}


_AGE21 = {b: tuple(c.removeprefix("Age: ") for c in cols) for b, cols in _strip(AGE_BANDS).items()}
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("Population", "population", "KS101EW", "Variable: All usual residents", "TS001",
               "Residence type: Total", {"Usual residents": (("Variable: All usual residents",),
                                                             ("Residence type: Total",))}),
    Comparison("Sex", "sex", "KS101EW", "Variable: All usual residents", "TS008", "Sex: All persons", {
        "Female": (("Variable: Females",), ("Sex: Female",)), "Male": (("Variable: Males",), ("Sex: Male",))}),
    Comparison("Age", "age", "KS102EW", "Age: All usual residents", "TS007A", "Age: Total", _same("Age", "Age", {
        "0-14": (("Age 0 to 4", "Age 5 to 7", "Age 8 to 9", "Age 10 to 14"), _AGE21["0-14"]),
        "15-24": (("Age 15", "Age 16 to 17", "Age 18 to 19", "Age 20 to 24"), _AGE21["15-24"]),
        "25-44": (("Age 25 to 29", "Age 30 to 44"), _AGE21["25-34"] + _AGE21["35-44"]),
        "45-64": (("Age 45 to 59", "Age 60 to 64"), _AGE21["45-54"] + _AGE21["55-64"]),
        "65-74": (("Age 65 to 74",), _AGE21["65-74"]),
        "75+": (("Age 75 to 84", "Age 85 to 89", "Age 90 and over"), _AGE21["75+"]),
    })),
    Comparison("Ethnic group", "ethnic_group", "KS201EW", "Ethnic Group: All usual residents", "TS021",
               "Ethnic group: Total: All usual residents", {
                   "White": (("Ethnic Group: White",), ("Ethnic group: White",)),
                   "Mixed/multiple": (("Ethnic Group: Mixed/multiple ethnic groups",),
                                      ("Ethnic group: Mixed or Multiple ethnic groups",)),
                   "Asian/Asian British": (("Ethnic Group: Asian/Asian British",),
                                           ("Ethnic group: Asian, Asian British or Asian Welsh",)),
                   "Black/Black British": (("Ethnic Group: Black/African/Caribbean/Black British",),
                                           ("Ethnic group: Black, Black British, Black Welsh, Caribbean or African",)),
                   "Other": (("Ethnic Group: Other ethnic group",), ("Ethnic group: Other ethnic group",)),
               }),
    Comparison("Tenure", "tenure", "KS402EW", "Tenure: All households", "TS054",
               "Tenure of household: Total: All households", {
                   "Owned outright": (("Tenure: Owned: Owned outright",), ("Tenure of household: Owned: Owns outright",)),
                   "Owned with mortgage/shared ownership": (
                       ("Tenure: Owned: Owned with a mortgage or loan", "Tenure: Shared ownership (part owned and part rented)"),
                       ("Tenure of household: Owned: Owns with a mortgage or loan",
                        "Tenure of household: Shared ownership: Shared ownership")),
                   "Social rented": (("Tenure: Social rented",), ("Tenure of household: Social rented",)),
                   "Private rented": (("Tenure: Private rented",), ("Tenure of household: Private rented",)),
                   "Rent free": (("Tenure: Living rent free",), ("Tenure of household: Lives rent free",)),
               }),
    Comparison("General health", "general_health", "KS301EW",
               "disability/health/care: All categories: Long-term health problem or disability", "TS037",
               "General health: Total: All usual residents", {
                   k: ((f"disability/health/care: {k}",), (f"General health: {k}",))
                   for k in ("Very good health", "Good health", "Fair health", "Bad health", "Very bad health")}),
    Comparison("Disability", "disability", "QS303EW", "Disability: All categories: Long-term health problem or disability",
               "TS038", "Disability: Total: All usual residents", {
                   "Day-to-day activities limited a lot": (
                       ("Disability: Day-to-day activities limited a lot",),
                       ("Disability: Disabled under the Equality Act: Day-to-day activities limited a lot",)),
                   "Day-to-day activities limited a little": (
                       ("Disability: Day-to-day activities limited a little",),
                       ("Disability: Disabled under the Equality Act: Day-to-day activities limited a little",)),
               }),
    Comparison("Unpaid care", "unpaid_care", "QS301EW", "Care Provision: All categories: Provision of unpaid care",
               "TS039", "Provision of unpaid care: Total: All usual residents aged 5 and over", {
                   "Provides unpaid care": (
                       tuple(f"Care Provision: Provides {h} unpaid care a week"
                             for h in ("1 to 19 hours", "20 to 49 hours", "50 or more hours")),
                       tuple(f"Provision of unpaid care: Provides {h} unpaid care a week"
                             for h in ("19 hours or less", "20 to 49 hours", "50 or more hours"))),
                   "50 or more hours a week": (("Care Provision: Provides 50 or more hours unpaid care a week",),
                                               ("Provision of unpaid care: Provides 50 or more hours unpaid care a week",)),
               }),
    Comparison("Qualifications", "qualifications", "QS501EW", "Qualification: All categories: Highest level of qualification",
               "TS067", "Highest level of qualification: Total: All usual residents aged 16 years and over",
               _same("Qualification", "Highest level of qualification", {
                   "No qualifications": (("No qualifications",), ("No qualifications",)),
                   "Level 1": (("Level 1 qualifications",), ("Level 1 and entry level qualifications",)),
                   "Level 2": (("Level 2 qualifications",), ("Level 2 qualifications",)),
                   "Apprenticeship": (("Apprenticeship",), ("Apprenticeship",)),
                   "Level 3": (("Level 3 qualifications",), ("Level 3 qualifications",)),
                   "Level 4 and above": (("Level 4 qualifications and above",), ("Level 4 qualifications and above",)),
                   "Other qualifications": (("Other qualifications",), ("Other qualifications",)),
               })),
    Comparison("Car availability", "cars", "KS404EW", "Cars: All categories: Car or van availability", "TS045",
               "Number of cars or vans: Total: All households", {
                   "No cars or vans": (("Cars: No cars or vans in household",),
                                       ("Number of cars or vans: No cars or vans in household",)),
                   "1 car or van": (("Cars: 1 car or van in household",),
                                    ("Number of cars or vans: 1 car or van in household",)),
                   "2 or more cars or vans": (
                       ("Cars: 2 cars or vans in household", "Cars: 3 cars or vans in household",
                        "Cars: 4 or more cars or vans in household"),
                       ("Number of cars or vans: 2 cars or vans in household",
                        "Number of cars or vans: 3 or more cars or vans in household")),
               }),
    Comparison("Household deprivation", "household_deprivation", "QS119EW",
               "Household Deprivation: All categories: Classification of household deprivation", "TS011",
               "Household deprivation: Total: All households", {
                   "Not deprived in any dimension": (
                       ("Household Deprivation: Household is not deprived in any dimension",),
                       ("Household deprivation: Household is not deprived in any dimension",)),
                   "Deprived in one or more dimensions": (
                       tuple(f"Household Deprivation: Household is deprived in {n} dimension{'s' if n > 1 else ''}"
                             for n in (1, 2, 3, 4)),
                       tuple(f"Household deprivation: Household is deprived in {w}" for w in (
                           "one dimension", "two dimensions", "three dimensions", "four dimensions"))),
               }),
)

CHANGE_COLUMNS = [
    "boundary_set", "ward_code", "indicator", "category", "count_2011", "base_2011",
    "share_2011", "method_2011", "count_2021", "base_2021", "share_2021", "method_2021", "change_pp",
    "count_change_pct",
]


def _blocks(open_data_dir: Path) -> pd.DataFrame:
    """LSOA11 and LSOA21 codes -> block id: the smallest unions on which the two vintages agree."""
    lk = read_open_csv(open_data_dir, F_LSOA11_LSOA21, dtype=str)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip("11:" + lk["lsoa11_code"], "21:" + lk["lsoa21_code"]):
        parent[find(a)] = find(b)
    codes = sorted(parent)
    return pd.DataFrame({"node": codes, "block": [find(c) for c in codes]})


def _to_blocks(values: pd.DataFrame, prefix: str, blocks: pd.DataFrame) -> pd.DataFrame:
    block_of = blocks.set_index("node")["block"]
    keys = block_of.reindex(prefix + values.index.astype(str))
    if keys.isna().any():
        missing = list(values.index[keys.isna().to_numpy()])[:5]
        raise ValueError(f"{F_LSOA11_LSOA21}: LSOA(s) {missing} not in the LSOA 2011 -> 2021 lookup")
    return values.groupby(keys.to_numpy()).sum()


def _block_split(values: pd.DataFrame, geo: OaGeography, blocks: pd.DataFrame, weight: pd.Series) -> WardTable:
    """Block counts split to wards of both sets by the blocks' OA weights (exact where a block is whole)."""
    block_of = blocks.set_index("node")["block"]
    oa_block = pd.Series(block_of.reindex("21:" + geo.oa["lsoa21"]).to_numpy(), index=geo.oa.index)
    return split_units(values, oa_block, geo, weight, "LSOA 2011 and 2021 blocks split by OA weights")


def _census2011(open_data_dir: Path, table: str) -> pd.DataFrame:
    raw = read_open_csv(open_data_dir, census2011_file(table), dtype={"lsoa11cd": str})
    raw.columns = [c.replace("; measures: Value", "") for c in raw.columns]
    return raw.drop(columns=["date", "lsoa11nm", "Rural Urban"]).set_index("lsoa11cd")


def _official_population(frame: pd.DataFrame, open_data_dir: Path, geo: OaGeography) -> pd.DataFrame:
    """2004-2023 wards' population: the official 2011 ward totals beside 2021 output-area sums.

    Both are exact sums of output areas placed by the same reference points (the placement reproduces all
    30 official 2011 totals; census-oa PROVENANCE section 3c), so they are built the same way and the
    change needs no modelling."""
    official = read_open_csv(open_data_dir, F_CENSUS2011).set_index("code")["pop"]
    oa_2021 = geo.oa["population"].groupby(geo.oa[SET_OLD]).sum()
    rows = (frame["indicator"] == "population") & (frame["boundary_set"] == SET_OLD)
    codes = frame.loc[rows, "ward_code"]
    for col, values in (("count_2011", codes.map(official)), ("base_2011", codes.map(official)),
                        ("count_2021", codes.map(oa_2021)), ("base_2021", codes.map(oa_2021))):
        frame.loc[rows, col] = values.astype(float)
    frame.loc[rows, ["method_2011", "method_2021"]] = METHOD_EXACT
    return frame


def change_table(open_data_dir: Path, geo: OaGeography) -> pd.DataFrame:
    """2011 and 2021 shares (and population counts) built the same way, with percentage-point change."""
    blocks = _blocks(open_data_dir)
    rows = []
    for comp in COMPARISONS:
        weight = geo.weights(comp.table_2021.lower())
        y11 = _block_split(_to_blocks(_census2011(open_data_dir, comp.table_2011), "11:", blocks), geo, blocks, weight)
        y21 = _block_split(_to_blocks(lsoa_table(open_data_dir, comp.table_2021), "21:", blocks), geo, blocks, weight)
        for category, (cols11, cols21) in comp.categories.items():
            frame = pd.DataFrame({
                "topic": comp.topic, "indicator": comp.indicator, "category": category,
                "count_2011": y11.values[list(cols11)].sum(axis=1), "base_2011": y11.values[comp.base_2011],
                "method_2011": y11.method,
                "count_2021": y21.values[list(cols21)].sum(axis=1), "base_2021": y21.values[comp.base_2021],
                "method_2021": y21.method,
            })
            rows.append(frame)
    frame = _official_population(pd.concat(rows).reset_index(), open_data_dir, geo)
    frame["share_2011"] = frame["count_2011"] / frame["base_2011"]
    frame["share_2021"] = frame["count_2021"] / frame["base_2021"]
    same = frame["method_2011"] == frame["method_2021"]
    frame["change_pp"] = ((frame["share_2021"] - frame["share_2011"]) * 100).where(same)
    population = frame["indicator"] == "population"
    frame["count_change_pct"] = ((frame["count_2021"] / frame["count_2011"] - 1) * 100).where(same & population)
    frame.loc[population, ["share_2011", "share_2021", "change_pp"]] = np.nan
    order = {c.indicator: i for i, c in enumerate(COMPARISONS)}
    frame = frame.assign(_s=frame["boundary_set"].map(SET_ORDER), _i=frame["indicator"].map(order))
    frame["_c"] = frame.groupby(["boundary_set", "ward_code", "indicator"]).cumcount()
    frame = frame.sort_values(["_s", "ward_code", "_i", "_c"], kind="mergesort")
    return frame[CHANGE_COLUMNS].reset_index(drop=True)
