"""One number per fact, across the whole built book (issue 12, item 2).

The book is built once (the real-book session fixture, tests/real_book.py); every page's text is read and each fact
below is checked on every page that shows it, against its one definition in `cityconv.chapters.facts`.
Where two definitions legitimately differ (the 2011 official vs the 2021 output-area population; shares of
all respondents vs of those who answered), a page may show either, but must say which.

The four quantitative chapters (profile, evidence gathering, survey, who took part) must pass every
check; `test_..._on_every_page` applies the same checks to every other page of the book.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from cityconv.chapters import facts
from cityconv.chapters import profile as P
from cityconv.chapters import survey as S
from cityconv.chapters.loader import open_chapter

pytestmark = pytest.mark.realbook  # reads the built HTML; needs no browser

REPO = Path(__file__).resolve().parents[2]
WARDS = ("clubmoor", "anfield")
OWN_CHAPTERS = ("01-ward-profile", "02-evidence-gathering", "03-residents-survey", "04-who-took-part")


def _label_table_cells(soup) -> None:
    """Each table cell carries its column heading in brackets, as a reader sees it: a share in a
    column headed "% of those who answered" states its base."""
    for table in soup.find_all("table"):
        head = table.find("thead")
        headings = [th.get_text(" ", strip=True) for th in head.find_all("th")] if head else []
        body = table.find("tbody") or table
        for row in body.find_all("tr"):
            for i, cell in enumerate(row.find_all(["td", "th"])):
                if i < len(headings) and headings[i] and cell.get_text(strip=True):
                    cell.append(f" [{headings[i]}]")


def page_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    _label_table_cells(soup)
    return re.sub(r"\s+", " ", soup.get_text(" ")).replace("\xa0", " ")


def pages(site: Path) -> dict[Path, str]:
    """Every page's reader text (a fresh dict; the parse itself is made once per process and site)."""
    return dict(_page_texts(site))


@functools.lru_cache(maxsize=4)
def _page_texts(site: Path) -> tuple[tuple[Path, str], ...]:
    """Parsing the ~170 pages is most of these checks' time, and each check and parameter used to repeat
    it; the session's real book is built once and read-only for these tests."""
    skip = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
    return tuple((p, page_text(p)) for p in sorted(site.rglob("*.html"))
                 if not skip & set(p.relative_to(site).parts) and p.name not in {"genindex.html", "search.html"})


def ward_of(site: Path, page: Path) -> str | None:
    parts = page.relative_to(site).parts
    if len(parts) >= 3 and parts[:2] == ("book", "generated") and parts[2] in WARDS:
        return parts[2]
    return None


@dataclass(frozen=True)
class WardFacts:
    population_2021: facts.Fact
    population_2011: facts.Fact | None
    population_described: facts.Fact | None
    green_all: facts.Fact
    green_answered: facts.Fact
    digital_by_age: dict


@pytest.fixture(scope="module")
def ward_facts() -> dict[str, WardFacts]:
    out = {}
    for ward in WARDS:
        pop = facts.population_facts(P.load_profile(ward, REPO))
        sv = S.from_chapter(open_chapter(ward, REPO))
        share = lambda answered, sv=sv: facts.survey_answer_share(  # noqa: E731
            sv.responses, sv.mentions, "best_things", "green_spaces", answered=answered, rules=sv.rules)
        out[ward] = WardFacts(pop["population_2021"], pop.get("population_2011"), pop.get("population_described"),
                              share(False), share(True), facts.digital_share_by_age(sv.responses, sv.mentions, sv.rules))
    return out


# ---- the checks: each returns the problems found on one page


#: How a page names the 2021 figure's method (issue 24: the sum of the ward's Census output areas).
OUTPUT_AREA_SUM = r"output areas?"


def population_problems(text: str, f: WardFacts) -> list[str]:
    """The 2021 figure exact and named as the sum of output areas; the 2011 figure named as 2011; "about
    15,000" attributed to the project (checked below, so a rounding that equals it is not flagged here)."""
    problems = []
    exact = int(f.population_2021.value)
    described = int(f.population_described.value) if f.population_described is not None else None
    for rounded in {round(exact, -2), round(exact, -3), round(exact, -1)} - {exact, described}:
        for m in re.finditer(rf"(?<![\d,]){rounded:,}(?![\d,])", text):
            problems.append(f"2021 population shown as {m.group(0)} instead of {f.population_2021.text}: "
                            f"…{text[max(0, m.start() - 80):m.end() + 40]}…")
    if f.population_2021.text in text and not re.search(OUTPUT_AREA_SUM, text, re.I):
        problems.append(f"{f.population_2021.text} shown without saying it is the sum of the ward's output areas")
    if f.population_2011 is not None:
        for m in re.finditer(rf"(?<![\d,]){re.escape(f.population_2011.text)}(?![\d,])", text):
            if "2011" not in text[max(0, m.start() - 200):m.end() + 200]:
                problems.append(f"{f.population_2011.text} shown without saying it is the 2011 figure")
    if f.population_described is not None:
        value = f"{int(f.population_described.value):,}"
        for m in re.finditer(rf"(?<![\d,]){value}(?![\d,])", text):
            sentence = _sentence(text, m.start())
            if not re.search(r"\bproject\b|described|descri", sentence, re.I):
                problems.append(f"'{value}' not attributed to the project's description: “{sentence}”")
    return problems


