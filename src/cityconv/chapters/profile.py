"""The ward profile chapter (`notebooks/01-ward-profile.ipynb`): data shaping, prose and figures.

Everything the chapter shows is built here, so the notebook only calls functions and the logic is
unit tested. Inputs are the committed context tables in `data/context/` (see its PROVENANCE.md),
read through `cityconv.data.context.load_context`; every ward of both boundary sets works, including
Waterfront North (E05015332), which has no Census 2021 figures: its sections say so instead.

Conventions: tidy frames have one row per (area, category) with `area` = "ward" or "city",
`area_name`, `category`, `count` and `share` (0-1, within that area's table). Section functions return
Markdown text, a `present.Chart`, a `present.Table`, or None when there is nothing to show for this
ward, so `present.show` can display them without any logic in the notebook.

Age and sex: `age_sex.csv` is an *estimate* that assumes age and sex are independent within a ward
(no sex-by-age table exists in the supplied Census data). A pyramid built from it would only mirror the
age bars scaled by one constant sex ratio, so it adds no information and invites misreading (women
outnumber men at older ages; student wards skew at 15-24). The chapter therefore shows the observed
age distribution (ward beside Liverpool) and states the observed sex split separately.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityconv.chapters import facts, in_short, indicators
from cityconv.chapters.ward_pages import WardPages, doc_role, href, link_cells, link_row_headers, load_ward_pages
from cityconv.core.files import file_stamp
from cityconv.data import context as ctx
from cityconv.present import (
    CITY_COLOUR,
    MUTED,
    WARD_COLOUR,
    Chart,
    Table,
    capitalise,
    cite,
    fmt_int,
    fmt_pct,
    join_words,
)
from cityconv.present.bars import grouped_bars
from cityconv.present.figures import new_figure
from cityconv.present.prose import template_renderer
from cityconv.present.rank_strips import Strip, rank_strips_svg
from cityconv.present.svg_maps import Area, KeyEntry, Panel, map_panels_svg

#: The chapter's reader prose: Markdown (Jinja2) templates filled with numbers from the context tables.
TEMPLATES = Path(__file__).parent / "templates" / "profile"
render = template_renderer(TEMPLATES)

AGE_ORDER = list(ctx.AGE_BANDS)
ETHNIC_GROUPS = list(ctx.ETHNICITY_CATEGORIES)
TENURE_ORDER = list(ctx.TENURE_CATEGORIES)
OWNED = ["Owned outright", "Owned with mortgage/shared ownership"]
SOCIAL = "Social rented"
PRIVATE = "Private rented"
DECILES = list(range(1, 11))
FIG_WIDTH = 6.2  # inches at 110 dpi: about the book's text column, so figures are shown near full size
SIMILAR_PP = 2.0  # shares within this many percentage points are described as "similar"
# A ward's percentages are called more reliable than its counts only when it is built from at least this
# many neighbourhoods: one LSOA misplaced by the best fit moves a share of a 2-LSOA ward by up to half.
MIN_LSOAS_FOR_RELIABLE_SHARES = 5

POPULATION_COLUMNS = ("population_2011", "population_2021", "households_2021", "n_lsoa21", "n_oa21",
                      "population_mid2020_ons", "difference_from_mid2020_pct")
MID2020_NEAR_PCT = 10.0  # a 2021 count within this many per cent of the ONS mid-2020 estimate is called close to it

BOUNDARY_SET_TEXT = {
    ctx.SET_OLD: "on the boundaries used from 2004 to May 2023",
    ctx.SET_NEW: "on the boundaries in use since May 2023",
}


# ================================================================================================
# data
# ================================================================================================


@dataclass
class WardProfile:
    """One ward's profile: tidy frames (ward rows then Liverpool rows) and what is available."""

    ward_code: str
    ward_name: str
    boundary_set: str
    caveat: str
    city_caveat: str
    population: pd.DataFrame  # area, area_name, population_2011, population_2021, households_2021, n_lsoa21, n_oa21,
    #                           population_mid2020_ons, difference_from_mid2020_pct
    age: pd.DataFrame
    sex: pd.DataFrame
    ethnicity: pd.DataFrame  # the five broad groups only (they sum to the total)
    ethnic_minority: pd.DataFrame  # the derived "all groups except White" row per area
    tenure: pd.DataFrame
    deprivation: pd.DataFrame  # area, area_name, decile, n_lsoa, share
    deprivation2025: pd.DataFrame
    lsoas: pd.DataFrame  # the ward's LSOA 2011 with IMD 2019 rank/decile, IMD 2025 decile, note
    lsoas2025: pd.DataFrame = field(default_factory=pd.DataFrame)  # the ward's LSOA 2021 with IMD 2025 rank/decile
    context_dir: Path | None = None
    study_id: str | None = None
    n_wards: int = 0
    # The boundary change: wards of the other set holding this ward's residents (rows of ward_overlaps.csv),
    # and the reverse rows (the other wards' residents living in this one).
    overlaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    overlaps_reverse: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings_boundary_set: str | None = None  # a study's params may say which set its findings use
    page_status: str = "observed"  # the ward's engagement records: CSVs of its page say when they are not observed
    pages: WardPages | None = None  # where every ward's profile is, for links (None: no links, plain names)
    # indicators.csv for every ward of the set (with topic, headline, method, Liverpool and England shares, rank)
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ward_indicators(self) -> pd.DataFrame:
        """This ward's rows of indicators.csv."""
        if self.indicators.empty:
            return self.indicators
        return self.indicators[self.indicators["ward_code"] == self.ward_code].reset_index(drop=True)

    @property
    def has_census(self) -> bool:
        """False for a ward no LSOA best-fits to (Waterfront North): its counts are missing, not zero."""
        ward = self.population[self.population["area"] == "ward"]
        return not ward.empty and not ward["population_2021"].isna().all()

    @property
    def has_deprivation(self) -> bool:
        ward = self.deprivation[self.deprivation["area"] == "ward"]
        return not ward.empty and not ward["n_lsoa"].isna().all() and int(ward["n_lsoa"].fillna(0).sum()) > 0

    @property
    def boundary_text(self) -> str:
        return BOUNDARY_SET_TEXT.get(self.boundary_set, "")


def _area(df: pd.DataFrame) -> pd.Series:
    return np.where(df["boundary_set"] == ctx.SET_CITY, "city", "ward")


