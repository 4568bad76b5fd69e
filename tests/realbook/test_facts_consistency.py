"""Aims, aim statuses, targets and survey shares: one statement per fact across the built book (issue 23, item 2).

Each fact has one definition in `cityconv.chapters.facts` (`aim_count`, `aim_status`, `target_share`,
`answer_share`). Every page of the real book (tests/real_book.py) is read as a reader sees it and each
statement of these facts is checked against its one definition, with no page excepted:

- **aims**: any count of a ward's aims or objectives is the number of aims (7 for Clubmoor, not the 8
  rows of its objectives file), and nothing counts "objectives" at all;
- **statuses**: no share of a target ("115%") is shown for an aim whose status is not met or not met;
- **targets**: a target stated with its aim's words is the one in the objectives file;
- **survey shares**: the headline survey results shown on more than one page (the most-named best thing
  and thing to improve, would recommend, Covid-19 community spirit) are the all-respondents share, or
  the answered share said as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from test_facts_across_pages import WARDS, _sentence, pages, ward_of

from cityconv.chapters import facts
from cityconv.chapters import survey as S
from cityconv.chapters.loader import open_chapter

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Share:
    words: str  # a regular expression for the answer as pages say it
    all_respondents: facts.Fact
    answered: facts.Fact | None


@dataclass(frozen=True)
class WardAims:
    count: facts.AimCount
    withheld_shares: tuple[tuple[str, str], ...]  # ("115%", words of its aim): a share the aim's status withholds
    targets: dict[str, int]  # a regular expression for the aim's words -> its target
    shares: tuple[Share, ...]


#: How pages name each numeric target's aim, by objective id (the aim's words and its finding's label).
TARGET_WORDS = {"engage_residents": r"engag\w* (?:\d+ )?residents|residents engaged|hear\w* from (?:\d+ )?residents",
                # a simulated study's own aims (cityconv.generate.simulate.AIMS)
                "interview_residents": r"interview\w* (?:\d+ )?residents|interviews",
                "practitioner_workshops": r"(?:\d+ )?workshops with staff|practitioner workshops",
                "train_researchers": r"train\w* (?:\d+ )?(?:local people as )?community researchers|researcher training",
                "focus_groups": r"focus groups", "community_workshops": r"community workshops"}

#: The survey answers whose share more than one page states: (question, code, words on the page).
SHARED_ANSWERS = (("best_things", "green_spaces", r"green spaces?(?! maintenance)"),
                  ("recommend", "yes", r"would recommend"),
                  ("covid_community_spirit", "more", r"more community spirit"))


def load_ward_aims() -> dict[str, WardAims]:
    """Each ward's facts, from its data: the aim count, the shares a status withholds, targets, survey shares."""
    out = {}
    for ward in WARDS:
        ch = open_chapter(ward, REPO)
        objectives = ch.data.objectives
        withheld = []
        targets = {}
        for _, row in objectives.iterrows():
            if pd.isna(row["target"]):
                continue
            targets[TARGET_WORDS[row["objective_id"]]] = int(row["target"])
            if pd.notna(row["delivered"]) and facts.target_share(row["target"], row["delivered"], row["status"]) is None:
                withheld.append((facts.fmt_pct(float(row["delivered"]) / float(row["target"])),
                                 TARGET_WORDS[row["objective_id"]]))
        sv = S.from_chapter(ch)
        shares = []
        for question, code, words in SHARED_ANSWERS:
            every = facts.survey_answer_share(sv.responses, sv.mentions, question, code, rules=sv.rules)
            answered = facts.survey_answer_share(sv.responses, sv.mentions, question, code, answered=True, rules=sv.rules)
            if every is not None:
                shares.append(Share(words, every, answered))
        out[ward] = WardAims(facts.aim_count(objectives), tuple(withheld), targets, tuple(shares))
    return out


@pytest.fixture(scope="module")
def ward_aims() -> dict[str, WardAims]:
    return load_ward_aims()


# ---- the checks: each returns the problems found on one page


