"""Recommendations per ward, each with its evidence trail (`notebooks/10-recommendations.ipynb`).

Three parts, all declarative where a policy analyst would want to change them:

1. **Named findings** (`ward_findings(chapter)`): a small, fixed catalogue (`FINDINGS`) of facts about a
   ward, each with a value, a plain-English description and where it comes from (the chapter and the
   table or claim behind it). They are computed with the findings modules of chapters 2–8
   (`fieldwork`, `survey`, `representation`, `qualitative`, `social`, `claims`) and the ward's params;
   nothing here re-derives what those modules already compute. A finding that cannot be worked out for
   a ward (no survey, no Census figures, `findings_fed_back` left blank) has the value ``None``: *not
   known*, which is different from false.

2. **Rules** (`data/recommendations/rules.yml`, loaded by `load_rules`): each rule has an id, a short
   title, the recommendation in plain English, a condition on named findings (`when`) and a trail:
   finding ids, principle ids (`data/evidence/principles.csv`) and evidence case ids
   (`data/evidence/cases.csv`, each cited through its `citation_key` in `sources.csv`). A rule without
   an evidence case is refused: no recommendation without evidence.

3. **A small, safe condition language** (no Python `eval`)::

       condition := leaf | {all: [condition, ...]} | {any: [condition, ...]} | {not: condition}
       leaf      := {finding: <finding id>, <operator>: <value>}
       operator  := equals | not_equals            (any finding)
                  | includes | excludes            (list findings: a code is / is not in the list)
                  | empty                          (list findings: true = the list is empty)
                  | gt | ge | lt | le              (number and share findings; shares are 0-1)
                  | known                          (true: the finding has a value; false: it is not known)

   Logic is three-valued (Kleene): a leaf on a finding that is not known is *unknown*; `not` of unknown
   is unknown; `all` is false if any part is false, else unknown if any part is unknown; `any` is true
   if any part is true, else unknown if any part is unknown. A rule fires only when its condition is
   true, so a missing finding never fires a recommendation by accident; `{known: false}` lets a rule
   say what to do when something is not known.

`validate_rules(project)` reports every broken reference as a `cityconv.problems.Problem` with the file,
the YAML line (from ruamel) and the rule id. `evaluate(rules, findings)` gives one `Fired` per rule
(fired or not, with the reasons); `fired_by_ward(project)` is the ward × rule table for a cross-ward
comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .params import read_yaml, to_plain
from .paths import Project
from .present import Table, fmt_int, fmt_pct
from .problems import InputError, Problem, relative

RULES_FILE = Path("data") / "recommendations" / "rules.yml"
EVIDENCE_DIR = Path("data") / "evidence"

KINDS = ("bool", "number", "share", "list", "text")
OPERATORS = ("equals", "not_equals", "includes", "excludes", "empty", "gt", "ge", "lt", "le", "known")
NUMERIC_OPS = ("gt", "ge", "lt", "le")
LIST_OPS = ("includes", "excludes")
COMBINATORS = ("all", "any", "not")
OP_WORDS = {
    "equals": "is", "not_equals": "is not", "includes": "includes", "excludes": "does not include",
    "gt": "is more than", "ge": "is at least", "lt": "is less than", "le": "is at most", "known": "is known",
    "empty": "is empty",
}

CH_FIELDWORK = "How the evidence was gathered"
CH_SURVEY = "Residents' survey"
CH_WHO = "Who took part"
CH_INTERVIEWS = "Interviews"
CH_SOCIAL = "Social media"
CH_PRACTITIONERS = "Practitioners and partners"
CH_SENSE = "Sense check"
PARAMS_SOURCE = "params file (findings_fed_back)"


# ================================================================================================
# named findings
# ================================================================================================


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
        return f"chapter “{self.chapter}”, {self.where}"


@dataclass(frozen=True)
class Finding:
    """One named finding for one ward: value (None = not known), the value as shown, a sentence."""

    id: str
    value: Any
    display: str
    description: str
    source: str
    kind: str = "text"
    codes_display: dict = field(default_factory=dict, compare=False)  # list findings: code -> label

    @property
    def known(self) -> bool:
        return self.value is not None


_SPECS = [
    FindingSpec("survey_responses", "number", "Survey responses", CH_SURVEY,
                "number of responses (the published figure where there is one)"),
    FindingSpec("top_improve", "list", "Things residents most often said could be improved", CH_SENSE,
                "most-named codes of the survey question on improvements (counts that may be published)"),
    FindingSpec("top_best_things", "list", "Best things about the area most often named by residents", CH_SENSE,
                "most-named codes of the survey question on best things (counts that may be published)"),
    FindingSpec("digital_for_younger", "bool", "Younger respondents favour digital methods more than older ones",
                CH_SURVEY, "claim “digital_for_younger”: a larger share of respondents aged 16–44 than of those "
                           "aged 65+ name a digital method"),
    FindingSpec("traditional_for_older", "bool", "Older respondents favour traditional and face-to-face methods",
                CH_SURVEY, "claim “traditional_for_older”: among respondents aged 65+, more name a postal, "
                           "face-to-face or telephone method than a digital one"),
    FindingSpec("blended_engagement_favoured", "bool", "Interviewees favoured blended (digital and traditional) "
                "engagement", CH_INTERVIEWS, "claim “blended_engagement_favoured”: blended engagement is coded in "
                "more interviews than face-to-face or digital engagement alone"),
    FindingSpec("under_represented_groups", "list", "Groups under-represented among survey respondents", CH_WHO,
                "representation tables: groups whose 95% interval lies below the ward's Census share"),
    FindingSpec("over_represented_groups", "list", "Groups over-represented among survey respondents", CH_WHO,
                "representation tables: groups whose 95% interval lies above the ward's Census share"),
    FindingSpec("published_sample_bias_reproduced", "bool", "The published sample bias (too many middle-aged "
                "women, too few ethnic minority residents) holds in the records", CH_WHO,
                "claims “women_35_64_overrepresented” and “ethnic_minority_underrepresented”"),
    FindingSpec("few_felt_worse", "bool", "Few residents felt the area had got worse in five years", CH_SURVEY,
                "claim “few_felt_worse”: under 20% of respondents say worse, and fewer than say better"),
    FindingSpec("covid_community_spirit", "bool", "Most residents felt Covid-19 brought more community spirit",
                CH_SURVEY, "claim “covid_catalyst”: more than half of respondents say more community spirit"),
    FindingSpec("methods_used", "list", "Engagement methods used", CH_FIELDWORK, "methods table"),
    FindingSpec("n_methods", "number", "Number of engagement methods used", CH_FIELDWORK, "methods table"),
    FindingSpec("objectives_recorded", "number", "Objectives recorded", CH_FIELDWORK, "objectives scorecard"),
    FindingSpec("objectives_met", "number", "Objectives met", CH_FIELDWORK, "objectives scorecard (status “met”)"),
    FindingSpec("objectives_adapted", "number", "Objectives delivered differently because of Covid-19",
                CH_FIELDWORK, "objectives scorecard (status “adapted”)"),
    FindingSpec("objectives_unclear", "number", "Objectives whose delivery cannot be judged from what was published",
                CH_FIELDWORK, "objectives scorecard (status “unclear”)"),
    FindingSpec("training_participants", "number", "People who took part in community researcher training",
                CH_FIELDWORK, "training table (the published figure where there is one)"),
    FindingSpec("training_vs_target", "share", "Community researchers trained as a share of the target",
                CH_FIELDWORK, "objectives scorecard (objective “train_researchers”)"),
    FindingSpec("residents_engaged_vs_target", "share", "Residents engaged (lower bound) as a share of the target",
                CH_FIELDWORK, "objectives scorecard (objective “engage_residents”)"),
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
                "consultation", CH_SENSE, "claim “sense_check_similar”"),
    FindingSpec("findings_fed_back", "bool", "Findings were reported back to the people who took part",
                "ward settings", PARAMS_SOURCE),
]
FINDINGS: dict[str, FindingSpec] = {s.id: s for s in _SPECS}


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
    """claim id -> passed (None when the claim cannot be evaluated for this ward), via `cityconv.claims`."""
    from .claims import CLAIMS

    if ch.data is None or ch.data.survey_responses is None:
        return {}
    out: dict[str, bool | None] = {}
    for claim in CLAIMS:
        try:
            out[claim.claim_id] = claim.evaluate(ch.data, ch.context).passed
        except (ValueError, KeyError, TypeError, AttributeError, ZeroDivisionError, IndexError):
            out[claim.claim_id] = None  # a ward without the inputs this claim needs: not known
    return out


def _safe(fn, *args):
    """Run a findings-module function; a ward lacking the inputs gives None (not known), never a crash."""
    try:
        return fn(*args)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def ward_findings(ch) -> dict[str, Finding]:
    """Every named finding in `FINDINGS` for one ward (`cityconv.chapter.Chapter`), value None when unknown."""
    from . import fieldwork, qualitative, representation, social, survey

    values: dict[str, Any] = {fid: None for fid in FINDINGS}
    labels: dict[str, dict[str, str]] = {}
    notes: dict[str, str] = {}
    data = ch.data

    # chapter 2: objectives, methods, training
    fw = fieldwork.from_chapter(ch)
    sc = _safe(fieldwork.scorecard, fw)
    if sc is not None:
        counts = sc["status"].value_counts()
        values["objectives_recorded"] = len(sc)
        values["objectives_met"] = int(counts.get("met", 0))
        values["objectives_adapted"] = int(counts.get("adapted", 0))
        values["objectives_unclear"] = int(counts.get("unclear", 0))
        by_id = sc.set_index("objective_id")
        for objective, fid in (("train_researchers", "training_vs_target"),
                               ("engage_residents", "residents_engaged_vs_target")):
            if objective in by_id.index:
                t, d = by_id.loc[objective, "target"], by_id.loc[objective, "delivered"]
                if not pd.isna(t) and not pd.isna(d) and float(t) > 0:
                    values[fid] = float(d) / float(t)
        if values["residents_engaged_vs_target"] is not None:
            notes["residents_engaged_vs_target"] = "The delivered figure is a lower bound (see the scorecard)."
    methods = _safe(fieldwork.methods, fw) or []
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
    for fid, claim in (("digital_for_younger", "digital_for_younger"), ("traditional_for_older", "traditional_for_older"),
                       ("blended_engagement_favoured", "blended_engagement_favoured"),
                       ("few_felt_worse", "few_felt_worse"), ("covid_community_spirit", "covid_catalyst"),
                       ("sense_check_similar", "sense_check_similar")):
        values[fid] = claims.get(claim)
    women, minority = claims.get("women_35_64_overrepresented"), claims.get("ethnic_minority_underrepresented")
    if women is not None and minority is not None:
        values["published_sample_bias_reproduced"] = bool(women and minority)

    # chapter 4: who took part
    if sv.has_responses and ch.context is not None:
        comp = _safe(representation.composition, sv, ch.context)
        if comp is not None and comp.has_census:
            under, over = [], []
            for dim in ("age", "sex", "ethnicity", "age_sex"):
                cmp = _safe(representation.compare, comp, dim)
                if cmp is None:
                    continue
                t = cmp.table[cmp.table["category"] != survey.NOT_STATED]
                under += [str(c) for c in t.loc[t["verdict"] == "under-represented", "category"]]
                over += [str(c) for c in t.loc[t["verdict"] == "over-represented", "category"]]
            values["under_represented_groups"], values["over_represented_groups"] = under, over
            notes["under_represented_groups"] = ("With a small sample a group can be “in line” only because the "
                                                 "interval is wide.")

    # chapters 5 and 7: interviews and practitioners
    s5 = _safe(qualitative.interview_summary, ch)
    if s5 is not None and s5.interviews is not None:
        values["interviews"] = pub.get("interviews", s5.n)
        values["interviewee_types"] = list(s5.groups)
        labels["interviewee_types"] = s5.group_labels
        if s5.raised is not None:
            values["interview_themes"] = [str(t) for t, n in s5.raised.sum(axis=1).items() if int(n) > 0]
            labels["interview_themes"] = s5.theme_labels
    if data is not None and data.workshop_themes is not None:
        values["workshop_themes"] = list(dict.fromkeys(data.workshop_themes["theme"].astype(str)))
        labels["workshop_themes"] = qualitative.code_labels("workshop_themes", "theme")
    if data is not None and data.workshops is not None:
        values["practitioner_participants"] = pub.get("practitioner_participants",
                                                      int(data.workshops["participants"].sum()))

    # chapter 6: social media
    sm = _safe(social.social_summary, ch)
    if sm is not None and sm.available:
        values["social_media_posts"] = sm.n_posts
        values["social_media_engagement_rate"] = sm.pooled_rate

    # chapter 8: sense check
    s8 = _safe(qualitative.sense_check, ch)
    if s8 is not None:
        for q, fid in (("improve", "top_improve"), ("best_things", "top_best_things")):
            if q in s8.top:
                values[fid] = list(s8.top[q])
                labels[fid] = qualitative.survey_code_labels(q)
        if s8.citywide is not None:
            areas = s8.improvement_areas
            values["citywide_improvement_areas"] = list(areas["item_id"].astype(str))
            labels["citywide_improvement_areas"] = dict(zip(areas["item_id"].astype(str), areas["label"].astype(str)))

    # params
    values["findings_fed_back"] = ch.params.findings_fed_back
    if ch.params.findings_fed_back is None:
        notes["findings_fed_back"] = "The ward's settings leave this blank, so we do not know."

    return {fid: make_finding(fid, values[fid], labels.get(fid), notes.get(fid, "")) for fid in FINDINGS}


# ================================================================================================
# the condition language
# ================================================================================================


@dataclass(frozen=True)
class LeafResult:
    finding: str
    op: str
    expected: Any
    actual: Any
    result: bool | None  # None = not known
    negated: bool = False  # inside an odd number of `not`s: the rule needs this leaf to fail

    @property
    def effective(self) -> bool | None:
        """Whether this leaf pushes the rule towards firing (its result, flipped under `not`)."""
        return None if self.result is None else (self.result != self.negated)

    def explain(self, findings: dict[str, Finding]) -> str:
        f = findings.get(self.finding)
        spec = FINDINGS.get(self.finding)
        label = spec.label if spec else self.finding
        want = _expected_text(self.finding, self.op, self.expected, f)
        if self.result is None:
            return f"{label}: not known (condition: {'not (' + want + ')' if self.negated else want})"
        if self.op in LIST_OPS and f is not None:
            shown = f"“{f.codes_display.get(self.expected, self.expected)}” is {'' if self.result == (self.op == 'includes') else 'not '}among them"
        else:
            shown = f.display if f is not None else "not known"
        need = f"not ({want})" if self.negated else want
        return f"{label}: {shown} (condition: {need})"


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


@dataclass(frozen=True)
class Outcome:
    result: bool | None
    leaves: tuple[LeafResult, ...]


def _leaf(cond: dict, findings: dict[str, Finding]) -> LeafResult:
    fid = str(cond["finding"])
    (op,) = [k for k in cond if k != "finding"]
    expected = cond[op]
    f = findings.get(fid)
    actual = None if f is None else f.value
    if op == "known":
        return LeafResult(fid, op, expected, actual, (actual is not None) == bool(expected))
    if actual is None:
        return LeafResult(fid, op, expected, actual, None)
    if op == "equals":
        result = actual == expected
    elif op == "not_equals":
        result = actual != expected
    elif op == "includes":
        result = str(expected) in actual
    elif op == "excludes":
        result = str(expected) not in actual
    elif op == "empty":
        result = (len(actual) == 0) == bool(expected)
    else:
        a, e = float(actual), float(expected)
        result = {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]
    return LeafResult(fid, op, expected, actual, bool(result))


def check(cond: Any, findings: dict[str, Finding]) -> Outcome:
    """Evaluate a (validated) condition with three-valued logic; see the module docstring."""
    if not isinstance(cond, dict):
        raise ValueError(f"a condition must be a mapping, got {cond!r}")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        parts = [check(c, findings) for c in cond[key]]
        results = [p.result for p in parts]
        leaves = tuple(l for p in parts for l in p.leaves)
        if key == "all":
            result = False if False in results else (None if None in results else True)
        else:
            result = True if True in results else (None if None in results else False)
        return Outcome(result, leaves)
    if "not" in cond:
        inner = check(cond["not"], findings)
        flipped = tuple(LeafResult(l.finding, l.op, l.expected, l.actual, l.result, not l.negated) for l in inner.leaves)
        return Outcome(None if inner.result is None else not inner.result, flipped)
    leaf = _leaf(cond, findings)
    return Outcome(leaf.result, (leaf,))


def condition_findings(cond: Any) -> list[str]:
    """Finding ids a condition uses, in order of appearance."""
    out: list[str] = []
    if isinstance(cond, dict):
        if "finding" in cond:
            out.append(str(cond["finding"]))
        for key in COMBINATORS:
            if key in cond:
                parts = cond[key] if isinstance(cond[key], list) else [cond[key]]
                for p in parts:
                    out += condition_findings(p)
    return list(dict.fromkeys(out))


def condition_problems(cond: Any, where: str, rule_id: str | None, line: int | None) -> list[Problem]:
    """Structural problems of a condition: shape, operator, known finding, operator fits the finding's kind."""
    probs: list[Problem] = []
    at = _line(cond) or line
    label = f"rule {rule_id!r}: " if rule_id else ""

    def p(msg: str, value: Any = None, expected: str | None = None) -> None:
        probs.append(Problem(where, label + msg, line=at, value=value, expected=expected))

    if not isinstance(cond, dict) or not cond:
        p("a condition must be a mapping", value=cond, expected="{finding: ..., <operator>: ...} or all/any/not")
        return probs
    combos = [k for k in cond if k in COMBINATORS]
    if combos:
        if len(cond) != 1:
            p(f"'{combos[0]}' must be the only key of its mapping", value=sorted(map(str, cond)))
            return probs
        key = combos[0]
        if key == "not":
            return probs + condition_problems(cond["not"], where, rule_id, at)
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            p(f"'{key}' needs a non-empty list of conditions", value=parts)
            return probs
        for part in parts:
            probs += condition_problems(part, where, rule_id, at)
        return probs
    if "finding" not in cond:
        p("a condition needs 'finding' (or all/any/not)", value=sorted(map(str, cond)))
        return probs
    fid = str(cond["finding"])
    ops = [k for k in cond if k != "finding"]
    if fid not in FINDINGS:
        from .params import did_you_mean

        p(f"unknown finding id {fid!r}{did_you_mean(fid, set(FINDINGS))}", expected="an id from recommendations.FINDINGS")
        return probs
    if len(ops) != 1 or ops[0] not in OPERATORS:
        p(f"finding {fid!r} needs exactly one operator", value=ops or None, expected="one of: " + ", ".join(OPERATORS))
        return probs
    op, value = ops[0], cond[ops[0]]
    kind = FINDINGS[fid].kind
    if op in NUMERIC_OPS and (kind not in ("number", "share") or isinstance(value, bool) or not isinstance(value, (int, float))):
        p(f"'{op}' compares numbers: finding {fid!r} is a {kind} finding, value must be a number", value=value)
    elif op in LIST_OPS and (kind != "list" or not isinstance(value, str)):
        p(f"'{op}' needs a list finding and a code: finding {fid!r} is a {kind} finding", value=value)
    elif op in ("known", "empty") and not isinstance(value, bool):
        p(f"'{op}' takes true or false", value=value)
    elif op == "empty" and kind != "list":
        p(f"'empty' needs a list finding: finding {fid!r} is a {kind} finding", value=value)
    elif op in ("equals", "not_equals") and kind == "bool" and not isinstance(value, bool):
        p(f"finding {fid!r} is yes/no: compare it with true or false", value=value)
    elif op in ("equals", "not_equals") and kind == "list":
        p(f"finding {fid!r} is a list: use includes/excludes", value=value)
    return probs