def _tidy(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Long context table -> area, area_name, category, count, share (ordered, ward first)."""
    if df.empty:
        return pd.DataFrame(columns=["area", "area_name", "category", "count", "share", "method"])
    out = pd.DataFrame(
        {
            "area": _area(df),
            "area_name": df["ward_name"].to_numpy(),
            "category": df["category"].to_numpy(),
            "count": df["count"].astype("Float64").to_numpy(),
            "share": df["share"].astype("Float64").to_numpy(),
            "method": df["method"].to_numpy() if "method" in df else ctx.METHOD_EXACT,
        }
    )
    out = out[out["category"].isin(order)]
    out["category"] = pd.Categorical(out["category"], categories=order, ordered=True)
    out["_a"] = out["area"].map({"ward": 0, "city": 1})
    return out.sort_values(["_a", "category"]).drop(columns="_a").reset_index(drop=True)


def _deciles(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=["area", "area_name", "decile", "n_lsoa", "share"])
    out = pd.DataFrame(
        {
            "area": _area(df),
            "area_name": df["ward_name"].to_numpy(),
            "decile": df["imd_decile"].astype(int).to_numpy(),
            "n_lsoa": df["n_lsoa"].astype("Float64").to_numpy(),
        }
    )
    totals = out.groupby("area")["n_lsoa"].transform("sum")
    out["share"] = (out["n_lsoa"] / totals.replace(0, pd.NA)).astype("Float64")
    out["_a"] = out["area"].map({"ward": 0, "city": 1})
    return out.sort_values(["_a", "decile"]).drop(columns="_a").reset_index(drop=True)


def ward_profile(context: ctx.WardContext, context_dir: Path | None = None, study_id: str | None = None) -> WardProfile:
    """Shape a ward's context tables into the tidy frames the chapter shows."""
    wards = context.wards
    population = pd.DataFrame(
        {
            "area": _area(wards),
            "area_name": wards["ward_name"].to_numpy(),
            **{c: wards[c].astype("Float64").to_numpy() for c in POPULATION_COLUMNS if c in wards},
        }
    ).sort_values("area", key=lambda s: s.map({"ward": 0, "city": 1}), ignore_index=True)
    ethnicity_all = context.ethnicity
    minority = _tidy(ethnicity_all, [ctx.ETHNIC_MINORITY])
    lsoas = context.deprivation_lsoa
    lsoas = lsoas[lsoas["boundary_set"] != ctx.SET_CITY].reset_index(drop=True) if not lsoas.empty else lsoas
    lsoas2025 = context.deprivation2025_lsoa
    if not lsoas2025.empty:
        lsoas2025 = lsoas2025[lsoas2025["ward_code"] == context.ward_code].reset_index(drop=True)
    city_rows = wards[wards["boundary_set"] == ctx.SET_CITY]
    n_wards = 0
    overlaps = overlaps_reverse = all_indicators = pd.DataFrame()
    if context_dir is not None:
        all_indicators = ctx.load_indicators(context_dir, boundary_set=context.boundary_set)
        n_wards = int((ctx.ward_index(context_dir)["boundary_set"] == context.boundary_set).sum())
        overlaps = ctx.load_overlaps(context_dir, context.ward_code)
        overlaps_reverse = ctx.load_overlaps(context_dir, None, other_ward_code=context.ward_code)
    return WardProfile(
        ward_code=context.ward_code,
        ward_name=context.ward_name,
        boundary_set=context.boundary_set,
        caveat=context.caveat,
        city_caveat="" if city_rows.empty else str(city_rows["caveat"].iloc[0]),
        population=population,
        age=_tidy(context.age, AGE_ORDER),
        sex=_tidy(context.sex, ["Female", "Male"]),
        ethnicity=_tidy(ethnicity_all, ETHNIC_GROUPS),
        ethnic_minority=minority,
        tenure=_tidy(context.tenure, TENURE_ORDER),
        deprivation=_deciles(context.deprivation_summary),
        deprivation2025=_deciles(context.deprivation2025_summary),
        lsoas=lsoas,
        lsoas2025=lsoas2025,
        context_dir=None if context_dir is None else Path(context_dir),
        study_id=study_id,
        n_wards=n_wards,
        overlaps=overlaps,
        overlaps_reverse=overlaps_reverse,
        indicators=all_indicators,
    )


# A profile-only ward of the atlas (no params file) is run with its ONS code in lower case as its id.
# Defined here, not in chapters.atlas, so that a change to the atlas index never re-runs 94 profiles.
ATLAS_ID = re.compile(r"^e05\d{6}$")


def is_atlas_id(study_id: str) -> bool:
    return bool(ATLAS_ID.match(str(study_id)))


def ward_code_of(study_id: str) -> str:
    if not is_atlas_id(study_id):
        raise ValueError(f"{study_id!r} is not an atlas ward id (an ONS ward code in lower case, e.g. 'e05000892')")
    return str(study_id).upper()


def load_profile(study_id: str, root: Path | None = None) -> WardProfile:
    """The profile of the ward named in `params/<study_id>.yml` of the project at `root` (or found).

    A profile-only ward of the atlas has no params file: its id is its ONS code in lower case.
    """
    from cityconv.core.params import load_params
    from cityconv.core.paths import Project

    project = Project(Path(root)) if root is not None else Project.discover()
    path = project.params_file(study_id)
    if not path.exists() and is_atlas_id(study_id):
        context = ctx.load_context(project.context_dir, ward_code_of(study_id))
        return replace(ward_profile(context, project.context_dir, study_id), pages=load_ward_pages(project))
    params = load_params(path, project.root)
    if params.ward is None:
        raise ValueError(f"{study_id!r} is not a ward study: the ward profile needs a 'ward' section in its params")
    context = ctx.load_context(project.context_dir, params.ward.code, params.ward.boundary_set)
    found = replace(ward_profile(context, project.context_dir, study_id), page_status=params.data_status,
                    pages=load_ward_pages(project))
    found.findings_boundary_set = params.findings_boundary_set
    return found


# ---- small accessors


def shares(frame: pd.DataFrame, area: str) -> pd.Series:
    """category -> share for one area ("ward" or "city")."""
    rows = frame[frame["area"] == area]
    return pd.Series(rows["share"].to_numpy(), index=rows["category"].astype(str).to_numpy(), dtype="Float64")


def counts(frame: pd.DataFrame, area: str) -> pd.Series:
    rows = frame[frame["area"] == area]
    return pd.Series(rows["count"].to_numpy(), index=rows["category"].astype(str).to_numpy(), dtype="Float64")


def _pop(p: WardProfile, area: str, column: str):
    value = p.population.loc[p.population["area"] == area, column]
    return pd.NA if value.empty else value.iloc[0]


def _city_name(p: WardProfile) -> str:
    names = p.population.loc[p.population["area"] == "city", "area_name"]
    return ctx.CITY_NAME if names.empty else str(names.iloc[0])


# ================================================================================================
# words
# ================================================================================================


def compare(ward_share, city_share, similar_pp: float = SIMILAR_PP) -> str:
    """"higher than" / "lower than" / "similar to", judged on the difference in percentage points."""
    diff = (float(ward_share) - float(city_share)) * 100
    if abs(diff) < similar_pp:
        return "similar to"
    return "higher than" if diff > 0 else "lower than"


def of_phrase(n: int, total: int) -> str:
    """"all 11", "none of the 11", "10 of the 11"."""
    n, total = int(n), int(total)
    if total > 0 and n == total:
        return f"all {fmt_int(total)}" if total > 2 else ("both" if total == 2 else "the only one")
    if n == 0:
        return f"none of the {fmt_int(total)}"
    return f"{fmt_int(n)} of the {fmt_int(total)}"


def _verb(n) -> str:
    return "is" if int(n) == 1 else "are"


def no_census_text(p: WardProfile, topic: str) -> str:
    return render("no_census", {"topic": topic, "ward": p.ward_name})


def intro_context(p: WardProfile) -> dict:
    which = f"one of Liverpool's {fmt_int(p.n_wards)} wards" if p.n_wards else "a Liverpool ward"
    return {"ward": p.ward_name, "ward_code": p.ward_code, "which": f"{which} {p.boundary_text}".strip(),
            "city": _city_name(p)}


def intro_text(p: WardProfile) -> str:
    return render("intro", intro_context(p))


def edition_counts(p: WardProfile) -> list[in_short.EditionCount]:
    """Each deprivation edition's count of the ward's neighbourhoods in decile 1 (an edition without any is left out)."""
    found = []
    for frame, edition, boundaries in ((p.deprivation, "IMD 2019", "2011"), (p.deprivation2025, "IMD 2025", "2021")):
        ward = frame[frame["area"] == "ward"]
        if ward.empty or ward["n_lsoa"].isna().all() or int(ward["n_lsoa"].fillna(0).sum()) == 0:
            continue
        n = ward.set_index("decile")["n_lsoa"].fillna(0).astype(int)
        found.append(in_short.EditionCount(edition, boundaries, int(n.get(1, 0)), int(n.sum())))
    return found


def summary_context(p: WardProfile) -> dict:
    """The opening summary: where the ward is, its population, and the rules' statements (`chapters.in_short`)."""
    pop = facts.population_facts(p)
    context: dict[str, Any] = {
               "ward": p.ward_name, "city": _city_name(p), "population_2021": pop.get("population_2021"),
               "population_described": pop.get("population_described"), "statements": [],
               "threshold": fmt_int(in_short.DIFFERENCE_PP), "deprivation": in_short.deprivation_context(edition_counts(p))}
    where = "is a ward of Liverpool"
    if p.context_dir is not None:
        try:
            where = f"lies {location_facts(map_frame(p), p.ward_code)['part']}"
        except (KeyError, FileNotFoundError):
            pass
        rows = indicators.headline_of(p.ward_indicators, p.boundary_set)  # loaded with the profile: not read again
        rows = rows[~rows["indicator"].isin(list(indicators.EDITIONS))] if not rows.empty else rows  # deprivation has its own sentences, per edition
        context["statements"] = in_short.statements(rows)
        context["n_headline"] = fmt_int(len(rows))
    context["where"] = where
    return context


def summary_text(p: WardProfile) -> str:
    """The chapter's opening paragraph: the ward in a few plain sentences."""
    return render("summary", summary_context(p))


def population_context(p: WardProfile) -> dict:
    pop = facts.population_facts(p)
    city_pop = _pop(p, "city", "population_2021")
    pop21 = _pop(p, "ward", "population_2021")
    return {"ward": p.ward_name, "city": _city_name(p), "population_2021": pop["population_2021"],
            "population_2011": pop.get("population_2011"), "population_described": pop.get("population_described"),
            "households": fmt_int(_pop(p, "ward", "households_2021")),
            "city_share": fmt_pct(float(pop21) / float(city_pop), 1), "city_population": fmt_int(city_pop),
            "n_lsoa": fmt_int(_pop(p, "ward", "n_lsoa21")), "n_oa": fmt_int(_pop(p, "ward", "n_oa21")),
            "caveat": _caveat(p), **mid2020_context(p)}


def mid2020_context(p: WardProfile) -> dict[str, Any]:
    """The ONS mid-2020 ward estimate beside the 2021 count (2004-2023 wards only), and how far apart they are."""
    estimate, diff = _pop(p, "ward", "population_mid2020_ons"), _pop(p, "ward", "difference_from_mid2020_pct")
    if pd.isna(estimate) or pd.isna(diff):
        return {"mid2020": None}
    diff = float(diff)
    return {"mid2020": fmt_int(estimate), "mid2020_diff": f"{abs(diff):.1f}%".replace(".0%", "%"),
            "mid2020_direction": "more" if diff > 0 else "fewer", "mid2020_close": abs(diff) <= MID2020_NEAR_PCT,
            "mid2020_near": fmt_int(MID2020_NEAR_PCT)}


def shares_reliable(p: WardProfile) -> bool:
    """Is a modelled share of this ward close to exact? Only with enough neighbourhoods to split (the rule above)."""
    n = _pop(p, "ward", "n_lsoa21")
    return not pd.isna(n) and int(n) >= MIN_LSOAS_FOR_RELIABLE_SHARES


def method_note(p: WardProfile, method: str) -> str:
    """One sentence on how a table's ward figures were made, by its method ("exact" or "modelled")."""
    if method == ctx.METHOD_EXACT:
        return "Ward figures are sums of the ward's Census 2021 output areas: exact."
    note = ("Modelled: this table is published only for neighbourhoods (LSOAs), so each neighbourhood's counts are "
            "split across wards by its output areas' residents.")
    if not shares_reliable(p):
        n = _pop(p, "ward", "n_lsoa21")
        note += (f" {p.ward_name} touches only {fmt_int(n)} neighbourhoods, so one neighbourhood split differently "
                 "would move its shares a lot.")
    return note


def _table_method(frame: pd.DataFrame) -> str:
    """A context table's method for the ward: "modelled" if any of its ward rows is."""
    if "method" not in frame:
        return ctx.METHOD_EXACT
    return ctx.METHOD_MODELLED if (frame["method"] == ctx.METHOD_MODELLED).any() else ctx.METHOD_EXACT


def _caveat(p: WardProfile) -> str:
    return p.caveat


def population_method_text(p: WardProfile) -> str:
    return render("population_method", {"ward": p.ward_name, "few": "" if shares_reliable(p) else method_note(p, ctx.METHOD_MODELLED)})


def population_text(p: WardProfile) -> str:
    if not p.has_census:
        return render("no_census_population", {"ward": p.ward_name, "caveat": p.caveat})
    return render("population", population_context(p))


def age_context(p: WardProfile) -> dict[str, Any]:
    city = _city_name(p)
    ward, town = shares(p.age, "ward"), shares(p.age, "city")
    old = ["65-74", "75+"]
    female_w, female_c = shares(p.sex, "ward").get("Female"), shares(p.sex, "city").get("Female")
    has_sex = female_w is not None and not pd.isna(female_w)
    return {"ward": p.ward_name, "city": city,
            "children": fmt_pct(ward["0-14"]), "children_compared": compare(ward["0-14"], town["0-14"]),
            "city_children": fmt_pct(town["0-14"]), "young": fmt_pct(ward["15-24"]), "city_young": fmt_pct(town["15-24"]),
            "old": fmt_pct(float(ward[old].sum())), "city_old": fmt_pct(float(town[old].sum())),
            "female": fmt_pct(female_w) if has_sex else "", "male": fmt_pct(1 - float(female_w)) if has_sex else "",
            "city_female": fmt_pct(female_c) if has_sex else ""}


def age_text(p: WardProfile) -> str:
    if not p.has_census:
        return no_census_text(p, "age or sex")
    return render("age", age_context(p))


def _band_words(band: str) -> str:
    if band.startswith("0-"):
        return f"under {int(band.split('-')[1]) + 1}"
    if band.endswith("+"):
        return f"{band[:-1]} and over"
    lo, hi = band.split("-")
    return f"{lo} to {hi}"


def ethnicity_context(p: WardProfile) -> dict[str, Any]:
    city = _city_name(p)
    ward, town = shares(p.ethnicity, "ward"), shares(p.ethnicity, "city")
    minority_w = shares(p.ethnic_minority, "ward").iloc[0]
    minority_c = shares(p.ethnic_minority, "city").iloc[0]
    top = str(ward.drop("White").astype(float).idxmax())
    return {"ward": p.ward_name, "city": city, "white": fmt_pct(ward["White"]), "city_white": fmt_pct(town["White"]),
            "minority": fmt_pct(minority_w), "minority_compared": compare(minority_w, minority_c),
            "city_minority": fmt_pct(minority_c), "top": top, "top_share": fmt_pct(ward[top]),
            "city_top_share": fmt_pct(town[top])}


def ethnicity_text(p: WardProfile) -> str:
    if not p.has_census:
        return no_census_text(p, "ethnic group")
    return render("ethnicity", ethnicity_context(p))


def tenure_context(p: WardProfile) -> dict[str, Any]:
    city = _city_name(p)
    ward, town = shares(p.tenure, "ward"), shares(p.tenure, "city")
    return {"ward": p.ward_name, "city": city, "social": fmt_pct(ward[SOCIAL]),
            "social_compared": compare(ward[SOCIAL], town[SOCIAL]), "city_social": fmt_pct(town[SOCIAL]),
            "private": fmt_pct(ward[PRIVATE]), "city_private": fmt_pct(town[PRIVATE]),
            "owned": fmt_pct(float(ward[OWNED].sum())), "city_owned": fmt_pct(float(town[OWNED].sum()))}


def tenure_text(p: WardProfile) -> str:
    if not p.has_census:
        return no_census_text(p, "housing tenure")
    return render("tenure", tenure_context(p))


def deprivation_context(p: WardProfile) -> dict[str, Any]:
    if not p.has_deprivation:
        return {"has_deprivation": False, "ward": p.ward_name}
    d = p.deprivation
    ward = d[d["area"] == "ward"].set_index("decile")["n_lsoa"].astype(int)
    town = d[d["area"] == "city"].set_index("decile")["n_lsoa"].astype(int)
    n, n_city = int(ward.sum()), int(town.sum())
    context: dict[str, Any] = {
        "has_deprivation": True, "ward": p.ward_name, "city": _city_name(p),
        "decile1": capitalise(of_phrase(ward[1], n)), "decile1_verb": _verb(ward[1]),
        "decile12": of_phrase(ward[[1, 2]].sum(), n) if ward[[1, 2]].sum() > ward[1] else "",
        "city_decile1": fmt_int(town[1]), "city_n": fmt_int(n_city), "city_decile1_share": fmt_pct(town[1] / n_city),
        "imd2025": None,
        "split": "note" in p.lsoas and p.lsoas["note"].fillna("").str.contains("listed under each").any(),
    }
    d25 = p.deprivation2025
    w25 = d25[d25["area"] == "ward"]
    if not w25.empty and not w25["n_lsoa"].isna().all() and int(w25["n_lsoa"].fillna(0).sum()) > 0:
        w25 = w25.set_index("decile")["n_lsoa"].astype(int)
        c25 = d25[d25["area"] == "city"].set_index("decile")["n_lsoa"].astype(int)
        context["imd2025"] = {"decile1": of_phrase(w25[1], int(w25.sum())), "verb": _verb(w25[1]),
                              "city_decile1": fmt_int(c25[1]), "city_n": fmt_int(c25.sum())}
    return context


def deprivation_text(p: WardProfile) -> str:
    return render("deprivation", deprivation_context(p))


OTHER_SET_WORDS = {
    ctx.SET_OLD: ("Since May 2023", "the new wards"),
    ctx.SET_NEW: ("Before May 2023", "the wards used from 2004"),
}


def _share_list(rows: pd.DataFrame) -> str:
    return join_words([f"{r.other_ward_name} ({fmt_pct(r.share)})" for r in rows.itertuples()])


def boundary_change_context(p: WardProfile) -> dict[str, Any]:
    if p.overlaps.empty:
        return {"no_overlaps": True, "ward": p.ward_name}
    when, others = OTHER_SET_WORDS[p.boundary_set]
    rows = p.overlaps.sort_values("share", ascending=False)
    findings_set = p.findings_boundary_set
    return {"no_overlaps": False, "ward": p.ward_name, "when": when, "others": others,
            "verb": "live in" if p.boundary_set == ctx.SET_OLD else "lived in",
            "single": str(rows["other_ward_name"].iloc[0]) if len(rows) == 1 else "",
            "n_wards": fmt_int(len(rows)), "shares": _share_list(rows),
            "findings_set": BOUNDARY_SET_TEXT[findings_set] if findings_set else "",
            "findings_set_here": bool(findings_set) and findings_set == p.boundary_set}


def boundary_change_text(p: WardProfile) -> str:
    """Which wards of the other boundary set hold this ward's residents, and what share of them."""
    return render("boundary_change", boundary_change_context(p))


def boundary_change_table(p: WardProfile) -> Table | None:
    if p.overlaps.empty:
        return None
    rows = p.overlaps.sort_values("share", ascending=False)
    back = p.overlaps_reverse.set_index("ward_code")["share"] if not p.overlaps_reverse.empty else pd.Series(dtype=float)
    label = "Ward since May 2023" if p.boundary_set == ctx.SET_OLD else "Ward used 2004 to 2023"
    frame = pd.DataFrame({
        label: [_overlap_label(n, c) for n, c in zip(rows["other_ward_name"], rows["other_ward_code"])],
        f"Share of {p.ward_name}'s residents": [fmt_pct(v, 1) for v in rows["share"]],
        f"Residents of {p.ward_name} in it (2021)": [fmt_int(v) for v in rows["population_2021"]],
        f"Share of that ward's residents in {p.ward_name}": [
            fmt_pct(back[c], 1) if c in back.index else "[x]" for c in rows["other_ward_code"]],
        **({"Output areas shared": [fmt_int(v) for v in rows["n_oa21"]]} if "n_oa21" in rows
           else {"Neighbourhoods (LSOAs) shared": [fmt_int(v) for v in rows["n_lsoa21"]]}),
    })
    return Table(
        frame, title=f"{p.ward_name} and the wards of the other boundary set",
        source=f"{cite('census2021')}; {cite('lookups')}",
        units="Percentage of usual residents; number of usual residents; number of output areas",
        notes=[ctx.OVERLAP_METHOD, ctx.OVERLAP_CAVEAT, "Percentages may not sum to 100% because of rounding."],
        status="published",
        page_status=p.page_status,
    )


OTHER_SET = {ctx.SET_OLD: ctx.SET_NEW, ctx.SET_NEW: ctx.SET_OLD}


def _overlap_label(name: str, code: str) -> str:
    return f"{name} ({code})"


def own_doc(p: WardProfile) -> str:
    if p.pages is None:
        raise ValueError("the profile was built without the book's page list; use load_profile")
    return p.pages.doc(p.ward_code, p.boundary_set)


def boundary_change_bundle(p: WardProfile) -> dict[str, str] | None:
    """The boundary-overlap table with each ward of the other set linking to its profile."""
    table = boundary_change_table(p)
    if table is None:
        return None
    bundle = table.bundle()
    if p.pages is None:
        return bundle
    other = OTHER_SET[p.boundary_set]
    hrefs = {_overlap_label(n, c): href(own_doc(p), p.pages.doc(c, other))
             for n, c in zip(p.overlaps["other_ward_name"], p.overlaps["other_ward_code"]) if p.pages.has_page(c, other)}
    return {**bundle, "text/html": link_row_headers(bundle["text/html"], hrefs)}


def show_boundary_change_table(p: WardProfile) -> None:
    from cityconv.present.mime import display_bundle

    bundle = boundary_change_bundle(p)
    if bundle is not None:
        display_bundle(bundle)


def study_links_context(p: WardProfile) -> dict[str, Any]:
    """The studies in this book of this ward, or of the wards of the other set it overlaps."""
    if p.pages is None:
        return {"ward": p.ward_name, "overlapping": []}
    overlapping = []
    other = OTHER_SET[p.boundary_set]
    for row in p.overlaps.sort_values("share", ascending=False).itertuples() if not p.overlaps.empty else []:
        study = p.pages.study_of(row.other_ward_code, other)
        if study is None:
            continue
        overlapping.append({"link": doc_role(f"the {p.pages.titles.get(study, row.other_ward_name)} study",
                                             p.pages.doc(row.other_ward_code, other)),
                            "other_ward": row.other_ward_name, "share": fmt_pct(row.share),
                            "verb": "live in" if p.boundary_set == ctx.SET_OLD else "lived in",
                            "set_text": BOUNDARY_SET_TEXT[other]})
    return {"ward": p.ward_name, "overlapping": overlapping}


def study_links_text(p: WardProfile) -> str:
    """Links from an atlas profile to the studies of the wards it overlaps ("" when there are none)."""
    return render("study_links", study_links_context(p)).strip()


# ================================================================================================
# the topics councils publish (indicators.csv): each beside Liverpool and England, with ranks
# ================================================================================================

#: Topics with a section of their own above; the rest are shown together under "More topics".
OWN_SECTIONS = ("Population", "Age", "Sex", "Ethnic group", "Tenure", "Deprivation")
METHOD_WORDS = {ctx.METHOD_EXACT: "exact", ctx.METHOD_MODELLED: "modelled"}
ENGLAND_COLUMN = "England (%)"
RANK_COLUMN = "Rank"  # "6 of 30": among the wards of the set, 1 = the highest share (said in the table's notes)


RANK_NOTE = ("Rank: among the wards of the same boundary set, 1 = the highest share; wards with equal shares "
             "share the higher rank.")


def more_topics(p: WardProfile) -> list[str]:
    """The topics of indicators.csv without a section of their own, in the definitions' order."""
    rows = p.ward_indicators
    return [] if rows.empty else [t for t in dict.fromkeys(rows["topic"]) if t not in OWN_SECTIONS]


def _rank_text(rank, n) -> str:
    return "[x]" if pd.isna(rank) else f"{fmt_int(rank)} of {fmt_int(n)}"


def topic_table(p: WardProfile, topic: str) -> Table | None:
    """One topic: each category's count and share for the ward, beside Liverpool and England, its rank and method."""
    rows = p.ward_indicators
    rows = rows[rows["topic"] == topic] if not rows.empty else rows
    if rows.empty:
        return None
    city = _city_name(p)
    frame = pd.DataFrame({
        topic: list(rows["category"]),
        "Number": [fmt_int(v) for v in rows["count"]],
        f"{p.ward_name} (%)": [fmt_pct(v, 1) for v in rows["share"]],
        f"{city} (%)": [fmt_pct(v, 1) for v in rows["liverpool_share"]],
        ENGLAND_COLUMN: [fmt_pct(v, 1) for v in rows["england_share"]],
        RANK_COLUMN: [_rank_text(r, n) for r, n in zip(rows["rank"], rows["n_wards"])],
        "Method": [METHOD_WORDS.get(m, m) for m in rows["method"]],
    })
    methods = set(rows["method"])
    notes = [method_note(p, m) for m in (ctx.METHOD_EXACT, ctx.METHOD_MODELLED) if m in methods]
    notes += [RANK_NOTE,
              f"Sources: {join_words(sorted(set(rows['source'])))}."]
    if rows["england_share"].isna().any():
        notes.append("[x] for England: no comparable England figure.")
    base = {indicators.BASES.get(i, "") for i in rows["indicator"]}
    return Table(frame, title=f"{topic}: {p.ward_name}, {city} and England",
                 source=f"{cite('census2021')}", units=f"Number; percentage of {join_words(sorted(b for b in base if b))}",
                 notes=notes, status="published", page_status=p.page_status)


def topic_tables(p: WardProfile) -> list[Table]:
    return [t for t in (topic_table(p, topic) for topic in more_topics(p)) if t is not None]


#: The class that stacks a table's rows on a phone (book/_static/atlas.css): each row a block, each cell
#: introduced by its column's heading, so a seven-column topic table reads without scrolling sideways.
STACKED_TABLE_CLASS = "cityconv-table-stack"
_COLUMN_HEADING = re.compile(r'<th scope="col"[^>]*>(.*?)</th>', re.DOTALL)
_BODY_ROW = re.compile(r"<tr><th scope=\"row\">.*?</tr>", re.DOTALL)


def stacked_on_phones(page_html: str) -> str:
    """A table's HTML (from `present.tables`) that stacks on a narrow screen: each data cell carries its
    column's heading (`data-label`, shown before the value by atlas.css) and the table the class."""
    headings = [html.unescape(h) for h in _COLUMN_HEADING.findall(page_html)][1:]

    def label_row(match: re.Match) -> str:
        cells = iter(headings)
        return re.sub(r"<td(?=[ >])", lambda _: f'<td data-label="{html.escape(next(cells, ""), quote=True)}"', match.group(0))

    labelled = _BODY_ROW.sub(label_row, page_html)
    return labelled.replace('<div class="cityconv-table">', f'<div class="cityconv-table {STACKED_TABLE_CLASS}">', 1)


def show_topic_tables(p: WardProfile) -> None:
    from cityconv.present.mime import display_bundle

    for table in topic_tables(p):
        bundle = table.bundle()
        display_bundle({**bundle, "text/html": stacked_on_phones(bundle["text/html"])})


def rank_strip_rows(p: WardProfile) -> pd.DataFrame:
    """The ward's headline rows (every topic), in display order, for the rank strips."""
    rows = p.ward_indicators
    return rows[rows["headline"]].reset_index(drop=True) if not rows.empty else rows


def _strip_label(row) -> str:
    edition = indicators.EDITIONS.get(row.indicator)
    if edition:
        label = f"Residents in {edition} decile 1"
    elif row.indicator == "age":
        label = f"Aged {_band_words(str(row.category))}"
    elif str(row.category) == ctx.ETHNIC_MINORITY:
        label = "Ethnic minority (not White)"
    else:
        label = capitalise(str(row.category))
    return label if len(label) <= 40 else label[:38].rstrip() + "…"


#: The rank table's columns naming other wards, and which of the ranked wards each names.
NEIGHBOUR_COLUMNS = ("Highest", "Next higher", "Next lower", "Lowest")


def _ranked_neighbours(ranked: list[dict], rank) -> dict[str, dict | None]:
    """The wards at the top and bottom of one indicator's ranking (`ranked`: its ranked wards' rows, by rank
    then name) and those ranked just above and below `rank` (the first by name where wards tie); None where
    there is none (this ward is the highest or lowest)."""
    if not ranked or pd.isna(rank):
        return dict.fromkeys(NEIGHBOUR_COLUMNS)
    above = [r for r in ranked if r["rank"] < rank]
    below = [r for r in ranked if r["rank"] > rank]
    return {"Highest": ranked[0], "Lowest": ranked[-1],
            "Next higher": next(r for r in above if r["rank"] == above[-1]["rank"]) if above else None,
            "Next lower": below[0] if below else None}


def _ward_share(row: dict | None) -> str:
    return "none" if row is None else f"{row['ward_name']} ({fmt_pct(row['share'], 1)})"


def rank_table_rows(p: WardProfile) -> list[tuple[pd.Series, dict[str, dict | None]]]:
    """Each headline row of this ward with the wards it is compared with in the rank strips (each a row of
    indicators.csv as a dict, or None)."""
    rows = rank_strip_rows(p)
    if rows.empty:
        return []
    # Every ward's row of each headline figure, sorted once (not filtered and sorted per figure).
    key = ["indicator", "category"]
    wanted = p.indicators.merge(rows[key].drop_duplicates(), on=key)
    wanted = wanted.dropna(subset=["rank"]).sort_values([*key, "rank", "ward_name"], kind="stable")
    ranked: dict[tuple, list[dict]] = {}
    for ward in wanted.to_dict("records"):
        ranked.setdefault((ward["indicator"], ward["category"]), []).append(ward)
    return [(row, _ranked_neighbours(ranked.get((row["indicator"], row["category"]), []), row["rank"]))
            for _, row in rows.iterrows()]


def rank_table(p: WardProfile, rows: list[tuple[pd.Series, dict[str, dict | None]]] | None = None) -> Table | None:
    """The rank strips as a table: per headline figure, this ward's share and rank and the wards ranked
    highest, just above, just below and lowest (their names link to their profiles: `rank_table_bundle`).
    `rows`: `rank_table_rows(p)`, when the caller has them already."""
    rows = rank_table_rows(p) if rows is None else rows
    if not rows:
        return None
    frame = pd.DataFrame({
        "Figure": [_strip_label(row) for row, _ in rows],
        p.ward_name: [f"{fmt_pct(row['share'], 1)}; rank {_rank_text(row['rank'], row['n_wards'])}"
                      + (" (modelled)" if row["method"] == ctx.METHOD_MODELLED else "") for row, _ in rows],
        **{column: [_ward_share(near[column]) for _, near in rows] for column in NEIGHBOUR_COLUMNS},
    })
    n = int(max(row["n_wards"] for row, _ in rows))
    return Table(frame, title=f"Where {p.ward_name} ranks among Liverpool's {fmt_int(n)} wards, and its neighbours in each ranking",
                 source=f"{cite('census2021')}; {cite('imd2019')}; {cite('imd2025')}",
                 units="Percentage of the figure's base (see the topic tables); rank among the wards of the set",
                 notes=[RANK_NOTE, "Next higher and next lower: the wards ranked just above and just below this one "
                        "(the first by name where wards tie); each ward's name links to its profile.",
                        "The figure below draws the same ranks as rows of dots."],
                 status="published", page_status=p.page_status)


def rank_table_bundle(p: WardProfile) -> dict[str, str] | None:
    """The rank table with every named ward linking to its profile page."""
    rows = rank_table_rows(p)
    table = rank_table(p, rows)
    if table is None:
        return None
    bundle = table.bundle()
    if p.pages is None:
        return {**bundle, "text/html": stacked_on_phones(bundle["text/html"])}
    links = {}
    for _, near in rows:
        for ward in near.values():
            if ward is not None and p.pages.has_page(ward["ward_code"], p.boundary_set):
                links[_ward_share(ward)] = (str(ward["ward_name"]),
                                            href(own_doc(p), p.pages.doc(ward["ward_code"], p.boundary_set)))
    return {**bundle, "text/html": stacked_on_phones(link_cells(bundle["text/html"], links))}


def show_rank_table(p: WardProfile) -> None:
    from cityconv.present.mime import display_bundle

    bundle = rank_table_bundle(p)
    if bundle is not None:
        display_bundle(bundle)


def _lower_first(label: str) -> str:
    """"Aged 65 and over" -> "aged 65 and over" inside a sentence; "IMD" and names keep their capitals."""
    return label[:1].lower() + label[1:]


def _strip_value(row) -> str:
    modelled = " (modelled)" if row.method == ctx.METHOD_MODELLED else ""
    return f"{fmt_pct(row.share)}{modelled}; rank {_rank_text(row.rank, row.n_wards)}"


def rank_strip_list(p: WardProfile) -> list[Strip]:
    """One strip per headline figure: its label, the ward's share and rank in words, and the rank to highlight."""
    return [Strip(_strip_label(row), _strip_value(row), None if pd.isna(row.rank) else float(row.rank), int(row.n_wards))
            for row in rank_strip_rows(p).itertuples()]


def rank_strips(p: WardProfile) -> Chart | None:
    """Every ward of the set as a dot at its rank, per headline indicator; this ward highlighted and labelled.

    Drawn as SVG (`present.rank_strips`), not with matplotlib: the same strips for a fraction of the CPU."""
    rows = rank_strip_rows(p)
    if rows.empty:
        return None
    n = int(rows["n_wards"].max())
    figure = rank_strips_svg(rank_strip_list(p), title=f"Where {p.ward_name} ranks on each headline figure",
                             axis_label=f"Rank among Liverpool's {fmt_int(n)} wards {p.boundary_text}",
                             highest="1 (highest %)", lowest=f"{n} (lowest %)")
    top = rows[rows["rank"] <= 3]
    bottom = rows[rows["rank"] > rows["n_wards"] - 3]
    alt = (f"Rank strips: for each of {fmt_int(len(rows))} headline figures, Liverpool's {fmt_int(n)} wards as a row "
           f"of dots ordered by rank, with {p.ward_name} highlighted and its share and rank written above it. "
           + (f"{p.ward_name} is among the 3 highest on {join_words([_lower_first(_strip_label(r)) for r in top.itertuples()])}. " if not top.empty else "")
           + (f"It is among the 3 lowest on {join_words([_lower_first(_strip_label(r)) for r in bottom.itertuples()])}. " if not bottom.empty else "")
           + "Every figure, with Liverpool's and England's, is in the tables above.")
    caption = (f"{p.ward_name}'s rank among the wards {p.boundary_text} on each headline figure (1 = the highest share). "
               f"Census 2021 and the Indices of Deprivation; modelled figures are marked. Sources: {cite('census2021')}; "
               f"{cite('imd2019')}; {cite('imd2025')}.")
    return Chart(figure, alt, caption, status="published")


# ---- change since 2011, on the same geography


def change_table(p: WardProfile) -> Table | None:
    """2011 and 2021 shares on the same geography (change_2011_2021.csv), and the change in percentage points
    only where both years were built the same way; what differs between the censuses' questions in the notes."""
    if p.context_dir is None:
        return None
    rows = ctx.load_change(p.context_dir, p.ward_code, p.boundary_set)
    rows = rows[rows["boundary_set"] == p.boundary_set]
    if rows.empty:
        return None
    same = rows["method_2011"] == rows["method_2021"]
    is_count = rows["share_2011"].isna()

    def show(value, count_row, as_pct):
        return fmt_int(value) if count_row else fmt_pct(value, 1) if as_pct else value

    frame = pd.DataFrame({
        "Topic": list(rows["topic"]),
        "Category": list(rows["category"]),
        "2011": [show(c, True, False) if k else fmt_pct(s, 1) for c, s, k in zip(rows["count_2011"], rows["share_2011"], is_count)],
        "2021": [show(c, True, False) if k else fmt_pct(s, 1) for c, s, k in zip(rows["count_2021"], rows["share_2021"], is_count)],
        "Change": [("[x]" if not ok or pd.isna(v if k else d) else (f"{v:+.1f}%" if k else f"{d + 0.0:+.1f}"))
                   for ok, k, v, d in zip(same, is_count, rows["count_change_pct"], rows["change_pp"])],
        "Comparability": list(rows["comparability"]),
    })
    differs = rows.drop_duplicates("topic")
    notes = ["Both years are built the same way: neighbourhood counts summed to blocks on which the 2011 and 2021 "
             "neighbourhoods agree, then split to the ward by the same output-area weights, so the 2021 shares "
             "here can differ slightly from the tables above.",
             "Change: percentage points for shares, per cent for the population count; [x] where the two years "
             "were not built the same way, so no change is computed."]
    notes += [f"{t}: {w}" for t, w in zip(differs["topic"], differs["what_differs"]) if isinstance(w, str) and w]
    return Table(frame, title=f"{p.ward_name} in 2011 and 2021, on the same geography",
                 source=f"{cite('census2011')}; {cite('census2021')}; {cite('lookups')}",
                 units="Percentage of the topic's base (number for the population); change in percentage points "
                       "(per cent for the population)",
                 notes=notes, status="published", page_status=p.page_status)


# ================================================================================================
# tables
# ================================================================================================


def population_table(p: WardProfile) -> Table:
    city = _city_name(p)
    rows = [
        ("Usual residents, Census 2011 (official ward figure)", "population_2011"),
        ("Usual residents, Census 2021 (sum of output areas)", "population_2021"),
        ("Households, Census 2021 (sum of output areas)", "households_2021"),
        ("Census 2021 output areas in the ward", "n_oa21"),
        ("Census 2021 neighbourhoods (LSOAs) touching the ward", "n_lsoa21"),
    ]
    frame = pd.DataFrame(
        {
            "Measure": [label for label, _ in rows],
            p.ward_name: [fmt_int(_pop(p, "ward", col)) if p.has_census or col in ("population_2011", "n_lsoa21", "n_oa21") else "[x]" for _, col in rows],
            city: [fmt_int(_pop(p, "city", col)) for _, col in rows],
        }
    )
    notes = [f"{p.ward_name}: {_caveat(p)}", p.city_caveat]
    if p.boundary_set == ctx.SET_NEW:
        notes.append("These ward boundaries came into use in May 2023, so there is no official Census 2011 figure for them.")
    return Table(
        frame,
        title=f"Population and households: {p.ward_name} and {city}",
        source=f"{cite('census2011')}; {cite('census2021')}",
        units="Number of people, households or neighbourhoods",
        notes=notes,
        status="published",
        page_status=p.page_status,
    )


def _share_table(p: WardProfile, frame: pd.DataFrame, title: str, label: str, units: str, source: str, notes=(),
                 indicator: str = "") -> Table | None:
    if not p.has_census:
        return None
    city = _city_name(p)
    w_share, c_share, w_count = shares(frame, "ward"), shares(frame, "city"), counts(frame, "ward")
    out = pd.DataFrame(
        {
            label: list(w_share.index),
            "Number": [fmt_int(v) for v in w_count],
            f"{p.ward_name} (%)": [fmt_pct(v, 1) for v in w_share],
            f"{city} (%)": [fmt_pct(v, 1) for v in c_share.reindex(w_share.index)],
        }
    )
    rows = p.ward_indicators
    if indicator and not rows.empty:  # England and the ward's rank, from indicators.csv (same categories)
        rows = rows[rows["indicator"] == indicator].set_index("category")
        found = [c in rows.index for c in w_share.index]
        out[ENGLAND_COLUMN] = [fmt_pct(rows.loc[c, "england_share"], 1) if ok else "[x]" for c, ok in zip(w_share.index, found)]
        out[RANK_COLUMN] = [
            _rank_text(rows.loc[c, "rank"], rows.loc[c, "n_wards"]) if ok else "[x]" for c, ok in zip(w_share.index, found)]
        notes = [*notes, RANK_NOTE]
    return Table(out, title=title, source=source, units=units, notes=list(notes), status="published",
                 page_status=p.page_status)


def age_table(p: WardProfile) -> Table | None:
    return _share_table(
        p, p.age, f"Usual residents by age: {p.ward_name} and {_city_name(p)}", "Age group (years)",
        "Number of usual residents; percentage of all usual residents in the area",
        cite("census2021"),
        [method_note(p, _table_method(p.age[p.age["area"] == "ward"])),
         "Percentages may not sum to 100% because of rounding."], indicator="age",
    )


def ethnicity_table(p: WardProfile) -> Table | None:
    return _share_table(
        p, p.ethnicity, f"Usual residents by broad ethnic group: {p.ward_name} and {_city_name(p)}", "Ethnic group",
        "Number of usual residents; percentage of all usual residents in the area",
        cite("census2021"),
        [method_note(p, _table_method(p.ethnicity[p.ethnicity["area"] == "ward"])),
         "Broad ethnic groups as recorded in the Census (table TS021). White minorities, such as White Irish, "
         "are within White.", "Percentages may not sum to 100% because of rounding."], indicator="ethnic_group",
    )


def tenure_table(p: WardProfile) -> Table | None:
    return _share_table(
        p, p.tenure, f"Households by tenure: {p.ward_name} and {_city_name(p)}", "Tenure",
        "Number of households; percentage of all households in the area",
        cite("census2021"),
        [method_note(p, _table_method(p.tenure[p.tenure["area"] == "ward"])),
         "Social rented = renting from the council or a housing association (Census table TS054).",
         "Percentages may not sum to 100% because of rounding."], indicator="tenure",
    )


def deprivation_table(p: WardProfile) -> Table | None:
    if not p.has_deprivation:
        return None
    city = _city_name(p)
    d = p.deprivation
    ward, town = d[d["area"] == "ward"].set_index("decile"), d[d["area"] == "city"].set_index("decile")
    frame = pd.DataFrame(
        {
            "IMD 2019 decile": [_decile_label(k) for k in DECILES],
            f"{p.ward_name} (number)": [fmt_int(ward.loc[k, "n_lsoa"]) for k in DECILES],
            f"{p.ward_name} (%)": [fmt_pct(ward.loc[k, "share"]) for k in DECILES],
            f"{city} (number)": [fmt_int(town.loc[k, "n_lsoa"]) for k in DECILES],
            f"{city} (%)": [fmt_pct(town.loc[k, "share"]) for k in DECILES],
        }
    )
    notes = [
        "Neighbourhoods are Lower layer Super Output Areas (LSOAs, 2011 boundaries): small areas with similar "
        "numbers of residents. "
        "Decile 1 = the most deprived 10% of LSOAs in England.",
    ]
    if p.boundary_set == ctx.SET_NEW:
        notes.append("A 2011 neighbourhood split between two of these wards in 2021 is listed under both, so "
                     "ward counts can add up to more than the city's.")
    notes.append("Percentages may not sum to 100% because of rounding.")
    return Table(
        frame, title=f"Neighbourhoods by deprivation decile (IMD 2019): {p.ward_name} and {city}",
        source=cite("imd2019"), units="Number of neighbourhoods (LSOAs); percentage of the area's neighbourhoods",
        notes=notes,
        status="published",
        page_status=p.page_status,
    )


def lsoa_table(p: WardProfile) -> Table | None:
    if not p.has_deprivation or p.lsoas.empty:
        return None
    rows = p.lsoas.sort_values("imd2019_rank")
    frame = pd.DataFrame(
        {
            "Neighbourhood (LSOA 2011)": [f"{n} ({c})" for n, c in zip(rows["lsoa_name"], rows["lsoa_code"])],
            "IMD 2019 rank": [fmt_int(v) for v in rows["imd2019_rank"]],
            "IMD 2019 decile": [fmt_int(v) for v in rows["imd2019_decile"]],
            "IMD 2025 decile": [fmt_int(v) for v in rows["imd2025_decile"]],
        }
    )
    notes = ["Rank 1 = the most deprived LSOA in England; decile 1 = the most deprived 10% of LSOAs."]
    note = rows["note"].fillna("") if "note" in rows else pd.Series("", index=rows.index)
    changed = rows[note != ""]
    if not changed.empty:
        notes.append(
            "[x] in the IMD 2025 column: the neighbourhood was split or merged in 2021, so it has no comparable "
            f"2025 decile ({join_words(list(changed['lsoa_name']))})."
        )
    shared = rows[note.str.contains("listed under each")]
    if not shared.empty:
        notes.append(
            f"{join_words(list(shared['lsoa_name']))}: split between wards in 2021, so also listed under a neighbouring ward."
        )
    return Table(
        frame, title=f"{p.ward_name}'s neighbourhoods, most deprived first",
        source=f"{cite('imd2019')}; {cite('imd2025')}; {cite('lookups')}",
        units="Rank among LSOAs in England; decile (1 = most deprived 10%)", notes=notes,
        status="published",
        page_status=p.page_status,
    )


def lsoa2025_table(p: WardProfile) -> Table | None:
    """The ward's 2021 neighbourhoods on the IMD 2025, when they differ from its 2011 ones (else lsoa_table has them)."""
    if p.lsoas2025.empty or set(p.lsoas2025["lsoa_code"]) == set(p.lsoas.get("lsoa_code", [])):
        return None
    rows = p.lsoas2025.sort_values("imd2025_rank")
    frame = pd.DataFrame({
        "Neighbourhood (LSOA 2021)": [f"{n} ({c})" for n, c in zip(rows["lsoa_name"], rows["lsoa_code"])],
        "IMD 2025 rank": [fmt_int(v) for v in rows["imd2025_rank"]],
        "IMD 2025 decile": [fmt_int(v) for v in rows["imd2025_decile"]],
    })
    return Table(
        frame, title=f"{p.ward_name}'s 2021 neighbourhoods on the IMD 2025, most deprived first",
        source=f"{cite('imd2025')}; {cite('lookups')}",
        units="Rank among LSOAs in England; decile (1 = most deprived 10%)",
        notes=["The IMD 2025 ranks the 2021 neighbourhoods; some 2011 neighbourhoods were split or merged in 2021, "
               "so this list differs from the 2011 one above.",
               "Rank 1 = the most deprived LSOA in England; decile 1 = the most deprived 10% of LSOAs."],
        status="published", page_status=p.page_status,
    )


def _decile_label(k: int) -> str:
    return {1: "1 (most deprived)", 10: "10 (least deprived)"}.get(k, str(k))


# ================================================================================================
# figures
# ================================================================================================


def _comparison_frame(p: WardProfile, frame: pd.DataFrame) -> pd.DataFrame:
    city = _city_name(p)
    out = frame[["area", "category", "share"]].copy()
    out["Area"] = out["area"].map({"ward": p.ward_name, "city": city})
    out["percent"] = out["share"].astype(float) * 100
    out["category"] = out["category"].astype(str)
    return out


def _bars(p: WardProfile, frame: pd.DataFrame, order: list[str], title: str, xlabel: str, ylabel: str,
          height: float = 4.2, wrap: int = 20):
    import textwrap

    data = _comparison_frame(p, frame)
    fig = new_figure(FIG_WIDTH, height)
    ax = fig.add_subplot()
    grouped_bars(ax, order, _ward_and_city(p, data, "category", order), horizontal=True, edgecolor="white",
                 linewidth=0.6)
    for container in ax.containers:
        # the same rounding as the prose and tables (half up), not matplotlib's
        ax.bar_label(container, labels=[fmt_pct(round(v / 100, 10)) for v in container.datavalues], padding=3, fontsize=10)
    ax.set_xlim(0, max(data["percent"].max() * 1.18, 5))
    _title(ax, title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_yticks(range(len(order)), ["\n".join(textwrap.wrap(o, wrap)) for o in order])
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(_percent_axis())
    _legend_below(fig, ax)
    return fig


def _ward_and_city(p: WardProfile, data: pd.DataFrame, by: str, order) -> list[tuple[str, list[float], str]]:
    """The ward's bars then the city's: (legend label, percent per category of `order`, colour)."""
    return [(name, data[data["Area"] == name].set_index(by)["percent"].reindex(order).tolist(), colour)
            for name, colour in ((p.ward_name, WARD_COLOUR), (_city_name(p), CITY_COLOUR))]


def _title(ax, text: str, width: int = 48) -> None:
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(text, width)))


