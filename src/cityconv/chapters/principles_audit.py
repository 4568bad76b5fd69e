"""Principles audit per ward (`notebooks/09-principles-audit.ipynb`).

Each of the ten principles of good engagement (`data/evidence/principles.csv`, Duncan and Thomas 2007,
as listed in the IPPR North/SRC positioning paper) is scored from the ward's named findings
(`cityconv.chapters.recommendations.ward_findings`) with the rules in `data/evidence/principles_audit_rules.yml`.
The scale (met / partly met / not met / not known) is defined in that file. The scoring rules use the
same safe condition language as the recommendations (`cityconv.chapters.recommendations.check`); how a score is
picked is described in the rules file and in `score_principle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.chapters.findings import (
    CHAPTER_NAMES,
    FINDINGS,
    chapter_link,
    finding_kinds,
    load_findings,
    reason_sentence,
)
from cityconv.core.params import read_yaml, to_plain, yaml_line
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import chapter_registry
from cityconv.data.rules import EVIDENCE_DIR, key_line
from cityconv.methods.conditions import (
    Finding,
    LeafResult,
    check,
    condition_findings,
    condition_problems,
)
from cityconv.present import Table, fmt_int
from cityconv.present.prose import capitalise, join_words, template_renderer

AUDIT_RULES_FILE = EVIDENCE_DIR / "principles_audit_rules.yml"
SCALE_IDS = ("met", "partly_met", "not_met", "not_known")


@dataclass(frozen=True)
class ScoreOption:
    score: str
    when: Any | None  # None: applies when every earlier condition is false
    because: str


@dataclass(frozen=True)
class PrincipleRule:
    principle: str
    findings: tuple[str, ...]  # every finding shown as evidence: listed ones, then those in conditions
    options: tuple[ScoreOption, ...]


@dataclass(frozen=True)
class AuditRules:
    scale: dict[str, tuple[str, str]]  # id -> (label, meaning), in scale order
    principles: tuple[PrincipleRule, ...]


@dataclass(frozen=True)
class PrincipleScore:
    principle: str
    number: int
    name: str
    score: str
    label: str
    because: str
    findings: tuple[str, ...]
    leaves: tuple[LeafResult, ...] = ()


def audit_rules_path(project: Project | Path) -> Path:
    root = project.root if isinstance(project, Project) else Path(project)
    return root / AUDIT_RULES_FILE


def _ids(node: Any, key: str) -> list[str]:
    v = node.get(key) if isinstance(node, dict) else None
    return [str(x) for x in v] if isinstance(v, list) else ([] if v is None else [str(v)])


def validate_audit_rules(project: Project | Path, path: Path | None = None) -> list[Problem]:
    """Problems in the audit rules: shape, scale, one entry per principle, conditions and findings."""
    project = project if isinstance(project, Project) else Project(Path(project))
    path = Path(path) if path is not None else audit_rules_path(project)
    name = relative(path, project.root)
    tree, problems = read_yaml(path, project.root)
    if problems:
        return problems
    if not isinstance(tree, dict) or not isinstance(tree.get("scale"), list) or not isinstance(tree.get("principles"), list):
        return [Problem(name, "expected top-level 'scale:' and 'principles:' lists")]
    scale = [str(s.get("id")) for s in tree["scale"] if isinstance(s, dict)]
    if sorted(scale) != sorted(SCALE_IDS):
        problems.append(Problem(name, "the scale must define met, partly_met, not_met and not_known",
                                line=key_line(tree, "scale"), value=scale))
    for s in tree["scale"]:
        if isinstance(s, dict) and (not s.get("label") or not s.get("meaning")):
            problems.append(Problem(name, f"scale entry {s.get('id')!r} needs a label and a meaning", line=yaml_line(s)))
    csv = project.root / EVIDENCE_DIR / "principles.csv"
    known = list(pd.read_csv(csv, dtype=str, keep_default_na=False)["principle_id"]) if csv.exists() else []
    seen: dict[str, int | None] = {}
    for node in tree["principles"]:
        if not isinstance(node, dict):
            problems.append(Problem(name, "each principle entry must be a mapping", value=node))
            continue
        pid = str(node.get("principle"))
        line = yaml_line(node)
        if pid not in known:
            problems.append(Problem(name, f"unknown principle id {pid!r}", line=line,
                                    expected="a principle_id in data/evidence/principles.csv"))
        if pid in seen:
            problems.append(Problem(name, f"principle {pid!r} is scored twice (also at line {seen[pid]})", line=line))
        seen[pid] = line
        for fid in _ids(node, "findings"):
            if fid not in FINDINGS:
                problems.append(Problem(name, f"principle {pid!r}: unknown finding id {fid!r}", line=key_line(node, "findings")))
        options = node.get("scores")
        if not isinstance(options, list) or not options:
            problems.append(Problem(name, f"principle {pid!r}: needs a non-empty 'scores' list", line=line))
            continue
        for i, opt in enumerate(options):
            at = yaml_line(opt) or line
            if not isinstance(opt, dict):
                problems.append(Problem(name, f"principle {pid!r}: each score must be a mapping", line=at))
                continue
            if str(opt.get("score")) not in SCALE_IDS:
                problems.append(Problem(name, f"principle {pid!r}: unknown score {opt.get('score')!r}", line=at,
                                        expected="one of: " + ", ".join(SCALE_IDS)))
            if not str(opt.get("because") or "").strip():
                problems.append(Problem(name, f"principle {pid!r}: every score needs 'because' (shown on the page)", line=at))
            if "when" in opt:
                problems += condition_problems(opt["when"], name, None, key_line(opt, "when"), finding_kinds())
            elif i != len(options) - 1:
                problems.append(Problem(name, f"principle {pid!r}: only the last score may have no 'when'", line=at))
    for pid in known:
        if pid not in seen:
            problems.append(Problem(name, f"principle {pid!r} has no scoring rule", expected="an entry under 'principles:'"))
    return problems


def load_audit_rules(path: Path, root: Path | None = None) -> AuditRules:
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    tree, problems = read_yaml(path, root)
    if problems:
        raise InputError(problems)
    scale = {str(s["id"]): (str(s["label"]), " ".join(str(s["meaning"]).split())) for s in tree["scale"]}
    principles = []
    for node in tree["principles"]:
        options = tuple(
            ScoreOption(str(o["score"]), to_plain(o["when"]) if "when" in o else None, " ".join(str(o["because"]).split()))
            for o in node["scores"]
        )
        used = _ids(node, "findings") + [f for o in options for f in condition_findings(o.when)]
        principles.append(PrincipleRule(str(node["principle"]), tuple(dict.fromkeys(used)), options))
    return AuditRules(scale, tuple(principles))


def score_principle(rule: PrincipleRule, findings: dict[str, Finding]) -> tuple[str, str, tuple[LeafResult, ...]]:
    """(score id, because, leaves examined) for one principle.

    The first option whose condition is true wins. An option without a condition applies only when every
    earlier condition was false; if one could not be decided (a finding not known), the score is
    not_known, with the reason of a last condition-free not_known option when the rules give one, else
    a reason naming the missing findings.
    """
    leaves: list[LeafResult] = []
    undecided: list[str] = []
    for opt in rule.options:
        if opt.when is None:
            if undecided:
                break
            return opt.score, opt.because, tuple(leaves)
        outcome = check(opt.when, findings)
        leaves += outcome.leaves
        if outcome.result is True:
            return opt.score, opt.because, tuple(leaves)
        if outcome.result is None:
            undecided += [l.finding for l in outcome.leaves if l.result is None]
    last = rule.options[-1]
    if last.when is None and last.score == "not_known":
        return "not_known", last.because, tuple(leaves)
    missing = list(dict.fromkeys(undecided))
    labels = join_words([FINDINGS[f].label.lower() for f in missing]) or "the findings it needs"
    return "not_known", f"This cannot be scored, because these are not known for this ward: {labels}.", tuple(leaves)


@dataclass
class WardAudit:
    study_id: str
    ward: str
    status: str
    records_source: str
    scale: dict[str, tuple[str, str]]
    scores: list[PrincipleScore]
    findings: dict[str, Finding]

    def counts(self) -> pd.Series:
        s = pd.Series([p.score for p in self.scores]).value_counts()
        return s.reindex(list(self.scale), fill_value=0).astype(int)


def audit_ward(ch, findings: dict[str, Finding] | None = None) -> WardAudit:
    """Score every principle for one ward (`cityconv.chapters.loader.Chapter`)."""
    project = ch.project
    problems = validate_audit_rules(project)
    if problems:
        raise InputError(problems)
    rules = load_audit_rules(audit_rules_path(project), project.root)
    findings = findings if findings is not None else load_findings(ch)
    principles = pd.read_csv(project.root / EVIDENCE_DIR / "principles.csv", dtype=str, keep_default_na=False)
    by_id = {r.principle: r for r in rules.principles}
    scores = []
    for _, p in principles.sort_values("number", key=lambda c: c.astype(int)).iterrows():
        rule = by_id[p["principle_id"]]
        score, because, leaves = score_principle(rule, findings)
        scores.append(PrincipleScore(p["principle_id"], int(p["number"]), p["name"], score, rules.scale[score][0],
                                     because, rule.findings, leaves))
    return WardAudit(ch.params.id, ch.title, ch.params.data_status, ch.records_source, rules.scale, scores, findings)


def load(study_id: str, root: Path | None = None) -> WardAudit:
    from cityconv.chapters.loader import open_chapter

    return audit_ward(open_chapter(study_id, root))


# ------------------------------------------------------------------------------------------ the page


TEMPLATES = Path(__file__).parent / "templates" / "principles_audit"
render = template_renderer(TEMPLATES)


def summary_context(a: WardAudit) -> dict[str, Any]:
    c = a.counts()
    parts = [f"{fmt_int(c[s])} {a.scale[s][0].lower()}" for s in a.scale if c[s]]
    page = chapter_registry.find_page("recommendations")
    link = f"{{doc}}`recommendations </book/generated/{a.study_id}/{page}>`" if page else "recommendations"
    return {"ward": a.ward, "n": fmt_int(len(a.scores)), "counts": join_words(parts), "status": a.status,
            "n_not_known": int(c.get("not_known", 0)), "recommendations_link": link}


def summary_text(a: WardAudit) -> str:
    """The audit's opening: the counts of scores, what "not known" means and (once) the data status."""
    return render("summary", summary_context(a))


