"""Numbers as readers see them: GSS rounding (half away from zero), thousands separators, shares, points."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cityconv.methods.disclosure import NOT_AVAILABLE
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


