"""Figures are drawn once, on a fixed layout, and nothing on them is cut off.

`figure_png` used to save with `bbox_inches="tight"`, which laid out and drew every figure twice to
measure it. Now the canvas draws once under a constrained layout that also keeps titles and x-axis
labels on the canvas; these tests count the draws and check that no title, label, tick label,
legend entry or annotation sticks out, on made-up figures and on the chapters' own charts.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from cityconv.present.figures import clipped_texts, figure_png, new_figure  # noqa: E402
from cityconv.present.style import DPI, use_house_style  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OVERFLOW = "sticks out of its layout"


@pytest.fixture(autouse=True)
def house_style():
    with matplotlib.rc_context():
        use_house_style()
        yield


def crowded_figure() -> Figure:
    """A chart like the survey's: long answer labels, a long left-aligned title and x-axis label, a legend outside."""
    fig = new_figure(6.2, 3.4)
    ax = fig.add_subplot()
    labels = ["Got a lot better over the last five years", "Stayed about the same as it was", "Got worse"]
    ax.barh(labels, [12, 55, 33], label="This ward")
    ax.barh(labels, [10, 50, 40], height=0.3, label="Liverpool")
    ax.set_title("In the past five years, has this ward got better, got worse or stayed about the same as before?")
    ax.set_xlabel("Percentage of all survey respondents (lines: 95% confidence interval of the estimate)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Compared with")
    return fig


def png_image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


def ink_on_border(png: bytes) -> bool:
    """Whether any pixel on the image's outer edge is not white: something drawn ran off the canvas."""
    pixels = np.asarray(png_image(png).convert("RGB"))
    edges = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return bool((edges < 250).any())


def texts_cut(fig: Figure) -> list[str]:
    """Draw the figure as `figure_png` does and list the texts that stick out of the canvas."""
    fig.dpi = DPI
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return clipped_texts(fig, canvas.get_renderer())


def test_a_crowded_figure_is_drawn_once_and_nothing_is_cut(monkeypatch) -> None:
    fig = crowded_figure()
    draws = []
    original = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(1) or original(self, renderer))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the larger-canvas fallback warns
        png = figure_png(fig)
    assert len(draws) == 1
    image = png_image(png)
    assert image.size == (round(6.2 * DPI), round(3.4 * DPI))  # the figure's own size: no second, tight pass
    assert image.mode == "RGB"  # opaque: no alpha channel to carry
    assert not ink_on_border(png)
    monkeypatch.setattr(Figure, "draw", original)
    assert texts_cut(fig) == []
    # The long title and label were wrapped to fit, not cut or shrunk.
    assert "\n" in fig.axes[0].get_title(loc="left") and "\n" in fig.axes[0].get_xlabel()


def test_figure_png_leaves_the_figure_as_it_found_it() -> None:
    fig = crowded_figure()
    engine, canvas, dpi, face = fig.get_layout_engine(), fig.canvas, fig.dpi, fig.get_facecolor()
    figure_png(fig)
    assert (fig.get_layout_engine(), fig.canvas, fig.dpi, fig.get_facecolor()) == (engine, canvas, dpi, face)


def test_clipped_texts_finds_a_cut_text_and_ignores_what_is_not_drawn() -> None:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1, 50], ["0", "half", "1", "a tick far outside the view"])  # not drawn
    ax.set_xlim(0, 1)
    fig.text(0.8, 0.5, "a note running off the right-hand edge")
    assert texts_cut(fig) == ["a note running off the right-hand edge"]

    hidden = Figure(figsize=(4, 3))
    map_axes = hidden.add_subplot()
    map_axes.set_xticks([-100], ["−3.05"])  # a map's longitude tick, far outside: its axis is switched off
    map_axes.set_axis_off()
    assert texts_cut(hidden) == []