# ================================================================================================
# rules: loading and validation
# ================================================================================================


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    text: str
    when: Any
    findings: tuple[str, ...]  # the trail's findings: those in the condition, then any extra listed
    principles: tuple[str, ...]
    cases: tuple[str, ...]
    why_this_evidence: str = ""
    line: int | None = None


def _line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return None if lc is None or lc.line is None else lc.line + 1


def _key_line(node: Any, key: str) -> int | None:
    if isinstance(node, CommentedMap) and key in node:
        return node.lc.key(key)[0] + 1
    return _line(node)


def _id_list(node: Any, key: str) -> list[str]:
    value = node.get(key) if isinstance(node, dict) else None
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def load_rules(path: Path, root: Path | None = None) -> list[Rule]:
    """Rules from a rules file; raise InputError for a file that cannot be read as rules.

    Only the shape is checked here; references (findings, principles, cases) are checked by
    `validate_rules`.
    """
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    tree, problems = read_yaml(path, root)
    if problems:
        raise InputError(problems)
    problems = _shape_problems(tree, relative(path, root))
    if problems:
        raise InputError(problems)
    rules = []
    for node in tree["rules"]:
        trail = node["trail"]
        when = to_plain(node["when"])
        rules.append(Rule(
            id=str(node["id"]), title=" ".join(str(node["title"]).split()),
            text=" ".join(str(node["recommendation"]).split()), when=when,
            findings=tuple(dict.fromkeys(condition_findings(when) + _id_list(trail, "findings"))),
            principles=tuple(_id_list(trail, "principles")), cases=tuple(_id_list(trail, "cases")),
            why_this_evidence=" ".join(str(trail.get("why_this_evidence", "")).split()), line=_line(node),
        ))
    return rules


