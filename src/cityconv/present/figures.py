"""Figures: static PNG (or SVG) with alt text that says something, and the caption and label myst-nb reads.

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
from cityconv.present.svg import SvgFigure

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
    if isinstance(fig, SvgFigure):
        return [fig.title]
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


#: How far (in pixels) a drawn text may reach past the canvas before it counts as clipped: rounding in
#: the layout, not a cut letter.
CLIP_TOLERANCE_PX = 1.0


def clipped_texts(fig, renderer) -> list[str]:
    """The drawn texts (titles, labels, tick labels, legend entries, annotations) that stick out of the canvas.

    Call after the figure was laid out or drawn with `renderer`. Empty when the layout kept everything
    on the page. A legend is measured as one box (and its entries named when the box sticks out):
    its entries are moved into place only when the legend is drawn, so right after a layout they sit
    where the last draw left them (at first, the canvas's corner) and would each count as cut.
    """
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    canvas = fig.bbox.padded(CLIP_TOLERANCE_PX)
    hidden = _undrawn_tick_labels(fig)
    clipped = []

    def sticks_out(box) -> bool:
        return box.x0 < canvas.x0 or box.y0 < canvas.y0 or box.x1 > canvas.x1 or box.y1 > canvas.y1

    for legend in fig.findobj(Legend):
        entries = [t for t in legend.findobj(Text) if t.get_visible() and t.get_text().strip()]
        hidden.update(id(t) for t in legend.findobj(Text))
        if legend.get_visible() and entries and sticks_out(legend.get_window_extent(renderer)):
            clipped += [t.get_text() for t in entries]
    for text in fig.findobj(Text):
        if id(text) in hidden or not (text.get_visible() and text.get_text().strip()):
            continue
        if sticks_out(text.get_window_extent(renderer)):
            clipped.append(text.get_text())
    return clipped


def _undrawn_tick_labels(fig) -> set[int]:
    """Tick labels the axes do not draw: of ticks outside the view, or of an axis switched off."""
    hidden: set[int] = set()
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            drawn = ax.axison and axis.get_visible()  # `set_axis_off` hides the axes' axes without hiding their ticks
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not (drawn and tick.get_visible() and low - slack <= tick.get_loc() <= high + slack):
                    hidden.update((id(tick.label1), id(tick.label2)))
    return hidden


def _fitting_layout(engine):
    """A constrained layout that also keeps titles and x-axis labels on the canvas.

    Why: constrained layout leaves the width of titles and x-axis labels out (so a long title does
    not squash its axes), and a left-aligned title longer than the room right of its axes' left edge
    ran off the canvas; `bbox_inches="tight"` used to rescue it by drawing the figure again on a
    larger canvas. Here such a text is wrapped before the layout to the room the layout will leave it
    (predicted from the width of the y axis), and checked after it: a miss is re-wrapped and laid out
    once more. Either way the figure is drawn once.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    class FittingLayoutEngine(ConstrainedLayoutEngine):
        def execute(self, fig):
            renderer = fig.canvas.get_renderer()
            _wrap_titles_to_predicted_room(fig, renderer, self.get()["w_pad"] * fig.dpi)
            laid_out = super().execute(fig)
            # The prediction missed (axes side by side, say), or a text placed in data coordinates moved
            # as the layout narrowed its axes: wrap what can be wrapped and lay out once more.
            if _rewrap_overflowing_texts(fig, renderer) or clipped_texts(fig, renderer):
                laid_out = super().execute(fig)
            return laid_out

    return FittingLayoutEngine(**{k: v for k, v in engine.get().items()})


def _layout_texts(fig) -> list:
    """The texts a layout places but does not make room for across: titles and x-axis labels."""
    texts = [getattr(fig, "_suptitle", None)]
    for ax in fig.get_axes():
        texts += [ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None), ax.xaxis.label]
    return [t for t in texts if t is not None and t.get_visible() and t.get_text().strip()]


def _wrap_titles_to_predicted_room(fig, renderer, pad: float) -> None:
    """Before the layout: wrap each axes' titles and x-axis label to the width the layout will leave it.

    The prediction: the axes will start where its y axis (tick labels and label) ends, `pad` from the
    canvas's left edge, and reach to `pad` from its right edge (as in a figure of one column of axes).
    Measuring the texts here costs little: the layout measures them again from the renderer's cache.
    """
    right = fig.bbox.x1 - pad
    for ax in fig.get_axes():
        y_axis = ax.yaxis.get_tightbbox(renderer)
        left = fig.bbox.x0 + pad + max(0.0, ax.get_window_extent(renderer).x0 - y_axis.x0) if y_axis else pad
        for text in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None), ax.xaxis.label):
            if text is None or not text.get_visible() or not text.get_text().strip():
                continue
            room = right - left
            if text.get_window_extent(renderer).width > room > 0:
                _wrap_to(text, room, renderer)


def _rewrap_overflowing_texts(fig, renderer) -> bool:
    """After the layout: re-wrap each title or x-axis label that runs past the canvas to the room it has."""
    canvas = fig.bbox
    changed = False
    for text in _layout_texts(fig):
        box = text.get_window_extent(renderer)
        align = text.get_horizontalalignment()
        if align == "left":
            room = canvas.x1 - box.x0
        elif align == "right":
            room = box.x1 - canvas.x0
        else:
            middle = (box.x0 + box.x1) / 2
            room = 2 * min(middle - canvas.x0, canvas.x1 - middle)
        if box.width > room + CLIP_TOLERANCE_PX and room > 0:
            _wrap_to(text, room, renderer)
            changed = True
    return changed


