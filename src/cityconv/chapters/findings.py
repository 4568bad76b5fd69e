"""Named findings: a fixed catalogue of facts about a ward that the recommendation and audit rules use.

Each finding has a value, a plain-English description and where it comes from (the chapter and the
table or claim behind it). They are computed with the chapter modules 2-8 and the ward's params;
nothing here re-derives what those modules compute. A finding whose source is missing for a ward (no
survey, no Census figures, `findings_fed_back` left blank) is *not known* (value None), which is
different from false. Any other error while computing a finding is a bug and fails the run.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.chapters import facts
from cityconv.data import chapter_registry
from cityconv.methods import claims as _claims
from cityconv.methods.conditions import (
    LIST_OPS,
    NUMERIC_OPS,
    OP_WORDS,
    Finding,
    LeafResult,
)
from cityconv.present import fmt_int, fmt_pct
from cityconv.present.mime import ARTIFACT_MIME
from cityconv.present.prose import lower_first

CH_FIELDWORK = "How the evidence was gathered"
CH_SURVEY = "Residents' survey"
CH_WHO = "Who took part"
CH_INTERVIEWS = "Interviews"
CH_SOCIAL = "Social media"
CH_PRACTITIONERS = "Practitioners and partners"
CH_SENSE = "Sense check"
CH_SETTINGS = "ward settings"
PARAMS_SOURCE = "the ward's settings, which say whether the findings were reported back"
#: The chapter (its name in `cityconv.data.chapter_registry`) behind each source a finding comes from.
CHAPTER_NAMES = {
    CH_FIELDWORK: "evidence-gathering", CH_SURVEY: "residents-survey", CH_WHO: "who-took-part",
    CH_INTERVIEWS: "interviews", CH_SOCIAL: "social-media", CH_PRACTITIONERS: "practitioners",
    CH_SENSE: "sense-check",
}


def chapter_link(chapter: str, study_id: str) -> str:
    """A MyST link to a ward's chapter by its title (plain text for what is not a chapter)."""
    page = chapter_registry.find_page(CHAPTER_NAMES[chapter]) if chapter in CHAPTER_NAMES else None
    return f"{{doc}}`{chapter} </book/generated/{study_id}/{page}>`" if page else chapter


@dataclass(frozen=True)
class FindingSpec:
    """What a named finding is, independent of any ward: its kind, label and where it comes from."""

    id: str
    kind: str  # one of KINDS
    label: str  # plain English, e.g. "Things residents most often said could be improved"
    chapter: str  # the chapter that shows it
    where: str  # the table, figure or claim in that chapter

    @property
    def source(self) -> str:
        if self.chapter not in CHAPTER_NAMES:
            return self.where
        return f"chapter “{self.chapter}”, {self.where}"


# The one age grouping of the digital/traditional comparison, worded as the claims define it.
_YOUNGER, _OLDER = _claims.YOUNGER_LABEL.lower(), _claims.OLDER_LABEL.lower()

