"""Who took part (`notebooks/04-who-took-part.ipynb`): the survey sample against the ward's Census population.

Built on `cityconv.methods.stats` (Wilson intervals, `representation_table`, `goodness_of_fit`, `rake`,
`weighted_vs_unweighted`, `collapse_categories`/`collapse_shares`), their wording in
`cityconv.chapters.statistics_prose`, and `cityconv.methods.disclosure`; nothing statistical is
re-implemented here.

Census margins and what is observed:

* **Age** (observed, `age.csv`): residents aged 15 and over; the survey band 16-24 is compared with the
  census band 15-24 (the census bands split at 14/15).
* **Sex** (observed, `sex.csv`): all ages; no sex-by-age table exists in the supplied Census data, so the
  adult sex split is taken to equal the all-ages split.
* **Age × sex** (`age_sex.csv`): **estimated** assuming age and sex are independent within the ward.
  Only used for the "women aged 35 to 64" comparison, and labelled as an estimate wherever shown.
* **Ethnic group** (observed, `ethnicity.csv`): all ages (no ethnicity-by-age table).

Bases: shares of the sample are of *all* respondents, those who preferred not to say included (their
row carries a population share of 0 and no verdict). A base of "those who answered" would let a reader
work out the small number who did not answer. Sparse age bands are merged with a neighbour
(`collapse_sparse`) until each holds at least the disclosure threshold, so the comparison and the
raking margins have no near-empty cells.

Verdicts come from `stats.representation_table`: over- or under-represented only when the 95% Wilson
interval of the sample share excludes the population share; otherwise "in line", meaning this sample
cannot tell the difference. Sentences come from `statistics_prose.representation_sentences`, except that a category
whose count is withheld (`[c]`) gets a sentence that does not state its share (`safe_sentences`).
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cityconv.chapters.statistics_prose import precision_statement, representation_sentences
from cityconv.chapters.survey import (
    NOT_STATED,
    PUBLISHED_SOURCE,
    SINGLE_QUESTIONS,
    Survey,
    wording,
)
from cityconv.data import context as ctx
from cityconv.methods import claims as claims_mod
from cityconv.methods.disclosure import SUPPRESSED, DisclosureRules, protect_counts
from cityconv.methods.stats import (
    collapse_categories,
    collapse_shares,
    goodness_of_fit,
    rake,
    representation_table,
    weighted_vs_unweighted,
)
from cityconv.present import (
    CITY_COLOUR,
    WARD_COLOUR,
    Chart,
    Table,
    cite,
    fmt_int,
    fmt_pct,
    fmt_pp,
    join_words,
)
from cityconv.present.prose import template_renderer

#: The chapter's reader prose: Markdown (Jinja2) templates, filled with numbers from the records.
TEMPLATES = Path(__file__).parent / "templates" / "who_took_part"
render = template_renderer(TEMPLATES)

SURVEY_AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
CENSUS_FOR_SURVEY_BAND = {"16-24": "15-24"}  # the census bands split at 14/15
SEXES = ["Female", "Male"]
MINORITY = "Ethnic minority (all groups except White)"
WHITE = "White"
ETHNIC_GROUPS = list(ctx.ETHNICITY_CATEGORIES)
MIDDLE_AGED = claims_mod.MIDDLE_AGED_BANDS
FIG_WIDTH = 6.2
CENSUS_NOTE_AGE = ("Census age bands split at 14/15, so the survey's youngest band (16 to 24) is compared with "
                   "census ages 15 to 24; the census base is residents aged 15 and over.")


# ================================================================================================
# data
# ================================================================================================


def band_label(bands: list[str]) -> str:
    """["16-24", "25-34"] -> "People aged 16 to 34"; ["65-74", "75+"] -> "People aged 65 and over"."""
    first, last = bands[0], bands[-1]
    low = first.split("-")[0].rstrip("+")
    if last.endswith("+"):
        return f"People aged {low} and over"
    return f"People aged {low} to {last.split('-')[1]}"


def collapse_sparse(counts: pd.Series, threshold: int) -> dict[str, str]:
    """Merge adjacent ordered categories until each group has at least `threshold` respondents.

    Repeatedly takes the smallest group below the threshold (the youngest on ties) and merges it with
    its smaller neighbour. Returns a mapping band -> group label (see `band_label`), for
    `stats.collapse_categories`/`collapse_shares`.
    """
    groups = [[c] for c in counts.index]
    size = lambda g: int(sum(int(counts[c]) for c in g))  # noqa: E731
    while len(groups) > 1:
        small = [i for i, g in enumerate(groups) if size(g) < threshold]
        if not small:
            break
        i = min(small, key=lambda k: (size(groups[k]), k))
        _merge_with_smaller_neighbour(groups, i, size)
    return {c: band_label(g) for g in groups for c in g}


def _merge_with_smaller_neighbour(groups: list[list], i: int, size) -> None:
    """Merge ordered group `i` into its smaller neighbour (the only one at either end), in place."""
    if i == 0:
        j = 1
    elif i == len(groups) - 1:
        j = i - 1
    else:
        j = i - 1 if size(groups[i - 1]) <= size(groups[i + 1]) else i + 1
    a, b = sorted((i, j))
    groups[a:b + 1] = [groups[a] + groups[b]]


@dataclass
class Composition:
    """The sample and the ward's census margins, ready to compare."""

    ward_name: str
    survey: Survey
    rules: DisclosureRules
    has_census: bool
    age_map: dict[str, str] = field(default_factory=dict)  # survey band -> collapsed group
    age_pop: pd.Series | None = None  # collapsed group -> share of residents 15+ (observed)
    sex_pop: pd.Series | None = None  # Female/Male -> share of all residents (observed)
    ethnicity_pop: pd.Series | None = None  # five broad groups (observed, all ages)
    age_sex_pop: pd.Series | None = None  # "Women aged 35 to 64" etc. -> estimated share of residents 15+
    census_note: str = ""

    @property
    def responses(self) -> pd.DataFrame:
        return self.survey.responses

    @property
    def n(self) -> int:
        return self.survey.n

    @property
    def age_groups(self) -> list[str]:
        return list(dict.fromkeys(self.age_map.values()))


