"""Published findings as checkable claims: all hold for Clubmoor; an altered dataset breaks the right one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from cityconv.data.context import load_context
from cityconv.data.wardfiles import WardData, load_ward_data
from cityconv.methods.claims import CLAIMS, CLUBMOOR_WARD_CODE, check_claims

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"
CONTEXT_DIR = REPO / "data" / "context"
CONTEXT_CLAIMS = {"women_35_64_overrepresented", "ethnic_minority_underrepresented"}


@pytest.fixture(scope="module")
def ward() -> WardData:
    return load_ward_data(CLUBMOOR, REPO)


@pytest.fixture(scope="module")
def context():
    assert CONTEXT_DIR.is_dir(), "data/context is part of the repository"
    ctx = load_context(CONTEXT_DIR, CLUBMOOR_WARD_CODE)
    assert not ctx.age_sex.empty and not ctx.ethnicity.empty
    return ctx


def results_by_id(ward, context):
    return {r.claim_id: r for r in check_claims(ward, context)}


def test_claim_ids_unique_and_sourced():
    ids = [c.claim_id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    for c in CLAIMS:
        assert c.statement and c.location and c.operationalised


def test_every_claim_passes_on_clubmoor(ward, context):
    results = check_claims(ward, context)
    assert len(results) == len(CLAIMS)
    failed = [str(r) for r in results if r.passed is not True]
    assert not failed, "\n".join(failed)
    for r in results:
        assert r.evidence, r.claim_id


def test_evidence_numbers(ward, context):
    r = results_by_id(ward, context)
    assert r["best_things_top_two"].evidence["n_green_spaces"] == 24
    assert r["best_things_top_two"].evidence["n_community"] == 21
    assert r["most_would_recommend"].evidence == {"n_yes": 33, "n_respondents": 48, "share": 0.6875}
    women = r["women_35_64_overrepresented"].evidence
    assert women["n_women_35_64"] == 23 and women["n_known_age_and_sex"] == 46
    assert women["ward_share_15plus_estimated"] == pytest.approx(0.2566, abs=1e-3)
    minority = r["ethnic_minority_underrepresented"].evidence
    assert minority["ward_share_all_ages"] == pytest.approx(0.0754, abs=1e-3)
    # robust: even if everyone who did not state an ethnic group were from a minority, still under
    assert minority["sample_share_if_all_not_stated_were_minority"] < minority["ward_share_all_ages"]


def test_without_context_census_claims_are_not_evaluated(ward):
    results = results_by_id(ward, None)
    for cid in CONTEXT_CLAIMS:
        assert results[cid].passed is None and "not evaluable" in results[cid].note
    assert all(r.passed for cid, r in results.items() if cid not in CONTEXT_CLAIMS)


def test_census_claims_use_the_ward_rows_not_liverpool(ward, context):
    """WardContext carries Liverpool's rows too; claims must compare with the ward's own."""
    from cityconv.methods.claims import _context_table

    ethnicity = _context_table(context, "ethnicity")
    assert set(ethnicity["ward_code"]) == {CLUBMOOR_WARD_CODE}
    assert "E08000012" in set(context.ethnicity["ward_code"])


def test_missing_source_is_not_evaluated_not_failed(ward, context):
    no_interviews = dataclasses.replace(ward, interviews=None, interview_themes=None)
    r = results_by_id(no_interviews, context)
    assert r["interview_sample_mix"].passed is None
    assert r["blended_engagement_favoured"].passed is None


# --- alterations: each makes exactly the targeted claim fail ------------------------------------


def _survey(ward: WardData, column: str, old: str, new: str, n: int) -> WardData:
    s = ward.survey_responses.copy()
    idx = s.index[s[column] == old][:n]
    s.loc[idx, column] = new
    return dataclasses.replace(ward, survey_responses=s)


def _drop_mentions(ward: WardData, question: str, code: str, keep: int) -> WardData:
    m = ward.survey_mentions
    hit = m[(m["question"] == question) & (m["code"] == code)]
    return dataclasses.replace(ward, survey_mentions=m.drop(hit.index[keep:]))


def _drop_methods_for(ward: WardData, bands: tuple[str, ...], codes: tuple[str, ...]) -> WardData:
    s, m = ward.survey_responses, ward.survey_mentions
    ids = set(s.loc[s["age_band"].isin(bands), "response_id"])
    drop = m["response_id"].isin(ids) & (m["question"] == "preferred_methods") & m["code"].isin(codes)
    return dataclasses.replace(ward, survey_mentions=m[~drop])


def _sex_for_middle_aged_women(ward: WardData) -> WardData:
    s = ward.survey_responses.copy()
    women = (s["sex"] == "Female") & s["age_band"].isin(["35-44", "45-54", "55-64"])
    s.loc[s.index[women][:18], "sex"] = "Male"
    return dataclasses.replace(ward, survey_responses=s)


def _months(ward: WardData) -> WardData:
    s = ward.survey_responses.copy()
    s.loc[s.index[-1], "month"] = "2020-06"
    return dataclasses.replace(ward, survey_responses=s)


def _last_training_in_february(ward: WardData) -> WardData:
    t = ward.training_sessions.copy()
    t["month"] = "2020-02"
    return dataclasses.replace(ward, training_sessions=t)


def _interviews_all_one_type(ward: WardData) -> WardData:
    i = ward.interviews.copy()
    i["interviewee_type"] = "survey_respondent"
    return dataclasses.replace(ward, interviews=i)


def _drop_theme(ward: WardData, frame: str, theme: str) -> WardData:
    t = getattr(ward, frame)
    return dataclasses.replace(ward, **{frame: t[t["theme"] != theme]})


def _citywide_share(ward: WardData) -> WardData:
    c = ward.citywide_consultation_2019.copy()
    c.loc[c["item_id"] == "strength_community", "share_more_than"] = pd.NA
    return dataclasses.replace(ward, citywide_consultation_2019=c)


def _citywide_without_crime(ward: WardData) -> WardData:
    c = ward.citywide_consultation_2019
    return dataclasses.replace(ward, citywide_consultation_2019=c[c["item_id"] != "improve_crime"])


ALTERATIONS = {
    "best_things_top_two": lambda w: _drop_mentions(w, "best_things", "green_spaces", keep=10),
    "improve_top_two": lambda w: _drop_mentions(w, "improve", "things_to_do", keep=8),
    "most_would_recommend": lambda w: _survey(w, "recommend", "yes", "not_sure", 10),
    "few_felt_worse": lambda w: _survey(w, "change_5yr", "same", "worse", 6),
    "most_changed_little": lambda w: _survey(w, "change_5yr", "same", "dont_know", 6),
    "covid_catalyst": lambda w: _survey(w, "covid_community_spirit", "more", "no_different", 8),
    "blended_engagement_favoured": lambda w: _drop_theme(w, "interview_themes", "blended_engagement"),
    "digital_for_younger": lambda w: _drop_methods_for(w, ("16-24", "25-34", "35-44"),
                                                       ("social_media", "email_website", "online_meetings")),
    "traditional_for_older": lambda w: _drop_methods_for(w, ("65-74", "75+"),
                                                         ("postal", "doorstep", "community_meetings", "telephone")),
    "women_35_64_overrepresented": _sex_for_middle_aged_women,
    "ethnic_minority_underrepresented": lambda w: _survey(w, "ethnic_group", "White", "Asian/Asian British", 6),
    "interview_sample_mix": _interviews_all_one_type,
    "fieldwork_periods": _months,
    "practitioner_findings_raised": lambda w: _drop_theme(w, "workshop_themes", "digital_exclusion"),
    "citywide_community_over_half": _citywide_share,
    "sense_check_similar": _citywide_without_crime,
}


def test_every_claim_has_an_alteration():
    assert set(ALTERATIONS) == {c.claim_id for c in CLAIMS}


@pytest.mark.parametrize("claim_id", sorted(ALTERATIONS))
def test_altered_data_fails_the_claim(ward, context, claim_id):
    before = results_by_id(ward, context)
    altered = ALTERATIONS[claim_id](ward)
    after = results_by_id(altered, context)
    assert before[claim_id].passed is True
    assert after[claim_id].passed is False, str(after[claim_id])
    assert after[claim_id].evidence != before[claim_id].evidence


def test_training_after_lockdown_fails(ward, context):
    r = results_by_id(_last_training_in_february(ward), context)["fieldwork_periods"]
    assert r.passed is False and r.evidence["last_training_month"] == "2020-02"


def test_a_study_that_did_not_ask_a_question_cannot_test_its_claims(ward, context):
    """A study with its own questionnaire: claims on questions it did not ask, or coded otherwise, are
    "not evaluable" with the reason, never a crash or a verdict."""
    keep = [q for q in ward.questionnaire.questions if q.id not in ("recommend", "age_band")]
    recoded = [q.model_copy(update={"options": {"w": "White", "o": "Other"}}) if q.id == "ethnic_group" else q
               for q in keep]
    study = dataclasses.replace(ward, questionnaire=ward.questionnaire.model_copy(update={"questions": recoded}),
                                survey_responses=ward.survey_responses.drop(columns=["recommend", "age_band"]))
    results = results_by_id(study, context)
    for claim_id, reason in (("most_would_recommend", "the study did not ask 'recommend'"),
                             ("women_35_64_overrepresented", "the study did not ask 'age_band'"),
                             ("digital_for_younger", "the study did not ask 'age_band'"),
                             ("ethnic_minority_underrepresented",
                              "the study's question 'ethnic_group' has no answer code 'White'")):
        assert results[claim_id].passed is None and results[claim_id].note == f"not evaluable: {reason}"
    assert results["few_felt_worse"].passed is True  # a question it did ask is still tested
