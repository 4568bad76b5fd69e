"""Recommendations per ward in two tiers (`notebooks/10-recommendations.ipynb`).

First the study's own published implications for policy and practice (`cityconv.data.implications`),
stated as the project's recommendations, each quoted and cited to its slide, with what a council would
do next (the book's judgement). Then the options the ward's records point to, ordered by the strength
of their on-point evidence (`evidence_strength`): each rule declares a mechanism and cites only evidence
cases that support it.

The options come from three parts, each in its own place, all declarative where a policy analyst would
want to change them:

1. **Named findings** (`cityconv.chapters.findings`): a fixed catalogue of facts about a ward, computed
   once per ward into `findings.json` and read here with `load_findings`. A finding whose source is
   missing is *not known* (None), which is different from false.
2. **Rules** (`data/recommendations/rules.yml`, read by `cityconv.data.rules`): id, title, the
   recommendation in plain English, a condition on named findings (`when`) and a trail of findings,
   principles and evidence cases. A rule without an evidence case is refused.
3. **The condition language** (`cityconv.methods.conditions`): safe, three-valued; a rule fires only
   when its condition is true, so a finding that is not known never fires a recommendation.

Here: `validate_rules(project)` adds the condition checks to the file's own (every broken reference is
a `Problem` with file, YAML line and rule id); `evaluate(rules, findings)` gives one `Fired` per rule
with its reasons; `fired_by_ward(project)` is the ward × rule table for the comparison chapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from cityconv.chapters.findings import (
    CHAPTER_NAMES,
    FINDINGS,
    chapter_link,
    explain_leaf,
    finding_kinds,
    load_findings,
    not_asked,
    reason_sentence,
)
from cityconv.core.escaping import myst_escape, role_title
from cityconv.core.params import did_you_mean, yaml_line
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import chapter_registry
from cityconv.data import rules as rules_file
from cityconv.data.implications import load_implications, validate_implications
from cityconv.data.rules import EVIDENCE_DIR, RULES_FILE, Rule, load_rules, rules_path
from cityconv.methods.conditions import (
    Finding,
    LeafResult,
    check,
    condition_findings,
    condition_problems,
)
from cityconv.present import Table, fmt_int
from cityconv.present.prose import capitalise, join_words, lower_first, template_renderer


def rule_findings(rule: Rule) -> tuple[str, ...]:
    """The findings a rule's trail shows: those in its condition, then any extra the trail lists."""
    return tuple(dict.fromkeys(condition_findings(rule.when) + list(rule.trail_findings)))


def _validated_by_planner(project: Project) -> bool:
    """Whether the run's plan checked the rules (against the evidence base) with both folders as they are now."""
    from cityconv.data.wardfiles import validated_by_planner

    return all(validated_by_planner(folder) for folder in (rules_path(project).parent, project.root / EVIDENCE_DIR))


def validate_rules(project: Project | Path, path: Path | None = None) -> list[Problem]:
    """Every problem in the recommendation rules: the file's shape and evidence references
    (`cityconv.data.rules`), then each condition and trail finding against the named findings."""
    project = project if isinstance(project, Project) else Project(Path(project))
    problems = rules_file.validate_rules_file(project, path)
    if problems:
        return problems
    rule_ids = {r.id for r in load_rules(Path(path) if path is not None else rules_path(project), project.root)}
    problems = validate_implications(project, rule_ids)
    path = Path(path) if path is not None else rules_path(project)
    name = relative(path, project.root)
    tree, _ = rules_file.read_yaml(path, project.root)
    kinds = finding_kinds()
    for node in tree.get("rules") or []:
        rid = str(node.get("id"))
        problems += condition_problems(node["when"], name, rid, rules_file.key_line(node, "when"), kinds)
        trail = node["trail"]
        for fid in rules_file.id_list(trail, "findings"):
            if fid not in kinds:
                problems.append(Problem(name, f"rule {rid!r}: unknown finding id {fid!r}{did_you_mean(fid, set(kinds))}",
                                        line=rules_file.key_line(trail, "findings")))
        if not condition_findings(node.get("when")) and not rules_file.id_list(trail, "findings"):
            problems.append(Problem(name, f"rule {rid!r}: the trail names no finding", line=yaml_line(trail)))
    return problems


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
        return [explain_leaf(l, findings) for l in picked]


