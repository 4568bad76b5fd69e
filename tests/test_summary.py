"""The executive summary: every number comes from the data, and the template is thin."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cityconv.data import context as ctx
from cityconv.chapters import profile as pr
from cityconv.chapters import summary as S
from cityconv.present import fmt_int

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "notebooks" / "00-executive-summary.ipynb"
FIGURES = REPO / "data" / "clubmoor" / "published_figures.csv"


@pytest.fixture(scope="module")
def clubmoor() -> S.Summary:
    return S.load_summary("clubmoor", REPO)


def _no_recommendations() -> S.Recommendations:
    return S.Recommendations(False, reason="The recommendation rules are not part of this version of the book.")


def test_published_figures_are_read_from_the_csv(clubmoor: S.Summary) -> None:
    raw = pd.read_csv(FIGURES, dtype=str)
    assert len(clubmoor.figures) == len(raw)
    for fid, value in zip(raw["figure_id"], raw["value"]):
        assert S.figure(clubmoor.figures, fid) == int(value)
    assert S.figure(clubmoor.figures, "no_such_figure") is None


def test_engagement_text_reproduces_every_headline_figure(clubmoor: S.Summary) -> None:
    text = S.engagement_text(clubmoor)
    raw = pd.read_csv(FIGURES, dtype=str).set_index("figure_id")["value"]
    for fid in ("training_sessions", "training_participants", "survey_responses", "interviews", "social_media_posts",
                "social_media_average_audience", "social_media_interactions", "practitioner_workshops",
                "practitioner_participants", "citywide_participants"):
        assert fmt_int(int(raw[fid])) in text, fid
    assert "{cite:p}`clubmoor_slides_2021`" in text


def test_numbers_follow_the_data_not_the_code(clubmoor: S.Summary) -> None:
    """Change a published figure and the prose and the table change with it."""
    figures = clubmoor.figures.copy()
    figures.loc[figures["figure_id"] == "survey_responses", "value"] = 4321
    figures.loc[figures["figure_id"] == "target_residents_engaged", "value"] = 77
    changed = replace(clubmoor, figures=figures)
    assert "4,321 responses" in S.engagement_text(changed)
    assert "engage 77 residents" in S.targets_text(changed)
    assert "4,321" in S.key_numbers_table(changed).frame["Figure"].tolist()
    without = replace(clubmoor, figures=figures[~figures["figure_id"].isin(["interviews"])])
    assert "interviews were held" not in S.engagement_text(without)


def test_targets_are_phrased_from_their_descriptions(clubmoor: S.Summary) -> None:
    text = S.targets_text(clubmoor)
    assert "engage 60 residents" in text and "train 20 community researchers" in text
    assert S._target_phrase(5, "widgets", "Something else") == "reach 5 widgets"


def test_key_numbers_table_has_gss_furniture(clubmoor: S.Summary) -> None:
    table = S.key_numbers_table(clubmoor)
    assert table.title and table.units and table.source.startswith("Source:")
    assert "The City Conversation in Clubmoor" in table.source  # title read from references.bib
    assert list(table.frame.columns) == ["Measure", "Figure", "Unit", "Where published"]
    assert not table.frame["Figure"].str.startswith("target").any()


def test_context_comes_from_the_context_tables(clubmoor: S.Summary) -> None:
    wards = pd.read_csv(REPO / "data" / "context" / "wards.csv", dtype={"ward_code": str})
    pop = int(wards.loc[(wards["ward_code"] == "E05000892"), "population_2021"].iloc[0])
    text = S.context_text(clubmoor)
    assert f"About {fmt_int(round(pop, -2))} people" in text
    assert "{cite:p}`ons_census2021`" in text and "{cite:p}`mhclg_iod2019`" in text
    table = S.context_table(clubmoor)
    assert table.frame.iloc[0, 1] == fmt_int(pop)
    summary = pd.read_csv(REPO / "data" / "context" / "deprivation_summary.csv", dtype={"ward_code": str})
    ward = summary[summary["ward_code"] == "E05000892"]
    n1, n = int(ward.loc[ward["imd_decile"] == 1, "n_lsoa"].iloc[0]), int(ward["n_lsoa"].sum())
    assert f"{n1} of the {n} neighbourhoods" in text


def test_a_ward_without_census_figures_says_so() -> None:
    context_dir = REPO / "data" / "context"
    profile = pr.ward_profile(ctx.load_context(context_dir, ctx.WATERFRONT_NORTH), context_dir)
    s = S.Summary("wn", "Waterfront North", "synthetic", pd.DataFrame(columns=S.FIGURE_COLUMNS), profile,
                  _no_recommendations(), REPO)
    assert profile.caveat in S.context_text(s)
    assert S.context_table(s) is None


def test_a_synthetic_ward_presents_nothing_as_published(clubmoor: S.Summary) -> None:
    s = replace(clubmoor, data_status="synthetic")
    assert S.engagement_text(s) is None and S.targets_text(s) is None and S.key_numbers_table(s) is None
    assert "simulated" in S.intro_text(s)


def test_a_ward_without_published_figures(clubmoor: S.Summary) -> None:
    s = replace(clubmoor, figures=pd.DataFrame(columns=S.FIGURE_COLUMNS))
    assert "No engagement figures are published" in S.engagement_text(s)
    assert S.key_numbers_table(s) is None and S.targets_text(s) is None


def test_recommendations_at_a_glance(clubmoor: S.Summary) -> None:
    r = clubmoor.recommendations
    if not r.available:
        pytest.skip(f"recommendations not available: {r.reason}")
    from cityconv.chapters import recommendations

    wr = recommendations.load("clubmoor", REPO)
    assert r.items["recommendation"].tolist() == [f.rule.title for f in wr.fired]
    assert r.n_rules == len(wr.results)
    text = S.recommendations_text(clubmoor)
    assert f"**{fmt_int(len(wr.fired))}**" in text and "reconstructed records" in text
    table = S.recommendations_table(clubmoor)
    assert len(table.frame) == len(wr.fired)




def test_bib_title() -> None:
    assert S.bib_title("clubmoor_slides_2021", REPO) == "The City Conversation in Clubmoor"
    assert S.bib_title("no_such_key", REPO) is None
    assert S.bib_title("clubmoor_slides_2021", None) is None


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
