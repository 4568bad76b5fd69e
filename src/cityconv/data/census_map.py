"""The one rule for a study's census mapping (`census:` in questionnaire.yml): each answer option names the
fraction of each Census category it covers.

Why one place: the questionnaire checks the mapping when it is read, and the census margin
(`cityconv.methods.stats.census_margin`) checks it again when it is used; two copies had drifted (one
allowed a fraction of 0, the other refused it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cityconv.core.params import did_you_mean


def check_census_cover(cover: Mapping[str, Mapping[str, float]], known: Sequence[str], topic: str) -> None:
    """Raise ValueError, naming the option and category, unless every option covers at least one known
    Census category, each by a fraction more than 0 (a 0 covers no one: leave the category out) and at
    most 1, and no category's fractions add up to more than 1 (its people would be counted twice)."""
    covered: dict[str, float] = {}
    for code, parts in cover.items():
        if not parts:
            example = known[1] if len(known) > 1 else known[0]
            raise ValueError(f"census map {code!r}: name the Census categories it covers, e.g. {{{example!r}: 1}}")
        for category, fraction in parts.items():
            if category not in known:
                raise ValueError(f"census map {code!r}: {category!r} is not a Census{' ' + topic if topic else ''} category"
                                 f"{did_you_mean(category, list(known))} (expected one of "
                                 + ", ".join(repr(k) for k in known) + ")")
            if not 0 < float(fraction) <= 1:
                raise ValueError(f"census map {code!r}: the fraction of {category!r} must be more than 0 "
                                 f"and at most 1, not {fraction}")
            covered[category] = covered.get(category, 0.0) + float(fraction)
    for category, total in covered.items():
        if total > 1 + 1e-9:
            raise ValueError(f"census map: the options cover {total:g} of Census category {category!r}; "
                             "the fractions of one category add up to at most 1")
