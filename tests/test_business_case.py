"""The study chapter "The business case for good conversations": tables carry the published figures."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cityconv.chapters import business_case as bc
from cityconv.core.params import load_params
from cityconv.data.evidence import grade_summary
from cityconv.present import figure_bundle
from cityconv.present.figures import FIGURE_METADATA_KEY

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
    assert row["Example or finding"] == "Redruth, Cornwall" and row["Grade"] == "C"
    assert row["Design"] == "Before and after, no comparison"
    assert row["Source (as cited in the paper)"] == "HM Government (2009)"
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
    assert total == len(study.eb.cases)
    eff = bc.evidence_table(study, "more_efficient_services")
    assert set(eff.frame["Saving"]) == {"Cashable", "Invest to save", "In general"}
    assert "“lower delivery costs of between 20 and 60 per cent”" in list(eff.frame["Effect as published"])


def test_monetary_values_as_published_with_year(study):
    t = bc.monetary_table(study)
    # every one of them is an estimate, and says so beside its number
    assert cells(t, "Value") == ["£20,000 (an estimate)", "£140,000 (an estimate)", "£10.50 (an estimate)"]
    assert set(cells(t, "Price year")) == {"Not published"}  # the paper publishes none; none is claimed
    assert "no price year for 3 of the 3" in t.notes[1] and "2005 and 2010" in t.notes[1]
    assert "“a ‘social return’ of £10.50 for each pound invested” (an estimate)" in cells(t, "Effect as published")
    assert "not adjusted for inflation" in t.units


def test_techniques_matrix_marks_project_judgement(study):
    t = bc.techniques_table(study)
    assert len(t.frame) == len(study.eb.techniques)
    row = t.frame.set_index("Technique").loc["Participatory appraisal sessions"]
    assert row["Reach of rarely-heard groups"] == "High"  # the paper supports it: unmarked
    assert row["Cost"] == "Medium †"  # our judgement: marked
    judged = sum(str(v).endswith("†") for col in t.frame.columns[1:] for v in t.frame[col])
    assert f"{judged} of the {4 * len(t.frame)} ratings" in t.notes[0]
    for name in ("Household survey", "Exhibition", "Study circles"):  # the paper gives no cost or time for these
        row = t.frame.set_index("Technique").loc[name]
        assert row["Cost"].endswith("†") and row["Time horizon"].endswith("†"), name


def test_quality_paragraph_numbers_come_from_grade_summary(study):
    g = grade_summary(study.eb)
    text = " ".join(bc.quality_text(study).split())
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
    n = len(lines) - 1
    lines = [l for l in lines if not l.startswith("nrpp_safety,")]
    cases.write_text("".join(lines), encoding="utf-8")
    inventory = tmp_path / "data" / "evidence" / "paper_inventory.csv"
    inventory.write_text(inventory.read_text(encoding="utf-8").replace(";cases:nrpp_safety", ""), encoding="utf-8")
    text = " ".join(bc.quality_text(bc.load("good-conversations", tmp_path)).split())
    assert f"Only 3 effects of {n - 1}" in text


def test_charts_have_alt_text_from_the_data(study):
    chart = bc.grade_chart(study)
    g = grade_summary(study.eb)
    assert f"the {int(g['total'].sum())} effects" in chart.alt
    assert f"{int(g.loc['A', 'more_effective_services'])} grade A" in chart.alt
    _, meta = figure_bundle(chart.fig, chart.alt, chart.caption, status=chart.status)
    assert meta[FIGURE_METADATA_KEY]["alt"] == chart.alt
    pct = bc.percent_chart(study)
    assert "Redruth, Cornwall" in pct.alt and "67 per cent decrease, grade C" in pct.alt
    assert "20 to 60 per cent decrease, grade C" in pct.alt


# --- the argument before the counts ----------------------------------------------------------------


def test_opening_states_the_papers_case_in_plain_words(study):
    text = bc.opening_text(study)
    for label in bc.TENET_LABELS.values():
        assert f"**{label}.**" in text
    for name in study.eb.principles["name"]:
        assert f"- {name}" in text
    inventory = study.eb.paper_inventory.set_index("item_id")
    for item in ("evidence_quality_para_2_3", "young_foundation_2009_para_2_3", "untested_para_2_20"):
        assert f"“{inventory.loc[item, 'paper_words']}”" in text  # the paper's own caveat, in its words
    assert "variable" in text and "{cite:p}`young_foundation_2009`" in text


def test_opening_is_plain_english(study):
    textstat = pytest.importorskip("textstat")
    paragraphs = [p for p in bc.opening_text(study).split("\n\n") if not p.lstrip().startswith(("-", "1."))]
    assert textstat.flesch_reading_ease(" ".join(paragraphs)) >= 60


@pytest.mark.parametrize("tenet", list(bc.TENET_LABELS))
def test_strongest_and_weakest_side_by_side(study, tenet):
    cases = study.eb.cases
    grades = cases.loc[cases["tenet"].astype(str) == tenet, "evidence_grade"].astype(str)
    strongest, weakest = bc.strongest_and_weakest(study.eb, tenet)
    assert strongest["evidence_grade"] == min(grades) and weakest["evidence_grade"] == max(grades)
    t = bc.side_by_side_table(study, tenet)
    assert list(t.frame.columns) == ["Strongest evidence", "Weakest evidence"]
    assert t.frame.loc["Effect as published", "Strongest evidence"].startswith(f"“{strongest['effect_published']}”")
    assert t.frame.loc["Grade and design", "Weakest evidence"].startswith(f"{weakest['evidence_grade']}: ")
    t.bundle()


def test_ties_go_to_the_first_in_the_paper(study):
    strongest, _ = bc.strongest_and_weakest(study.eb, "more_effective_services")
    assert strongest["case_id"] == "nrpp_crime"  # four grade A rows; crime comes first in the paper


def test_the_argument_comes_before_any_count():
    nb = nbformat.read(TEMPLATE, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    def first(call):
        return next(i for i, s in enumerate(code) if call in s)
    assert first("bc.opening_text") < first("bc.side_by_side_table") < first("bc.intro_text")
    for counting in ("bc.intro_text", "bc.quality_text", "bc.grade_chart", "bc.grade_table", "bc.tenet_text"):
        assert first("bc.side_by_side_table") < first(counting), counting
    assert sum("bc.side_by_side_table" in s for s in code) == len(bc.TENET_LABELS)


def test_templates_type_no_numbers():
    """Numbers in prose come from data: a template holds none of its own (list markers aside)."""
    for path in bc.TEMPLATES.glob("*.md"):
        text = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}|\{cite:[pt]\}`[^`]+`", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"(?m)^\s*\d+\.\s", "", text)
        typed = re.findall(r".{0,30}\d.{0,30}", text)
        assert not typed, f"{path.name}: {typed}"


def test_templates_cite_known_keys_and_render_strictly():
    import jinja2

    from test_references import bib_keys, cite_keys_in

    folder = bc.TEMPLATES
    names = sorted(p.stem for p in folder.glob("*.md"))
    assert {"opening", "side_by_side", "counts", "quality", "tenet", "techniques"} <= set(names)
    known = set(bib_keys())
    for path in folder.glob("*.md"):
        assert set(cite_keys_in(path.read_text(encoding="utf-8"))) <= known, path.name
    with pytest.raises(jinja2.UndefinedError):
        bc.render("quality", {})  # a missing number is an error, never a blank


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


def test_template_ran_through_the_pipeline_in_the_real_book(real_book: Path) -> None:
    """The study template as `cityconv run` executed it in the session's real-book build (the runner,
    its recording, the evidence tables): no error, the published figures, each figure with alt text."""
    from real_book import executed_chapter

    nb = executed_chapter(real_book, "good-conversations", TEMPLATE.name)
    assert any(k.startswith("data/evidence/") for k in nb.metadata.cityconv["record"]["reads"])  # the cache sees the evidence tables
    text = "\n".join(str(o.get("data", {}).get(m, "")) + str(o.get("text", ""))
                     for c in nb.cells for o in c.get("outputs", []) for m in ("text/markdown", "text/html"))
    assert "Traceback" not in text and not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert "60 per cent reduction in crime" in text and "£10.50" in text
    figures = [c for c in nb.cells if "mystnb" in c.metadata]
    assert len(figures) == 2 and all(c.metadata["mystnb"]["image"]["alt"] for c in figures)