_SPECS = [
    FindingSpec("survey_responses", "number", "Survey responses", CH_SURVEY,
                "number of responses (the published figure where there is one)"),
    FindingSpec("top_improve", "list", "Things residents most often said could be improved", CH_SENSE,
                "most-named codes of the survey question on improvements (counts that may be published)"),
    FindingSpec("top_best_things", "list", "Best things about the area most often named by residents", CH_SENSE,
                "most-named codes of the survey question on best things (counts that may be published)"),
    FindingSpec("digital_for_younger", "bool", "Younger respondents favour digital methods more than older ones",
                CH_SURVEY, f"a larger share of respondents {_YOUNGER} than of those {_OLDER} name a digital method"),
    FindingSpec("traditional_for_older", "bool", "Older respondents favour traditional and face-to-face methods",
                CH_SURVEY, f"among respondents {_OLDER}, more name a postal, face-to-face or telephone method "
                           "than a digital one"),
    FindingSpec("blended_engagement_favoured", "bool", "Interviewees favoured blended (digital and traditional) "
                "engagement", CH_INTERVIEWS, "blended engagement comes up in more interviews than face-to-face "
                "or digital engagement alone"),
    FindingSpec("under_represented_groups", "list", "Groups under-represented among survey respondents", CH_WHO,
                "representation tables: groups whose 95% interval lies below the ward's Census share"),
    FindingSpec("over_represented_groups", "list", "Groups over-represented among survey respondents", CH_WHO,
                "representation tables: groups whose 95% interval lies above the ward's Census share"),
    FindingSpec("published_sample_bias_reproduced", "bool", "The survey has too many women aged 35 to 64 and "
                "too few ethnic minority residents, compared with the Census", CH_WHO,
                "the checks of those two groups against the ward's Census shares"),
    FindingSpec("few_felt_worse", "bool", "Few residents felt the area had got worse in five years", CH_SURVEY,
                "under 20% of respondents say worse, and fewer than say better"),
    FindingSpec("covid_community_spirit", "bool", "Most residents felt Covid-19 brought more community spirit",
                CH_SURVEY, "more than half of respondents say more community spirit"),
    FindingSpec("methods_used", "list", "Engagement methods used", CH_FIELDWORK, "methods table"),
    FindingSpec("n_methods", "number", "Number of engagement methods used", CH_FIELDWORK, "methods table"),
    FindingSpec("objectives_recorded", "number", "Aims recorded", CH_FIELDWORK,
                "objectives scorecard (each aim counted once, however many targets it has)"),
    FindingSpec("objectives_met", "number", "Aims met", CH_FIELDWORK, "objectives scorecard (status “met”)"),
    FindingSpec("objectives_adapted", "number", "Aims done another way", CH_FIELDWORK,
                "objectives scorecard (status “done another way”)"),
    FindingSpec("objectives_unclear", "number", "Aims whose delivery is not clear", CH_FIELDWORK,
                "objectives scorecard (status “not clear”)"),
    FindingSpec("training_participants", "number", "People who took part in community researcher training",
                CH_FIELDWORK, "training table (the published figure where there is one)"),
    FindingSpec("training_vs_target", "share", "People who attended community researcher training, as a "
                "share of the number the project planned to train", CH_FIELDWORK,
                "objectives scorecard (the training objective)"),
    FindingSpec("residents_engaged_vs_target", "share", "Residents engaged (lower bound) as a share of the target",
                CH_FIELDWORK, "objectives scorecard (the objective on residents engaged)"),
    FindingSpec("interviews", "number", "Interviews", CH_INTERVIEWS, "number of interviews"),
    FindingSpec("interviewee_types", "list", "Groups interviewed", CH_INTERVIEWS, "interviews by group"),
    FindingSpec("interview_themes", "list", "Themes raised in at least one interview", CH_INTERVIEWS,
                "interview themes table"),
    FindingSpec("workshop_themes", "list", "Findings raised in the practitioner workshops", CH_PRACTITIONERS,
                "workshop themes table"),
    FindingSpec("practitioner_participants", "number", "Practitioners at the workshops", CH_PRACTITIONERS,
                "workshops table (the published figure where there is one)"),
    FindingSpec("social_media_posts", "number", "Social media posts", CH_SOCIAL, "posts table"),
    FindingSpec("social_media_engagement_rate", "share", "Social media engagement rate (interactions per person "
                "reached)", CH_SOCIAL, "totals table (pooled over all posts)"),
    FindingSpec("citywide_improvement_areas", "list", "Improvement areas of the 2019 citywide consultation",
                CH_SENSE, "citywide consultation table"),
    FindingSpec("sense_check_similar", "bool", "The ward's findings are broadly similar to the citywide "
                "consultation", CH_SENSE, "comparison with the citywide consultation"),
    FindingSpec("findings_fed_back", "bool", "Findings were reported back to the people who took part",
                CH_SETTINGS, PARAMS_SOURCE),
]
FINDINGS: dict[str, FindingSpec] = {s.id: s for s in _SPECS}
#: The claims (`cityconv.methods.claims`) a finding is computed from; a finding of two claims needs both.
FROM_CLAIMS: dict[str, tuple[str, ...]] = {
    "digital_for_younger": ("digital_for_younger",), "traditional_for_older": ("traditional_for_older",),
    "blended_engagement_favoured": ("blended_engagement_favoured",), "few_felt_worse": ("few_felt_worse",),
    "covid_community_spirit": ("covid_catalyst",), "sense_check_similar": ("sense_check_similar",),
    "published_sample_bias_reproduced": ("women_35_64_overrepresented", "ethnic_minority_underrepresented"),
}
#: The survey questions a finding counts the answers of directly (the sense check's most named answers).
FROM_QUESTIONS: dict[str, tuple[str, ...]] = {"top_improve": ("improve",), "top_best_things": ("best_things",)}
#: Findings that compare respondents with the Census: they need a question mapped to a Census topic.
FROM_CENSUS_QUESTIONS = ("under_represented_groups", "over_represented_groups")


