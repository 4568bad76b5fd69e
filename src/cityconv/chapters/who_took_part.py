"""Who took part (`notebooks/04-who-took-part.ipynb`): the survey sample against the ward's Census population.

Built on `cityconv.methods.stats` (Wilson intervals, `census_margin`, `representation_table`,
`goodness_of_fit`, `rake`, `weighted_vs_unweighted`, `collapse_shares`), their wording in
`cityconv.chapters.statistics_prose`, and `cityconv.methods.disclosure`; nothing statistical is
re-implemented here.

Which questions: any study's. The questionnaire's `census:` mappings say which question is age, sex
or ethnic group and which census categories each answer covers (`Questionnaire.census_question`);
nothing assumes the City Conversation's codes. A topic without a mapped question is said in one
sentence and left out of the comparison and the weighting. Answers outside a mapping ("Non-binary",
"Prefer to self-describe") have no census counterpart: they are a row of their own (counted, under
the table's disclosure decision, not compared) and are not weighted. Recorded non-answers and
"Prefer not to say" are "not stated", as before.

Census margins and what is observed:

* **Age** (observed, `age.csv`): the residents in the census bands the age options cover, each
  option's population the sum of count × fraction over its bands (`stats.census_margin`). The City
  Conversation's options cover ages 15 and over, its 16-24 compared with census 15-24 (the census
  bands split at 14/15).
* **Sex** (observed, `sex.csv`): all ages; no sex-by-age table exists in the supplied Census data, so the
  adult sex split is taken to equal the all-ages split.
* **Age × sex** (`age_sex.csv`): **estimated** assuming age and sex are independent within the ward.
  Only used for the "women aged 35 to 64" comparison, when the age options pick out ages 35 to 64
  exactly, and labelled as an estimate wherever shown.
* **Ethnic group** (observed, `ethnicity.csv`): all ages (no ethnicity-by-age table), as White against
  all other groups; an option that spans both sides has no counterpart on either.

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

from cityconv.chapters.common import count_text
from cityconv.chapters.statistics_prose import precision_statement, representation_sentences
from cityconv.chapters.survey import (
    NOT_STATED,
    PUBLISHED_SOURCE,
    Survey,
    answer_withheld,
    wording,
)
from cityconv.core.escaping import myst_escape
from cityconv.data.questionnaire import Question, Questionnaire
from cityconv.methods import claims as claims_mod
from cityconv.methods.disclosure import SUPPRESSED, TOTAL, DisclosureRules, protect_answers, protect_counts
from cityconv.methods.stats import (
    census_margin,
    collapse_shares,
    goodness_of_fit,
    rake,
    representation_table,
    representation_verdict,
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
from cityconv.present.bars import grouped_bars
from cityconv.present.numbers import WITHHELD_PHRASE
from cityconv.present.prose import template_renderer

#: The chapter's reader prose: Markdown (Jinja2) templates, filled with numbers from the records.
TEMPLATES = Path(__file__).parent / "templates" / "who_took_part"
render = template_renderer(TEMPLATES)

SURVEY_AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
"""The City Conversation's age codes (its questionnaire maps 16-24 to census 15-24, the rest 1:1)."""
SEXES = ["Female", "Male"]
MINORITY = "Ethnic minority (all groups except White)"
WHITE = "White"
MIDDLE_AGED = claims_mod.MIDDLE_AGED_BANDS
ADULT_CENSUS_BANDS = claims_mod.ADULT_CENSUS_BANDS
FIG_WIDTH = 6.2
CENSUS_NOTE_AGE = ("Census age bands split at 14/15, so the survey's youngest band (16 to 24) is compared with "
                   "census ages 15 to 24; the census base is residents aged 15 and over.")
DIMENSIONS = ("age", "sex", "ethnicity")
"""The comparisons made from one question each; "age_sex" is made from the age and sex questions."""
CENSUS_TOPIC = {"age": "age", "sex": "sex", "ethnicity": "ethnic_group"}
TOPIC_WORDS = {"age": "age", "sex": "sex", "ethnicity": "ethnic group", "age_sex": "sex and age"}
LEFT_OUT = "No Census counterpart"
"""The comparison row of answers that have no census category (e.g. "Non-binary"): counted, not compared."""
NOT_COMPARED = (LEFT_OUT, NOT_STATED)
NOT_ASSESSED = "not assessed (count withheld)"
"""The verdict beside a withheld count, in table, sentence and summary alike: any real verdict narrows it."""


# ================================================================================================
# data
# ================================================================================================


def age_range(code: str, label: str) -> tuple[int, int | None] | None:
    """The ages an age option covers, read from its label or code ("18 to 29", "75+", "65 and over")."""
    for text in (str(label), str(code)):
        span = re.fullmatch(r"\D*?(\d+)\s*(?:-|–|to|_)\s*(\d+)\D*", text)
        if span:
            return int(span.group(1)), int(span.group(2))
        open_ended = re.fullmatch(r"\D*?(\d+)\s*(?:\+|plus|and over|or over|and older|or older)\s*", text)
        if open_ended:
            return int(open_ended.group(1)), None
    return None