def test_a_legend_below_the_plot_is_laid_out_once(monkeypatch) -> None:
    """Legend entries are put in place only when the legend is drawn: measured one by one right after the
    layout they sat in the canvas's corner, counted as cut, and every figure with a legend was laid out
    twice. The legend is measured as one box, so a figure that fits is laid out once."""
    import matplotlib.layout_engine

    layouts = []
    original = matplotlib.layout_engine.do_constrained_layout
    monkeypatch.setattr(matplotlib.layout_engine, "do_constrained_layout",
                        lambda *args, **kwargs: layouts.append(1) or original(*args, **kwargs))
    fig = new_figure(6.2, 4.0)
    ax = fig.add_subplot()
    ax.barh(["a", "b"], [1, 2], label="This ward")
    ax.barh(["a", "b"], [2, 1], height=0.3, label="Liverpool")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = figure_png(fig)
    assert len(layouts) == 1
    assert not ink_on_border(png)
    monkeypatch.setattr(matplotlib.layout_engine, "do_constrained_layout", original)
    assert texts_cut(fig) == []


def test_clipped_texts_names_the_entries_of_a_legend_that_sticks_out() -> None:
    fig = Figure(figsize=(4, 3))  # no layout engine: nothing moves the legend in
    ax = fig.add_subplot()
    ax.plot([1, 2], [1, 2], label="a line")
    fig.legend(loc="center left", bbox_to_anchor=(0.9, 0.5), title="Key")
    assert sorted(texts_cut(fig)) == ["Key", "a line"]


def test_a_figure_no_layout_can_fit_is_drawn_on_a_larger_canvas() -> None:
    fig = Figure(figsize=(4, 3))  # no layout engine: nothing moves the text in
    fig.add_subplot().plot([1, 2], [1, 2])
    fig.text(0.9, 0.5, "a note running off the right-hand edge")
    with pytest.warns(UserWarning, match=OVERFLOW):
        png = figure_png(fig)
    width, height = png_image(png).size
    assert width > 4 * DPI  # grown to hold the note, as bbox_inches="tight" did
    assert png_image(png).mode == "RGB"


def chapter_charts() -> list[tuple[str, object]]:
    """Charts from the chapters with the longest texts: survey answers, the profile's map, the business case."""
    from cityconv.chapters import business_case, profile, survey
    from cityconv.chapters.loader import open_chapter
    from cityconv.data import context

    sv = survey.from_chapter(open_chapter("clubmoor", REPO))
    charts = [(f"survey {q}", survey.question_chart(sv, q)) for q in survey.SINGLE_QUESTIONS]
    charts += [("survey methods by age", survey.methods_by_age_chart(sv))]
    ward = profile.ward_profile(context.load_context(REPO / "data" / "context", "E05000892", None),
                                REPO / "data" / "context")
    charts += [(f"profile {f.__name__}", f(ward)) for f in (profile.age_chart, profile.ethnicity_chart,
                                                            profile.tenure_chart, profile.deprivation_chart,
                                                            profile.map_chart)]
    study = business_case.load("good-conversations", REPO)
    charts += [("business case grades", business_case.grade_chart(study)),
               ("business case percentages", business_case.percent_chart(study))]
    return [(name, chart) for name, chart in charts if chart is not None]


@pytest.mark.slow  # loads a ward and draws about fifteen charts
def test_the_chapters_charts_fit_their_canvas_in_one_draw() -> None:
    charts = chapter_charts()
    assert len(charts) >= 8
    for name, chart in charts:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a chart needing the larger-canvas fallback fails here
            png = figure_png(chart.fig)
        assert not ink_on_border(png), name
        assert texts_cut(chart.fig) == [], name


def test_every_figure_of_the_real_book_fits_its_canvas(real_book: Path) -> None:
    """Every PNG the real book's chapters show: nothing touches its edge, and none needed the fallback."""
    pngs = 0
    for path in sorted((real_book / "book" / "generated").rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                assert OVERFLOW not in "".join(output.get("text", "")), path.name
                png = output.get("data", {}).get("image/png")
                if png:
                    import base64

                    pngs += 1
                    assert not ink_on_border(base64.b64decode(png)), f"{path.relative_to(real_book)}"
    assert pngs > 20
