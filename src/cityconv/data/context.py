"""Ward-level context tables derived from public open data (Census 2011/2021, IMD 2019/2025, boundaries).

Why this module exists: every chapter shows a ward's figures beside Liverpool's, and the numbers must be
traceable. This module holds what the tables are (boundary sets, categories, file names) and reads the
committed tables in `data/context/` for a ward. `cityconv.data.context_derive` makes those tables from the
raw open data (`cityconv derive-context`), and `cityconv.data.context_provenance` writes their
`PROVENANCE.md`, so the documentation can never drift from the code that produced the numbers.

Two ward boundary sets exist: the 30 wards used 2004-2023 ("2004-2023", codes E05000886-E05000915,
Clubmoor = E05000892) and the 64 wards from May 2023 ("2023-"). Liverpool rows use boundary_set "city".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cityconv.core.files import file_stamp

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
F_LSOA11_BOUNDARIES = "liverpool_lsoa11_boundaries.geojson"
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

#: How a ward figure was built (the `method` column of the derived tables; see docs/atlas-data.md).
METHOD_EXACT = "exact"  # sum of the ward's output areas, or of whole LSOAs lying inside the ward
METHOD_MODELLED = "modelled"  # at least one LSOA's counts split across wards by its output areas' shares
METHODS = (METHOD_EXACT, METHOD_MODELLED)

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
# The neighbourhoods (LSOAs) each deprivation edition ranks, for the map inside a ward: IMD 2019 ranks the
# 2011 LSOAs, IMD 2025 the 2021 ones. Properties lsoa_code, lsoa_name.
LSOA_GEOJSON_OUTPUTS = {"2011": "lsoa11.geojson", "2021": "lsoa21.geojson"}
LONG_TABLES = ("age", "sex", "ethnicity", "tenure")

SET_ORDER = {SET_OLD: 0, SET_NEW: 1, SET_CITY: 2}

# --- ward populations from output areas ------------------------------------------------------------
CENTRAL = "E05000889"  # Central (2004-2023): the one ward far from its ONS mid-2020 estimate, see CENTRAL_CAVEAT
WARDS_COLUMNS = [
    "boundary_set", "ward_code", "ward_name", "population_2011", "population_2021", "households_2021",
    "n_lsoa21", "n_oa21", "population_method", "population_mid2020_ons", "difference_from_mid2020_pct", "caveat",
]
OLD_CAVEAT = (
    "2011: official Census 2011 ward figure. 2021: sum of the ward's Census 2021 output areas (exact); topics "
    "published only for LSOAs are split across wards by their output areas' residents and marked modelled."
)
NEW_CAVEAT = (
    "2021: sum of the ward's Census 2021 output areas, each placed in a 2023 ward by its reference point "
    "(exact for the output areas, but the placement is not an ONS file); topics published only for LSOAs are "
    "split across wards and marked modelled. No 2011 figure for these boundaries."
)
CENTRAL_CAVEAT = OLD_CAVEAT + (
    " Central's 2021 count is about a third below ONS's mid-2020 estimate, the only ward more than 10% away. "
    "The mid-2020 figure is an estimate carried forward from the 2011 Census and made before ONS rebased its "
    "estimates on the 2021 Census; the Census itself was taken in March 2021, during the pandemic. Which of "
    "the two is nearer Central's usual population is not known from these data."
)
CITY_CAVEAT = (
    "Liverpool (E08000012): 2011 = sum of the 30 official ward figures; 2021 = sum of all Liverpool output areas."
)

# --- indicators and change over time (docs/atlas-data.md) -------------------------------------------
INDICATORS_TABLE = "indicators"
DEFINITIONS_TABLE = "indicator_definitions"
CHANGE_TABLE = "change_2011_2021"


# --- boundary overlaps (the May 2023 boundary change) ---------------------------------------------

OVERLAPS = "ward_overlaps"
OVERLAP_METHOD = (
    "Each Census 2021 output area (about 300 residents) lies in one ward of each boundary set; the residents "
    "of the output areas a ward shares with a ward of the other set, divided by the ward's residents, give "
    "the share of its population that ward holds."
)
OVERLAP_CAVEAT = (
    "Output areas are placed in wards by a reference point inside them, not by ONS's own lookup (none is "
    "published for these boundaries); an output area that straddles a boundary counts wholly in one ward, so "
    "a share can be off by a few hundred residents."
)


def load_overlaps(context_dir: Path, ward_code: str | None, other_ward_code: str | None = None) -> pd.DataFrame:
    """Rows of `ward_overlaps.csv` for one ward (the other set's wards holding its residents, largest
    first), or with `other_ward_code` the reverse rows: wards whose residents partly live in that ward."""
    path = Path(context_dir) / f"{OVERLAPS}.csv"
    if not path.exists():
        return pd.DataFrame()
    df = pd.read_csv(path, dtype={"ward_code": str, "other_ward_code": str})
    keep = df["ward_code"] == ward_code if other_ward_code is None else df["other_ward_code"] == other_ward_code
    return df[keep].reset_index(drop=True)


class UnknownWardError(KeyError):
    """An unknown ward code or name; the message carries difflib's "did you mean ...?" suggestions."""

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return str(self.args[0]) if self.args else ""


#: Which atlas profile pages a build makes: ward codes separated by commas or spaces, or "none"; unset,
#: empty or "all", every ward's. Why: the profile-only pages are most of a build's runs (90-odd), so a researcher
#: previewing their own ward, or the test suite's copy of the real book, can build a few. Wards that get no
#: page are still counted, ranked and listed everywhere; only the links to their pages are left out.
ATLAS_WARDS_ENV = "CITYCONV_ATLAS_WARDS"


