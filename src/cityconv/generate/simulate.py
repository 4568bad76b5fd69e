"""Synthetic engagement data for a ward: a demonstration of the chapters, never findings.

Why: a new ward's chapters can be tried, and the book's methods taught, before any resident has
been asked anything. `simulate_ward` draws survey respondents from the ward's own Census 2021
margins (`data/context/`), lets each group respond with a chosen propensity, so that a sampling bias
like Clubmoor's can be reproduced, removed or exaggerated, and fills every other table with records
of a sensible size. Every file is valid against the ward schemas, and the ward's params file is
marked `synthetic: true`, so every chapter carries the "synthetic demonstration" label.

The sampling model (pure functions, reusable by the teaching explorer):
- population margins: the ward's adults by age band (Census 2021 TS007A), sex (TS008) and broad
  ethnic group (TS021), each as shares. The census's youngest adult band is 15-24 while the survey
  asks 16-24; as in `cityconv.generate.reconstruct` and `cityconv.methods.claims`, the census 15-24 band stands in for
  the survey's 16-24. Sex and ethnic group are for all ages (the tables have no adult-only split).
- the three characteristics are taken as independent within the ward (the tables hold no
  cross-tabulation; `age_sex.csv` makes the same assumption), so the population is 7 x 2 x 5 cells
  with share = product of the margins;
- a respondent's chance of responding is the product of the propensities of their groups
  (unspecified groups: 1), so the respondents' composition in a cell is proportional to
  population share x propensity, and each margin of the respondents is shifted by its own
  propensities only;
- respondents are drawn with replacement from the cells (a ward has thousands of adults; a survey
  tens or hundreds of respondents).

Default propensities (`CLUBMOOR_LIKE_PROPENSITIES`) reproduce the sampling bias of the Clubmoor
survey: the ratio of each group's share in the reconstructed Clubmoor survey (`cityconv.generate.reconstruct`:
48 responses) to its share of Clubmoor's adults in Census 2021, rounded. The slides published only
that middle-aged women were over-represented and ethnic minority residents under-represented; the
sizes are those of the reconstruction, i.e. invented. Answers follow the distributions documented in
`ANSWER_DISTRIBUTIONS`, taken from the reconstructed Clubmoor survey (a model of how people answer).
Everything else is the simulated study's own (issue 23: a synthetic ward stands on its own): its
calendar counted from `start`, its aims with targets sized from the ward's adults (`ward_targets`),
its interview groups, and themes from the schemas' general coding frames (`x-frames`), never another
study's dates, targets or published findings.

Determinism: one `numpy.random.Generator` (PCG64) seeded with `seed` is consumed in a fixed order and
files are written with the csv module (UTF-8, LF, no BOM), so the same inputs give byte-identical
files.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from ruamel.yaml import YAML

from cityconv.core.params import StudyParams, did_you_mean, load_params
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles as datafiles
from cityconv.data.context import WardContext, load_context
from cityconv.data.questionnaire import ward_questionnaire
from cityconv.generate import reconstruct as rc

NOT_STATED = "Prefer not to say"
DIMENSIONS = ("age_band", "sex", "ethnic_group")
PROTECTED_IDS = ("clubmoor",)  # never simulated over: its folder is the reconstruction of the published study
MAX_N = 100_000

# Census category -> survey code (see module docstring about 15-24 / 16-24).
CENSUS_AGE_TO_SURVEY = {"15-24": "16-24", "25-34": "25-34", "35-44": "35-44", "45-54": "45-54",
                        "55-64": "55-64", "65-74": "65-74", "75+": "75+"}
CENSUS_SEX = ("Female", "Male")
CENSUS_ETHNIC_GROUPS = ("White", "Mixed/multiple", "Asian/Asian British", "Black/Black British", "Other")

# Survey share / Census 2021 adult share in Clubmoor (reconstruction), rounded to one decimal.
CLUBMOOR_LIKE_PROPENSITIES: dict[str, dict[str, float]] = {
    "age_band": {"16-24": 0.3, "25-34": 0.6, "35-44": 1.2, "45-54": 1.7, "55-64": 1.4, "65-74": 1.2, "75+": 0.5},
    "sex": {"Female": 1.8, "Male": 1.0},
    "ethnic_group": {"White": 1.0, "Mixed/multiple": 0.3, "Asian/Asian British": 0.3,
                     "Black/Black British": 0.3, "Other": 0.3},
}

# Chance that a respondent ticks "Prefer not to say" (Clubmoor reconstruction: 1, 2, 2 of 48).
NOT_STATED_RATES = {"age_band": 1 / 48, "sex": 2 / 48, "ethnic_group": 2 / 48}

# Single-answer questions: answer -> probability ("" = left blank), from the Clubmoor counts.
ANSWER_DISTRIBUTIONS: dict[str, dict[str, float]] = {
    q: {a: c / sum(counts.values()) for a, c in counts.items()} for q, counts in rc.SURVEY_SINGLE_ANSWERS.items()
}
# Mode by age group (online, telephone, paper): paper and telephone likelier for older residents;
# about 85% on-line overall at Clubmoor-like ages (41 of 48 in Clubmoor).
MODES = ("online", "telephone", "paper")
MODE_PROBABILITIES = {"younger": (0.94, 0.03, 0.03), "middle": (0.86, 0.08, 0.06), "older": (0.66, 0.18, 0.16)}
# Multi-response questions: chance of answering at all, and of naming each code when answering.
N_CLUBMOOR = sum(rc.SURVEY_MONTHS.values())
ANSWER_RATES = {q: k / N_CLUBMOOR for q, k in rc.ANSWERING.items()}
MENTION_PROBABILITIES = {
    "best_things": {c: k / rc.ANSWERING["best_things"] for c, k in rc.BEST_THINGS.items()},
    "improve": {c: k / rc.ANSWERING["improve"] for c, k in rc.IMPROVE.items()},
}
MAX_MENTIONS = 3
# Everything but the survey answers is the simulation's own: a calendar counted from `start`, aims
# with targets sized from the ward's adults, interview groups, and themes from the general coding
# frames of the schemas (`x-frames`). Nothing is another ward's date, target, group or finding.
DEFAULT_START = "2024-01"
# Months after the start: training, survey fieldwork, interviews, social media, practitioner workshops.
CALENDAR_OFFSETS = {"training": (0, 0, 1, 1), "survey": (2, 3), "interviews": (4, 5), "social_media": (5, 6),
                    "workshops": (8, 9, 9)}
RESIDENTS_PER_ADULT = 1 / 250  # the survey's target: one adult in 250, in fives (at least 20)
VOLUNTEERS_PER_TARGET = 1 / 8  # volunteer interviewers to train per resident in the target
INTERVIEWS_PER_RESPONSE = 0.4  # interviews per survey response
MAX_INTERVIEWS = 60  # a team interviews tens of people, however large the survey
INTERVIEW_GROUPS = {"survey_respondent": 2 / 3, "community_researcher": 1 / 3}  # volunteers are interviewed too
THEME_RATE = 0.35  # chance that an interview (or a workshop) raises each theme of the general frame
WORKSHOP_MEAN_PARTICIPANTS = 9
POSTS = 5
SOCIAL_MEDIA_TOPICS = ("best_things", "improve", "change_5yr", "preferred_methods", "recommend")
CLUBMOOR_ADULTS_2021 = 12_393  # Clubmoor residents aged 15+, Census 2021 (data/context/age.csv; modelled from LSOAs)
REACH_PER_ADULT = rc.AVERAGE_AUDIENCE / CLUBMOOR_ADULTS_2021  # average Facebook audience per post / adults
AUDIENCE = rc.POSTS * rc.AVERAGE_AUDIENCE
INTERACTION_RATES = {"reactions": rc.REACTIONS / AUDIENCE, "comments": rc.COMMENTS / AUDIENCE,
                     "shares": rc.SHARES / AUDIENCE}

# --------------------------------------------------------------------------------------------------
# The sampling model (pure functions)


def _where(what: str) -> str:
    return f"propensities[{what}]" if what else "propensities"


def population_margins(context: WardContext) -> dict[str, dict[str, float]]:
    """The ward's adults by age band, sex and ethnic group, as shares in survey codes.

    Raises InputError when the ward has no Census figures (Waterfront North).
    """
    def ward_rows(table: pd.DataFrame) -> pd.DataFrame:
        return table[(table["ward_code"] == context.ward_code) & (table["boundary_set"] == context.boundary_set)]

    parts = {
        "age_band": (context.age, {c: CENSUS_AGE_TO_SURVEY[c] for c in CENSUS_AGE_TO_SURVEY}),
        "sex": (context.sex, {c: c for c in CENSUS_SEX}),
        "ethnic_group": (context.ethnicity, {c: c for c in CENSUS_ETHNIC_GROUPS}),
    }
    margins: dict[str, dict[str, float]] = {}
    for dim, (table, mapping) in parts.items():
        rows = ward_rows(table).set_index("category")["count"] if not table.empty else pd.Series(dtype=float)
        counts = {code: rows.get(cat, None) for cat, code in mapping.items()}
        if any(v is None or pd.isna(v) for v in counts.values()) or sum(float(v) for v in counts.values()) <= 0:
            raise InputError([Problem(
                "data/context", f"no Census 2021 {dim.replace('_', ' ')} figures for {context.ward_name} ({context.ward_code}), "
                f"so its population cannot be simulated. {context.caveat}".rstrip(),
                expected="a ward with Census 2021 figures")])
        total = sum(float(v) for v in counts.values())
        margins[dim] = {code: float(v) / total for code, v in counts.items()}
    return margins


def check_propensities(propensities: Mapping | None, margins: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Every group's propensity (1.0 where not given); InputError for unknown groups or bad values."""
    full = {dim: {cat: 1.0 for cat in cats} for dim, cats in margins.items()}
    if propensities is None:
        return full
    problems = []
    if not isinstance(propensities, Mapping):
        raise InputError([Problem(_where(""), "must map characteristics to {group: propensity}",
                                  value=propensities, expected='e.g. {"sex": {"Female": 1.5}}')])
    for dim, groups in propensities.items():
        if dim not in full:
            hint = did_you_mean(str(dim), set(full)) or next(
                (f" — did you mean {d!r}?" for d in full if d.startswith(str(dim).lower())), "")
            problems.append(Problem(_where(""), f"unknown characteristic {dim!r}{hint}",
                                    expected="one of: " + ", ".join(full)))
            continue
        if not isinstance(groups, Mapping):
            problems.append(Problem(_where(dim), "must map groups to propensities", value=groups,
                                    expected='e.g. {"Female": 1.5}'))
            continue
        for cat, value in groups.items():
            if cat not in full[dim]:
                hint = did_you_mean(str(cat), set(full[dim]))
                if dim == "age_band" and cat == "15-24":
                    hint = " — the survey band is '16-24'"
                problems.append(Problem(_where(dim), f"unknown group {cat!r}{hint}",
                                        expected="one of: " + ", ".join(repr(c) for c in full[dim])))
            elif isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
                problems.append(Problem(_where(f"{dim}][{cat}"), "propensity must be a number >= 0", value=value,
                                        expected="e.g. 1.5 (50% likelier to respond than a group at 1)"))
            else:
                full[dim][cat] = float(value)
    for dim, cats in full.items():
        if not any(p > 0 and margins[dim].get(c, 0) > 0 for c, p in cats.items()):
            problems.append(Problem(_where(dim), "every group with residents has propensity 0, so nobody would respond",
                                    expected="at least one positive propensity"))
    if problems:
        raise InputError(problems)
    return full


