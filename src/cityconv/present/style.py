"""House style: the colour-blind-safe palette, figure resolution and the seaborn theme every chapter uses."""

from __future__ import annotations

# Okabe & Ito (2008) "Color Universal Design" palette: distinguishable with every common form of
# colour-vision deficiency. Order chosen so the first two differ strongly in lightness too (print).
PALETTE: list[str] = [
    "#0072B2",  # blue — "this ward" in every chapter
    "#E69F00",  # orange — "Liverpool" (comparison) in every chapter
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow (use on dark backgrounds or with outlines only)
    "#000000",  # black
]
WARD_COLOUR = PALETTE[0]
CITY_COLOUR = PALETTE[1]
MUTED = "#D9D9D9"  # background shapes (e.g. other wards on a map)
TEXT = "#1A1A1A"

DPI = 110



def use_house_style() -> None:
    """Seaborn theme, Okabe–Ito palette, readable font sizes and ~110 dpi (small HTML pages)."""
    import matplotlib as mpl
    import seaborn as sns
    from cycler import cycler

    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",
        rc={
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "font.size": 12,
            "axes.titlesize": 14,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 12,
            "xtick.labelsize": 11,
            "ytick.labelsize": 11,
            "legend.fontsize": 11,
            "legend.title_fontsize": 11,
            "axes.edgecolor": "#4D4D4D",
            "text.color": TEXT,
            "axes.labelcolor": TEXT,
            "xtick.color": TEXT,
            "ytick.color": TEXT,
            "grid.color": "#E5E5E5",
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            # Titles, labels and ticks carry ward names and questionnaire wording: a "$" in them is a
            # dollar sign, never mathtext (issue 27: nothing from data is read as markup).
            "text.parse_math": False,
        },
    )
    mpl.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