def _ward_rows(table: pd.DataFrame, context) -> pd.DataFrame:
    return table[(table["ward_code"] == context.ward_code) & (table["boundary_set"] == context.boundary_set)]


def composition(sv: Survey, context) -> Composition:
    """Compare a survey with its ward's context (`WardContext`, or None when there is none)."""
    comp = Composition(sv.ward_name, sv, sv.rules, has_census=False)
    if not sv.has_responses:
        return comp
    age_counts = sv.responses["age_band"].astype("string").value_counts().reindex(SURVEY_AGE_BANDS, fill_value=0)
    comp.age_map = collapse_sparse(age_counts, sv.rules.threshold)
    if context is None:
        return comp
    age = _ward_rows(context.age, context)
    sex = _ward_rows(context.sex, context)
    eth = _ward_rows(context.ethnicity, context)
    age_sex = _ward_rows(context.age_sex, context)
    if age.empty or age["count"].isna().all() or sex.empty or sex["count"].isna().all():
        comp.census_note = str(getattr(context, "caveat", ""))
        return comp
    census_age = age.set_index("category")["count"].astype(float)
    by_survey_band = pd.Series({b: census_age[CENSUS_FOR_SURVEY_BAND.get(b, b)] for b in SURVEY_AGE_BANDS})
    comp.age_pop = collapse_shares(by_survey_band / by_survey_band.sum(), comp.age_map)
    comp.sex_pop = sex.set_index("category")["count"].astype(float).reindex(SEXES)
    comp.sex_pop = comp.sex_pop / comp.sex_pop.sum()
    if not eth.empty and not eth["count"].isna().all():
        e = eth.set_index("category")["count"].astype(float).reindex(ETHNIC_GROUPS)
        comp.ethnicity_pop = e / e.sum()
    if not age_sex.empty and not age_sex["count_estimated"].isna().all():
        a = age_sex[age_sex["age_band"] != "0-14"]
        total = float(a["count_estimated"].sum())
        cells = {}
        for sex_label, sex_value in (("Women", "Female"), ("Men", "Male")):
            rows = a[a["sex"] == sex_value]
            mid = float(rows.loc[rows["age_band"].isin(MIDDLE_AGED), "count_estimated"].sum())
            cells[f"{sex_label} aged 35 to 64"] = mid / total
            cells[f"{sex_label} of other ages"] = (float(rows["count_estimated"].sum()) - mid) / total
        comp.age_sex_pop = pd.Series(cells)
    comp.has_census = True
    comp.census_note = str(getattr(context, "caveat", ""))
    return comp


# ---- sample counts per comparison (stated categories, then NOT_STATED)


