"""`present.bars.grouped_bars` draws the same pixels as the seaborn `barplot` calls it replaced.

Each case draws one chart both ways in the house style and compares the PNGs byte for byte: grouped
bars with a missing value, a hue level with no bar at all, one colour without groups, groups that do not
dodge, vertical bars, error bars drawn afterwards (autoscaling must stay as seaborn leaves it) and no data.
"""

from __future__ import annotations

import io
import math

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cityconv.present.bars import grouped_bars, muted
from cityconv.present.style import PALETTE, use_house_style

NAN = math.nan


def _png(draw) -> bytes:
    with matplotlib.rc_context():
        use_house_style()
        fig = Figure(figsize=(4, 3), dpi=60, layout="constrained")
        ax = fig.add_subplot()
        draw(ax)
        handles, labels = ax.get_legend_handles_labels()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        if handles:
            fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()


def _long(categories, groups) -> pd.DataFrame:
    return pd.DataFrame([{"category": c, "value": v, "group": label}
                         for label, values, _ in groups for c, v in zip(categories, values) if not math.isnan(v)])


CATEGORIES = ["First", "Second", "Third"]
GROUPED = [("Ward", [12.0, NAN, 30.0], PALETTE[0]), ("City", [10.0, 20.0, 25.0], PALETTE[1])]
WITH_EMPTY_LEVEL = [*GROUPED, ("Nobody", [NAN, NAN, NAN], PALETTE[2])]


def _seaborn_grouped(groups, horizontal=True, dodge=True, **style):
    import seaborn as sns

    data = _long(CATEGORIES, groups)
    axes = ("category", "value") if horizontal else ("value", "category")
    return lambda ax: sns.barplot(data=data, y=axes[0], x=axes[1], hue="group", order=CATEGORIES,
                                  hue_order=[g[0] for g in groups], palette=[g[2] for g in groups],
                                  orient="h" if horizontal else "v", dodge=dodge, ax=ax, **style)


CASES = {
    "grouped, horizontal, a value missing": (
        _seaborn_grouped(GROUPED, edgecolor="white", linewidth=0.6),
        lambda ax: grouped_bars(ax, CATEGORIES, GROUPED, horizontal=True, edgecolor="white", linewidth=0.6)),
    "a group with no bar keeps its legend entry": (
        _seaborn_grouped(WITH_EMPTY_LEVEL),
        lambda ax: grouped_bars(ax, CATEGORIES, WITH_EMPTY_LEVEL, horizontal=True)),
    "grouped, vertical": (
        _seaborn_grouped(GROUPED, horizontal=False, edgecolor="white"),
        lambda ax: grouped_bars(ax, CATEGORIES, GROUPED, horizontal=False, edgecolor="white")),
    "groups that do not dodge": (
        _seaborn_grouped([("A", [12.0, 20.0, NAN], PALETTE[0]), ("B", [NAN, NAN, 5.0], PALETTE[1])], dodge=False),
        lambda ax: grouped_bars(ax, CATEGORIES, [("A", [12.0, 20.0, NAN], PALETTE[0]), ("B", [NAN, NAN, 5.0], PALETTE[1])],
                                horizontal=True, dodge=False)),
}


def _one_colour_then_errorbars(ax, seaborn: bool) -> None:
    values = [40.0, 25.0, 10.0]
    if seaborn:
        import seaborn as sns

        sns.barplot(data=pd.DataFrame({"y": CATEGORIES, "v": values}), y="y", x="v", color=PALETTE[0], orient="h",
                    ax=ax, edgecolor="white")
    else:
        grouped_bars(ax, CATEGORIES, [(None, values, PALETTE[0])], horizontal=True, edgecolor="white")
    ax.errorbar(values, range(3), xerr=[[5, 5, 5], [5, 5, 5]], fmt="none", ecolor="#1A1A1A", capsize=3)
    ax.set_xlabel("")
    ax.set_ylabel("")


CASES["one colour, error bars drawn afterwards"] = (lambda ax: _one_colour_then_errorbars(ax, True),
                                                      lambda ax: _one_colour_then_errorbars(ax, False))


@pytest.mark.parametrize("case", CASES)
def test_the_same_pixels_as_seaborn(case: str) -> None:
    seaborn_draws, ours = CASES[case]

    def unlabelled(draw):  # seaborn names the axes after its columns; the chapters always name them
        return lambda ax: (draw(ax), ax.set_xlabel(""), ax.set_ylabel(""))

    assert _png(unlabelled(seaborn_draws)) == _png(unlabelled(ours)), case


def test_no_categories_leave_the_axes_as_they_were() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    limits = (ax.get_xlim(), ax.get_ylim())
    grouped_bars(ax, [], [(None, [], PALETTE[0])], horizontal=True)
    assert (ax.get_xlim(), ax.get_ylim()) == limits and not ax.containers


def test_each_group_is_one_container_of_its_bars_in_order() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    grouped_bars(ax, CATEGORIES, GROUPED, horizontal=True)
    assert [list(c.datavalues) for c in ax.containers] == [[12.0, 30.0], [10.0, 20.0, 25.0]]
    assert ax.containers[0].patches[0].get_facecolor()[:3] == pytest.approx(muted(PALETTE[0]))