RULE_KEYS = ("id", "title", "recommendation", "when", "trail")
TRAIL_KEYS = ("findings", "principles", "cases", "why_this_evidence")


def _shape_problems(tree: Any, name: str) -> list[Problem]:
    if not isinstance(tree, dict) or not isinstance(tree.get("rules"), list):
        return [Problem(name, "expected a top-level 'rules:' list")]
    probs: list[Problem] = []
    seen: dict[str, int | None] = {}
    for i, node in enumerate(tree["rules"]):
        line = tree["rules"].lc.item(i)[0] + 1 if isinstance(tree["rules"], CommentedSeq) else None
        if not isinstance(node, dict):
            probs.append(Problem(name, "each rule must be a mapping", line=line, value=node))
            continue
        rid = str(node.get("id")) if node.get("id") is not None else None
        for key in RULE_KEYS:
            if key not in node or node[key] in (None, ""):
                probs.append(Problem(name, f"rule {rid!r}: missing '{key}'", line=line))
        for key in node:
            if key not in RULE_KEYS:
                probs.append(Problem(name, f"rule {rid!r}: unknown key {str(key)!r}", line=_key_line(node, key),
                                     expected="one of: " + ", ".join(RULE_KEYS)))
        if rid is not None:
            if rid in seen:
                probs.append(Problem(name, f"rule {rid!r}: id also used at line {seen[rid]}", line=line))
            seen[rid] = line
        trail = node.get("trail")
        if trail is not None and not isinstance(trail, dict):
            probs.append(Problem(name, f"rule {rid!r}: 'trail' must be a mapping", line=_key_line(node, "trail")))
        elif isinstance(trail, dict):
            for key in trail:
                if key not in TRAIL_KEYS:
                    probs.append(Problem(name, f"rule {rid!r}: unknown trail key {str(key)!r}",
                                         line=_key_line(trail, key), expected="one of: " + ", ".join(TRAIL_KEYS)))
    return probs


