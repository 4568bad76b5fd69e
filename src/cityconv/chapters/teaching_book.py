"""Sphinx extension for the teaching part of the book: it stages the explorers' static files.

Registered in `_config.yml` (`sphinx: extra_extensions`). At build time it

1. copies Vega, Vega-Lite and vega-embed (their minified builds and licences) from `node_modules/`
   (installed by `npm ci` from the pinned `package-lock.json`; `make book` runs it) into the book's
   `_static/explorers/vendor/`, so no page loads a script from the web and no vendor file is
   committed;
2. unhooks sphinx-thebe (`drop_thebe`), and adds `explorers.js` and `explorers.css` (from
   `book/_static/explorers/`) to the pages that hold an in-page explorer
   (`cityconv.chapters.page_explorers`), and only to those. The page does not load Vega itself:
   `explorers.js` fetches the vendor files from beside itself when the explorer is first used, so
   the default figure and sentences are the page's first paint (issue 26).

It builds nothing: the class pack the teaching pages offer is an artifact of the build plan
(`cityconv.pipeline.artifacts`), made before Jupyter Book runs.

A page with an explorer but no vendor files stops the build with a message saying how to get them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cityconv.chapters.page_explorers import EXPLORER_ATTRIBUTE

#: file in `_static/explorers/vendor/` -> (npm package, file inside it)
VENDOR_FILES = {
    "vega.min.js": ("vega", "build/vega.min.js"),
    "vega-lite.min.js": ("vega-lite", "build/vega-lite.min.js"),
    "vega-embed.min.js": ("vega-embed", "build/vega-embed.min.js"),
    "vega.LICENSE.txt": ("vega", "LICENSE"),
    "vega-lite.LICENSE.txt": ("vega-lite", "LICENSE"),
    "vega-embed.LICENSE.txt": ("vega-embed", "LICENSE"),
}
#: What an explorer page loads; explorers.js loads the vendor scripts (`vendor/*.min.js`) on first use.
SCRIPTS = ["explorers/explorers.js"]
STYLES = ["explorers/explorers.css"]
CHECKOUT = Path(__file__).resolve().parents[3]  # the source checkout of an editable install


def node_modules_dir(project_root: Path) -> Path | None:
    """`node_modules` of the project, else of the checkout the package runs from (a copy built for tests)."""
    for root in (project_root, CHECKOUT):
        candidate = root / "node_modules"
        if all((candidate / package / inner).is_file() for package, inner in VENDOR_FILES.values()):
            return candidate
    return None


def copy_if_changed(source: Path, target: Path) -> None:
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def stage_vendor_files(project_root: Path, staging: Path) -> bool:
    """Copy the vendor files into `staging/explorers/vendor/`; False when `npm ci` has not been run."""
    modules = node_modules_dir(project_root)
    if modules is None:
        return False
    for name, (package, inner) in VENDOR_FILES.items():
        copy_if_changed(modules / package / inner, staging / "explorers" / "vendor" / name)
    return True


def drop_thebe(app) -> None:
    """Unhook sphinx-thebe, which Jupyter Book 1 always loads: with no repository of ours on Binder it
    writes a Thebe configuration for an unrelated example repository, and a CDN address, into every
    page. The book runs no code in the page (the explorers need no kernel), so it needs none of it."""
    for listeners in app.events.listeners.values():
        listeners[:] = [x for x in listeners if getattr(x.handler, "__module__", "") != "sphinx_thebe"]
    app.registry.css_files[:] = [c for c in app.registry.css_files if "thebe" not in str(c[0])]
    app.registry.js_files[:] = [j for j in app.registry.js_files if "thebe" not in str(j[0])]


def _config_inited(app, config) -> None:
    drop_thebe(app)
    staging = Path(app.outdir).parent / ".cityconv-static"
    app.env_has_vendor = stage_vendor_files(Path(app.srcdir), staging)
    if app.env_has_vendor:
        config.html_static_path = [*config.html_static_path, str(staging)]


def _page_context(app, pagename, templatename, context, doctree) -> None:
    if f'{EXPLORER_ATTRIBUTE}="' not in context.get("body", ""):
        return
    if not getattr(app, "env_has_vendor", False):
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            f"{pagename} holds an interactive explorer, but Vega, Vega-Lite and vega-embed are not in "
            "node_modules/: run `npm ci` in the project folder (`make book` does it)"
        )
    for script in SCRIPTS:  # deferred: runs after parsing, and does not hold up the first paint
        app.add_js_file(script, loading_method="defer")
    for style in STYLES:
        app.add_css_file(style)


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
