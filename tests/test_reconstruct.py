"""The Clubmoor reconstruction: published figures exact, reproducible, honestly labelled."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cityconv.data.wardfiles import load_ward_data
from cityconv.generate import reconstruct
from cityconv.generate.reconstruct import ReconstructionError, reconstruct_clubmoor
from cityconv.methods.claims import check_published_figures

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"
SLIDES = REPO.parent / "shared" / "seeds" / "001_7db58e287697ba8a.txt"

# Typed in from the slides independently of the package, so a wrong constant there is caught here.
PUBLISHED = {
    "target_residents_engaged": 60,
    "target_community_researchers": 20,
    "target_focus_groups": 6,
    "target_community_workshops": 2,
    "training_sessions": 4,
    "training_participants": 23,
    "survey_responses": 48,
    "survey_months": 2,
    "interviews": 26,
    "social_media_posts": 6,
    "social_media_average_audience": 942,
    "social_media_interactions": 176,
    "social_media_comments": 25,
    "practitioner_workshops": 2,
    "practitioner_participants": 20,
    "citywide_participants": 1906,
}


@pytest.fixture(scope="module")
def ward():
    return load_ward_data(CLUBMOOR, REPO)


def slides_text() -> str:
    if not SLIDES.exists():
        pytest.skip("source slides not available beside the repository")
    text = SLIDES.read_text(encoding="utf-8")
    text = re.sub(r"(?<=\w)-\s*\n\s*", "-", text)  # 'face-\nto-face' -> 'face-to-face'
    return re.sub(r"\s+", " ", text)


def test_published_figures_table_carries_exactly_the_published_numbers(ward):
    pf = ward.published_figures.set_index("figure_id")
    assert dict(zip(pf.index, pf["value"].astype(float))) == {k: float(v) for k, v in PUBLISHED.items()}
    assert set(pf["source_key"]) == {"clubmoor_slides_2021"}
    assert pf["location"].notna().all()


def test_every_published_figure_is_reproduced_from_the_records(ward):
    results = check_published_figures(ward)
    assert {r.figure_id for r in results} == set(PUBLISHED)
    assert all(r.passed for r in results), "\n".join(str(r) for r in results if not r.passed)


def test_published_figures_directly(ward):
    """The same figures computed here by hand, not through the package's derivations."""
    posts = ward.social_media_posts
    assert len(ward.survey_responses) == 48
    assert set(ward.survey_responses["month"]) == {"2020-04", "2020-05"}
    assert len(ward.interviews) == 26
    assert len(posts) == 6
    assert posts["audience"].sum() == 942 * 6
    assert (posts["reactions"] + posts["comments"] + posts["shares"]).sum() == 176
    assert posts["comments"].sum() == 25
    assert len(ward.training_sessions) == 4
    assert ward.training_attendance["participant_id"].nunique() == 23
    assert len(ward.workshops) == 2 and ward.workshops["participants"].sum() == 20
    targets = ward.objectives.set_index("objective_id")["target"]
    assert (targets["engage_residents"], targets["train_researchers"]) == (60, 20)
    assert (targets["focus_groups"], targets["community_workshops"]) == (6, 2)
    city = ward.citywide_consultation_2019.set_index("item_id")
    assert city.loc["participants", "count"] == 1906


def test_figure_wording_is_on_the_slides(ward):
    text = slides_text()
    for fid, source_text in zip(ward.published_figures["figure_id"], ward.published_figures["source_text"]):
        assert source_text in text, fid
    for heading in set(ward.published_figures["location"]) | set(ward.quotes["location"]):
        assert heading in text, heading


def test_quotes_are_verbatim_with_published_roles(ward):
    text = slides_text()
    q = ward.quotes.set_index("quote_id")
    assert len(q) == 10
    for qid, row in q.iterrows():
        assert row["text"] in text, qid
    interviewee = ["Q01", "Q03", "Q04", "Q05", "Q06"]
    assert (q.loc[interviewee, "speaker_role"] == "Interviewee").all()
    assert q.loc["Q02", "speaker_role"] == "On-line survey respondent"
    assert (q.loc[["Q08", "Q09", "Q10"], "speaker_role"] == "Practitioner (workshop participant)").all()
    # A role printed beside the quote is 'published'; any other is flagged as our interpretation.
    assert (q.loc[interviewee + ["Q02"], "speaker_role_basis"] == "published").all()
    assert (q.loc[["Q07", "Q08", "Q09", "Q10"], "speaker_role_basis"] == "project interpretation").all()
    assert "[the pandemic]" in q.loc["Q03", "text"] and "[laughs]" in q.loc["Q06", "text"]
    assert "a speed dating event" in q.loc["Q06", "text"]


