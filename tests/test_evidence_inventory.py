"""Sections 2 and 3 of the positioning paper, walked paragraph by paragraph: every cited study, example
and technique is in the evidence tables, or listed in `paper_inventory.csv` as left out, with the reason.

The walk reads the paper's own text. It splits sections 2 and 3 into their numbered paragraphs and
finds in them every year (in-text citations such as "(Foot 2009)" or "Savage et al (2010)", and
dates), every web address, every technique in the box of key UK techniques and every heading of
section 3. Each must be accounted for by the inventory, and each inventory row must point to rows
that really hold it. So a citation nobody listed fails here: the inventory is not only checked
against itself.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from test_evidence import EVIDENCE, PAPER, SEEDS, normalise, read_table

pytestmark = pytest.mark.skipif(
    not PAPER.exists(), reason=f"source documents not found at {SEEDS} (../shared is absent): the paper cannot be walked"
)

#: The running header and page number the PDF extraction left inside para 2.15 (page furniture, not text).
PAGE_FURNITURE = re.compile(r"IPPR and Social Regeneration Consultants\s*Enabli.*?\n\s*Oct ober 2010\s*\n\s*Page \d+\s*\n", re.S)
PARAGRAPH = re.compile(r"(?m)^[ \t]*([23]\.\d{1,2})[ \t]{2}")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
WEB = re.compile(r"www\.[a-z0-9.\-]*[a-z]")
BOX_ITEM = re.compile(r"(?m)^\s*([A-Z][^:\n]{2,60}):\s")


def _headings_above(before: str) -> list[str]:
    """The short lines just above a paragraph number: section 3's country and technique headings."""
    found: list[str] = []
    for line in reversed(before.rstrip("\n").split("\n")):
        s = line.strip()
        if not s or s == "•":
            continue
        if len(s) > 70 or s[-1] in ".;:,)":
            break
        found.append(s)
        if len(found) == 2:
            break
    return list(reversed(found))


@pytest.fixture(scope="module")
def walk() -> tuple[dict[str, str], dict[str, list[str]]]:
    """(paragraph number -> its text, paragraph number -> headings above it) for sections 2 and 3."""
    text = PAGE_FURNITURE.sub("\n", PAPER.read_text(encoding="utf-8"))
    start = re.search(r"(?m)^\s*2\.\s+Looki", text).start()  # "2.  Looking back"
    end = re.search(r"(?m)^\s*4\.\s+Looki", text).start()  # "4.  Looking ahead"
    body = text[start:end]
    marks = list(PARAGRAPH.finditer(body))
    paragraphs, headings = {}, {}
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        paragraphs[m.group(1)] = body[m.end():stop]
        headings[m.group(1)] = _headings_above(body[: m.start()])
    return paragraphs, headings


@pytest.fixture(scope="module")
def inventory() -> pd.DataFrame:
    return read_table("paper_inventory")


def refs(cell: str) -> list[tuple[str, str]]:
    return [tuple(r.split(":", 1)) for r in cell.split(";") if r]


def test_walk_finds_every_paragraph_in_order(walk):
    paragraphs, _ = walk
    expected = [f"2.{i}" for i in range(1, 28)] + [f"3.{i}" for i in range(1, 16)]
    assert list(paragraphs) == expected


def test_every_year_is_a_listed_citation_or_date(walk, inventory):
    """Each year in sections 2-3 follows a citation the inventory lists for that paragraph, or is a listed date."""
    paragraphs, _ = walk
    missing = []
    for para, text in paragraphs.items():
        flat = normalise(text, from_pdf=True)
        rows = inventory[inventory["paragraph"] == para]
        for m in YEAR.finditer(flat):
            before = flat[: m.start()]
            cited = any(
                r["year"] == m.group() and (before.endswith(normalise(r["cited_as"])) or before.endswith(normalise(r["cited_as"]) + "("))
                for _, r in rows[rows["kind"] == "citation"].iterrows()
            )
            dated = any(
                mm.start() <= m.start() < mm.end()
                for w in rows.loc[rows["kind"] == "date", "paper_words"]
                for mm in re.finditer(re.escape(normalise(w)), flat)
            )
            if not (cited or dated):
                missing.append(f"para {para}: ...{flat[max(0, m.start() - 40):m.end()]}")
    assert not missing, "years in the paper that the inventory does not account for:\n" + "\n".join(missing)