def sample_counts(comp: Composition, dimension: str) -> pd.Series:
    """Respondents per category of "age", "sex", "ethnicity" (two groups) or "age_sex" (four cells);
    those who did not say are a final NOT_STATED row (absent when there are none)."""
    r = comp.responses
    if dimension == "age":
        values = collapse_categories(r["age_band"].astype("string").astype(object), comp.age_map)
        order = comp.age_groups
    elif dimension == "sex":
        values, order = r["sex"].astype(object), SEXES
    elif dimension == "ethnicity":
        eth = r["ethnic_group"].astype(object)
        values = eth.where(eth.isin([WHITE, NOT_STATED]), MINORITY)
        order = [WHITE, MINORITY]
    elif dimension == "age_sex":
        known = (r["age_band"].astype(object) != NOT_STATED) & r["sex"].isin(SEXES)
        mid = r["age_band"].astype(object).isin(MIDDLE_AGED)
        word = r["sex"].astype(object).map({"Female": "Women", "Male": "Men"})
        values = pd.Series(np.where(~known, NOT_STATED,
                                    word + np.where(mid, " aged 35 to 64", " of other ages")), index=r.index)
        order = ["Women aged 35 to 64", "Men aged 35 to 64", "Women of other ages", "Men of other ages"]
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    counts = pd.Series(values).value_counts().reindex(order + [NOT_STATED], fill_value=0).astype("int64")
    if counts[NOT_STATED] == 0:
        counts = counts.drop(NOT_STATED)
    counts.index.name = dimension
    return counts


def population(comp: Composition, dimension: str) -> pd.Series | None:
    if dimension == "age":
        return comp.age_pop
    if dimension == "sex":
        return comp.sex_pop
    if dimension == "age_sex":
        return comp.age_sex_pop
    if dimension == "ethnicity":
        if comp.ethnicity_pop is None:
            return None
        return pd.Series({WHITE: float(comp.ethnicity_pop[WHITE]), MINORITY: float(comp.ethnicity_pop.drop(WHITE).sum())})
    raise ValueError(f"unknown dimension {dimension!r}")


NOUNS = {
    "age": "the ward's residents aged 15 and over",
    "sex": "the ward's residents",
    "ethnicity": "the ward's residents",
    "age_sex": "the ward's residents aged 15 and over (estimated)",
}
TITLES = {"age": "Age group", "sex": "Sex", "ethnicity": "Ethnic group", "age_sex": "Sex and age"}


@dataclass
class Comparison:
    dimension: str
    table: pd.DataFrame  # stats.representation_table, all respondents as base (NOT_STATED row included)
    counts: pd.Series
    mask: pd.Series  # category -> withheld ([c])
    primary: pd.Series
    display_counts: pd.Series


def compare(comp: Composition, dimension: str) -> Comparison | None:
    """Representation table for one dimension (None without census figures)."""
    pop = population(comp, dimension)
    if pop is None or not comp.has_responses_for(dimension):
        return None
    counts = sample_counts(comp, dimension)
    pop_full = pop.reindex(counts.index, fill_value=0.0)  # NOT_STATED has no population share
    table = representation_table(counts, pop_full)
    protected = protect_counts(counts, comp.rules, with_totals=True)
    return Comparison(dimension, table, counts, protected.mask.iloc[:, 0], protected.primary.iloc[:, 0],
                      protected.display.iloc[:, 0])


def _has_responses_for(self: Composition, dimension: str) -> bool:
    return self.survey.has_responses


Composition.has_responses_for = _has_responses_for


def safe_sentences(cmp: Comparison, rules: DisclosureRules) -> list[str]:
    """`statistics_prose.representation_sentences` for each stated category whose count may be published; a sentence
    without the count or share for a withheld one (the same words for every [c], small or protecting another)."""
    out = []
    noun = NOUNS[cmp.dimension]
    for _, row in cmp.table.iterrows():
        category = row["category"]
        if category == NOT_STATED:
            continue
        if not bool(cmp.mask.get(category, False)):
            out.extend(representation_sentences(cmp.table[cmp.table["category"] == category], noun))
            continue
        out.append(render("withheld_share", {
            "category": category, "suppressed": SUPPRESSED, "population_share": fmt_pct(row["population_share"]),
            "noun": noun, "verdict": row["verdict"]}))
    return out


