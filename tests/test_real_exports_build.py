"""Each real export becomes a ward whose chapters all run and whose book builds without a warning (issue 22).

Each export in ../shared/real-exports/ is made into two wards, each a real Liverpool ward scaffolded by
new-ward and filled as docs/importing.md says: one with the docs' questionnaire and mapping for that
export, one with the unedited `--draft`; then `cityconv codebook`. Fourteen (export, path) pairs, checked
in two ways so that every pair has its chapters run and the book is built only once, with half of them:

- the book: one ward per export (IN_BOOK: the docs path for four exports, the draft for three, so both
  paths are in it) in one scratch book (tests/study_book.py). One `cityconv build` must exit 0 without a
  warning and publish every chapter of every ward; each residents' survey page must report the study's
  own questions without the City Conversation's words (BORROWED).
- the other seven pairs, in this process and without a kernel, in a second scratch project: every chapter
  template's code cells run as the kernel would run them (`run_template_here`: the template's own cells,
  its parameter replaced, what it shows collected), the ward findings first, saved where the pipeline saves
  them, as the later chapters read them. None may raise, and what the residents' survey shows must hold no
  borrowed words either. Each pair's field kit is written from its questionnaire and printed to PDF, as the
  build does for the wards of the book. What these pairs skip is only the Sphinx render of their pages,
  which is the same render the book's seven wards (one of each export) go through.

A build costs about twice the CPU of running the same chapters here (a kernel per worker and per 25
notebooks, the render, a PDF per kit), so the second half of the pairs is run here. (The counts of both
paths are checked against the raw files in tests/test_real_exports.py, without a build.)
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import IPython.display
import matplotlib
import nbformat
import pytest

from cityconv.chapters.findings import ARTIFACT_NAME
from cityconv.core.paths import Project
from cityconv.data.questionnaire import ward_questionnaire
from cityconv.data.wardfiles import known_files, required_files
from cityconv.generate import fieldkit
from cityconv.generate.import_survey import import_survey
from cityconv.generate.scaffold import new_ward, slugify
from cityconv.generate.survey_draft import write_draft
from cityconv.pipeline.fieldkit_book import document_names, rewrite_codebook
from cityconv.pipeline.print_html import print_pages
from cityconv.pipeline.runner import build_plan
from cityconv.present.mime import ARTIFACT_MIME
from exports import EXPORTS, SHARED, use_docs_files
from real_book import require_chromium
from study_book import WARD_TEMPLATES, cityconv, study_book

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared real exports are not here ({SHARED}): "
                                "these tests read ../shared/real-exports, which is not part of the repository")

# export -> how its survey files are made -> a real Liverpool ward (not Clubmoor). Each export becomes two
# wards: one from the docs' questionnaire and mapping, one from the unedited --draft.
WARDS = {
    "ms-forms": {"docs": "Anfield", "draft": "Belle Vale"},
    "google-forms": {"docs": "Childwall", "draft": "Everton"},
    "surveymonkey": {"docs": "Kirkdale", "draft": "Croxteth"},
    "qualtrics-2017": {"docs": "Greenbank", "draft": "Warbreck"},
    "qualtrics-legacy": {"docs": "County", "draft": "Knotty Ash"},
    "kobotoolbox": {"docs": "Norris Green", "draft": "Fazakerley"},
    "limesurvey": {"docs": "Picton", "draft": "Wavertree"},
}
# The path of each export whose ward is in the book, alternating so that both paths are built; the other
# is run here. Which goes where is otherwise free: the wards whose survey chapter draws the most charts
# (the LimeSurvey draft, 26) run here, where a chart costs less than in a kernel and a render.
IN_BOOK = {"ms-forms": "docs", "google-forms": "draft", "surveymonkey": "docs", "qualtrics-2017": "draft",
           "qualtrics-legacy": "docs", "kobotoolbox": "draft", "limesurvey": "docs"}
BUILT = [(tool, how, WARDS[tool][how]) for tool, how in IN_BOOK.items()]
RUN_HERE = [(tool, how, name) for tool, ways in WARDS.items() for how, name in ways.items() if how != IN_BOOK[tool]]
BORROWED = ("City Conversation", "Clubmoor", "recommend the area", "Covid", "best things", "Not available")
FINDINGS_TEMPLATE = "11-ward-findings"  # its findings are read by the summary, the audit and the recommendations


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


def without_borrowed_words(text: str, where: tuple[str, ...]) -> None:
    for borrowed in BORROWED:
        assert borrowed.lower() not in text.lower(), (*where, borrowed)


def run_template_here(root: Path, study_id: str, template: str, environment: dict[str, str]) -> list[tuple[dict, dict]]:
    """Run a chapter template's code cells in this process as the kernel runs them; what it shows, in order.

    As `cityconv run` does: the project's root as the working folder, the kernel's `environment` from the
    run's plan (`RunTask.kernel_environment`: the root, and the data folders the plan validated, which the
    loaders then do not check again), the parameters
    cell replaced by the study's id, each cell in turn in one namespace; what the template displays (the
    package displays only through `IPython.display.display`) is collected instead of sent to a notebook.
    The artifact a template produces (the ward findings) is saved where the pipeline saves it. Matplotlib's
    settings (the house style) are restored afterwards, so later tests in this process draw as before.
    """
    shown: list[tuple[dict, dict]] = []
    notebook = nbformat.read(root / "notebooks" / f"{template}.ipynb", as_version=4)
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as patch, matplotlib.rc_context():
        patch.chdir(root)
        for name, value in environment.items():
            patch.setenv(name, value)
        patch.setattr(IPython.display, "display",
                      lambda obj, raw=False, metadata=None, **_: shown.append((obj, metadata or {})))
        for cell in notebook.cells:
            if cell.cell_type == "code":
                parameters = "parameters" in cell.get("metadata", {}).get("tags", [])
                source = f"study_id = {study_id!r}" if parameters else cell.source
                exec(compile(source, f"{template}.ipynb", "exec"), namespace)  # noqa: S102 - our own template
    artifacts = [bundle[ARTIFACT_MIME] for bundle, _ in shown if ARTIFACT_MIME in bundle]
    produces = notebook.metadata.get("cityconv", {}).get("produces")
    if produces:
        assert produces == ARTIFACT_NAME and artifacts, f"{study_id}: {template} showed no {produces}"
        path = Project(root).generated_dir / study_id / produces
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(artifacts[-1], indent=1, sort_keys=True), encoding="utf-8")
    return shown


def shown_text(notebook: nbformat.NotebookNode, shown: list[tuple[dict, dict]]) -> str:
    """What a reader of the page would read: the template's Markdown cells, then every text shown (HTML untagged, captions)."""
    parts = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    for bundle, metadata in shown:
        parts += [str(bundle.get("text/markdown", "")), re.sub(r"<[^>]+>", " ", str(bundle.get("text/html", "")))]
        parts += [json.dumps(metadata, ensure_ascii=False)]  # figure captions (and alt text) travel here
    return " ".join(" ".join(parts).split())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str, float]:
    project = Project(study_book(tmp_path_factory.mktemp("real-exports")))
    for tool, how, name in BUILT:
        fill_ward(project, tool, name, how)
    started = time.monotonic()
    # One notebook worker (the session's CITYCONV_JOBS): a second adds its process and its kernels' starts,
    # CPU that the suite's two xdist workers cannot spare; running two chapters at once is the real book's
    # build's (`--jobs 2`, tests/real_book.py).
    result = cityconv(project.root, "build", "--jobs", "1")
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return project.root, output, seconds