def green_space_problems(text: str, f: WardFacts | list[WardFacts]) -> list[str]:
    """Each share stated for green spaces is one of the two definitions (of a ward the page shows), and
    the answered one says so."""
    if isinstance(f, list):  # a page about several wards: each share must be one ward's fact
        per_ward = [green_space_problems(text, one) for one in f]
        return sorted(set.intersection(*[set(_keys(ps)) for ps in per_ward])) if per_ward else []
    problems = []
    for m in re.finditer(r"green spaces?(?! maintenance)", text, re.I):
        before = text[max(0, m.start() - 20):m.start()].lower()
        if "maintenance of" in before or "maintained" in before:
            continue
        window = re.split(r"(?<=[.;])\s", text[m.end():m.end() + 140])[0]
        pct = re.search(r"(\d+)%", window)
        if pct is None:
            continue
        shown = pct.group(0)
        allowed = {f.green_all.text: f.green_all, f.green_answered.text: f.green_answered}
        if shown not in allowed:
            problems.append(f"green spaces shown as {shown}; the facts are {f.green_all.phrase} and "
                            f"{f.green_answered.phrase}: “…{text[m.start():m.end() + 140]}…”")
        elif allowed[shown] is f.green_answered and f.green_answered.text != f.green_all.text \
                and not re.search(r"answer", window, re.I):
            problems.append(f"{shown} for green spaces (of those who answered) does not say its base: “{window}”")
    return problems


def _keys(problems: list[str]) -> list[str]:
    """A problem's place on the page (the quoted text), so the same occurrence can be matched across wards."""
    return [p.split("“", 1)[-1] for p in problems]


AGE_GROUPINGS = [r"16\s*(?:–|-|to)\s*44", r"45\s*(?:–|-|to)\s*64", r"65\s*\+"]


def digital_age_problems(text: str, f: WardFacts) -> list[str]:
    """The digital/traditional comparison uses one age grouping (16 to 54, 55 and over) and its shares."""
    problems = []
    for m in re.finditer(r"digital", text, re.I):
        sentence = _sentence(text, m.start())
        for grouping in AGE_GROUPINGS:
            if re.search(grouping, sentence):
                problems.append(f"digital comparison with another age grouping ({grouping}): “{sentence}”")
        for label, fact in f.digital_by_age.items():
            if fact is None:
                continue
            group = label.lower().removeprefix("aged ")
            for share in re.finditer(rf"(\d+)% of (?:those|all respondents|respondents) aged {group}", sentence):
                if share.group(1) + "%" != fact.text:
                    problems.append(f"digital share for {label} shown as {share.group(1)}%, the fact is {fact.text}")
    return sorted(set(problems))


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(". ", 0, at), text.rfind("? ", 0, at), 0)
    ends = [i for i in (text.find(". ", at), text.find("? ", at)) if i != -1]
    return text[start:min(ends) + 1 if ends else len(text)].strip(" .")


CHECKS = {"population": population_problems, "green_spaces": green_space_problems,
          "digital_by_age": digital_age_problems}


def _problems(site: Path, ward_facts: dict[str, WardFacts], check: str, own: bool) -> dict[str, list[str]]:
    found = {}
    for page, text in pages(site).items():
        ward = ward_of(site, page)
        mine = ward is not None and page.stem in OWN_CHAPTERS
        if own != mine:
            continue
        # a page outside the ward folders (landing page, introduction, comparison) is checked against
        # Clubmoor's facts for the population, and against any ward's facts for the shares
        if ward is not None:
            problems = CHECKS[check](text, ward_facts[ward])
        elif check == "population":
            problems = CHECKS[check](text, ward_facts["clubmoor"])
        elif check == "green_spaces":
            problems = CHECKS[check](text, [ward_facts[w] for w in WARDS])
        else:
            problems = min((CHECKS[check](text, ward_facts[w]) for w in WARDS), key=len)
        if problems:
            found[str(page.relative_to(site))] = problems
    return found


def test_the_facts_are_shown_at_all(site: Path, ward_facts) -> None:
    """The checks below are not vacuous: the chapters show each fact, with its qualifier."""
    for ward, f in ward_facts.items():
        folder = site / "book" / "generated" / ward
        profile = page_text(folder / "01-ward-profile.html")
        survey = page_text(folder / "03-residents-survey.html")
        assert f.population_2021.text in profile and re.search(OUTPUT_AREA_SUM, profile, re.I), ward
        assert f"{f.green_all.text} of all respondents" in survey, ward
        for fact in f.digital_by_age.values():
            assert fact is None or fact.text in survey, ward


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_fact_has_one_number_on_the_quantitative_chapters(site: Path, ward_facts, check: str) -> None:
    problems = _problems(site, ward_facts, check, own=True)
    assert not problems, "\n".join(f"{page}: {p}" for page, ps in problems.items() for p in ps)


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_fact_has_one_number_on_every_page(site: Path, ward_facts, check: str) -> None:
    problems = _problems(site, ward_facts, check, own=False)
    assert not problems, "\n".join(f"{page}: {p}" for page, ps in problems.items() for p in ps)