def comparison_table(comp: Composition, dimension: str) -> Table | None:
    cmp = compare(comp, dimension)
    if cmp is None:
        return None
    rows = []
    for _, row in cmp.table.iterrows():
        category = row["category"]
        withheld = bool(cmp.mask.get(category, False))
        stated = category != NOT_STATED
        rows.append({
            TITLES[dimension]: category,
            "Respondents": cmp.display_counts[category],
            "% of respondents (95% interval)": SUPPRESSED if withheld or comp.n < comp.rules.min_percent_base else
            f"{fmt_pct(row['sample_share'])} ({fmt_pct(row['ci_low'])} to {fmt_pct(row['ci_high'])})",
            "% of ward": fmt_pct(row["population_share"]) if stated else "[x]",
            "Verdict": row["verdict"] if stated else "[x]",
        })
    rows.append({TITLES[dimension]: "All respondents", "Respondents": cmp.display_counts.get("Total", fmt_int(comp.n)),
                 "% of respondents (95% interval)": "100%", "% of ward": "100%", "Verdict": ""})
    frame = pd.DataFrame(rows).set_index(TITLES[dimension])
    notes = [n for n in _notes_from(cmp, comp)]
    notes.append("Percentages of respondents are of all respondents, including those who preferred not to say, so the "
                 "other shares are slightly lower than among those who answered.")
    notes.append("Verdict: over- or under-represented when the 95% interval of the respondents' share excludes the "
                 "ward's share; “in line” means this sample cannot tell the difference, not that the shares are equal.")
    if dimension == "age":
        notes.append(CENSUS_NOTE_AGE + " Age bands with few respondents are merged with a neighbouring band.")
    if dimension == "sex":
        notes.append("Ward share: all residents (the Census tables give no sex split for adults only).")
    if dimension == "ethnicity":
        notes.append("Ward share: all residents (no ethnic group by age in the tables). Ethnic minority = all groups "
                     "except White, the nearest Census grouping to the term “BAME” used by the project; White "
                     "minorities such as White Irish are within White.")
    if dimension == "age_sex":
        notes.append("Ward shares are ESTIMATED: the Census tables give age and sex separately, so the age × sex "
                     "split assumes they are independent within the ward. The age and sex margins are observed.")
    return Table(frame, title=f"Survey respondents and ward residents by {TITLES[dimension].lower()}: {comp.ward_name}",
                 source=f"{comp.survey.source}; {cite('census2021')}",
                 units="Number of respondents; percentage of respondents or of residents", notes=notes, status=comp.survey.status)


def _notes_from(cmp: Comparison, comp: Composition) -> list[str]:
    protected_notes = protect_counts(cmp.counts, comp.rules, with_totals=True).notes
    return list(protected_notes)


# ================================================================================================
# words
# ================================================================================================


def _group_words(category: str) -> str:
    """A comparison category as it reads in a sentence: "People aged 16 to 34" -> "people aged 16 to 34"."""
    if category in ("Female", "Male"):
        return {"Female": "women", "Male": "men"}[category]
    if category == WHITE:
        return "White residents"
    if category.startswith("Ethnic minority"):
        return "people from ethnic minority groups"
    return category[:1].lower() + category[1:]


def summary_context(comp: Composition) -> dict:
    """The opening summary: the groups over- and under-represented, and how far weighting moves the results."""
    context = {"ward": comp.ward_name, "n": fmt_int(comp.n), "has_responses": comp.survey.has_responses,
               "has_census": comp.has_census, "over": "", "under": "", "shift": "",
               "status": comp.survey.status, "n_published": comp.survey.published.get("survey_responses") == comp.n}
    if not comp.survey.has_responses or not comp.has_census:
        return context
    over, under = [], []
    for dimension in ("age", "sex", "age_sex", "ethnicity"):
        cmp = compare(comp, dimension)
        if cmp is None:
            continue
        for _, row in cmp.table.iterrows():
            if row["category"] == NOT_STATED:
                continue
            if row["verdict"] == "over-represented":
                over.append(_group_words(str(row["category"])))
            elif row["verdict"] == "under-represented":
                under.append(_group_words(str(row["category"])))
    context.update(over=join_words(over), under=join_words(under))
    data = weighted_comparison(comp)
    if data is not None and not data.empty and not data[~data["withheld"]].empty:
        shown = data[~data["withheld"]]
        context["shift"] = fmt_pp(float(shown["difference_pp"].abs().max()) / 100)
    return context


def summary_text(comp: Composition) -> str:
    """The chapter's opening paragraph."""
    return render("summary", summary_context(comp))


def availability_context(comp: Composition) -> dict[str, Any]:
    has_responses, has_census = comp.survey.has_responses, comp.has_census
    return {"ward": comp.ward_name, "has_responses": has_responses, "has_census": has_census,
            "census_note": comp.census_note, "n": fmt_int(comp.n) if has_responses else "",
            "precision": precision_statement(comp.n) if has_responses and has_census else ""}


