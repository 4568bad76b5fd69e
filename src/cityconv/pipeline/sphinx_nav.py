"""The sidebar navigation built once per build, not once per page (issue 21).

Why it exists: for every page, pydata-sphinx-theme's `generate_toctree_html` asks Sphinx for the whole
book's toctree as seen from that page (`global_toctree_for_doc`, which resolves and copies every entry)
and re-parses it with BeautifulSoup: the biggest part of the HTML write phase, growing with pages ×
pages. With `max_navbar_depth: 1` the sidebar is flat (captions, each followed by a list of `toctree-l1`
links); a page's sidebar differs from another's only in its relative links (which depend only on its
directory) and in the marks Sphinx and the theme put on its top-level entry. So we render the sidebar
once, through the theme's own function for a page name at the top of the book that is in no toctree
(so the theme's post-processing runs exactly as for a real page), make its internal links relative to
each directory as Sphinx does (`relative_uri`; the atlas has a directory per ward, so one render per
directory would still be a hundred), and add the page's marks by string edits.

Why it is safe: the edits write what Sphinx's `_toctree_add_classes` and the theme write for the flat
sidebar (the page's own entry: `current active` on its item, `current` and `href="#"` on its link; a
page further down: `current active` on its top-level ancestor's item; and `current` on the enclosing
list), and the built HTML was compared byte for byte with and without this extension on the real book
and in tests/test_sphinx_nav.py. Whatever was not checked goes to the theme's own function: another
builder, other arguments, a nested level, the root page or a page outside the toc, a page or ancestor
in more than one toctree, a link neither internal nor external, or an entry not found exactly once.
Set `CITYCONV_SIDEBAR_CACHE=0` to turn it off. Loaded through `sphinx: extra_extensions` in
`_config.yml`.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections import Counter
from typing import Any
from weakref import WeakKeyDictionary

from pydata_sphinx_theme.toctree import add_toctree_functions
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

SWITCH = "CITYCONV_SIDEBAR_CACHE"
#: A page name in no toctree: its sidebar has every link and no current page.
NEUTRAL_NAME = "_cityconv-sidebar-neutral_"
#: The only call we reproduce: sbt-sidebar-nav.html's, with `max_navbar_depth: 1` (see `_config.yml`).
VERIFIED_CALL = {"kind": "sidebar", "startdepth": 0, "show_nav_level": 1, "maxdepth": 1, "collapse": False,
                 "includehidden": True, "titles_only": True}

PLAIN_LIST = '<ul class="nav bd-sidenav">'
CURRENT_LIST = '<ul class="current nav bd-sidenav">'
PLAIN_ITEM = '<li class="toctree-l1"><a class="reference internal" href="{href}">'
ANCESTOR_ITEM = '<li class="toctree-l1 current active"><a class="reference internal" href="{href}">'
CURRENT_ITEM = '<li class="toctree-l1 current active"><a class="current reference internal" href="#">'
ANY_CURRENT_CLASS = re.compile(r'class="[^"]*\bcurrent\b')
NESTED_LEVEL = re.compile(r"toctree-l[02-9]|<details")
INTERNAL_LINK = re.compile(r'(<a class="reference internal" href=")([^"#]*)((?:#[^"]*)?")')
EXTERNAL_LINK = '<a class="reference external" href="'

logger = logging.getLogger(__name__)


class SidebarCache:
    """One build's neutral sidebar, its form in each directory, and how many pages each way went (for
    tests and the log)."""

    def __init__(self) -> None:
        self.top: str | None = None
        self.neutral: dict[str, str | None] = {}
        self.way: dict[str, str] = {}  # page name: "cached" or "theme"
        self.neutral_renders = 0
        self.parents: dict[str, str] | None = None
        self.inclusions: Counter[str] = Counter()


_CACHES: WeakKeyDictionary[Sphinx, SidebarCache] = WeakKeyDictionary()


def cache_for(app: Sphinx) -> SidebarCache:
    return _CACHES.setdefault(app, SidebarCache())


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


def mark_current(neutral: str, href: str, *, own_entry: bool) -> str | None:
    """The sidebar as the theme writes it for one page, from its directory's neutral sidebar.

    `href` is the top-level entry's link as written in the neutral sidebar; `own_entry` says whether that
    entry is the page itself (not an ancestor). None when the neutral sidebar is not the flat form whose
    marks we know, or the entry is not there exactly once.
    """
    item = PLAIN_ITEM.format(href=href)
    if NESTED_LEVEL.search(neutral) or ANY_CURRENT_CLASS.search(neutral) or neutral.count(item) != 1:
        return None
    at = neutral.index(item)
    list_at = neutral.rfind("<ul", 0, at)
    if list_at < 0 or not neutral.startswith(PLAIN_LIST, list_at):
        return None
    marked = CURRENT_ITEM if own_entry else ANCESTOR_ITEM.format(href=href)
    return (neutral[:list_at] + CURRENT_LIST + neutral[list_at + len(PLAIN_LIST):at] + marked
            + neutral[at + len(item):])


def relink(top: str, top_uri: str, directory_uri: str) -> str | None:
    """The neutral sidebar of the book's top directory (its page at `top_uri`) as written for a page at
    `directory_uri`: each internal link made relative to it, as Sphinx's `relative_uri` does. None if
    the sidebar has a link that is neither internal nor external."""
    links = INTERNAL_LINK.findall(top)
    if top.count('href="') != len(links) + top.count(EXTERNAL_LINK):
        return None

    def moved(link: re.Match[str]) -> str:
        target = link[2] if link[2].startswith("/") else posixpath.join(posixpath.dirname(top_uri), link[2])
        return link[1] + relative_uri(directory_uri, target) + link[3]

    return INTERNAL_LINK.sub(moved, top)


def top_level_entry(cache: SidebarCache, env: BuildEnvironment, pagename: str) -> str | None:
    """The root's toctree entry that holds `pagename` (itself or an ancestor), or None unless there is
    exactly one path from the root to the page (each page on it included once in the whole book)."""
    if cache.parents is None:
        cache.parents = {child: parent for parent, children in env.toctree_includes.items() for child in children}
        cache.inclusions = Counter(child for children in env.toctree_includes.values() for child in children)
    root = env.config.root_doc
    path = [pagename]
    while path[-1] != root:
        if cache.inclusions[path[-1]] != 1:
            return None
        parent = cache.parents[path[-1]]
        if parent in path:
            return None
        path.append(parent)
    return path[-2] if len(path) >= 2 else None


def _neutral_sidebar(app: Sphinx, builder: StandaloneHTMLBuilder, templatename: str, context: dict[str, Any]) -> str:
    """The theme's own sidebar for a page at the top of the book that is in no toctree."""
    neutral = NEUTRAL_NAME
    neutral_context = dict(context)
    neutral_context["toctree"] = lambda **kwargs: builder._get_local_toctree(neutral, **kwargs)
    add_toctree_functions(app, neutral, templatename, neutral_context, None)
    return str(neutral_context["generate_toctree_html"](**VERIFIED_CALL))


