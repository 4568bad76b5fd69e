"""Published findings as machine-checkable claims, and published figures re-derived from the records.

Each qualitative statement of the Clubmoor findings slides (`clubmoor_slides_2021`) is a `Claim`:
an id, the statement, where it is published, and a function over the loaded ward data (and the census
context, for statements about the sample's composition) that returns pass/fail plus the evidence
numbers. Words such as "most" and "few" need an operational meaning; each claim's `operationalised`
text says which one we use (e.g. "most" = more than half of all respondents, blanks included in the
base). A claim returns `passed=None` when the data it needs are absent (e.g. a ward with no
interviews, or no census context): not evaluable, which is not a failure.

`check_published_figures` re-derives every figure in `published_figures.csv` from the records
(e.g. `survey_responses` = number of rows of survey_responses.csv, `social_media_average_audience` =
mean audience of the posts) and compares exactly.

Census comparisons use the long tables in `data/context/` (boundary_set, ward_code, ward_name,
category, count, share; `age_sex.csv` is estimated under independence of age and sex). Survey
respondents are 16+; the census bands split at 14/15, so the adult base is the population aged 15+
(band `15-24` and above), the closest the published bands allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from cityconv.data.context import WardContext as Context
from cityconv.data.wardfiles import WardData

CLUBMOOR_WARD_CODE = "E05000892"
SOURCE_KEY = "clubmoor_slides_2021"
ADULT_CENSUS_BANDS = ("15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
MIDDLE_AGED_BANDS = ("35-44", "45-54", "55-64")
# The one age grouping of the digital/traditional comparison, used by the claims, the survey chapter
# and every page that reports it: two groups of roughly equal size, so that most cells of a survey of
# about 50 responses are large enough to publish. The base is every respondent in the group.
YOUNGER_BANDS = ("16-24", "25-34", "35-44", "45-54")
OLDER_BANDS = ("55-64", "65-74", "75+")
YOUNGER_LABEL = "Aged 16 to 54"
OLDER_LABEL = "Aged 55 and over"
DIGITAL_METHODS = ("social_media", "email_website", "online_meetings")
TRADITIONAL_METHODS = ("postal", "doorstep", "community_meetings", "telephone")
NOT_STATED = "Prefer not to say"

Outcome = tuple[bool | None, dict[str, object], str]


@dataclass(frozen=True)
class ClaimResult:
    claim_id: str
    statement: str
    location: str
    passed: bool | None  # None: not evaluable with the data given
    evidence: dict[str, object] = field(default_factory=dict)
    note: str = ""
    source_key: str = SOURCE_KEY

    def __str__(self) -> str:
        status = {True: "PASS", False: "FAIL", None: "NOT EVALUATED"}[self.passed]
        ev = ", ".join(f"{k}={v}" for k, v in self.evidence.items())
        return f"[{status}] {self.claim_id}: {self.statement} ({ev}){' — ' + self.note if self.note else ''}"


@dataclass(frozen=True)
class Claim:
    claim_id: str
    statement: str
    location: str
    operationalised: str
    check: Callable[[WardData, Context | None], Outcome]
    asks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The City Conversation questions (id -> answer codes) the check reads: a study that did not ask
    them, or coded them otherwise, cannot test the claim (it is "not evaluable", never a crash)."""

    def evaluate(self, ward: WardData, context: Context | None) -> ClaimResult:
        unasked = _unasked(ward, self.asks)
        if unasked:
            return ClaimResult(self.claim_id, self.statement, self.location, None, {}, f"not evaluable: {unasked}")
        passed, evidence, note = self.check(ward, context)
        return ClaimResult(self.claim_id, self.statement, self.location, passed, evidence, note)


def _unasked(ward: WardData, asks: dict[str, tuple[str, ...]]) -> str:
    """Why the study cannot answer `asks` ("" when it can): the first question missing or coded otherwise."""
    questionnaire = ward.questionnaire
    for qid, codes in asks.items():
        if questionnaire is None or not questionnaire.has(qid):
            return f"the study did not ask {qid!r}"
        known = set(questionnaire.question(qid).all_codes())
        missing = [c for c in codes if c not in known]
        if missing:
            return f"the study's question {qid!r} has no answer code {', '.join(map(repr, missing))}"
    return ""