def band_label(bands: list[str], labels: dict[str, str] | None = None) -> str:
    """["16-24", "25-34"] -> "People aged 16 to 34"; ["65-74", "75+"] -> "People aged 65 and over".

    Options whose ages cannot be read ("Under 18" beside "18 to 29" can; "Student" cannot) keep their
    labels, joined with "and"."""
    labels = labels or {}
    first, last = (age_range(b, labels.get(b, b)) for b in (bands[0], bands[-1]))
    if first is None or last is None:
        return " and ".join(labels.get(b, b) for b in bands)
    if last[1] is None:
        return f"People aged {first[0]} and over"
    return f"People aged {first[0]} to {last[1]}"


def collapse_sparse(counts: pd.Series, threshold: int, labels: dict[str, str] | None = None) -> dict[str, str]:
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
    return {c: band_label(g, labels) for g in groups for c in g}


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
class Demographic:
    """A question the questionnaire maps to a Census topic, and which comparison group each answer joins.

    Why: a study asks age, sex and ethnic group in its own words and categories; its `census:` mapping
    says which census categories each option covers. Options outside the mapping have no census
    counterpart (`left_out`, e.g. "Non-binary"): they are counted, but neither compared nor weighted.
    Recorded non-answers and "Prefer not to say" are `not_stated`, as before."""

    dimension: str
    question: Question
    groups: dict[str, str]  # mapped option code -> comparison group, in the options' order
    left_out: list[str]  # option codes with no census counterpart
    not_stated: list[str]  # codes that record no answer
    population: pd.Series | None = None  # comparison group -> share of the people the options cover

    @property
    def mapping(self) -> dict[str, dict[str, float]]:
        return dict(self.question.census.map) if self.question.census is not None else {}

    @property
    def order(self) -> list[str]:
        return list(dict.fromkeys(self.groups.values()))

    @property
    def left_out_labels(self) -> list[str]:
        return [self.question.options[c] for c in self.left_out]

    def values(self, responses: pd.DataFrame) -> pd.Series:
        """Each respondent's comparison group, LEFT_OUT, or NOT_STATED (no answer counts as not stated)."""
        if self.question.id not in responses.columns:
            return pd.Series(NOT_STATED, index=responses.index, dtype=object)

        def group(code) -> str:
            if pd.isna(code):
                return NOT_STATED
            code = str(code)
            if code in self.groups:
                return self.groups[code]
            return LEFT_OUT if code in self.left_out else NOT_STATED

        return responses[self.question.id].astype(object).map(group)

    def codes(self, responses: pd.DataFrame) -> pd.Series:
        if self.question.id not in responses.columns:
            return pd.Series(pd.NA, index=responses.index, dtype=object)
        return responses[self.question.id].astype("string").astype(object)


def _is_not_stated(code: str, label: str) -> bool:
    """"Prefer not to say" written as an option rather than a missing code (the City Conversation's)."""
    return any(str(t).strip().casefold().startswith("prefer not") for t in (code, label))


def demographic(questionnaire: Questionnaire, dimension: str) -> Demographic | None:
    """The question mapped to `dimension`'s census topic (None when the study has none)."""
    question = questionnaire.census_question(CENSUS_TOPIC[dimension])
    if question is None or question.census is None:
        return None
    mapping = question.census.map
    not_stated = list(question.missing) + [c for c, label in question.options.items()
                                           if c not in mapping and _is_not_stated(c, label)]
    left_out = [c for c in question.options if c not in mapping and c not in not_stated]
    groups: dict[str, str] = {}
    for code in question.options:
        if code not in mapping:
            continue
        if dimension == "ethnicity":
            covers_white = WHITE in mapping[code]
            if covers_white and set(mapping[code]) != {WHITE}:
                left_out.append(code)  # spans White and minority groups: no side to compare it on
                continue
            groups[code] = WHITE if covers_white else MINORITY
        elif dimension == "sex" and len(mapping[code]) == 1:
            groups[code] = next(iter(mapping[code]))
        else:
            groups[code] = question.options[code]
    return Demographic(dimension, question, groups, left_out, not_stated)


@dataclass
class Composition:
    """The sample and the ward's census margins, ready to compare."""

    ward_name: str
    survey: Survey
    rules: DisclosureRules
    has_census: bool
    demographics: dict[str, Demographic] = field(default_factory=dict)  # dimension -> its question
    unusable: dict[str, str] = field(default_factory=dict)  # dimension -> why its mapping cannot be used
    age_sex_pop: pd.Series | None = None  # "Women aged 35 to 64" etc. -> estimated share of residents 15+
    middle_aged: list[str] = field(default_factory=list)  # age codes that are exactly ages 35 to 64
    census_note: str = ""

    @property
    def responses(self) -> pd.DataFrame:
        return self.survey.responses

    @property
    def n(self) -> int:
        return self.survey.n

    @property
    def age_map(self) -> dict[str, str]:
        """Age option code -> collapsed age group ({} without an age question)."""
        demo = self.demographics.get("age")
        return dict(demo.groups) if demo is not None else {}

    @property
    def age_pop(self) -> pd.Series | None:
        return population(self, "age")

    @property
    def age_groups(self) -> list[str]:
        return list(dict.fromkeys(self.age_map.values()))

    @property
    def missing(self) -> list[str]:
        """Comparisons the study cannot make: no question mapped to the topic, or a mapping that fails."""
        return [d for d in DIMENSIONS if d not in self.demographics or d in self.unusable]


