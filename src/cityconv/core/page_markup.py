"""Names the chapters write into a page's HTML and the book's Sphinx extensions look for.

They sit here, apart from the chapters that write them, so that a Sphinx extension can find an
explorer on a page without importing the explorers themselves (numpy, pandas and scipy.stats: about a
second of every render's CPU before it reads a page).
"""

from __future__ import annotations

#: On the element that holds an in-page explorer: `chapters.teaching_book` adds the explorers' scripts to such pages.
EXPLORER_ATTRIBUTE = "data-cityconv-explorer"
#: The explorer's data block and its fallback figure: `pipeline.sphinx_light` moves both into files of their own.
DATA_SCRIPT_CLASS = "cityconv-explorer-data"
STATIC_IMAGE_CLASS = "cityconv-explorer-static"
