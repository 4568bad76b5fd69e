"""The sidebar built once per directory (pipeline.sphinx_nav): the marks it adds for a page, when it
hands the page to the theme, and a small book whose HTML is byte-identical with and without it."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from cityconv.pipeline import sphinx_nav as nav

NEUTRAL = (
    '<p aria-level="2" class="caption" role="heading"><span class="caption-text">Part one</span></p>\n'
    '<ul class="nav bd-sidenav">\n'
    '<li class="toctree-l1"><a class="reference internal" href="one.html">One</a></li>\n'
    '</ul>\n'
    '<p aria-level="2" class="caption" role="heading"><span class="caption-text">Part two</span></p>\n'
    '<ul class="nav bd-sidenav">\n'
    '<li class="toctree-l1"><a class="reference internal" href="two.html">Two</a></li>\n'
    '<li class="toctree-l1"><a class="reference internal" href="three.html">Three</a></li>\n'
    '<li class="toctree-l1"><a class="reference internal" href="../b/four.html">Four</a></li>\n'
    '</ul>\n'
)


def test_the_current_page_in_the_middle_of_a_part_is_marked_as_the_theme_marks_it():
    marked = nav.mark_current(NEUTRAL, "three.html", own_entry=True)
    assert marked == NEUTRAL.replace(
        '<ul class="nav bd-sidenav">\n<li class="toctree-l1"><a class="reference internal" href="two.html">',
        '<ul class="current nav bd-sidenav">\n<li class="toctree-l1"><a class="reference internal" href="two.html">',
    ).replace(
        '<li class="toctree-l1"><a class="reference internal" href="three.html">',
        '<li class="toctree-l1 current active"><a class="current reference internal" href="#">',
    )
    assert marked.count("current") == 3  # the first part's list and the other entries keep no mark


def test_a_page_under_a_top_level_entry_marks_that_entry_but_keeps_its_link():
    marked = nav.mark_current(NEUTRAL, "../b/four.html", own_entry=False)
    assert marked is not None
    assert '<li class="toctree-l1 current active"><a class="reference internal" href="../b/four.html">' in marked
    assert 'href="#"' not in marked and marked.count('<ul class="current nav bd-sidenav">') == 1


def test_a_page_not_in_the_sidebar_or_found_twice_is_left_to_the_theme():
    assert nav.mark_current(NEUTRAL, "elsewhere.html", own_entry=True) is None
    twice = NEUTRAL.replace("three.html", "two.html")
    assert nav.mark_current(twice, "two.html", own_entry=True) is None


def test_a_nested_list_or_an_already_marked_sidebar_is_left_to_the_theme():
    nested = NEUTRAL.replace(
        '">Three</a></li>',
        '">Three</a><ul>\n<li class="toctree-l2"><a class="reference internal" href="five.html">Five</a></li>\n'
        "</ul>\n</li>",
    )
    assert nav.mark_current(nested, "three.html", own_entry=True) is None
    marked = nav.mark_current(NEUTRAL, "one.html", own_entry=True)
    assert marked is not None and nav.mark_current(marked, "three.html", own_entry=True) is None


def test_relink_makes_the_top_directorys_links_relative_to_another_directory_and_keeps_the_rest():
    top = ('<ul class="nav bd-sidenav">\n'
           '<li class="toctree-l1"><a class="reference internal" href="book/a/one.html">One</a></li>\n'
           '<li class="toctree-l1"><a class="reference internal" href="book/b/two.html#part">Two</a></li>\n'
           '<li class="toctree-l1"><a class="reference external" href="https://example.org/">Elsewhere</a></li>\n'
           "</ul>\n")
    relinked = nav.relink(top, "neutral.html", "book/a/neutral.html")
    assert relinked == top.replace('href="book/a/one.html"', 'href="one.html"').replace(
        'href="book/b/two.html#part"', 'href="../b/two.html#part"')
    assert nav.relink(top, "neutral.html", "neutral.html") == top
    assert nav.relink(top + '<a href="odd.html">Odd</a>', "neutral.html", "book/neutral.html") is None


def _env(includes: dict[str, list[str]]) -> SimpleNamespace:
    return SimpleNamespace(toctree_includes=includes, config=SimpleNamespace(root_doc="index"))


def test_top_level_entry_follows_a_single_path_from_the_root_and_refuses_anything_else():
    env = _env({"index": ["a/one", "a/two"], "a/two": ["b/child"], "b/child": ["b/grandchild"]})
    assert nav.top_level_entry(nav.SidebarCache(), env, "a/one") == "a/one"
    assert nav.top_level_entry(nav.SidebarCache(), env, "b/grandchild") == "a/two"
    assert nav.top_level_entry(nav.SidebarCache(), env, "index") is None  # the root: no entry of its own
    assert nav.top_level_entry(nav.SidebarCache(), env, "c/orphan") is None
    twice = _env({"index": ["a/one", "a/two"], "a/two": ["a/one"]})
    assert nav.top_level_entry(nav.SidebarCache(), twice, "a/one") is None


# ------------------------------------------------------------------------------------------ a small book

PAGES = {
    "index.rst": "Home\n====\n\n.. toctree::\n   :hidden:\n   :caption: Part one\n\n   a/one\n   a/two\n"
                 "   a/three\n\n.. toctree::\n   :hidden:\n   :caption: Part two\n\n   b/four\n   b/five\n   a/six\n   top\n",
    "a/one.rst": "One\n===\n\nText.\n\nA section\n---------\n\nMore.\n",
    "a/two.rst": "Two\n===\n\n.. toctree::\n   :hidden:\n\n   two-child\n   /b/deep\n",
    "a/two-child.rst": "Two's child\n===========\n\nText.\n",
    "a/three.rst": "Three\n=====\n\nText.\n",
    "a/six.rst": "Six\n===\n\nIn the second part, from the first directory.\n",
    "b/four.rst": "Four\n====\n\nText.\n",
    "b/five.rst": "Five\n====\n\nText.\n",
    "b/deep.rst": "Deep\n====\n\nUnder Two, in another directory.\n",
    "top.rst": "Top\n===\n\nBeside the root page.\n",
    "c/orphan.rst": ":orphan:\n\nOrphan\n======\n\nIn no toctree.\n",
}
CONF = (
    'project = "Sidebar"\nextensions = ["cityconv.pipeline.sphinx_nav"]\nhtml_theme = "sphinx_book_theme"\n'
    'html_theme_options = {"max_navbar_depth": 1, "home_page_in_toc": True}\n'
)


def _render(source: Path, out: Path) -> tuple[nav.SidebarCache, int]:
    """Build the book; its cache and how many times Sphinx resolved the whole toctree for a page."""
    from sphinx.application import Sphinx
    from sphinx.builders.html import StandaloneHTMLBuilder
    from sphinx.util.docutils import docutils_namespace

    resolved = []
    original = StandaloneHTMLBuilder._get_local_toctree

    def counted(self, docname, **kwargs):
        resolved.append(docname)
        return original(self, docname, **kwargs)

    warnings = io.StringIO()
    with docutils_namespace(), pytest.MonkeyPatch.context() as patch:  # node classes afresh, as in a new process
        patch.setattr(StandaloneHTMLBuilder, "_get_local_toctree", counted)
        app = Sphinx(str(source), str(source), str(out / "html"), str(out / "doctrees"), "html",
                     status=io.StringIO(), warning=warnings, freshenv=True)
        app.build()
    assert app.statuscode == 0 and not warnings.getvalue(), warnings.getvalue()
    return nav.cache_for(app), len(resolved)


@pytest.mark.slow
def test_a_small_book_is_byte_identical_with_and_without_the_cache(tmp_path, monkeypatch):
    source = tmp_path / "source"
    for name, text in {**PAGES, "conf.py": CONF}.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv(nav.SWITCH, "0")
    without, resolved_without = _render(source, tmp_path / "without")
    monkeypatch.setenv(nav.SWITCH, "1")
    with_cache, resolved_with = _render(source, tmp_path / "with")

    assert not without.way and not without.neutral
    assert resolved_without == 13 and resolved_with == 1 + 4  # the neutral sidebar, and the pages below
    # Every page in the toc but the root comes from the cache: one neutral sidebar rendered by the theme,
    # relinked for each directory; the root, the orphan, search and genindex are left to the theme.
    assert Counter(with_cache.way.values()) == {"cached": 9, "theme": 4} and with_cache.neutral_renders == 1
    assert {page for page, way in with_cache.way.items() if way == "theme"} == {"index", "c/orphan", "search",
                                                                                 "genindex"}
    assert sorted(with_cache.neutral) == ["", "a", "b"]
    built = {p.relative_to(tmp_path / "without" / "html") for p in (tmp_path / "without" / "html").rglob("*")
             if p.is_file()}
    assert {p.relative_to(tmp_path / "with" / "html") for p in (tmp_path / "with" / "html").rglob("*")
            if p.is_file()} == built
    pages = sorted(p for p in built if p.suffix == ".html")
    assert len(pages) >= len(PAGES)
    # .buildinfo's config hash differs between any two builds in one process, with the cache off both times.
    for page in sorted(built - {Path(".buildinfo")}):
        assert (tmp_path / "with" / "html" / page).read_bytes() == (tmp_path / "without" / "html" / page).read_bytes(), page
    deep = (tmp_path / "with" / "html" / "b" / "deep.html").read_text(encoding="utf-8")
    assert '<li class="toctree-l1 current active"><a class="reference internal" href="../a/two.html">' in deep
