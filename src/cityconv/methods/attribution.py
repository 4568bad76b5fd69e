"""Who a published quote may be attributed to (rule 5 of `cityconv.methods.disclosure`): a role from
`ALLOWED_ROLES`, with descriptors only when enough people share them."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cityconv.methods.disclosure import DisclosureRules

__all__ = ["ALLOWED_ROLES", "check_quote_attribution"]

ALLOWED_ROLES: tuple[str, ...] = (
    "Interviewee",
    "On-line survey respondent",
    "Practitioner (workshop participant)",
    "Community researcher",
    "MyClubmoor board member",
    "Resident",  # for a published quote whose slide gives no finer role
)
"""The only attributions a published quote may carry."""



def check_quote_attribution(
    role: str,
    descriptors: Mapping[str, Any] | None = None,
    data: pd.DataFrame | None = None,
    rules: DisclosureRules | None = None,
) -> None:
    """Raise ValueError (with the reason) unless a quote may be published with this attribution.

    role must be one of `ALLOWED_ROLES` exactly. descriptors (e.g. ``{"age_band": "25-34"}``) are
    allowed only if at least ``threshold`` rows of ``data`` — the people the speaker was drawn from,
    e.g. the interviewees — share that whole combination.
    """
    rules = rules or DisclosureRules()
    if role not in ALLOWED_ROLES:
        close = difflib.get_close_matches(str(role), ALLOWED_ROLES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"quote attributed to {role!r}: attribute quotes by role only, one of "
            f"{', '.join(repr(r) for r in ALLOWED_ROLES)}.{hint}"
        )
    if not descriptors:
        return
    if data is None:
        raise ValueError("a quote with descriptors needs the data they are drawn from to check them")
    missing = [k for k in descriptors if k not in data.columns]
    if missing:
        raise ValueError(f"descriptor(s) {missing} are not columns of the data, so cannot be checked")
    match = pd.Series(True, index=data.index)
    for key, value in descriptors.items():
        match &= data[key] == value
    n = int(match.sum())
    if n < rules.threshold:
        combo = ", ".join(f"{k} = {v!r}" for k, v in descriptors.items())
        raise ValueError(
            f"only {n} {'person matches' if n == 1 else 'people match'} {combo}; descriptors may be "
            f"attached to a quote only when at least {rules.threshold} do — drop or broaden them"
        )