def availability_text(comp: Composition) -> str:
    return render("availability", availability_context(comp))


def representation_text(comp: Composition, dimension: str) -> str | None:
    cmp = compare(comp, dimension)
    if cmp is None:
        return None
    return " ".join(safe_sentences(cmp, comp.rules))


def published_statement_text(comp: Composition) -> str | None:
    """The project's statement about the sample, quoted with its source, beside what the records show."""
    sv = comp.survey
    if not sv.is_published_study or sv.data is None or not comp.has_census:
        return None
    return render("published_statement", published_statement_context(comp))


def published_statement_context(comp: Composition) -> dict[str, Any]:
    by_id = {c.claim_id: c for c in claims_mod.CLAIMS}
    women = compare(comp, "age_sex")
    eth = compare(comp, "ethnicity")
    women_claim, eth_claim = by_id["women_35_64_overrepresented"], by_id["ethnic_minority_underrepresented"]
    published_n = comp.survey.published.get("survey_responses")
    minority = None
    if eth is not None:
        row = eth.table.set_index("category").loc[MINORITY]
        minority = {"verdict": row["verdict"], "smaller": row["sample_share"] < row["population_share"],
                    "population_share": fmt_pct(row["population_share"])}
    return {"published_n": fmt_int(published_n) if published_n is not None else "",
            "women_statement": women_claim.statement, "minority_statement": eth_claim.statement,
            "source": PUBLISHED_SOURCE, "location": women_claim.location,
            "women_verdict": (women.table.set_index("category").loc["Women aged 35 to 64"]["verdict"]
                              if women is not None else ""),
            "minority": minority}


# ================================================================================================
# goodness of fit
# ================================================================================================


@dataclass
class FitResult:
    dimension: str
    publishable: bool
    reason: str = ""
    p_value: float = math.nan
    p_asymptotic: float = math.nan
    dof: int = 0
    method: str = ""
    min_expected: float = math.nan


def fit(comp: Composition, dimension: str) -> FitResult | None:
    """Pearson goodness of fit of the stated categories against the ward's shares, small-sample p-value.

    Withheld (not computed for publication) when a category holds a small non-zero count: with few
    categories the statistic or p-value would let a reader work the count back out.
    """
    pop = population(comp, dimension)
    if pop is None or not comp.survey.has_responses:
        return None
    counts = sample_counts(comp, dimension).drop(NOT_STATED, errors="ignore")
    small = [c for c, v in counts.items() if comp.rules.is_small(int(v))]
    masked = compare(comp, dimension).mask.drop(index="Total", errors="ignore").any()
    if small or (len(counts) < 3 and masked):
        return FitResult(dimension, False, f"not shown: with so few groups, the test result would let a count of "
                                           f"fewer than {fmt_int(comp.rules.threshold)} respondents be worked out")
    g = goodness_of_fit(counts, pop)
    return FitResult(dimension, True, "", g.p_value_exact_or_mc, g.p_value_asymptotic, g.dof, g.method, g.min_expected)


def _p(p: float) -> str:
    """Coarse p-values (two decimals, or "below 0.01"): finer ones could help work back a withheld count."""
    if p < 0.001:
        return "below 0.001"
    if p < 0.01:
        return "below 0.01"
    return f"{p:.2f}"


def fit_table(comp: Composition) -> Table | None:
    if not comp.has_census or not comp.survey.has_responses:
        return None
    rows, methods = [], []
    for dim in ("age", "sex", "age_sex", "ethnicity"):
        r = fit(comp, dim)
        if r is None:
            continue
        if r.publishable:
            rows.append({"Comparison": TITLES[dim], "Groups compared": f"{r.dof + 1} groups",
                         "Small-sample p-value": _p(r.p_value),
                         "Chi-square approximation p-value": _p(r.p_asymptotic),
                         "Expected counts all 5 or more": "yes" if r.min_expected >= 5 else "no"})
            methods.append(f"{TITLES[dim]}: {r.method}.")
        else:
            rows.append({"Comparison": TITLES[dim], "Groups compared": "[x]", "Small-sample p-value": "[x]",
                         "Chi-square approximation p-value": "[x]", "Expected counts all 5 or more": "[x]"})
            methods.append(f"{TITLES[dim]}: {r.reason}.")
    frame = pd.DataFrame(rows).set_index("Comparison")
    return Table(frame, title=f"Does the sample's make-up differ from the ward's? Goodness-of-fit tests: {comp.ward_name}",
                 source=f"{comp.survey.source}; {cite('census2021')}",
                 units="p-values (probability); number of groups; expected count of respondents",
                 notes=["Respondents who preferred not to say are left out of the tests.",
                        "A small p-value (say below 0.05) means a sample this different from the ward would rarely "
                        "arise by chance if respondents were drawn at random from its residents.",
                        "The small-sample p-value uses the exact (or simulated) distribution of the statistic, because "
                        "some expected counts are below 5 and the chi-square approximation is then unreliable.",
                        "Sex and age: the ward's shares are estimated (age and sex assumed independent).",
                        *methods], status=comp.survey.status)


