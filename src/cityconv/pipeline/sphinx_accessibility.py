"""A tiny Sphinx extension: accessibility repairs to HTML that Sphinx itself writes.

Sphinx 7 marks the bibliography as `<div role="list" class="citation-list">` whose children are
`role="doc-biblioentry"`, which axe-core reports as a critical `aria-required-children` violation
(a list must contain list items). The entries are already announced as bibliography entries, so we
drop the wrong list role. Loaded through `sphinx: extra_extensions` in `_config.yml`.
"""

from __future__ import annotations

WRONG_LIST_ROLE = '<div role="list" class="citation-list">'
FIXED = '<div class="citation-list">'


def _repair(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if isinstance(body, str) and WRONG_LIST_ROLE in body:
        context["body"] = body.replace(WRONG_LIST_ROLE, FIXED)


def setup(app):
    app.connect("html-page-context", _repair)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