def _evidence_ids(evidence_dir: Path) -> tuple[set[str], dict[str, str], set[str]]:
    """principle ids, case id -> citation key, citation keys (read as plain text, so that a broken
    evidence table still lets the rules be checked)."""
    def read(stem: str) -> pd.DataFrame:
        path = evidence_dir / f"{stem}.csv"
        if not path.exists():
            return pd.DataFrame()
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")

    principles, cases, sources = read("principles"), read("cases"), read("sources")
    p = set(principles.get("principle_id", pd.Series(dtype=str)))
    c = dict(zip(cases.get("case_id", pd.Series(dtype=str)), cases.get("citation_key", pd.Series(dtype=str))))
    s = set(sources.get("citation_key", pd.Series(dtype=str)))
    return p, c, s


def _project(project: Project | Path) -> Project:
    return project if isinstance(project, Project) else Project(Path(project))


def validate_rules(project: Project | Path, path: Path | None = None) -> list[Problem]:
    """Every problem in the rules file: YAML, shape, conditions, and the trail's references.

    Reported per rule with its id and YAML line: unknown finding id, unknown principle id, unknown case
    id, a case without a citation (blank citation key, or one not in sources.csv), and a rule with no
    evidence case ("No recommendation without evidence").
    """
    project = _project(project)
    path = Path(path) if path is not None else project.root / RULES_FILE
    name = relative(path, project.root)
    tree, problems = read_yaml(path, project.root)
    if problems:
        return problems
    problems = _shape_problems(tree, name)
    if problems and not isinstance(tree, dict):
        return problems
    principle_ids, case_citations, citation_keys = _evidence_ids(project.root / EVIDENCE_DIR)
    from .params import did_you_mean

    for node in tree.get("rules") or []:
        if not isinstance(node, dict):
            continue
        rid = str(node.get("id"))
        if "when" in node:
            problems += condition_problems(node["when"], name, rid, _key_line(node, "when"))
        trail = node.get("trail") if isinstance(node.get("trail"), dict) else None
        if trail is None:
            continue
        for fid in _id_list(trail, "findings"):
            if fid not in FINDINGS:
                problems.append(Problem(name, f"rule {rid!r}: unknown finding id {fid!r}{did_you_mean(fid, set(FINDINGS))}",
                                        line=_key_line(trail, "findings")))
        if not condition_findings(node.get("when")) and not _id_list(trail, "findings"):
            problems.append(Problem(name, f"rule {rid!r}: the trail names no finding", line=_line(trail)))
        principles = _id_list(trail, "principles")
        if not principles:
            problems.append(Problem(name, f"rule {rid!r}: the trail names no principle", line=_line(trail),
                                    expected="principle ids from data/evidence/principles.csv"))
        for pid in principles:
            if pid not in principle_ids:
                problems.append(Problem(name, f"rule {rid!r}: unknown principle id {pid!r}{did_you_mean(pid, principle_ids)}",
                                        line=_key_line(trail, "principles"), expected="a principle_id in principles.csv"))
        cases = _id_list(trail, "cases")
        if not cases:
            problems.append(Problem(name, f"rule {rid!r}: No recommendation without evidence — the trail names no "
                                          "evidence case", line=_key_line(trail, "cases") if "cases" in trail else _line(trail),
                                    expected="case ids from data/evidence/cases.csv"))
        for cid in cases:
            if cid not in case_citations:
                problems.append(Problem(name, f"rule {rid!r}: unknown case id {cid!r}{did_you_mean(cid, set(case_citations))}",
                                        line=_key_line(trail, "cases"), expected="a case_id in cases.csv"))
            elif not case_citations[cid] or case_citations[cid] not in citation_keys:
                problems.append(Problem(name, f"rule {rid!r}: case {cid!r} has no citation in sources.csv",
                                        line=_key_line(trail, "cases"), value=case_citations[cid] or None,
                                        expected="a citation_key present in sources.csv"))
    return problems


