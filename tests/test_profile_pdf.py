"""`make pdf`'s one-page profiles of profile-only wards (issue 14, item 6), on a handful of wards."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import atlas as pages
from cityconv.chapters import profile_sheet
from cityconv.core.paths import Project
from cityconv.data import context as ctx
from cityconv.pipeline import profile_pdf
from cityconv.present import fmt_int

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"
CLUBMOOR, ANFIELD, CLUBMOOR_EAST = "E05000892", "E05000887", "E05015290"
HANDFUL = {CLUBMOOR, ANFIELD, CLUBMOOR_EAST, ctx.WATERFRONT_NORTH}


def _project(root: Path) -> Project:
    """Clubmoor's params and data, and a context whose ward list is a handful of wards."""
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copytree(CONTEXT, root / "data" / "context")
    wards = pd.read_csv(CONTEXT / "wards.csv", dtype=str, keep_default_na=False)
    keep = wards["ward_code"].isin(HANDFUL | {ctx.CITY_CODE})
    wards[keep].to_csv(root / "data" / "context" / "wards.csv", index=False, lineterminator="\n")
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
    (root / "params").mkdir()
    shutil.copy(REPO / "params" / "clubmoor.yml", root / "params")
    return Project(root)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _text(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())


def test_only_profile_only_wards_get_a_sheet(tmp_path):
    project = _project(tmp_path)
    ids = profile_pdf.profile_ids(project)
    assert sorted(ids) == sorted(pages.atlas_id(c) for c in HANDFUL - {CLUBMOOR})  # Clubmoor has its briefing


def test_the_sheet_carries_the_atlas_figures_the_map_sources_and_data_status(tmp_path):
    project = _project(tmp_path)
    text = profile_sheet.sheet_markdown(pages.atlas_id(ANFIELD), project.root)
    indicators = pages.ward_indicators(project.context_dir, ctx.SET_OLD).set_index("ward_code")
    assert text.startswith("# Ward profile: Anfield\n")
    assert f'<td class="num">{fmt_int(indicators.loc[ANFIELD, "population_2021"])}</td>' in text
    assert f'<td class="num">{fmt_int(indicators.loc[ctx.CITY_CODE, "population_2021"])}</td>' in text
    assert "**Data status:** open data only" in text
    assert '<img src="data:image/png;base64,' in text and 'alt="Map of Liverpool' in text
    assert "ONS Census 2021" in text and "English Indices of Deprivation 2025" in text
    assert "[x]" not in text
    waterfront = profile_sheet.sheet_markdown(pages.atlas_id(ctx.WATERFRONT_NORTH), project.root)
    # from output areas it has Census figures; with no neighbourhood of its own, no deprivation figures
    assert "[x]" in waterfront and "it has no deprivation figures" in " ".join(waterfront.split())


@pytest.mark.pdf
def test_one_a4_page_per_ward_reprinted_only_when_it_changes(tmp_path):
    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists() or not shutil.which("pdfinfo"):
        pytest.skip("needs Chromium and poppler-utils")
    project = _project(tmp_path)
    written = profile_pdf.build_profile_pdfs(project)
    assert sorted(p.name for p in written) == sorted(
        f"profile-{pages.atlas_id(c)}.pdf" for c in HANDFUL - {CLUBMOOR})
    for pdf in written:
        assert _pages(pdf) == 1, pdf.name
    anfield = project.build_dir / "pdf" / f"profile-{pages.atlas_id(ANFIELD)}.pdf"
    text = _text(anfield)
    assert "Ward profile: Anfield" in text and "Data status: open data only" in text and "Sources:" in text
    assert "Clubmoor" in text  # a neighbour, on the map's page

    before = {p: p.stat().st_mtime_ns for p in written}
    assert profile_pdf.build_profile_pdfs(project) == written
    assert {p: p.stat().st_mtime_ns for p in written} == before  # nothing re-printed

    # A params file for Anfield takes it out of the atlas: its one-page profile goes.
    (tmp_path / "params" / "anfield.yml").write_text(
        (REPO / "params" / "anfield.yml").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(REPO / "data" / "anfield", tmp_path / "data" / "anfield")
    profile_pdf.build_profile_pdfs(project)
    assert not anfield.exists()


@pytest.mark.pdf
def test_the_pdf_command_prints_the_profiles_of_the_chosen_wards(tmp_path, monkeypatch):
    """`cityconv pdf` calls the profile printer after the book and briefings (those two stubbed here)."""
    from typer.testing import CliRunner

    from cityconv import cli
    from cityconv.pipeline import pdf
    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("needs Chromium")
    project = _project(tmp_path)

    class Summary:
        failed, failed_wards = [], {}

    monkeypatch.setattr(cli, "_run", lambda *args, **kwargs: Summary())
    monkeypatch.setattr(pdf, "build_book_and_briefings", lambda project: (project.build_dir / "pdf" / "book.pdf", []))
    wanted = pages.atlas_id(ANFIELD)
    result = CliRunner().invoke(cli.app, ["pdf", wanted, "clubmoor", "--root", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "Ward profiles: 1 one-page PDF(s)" in result.output
    assert [p.name for p in (project.build_dir / "pdf").glob("profile-*.pdf")] == [f"profile-{wanted}.pdf"]