def _percent_axis():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=100, decimals=0)


def _legend_below(fig, ax) -> None:
    """Legend under the plot, outside the data, so it never hides a bar."""
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False)


def _difference_phrase(p: WardProfile, frame: pd.DataFrame, describe=lambda c: c) -> str:
    ward, town = shares(frame, "ward").astype(float), shares(frame, "city").astype(float)
    diff = (ward - town.reindex(ward.index))
    big = diff.abs().idxmax()
    word = "higher" if diff[big] > 0 else "lower"
    return (f"The biggest difference is for {describe(big)}: {fmt_pct(ward[big])} in {p.ward_name} against "
            f"{fmt_pct(town[big])} in {_city_name(p)}, {word} in the ward.")


def age_chart(p: WardProfile) -> Chart | None:
    if not p.has_census:
        return None
    order = AGE_ORDER[::-1]  # oldest at the top, as in a population pyramid
    fig = _bars(p, p.age, order, f"Age profile: {p.ward_name} and {_city_name(p)}",
                "Percentage of usual residents", "Age group (years)", height=4.8)
    alt = (
        f"Horizontal bar chart of the percentage of residents in eight age groups, from 0 to 14 up to 75 and over, "
        f"for {p.ward_name} beside {_city_name(p)}. "
        + _difference_phrase(p, p.age, lambda b: f"ages {_band_words(b)}")
        + " The figures are in the table below."
    )
    modelled = _table_method(p.age[p.age["area"] == "ward"]) == ctx.METHOD_MODELLED
    caption = (f"Age of usual residents, Census 2021 (table TS007A). {p.ward_name}: "
               + ("modelled from neighbourhoods split by their output areas' residents." if modelled
                  else "sum of its output areas."))
    return Chart(fig, alt, caption, status="published")