def fit_text(comp: Composition) -> str | None:
    if not comp.has_census or not comp.survey.has_responses:
        return None
    parts = []
    for dim, words in (("age", "age"), ("sex", "sex"), ("age_sex", "sex and age (women and men aged 35 to 64)"),
                       ("ethnicity", "ethnic group")):
        r = fit(comp, dim)
        if r is None:
            continue
        parts.append({"words": words, "shown": r.publishable, "p": _p(r.p_value) if r.publishable else "",
                      "significant": r.publishable and r.p_value < 0.05})
    return render("fit", {"parts": parts})


# ================================================================================================
# weighting
# ================================================================================================


def merge_empty_groups(values: pd.Series, order: list[str]) -> dict[str, str]:
    """Ordered groups with no respondents in `values`, merged with their smaller neighbour.

    Returns old group -> merged group label for every group that changed ({} when none is empty). A
    merged label joins the age ranges ("People aged 55 to 64" + "People aged 65 and over" ->
    "People aged 55 and over"), so the weighting margin still reads as an age group.
    """
    counts = values.value_counts().reindex(order, fill_value=0)
    if (counts > 0).all() or not (counts > 0).any():
        return {}
    groups = [[g] for g in order]
    size = lambda grp: int(sum(int(counts[g]) for g in grp))  # noqa: E731
    while any(size(grp) == 0 for grp in groups):
        i = next(k for k, grp in enumerate(groups) if size(grp) == 0)
        _merge_with_smaller_neighbour(groups, i, size)
    out = {}
    for grp in groups:
        if len(grp) > 1:
            label = _join_age_labels(grp)
            out.update({g: label for g in grp})
    return out


def _join_age_labels(labels: list[str]) -> str:
    """["People aged 55 to 64", "People aged 65 and over"] -> "People aged 55 and over"."""
    first = re.search(r"aged (\d+)", labels[0])
    last = labels[-1]
    if first is None:
        return " and ".join(labels)
    if last.endswith("and over"):
        return f"People aged {first.group(1)} and over"
    end = re.search(r"to (\d+)$", last)
    return f"People aged {first.group(1)} to {end.group(1)}" if end else " and ".join(labels)


@dataclass
class Weighting:
    sample: pd.DataFrame  # respondents used (known age and sex), with collapsed columns
    result: object  # stats.RakeResult
    margins: list[str]
    dropped: list[str]  # margins left out, with the reason


def weighting(comp: Composition) -> Weighting | None:
    """Rake respondents with stated age and sex to the ward's age (15+) and sex margins; ethnicity too when
    the minority group has at least the threshold of respondents (else one person would carry it)."""
    if not comp.has_census or not comp.survey.has_responses:
        return None
    r = comp.responses
    keep = (r["age_band"].astype(object) != NOT_STATED) & r["sex"].isin(SEXES)
    sample = r[keep].copy()
    sample["age_group"] = collapse_categories(sample["age_band"].astype("string").astype(object), comp.age_map)
    sample["sex_group"] = sample["sex"].astype(object)
    margins = {"age_group": comp.age_pop, "sex_group": comp.sex_pop}
    names, dropped = ["age (15 and over)", "sex"], []
    eth_pop = population(comp, "ethnicity")
    if eth_pop is not None:
        eth = sample["ethnic_group"].astype(object)
        minority_n = int((~eth.isin([WHITE, NOT_STATED])).sum())
        if minority_n >= comp.rules.threshold and not (eth == NOT_STATED).any():
            sample["eth_group"] = eth.where(eth == WHITE, MINORITY)
            margins["eth_group"] = eth_pop
            names.append("ethnic group")
        else:
            dropped.append(f"ethnic group: fewer than {fmt_int(comp.rules.threshold)} respondents from ethnic minority "
                           "groups (or some who preferred not to say), so weighting to it would make one or two "
                           "people stand for every minority resident")
    # A collapsed age group may have no respondents left once those who did not state their sex are
    # dropped (issue 15: everyone in it preferred not to say): merge it with a neighbour for weighting.
    age_pop = comp.age_pop
    merged = merge_empty_groups(sample["age_group"], list(comp.age_pop.index))
    if merged:
        sample["age_group"] = sample["age_group"].map(lambda g: merged.get(g, g))
        age_pop = collapse_shares(comp.age_pop, {g: merged.get(g, g) for g in comp.age_pop.index})
        together = [g.removeprefix("People ") for g in comp.age_pop.index if g in merged]
        names[0] = f"age (15 and over, with those {' and those '.join(together)} weighted as one group)"
    margins["age_group"] = age_pop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = rake(sample, margins)
    return Weighting(sample, result, names, dropped)