# --------------------------------------------------------------------------------------------------
# Helpers


def _missing(what: str) -> Outcome:
    return None, {}, f"not evaluable: {what}"


def _mention_counts(ward: WardData, question: str) -> pd.Series:
    m = ward.survey_mentions
    sub = m[m["question"] == question]
    return sub.groupby("code", observed=True)["response_id"].nunique().sort_values(ascending=False, kind="stable")


def _top_two(ward: WardData, question: str, expected: set[str]) -> Outcome:
    if ward.survey_mentions is None:
        return _missing("no survey_mentions.csv")
    counts = _mention_counts(ward, question)
    if len(counts) < 2:
        return False, {"codes": len(counts)}, "fewer than two codes"
    evidence = {f"n_{code}": int(counts.get(code, 0)) for code in sorted(expected)}
    others = counts.drop(list(expected), errors="ignore")
    third = int(others.iloc[0]) if len(others) else 0
    evidence["n_next_most_frequent"] = third
    evidence["next_most_frequent"] = str(others.index[0]) if len(others) else ""
    passed = all(int(counts.get(code, 0)) > third for code in expected)
    return passed, evidence, ""


def _share(ward: WardData, column: str, answer: str) -> tuple[int, int, float] | None:
    s = ward.survey_responses
    if s is None or column not in s.columns or s[column].isna().all():
        return None
    n = len(s)
    k = int((s[column] == answer).sum())
    return k, n, k / n if n else 0.0


def _most(ward: WardData, column: str, answer: str) -> Outcome:
    r = _share(ward, column, answer)
    if r is None:
        return _missing(f"no {column} answers")
    k, n, share = r
    return share > 0.5, {"n_" + answer: k, "n_respondents": n, "share": round(share, 4)}, ""


def _context_table(context: Context | None, name: str) -> pd.DataFrame | None:
    """The ward's own rows of one context table (`WardContext` also carries Liverpool's rows)."""
    if context is None:
        return None
    table = getattr(context, name, None)
    if table is None or table.empty:
        return None
    table = table[(table["ward_code"] == context.ward_code) & (table["boundary_set"] == context.boundary_set)]
    return table.reset_index(drop=True) if len(table) else None


def _respondents_with_methods(ward: WardData, bands: tuple[str, ...]) -> tuple[int, int, int]:
    """(respondents in the age bands, of whom naming a digital method, naming a traditional one).

    The base is every respondent in the bands, as in the survey chapter's by-age table, so a share
    stated from this evidence is the same number as the one the chapter shows."""
    s, m = ward.survey_responses, ward.survey_mentions
    methods = m[m["question"] == "preferred_methods"]
    ids = set(s.loc[s["age_band"].isin(bands), "response_id"])
    digital = set(methods.loc[methods["code"].isin(DIGITAL_METHODS), "response_id"]) & ids
    traditional = set(methods.loc[methods["code"].isin(TRADITIONAL_METHODS), "response_id"]) & ids
    return len(ids), len(digital), len(traditional)


# --------------------------------------------------------------------------------------------------
# Checks


def _best_things(ward, context):
    return _top_two(ward, "best_things", {"green_spaces", "community"})


def _improve(ward, context):
    return _top_two(ward, "improve", {"crime_asb", "things_to_do"})


def _recommend(ward, context):
    return _most(ward, "recommend", "yes")


def _changed_little(ward, context):
    return _most(ward, "change_5yr", "same")


def _few_worse(ward, context):
    worse = _share(ward, "change_5yr", "worse")
    better = _share(ward, "change_5yr", "better")
    if worse is None:
        return _missing("no change_5yr answers")
    k, n, share = worse
    passed = share < 0.2 and k < better[0]
    return passed, {"n_worse": k, "n_better": better[0], "n_respondents": n, "share_worse": round(share, 4)}, ""


def _covid(ward, context):
    return _most(ward, "covid_community_spirit", "more")


def _blended(ward, context):
    if ward.interview_themes is None:
        return _missing("no interview_themes.csv")
    t = ward.interview_themes
    counts = {th: int(t.loc[t["theme"] == th, "interview_id"].nunique())
              for th in ("blended_engagement", "face_to_face_engagement", "digital_engagement")}
    passed = counts["blended_engagement"] > max(counts["face_to_face_engagement"], counts["digital_engagement"])
    return passed, {f"n_interviews_{k}": v for k, v in counts.items()}, ""