def test_every_listed_citation_is_in_its_paragraph(walk, inventory):
    paragraphs, _ = walk
    for _, r in inventory[inventory["kind"] == "citation"].iterrows():
        flat = normalise(paragraphs[r["paragraph"]], from_pdf=True)
        cited = normalise(r["cited_as"])
        assert cited + r["year"] in flat or cited + "(" + r["year"] in flat, (r["item_id"], r["cited_as"], r["year"])


def test_every_web_address_is_listed(walk, inventory):
    paragraphs, _ = walk
    found = {(para, m.group()) for para, text in paragraphs.items() for m in WEB.finditer(normalise(text, from_pdf=True))}
    web = inventory[inventory["kind"] == "web_address"]
    listed = {(r["paragraph"], normalise(r["cited_as"])) for _, r in web.iterrows()}
    assert found == listed
    sources = read_table("sources").set_index("citation_key")
    for _, r in web.iterrows():
        assert normalise(sources.loc[r["citation_key"], "url"]) == normalise(r["cited_as"]), r["item_id"]


def test_every_box_technique_is_in_the_technique_table(walk, inventory):
    paragraphs, _ = walk
    items = [normalise(i, from_pdf=True) for i in BOX_ITEM.findall(paragraphs["2.24"])]
    assert len(items) == 12, items  # the box of key UK techniques
    names = {normalise(n) for n in read_table("techniques")["name"]}
    assert set(items) <= names, set(items) - names
    listed = {normalise(w) for w in inventory.loc[(inventory["paragraph"] == "2.24") & (inventory["kind"] == "technique"), "paper_words"]}
    assert set(items) <= listed, set(items) - listed


def test_every_section_3_heading_is_a_technique_and_an_example(walk, inventory):
    """Each approach in section 3 has a heading (country, then approach): both must be in the tables."""
    _, headings = walk
    examples = read_table("international_examples").set_index("example_id")
    approach_headings = 0
    for para, found in headings.items():
        if not para.startswith("3.") or para == "3.1":  # 3.1's heading is the section title
            continue
        if not found:
            continue
        country, approach = found
        approach_headings += 1
        rows = inventory[(inventory["paragraph"] == para) & (inventory["paper_words"].map(normalise) == normalise(approach, from_pdf=True))]
        assert len(rows) == 1, f"section 3 heading {approach!r} (para {para}) is not in the inventory"
        held = refs(rows.iloc[0]["held_in"])
        assert any(t == "techniques" for t, _ in held) and any(t == "international_examples" for t, _ in held), approach
        for table, key in held:
            if table == "international_examples":
                assert normalise(country, from_pdf=True) in normalise(examples.loc[key, "country"]), (country, key)
    assert approach_headings == 5  # USA, Sweden, developing countries, Canada, Brazil


@pytest.mark.parametrize("item_id", list(read_table("paper_inventory")["item_id"]) if (EVIDENCE / "paper_inventory.csv").exists() else [])
def test_inventory_words_are_in_their_paragraph(item_id, walk, inventory):
    paragraphs, headings = walk
    r = inventory.set_index("item_id").loc[item_id]
    text = paragraphs[r["paragraph"]] + "\n" + "\n".join(headings.get(r["paragraph"], []))
    assert normalise(r["paper_words"]) in normalise(text, from_pdf=True), f"{item_id}: {r['paper_words']!r} not in para {r['paragraph']}"


def test_citations_match_their_source(inventory):
    sources = read_table("sources").set_index("citation_key")
    for _, r in inventory[inventory["kind"] == "citation"].iterrows():
        s = sources.loc[r["citation_key"]]
        assert s["year"] == r["year"], r["item_id"]
        assert normalise(s["author"].replace("; ", " and ")) == normalise(r["cited_as"]), (r["item_id"], s["author"], r["cited_as"])