def _ward_rows(table: pd.DataFrame, context) -> pd.DataFrame:
    return table[(table["ward_code"] == context.ward_code) & (table["boundary_set"] == context.boundary_set)]


def composition(sv: Survey, context) -> Composition:
    """Compare a survey with its ward's context (`WardContext`, or None when there is none)."""
    comp = Composition(sv.ward_name, sv, sv.rules, has_census=False)
    if not sv.has_responses:
        return comp
    for dimension in DIMENSIONS:
        demo = demographic(sv.questionnaire, dimension)
        if demo is not None:
            comp.demographics[dimension] = demo
    age = comp.demographics.get("age")
    if age is not None:
        counts = age.codes(sv.responses).value_counts().reindex(list(age.groups), fill_value=0)
        age.groups = collapse_sparse(counts, sv.rules.threshold, dict(age.question.options))
    if context is None:
        return comp
    comp.census_note = str(getattr(context, "caveat", ""))
    tables = {"age": context.age, "sex": context.sex, "ethnicity": context.ethnicity}
    for dimension, demo in comp.demographics.items():
        rows = _ward_rows(tables[dimension], context)
        if rows.empty or rows["count"].isna().all() or not demo.groups:
            continue
        try:
            by_option = census_margin(rows.set_index("category")["count"].astype(float), demo.mapping)
        except ValueError as exc:
            comp.unusable[dimension] = str(exc)
            continue
        demo.population = collapse_shares(by_option, demo.groups)
    comp.has_census = any(population(comp, d) is not None for d in DIMENSIONS)
    if comp.has_census:
        comp.age_sex_pop = _age_sex_population(comp, _ward_rows(context.age_sex, context))
    return comp


def _middle_aged_codes(demo: Demographic) -> list[str] | None:
    """The age codes that together cover exactly census ages 35 to 64 (None when no set of them does)."""
    mapping = demo.mapping
    inside = [c for c, parts in mapping.items() if set(parts) <= set(MIDDLE_AGED)]
    outside = [c for c, parts in mapping.items() if c not in inside]
    covered = {band: sum(float(mapping[c].get(band, 0)) for c in inside) for band in MIDDLE_AGED}
    if any(abs(v - 1) > 1e-9 for v in covered.values()) or any(set(mapping[c]) & set(MIDDLE_AGED) for c in outside):
        return None
    return inside


def _age_sex_population(comp: Composition, age_sex: pd.DataFrame) -> pd.Series | None:
    """Estimated shares of women and men aged 35 to 64 and of other ages among residents 15+, when the
    study's age question can tell ages 35 to 64 apart and its sex question has women and men."""
    age, sex = comp.demographics.get("age"), comp.demographics.get("sex")
    if age is None or sex is None or "age" in comp.unusable or "sex" in comp.unusable:
        return None
    middle = _middle_aged_codes(age)
    if not middle or not set(SEXES) <= set(sex.groups.values()):
        return None
    if age_sex.empty or age_sex["count_estimated"].isna().all():
        return None
    comp.middle_aged = middle
    a = age_sex[age_sex["age_band"].isin(ADULT_CENSUS_BANDS)]
    total = float(a["count_estimated"].sum())
    cells = {}
    for sex_label, sex_value in (("Women", "Female"), ("Men", "Male")):
        rows = a[a["sex"] == sex_value]
        mid = float(rows.loc[rows["age_band"].isin(MIDDLE_AGED), "count_estimated"].sum())
        cells[f"{sex_label} aged 35 to 64"] = mid / total
        cells[f"{sex_label} of other ages"] = (float(rows["count_estimated"].sum()) - mid) / total
    return pd.Series(cells)


# ---- sample counts per comparison (stated categories, then LEFT_OUT, then NOT_STATED)


def _dimension_values(comp: Composition, dimension: str) -> tuple[pd.Series, list[str]]:
    """Each respondent's category in one comparison, and the categories' order."""
    r = comp.responses
    if dimension == "age_sex":
        age, sex = comp.demographics["age"], comp.demographics["sex"]
        age_values, sex_values = age.values(r), sex.values(r)
        known = ~age_values.isin(NOT_COMPARED) & sex_values.isin(SEXES)
        mid = age.codes(r).isin(comp.middle_aged)
        word = sex_values.map({"Female": "Women", "Male": "Men"})
        values = pd.Series(np.where(~known, NOT_STATED, word + np.where(mid, " aged 35 to 64", " of other ages")),
                           index=r.index)
        return values, ["Women aged 35 to 64", "Men aged 35 to 64", "Women of other ages", "Men of other ages"]
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    demo = comp.demographics[dimension]
    order = [g for g in (WHITE, MINORITY) if g in demo.order] if dimension == "ethnicity" else demo.order
    return demo.values(r), order


