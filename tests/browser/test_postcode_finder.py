"""The postcode finder in a real browser: real Liverpool postcodes from the shared lookup, typed with
odd spacing and case, give both wards; a malformed or a non-Liverpool postcode gets its message; and
no request leaves the page."""

from __future__ import annotations

import pandas as pd
import pytest

from real_book import REPO

pytestmark = pytest.mark.browser

LOOKUP = (REPO / ".." / "shared" / "open-data" / "liverpool_postcodes_to_ward_DERIVED_onspd.csv").resolve()
PAGE = "book/postcode-finder.html"


def real_postcodes(n: int = 6) -> pd.DataFrame:
    if not LOOKUP.exists():
        pytest.skip(f"shared postcode lookup not found at {LOOKUP}")
    table = pd.read_csv(LOOKUP, dtype=str, keep_default_na=False)
    placed = table[(table["WD22CD_spatial"] != "") & (table["WD25CD_spatial"] != "")]
    sample = placed.sample(n=n, random_state=14)
    clubmoor = placed[placed["WD22NM_spatial"] == "Clubmoor"].head(1)  # a Clubmoor postcode, always
    return pd.concat([clubmoor, sample])


def _typed(postcode: str, k: int) -> str:
    """The same postcode as people type it: lower case, no space, extra spaces."""
    compact = postcode.replace(" ", "")
    return [compact.lower(), f"  {compact[:-3].lower()}   {compact[-3:]} ", compact, postcode][k % 4]


@pytest.fixture()
def finder(base_url: str, browser):
    offsite: list[str] = []
    context = browser.new_context()

    def route(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + PAGE, wait_until="load")

    def ask(text: str) -> str:
        page.get_by_label("Postcode", exact=True).fill(text)
        page.get_by_role("button", name="Find the wards").click()
        answer = page.locator("#cityconv-postcode-answer")
        answer.locator("p").first.wait_for()
        return answer.inner_text()

    yield ask
    page.wait_for_load_state("networkidle")
    context.close()
    assert not errors, errors
    assert not offsite, f"requests off the page: {offsite}"


def test_real_postcodes_give_both_wards(finder):
    for k, row in enumerate(real_postcodes().itertuples()):
        answer = finder(_typed(row.pcd, k))
        assert " ".join(row.pcd.split()) in answer, answer
        assert f"{row.WD22NM_spatial} ({row.WD22CD_spatial})" in answer, (row.pcd, answer)
        assert f"{row.WD25NM_spatial} ({row.WD25CD_spatial})" in answer, (row.pcd, answer)


def test_malformed_and_non_liverpool_postcodes_get_a_message(finder):
    assert "is not a UK postcode" in finder("L1 XYZ")
    assert "is not a UK postcode" in finder("Clubmoor")
    table = pd.read_csv(LOOKUP, dtype=str, keep_default_na=False) if LOOKUP.exists() else None
    outside = "L37 1AA"  # Formby, in Sefton: an L postcode that is not Liverpool's
    if table is not None:
        assert outside not in set(table["pcd"])
    assert "is not a Liverpool postcode" in finder(outside.lower())
    assert "Type a postcode" in finder("   ")