def test_items_in_the_tables_point_to_rows_that_hold_them(inventory):
    tables = {"cases": ("case_id", read_table("cases")), "techniques": ("technique_id", read_table("techniques")),
              "principles": ("principle_id", read_table("principles")),
              "international_examples": ("example_id", read_table("international_examples")),
              "sources": ("citation_key", read_table("sources"))}
    for _, r in inventory.iterrows():
        if r["status"] == "in_tables":
            assert r["held_in"] and not r["exclusion_reason"], r["item_id"]
        else:
            assert r["exclusion_reason"], f"{r['item_id']}: excluded without a reason"
        for table, key in refs(r["held_in"]):
            id_col, frame = tables[table]
            row = frame.set_index(id_col).loc[key]  # KeyError: a reference to a row that does not exist
            if table == "cases" and r["status"] == "in_tables":
                in_para = re.search(rf"(?<![\d.]){re.escape(r['paragraph'])}(?!\d)", row["paper_location"])
                assert in_para, (r["item_id"], key, row["paper_location"])
                if r["kind"] in ("citation", "web_address"):
                    keys = {row["citation_key"], *row["further_citation_keys"].split(";")}
                    assert r["citation_key"] in keys, f"{r['item_id']}: {key} does not cite {r['citation_key']}"


def test_every_row_of_the_tables_is_traced_to_the_paper(inventory):
    """The reverse direction: every effect, technique and international example comes from a listed item."""
    held = {ref for cell in inventory["held_in"] for ref in refs(cell)}
    for table, col in (("cases", "case_id"), ("techniques", "technique_id"), ("international_examples", "example_id"),
                       ("principles", "principle_id")):
        untraced = set(read_table(table)[col]) - {k for t, k in held if t == table}
        assert not untraced, f"{table}.csv rows no inventory item points to: {sorted(untraced)}"


def test_every_cited_work_in_sources_is_in_the_inventory(inventory):
    seeds = {"ippr_src_2010", "drummond_pykett_roundtable", "worrall_neighbourhoods"}
    cited = set(read_table("sources")["citation_key"]) - seeds
    assert cited == set(inventory["citation_key"]) - {""}


# What issue 13 found missing, checked by name: (paragraph, item) -> rows that must hold it.
ISSUE_13 = [
    ("2.6", "young_foundation_2009", "cases:young_foundation_influence"),
    ("2.9", "", "cases:active_citizens_governance"),
    ("2.11", "ippr_pwc_2010", "cases:community_involvement_essential"),
    ("2.14", "ippr_pwc_2010", "cases:resources_sum_of_parts"),
    ("2.16", "pasc_2008", "cases:pasc_fewer_unsuitable_services"),
    ("2.16", "nao_2004", "cases:nao_costs_of_not_engaging"),
    ("2.22", "boyle_harris_2009", "cases:boyle_harris_cost_effective"),
    ("3.6", "study_circle_resource_center_2001", "cases:study_circles_racial_equality"),
    ("3.8", "wboed_2005", "cases:cdd_connects_state"),
    ("3.8", "wboed_2005", "cases:cdd_builds_on_community_initiatives"),
    ("2.16", "", "techniques:expert_patients_scheme"),
    ("2.12", "", "techniques:volunteer_fire_risk_assessment"),
]


@pytest.mark.parametrize("para,key,ref", ISSUE_13, ids=[r for _, _, r in ISSUE_13])
def test_items_the_issue_found_missing_are_held(para, key, ref, inventory):
    rows = inventory[(inventory["paragraph"] == para) & inventory["held_in"].map(lambda c: ref in c.split(";"))]
    if key:
        rows = rows[rows["citation_key"] == key]
    assert len(rows) >= 1 and set(rows["status"]) == {"in_tables"}, (para, key, ref)


def test_readme_names_what_was_left_out(inventory):
    """The README's completeness statement names every source cited for something other than an effect."""
    readme = normalise((EVIDENCE / "README.md").read_text(encoding="utf-8"))
    excluded = inventory[(inventory["status"] == "excluded") & (inventory["kind"] == "citation")]
    assert len(excluded) >= 4
    for _, r in excluded.iterrows():
        assert normalise(r["cited_as"]) in readme and r["year"] in readme, r["item_id"]
    assert normalise("Every study, example, technique and source in sections 2 and 3 of the paper is in these tables") in readme.replace("*", "")