def evaluate(rules: Iterable[Rule], findings: dict[str, Finding]) -> list[Fired]:
    out = []
    for rule in rules:
        o = check(rule.when, findings)
        out.append(Fired(rule, o.result, o.leaves))
    return out


def fired_by_ward(project: Project | Path, path: Path | None = None) -> pd.DataFrame:
    """Ward × rule: True when the rule fires for the ward (a rule that is not known counts as not fired).

    Index: ward id (every params file of kind ward, but wards not started); columns: rule ids in file order.
    """
    from cityconv.chapters.loader import not_started, open_chapter
    from cityconv.core.params import load_all

    project = project if isinstance(project, Project) else Project(Path(project))
    problems = [] if path is None and _validated_by_planner(project) else validate_rules(project, path)
    if problems:
        raise InputError(problems)
    rules = load_rules(path or rules_path(project), project.root)
    params, _ = load_all(project)
    rows = {}
    for ward_id in sorted(i for i, p in params.items() if p.kind == "ward" and not not_started(project, p)):
        ch = open_chapter(ward_id, project.root)
        rows[ward_id] = {f.rule.id: f.fired for f in evaluate(rules, load_findings(ch))}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[r.id for r in rules]).astype(bool)
    frame.index.name, frame.columns.name = "ward", "rule"
    return frame




@dataclass
class WardRecommendations:
    """What the recommendations chapter needs for one ward."""

    study_id: str
    ward: str
    status: str
    records_source: str
    findings: dict[str, Finding]
    results: list[Fired]
    evidence: Any  # cityconv.data.evidence.EvidenceBase
    #: statement id -> text of the ward's own published implications (none for a ward without them)
    implications: dict[str, str] = field(default_factory=dict)
    project: Project | None = None
    #: the ward's own published implications for policy (data/recommendations/implications.csv)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: findings the study did not collect: its questionnaire does not ask the questions they come from
    not_collected: tuple[str, ...] = ()

    @property
    def fired(self) -> list[Fired]:
        """The options that apply, strongest on-point evidence first (ties keep the rules file's order)."""
        applying = [r for r in self.results if r.fired]
        return sorted(applying, key=lambda f: evidence_strength(self.evidence, f.rule))

    @property
    def not_fired(self) -> list[Fired]:
        return [r for r in self.results if not r.fired]

    @property
    def undecided(self) -> list[Fired]:
        return [r for r in self.results if r.result is None]

    @property
    def ruled_out(self) -> list[Fired]:
        return [r for r in self.results if r.result is False]


def ward_implications(data) -> dict[str, str]:
    """The ward's own published implications for policy and practice (statement id -> text)."""
    statements = None if data is None else data.findings_statements
    if statements is None:
        return {}
    rows = statements[statements["section"].astype(str) == "implications"]
    return dict(zip(rows["statement_id"].astype(str), rows["text"].astype(str)))


def load(study_id: str, root: Path | None = None) -> WardRecommendations:
    """Open the ward, validate the rules against the evidence base and evaluate them."""
    from cityconv.chapters.loader import open_chapter
    from cityconv.data.evidence import load_evidence

    ch = open_chapter(study_id, root)
    project = ch.project
    problems = [] if _validated_by_planner(project) else validate_rules(project)
    if problems:
        raise InputError(problems)
    eb = load_evidence(project.root / EVIDENCE_DIR, project.root)
    rules = load_rules(rules_path(project), project.root)
    findings = load_findings(ch)
    questionnaire = getattr(ch.data, "questionnaire", None)
    not_collected = tuple(fid for fid, f in findings.items() if not f.known and not_asked(fid, questionnaire))
    return WardRecommendations(study_id, ch.title, ch.params.data_status, ch.records_source, findings,
                               evaluate(rules, findings), eb, ward_implications(ch.data), project,
                               load_implications(project, study_id), not_collected)