def not_asked(finding_id: str, questionnaire) -> bool:
    """Whether the study's questionnaire lacks a question (or answer code) the finding is computed from.

    Such a finding is not known by the study's design, not for want of records: a study of its own
    that never asked the City Conversation's questions did not collect them.
    """
    from cityconv.methods.claims import CLAIMS

    if questionnaire is None:
        return False  # read with the City Conversation's questionnaire: every question asked
    if finding_id in FROM_CENSUS_QUESTIONS:
        return all(questionnaire.census_question(topic) is None for topic in ("age", "sex", "ethnic_group"))
    asks: dict[str, tuple[str, ...]] = {q: () for q in FROM_QUESTIONS.get(finding_id, ())}
    for claim in CLAIMS:
        if claim.claim_id in FROM_CLAIMS.get(finding_id, ()):
            asks.update(claim.asks)
    return any(not questionnaire.has(q) or not set(codes) <= set(questionnaire.question(q).all_codes())
               for q, codes in asks.items())


def _display(spec: FindingSpec, value: Any, labels: dict[str, str] | None = None) -> str:
    if value is None:
        return "not known"
    if spec.kind == "bool":
        return "yes" if value else "no"
    if spec.kind == "number":
        return fmt_int(value)
    if spec.kind == "share":
        return fmt_pct(value, 1 if value < 0.1 else 0)
    if spec.kind == "list":
        labels = labels or {}
        return "; ".join(labels.get(v, str(v)) for v in value) if value else "none"
    return str(value)


def make_finding(finding_id: str, value: Any, labels: dict[str, str] | None = None, note: str = "") -> Finding:
    """A Finding from the catalogue entry and a value (None = not known); `note` adds context."""
    spec = FINDINGS[finding_id]
    if spec.kind == "list" and value is not None:
        value = [str(v) for v in value]
    if spec.kind in ("number", "share") and value is not None:
        value = float(value)
        if math.isnan(value):
            value = None
    shown = _display(spec, value, labels)
    sentence = f"{spec.label}: {shown}."
    if value is None:
        sentence = f"{spec.label}: not known for this ward."
    if note:
        sentence += f" {note}"
    return Finding(finding_id, value, shown, sentence, spec.source, spec.kind, dict(labels or {}))


def _claim_results(ch) -> dict[str, bool | None]:
    """claim id -> passed (None when the ward lacks what the claim needs), via `cityconv.methods.claims`."""
    from cityconv.methods.claims import CLAIMS

    if ch.data is None or ch.data.survey_responses is None:
        return {}
    out: dict[str, bool | None] = {}
    for claim in CLAIMS:
        # A claim whose inputs are missing says so itself (passed = None); any exception is a bug.
        out[claim.claim_id] = claim.evaluate(ch.data, ch.context).passed
    return out