def ethnicity_chart(p: WardProfile) -> Chart | None:
    if not p.has_census:
        return None
    fig = _bars(p, p.ethnicity, ETHNIC_GROUPS, f"Broad ethnic group: {p.ward_name} and {_city_name(p)}",
                "Percentage of usual residents", "Ethnic group", height=4.0)
    ward = shares(p.ethnicity, "ward")
    alt = (
        f"Horizontal bar chart of the percentage of residents in five broad ethnic groups for {p.ward_name} beside "
        f"{_city_name(p)}. White is the largest group in both: {fmt_pct(ward['White'])} in {p.ward_name} and "
        f"{fmt_pct(shares(p.ethnicity, 'city')['White'])} in {_city_name(p)}; each other group is "
        f"{fmt_pct(ward.drop('White').max())} or less in the ward. The figures are in the table below."
        if float(ward["White"]) == float(ward.max()) and float(shares(p.ethnicity, "city")["White"]) == float(shares(p.ethnicity, "city").max())
        else f"Horizontal bar chart of the percentage of residents in five broad ethnic groups for {p.ward_name} "
        f"beside {_city_name(p)}. " + _difference_phrase(p, p.ethnicity) + " The figures are in the table below."
    )
    return Chart(fig, alt, "Broad ethnic group of usual residents, Census 2021 (table TS021).", status="published")


