"""A Sphinx extension that keeps the book's pages light (issue 26 part 2).

Registered in `_config.yml` (`sphinx: extra_extensions`). Measured in a browser with an empty cache,
most of a page's weight was theme files it did not need; this extension and the layout override
(`book/_templates/layout.html`, which drops `fontawesome.js` and, off the search page, the search
index) take it off. At build time it

1. gives every page a `<meta name="description">` from its lede (the first paragraph of its text,
   plain, at most 160 characters, HTML-escaped): what search engines and link previews show. On a page
   built from reconstructed or synthetic records it starts with the page's data label;
2. writes `width` and `height` on every `<img>` (read from the image file, so the layout does not
   jump while images load) and `loading="lazy"` on all but a page's first image;
3. moves each explorer's data (`chapters.page_explorers`: the JSON precomputed by the package,
   escaped by `script_json`) into a gzip-compressed file under `_static/explorers/data/`, fetched by
   `explorers.js`, and its base64 default figure into a PNG beside it (loaded eagerly, first: it is the
   explorer's first paint, until the reader first uses the explorer and Vega draws the live chart),
   so the page's HTML stays small;
4. replaces Font Awesome's 1.4 MB script by `_static/icons.css`: one CSS mask per icon the built
   pages use, from the SVGs of the same Font Awesome release (npm `@fortawesome/fontawesome-free`);
5. trims the theme's stylesheet to the selectors the built pages and scripts use, with PurgeCSS (npm
   `purgecss`), keeping the rules the theme's JavaScript switches on (colour mode, menus, tooltips).

Steps 3 and 5, and lazy loading, apply to the `html` builder only: the PDF's `singlehtml` rendering
prints every figure at once and keeps its data in the page. A render for `cityconv preview` (its
renderer sets `PREVIEW_RENDER_ENV`) skips step 5: PurgeCSS reads every page on each render (about a
second of CPU on the real book), which a reader of the published book needs and an author's
edit-reload loop does not; the preview serves the theme's whole stylesheet instead.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote, unquote
from xml.etree import ElementTree

from docutils import nodes

from cityconv.core.page_markup import DATA_SCRIPT_CLASS, STATIC_IMAGE_CLASS
from cityconv.pipeline.preview_render import PREVIEW_RENDER_ENV
from cityconv.present.status import DATA_BANNERS

DESCRIPTION_LIMIT = 160
CHECKOUT = Path(__file__).resolve().parents[3]  # the source checkout of an editable install
FONT_AWESOME_SVGS = Path("@fortawesome") / "fontawesome-free" / "svgs"
PURGECSS = Path("purgecss") / "bin" / "purgecss.js"
ICONS_CSS = "icons.css"
#: The theme's stylesheet that PurgeCSS trims (388 KiB, of which the pages use about a tenth).
THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
EXPLORER_DATA = "_static/explorers/data"
#: Builders whose pages are read in a browser one at a time (not printed as one page).
WEB_BUILDERS = {"html", "dirhtml"}
#: Where a paragraph is not a page's lede: notes, asides, tables, quotations. (A notebook's prose is in
#: its cells' output containers, so containers are not excluded.)
NOT_LEDE = (nodes.Admonition, nodes.sidebar, nodes.topic, nodes.table, nodes.footnote, nodes.citation,
            nodes.field_list, nodes.block_quote, nodes.raw, nodes.comment)
#: The titles of the banners on pages built from reconstructed or synthetic records: a description
#: travels without its page (search results, link previews), so it starts with the page's label.
DATA_LABELS = frozenset(title for _kind, title, _text in DATA_BANNERS.values())

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'\s([a-zA-Z:-]+)="([^"]*)"')
DATA_SCRIPT = re.compile(rf'<script type="application/json" class="{DATA_SCRIPT_CLASS}">(.*?)</script>', re.DOTALL)
STATIC_IMAGE = re.compile(rf'<img class="{STATIC_IMAGE_CLASS}" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
FA_CLASS = re.compile(r"\bfa-([a-z0-9-]+)")
#: Font Awesome's style and size classes: not icons.
FA_NOT_ICONS = {"solid", "regular", "brands", "lg", "sm", "xs", "fw", "2x", "3x", "spin", "pulse", "stack"}


# ----------------------------------------------------------------------------------------- 1. meta description


def lede(doctree: nodes.Node) -> str:
    """The page's first paragraph of running text (not a note, a table or a notebook output), as plain text."""
    for paragraph in doctree.findall(nodes.paragraph):
        parent = paragraph.parent
        inside = False
        while parent is not None:
            if isinstance(parent, NOT_LEDE):
                inside = True
                break
            parent = parent.parent
        text = " ".join(paragraph.astext().split())
        if not inside and text:
            return text
    return ""


