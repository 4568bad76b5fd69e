"""Jupyter Book's own command line, started after `import cityconv`: what `pipeline.book.render` runs.

The `jupyter-book` script validates its configuration with jsonschema before Sphinx loads any of our
extensions, and jsonschema's import compiles the Lark grammars of its optional `rfc3987_syntax`:
about 1.1 CPU s of every render, for two string formats no schema of ours uses. Importing `cityconv`
first marks that module absent (see `cityconv/__init__.py`), as in every other process of ours.
Arguments, output and exit code are the `jupyter-book` script's own.
"""

from __future__ import annotations

import cityconv  # noqa: F401  (its import marks jsonschema's slow optional `rfc3987_syntax` absent)

if __name__ == "__main__":
    from jupyter_book.cli.main import main

    main(prog_name="jupyter-book")
