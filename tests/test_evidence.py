"""The 'good conversations' evidence base (data/evidence/): figures match the paper, the tables
validate, keys resolve, and bad input is reported at the right row and column."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityconv.core.problems import InputError
from cityconv.data import evidence
from cityconv.data import wardfiles as datafiles
from cityconv.data.evidence import (
    TABLES,
    EvidenceBase,
    effects_by_tenet,
    grade_summary,
    load_evidence,
    monetary_values,
    schema_descriptor,
    validate_evidence,
)

REPO = Path(__file__).resolve().parents[1]
EVIDENCE = REPO / "data" / "evidence"
SEEDS = REPO.parent / "shared" / "seeds"
PAPER = SEEDS / "002_9fb39faa95076da5.txt"
ROUNDTABLE = SEEDS / "003_84b7ce4f2df4900f.txt"
NEIGHBOURHOODS = SEEDS / "004_744c9aaf2f1a4591.txt"

needs_paper = pytest.mark.skipif(
    not PAPER.exists(), reason=f"source documents not found at {SEEDS} (../shared is absent): figures not checked against the paper"
)


def read_table(stem: str) -> pd.DataFrame:
    return pd.read_csv(EVIDENCE / f"{stem}.csv", dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def ids(stem: str, column: str) -> list[str]:
    return list(read_table(stem)[column]) if (EVIDENCE / f"{stem}.csv").exists() else []


# --- normalising the PDF-extracted text ------------------------------------------------------------

_PUNCT = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "•": ""}


def normalise(text: str, from_pdf: bool = False) -> str:
    """Compare text whatever the PDF did to it.

    In the extracted paper the 'fi' ligature became '!' and 'fl' became '"' (e.g. "ef! cient",
    "in" uence"), and stray spaces split words ("patro ls", "! r es"). We repair the ligatures, unify
    quotes and dashes, drop bullets and ALL whitespace, and lower-case. A figure still has to match
    digit for digit and word for word.
    """
    if from_pdf:
        text = text.replace("!", "fi").replace('"', "fl")
    for a, b in _PUNCT.items():
        text = text.replace(a, b)
    return re.sub(r"\s+", "", text).lower()


@pytest.fixture(scope="module")
def paper() -> str:
    if not PAPER.exists():
        pytest.skip(f"source documents not found at {SEEDS} (../shared is absent): figures not checked against the paper")
    return normalise(PAPER.read_text(encoding="utf-8"), from_pdf=True)


def test_normalise_repairs_ligatures():
    assert normalise("more ef! c ient and in\" uence", from_pdf=True) == normalise("more efficient and influence")
    assert normalise("reduce accidental ! r es by 42 per \ncent", from_pdf=True) == normalise("reduce accidental fires by 42 per cent")


# --- every published figure and wording is in the paper ---------------------------------------------


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


@needs_paper
@pytest.mark.parametrize("case_id", ids("cases", "case_id"))
def test_effect_published_is_in_the_paper(case_id, paper):
    row = read_table("cases").set_index("case_id").loc[case_id]
    effect = row["effect_published"]
    assert normalise(effect) in paper, f"{case_id}: {effect!r} is not in the paper text"
    design = row["design_published"]
    assert not design or normalise(design) in paper, f"{case_id}: design wording {design!r} is not in the paper text"
    if row["value"]:
        # The number itself must appear in the published wording, as published.
        number = float(row["value"])
        numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", effect)]
        numbers += [float(v) for w, v in NUMBER_WORDS.items() if re.search(rf"\b{w}\b", effect.lower())]
        assert number in numbers, f"{case_id}: value {row['value']} is not the number in {effect!r}"
        if row["value_upper"]:
            assert float(row["value_upper"]) in numbers


@needs_paper
@pytest.mark.parametrize("example_id", ids("international_examples", "example_id"))
def test_international_figures_are_in_the_paper(example_id, paper):
    row = read_table("international_examples").set_index("example_id").loc[example_id]
    figures = [row["figure_published"]] + [f.strip() for f in row["other_figures_published"].split("|")]
    for figure in filter(None, figures):
        assert normalise(figure) in paper, f"{example_id}: {figure!r} is not in the paper text"


@needs_paper
def test_principles_are_the_ten_published_in_order(paper):
    p = read_table("principles")
    assert list(p["number"]) == [str(i) for i in range(1, 11)]
    positions = []
    for name in p["name"]:
        assert normalise(name) in paper, f"{name!r} is not in the paper text"
        positions.append(paper.index(normalise(name)))
    assert positions == sorted(positions), "principles are not in the published order"
    assert "peteduncanandsallythomas2007" in paper


@needs_paper
def test_technique_names_are_named_in_the_paper(paper):
    for name in read_table("techniques")["name"]:
        assert normalise(name) in paper, f"technique {name!r} is not named in the paper"


@needs_paper
def test_locations_name_paragraphs_that_exist(paper):
    for stem in ("cases", "international_examples", "techniques", "principles"):
        for loc in read_table(stem)["paper_location"]:
            for para in re.findall(r"\b([1-4]\.\d{1,2})\b", loc):
                assert normalise(para) in paper, f"{stem}: paragraph {para} in {loc!r} not found"


@needs_paper
def test_citations_are_cited_in_the_paper(paper):
    """Every cited work's author and year appear in the paper (the seed documents excepted)."""
    s = read_table("sources")
    seeds = {"ippr_src_2010", "drummond_pykett_roundtable", "worrall_neighbourhoods"}
    for _, row in s[~s["citation_key"].isin(seeds)].iterrows():
        first_author = row["author"].split(";")[0].split(" and ")[0].replace(" et al", "")
        assert normalise(first_author) in paper, row["citation_key"]
        if row["year"]:
            assert normalise(row["year"]) in paper, row["citation_key"]
        if row["url"]:
            assert normalise(row["url"]) in paper, row["citation_key"]


# Key figures from the paper, hard-coded: (case_id, signed value, signed upper value, published wording).
KEY_FIGURES = [
    ("redruth_crime", -60, None, "60 per cent reduction in crime"),
    ("redruth_antisocial_behaviour", -67, None, "down by 67 per cent, year on year"),
    ("tameside_fires", -42, None, "42 per cent in one year"),
    ("expert_patients_ae", -16, None, "reduced by 16 per cent"),
    ("expert_patients_outpatients", -10, None, "10 per cent"),
    ("doncaster_landfill_tax", 20000, None, "£20,000"),
    ("doncaster_volunteering", 130, None, "130 volunteering opportunities"),
    ("doncaster_families", 4000, None, "4,000 families"),
    ("doncaster_goods_value", 140000, None, "£140,000"),
    ("radical_innovations_costs", -20, -60, "between 20 and 60 per cent"),
    ("merseyside_young_offenders_sroi", 10.50, None, "£10.50 for each pound invested"),
    ("balsall_heath_influence", 75, None, "75 per cent agreeing"),
    ("balsall_heath_street_stewards", 22, None, "22 ‘street stewards’"),
]


@pytest.mark.parametrize("case_id,signed,signed_upper,wording", KEY_FIGURES, ids=[k[0] for k in KEY_FIGURES])
def test_key_figures_match_the_csv(case_id, signed, signed_upper, wording):
    cases = read_table("cases").set_index("case_id")
    assert case_id in cases.index, f"{case_id} missing from cases.csv"
    row = cases.loc[case_id]
    sign = -1 if row["direction"] == "decrease" else 1
    assert sign * float(row["value"]) == pytest.approx(signed)
    if signed_upper is None:
        assert row["value_upper"] == ""
    else:
        assert sign * float(row["value_upper"]) == pytest.approx(signed_upper)
    assert normalise(wording) in normalise(row["effect_published"])


def test_key_qualitative_cases_present():
    cases = read_table("cases").set_index("case_id")
    nrpp = cases[cases["programme"] == "National Reassurance Policing Programme"]
    assert len(nrpp) >= 4 and set(nrpp["evaluation_design"]) == {"controlled_comparison"}
    assert set(nrpp["evidence_grade"]) == {"A"}
    cabo = cases.loc["cabo_infant_mortality"]
    assert "infant mortality" in cabo["effect_published"] and cabo["value"] == ""  # "over three quarters": not converted
    assert cabo["citation_key"] == "ippr_src_2010"  # the paper cites no source for Cabo


def test_monetary_values_keep_year_and_basis():
    eb = load_evidence(EVIDENCE, REPO)
    m = monetary_values(eb).set_index("case_id")
    assert set(m.index) == {"doncaster_landfill_tax", "doncaster_goods_value", "merseyside_young_offenders_sroi"}
    assert m.loc["merseyside_young_offenders_sroi", "value"] == pytest.approx(10.5)
    assert "£10.50" in m.loc["merseyside_young_offenders_sroi", "effect_published"]
    assert set(m["currency"]) == {"GBP"}
    # The paper publishes no price year: none is claimed.
    assert m["money_year"].isna().all() and set(m["money_year_basis"]) == {"not_published"}


# --- the tables validate and load -----------------------------------------------------------------


def test_evidence_validates_clean():
    problems = validate_evidence(EVIDENCE, REPO)
    assert problems == [], "\n".join(map(str, problems))


def test_evidence_loads_typed():
    eb = load_evidence(EVIDENCE, REPO)
    assert isinstance(eb, EvidenceBase)
    assert set(eb.tables()) == set(TABLES)
    c = eb.cases
    assert isinstance(c["tenet"].dtype, pd.CategoricalDtype) and c["tenet"].dtype.ordered
    assert list(c["evidence_grade"].cat.categories) == ["A", "B", "C", "D", "E"]
    assert str(c["value"].dtype) == "Float64" and str(c["money_year"].dtype) == "Int64"
    assert len(eb.principles) == 10
    for name in ("community_sounding_boards", "neighbourhood_workshops", "resident_consultancy", "schools_programmes",
                 "participatory_appraisal", "virtual_reality_modelling", "e_consultation", "neighbourhood_action_planning",
                 "devolving_services", "devolving_budgets", "participatory_budgeting", "co_production"):
        assert name in set(eb.techniques["technique_id"]), name


def test_every_table_has_a_schema_with_primary_key_and_matching_enums():
    for stem in TABLES:
        d = schema_descriptor(stem)
        assert d["primaryKey"], stem
        header = next(csv.reader(io.StringIO((EVIDENCE / f"{stem}.csv").read_text(encoding="utf-8"))))
        assert header == [f["name"] for f in d["fields"]], f"{stem}: columns differ from the schema"
        for field in d["fields"]:
            if "categories" in field:
                assert [c["value"] for c in field["categories"]] == field["constraints"]["enum"], (stem, field["name"])
    for stem in ("cases", "principles", "international_examples", "roundtable_themes", "neighbourhood_model_aims"):
        assert schema_descriptor(stem).get("foreignKeys"), stem


def test_csv_files_are_utf8_with_unix_line_endings():
    for stem in TABLES:
        raw = (EVIDENCE / f"{stem}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), stem
        raw.decode("utf-8")
        assert b"\r" not in raw, stem
        assert raw.endswith(b"\n") and not raw.endswith(b"\n\n"), stem


def test_foreign_keys_resolve():
    t = {stem: read_table(stem) for stem in TABLES}
    sources = set(t["sources"]["citation_key"])
    techniques = set(t["techniques"]["technique_id"])
    for stem, col in [("cases", "citation_key"), ("principles", "citation_key"), ("international_examples", "citation_key"),
                      ("roundtable_themes", "source_key"), ("neighbourhood_model_aims", "source_key")]:
        assert set(t[stem][col]) <= sources, (stem, set(t[stem][col]) - sources)
    for stem in ("cases", "international_examples"):
        further = {k for cell in t[stem]["further_citation_keys"] for k in cell.split(";") if k}
        assert further <= sources, (stem, further - sources)
        assert set(t[stem]["technique"]) - {""} <= techniques
    assert set(t["cases"]["evaluation_design"]) <= set(t["grading_rubric"]["design"])
    assert set(t["grading_rubric"]["grade"]) == set("ABCDE")
    # every source is used somewhere
    used = set()
    for stem, col in [("cases", "citation_key"), ("principles", "citation_key"), ("international_examples", "citation_key"),
                      ("roundtable_themes", "source_key"), ("neighbourhood_model_aims", "source_key")]:
        used |= set(t[stem][col])
    for stem in ("cases", "international_examples"):
        used |= {k for cell in t[stem]["further_citation_keys"] for k in cell.split(";") if k}
    used |= set(t["paper_inventory"]["citation_key"]) - {""}  # sources cited for something other than an effect
    assert sources - used == set()


def test_ratings_have_a_basis():
    t = read_table("techniques")
    for rating in ("cost", "time_horizon", "depth_of_participation", "reach_of_rarely_heard"):
        assert set(t[f"{rating}_basis"]) <= {"paper", "project_judgement"}
    # the paper supports these, and says so
    row = t.set_index("technique_id").loc["participatory_appraisal"]
    assert row["reach_of_rarely_heard"] == "high" and row["reach_of_rarely_heard_basis"] == "paper"


@needs_paper
def test_own_words_columns_do_not_copy_the_paper():
    """Descriptive text is the project's own: no run of eight words is lifted from the source."""
    def words(text: str, own: bool = False) -> list[str]:
        if own:  # a passage the project quotes, in '...' after a space or bracket, is published wording
            text = re.sub(r"(?:^|(?<=[\s(]))['‘][^'‘’]+?['’](?=[\s).,;:]|$)", " ", text)
        text = text.replace("!", "fi").replace('"', "fl")
        for a, b in _PUNCT.items():
            text = text.replace(a, b)
        return re.findall(r"[a-z0-9£$']+", text.lower())

    sources = {
        "paper": words(PAPER.read_text(encoding="utf-8")),
        "roundtable": words(ROUNDTABLE.read_text(encoding="utf-8")) if ROUNDTABLE.exists() else [],
        "neighbourhoods": words(NEIGHBOURHOODS.read_text(encoding="utf-8")) if NEIGHBOURHOODS.exists() else [],
    }
    n = 8
    grams = {" ".join(ws[i : i + n]) for ws in sources.values() for i in range(len(ws) - n + 1)}
    own = [("cases", "outcome_measure"), ("cases", "grade_rationale"), ("techniques", "description"),
           ("techniques", "rating_note"), ("principles", "summary"), ("international_examples", "what_happened"),
           ("roundtable_themes", "summary"), ("neighbourhood_model_aims", "summary"), ("grading_rubric", "description"),
           ("grading_rubric", "applies_when"), ("paper_inventory", "exclusion_reason")]
    copied = []
    for stem, col in own:
        for text in read_table(stem)[col]:
            ws = words(text, own=True)
            for i in range(len(ws) - n + 1):
                if " ".join(ws[i : i + n]) in grams:
                    copied.append(f"{stem}.{col}: {' '.join(ws[i:i + n])!r}")
    assert not copied, "\n".join(copied)


# --- functions for the chapter --------------------------------------------------------------------


def test_effects_by_tenet_orders_and_signs():
    eb = load_evidence(EVIDENCE, REPO)
    e = effects_by_tenet(eb)
    assert len(e) == len(eb.cases)
    assert list(dict.fromkeys(e["tenet"].astype(str))) == ["stronger_communities", "more_effective_services",
                                                         "more_efficient_services"]
    for tenet, group in e.groupby("tenet", observed=True):
        assert list(group["evidence_grade"]) == sorted(group["evidence_grade"]), tenet
    r = e.set_index("case_id")
    assert r.loc["redruth_crime", "signed_value"] == -60
    assert r.loc["radical_innovations_costs", "signed_value_upper"] == -60
    assert r.loc["doncaster_landfill_tax", "signed_value"] == 20000  # a saving stays positive
    assert r.loc["redruth_crime", "citation"] == "HM Government (2009)"
    assert set(e.loc[e["tenet"] == "more_efficient_services", "efficiency_type"].astype(str)) == {"cashable", "invest_to_save", "general"}
    # a level, an output count and a condition are not changes: no sign
    assert r.loc["balsall_heath_influence", "value"] == 75 and pd.isna(r.loc["balsall_heath_influence", "signed_value"])
    assert pd.isna(r.loc["doncaster_families", "signed_value"])


def test_grade_summary_counts_every_case():
    eb = load_evidence(EVIDENCE, REPO)
    g = grade_summary(eb)
    assert list(g.index) == ["A", "B", "C", "D", "E"]
    assert g["total"].sum() == len(eb.cases)
    assert g[["stronger_communities", "more_effective_services", "more_efficient_services"]].sum().sum() == len(eb.cases)
    assert g["quantified"].sum() == eb.cases["value"].notna().sum()
    assert g.loc["A", "total"] >= 4 and "Controlled comparison" in g.loc["A", "designs"]


def test_validation_reuses_datafiles_helpers():
    """The frictionless-report-to-Problem conversion is datafiles', not a copy."""
    assert evidence.validate_table_file is datafiles.validate_table_file
    assert evidence.typed_frame is datafiles.typed_frame


# --- bad input ------------------------------------------------------------------------------------


@pytest.fixture
def ev(tmp_path: Path) -> Path:
    """A copy of data/evidence under tmp_path, so problems read 'data/evidence/<file>'."""
    target = tmp_path / "data" / "evidence"
    shutil.copytree(EVIDENCE, target)
    return target


def rewrite(path: Path, edit) -> None:
    """Apply edit(rows) to the CSV's rows (a list of dicts) and write it back."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    edit(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def file_row(path: Path, key_col: str, key: str) -> int:
    """Row number in the file (header = 1) of the row whose key_col is key."""
    with open(path, encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            if row[key_col] == key:
                return number
    raise KeyError(key)


def set_cell(path: Path, key_col: str, key: str, col: str, value: str) -> int:
    def edit(rows):
        for r in rows:
            if r[key_col] == key:
                r[col] = value
    rewrite(path, edit)
    return file_row(path, key_col, key)


def only(problems, **where):
    hits = [p for p in problems if all(getattr(p, k) == v for k, v in where.items())]
    assert len(hits) == 1, f"expected exactly one problem with {where}, got:\n" + "\n".join(map(str, problems))
    return hits[0]


def test_unknown_tenet(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "tameside_fires", "tenet", "stronger_community")
    p = only(validate_evidence(ev, tmp_path), file="data/evidence/cases.csv", row=row, column="tenet")
    assert p.message == "unknown code" and p.value == "stronger_community"
    assert "stronger_communities" in p.expected
    assert row == file_row(EVIDENCE / "cases.csv", "case_id", "tameside_fires")


def test_unknown_citation_key(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "redruth_crime", "citation_key", "hm_goverment_2009")
    p = only(validate_evidence(ev, tmp_path), file="data/evidence/cases.csv", row=row, column="citation_key")
    assert "not in sources.csv" in p.message and "hm_government_2009" in p.message
    assert p.value == "hm_goverment_2009"


def test_blank_citation_key(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "redruth_crime", "citation_key", "")
    p = only(validate_evidence(ev, tmp_path), file="data/evidence/cases.csv", row=row, column="citation_key")
    assert p.message == "required value is blank"


def test_source_removed_flags_every_row_that_cites_it(tmp_path, ev):
    rewrite(ev / "sources.csv", lambda rows: rows.__setitem__(slice(None), [r for r in rows if r["citation_key"] != "savage_etal_2010"]))
    problems = [p for p in validate_evidence(ev, tmp_path) if p.column == "citation_key" and p.file.endswith("cases.csv")]
    expected_rows = {file_row(ev / "cases.csv", "case_id", c) for c in
                     ("balsall_heath_satisfaction", "balsall_heath_influence", "balsall_heath_street_stewards", "tameside_fires")}
    assert {p.row for p in problems} == expected_rows
    assert all(p.file == "data/evidence/cases.csv" and p.value == "savage_etal_2010" for p in problems)


def test_unknown_further_citation_and_technique(tmp_path, ev):
    r1 = set_cell(ev / "cases.csv", "case_id", "cic_belonging", "further_citation_keys", "hotho_2008;nobody_1999")
    r2 = set_cell(ev / "international_examples.csv", "example_id", "study_circles", "technique", "study_circle")
    problems = validate_evidence(ev, tmp_path)
    p = only(problems, file="data/evidence/cases.csv", row=r1, column="further_citation_keys")
    assert p.value == "nobody_1999"
    only(problems, file="data/evidence/international_examples.csv", row=r2, column="technique", value="study_circle")


def test_grade_other_than_the_designs(tmp_path, ev):
    row = set_cell(ev / "cases.csv", "case_id", "doncaster_landfill_tax", "evidence_grade", "A")
    p = only(validate_evidence(ev, tmp_path), file="data/evidence/cases.csv", row=row, column="evidence_grade")
    assert "differs from the grade of the design" in p.message and p.expected.startswith("C")


def test_value_errors(tmp_path, ev):
    r1 = set_cell(ev / "cases.csv", "case_id", "redruth_crime", "value", "sixty")
    r2 = set_cell(ev / "cases.csv", "case_id", "tameside_fires", "unit", "")
    r3 = set_cell(ev / "cases.csv", "case_id", "doncaster_goods_value", "money_year", "2010")  # none is published
    r4 = set_cell(ev / "cases.csv", "case_id", "nrpp_crime", "efficiency_type", "cashable")
    problems = validate_evidence(ev, tmp_path)
    f = "data/evidence/cases.csv"
    assert only(problems, file=f, row=r1, column="value").message == "wrong type"
    assert only(problems, file=f, row=r2, column="unit").message == "a value needs a unit"
    assert "none is published" in only(problems, file=f, row=r3, column="money_year").message
    assert only(problems, file=f, row=r4, column="efficiency_type").value == "cashable"


def test_duplicate_id_and_bad_rating(tmp_path, ev):
    def dup(rows):
        rows.append(dict(rows[0]))
    rewrite(ev / "principles.csv", dup)
    row = set_cell(ev / "techniques.csv", "technique_id", "e_consultation", "cost_basis", "paper_and_judgement")
    problems = validate_evidence(ev, tmp_path)
    dups = [p for p in problems if p.file == "data/evidence/principles.csv" and p.row == 12]
    assert dups and all("duplicate" in p.message and p.column == "principle_id" for p in dups)
    only(problems, file="data/evidence/techniques.csv", row=row, column="cost_basis", value="paper_and_judgement")


def test_folder_problems(tmp_path, ev):
    (ev / "sources.csv").unlink()
    (ev / "case.csv").write_text("x\n", encoding="utf-8")
    problems = validate_evidence(ev, tmp_path)
    only(problems, file="data/evidence/sources.csv", message="required file is missing")
    assert "did you mean cases.csv?" in only(problems, file="data/evidence/case.csv").message
    assert any(p.file == "data/evidence/cases.csv" and "sources.csv, which is missing" in p.message for p in problems)


def test_header_problems(tmp_path, ev):
    text = (ev / "cases.csv").read_text(encoding="utf-8").replace("effect_published", "effect_publised", 1)
    (ev / "cases.csv").write_text(text, encoding="utf-8")
    problems = validate_evidence(ev, tmp_path)
    p = only(problems, file="data/evidence/cases.csv", row=1, column="effect_publised")
    assert "did you mean 'effect_published'" in p.message
    only(problems, file="data/evidence/cases.csv", row=1, column="effect_published", message="required column is missing")


def test_load_raises_with_every_problem(tmp_path, ev):
    set_cell(ev / "cases.csv", "case_id", "tameside_fires", "tenet", "stronger_community")
    set_cell(ev / "cases.csv", "case_id", "redruth_crime", "citation_key", "nobody_2099")
    with pytest.raises(InputError) as info:
        load_evidence(ev, tmp_path)
    assert len(info.value.problems) == 2
    assert "data/evidence/cases.csv, row" in str(info.value)


def test_schemas_are_valid_json_with_titles():
    folder = REPO / "src" / "cityconv" / "data" / "schemas" / "evidence"
    assert {p.name[: -len(".schema.json")] for p in folder.glob("*.schema.json")} == set(TABLES)
    for path in folder.glob("*.schema.json"):
        d = json.loads(path.read_text(encoding="utf-8"))
        assert d["title"] and d["description"]
        for field in d["fields"]:
            assert field.get("title") and field.get("description") and field.get("type"), (path.name, field["name"])


def test_readme_row_counts_match_the_tables():
    readme = (EVIDENCE / "README.md").read_text(encoding="utf-8")
    counts = {m[0]: int(m[1]) for m in re.findall(r"^\| `(\w+)\.csv` \| (\d+) \|", readme, flags=re.M)}
    assert set(counts) == set(TABLES)
    for stem, n in counts.items():
        assert len(read_table(stem)) == n, f"README says {stem}.csv has {n} rows"