def hashable_margins(margins: Mapping[str, Mapping[str, float]]) -> tuple:
    """Margins or propensities as a hashable key (dimension, ((group, value), ...)), in order."""
    return tuple((str(dim), tuple((cat, float(value)) for cat, value in groups.items()))
                 for dim, groups in margins.items())


def cell_table(population_margins: Mapping[str, Mapping[str, float]], propensities: Mapping | None = None) -> pd.DataFrame:
    """Population cells (age band x sex x ethnic group) with population share, propensity and the
    expected share of respondents. Characteristics are independent within the ward (see module docs)."""
    props = check_propensities(propensities, population_margins)
    return _cell_table(hashable_margins(population_margins), hashable_margins(props)).copy()


def expected_composition(population_margins: Mapping[str, Mapping[str, float]],
                         propensities: Mapping | None = None) -> pd.DataFrame:
    """Expected respondent shares per group (no sampling noise), beside the population shares."""
    props = check_propensities(propensities, population_margins)
    return _expected_composition(hashable_margins(population_margins), hashable_margins(props)).copy()


# Remembered per (margins, propensities): the teaching explorer draws hundreds of samples from
# a few dozen propensity settings, and these tables depend on the settings only.
@lru_cache(maxsize=256)
def _cell_table(margins: tuple, props: tuple) -> pd.DataFrame:
    population_margins, propensities = dict((d, dict(g)) for d, g in margins), dict((d, dict(g)) for d, g in props)
    dims = list(population_margins)
    index = pd.MultiIndex.from_product([list(population_margins[d]) for d in dims], names=dims)
    frame = index.to_frame(index=False)
    frame["population_share"] = np.prod(
        [frame[d].map(population_margins[d]).to_numpy(dtype=float) for d in dims], axis=0)
    frame["propensity"] = np.prod([frame[d].map(propensities[d]).to_numpy(dtype=float) for d in dims], axis=0)
    weight = frame["population_share"] * frame["propensity"]
    frame["response_share"] = weight / weight.sum()
    return frame


