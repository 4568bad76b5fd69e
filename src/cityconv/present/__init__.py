"""The presentation layer: what every chapter uses to show numbers, figures, tables and prose.

- `style` — the colour-blind-safe palette and the seaborn house style;
- `numbers` — how numbers read (GSS rounding, separators, shares, percentage points);
- `figures` — static PNG figures with alt text and captions (`Chart`); `rank_strips` and `svg_maps` — the
  atlas's rank strips and neighbourhood maps, written directly as SVG (what they share: `svg`);
- `tables` — GSS tables with HTML and PDF representations and a CSV download (`Table`);
- `display` — `show(item)` for thin notebooks, `md` for generated Markdown;
- `prose` — sentence helpers and the Markdown (Jinja2) templates chapters fill with numbers;
- `sources` — one source line per public dataset; `downloads` — CSV and workbook downloads;
- `status` — what a table or figure is built from (observed, reconstructed, synthetic, published).

The names chapters and notebooks use are importable from here.
"""

from cityconv.methods.disclosure import NOT_AVAILABLE, SUPPRESSED
from cityconv.present.display import md, show, show_html
from cityconv.present.figures import Chart, figure_bundle, show_figure
from cityconv.present.numbers import fmt_int, fmt_pct, fmt_pp
from cityconv.present.prose import capitalise, join_words
from cityconv.present.sources import SOURCES, cite
from cityconv.present.status import combine_statuses, status_caption
from cityconv.present.style import (
    CITY_COLOUR,
    DPI,
    MUTED,
    PALETTE,
    TEXT,
    WARD_COLOUR,
    use_house_style,
)
from cityconv.present.tables import Table, show_table, table_bundle

__all__ = [
    "CITY_COLOUR", "DPI", "MUTED", "NOT_AVAILABLE", "PALETTE", "SOURCES", "SUPPRESSED", "TEXT", "WARD_COLOUR",
    "Chart", "Table", "capitalise", "cite", "combine_statuses", "figure_bundle", "fmt_int", "fmt_pct", "fmt_pp", "join_words",
    "md", "show", "show_figure", "show_html", "show_table", "status_caption", "table_bundle", "use_house_style",
]