def sample_counts(comp: Composition, dimension: str) -> pd.Series:
    """Respondents per category of "age", "sex", "ethnicity" (two groups) or "age_sex" (four cells);
    answers with no census counterpart are a LEFT_OUT row, those who did not say a final NOT_STATED
    row (each absent when there are none)."""
    values, order = _dimension_values(comp, dimension)
    counts = pd.Series(values).value_counts().reindex(order + [LEFT_OUT, NOT_STATED], fill_value=0).astype("int64")
    counts = counts.drop([c for c in NOT_COMPARED if counts[c] == 0])
    counts.index.name = dimension
    return counts


def population(comp: Composition, dimension: str) -> pd.Series | None:
    if dimension == "age_sex":
        return comp.age_sex_pop
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    demo = comp.demographics.get(dimension)
    if demo is None or dimension in comp.unusable:
        return None
    return demo.population


def age_is_adults(comp: Composition) -> bool:
    """True when the age options cover exactly census ages 15 and over (as the City Conversation's do)."""
    demo = comp.demographics.get("age")
    if demo is None:
        return False
    covered: dict[str, float] = {}
    for parts in demo.mapping.values():
        for band, fraction in parts.items():
            covered[band] = covered.get(band, 0.0) + float(fraction)
    return set(covered) == set(ADULT_CENSUS_BANDS) and all(abs(v - 1) < 1e-9 for v in covered.values())


def nouns(comp: Composition) -> dict[str, str]:
    age = "the ward's residents aged 15 and over" if age_is_adults(comp) else "the ward's residents of the ages asked about"
    return {"age": age, "sex": "the ward's residents", "ethnicity": "the ward's residents",
            "age_sex": "the ward's residents aged 15 and over (estimated)"}


TITLES = {"age": "Age group", "sex": "Sex", "ethnicity": "Ethnic group", "age_sex": "Sex and age"}


@dataclass
class Comparison:
    dimension: str
    table: pd.DataFrame  # stats.representation_table, all respondents as base (NOT_STATED row included)
    counts: pd.Series
    mask: pd.Series  # category -> withheld ([c])
    primary: pd.Series
    display_counts: pd.Series
    noun: str = ""
    threshold: int = 0  # the disclosure threshold: a small [c] stands for any count below it

    def verdict(self, category: str) -> str:
        """The interval rule's verdict; for a withheld count, only a verdict every count the [c] could
        stand for (0 to threshold − 1, the total being shown) would get, else `NOT_ASSESSED`.

        "Under-represented" beside a [c] can narrow it (n = 45 and a ward share of 12% leave a count of
        exactly 1), but where every small count gets that verdict (a group that is 30% of the ward) it
        says no more than the [c]. A [c] withheld to protect another (secondary) is never assessed.
        """
        row = self.table.set_index("category").loc[category]
        if not bool(self.mask.get(category, False)):
            return str(row["verdict"])
        counts = self.possible_counts(category)
        if counts is None:
            return NOT_ASSESSED
        base, population_share = int(row["base"]), float(row["population_share"])
        if base < self.threshold:  # the base is withheld too (at n = 1 a verdict would name the one answer)
            return NOT_ASSESSED
        possible = {representation_verdict(k, base, population_share) for k in counts}
        return possible.pop() if len(possible) == 1 else NOT_ASSESSED

    def possible_counts(self, category: str) -> range | None:
        """The counts a reader of the table cannot tell apart for a withheld cell (None: too many to bound).

        A small [c] is any count below the threshold. The withheld cells add up to the total minus the
        shown ones; so where one cell is withheld to protect the small ones (secondary), it is that sum
        minus anything the small ones could be."""
        if self.threshold < 1:
            return None
        if bool(self.primary.get(category, False)):
            return range(self.threshold)
        withheld = [c for c, hidden in self.mask.items() if bool(hidden) and c in self.counts.index]
        secondary = [c for c in withheld if not bool(self.primary.get(c, False))]
        if secondary != [category]:
            return None
        hidden_sum = int(sum(int(self.counts[c]) for c in withheld))  # = total − shown cells
        small = len(withheld) - 1
        return range(max(0, hidden_sum - (self.threshold - 1) * small), hidden_sum + 1)


def protect_groups(counts: pd.Series, rules: DisclosureRules):
    """The disclosure decision for a representation table: as for a survey question's answers, the zeros are
    withheld too when every respondent who stated it is in one group (at n = 1 they would name its group)."""
    return protect_answers(counts, rules, with_totals=True, missing=tuple(c for c in NOT_COMPARED if c in counts.index))


def compare(comp: Composition, dimension: str) -> Comparison | None:
    """Representation table for one dimension (None without census figures for it)."""
    pop = population(comp, dimension)
    if pop is None or not comp.survey.has_responses:
        return None
    counts = sample_counts(comp, dimension)
    pop_full = pop.reindex(counts.index, fill_value=0.0)  # LEFT_OUT and NOT_STATED have no population share
    table = representation_table(counts, pop_full)
    protected = protect_groups(counts, comp.rules)
    return Comparison(dimension, table, counts, protected.mask.iloc[:, 0], protected.primary.iloc[:, 0],
                      protected.display.iloc[:, 0], nouns(comp)[dimension], comp.rules.threshold)


