"""The field kit prints for the doorstep: no contents list, a box per answer without bullets, write-in
lines, the ward and page numbers in the footer, and a tear-off slip with the response number the
consent form refers to. Checked in the PDF's text (poppler), as printed by the book's own printer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cityconv.data.questionnaire import ward_questionnaire
from cityconv.generate import fieldkit
from cityconv.pipeline import fieldkit_book

REPO = Path(__file__).resolve().parents[1]


def test_questionnaire_markdown_has_boxes_without_bullets_and_write_in_lines() -> None:
    questionnaire, problems = ward_questionnaire(REPO / "data" / "clubmoor", REPO)
    assert not problems
    text = fieldkit.document_markdown("questionnaire", questionnaire)
    assert not re.search(r"^\s*[-*] ☐", text, flags=re.MULTILINE)  # no list item carries a box
    boxes = len(re.findall(r"^☐ ", text, flags=re.MULTILINE))
    assert boxes == sum(len(q.options) for q in questionnaire.questions)  # one box per answer
    assert re.search(r"^☐ Other \(please write in\): _{20,}", text, flags=re.MULTILINE)
    assert "Participant slip" in text and "Your response number: ____" in text
    consent = fieldkit.document_markdown("information-and-consent", questionnaire)
    assert "response number on my participant slip" in consent


@pytest.mark.browser
def test_printed_questionnaire_and_consent_form(tmp_path: Path) -> None:
    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists() or not shutil.which("pdftotext"):
        pytest.skip("needs Chromium and poppler-utils")
    questionnaire, _ = ward_questionnaire(REPO / "data" / "clubmoor", REPO)
    fieldkit.write_field_kit(tmp_path, questionnaire, "clubmoor")
    assert fieldkit_book.print_documents(tmp_path)

    def text(name: str) -> str:
        out = subprocess.run(["pdftotext", "-layout", str(tmp_path / f"{name}.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
        return out

    printed = text("questionnaire")
    pages = printed.split("\f")
    assert "Contents" not in printed and "Skip to main content" not in printed
    assert "•" not in printed
    assert "<div" not in printed and "</div>" not in printed  # the slip's wrapper is markup, not text
    assert re.search(r"Other \(please write in\): _{20,}", printed)
    assert "Participant slip" in printed and re.search(r"Your response number: _{6,}", printed)
    assert re.search(r"response number _+ \(write the same number on the slip below\)", " ".join(printed.split()))
    for number, page in enumerate([p for p in pages if p.strip()], start=1):
        assert "Questionnaire: Clubmoor" in page and f"Page {number} of" in page
    consent = " ".join(text("information-and-consent").split())
    assert "response number on my participant slip" in consent and "Contents" not in consent


def test_the_printed_questionnaire_lays_out_every_kind_of_question() -> None:
    from cityconv.data.questionnaire import load_questionnaire

    fixture = REPO / "tests" / "fixtures" / "own_questions"
    text = fieldkit.document_markdown("questionnaire", load_questionnaire(fixture / "questionnaire.yml", REPO))
    section = {m.group(1): m.group(2) for m in re.finditer(r"^## \d+\. (.+?)\n(.*?)(?=^## |\Z)", text, re.M | re.S)}
    assert "☐ Under a year" in section["How long have you lived here?"]
    assert "☐ Don't know" in section["How long have you lived here?"]  # a missing code is a box of its own
    assert "☐ Other, please specify: ____" in section["Which local groups do you belong to?"]  # its `other` option
    assert "☐ Star Wars fan club" in section["Which local groups do you belong to?"]  # labels keep their case
    numeric = section["How many years have you lived in this neighbourhood?"]
    assert "*Write a whole number from 0 to 99, or tick a box.*" in numeric and "\\_ years" in numeric
    ranking = section["Rank these from most important (1) to least important (4)."]
    assert re.findall(r"^\\_\\_\\_\\_ (\w+)$", ranking, re.M) == ["Parks", "Buses", "Shops", "Libraries"]
    grid = section["How satisfied are you with each of these services?"]
    assert "| | Not satisfied | Fairly satisfied | Very satisfied | \n|---|:-:|:-:|:-:|\n| Bin collection | ☐ | ☐ | ☐ |" in grid
    assert len(re.findall(r"^(?:\\_){60,}$", section["Is there anything else you would like to tell us?"], re.M)) == 3
    assert "\n\n\n" not in text


@pytest.mark.browser
def test_prints_inside_one_block_share_one_browser_and_a_lone_print_starts_its_own(tmp_path: Path, monkeypatch) -> None:
    """A build prints all its kits with one Chromium (`one_browser`, opened by the artifact build)."""
    from cityconv.pipeline import print_html
    from cityconv.pipeline.chromium import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("needs Chromium")
    monkeypatch.setenv("CITYCONV_PRINT_CACHE", "0")  # the lone print of an unchanged page would be a cache hit
    launches = []
    real_launch = print_html.launch
    monkeypatch.setattr(print_html, "launch", lambda playwright: launches.append(1) or real_launch(playwright))
    pages = []
    for name in ("first", "second"):
        page = tmp_path / f"{name}.html"
        page.write_text(f"<!doctype html><title>{name}</title><h1>The {name} page</h1>", encoding="utf-8")
        pages.append(page)
    with print_html.one_browser():
        assert launches == []  # nothing printed yet: no browser started
        print_html.print_pages([(pages[0], tmp_path / "first.pdf")])
        print_html.print_pages([(pages[1], tmp_path / "second.pdf")])
    assert len(launches) == 1
    print_html.print_pages([(pages[0], tmp_path / "alone.pdf")])
    assert len(launches) == 2
    for name in ("first", "second", "alone"):
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob(".*.tmp"))
