"""The study chapter "The business case for good conversations": tables carry the published figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from cityconv.chapters import business_case as bc
from cityconv.present.figures import FIGURE_METADATA_KEY
from cityconv.data.evidence import grade_summary
from cityconv.core.params import load_params
from cityconv.present import figure_bundle

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "notebooks" / "20-business-case.ipynb"


@pytest.fixture(scope="module")
def study():
    return bc.load("good-conversations", REPO)


def cells(table, column):
    return list(table.frame[column])


def test_params_file():
    p = load_params(REPO / "params" / "good-conversations.yml", REPO)
    assert (p.id, p.kind, p.title, p.chapters) == (
        "good-conversations", "study", "The business case for good conversations", ["business-case"])


def test_effective_services_table_carries_redruth_as_published(study):
    t = bc.evidence_table(study, "more_effective_services")
    effects = cells(t, "Effect as published")
    assert "“60 per cent reduction in crime”" in effects
    assert "“antisocial behaviour was down by 67 per cent, year on year”" in effects
    assert "“reduce accidental fires by 42 per cent in one year”" in effects
    row = t.frame[t.frame["Effect as published"] == "“60 per cent reduction in crime”"].iloc[0]
    assert row["Example or finding"] == "Redruth, Cornwall" and row["Grade"] == "B"
    assert row["Design"] == "Before and after" and row["Source (as cited in the paper)"] == "HM Government (2009)"
    grades = cells(t, "Grade")
    assert grades == sorted(grades)  # strongest first
    assert grades[0] == "A"


def test_one_table_per_tenet_with_every_case(study):
    total = 0
    for tenet in bc.TENET_LABELS:
        t = bc.evidence_table(study, tenet)
        assert len(t.frame) == int((study.eb.cases["tenet"].astype(str) == tenet).sum())
        total += len(t.frame)
        t.bundle()  # renders in house style
    assert total == len(study.eb.cases) == 48
    eff = bc.evidence_table(study, "more_efficient_services")
    assert set(eff.frame["Saving"]) == {"Cashable", "Invest to save"}
    assert "“lower delivery costs of between 20 and 60 per cent”" in list(eff.frame["Effect as published"])


def test_monetary_values_as_published_with_year(study):
    t = bc.monetary_table(study)
    assert cells(t, "Value") == ["£20,000", "£140,000", "£10.50"]
    assert all(y.startswith("2010 (paper's date") for y in cells(t, "Price year"))
    assert "“a ‘social return’ of £10.50 for each pound invested”" in cells(t, "Effect as published")
    assert "not adjusted for inflation" in t.units


def test_techniques_matrix_marks_project_judgement(study):
    t = bc.techniques_table(study)
    assert len(t.frame) == 32
    row = t.frame.set_index("Technique").loc["Participatory appraisal sessions"]
    assert row["Reach of rarely-heard groups"] == "High"  # the paper supports it: unmarked
    assert row["Cost"] == "Medium †"  # our judgement: marked
    judged = sum(str(v).endswith("†") for col in t.frame.columns[1:] for v in t.frame[col])
    assert f"{judged} of the 128 ratings" in t.notes[0]


def test_quality_paragraph_numbers_come_from_grade_summary(study):
    g = grade_summary(study.eb)
    text = bc.quality_text(study)
    a, total = int(g.loc["A", "total"]), int(g["total"].sum())
    assert f"Only {a} effects of {total}" in text
    assert f"{int(g.loc['D', 'total'] + g.loc['E', 'total'])} (" in text
    assert f"Only {int(g['quantified'].sum())} of the {total} effects" in text
    assert "come from a single evaluation" in text  # every grade A effect is from the policing programme evaluation


def test_quality_paragraph_follows_the_data(study, tmp_path):
    shutil.copytree(REPO / "data" / "evidence", tmp_path / "data" / "evidence")
    (tmp_path / "params").mkdir()
    shutil.copy(REPO / "params" / "good-conversations.yml", tmp_path / "params")
    shutil.copy(REPO / "_config.yml", tmp_path)
    cases = tmp_path / "data" / "evidence" / "cases.csv"
    lines = cases.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [l for l in lines if not l.startswith("nrpp_safety,")]
    cases.write_text("".join(lines), encoding="utf-8")
    text = bc.quality_text(bc.load("good-conversations", tmp_path))
    assert "Only 3 effects of 47" in text


def test_charts_have_alt_text_from_the_data(study):
    chart = bc.grade_chart(study)
    g = grade_summary(study.eb)
    assert f"the {int(g['total'].sum())} effects" in chart.alt
    assert f"{int(g.loc['A', 'more_effective_services'])} grade A" in chart.alt
    _, meta = figure_bundle(chart.fig, chart.alt, chart.caption, status=chart.status)
    assert meta[FIGURE_METADATA_KEY]["alt"] == chart.alt
    pct = bc.percent_chart(study)
    assert "Redruth, Cornwall" in pct.alt and "67 per cent decrease, grade B" in pct.alt
    assert "20 to 60 per cent decrease, grade C" in pct.alt


def test_grade_colours_are_the_colour_blind_palette():
    from cityconv.present import PALETTE

    assert set(bc.GRADE_COLOURS.values()) <= set(PALETTE)
    assert len(set(bc.GRADE_COLOURS.values())) == 5


def test_template_is_thin_and_stripped():
    nb = nbformat.read(TEMPLATE, as_version=4)
    assert nb.metadata["cityconv"] == {"title": "The business case for good conversations", "applies_to": ["study"],
                                       "reads": ["data/evidence/*"], "uses_records": False}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source == 'study_id = "good-conversations"'
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            for word in ("if ", "for ", "def ", "lambda", "pd.", "plt."):
                assert word not in cell.source


def test_template_runs_through_the_pipeline(tmp_path, monkeypatch):
    """Plan and execute the study template with the runner (papermill), as `cityconv run` does."""
    from nbtools import make_mini_project

    from cityconv.core.paths import Project
    from cityconv.pipeline.runner import build_plan, execute_task

    root = make_mini_project(tmp_path)
    shutil.copytree(REPO / "data" / "evidence", root / "data" / "evidence")
    shutil.copy(REPO / "params" / "good-conversations.yml", root / "params")
    shutil.copy(TEMPLATE, root / "notebooks" / TEMPLATE.name)
    monkeypatch.setenv("CITYCONV_ROOT", str(root))
    plan = build_plan(Project(root), ["good-conversations"])
    assert plan.problems == []
    (task,) = plan.tasks
    assert any(k.startswith("data/evidence/") for k in task.inputs)  # the cache sees the evidence tables
    result = execute_task(task)
    assert result.status == "done", result.report_line()
    nb = nbformat.read(task.output_path, as_version=4)
    text = "\n".join(str(o.get("data", {}).get(m, "")) + str(o.get("text", ""))
                     for c in nb.cells for o in c.get("outputs", []) for m in ("text/markdown", "text/html"))
    assert "Traceback" not in text and not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert "60 per cent reduction in crime" in text and "£10.50" in text
    figures = [c for c in nb.cells if "mystnb" in c.metadata]
    assert len(figures) == 2 and all(c.metadata["mystnb"]["image"]["alt"] for c in figures)
