"""On a phone (390 CSS px), the options tables of the recommendations page and the executive summary keep
their grade column in view without scrolling sideways inside the table, their captions wrap inside the
table's box, and the title "Recommendations" stays on one line (book/_static/tables-narrow.css).

Opens Clubmoor's two pages of the real book (`real_book_site`, served by the `base_url` fixture) in
headless Chromium at 390 × 844, with every table box scrolled to its left edge as a reader first sees it.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = ("book/generated/clubmoor/10-recommendations.html", "book/generated/clubmoor/00-executive-summary.html")

#: For each options table: its title, its grade column, and how far the grade cells and the caption
#: reach past the right edge of the table's scrolling box (0 = in view).
_MEASURE_JS = """() => Array.from(document.querySelectorAll('div.cityconv-table-scroll'))
  .filter((box) => (box.getAttribute('aria-label') || '').startsWith('Options for '))
  .map((box) => {
    box.scrollLeft = 0;
    const table = box.querySelector('table');
    const heads = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent.trim());
    const column = heads.findIndex((h) => /grade/i.test(h));
    const edge = box.getBoundingClientRect().right;
    const cells = column < 0 ? [] : Array.from(table.querySelectorAll('tbody tr')).map((tr) => tr.children[column]);
    const past = cells.map((cell) => Math.round(cell.getBoundingClientRect().right - edge));
    const caption = table.querySelector('caption');
    return {title: box.getAttribute('aria-label'), heads, column, rows: cells.length,
            gradePast: Math.max(0, ...past),
            captionPast: caption ? Math.round(caption.getBoundingClientRect().right - edge) : null};
  })"""

#: How many lines the page title's words take, and whether any word is split across two lines.
_TITLE_JS = """() => {
  const h1 = document.querySelector('.bd-article h1');
  const text = Array.from(h1.childNodes).find((n) => n.nodeType === 3 && n.textContent.trim());
  const words = [];
  const source = text.textContent;
  for (const match of source.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
    words.push({word: match[0], lines: tops.size});
  }
  return words;
}"""


@pytest.fixture(scope="module")
def measured(site, base_url: str, browser) -> dict[str, dict]:
    """Page -> the options tables and the title's words, as Chromium lays them out at 390 px."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    out = {}
    try:
        for path in PAGES:
            assert (site / path).exists(), f"{path} is not in the built book"
            page.goto(base_url + path, wait_until="load")
            out[path] = {"tables": page.evaluate(_MEASURE_JS), "title": page.evaluate(_TITLE_JS)}
    finally:
        context.close()
    return out


@pytest.mark.parametrize("path", PAGES)
def test_grade_column_is_in_view_without_scrolling_the_table(measured: dict, path: str) -> None:
    tables = measured[path]["tables"]
    assert tables, f"{path}: no options table (a table titled 'Options for ...')"
    for t in tables:
        assert t["column"] >= 0, f"{path}: {t['title']!r} has no grade column: {t['heads']}"
        assert t["rows"] > 0, f"{path}: {t['title']!r} has no rows"
        assert t["gradePast"] <= 1, (f"{path}: {t['title']!r}: the grade column ends {t['gradePast']} px past the "
                                     "table's box, so a reader must scroll sideways to see it")


@pytest.mark.parametrize("path", PAGES)
def test_captions_wrap_inside_the_table_box(measured: dict, path: str) -> None:
    for t in measured[path]["tables"]:
        assert t["captionPast"] is not None and t["captionPast"] <= 1, (
            f"{path}: {t['title']!r}: the caption ends {t['captionPast']} px past the table's box")


def test_recommendations_title_breaks_only_between_words(measured: dict) -> None:
    words = measured[PAGES[0]]["title"]
    assert [w["word"] for w in words] == ["Recommendations"]
    split = [w["word"] for w in words if w["lines"] != 1]
    assert not split, f"title words broken across lines at 390 px: {split}"
