"""data/context/PROVENANCE.md: the sources, methods, caveats and licence of every context table.

Generated with the tables (`cityconv.data.context_derive.derive_all`), so the documentation can never
drift from the code that produced the numbers. The prose is the template
`templates/context_provenance.md.j2`; this module gathers its values.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from cityconv.data.context import (
    AGE_BANDS,
    AGE_SEX_METHOD,
    CITY_CODE,
    CITY_NAME,
    ETHNIC_MINORITY,
    ETHNICITY_CATEGORIES,
    GEOMETRY_DECIMALS,
    METHOD_EXACT,
    METHOD_MODELLED,
    OVERLAP_CAVEAT,
    OVERLAP_METHOD,
    SET_CITY,
    SET_NEW,
    SET_OLD,
    SIMPLIFY_TOLERANCE_DEG,
    TENURE_CATEGORIES,
    WARDS_COLUMNS,
    WATERFRONT_NORTH,
)
from cityconv.data.context_indicators import CHANGE_COLUMNS, DEFINITION_COLUMNS, INDICATOR_COLUMNS, INDICATORS
from cityconv.data.context_oa import F_ENGLAND, F_OA_WARD_LOOKUP, OA_TABLES

TEMPLATE = "context_provenance.md.j2"
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,  # a value the code forgets is an error, never a blank
    keep_trailing_newline=True,
    autoescape=False,  # Markdown, not HTML; every value comes from our own code and the derived tables
)

_SOURCES = {
    "census2021": (
        "`census2021_lsoa21_liverpool/census2021-tsNNN-lsoa_liverpool.csv` (TS003, TS007A, TS021 for the "
        "modelled figures; the compared topics' tables for change over time) -- "
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
    "census2021_oa": (
        "`census-oa/census2021_oa21/census2021-tsNNN-oa_liverpool.csv` (41 tables) -- "
        "alexsingleton/Census_2021_Output_Areas @ fca63ca63767108fc5ffd33fdc962b8667dd27af : "
        "output_data/parquet/tsNNN.parquet with Table_Metadata.csv names restored; ONS Census 2021 bulk topic "
        "summaries for output areas, Liverpool's 1,624 OAs; OGL v3"
    ),
    "oa_lookup": (
        "`census-oa/lookups/liverpool_oa21_to_ward_lookup_DERIVED.csv` -- DERIVED in the open-data snapshot: "
        "each OA placed in the ward (WD22, WD25) containing its 2011 reference point (GDSL-UL/san @ 5887850f : "
        "data/mlm/OA.dbf) in the drkane/geo-lookups ward polygons; no ONS OA -> ward lookup was reachable"
    ),
    "sape": (
        "`census-oa/sape/ons_sape_mid2020_wards2019_liverpool_totals.csv` -- open-innovations/jrf-insight @ "
        "72265ec0 : data-raw/population-estimates/wd19.csv; ONS mid-2020 ward population estimates (Nomis "
        "NM_2010_1), OGL v3"
    ),
    "england": (
        "`census-oa/national/census2021_england_totals.csv` -- DERIVED in the open-data snapshot: exact sums of "
        "the ONS Census 2021 small-area bulk files over England's OAs (LSOAs for TS003, TS007A, TS021); OGL v3"
    ),
    "census2011_lsoa": (
        "`census-oa/census2011_lsoa11_cdrc/E08000012_<table>.csv` -- pietrostefani/gds @ 74bd276a : CDRC "
        "Census Residential Data Pack 2011 for Liverpool (KS/QS tables by LSOA 2011). Data provided by the "
        "ESRC Consumer Data Research Centre; Contains National Statistics data Crown copyright and database "
        "right; Contains Ordnance Survey data Crown copyright and database right"
    ),
    "lsoa11_lsoa21": (
        "`census-oa/lookups/liverpool_lsoa11_to_lsoa21_lookup_geographr.csv` -- humaniverse/geographr @ "
        "c026be5c : data/lookup_lsoa11_lsoa21_ltla22.rda; ONS LSOA (2011) to LSOA (2021) exact-fit lookup, OGL v3"
    ),
    "oa11": (
        "`census-oa/census2011_oa11/GDSL-UL_san_data_census_Liverpool_OA_attributes.csv` (columns OA_CD, LSOA_CD "
        "only: each 2011 OA's LSOA, for IMD 2019) -- GDSL-UL/san @ 5887850f : data/census/Liverpool_OA.dbf"
    ),
}


def provenance_text(tables: dict[str, pd.DataFrame]) -> str:
    """data/context/PROVENANCE.md: sources, methods, caveats, licence and the re-derivation command."""
    wards = tables["wards"]
    city = wards[wards["boundary_set"] == SET_CITY].iloc[0]
    waterfront_north = wards[wards["ward_code"] == WATERFRONT_NORTH].iloc[0]
    old = wards[wards["boundary_set"] == SET_OLD]
    far = old[old["difference_from_mid2020_pct"].abs() > 10]
    return _ENVIRONMENT.get_template(TEMPLATE).render(
        sources=_SOURCES,
        set_old=SET_OLD, set_new=SET_NEW, set_city=SET_CITY, city_code=CITY_CODE, city_name=CITY_NAME,
        n_old=int((wards["boundary_set"] == SET_OLD).sum()), n_new=int((wards["boundary_set"] == SET_NEW).sum()),
        waterfront_north=WATERFRONT_NORTH, waterfront_north_population=f"{int(waterfront_north['population_2021']):,}",
        n_oa=f"{int(city['n_oa21']):,}", n_oa_tables=len(OA_TABLES), oa_lookup_file=F_OA_WARD_LOOKUP,
        method_exact=METHOD_EXACT, method_modelled=METHOD_MODELLED, wards_columns=", ".join(WARDS_COLUMNS),
        city_mid2020=f"{int(city['population_mid2020_ons']):,}",
        far_wards=", ".join(f"{r.ward_name} ({r.difference_from_mid2020_pct:+.1f}%; see its caveat)"
                            for r in far.itertuples()) or "none",
        indicators=INDICATORS, indicator_columns=", ".join(INDICATOR_COLUMNS),
        definition_columns=", ".join(DEFINITION_COLUMNS), change_columns=", ".join(CHANGE_COLUMNS),
        england_file=F_ENGLAND,
        city_population_2011=f"{int(city['population_2011']):,}", city_population_2021=f"{int(city['population_2021']):,}",
        age_categories={band: [label.removeprefix("Age: ") for label in raw] for band, raw in AGE_BANDS.items()},
        ethnicity_categories=ETHNICITY_CATEGORIES, tenure_categories=TENURE_CATEGORIES, ethnic_minority=ETHNIC_MINORITY,
        age_sex_method=AGE_SEX_METHOD, geometry_decimals=GEOMETRY_DECIMALS, simplify_tolerance_deg=SIMPLIFY_TOLERANCE_DEG,
        overlap_method=OVERLAP_METHOD, overlap_caveat=OVERLAP_CAVEAT,
    )
