"""The presentation layer every chapter uses: house style, figures, tables, generated prose.

Rules this module enforces or makes easy (see each function):

- **Figures** are static PNG images (so the HTML and the PDF show the same thing), drawn with seaborn
  in a colour-blind-safe palette (Okabe–Ito, `PALETTE`), with plain-English titles and axis labels
  and **alt text on every figure** (the atlas's rank strips and neighbourhood maps are static SVG,
  written directly by `present.rank_strips` and `present.svg_maps`). `show_figure` refuses empty alt text, or alt text that only
  repeats the title. Alt text and caption travel in the output's metadata under
  `cityconv.pipeline.book.FIGURE_METADATA_KEY`; `cityconv.pipeline.book.lift_figure_metadata` moves them into the cell
  metadata myst-nb reads (`mystnb.image.alt`, `mystnb.figure.caption`).
  *One figure per cell*: myst-nb (Sphinx) wraps **every** display output of a cell that has
  `mystnb.figure` options in a figure with that caption, so `lift_figure_metadata` splits a cell that
  shows several figures (a loop over a ward's own questions) into one cell per figure.
- **Tables** follow the GSS presentation conventions: a title (the HTML `<caption>`), units stated,
  `[c]` for a suppressed cell and `[x]` for not available (each explained in a note when present),
  numbered notes and a "Source: …" line. `show_table` displays one output carrying two
  representations: accessible HTML (`<th scope="col">` / `<th scope="row">`) for the HTML builder,
  and a Markdown fallback (pipe table) for the LaTeX/PDF builder. Our `_config.yml`
  (`nb_mime_priority_overrides`) makes html prefer `text/html`, and latex drop `text/html` and prefer
  `text/latex`, then `text/markdown`. We deliberately provide **no** `text/latex`: myst-nb renders
  `text/latex` outputs as a *math block*, not as a table. The pipe table needs
  `nb_render_markdown_format: myst` (or `gfm`) — the default `commonmark` has no tables.
  This module does no disclosure control: the frame it gets is already protected
  (`cityconv.methods.disclosure` does that).
- **Numbers in prose come from data.** A chapter builds its sentences in the package (with `fmt_int`,
  `fmt_pct`, `fmt_pp`) and shows them with `md`, which displays a `text/markdown` output.

Why `md` and not myst-nb's `glue`: glue only moves single values into hand-written Markdown cells. A
ward chapter's prose changes *shape* with the data ("higher than" / "lower than", a sentence that must
disappear for a ward without Census figures, a list of neighbouring wards), which glue cannot express
without logic in the notebook; glued values also show as unrendered `{glue:text}` roles to anyone
reading the template in Jupyter, and glue keys would have to be unique per page. With `md` the whole
sentence is built, unit-tested and rendered in one place, and the executed notebook reads correctly in
Jupyter as well as in the book. Cost: MyST syntax inside generated Markdown (admonitions, roles,
tables) needs `nb_render_markdown_format: myst` in `_config.yml`; plain CommonMark prose works
either way.

`show(item)` is a convenience for thin notebooks: it shows a `Chart`, a `Table` or a Markdown string,
and shows nothing for `None` (a section with no data for this ward), so a template needs no `if`.
"""

from __future__ import annotations

from cityconv.present.figures import Chart, show_figure
from cityconv.present.mime import display_bundle
from cityconv.present.tables import Table


def show_html(fragment: str | None) -> None:
    """Display HTML for the web page only (e.g. a download link): the PDF builder drops text/html."""
    if fragment:
        display_bundle({"text/html": fragment})


def md(text: str | None) -> None:
    """Display generated Markdown (prose whose numbers come from data); None shows nothing.

    Keep headings in the template's own Markdown cells: myst-nb cannot place headings found inside
    an output. MyST syntax (admonitions, roles) needs `nb_render_markdown_format: myst`.
    """
    import textwrap

    if text is None:  # a section function returns None when the ward lacks that source
        return
    body = textwrap.dedent(str(text)).strip()
    if not body:
        return
    display_bundle({"text/markdown": body, "text/plain": body})



def show(item: Chart | Table | str | None, name: str | None = None) -> None:
    """Show a Chart, a Table or Markdown text; show nothing for None (no data for this ward)."""
    if item is None:
        return
    if isinstance(item, Chart):
        show_figure(item.fig, item.alt, item.caption, name, status=item.status)
    elif isinstance(item, Table):
        display_bundle(item.bundle(name))
    elif isinstance(item, str):
        md(item)
    else:
        raise TypeError(f"cannot show a {type(item).__name__}; expected Chart, Table, str or None")
