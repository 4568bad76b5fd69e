"""Double coding: the second-coder column, Cohen's kappa, and the interviews chapter's report of it."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from cityconv.chapters import interviews
from cityconv.chapters.loader import open_chapter
from cityconv.data.wardfiles import validate_data_dir
from cityconv.methods.stats import cohens_kappa
from nbtools import add_ward

REPO = Path(__file__).resolve().parents[1]


def test_kappa_matches_a_hand_computed_value():
    # 10 items: both yes 4, first only 1, second only 1, both no 4 -> po = 0.8, pe = 0.5, kappa = 0.6
    first = [True] * 5 + [False] * 5
    second = [True] * 4 + [False] + [True] + [False] * 4
    assert cohens_kappa(first, second) == pytest.approx(0.6)
    assert cohens_kappa([True, False], [True, False]) == pytest.approx(1.0)
    assert cohens_kappa([True, True], [True, True]) is None  # chance agreement is already perfect
    assert cohens_kappa([], []) is None
    with pytest.raises(ValueError):
        cohens_kappa([True], [])


def _double_code(path: Path, interviews_coded: list[str]) -> None:
    """Mark the first coder's themes of some interviews as agreed, one as missed, and add one second-only theme."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    seen = set()
    for row in rows:
        if row["interview_id"] in interviews_coded:
            row["second_coder"] = "disagree" if row["interview_id"] not in seen else "agree"
            seen.add(row["interview_id"])
    taken = {(r["interview_id"], r["theme"]) for r in rows}
    extra = next(t for t in ("community_voice", "meet_agencies", "green_spaces") if (interviews_coded[0], t) not in taken)
    rows.append({"interview_id": interviews_coded[0], "theme": extra, "second_coder": "second_only"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["interview_id", "theme", "second_coder"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_the_chapter_reports_kappa_and_counts_only_the_first_coder(tmp_path):
    add_ward(tmp_path, "w")
    shutil.copytree(REPO / "data" / "context", tmp_path / "data" / "context")
    before = interviews.interview_summary(open_chapter("w", tmp_path)).raised.copy()
    assert interviews.coding_agreement_text(interviews.interview_summary(open_chapter("w", tmp_path))) is None
    _double_code(tmp_path / "data" / "w" / "interview_themes.csv", ["I01", "I02", "I03", "I04", "I05"])
    assert validate_data_dir(tmp_path / "data" / "w", tmp_path) == []
    s = interviews.interview_summary(open_chapter("w", tmp_path))
    assert s.raised.equals(before)  # a theme only the second coder found is not counted
    text = interviews.coding_agreement_text(s)
    assert "Two researchers coded 5 of the interviews, each on their own" in text
    assert "Cohen's kappa" in text and "0." in text


def test_an_unknown_second_coder_value_is_refused(tmp_path):
    add_ward(tmp_path, "w")
    path = tmp_path / "data" / "w" / "interview_themes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1] + "yes"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = validate_data_dir(tmp_path / "data" / "w", tmp_path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "second_coder", "yes")]