def _digital_younger(ward, context):
    if ward.survey_mentions is None:
        return _missing("no survey_mentions.csv")
    ny, dy, _ = _respondents_with_methods(ward, YOUNGER_BANDS)
    no, do, _ = _respondents_with_methods(ward, OLDER_BANDS)
    if ny == 0 or no == 0:
        return _missing("no respondents aged 16 to 54 or none aged 55 and over")
    return dy / ny > do / no, {
        "n_younger": ny, "n_younger_digital": dy, "share_younger_digital": round(dy / ny, 4),
        "n_older": no, "n_older_digital": do, "share_older_digital": round(do / no, 4)}, ""


def _traditional_older(ward, context):
    if ward.survey_mentions is None:
        return _missing("no survey_mentions.csv")
    ny, _, ty = _respondents_with_methods(ward, YOUNGER_BANDS)
    no, do, to = _respondents_with_methods(ward, OLDER_BANDS)
    if ny == 0 or no == 0:
        return _missing("no respondents aged 16 to 54 or none aged 55 and over")
    passed = to > do and to / no > ty / ny
    return passed, {
        "n_older": no, "n_older_traditional": to, "n_older_digital": do,
        "share_older_traditional": round(to / no, 4), "share_younger_traditional": round(ty / ny, 4)}, ""


def _women_middle_aged(ward, context):
    age_sex = _context_table(context, "age_sex")
    if age_sex is None:
        return _missing("no census age_sex table in the context")
    s = ward.survey_responses
    known = s[(s["age_band"] != NOT_STATED) & (s["sex"] != NOT_STATED)]
    k = int(((known["sex"] == "Female") & known["age_band"].isin(MIDDLE_AGED_BANDS)).sum())
    adults = age_sex[age_sex["age_band"].isin(ADULT_CENSUS_BANDS)]
    pop = float(adults["count_estimated"].sum())
    women = float(adults.loc[(adults["sex"] == "Female") & adults["age_band"].isin(MIDDLE_AGED_BANDS),
                             "count_estimated"].sum())
    sample_share, ward_share = k / len(known), women / pop
    return sample_share > ward_share, {
        "n_women_35_64": k, "n_known_age_and_sex": len(known), "sample_share": round(sample_share, 4),
        "ward_share_15plus_estimated": round(ward_share, 4)}, "ward share from age_sex.csv (estimated under independence)"


def _minority(ward, context):
    eth = _context_table(context, "ethnicity")
    if eth is None:
        return _missing("no census ethnicity table in the context")
    s = ward.survey_responses
    stated = s[s["ethnic_group"] != NOT_STATED]
    k = int((stated["ethnic_group"] != "White").sum())
    not_stated = len(s) - len(stated)
    groups = eth[eth["category"].isin(["White", "Mixed/multiple", "Asian/Asian British", "Black/Black British", "Other"])]
    total = float(groups["count"].sum())
    ward_share = float(groups.loc[groups["category"] != "White", "count"].sum()) / total
    sample_share = k / len(stated)
    worst_case = (k + not_stated) / len(s)
    return sample_share < ward_share, {
        "n_ethnic_minority": k, "n_stated": len(stated), "n_not_stated": not_stated,
        "sample_share": round(sample_share, 4), "sample_share_if_all_not_stated_were_minority": round(worst_case, 4),
        "ward_share_all_ages": round(ward_share, 4)}, "ward share is for all ages (no ethnicity by age in the tables)"


def _interview_mix(ward, context):
    if ward.interviews is None:
        return _missing("no interviews.csv")
    counts = ward.interviews["interviewee_type"].value_counts()
    types = ("survey_respondent", "community_researcher", "board_member")
    return all(int(counts.get(t, 0)) > 0 for t in types), {f"n_{t}": int(counts.get(t, 0)) for t in types}, ""


def _months_within(frame: pd.DataFrame | None, column: str, allowed: set[str]) -> tuple[bool, list[str]]:
    months = sorted(set(frame[column].astype(str)))
    return set(months) <= allowed, months