def _wrap_to(text, room: float, renderer) -> None:
    """Wrap `text` over more lines until it is no wider than `room` pixels (or its words cannot be split further)."""
    import textwrap

    words = " ".join(text.get_text().split())
    longest = max(len(line) for line in text.get_text().splitlines())
    chars = max(8, int(longest * room / text.get_window_extent(renderer).width))
    while True:
        text.set_text("\n".join(textwrap.wrap(words, chars)))
        if text.get_window_extent(renderer).width <= room or chars <= 8:
            return
        chars = max(8, int(chars * 0.9))


def figure_png(fig) -> bytes:
    """The figure as an opaque PNG at the house resolution, drawn once.

    Why not `savefig`: for a figure with a layout engine (ours are constrained, `new_figure`) it first
    draws the whole figure with drawing switched off to lay it out, then draws it again, and
    `bbox_inches="tight"` measures it a third time; figures were 29% of chapter time. Here the canvas
    draws once (laying out as it goes) and is encoded as it is. A figure some text of which sticks out
    of the canvas all the same (a title longer than its axes: constrained layout leaves titles' widths
    out) is drawn again on a canvas grown to hold it, as `bbox_inches="tight"` did, so nothing is cut.
    The PNG is RGB: the background is opaque white, so an alpha channel would only add bytes.
    The figure's canvas, resolution and background are as they were afterwards (as `savefig` leaves them).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from PIL import Image

    canvas_before, dpi_before, face_before = fig.canvas, fig.dpi, fig.get_facecolor()
    engine_before = fig.get_layout_engine()
    try:
        fig.dpi = DPI
        fig.set_facecolor("white")
        canvas = FigureCanvasAgg(fig)
        if isinstance(engine_before, ConstrainedLayoutEngine):
            fig.set_layout_engine(_fitting_layout(engine_before))
        canvas.draw()
        renderer = canvas.get_renderer()
        if clipped_texts(fig, renderer):
            return _grown_png(fig, renderer)
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        return _rgb_png(image)
    finally:
        if fig.get_layout_engine() is not engine_before:
            fig.set_layout_engine(engine_before)
        fig.set_canvas(canvas_before)
        fig.dpi = dpi_before
        fig.set_facecolor(face_before)


def _rgb_png(image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png")
    return buffer.getvalue()


def _grown_png(fig, renderer) -> bytes:
    """The figure drawn again on a canvas grown to everything drawn, keeping the layout the first draw made."""
    import warnings

    import matplotlib as mpl
    from PIL import Image

    warnings.warn(f"a figure's text sticks out of its layout ({clipped_texts(fig, renderer)[0]!r}); "
                  "drawn again on a larger canvas", stacklevel=3)
    box = fig.get_tightbbox(renderer).padded(mpl.rcParams["savefig.pad_inches"])
    engine = fig.get_layout_engine()
    buffer = io.BytesIO()
    if engine is None:
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=box, facecolor="white")
        return _rgb_png(Image.open(buffer))
    fig.set_layout_engine("none")  # laid out already: savefig must not lay it out (and draw) again
    try:
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=box, facecolor="white")
    finally:
        fig.set_layout_engine(engine)
    return _rgb_png(Image.open(buffer))


def figure_bundle(fig, alt: str, caption: str | None = None, name: str | None = None, *,
                  status: str | None = None) -> tuple[dict, dict]:
    """The (data, metadata) pair `show_figure` displays; separated out for testing."""
    alt_text = check_alt(alt, fig)
    status = check_status_label(caption, fig, status)
    image = {"image/svg+xml": fig.svg} if isinstance(fig, SvgFigure) else \
        {"image/png": base64.b64encode(figure_png(fig)).decode("ascii")}
    data = {**image, "text/plain": f"<Figure: {alt_text}>"}
    meta: dict[str, str] = {"alt": alt_text, "status": status}
    if caption:
        # myst-nb reads the caption as MyST: ward names and wording in it are escaped like any data text.
        meta["caption"] = str(myst_escape(" ".join(str(caption).split())))
    if name:
        meta["name"] = str(name)
    return data, {FIGURE_METADATA_KEY: meta}


def show_figure(fig, alt: str, caption: str | None = None, name: str | None = None, *,
                status: str | None = None) -> None:
    """Show a matplotlib figure as a static PNG (an `SvgFigure` as SVG) with alt text (and optional caption and name), then close it.

    `name` becomes a Sphinx label, which must be unique in the whole book: prefix it with the study
    id (e.g. f"{study_id}-age"), because the same template renders once per ward.
    Raises ValueError for missing alt text, alt text that only repeats the title, a missing data
    status, or a reconstructed or synthetic figure whose title and caption do not say so.
    """
    try:
        data, metadata = figure_bundle(fig, alt, caption, name, status=status)
    finally:
        if not isinstance(fig, SvgFigure):
            import matplotlib.pyplot as plt

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