def weighting_context(w: Weighting) -> dict[str, Any]:
    res = w.result
    return {"margins": " and ".join(w.margins), "lowest": f"{res.weights.min():.2f}",
            "highest": f"{res.weights.max():.2f}", "design_effect": f"{res.design_effect:.2f}",
            "effective_n": f"{res.effective_sample_size:.0f}", "converged": res.converged,
            "largest_gap": fmt_pp(res.max_margin_error, 1), "dropped": list(w.dropped)}


def weighting_text(comp: Composition) -> str | None:
    w = weighting(comp)
    return None if w is None else render("weighting", weighting_context(w))


def weighted_comparison(comp: Composition) -> pd.DataFrame | None:
    """Unweighted and weighted shares for the headline questions (rows withheld where the count is small)."""
    w = weighting(comp)
    if w is None:
        return None
    rows = []
    for column in SINGLE_QUESTIONS:
        if column not in w.sample.columns or w.sample[column].isna().all():
            continue
        labels = comp.survey.questionnaire.labels(column)  # the ward's own answer labels
        table = weighted_vs_unweighted(w.sample, w.result.weights, column, categories=list(labels))
        counts = table.set_index("category")["count"]
        counts.index.name = column
        answered = w.sample[column].notna()
        mask = protect_counts(counts, comp.rules, with_totals=True).mask.iloc[:, 0]
        for _, row in table.iterrows():
            withheld = bool(mask[row["category"]]) or int(answered.sum()) < comp.rules.min_percent_base
            rows.append({"question": column, "category": row["category"], "label": labels[row["category"]],
                         "count": int(row["count"]), "withheld": withheld,
                         "unweighted_share": row["unweighted_share"], "weighted_share": row["weighted_share"],
                         "difference_pp": row["difference_pp"]})
    return pd.DataFrame(rows)


def weighted_table(comp: Composition) -> Table | None:
    data = weighted_comparison(comp)
    if data is None or data.empty:
        return None
    frame = pd.DataFrame({
        "Question and answer": [f"{_question_title(comp, q)}: {a}" for q, a in zip(data["question"], data["label"])],
        "Unweighted %": [SUPPRESSED if w else fmt_pct(v) for v, w in zip(data["unweighted_share"], data["withheld"])],
        "Weighted %": [SUPPRESSED if w else fmt_pct(v) for v, w in zip(data["weighted_share"], data["withheld"])],
        "Difference (percentage points)": [SUPPRESSED if w else fmt_pp(v / 100, signed=True).replace(" percentage points", "").replace(" percentage point", "")
                                           for v, w in zip(data["difference_pp"], data["withheld"])],
    })
    return Table(frame, title=f"Headline survey results before and after weighting: {comp.ward_name}",
                 source=f"{comp.survey.source}; {cite('census2021')}",
                 units="Percentage of respondents who answered the question; difference in percentage points",
                 notes=[f"{SUPPRESSED} Based on fewer than {fmt_int(comp.rules.threshold)} respondents, or withheld so "
                        "that such a figure cannot be worked out.",
                        "Respondents who gave their age and sex and answered the question; weighted by raking to the "
                        "ward's Census 2021 age and sex profile.",
                        "Difference = weighted minus unweighted."], status=comp.survey.status)


def _question_title(comp: Composition, column: str) -> str:
    """The question's short name in the ward's own questionnaire."""
    return comp.survey.questionnaire.question(column).short


def weighted_context(comp: Composition, data: pd.DataFrame) -> dict[str, Any]:
    shown = data[~data["withheld"]]
    if shown.empty:
        return {"all_withheld": True}
    biggest = shown.loc[shown["difference_pp"].abs().idxmax()]
    margin = _half_width_pp(comp.n)
    return {"all_withheld": False, "biggest": fmt_pp(abs(biggest["difference_pp"]) / 100),
            "answer": biggest["label"].lower(), "question": wording(comp.survey, biggest["question"]),
            "unweighted": fmt_pct(biggest["unweighted_share"]), "weighted": fmt_pct(biggest["weighted_share"]),
            "within_margin": abs(biggest["difference_pp"]) < margin, "margin": f"{margin:.0f}"}


