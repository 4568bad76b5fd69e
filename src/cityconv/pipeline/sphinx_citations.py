"""Citations resolved without reading every installed package's metadata for each one (issue 21).

sphinxcontrib-bibtex asks pybtex for its style plugins for every citation it resolves, and pybtex finds
a plugin by asking `importlib.metadata` for the entry points of a group, which reads the metadata of
every installed distribution: 634 look-ups and about 9 s under cProfile in a render of the real book.
The installed packages do not change while Sphinx runs, so each answer is kept for the process.
Plugins registered at run time (`pybtex.plugin.register_plugin`) are still looked up first, by pybtex
itself, before the entry points: nothing else changes. Loaded through `sphinx: extra_extensions` in
`_config.yml`.
"""

from __future__ import annotations

import functools

import pybtex.plugin


def keep_entry_point_answers() -> None:
    """Make pybtex's entry-point look-up remember its answers (once per process)."""
    if not hasattr(pybtex.plugin.entry_points, "cache_info"):
        pybtex.plugin.entry_points = functools.lru_cache(maxsize=None)(pybtex.plugin.entry_points)


def setup(app):
    keep_entry_point_answers()
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
