"""The Sphinx extension that keeps pages light: meta descriptions, image sizes, explorer data in files,
icons as CSS, and the theme's CSS trimmed. The built book is checked in tests/browser/test_page_weight.py."""

from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes
from PIL import Image

from cityconv.chapters import page_explorers as pe
from cityconv.pipeline import sphinx_light as sl

REPO = Path(__file__).resolve().parents[1]


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


# --------------------------------------------------------------------------------------------- description


def _doctree(*children: nodes.Node) -> nodes.document:
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    document = new_document("page", get_default_settings(Parser))
    section = nodes.section()
    section += nodes.title(text="A title")
    for child in children:
        section += child
    document += section
    return document


def test_lede_is_the_first_paragraph_of_running_text_not_a_note_or_table():
    note = nodes.note()
    note += nodes.paragraph(text="Synthetic data: a banner, not the lede.")
    table = nodes.table()
    table += nodes.paragraph(text="A cell.")
    doctree = _doctree(note, table, nodes.paragraph(text="Clubmoor's residents  told us\nabout parks."),
                       nodes.paragraph(text="Second paragraph."))
    assert sl.lede(doctree) == "Clubmoor's residents told us about parks."
    assert sl.lede(_doctree(note)) == ""


def test_lede_may_be_a_notebook_output_and_a_data_label_leads_the_description():
    from cityconv.present.status import DATA_BANNERS

    banner = nodes.admonition()
    banner += nodes.title(text=DATA_BANNERS["reconstructed"][1])
    banner += nodes.paragraph(text="The study's own records are not public.")
    output = nodes.container(classes=["cell_output"])
    output += nodes.paragraph(text="In short. 42% said parks.")
    doctree = _doctree(banner, output)
    assert sl.page_description(doctree, "Title: Book") == "Reconstructed response-level data: In short. 42% said parks."
    assert sl.page_description(_doctree(), "Title: Book") == "Title: Book"
    assert sl.page_description(None, "Search: Book") == "Search: Book"


def test_description_is_cut_at_a_word_within_160_characters():
    text = "word " * 60
    short = sl.shorten(text)
    assert len(short) <= sl.DESCRIPTION_LIMIT and short.endswith("word…")
    assert sl.shorten("Short and whole.") == "Short and whole."


def test_description_from_data_is_escaped():
    tag = sl.description_tag('Ward "X" <img src=x onerror=alert(1)> & co')
    assert tag == ('<meta name="description" content="Ward &quot;X&quot; &lt;img src=x onerror=alert(1)&gt; '
                   '&amp; co" />')


# --------------------------------------------------------------------------------------------- image sizes


def test_png_and_svg_sizes(tmp_path):
    assert sl.png_size(_png(37, 21)) == (37, 21)
    assert sl.png_size(b"not a png at all, no header here") is None
    svg = tmp_path / "figure.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="460.8pt" height="345.6pt" '
                   'viewBox="0 0 460.8 345.6"></svg>', encoding="utf-8")
    assert sl.image_size(svg) == (614, 461)  # points are 4/3 of a CSS pixel
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 80"></svg>', encoding="utf-8")
    assert sl.image_size(svg) == (120, 80)
    raster = tmp_path / "figure.png"
    raster.write_bytes(_png(640, 480))
    assert sl.image_size(raster) == (640, 480)


def test_images_get_their_size_and_all_but_the_first_load_lazily():
    sizes = {"../_images/a.png": (800, 600), "../_images/b.png": (400, 300)}
    body = ('<p><img alt="First" src="../_images/a.png" /></p><img alt="Second" src="../_images/b.png">'
            '<img src="../_images/unknown.png" width="10" height="5">')
    out = sl.size_image_tags(body, sizes.get, lazy=True)
    assert '<img alt="First" src="../_images/a.png" width="800" height="600" decoding="async" />' in out
    assert '<img alt="Second" src="../_images/b.png" width="400" height="300" loading="lazy" decoding="async">' in out
    assert '<img src="../_images/unknown.png" width="10" height="5" loading="lazy" decoding="async">' in out
    assert "lazy" not in sl.size_image_tags(body, sizes.get, lazy=False)  # the printed book loads every image


def test_resolver_reads_images_from_their_sources_before_sphinx_copies_them(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "fig.png").write_bytes(_png(30, 20))
    builder = SimpleNamespace(srcdir=str(tmp_path / "src"), images={"fig.png": "fig1.png"})
    size_of = sl.image_resolver(builder, tmp_path / "out", tmp_path / "out" / "book")
    assert size_of("../_images/fig1.png") == (30, 20)
    assert size_of("data:image/png;base64," + base64.b64encode(_png(7, 9)).decode()) == (7, 9)
    assert size_of("https://example.org/x.png") is None and size_of("missing.png") is None


# --------------------------------------------------------------------------------------------- explorer data


