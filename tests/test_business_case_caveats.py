"""The business case page is no stronger than the paper (issue 23, item 3): it states the paper's own
caveats on cost, on its evidence and on poor delivery in the paper's words; it does not say the paper's
answer is that good conversations "pay their way"; every co-cited source is in the source column; every
case the paper describes (data/evidence/paper_inventory.csv) is on the page; and every estimate or
potential saving says so wherever its number is shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cityconv.chapters import business_case as bc
from cityconv.data.evidence import citation
from test_evidence import normalise, paper  # noqa: F401  (paper is a fixture)

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = Path(bc.__file__).parent / "templates" / "business_case"


@pytest.fixture(scope="module")
def study():
    return bc.load("good-conversations", REPO)


def page_tables(study) -> list:
    """Every table the page shows (the notebook calls each of these)."""
    tables = [bc.caveats_table(study), bc.grade_table(study), bc.monetary_table(study), bc.techniques_table(study),
              bc.examples_table(study)]
    for tenet in bc.TENET_LABELS:
        tables += [bc.side_by_side_table(study, tenet), bc.evidence_table(study, tenet)]
    return [t for t in tables if t is not None]


def test_the_notebook_shows_every_table_checked_here():
    source = "\n".join(c.source for c in nbformat.read(REPO / "notebooks" / "20-business-case.ipynb", as_version=4).cells)
    for call in ("caveats_table", "grade_table", "monetary_table", "techniques_table", "examples_table",
                 "side_by_side_table", "evidence_table", "percent_chart", "opening_text"):
        assert f"bc.{call}(" in source, call


def test_the_caveats_are_the_papers_words(study, paper):  # noqa: F811
    caveats = study.eb.caveats
    assert set(caveats["topic"].astype(str)) == {"cost", "evidence", "delivery"}
    for words in caveats["paper_words"].astype(str):
        assert normalise(words) in paper, words
    wanted = ("not usually a cheap option", "variable", "rather patchy",
              "poorly delivered conversations result in money poorly spent")
    text = " ".join(caveats["paper_words"].astype(str))
    assert all(w in text for w in wanted)


def test_the_page_states_every_caveat(study):
    opening = bc.opening_text(study)
    table = bc.caveats_table(study).frame
    for words in study.eb.caveats["paper_words"].astype(str):
        assert f"“{words}”" in opening, words
        assert f"“{words}”" in list(table["The paper's words"])


def test_no_claim_stronger_than_the_paper():
    prose = " ".join(p.read_text(encoding="utf-8") for p in TEMPLATES.glob("*.md"))
    notebook = REPO / "notebooks" / "20-business-case.ipynb"
    prose += " ".join(c.source for c in nbformat.read(notebook, as_version=4).cells)
    for overclaim in ("pay their way", "waste less money", "waste less"):
        assert overclaim not in prose, overclaim


def test_every_co_cited_source_is_in_the_source_column(study):
    eb = study.eb
    for tenet in bc.TENET_LABELS:
        table = bc.evidence_table(study, tenet).frame
        effects = list(table["Effect as published"])
        cases = eb.cases[eb.cases["tenet"].astype(str) == tenet]
        for _, row in cases.iterrows():
            keys = [str(row["citation_key"])]
            if not pd.isna(row["further_citation_keys"]):
                keys += [k for k in str(row["further_citation_keys"]).split(";") if k]
            i = next(i for i, e in enumerate(effects) if e.startswith(f"“{row['effect_published']}”"))
            source = table["Source (as cited in the paper)"].iloc[i]
            for key in keys:
                assert citation(eb, key) in source, (row["case_id"], key, source)


def test_every_case_in_the_paper_inventory_is_on_the_page(study):
    eb = study.eb
    inventory = eb.paper_inventory
    examples = inventory[inventory["kind"].astype(str) == "example"]
    shown_effects = {e for t in bc.TENET_LABELS for e in bc.evidence_table(study, t).frame["Effect as published"]}
    shown_examples = set(bc.examples_table(study).frame["Example"])
    international = eb.international_examples.set_index("example_id")
    assert len(examples) >= 17
    for _, item in examples.iterrows():
        refs = [r for r in str(item["held_in"]).split(";") if r]
        assert refs, item["item_id"]
        for ref in refs:
            table, _, key = ref.partition(":")
            if table == "cases":
                effect = eb.cases.set_index("case_id").loc[key, "effect_published"]
                assert any(e.startswith(f"“{effect}”") for e in shown_effects), (item["item_id"], key)
            else:
                assert table == "international_examples", ref
                row = international.loc[key]
                name = row["programme"] if not pd.isna(row["programme"]) else row["place"]
                assert name in shown_examples, (item["item_id"], name)
    assert any("Listening to the City" in x for x in shown_examples)


NUMBER = re.compile(r"£?\d[\d,]*(?:\.\d+)?")


def test_every_estimate_says_so_wherever_its_number_is_shown(study):
    eb = study.eb
    estimates = eb.cases[eb.cases["figure_basis"].astype(str).isin(["estimate", "potential"])]
    assert {"doncaster_landfill_tax", "doncaster_volunteering", "doncaster_families", "doncaster_goods_value",
            "bradford_total_place_savings", "merseyside_young_offenders_sroi"} <= set(estimates["case_id"])
    cells = [str(c) for t in page_tables(study) for c in t.frame.to_numpy().ravel()]
    chart = bc.percent_chart(study)
    texts = cells + ([chart.alt] if chart is not None else [])
    checked = 0
    for _, row in estimates.iterrows():
        effect = str(row["effect_published"])
        numbers = set(NUMBER.findall(effect)) if not pd.isna(row["value"]) else set()
        for text in texts:
            shows_effect = effect in text
            shows_number = any(re.search(rf"(?<![\d,.]){re.escape(n)}(?![\d,])", text) for n in numbers if len(n) > 2)
            if shows_effect or shows_number:
                checked += 1
                assert "estimate" in text, (row["case_id"], text)
    assert checked >= len(estimates)