@lru_cache(maxsize=256)
def _expected_composition(margins: tuple, props: tuple) -> pd.DataFrame:
    cells = _cell_table(margins, props)
    rows = []
    for dim, groups in margins:
        resp = cells.groupby(dim, sort=False)["response_share"].sum()
        for cat, pop in groups:
            rows.append({"dimension": dim, "category": cat, "population_share": float(pop),
                         "expected_share": float(resp.get(cat, 0.0))})
    return pd.DataFrame(rows)


def draw_sample(population_margins: Mapping[str, Mapping[str, float]], propensities: Mapping | None, n: int,
                rng: np.random.Generator) -> pd.DataFrame:
    """n respondents (rows; columns age_band, sex, ethnic_group) drawn with the given propensities.

    Pure apart from consuming `rng`: the same margins, propensities, n and generator state give the
    same sample.
    """
    cells = cell_table(population_margins, propensities)
    picks = rng.choice(len(cells), size=int(n), p=cells["response_share"].to_numpy())
    dims = list(population_margins)
    return cells.loc[picks, dims].reset_index(drop=True)


def sample_composition(sample: pd.DataFrame, population_margins: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Counts and shares of each group in a sample ("Prefer not to say" excluded from the shares'
    base), with the population share and the ratio sample/population when margins are given."""
    rows = []
    dims = list(population_margins) if population_margins is not None else [d for d in DIMENSIONS if d in sample]
    for dim in dims:
        col = sample[dim].astype(str)
        stated = col[col != NOT_STATED]
        counts = stated.value_counts()
        cats = list(population_margins[dim]) if population_margins is not None else sorted(stated.unique())
        for cat in cats:
            k = int(counts.get(cat, 0))
            row = {"dimension": dim, "category": cat, "count": k,
                   "share": k / len(stated) if len(stated) else float("nan")}
            if population_margins is not None:
                pop = float(population_margins[dim][cat])
                row["population_share"] = pop
                row["ratio"] = row["share"] / pop if pop > 0 else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def parse_propensity_options(items: list[str] | None, no_bias: bool = False) -> dict[str, dict[str, float]] | None:
    """Command-line propensities, e.g. ["sex:Female=1.5", "age_band:45-54=1.4"] -> nested dict.

    None (no items, no_bias False) means the default Clubmoor-like bias; no_bias with no items means
    {} (nobody likelier to respond than anyone else). Groups are checked later, against the ward.
    """
    if not items:
        return {} if no_bias else None
    out: dict[str, dict[str, float]] = {}
    problems = []
    for item in items:
        dim, sep, rest = str(item).partition(":")
        cat, sep2, value = rest.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not sep2 or not dim or not cat or number is None:
            problems.append(Problem("command line", "cannot read --propensity", value=item,
                                    expected="CHARACTERISTIC:GROUP=NUMBER, e.g. sex:Female=1.5 or age_band:45-54=1.4"))
            continue
        out.setdefault(dim.strip(), {})[cat.strip()] = number
    if problems:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------------------------------
# Generators of each table (each consumes the generator in a fixed order)


def _choice(rng: np.random.Generator, probabilities: Mapping[str, float], size: int) -> list[str]:
    keys = list(probabilities)
    p = np.array([probabilities[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=size, p=p / p.sum())]


def _mentions_for(rng: np.random.Generator, probs: Mapping[str, float], n: int) -> list[list[str]]:
    """Codes named by each of n answering respondents: independent draws, at least one, at most three."""
    codes = list(probs)
    p = np.array([min(probs[c], 0.95) for c in codes])
    draws = rng.random((n, len(codes)))
    fallback = rng.choice(len(codes), size=n, p=p / p.sum())
    trim = rng.random((n, len(codes)))
    out = []
    for i in range(n):
        chosen = [j for j in range(len(codes)) if draws[i, j] < p[j]]
        if not chosen:
            chosen = [int(fallback[i])]
        if len(chosen) > MAX_MENTIONS:
            chosen = sorted(sorted(chosen, key=lambda j: trim[i, j])[:MAX_MENTIONS])
        out.append([codes[j] for j in chosen])
    return out


def _survey(rng: np.random.Generator, margins, propensities, n: int,
            survey_months: list[str]) -> tuple[list[dict], list[dict]]:
    sample = draw_sample(margins, propensities, n, rng)
    for dim in DIMENSIONS:
        hide = rng.random(n) < NOT_STATED_RATES[dim]
        sample.loc[hide, dim] = NOT_STATED
    months = _choice(rng, {m: 1.0 for m in survey_months}, n)
    mode_draws = rng.random(n)
    answers = {q: _choice(rng, dist, n) for q, dist in ANSWER_DISTRIBUTIONS.items()}
    people = []
    for i in range(n):
        group = rc.AGE_GROUP[sample.at[i, "age_band"]]
        cum = np.cumsum(MODE_PROBABILITIES[group])
        mode = MODES[min(int(np.searchsorted(cum, mode_draws[i], side="right")), len(MODES) - 1)]
        people.append({"month": months[i], "mode": mode, **{d: sample.at[i, d] for d in DIMENSIONS},
                       **{q: answers[q][i] for q in ANSWER_DISTRIBUTIONS}})
    order = sorted(range(n), key=lambda i: people[i]["month"])  # arrival order: by month, then as drawn
    width = max(2, len(str(n)))
    rows = [{"response_id": f"S{k:0{width}d}", **people[i]} for k, i in enumerate(order, start=1)]

    mentions: list[dict] = []
    for question in ("best_things", "improve"):
        answering = [r["response_id"] for r, a in zip(rows, rng.random(n) < ANSWER_RATES[question]) if a]
        for rid, codes in zip(answering, _mentions_for(rng, MENTION_PROBABILITIES[question], len(answering))):
            mentions += [{"response_id": rid, "question": question, "code": c} for c in codes]
    answers_methods = rng.random(n) < ANSWER_RATES["preferred_methods"]
    draws = rng.random((n, len(rc.METHODS)))
    for i, row in enumerate(rows):
        if not answers_methods[i]:
            continue
        probs = rc.METHOD_PROBABILITIES[rc.AGE_GROUP[row["age_band"]]]
        chosen = [m for m, d, p in zip(rc.METHODS, draws[i], probs) if d < p] or [rc.METHODS[int(np.argmax(probs))]]
        mentions += [{"response_id": row["response_id"], "question": "preferred_methods", "code": m} for m in chosen]
    order_q = {"best_things": 0, "improve": 1, "preferred_methods": 2}
    mentions.sort(key=lambda r: (r["response_id"], order_q[r["question"]]))
    return rows, mentions


def fieldwork_calendar(start: str) -> dict[str, list[str]]:
    """Months ("YYYY-MM") of each strand of a simulated study, counted from its first month `start`."""
    first = pd.Period(start, "M")
    return {strand: [str(first + k) for k in offsets] for strand, offsets in CALENDAR_OFFSETS.items()}


def _month_span(months: list[str]) -> str:
    first, last = (pd.Period(m, "M").strftime("%B %Y") for m in (min(months), max(months)))
    return first if first == last else f"{first} to {last}"


def _check_start(start: object) -> str:
    """The first month of the simulated study, refused unless it is a month from 2022 (after Census 2021)."""
    text = str(start)
    try:
        month = pd.Period(text, "M")
    except (ValueError, TypeError):
        month = None
    if month is None or len(text) != 7 or text[4] != "-" or month.year < 2022:
        raise InputError([Problem("command line", "start must be a month, YYYY-MM, from 2022 on", value=start,
                                  expected=f"e.g. {DEFAULT_START}")])
    return text


def ward_targets(adults: float) -> dict[str, int]:
    """The simulated study's targets, sized from the ward's adults (Census 2021)."""
    residents = max(20, 5 * round(adults * RESIDENTS_PER_ADULT / 5))
    return {"residents": residents, "volunteers": max(4, round(residents * VOLUNTEERS_PER_TARGET)),
            "interviews": max(5, 5 * round(residents * INTERVIEWS_PER_RESPONSE / 5)),
            "workshops": len(CALENDAR_OFFSETS["workshops"])}


def _interviews(rng: np.random.Generator, n_responses: int, months: list[str]) -> tuple[list[dict], list[dict]]:
    k = int(min(MAX_INTERVIEWS, max(3, round(n_responses * INTERVIEWS_PER_RESPONSE))))
    types = _choice(rng, INTERVIEW_GROUPS, k)
    surplus = sum(t == "survey_respondent" for t in types) - n_responses
    for i in range(len(types) - 1, -1, -1):  # cannot re-interview more respondents than there are
        if surplus <= 0:
            break
        if types[i] == "survey_respondent":
            types[i], surplus = "community_researcher", surplus - 1
    rows = [{"interview_id": f"I{j:02d}", "interviewee_type": t, "month": months[0] if j <= (k + 1) // 2 else months[-1]}
            for j, t in enumerate(types, start=1)]
    themes = []
    for row, codes in zip(rows, _raised_themes(rng, general_frame("interview_themes"), k)):
        themes += [{"interview_id": row["interview_id"], "theme": t} for t in codes]
    return rows, themes


def general_frame(stem: str) -> list[str]:
    """The theme codes of the schema's general coding frame (no study's published findings)."""
    field = next(f for f in datafiles.schema_descriptor(stem)["fields"] if f["name"] == "theme")
    return list(field["x-frames"]["general"])


def _raised_themes(rng: np.random.Generator, codes: list[str], k: int) -> list[list[str]]:
    """The themes each of k discussions raised: each theme at THEME_RATE, at least one."""
    draws = rng.random((k, len(codes)))
    fallback = rng.integers(len(codes), size=k)
    return [[codes[j] for j in range(len(codes)) if draws[i, j] < THEME_RATE] or [codes[int(fallback[i])]]
            for i in range(k)]


def _training(rng: np.random.Generator, months: list[str], volunteers: int) -> tuple[list[dict], list[dict]]:
    sessions = [{"session_id": f"T{k}", "session_number": k, "month": m} for k, m in enumerate(months, start=1)]
    participants = max(4, int(rng.poisson(volunteers)))
    attendance = []
    for p in range(1, participants + 1):
        attended = rng.random(len(sessions)) < rc.TRAINING_ATTEND_P
        if not attended.any():
            attended[int(rng.integers(len(sessions)))] = True
        attendance += [{"session_id": s["session_id"], "participant_id": f"R{p:02d}"}
                       for s, a in zip(sessions, attended) if a]
    attendance.sort(key=lambda r: (r["session_id"], r["participant_id"]))
    return sessions, attendance


def _social_media(rng: np.random.Generator, adults: float, months: list[str]) -> list[dict]:
    per_month = [POSTS // len(months) + (i < POSTS % len(months)) for i in range(len(months))]
    dates = []
    for month, count in zip(months, per_month):
        days = sorted(int(d) for d in rng.choice(np.arange(1, 29), size=count, replace=False))
        dates += [f"{month}-{d:02d}" for d in days]
    topics = [SOCIAL_MEDIA_TOPICS[i] for i in rng.permutation(len(SOCIAL_MEDIA_TOPICS))][: len(dates)]
    mean = REACH_PER_ADULT * adults
    audience = [max(0, int(round(mean * math.exp(z)))) for z in rng.normal(-0.045, 0.3, len(dates))]
    counts = {k: [int(rng.poisson(rate * a)) for a in audience] for k, rate in INTERACTION_RATES.items()}
    return [{"post_id": f"P{j}", "date": d, "topic": t, "audience": a, "reactions": counts["reactions"][j - 1],
             "comments": counts["comments"][j - 1], "shares": counts["shares"][j - 1]}
            for j, (d, t, a) in enumerate(zip(dates, topics, audience), start=1)]


def _workshops(rng: np.random.Generator, months: list[str]) -> tuple[list[dict], list[dict]]:
    rows = [{"workshop_id": f"W{k}", "workshop_number": k, "month": m,
             "participants": max(3, int(rng.poisson(WORKSHOP_MEAN_PARTICIPANTS)))}
            for k, m in enumerate(months, start=1)]
    codes = general_frame("workshop_themes")
    themes = [{"workshop_id": row["workshop_id"], "theme": t}
              for row, raised in zip(rows, _raised_themes(rng, codes, len(rows))) for t in raised]
    return rows, themes


#: A simulated study's aims: plain templates filled with the ward's name and its own targets
#: (`ward_targets`); no other study's aims, wording or targets.
AIMS = (
    ("engage_residents", "Hear from {target} residents of {ward} through a survey", "residents", "residents"),
    ("train_researchers", "Train {target} local volunteers to run the survey and the interviews", "volunteers",
     "participants"),
    ("interview_residents", "Interview {target} residents and volunteers about life in {ward}", "interviews",
     "interviews"),
    ("practitioner_workshops", "Hold {target} workshops with staff of public agencies and local groups",
     "workshops", "workshops"),
    ("report_back", "Tell residents and agencies what was heard and what will change", None, None),
)
#: `source_key` and `location` of simulated objectives: they come from the simulation, not from a publication.
SYNTHETIC_SOURCE_KEY = "cityconv_simulate"
SYNTHETIC_LOCATION = "Simulated by cityconv simulate"


def _objectives(ward: str, targets: Mapping[str, int], delivered: Mapping[str, int]) -> list[dict]:
    """The simulated study's aims with its own targets; met when the simulated records reach the target."""
    what = {"residents": "survey responses", "volunteers": "people who attended the training",
            "interviews": "interviews", "workshops": "workshops"}
    rows = []
    for oid, template, key, unit in AIMS:
        target = None if key is None else targets[key]
        text = template.format(target=target, ward=ward)
        if key is None:
            got, status, explanation = None, "not quantified", "Synthetic: the simulation does not count this."
        else:
            got = delivered[key]
            status = "met" if got >= target else "not met"
            explanation = f"Synthetic: {got} simulated {what[key]} against a target of {target}."
        rows.append({"objective_id": oid, "objective": text, "target": target, "delivered": got, "unit": unit,
                     "status": status, "explanation": explanation, "delivered_basis": "synthetic",
                     "source_key": SYNTHETIC_SOURCE_KEY, "location": SYNTHETIC_LOCATION})
    return rows