# ================================================================================================
# evaluation
# ================================================================================================


@dataclass(frozen=True)
class Fired:
    rule: Rule
    result: bool | None  # True = fired; False = condition does not hold; None = not known

    leaves: tuple[LeafResult, ...] = ()

    @property
    def fired(self) -> bool:
        return self.result is True

    @property
    def status(self) -> str:
        return {True: "fired", False: "not fired", None: "not known"}[self.result]

    def reasons(self, findings: dict[str, Finding]) -> list[str]:
        """Why it fired (the leaves that held) or why not (those that failed or are not known)."""
        wanted = (True,) if self.fired else (False, None)
        picked = [l for l in self.leaves if l.effective in wanted] or list(self.leaves)
        return [l.explain(findings) for l in picked]


def evaluate(rules: Iterable[Rule], findings: dict[str, Finding]) -> list[Fired]:
    out = []
    for rule in rules:
        o = check(rule.when, findings)
        out.append(Fired(rule, o.result, o.leaves))
    return out


def rules_path(project: Project | Path) -> Path:
    return _project(project).root / RULES_FILE


def fired_by_ward(project: Project | Path, path: Path | None = None) -> pd.DataFrame:
    """Ward × rule: True when the rule fires for the ward (a rule that is not known counts as not fired).

    Index: ward id (every params file of kind ward); columns: rule ids in file order.
    """
    from .chapter import open_chapter
    from .params import load_all

    project = _project(project)
    problems = validate_rules(project, path)
    if problems:
        raise InputError(problems)
    rules = load_rules(path or rules_path(project), project.root)
    params, _ = load_all(project)
    rows = {}
    for ward_id in sorted(i for i, p in params.items() if p.kind == "ward"):
        ch = open_chapter(ward_id, project.root)
        rows[ward_id] = {f.rule.id: f.fired for f in evaluate(rules, ward_findings(ch))}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[r.id for r in rules]).astype(bool)
    frame.index.name, frame.columns.name = "ward", "rule"
    return frame


