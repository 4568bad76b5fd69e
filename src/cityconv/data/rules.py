"""Rules files (recommendations, principles audit): read, shape-checked, and their evidence references resolved.

A rules file is YAML (read with line numbers by `cityconv.core.params.read_yaml`). Here we check what
needs only the file and the evidence base: the keys of each rule, duplicate ids, and that every
principle and evidence case in a trail exists, every case has a citation, and every case supports the
rule's declared mechanism (evidence on point; a rule whose mechanism the paper has no evidence for lists
no case and says so). Conditions are checked against the named findings by the chapter that evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cityconv.core.params import did_you_mean, read_yaml, to_plain, yaml_line
from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative

RULES_FILE = Path("data") / "recommendations" / "rules.yml"
EVIDENCE_DIR = Path("data") / "evidence"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    text: str
    when: Any
    trail_findings: tuple[str, ...]  # findings the trail lists beyond those in the condition
    principles: tuple[str, ...]
    cases: tuple[str, ...]
    why_this_evidence: str = ""
    line: int | None = None
    implications: tuple[str, ...] = ()  # statement ids in the ward's own findings_statements.csv
    mechanism: str = ""  # a mechanism_id in data/evidence/mechanisms.csv: how the option is meant to work


def key_line(node: Any, key: str) -> int | None:
    """The YAML line of `key` in a mapping (or of the node itself)."""
    if isinstance(node, CommentedMap) and key in node:
        return node.lc.key(key)[0] + 1
    return yaml_line(node)


def id_list(node: Any, key: str) -> list[str]:
    """A trail entry as a list of ids, whether written as one id or a list."""
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
            trail_findings=tuple(id_list(trail, "findings")),
            principles=tuple(id_list(trail, "principles")), cases=tuple(id_list(trail, "cases")),
            why_this_evidence=" ".join(str(trail.get("why_this_evidence", "")).split()), line=yaml_line(node),
            implications=tuple(id_list(trail, "implications")), mechanism=str(node["mechanism"]),
        ))
    return rules


RULE_KEYS = ("id", "title", "recommendation", "mechanism", "when", "trail")
TRAIL_KEYS = ("findings", "implications", "principles", "cases", "why_this_evidence")


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
                probs.append(Problem(name, f"rule {rid!r}: unknown key {str(key)!r}", line=key_line(node, key),
                                     expected="one of: " + ", ".join(RULE_KEYS)))
        if rid is not None:
            if rid in seen:
                probs.append(Problem(name, f"rule {rid!r}: id also used at line {seen[rid]}", line=line))
            seen[rid] = line
        trail = node.get("trail")
        if trail is not None and not isinstance(trail, dict):
            probs.append(Problem(name, f"rule {rid!r}: 'trail' must be a mapping", line=key_line(node, "trail")))
        elif isinstance(trail, dict):
            for key in trail:
                if key not in TRAIL_KEYS:
                    probs.append(Problem(name, f"rule {rid!r}: unknown trail key {str(key)!r}",
                                         line=key_line(trail, key), expected="one of: " + ", ".join(TRAIL_KEYS)))
    return probs


@dataclass(frozen=True)
class EvidenceIds:
    """What a rules file may refer to in the evidence base, read as plain text (so that a broken
    evidence table still lets the rules be checked)."""

    principles: set[str]
    case_citations: dict[str, str]  # case id -> citation key
    citation_keys: set[str]
    mechanisms: set[str]
    case_mechanisms: dict[str, set[str]]  # case id -> the mechanisms its effect supports


def _evidence_ids(evidence_dir: Path) -> EvidenceIds:
    def read(stem: str) -> pd.DataFrame:
        path = evidence_dir / f"{stem}.csv"
        if not path.exists():
            return pd.DataFrame()
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")

    principles, cases, sources, mechanisms = read("principles"), read("cases"), read("sources"), read("mechanisms")
    empty = pd.Series(dtype=str)
    case_ids = cases.get("case_id", empty)
    return EvidenceIds(
        principles=set(principles.get("principle_id", empty)),
        case_citations=dict(zip(case_ids, cases.get("citation_key", empty))),
        citation_keys=set(sources.get("citation_key", empty)),
        mechanisms=set(mechanisms.get("mechanism_id", empty)),
        case_mechanisms={cid: {m.strip() for m in str(ms).split(";") if m.strip()}
                         for cid, ms in zip(case_ids, cases.get("mechanisms", pd.Series([""] * len(case_ids), dtype=str)))},
    )


def _project(project: Project | Path) -> Project:
    return project if isinstance(project, Project) else Project(Path(project))


def validate_rules_file(project: Project | Path, path: Path | None = None) -> list[Problem]:
    """Every problem in the rules file that needs no findings: YAML, shape, and the trail's evidence references.

    Reported per rule with its id and YAML line: unknown principle id, unknown mechanism, unknown case
    id, a case without a citation (blank citation key, or one not in sources.csv), a case that does not
    support the rule's mechanism (evidence off point), and a trail without a `cases` list (`cases: []`
    says the paper has nothing on point, and then why_this_evidence must say so).
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
    ids = _evidence_ids(project.root / EVIDENCE_DIR)
    principle_ids, case_citations, citation_keys = ids.principles, ids.case_citations, ids.citation_keys
    for node in tree.get("rules") or []:
        if not isinstance(node, dict):
            continue
        rid = str(node.get("id"))
        mechanism = str(node.get("mechanism") or "")
        if mechanism and mechanism not in ids.mechanisms:
            problems.append(Problem(name, f"rule {rid!r}: unknown mechanism {mechanism!r}{did_you_mean(mechanism, ids.mechanisms)}",
                                    line=key_line(node, "mechanism"), expected="a mechanism_id in data/evidence/mechanisms.csv"))
        trail = node.get("trail") if isinstance(node.get("trail"), dict) else None
        if trail is None:
            continue
        principles = id_list(trail, "principles")
        if not principles:
            problems.append(Problem(name, f"rule {rid!r}: the trail names no principle", line=yaml_line(trail),
                                    expected="principle ids from data/evidence/principles.csv"))
        for pid in principles:
            if pid not in principle_ids:
                problems.append(Problem(name, f"rule {rid!r}: unknown principle id {pid!r}{did_you_mean(pid, principle_ids)}",
                                        line=key_line(trail, "principles"), expected="a principle_id in principles.csv"))
        cases = id_list(trail, "cases")
        if "cases" not in trail:
            problems.append(Problem(name, f"rule {rid!r}: the trail names no evidence cases", line=yaml_line(trail),
                                    expected="case ids from data/evidence/cases.csv, or [] when the paper has "
                                             "nothing on the rule's mechanism"))
        elif not cases and not str(trail.get("why_this_evidence") or "").strip():
            problems.append(Problem(name, f"rule {rid!r}: no evidence case, and why_this_evidence does not say why",
                                    line=key_line(trail, "cases"),
                                    expected="a why_this_evidence saying the paper has nothing on point"))
        for cid in cases:
            if cid not in case_citations:
                problems.append(Problem(name, f"rule {rid!r}: unknown case id {cid!r}{did_you_mean(cid, set(case_citations))}",
                                        line=key_line(trail, "cases"), expected="a case_id in cases.csv"))
            elif not case_citations[cid] or case_citations[cid] not in citation_keys:
                problems.append(Problem(name, f"rule {rid!r}: case {cid!r} has no citation in sources.csv",
                                        line=key_line(trail, "cases"), value=case_citations[cid] or None,
                                        expected="a citation_key present in sources.csv"))
            elif mechanism in ids.mechanisms and mechanism not in ids.case_mechanisms.get(cid, set()):
                supported = ", ".join(sorted(ids.case_mechanisms.get(cid, set()))) or "none"
                problems.append(Problem(name, f"rule {rid!r}: case {cid!r} is not evidence for the rule's mechanism "
                                              f"{mechanism!r} (it supports: {supported})",
                                        line=key_line(trail, "cases"), value=cid,
                                        expected="a case whose mechanisms in cases.csv include the rule's mechanism"))
    return problems


def rules_path(project: Project | Path) -> Path:
    """The project's recommendation rules file."""
    return _project(project).root / RULES_FILE
