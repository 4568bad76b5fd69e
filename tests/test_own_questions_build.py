"""A ward with questions of its own, of every kind, builds cleanly with the real command line and the real
survey chapter: exit 0, no Sphinx warning (labels are unique per ward and question), each figure with alt
text of its own that names its question, and no section or wording borrowed from the City Conversation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cityconv.pipeline.book import TOC_BEGIN, TOC_END

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "own_questions"
CITYCONV = str(Path(sys.executable).with_name("cityconv"))
WARDS = ("own", "other")  # two wards with the same questions: targets must still be unique in the book


def own_questions_project(root: Path) -> Path:
    """The real config, book furniture and survey chapter; two wards whose data are the fixture's."""
    for name in ("_config.yml", "references.bib"):
        shutil.copy(REPO / name, root / name)
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n- caption: About this book\n  chapters:\n"
        "  - file: book/about-the-data\n  - file: book/references\n" + TOC_BEGIN + "\n" + TOC_END + "\n",
        encoding="utf-8")
    (root / "book").mkdir()
    (root / "book" / "index.md").write_text("# A study of its own\n\nA fixture book.\n", encoding="utf-8")
    for page in ("about-the-data.md", "references.md"):
        shutil.copy(REPO / "book" / page, root / "book" / page)
    for assets in ("_static", "_templates"):
        if (REPO / "book" / assets).is_dir():
            shutil.copytree(REPO / "book" / assets, root / "book" / assets)
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    shutil.copytree(REPO / "data" / "city", root / "data" / "city")
    (root / "params").mkdir()
    for ward, (code, name) in zip(WARDS, (("E05000892", "Clubmoor"), ("E05000887", "Anfield"))):
        shutil.copytree(FIXTURE, root / "data" / ward)
        (root / "params" / f"{ward}.yml").write_text(
            f'id: {ward}\nkind: ward\ntitle: {ward.capitalize()}\nward:\n  code: "{code}"\n  name: {name}\n'
            f'  boundary_set: "2004-2023"\ndata_dir: data/{ward}\nsynthetic: true\n', encoding="utf-8")
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "03-residents-survey.ipynb", root / "notebooks" / "03-residents-survey.ipynb")
    return root


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


def build_own_questions(folder: Path) -> dict:
    """The own-questions project with `own`'s free text coded into themes (`other` uncoded), built once:
    one build serves this file's checks and the coded-themes checks of tests/test_survey_text_themes.py."""
    from test_survey_text_themes import add_coding

    root = folder / "project"
    root.mkdir()
    own_questions_project(root)
    add_coding(root / "data" / "own")
    # no check reads a field kit's PDF: none is printed (kits print in tests/test_field_kit_print.py)
    result = subprocess.run([CITYCONV, "build", "--skip", "pdf", "--root", str(root)], capture_output=True, text=True,
                            timeout=1200)
    return {"root": str(root), "returncode": result.returncode, "output": result.stdout + result.stderr}


def survey_page(book: dict, ward: str) -> str:
    """The ward's built survey page, once the shared build is checked clean: exit 0, no Sphinx warning."""
    output = book["output"]
    assert book["returncode"] == 0, output
    assert not re.search(r"WARNING|Duplicate explicit target|ERROR", output), output
    path = Path(book["root"]) / "_build" / "html" / "book" / "generated" / ward / "03-residents-survey.html"
    return path.read_text(encoding="utf-8")


@pytest.mark.slow  # builds a small book with the real survey chapter
def test_a_ward_with_its_own_questions_builds_cleanly(own_questions_book):
    page = survey_page(own_questions_book, "own")
    images = _Images()
    images.feed(page)
    alts = [alt for alt in images.alts if "chart" in alt.lower() or "histogram" in alt.lower()]
    questions = ["How long have you lived here?", "Which local groups do you belong to?",
                 "How safe do you feel walking here after dark?", "How many years have you lived in this neighbourhood?",
                 "Rank these from most important (1) to least important (4).",
                 "How satisfied are you with each of these services?",
                 "Is there anything else you would like to tell us?"]  # its coded themes (own only)
    assert len(alts) == len(set(alts)) == len(questions), alts
    for alt, question in zip(alts, questions):
        assert question.rstrip("?") in alt, (question, alt)

    main = page[page.index("<main"):page.index("Provenance of this chapter")]  # the chapter, not the book's title
    text = re.sub(r"<[^>]+>", " ", main)
    for borrowed in ("recommend", "Covid", "best things", "Not available", "by age group", "City Conversation"):
        assert borrowed.lower() not in text.lower(), borrowed
    assert "Star Wars fan club" in text and "star Wars" not in text  # labels keep their case
    assert "Is there anything else you would like to tell us?" in text  # the free-text question, with its count