# ================================================================================================
# the chapter
# ================================================================================================


@dataclass
class WardRecommendations:
    """What the recommendations chapter needs for one ward."""

    study_id: str
    ward: str
    status: str
    records_source: str
    findings: dict[str, Finding]
    results: list[Fired]
    evidence: Any  # cityconv.evidence.EvidenceBase

    @property
    def fired(self) -> list[Fired]:
        return [r for r in self.results if r.fired]

    @property
    def not_fired(self) -> list[Fired]:
        return [r for r in self.results if not r.fired]


def load(study_id: str, root: Path | None = None) -> WardRecommendations:
    """Open the ward, validate the rules against the evidence base and evaluate them."""
    from .chapter import open_chapter
    from .evidence import load_evidence

    ch = open_chapter(study_id, root)
    project = ch.project
    problems = validate_rules(project)
    if problems:
        raise InputError(problems)
    eb = load_evidence(project.root / EVIDENCE_DIR, project.root)
    rules = load_rules(rules_path(project), project.root)
    findings = ward_findings(ch)
    return WardRecommendations(study_id, ch.title, ch.params.data_status, ch.records_source, findings,
                               evaluate(rules, findings), eb)


def principle_line(eb, pid: str) -> str:
    p = eb.principles.set_index("principle_id").loc[pid]
    return f"{int(p['number'])}. {p['name']}"