def test_explorer_data_and_figure_move_to_files_unchanged(tmp_path):
    data = {"kind": "precision", "text": "</script><b>not markup</b> & more", "values": [0.1, 0.25]}
    png = _png(50, 40)
    chart = SimpleNamespace(alt="A figure", caption="Caption")
    page = pe.explorer_html("precision", "Precision explorer", [], data, chart, "<p>x</p>",
                            base64.b64encode(png).decode())
    inline = page.split('class="cityconv-explorer-data">', 1)[1].split("</script>", 1)[0]
    out = sl.externalise_explorers(page, tmp_path, lambda name: f"../_static/explorers/data/{name}")
    assert "base64" not in out and inline not in out
    (data_file,) = tmp_path.glob("*.json.gz")
    (png_file,) = tmp_path.glob("*.png")
    assert gzip.decompress(data_file.read_bytes()).decode("utf-8") == inline  # script_json's text, byte for byte
    assert json.loads(gzip.decompress(data_file.read_bytes()))["text"] == data["text"]
    assert png_file.read_bytes() == png
    assert f'data-src="../_static/explorers/data/{data_file.name}"' in out
    assert f'src="../_static/explorers/data/{png_file.name}" width="50" height="40" loading="eager" fetchpriority="high" alt="A figure"' in out
    again = sl.externalise_explorers(page, tmp_path, lambda name: name)
    assert len(list(tmp_path.iterdir())) == 2 and data_file.name in again  # named by content: written once


# --------------------------------------------------------------------------------------------- icons and CSS


def test_icons_used_are_read_from_pages_and_drawn_from_their_svgs(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<i class="fa-solid fa-sun fa-lg"></i><i class="fa-solid fa-magnifying-glass"></i>', encoding="utf-8")
    assert sl.icons_used([page]) == {"sun", "magnifying-glass"}
    svgs = tmp_path / "svgs"
    (svgs / "solid").mkdir(parents=True)
    (svgs / "solid" / "sun.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><!--! licence --><path d="M0 0h9"/></svg>',
        encoding="utf-8")
    css, missing = sl.icon_css({"sun", "magnifying-glass"}, svgs)
    assert missing == ["magnifying-glass"]
    assert ".fa-sun::before{width:1em;" in css and "mask-image:url(\"data:image/svg+xml," in css
    assert "licence" not in css and '"' not in css.split('url("', 1)[1].split('")', 1)[0]


def _modules() -> Path:
    modules = sl.node_modules_dir(REPO, sl.PURGECSS)
    if modules is None:
        pytest.skip("npm purgecss not installed (run `npm ci`)")
    return modules


def test_purgecss_keeps_used_and_colour_mode_rules_and_drops_the_rest(tmp_path):
    modules = _modules()
    if shutil.which("node") is None:
        pytest.skip("node not installed")
    out = tmp_path / "html"
    (out / "_static" / "styles").mkdir(parents=True)
    (out / "_static" / "theme.js").write_text('el.classList.add("pst-js-added")', encoding="utf-8")
    (out / "index.html").write_text('<html data-theme="auto"><div class="used"></div></html>', encoding="utf-8")
    (out / sl.THEME_CSS).write_text(
        ".used{color:red}.never-used-anywhere{color:blue}.pst-js-added{color:green}"
        "html[data-theme=dark]{--pst-color-text-base:#fff}.show{display:block}", encoding="utf-8")
    before, after = sl.purge_css(out, modules)
    css = (out / sl.THEME_CSS).read_text(encoding="utf-8")
    assert after < before
    assert ".used" in css and ".pst-js-added" in css and "html[data-theme=dark]" in css and ".show" in css
    assert "never-used-anywhere" not in css


@pytest.mark.parametrize("preview", [False, True])
def test_a_preview_render_does_not_trim_the_theme_css(tmp_path, monkeypatch, preview):
    """`cityconv preview`'s renderer sets PREVIEW_RENDER_ENV: its renders write the icons but skip PurgeCSS."""
    if sl.node_modules_dir(REPO, sl.FONT_AWESOME_SVGS) is None:
        pytest.skip("npm @fortawesome/fontawesome-free not installed (run `npm ci`)")
    out = tmp_path / "html"
    (out / sl.THEME_CSS).parent.mkdir(parents=True)
    (out / sl.THEME_CSS).write_text(".x{color:red}", encoding="utf-8")
    (out / "index.html").write_text('<i class="fa-solid fa-sun"></i>', encoding="utf-8")
    purged: list[Path] = []
    monkeypatch.setattr(sl, "purge_css", lambda outdir, modules: purged.append(outdir) or (1, 1))
    monkeypatch.setattr(sl, "node_modules_dir", lambda root, needed: REPO / "node_modules")
    if preview:
        monkeypatch.setenv(sl.PREVIEW_RENDER_ENV, "1")
    else:
        monkeypatch.delenv(sl.PREVIEW_RENDER_ENV, raising=False)
    app = SimpleNamespace(outdir=str(out), srcdir=str(tmp_path), builder=SimpleNamespace(format="html", name="html"),
                          config=SimpleNamespace(cityconv_purge_css=True))
    sl._build_finished(app, None)
    assert ".fa-sun::before" in (out / "_static" / sl.ICONS_CSS).read_text(encoding="utf-8")
    assert purged == ([] if preview else [out])
