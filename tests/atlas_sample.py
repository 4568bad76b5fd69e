"""The atlas profiles the browser audits open, declared once for the browser and the HTML checks.

The ward atlas has a profile page for each of 90-odd wards without a study, all made by one template.
Opening every one in Chromium (axe, links, the phone width) repeats the same page with other numbers, so
the browser opens this sample; tests/realbook/test_atlas_profiles_html.py checks every profile as HTML
with the same rules where HTML can show them, and fails if a profile has a shape (its outline of
headings, tables and figures) that no sampled page has, so the sample has to grow with a new shape.
The atlas's index pages and the overview are not profiles: the audits open them always. A ward with a
study (Anfield, Clubmoor) has its profile among its own chapters, which the audits open always too.
"""

from __future__ import annotations

import re

#: book/generated/atlas/<ward code>/…: a profile page of the atlas.
ATLAS_PROFILE = re.compile(r"^book/generated/atlas/(e0\d{7})/")

#: Ward code (lower case, as in the page's folder) -> why it is in the sample.
ATLAS_SAMPLE = {
    "e05000886": "2004–2023 boundaries, first in the index (Allerton and Hunts Cross)",
    "e05000888": "2004–2023 boundaries, a profile-only ward named in its page title (Belle Vale)",
    "e05000915": "2004–2023 boundaries, last in the index (Yew Tree)",
    "e05000889": "2004–2023 boundaries, neighbourhoods changed in 2021: the 2021 neighbourhood table too",
    "e05015291": "2023 boundaries, no 2011 figure, successor of a studied ward (Clubmoor West)",
    "e05015332": "2023 boundaries, the ward with the fewest people (Waterfront North)",
    "e05015333": "2023 boundaries, a ward of a single small area (Waterfront South)",
    "e05015340": "2023 boundaries, last in the index (Yew Tree)",
}


def atlas_ward(page: str) -> str | None:
    """The ward code of an atlas profile page (a path below the built site), else None."""
    match = ATLAS_PROFILE.match(page)
    return match.group(1) if match else None