def case_line(eb, cid: str) -> str:
    """'Place or programme: “effect as published” — grade B (before and after); Author (year), as cited in …'."""
    from .evidence import citation

    c = eb.cases.set_index("case_id").loc[cid]
    rubric = eb.grading_rubric.set_index("design")
    design = str(rubric.loc[str(c["evaluation_design"]), "design_name"]).lower()
    what = next((str(c[k]) for k in ("place", "programme") if not pd.isna(c[k])), None) or str(c["outcome_measure"])
    cite = citation(eb, str(c["citation_key"]))
    if str(c["citation_key"]) != "ippr_src_2010":
        cite += ", as cited in IPPR North and SRC (2010)"
    return f"{what}: “{c['effect_published']}” — evidence grade {c['evidence_grade']} ({design}); {cite}"


def intro_text(wr: WardRecommendations) -> str:
    n, k = len(wr.results), len(wr.fired)
    unknown = sum(r.result is None for r in wr.results)
    text = (f"We hold {fmt_int(n)} recommendation rules. Each one fires when a condition on {wr.ward}'s findings "
            f"holds. For {wr.ward}, **{fmt_int(k)} of the {fmt_int(n)}** fire.")
    if unknown:
        text += f" For {fmt_int(unknown)} we cannot tell, because a finding they need is not known for this ward."
    text += (" Every recommendation below shows its trail: the findings that fired it, the principles of good "
             "engagement it serves, and the published evidence behind it, with that evidence's grade. The grades "
             "describe the evidence as the positioning paper reports it; see the chapter on the business case for "
             "how thin much of that evidence is.")
    if wr.status != "observed":
        text += (f" The findings come from {wr.status} records: read them as a demonstration of the method, "
                 "not as new facts about the ward.")
    return text