intro_text = summary_text  # the name the notebook used before the templates


def scale_table(a: WardAudit) -> Table:
    frame = pd.DataFrame({"Score": [v[0] for v in a.scale.values()], "Meaning": [v[1] for v in a.scale.values()]})
    return Table(frame, title="The audit's scale", source="The audit's written rules (project judgement)",
                 units="Not applicable (definitions)", status="published", page_status=a.status)


def summary_table(a: WardAudit) -> Table:
    frame = pd.DataFrame({
        "Principle": [f"{p.number}. {p.name}" for p in a.scores],
        "Score": [p.label for p in a.scores],
        "Findings used": [fmt_int(len(p.findings)) for p in a.scores],
    })
    return Table(frame, title=f"The ten principles of good engagement: audit of {a.ward}",
                 source=f"Principles: Duncan and Thomas (2007), as cited in IPPR North and SRC (2010). Scores: project "
                        f"judgement applied to {a.records_source}",
                 units="Score on the audit's four-point scale; number of named findings used",
                 notes=["Scores are the project's own judgement, made with rules written down in advance."],
                 status=a.status)


def principle_context(a: WardAudit, p: PrincipleScore) -> dict[str, Any]:
    """What one principle's entry shows: the findings its rules looked at, as sentences, each once."""
    tested = {l.finding for l in p.leaves}
    lines = [capitalise(reason_sentence(l, a.findings)) + "." for l in p.leaves]
    lines += [a.findings[fid].description for fid in p.findings if fid not in tested]
    chapters = dict.fromkeys(FINDINGS[f].chapter for f in p.findings if FINDINGS[f].chapter in CHAPTER_NAMES)
    return {"number": p.number, "name": p.name, "label": p.label, "because": p.because,
            "evidence": list(dict.fromkeys(lines)),
            "links": join_words(chapter_link(c, a.study_id) for c in chapters)}


def principle_markdown(a: WardAudit, p: PrincipleScore) -> str:
    return render("principle", principle_context(a, p))


def principles_markdown(a: WardAudit) -> str:
    return "\n\n".join(principle_markdown(a, p) for p in a.scores)


def how_context(a: WardAudit) -> dict[str, str]:
    return {"rules_file": AUDIT_RULES_FILE.as_posix(), "principles_file": (EVIDENCE_DIR / "principles.csv").as_posix()}


def how_scores_text(a: WardAudit) -> str:
    """How the scores are made, for the reader, with file and code names in a folded analysts' note."""
    return render("how_scores", how_context(a))
