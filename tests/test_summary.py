"""The executive summary: findings first, every number from the data, plain English, a thin template."""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import headlines as hl
from cityconv.chapters import profile as pr
from cityconv.chapters import summary as S
from cityconv.data import context as ctx
from cityconv.methods.conditions import LeafResult
from cityconv.present import fmt_int
from nbtools import blank_census_figures

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "notebooks" / "00-executive-summary.ipynb"
FIGURES = REPO / "data" / "clubmoor" / "published_figures.csv"
#: What a synthetic ward's summary must never say: another ward's names, places or published sources.
BORROWED = ("clubmoor", "myclubmoor", "ducky", "slide", "published", "heseltine")
SECTIONS = ("intro_text", "findings_text", "how_sure_text", "objectives_text", "recommendations_text",
            "engagement_text", "context_text", "reading_on_text")


@pytest.fixture(scope="module")
def clubmoor() -> S.Summary:
    return S.load_summary("clubmoor", REPO)


@pytest.fixture(scope="module")
def anfield() -> S.Summary:
    return S.load_summary("anfield", REPO)


def page_markdown(s: S.Summary) -> str:
    """The prose of the page, as the notebook shows it, in order."""
    return "\n\n".join(t for t in (getattr(S, name)(s) for name in SECTIONS) if t)


def _no_recommendations() -> S.Recommendations:
    return S.Recommendations(False, reason="This book has no recommendations yet.")


# ---------------------------------------------------------------- findings first


