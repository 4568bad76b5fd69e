"""The rules behind a ward profile's "In short": which figures are worth a sentence, and how strongly.

A headline figure (`indicator_definitions.csv`) earns a sentence when the ward's share differs from
Liverpool's by `DIFFERENCE_PP` percentage points or more; the `MAX_STATEMENTS` largest differences are
said. Its rank among the wards of its set is added when the ward is among the `RANK_EDGE` highest or
lowest. Every sentence about a modelled figure says "modelled estimate", and every sentence about a
deprivation index names its edition, so the summary is never stronger than the data. The sentences themselves are in
`templates/profile/summary.md`; this module only decides and formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cityconv.chapters.indicators import BASES, EDITIONS, METHOD_MODELLED
from cityconv.present import capitalise, fmt_int, fmt_pct

DIFFERENCE_PP = 5.0  # percentage points from the city's share before a figure is called higher or lower
RANK_EDGE = 3  # a rank is named when the ward is among this many highest or lowest wards of its set
MAX_STATEMENTS = 5  # the largest differences only: a summary, not the tables

#: The words that travel with a figure built by each method (an exact count needs none).
METHOD_QUALIFIER = {METHOD_MODELLED: "modelled estimate"}


@dataclass(frozen=True)
class Statement:
    """One "In short" sentence's facts, already formatted."""

    key: str  # indicator/category
    share: str
    category: str  # as it starts a line ("Bad or very bad health")
    base: str  # what it is a share of ("residents")
    direction: str  # "higher" or "lower"
    city_share: str
    england_share: str  # "" where England has no comparable figure (the IMD rows)
    rank_words: str  # "the highest of the 30 wards", or "" when the rank is unremarkable
    method: str
    qualifier: str  # what the method makes the figure ("modelled estimate"); "" for an exact figure
    edition: str


def ordinal(n: int) -> str:
    """2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_words(rank: float, n_ranked: int, n_wards: int | None = None, edge: int = RANK_EDGE) -> str:
    """"the highest of the 30 wards", "the 3rd lowest of the 63 wards with figures", or "" in between."""
    if pd.isna(rank) or n_ranked < 2 * edge:
        return ""
    rank = int(rank)
    if rank <= edge:
        which = "highest" if rank == 1 else f"{ordinal(rank)} highest"
    elif rank > n_ranked - edge:
        from_bottom = n_ranked - rank + 1
        which = "lowest" if from_bottom == 1 else f"{ordinal(from_bottom)} lowest"
    else:
        return ""
    with_figures = " with figures" if n_wards is not None and n_ranked < n_wards else ""
    return f"the {which} of the {fmt_int(n_ranked)} wards{with_figures}"


def statements(rows: pd.DataFrame, threshold_pp: float = DIFFERENCE_PP, limit: int = MAX_STATEMENTS) -> list[Statement]:
    """The ward's headline figures (`indicators.headline_rows`) that differ from the city's by `threshold_pp`
    or more, largest difference first, at most `limit`."""
    found = []
    for row in rows.itertuples():
        if pd.isna(row.share) or pd.isna(row.liverpool_share):
            continue
        diff = (float(row.share) - float(row.liverpool_share)) * 100
        if abs(diff) < threshold_pp:
            continue
        edition = EDITIONS.get(row.indicator, "")
        category = capitalise(str(row.category)) + (f" on the {edition}" if edition else "")
        found.append((abs(diff), Statement(
            key=f"{row.indicator}/{row.category}", share=fmt_pct(row.share), category=category,
            base=BASES.get(row.indicator, "the ward's base"), direction="higher" if diff > 0 else "lower",
            city_share=fmt_pct(row.liverpool_share),
            england_share="" if pd.isna(row.england_share) else fmt_pct(row.england_share),
            rank_words=rank_words(row.rank, int(row.n_wards)) if not pd.isna(row.n_wards) else "",
            method=str(row.method), qualifier=METHOD_QUALIFIER.get(str(row.method), ""), edition=edition,
        )))
    return [s for _, s in sorted(found, key=lambda pair: -pair[0])][:limit]


@dataclass(frozen=True)
class EditionCount:
    """How many of a ward's neighbourhoods one index edition puts in its most deprived decile."""

    edition: str  # "IMD 2019"
    neighbourhoods: str  # which LSOAs the edition ranks: "2011" or "2021" boundaries
    n_decile1: int
    n_total: int

    @property
    def share(self) -> float:
        return self.n_decile1 / self.n_total if self.n_total else float("nan")

    @property
    def phrase(self) -> str:
        """"all 4 of its 4 neighbourhoods", "3 of its 4 neighbourhoods", "none of its 11 neighbourhoods"."""
        if self.n_decile1 == self.n_total:
            return f"all {fmt_int(self.n_total)} of its neighbourhoods" if self.n_total > 1 else "its only neighbourhood"
        if self.n_decile1 == 0:
            return f"none of its {fmt_int(self.n_total)} neighbourhoods"
        return f"{fmt_int(self.n_decile1)} of its {fmt_int(self.n_total)} neighbourhoods"


def edition_change(before: EditionCount, after: EditionCount) -> str:
    """What changed between two editions, judged on the share in decile 1 (the neighbourhoods differ)."""
    if pd.isna(before.share) or pd.isna(after.share):
        return ""
    diff = (after.share - before.share) * 100
    if abs(diff) < 0.5:
        return f"the same share as on the {before.edition}"
    return f"a {'higher' if diff > 0 else 'lower'} share than on the {before.edition}"


def deprivation_context(editions: list[EditionCount]) -> list[dict]:
    """Each edition's sentence facts, with what changed from the edition before it."""
    out = []
    for i, e in enumerate(editions):
        out.append({"edition": e.edition, "name": f"Index of Multiple Deprivation {e.edition.split()[-1]}",
                    "neighbourhoods": e.neighbourhoods, "phrase": e.phrase,
                    "n_decile1": e.n_decile1, "share": fmt_pct(e.share),
                    "change": edition_change(editions[i - 1], e) if i else ""})
    return out