def atlas_selection(value: str | None = None) -> frozenset[str] | None:
    """The ward codes (upper case, as ONS writes them) named by $CITYCONV_ATLAS_WARDS (or `value`); None for
    every ward. Not checked against the ward index here: the run plan reports a code it does not know."""
    import os
    import re

    text = (os.environ.get(ATLAS_WARDS_ENV, "") if value is None else value).strip()
    if not text or text.lower() == "all":
        return None
    if text.lower() == "none":
        return frozenset()
    return frozenset(code.upper() for code in re.split(r"[,\s]+", text) if code)


def atlas_selection_text(selection: frozenset[str] | None) -> str:
    """`selection` written back as $CITYCONV_ATLAS_WARDS would give it (for a kernel's environment)."""
    if selection is None:
        return ""
    return " ".join(sorted(selection)) if selection else "none"


def ward_index(context_dir: Path) -> pd.DataFrame:
    """Code, name and boundary set of every ward (both sets) plus Liverpool, from data/context/wards.csv.

    A profile asks for it half a dozen times (resolving the ward, naming the indicators' wards, counting
    the wards, linking): the file is parsed once per version of it (`file_stamp`), each caller gets a copy."""
    return _ward_index(*file_stamp(Path(context_dir) / "wards.csv")).copy()


@lru_cache(maxsize=4)
def _ward_index(path: str, _mtime_ns: int, _size: int) -> pd.DataFrame:
    wards = pd.read_csv(path, dtype=str, keep_default_na=False)
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
        df = _context_table(table, *file_stamp(path))
        keep = ((df["ward_code"] == code) & (df["boundary_set"] == bset)) | (df["boundary_set"] == SET_CITY)
        frames[table] = df[keep].reset_index(drop=True)  # a new frame: the cached table is never handed out
    return WardContext(ward_code=code, ward_name=name, boundary_set=bset, **frames)


@lru_cache(maxsize=16)
def _context_table(table: str, path: str, _mtime_ns: int, _size: int) -> pd.DataFrame:
    """A context table as `load_context` reads it, parsed once per version of the file (`file_stamp`), like
    `ward_index`: a chapter opens its ward several times (the summary, the recommendations, the profile), and
    every chapter run in one process (a test's in-process runs) reads the same tables."""
    df = pd.read_csv(path, dtype={"ward_code": str, "lsoa_code": str})
    for col in _integer_columns(table):  # keep counts integer even where a ward has missing values
        if col in df:
            df[col] = df[col].astype("Int64")
    return df


# --- indicators, change over time and the all-wards table (docs/atlas-data.md) ----------------------

QUESTION_CHANGES = Path(__file__).parent / "reference" / "census_question_changes.csv"


def _read_table(context_dir: Path, name: str) -> pd.DataFrame:
    """One committed context CSV with its schema's integer columns kept integer (missing stays missing)."""
    path = Path(context_dir) / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `cityconv derive-context`")
    df = pd.read_csv(path, dtype={"ward_code": str, "lsoa_code": str, "category": str}, keep_default_na=False,
                     na_values=[""])
    for col in _integer_columns(name):
        if col in df:
            df[col] = df[col].astype("Int64")
    return df


def _ward_rows(df: pd.DataFrame, context_dir: Path, ward: str | None, boundary_set: str | None) -> pd.DataFrame:
    if ward is None:
        return df if boundary_set is None else df[df["boundary_set"] == boundary_set].reset_index(drop=True)
    code, _name, bset = resolve_ward(context_dir, ward, boundary_set)
    return df[(df["ward_code"] == code) & (df["boundary_set"] == bset)].reset_index(drop=True)


def load_indicators(context_dir: Path, ward: str | None = None, boundary_set: str | None = None) -> pd.DataFrame:
    """indicators.csv joined with indicator_definitions.csv (topic, headline, source) and ward names.

    One row per ward x indicator x category, in display order; `ward` (code or name) keeps one ward's
    rows, `boundary_set` one set's (or Liverpool's, "city"). Columns: see docs/atlas-data.md."""
    df = _read_table(context_dir, INDICATORS_TABLE)
    defs = _read_table(context_dir, DEFINITIONS_TABLE)
    defs["headline"] = defs["headline"].astype(str).eq("True")
    df = df.merge(defs, on=["indicator", "category"], how="left", validate="many_to_one", sort=False)
    names = ward_index(context_dir).rename(columns={"code": "ward_code", "name": "ward_name"})
    df = df.merge(names, on=["boundary_set", "ward_code"], how="left", validate="many_to_one", sort=False)
    return _ward_rows(df, context_dir, ward, boundary_set)


def load_change(context_dir: Path, ward: str | None = None, boundary_set: str | None = None) -> pd.DataFrame:
    """change_2011_2021.csv (one ward's rows with `ward`), with each topic's comparability note."""
    df = _read_table(context_dir, CHANGE_TABLE)
    notes = load_question_changes()[["indicator", "topic", "comparability", "what_differs"]]
    df = df.merge(notes, on="indicator", how="left", validate="many_to_one", sort=False)
    return _ward_rows(df, context_dir, ward, boundary_set)


def load_question_changes() -> pd.DataFrame:
    """What differs between the 2011 and 2021 questions, per compared topic (a reference table, not derived)."""
    return pd.read_csv(QUESTION_CHANGES, dtype=str, keep_default_na=False)