#: What the page shows as the grade of an option whose mechanism the paper has no evidence for.
NO_GRADE = "none"


def evidence_grades(eb, rule: Rule) -> list[str]:
    """The grades of a rule's evidence cases, strongest first (empty when the paper has nothing on point)."""
    grades = eb.cases.set_index("case_id")["evidence_grade"].astype(str)
    return sorted(grades[c] for c in rule.cases)


def best_grade(eb, rule: Rule) -> str:
    """The strongest grade among a rule's on-point evidence, or NO_GRADE."""
    grades = evidence_grades(eb, rule)
    return grades[0] if grades else NO_GRADE


def evidence_strength(eb, rule: Rule) -> tuple[int, int]:
    """A sort key, smaller = stronger: the best grade, then how many cases share it (more first).

    A rule with no on-point evidence sorts after every graded one.
    """
    from cityconv.data.evidence import GRADES

    grades = evidence_grades(eb, rule)
    if not grades:
        return (len(GRADES), 0)
    return (GRADES.index(grades[0]), -grades.count(grades[0]))


# ------------------------------------------------------------------------------------------ the page
#
# Reader prose lives in templates/recommendations/*.md; the functions below only gather what they show.

TEMPLATES = Path(__file__).parent / "templates" / "recommendations"
render = template_renderer(TEMPLATES)
EXPLORER_STUDY, EXPLORER_CHAPTER = "teaching", "recommendation-explorer"


def page_link(wr: WardRecommendations, study_id: str, page: str | None, text: str) -> str:
    """A MyST link to a generated page, or the plain words when that study is not part of this book."""
    if study_id != wr.study_id and (wr.project is None or not wr.project.params_file(study_id).exists()):
        return myst_escape(text)
    if page is None:  # the project has no such chapter
        return myst_escape(text)
    return f"{{doc}}`{role_title(text)} </book/generated/{study_id}/{page}>`"


def principle_line(eb, pid: str) -> str:
    p = eb.principles.set_index("principle_id").loc[pid]
    return f"{int(p['number'])}. {p['name']}"


def _grade_designs(eb) -> dict[str, str]:
    """grade -> the plain name of its strongest design, e.g. "A" -> "controlled comparison"."""
    rubric = eb.grading_rubric.astype({"grade": str, "design_name": str})
    return {g: str(rows["design_name"].iloc[0]).lower() for g, rows in rubric.groupby("grade", sort=True)}




def case_context(eb, cid: str) -> dict[str, Any]:
    """One evidence case as the trail shows it: where, the paper's words, grade, design, citation.

    `cite` is every study the paper cites for the effect; `effect` carries the label of an estimate.
    The page says once that all of it is as cited in the paper.
    """
    from cityconv.data.evidence import case_citations, effect_as_shown

    c = eb.cases.set_index("case_id").loc[cid]
    rubric = eb.grading_rubric.set_index("design")
    design = str(rubric.loc[str(c["evaluation_design"]), "design_name"]).lower()
    what = next((str(c[k]) for k in ("place", "programme") if not pd.isna(c[k])), None) or str(c["outcome_measure"])
    return {"what": what, "effect": effect_as_shown(c), "grade": str(c["evidence_grade"]),
            "design": design, "cite": capitalise(case_citations(eb, c)),
            "second_hand": str(c["citation_key"]) != "ippr_src_2010"}