def ward_findings(ch) -> dict[str, Finding]:
    """Every named finding in `FINDINGS` for one ward (`cityconv.chapters.loader.Chapter`), value None when unknown."""
    from cityconv.chapters import common, interviews, sense_check, survey
    from cityconv.chapters import evidence_gathering as fieldwork
    from cityconv.chapters import social_media as social
    from cityconv.chapters import who_took_part as representation

    values: dict[str, Any] = {fid: None for fid in FINDINGS}
    labels: dict[str, dict[str, str]] = {}
    notes: dict[str, str] = {}
    data = ch.data

    # chapter 2: objectives, methods, training
    fw = fieldwork.from_chapter(ch)
    sc = fieldwork.scorecard(fw) if data is not None else None
    if sc is not None:  # aims counted and judged by the one rule every page uses (chapters.facts)
        by_status = facts.aims_by_status(fw.frame("objectives"))
        values["objectives_recorded"] = sum(by_status.values())  # each aim once (facts.aim_count)
        values["objectives_met"] = by_status["met"]
        values["objectives_adapted"] = by_status["adapted"]
        values["objectives_unclear"] = by_status["unclear"]
        by_id = sc.set_index("objective_id")
        for objective, fid in (("train_researchers", "training_vs_target"),
                               ("engage_residents", "residents_engaged_vs_target")):
            if objective in by_id.index:
                row = by_id.loc[objective]
                share = facts.target_share(row["target"], row["delivered"], row["status"])
                values[fid] = None if share is None else share.value
                if share is None and not pd.isna(row["target"]):
                    notes[fid] = (f"The aim's status is “{facts.aim_status(row['status']).lower()}” (see the "
                                  "objectives scorecard), so its delivered figure is not set against the target.")
        if values["training_vs_target"] is not None:
            notes["training_vs_target"] = ("This counts people who attended the training; attending is not the "
                                           "same as going on to work as a community researcher.")
        if values["residents_engaged_vs_target"] is not None:
            notes["residents_engaged_vs_target"] = "The delivered figure is a lower bound (see the scorecard)."
    methods = fieldwork.methods(fw) if data is not None else []
    if data is not None:
        values["methods_used"] = [m.key for m in methods]
        values["n_methods"] = len(methods)
        labels["methods_used"] = dict(fieldwork.METHOD_LABELS)
    pub = fw.published
    training = next((m for m in methods if m.key == "training"), None)
    if "training_participants" in pub:
        values["training_participants"] = pub["training_participants"]
    elif training is not None and training.people is not None:
        values["training_participants"] = training.people

    # chapter 3: survey
    sv = survey.from_chapter(ch)
    if sv.has_responses:
        values["survey_responses"] = pub.get("survey_responses", sv.n)
    claims = _claim_results(ch)
    for fid, from_claims in FROM_CLAIMS.items():
        if len(from_claims) == 1:
            values[fid] = claims.get(from_claims[0])
    women, minority = (claims.get(c) for c in FROM_CLAIMS["published_sample_bias_reproduced"])
    if women is not None and minority is not None:
        values["published_sample_bias_reproduced"] = bool(women and minority)

    # chapter 4: who took part
    if sv.has_responses and ch.context is not None:
        comp = representation.composition(sv, ch.context)
        if comp is not None and comp.has_census:
            under, over = [], []
            for dim in ("age", "sex", "ethnicity", "age_sex"):
                cmp = representation.compare(comp, dim)
                if cmp is None:
                    continue
                # the verdict the who-took-part table shows: none for a withheld count (it would narrow it)
                compared = [str(c) for c in cmp.table["category"] if c not in representation.NOT_COMPARED]
                under += [c for c in compared if cmp.verdict(c) == "under-represented"]
                over += [c for c in compared if cmp.verdict(c) == "over-represented"]
            values["under_represented_groups"], values["over_represented_groups"] = under, over
            notes["under_represented_groups"] = ("With a small sample a group can be “in line” only because the "
                                                 "interval is wide.")

    # chapters 5 and 7: interviews and practitioners
    s5 = interviews.interview_summary(ch) if data is not None else None
    if s5 is not None and s5.interviews is not None:
        values["interviews"] = pub.get("interviews", s5.n)
        values["interviewee_types"] = list(s5.groups)
        labels["interviewee_types"] = s5.group_labels
        if s5.raised is not None:
            values["interview_themes"] = [str(t) for t, n in s5.raised.sum(axis=1).items() if int(n) > 0]
            labels["interview_themes"] = s5.theme_labels
    if data is not None and data.workshop_themes is not None:
        values["workshop_themes"] = list(dict.fromkeys(data.workshop_themes["theme"].astype(str)))
        labels["workshop_themes"] = common.code_labels("workshop_themes", "theme")  # every frame: rules may name any code
    if data is not None and data.workshops is not None:
        values["practitioner_participants"] = pub.get("practitioner_participants",
                                                      int(data.workshops["participants"].sum()))

    # chapter 6: social media
    sm = social.social_summary(ch) if data is not None else None
    if sm is not None and sm.available:
        values["social_media_posts"] = sm.n_posts
        values["social_media_engagement_rate"] = sm.pooled_rate

    # chapter 8: sense check
    s8 = sense_check.sense_check(ch) if data is not None else None
    if s8 is not None:
        for q, fid in (("improve", "top_improve"), ("best_things", "top_best_things")):
            if q in s8.top:
                values[fid] = list(s8.top[q])
                labels[fid] = common.survey_code_labels(q, data)  # the ward's own questionnaire labels
        if s8.citywide is not None:
            areas = s8.improvement_areas
            values["citywide_improvement_areas"] = list(areas["item_id"].astype(str))
            labels["citywide_improvement_areas"] = dict(zip(areas["item_id"].astype(str), areas["label"].astype(str)))

    # params
    values["findings_fed_back"] = ch.params.findings_fed_back
    if ch.params.findings_fed_back is None:
        notes["findings_fed_back"] = "The ward's settings leave this blank, so we do not know."

    return {fid: make_finding(fid, values[fid], labels.get(fid), notes.get(fid, "")) for fid in FINDINGS}


def _expected_text(finding_id: str, op: str, expected: Any, f: Finding | None) -> str:
    spec = FINDINGS.get(finding_id)
    if op == "known":
        return "is known" if expected else "is not known"
    if op == "empty":
        return "is empty" if expected else "is not empty"
    if spec is not None and spec.kind == "bool" and op in ("equals", "not_equals"):
        word = "yes" if expected else "no"
        return f"{OP_WORDS[op]} {word}"
    if spec is not None and spec.kind == "share" and op in NUMERIC_OPS:
        return f"{OP_WORDS[op]} {fmt_pct(expected)}"
    if op in LIST_OPS and f is not None:
        return f"{OP_WORDS[op]} {f.codes_display.get(expected, expected)}"
    return f"{OP_WORDS[op]} {expected}"