# --------------------------------------------------------------------------------------------------
# Writing


def _csv_text(stem: str, rows: list[dict]) -> str:
    return datafiles.csv_text([f["name"] for f in datafiles.schema_descriptor(stem)["fields"]], rows)


def data_row_count(path: Path) -> int:
    """Non-blank rows below the header of a CSV file (0 for a header-only template)."""
    text = Path(path).read_bytes().decode("utf-8-sig", errors="replace")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return sum(1 for r in records[1:] if any(c.strip() for c in r))


def _fmt_props(props: Mapping[str, Mapping[str, float]]) -> str:
    return "; ".join(f"{dim}: " + ", ".join(f"{cat} {p:g}" for cat, p in groups.items()) for dim, groups in props.items())


def readme_markdown(params: StudyParams, n: int, seed: int, default: bool, propensities: Mapping[str, Mapping[str, float]],
                    composition: pd.DataFrame, files: list[str], start: str = DEFAULT_START,
                    targets: Mapping[str, int] | None = None) -> str:
    """README.md of a simulated ward's folder: what the data are, how they were made, how to re-make them."""
    shown = {dim: {c: p for c, p in groups.items() if p != 1.0} for dim, groups in propensities.items()}
    shown = {dim: groups for dim, groups in shown.items() if groups}
    options = "" if default else (" --no-bias" if not shown else "".join(
        f" --propensity {dim}:{cat}={p:g}" for dim, groups in shown.items() for cat, p in groups.items()))
    if start != DEFAULT_START:
        options += f" --start {start}"
    command = f"cityconv simulate {params.id} --n {n} --seed {seed}{options}"
    months = {strand: _month_span(ms) for strand, ms in fieldwork_calendar(start).items()}
    aims = "\n".join(f"  - {text.format(target=(targets or {}).get(key or '', ''), ward=params.ward.name)}"
                     for _oid, text, key, _unit in AIMS)
    comp = "\n".join(
        f"| {r.dimension} | {r.category} | {100 * r.population_share:.1f}% | {100 * r.expected_share:.1f}% |"
        for r in composition.itertuples()
    )
    ward = params.ward
    return f"""# {params.title}: SYNTHETIC engagement data

**Every record in this folder is simulated. Nothing here was said by anyone in {ward.name}.** The
files exist to demonstrate the chapters and teach the methods; any figure computed from them is a
property of the simulation, not of the ward. `params/{params.id}.yml` says `synthetic: true`, so every
chapter is labelled a synthetic demonstration.

Made by `{command}` (`cityconv.generate.simulate.simulate_ward`); the same
call re-makes these files byte for byte. To use real data instead, replace the CSV files and set
`synthetic: false` in the params file. Column definitions: `CODEBOOK.md`.

## How the survey respondents were drawn

{n} respondents aged 16+ were drawn from {ward.name}'s Census 2021 population ({ward.code}, boundary set
{ward.boundary_set}; `data/context/`): age band, sex and broad ethnic group taken as independent, the
census band 15-24 standing in for the survey's 16-24. Each group's chance of responding was multiplied by
its propensity ({'the default, Clubmoor-like bias' if default else 'as chosen'}): {_fmt_props(shown) or 'none (no bias)'}.
A group not listed has propensity 1. Some respondents then answer "Prefer not to say" (about 2% for age,
4% for sex and ethnic group).

| characteristic | group | adults in the ward | expected among respondents |
|---|---|---|---|
{comp}

Ethnic group and sex shares are for all ages (the census tables have no adult-only split).

## How everything else was made

Nothing below is another study's calendar, aim, target, group or finding: the simulated study has
its own, and the census figures it is sized from are real (Census 2021, `data/context/`).

- Calendar (from `--start {start}`): training {months["training"]}, survey {months["survey"]},
  interviews {months["interviews"]}, social media {months["social_media"]}, practitioner workshops
  {months["workshops"]}.
- Survey answers: month, mode (more paper and telephone among older respondents) and every answer drawn
  from the distributions of the reconstructed Clubmoor survey (a model of how people answer, not
  anyone's answers).
- Aims and targets (`objectives.csv`), sized from the ward's adults: the survey target is one adult in
  {round(1 / RESIDENTS_PER_ADULT)} (in fives, at least 20), the volunteers to train one per
  {round(1 / VOLUNTEERS_PER_TARGET)} residents in that target, the interviews {INTERVIEWS_PER_RESPONSE:g} per
  resident in it; each aim is met when the simulated records reach its target:
{aims}
- Interviews: {INTERVIEWS_PER_RESPONSE:g} per survey response (at most {MAX_INTERVIEWS}), two thirds with survey
  respondents and one third with the trained volunteers; themes from the general coding frame of
  `interview_themes` (each raised with probability {THEME_RATE:g}).
- Training: four sessions, about as many participants as the volunteer target, each attending each
  session with probability {rc.TRAINING_ATTEND_P:g}.
- Social media: {POSTS} posts with an audience in proportion to the ward's adults, and interactions at
  the rates per person reached of the reconstructed Clubmoor posts.
- Practitioner workshops: {len(CALENDAR_OFFSETS["workshops"])}, about {WORKSHOP_MEAN_PARTICIPANTS} participants each,
  themes from the general coding frame of `workshop_themes` (each raised with probability {THEME_RATE:g}).

Files: {', '.join(f'`{f}`' for f in files)}. Published material (published figures, quotes, statements
of the partners) cannot be simulated, so those files are absent. The citywide consultation of 2019 is a
city-level source, kept once in `data/city/`: this ward's sense check compares with it like every other ward's.
"""


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    return y