@pytest.fixture(scope="module")
def run_here(tmp_path_factory) -> tuple[Path, dict[str, dict[str, str]]]:
    """The other pair of each export, in a scratch project of its own: every chapter run here; ward -> template -> text."""
    project = Project(study_book(tmp_path_factory.mktemp("real-exports-here")))
    texts: dict[str, dict[str, str]] = {}
    for tool, how, name in RUN_HERE:
        fill_ward(project, tool, name, how)
    # The plan `cityconv run` would make: every ward's files valid, and what each kernel would be handed.
    plan = build_plan(project, [slugify(name) for _, _, name in RUN_HERE])
    assert not plan.problems and not plan.failed_wards and not plan.not_started, plan.problems
    environments = {(task.study_id, task.template_path.stem): task.kernel_environment() for task in plan.tasks}
    for _, _, name in RUN_HERE:
        ward = slugify(name)
        texts[ward] = {}
        for template in (FINDINGS_TEMPLATE, *(t for t in WARD_TEMPLATES if t != FINDINGS_TEMPLATE)):
            shown = run_template_here(project.root, ward, template, environments[ward, template])
            notebook = nbformat.read(project.root / "notebooks" / f"{template}.ipynb", as_version=4)
            texts[ward][template] = shown_text(notebook, shown)
    return project.root, texts


