"""The project's own published implications for policy (issue 23, item 1, first tier): data in
`data/recommendations/implications.csv`, quoted exactly from the findings slides and cited to the slide
they are on, shown first on the recommendations page and in the executive summary, with a next step that
says it is the book's judgement. A ward without its own rows (a simulated ward) shows none.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import recommendations as R
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data.implications import IMPLICATIONS_FILE, load_implications, validate_implications
from cityconv.data.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
SLIDES = REPO.parent / "shared" / "seeds" / "001_7db58e287697ba8a.txt"
ROWS = pd.read_csv(REPO / IMPLICATIONS_FILE, dtype=str, keep_default_na=False)


def flat(text: str) -> str:
    """Slide text with line breaks, hyphenated breaks and runs of space made one space."""
    text = re.sub(r"-\s*\n\s*", "-", text)
    return " ".join(text.split())


@pytest.fixture(scope="module")
def slides() -> str:
    if not SLIDES.exists():
        pytest.skip(f"source documents not found at {SLIDES.parent} (../shared is absent): quotes not checked")
    return flat(SLIDES.read_text(encoding="utf-8"))


@pytest.mark.parametrize("implication_id", list(ROWS["implication_id"]))
def test_each_implication_is_quoted_exactly_from_its_slide(implication_id, slides):
    row = ROWS.set_index("implication_id").loc[implication_id]
    quote = " ".join(row["published_text"].split())
    at = slides.find(quote)
    assert at >= 0, f"{implication_id}: not in the slides word for word: {quote!r}"
    # the extracted slides put each slide's title after its bullets: the next title is this slide's
    titles = set(ROWS["slide"]) | {"What did we find? (project partners)"}
    following = sorted((slides.find(t, at + len(quote)), t) for t in titles if slides.find(t, at + len(quote)) >= 0)
    assert following and following[0][1] == row["slide"], (implication_id, following[:2])
    assert row["source_key"] == "clubmoor_slides_2021"


def test_the_four_published_implications_the_issue_names_are_there():
    text = " ".join(ROWS["published_text"]).lower()
    for words in ("voluntary corps of community researchers", "core dataset across public agencies",
                  "earlier engagement of a wider set of public agencies", "people power partnership"):
        assert words in text, words


def test_the_file_validates_and_its_rules_exist():
    project = Project(REPO)
    rule_ids = {r.id for r in load_rules(REPO / "data" / "recommendations" / "rules.yml", REPO)}
    assert validate_implications(project, rule_ids) == []
    assert set(ROWS["rule_id"]) - {""} <= rule_ids


def _copy(tmp_path: Path) -> Project:
    (tmp_path / IMPLICATIONS_FILE).parent.mkdir(parents=True)
    shutil.copy(REPO / IMPLICATIONS_FILE, tmp_path / IMPLICATIONS_FILE)
    return Project(tmp_path)


def test_bad_rows_are_reported_with_file_row_and_column(tmp_path):
    project = _copy(tmp_path)
    path = tmp_path / IMPLICATIONS_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace(",researcher-corps,", ",researcher-corp,")
    lines[2] = lines[2].replace("core_dataset,clubmoor,A core dataset across agencies,", "core_dataset,clubmoor,,")
    path.write_text("\n".join(lines), encoding="utf-8")
    problems = validate_implications(project, {"researcher-corps", "data-sharing", "early-wider-agencies"})
    by_cell = {(p.row, p.column): p for p in problems}
    assert by_cell[(2, "rule_id")].value == "researcher-corp" and by_cell[(2, "rule_id")].file == str(IMPLICATIONS_FILE)
    assert (3, "title") in by_cell
    with pytest.raises(InputError):
        load_implications(project, "clubmoor")


def test_a_book_without_the_file_has_no_published_recommendations(tmp_path):
    project = Project(tmp_path)
    assert validate_implications(project, set()) == [] and load_implications(project, "clubmoor").empty


# --- on the pages ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clubmoor():
    return R.load("clubmoor", REPO)


def test_the_page_states_them_first_quoted_cited_with_the_books_next_step(clubmoor):
    text = R.published_text(clubmoor)
    for _, row in ROWS[ROWS["study_id"] == "clubmoor"].iterrows():
        assert f"“{row['published_text']}”" in text
        assert f"(slide “{row['slide']}” {{cite:p}}`{row['source_key']}`)" in text
        assert row["next_step"] in text
    assert text.count("*Next step (the book's judgement):*") == len(ROWS[ROWS["study_id"] == "clubmoor"])
    assert "recommendations" in text.split("\n\n", 1)[0]  # said as the project's recommendations
    summary = R.summary_text(clubmoor)
    assert "in two tiers: first the 4 the\nproject itself published" in summary


def test_the_executive_summary_lists_them_before_the_options():
    from cityconv.chapters import summary as S

    s = S.load_summary("clubmoor", REPO)
    text = S.recommendations_text(s)
    first = text.index("The project itself recommended 4 things")
    assert all(text.index(f"- {t}") > first for t in ROWS["title"])
    assert text.index("- A role for the People Power Partnership") < text.index("rules for such options")


def test_a_simulated_ward_borrows_none():
    anfield = R.load("anfield", REPO)
    assert anfield.published.empty
    text = R.published_text(anfield)
    assert "has made recommendations of its own" in text
    assert not any(row in text for row in ROWS["published_text"])
    assert "published" not in (text + R.summary_text(anfield)).lower()  # a simulated ward has published nothing
