"""`make pdf`: a one-page A4 profile for each profile-only ward of the atlas (issue 14, item 6).

A ward with engagement data has its briefing (`cityconv.pipeline.pdf`); every other ward code of both
boundary sets gets `_build/pdf/profile-<code>.pdf`, printed by the same headless Chromium from the
sheet `cityconv.chapters.profile_sheet` makes (key indicators beside the city's, the map, sources,
the data-status line). Nothing is executed in a kernel; the sheet reads the derived context tables.
A sheet is re-printed only when it changed, and sheets of wards that left the atlas are removed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from cityconv.chapters import atlas as pages
from cityconv.chapters.profile_sheet import sheet_html
from cityconv.core.params import load_all
from cityconv.core.paths import Project
from cityconv.pipeline.atlas import profile_only_wards
from cityconv.pipeline.pdf import pdf_dir
from cityconv.pipeline.print_html import print_pages

PROFILE_PATTERN = "profile-{id}.pdf"
SOURCE_DIRNAME = "profile-sheets"  # the printed HTML, under _build/, kept to skip unchanged sheets


def profile_ids(project: Project) -> list[str]:
    """Atlas ids (`e05000887`) of every profile-only ward, in the order of `wards.csv`."""
    studies, _ = load_all(project)
    return [pages.atlas_id(code) for code, _, _ in profile_only_wards(project, studies)]


def build_profile_pdfs(project: Project, ids: list[str] | None = None) -> list[Path]:
    """Print the one-page profile of each profile-only ward (or of those in `ids`); returns the PDFs.

    With `ids` unset, PDFs of wards no longer profile-only (a params file was added) are removed.
    """
    wanted = profile_ids(project)
    chosen = wanted if ids is None else [i for i in wanted if i in set(ids)]
    out_dir = pdf_dir(project)
    sheets = project.build_dir / SOURCE_DIRNAME
    sheets.mkdir(parents=True, exist_ok=True)
    to_print, results = [], []
    for study_id in chosen:
        page = sheets / f"{study_id}.html"
        target = out_dir / PROFILE_PATTERN.format(id=study_id)
        text = sheet_html(study_id, project.root)
        if not target.exists() or not page.exists() or page.read_text(encoding="utf-8") != text:
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=sheets, suffix=".html", delete=False) as tmp:
                tmp.write(text)
            Path(tmp.name).replace(page)
            to_print.append((page, target))
        results.append(target)
    print_pages(to_print)
    if ids is None and out_dir.is_dir():
        keep = {p.name for p in results}
        for stale in out_dir.glob(PROFILE_PATTERN.format(id="*")):
            if stale.name not in keep:
                stale.unlink()
    return results