def fired_table(wr: WardRecommendations) -> Table | None:
    if not wr.fired:
        return None
    rows = []
    for i, f in enumerate(wr.fired, 1):
        grades = sorted(str(wr.evidence.cases.set_index("case_id").loc[c, "evidence_grade"]) for c in f.rule.cases)
        rows.append({"Recommendation": f"{i}. {f.rule.title}",
                     "Findings": fmt_int(len(f.rule.findings)),
                     "Principles": ", ".join(str(n) for n in sorted(
                         int(wr.evidence.principles.set_index("principle_id").loc[p, "number"]) for p in f.rule.principles)),
                     "Evidence cases": fmt_int(len(f.rule.cases)),
                     "Best evidence grade": grades[0]})
    frame = pd.DataFrame(rows)
    return Table(frame, title=f"Recommendations for {wr.ward} and the size of their trails",
                 source=f"data/recommendations/rules.yml evaluated on {wr.records_source}; evidence base: "
                        "IPPR North and SRC (2010), data/evidence",
                 units="Number of findings, principles (by number in the list of ten) and evidence cases",
                 notes=["Evidence grades run from A (controlled comparison) to E (assertion); see the business case "
                        "chapter for the rubric."])


def recommendation_markdown(wr: WardRecommendations, i: int, f: Fired) -> str:
    """One fired recommendation with its full trail, as Markdown."""
    lines = [f"**{i}. {f.rule.title}**", "", f.rule.text, "", "*Findings that led to it:*", ""]
    for fid in f.rule.findings:
        fd = wr.findings[fid]
        lines.append(f"- {fd.description} (Source: {fd.source}.)")
    lines += ["", "*Principles of good engagement it serves:*", ""]
    lines += [f"- {principle_line(wr.evidence, p).replace('. ', chr(92) + '. ', 1)}" for p in f.rule.principles]
    lines += ["", "*Evidence:*", ""]
    lines += [f"- {case_line(wr.evidence, c)}" for c in f.rule.cases]
    if f.rule.why_this_evidence:
        lines += ["", f"*Why this evidence:* {f.rule.why_this_evidence}"]
    return "\n".join(lines)


def recommendations_markdown(wr: WardRecommendations) -> str:
    if not wr.fired:
        return f"No recommendation rule fires for {wr.ward}."
    return "\n\n---\n\n".join(recommendation_markdown(wr, i, f) for i, f in enumerate(wr.fired, 1))


def not_fired_text(wr: WardRecommendations) -> str:
    if not wr.not_fired:
        return f"Every rule fires for {wr.ward}."
    lines = [f"These rules do not fire for {wr.ward}:", ""]
    for f in wr.not_fired:
        why = "; ".join(f.reasons(wr.findings))
        state = "cannot be decided" if f.result is None else "does not fire"
        lines.append(f"- **{f.rule.title}** ({state}): {why}.")
    return "\n".join(lines)


def findings_table(wr: WardRecommendations) -> Table:
    """Every named finding used by a rule, with its value for this ward and where it comes from."""
    used = list(dict.fromkeys(fid for r in wr.results for fid in r.rule.findings))
    frame = pd.DataFrame({"Finding": [FINDINGS[f].label for f in used],
                          "Value": [wr.findings[f].display for f in used],
                          "Where it comes from": [FINDINGS[f].source for f in used]})
    return Table(frame, title=f"The findings the rules look at, {wr.ward}", source=wr.records_source,
                 units="As stated in each cell (counts, shares of a target, or yes/no)",
                 notes=["“not known” = the ward's data or settings do not tell us; a rule that needs a finding that "
                        "is not known does not fire."])
