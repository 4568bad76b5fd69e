"""The recommendation condition language: a small, safe way to write "when" on named findings (no eval).

    condition := leaf | {all: [condition, ...]} | {any: [condition, ...]} | {not: condition}
    leaf      := {finding: <finding id>, <operator>: <value>}
    operator  := equals | not_equals            (any finding)
               | includes | excludes            (list findings: a code is / is not in the list)
               | empty                          (list findings: true = the list is empty)
               | gt | ge | lt | le              (number and share findings; shares are 0-1)
               | known: true                    (the finding has a value; never under `not`)

Logic is three-valued (Kleene): a leaf on a finding that is not known is *unknown*; `not` of unknown is
unknown; `all` is false if any part is false, else unknown if any part is unknown; `any` is true if any
part is true, else unknown if any part is unknown. A rule fires only when its condition is true.

The promise this gives: a condition that is true stays true whatever the findings that are not known
turn out to be, so a finding that is not known never fires a rule. `known: true` keeps that promise (it
is false until the finding is known); `known: false` and a `known` leaf under `not` would break it (they
are true *because* something is not known), so they are refused by `condition_problems` and by `check`.
What to do about a finding that is not known belongs in the page ("we cannot tell"), not in a rule.
Pure functions: the findings and the finding kinds are handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cityconv.core.params import did_you_mean, yaml_line
from cityconv.core.problems import Problem

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



@dataclass(frozen=True)
class Outcome:
    result: bool | None
    leaves: tuple[LeafResult, ...]


KNOWN_REFUSED = ("a rule cannot be true because a finding is not known: use 'known: true' outside 'not', "
                 "and say on the page what is not known")


def _leaf(cond: dict, findings: dict[str, Finding], negated: bool) -> LeafResult:
    fid = str(cond["finding"])
    (op,) = [k for k in cond if k != "finding"]
    expected = cond[op]
    f = findings.get(fid)
    actual = None if f is None else f.value
    if op == "known":
        if expected is not True or negated:
            raise ValueError(f"finding {fid!r}: {KNOWN_REFUSED}")
        return LeafResult(fid, op, expected, actual, actual is not None)
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


def check(cond: Any, findings: dict[str, Finding], _negated: bool = False) -> Outcome:
    """Evaluate a (validated) condition with three-valued logic; see the module docstring.

    Raises ValueError for a condition that could be true because a finding is not known.
    """
    if not isinstance(cond, dict):
        raise ValueError(f"a condition must be a mapping, got {cond!r}")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        parts = [check(c, findings, _negated) for c in cond[key]]
        results = [p.result for p in parts]
        leaves = tuple(l for p in parts for l in p.leaves)
        if key == "all":
            result = False if False in results else (None if None in results else True)
        else:
            result = True if True in results else (None if None in results else False)
        return Outcome(result, leaves)
    if "not" in cond:
        inner = check(cond["not"], findings, not _negated)
        flipped = tuple(LeafResult(l.finding, l.op, l.expected, l.actual, l.result, not l.negated) for l in inner.leaves)
        return Outcome(None if inner.result is None else not inner.result, flipped)
    leaf = _leaf(cond, findings, _negated)
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


def condition_problems(
    cond: Any, where: str, rule_id: str | None, line: int | None, kinds: Mapping[str, str], negated: bool = False
) -> list[Problem]:
    """Structural problems of a condition: shape, operator, known finding, operator fits the finding's kind.

    `kinds` maps each finding id the rules may use to its kind (one of `KINDS`).
    """
    probs: list[Problem] = []
    at = yaml_line(cond) or line
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
            return probs + condition_problems(cond["not"], where, rule_id, at, kinds, not negated)
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            p(f"'{key}' needs a non-empty list of conditions", value=parts)
            return probs
        for part in parts:
            probs += condition_problems(part, where, rule_id, at, kinds, negated)
        return probs
    if "finding" not in cond:
        p("a condition needs 'finding' (or all/any/not)", value=sorted(map(str, cond)))
        return probs
    fid = str(cond["finding"])
    ops = [k for k in cond if k != "finding"]
    if fid not in kinds:
        p(f"unknown finding id {fid!r}{did_you_mean(fid, set(kinds))}", expected="a named finding (see the recommendations chapter's list of findings)")
        return probs
    if len(ops) != 1 or ops[0] not in OPERATORS:
        p(f"finding {fid!r} needs exactly one operator", value=ops or None, expected="one of: " + ", ".join(OPERATORS))
        return probs
    op, value = ops[0], cond[ops[0]]
    kind = kinds[fid]
    if op in NUMERIC_OPS and (kind not in ("number", "share") or isinstance(value, bool) or not isinstance(value, (int, float))):
        p(f"'{op}' compares numbers: finding {fid!r} is a {kind} finding, value must be a number", value=value)
    elif op in LIST_OPS and (kind != "list" or not isinstance(value, str)):
        p(f"'{op}' needs a list finding and a code: finding {fid!r} is a {kind} finding", value=value)
    elif op == "known" and (value is not True or negated):
        p(f"finding {fid!r}: {KNOWN_REFUSED}", value=value, expected="known: true, not inside 'not'")
    elif op == "empty" and not isinstance(value, bool):
        p(f"'{op}' takes true or false", value=value)
    elif op == "empty" and kind != "list":
        p(f"'empty' needs a list finding: finding {fid!r} is a {kind} finding", value=value)
    elif op in ("equals", "not_equals") and kind == "bool" and not isinstance(value, bool):
        p(f"finding {fid!r} is yes/no: compare it with true or false", value=value)
    elif op in ("equals", "not_equals") and kind == "list":
        p(f"finding {fid!r} is a list: use includes/excludes", value=value)
    return probs


