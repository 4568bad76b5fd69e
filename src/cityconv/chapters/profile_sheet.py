"""A one-page profile of a ward for print: key indicators beside the city's, the map, sources, data status.

`make pdf` prints one for each profile-only ward of the atlas (`cityconv.pipeline.profile_pdf`). Every
figure comes from the same tables and functions as the ward's profile page and the atlas index
(`chapters.profile`, `chapters.atlas`); the prose is `templates/profile_sheet/sheet.md`.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from cityconv.chapters import atlas, profile
from cityconv.data import context as ctx
from cityconv.present import cite
from cityconv.present.figures import figure_png
from cityconv.present.prose import template_renderer

TEMPLATES = Path(__file__).parent / "templates" / "profile_sheet"
render = template_renderer(TEMPLATES)

STATUS_LINE = ("open data only. No engagement data (survey, interviews, workshops) were collected for this "
               "ward in this book; every figure is published statistics.")
SOURCE_KEYS = ("census2021", "imd2019", "imd2025", "lookups")
SHEET_CSS = """
@page { size: A4; margin: 14mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.35; color: #111; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 0.4em; }
p { margin: 0.35em 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 9.5pt; }
caption { text-align: left; font-weight: bold; margin-bottom: 0.2em; }
th, td { border: 1px solid #999; padding: 0.2em 0.45em; text-align: left; }
td.num, th.num { text-align: right; }
figure { margin: 0.5em 0; text-align: center; }
figure img { max-width: 100%; max-height: 112mm; }
"""


def indicator_rows(frame, ward_code: str, boundary_set: str) -> list[tuple[str, str, str]]:
    """(indicator, ward, Liverpool) for each key indicator of the atlas, formatted as the atlas shows them."""
    index = atlas.AtlasIndex(boundary_set, frame, {})
    cells = atlas.display_frame(index)
    is_ward = (frame["ward_code"] == ward_code) & (frame["boundary_set"] == boundary_set)
    is_city = frame["boundary_set"] == ctx.SET_CITY
    if not is_ward.any():
        raise KeyError(f"{ward_code} is not a ward of the {boundary_set} boundary set in wards.csv")
    ward_row, city_row = cells[is_ward.to_numpy()].iloc[0], cells[is_city.to_numpy()].iloc[0]
    return [(label, ward_row[label], city_row[label]) for label in atlas.COLUMNS.values()]


def indicators_html(rows: list[tuple[str, str, str]], ward: str, city: str) -> str:
    body = "".join(
        f'<tr><th scope="row">{html.escape(label)}</th><td class="num">{html.escape(w)}</td>'
        f'<td class="num">{html.escape(c)}</td></tr>'
        for label, w, c in rows
    )
    return (f'<table><caption>Key indicators: {html.escape(ward)} and {html.escape(city)}</caption>'
            f'<thead><tr><th scope="col">Indicator</th><th scope="col" class="num">{html.escape(ward)}</th>'
            f'<th scope="col" class="num">{html.escape(city)}</th></tr></thead><tbody>{body}</tbody></table>')


def map_html(chart) -> str:
    data = base64.b64encode(figure_png(chart.fig)).decode("ascii")
    import matplotlib.pyplot as plt

    plt.close(chart.fig)
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(chart.alt)}"></figure>'


def sheet_markdown(study_id: str, root: Path | None = None) -> str:
    """The sheet of a profile-only ward (its atlas id, e.g. `e05000887`) as Markdown with HTML blocks."""
    p = profile.load_profile(study_id, root)
    assert p.context_dir is not None  # load_profile always reads the context tables from a folder
    frame = atlas.ward_indicators(p.context_dir, p.boundary_set)
    city = ctx.CITY_NAME
    return render("sheet", {
        "ward": p.ward_name, "code": p.ward_code, "city": city, "n_wards": p.n_wards,
        "boundary_text": p.boundary_text, "location": profile.location_text(p), "status_line": STATUS_LINE,
        "indicators": indicators_html(indicator_rows(frame, p.ward_code, p.boundary_set), p.ward_name, city),
        "has_census": p.has_census, "has_deprivation": p.has_deprivation, "map": map_html(profile.map_chart(p)),
        "sources": [cite(key) for key in SOURCE_KEYS],
    })


def sheet_html(study_id: str, root: Path | None = None) -> str:
    """The print-ready page (A4, no scripts, nothing fetched)."""
    from markdown_it import MarkdownIt

    p_title = sheet_markdown(study_id, root)
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(p_title)
    title = p_title.splitlines()[0].lstrip("# ").strip()
    return (f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{SHEET_CSS}</style></head><body>\n{body}</body></html>\n")
