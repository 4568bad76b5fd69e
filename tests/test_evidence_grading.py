"""The grading rule (data/evidence/README.md, 'Grading'), applied to every row of cases.csv.

The rule: an effect's design is the first design in `grading_rubric.csv`, in precedence order, whose
condition the paper's words meet, and its grade is that design's grade. The checks here are written
from the rubric file, independently of `cityconv.data.evidence`; the second half shows that the validator
reports each kind of breach at the right row and column.
"""

from __future__ import annotations

import pytest

from cityconv.data.evidence import validate_evidence
from test_evidence import EVIDENCE, ev, file_row, only, read_table, set_cell  # noqa: F401  (ev is a fixture)

RUBRIC = read_table("grading_rubric").set_index("design")
CASES = read_table("cases")


def plain(text: str) -> str:
    for a, b in (("‘", "'"), ("’", "'"), ("–", "-")):
        text = text.replace(a, b)
    return " ".join(text.lower().split())


def test_rubric_is_one_ordered_rule():
    precedence = RUBRIC["precedence"].astype(int)
    assert sorted(precedence) == list(range(1, len(RUBRIC) + 1)), "precedence must number the designs 1..n"
    assert set(RUBRIC["grade"]) == set("ABCDE")
    assert all(RUBRIC["applies_when"]), "every design says when it applies"
    # the designs the issue names, at the grades the rule gives them
    assert RUBRIC.loc["output_count", "grade"] == "D" and RUBRIC.loc["single_level", "grade"] == "D"
    assert RUBRIC.loc["controlled_comparison", "grade"] == "A" and RUBRIC.loc["participant_comparison", "grade"] == "B"
    # a change with nothing to compare it with is C, with or without a time phrase (one design, not two)
    assert RUBRIC.loc["before_after", "grade"] == "C" and "cited_study_figure" not in RUBRIC.index
    # output counts and levels are tried first, so nothing else they say can lift them
    assert precedence["output_count"] == 1 and precedence["single_level"] == 2


@pytest.mark.parametrize("case_id", list(CASES["case_id"]))
def test_rule_holds_for_every_row(case_id):
    row = CASES.set_index("case_id").loc[case_id]
    design = RUBRIC.loc[row["evaluation_design"]]
    # 1. the grade is the design's grade, never raised or lowered
    assert row["evidence_grade"] == design["grade"], f"{case_id}: grade {row['evidence_grade']}, design grade {design['grade']}"
    # 2. the paper's words show the design
    cues = [c for c in design["cue_words"].split(";") if c]
    if cues:
        assert any(plain(c) in plain(row["design_published"]) for c in cues), (case_id, row["design_published"], cues)
    # 3. outputs and levels have their own designs, and only they do
    assert (row["direction"] == "output") == (row["evaluation_design"] == "output_count"), case_id
    assert (row["direction"] == "level") == (row["evaluation_design"] == "single_level"), case_id
    # 4. a change of a stated size has its figure; a cited evaluation without figures has none
    if row["evaluation_design"] == "before_after":
        assert row["value"], case_id
    if row["evaluation_design"] == "cited_study_unquantified":
        assert not row["value"], case_id
    # 5. a published figure says what kind it is, and an estimate is never "reported"
    if row["value"]:
        assert row["figure_basis"] in ("reported", "estimate", "potential"), case_id
    if row["evaluation_design"] == "estimate_or_model":
        assert row["figure_basis"] in ("estimate", "potential"), case_id
    assert row["grade_rationale"], case_id


def test_like_evidence_is_graded_alike():
    """Rows with the same citation and design wording, alike in having a figure, share a design."""
    rows = CASES[~CASES["direction"].isin(["output", "level"]) & (CASES["design_published"] != "")]
    groups = rows.assign(has_value=rows["value"] != "", wording=rows["design_published"].map(plain)).groupby(
        ["citation_key", "wording", "has_value"])
    for key, group in groups:
        assert group["evaluation_design"].nunique() == 1, (key, list(group["case_id"]))


def test_the_cases_the_issue_names():
    c = CASES.set_index("case_id")
    outputs = ["balsall_heath_street_stewards", "doncaster_volunteering", "doncaster_families", "doncaster_goods_value"]
    assert set(c.loc[outputs, "evidence_grade"]) == {"D"} and set(c.loc[outputs, "direction"]) == {"output"}
    assert c.loc["balsall_heath_influence", "direction"] == "level"  # a survey level has no direction
    # one rubric for every published change: a time phrase ("year on year", "in one year") or none
    changes = ["redruth_crime", "redruth_antisocial_behaviour", "tameside_fires", "expert_patients_ae",
               "expert_patients_outpatients"]
    assert set(c.loc[changes, "evaluation_design"]) == {"before_after"} and set(c.loc[changes, "evidence_grade"]) == {"C"}
    # Doncaster's saving is the paper's estimate, and the counts in the same sentence come from it
    doncaster = [i for i in c.index if i.startswith("doncaster_")]
    assert len(doncaster) == 4 and set(c.loc[doncaster, "figure_basis"]) == {"estimate"}
    # the two comparisons: one grade each, and the rationale says why they differ
    nrpp = c[c["programme"] == "National Reassurance Policing Programme"]
    california = c.loc[["california_speaks_efficacy", "california_speaks_political_action"]]
    assert set(nrpp["evidence_grade"]) == {"A"} and set(california["evidence_grade"]) == {"B"}
    assert "control areas" in c.loc["california_speaks_efficacy", "grade_rationale"]
    assert "chose not to" not in " ".join(c["grade_rationale"])  # the paper does not say anyone chose not to take part


