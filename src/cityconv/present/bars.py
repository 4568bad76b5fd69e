"""Grouped bar charts drawn with matplotlib alone, laid out as seaborn's `barplot(hue=...)` lays them out.

A ward profile draws four of these, and the atlas draws them for every ward: seaborn's barplot spent about
three times matplotlib's own time per chart on grouping and estimating what are already one number per
bar. Here each bar is given: categories along one axis (first at the top when horizontal), one bar per
group within a category, 0.8 of a category's width shared between the groups, the categorical axis
without grid lines, and colours at seaborn's default saturation (0.75), so that a ward's colour looks the
same here as in the chapters' seaborn charts. A missing value (NaN) draws no bar, as in seaborn.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

from matplotlib.colors import to_rgb

#: The share of a category's width the bars of its groups fill together (seaborn's default).
WIDTH = 0.8
#: Bars' colours keep this share of their saturation (seaborn's default for bars).
SATURATION = 0.75


def muted(colour: str) -> tuple[float, float, float]:
    """`colour` at `SATURATION` of its saturation, as seaborn's barplot draws it."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*to_rgb(colour))
    return colorsys.hls_to_rgb(hue, lightness, saturation * SATURATION)


def grouped_bars(ax, categories: Sequence[str], groups: Sequence[tuple[str, Sequence[float], str]], *,
                 horizontal: bool, edgecolor: str = "white", linewidth: float = 0.6) -> None:
    """One bar per (category, group): `groups` holds (label, one value per category, colour) in legend order.

    Each group is one container in `ax.containers` (for `ax.bar_label`) and one legend entry."""
    width = WIDTH / max(1, len(groups))
    for index, (label, values, colour) in enumerate(groups):
        offset = -WIDTH / 2 + width * (index + 0.5)
        drawn = [(position, float(value)) for position, value in enumerate(values)
                 if value is not None and not math.isnan(float(value))]
        places = [position + offset for position, _ in drawn]
        heights = [value for _, value in drawn]
        if horizontal:
            ax.barh(places, heights, height=width, color=muted(colour), label=label, edgecolor=edgecolor,
                    linewidth=linewidth)
        else:
            ax.bar(places, heights, width=width, color=muted(colour), label=label, edgecolor=edgecolor, linewidth=linewidth)
    ticks = range(len(categories))
    if horizontal:
        ax.set_yticks(ticks, list(categories))
        ax.set_ylim(len(categories) - 0.5, -0.5)  # the first category at the top
        ax.yaxis.grid(False)
    else:
        ax.set_xticks(ticks, list(categories))
        ax.set_xlim(-0.5, len(categories) - 0.5)
        ax.xaxis.grid(False)
