"""Every chapter runs for any study, and a ward left "not started" does not block the book (issue 22 item 2).

A small fixture project with the real chapter templates: a ward whose survey asked only a rating and a
free-text question (no demographics, no City Conversation question), a ward made by `cityconv new-ward`
and left untouched, and the ward-comparison study. `cityconv build` must exit 0, run every chapter of
the first ward, and leave the second out of the comparison with one line saying so.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nbtools import REPO
from study_book import WARD_TEMPLATES, cityconv, outputs, study_book

QUESTIONNAIRE = """\
title: "Living in Gamma"
ward: "Gamma"
reconstructed: false
introduction: "A short survey of our own."
questions:
  - id: satisfaction
    kind: rating
    text: "How satisfied are you with Gamma as a place to live?"
    short: "Satisfaction with the area"
    options:
      "1": "Very dissatisfied"
      "2": "Dissatisfied"
      "3": "Neither"
      "4": "Satisfied"
      "5": "Very satisfied"
  - id: one_change
    kind: text
    text: "What one thing would you change?"
    short: "One change"
"""

CHANGES = ["More trees on the main road", "Better bus times", "A place for young people to meet",
           "Cleaner streets", "Longer library hours"]


def _project(root: Path) -> Path:
    """The scratch book (tests/study_book.py) with the wards above."""
    study_book(root)
    (root / "params" / "gamma.yml").write_text(
        'id: gamma\nkind: ward\ntitle: Gamma\nward:\n  code: "E05000887"\n  name: Anfield\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/gamma\n', encoding="utf-8")
    gamma = root / "data" / "gamma"
    gamma.mkdir()
    shutil.copy(REPO / "data" / "clubmoor" / "objectives.csv", gamma)
    (gamma / "questionnaire.yml").write_text(QUESTIONNAIRE, encoding="utf-8")
    rows = ["response_id,month,mode,satisfaction"] + [f"S{i},2024-05,online,{1 + (i * 3) % 5}" for i in range(1, 41)]
    (gamma / "survey_responses.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = ["response_id,question,option,text"] + [f"S{i},one_change,,{CHANGES[i % 5]}" for i in range(1, 41, 2)]
    (gamma / "survey_text.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    return root


def in_process(root: Path, *args: str) -> None:
    """A set-up command (`cityconv validate`, `new-ward`) in this process: what it does matters here, not
    its process boundary, and a fresh `cityconv` process costs about 2.5 CPU s of imports."""
    from typer.testing import CliRunner

    from cityconv import cli

    result = CliRunner().invoke(cli.app, [*args, "--root", str(root)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = _project(tmp_path_factory.mktemp("any-study"))
    in_process(root, "validate", "gamma")
    in_process(root, "new-ward", "Clubmoor East")
    return root


@pytest.fixture(scope="module")
def built(project):
    """The one `cityconv build` (a fresh process, as a researcher runs it) both tests read: it runs every
    chapter with the same runner `cityconv run` uses (its progress lines and "Not started" line are the
    same), then renders the book. No check here reads a field kit's PDF, so none is printed (`--skip pdf`;
    the kits' printing is tested in tests/test_field_kit_print.py and by the real book's build)."""
    return cityconv(project, "build", "--skip", "pdf")


@pytest.mark.slow  # runs the real chapter templates
def test_every_chapter_runs_for_a_study_of_its_own_beside_a_ward_not_started(project, built):
    result = built
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Not started: clubmoor-east" in result.stdout and "no data rows" not in result.stdout + result.stderr
    ran = set(re.findall(r"\] ran\s+(\S+)", result.stdout))
    assert {label for label in ran if label.startswith("gamma/")} == {
        f"gamma/{t.split('-', 1)[1]}" for t in WARD_TEMPLATES}
    assert "ward-comparison/ward-comparison" in ran
    assert not any(label.startswith("clubmoor-east/") for label in ran)

    generated = project / "book" / "generated"
    who = outputs(generated / "gamma" / "04-who-took-part.ipynb")
    assert "no age, sex or ethnic group question mapped to Census categories" in who
    summary = outputs(generated / "gamma" / "00-executive-summary.ipynb")
    assert "survey asked questions of its own, so there are none to list here" in summary
    assert "records are still empty" not in summary  # 40 responses: not empty
    comparison = outputs(generated / "ward-comparison" / "30-ward-comparison.ipynb")
    assert "Not started yet, so left out of every comparison: Clubmoor East" in comparison


@pytest.mark.slow  # renders the small book
def test_the_book_builds_beside_a_ward_not_started(project, built):
    result = built
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Book: " in result.stdout  # rendered: the build's last lines, after Jupyter Book's own output
    assert (project / "_build" / "html" / "book" / "generated" / "gamma" / "09-principles-audit.html").exists()
