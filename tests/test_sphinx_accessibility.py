"""The Sphinx extension that repairs the bibliography's ARIA role."""

from cityconv.pipeline.sphinx_accessibility import FIXED, WRONG_LIST_ROLE, _repair


def test_wrong_list_role_is_removed_and_other_pages_untouched() -> None:
    context = {"body": f"<p>x</p>{WRONG_LIST_ROLE}<div class='citation' role='doc-biblioentry'></div></div>"}
    _repair(None, "book/references", "page.html", context, None)
    assert WRONG_LIST_ROLE not in context["body"] and FIXED in context["body"]
    untouched = {"body": "<div role=\"list\" class=\"other\"></div>"}
    _repair(None, "book/index", "page.html", untouched, None)
    assert untouched["body"] == "<div role=\"list\" class=\"other\"></div>"