def safe_sentences(cmp: Comparison, rules: DisclosureRules) -> list[str]:
    """`statistics_prose.representation_sentences` for each stated category whose count may be published; a sentence
    without the count or share for a withheld one (the same words for every [c], small or protecting another)."""
    out = []
    noun = cmp.noun
    for _, row in cmp.table.iterrows():
        category = row["category"]
        if category in NOT_COMPARED:
            continue
        if not bool(cmp.mask.get(category, False)):
            out.extend(representation_sentences(cmp.table[cmp.table["category"] == category], noun))
            continue
        out.append(render("withheld_share", {
            "category": category, "suppressed": SUPPRESSED, "population_share": fmt_pct(row["population_share"]),
            "noun": noun, "verdict": cmp.verdict(category)}))
    return out


def comparison_table(comp: Composition, dimension: str) -> Table | None:
    cmp = compare(comp, dimension)
    if cmp is None:
        return None
    rows = []
    for _, row in cmp.table.iterrows():
        category = row["category"]
        withheld = bool(cmp.mask.get(category, False))
        stated = category not in NOT_COMPARED
        rows.append({
            TITLES[dimension]: _left_out_label(comp, dimension) if category == LEFT_OUT else category,
            "Respondents": cmp.display_counts[category],
            "% of respondents (95% interval)": SUPPRESSED if withheld or comp.n < comp.rules.min_percent_base else
            f"{fmt_pct(row['sample_share'])} ({fmt_pct(row['ci_low'])} to {fmt_pct(row['ci_high'])})",
            "% of ward": fmt_pct(row["population_share"]) if stated else "[x]",
            "Verdict": cmp.verdict(category) if stated else "[x]",
        })
    rows.append({TITLES[dimension]: "All respondents", "Respondents": cmp.display_counts.get("Total", fmt_int(comp.n)),
                 "% of respondents (95% interval)": "100%", "% of ward": "100%", "Verdict": ""})
    frame = pd.DataFrame(rows).set_index(TITLES[dimension])
    notes = [n for n in _notes_from(cmp, comp)]
    notes.append("Percentages of respondents are of all respondents, including those who preferred not to say, so the "
                 "other shares are slightly lower than among those who answered.")
    notes.append("Verdict: over- or under-represented when the 95% interval of the respondents' share excludes the "
                 "ward's share; “in line” means this sample cannot tell the difference, not that the shares are equal.")
    if LEFT_OUT in cmp.counts.index:
        notes.append("Answers with no Census counterpart are counted in the base but not compared with the ward, and are "
                     "left out of the weighting.")
    if dimension == "age":
        notes.append(_age_note(comp) + " Age bands with few respondents are merged with a neighbouring band.")
    if dimension == "sex":
        notes.append("Ward share: all residents (the Census tables give no sex split for adults only).")
    if dimension == "ethnicity":
        grouping = (", the nearest Census grouping to the term “BAME” used by the project"
                    if comp.survey.is_published_study else "")  # a study with its own report only
        notes.append("Ward share: all residents (no ethnic group by age in the tables). Ethnic minority = all groups "
                     f"except White{grouping}; White minorities such as White Irish are within White.")
    if dimension == "age_sex":
        notes.append("Ward shares are ESTIMATED: the Census tables give age and sex separately, so the age × sex "
                     "split assumes they are independent within the ward. The age and sex margins are observed.")
    return Table(frame, title=f"Survey respondents and ward residents by {TITLES[dimension].lower()}: {comp.ward_name}",
                 source=f"{comp.survey.source}; {cite('census2021')}",
                 units="Number of respondents; percentage of respondents or of residents", notes=notes, status=comp.survey.status)


def _left_out_label(comp: Composition, dimension: str) -> str:
    """The table row of answers with no census category: "Non-binary, Prefer to self-describe (no Census counterpart)"."""
    return f"{', '.join(comp.demographics[dimension].left_out_labels)} (no Census counterpart)"


def _age_note(comp: Composition) -> str:
    """How the survey's age options meet the census bands: the City Conversation's note, or the mapping's."""
    if age_is_adults(comp) and comp.demographics["age"].mapping.get("16-24") == {"15-24": 1}:
        return CENSUS_NOTE_AGE
    return ("Each age option is compared with the census age bands it covers, as the questionnaire's census mapping "
            "declares (a band shared between two options is split by the fractions given there); the ward's shares are "
            "of the residents those bands hold.")


def _notes_from(cmp: Comparison, comp: Composition) -> list[str]:
    protected_notes = protect_groups(cmp.counts, comp.rules).notes
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
    context = {"ward": comp.ward_name, "n": count_text(comp.n, comp.rules), "has_responses": comp.survey.has_responses,
               "has_census": comp.has_census, "over": "", "under": "", "shift": "",
               "status": comp.survey.status, "n_published": comp.survey.published.get("survey_responses") == comp.n,
               "no_questions": not comp.demographics, "compared": "", "weighted_on": ""}
    if not comp.survey.has_responses or not comp.has_census:
        return context
    over, under, assessed = [], [], False
    context["compared"] = join_words([TOPIC_WORDS[d] for d in DIMENSIONS if population(comp, d) is not None])
    for dimension in ("age", "sex", "age_sex", "ethnicity"):
        cmp = compare(comp, dimension)
        if cmp is None:
            continue
        for category in cmp.table["category"]:
            if category in NOT_COMPARED:
                continue
            verdict = cmp.verdict(category)  # NOT_ASSESSED for a withheld count: in neither list
            assessed = assessed or verdict != NOT_ASSESSED
            if verdict == "over-represented":
                over.append(_group_words(str(category)))
            elif verdict == "under-represented":
                under.append(_group_words(str(category)))
    context.update(over=join_words(over), under=join_words(under), assessed=assessed)
    data = weighted_comparison(comp)
    if data is not None and not data.empty and not data[~data["withheld"]].empty:
        shown = data[~data["withheld"]]
        context["shift"] = fmt_pp(float(shown["difference_pp"].abs().max()) / 100)
        context["weighted_on"] = join_words([TOPIC_WORDS[d] for d in weighting_dimensions(comp)])
    return context


