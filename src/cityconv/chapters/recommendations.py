"""Recommendations per ward, each with its evidence trail (`notebooks/10-recommendations.ipynb`).

Three parts, each in its own place, all declarative where a policy analyst would want to change them:

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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from cityconv.chapters.findings import (
    FINDINGS,
    explain_leaf,
    finding_kinds,
    load_findings,
)
from cityconv.core.params import did_you_mean, yaml_line
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import rules as rules_file
from cityconv.data.rules import EVIDENCE_DIR, Rule, load_rules, rules_path
from cityconv.methods.conditions import (
    Finding,
    LeafResult,
    check,
    condition_findings,
    condition_problems,
)
from cityconv.present import Table, fmt_int


def rule_findings(rule: Rule) -> tuple[str, ...]:
    """The findings a rule's trail shows: those in its condition, then any extra the trail lists."""
    return tuple(dict.fromkeys(condition_findings(rule.when) + list(rule.trail_findings)))


def validate_rules(project: Project | Path, path: Path | None = None) -> list[Problem]:
    """Every problem in the recommendation rules: the file's shape and evidence references
    (`cityconv.data.rules`), then each condition and trail finding against the named findings."""
    project = project if isinstance(project, Project) else Project(Path(project))
    problems = rules_file.validate_rules_file(project, path)
    if problems:
        return problems
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

    Index: ward id (every params file of kind ward); columns: rule ids in file order.
    """
    from cityconv.chapters.loader import open_chapter
    from cityconv.core.params import load_all

    project = project if isinstance(project, Project) else Project(Path(project))
    problems = validate_rules(project, path)
    if problems:
        raise InputError(problems)
    rules = load_rules(path or rules_path(project), project.root)
    params, _ = load_all(project)
    rows = {}
    for ward_id in sorted(i for i, p in params.items() if p.kind == "ward"):
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

    @property
    def fired(self) -> list[Fired]:
        return [r for r in self.results if r.fired]

    @property
    def not_fired(self) -> list[Fired]:
        return [r for r in self.results if not r.fired]


def load(study_id: str, root: Path | None = None) -> WardRecommendations:
    """Open the ward, validate the rules against the evidence base and evaluate them."""
    from cityconv.chapters.loader import open_chapter
    from cityconv.data.evidence import load_evidence

    ch = open_chapter(study_id, root)
    project = ch.project
    problems = validate_rules(project)
    if problems:
        raise InputError(problems)
    eb = load_evidence(project.root / EVIDENCE_DIR, project.root)
    rules = load_rules(rules_path(project), project.root)
    findings = load_findings(ch)
    return WardRecommendations(study_id, ch.title, ch.params.data_status, ch.records_source, findings,
                               evaluate(rules, findings), eb)


def principle_line(eb, pid: str) -> str:
    p = eb.principles.set_index("principle_id").loc[pid]
    return f"{int(p['number'])}. {p['name']}"


def case_line(eb, cid: str) -> str:
    """'Place or programme: “effect as published” — grade B (before and after); Author (year), as cited in …'."""
    from cityconv.data.evidence import citation

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
                     "Findings": fmt_int(len(rule_findings(f.rule))),
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
                        "chapter for the rubric."], status=wr.status)


def recommendation_markdown(wr: WardRecommendations, i: int, f: Fired) -> str:
    """One fired recommendation with its full trail, as Markdown."""
    lines = [f"**{i}. {f.rule.title}**", "", f.rule.text, "", "*Findings that led to it:*", ""]
    for fid in rule_findings(f.rule):
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
    used = list(dict.fromkeys(fid for r in wr.results for fid in rule_findings(r.rule)))
    frame = pd.DataFrame({"Finding": [FINDINGS[f].label for f in used],
                          "Value": [wr.findings[f].display for f in used],
                          "Where it comes from": [FINDINGS[f].source for f in used]})
    return Table(frame, title=f"The findings the rules look at, {wr.ward}", source=wr.records_source,
                 units="As stated in each cell (counts, shares of a target, or yes/no)",
                 notes=["“not known” = the ward's data or settings do not tell us; a rule that needs a finding that "
                        "is not known does not fire."], status=wr.status)