def data_label(doctree: nodes.Node) -> str:
    """The title of the page's reconstructed- or synthetic-data banner (`present.status.DATA_BANNERS`), or ""."""
    for admonition in doctree.findall(nodes.Admonition):
        title = next(iter(admonition.findall(nodes.title)), None)
        if title is not None and title.astext().strip() in DATA_LABELS:
            return title.astext().strip()
    return ""


def page_description(doctree: nodes.Node | None, fallback: str) -> str:
    """The page's lede (else `fallback`), after its data label when it has one."""
    text = (lede(doctree) if doctree is not None else "") or fallback
    label = data_label(doctree) if doctree is not None else ""
    return f"{label}: {text}" if label else text


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """`text` cut at a word boundary to at most `limit` characters, an ellipsis marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-–—") + "…"


def description_tag(text: str) -> str:
    return f'<meta name="description" content="{html.escape(shorten(text), quote=True)}" />'


# ----------------------------------------------------------------------------------------- 2. image sizes


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (no decoding)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _css_px(value: str | None) -> float | None:
    match = re.fullmatch(r"\s*([0-9.]+)\s*(px|pt)?\s*", value or "")
    if not match:
        return None
    number = float(match.group(1))
    return number * 4 / 3 if match.group(2) == "pt" else number


def svg_size(path: Path) -> tuple[int, int] | None:
    """An SVG's size in CSS pixels, from its width and height (pt converted) or else its viewBox."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError):
        return None
    width, height = _css_px(root.get("width")), _css_px(root.get("height"))
    if width and height:
        return round(width), round(height)
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        return round(float(box[2])), round(float(box[3]))
    return None


def image_size(path: Path) -> tuple[int, int] | None:
    """Pixel size of a raster image (Pillow, which Matplotlib already needs) or an SVG; None if unreadable."""
    if path.suffix.lower() == ".svg":
        return svg_size(path)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        return None


def size_image_tags(body: str, size_of: Callable[[str], tuple[int, int] | None], lazy: bool) -> str:
    """`body` with width/height on each <img> that lacks them, and loading="lazy" on all but the first."""
    seen = 0

    def fix(match: re.Match) -> str:
        nonlocal seen
        seen += 1
        tag = match.group(0)
        attributes = dict(ATTRIBUTE.findall(tag))
        extra = ""
        if "width" not in attributes and "height" not in attributes:
            size = size_of(html.unescape(attributes.get("src", "")))
            if size:
                extra += f' width="{size[0]}" height="{size[1]}"'
        if lazy and seen > 1 and "loading" not in attributes:
            extra += ' loading="lazy"'
        if "decoding" not in attributes:
            extra += ' decoding="async"'
        if tag.endswith("/>"):
            return tag[:-2].rstrip() + extra + " />"
        return tag[:-1].rstrip() + extra + ">"

    return IMG_TAG.sub(fix, body)


def image_resolver(builder, outdir: Path, page_folder: Path) -> Callable[[str], tuple[int, int] | None]:
    """The size of an image a page refers to: `_images/` files from their sources (not yet copied when the
    page is written), inline PNGs from their header, anything else from the output folder."""
    sources = {name: Path(builder.srcdir) / src for src, name in getattr(builder, "images", {}).items()}

    def size_of(src: str) -> tuple[int, int] | None:
        if src.startswith("data:image/png;base64,"):
            return png_size(base64.b64decode(src.split(",", 1)[1][:64] + "=="))
        if src.startswith(("data:", "http:", "https:", "//")):
            return None
        relative = unquote(src.split("?", 1)[0].split("#", 1)[0])
        if "_images/" in relative and relative.rsplit("_images/", 1)[1] in sources:
            return image_size(sources[relative.rsplit("_images/", 1)[1]])
        target = (page_folder / relative).resolve()
        return image_size(target) if target.is_file() else None

    return size_of