def summary_context(wr: WardRecommendations) -> dict[str, Any]:
    designs = _grade_designs(wr.evidence)
    grades = sorted(designs)
    return {"ward": wr.ward, "status": wr.status, "n_rules": fmt_int(len(wr.results)),
            "n_published": fmt_int(len(wr.published)),
            "n_fired": capitalise(fmt_int(len(wr.fired))), "n_unknown": fmt_int(len(wr.undecided)) if wr.undecided else "",
            "best_grade": grades[0], "best_design": designs[grades[0]],
            "worst_grade": grades[-1], "worst_design": designs[grades[-1]]}


def summary_text(wr: WardRecommendations) -> str:
    """The chapter's opening paragraph, with the one plain statement of what the data can show."""
    return render("summary", summary_context(wr))


intro_text = summary_text  # the name the notebook and other chapters used before the templates


def published_context(wr: WardRecommendations) -> dict[str, Any]:
    """The study's own implications: title, the slide's words, the slide, and the next step (book's judgement)."""
    items = []
    for _, row in wr.published.iterrows():
        rule = str(row["rule_id"]) if not pd.isna(row["rule_id"]) else ""
        option = next((i for i, f in enumerate(wr.fired, 1) if f.rule.id == rule), None)
        items.append({"title": str(row["title"]), "quote": str(row["published_text"]), "slide": str(row["slide"]),
                      "cite": f"{{cite:p}}`{row['source_key']}`", "next_step": str(row["next_step"]),
                      "option": option})
    return {"ward": wr.ward, "items": items, "n": fmt_int(len(items)), "status": wr.status}


def published_text(wr: WardRecommendations) -> str:
    """The first tier: what the project itself recommended, quoted and cited (empty for a ward without any)."""
    return render("published", published_context(wr))


def _chapter_links(wr: WardRecommendations, finding_ids) -> str:
    """Links to the chapters that show these findings (each chapter once), joined as English."""
    chapters = dict.fromkeys(FINDINGS[f].chapter for f in finding_ids if FINDINGS[f].chapter in CHAPTER_NAMES)
    return join_words(chapter_link(c, wr.study_id) for c in chapters)


def option_context(wr: WardRecommendations, number: int, f: Fired) -> dict[str, Any]:
    rule = f.rule
    held = [l for l in f.leaves if l.effective is True]
    extra = [fid for fid in rule_findings(rule) if fid not in {l.finding for l in f.leaves}]
    return {
        "number": number, "title": rule.title, "text": rule.text,
        "reasons": [capitalise(reason_sentence(l, wr.findings)) + "." for l in held],
        "reason_links": _chapter_links(wr, [l.finding for l in held]),
        "also": [{"sentence": wr.findings[fid].description, "link": _chapter_links(wr, [fid])} for fid in extra],
        "implications": [wr.implications[i] for i in rule.implications if i in wr.implications],
        "principles": [principle_line(wr.evidence, p).split(". ", 1)[1] for p in rule.principles],
        "mechanism": mechanism_name(wr.evidence, rule.mechanism),
        "cases": [case_context(wr.evidence, c) for c in rule.cases],
        "grade": best_grade(wr.evidence, rule),
        "why": rule.why_this_evidence,
        "published_title": next((str(r["title"]) for _, r in wr.published.iterrows() if str(r["rule_id"]) == rule.id), ""),
    }


def mechanism_name(eb, mechanism_id: str) -> str:
    """The reader's name of a mechanism ('Training local people to do part of the work')."""
    return str(eb.mechanisms.set_index("mechanism_id").loc[mechanism_id, "name"])


def recommendation_markdown(wr: WardRecommendations, i: int, f: Fired) -> str:
    """One option for the partners with its trail (finding, implication, principle, graded evidence)."""
    return render("option", option_context(wr, i, f))


def recommendations_markdown(wr: WardRecommendations) -> str:
    if not wr.fired:
        return f"No rule applies to {wr.ward}."
    return "\n\n".join(recommendation_markdown(wr, i, f) for i, f in enumerate(wr.fired, 1))


