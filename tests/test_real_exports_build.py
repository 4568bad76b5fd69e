"""Each real export becomes a ward whose chapters all run and whose book builds without a warning (issue 22).

One scratch book (tests/study_book.py) holds two wards per export in ../shared/real-exports/, each a
real Liverpool ward scaffolded by new-ward and filled as docs/importing.md says: one with the docs'
questionnaire and mapping for that export, one with the unedited `--draft`; then `cityconv codebook`.
One `cityconv build` of the whole book (fourteen wards: one build, not one per path) must exit 0
without a warning and publish every chapter of every ward; the survey chapters must report the
study's own questions without the City Conversation's words. (The counts of both paths are checked
against the raw files in tests/test_real_exports.py, without a build.)
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.data.wardfiles import known_files, required_files
from cityconv.generate.import_survey import import_survey
from cityconv.generate.scaffold import new_ward, slugify
from cityconv.generate.survey_draft import write_draft
from cityconv.pipeline.fieldkit_book import rewrite_codebook
from exports import EXPORTS, SHARED, use_docs_files
from study_book import WARD_TEMPLATES, cityconv, study_book

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared real exports are not here ({SHARED}): "
                                "these tests read ../shared/real-exports, which is not part of the repository")

# export -> how its survey files are made -> a real Liverpool ward (not Clubmoor). Each export becomes two
# wards of the one book: one from the docs' questionnaire and mapping, one from the unedited --draft.
WARDS = {
    "ms-forms": {"docs": "Anfield", "draft": "Belle Vale"},
    "google-forms": {"docs": "Childwall", "draft": "Everton"},
    "surveymonkey": {"docs": "Kirkdale", "draft": "Croxteth"},
    "qualtrics-2017": {"docs": "Greenbank", "draft": "Warbreck"},
    "qualtrics-legacy": {"docs": "County", "draft": "Knotty Ash"},
    "kobotoolbox": {"docs": "Norris Green", "draft": "Fazakerley"},
    "limesurvey": {"docs": "Picton", "draft": "Wavertree"},
}
BUILT = [(tool, how, name) for tool, ways in WARDS.items() for how, name in ways.items()]
BORROWED = ("City Conversation", "Clubmoor", "recommend the area", "Covid", "best things", "Not available")


def fill_ward(project: Project, tool: str, name: str, how: str) -> None:
    """new-ward, then the survey files from the export as a researcher following docs/importing.md makes them."""
    new_ward(project, name)
    data = project.data_dir / slugify(name)
    export = SHARED / EXPORTS[tool]
    if how == "draft":
        write_draft(data, export, project.root, name)
    else:
        use_docs_files(data, tool, name)
    import_survey(data, export, data / "survey-mapping.yml", project.root)
    rewrite_codebook(data, project.root)
    finish_ward_files(data, tool)


def finish_ward_files(data: Path, tool: str) -> None:
    """The rest of new-ward's "Next:" steps: the required objectives filled in, empty optional templates deleted."""
    objective = {"objective_id": "report_answers",
                 "objective": "Report what the respondents to this published survey answered, question by question",
                 "target": "", "delivered": "", "unit": "", "status": "not quantified",
                 "explanation": "A test of the importer: the records are a survey export other people published "
                                "(see PROVENANCE.md beside it), imported unedited; the study set no target.",
                 "delivered_basis": "project interpretation", "source_key": tool.replace("-", "_") + "_export",
                 "location": "PROVENANCE.md"}
    with open(data / "objectives.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(objective))
        writer.writeheader()
        writer.writerow(objective)
    for stem in known_files():
        path = data / f"{stem}.csv"
        if stem not in required_files() and path.is_file() and len(path.read_text(encoding="utf-8").splitlines()) <= 1:
            path.unlink()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str, float]:
    project = Project(study_book(tmp_path_factory.mktemp("real-exports")))
    for tool, how, name in BUILT:
        fill_ward(project, tool, name, how)
    started = time.monotonic()
    result = cityconv(project.root, "build", "--jobs", "2")
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return project.root, output, seconds


@pytest.mark.slow  # runs every chapter of fourteen wards and renders the book
def test_each_real_exports_ward_builds_without_a_warning(built) -> None:
    root, output, seconds = built
    print(f"build of {len(BUILT)} wards: {seconds:.0f} s")
    assert not re.search(r"WARNING|ERROR|Traceback", output), output
    html = root / "_build" / "html" / "book" / "generated"
    for _, _, name in BUILT:
        for template in WARD_TEMPLATES:
            if template != "11-ward-findings":  # the findings run feeds other chapters; it is not a page
                assert (html / slugify(name) / f"{template}.html").is_file(), f"{name}: {template} not published"


@pytest.mark.slow
def test_each_survey_chapter_reports_its_own_questions_in_no_borrowed_words(built) -> None:
    root, _, _ = built
    for tool, how, name in BUILT:
        page = (root / "_build" / "html" / "book" / "generated" / slugify(name) / "03-residents-survey.html").read_text(encoding="utf-8")
        main = page[page.index("<main"):page.index("Provenance of this chapter")]
        text = " ".join(re.sub(r"<[^>]+>", " ", main).split())
        for borrowed in BORROWED:
            assert borrowed.lower() not in text.lower(), (tool, how, borrowed)