# ----------------------------------------------------------------------------------------- 3. explorer data


def _stored(folder: Path, data: bytes, suffix: str) -> str:
    """Write `data` once under a name from its content (so an unchanged file keeps its name and cache)."""
    name = hashlib.sha256(data).hexdigest()[:20] + suffix
    target = folder / name
    if not target.is_file() or target.read_bytes() != data:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return name


def externalise_explorers(body: str, folder: Path, url_of: Callable[[str], str]) -> str:
    """`body` with each explorer's JSON moved to a gzip file (the script keeps a `data-src`) and its inline
    PNG to a file. The JSON text is written byte for byte as `script_json` made it: no number changes."""

    def data(match: re.Match) -> str:
        payload = match.group(1).encode("utf-8")
        name = _stored(folder, gzip.compress(payload, compresslevel=9, mtime=0), ".json.gz")
        return (f'<script type="application/json" class="{DATA_SCRIPT_CLASS}" '
                f'data-src="{html.escape(url_of(name), quote=True)}"></script>')

    def image(match: re.Match) -> str:
        png = base64.b64decode(match.group(1))
        name = _stored(folder, png, ".png")
        size = png_size(png)
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        return f'<img class="{STATIC_IMAGE_CLASS}" src="{html.escape(url_of(name), quote=True)}"{dims} loading="eager" fetchpriority="high"'

    return STATIC_IMAGE.sub(image, DATA_SCRIPT.sub(data, body))


# ----------------------------------------------------------------------------------------- 4. icons


def node_modules_dir(project_root: Path, needed: Path) -> Path | None:
    """`node_modules` of the project, else of the checkout the package runs from (a copy built for tests)."""
    for root in (project_root, CHECKOUT):
        if (root / "node_modules" / needed).exists():
            return root / "node_modules"
    return None


def icons_used(pages: Iterable[Path]) -> set[str]:
    """Font Awesome icon names (`fa-sun` -> "sun") in the built pages."""
    found: set[str] = set()
    for page in pages:
        found |= set(FA_CLASS.findall(page.read_text(encoding="utf-8", errors="replace")))
    return found - FA_NOT_ICONS


def icon_css(names: Iterable[str], svgs: Path) -> tuple[str, list[str]]:
    """CSS drawing each icon as a mask of its SVG in the text colour; and the names with no SVG."""
    rules, missing = [], []
    for name in sorted(names):
        svg = next((svgs / style / f"{name}.svg" for style in ("solid", "regular", "brands")
                    if (svgs / style / f"{name}.svg").is_file()), None)
        if svg is None:
            missing.append(name)
            continue
        text = re.sub(r"<!--.*?-->", "", svg.read_text(encoding="utf-8"), flags=re.DOTALL).strip()
        box = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', text)
        ratio = float(box.group(1)) / float(box.group(2)) if box else 1.0
        url = "data:image/svg+xml," + quote(text, safe=" =:/'")
        rules.append(f'.fa-{name}::before{{width:{ratio:.4g}em;-webkit-mask-image:url("{url}");mask-image:url("{url}")}}')
    head = ("/* Generated by cityconv.pipeline.sphinx_light from Font Awesome Free's SVGs (icons CC BY 4.0):"
            " the icons the pages use, drawn in the text colour. */\n"
            ".fa-lg{font-size:1.25em;line-height:.05em;vertical-align:-.075em}\n"
            ".fa-solid::before,.fa-regular::before,.fa-brands::before{content:\"\";display:inline-block;height:1em;vertical-align:-.125em;"
            "background-color:currentColor;-webkit-mask:no-repeat center/contain;mask:no-repeat center/contain}\n")
    return head + "\n".join(rules) + "\n", missing


# ----------------------------------------------------------------------------------------- 5. CSS


def purge_css(outdir: Path, modules: Path) -> tuple[int, int]:
    """Trim the theme's stylesheet in `outdir` to what the pages and the theme's scripts use; sizes before/after."""
    css = outdir / THEME_CSS
    before = css.stat().st_size
    work = outdir.parent / ".cityconv-purgecss"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = work / "purgecss.config.cjs"
    config.write_text(PURGECSS_CONFIG.format(outdir=str(outdir).replace("\\", "/"), css=str(css).replace("\\", "/")),
                      encoding="utf-8")
    run = subprocess.run(["node", str(modules / PURGECSS), "--config", str(config), "--output", str(work)],
                         capture_output=True, text=True, check=False)
    trimmed = work / css.name
    if run.returncode != 0 or not trimmed.is_file():
        raise RuntimeError(f"PurgeCSS failed on {css}: {(run.stderr or run.stdout).strip()[-300:]}")
    shutil.copyfile(trimmed, css)
    shutil.rmtree(work, ignore_errors=True)
    return before, css.stat().st_size


