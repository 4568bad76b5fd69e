"""Named fact definitions: one number per fact, rendered the same on every page.

Why: the same fact used to show different numbers on different pages (Clubmoor's population as
"about 15,000", "about 17,200" and 15,272; green spaces as 50% and 52%), because each chapter counted
and rounded it its own way. Each fact here has one definition (what is counted, the base, the year,
the boundary set, the source) and one rendering. Where two definitions legitimately differ (2011
official vs 2021 output-area population; all respondents vs those who answered) they are two facts with
different ids, and each rendering carries its qualifier, so a page always says which one it shows.

Chapters call the functions below (never `fmt_int`/`fmt_pct` on the raw number) and put
`fact.text` (the number) or `fact.phrase` (the number with its qualifier) into their prose.
`tests/realbook/test_facts_across_pages.py` (population, green spaces, digital by age) and
`tests/realbook/test_facts_consistency.py` (aims, aim statuses, targets, survey shares) check the
rendered book against these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cityconv.methods import claims as claims_mod
from cityconv.methods.disclosure import DisclosureRules
from cityconv.present import fmt_int, fmt_pct


@dataclass(frozen=True)
class FactDefinition:
    """What a number means: what is counted, out of what, when, on which boundaries, from where."""

    fact_id: str
    counted: str
    base: str
    year: str
    boundary: str
    source: str  # a bibliography key (references.bib) or the ward's records
    qualifier: str  # the words said beside the number every time it is shown, e.g. "(Census 2021, sum of output areas)"


@dataclass(frozen=True)
class Fact:
    """One fact's value for one ward, and how it is written on every page."""

    definition: FactDefinition
    value: float | None
    text: str  # the number as shown, e.g. "17,188" or "50%"

    @property
    def fact_id(self) -> str:
        return self.definition.fact_id

    @property
    def phrase(self) -> str:
        """The number with its qualifier, e.g. "15,373 (Census 2021, sum of the ward's output areas)"."""
        return f"{self.text} {self.definition.qualifier}"


DEFINITIONS: dict[str, FactDefinition] = {
    d.fact_id: d
    for d in (
        FactDefinition(
            "population_2021", "usual residents", "the ward's Census 2021 output areas, summed",
            "2021", "the ward's boundary set in its params", "ons_census2021",
            "(Census 2021, sum of the ward's output areas)",
        ),
        FactDefinition(
            "population_2011", "usual residents", "the official Census 2011 ward figure", "2011",
            "the 2004–2023 wards (no figure exists for the wards of 2023)", "ons_census2011",
            "(Census 2011, official ward figure)",
        ),
        FactDefinition(
            "population_described", "people", "the project's own description of the ward", "2020–21",
            "the 2004–2023 wards", "heseltine_city_conversation",
            "(the project's own description)",
        ),
        FactDefinition(
            "survey_respondents", "survey responses", "every survey record", "the survey period",
            "the ward", "the ward's records", "",
        ),
        FactDefinition(
            "answer_share_all", "respondents giving an answer", "every survey respondent, including those who "
            "did not answer the question", "the survey period", "the ward", "the ward's records",
            "of all respondents",
        ),
        FactDefinition(
            "answer_share_answered", "respondents giving an answer", "respondents who answered the question",
            "the survey period", "the ward", "the ward's records", "of those who answered",
        ),
        FactDefinition(
            "digital_by_age", "respondents naming at least one digital method",
            f"every respondent in the age group ({claims_mod.YOUNGER_LABEL.lower()}; "
            f"{claims_mod.OLDER_LABEL.lower()})", "the survey period", "the ward", "the ward's records",
            "of the age group",
        ),
        FactDefinition(
            "aims", "the engagement's aims, each counted once however many targets it has",
            "the ward's objectives file (one row per target)", "the project period", "the ward",
            "the ward's objectives file", "aims",
        ),
        FactDefinition(
            "targets", "targets with a number to reach", "the ward's objectives file (one row per target)",
            "the project period", "the ward", "the ward's objectives file", "targets with a number",
        ),
        FactDefinition(
            "target_share", "delivered as a share of the target", "the target of one aim", "the project period",
            "the ward", "the ward's objectives file", "of the target",
        ),
    )
}

#: The population the project itself gave for a ward (the project page: "a neighbourhood of 15,000
#: people"), by ONS ward code. Only a ward with a published description has one; a synthetic ward never does.
DESCRIBED_POPULATION: dict[str, int] = {"E05000892": 15_000}

