"""The condition language's three-valued logic: a finding that is not known never makes a rule fire."""

from __future__ import annotations

import random

import pytest

from cityconv.methods import conditions as C

KINDS = {"a": "bool", "b": "bool", "n": "number", "codes": "list"}
TRUE, FALSE = {"finding": "a", "equals": True}, {"finding": "b", "equals": True}
UNKNOWN = {"finding": "n", "ge": 1}


def state(**values) -> dict[str, C.Finding]:
    """Findings a (yes), b (no) and n (not known) unless given: enough to reach true, false and unknown."""
    base = {"a": True, "b": False, "n": None, "codes": None}
    base.update(values)
    return {fid: C.Finding(fid, v, str(v), fid, "test", KINDS[fid]) for fid, v in base.items()}


def result(cond, **values):
    return C.check(cond, state(**values)).result


@pytest.mark.parametrize("left, right, expected", [
    (TRUE, TRUE, True), (TRUE, FALSE, False), (TRUE, UNKNOWN, None),
    (FALSE, FALSE, False), (FALSE, UNKNOWN, False), (UNKNOWN, UNKNOWN, None),
])
def test_and_is_kleene(left, right, expected):
    assert result({"all": [left, right]}) is expected
    assert result({"all": [right, left]}) is expected  # order does not matter


@pytest.mark.parametrize("left, right, expected", [
    (TRUE, TRUE, True), (TRUE, FALSE, True), (TRUE, UNKNOWN, True),
    (FALSE, FALSE, False), (FALSE, UNKNOWN, None), (UNKNOWN, UNKNOWN, None),
])
def test_or_is_kleene(left, right, expected):
    assert result({"any": [left, right]}) is expected
    assert result({"any": [right, left]}) is expected


@pytest.mark.parametrize("inner, expected", [(TRUE, False), (FALSE, True), (UNKNOWN, None)])
def test_not_keeps_unknown_unknown(inner, expected):
    assert result({"not": inner}) is expected
    assert result({"not": {"not": inner}}) is result(inner)


def test_every_operator_on_a_finding_that_is_not_known_is_unknown():
    for op, value in (("equals", True), ("not_equals", True), ("gt", 0), ("ge", 0), ("lt", 9), ("le", 9)):
        assert result({"finding": "n", op: value}) is None, op
        assert result({"not": {"finding": "n", op: value}}) is None, op
    for op, value in (("includes", "x"), ("excludes", "x"), ("empty", True), ("empty", False)):
        assert result({"finding": "codes", op: value}) is None, op


def test_known_true_is_false_until_the_finding_is_known():
    assert result({"finding": "n", "known": True}) is False
    assert result({"finding": "n", "known": True}, n=3) is True


@pytest.mark.parametrize("cond", [
    {"finding": "n", "known": False},
    {"not": {"finding": "n", "known": True}},
    {"any": [FALSE, {"not": {"all": [TRUE, {"finding": "n", "known": True}]}}]},
])
def test_conditions_true_because_something_is_not_known_are_refused(cond):
    problems = C.condition_problems(cond, "rules.yml", "r", 1, KINDS)
    assert problems and "cannot be true because a finding is not known" in problems[0].message
    with pytest.raises(ValueError, match="not known"):
        C.check(cond, state())


def test_known_true_under_two_nots_is_allowed():
    cond = {"not": {"not": {"finding": "n", "known": True}}}
    assert C.condition_problems(cond, "rules.yml", "r", 1, KINDS) == []
    assert result(cond) is False


# ------------------------------------------------------------------ the promise, checked on random conditions

LEAVES = [TRUE, FALSE, UNKNOWN, {"finding": "n", "lt": 5}, {"finding": "b", "equals": False},
          {"finding": "n", "known": True}]


def random_condition(rng: random.Random, depth: int, negated: bool = False):
    if depth == 0 or rng.random() < 0.3:
        leaves = [l for l in LEAVES if not (negated and "known" in l)]
        return rng.choice(leaves)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": random_condition(rng, depth - 1, not negated)}
    return {kind: [random_condition(rng, depth - 1, negated) for _ in range(rng.randint(1, 3))]}


def test_a_true_condition_stays_true_whatever_the_unknown_finding_turns_out_to_be():
    """Soundness: if the rule fires with `n` not known, it fires for every value `n` could have."""
    rng = random.Random(12)
    checked = fired = 0
    for _ in range(600):
        cond = random_condition(rng, 4)
        assert C.condition_problems(cond, "rules.yml", "r", 1, KINDS) == []
        r = result(cond)
        checked += 1
        if r is True:
            fired += 1
            for n in (0, 1, 4, 5, 10):
                assert result(cond, n=n) is True, (cond, n)
        if r is False and "known" not in str(cond):
            for n in (0, 1, 4, 5, 10):
                assert result(cond, n=n) is False, (cond, n)
    assert fired > 50 and checked == 600  # the sample reaches firing conditions often enough to mean something


def test_an_unknown_result_can_go_either_way():
    """Unknown is undecided: with the missing finding tested once, some value makes it true, another false.

    (Kleene logic is sound, not complete: "n >= 1 or n < 5" is unknown although always true. Erring
    that way only ever withholds a rule, never fires one.)
    """
    rng = random.Random(13)
    seen = 0
    for _ in range(2000):
        cond = random_condition(rng, 3)
        if "known" in str(cond) or str(cond).count("'n'") != 1 or result(cond) is not None:
            continue
        outcomes = {result(cond, n=n) for n in (0, 1, 4, 5, 10)}
        assert outcomes == {True, False}, cond
        seen += 1
    assert seen > 20


def test_leaves_report_negation_for_the_page():
    out = C.check({"not": {"all": [TRUE, {"not": FALSE}]}}, state())
    assert [(l.finding, l.negated) for l in out.leaves] == [("a", True), ("b", False)]
    assert [l.effective for l in out.leaves] == [False, False]
