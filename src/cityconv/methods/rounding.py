"""One rounding rule for every number the book shows: half away from zero, as GSS guidance expects.

Python's `round` rounds half to even, and binary floating point turns 0.145 × 100 into 14.4999…; both
would make the same share read 14% on one page and 15% on another. Working on the shortest decimal
repr of the float *before* scaling avoids both.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float, decimals: int = 0, scale: int = 1) -> str:
    """`value * scale` rounded half away from zero to `decimals` places, as text (never "-0")."""
    if not math.isfinite(value):
        raise ValueError(f"cannot format {value!r}")
    quantum = Decimal(1).scaleb(-decimals)
    text = str((Decimal(repr(float(value))) * scale).quantize(quantum, rounding=ROUND_HALF_UP))
    if float(text) == 0:
        text = text.lstrip("-")
    return text