def test_citywide_areas_as_listed(ward):
    text = slides_text()
    areas = ward.citywide_consultation_2019.query("item_type == 'improvement_area'").sort_values("list_order")
    assert len(areas) == 5
    positions = [text.index(label) for label in areas["label"]]
    assert positions == sorted(positions)
    assert areas["count"].isna().all() and areas["share_more_than"].isna().all()  # nothing invented


def test_objectives_do_not_claim_unpublished_counts(ward):
    o = ward.objectives.set_index("objective_id")
    assert o.loc["focus_groups", "delivered"] is pd.NA
    assert o.loc["focus_groups", "delivered_basis"] == "project interpretation"
    assert o.loc["community_workshops", "delivered_basis"] == "project interpretation"
    assert o.loc["engage_residents", "delivered_basis"] == "project interpretation"
    assert o.loc["train_researchers", "delivered"] == 23
    assert o.loc["train_researchers", "delivered_basis"] == "published"
    published_delivered = o[o["delivered_basis"] == "published"]["delivered"].dropna().astype(int)
    assert set(published_delivered) <= set(PUBLISHED.values())


def test_rerun_reproduces_committed_files_byte_for_byte(tmp_path):
    out = tmp_path / "data" / "clubmoor"
    written = reconstruct_clubmoor(out, seed=2020, context_dir=REPO / "data" / "context")
    city = REPO / "data" / "city"
    committed = sorted([p for p in CLUBMOOR.iterdir() if p.is_file()] + [city / "citywide_consultation_2019.csv"])
    assert sorted(p.relative_to(tmp_path / "data") for p in written) == [p.relative_to(REPO / "data") for p in committed]
    for path in written:
        assert path.read_bytes() == (REPO / "data" / path.relative_to(tmp_path / "data")).read_bytes(), path.name


def test_other_seed_differs_but_still_reproduces_published_figures(tmp_path):
    out = tmp_path / "clubmoor"
    reconstruct_clubmoor(out, seed=7, context_dir=REPO / "data" / "context")
    assert (out / "survey_responses.csv").read_bytes() != (CLUBMOOR / "survey_responses.csv").read_bytes()
    assert (out / "published_figures.csv").read_bytes() == (CLUBMOOR / "published_figures.csv").read_bytes()
    other = load_ward_data(out, tmp_path)
    assert all(r.passed for r in check_published_figures(other))


def test_readme_states_the_reconstruction():
    readme = (CLUBMOOR / "README.md").read_text(encoding="utf-8")
    assert "are a reconstruction, not the project's data" in readme
    assert "consistent with the published summary" in readme
    assert "clubmoor_slides_2021" in readme
    for fid, value in PUBLISHED.items():
        assert f"| `{fid}` | {value:,} |" in readme
    for stem in ("survey_responses", "interviews", "social_media_posts", "workshops", "training_attendance"):
        assert f"`{stem}.csv`" in readme


def test_fails_loudly_when_a_published_total_is_not_reproduced(tmp_path, monkeypatch):
    monkeypatch.setattr(reconstruct, "REACTIONS", reconstruct.REACTIONS + 1)
    with pytest.raises(ReconstructionError, match="social_media_interactions"):
        reconstruct_clubmoor(tmp_path / "clubmoor")


def test_fails_loudly_when_a_published_figure_is_mistyped(tmp_path, monkeypatch):
    figures = [f if f[0] != "interviews" else (f[0], 27, *f[2:]) for f in reconstruct.PUBLISHED_FIGURES]
    monkeypatch.setattr(reconstruct, "PUBLISHED_FIGURES", figures)
    with pytest.raises(ReconstructionError, match="interviews: published 27, derived 26"):
        reconstruct_clubmoor(tmp_path / "clubmoor")


def test_fails_loudly_when_a_published_finding_does_not_hold(tmp_path, monkeypatch):
    answers = dict(reconstruct.SURVEY_SINGLE_ANSWERS)
    answers["recommend"] = {"yes": 20, "no": 20, "not_sure": 8}
    monkeypatch.setattr(reconstruct, "SURVEY_SINGLE_ANSWERS", answers)
    with pytest.raises(ReconstructionError, match="most_would_recommend"):
        reconstruct_clubmoor(tmp_path / "clubmoor")


def test_fails_loudly_when_the_sampling_bias_is_lost(tmp_path, monkeypatch):
    monkeypatch.setattr(reconstruct, "SURVEY_ETHNICITY", {"White": 38, "Asian/Asian British": 8, "Prefer not to say": 2})
    with pytest.raises(ReconstructionError, match="ethnic_minority_underrepresented"):
        reconstruct_clubmoor(tmp_path / "clubmoor", context_dir=REPO / "data" / "context")


def test_small_cells_are_not_avoided(ward):
    s = ward.survey_responses
    cells = s.groupby(["age_band", "sex"], observed=True).size()
    assert (cells < 5).any()
    assert (s["ethnic_group"] == "Mixed/multiple").sum() == 1
    assert (s == "Prefer not to say").any(axis=None)