def test_the_page_opens_with_the_headline_findings() -> None:
    """In the template, the findings come straight after the opening paragraph, before anything else."""
    nb = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    calls = [re.findall(r"summary\.(\w+)\(", "".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]
    shown = [name for names in calls for name in names if name != "load_summary"]
    assert shown[:2] == ["intro_text", "findings_text"]
    assert shown.index("findings_text") < shown.index("objectives_text") < shown.index("recommendations_text")


def test_published_findings_are_quoted_as_published_then_the_records_labelled(clubmoor: S.Summary) -> None:
    text = S.findings_text(clubmoor)
    published = hl.published_headlines({"clubmoor_slides_2021"})
    for h in published:
        assert h.text in text
    assert "{cite:p}`clubmoor_slides_2021`" in text
    records = text.index("The reconstructed records were built to agree with these findings, so they cannot test them")
    assert all(text.index(h.text) < records for h in published)
    # the slides name no method for a published finding: not "(See Residents' survey.)" but where the book sets
    # it beside its own records; records rebuilt to agree are not restated as if they were findings
    assert "(See " not in text and "In the reconstructed records" not in text
    assert "(Set beside the rebuilt records in {doc}`03-residents-survey`.)" in text
    assert "(Set beside the rebuilt records in {doc}`07-practitioners`.)" in text


def test_a_synthetic_ward_borrows_nothing(anfield: S.Summary) -> None:
    assert anfield.synthetic and not anfield.source_keys
    text = page_markdown(anfield)
    for word in BORROWED:
        assert word not in text.lower(), word
    assert "synthetic" in S.intro_text(anfield) and "synthetic records" in S.findings_text(anfield)
    assert S.engagement_text(anfield) is None
    table = S.recommendations_table(anfield)
    cells = " ".join(table.frame.astype(str).to_numpy().ravel()) + table.title + table.source
    for word in BORROWED:
        assert word not in cells.lower(), word


def test_a_synthetic_ward_with_published_figures_still_shows_none(clubmoor: S.Summary) -> None:
    s = replace(clubmoor, data_status="synthetic")
    assert not s.source_keys and S.engagement_text(s) is None
    assert "published" not in S.findings_text(s).lower() and "synthetic" in S.intro_text(s)


# ---------------------------------------------------------------- objectives


def test_objectives_met_come_from_the_scorecard(clubmoor: S.Summary) -> None:
    objectives = pd.read_csv(REPO / "data" / "clubmoor" / "objectives.csv", dtype=str, keep_default_na=False)
    aims = objectives.drop_duplicates("objective")
    text = S.objectives_text(clubmoor)
    assert f"set itself {len(aims)} aims" in text
    met = aims[aims["status"] == "met"]
    assert text.count("**Met:**") == len(met)
    for _, row in met.iterrows():
        assert row["objective"].rstrip(".").lower() in text
        assert f"Delivered: {fmt_int(int(row['delivered']))} {row['unit']}, against a target of {fmt_int(int(row['target']))}" in text
    assert "Whether each was met is our judgement" in text


def test_objectives_follow_the_data(clubmoor: S.Summary) -> None:
    sc = clubmoor.objectives.copy()
    sc["status"] = "met"
    text = S.objectives_text(replace(clubmoor, objectives=sc))
    assert text.count("**Met:**") == sc["Objective (as published)"].nunique()
    assert S.objectives_text(replace(clubmoor, objectives=None)) is None


# ---------------------------------------------------------------- recommendations


def test_recommendations_give_a_reason_and_a_grade_not_a_constant(clubmoor: S.Summary) -> None:
    from cityconv.chapters import recommendations

    wr = recommendations.load("clubmoor", REPO)
    r = clubmoor.recommendations
    assert r.items["recommendation"].tolist() == [f.rule.title for f in wr.fired]
    assert r.items["best_grade"].tolist() == [recommendations.best_grade(wr.evidence, f.rule) for f in wr.fired]
    order = [recommendations.evidence_strength(wr.evidence, f.rule) for f in wr.fired]
    assert order == sorted(order)  # strongest evidence first, as on the recommendations page
    table = S.recommendations_table(clubmoor)
    assert list(table.frame.columns) == ["Option", "Best evidence grade", "Why it applies here"]
    assert len(table.frame) == min(S.TOP_RECOMMENDATIONS, len(wr.fired))
    assert table.frame["Why it applies here"].nunique() == len(table.frame)  # a reason per row, not one value
    text = S.recommendations_text(clubmoor)
    assert f"The book has {fmt_int(len(wr.results))} rules for such options, and {fmt_int(len(wr.fired))} of them" in text
    assert "These follow from records rebuilt from the published summary; treat them as prompts to check." in text
    assert "{doc}`10-recommendations`" in text and "not advice" not in text
    assert "- A volunteer corps of community researchers" in text  # the project's own, first


def test_reason_line_says_the_finding_in_words(clubmoor: S.Summary) -> None:
    findings = clubmoor.findings
    leaf = LeafResult("top_improve", "includes", "crime_asb", None, True)
    assert S.reason_line(leaf, findings) == ("Things residents most often said could be improved include "
                                             "“Crime and anti-social behaviour”.")
    leaf = LeafResult("blended_engagement_favoured", "equals", True, True, True)
    assert S.reason_line(leaf, findings) == "Interviewees favoured blended (digital and traditional) engagement."
    leaf = LeafResult("training_participants", "ge", 10, 23, True)
    assert S.reason_line(leaf, findings) == "People who took part in community researcher training: 23."
    for line in clubmoor.recommendations.items["reason"]:
        assert "_" not in line and "condition" not in line  # no code names


def test_without_recommendations(clubmoor: S.Summary) -> None:
    s = replace(clubmoor, recommendations=_no_recommendations())
    assert S.recommendations_text(s) == "This book has no recommendations yet."
    assert S.recommendations_table(s) is None


# ---------------------------------------------------------------- published figures and the ward


def test_published_figures_are_read_from_the_csv(clubmoor: S.Summary) -> None:
    raw = pd.read_csv(FIGURES, dtype=str)
    assert len(clubmoor.figures) == len(raw)
    for fid, value in zip(raw["figure_id"], raw["value"]):
        assert S.figure(clubmoor.figures, fid) == int(value)
    assert S.figure(clubmoor.figures, "no_such_figure") is None


def test_engagement_text_reproduces_every_figure_and_follows_the_data(clubmoor: S.Summary) -> None:
    text = S.engagement_text(clubmoor)
    raw = pd.read_csv(FIGURES, dtype=str).set_index("figure_id")["value"]
    for fid in ("training_sessions", "training_participants", "survey_responses", "interviews", "social_media_posts",
                "social_media_average_audience", "social_media_interactions", "practitioner_workshops",
                "practitioner_participants", "citywide_participants"):
        assert fmt_int(int(raw[fid])) in text, fid
    assert "{cite:p}`clubmoor_slides_2021`" in text
    figures = clubmoor.figures.copy()
    figures.loc[figures["figure_id"] == "survey_responses", "value"] = 4321
    assert "4,321 responses" in S.engagement_text(replace(clubmoor, figures=figures))
    without = replace(clubmoor, figures=figures[figures["figure_id"] != "interviews"])
    assert "interviews" not in S.engagement_text(without)
    none = replace(clubmoor, figures=pd.DataFrame(columns=S.FIGURE_COLUMNS))
    assert "No engagement figures are published" in S.engagement_text(none)


def test_context_comes_from_the_context_tables(clubmoor: S.Summary) -> None:
    wards = pd.read_csv(REPO / "data" / "context" / "wards.csv", dtype={"ward_code": str})
    pop = int(wards.loc[(wards["ward_code"] == "E05000892"), "population_2021"].iloc[0])
    text = S.context_text(clubmoor)
    assert f"{fmt_int(pop)} people lived in Clubmoor at the 2021 Census" in text  # one number per fact: never rounded
    assert "{cite:p}`ons_census2021`" in text and "{cite:p}`mhclg_iod2019`" in text
    table = S.context_table(clubmoor)
    assert table.frame.iloc[0, 1] == fmt_int(pop)
    summary = pd.read_csv(REPO / "data" / "context" / "deprivation_summary.csv", dtype={"ward_code": str})
    ward = summary[summary["ward_code"] == "E05000892"]
    n1, n = int(ward.loc[ward["imd_decile"] == 1, "n_lsoa"].iloc[0]), int(ward["n_lsoa"].sum())
    assert f"{n1} of the {n} neighbourhoods" in text


def test_a_ward_without_census_figures_says_so(tmp_path: Path) -> None:
    context_dir = tmp_path / "context"
    shutil.copytree(REPO / "data" / "context", context_dir)
    blank_census_figures(context_dir, ctx.WATERFRONT_NORTH)
    profile = pr.ward_profile(ctx.load_context(context_dir, ctx.WATERFRONT_NORTH), context_dir)
    s = S.Summary("wn", "Waterfront North", "synthetic", pd.DataFrame(columns=S.FIGURE_COLUMNS), profile,
                  _no_recommendations(), REPO)
    assert profile.caveat in S.context_text(s)
    assert S.context_table(s) is None
    assert "no findings for Waterfront North yet" in S.findings_text(s)


# ---------------------------------------------------------------- plain English, length, thin template


def _plain_words(markdown: str) -> str:
    """The page's prose as a reader meets it, scored the way benchmarks/readability.py scores pages."""
    from markdown_it import MarkdownIt

    sys.path.insert(0, str(REPO / "benchmarks"))
    import readability

    markdown = re.sub(r"\{cite:p\}`[^`]*`", "", markdown)
    markdown = re.sub(r"\{doc\}`([^`]*)`", lambda m: re.sub(r"^\d\d-", "", m.group(1).rsplit("/", 1)[-1]).replace("-", " ").capitalize(), markdown)
    return readability.page_text(f"<article class='bd-article'>{MarkdownIt().render(markdown)}</article>")[1]


@pytest.mark.parametrize("ward", ["clubmoor", "anfield"])
def test_plain_english_and_at_most_900_words(ward: str, request: pytest.FixtureRequest) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import textstat

    s = request.getfixturevalue(ward)
    text = _plain_words(page_markdown(s))
    words = textstat.lexicon_count(text, removepunct=True)
    assert 200 < words <= 900 - 150, words  # leaves room for the banner and the tables' titles
    assert textstat.flesch_reading_ease(text) >= 60
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "a code name reached the reader"


def test_templates_carry_the_prose() -> None:
    source = (REPO / "src" / "cityconv" / "chapters" / "summary.py").read_text(encoding="utf-8")
    names = {p.stem for p in S.TEMPLATES.glob("*.md")}
    assert {"intro", "findings", "objectives", "recommendations", "engagement", "context", "reading_on"} <= names
    for name in names:
        assert f'render("{name}"' in source, name


def test_template_is_thin_and_declared() -> None:
    nb = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    meta = nb["metadata"]["cityconv"]
    assert meta["applies_to"] == ["ward"] and meta["title"] == "Executive summary"
    assert {"data/context/*", "data/evidence/*", "data/recommendations/*"} <= set(meta["reads"])
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "".join(params[0]["source"]) == 'study_id = "clubmoor"'
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert cell["outputs"] == [] and cell["execution_count"] is None
        for word in ("if ", "for ", "def ", "while ", "lambda", "pd.", "plt.", "import pandas"):
            assert word not in source, (word, source)
        assert not re.search(r"\d{2,}", source), f"a number typed into a code cell: {source!r}"
    markdown = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    numbers = [n for n in re.findall(r"\b\d[\d,]*\b", markdown) if not re.fullmatch(r"(19|20)\d\d", n)]
    assert not numbers, f"numbers in the narrative must come from data: {numbers}"
