"""The ward atlas (`notebooks/50-ward-atlas.ipynb`): one index page per boundary set.

Every ward of both boundary sets has a profile page: a ward with a params file has it among its own
chapters (`book/generated/<id>/`), every other ward gets a profile-only page under
`book/generated/atlas/<code>/`. The index lists all wards of one boundary set with a few key
indicators, each row linking to that ward's profile; `book/_static/sortable-table.js` makes the
table sortable in the browser (the page works without it, in ward-code order).

The page locations are defined here, once: the pipeline (`cityconv.pipeline.atlas`) writes the
profile-only runs to `atlas_output_dir` and the index links to `profile_href`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cityconv.chapters.indicators import ward_indicators  # noqa: F401  (the index's figures)
from cityconv.chapters.profile import is_atlas_id, ward_code_of  # noqa: F401  (the atlas's ids)
from cityconv.chapters.ward_pages import (  # noqa: F401  (where the profiles are)
    ATLAS_DIR,
    PROFILE_TEMPLATE_ID,
    atlas_id,
    link_row_headers,
    load_ward_pages,
    profile_stem,
)
from cityconv.data import context as ctx
from cityconv.present import cite, fmt_int, fmt_pct
from cityconv.present.tables import table_bundle

OVERVIEW_TEMPLATE_ID = "city-overview"
OVERVIEW_STEM = "city-overview"
INDEX_STEM = "index"
SORTABLE_CLASS = "cityconv-sortable"

BOUNDARY_SET_TITLES = {
    ctx.SET_OLD: "Wards used from 2004 to May 2023",
    ctx.SET_NEW: "Wards in use since May 2023",
}
BOUNDARY_SET_SLUGS = {ctx.SET_OLD: "2004-2023", ctx.SET_NEW: "2023"}
# One index template per boundary set (`notebooks/50-ward-atlas-2004-2023.ipynb`, `51-ward-atlas-2023`):
# a page's heading must be in the template, so each set has its own thin template.
INDEX_TEMPLATE_IDS = {s: f"ward-atlas-{slug}" for s, slug in BOUNDARY_SET_SLUGS.items()}


def atlas_output_dir(generated_dir: Path) -> Path:
    return Path(generated_dir) / ATLAS_DIR


def index_stem(boundary_set: str) -> str:
    """`index-2004-2023` / `index-2023`: the file name of a boundary set's index page."""
    return f"{INDEX_STEM}-{BOUNDARY_SET_SLUGS[boundary_set]}"


def profile_href(ward_code: str, boundary_set: str, studied: dict[tuple[str, str], str], profile_stem: str) -> str:
    """Link from an index page (in book/generated/atlas/) to the ward's profile page."""
    study_id = studied.get((boundary_set, ward_code))
    if study_id is not None:
        return f"../{study_id}/{profile_stem}.html"
    return f"{atlas_id(ward_code)}/{profile_stem}.html"


# ================================================================================================
# key indicators
# ================================================================================================


COLUMNS = {
    "population_2021": "Residents, 2021",
    "aged_65_plus": "Aged 65 and over",
    "ethnic_minority": "Ethnic minority (not White)",
    "social_rented": "Households renting socially",
    "imd2019_decile1": "Neighbourhoods in most deprived 10%, IMD 2019",
    "imd2025_decile1": "Neighbourhoods in most deprived 10%, IMD 2025",
}


def _missing_to_x(value, fmt) -> str:
    return "[x]" if pd.isna(value) else fmt(value)


@dataclass
class AtlasIndex:
    boundary_set: str
    indicators: pd.DataFrame
    hrefs: dict[str, str]  # ward code -> profile link

    @property
    def wards(self) -> pd.DataFrame:
        return self.indicators[self.indicators["boundary_set"] == self.boundary_set]

    @property
    def title(self) -> str:
        return BOUNDARY_SET_TITLES[self.boundary_set]


def load_index(boundary_set: str, root: Path | None = None) -> AtlasIndex:
    from cityconv.core.paths import Project

    project = Project(Path(root)) if root is not None else Project.discover()
    indicators = ward_indicators(project.context_dir, boundary_set)
    profile_stem(project)  # no profile template: FileNotFoundError saying so, before load_ward_pages gives None
    pages = load_ward_pages(project)
    assert pages is not None
    hrefs = {  # only to the profiles the build makes (all of them, unless data.context.ATLAS_WARDS_ENV says)
        code: profile_href(code, boundary_set, pages.studied, pages.stem)
        for code in indicators.loc[indicators["boundary_set"] == boundary_set, "ward_code"]
        if pages.has_page(code, boundary_set)
    }
    return AtlasIndex(boundary_set, indicators, hrefs)