def tenure_chart(p: WardProfile) -> Chart | None:
    if not p.has_census:
        return None
    fig = _bars(p, p.tenure, TENURE_ORDER, f"Housing tenure: {p.ward_name} and {_city_name(p)}",
                "Percentage of households", "Tenure", height=4.0)
    alt = (
        f"Horizontal bar chart of the percentage of households by tenure (owned outright, owned with a mortgage "
        f"or shared ownership, social rented, private rented, rent free) for {p.ward_name} beside {_city_name(p)}. "
        + _difference_phrase(p, p.tenure, lambda c: c.lower()) + " The figures are in the table below."
    )
    return Chart(fig, alt, "Tenure of households, Census 2021 (table TS054).", status="published")


def deprivation_chart(p: WardProfile) -> Chart | None:
    if not p.has_deprivation:
        return None
    city = _city_name(p)
    data = p.deprivation.copy()
    data["Area"] = data["area"].map({"ward": p.ward_name, "city": city})
    data["percent"] = data["share"].astype(float) * 100
    fig = new_figure(FIG_WIDTH, 4.2)
    ax = fig.add_subplot()
    grouped_bars(ax, [str(d) for d in DECILES], _ward_and_city(p, data, "decile", DECILES), horizontal=False,
                 edgecolor="white", linewidth=0.6)
    _title(ax, f"Neighbourhood deprivation: {p.ward_name} and {city}")
    ax.set_xlabel("IMD 2019 decile (1 = most deprived 10% in England)")
    ax.set_ylabel("Percentage of neighbourhoods")
    ax.set_xticks(range(10), ["1\nmost\ndeprived"] + [str(k) for k in range(2, 10)] + ["10\nleast\ndeprived"])
    ax.set_ylim(0, 105)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(_percent_axis())
    _legend_below(fig, ax)
    ward = data[data["area"] == "ward"].set_index("decile")
    town = data[data["area"] == "city"].set_index("decile")
    n = int(ward["n_lsoa"].sum())
    alt = (
        f"Bar chart of the percentage of neighbourhoods in each national deprivation decile, from 1 (most deprived) "
        f"to 10 (least deprived), for {p.ward_name} beside {city}. {capitalise(of_phrase(ward.loc[1, 'n_lsoa'], n))} "
        f"neighbourhoods in {p.ward_name} ({fmt_pct(ward.loc[1, 'share'])}) are in decile 1, against "
        f"{fmt_pct(town.loc[1, 'share'])} of {city}'s. The figures are in the table below."
    )
    caption = ("Neighbourhoods (LSOAs, 2011 boundaries) by Index of Multiple Deprivation 2019 decile. "
               "Decile 1 is the most deprived 10% of neighbourhoods in England.")
    return Chart(fig, alt, caption, status="published")


