"""A ward made with `new-ward` + `simulate` stands on its own (issue 23 item 6).

Its aims, calendar, interview groups and practitioner findings are the simulation's own: no
sentence of eight words or more from Clubmoor's published material, no Clubmoor target and no
Clubmoor date, and its chapters show only its own coding frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import interviews as interview_chapter
from cityconv.chapters import practitioners as practitioner_chapter
from cityconv.chapters.common import code_labels, frame_labels
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data import wardfiles as datafiles
from cityconv.data.context import load_context
from cityconv.generate import simulate as sim
from cityconv.generate.scaffold import new_ward
from nbtools import clubmoor_project

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"
SEEDS = REPO.parent / "shared" / "seeds"  # the source documents, where the checkout sits beside them
SHINGLE = 8  # words


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = Project(clubmoor_project(tmp_path_factory.mktemp("own-study")))
    new_ward(project, "Anfield")
    sim.simulate_ward(project, "anfield")
    return project


@pytest.fixture(scope="module")
def ward(project: Project):
    return datafiles.load_ward_data(project.data_dir / "anfield", project.root)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


def shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}


def clubmoor_published_text() -> dict[str, str]:
    """Clubmoor's published words: statements, quotes, published figures' wording, its aims, the seeds."""
    texts = {}
    statements = pd.read_csv(CLUBMOOR / "findings_statements.csv", dtype=str)
    texts.update({f"statement {r.statement_id}": r.text for r in statements.itertuples()})
    quotes = pd.read_csv(CLUBMOOR / "quotes.csv", dtype=str)
    texts.update({f"quote {r.quote_id}": r.text for r in quotes.itertuples()})
    figures = pd.read_csv(CLUBMOOR / "published_figures.csv", dtype=str)
    texts.update({f"figure {r.figure_id}": f"{r.source_text}. {r.description}" for r in figures.itertuples()})
    objectives = pd.read_csv(CLUBMOOR / "objectives.csv", dtype=str)
    texts.update({f"aim {r.objective_id}": r.objective for r in objectives.itertuples()})
    # Clubmoor's practitioner and resident findings, as the published coding frame words them
    for stem in ("workshop_themes", "interview_themes"):
        labels = frame_labels(stem, "theme", ["green_spaces", "adapted_methods"])
        texts.update({f"{stem} {code}": label for code, label in labels.items()})
    if SEEDS.is_dir():
        texts.update({f"seed {p.name}": p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("0*.txt"))})
    return texts


def test_the_published_text_is_read() -> None:
    texts = clubmoor_published_text()
    assert len([k for k in texts if k.startswith("statement")]) == 23
    assert any("volunteer group of community researchers" in t for t in texts.values())


def test_no_sentence_of_eight_words_from_clubmoor(project: Project, ward) -> None:
    folder = project.data_dir / "anfield"
    ours = {p.name: shingles(p.read_text(encoding="utf-8")) for p in sorted(folder.iterdir())
            if p.suffix in {".csv", ".md"} and p.name != "CODEBOOK.md"}
    # the codebook lists every code the schemas allow; the ward's chapters show its own frame
    own_frame = [*interview_chapter.interview_theme_labels(ward.interview_themes).values(),
                 *practitioner_chapter.workshop_theme_labels(ward.workshop_themes).values()]
    ours["own coding frames"] = set().union(*(shingles(label) for label in own_frame))
    shared = [(name, source, " ".join(s)) for source, text in clubmoor_published_text().items()
              for name, mine in ours.items() for s in sorted(mine & shingles(text))]
    assert shared == []


def test_aims_and_targets_are_its_own(ward, project: Project) -> None:
    clubmoor = pd.read_csv(CLUBMOOR / "objectives.csv")
    theirs = {(str(r.unit), int(r.target)) for r in clubmoor.itertuples() if pd.notna(r.target)}
    ours = {(str(r.unit), int(r.target)) for r in ward.objectives.itertuples() if pd.notna(r.target)}
    assert ours and not ours & theirs
    assert not set(ward.objectives["objective"]) & set(clubmoor["objective"])
    assert set(clubmoor["objective_id"]) - set(ward.objectives["objective_id"])  # not Clubmoor's list of aims
    context = load_context(project.context_dir, "E05000887", "2004-2023")
    rows = context.age[(context.age["ward_code"] == "E05000887") & (context.age["boundary_set"] == "2004-2023")]
    adults = float(rows.loc[rows["category"].isin(list(sim.CENSUS_AGE_TO_SURVEY)), "count"].sum())
    targets = sim.ward_targets(adults)
    by_id = ward.objectives.set_index("objective_id")
    assert int(by_id.loc["engage_residents", "target"]) == targets["residents"]
    assert int(by_id.loc["engage_residents", "delivered"]) == len(ward.survey_responses)
    for oid, row in by_id.iterrows():  # met exactly when the records reach the target
        if pd.notna(row["target"]):
            assert row["status"] == ("met" if row["delivered"] >= row["target"] else "not met"), oid
            assert str(row["explanation"]).startswith("Synthetic")


def clubmoor_months() -> set[str]:
    months = set()
    for path in CLUBMOOR.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str)
        for column in ("month", "date"):
            if column in frame:
                months |= {str(v)[:7] for v in frame[column].dropna()}
    return months


def test_no_clubmoor_date(project: Project) -> None:
    theirs = clubmoor_months()
    assert "2020-11" in theirs
    folder = project.data_dir / "anfield"
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str)
        for column in ("month", "date"):
            if column in frame:
                assert not {str(v)[:7] for v in frame[column].dropna()} & theirs, path.name
    written = {m for m in theirs} | {pd.Period(m, "M").strftime("%B %Y") for m in theirs}
    for path in sorted(p for p in folder.iterdir() if p.suffix in {".csv", ".md", ".yml"}):  # nor in the prose
        text = path.read_text(encoding="utf-8")
        assert not [w for w in written if w in text], path.name


def test_calendar_follows_the_start(project: Project) -> None:
    calendar = sim.fieldwork_calendar("2025-03")
    assert calendar["training"][0] == "2025-03" and calendar["workshops"][-1] == "2025-12"
    with pytest.raises(InputError, match="start must be a month"):
        sim.simulate_ward(project, "anfield", start="2020-04", overwrite=True)
    with pytest.raises(InputError, match="start must be a month"):
        sim.simulate_ward(project, "anfield", start="March", overwrite=True)


def test_interview_groups_and_themes_are_the_general_frame(ward) -> None:
    assert set(ward.interviews["interviewee_type"].astype(str)) <= set(sim.INTERVIEW_GROUPS)
    general = {stem: set(sim.general_frame(stem)) for stem in ("interview_themes", "workshop_themes")}
    assert set(ward.interview_themes["theme"].astype(str)) <= general["interview_themes"]
    assert set(ward.workshop_themes["theme"].astype(str)) <= general["workshop_themes"]


def test_a_ward_sees_only_its_own_coding_frame(ward) -> None:
    ours = practitioner_chapter.workshop_theme_labels(ward.workshop_themes)
    assert set(ours) == set(sim.general_frame("workshop_themes"))
    published = practitioner_chapter.workshop_theme_labels(pd.DataFrame({"theme": ["adapted_methods"]}))
    assert "adapted_methods" in published and not set(published) & set(ours)
    everything = code_labels("workshop_themes", "theme")
    assert set(everything) == set(ours) | set(published)


def test_only_record_pages_carry_the_synthetic_banner() -> None:
    """Anfield's census profile is real data: no synthetic banner; every page of its records has one."""
    from cityconv.pipeline.runner import build_plan

    plan = build_plan(Project(REPO), ["anfield"], remember_clean=False)
    banners = {task.template_id: task.banner for task in plan.tasks if task.study_id == "anfield"}
    assert banners["ward-profile"] is False
    assert banners["residents-survey"] is True and banners["practitioners"] is True


def test_anfield_who_took_part_claims_no_report_and_no_project_term() -> None:
    from cityconv.chapters import survey
    from cityconv.chapters import who_took_part as W
    from cityconv.chapters.loader import open_chapter

    ch = open_chapter("anfield", REPO)
    comp = W.composition(survey.from_chapter(ch), ch.context)
    statement = W.published_statement_text(comp)
    assert statement == ("There is no report of this synthetic demonstration that says who took part, so the test "
                         "below uses only the records.")
    notes = " ".join(W.comparison_table(comp, "ethnicity").notes)
    assert "Ethnic minority = all groups except White;" in notes and "BAME" not in notes


def test_the_principles_audit_says_nothing_of_clubmoor_about_anfield() -> None:
    """Principle 10 mentions what practitioners said about leadership only where they said it (Clubmoor's
    published finding); principle 9 claims no board members for a ward that interviewed none."""
    from cityconv.chapters import principles_audit as PA

    anfield, clubmoor = (" ".join(PA.principles_markdown(PA.load(w, REPO)).split()) for w in ("anfield", "clubmoor"))
    assert "leadership and capacity" not in anfield and "board members" not in anfield.replace("or board members", "")
    assert "What practitioners said about leadership and capacity was about public agencies across the city" in clubmoor