def explain_leaf(leaf: LeafResult, findings: dict[str, Finding]) -> str:
    """One line a reader can follow: the finding, its value here, and what the rule needed."""
    f = findings.get(leaf.finding)
    spec = FINDINGS.get(leaf.finding)
    label = spec.label if spec else leaf.finding
    want = _expected_text(leaf.finding, leaf.op, leaf.expected, f)
    if leaf.result is None:
        return f"{label}: not known (condition: {'not (' + want + ')' if leaf.negated else want})"
    if leaf.op in LIST_OPS and f is not None:
        shown = f"“{f.codes_display.get(leaf.expected, leaf.expected)}” is {'' if leaf.result == (leaf.op == 'includes') else 'not '}among them"
    else:
        shown = f.display if f is not None else "not known"
    need = f"not ({want})" if leaf.negated else want
    return f"{label}: {shown} (condition: {need})"


def reason_sentence(leaf: LeafResult, findings: dict[str, Finding]) -> str:
    """What a rule found about one finding, as words for the page (no ids, no condition syntax).

    E.g. "things residents most often said could be improved include crime and anti-social
    behaviour", "younger respondents favour digital methods more than older ones",
    "objectives delivered differently because of Covid-19: 0 (the rule needs at least 1)".
    """
    f = findings.get(leaf.finding)
    spec = FINDINGS.get(leaf.finding)
    label = lower_first(spec.label if spec else leaf.finding)
    if leaf.result is None or f is None:
        return f"{label}: not known"
    if leaf.op in LIST_OPS:
        code = f.codes_display.get(leaf.expected, leaf.expected)
        present = str(leaf.expected) in (f.value or [])
        return f"{label} {'include' if present else 'do not include'} {lower_first(str(code))}"
    if leaf.op == "empty":
        return f"{label}: {f.display}"
    if f.kind == "bool":
        return label if f.value else f"{label}: no"
    shown = f"{label}: {f.display}"
    if leaf.effective is False and leaf.op in NUMERIC_OPS and not leaf.negated:
        want = _expected_text(leaf.finding, leaf.op, leaf.expected, f).removeprefix("is ")
        shown += f" (the rule needs {want})"
    return shown


def finding_kinds() -> dict[str, str]:
    """finding id -> kind, the vocabulary rules files are checked against."""
    return {fid: spec.kind for fid, spec in FINDINGS.items()}


# ================================================================================================
# the findings artifact: computed once per ward, read by every chapter that uses findings
# ================================================================================================

ARTIFACT_NAME = "findings.json"
ARTIFACT_VERSION = 1


def artifact_path(ch) -> Path:
    """Where the ward's findings live once the pipeline has computed them: beside its chapters."""
    return ch.project.generated_dir / ch.params.id / ARTIFACT_NAME


def findings_to_json(findings: dict[str, Finding]) -> dict[str, Any]:
    return {"version": ARTIFACT_VERSION, "findings": [asdict(f) for f in findings.values()]}


def findings_from_json(data: dict[str, Any]) -> dict[str, Finding]:
    if data.get("version") != ARTIFACT_VERSION:
        raise ValueError(f"findings artifact version {data.get('version')!r}; expected {ARTIFACT_VERSION}")
    return {row["id"]: Finding(**row) for row in data["findings"]}


def show_findings_artifact(study_id: str) -> dict[str, Finding]:
    """What the ward-findings template runs: compute the findings and show them as the run's artifact.

    The pipeline saves this output as `book/generated/<ward>/findings.json` when the run succeeds, so
    the summary, audit, recommendations, comparison and explorer chapters read one computation.
    """
    from IPython.display import display

    from cityconv.chapters.loader import open_chapter

    findings = ward_findings(open_chapter(study_id))
    text = "\n".join(f.description for f in findings.values())
    display({ARTIFACT_MIME: findings_to_json(findings), "text/plain": text}, raw=True)
    return findings


def load_findings(ch) -> dict[str, Finding]:
    """The ward's findings: from its artifact when the pipeline has made one, else computed here.

    Computing on the spot serves a template opened in Jupyter or run by nbval outside a pipeline run;
    inside one, the ward-findings run always comes first (and its failure stops these chapters).
    """
    path = artifact_path(ch)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ward_findings(ch)
    return findings_from_json(json.loads(text))