def _periods(ward, context):
    checks = {
        "training": (ward.training_sessions, "month", {"2020-02", "2020-03"}),
        "survey": (ward.survey_responses, "month", {"2020-04", "2020-05"}),
        "interviews": (ward.interviews, "month", {"2020-06", "2020-07"}),
        "workshops": (ward.workshops, "month", {"2020-11"}),
    }
    evidence, ok = {}, True
    for name, (frame, column, allowed) in checks.items():
        if frame is None:
            continue
        good, months = _months_within(frame, column, allowed)
        evidence[f"{name}_months"] = " ".join(months)
        ok &= good
    if ward.social_media_posts is not None:
        months = sorted(set(ward.social_media_posts["date"].dt.strftime("%Y-%m")))
        evidence["social_media_months"] = " ".join(months)
        ok &= set(months) <= {"2020-07", "2020-08"}
    if ward.training_sessions is not None:
        last = ward.training_sessions.sort_values("session_number")["month"].iloc[-1]
        evidence["last_training_month"] = str(last)
        ok &= str(last) == "2020-03"
    if not evidence:
        return _missing("no dated sources")
    return ok, evidence, ""


PRACTITIONER_FINDINGS = ("adapted_methods", "covid_intensified_issues", "grassroots_fragility",
                         "lack_joined_up_working", "collaborative_working", "trusted_grassroots_groups",
                         "leadership_capacity", "data_sharing", "embedded_sustained_engagement",
                         "community_driven_engagement", "digital_exclusion", "face_to_face_engagement")


def _practitioner(ward, context):
    if ward.workshop_themes is None:
        return _missing("no workshop_themes.csv")
    raised = set(ward.workshop_themes["theme"].astype(str))
    missing = [t for t in PRACTITIONER_FINDINGS if t not in raised]
    return not missing, {"n_findings": len(PRACTITIONER_FINDINGS), "n_raised": len(PRACTITIONER_FINDINGS) - len(missing),
                         "not_raised": " ".join(missing)}, ""


def _citywide(ward, context):
    c = ward.citywide_consultation_2019
    if c is None:
        return _missing("no citywide_consultation_2019.csv")
    strength = c[(c["item_type"] == "strength") & (c["label"] == "Community")]
    participants = c.loc[c["item_type"] == "participants", "count"]
    share = float(strength["share_more_than"].iloc[0]) if len(strength) and pd.notna(strength["share_more_than"].iloc[0]) else None
    passed = share is not None and share >= 0.5 and len(participants) == 1 and int(participants.iloc[0]) == 1906
    return passed, {"participants": int(participants.iloc[0]) if len(participants) else None,
                    "community_share_more_than": share}, ""


def _sense_check(ward, context):
    c = ward.citywide_consultation_2019
    if c is None or ward.survey_mentions is None:
        return _missing("no citywide consultation or no survey mentions")
    best = _mention_counts(ward, "best_things")
    improve = _mention_counts(ward, "improve")
    areas = " ".join(c.loc[c["item_type"] == "improvement_area", "label"].astype(str)).lower()
    community_top_two = "community" in list(best.index[:2])
    crime_listed = "crime" in areas and "crime_asb" in list(improve.index[:2])
    return community_top_two and crime_listed, {
        "clubmoor_top_best_things": " ".join(map(str, best.index[:2])),
        "clubmoor_top_improve": " ".join(map(str, improve.index[:2])),
        "citywide_lists_crime": "crime" in areas}, ""


LOC_RESIDENTS = "What did we find? (local residents)"
LOC_DATA = "What data did we collect?"
LOC_ENGAGEMENT = "What kinds of community engagement do residents want?"

