"""Evidence on point (issue 23, item 3): each recommendation rule declares how it would work (a mechanism)
and cites only evidence about that mechanism; options are ordered by the strength of that evidence; a
rule's condition uses the same finding (and test) as the chapter that reports it; estimates carry their
label wherever the recommendations page shows them.

The first checks read `rules.yml` and `cases.csv` directly, independently of `cityconv.data.rules`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from cityconv.chapters import recommendations as R
from cityconv.data.evidence import GRADES
from nbtools import project_with_rules

REPO = Path(__file__).resolve().parents[1]
RULES = yaml.safe_load((REPO / "data" / "recommendations" / "rules.yml").read_text(encoding="utf-8"))["rules"]
CASES = pd.read_csv(REPO / "data" / "evidence" / "cases.csv", dtype=str, keep_default_na=False).set_index("case_id")
MECHANISMS = pd.read_csv(REPO / "data" / "evidence" / "mechanisms.csv", dtype=str, keep_default_na=False)


def case_mechanisms(case_id: str) -> set[str]:
    return {m for m in CASES.loc[case_id, "mechanisms"].split(";") if m}


@pytest.mark.parametrize("rule", RULES, ids=[r["id"] for r in RULES])
def test_each_rule_cites_only_evidence_on_its_declared_mechanism(rule):
    assert rule["mechanism"] in set(MECHANISMS["mechanism_id"]), rule["id"]
    off_point = [c for c in rule["trail"]["cases"] if rule["mechanism"] not in case_mechanisms(c)]
    assert not off_point, f"{rule['id']} ({rule['mechanism']}) cites evidence about something else: {off_point}"
    if not rule["trail"]["cases"]:  # nothing on point in the paper: the rule says so, in words
        assert "book's own judgement" in " ".join(rule["trail"]["why_this_evidence"].split())


def test_the_policing_trial_backs_only_policing():
    """The controlled comparison (grade A) is about neighbourhood policing with community engagement."""
    nrpp = [c for c in CASES.index if c.startswith("nrpp_")]
    citing = {r["id"] for r in RULES if set(r["trail"]["cases"]) & set(nrpp)}
    assert citing == {"act-on-crime-asb"}
    measure = next(r for r in RULES if r["id"] == "evaluate-properly")
    assert measure["mechanism"] == "measuring_outcomes" and measure["trail"]["cases"] == []


def test_every_mechanism_has_a_name_and_every_case_mechanism_is_known():
    assert MECHANISMS["name"].str.len().min() > 0 and MECHANISMS["mechanism_id"].is_unique
    known = set(MECHANISMS["mechanism_id"])
    used = {m for c in CASES.index for m in case_mechanisms(c)}
    assert used <= known, used - known


RULE = """\
rules:
  - id: measure
    title: Measure outcomes
    recommendation: Do it.
    mechanism: {mechanism}
    when: {{finding: n_methods, ge: 1}}
    trail:
      principles: [best_practice]
      cases: [nrpp_crime]
"""


def test_a_case_off_the_rules_mechanism_is_refused(tmp_path):
    (p,) = R.validate_rules(project_with_rules(tmp_path, RULE.format(mechanism="measuring_outcomes")))
    assert p.file == "data/recommendations/rules.yml" and p.line == 9 and p.value == "nrpp_crime"
    assert "not evidence for the rule's mechanism 'measuring_outcomes'" in p.message
    assert "neighbourhood_policing" in p.message  # what the case does support
    assert R.validate_rules(project_with_rules(tmp_path / "ok", RULE.format(mechanism="neighbourhood_policing"))) == []


def test_an_unknown_mechanism_is_refused(tmp_path):
    (p,) = R.validate_rules(project_with_rules(tmp_path, RULE.format(mechanism="neighbourhood_policin")))
    assert "unknown mechanism 'neighbourhood_policin'" in p.message and "did you mean" in p.message and p.line == 5


def test_a_rule_without_a_mechanism_is_refused(tmp_path):
    text = RULE.format(mechanism="x").replace("    mechanism: x\n", "")
    problems = R.validate_rules(project_with_rules(tmp_path, text))
    assert any("missing 'mechanism'" in p.message for p in problems), problems


# --- the page: order and labels -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clubmoor():
    return R.load("clubmoor", REPO)


def test_options_are_ordered_by_the_strength_of_their_evidence(clubmoor):
    eb = clubmoor.evidence
    best = [R.best_grade(eb, f.rule) for f in clubmoor.fired]
    rank = [GRADES.index(g) if g in GRADES else len(GRADES) for g in best]
    assert rank == sorted(rank), best
    assert best[0] == "A" and best[-1] == R.NO_GRADE  # the crime plan first; measuring outcomes last
    table = R.fired_table(clubmoor).frame
    assert table["Best grade"].tolist() == best
    assert list(table.columns[:2]) == ["Option", "Best grade"]  # the grade next to the option, for a phone


def test_the_recruitment_option_rests_on_the_who_took_part_test(clubmoor):
    """Option 'recruit under-represented groups' uses the finding who-took-part reports (the interval
    rule), so it names the groups that chapter finds, not a published comparison it does not support."""
    rule = next(f for f in clubmoor.results if f.rule.id == "targeted-recruitment")
    assert {leaf.finding for leaf in rule.leaves} == {"under_represented_groups"}
    under = clubmoor.findings["under_represented_groups"].value
    assert rule.fired and under
    i = [f.rule.id for f in clubmoor.fired].index("targeted-recruitment") + 1
    md = R.recommendation_markdown(clubmoor, i, rule)
    why = md.split("*Why:*", 1)[1].split("\n", 1)[0]
    assert all(str(g).lower() in why.lower() for g in under), (under, why)
    assert "ethnic minority" not in why.lower()


def test_estimates_say_so_on_the_recommendations_page(clubmoor):
    """Doncaster's 130 volunteering opportunities come from the paper's estimate: labelled where shown."""
    rule = next(f for f in clubmoor.results if f.rule.id == "things-to-do")
    assert "doncaster_volunteering" in rule.rule.cases
    md = R.recommendation_markdown(clubmoor, 1, rule)
    line = next(x for x in md.split("\n") if "130 volunteering opportunities" in x)
    assert "(an estimate)" in line
    for cid in rule.rule.cases:
        basis = CASES.loc[cid, "figure_basis"]
        if basis in ("estimate", "potential"):
            effect = CASES.loc[cid, "effect_published"]
            assert f"“{effect}” (" in md and "estimate" in md.split(effect, 1)[1].split("\n", 1)[0]