@pytest.mark.slow  # runs every chapter of seven wards and renders the book
def test_each_real_exports_ward_builds_without_a_warning(built) -> None:
    root, output, seconds = built
    print(f"build of {len(BUILT)} wards: {seconds:.0f} s")
    assert not re.search(r"WARNING|ERROR|Traceback", output), output
    html = root / "_build" / "html" / "book" / "generated"
    for _, _, name in BUILT:
        for template in WARD_TEMPLATES:
            if template != FINDINGS_TEMPLATE:  # the findings run feeds other chapters; it is not a page
                assert (html / slugify(name) / f"{template}.html").is_file(), f"{name}: {template} not published"
    assert {how for how in IN_BOOK.values()} == {"docs", "draft"}, "both ways of making the survey files are built"


@pytest.mark.slow
def test_each_survey_chapter_reports_its_own_questions_in_no_borrowed_words(built) -> None:
    root, _, _ = built
    for tool, how, name in BUILT:
        page = (root / "_build" / "html" / "book" / "generated" / slugify(name) / "03-residents-survey.html").read_text(encoding="utf-8")
        main = page[page.index("<main"):page.index("Provenance of this chapter")]
        without_borrowed_words(" ".join(re.sub(r"<[^>]+>", " ", main).split()), (tool, how))


@pytest.mark.slow  # runs every chapter of seven wards, in this process
def test_the_other_pair_of_each_export_runs_every_chapter_in_its_own_words(run_here) -> None:
    """Every chapter ran (a template that raised fails the fixture); the survey chapter shows the study's questions."""
    root, texts = run_here
    assert sorted(tool for tool, _, _ in RUN_HERE) == sorted(WARDS), "one pair of each export is run here"
    for tool, how, name in RUN_HERE:
        ward = slugify(name)
        assert list(texts[ward]) == [FINDINGS_TEMPLATE, *(t for t in WARD_TEMPLATES if t != FINDINGS_TEMPLATE)]
        assert (Project(root).generated_dir / ward / ARTIFACT_NAME).is_file(), f"{name}: no findings saved"
        survey = texts[ward]["03-residents-survey"]
        questionnaire, problems = ward_questionnaire(root / "data" / ward, root)
        assert questionnaire is not None and not problems, (tool, how, problems)
        asked = [q for q in questionnaire.questions if q.text]
        assert asked and any(q.text[:40] in survey for q in asked), f"{name}: none of its own questions is reported"
        without_borrowed_words(survey, (tool, how))


@pytest.mark.slow  # prints seven field kits with Chromium
def test_the_other_pair_of_each_export_gets_a_printed_field_kit(run_here, tmp_path) -> None:
    """As the build makes a field kit for each ward of the book: the kit's documents from this pair's questionnaire, printed."""
    require_chromium()
    root, _ = run_here
    pages = []
    for _, _, name in RUN_HERE:
        ward = slugify(name)
        questionnaire, problems = ward_questionnaire(root / "data" / ward, root)
        assert questionnaire is not None and not problems, (name, problems)
        fieldkit.write_field_kit(tmp_path / ward, questionnaire, ward)
        pages += [(tmp_path / ward / f"{doc}.html", tmp_path / ward / f"{doc}.pdf") for doc in document_names()]
    printed = print_pages(pages, footer=fieldkit.PRINT_FOOTER)
    assert [Path(p) for p in printed] == [pdf for _, pdf in pages]
    for _, pdf in pages:
        assert pdf.read_bytes().startswith(b"%PDF"), pdf