def display_frame(index: AtlasIndex) -> pd.DataFrame:
    """Display-ready cells, wards by name then Liverpool; the first column is the row header."""
    frame = index.indicators
    out = pd.DataFrame({"Ward": [f"{n} ({c})" if b != ctx.SET_CITY else n
                                 for n, c, b in zip(frame["ward_name"], frame["ward_code"], frame["boundary_set"])]})
    out[COLUMNS["population_2021"]] = [_missing_to_x(v, fmt_int) for v in frame["population_2021"]]
    for column in list(COLUMNS)[1:]:
        out[COLUMNS[column]] = [_missing_to_x(v, lambda s: fmt_pct(s, 1)) for v in frame[column]]
    return out


def intro_text(index: AtlasIndex) -> str:
    wards = index.wards
    n = len(wards)
    largest = wards.loc[wards["population_2021"].astype(float).idxmax()]
    missing = wards[wards["population_2021"].isna()]
    text = (
        f"Liverpool had **{fmt_int(n)} wards** {'from 2004 to May 2023' if index.boundary_set == ctx.SET_OLD else 'from May 2023'}. "
        "Each row of the table links to that ward's profile. "
        f"The ward with most residents in 2021 was {largest['ward_name']} ({fmt_int(largest['population_2021'])})."
    )
    if not missing.empty:
        names = ", ".join(missing["ward_name"])
        text += (f" {names} has no Census 2021 figures (no neighbourhood best-fits to it), "
                 "so its cells show [x].")
    return text


def method_text(index: AtlasIndex) -> str:
    """How the indicators were made, in plain words."""
    return (
        "**How these figures were made.** Census 2021 results are published for output areas (about 300 "
        "residents each) and, for some topics, only for larger neighbourhoods (LSOAs). Each ward's population "
        "and tenure are sums of its output areas (exact); age and ethnic group exist only for neighbourhoods, so "
        "each neighbourhood's counts are split across wards by its output areas' residents (modelled). The "
        "deprivation columns give the share of the neighbourhoods assigned to the ward that are among the most "
        "deprived 10% in England: the 2019 index ranks the 2011 neighbourhoods, the 2025 index the 2021 ones. "
        "Census counts are published ONS outputs, reproduced as published: ONS protects them with cell-key "
        "perturbation (small changes to counts before release), so the rules that suppress small counts in "
        "this book's survey tables do not suppress them."
    )


def index_table_bundle(index: AtlasIndex) -> dict[str, str]:
    """The accessible GSS table, with each ward's name linking to its profile and sortable columns.

    The HTML is `present.tables`' own (caption, units, notes, source, CSV download); only the row
    headers become links and the table gets the class the sorting script looks for.
    """
    frame = display_frame(index)
    bundle = table_bundle(
        frame,
        title=f"{index.title}: key indicators",
        source=f"{cite('census2021')}; {cite('imd2019')}; {cite('imd2025')}; {cite('lookups')}",
        units="Number of residents; percentage of residents, households or neighbourhoods (LSOAs)",
        notes=[
            "Residents and households: sums of the ward's output areas (exact). Aged 65 and over and ethnic "
            "minority: modelled from neighbourhoods split by their output areas' residents.",
            "Select a column heading to sort the table by it; select it again to reverse the order.",
        ],
        name=f"atlas-{BOUNDARY_SET_SLUGS[index.boundary_set]}",
        status="published",
    )
    hrefs = {label: index.hrefs[code] for label, code in zip(frame["Ward"], index.indicators["ward_code"])
             if code in index.hrefs}
    page = link_row_headers(bundle["text/html"], hrefs)
    city = f'<tr><th scope="row">{html.escape(ctx.CITY_NAME)}</th>'
    page = page.replace(city, f'<tr class="cityconv-sort-fixed"><th scope="row">{html.escape(ctx.CITY_NAME)}</th>', 1)
    page = page.replace('<table class="table cityconv-table"', f'<table class="table cityconv-table {SORTABLE_CLASS}"', 1)
    return {**bundle, "text/html": page}


def show_index_table(index: AtlasIndex) -> None:
    from cityconv.present.mime import display_bundle

    display_bundle(index_table_bundle(index))
