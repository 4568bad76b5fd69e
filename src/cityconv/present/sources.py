"""Source lines for public data, so every table and figure cites the same words for the same dataset."""

from __future__ import annotations

SOURCES: dict[str, str] = {
    "census2021": "ONS Census 2021 (output areas and LSOAs summed to wards), Open Government Licence v3.0",
    "census2021_city": "ONS Census 2021, Open Government Licence v3.0",
    "census2011": "ONS Census 2011 (official ward figures), Open Government Licence v3.0",
    "imd2019": "MHCLG English Indices of Deprivation 2019 (LSOA 2011), Open Government Licence v3.0",
    "imd2025": "MHCLG English Indices of Deprivation 2025 (LSOA 2021), Open Government Licence v3.0",
    "lookups": "ONS Open Geography Portal best-fit lookups, Open Government Licence v3.0",
    "boundaries": (
        "ONS Open Geography Portal ward boundaries, Open Government Licence v3.0; "
        "contains OS data © Crown copyright and database right"
    ),
}


def cite(source_key: str) -> str:
    """The source line for a known source key (see `SOURCES`), e.g. cite("census2021")."""
    try:
        return SOURCES[source_key]
    except KeyError:
        raise KeyError(f"unknown source {source_key!r}; known: {', '.join(sorted(SOURCES))}") from None