#: The one age grouping of the digital/traditional comparison (see `cityconv.methods.claims`).
AGE_GROUP_BANDS: dict[str, tuple[str, ...]] = {
    claims_mod.YOUNGER_LABEL: claims_mod.YOUNGER_BANDS,
    claims_mod.OLDER_LABEL: claims_mod.OLDER_BANDS,
}
AGE_GROUPS: dict[str, str] = {band: label for label, bands in AGE_GROUP_BANDS.items() for band in bands}
"""Survey age band -> the comparison's age group label."""


def _fact(fact_id: str, value, text: str) -> Fact:
    return Fact(DEFINITIONS[fact_id], None if value is None or pd.isna(value) else float(value), text)


# ---- the ward's population


def population_2021(ward_population_2021) -> Fact | None:
    """Usual residents in 2021, the exact sum of the ward's output areas (never rounded to "about 15,400")."""
    if ward_population_2021 is None or pd.isna(ward_population_2021):
        return None
    return _fact("population_2021", ward_population_2021, fmt_int(ward_population_2021))


def population_2011(ward_population_2011) -> Fact | None:
    """Usual residents in 2011, the official ward figure (None for a ward of the 2023 set)."""
    if ward_population_2011 is None or pd.isna(ward_population_2011):
        return None
    return _fact("population_2011", ward_population_2011, fmt_int(ward_population_2011))


def population_described(ward_code: str) -> Fact | None:
    """The population the project gave for its ward ("about 15,000"), or None for any other ward."""
    value = DESCRIBED_POPULATION.get(str(ward_code))
    if value is None:
        return None
    return _fact("population_described", value, f"about {fmt_int(value)}")


def population_facts(profile) -> dict[str, Fact]:
    """The population facts of a `chapters.profile.WardProfile` (only those that exist for the ward)."""
    ward = profile.population[profile.population["area"] == "ward"]
    row = ward.iloc[0] if not ward.empty else {}
    found = {
        "population_2021": population_2021(row.get("population_2021") if len(ward) else None),
        "population_2011": population_2011(row.get("population_2011") if len(ward) else None),
        "population_described": population_described(profile.ward_code),
    }
    return {k: v for k, v in found.items() if v is not None}


# ---- survey answers


def answer_share(count: int, base: int, answered: bool = False, rules: DisclosureRules | None = None,
                 withheld: bool = False) -> Fact | None:
    """The share of respondents giving an answer, on one of the two named bases.

    `answered=False`: of all respondents (the survey chapter's base); `answered=True`: of those who
    answered the question (the comparison chapter's). None when disclosure control withholds it
    (a small count or a small base, or `withheld`: the table showing this count withholds it, e.g. by
    secondary suppression — `Disclosed.withheld`), so no page can state it.
    """
    rules = rules or DisclosureRules()
    count, base = int(count), int(base)
    if withheld or base <= 0 or base < rules.min_percent_base or rules.is_small(count):
        return None
    fact_id = "answer_share_answered" if answered else "answer_share_all"
    return _fact(fact_id, count / base, fmt_pct(count / base))


def survey_answer_share(responses: pd.DataFrame, mentions: pd.DataFrame | None, question: str, code: str,
                        answered: bool = False, rules: DisclosureRules | None = None,
                        withheld: bool = False) -> Fact | None:
    """`answer_share` of one code of one question, counted from a ward's survey records.

    A multi-answer question (in `survey_mentions.csv`) counts people, not ticks; a single-answer one
    (a column of `survey_responses.csv`) counts the rows with that answer.
    """
    if responses is None or responses.empty:
        return None
    ids = set(responses["response_id"].astype(str))
    if question in responses.columns:
        column = responses[question]
        count = int((column.astype("string") == code).sum())
        base = int(column.notna().sum()) if answered else len(ids)
    else:
        if mentions is None:
            return None
        m = mentions[(mentions["question"].astype(str) == question) & mentions["response_id"].astype(str).isin(ids)]
        count = int(m.loc[m["code"].astype(str) == code, "response_id"].nunique())
        base = int(m["response_id"].nunique()) if answered else len(ids)
    return answer_share(count, base, answered, rules, withheld)