def mark_synthetic_text(text: str) -> str:
    """The params YAML with `synthetic: true`, comments and quoting preserved (ruamel round trip)."""
    y = _yaml()
    data = y.load(text)
    if "synthetic" in data:
        data["synthetic"] = True
    else:
        keys = list(data)
        pos = keys.index("reconstructed") + 1 if "reconstructed" in keys else len(keys)
        data.insert(pos, "synthetic", True, comment="engagement data are simulated (set by cityconv simulate)")
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def _params_path(project: Project, ward_id: str) -> Path:
    path = project.params_file(ward_id)
    if path.exists():
        return path
    raise InputError([Problem(relative(project.params_file(ward_id), project.root),
                              f"no params file for {ward_id!r}",
                              expected=f"create the ward first: cityconv new-ward WARD --id {ward_id}")])


def simulate_ward(
    project: Project,
    ward_id: str,
    n: int = 48,
    seed: int = 2020,
    propensities: Mapping | None = None,
    overwrite: bool = False,
    start: str = DEFAULT_START,
) -> list[Path]:
    """Fill `data/<ward_id>/` with synthetic records and mark the params `synthetic: true`.

    `propensities` maps characteristic -> group -> multiplier of the chance of responding (None:
    `CLUBMOOR_LIKE_PROPENSITIES`; `{}`: no bias). Refuses (InputError, nothing written) for Clubmoor,
    a reconstructed ward, a ward without Census figures, or a folder whose CSV files already hold data
    rows unless `overwrite=True`. With `overwrite=True` every data CSV of the folder is replaced or
    removed. `start` is the first month of the simulated study (its calendar, `fieldwork_calendar`).
    Returns the params file and the files written, sorted.
    """
    where = "command line"
    if ward_id in PROTECTED_IDS:
        raise InputError([Problem(where, f"{ward_id!r} holds the reconstruction of the published Clubmoor study and is never simulated over",
                                  expected="a ward created with cityconv new-ward")])
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_N:
        raise InputError([Problem(where, "sample size n must be a whole number from 1 to 100,000", value=n)])
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError([Problem(where, "seed must be a whole number >= 0", value=seed)])
    calendar = fieldwork_calendar(_check_start(start))

    params_path = _params_path(project, ward_id)
    rel_params = relative(params_path, project.root)
    raw = _yaml().load(params_path.read_text(encoding="utf-8"))
    if isinstance(raw, Mapping) and raw.get("reconstructed") is True:
        raise InputError([Problem(rel_params, "the ward's data are marked reconstructed: true; simulating would replace "
                                  "a reconstruction of published results", expected="a ward with reconstructed: false")])
    params = load_params(params_path, project.root)
    if params.kind != "ward" or params.ward is None or params.data_dir is None:
        raise InputError([Problem(rel_params, "only a ward can be simulated", expected="kind: ward with a ward section")])

    data_dir = (project.root / params.data_dir).resolve()
    protected = [(project.data_dir / p).resolve() for p in PROTECTED_IDS] + [project.context_dir.resolve()]
    if data_dir in protected or data_dir.parent != project.data_dir.resolve():
        raise InputError([Problem(rel_params, f"data_dir {params.data_dir!r} cannot hold simulated data",
                                  expected=f"a ward's own folder, e.g. data/{ward_id}")])
    known = datafiles.known_files()
    existing = {stem: data_dir / f"{stem}.csv" for stem in known if (data_dir / f"{stem}.csv").is_file()}
    full = {stem: k for stem, path in existing.items() if (k := data_row_count(path))}
    if full and not overwrite:
        raise InputError([Problem(relative(existing[stem], project.root), f"already holds data ({k} row{'s' if k != 1 else ''}); nothing was written",
                                  expected="overwrite=True (--overwrite) to replace the folder's data with synthetic data")
                          for stem, k in full.items()])

    context = load_context(project.context_dir, params.ward.code, params.ward.boundary_set)
    margins = population_margins(context)
    chosen = CLUBMOOR_LIKE_PROPENSITIES if propensities is None else propensities
    full_props = check_propensities(chosen, margins)
    ward_rows = context.age[(context.age["ward_code"] == context.ward_code) & (context.age["boundary_set"] == context.boundary_set)]
    adults = float(ward_rows.loc[ward_rows["category"].isin(list(CENSUS_AGE_TO_SURVEY)), "count"].sum())

    targets = ward_targets(adults)
    rng = np.random.default_rng(seed)
    survey, mentions = _survey(rng, margins, chosen, n, calendar["survey"])
    interviews, interview_themes = _interviews(rng, n, calendar["interviews"])
    sessions, attendance = _training(rng, calendar["training"], targets["volunteers"])
    posts = _social_media(rng, adults, calendar["social_media"])
    workshops, workshop_themes = _workshops(rng, calendar["workshops"])
    delivered = {"residents": n, "volunteers": len({r["participant_id"] for r in attendance}),
                 "interviews": len(interviews), "workshops": len(workshops)}
    tables = {
        "objectives": _objectives(params.ward.name, targets, delivered),
        "training_sessions": sessions,
        "training_attendance": attendance,
        "survey_responses": survey,
        "survey_mentions": mentions,
        "interviews": interviews,
        "interview_themes": interview_themes,
        "social_media_posts": posts,
        "workshops": workshops,
        "workshop_themes": workshop_themes,
    }
    names = [f"{stem}.csv" for stem in tables]
    composition = expected_composition(margins, chosen)

    staging = Path(tempfile.mkdtemp(prefix=f".simulate-{ward_id}-", dir=project.root))
    try:
        staged = staging / "data"
        staged.mkdir()
        for stem, rows in tables.items():
            (staged / f"{stem}.csv").write_bytes(_csv_text(stem, rows).encode("utf-8"))
        problems = datafiles.validate_data_dir(staged, staging)
        if problems:  # a bug here, not an input problem
            raise RuntimeError("simulated data do not validate:\n" + "\n".join(str(p) for p in problems))
        (staged / "README.md").write_bytes(readme_markdown(params, n, seed, propensities is None, full_props, composition, names,
                                                           start, targets).encode("utf-8"))
        # the codebook `cityconv validate` expects: generated from the ward's own questionnaire
        questionnaire, questionnaire_problems = ward_questionnaire(data_dir, project.root)
        if questionnaire is None:
            raise InputError(questionnaire_problems)
        (staged / "CODEBOOK.md").write_bytes(datafiles.codebook_markdown(questionnaire).encode("utf-8"))
        new_params = staging / params_path.name
        new_params.write_bytes(mark_synthetic_text(params_path.read_text(encoding="utf-8")).encode("utf-8"))
        _check_params_text(new_params, project)

        data_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for path in sorted(staged.iterdir()):
            os.replace(path, data_dir / path.name)
            written.append(data_dir / path.name)
        for stem, path in existing.items():  # header-only templates (or, with overwrite, old data) not re-made
            if f"{stem}.csv" not in names:
                path.unlink()
        os.replace(new_params, params_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [params_path, *sorted(written)]


def _check_params_text(path: Path, project: Project) -> None:
    """The edited params file must still load strictly (same id and data_dir, now synthetic)."""
    params = load_params(path, project.root)
    if not params.synthetic:
        raise RuntimeError(f"{path}: failed to set synthetic: true")