def aim_count_problems(text: str, f: WardAims) -> list[str]:
    problems = []
    # a count of all the aims ("set 7 aims"); "1 aim was done another way" counts some of them
    for m in re.finditer(r"\b(?:(?:set|sets|had|has|published) (?:itself )?)?(\d+) (aims?|objectives?)\b", text, re.I):
        if not m.group(0)[0].isalpha() and m.group(2).lower().startswith("aim"):
            continue
        if m.group(2).lower().startswith("objective"):
            problems.append(f"aims counted as “{m.group(0)}”: say {f.count.phrase} — “{_sentence(text, m.start())}”")
        elif int(m.group(1)) != f.count.aims:
            problems.append(f"“{m.group(0)}”, but the ward has {f.count.phrase} — “{_sentence(text, m.start())}”")
    for m in re.finditer(r"(?:Aims|Objectives) recorded: (\d+)", text):
        if int(m.group(1)) != f.count.aims or m.group(0).startswith("Objectives"):
            problems.append(f"“{m.group(0)}”, but the ward has {f.count.phrase}")
    return problems


def aim_status_problems(text: str, f: WardAims) -> list[str]:
    """No share of a target for an aim whose status is not met / not met ("115%" reads as met)."""
    problems = []
    for share, aim in f.withheld_shares:
        for m in re.finditer(rf"(?<![\d.]){re.escape(share)}", text):
            sentence = _sentence(text, m.start())
            # the aim named just before the share, in the same sentence or table row
            if re.search(aim, sentence[:max(0, sentence.find(share))][-160:], re.I):
                problems.append(f"{share} of a target shown for an aim whose status is not met or not met: “{sentence}”")
    return problems


def target_problems(text: str, f: WardAims) -> list[str]:
    """A target stated with its aim's words ("a target of 60 residents") is the objectives file's."""
    problems = []
    for words, target in f.targets.items():
        for m in re.finditer(rf"target (?:was to \w+|of) (\d+) (?:{words})", text, re.I):
            if int(m.group(1)) != target:
                problems.append(f"target stated as {m.group(1)}, the objectives file says {target}: "
                                f"“{_sentence(text, m.start())}”")
    return sorted(set(problems))


def survey_share_problems(text: str, f: WardAims) -> list[str]:
    problems = []
    for share in f.shares:
        allowed = {share.all_respondents.text}
        answered = share.answered.text if share.answered is not None else None
        for m in re.finditer(share.words, text, re.I):
            window = re.split(r"(?<=[.;])\s|\]", text[m.end():m.end() + 120])[0]
            pct = re.search(r"(\d+)%", window)
            if pct is None:
                continue
            if pct.group(0) in allowed:
                continue
            if pct.group(0) == answered and re.search(r"answer", window, re.I):
                continue
            problems.append(f"{share.words} shown as {pct.group(0)}; the fact is {share.all_respondents.text} "
                            f"{share.all_respondents.definition.qualifier}: “…{text[m.start():m.end() + 120]}…”")
    return problems


CHECKS = {"aims": aim_count_problems, "aim_status": aim_status_problems, "targets": target_problems,
          "survey_shares": survey_share_problems}


def _problems(site: Path, ward_aims: dict[str, WardAims], check: str) -> dict[str, list[str]]:
    found = {}
    for page, text in pages(site).items():
        ward = ward_of(site, page)
        # a page about several wards (landing, comparison): each statement must be one ward's fact
        candidates = [ward_aims[ward]] if ward is not None else [ward_aims[w] for w in WARDS]
        per_ward = [set(CHECKS[check](text, f)) for f in candidates]
        problems = sorted(set.intersection(*per_ward)) if per_ward else []
        if problems:
            found[str(page.relative_to(site))] = problems
    return found


def test_the_facts_are_stated_at_all(site: Path, ward_aims) -> None:
    """Not vacuous: the summary and the evidence page state the aims, and the survey page the shares."""
    folder = pages(site)
    for ward, f in ward_aims.items():
        texts = {p.stem: t for p, t in folder.items() if ward_of(site, p) == ward}
        assert f.count.phrase in texts["00-executive-summary"], ward
        assert f.count.phrase in texts["02-evidence-gathering"], ward
        for share in f.shares:
            assert share.all_respondents.text in texts["03-residents-survey"], (ward, share.words)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_fact_is_stated_one_way_on_every_page(site: Path, ward_aims, check: str) -> None:
    problems = _problems(site, ward_aims, check)
    assert not problems, "\n".join(f"{page}: {p}" for page, ps in problems.items() for p in ps)
