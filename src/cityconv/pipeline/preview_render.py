"""A Jupyter Book renderer kept loaded between a preview's renders: imported once, forked for each render.

`jupyter-book build` spends about 3 s of CPU importing Sphinx, myst-nb, the theme, their extensions
and what the package's own Sphinx extension imports (scipy.stats) before it reads a page, far more
than an incremental render of one changed page. This
process imports them once (only third-party modules: the package's own Sphinx extensions are
imported afresh in each render, so an edit to them counts), then forks a child per render, which
runs Jupyter Book's own command line (`pipeline.book.render_arguments`, the same arguments as
`render`) and exits: no Sphinx state outlives a render, exactly as with a fresh process.

Protocol: one JSON list of arguments per line on stdin; the exit code, one per line, on the file
descriptor given as the first argument (stdout stays the terminal's, for Jupyter Book's messages).
The process ends when its stdin closes (the preview ended, however it ended).

This module's top level imports only the standard library and `cityconv` itself (for its import-time
fix of jsonschema's slow optional import, which the `jupyter-book` command does not get).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import cityconv  # noqa: F401  (its import marks jsonschema's slow optional `rfc3987_syntax` absent)

#: Set to "1" in the renderer's environment: the package's Sphinx extensions skip what only the
#: published book needs (`pipeline.sphinx_light` does not trim the theme's CSS).
PREVIEW_RENDER_ENV = "CITYCONV_PREVIEW_RENDER"

PRELOADED = (
    # Jupyter Book, Sphinx and the extensions `_config.yml` loads (some import their parts only in `setup`)
    "jupyter_book.cli.main", "jupyter_book.sphinx", "sphinx.application", "sphinx.builders.html",
    "myst_nb", "myst_nb.sphinx_ext", "myst_parser", "myst_parser.sphinx_ext", "sphinx_book_theme",
    "pydata_sphinx_theme", "sphinxcontrib.bibtex", "pybtex.style.formatting", "sphinx_external_toc",
    "sphinx_design", "sphinx_copybutton", "sphinx_togglebutton", "sphinx_comments", "sphinx_multitoc_numbering",
    "sphinx_thebe", "sphinx_jupyterbook_latex", "jupyter_cache.cache", "jupyter_cache.executors", "IPython.display",
    "a11y_pygments", "linkify_it",
    # what the package's own extension (chapters.teaching_book, via the explorers) imports: about a
    # second of a render's CPU, most of it scipy.stats
    "numpy", "pandas", "scipy.stats", "scipy.special", "statsmodels.stats.proportion", "statsmodels.stats.inter_rater",
)


def serve(results_fd: int) -> None:
    """Import the renderer, then fork one child per request line until stdin closes."""
    import importlib

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the preview decides when to stop (and kills us)
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:  # an extension this Jupyter Book does not have: loaded by the render, if at all
            pass
    with os.fdopen(results_fd, "w", encoding="utf-8") as results:
        for line in sys.stdin:
            results.write(f"{render_in_child(json.loads(line))}\n")
            results.flush()


def render_in_child(arguments: list[str]) -> int:
    """Run `jupyter-book <arguments>` in a forked child; its exit code."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the child: Jupyter Book's command line, then exit without running the parent's cleanup
        code = 1
        try:
            from jupyter_book.cli.main import main

            main(args=arguments, prog_name="jupyter-book", standalone_mode=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


class KeptRenderer:
    """The preview's side: start the renderer once, ask it for renders; `None` when it is gone."""

    def __init__(self, root: Path) -> None:
        read, write = os.pipe()
        # Its renders skip what only the published book needs (sphinx_light: trimming the theme's CSS).
        env = {**os.environ, PREVIEW_RENDER_ENV: "1"}
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(write)], stdin=subprocess.PIPE,
                                        pass_fds=(write,), cwd=root, text=True, env=env)
        os.close(write)
        self.results: IO[str] = os.fdopen(read, encoding="utf-8")

    def render(self, arguments: list[str]) -> int | None:
        """Jupyter Book's exit code, or None if the renderer has died (the caller renders the usual way)."""
        stdin = self.process.stdin
        try:
            assert stdin is not None
            stdin.write(json.dumps(arguments) + "\n")
            stdin.flush()
            line = self.results.readline()
        except (OSError, ValueError):  # a broken pipe, or closed by `close`
            return None
        return int(line) if line.strip() else None

    def kill(self) -> None:
        """Stop at once, with a render in progress (a stop signal arrived)."""
        from cityconv.pipeline.interrupts import kill_process_trees

        kill_process_trees([self.process.pid], grace=0.5)
        self.close()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.results.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
    os._exit(0)  # nothing to clean up: skip tearing down the imported modules
