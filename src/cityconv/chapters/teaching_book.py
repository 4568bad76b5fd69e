"""Sphinx extension for the teaching part of the book: it stages the explorers' static files.

Registered in `_config.yml` (`sphinx: extra_extensions`). At build time it

1. copies the Vega runtime (its minified build and licence) from `node_modules/` (installed by
   `npm ci` from the pinned `package-lock.json`; `make book` runs it) into the book's
   `_static/explorers/vendor/`, so no page loads a script from the web and no vendor file is
   committed;
2. compiles each explorer's chart, a Vega-Lite spec in `explorer_charts/` (data as named datasets,
   whatever changes with the settings as signals), to a Vega spec with vega-lite's own compiler (node,
   `explorer_charts/compile.mjs`) into `_static/explorers/charts/<kind>.vg.json`. The page then needs
   the Vega runtime only, not Vega-Lite and vega-embed (318 KB less once an explorer is used). The
   compiled specs are generated, so they are never committed: the sources are, and the compiler is
   the pinned npm vega-lite, the version the specs are written for;
3. unhooks sphinx-thebe (`drop_thebe`), and adds `explorers.js` and `explorers.css` (from
   `book/_static/explorers/`) to the pages that hold an in-page explorer
   (`cityconv.chapters.page_explorers`), and only to those. The page does not load Vega itself:
   `explorers.js` fetches Vega and the compiled spec from beside itself when the explorer is first
   used, so the default figure and sentences are the page's first paint (issue 26).

It builds nothing: the class pack the teaching pages offer is an artifact of the build plan
(`cityconv.pipeline.artifacts`), made before Jupyter Book runs.

A page with an explorer but no Vega or compiled charts stops the build with a message saying how to
get them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from cityconv.core.page_markup import EXPLORER_ATTRIBUTE

#: file in `_static/explorers/vendor/` -> (npm package, file inside it)
VENDOR_FILES = {
    "vega.min.js": ("vega", "build/vega.min.js"),
    "vega.LICENSE.txt": ("vega", "LICENSE"),
}
#: The Vega-Lite compiler (an ES module) that turns the chart sources into Vega specs at build time.
VEGA_LITE = ("vega-lite", "build/index.js")
#: The explorers' chart sources: `<kind>.vl.json` (kind as in explorers.js) and the config they share.
CHART_SOURCES = Path(__file__).with_name("explorer_charts")
CHART_COMPILER = CHART_SOURCES / "compile.mjs"
#: What an explorer page loads; explorers.js loads `vendor/vega.min.js` and `charts/<kind>.vg.json` on first use.
SCRIPTS = ["explorers/explorers.js"]
STYLES = ["explorers/explorers.css"]
CHECKOUT = Path(__file__).resolve().parents[3]  # the source checkout of an editable install


def node_modules_dir(project_root: Path) -> Path | None:
    """`node_modules` of the project, else of the checkout the package runs from (a copy built for tests)."""
    for root in (project_root, CHECKOUT):
        candidate = root / "node_modules"
        needed = [*VENDOR_FILES.values(), VEGA_LITE]
        if all((candidate / package / inner).is_file() for package, inner in needed):
            return candidate
    return None


def copy_if_changed(source: Path, target: Path) -> None:
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def stage_vendor_files(project_root: Path, staging: Path) -> bool:
    """Copy Vega into `staging/explorers/vendor/` and compile the charts into `staging/explorers/charts/`;
    False when `npm ci` has not been run or node is missing."""
    modules = node_modules_dir(project_root)
    if modules is None or shutil.which("node") is None:
        return False
    vendor = staging / "explorers" / "vendor"
    for name, (package, inner) in VENDOR_FILES.items():
        copy_if_changed(modules / package / inner, vendor / name)
    for stale in set(vendor.iterdir()) - {vendor / name for name in VENDOR_FILES}:
        stale.unlink()  # a file an earlier version shipped (Vega-Lite, vega-embed): not in the book any more
    stage_chart_specs(modules, staging / "explorers" / "charts")
    return True


def chart_sources() -> dict[str, dict]:
    """{kind: Vega-Lite spec} for each explorer chart, each with the shared config."""
    config = json.loads((CHART_SOURCES / "config.json").read_text(encoding="utf-8"))
    return {path.name.removesuffix(".vl.json"): {**json.loads(path.read_text(encoding="utf-8")), "config": config}
            for path in sorted(CHART_SOURCES.glob("*.vl.json"))}


def compile_charts(sources: dict[str, dict], modules: Path) -> dict[str, dict]:
    """{kind: Vega spec}, compiled by the pinned vega-lite in `modules`; any compiler warning is an error,
    since a warning means the chart would not draw as its source says."""
    run = subprocess.run(["node", str(CHART_COMPILER), str(modules.joinpath(*VEGA_LITE))],
                         input=json.dumps(sources), capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"compiling the explorer charts failed: {run.stderr.strip()[-400:]}")
    compiled = json.loads(run.stdout)
    if compiled["warnings"]:
        raise RuntimeError("compiling the explorer charts: " + "; ".join(compiled["warnings"]))
    return compiled["specs"]


def stage_chart_specs(modules: Path, target: Path) -> None:
    """Write `<kind>.vg.json` into `target`, compiling only when the sources or vega-lite changed since
    the last build (the key file holds their hash): node and the compiler take about a second."""
    sources = chart_sources()
    version = json.loads((modules / VEGA_LITE[0] / "package.json").read_text(encoding="utf-8"))["version"]
    key = hashlib.sha256(json.dumps([version, sources], sort_keys=True).encode()).hexdigest()
    key_file = target / ".sources-key"
    outputs = [target / f"{kind}.vg.json" for kind in sources]
    if key_file.is_file() and key_file.read_text() == key and all(path.is_file() for path in outputs):
        return
    target.mkdir(parents=True, exist_ok=True)
    for kind, spec in compile_charts(sources, modules).items():
        (target / f"{kind}.vg.json").write_text(json.dumps(spec, separators=(",", ":")), encoding="utf-8")
    key_file.write_text(key)


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
    try:
        app.env_has_vendor = stage_vendor_files(Path(app.srcdir), staging)
    except RuntimeError as error:
        from sphinx.errors import ExtensionError

        raise ExtensionError(str(error)) from None
    if app.env_has_vendor:
        config.html_static_path = [*config.html_static_path, str(staging)]


def _page_context(app, pagename, templatename, context, doctree) -> None:
    if f'{EXPLORER_ATTRIBUTE}="' not in context.get("body", ""):
        return
    if not getattr(app, "env_has_vendor", False):
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            f"{pagename} holds an interactive explorer, but Vega and Vega-Lite are not in node_modules/ "
            "(or node is not installed): run `npm ci` in the project folder (`make book` does it)"
        )
    for script in SCRIPTS:  # deferred: runs after parsing, and does not hold up the first paint
        app.add_js_file(script, loading_method="defer")
    for style in STYLES:
        app.add_css_file(style)


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