# ---- the map


def ward_shapes(context_dir: Path, boundary_set: str) -> pd.DataFrame:
    """ward_code, ward_name, geometry (shapely, lon/lat) for every ward of a boundary set (a copy: the
    parsed file is kept, since a profile draws and describes the same wards four times)."""
    path = Path(context_dir) / f"wards_{boundary_set}.geojson"
    return pd.DataFrame(
        [{"ward_code": f["properties"]["ward_code"], "ward_name": f["properties"]["ward_name"], "geometry": geometry}
         for f, geometry in _shapes(*file_stamp(path))]
    )


@lru_cache(maxsize=8)
def _shapes(path: str, _mtime_ns: int, _size: int) -> tuple[tuple[dict, Any], ...]:
    """A GeoJSON file's features, each with its geometry as a shapely shape (immutable, so shared safely)."""
    from shapely.geometry import shape

    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    return tuple((f, shape(f["geometry"])) for f in features)


def map_frame(p: WardProfile) -> pd.DataFrame:
    """Ward shapes of the ward's boundary set with `is_ward` marking this ward."""
    if p.context_dir is None:
        raise ValueError("the profile was built without its context folder; use load_profile or pass context_dir")
    shapes = ward_shapes(p.context_dir, p.boundary_set)
    shapes["is_ward"] = shapes["ward_code"] == p.ward_code
    if not shapes["is_ward"].any():
        raise KeyError(f"{p.ward_code} has no boundary in wards_{p.boundary_set}.geojson")
    return shapes


COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"]


def location_facts(shapes: pd.DataFrame, ward_code: str, central_km: float = 1.5) -> dict:
    """Where the ward lies in the city (compass part, from the city's centroid) and which wards border it."""
    from shapely.ops import unary_union

    ward = shapes.loc[shapes["ward_code"] == ward_code, "geometry"].iloc[0]
    city = unary_union(list(shapes["geometry"]))
    c, w = city.centroid, ward.centroid
    dx = (w.x - c.x) * math.cos(math.radians(c.y)) * 111.32  # km east
    dy = (w.y - c.y) * 110.57  # km north
    distance = math.hypot(dx, dy)
    if distance < central_km:
        part = "in the middle of the city"
    else:
        part = f"in the {COMPASS[int(((math.degrees(math.atan2(dx, dy)) % 360) + 22.5) // 45) % 8]} of the city"
    touching = ward.buffer(2e-4)  # ~15 m: generalised boundaries do not always meet exactly
    others = shapes[(shapes["ward_code"] != ward_code) & shapes["geometry"].map(lambda g: g.intersects(touching))]
    return {"part": part, "distance_km": distance, "neighbours": sorted(others["ward_name"]), "n_wards": len(shapes)}


def location_text(p: WardProfile) -> str:
    facts = location_facts(map_frame(p), p.ward_code)
    text = f"{p.ward_name} lies {facts['part']}"
    if facts["neighbours"]:
        text += f" and borders {join_words(facts['neighbours'])}"
    return text + f". The map shows all {fmt_int(facts['n_wards'])} wards {p.boundary_text}."