def test_no_price_year_is_claimed():
    money = CASES[CASES["currency"] != ""]
    assert len(money) == 3
    assert set(money["money_year_basis"]) == {"not_published"} and set(money["money_year"]) == {""}


def test_cost_and_time_ratings_without_a_basis_in_the_paper_are_judgement():
    t = read_table("techniques").set_index("technique_id")
    for tid in ("household_survey", "exhibition", "study_circles"):
        assert t.loc[tid, "time_horizon_basis"] == "project_judgement", tid
        assert t.loc[tid, "cost_basis"] == "project_judgement", tid
    assert set(t["cost_basis"]) == {"project_judgement"}  # the paper rates no technique's cost


def test_unknown_publishers_are_blank():
    s = read_table("sources").set_index("citation_key")
    seeds = {"ippr_src_2010", "drummond_pykett_roundtable", "worrall_neighbourhoods"}
    assert set(s.loc[~s.index.isin(seeds), "publisher"]) == {""}


def test_recommendation_trails_are_no_stronger_than_the_paper():
    """The paper calls none of its examples co-production, and reports no one's choice or credit."""
    import yaml

    rules = yaml.safe_load((EVIDENCE.parents[1] / "data" / "recommendations" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        why = " ".join(rule["trail"]["why_this_evidence"].split()).lower()
        for gloss in ("co-produc", "coproduc", "credited", "chose not to", "who chose"):
            assert gloss not in why, f"{rule['id']}: trail says {gloss!r}"


# --- the validator reports each breach ------------------------------------------------------------

F = "data/evidence/cases.csv"


def test_lowered_grade_is_reported(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "nrpp_safety", "evidence_grade", "B")
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="evidence_grade")
    assert p.value == "B" and p.expected.startswith("A")


def test_design_not_shown_by_the_words(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "expert_patients_ae", "design_published", "The evaluation of the pilot scheme found")
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="design_published")
    assert "before_after" in p.message and "year on year" in p.expected and "reduced by" in p.expected


def test_like_changes_graded_alike_whatever_the_time_phrase(tmp_path, ev):
    """Raising Tameside back to B (its "in one year") breaks the one rubric: its design's grade is C."""
    row = set_cell(ev / "cases.csv", "case_id", "tameside_fires", "evidence_grade", "B")
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="evidence_grade")
    assert p.value == "B" and p.expected.startswith("C")


def test_an_estimate_cannot_be_called_reported(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "doncaster_landfill_tax", "figure_basis", "reported")
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="figure_basis")
    assert "estimate" in p.message and p.value == "reported"
    row = set_cell(ev / "cases.csv", "case_id", "tameside_fires", "figure_basis", "")
    assert "needs its basis" in only(validate_evidence(ev, tmp_path), file=F, row=row, column="figure_basis").message


def test_output_count_must_be_an_output_design(tmp_path, ev):
    for col, value in (("evaluation_design", "estimate_or_model"), ("evidence_grade", "C"), ("design_published", "It is estimated")):
        row = set_cell(ev / "cases.csv", "case_id", "doncaster_families", col, value)
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="evaluation_design")
    assert p.value == "estimate_or_model" and "output_count" in p.expected


def test_level_with_a_direction(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "balsall_heath_influence", "direction", "increase")
    p = only(validate_evidence(ev, tmp_path), file=F, row=row, column="direction")
    assert p.value == "increase" and "level" in p.expected


def test_figure_with_the_no_figures_design(tmp_path, ev):
    for col, value in (("evaluation_design", "cited_study_unquantified"), ("evidence_grade", "D")):
        row = set_cell(ev / "cases.csv", "case_id", "expert_patients_outpatients", col, value)
    problems = validate_evidence(ev, tmp_path)
    only(problems, file=F, row=row, column="evaluation_design", message="a figure is published, so this is a change of a stated size")
    assert any("same citation and design wording" in p.message for p in problems)  # and it now differs from its twin


def test_like_evidence_graded_differently(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "tenant_led_retention", "evaluation_design", "case_description")
    problems = validate_evidence(ev, tmp_path)
    p = only(problems, file=F, row=row, column="evaluation_design")
    assert "same citation and design wording" in p.message
    assert str(file_row(ev / "cases.csv", "case_id", "tenant_led_housing_delivery")) in p.expected


def test_rubric_precedence_is_one_order(tmp_path, ev):
    row = set_cell(ev / "grading_rubric.csv", "design", "single_level", "precedence", "1")
    p = only(validate_evidence(ev, tmp_path), file="data/evidence/grading_rubric.csv", row=row, column="precedence")
    assert "same precedence" in p.message and "row 2" in p.message


def test_inventory_problems(tmp_path, ev):
    f = "data/evidence/paper_inventory.csv"
    r1 = set_cell(ev / "paper_inventory.csv", "item_id", "foot_2009_para_2_5", "held_in", "cases:foot_grievance")
    r2 = set_cell(ev / "paper_inventory.csv", "item_id", "voluntary_curfew_para_2_12", "exclusion_reason", "")
    r3 = set_cell(ev / "paper_inventory.csv", "item_id", "tuffin_2006_para_2_12", "year", "")
    r4 = set_cell(ev / "paper_inventory.csv", "item_id", "rix_2009_para_2_12", "held_in", "case:policing_confidence_reviews")
    problems = validate_evidence(ev, tmp_path)
    p = only(problems, file=f, row=r1, column="held_in")
    assert "not in cases.csv" in p.message and "cases:foot_grievances" in p.message
    assert "reason" in only(problems, file=f, row=r2, column="exclusion_reason").message
    assert "needs its year" in only(problems, file=f, row=r3, column="year").message
    assert "unknown table" in only(problems, file=f, row=r4, column="held_in").message
