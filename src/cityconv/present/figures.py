"""Figures: static PNG with alt text that says something, and the caption and label myst-nb reads.

Every figure states its data status (`cityconv.present.status`); one built from reconstructed or
synthetic records must say so in its title or caption. `Chart` adds the sentence to the caption
(`status_caption`), and `figure_bundle` refuses a figure that does not say it.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import Any

from cityconv.core.escaping import myst_escape
from cityconv.present.mime import display_bundle
from cityconv.present.status import check_status, says_status, status_caption
from cityconv.present.style import DPI

#: Where a figure's alt text, caption and label travel in the output metadata until
#: `cityconv.pipeline.book.lift_figure_metadata` moves them into the cell metadata myst-nb reads.
FIGURE_METADATA_KEY = "cityconv_figure"


def new_figure(width: float, height: float):
    """A matplotlib Figure outside pyplot (nothing auto-displays in the notebook), laid out to fit."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def wrap_label(text: str, width: int = 30) -> str:
    """Wrap a long label over several lines for a figure axis."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width))


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def _figure_titles(fig) -> list[str]:
    titles = []
    if getattr(fig, "_suptitle", None) is not None:
        titles.append(fig._suptitle.get_text())
    for ax in fig.get_axes():
        for loc in ("left", "center", "right"):
            title = ax.get_title(loc=loc)
            if title:
                titles.append(title)
    return titles


def check_alt(alt: str, fig=None) -> str:
    """Alt text must say something: non-empty, and not just the figure's title."""
    text = " ".join(str(alt or "").split())
    if not text:
        raise ValueError("every figure needs alt text describing what it shows (got empty alt text)")
    if fig is not None:
        for title in _figure_titles(fig):
            if _normalise(text) == _normalise(title):
                raise ValueError(
                    f"alt text only repeats the figure title ({title!r}); describe what the figure shows"
                )
    if len(_normalise(text).split()) < 4:
        raise ValueError(f"alt text {text!r} is too short to describe a figure; say what it shows")
    return text


def check_status_label(caption: str | None, fig, status: str | None) -> str:
    """A figure built from reconstructed or synthetic records must say so in its title or caption."""
    if status is None:
        raise ValueError("every figure needs a data status (observed, reconstructed, synthetic or published)")
    status = check_status(status)
    said = [caption or ""] + (_figure_titles(fig) if fig is not None else [])
    if not any(says_status(text, status) for text in said):
        raise ValueError(
            f"a figure built from {status} records must say so in its title or caption (caption: {caption!r}); "
            "use cityconv.present.status.status_caption"
        )
    return status


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def figure_bundle(fig, alt: str, caption: str | None = None, name: str | None = None, *,
                  status: str | None = None) -> tuple[dict, dict]:
    """The (data, metadata) pair `show_figure` displays; separated out for testing."""
    alt_text = check_alt(alt, fig)
    status = check_status_label(caption, fig, status)
    data = {
        "image/png": base64.b64encode(figure_png(fig)).decode("ascii"),
        "text/plain": f"<Figure: {alt_text}>",
    }
    meta: dict[str, str] = {"alt": alt_text, "status": status}
    if caption:
        # myst-nb reads the caption as MyST: ward names and wording in it are escaped like any data text.
        meta["caption"] = str(myst_escape(" ".join(str(caption).split())))
    if name:
        meta["name"] = str(name)
    return data, {FIGURE_METADATA_KEY: meta}


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None, *,
                status: str | None = None) -> None:
    """Show a matplotlib figure as a static PNG with alt text (and optional caption and name), then close it.

    `name` becomes a Sphinx label, which must be unique in the whole book: prefix it with the study
    id (e.g. f"{study_id}-age"), because the same template renders once per ward.
    Raises ValueError for missing alt text, alt text that only repeats the title, a missing data
    status, or a reconstructed or synthetic figure whose title and caption do not say so.
    """
    import matplotlib.pyplot as plt

    try:
        data, metadata = figure_bundle(fig, alt, caption, name, status=status)
    finally:
        plt.close(fig)
    display_bundle(data, metadata)


@dataclass
class Chart:
    """A finished figure with its alt text, caption and data status, ready for `show_figure`.

    The caption gets a sentence saying the figure is built from reconstructed or synthetic records when
    `status` says so (and the caption does not already).
    """

    fig: Any
    alt: str
    caption: str | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None:
            self.caption = status_caption(self.caption, self.status)