#: Content is every page and every script (class names the scripts add appear in them as strings);
#: attribute selectors for the colour mode and the states the theme's scripts toggle are always kept.
PURGECSS_CONFIG = """module.exports = {{
  content: ["{outdir}/**/*.html", "{outdir}/_static/**/*.js"],
  css: ["{css}"],
  fontFace: false,
  keyframes: false,
  variables: false,
  dynamicAttributes: ["data-theme", "data-mode", "data-bs-theme", "aria-expanded", "aria-current",
                      "aria-hidden", "aria-selected", "data-bs-placement", "data-popper-placement", "open"],
  safelist: {{
    standard: [/^show$/, /^showing$/, /^fade$/, /^collapse/, /^collapsing/, /^active$/, /^disabled$/,
               /^tooltip/, /^bs-tooltip/, /^popover/, /^dropdown/, /^scrolled$/, /^pst-/, /^bd-/,
               /^sidebar/, /^search/, /^kbd/, /^theme-switch/, /^highlight/],
    greedy: [/data-theme/, /data-mode/, /:root/]
  }}
}};
"""


# ----------------------------------------------------------------------------------------- Sphinx hooks


def _page_context(app, pagename, templatename, context, doctree) -> None:
    builder = app.builder
    web = builder.name in WEB_BUILDERS
    metatags = context.get("metatags", "")
    if 'name="description"' not in metatags:
        book = context.get("docstitle") or app.config.project
        title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", "") or "")).strip()
        fallback = f"{title}: {book}" if title and title != book else book
        context["metatags"] = metatags + "\n    " + description_tag(page_description(doctree, fallback))
    body = context.get("body")
    if not isinstance(body, str) or not body:
        return
    outdir = Path(builder.outdir)
    page_folder = (outdir / builder.get_target_uri(pagename)).parent if hasattr(builder, "get_target_uri") else outdir
    if web and DATA_SCRIPT_CLASS in body:
        pathto = context["pathto"]
        body = externalise_explorers(body, outdir / EXPLORER_DATA,
                                     lambda name: pathto(f"{EXPLORER_DATA}/{name}", 1))
    context["body"] = size_image_tags(body, image_resolver(builder, outdir, page_folder), lazy=web)


def _builder_inited(app) -> None:
    app.add_css_file(ICONS_CSS)


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    outdir = Path(app.outdir)
    modules = node_modules_dir(Path(app.srcdir), FONT_AWESOME_SVGS)
    if modules is None:
        from sphinx.errors import ExtensionError

        raise ExtensionError("the book's icons come from npm @fortawesome/fontawesome-free, which is not in "
                             "node_modules/: run `npm ci` in the project folder (`make js-deps` does it)")
    css, missing = icon_css(icons_used(outdir.rglob("*.html")), modules / FONT_AWESOME_SVGS)
    if missing:
        log.warning("sphinx_light: no Font Awesome SVG for icon(s) %s", ", ".join(missing))
    (outdir / "_static" / ICONS_CSS).write_text(css, encoding="utf-8")
    if os.environ.get(PREVIEW_RENDER_ENV) == "1":
        log.info("sphinx_light: a preview render: the theme's CSS is not trimmed")
        return
    if app.builder.name in WEB_BUILDERS and app.config.cityconv_purge_css and (outdir / THEME_CSS).is_file():
        purger = node_modules_dir(Path(app.srcdir), PURGECSS)
        if purger is None:
            log.warning("sphinx_light: npm purgecss is not in node_modules/ (run `npm ci`): the theme's CSS is not trimmed")
            return
        before, after = purge_css(outdir, purger)
        log.info("sphinx_light: theme CSS trimmed from %d to %d KiB", before // 1024, after // 1024)


def setup(app):
    app.add_config_value("cityconv_purge_css", True, "html")
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
