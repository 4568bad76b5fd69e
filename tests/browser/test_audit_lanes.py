"""The browser audit's own bookkeeping: one tab visits page after page, and each finding lands on the
page that caused it, never on the page visited before or after (tests/browser/test_book_in_browser.py).

A three-page site served on 127.0.0.1 and audited in one lane, so that the same tab opens all three in
turn: the first page logs an error, loads a missing image and asks for a script off the site; the second
is clean; the third throws.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from served import serve
from test_book_in_browser import _run_audit

from real_book import AXE, require, require_chromium

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p><a href="b.html">Page b</a></p>{body}</main></body></html>
"""

PAGES = {
    "a.html": '<img src="missing.png" alt="a missing picture"><script>console.error("error from a")</script>'
              '<script src="http://example.invalid/tracker.js"></script>',
    "b.html": "<p>Nothing wrong here.</p>",
    "c.html": '<script>throw new Error("thrown by c")</script>',
}


@pytest.fixture
def served(tmp_path: Path):
    for name, body in PAGES.items():
        (tmp_path / name).write_text(PAGE.format(title=name[0].upper(), body=body), encoding="utf-8")
    with serve(tmp_path) as base_url:
        yield tmp_path, base_url


def test_one_tab_visiting_three_pages_puts_each_finding_on_its_own_page(served) -> None:
    require_chromium()
    require(AXE.exists(), f"axe-core not found at {AXE} (run `npm ci`)")
    site, base_url = served
    audit = _run_audit(site, base_url, at_once=1)

    assert sorted(audit) == ["a.html", "b.html", "c.html"]
    a, b, c = audit["a.html"], audit["b.html"], audit["c.html"]
    assert a.console_errors and any("error from a" in e for e in a.console_errors), a.console_errors
    assert any("missing.png" in r for r in a.failed_requests), a.failed_requests
    assert a.offsite_requests == ["http://example.invalid/tracker.js"]
    assert (b.console_errors, b.failed_requests, b.offsite_requests) == ([], [], [])
    assert [e for e in c.console_errors if "thrown by c" in e] and not c.failed_requests
    assert not any("error from a" in e for e in c.console_errors)
    # every page was measured, at desktop width and then on a phone
    for report in (a, b, c):
        assert base_url + "b.html" in report.links
        assert report.phone is not None and report.phone["clientWidth"] <= 390
