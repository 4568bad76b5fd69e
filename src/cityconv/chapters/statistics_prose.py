"""Statistical results in words: the precision statement every survey chapter prints and one sentence
per row of a representation table. The numbers come from `cityconv.methods.stats`; the wording is in
`templates/statistics_prose/`."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from cityconv.methods import stats
from cityconv.methods.disclosure import DisclosureRules
from cityconv.methods.rounding import round_half_up
from cityconv.present.prose import capitalise, template_renderer

TEMPLATES = Path(__file__).parent / "templates" / "statistics_prose"
render = template_renderer(TEMPLATES)


def precision_statement(n: int, confidence: float = 0.95, rules: DisclosureRules | None = None) -> str:
    """One plain-English sentence on how far any percentage from ``n`` responses could be out.

    Uses the worst case (a 50% answer), so it holds for every percentage in the chapter. The number is
    `stats.precision_points`, rounded to whole percentage points (one decimal below 1 point). Under
    `rules`, a number of responses the tables withhold is withheld here too: "fewer than 5", and no
    margin (the margin would give the number back).
    """
    points = stats.precision_points(n, confidence)
    n = int(n)
    shown = "" if points is None else (round_half_up(points) if points >= 0.5 else f"{points:.1f}")
    withheld = rules is not None and rules.is_small(n)
    return render("precision", {"n": n, "n_text": f"fewer than {rules.threshold:,}" if withheld and rules else f"{n:,}",
                                "withheld": withheld, "points": shown, "confidence": f"{confidence * 100:g}%"})


def share_text(share: float) -> str:
    """Whole percentages, but never print a non-zero share as 0% or a non-full share as 100%."""
    if not math.isfinite(share):
        return "n/a"
    if 0 < share < 0.005:
        return "under 1%"
    if 0.995 <= share < 1:
        return "over 99%"
    return f"{round_half_up(share, scale=100)}%"


def representation_sentences(
    table: pd.DataFrame,
    noun: str,
    *,
    respondents: str = "respondents",
    show_interval: bool = False,
) -> list[str]:
    """One sentence per row of `stats.representation_table`, every number and verdict from the table.

    ``noun`` names the population, e.g. ``"the ward's adults"``; the result reads
    "Women aged 35–64 made up 42% of respondents against 19% of the ward's adults: over-represented."
    With ``show_interval=True`` the Wilson interval is added in brackets after the sample share.
    """
    needed = {"category", "sample_share", "ci_low", "ci_high", "population_share", "verdict"}
    missing = needed.difference(table.columns)
    if missing:
        raise ValueError(f"table is missing columns {sorted(missing)}; pass the output of representation_table")
    return [
        render("representation", {
            "category": capitalise(str(row.category)), "share": share_text(row.sample_share),
            "interval": show_interval, "low": share_text(row.ci_low), "high": share_text(row.ci_high),
            "respondents": respondents, "population_share": share_text(row.population_share), "noun": noun,
            "verdict": row.verdict,
        })
        for row in table.itertuples(index=False)
    ]