def summary_text(comp: Composition) -> str:
    """The chapter's opening paragraph."""
    return render("summary", summary_context(comp))


def purpose_text(comp: Composition) -> str:
    """Why respondents are compared with the Census, and what the chapter does about it (where it can)."""
    return render("purpose", {"compares": comp.has_census or not comp.survey.has_responses})


def availability_context(comp: Composition) -> dict[str, Any]:
    has_responses, has_census = comp.survey.has_responses, comp.has_census
    return {"ward": comp.ward_name, "has_responses": has_responses, "has_census": has_census,
            "no_questions": has_responses and not comp.demographics,
            "census_note": comp.census_note, "n": count_text(comp.n, comp.rules) if has_responses else "",
            "precision": precision_statement(comp.n, rules=comp.rules) if has_responses and has_census else ""}


def availability_text(comp: Composition) -> str:
    return render("availability", availability_context(comp))


def representation_text(comp: Composition, dimension: str) -> str | None:
    """The comparison's sentences; one sentence instead when the study cannot make it."""
    if not comp.survey.has_responses:
        return None
    if dimension in comp.missing:
        return render("not_compared", not_compared_context(comp, dimension))
    cmp = compare(comp, dimension)
    if cmp is None:
        return None
    sentences = safe_sentences(cmp, comp.rules)
    if LEFT_OUT in cmp.counts.index:
        sentences.append(render("left_out", left_out_context(comp, cmp)))
    return " ".join(sentences)


def not_compared_context(comp: Composition, dimension: str) -> dict[str, Any]:
    return {"words": TOPIC_WORDS[dimension], "reason": comp.unusable.get(dimension, "")}


def left_out_context(comp: Composition, cmp: Comparison) -> dict[str, Any]:
    """How many answered an option with no census counterpart, as the table's suppression decision allows."""
    labels = comp.demographics[cmp.dimension].left_out_labels
    count = int(cmp.counts[LEFT_OUT])
    withheld = bool(cmp.mask.get(LEFT_OUT, False))  # one wording whichever rule withheld it
    return {"who": None if withheld else f"{fmt_int(count)} {'respondent' if count == 1 else 'respondents'}",
            "withheld_phrase": WITHHELD_PHRASE, "options": join_words([f"“{label}”" for label in labels], "or"),
            "single": len(labels) == 1}


def age_sex_note(comp: Composition) -> str | None:
    """Why the sex-by-age shares are estimates: only where that comparison is made."""
    return render("age_sex_note", {}) if compare(comp, "age_sex") is not None else None


def published_statement_text(comp: Composition) -> str | None:
    """The project's statement about the sample, quoted with its source, beside what the records show."""
    sv = comp.survey
    if sv.data is None or not sv.has_responses:
        return None
    if not sv.is_published_study:  # a study with no report of its own: nothing to set beside the records
        kind = "this synthetic demonstration" if sv.status == "synthetic" else f"{myst_escape(sv.ward_name)}'s study"
        return (f"There is no report of {kind} that says who took part"
                + (", so the test below uses only the records." if comp.has_census else "."))
    if not comp.has_census:
        return None
    return render("published_statement", published_statement_context(comp))


def _not_compared_because(comp: Composition) -> str:
    """Why a ward with survey records is not compared with the Census, as a clause."""
    if not comp.demographics:
        return "the survey asked no age, sex or ethnic group question mapped to Census categories"
    return f"{myst_escape(comp.ward_name)} has no Census 2021 figures of its own"


def published_statement_context(comp: Composition) -> dict[str, Any]:
    by_id = {c.claim_id: c for c in claims_mod.CLAIMS}
    women = compare(comp, "age_sex")
    eth = compare(comp, "ethnicity")
    women_claim, eth_claim = by_id["women_35_64_overrepresented"], by_id["ethnic_minority_underrepresented"]
    published_n = comp.survey.published.get("survey_responses")
    minority = None
    if eth is not None:
        row = eth.table.set_index("category").loc[MINORITY]
        withheld = eth.verdict(MINORITY) == NOT_ASSESSED  # then neither the verdict nor "smaller" is said
        minority = {"verdict": eth.verdict(MINORITY), "withheld": withheld,
                    "smaller": None if withheld else row["sample_share"] < row["population_share"],
                    "population_share": fmt_pct(row["population_share"])}
    return {"published_n": fmt_int(published_n) if published_n is not None else "",
            "women_statement": women_claim.statement, "minority_statement": eth_claim.statement,
            "source": PUBLISHED_SOURCE, "location": women_claim.location,
            "women_verdict": women.verdict("Women aged 35 to 64") if women is not None else "",
            "not_assessed": NOT_ASSESSED, "suppressed": SUPPRESSED, "minority": minority}


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
    counts = sample_counts(comp, dimension).drop(list(NOT_COMPARED), errors="ignore")
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
    if not comp.survey.has_responses:
        return None
    if not comp.has_census:  # the section says why it is empty rather than leaving its heading alone
        return f"There is nothing to test: {_not_compared_because(comp)}."
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
    sample: pd.DataFrame  # respondents used (a census answer to every margin), with their groups
    result: object  # stats.RakeResult
    margins: list[str]
    dropped: list[str]  # margins left out, with the reason
    given: str = "age and sex"  # what the respondents weighted had to give, for the prose