def add_shape(ax, geometry, **style) -> None:
    """Draw a (multi)polygon on a map's axes, holes left empty.

    The maps set their limits by hand (the city's bounds and the label's margin), so the shape is added
    as an artist without measuring its outline into the axes' data limits, which `add_patch` does curve
    by curve: about 60 ms of each ward's map for limits that were then replaced. The image is the same.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath
    from shapely.geometry.polygon import orient

    polygons = list(getattr(geometry, "geoms", [geometry]))
    paths = []
    for polygon in polygons:
        polygon = orient(polygon, sign=1.0)  # exterior anticlockwise, holes clockwise: holes stay empty
        for ring in [polygon.exterior, *polygon.interiors]:
            paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
    ax.add_artist(PathPatch(MplPath.make_compound_path(*paths), **style))


def map_chart(p: WardProfile) -> Chart:
    import matplotlib.patheffects as pe
    from matplotlib.patches import Patch

    shapes = map_frame(p)
    facts = location_facts(shapes, p.ward_code)
    city = _city_name(p)
    fig = new_figure(FIG_WIDTH, 5.6)
    ax = fig.add_subplot()
    for row in shapes.itertuples():
        colour = WARD_COLOUR if row.is_ward else MUTED
        add_shape(ax, row.geometry, facecolor=colour, edgecolor="white", linewidth=0.8, zorder=2 if row.is_ward else 1)
    minx, miny, maxx, maxy = np.array([g.bounds for g in shapes["geometry"]]).T
    pad = 0.01
    ax.set_ylim(miny.min() - pad, maxy.max() + pad)
    ax.set_aspect(1 / math.cos(math.radians((miny.min() + maxy.max()) / 2)))
    ward_geom = shapes.loc[shapes["is_ward"], "geometry"].iloc[0]
    point = ward_geom.representative_point()
    # The label sits in the margin beside the city (on the ward's side) with a leader line, so it never
    # hides a ward. The west margin is the river Mersey.
    west = point.x < (minx.min() + maxx.max()) / 2
    label_room = 0.0065 * max(len(p.ward_name), 8)  # degrees of longitude for the label text (bold, 12 pt)
    ax.set_xlim(minx.min() - pad - (label_room if west else 0), maxx.max() + pad + (0 if west else label_room))
    label_x = minx.min() - pad if west else maxx.max() + pad
    ax.annotate(
        p.ward_name, xy=(point.x, point.y), xytext=(label_x, point.y), textcoords="data",
        ha="right" if west else "left", va="center", fontsize=12, fontweight="bold", color="#1A1A1A",
        arrowprops={"arrowstyle": "-", "color": "#1A1A1A", "lw": 1.0, "shrinkA": 2, "shrinkB": 0},
        path_effects=[pe.withStroke(linewidth=3, foreground="white")], zorder=5,
    )
    ax.set_axis_off()
    _title(ax, f"Where {p.ward_name} is in {city}")
    ax.legend(
        handles=[Patch(facecolor=WARD_COLOUR, label=p.ward_name), Patch(facecolor=MUTED, label=f"Other {city} wards")],
        loc="lower left", frameon=True,
    )
    alt = (
        f"Map of {city}'s {fmt_int(facts['n_wards'])} wards {p.boundary_text}, with {p.ward_name} shaded blue and "
        f"the others grey. {p.ward_name} is {facts['part']}"
        + (f" and borders {join_words(facts['neighbours'])}." if facts["neighbours"] else ".")
    )
    caption = f"{p.ward_name} among {city}'s wards. North is at the top. Boundaries: {cite('boundaries')}."
    return Chart(fig, alt, caption, status="published")


# ---- the neighbourhoods inside the ward

#: Each deprivation edition, the LSOA boundaries it ranks, and the profile's rows for it.
EDITIONS = (("IMD 2019", "2011", "lsoas", "imd2019_decile"), ("IMD 2025", "2021", "lsoas2025", "imd2025_decile"))


def decile_colours():
    """Decile 1 (most deprived, dark red) to 10 (dark blue): a diverging scale whose middle is light yellow,
    not grey, and whose neighbouring deciles stay distinct (Liverpool's wards are mostly deciles 1 to 3)."""
    import matplotlib as mpl

    return mpl.colormaps["RdYlBu"](np.linspace(0.0, 1.0, 10))


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in rgba[:3])


def _text_colour(rgba) -> str:
    r, g, b = rgba[:3]
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


def lsoa_shapes(context_dir: Path, year: str, codes: set[str] | None = None) -> pd.DataFrame:
    """lsoa_code, lsoa_name, geometry for Liverpool's LSOAs of 2011 or 2021 (`codes`: only those)."""
    path = Path(context_dir) / ctx.LSOA_GEOJSON_OUTPUTS[year]
    rows = [{**f["properties"], "geometry": geometry} for f, geometry in _shapes(*file_stamp(path))
            if codes is None or f["properties"]["lsoa_code"] in codes]
    return pd.DataFrame(rows, columns=None if rows else ["lsoa_code", "lsoa_name", "geometry"])


def neighbourhoods(p: WardProfile, rows: str, decile: str, year: str) -> pd.DataFrame:
    """The ward's LSOAs of one edition with their decile and shape (an LSOA without a decile is left out)."""
    frame = getattr(p, rows)
    if frame.empty or p.context_dir is None:
        return pd.DataFrame(columns=["lsoa_code", "lsoa_name", "decile", "geometry"])
    frame = frame.dropna(subset=[decile]).drop_duplicates("lsoa_code")
    shapes = lsoa_shapes(p.context_dir, year, set(frame["lsoa_code"])).set_index("lsoa_code")["geometry"]
    return pd.DataFrame({"lsoa_code": frame["lsoa_code"].to_numpy(), "lsoa_name": frame["lsoa_name"].to_numpy(),
                         "decile": frame[decile].astype(int).to_numpy(),
                         "geometry": frame["lsoa_code"].map(shapes).to_numpy()}).dropna(subset=["geometry"])


def neighbourhoods_text(p: WardProfile) -> str:
    """Before the map of the ward's neighbourhoods: what it shows on each edition, or why there is none."""
    counts = {e.edition: e for e in edition_counts(p)}
    return render("neighbourhoods", {"ward": p.ward_name, "has_deprivation": p.has_deprivation,
                                     "split": not p.lsoas2025.empty and set(p.lsoas2025["lsoa_code"]) != set(p.lsoas.get("lsoa_code", [])),
                                     "editions": in_short.deprivation_context(list(counts.values()))})


def neighbourhood_map(p: WardProfile) -> Chart | None:
    """The ward's neighbourhoods coloured by decile on each edition, side by side, each labelled with its decile.

    Drawn as SVG (`present.svg_maps`), not with matplotlib: the same maps for a fraction of the CPU."""
    if not p.has_deprivation or p.context_dir is None:
        return None
    colours = [_hex(c) for c in decile_colours()]
    labels = ["black" if _text_colour(c) == "black" else "white" for c in decile_colours()]
    ward = map_frame(p).set_index("ward_code").loc[p.ward_code, "geometry"]
    panels = [(edition, year, neighbourhoods(p, rows, column, year)) for edition, year, rows, column in EDITIONS]
    panels = [panel for panel in panels if not panel[2].empty]
    figure = map_panels_svg(
        [Panel([edition, f"({year} neighbourhoods)"],
               [Area(row.geometry, str(int(row.decile)), colours[int(row.decile) - 1], labels[int(row.decile) - 1])
                for row in frame.itertuples()], ward)
         for edition, year, frame in panels],
        key_title="Decile (1 = most deprived 10% in England)",
        key=[*(KeyEntry(_decile_label(k), colours[k - 1]) for k in DECILES),
             KeyEntry(f"{p.ward_name} boundary", "none", outline=True)],
        title=f"{p.ward_name}'s neighbourhoods by deprivation decile",
    )
    parts = []
    for edition, year, frame in panels:
        n1 = int((frame["decile"] == 1).sum())
        parts.append(f"on the {edition}, which ranks the {year} neighbourhoods, {of_phrase(n1, len(frame))} "
                     f"neighbourhoods shown are in decile 1 (deciles {join_words(sorted({str(d) for d in frame['decile']}, key=int))})")
    alt = (f"{'Two maps' if len(panels) == 2 else 'A map'} of the neighbourhoods (LSOAs) assigned to {p.ward_name}, "
           f"each shaded and labelled with its national deprivation decile, with the ward's boundary outlined: "
           + "; ".join(parts) + ". The neighbourhoods are listed in the table below.")
    caption = (f"{p.ward_name}'s neighbourhoods by Index of Multiple Deprivation decile: IMD 2019 on the 2011 "
               "neighbourhoods, IMD 2025 on the 2021 ones (some were split or merged in 2021). The number in each "
               f"is its decile. Neighbourhoods are assigned to the ward by best fit, so some reach beyond its "
               "boundary, and a part of the ward left blank belongs to a neighbourhood assigned to another ward. "
               f"Sources: {cite('imd2019')}; {cite('imd2025')}; {cite('boundaries')}.")
    return Chart(figure, alt, caption, status="published")


def boundary_change_intro_context(p: WardProfile) -> dict:
    """How many wards each boundary set has, counted from the ward index (never typed)."""
    if p.context_dir is None:
        raise ValueError("the profile was built without its context folder; use load_profile or pass context_dir")
    sets = ctx.ward_index(p.context_dir)["boundary_set"].value_counts()
    return {"n_old": fmt_int(sets.get(ctx.SET_OLD, 0)), "n_new": fmt_int(sets.get(ctx.SET_NEW, 0))}


def boundary_change_intro(p: WardProfile) -> str:
    return render("boundary_intro", boundary_change_intro_context(p))