def _is_builders_toctree(function: object) -> bool:
    """Whether the page's `toctree` is Sphinx's own (no extension replaced it), so ours behaves the same."""
    return getattr(function, "__qualname__", "") == "StandaloneHTMLBuilder.handle_page.<locals>.<lambda>"


def _install(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    theme_function = context.get("generate_toctree_html")
    builder = app.builder
    if (theme_function is None or not enabled() or builder.name != "html"
            or not isinstance(builder, StandaloneHTMLBuilder) or not _is_builders_toctree(context.get("toctree"))):
        return
    cache = cache_for(app)

    def cached_sidebar() -> str | None:
        entry = top_level_entry(cache, app.env, pagename)
        if entry is None:
            return None
        if cache.top is None:
            cache.top = _neutral_sidebar(app, builder, templatename, context)
            cache.neutral_renders += 1
        neutral_page = posixpath.join(posixpath.dirname(pagename), NEUTRAL_NAME)
        directory = posixpath.dirname(pagename)
        if directory not in cache.neutral:
            cache.neutral[directory] = relink(cache.top, builder.get_target_uri(NEUTRAL_NAME),
                                              builder.get_target_uri(neutral_page))
        neutral = cache.neutral[directory]
        href = builder.get_relative_uri(neutral_page, entry)
        return None if neutral is None else mark_current(neutral, href, own_entry=entry == pagename)

    @functools.cache  # the theme renders each page's sidebar twice (once to see that it is not empty), as does ours
    def generate_toctree_html(kind: str, startdepth: int = 1, show_nav_level: int = 1, **kwargs: Any) -> Any:
        call = {"kind": kind, "startdepth": startdepth, "show_nav_level": show_nav_level, **kwargs}
        sidebar = cached_sidebar() if call == VERIFIED_CALL else None
        cache.way[pagename] = "cached" if sidebar is not None else "theme"
        return sidebar if sidebar is not None else theme_function(**call)

    context["generate_toctree_html"] = generate_toctree_html


def _report(app: Sphinx, exception: Exception | None) -> None:
    counts = Counter(cache_for(app).way.values())
    if counts:
        logger.info("sidebar navigation: %d pages from the cached sidebar, %d from the theme",
                    counts["cached"], counts["theme"])


def _with_cached_sidebar(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                         doctree: Any) -> None:
    """The theme's `add_toctree_functions`, then our sidebar in place of its `generate_toctree_html`."""
    add_toctree_functions(app, pagename, templatename, context, doctree)
    _install(app, pagename, templatename, context, doctree)


def _take_the_themes_place(app: Sphinx) -> None:
    """Put `_with_cached_sidebar` where the theme's `add_toctree_functions` listens.

    Not a listener of our own at a later priority: the theme's next listener at the same priority
    (`update_and_remove_templates`) already renders the sidebar, to drop templates that render empty.
    """
    listeners = app.events.listeners["html-page-context"]
    for index, listener in enumerate(listeners):
        if listener.handler is add_toctree_functions:
            listeners[index] = listener._replace(handler=_with_cached_sidebar)
            return
    logger.info("sidebar navigation: the theme's add_toctree_functions is not listening; the theme builds every sidebar")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _take_the_themes_place)
    app.connect("build-finished", _report)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

