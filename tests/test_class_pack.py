"""The class pack: a labelled practice dataset, and worked answers that are the chapters' own numbers."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import class_pack as cp
from cityconv.chapters import explorers as ex
from cityconv.chapters import page_explorers as pe
from cityconv.chapters import statistics_prose, survey
from cityconv.chapters.common import _unescape
from cityconv.chapters.loader import open_chapter
from cityconv.methods import stats

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("class-pack")
    cp.write_class_pack(REPO, out)
    return out


def text_of(html_file: Path) -> str:
    from html import unescape

    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html_file.read_text(encoding="utf-8"))))


def test_practice_dataset_is_the_ward_records_labelled_reconstructed_on_every_row(pack):
    for source, name in cp.DATASET_FILES.items():
        shipped = pd.read_csv(pack / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        original = pd.read_csv(REPO / "data" / "clubmoor" / source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert list(shipped.columns) == ["data_status", *original.columns]
        assert (shipped["data_status"].str.startswith("reconstructed")).all()
        assert "not real responses" in shipped["data_status"].iloc[0]
        pd.testing.assert_frame_equal(shipped.drop(columns="data_status"), original)
    assert "RECONSTRUCTED DATA - NOT REAL RESPONSES" in (pack / "README.txt").read_text(encoding="utf-8")


def test_teacher_sheet_numbers_are_the_chapters_and_explorers(pack):
    sheet = text_of(pack / "teacher-sheet.html")
    sv = survey.from_chapter(open_chapter("clubmoor", REPO))
    plain = lambda md: re.sub(r"\s+", " ", _unescape(md).replace("**", ""))  # noqa: E731
    # the survey chapter's own sentences (notebooks/03-residents-survey.ipynb prints these)
    assert plain(survey.multi_response_text(sv, "best_things")) in sheet
    assert plain(survey.single_answer_text(sv, "recommend")) in sheet
    assert statistics_prose.precision_statement(48) in sheet  # what every survey chapter prints
    # the explorers' own sentences, at the settings the exercises use
    population = ex.load_population("clubmoor", REPO)
    assert ex.precision_summary(48, 0.5, population) in sheet
    young = pe.grid_sampling_state("none", 0.25, 1, 1, 2000, 2020, population)
    assert ex.sampling_bias_summary(young) in sheet
    assert f"{len(sv.responses)} responses" in sheet
    women = int((sv.responses["sex"] == "Female").sum())
    assert f"{women} respondents are women" in sheet
    engine = ex.rule_engine("clubmoor", REPO)
    state = ex.recommendation_state(engine=engine)
    assert f"{len(state.fired)} of the {len(state.rule_ids)} rules fire" in sheet


def test_worksheet_asks_without_giving_the_answers(pack):
    sheet = text_of(pack / "worksheet.html")
    assert "Reconstructed data" in sheet
    assert "±13.6" not in sheet and statistics_prose.precision_statement(48) not in sheet
    assert len(re.findall(r'class="answer-space"', (pack / "worksheet.html").read_text())) >= 14


def test_pages_are_standalone(pack):
    for name in ("worksheet.html", "teacher-sheet.html"):
        page = (pack / name).read_text(encoding="utf-8")
        assert '<html lang="en">' in page and "<title>" in page
        assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from anywhere


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_slides_carry_the_same_numbers_and_the_data_label(pack):
    text = subprocess.run(["pdftotext", str(pack / "slides.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", " ", text)
    assert ex.fmt_pp(stats.half_width(48), 1) in text
    assert f"±5 points would need {ex.fmt_int(ex.sample_size_for(0.05))} responses" in text
    assert "reconstruction" in text and "50-minute" in text


def test_zip_holds_every_file(pack):
    with zipfile.ZipFile(io.BytesIO((pack / "class-pack.zip").read_bytes())) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"class-pack/{p.name}" for p in pack.iterdir()
                               if p.name != "class-pack.zip")
        for name in names:
            assert archive.read(name) == (pack / Path(name).name).read_bytes()


def test_the_pack_is_an_artifact_of_the_plan_only_with_the_teaching_study_and_the_ward(tmp_path):
    """Rebuilt when its inputs change: tests/test_artifact_plan.py (the manifest replaced the stamp)."""
    from cityconv.core.paths import Project
    from cityconv.pipeline.artifacts import class_pack_artifacts

    (tmp_path / "params").mkdir()
    assert class_pack_artifacts(Project(tmp_path)) == []  # no teaching study: no pack
    (tmp_path / "params" / "teaching.yml").write_text("id: teaching\n")
    (tmp_path / "params" / "clubmoor.yml").write_text("id: clubmoor\n")
    (pack_artifact,) = class_pack_artifacts(Project(tmp_path))
    assert pack_artifact.kind == "bundle" and pack_artifact.stage == "book"
    assert {Path(out).name for out in pack_artifact.outputs} == set(cp.file_names())
