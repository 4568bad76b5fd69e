"""The ward atlas in the built real book: every ward code is listed in its index and the built profiles
are linked from it, the sidebar stays short, and the index table sorts in a real browser with our local
script.

Uses the session's build of the real book (tests/real_book.py), whose atlas makes the profile pages of
its declared sample (tests/atlas_sample.py); that the plan has a page for every one of the 94 ward codes is
checked without a build in tests/test_atlas_selection.py, and every ward's profile in-process in
tests/test_profile.py. tests/test_atlas.py checks the same machinery on a handful of wards.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from atlas_sample import ATLAS_SAMPLE
from real_book import REPO

pytestmark = pytest.mark.browser

ATLAS = Path("book") / "generated" / "atlas"
INDEXES = {"2004-2023": ("index-2004-2023.html", 30), "2023-": ("index-2023.html", 64)}


def _index_rows(page: Path) -> dict[str, str | None]:
    """Ward code -> the link its row header holds (None: the ward is listed without a link)."""
    rows = {}
    for cell in re.findall(r'<th scope="row">(.*?)</th>', page.read_text(encoding="utf-8"), re.S):
        code = re.search(r"\((E05\d{6})\)", cell)
        if code:
            link = re.search(r'<a href="([^"]+)">', cell)
            rows[code.group(1)] = link.group(1) if link else None
    return rows


def test_every_ward_code_is_listed_and_each_built_profile_linked_from_its_index(site: Path) -> None:
    from cityconv.chapters.ward_pages import studied_wards
    from cityconv.core.paths import Project

    wards = pd.read_csv(REPO / "data" / "context" / "wards.csv", dtype=str)
    studied = studied_wards(Project(site.parents[1]))
    seen: set[str] = set()
    for boundary_set, (name, n_wards) in INDEXES.items():
        index = site / ATLAS / name
        assert index.is_file(), f"atlas index {name} was not built"
        rows = _index_rows(index)
        codes = set(wards.loc[wards["boundary_set"] == boundary_set, "ward_code"])
        assert set(rows) == codes and len(codes) == n_wards
        built = {c for c in codes if c.lower() in ATLAS_SAMPLE or (boundary_set, c) in studied}
        linked = {code for code, href in rows.items() if href is not None}
        assert linked == built, f"{name}: linked {sorted(linked - built)} without a page, not {sorted(built - linked)}"
        for code in linked:
            target = (index.parent / rows[code]).resolve()
            assert target.is_file(), f"{name}: {code} links to missing {rows[code]}"
            assert code in target.read_text(encoding="utf-8"), f"{rows[code]} is not {code}'s profile"
        seen |= codes
    assert len(seen) == 94


def test_the_sidebar_lists_the_index_pages_not_the_profiles(site: Path) -> None:
    for page in (site / ATLAS / "index-2023.html", site / ATLAS / "e05015291" / "01-ward-profile.html"):
        html = page.read_text(encoding="utf-8")
        nav = html[html.index("bd-sidenav"):]
        nav = nav[: nav.index("</nav>")]
        entries = re.findall(r'<a class="reference internal" href="([^"]+)"', nav)
        profiles = [e for e in entries if "01-ward-profile" in e and "/atlas/" in (page.parent / e).resolve().as_posix()]
        assert not profiles, f"{page.name}: atlas profiles in the sidebar: {profiles[:3]}"
        assert any(e.endswith("index-2004-2023.html") for e in entries)
        assert len(entries) < 94, f"{page.name}: {len(entries)} sidebar entries"


def test_a_profile_only_page_names_its_ward_in_its_title(site: Path) -> None:
    html = (site / ATLAS / "e05000888" / "01-ward-profile.html").read_text(encoding="utf-8")
    assert re.search(r"<title>Ward profile: Belle Vale", html)


def test_the_index_table_sorts_in_the_browser(base_url: str, browser) -> None:
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url) else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(base_url + (ATLAS / "index-2023.html").as_posix(), wait_until="load")
        table = page.locator("table.cityconv-sortable")
        residents = table.get_by_role("button", name="Residents, 2021", exact=True)
        first_column = "(table) => Array.from(table.tBodies[0].rows).map((r) => r.cells[0].textContent.trim())"
        values = "(table) => Array.from(table.tBodies[0].rows).map((r) => r.cells[1].textContent.trim())"

        def numbers() -> list[float]:
            return [float(v.replace(",", "")) for v in table.evaluate(values)[:-1] if v != "[x]"]

        heading = residents.locator("xpath=..")  # the <th> the script put the button in
        residents.click()
        assert heading.get_attribute("aria-sort") == "ascending"
        assert numbers() == sorted(numbers())
        assert table.evaluate(first_column)[-1] == "Liverpool"  # the city row stays last
        shown = table.evaluate(values)[:-1]
        missing = [i for i, v in enumerate(shown) if v == "[x]"]  # a ward with no figure sorts last among wards
        assert missing == list(range(len(shown) - len(missing), len(shown)))
        residents.click()
        assert heading.get_attribute("aria-sort") == "descending"
        assert numbers() == sorted(numbers(), reverse=True)
        table.get_by_role("button", name="Ward", exact=True).click()
        names = table.evaluate(first_column)[:-1]
        assert names[0].startswith("Aigburth") and names[-1].startswith("Yew Tree")
        assert not errors, errors
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}
#: Per stacked table on a page: its caption, whether its box scrolls sideways, the widest cell's right edge
#: against the box's, and each linked ward name's href in the rank table.
_STACKED_JS = """() => Array.from(document.querySelectorAll('div.cityconv-table-stack')).map((box) => {
  const scroll = box.querySelector('.cityconv-table-scroll');
  const right = scroll.getBoundingClientRect().right;
  const cells = Array.from(box.querySelectorAll('td, th[scope=row]'));
  return {
    caption: box.querySelector('caption').textContent.trim().slice(0, 80),
    scrolls: scroll.scrollWidth > scroll.clientWidth + 1,
    overflow: Math.max(...cells.map((c) => c.getBoundingClientRect().right)) - right,
    labelled: cells.filter((c) => c.tagName === 'TD').every((c) => c.dataset.label && getComputedStyle(c, '::before').content !== 'none'),
    links: Array.from(box.querySelectorAll('td a')).map((a) => a.href),
  };
})"""


@pytest.mark.parametrize("path", ["book/generated/atlas/e05015291/01-ward-profile.html",
                                  "book/generated/clubmoor/01-ward-profile.html"])
def test_profile_tables_fit_a_phone_and_rank_names_are_links(base_url: str, browser, site: Path, path: str) -> None:
    """At 390 px the topic tables and the rank table stack (no table scrolls sideways inside its box,
    every value labelled by its column), and the rank table's ward names link to pages that exist (the
    copy builds only the atlas's sample, so only some names are links here; that every name links when
    every page is built: tests/test_profile_links.py)."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(base_url + path, wait_until="load")
        tables = page.evaluate(_STACKED_JS)
    finally:
        context.close()
    assert len(tables) >= 11, [t["caption"] for t in tables]  # ten or more topics and the rank table
    for table in tables:
        assert not table["scrolls"] and table["overflow"] <= 1, table
        assert table["labelled"], table["caption"]
    ranks = [t for t in tables if t["caption"].startswith("Where ")]
    assert len(ranks) == 1
    for link in ranks[0]["links"]:
        target = site / link.removeprefix(base_url).split("#")[0]
        assert target.is_file() and "01-ward-profile" in target.name, link