def digital_share_by_age(responses: pd.DataFrame, mentions: pd.DataFrame | None,
                         rules: DisclosureRules | None = None) -> dict[str, Fact | None]:
    """Share of each comparison age group naming at least one digital method (None where withheld)."""
    rules = rules or DisclosureRules()
    if responses is None or mentions is None:
        return {}
    methods = mentions[mentions["question"].astype(str) == "preferred_methods"]
    digital = set(methods.loc[methods["code"].astype(str).isin(claims_mod.DIGITAL_METHODS), "response_id"].astype(str))
    out: dict[str, Fact | None] = {}
    for label, bands in AGE_GROUP_BANDS.items():
        ids = set(responses.loc[responses["age_band"].astype(str).isin(bands), "response_id"].astype(str))
        n, base = len(ids & digital), len(ids)
        out[label] = (None if base < rules.min_percent_base or rules.is_small(n)
                      else _fact("digital_by_age", n / base, fmt_pct(n / base)))
    return out


# ---- the engagement's aims and targets
#
# Why: Clubmoor's objectives file has 8 rows for the 7 published aims (focus groups and workshops are one
# aim with two targets), and pages said "7 aims" or "8 objectives". Every page counts aims and targets
# here, says an aim's status with `aim_status`, and shows a share of a target only through `target_share`.

#: How each status of an aim (the `status` column of objectives.csv) is said on every page.
AIM_STATUS_WORDS: dict[str, str] = {
    "met": "Met",
    "not met": "Not met",
    "adapted": "Done another way",
    "unclear": "Not clear",
    "not quantified": "Reported in words, with no number",
}
#: The statuses under which a delivered figure can be set against its target as a share.
COUNTED_STATUSES = frozenset({"met", "not met"})


@dataclass(frozen=True)
class AimCount:
    """How many aims a ward's engagement had, how many targets, and how many aims have a numeric target."""

    aims: int
    targets: int
    aims_with_target: int

    @property
    def phrase(self) -> str:
        """The one way every page says it, e.g. "7 aims, 3 of them with a number to reach (4 targets in all)"."""
        aims = f"{fmt_int(self.aims)} aim{'s' if self.aims != 1 else ''}"
        if not self.targets:
            return aims
        if self.targets == self.aims_with_target:
            return f"{aims}, {fmt_int(self.aims_with_target)} of them with a number to reach"
        return (f"{aims}, {fmt_int(self.aims_with_target)} of them with a number to reach "
                f"({fmt_int(self.targets)} targets in all)")


def aim_key(objectives: pd.DataFrame) -> pd.Series:
    """Which aim each row (target) of an objectives table belongs to: rows with the same wording are one aim."""
    return objectives["objective"].astype(str).str.strip()


def aim_count(objectives: pd.DataFrame | None) -> AimCount | None:
    """Aims (distinct wordings), targets (rows with a number) and aims with a numeric target."""
    if objectives is None or objectives.empty:
        return None
    key = aim_key(objectives)
    numeric = objectives["target"].notna()
    return AimCount(int(key.nunique()), int(numeric.sum()), int(key[numeric].nunique()))


def aim_status(status: str) -> str:
    """The words for an aim's status (objectives.csv `status`), the same on every page."""
    return AIM_STATUS_WORDS.get(str(status).strip(), str(status))


def aims(objectives: pd.DataFrame | None) -> pd.DataFrame:
    """One row per aim: its wording and its status. An aim whose targets differ in status is "unclear"."""
    if objectives is None or objectives.empty:
        return pd.DataFrame(columns=["aim", "status"])
    frame = pd.DataFrame({"aim": aim_key(objectives), "status": objectives["status"].astype(str).str.strip()})
    rows = [{"aim": aim, "status": group["status"].iloc[0] if group["status"].nunique() == 1 else "unclear"}
            for aim, group in frame.groupby("aim", sort=False)]
    return pd.DataFrame(rows, columns=["aim", "status"])


def aims_by_status(objectives: pd.DataFrame | None) -> dict[str, int]:
    """status -> number of aims with it (every status of AIM_STATUS_WORDS, zero where none)."""
    counts = aims(objectives)["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in AIM_STATUS_WORDS}


def target_share(target, delivered, status: str) -> Fact | None:
    """Delivered as a share of the target, only for an aim whose status is met or not met.

    None for an aim whose delivery is not clear, was done another way or has no number: a share would
    read as a judgement ("115%", so met) that the status withholds.
    """
    if str(status).strip() not in COUNTED_STATUSES:
        return None
    if target is None or delivered is None or pd.isna(target) or pd.isna(delivered) or float(target) <= 0:
        return None
    share = float(delivered) / float(target)
    return _fact("target_share", share, fmt_pct(share))
