"""Fits a phone: no page of the built book scrolls sideways at 390 CSS pixels (an iPhone 12–15 in portrait).

Every page of the real book (built once per session in a copy, `_book.py`) is opened in headless Debian
Chromium at 390 × 844. The page must not be wider than the screen:
`document.scrollingElement.scrollWidth <= clientWidth`. A wide table may still scroll inside its own box
(`div.cityconv-table-scroll`), with its first column kept in view; that is checked for every such table.
On failure the message names the page and the elements that stick out past the right edge.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

#: The widest elements reaching past the right edge of the screen, outermost first, skipping those inside
#: a box that scrolls on its own (they cannot widen the page).
_OVERFLOW_JS = """() => {
  const root = document.scrollingElement;
  const limit = root.clientWidth;
  const scrollsOnItsOwn = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    Array.from(el.classList).slice(0, 3).map((c) => '.' + c).join('');
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 1 || scrollsOnItsOwn(el)) continue;
    if (getComputedStyle(el).position === 'fixed') continue;
    offenders.push(`${name(el)} (right edge ${Math.round(box.right)} px)`);
    if (offenders.length >= 5) break;
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, offenders};
}"""

#: Every wide table box: scrolled to its right end, is its first column still at the box's left edge?
_STICKY_JS = """() => Array.from(document.querySelectorAll('div.cityconv-table-scroll'))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => {
    box.scrollLeft = box.scrollWidth;
    const first = box.querySelector('tbody tr > :first-child');
    const title = (box.querySelector('caption strong') || box).textContent.trim().slice(0, 60);
    if (!first) return {title, offset: null, position: null};
    const offset = first.getBoundingClientRect().left - box.getBoundingClientRect().left;
    box.scrollLeft = 0;
    return {title, offset: Math.round(offset), position: getComputedStyle(first).position};
  })"""


def _pages(site: Path) -> list[str]:
    from test_book_in_browser import audited_pages, redirect_target

    return [p for p in audited_pages(site) if redirect_target(site / p) is None]


@pytest.fixture(scope="module")
def phone_widths(site: Path, base_url: str, browser) -> dict[str, dict]:
    """Page -> what Chromium measured at 390 px wide."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
                  or route.request.url.startswith("data:") else route.abort())
    page = context.new_page()
    measured = {}
    try:
        for path in _pages(site):
            page.goto(base_url + path, wait_until="load")
            page.wait_for_load_state("networkidle")
            measured[path] = page.evaluate(_OVERFLOW_JS)
            measured[path]["wide_tables"] = page.evaluate(_STICKY_JS)
    finally:
        context.close()
    return measured


def test_no_page_scrolls_sideways_on_a_phone(phone_widths: dict[str, dict]) -> None:
    assert len(phone_widths) >= 20, f"expected every page of the book, measured {len(phone_widths)}"
    wide = {path: m for path, m in phone_widths.items() if m["scrollWidth"] > m["clientWidth"]}
    assert not wide, "pages wider than a 390 px phone screen:\n" + "\n".join(
        f"- {path}: {m['scrollWidth']} px > {m['clientWidth']} px; sticking out: "
        f"{', '.join(m['offenders']) or 'nothing found outside a scrolling box'}"
        for path, m in sorted(wide.items())
    )


def test_wide_tables_scroll_in_their_own_box_with_the_first_column_in_view(phone_widths: dict[str, dict]) -> None:
    tables = [(path, t) for path, m in phone_widths.items() for t in m["wide_tables"]]
    assert tables, "expected at least one table wider than a phone screen (the survey and comparison tables are)"
    lost = [f"- {path}: {t['title']!r} (first column {t['position']}, {t['offset']} px from the box's edge)"
            for path, t in tables if t["position"] != "sticky" or t["offset"] is None or abs(t["offset"]) > 1]
    assert not lost, "wide tables whose first column scrolls out of view:\n" + "\n".join(lost)
