"""Numbers as readers see them: GSS rounding (half away from zero), thousands separators, shares, points."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cityconv.methods.disclosure import NOT_AVAILABLE, SUPPRESSED, Disclosed
from cityconv.methods.rounding import round_half_up


def is_missing(x: Any) -> bool:
    """None, pd.NA, NaN and NaT are missing; anything pandas cannot test is not."""
    if x is None or x is pd.NA:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_int(n: Any) -> str:
    """Whole number with a thousands separator: 1906 -> "1,906"; missing -> "[x]"."""
    if is_missing(n):
        return NOT_AVAILABLE
    value = float(n)
    if not math.isfinite(value):
        raise ValueError(f"cannot format {n!r} as a whole number")
    return f"{int(round_half_up(value, 0)):,}"


def fmt_pct(share: Any, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: 0.4211 -> "42%", fmt_pct(0.4211, 1) -> "42.1%"; missing -> "[x]"."""
    if is_missing(share):
        return NOT_AVAILABLE
    text = round_half_up(float(share), decimals, scale=100)
    return f"{text}%"


def fmt_pp(x: Any, decimals: int = 0, signed: bool = False) -> str:
    """A difference of two shares (0-1 scale) in percentage points: 0.05 -> "5 percentage points".

    `signed=True` adds "+" for a rise; a fall always shows "-". Missing -> "[x]".
    """
    if is_missing(x):
        return NOT_AVAILABLE
    text = round_half_up(float(x), decimals, scale=100)
    if signed and float(text) > 0:
        text = "+" + text
    unit = "percentage point" if abs(float(text)) == 1 else "percentage points"
    return f"{text} {unit}"




WITHHELD_PHRASE = f"{SUPPRESSED} (withheld to protect the people counted)"
"""What prose says for a cell its table withholds: the same symbol, and never which rule withheld it
(saying "fewer than 5" for some [c] and not others would tell primary from secondary suppression)."""


def disclosed_count_phrase(
    disclosed: Disclosed,
    row: Any,
    column: Any = None,
    *,
    base: int | None = None,
    noun: str = "respondents",
    interval: tuple[float, float] | None = None,
) -> str:
    """One cell of a published table in words, by the table's own suppression decision.

    "24 of the 48 respondents (50%; 95% interval 36% to 64%)"; `WITHHELD_PHRASE` for a withheld cell;
    no share or interval when the share may not be stated (base below ``min_percent_base``, or the
    base withheld); "of the …" left out when the base may not be stated. `base` defaults to the
    table's total; give it for a table without one (a multi-answer question's respondents).
    """
    n = disclosed.count(row, column)
    if n is None:
        return WITHHELD_PHRASE
    if base is None:
        stated_base = disclosed.total(column)
    else:
        stated_base = None if disclosed.table.rules.is_small(int(base)) else int(base)
    text = fmt_int(n) + (f" of the {fmt_int(stated_base)} {noun}" if stated_base is not None else f" {noun}")
    share = disclosed.share(row, column, base)
    if share is None:
        return text
    text += f" ({fmt_pct(share)}"
    if interval is not None:
        text += f"; 95% interval {fmt_pct(interval[0])} to {fmt_pct(interval[1])}"
    return text + ")"
