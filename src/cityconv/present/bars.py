"""Bar charts drawn with matplotlib alone, laid out as seaborn's `barplot` lays them out.

The chapters' bars are already one number each (a share, a count), yet seaborn's barplot spent about three
times matplotlib's own time on a chart estimating a bootstrap interval around each single value, and a
ward profile draws four such charts for every ward of the atlas. Here each bar is given: categories along
one axis (first at the top when horizontal), one bar per group within a category sharing 0.8 of the
category's width (or each bar the whole 0.8, without `dodge`), the categorical axis without grid lines,
and colours at seaborn's default saturation for bars (0.75), so that a ward's colour looks the same here
as in the charts seaborn still draws. A missing value (None, NaN) draws no bar, as in seaborn; a group
with no bar at all still has its legend entry. tests/test_bars.py holds the two to the same pixels.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

#: The share of a category's width the bars of its groups fill together (seaborn's default).
WIDTH = 0.8
#: Bars' colours keep this share of their saturation (seaborn's default for bars).
SATURATION = 0.75

#: One group of bars: its legend label (None: no legend entry), one value per category, its colour.
Group = tuple["str | None", Sequence["float | None"], str]


def muted(colour: str) -> tuple[float, float, float]:
    """`colour` at `SATURATION` of its saturation, as seaborn's barplot draws it."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*to_rgb(colour))
    return colorsys.hls_to_rgb(hue, lightness, saturation * SATURATION)


def _present(values: Sequence[float | None]) -> list[tuple[int, float]]:
    """(position, value) of each value that is there (not None, not NaN)."""
    return [(position, float(value)) for position, value in enumerate(values)
            if value is not None and not math.isnan(float(value))]


def grouped_bars(ax, categories: Sequence[str], groups: Sequence[Group], *, horizontal: bool, dodge: bool = True,
                 **bar_style) -> None:
    """One bar per (category, group) with a value, each group one container in `ax.containers` (for
    `ax.bar_label`) in the order given, and one legend entry (an empty patch) unless its label is None;
    `bar_style` (edgecolor, linewidth) goes to every bar."""
    if not categories:
        return  # nothing to place: the axes are left as they are, as seaborn leaves them
    width = WIDTH / len(groups) if dodge and groups else WIDTH
    draw = ax.barh if horizontal else ax.bar
    for index, (label, values, colour) in enumerate(groups):
        offset = -WIDTH / 2 + width * (index + 0.5) if dodge else 0.0
        drawn = _present(values)
        places, lengths = [position + offset for position, _ in drawn], [length for _, length in drawn]
        size = {"height": width} if horizontal else {"width": width}
        draw(places, lengths, **size, color=muted(colour), label="_nolegend_", **bar_style)
        if label is not None:  # the legend's entry, there even when the group has no bar (as seaborn's)
            ax.add_patch(Rectangle((0, 0), 0, 0, facecolor=muted(colour), label=label, **bar_style))
    ticks = range(len(categories))
    if horizontal:
        ax.set_yticks(ticks, list(categories))
        ax.set_ylim(len(categories) - 0.5, -0.5, auto=None)  # the first category at the top; autoscaling left as it was
        ax.yaxis.grid(False)
    else:
        ax.set_xticks(ticks, list(categories))
        ax.set_xlim(-0.5, len(categories) - 0.5, auto=None)
        ax.xaxis.grid(False)