def weighting_dimensions(comp: Composition) -> list[str]:
    """The margins every respondent is weighted to: age and sex, as far as the study can compare them."""
    return [d for d in ("age", "sex") if population(comp, d) is not None]


def weighting(comp: Composition) -> Weighting | None:
    """Rake respondents with a census answer on age and sex (those the study asked) to the ward's margins;
    ethnicity too when the minority group has at least the threshold of respondents (else one person
    would carry it). Answers with no census counterpart, and none, leave the respondent out."""
    dims = weighting_dimensions(comp)
    if not comp.has_census or not comp.survey.has_responses or not dims:
        return None
    r = comp.responses
    values = {d: comp.demographics[d].values(r) for d in (*dims, "ethnicity") if population(comp, d) is not None}
    keep = pd.Series(True, index=r.index)
    for d in dims:
        keep &= ~values[d].isin(NOT_COMPARED)
    sample = r[keep].copy()
    if sample.empty:
        return None
    margins: dict[str, pd.Series] = {}
    names, dropped = [], []
    if "sex" in dims:
        sample["sex_group"] = values["sex"][keep]
        sex_pop = population(comp, "sex")
        absent = [g for g in sex_pop.index if sex_pop[g] > 0 and not (sample["sex_group"] == g).any()]
        if absent:
            dropped.append(f"sex: no respondent among those weighted answered {join_words(absent, 'or')}, so no weight "
                           "could stand for them")
        else:
            margins["sex_group"] = sex_pop
            names.append("sex")
    eth_pop = population(comp, "ethnicity")
    if eth_pop is not None and set(eth_pop.index) == {WHITE, MINORITY}:
        eth = values["ethnicity"][keep]
        too_few = comp.rules.is_small(int((eth == MINORITY).sum())) or not (eth == MINORITY).any()
        unstated = not eth.isin([WHITE, MINORITY]).all()
        if not too_few and not unstated:
            sample["eth_group"] = eth
            margins["eth_group"] = eth_pop
            names.append("ethnic group")
        else:  # each reason that applies, and no count: the table's [c] says nothing more
            dropped.append(render("ethnic_group_not_weighted", {"too_few": too_few, "unstated": unstated}))
    if "age" in dims:
        names.insert(0, _weight_by_age(comp, sample, values["age"][keep], margins))
    if not margins:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = rake(sample, margins)
    return Weighting(sample, result, names, dropped, join_words([TOPIC_WORDS[d] for d in dims]))


def _weight_by_age(comp: Composition, sample: pd.DataFrame, groups: pd.Series, margins: dict) -> str:
    """Add the age margin (in place) and return its name. A collapsed age group may have no respondents
    left once those who did not state their sex are dropped (issue 15: everyone in it preferred not to
    say): it is merged with a neighbour for weighting."""
    age_pop = comp.age_pop
    sample["age_group"] = groups
    merged = merge_empty_groups(sample["age_group"], list(age_pop.index))
    details = ["15 and over"] if age_is_adults(comp) else []
    if merged:
        sample["age_group"] = sample["age_group"].map(lambda g: merged.get(g, g))
        together = " and those ".join(_group_words(g).removeprefix("people ") for g in age_pop.index if g in merged)
        details.append(f"with those {together} weighted as one group")
        age_pop = collapse_shares(age_pop, {g: merged.get(g, g) for g in age_pop.index})
    margins["age_group"] = age_pop
    return f"age ({', '.join(details)})" if details else "age"


def weighting_context(w: Weighting) -> dict[str, Any]:
    res = w.result
    return {"margins": " and ".join(w.margins), "given": w.given, "lowest": f"{res.weights.min():.2f}",
            "highest": f"{res.weights.max():.2f}", "design_effect": f"{res.design_effect:.2f}",
            "effective_n": f"{res.effective_sample_size:.0f}", "converged": res.converged,
            "largest_gap": fmt_pp(res.max_margin_error, 1), "dropped": list(w.dropped)}


def weighting_text(comp: Composition) -> str | None:
    w = weighting(comp)
    if w is None and comp.survey.has_responses and not comp.has_census:
        return (f"The responses are not weighted, because {_not_compared_because(comp)}: every result in the "
                "survey chapter is unweighted.")
    return None if w is None else render("weighting", weighting_context(w))