def weighted_text(comp: Composition) -> str | None:
    data = weighted_comparison(comp)
    if data is None or data.empty:
        return None
    return render("weighted", weighted_context(comp, data))


def _half_width_pp(n: int) -> float:
    from cityconv.methods.stats import half_width

    return half_width(n) * 100


# ================================================================================================
# figure
# ================================================================================================


def comparison_chart(comp: Composition) -> Chart | None:
    """Respondents' share (with 95% interval) beside the ward's share, for age, sex and ethnic group."""
    if not comp.has_census or not comp.survey.has_responses:
        return None
    import seaborn as sns
    from matplotlib.figure import Figure

    dims = [d for d in ("age", "sex", "ethnicity") if population(comp, d) is not None]
    cmps = {d: compare(comp, d) for d in dims}
    heights = [len(population(comp, d)) for d in dims]
    fig = Figure(figsize=(FIG_WIDTH, 0.55 * sum(heights) + 1.2 * len(dims) + 0.8), layout="constrained")
    axes = fig.subplots(len(dims), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    alt_bits = []
    for ax, dim in zip(axes, dims):
        cmp = cmps[dim]
        t = cmp.table[cmp.table["category"] != NOT_STATED].copy()
        long = []
        for _, row in t.iterrows():
            long.append({"category": row["category"], "who": f"{comp.ward_name} residents (Census 2021)",
                         "percent": row["population_share"] * 100})
            if not bool(cmp.mask.get(row["category"], False)):
                long.append({"category": row["category"], "who": "Survey respondents", "percent": row["sample_share"] * 100})
        data = pd.DataFrame(long)
        import textwrap

        wrap = {c: "\n".join(textwrap.wrap(str(c), 18)) for c in t["category"]}
        data["category"] = data["category"].map(wrap)
        order = [wrap[c] for c in t["category"]]
        hue_order = ["Survey respondents", f"{comp.ward_name} residents (Census 2021)"]
        sns.barplot(data=data, y="category", x="percent", hue="who", order=order, hue_order=hue_order,
                    palette=[WARD_COLOUR, CITY_COLOUR], orient="h", ax=ax, edgecolor="white")
        # interval whiskers on the respondents' bars (offset to the first hue position)
        for i, (_, row) in enumerate(t.iterrows()):
            if bool(cmp.mask.get(row["category"], False)):
                ax.text(1, i - 0.2, f"respondents {SUPPRESSED}", va="center", fontsize=9)
                continue
            ax.errorbar(row["sample_share"] * 100, i - 0.2, xerr=[[(row["sample_share"] - row["ci_low"]) * 100],
                                                                  [(row["ci_high"] - row["sample_share"]) * 100]],
                        fmt="none", ecolor="#1A1A1A", elinewidth=1.1, capsize=3)
        ax.set_title(TITLES[dim], fontsize=12)
        ax.set_ylabel("")
        ax.set_xlabel("")
        ax.set_xlim(0, 100)
        ax.grid(axis="y", visible=False)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        over = [r["category"] for _, r in t.iterrows() if r["verdict"] != "in line"]
        alt_bits.append(f"{TITLES[dim].lower()}: " + (", ".join(f"{c} {t.set_index('category').loc[c, 'verdict']}"
                                                               for c in over) if over else "no group clearly out of line"))
    from matplotlib.ticker import PercentFormatter

    for ax in axes:
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    axes[-1].set_xlabel("Percentage (lines: 95% confidence interval for respondents)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    fig.suptitle(f"Who answered the survey, compared with who lives in {comp.ward_name}", fontweight="bold",
                 x=0.02, ha="left")
    alt = (f"Three horizontal bar charts comparing the percentage of the {fmt_int(comp.n)} survey respondents with the "
           f"percentage of {comp.ward_name}'s residents in each age group, sex and ethnic group, with 95% intervals for "
           "the respondents. By the interval rule: " + "; ".join(alt_bits) + ". Groups with too few respondents to "
           "publish have no respondents' bar.")
    return Chart(fig, alt, "Survey respondents (all, including those who preferred not to say) against Census 2021 "
                           "residents: aged 15 and over for age, all ages for sex and ethnic group.", status=comp.survey.status)