def cannot_tell_context(wr: WardRecommendations) -> dict[str, Any]:
    items = []
    for f in wr.undecided:
        missing = dict.fromkeys(l.finding for l in f.leaves if l.result is None)
        label = lambda fids: join_words(lower_first(FINDINGS[fid].label) for fid in fids)  # noqa: E731
        items.append({"title": f.rule.title, "text": f.rule.text,
                      "missing": label(fid for fid in missing if fid not in wr.not_collected),
                      "not_asked": label(fid for fid in missing if fid in wr.not_collected)})
    return {"ward": wr.ward, "items": items}


def cannot_tell_text(wr: WardRecommendations) -> str:
    """Rules that cannot be decided, with what is missing: never shown as if they applied."""
    return render("cannot_tell", cannot_tell_context(wr))


def not_fired_context(wr: WardRecommendations) -> dict[str, Any]:
    items = [{"title": f.rule.title, "why": capitalise(join_words(
        reason_sentence(l, wr.findings) for l in f.leaves if l.effective is False)) + "."} for f in wr.ruled_out]
    return {"ward": wr.ward, "items": items}


def not_fired_text(wr: WardRecommendations) -> str:
    """The rules whose condition is false here, with the reason, folded away."""
    return render("not_fired", not_fired_context(wr))


def how_context(wr: WardRecommendations) -> dict[str, Any]:
    return {"audit_link": page_link(wr, wr.study_id, chapter_registry.find_page("principles-audit"), "principles audit"),
            "explorer_link": page_link(wr, EXPLORER_STUDY, chapter_registry.find_page(EXPLORER_CHAPTER), "recommendation explorer"),
            "rules_file": RULES_FILE.as_posix(), "evidence_dir": EVIDENCE_DIR.as_posix(), "ward": wr.ward,
            "not_collected": [lower_first(FINDINGS[f].label) for f in _used_findings(wr) if f in wr.not_collected]}


def _used_findings(wr: WardRecommendations) -> list[str]:
    """Every named finding a rule uses, in the order the rules first use them."""
    return list(dict.fromkeys(fid for r in wr.results for fid in rule_findings(r.rule)))


def how_rules_work_text(wr: WardRecommendations) -> str:
    return render("how_rules_work", how_context(wr))


def fired_table(wr: WardRecommendations) -> Table | None:
    if not wr.fired:
        return None
    rows = []
    for i, f in enumerate(wr.fired, 1):
        rows.append({"Option": f"{i}. {f.rule.title}",
                     "Best grade": best_grade(wr.evidence, f.rule),
                     "Evidence items": fmt_int(len(f.rule.cases)),
                     "Also the project's own": "yes" if any(x in wr.implications for x in f.rule.implications) else "no"})
    frame = pd.DataFrame(rows)
    if not wr.implications:
        frame = frame.drop(columns="Also the project's own")
    return Table(frame, title=f"Options for {wr.ward}, strongest evidence first",
                 source=f"The book's written rules applied to {wr.records_source}; evidence on each option's "
                        "mechanism: IPPR North and SRC (2010), graded by the book",
                 units="Best grade on the scale A (strongest) to E; number of evidence items",
                 notes=["Grades run from A (a controlled comparison) to E (a claim with no study behind it); "
                        f"“{NO_GRADE}” means the paper has no evidence on how the option would work."],
                 status=wr.status)


def findings_table(wr: WardRecommendations) -> Table:
    """Every named finding used by a rule, with its value for this ward and where it comes from."""
    used = [f for f in _used_findings(wr) if f not in wr.not_collected]  # the sentence above the table names those
    frame = pd.DataFrame({"Finding": [FINDINGS[f].label for f in used],
                          "Value": [wr.findings[f].display for f in used],
                          "Where it comes from": [FINDINGS[f].source for f in used]})
    return Table(frame, title=f"The findings the rules look at, {wr.ward}", source=wr.records_source,
                 units="As stated in each cell (counts, shares of a target, or yes/no)",
                 notes=["“not known” = the ward's data or settings do not tell us; a rule that needs a finding that "
                        "is not known does not apply."], status=wr.status)