CLAIMS: tuple[Claim, ...] = (
    Claim("best_things_top_two",
          "Green spaces and a sense of community were most often highlighted by residents as the best thing about Clubmoor.",
          LOC_RESIDENTS, "green_spaces and community are each named by more respondents than any other best-thing code.",
          _best_things, {"best_things": ("green_spaces", "community")}),
    Claim("improve_top_two",
          "Crime / anti-social behaviour and a lack of community provision / ‘things to do’ were most often highlighted as areas that could be improved.",
          LOC_RESIDENTS, "crime_asb and things_to_do are each named by more respondents than any other improvement code.",
          _improve, {"improve": ("crime_asb", "things_to_do")}),
    Claim("most_would_recommend", "Most said they would recommend Clubmoor as a place to live.",
          LOC_RESIDENTS, "more than half of all respondents answer recommend = yes.", _recommend,
          {"recommend": ("yes",)}),
    Claim("few_felt_worse", "Few felt that the area had got worse.",
          LOC_RESIDENTS, "fewer than 20% of all respondents answer change_5yr = worse, and fewer than answer better.",
          _few_worse, {"change_5yr": ("worse", "better")}),
    Claim("most_changed_little", "Most felt that the area had changed little for better or worse in the past five years.",
          LOC_RESIDENTS, "more than half of all respondents answer change_5yr = same.", _changed_little,
          {"change_5yr": ("same",)}),
    Claim("covid_catalyst", "Most felt that the Covid-19 pandemic had been a catalyst for greater community spirit in Clubmoor.",
          LOC_RESIDENTS, "more than half of all respondents answer covid_community_spirit = more.", _covid,
          {"covid_community_spirit": ("more",)}),
    Claim("blended_engagement_favoured",
          "Residents recognised that blended approaches to engagement were likely to be the most inclusive and far-reaching.",
          LOC_ENGAGEMENT, "blended_engagement is coded in more interviews than face_to_face_engagement or digital_engagement.",
          _blended),
    Claim("digital_for_younger",
          "Digital tools (e.g. social media) were perceived to be more effective in connecting with younger people.",
          LOC_ENGAGEMENT, "a larger share of all respondents aged 16 to 54 than of all those aged 55 and over name a digital method.",
          _digital_younger, {"age_band": YOUNGER_BANDS + OLDER_BANDS, "preferred_methods": DIGITAL_METHODS}),
    Claim("traditional_for_older",
          "For older residents more traditional and face-to-face methods (e.g. postal materials, doorstep conversations and community meetings) were favoured.",
          LOC_ENGAGEMENT, "among all respondents aged 55 and over, more name a postal/face-to-face/telephone method than a "
          "digital one, and a larger share than among all those aged 16 to 54.", _traditional_older,
          {"age_band": YOUNGER_BANDS + OLDER_BANDS, "preferred_methods": DIGITAL_METHODS + TRADITIONAL_METHODS}),
    Claim("women_35_64_overrepresented",
          "Some over-representation of middle-aged females within sample.",
          LOC_DATA, "share of women aged 35-64 among respondents with stated age and sex exceeds the ward's estimated share "
          "among residents aged 15+ (census, age_sex.csv).", _women_middle_aged,
          {"age_band": MIDDLE_AGED_BANDS, "sex": ("Female",)}),
    Claim("ethnic_minority_underrepresented", "Under-representation of BAME people.",
          LOC_DATA, "share of ethnic-minority respondents (all groups except White) among those who stated an ethnic group "
          "is below the ward's census share.", _minority, {"ethnic_group": ("White",)}),
    Claim("interview_sample_mix",
          "26 interviews, with sample comprising mixture of survey respondents, community researchers, and MyClubmoor board members.",
          LOC_DATA, "every one of the three interviewee types occurs at least once.", _interview_mix),
    Claim("fieldwork_periods",
          "Training in February and early March 2020 (the last session just before lockdown); survey April–May; interviews June–July; social media July–August; practitioner workshops November 2020.",
          LOC_DATA, "every dated record falls in its published months; the last training session is in March 2020.",
          _periods),
    Claim("practitioner_findings_raised",
          "Practitioner findings: challenges, joint working, data and intelligence sharing, community-driven engagement, digital exclusion, face-to-face methods.",
          "What did we find? (practitioners)", "every published practitioner finding is raised in at least one workshop.",
          _practitioner),
    Claim("citywide_community_over_half",
          "Citywide consultation, autumn 2019, 1,906 participants: community emerged as a key strength, with over half saying their community was what they liked about where they lived.",
          "Sense check", "the citywide table records 1,906 participants and community with a share of more than 0.5.",
          _citywide),
    Claim("sense_check_similar",
          "The Clubmoor findings were broadly similar to those of a citywide consultation in Autumn 2019.",
          "Sense check", "community is a top-two best thing in Clubmoor (the citywide key strength) and crime_asb is a top-two "
          "improvement code in Clubmoor and a listed citywide improvement area.", _sense_check,
          {"best_things": ("community",), "improve": ("crime_asb",)}),
)