def weighted_comparison(comp: Composition) -> pd.DataFrame | None:
    """Unweighted and weighted shares for the headline questions (rows withheld where the count is small)."""
    w = weighting(comp)
    if w is None:
        return None
    rows = []
    for question in headline_questions(comp.survey.questionnaire):
        column = question.id
        if column not in w.sample.columns:
            continue
        codes = w.sample[column].astype("string").astype(object)
        answered = codes.notna() & ~codes.isin(list(question.missing))  # a recorded non-answer is no answer
        if not answered.any():
            continue
        labels = dict(question.options)  # the ward's own answer labels
        sample = w.sample[answered].assign(**{column: codes[answered]})
        table = weighted_vs_unweighted(sample, w.result.weights, column, categories=list(labels))
        counts = table.set_index("category")["count"]
        counts.index.name = column
        hidden = _weighted_rows_withheld(comp, column, counts)
        for _, row in table.iterrows():
            withheld = row["category"] in hidden or int(answered.sum()) < comp.rules.min_percent_base
            rows.append({"question": column, "category": row["category"], "label": labels[row["category"]],
                         "count": int(row["count"]), "withheld": withheld,
                         "unweighted_share": row["unweighted_share"], "weighted_share": row["weighted_share"],
                         "difference_pp": row["difference_pp"]})
    return pd.DataFrame(rows)


def _weighted_rows_withheld(comp: Composition, column: str, counts: pd.Series) -> set[str]:
    """The answers whose shares the weighted table withholds: those its own counts withhold, and those the
    survey chapter's table withholds (the same answer's share of nearly the same people would give that
    count back). When that leaves a question with one withheld answer, the smallest other non-zero one goes
    too: the shares add up to 100%, so a lone [c] would be 100% minus the rest."""
    mask = protect_counts(counts, comp.rules, with_totals=True).mask.iloc[:, 0].drop(index=TOTAL, errors="ignore")
    hidden = {str(code) for code, withheld in mask.items() if withheld}
    hidden |= {str(code) for code in counts.index if answer_withheld(comp.survey, column, str(code))}
    if len(hidden) == 1:
        others = counts[[str(code) not in hidden and count > 0 for code, count in counts.items()]]
        if not others.empty:
            hidden.add(str(others.idxmin()))
    return hidden


def headline_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions whose results weighting may move: every single-answer and rating question that is
    not itself compared with the Census, in the questionnaire's order."""
    return [q for q in questionnaire.of_kind("single", "rating") if q.census is None]


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
                 notes=[comp.rules.symbol_note() + ".",  # the one wording for every [c]
                        f"Respondents who gave their {_given(comp)} and answered the question; weighted by raking to the "
                        f"ward's Census 2021 {_given(comp)} profile.",
                        "Difference = weighted minus unweighted."], status=comp.survey.status)


def _given(comp: Composition) -> str:
    """What a respondent must have given to be weighted: "age and sex", or the one of them the study asked."""
    return join_words([TOPIC_WORDS[d] for d in weighting_dimensions(comp)])


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
            "answer": biggest["label"], "question": wording(comp.survey, biggest["question"]),
            "unweighted": fmt_pct(biggest["unweighted_share"]), "weighted": fmt_pct(biggest["weighted_share"]),
            "within_margin": abs(biggest["difference_pp"]) < margin, "margin": f"{margin:.0f}", "given": _given(comp)}


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
    from matplotlib.figure import Figure

    dims = [d for d in ("age", "sex", "ethnicity") if population(comp, d) is not None]
    cmps = {d: compare(comp, d) for d in dims}
    heights = [len(population(comp, d)) for d in dims]
    fig = Figure(figsize=(FIG_WIDTH, 0.55 * sum(heights) + 1.2 * len(dims) + 0.8), layout="constrained")
    axes = fig.subplots(len(dims), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    alt_bits = []
    for ax, dim in zip(axes, dims):
        cmp = cmps[dim]
        t = cmp.table[~cmp.table["category"].isin(NOT_COMPARED)].copy()
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
        grouped_bars(ax, order, [(who, data[data["who"] == who].set_index("category")["percent"].reindex(order).tolist(),
                                  colour) for who, colour in zip(hue_order, (WARD_COLOUR, CITY_COLOUR))],
                     horizontal=True, edgecolor="white")
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
    panels = {"age": "age group", "sex": "sex", "ethnicity": "ethnic group"}
    count = {1: "One horizontal bar chart", 2: "Two horizontal bar charts", 3: "Three horizontal bar charts"}[len(dims)]
    alt = (f"{count} comparing the percentage of the {fmt_int(comp.n)} survey respondents with the "
           f"percentage of {comp.ward_name}'s residents in each {join_words([panels[d] for d in dims])}, with 95% intervals for "
           "the respondents. By the interval rule: " + "; ".join(alt_bits) + ". Groups with too few respondents to "
           "publish have no respondents' bar.")
    bases = (["aged 15 and over for age" if age_is_adults(comp) else "of the ages asked about for age"] if "age" in dims else [])
    all_ages = [panels[d] for d in dims if d != "age"]
    if all_ages:
        bases.append(f"all ages for {join_words(all_ages)}")
    return Chart(fig, alt, "Survey respondents (all, including those who preferred not to say) against Census 2021 "
                           f"residents: {', '.join(bases)}.", status=comp.survey.status)