def check_claims(ward_data: WardData, context: Context | None) -> list[ClaimResult]:
    """Evaluate every claim. `context`: the ward's census context (`cityconv.data.context.load_context`), or None."""
    return [claim.evaluate(ward_data, context) for claim in CLAIMS]


# --------------------------------------------------------------------------------------------------
# Published figures, re-derived from the records


def _distinct_months(ward: WardData) -> int:
    return int(ward.survey_responses["month"].nunique())


def _target(objective_id: str) -> Callable[[WardData], float | None]:
    def get(ward: WardData) -> float | None:
        o = ward.objectives
        v = o.loc[o["objective_id"] == objective_id, "target"]
        return float(v.iloc[0]) if len(v) == 1 and pd.notna(v.iloc[0]) else None

    return get


def _n(frame_name: str, column: str | None = None) -> Callable[[WardData], float | None]:
    def get(ward: WardData) -> float | None:
        frame = getattr(ward, frame_name)
        if frame is None:
            return None
        return float(frame[column].nunique()) if column else float(len(frame))

    return get


def _sum(frame_name: str, columns: tuple[str, ...]) -> Callable[[WardData], float | None]:
    def get(ward: WardData) -> float | None:
        frame = getattr(ward, frame_name)
        return None if frame is None else float(sum(frame[c].sum() for c in columns))

    return get


def _mean_audience(ward: WardData) -> float | None:
    p = ward.social_media_posts
    return None if p is None else float(p["audience"].sum()) / len(p)


def _citywide_participants(ward: WardData) -> float | None:
    c = ward.citywide_consultation_2019
    if c is None:
        return None
    v = c.loc[c["item_type"] == "participants", "count"]
    return float(v.iloc[0]) if len(v) == 1 else None


FIGURE_DERIVATIONS: dict[str, tuple[str, Callable[[WardData], float | None]]] = {
    "target_residents_engaged": ("objectives.target for engage_residents", _target("engage_residents")),
    "target_community_researchers": ("objectives.target for train_researchers", _target("train_researchers")),
    "target_focus_groups": ("objectives.target for focus_groups", _target("focus_groups")),
    "target_community_workshops": ("objectives.target for community_workshops", _target("community_workshops")),
    "training_sessions": ("rows of training_sessions.csv", _n("training_sessions")),
    "training_participants": ("distinct participant_id in training_attendance.csv", _n("training_attendance", "participant_id")),
    "survey_responses": ("rows of survey_responses.csv", _n("survey_responses")),
    "survey_months": ("distinct months in survey_responses.csv", lambda w: float(_distinct_months(w))),
    "interviews": ("rows of interviews.csv", _n("interviews")),
    "social_media_posts": ("rows of social_media_posts.csv", _n("social_media_posts")),
    "social_media_average_audience": ("mean audience in social_media_posts.csv", _mean_audience),
    "social_media_interactions": ("sum of reactions + comments + shares", _sum("social_media_posts", ("reactions", "comments", "shares"))),
    "social_media_comments": ("sum of comments", _sum("social_media_posts", ("comments",))),
    "practitioner_workshops": ("rows of workshops.csv", _n("workshops")),
    "practitioner_participants": ("sum of workshops.participants", _sum("workshops", ("participants",))),
    "citywide_participants": ("citywide_consultation_2019.count for participants", _citywide_participants),
}


@dataclass(frozen=True)
class FigureResult:
    figure_id: str
    published: float
    derived: float | None
    derivation: str
    passed: bool

    def __str__(self) -> str:
        return (f"[{'PASS' if self.passed else 'FAIL'}] {self.figure_id}: published {self.published:g}, "
                f"derived {self.derived if self.derived is None else format(self.derived, 'g')} ({self.derivation})")


def check_published_figures(ward_data: WardData) -> list[FigureResult]:
    """Compare each row of published_figures.csv with the value re-derived from the records (exactly)."""
    figures = ward_data.published_figures
    if figures is None:
        return []
    results = []
    for fid, value in zip(figures["figure_id"].astype(str), figures["value"].astype(float)):
        derivation, get = FIGURE_DERIVATIONS.get(fid, ("no derivation defined", lambda w: None))
        derived = get(ward_data)
        results.append(FigureResult(fid, value, derived, derivation, derived is not None and derived == value))
    return results
