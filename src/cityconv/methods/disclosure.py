"""Every rule that protects respondents before a number, table or quote is published.

The rules (defaults in brackets; all configurable through `DisclosureRules` or a ``disclosure:``
mapping in a ward's params file, see `DisclosureRules.from_params`):

1. **Small counts.** An *unweighted* count from 1 up to below ``threshold`` [5] is shown as ``[c]``
   (the GSS symbol for "confidential"). Zeros are shown unless ``zeros_disclosive`` [False]. Totals
   are counts too: a total below the threshold is also ``[c]``.
2. **Secondary suppression**, so that no ``[c]`` can be worked out from totals or from another table
   (algorithm below).
3. **Percentages** are not shown on an unweighted base below ``min_percent_base`` [10], nor when the
   count they are computed from, or their base, is suppressed (`protect_percentages`).
4. **Group attribute disclosure**: a published group in which everyone gave the same answer is
   flagged (`attribute_disclosure`).
5. **Quotes** are attributed by role only, from `ALLOWED_ROLES`; descriptors (e.g. an age band) may be
   attached only when that combination occurs at least ``threshold`` times in the data
   (`cityconv.methods.attribution.check_quote_attribution`).
6. **Free text** is screened for e-mail addresses, UK phone numbers, full UK postcodes, National
   Insurance numbers and names on a deny-list kept outside the repository
   (`cityconv.methods.pii.screen_text`, `screen_table`; the deny-list is read by `cityconv.data.denylist`).
7. A last-line check, `assert_publishable`, refuses a display table showing a small count.

Secondary and linked suppression (our own; no Python library does it)
---------------------------------------------------------------------
*Model.* Every table is held with all its margins, published or not. A one-way table with categories
k has cells ``c_k`` and a total ``T``; a two-way table has cells ``c_ij``, row totals ``r_i``, column
totals ``k_j`` and a grand total ``G``. Each table gives *lines* — linear equations "parts sum to a
total": for a one-way table ``sum_k c_k = T``; for a two-way table one per row (``sum_j c_ij = r_i``),
one per column (``sum_i c_ij = k_j``), plus ``sum_i r_i = G`` and ``sum_j k_j = G``. Margins are not
shown when ``with_totals=False`` (and a one-column or one-row DataFrame is a one-way table, so it gets
one total, never a copy of each cell as a "row total"), but they still exist as unknowns.

*Linking* (`suppress_linked`). Tables are linked through **axis names** (``Series.index.name``,
``DataFrame.index.name`` and ``DataFrame.columns.name``): if two tables both have an axis named
``sex``, the count for ``sex = Female`` in one (a cell of a one-way table, or a row or column total
of a two-way table) *is the same number* as in the other, and their grand totals are equal. Such
entries are merged into one unknown (union-find), so a one-way table's published counts act as the
margins of the two-way table, even when that table's own totals are not shown. Linked tables must
agree exactly on shared margins and use the same categories, otherwise `ValueError` (add a
"Not stated" category rather than letting bases differ: a difference is itself a disclosure). Unnamed
axes link nothing.

An entry is **known** to a reader if it is shown, unsuppressed, in at least one table; otherwise it is
**unknown** (suppressed, or a margin that is never shown).

*Algorithm* (deterministic; each step only ever adds suppressions, so it terminates):

1. **Primary.** Suppress every entry (cell or margin, shown or not) with ``1 <= n < threshold``, and
   ``n == 0`` too if ``zeros_disclosive``.
2. **Line rule.** A line holding a suppressed entry is *unsafe* if it has exactly one unknown entry
   (that entry equals the known total minus the known parts), or if its total is known and all its
   unknown entries are zero (non-negative counts are then pinned at zero). A line whose only unknowns
   are never-shown margins that are not small is fine: working out such a total discloses nothing.
   Lines are visited in a fixed order (tables in the order given; within a table its rows, then its
   columns, then the line of column totals, then the line of row totals). For each unsafe line,
   suppress one complementary entry: the **smallest non-zero known part** of that line, ties broken by
   (a) preferring an entry whose other line would still have a non-zero known part, (b) preferring an
   entry that also repairs another unsafe line, (c) creation order (tables in the order given; within
   a table cells row by row, then totals). If the line has no such part, **suppress its total**
   instead (and say so in the table's notes); the line of totals then needs a second suppressed total
   in turn. Repeat passes until no line is unsafe.
3. **Audit** — an attack on the result using only what is published. For the unknowns, the lines give
   a linear system ``A x = b``. A suppressed entry is *exposed* if (i) it is determined by linear
   arithmetic (its unit vector lies in the row space of ``A``: the matching coordinate of every
   null-space vector is zero), or (ii) the linear programme min/max ``x_e`` subject to ``A x = b``,
   ``x >= 0`` (``x >= 1`` for suppressed entries when zeros are shown, since a reader then knows a
   ``[c]`` is not zero) leaves exactly one integer. (i) catches the "bridge" pattern that the
   two-per-line rule misses (two blocks of suppressions joined by one cell: every line has two, yet
   adding and subtracting whole rows and columns isolates the joining cell); (ii) catches recovery
   through non-negativity and whole numbers (e.g. two ``[c]`` known to sum to 2 are both 1).
4. **Repair.** For the first exposed entry, try candidates in this order and suppress the first
   that un-exposes it: known non-zero parts of the lines through it (smallest first), then known
   non-zero parts of any line holding a suppressed entry (the pinning may come from elsewhere, e.g.
   the line of row totals), then known totals of those lines. If no single candidate is enough,
   suppress the first candidate in that order (the unknowns grow, so the loop progresses); as a last
   resort suppress every entry of those lines. Go back to step 2; stop when the audit finds nothing.

The same algorithm serves `protect_counts` (one table) and `suppress_linked` (several).
Secondary suppressions are never zero (a zero cannot hide anything when zeros are shown), except a
zero *total* as the last resort in step 2.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from cityconv.methods.rounding import round_half_up

__all__ = [
    "SUPPRESSED",
    "TOTAL",
    "CountTable",
    "Disclosed",
    "DisclosureError",
    "DisclosureRules",
    "ProtectedTable",
    "assert_publishable",
    "attribute_disclosure",
    "everyone_answered_alike",
    "protect_answers",
    "protect_counts",
    "protect_percentages",
    "suppress_linked",
]

SUPPRESSED = "[c]"
"""GSS symbol for a figure withheld to protect confidentiality."""

NOT_AVAILABLE = "[x]"
"""GSS symbol for a figure that is not available."""

TOTAL = "Total"
"""Label of the total row and column added to published tables."""

CountTable: TypeAlias = pd.DataFrame | pd.Series
"""A one-way (Series, or one-row/one-column DataFrame) or two-way table of unweighted counts."""


class DisclosureError(ValueError):
    """A table about to be published would disclose a small count."""


# ---------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds for publishing. All counts they apply to are *unweighted* numbers of respondents.

    threshold: counts 1..threshold-1 are withheld (``[c]``).
    min_percent_base: no percentage on an unweighted base below this (must be >= threshold).
    zeros_disclosive: withhold zeros as well (e.g. when "nobody in this group" would itself disclose).
    """

    threshold: int = 5
    min_percent_base: int = 10
    zeros_disclosive: bool = False

    def __post_init__(self) -> None:
        for name in ("threshold", "min_percent_base"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"disclosure rule {name!r} must be a whole number, got {value!r}")
            if value < 1:
                raise ValueError(f"disclosure rule {name!r} must be at least 1, got {value!r}")
        if not isinstance(self.zeros_disclosive, bool | np.bool_):
            raise ValueError(
                f"disclosure rule 'zeros_disclosive' must be true or false, got {self.zeros_disclosive!r}"
            )
        if self.min_percent_base < self.threshold:
            raise ValueError(
                f"disclosure rule 'min_percent_base' ({self.min_percent_base}) must be at least "
                f"'threshold' ({self.threshold}): a percentage on a smaller base reveals the count"
            )

    @classmethod
    def from_params(cls, mapping: Mapping[str, Any] | None) -> "DisclosureRules":
        """Rules from the ``disclosure:`` mapping of a params file; None or {} gives the defaults.

        Unknown keys are refused (with a "did you mean"), so a typo cannot silently keep a default.
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise ValueError(f"'disclosure' must be a mapping of rules, got {type(mapping).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = [key for key in mapping if key not in names]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(str(key), names, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(
                f"unknown disclosure rule(s): {', '.join(hints)}; allowed: {', '.join(names)}"
            )
        return cls(**dict(mapping))

    def is_small(self, n: int) -> bool:
        """True if an unweighted count must be withheld (primary suppression)."""
        return 1 <= n < self.threshold or (self.zeros_disclosive and n == 0)

    def symbol_note(self) -> str:
        """The one footnote for every ``[c]``, whichever rule withheld it.

        A note that changed with the rule (zeros withheld, secondary suppression present) would tell a
        reader which rule applied, and so something about the withheld figures (a note saying zeros are
        withheld under ``42 [c] [c] [c] 45`` says that everyone answered alike).
        """
        return (f"{SUPPRESSED} Withheld to protect the people counted: a count below {self.threshold}, or a "
                "figure withheld so that such a count cannot be worked out from the others")


# ---------------------------------------------------------------------------------------------------
# Counts: primary and secondary suppression
# ---------------------------------------------------------------------------------------------------


@dataclass
class ProtectedTable:
    """A count table ready to publish, with what was withheld and why.

    display: strings to publish — counts, ``[c]`` and (if asked for) totals.
    mask: True where ``display`` shows ``[c]`` (primary or secondary, totals included).
    primary: True where the count itself is small. secondary: withheld only to protect others.
    notes: plain-English notes for the table footer.
    counts: the true counts with totals, aligned with ``display`` — NOT for publication.
    """

    display: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    notes: list[str]
    counts: pd.DataFrame
    rules: DisclosureRules = field(default_factory=DisclosureRules)

    @property
    def suppressed_count(self) -> int:
        return int(self.mask.to_numpy().sum())


@dataclass
class _Table:
    name: str
    frame: pd.DataFrame  # interior counts
    one_way: bool
    along_rows: bool  # one-way only: categories run down the rows (Series, one-column frame)
    with_totals: bool
    cell: np.ndarray  # entry ids, same shape as frame
    row_total: list[int] = field(default_factory=list)  # two-way only
    col_total: list[int] = field(default_factory=list)  # two-way only
    grand: int = -1

    def margin_ids(self) -> dict[str, dict[Any, int]]:
        """For each named axis variable: label -> entry id of the count for that category."""
        out: dict[str, dict[Any, int]] = {}
        f = self.frame
        if self.one_way:
            if self.along_rows:
                if f.index.name is not None:
                    out[str(f.index.name)] = {lab: int(self.cell[i, 0]) for i, lab in enumerate(f.index)}
            elif f.columns.name is not None:
                out[str(f.columns.name)] = {lab: int(self.cell[0, j]) for j, lab in enumerate(f.columns)}
            return out
        if f.index.name is not None:
            out[str(f.index.name)] = dict(zip(f.index, self.row_total))
        if f.columns.name is not None:
            out[str(f.columns.name)] = dict(zip(f.columns, self.col_total))
        return out


def _as_frame(table: CountTable, name: str) -> tuple[pd.DataFrame, bool, bool]:
    """(interior frame of ints, one_way, along_rows) after validating the counts."""
    if isinstance(table, pd.Series):
        frame = table.to_frame(name=table.name if table.name is not None else "Count")
    elif isinstance(table, pd.DataFrame):
        frame = table.copy()
    else:
        raise TypeError(f"table {name!r}: expected a pandas DataFrame or Series, got {type(table).__name__}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"table {name!r} is empty")
    for axis, labels in (("row", frame.index), ("column", frame.columns)):
        if labels.has_duplicates:
            raise ValueError(f"table {name!r}: duplicate {axis} labels {list(labels[labels.duplicated()])}")
        if any(str(lab).strip().lower() == TOTAL.lower() for lab in labels):
            raise ValueError(
                f"table {name!r} already has a {axis} labelled {TOTAL!r}: pass the counts without "
                "totals; totals are added (and protected) here"
            )
    values = frame.to_numpy()
    if values.dtype == bool or not (np.issubdtype(values.dtype, np.number)):
        raise ValueError(f"table {name!r}: counts must be numbers, got dtype {values.dtype}")
    if np.isnan(values.astype(float)).any():
        raise ValueError(f"table {name!r}: counts must not be missing (NaN); use 0 for none")
    if (values < 0).any() or (np.floor(values) != values).any():
        raise ValueError(
            f"table {name!r}: counts must be whole numbers of respondents (unweighted), not "
            "weighted estimates or percentages"
        )
    frame = frame.astype("int64")
    one_way = isinstance(table, pd.Series) or frame.shape[1] == 1 or frame.shape[0] == 1
    along_rows = isinstance(table, pd.Series) or frame.shape[1] == 1
    return frame, one_way, along_rows


class _Problem:
    """All linked tables as one system of entries, lines and suppression flags."""

    def __init__(
        self, tables: Mapping[str, CountTable], rules: DisclosureRules, with_totals: bool | Mapping[str, bool]
    ):
        self.rules = rules
        self.values: list[int] = []
        self.shown: list[bool] = []
        self.tables: list[_Table] = []
        self.lines: list[tuple[list[int], int]] = []  # (parts, total), entry ids
        for name, table in tables.items():
            shown = with_totals.get(name, True) if isinstance(with_totals, Mapping) else with_totals
            self._add_table(str(name), table, bool(shown))
        self._link()
        n = len(self.values)
        self.group = [self._find(i) for i in range(n)]
        self.members: dict[int, list[int]] = {}
        for i, g in enumerate(self.group):
            self.members.setdefault(g, []).append(i)
        self.gshown = {g: any(self.shown[i] for i in m) for g, m in self.members.items()}
        self.gvalue = {g: self.values[g] for g in self.members}
        self.glines: list[tuple[list[int], int]] = [
            ([self.group[p] for p in parts], self.group[total]) for parts, total in self.lines
        ]
        self.lines_of: dict[int, list[int]] = {g: [] for g in self.members}
        for li, (parts, total) in enumerate(self.glines):
            for g in {*parts, total}:
                self.lines_of[g].append(li)
        self.primary = {g: rules.is_small(v) for g, v in self.gvalue.items()}
        self.suppressed = dict(self.primary)
        self.total_fallback: set[int] = set()

    # -- construction -------------------------------------------------------------------------
    def _new(self, value: int, shown: bool) -> int:
        self.values.append(int(value))
        self.shown.append(bool(shown))
        return len(self.values) - 1

    def _add_table(self, name: str, table: CountTable, with_totals: bool) -> None:
        frame, one_way, along_rows = _as_frame(table, name)
        v = frame.to_numpy()
        cell = np.empty(v.shape, dtype=np.int64)
        for (i, j), x in np.ndenumerate(v):
            cell[i, j] = self._new(x, True)
        t = _Table(name, frame, one_way, along_rows, with_totals, cell)
        t.grand = self._new(v.sum(), with_totals)
        if one_way:
            self.lines.append(([int(c) for c in cell.ravel()], t.grand))
        else:
            t.row_total = [self._new(v[i].sum(), with_totals) for i in range(v.shape[0])]
            t.col_total = [self._new(v[:, j].sum(), with_totals) for j in range(v.shape[1])]
            for i in range(v.shape[0]):
                self.lines.append(([int(c) for c in cell[i]], t.row_total[i]))
            for j in range(v.shape[1]):
                self.lines.append(([int(c) for c in cell[:, j]], t.col_total[j]))
            self.lines.append((list(t.col_total), t.grand))
            self.lines.append((list(t.row_total), t.grand))
        self.tables.append(t)

    def _find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _union(self, a: int, b: int, why: str) -> None:
        if self.values[a] != self.values[b]:
            raise ValueError(
                f"linked tables disagree: {why} is {self.values[a]} in one and {self.values[b]} in the "
                "other; tables of the same respondents must have the same margins (add a 'Not stated' "
                "category rather than dropping missing answers)"
            )
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def _link(self) -> None:
        self.parent = list(range(len(self.values)))
        margins = [t.margin_ids() for t in self.tables]
        for a in range(len(self.tables)):
            for b in range(a + 1, len(self.tables)):
                shared = set(margins[a]) & set(margins[b])
                for var in sorted(shared):
                    ma, mb = margins[a][var], margins[b][var]
                    if set(ma) != set(mb):
                        raise ValueError(
                            f"tables {self.tables[a].name!r} and {self.tables[b].name!r} both have "
                            f"{var!r} but different categories: {sorted(map(str, ma))} vs "
                            f"{sorted(map(str, mb))}"
                        )
                    for label in ma:
                        self._union(ma[label], mb[label], f"{var} = {label!r}")
                if shared:
                    self._union(self.tables[a].grand, self.tables[b].grand, "the grand total")

    # -- state --------------------------------------------------------------------------------
    def known(self, g: int) -> bool:
        return self.gshown[g] and not self.suppressed[g]

    def unsafe(self, li: int) -> bool:
        parts, total = self.glines[li]
        unknown = [g for g in {*parts, total} if not self.known(g)]
        if not any(self.suppressed[g] for g in unknown):
            return False  # only never-shown margins are unknown: nothing withheld can be recovered
        if len(unknown) == 1:
            return True
        return self.known(total) and all(self.gvalue[g] == 0 for g in unknown)

    def _candidate_key(self, g: int, li: int) -> tuple:
        others = [m for m in self.lines_of[g] if m != li]
        dead_end = any(
            not any(self.known(p) and self.gvalue[p] > 0 and p != g for p in self.glines[m][0])
            for m in others
        )
        fixes = sum(1 for m in others if self.unsafe(m))
        return (self.gvalue[g], dead_end, -fixes, g)

    def _parts_candidates(self, li: int) -> list[int]:
        parts, _ = self.glines[li]
        cands = {g for g in parts if self.known(g) and self.gvalue[g] > 0}
        return sorted(cands, key=lambda g: self._candidate_key(g, li))

    def line_rule(self) -> None:
        changed = True
        while changed:
            changed = False
            for li in range(len(self.glines)):
                if not self.unsafe(li):
                    continue
                cands = self._parts_candidates(li)
                if cands:
                    self.suppressed[cands[0]] = True
                else:
                    total = self.glines[li][1]
                    if self.known(total):
                        self.suppressed[total] = True
                        self.total_fallback.add(total)
                    else:  # cannot happen (the audit and repair below would still catch it)
                        continue
                changed = True

    # -- audit --------------------------------------------------------------------------------
    def _system(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        unknown = sorted(g for g in self.members if not self.known(g))
        index = {g: k for k, g in enumerate(unknown)}
        rows, rhs = [], []
        for parts, total in self.glines:
            row = np.zeros(len(unknown))
            b = 0.0
            for g, coef in [*((p, 1.0) for p in parts), (total, -1.0)]:
                if g in index:
                    row[index[g]] += coef
                else:
                    b -= coef * self.gvalue[g]
            if row.any():
                rows.append(row)
                rhs.append(b)
        a = np.array(rows) if rows else np.zeros((0, len(unknown)))
        return unknown, a, np.array(rhs)

    def exposed(self, only: int | None = None) -> list[int]:
        unknown, a, b = self._system()
        if not unknown:
            return []
        index = {g: k for k, g in enumerate(unknown)}
        targets = [g for g in unknown if self.suppressed[g]] if only is None else [only]
        null = _null_space(a, len(unknown))
        determined = np.abs(null).max(axis=1, initial=0.0) < 1e-9
        lower = np.array(
            [
                1.0 if (self.suppressed[g] and not self.rules.zeros_disclosive and self.gvalue[g] > 0) else 0.0
                for g in unknown
            ]
        )
        true_values = np.array([float(self.gvalue[g]) for g in unknown])
        out = []
        for g in targets:
            k = index[g]
            if determined[k]:
                out.append(g)
            elif not _free_along_null_space(null, true_values, lower, k) and _pinned(a, b, lower, k, true_values[k]):
                out.append(g)
        return out

    def repair(self, g: int) -> None:
        """Suppress one more entry so that g is no longer exposed (see step 4 of the docstring)."""
        near = self.lines_of[g]
        frontier = [
            li for li, (parts, total) in enumerate(self.glines)
            if any(self.suppressed[x] and not self.known(x) for x in (*parts, total))
        ]

        def parts_of(lines: list[int]) -> list[int]:
            found = {p for li in lines for p in self.glines[li][0] if self.known(p) and self.gvalue[p] > 0}
            return sorted(found, key=lambda p: (self.gvalue[p], p))

        def totals_of(lines: list[int]) -> list[int]:
            found = {self.glines[li][1] for li in lines if self.known(self.glines[li][1])}
            return sorted(found, key=lambda t: (self.gvalue[t], t))

        pools = [parts_of(near), parts_of(frontier), totals_of(near), totals_of(frontier)]
        for number, pool in enumerate(pools):
            for c in pool:
                self.suppressed[c] = True
                if not self.exposed(only=g):
                    if number >= 2:
                        self.total_fallback.add(c)
                    return
                self.suppressed[c] = False
        for number, pool in enumerate(pools):
            if pool:
                self.suppressed[pool[0]] = True
                if number >= 2:
                    self.total_fallback.add(pool[0])
                return
        for li in frontier:
            parts, total = self.glines[li]
            for x in (*parts, total):
                self.suppressed[x] = True

    def solve(self) -> None:
        for _ in range(10 * len(self.members) + 10):
            self.line_rule()
            bad = self.exposed()
            if not bad:
                return
            self.repair(bad[0])
        raise RuntimeError("secondary suppression did not converge")  # pragma: no cover

    # -- output -------------------------------------------------------------------------------
    def result(self, t: _Table) -> ProtectedTable:
        f = t.frame
        if t.one_way and t.along_rows:
            index = list(f.index) + ([TOTAL] if t.with_totals else [])
            columns = list(f.columns)
            ids = [[int(t.cell[i, 0])] for i in range(f.shape[0])] + ([[t.grand]] if t.with_totals else [])
        elif t.one_way:
            index = list(f.index)
            columns = list(f.columns) + ([TOTAL] if t.with_totals else [])
            ids = [[int(c) for c in t.cell[0]] + ([t.grand] if t.with_totals else [])]
        else:
            index = list(f.index) + ([TOTAL] if t.with_totals else [])
            columns = list(f.columns) + ([TOTAL] if t.with_totals else [])
            ids = [[int(c) for c in t.cell[i]] + ([t.row_total[i]] if t.with_totals else [])
                   for i in range(f.shape[0])]
            if t.with_totals:
                ids.append(list(t.col_total) + [t.grand])
        gid = [[self.group[i] for i in row] for row in ids]

        def frame(fn) -> pd.DataFrame:
            out = pd.DataFrame([[fn(g) for g in row] for row in gid], index=index, columns=columns)
            out.index.name, out.columns.name = f.index.name, f.columns.name
            return out

        counts = frame(lambda g: self.gvalue[g])
        mask = frame(lambda g: bool(self.suppressed[g]))
        primary = frame(lambda g: bool(self.suppressed[g] and self.primary[g]))
        secondary = frame(lambda g: bool(self.suppressed[g] and not self.primary[g]))
        display = frame(lambda g: SUPPRESSED if self.suppressed[g] else f"{self.gvalue[g]:,}")
        notes = []
        if mask.to_numpy().any():
            notes.append(self.rules.symbol_note() + ".")
        fallback = [g for row in gid for g in row if g in self.total_fallback]
        if fallback:
            notes.append(
                f"Some totals are withheld ({SUPPRESSED}) because no other count in their row or column "
                "could be withheld instead."
            )
        notes.append("Counts are unweighted numbers of respondents.")
        return ProtectedTable(display, mask, primary, secondary, notes, counts, self.rules)


def _null_space(a: np.ndarray, n: int) -> np.ndarray:
    """An orthonormal basis (n x r) of the directions x can move in while a @ x = b still holds."""
    if a.shape[0] == 0:
        return np.eye(n)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0.0))).sum())
    return vt[rank:].T


def _free_along_null_space(null: np.ndarray, x: np.ndarray, lower: np.ndarray, k: int) -> bool:
    """A quick proof that x_k is *not* pinned, found without linear programming.

    `x` (the true counts) satisfies the equations and the bounds. Moving along a direction d of the
    null space keeps the equations; the bounds x + t·d >= lower limit t to an interval. If x_k then
    sweeps an interval holding two integers, an attacker cannot tell which is right. False means
    "not proven": the caller asks the linear program (`_pinned`), so the answer is always exact.
    """
    projection = null @ null[k]  # the direction that moves x_k most for its length
    for d in (projection, *null.T):
        if abs(d[k]) < 1e-9:
            continue
        slack = lower - x  # <= 0 everywhere
        up, down = d > 1e-12, d < -1e-12
        t_low = float((slack[up] / d[up]).max(initial=-np.inf))
        t_high = float((slack[down] / d[down]).min(initial=np.inf))
        if math.isinf(t_high):  # x_k grows without limit along d
            return True
        ends = sorted((x[k] + t_low * d[k], x[k] + t_high * d[k]))
        if math.floor(ends[1] + 1e-6) > math.ceil(ends[0] - 1e-6):  # `_pinned`'s own test
            return True
    return False


def _pinned(a: np.ndarray, b: np.ndarray, lower: np.ndarray, k: int, true_value: float) -> bool:
    """Whether x_k is forced to a single integer by a @ x = b, x >= lower (linear programming).

    The true counts are one solution, so x_k = `true_value` is feasible: x_k is free as soon as
    the largest feasible x_k reaches the next integer up, and the smallest is then not needed.
    """
    from scipy.optimize import linprog

    n = a.shape[1]
    c = np.zeros(n)
    c[k] = 1.0
    bounds = [(lo, None) for lo in lower]
    kw = dict(A_eq=a, b_eq=b, bounds=bounds, method="highs") if a.shape[0] else dict(bounds=bounds, method="highs")
    high = linprog(-c, **kw)
    if high.status == 3:  # unbounded above
        return False
    if high.status != 0:
        return False  # infeasible cannot happen for true counts
    hi = -high.fun
    if math.floor(hi + 1e-6) > true_value:
        return False
    low = linprog(c, **kw)
    if low.status != 0:
        return False
    lo = low.fun
    return math.floor(hi + 1e-6) <= math.ceil(lo - 1e-6)


def suppress_linked(
    tables: Mapping[str, CountTable],
    rules: DisclosureRules | None = None,
    with_totals: bool | Mapping[str, bool] = True,
) -> dict[str, ProtectedTable]:
    """Protect several tables of the same respondents together, so none can be recovered from another.

    Tables are linked through axis names (see the module docstring): e.g. a Series indexed by ``sex``
    and a crosstab with ``columns.name == "sex"``. ``with_totals`` is one flag for all tables or a
    mapping name -> flag (missing names: True). Returns a ProtectedTable per name, in the same order.
    """
    if not tables:
        return {}
    if isinstance(with_totals, Mapping) and set(with_totals) - set(tables):
        raise ValueError(f"with_totals names unknown table(s): {sorted(set(with_totals) - set(tables))}")
    problem = _Problem(tables, rules or DisclosureRules(), with_totals)
    if len(tables) > 1:
        unnamed = [t.name for t in problem.tables if not t.margin_ids()]
        if unnamed:
            raise ValueError(
                f"table(s) {unnamed} have no named axis, so nothing links them to the others: name the "
                "axes after the variable (e.g. index.name = 'sex'), or protect them separately"
            )
    problem.solve()
    return {t.name: problem.result(t) for t in problem.tables}


def protect_counts(
    table: CountTable, rules: DisclosureRules | None = None, with_totals: bool = True
) -> ProtectedTable:
    """Primary and secondary suppression of one table of unweighted counts (DataFrame or Series).

    With ``with_totals`` the published table gets a ``Total`` row and/or column (a one-way table one
    total only), and the suppression also protects against recovery from those totals.
    """
    return suppress_linked({"table": table}, rules, with_totals)["table"]


# ---------------------------------------------------------------------------------------------------
# What prose may say: the table's own decision
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosed:
    """What a sentence, caption or alt text may say about the cells of one published table.

    It reads the *same* `ProtectedTable` the table beside the words shows, so words can never state a
    number the table withholds (primary or secondary), a share or interval of one (each gives the
    count back), a base the table hides, or name an answer everyone in a group gave (group attribute
    disclosure; at n = 1 that is the one respondent's answer). Keys are the table's row labels; the
    column defaults to the table's only column (a one-way table along its rows).
    """

    table: ProtectedTable

    def _column(self, column: Any) -> Any:
        if column is not None:
            return column
        columns = [c for c in self.table.counts.columns if c != TOTAL]
        if len(columns) != 1:
            raise ValueError(f"name the column: this table has {len(columns)} ({columns})")
        return columns[0]

    def withheld(self, row: Any, column: Any = None) -> bool:
        """True when the table shows ``[c]`` for this cell (small, or withheld to protect another)."""
        return bool(self.table.mask.loc[row, self._column(column)])

    def count(self, row: Any, column: Any = None) -> int | None:
        """The cell's count if the table shows it, else None."""
        if self.withheld(row, column):
            return None
        return int(self.table.counts.loc[row, self._column(column)])

    def total(self, column: Any = None) -> int | None:
        """The column's total if the table shows one (unwithheld), else None."""
        if TOTAL not in self.table.counts.index:
            return None
        return self.count(TOTAL, column)

    def share(self, row: Any, column: Any = None, base: int | None = None) -> float | None:
        """count / base if both may be stated and the base reaches ``min_percent_base``, else None.

        base: the column's total by default (None when the table shows none); an explicit base is any
        other number the reader is told (e.g. all respondents), and is refused when it is itself small.
        """
        n = self.count(row, column)
        if base is None:
            base = self.total(column)
        elif self.table.rules.is_small(int(base)):
            return None
        if n is None or base is None or int(base) < self.table.rules.min_percent_base:
            return None
        return n / int(base)


def everyone_answered_alike(counts: pd.Series, missing: tuple[Any, ...] = ()) -> bool:
    """Everyone counted (the `missing` rows, such as "No answer", left aside) gave one answer of several:
    a table showing the zeros beside it names each one's answer (at n = 1, the one respondent's)."""
    answered = counts.drop(index=[m for m in missing if m in counts.index])
    return len(answered) > 1 and int((answered > 0).sum()) == 1


def protect_answers(
    counts: pd.Series, rules: DisclosureRules | None = None, with_totals: bool = True, missing: tuple[Any, ...] = ()
) -> ProtectedTable:
    """`protect_counts` for one question's answers, guarding against group attribute disclosure too.

    When everyone who answered (the `missing` rows, such as "No answer", left aside) gave the same
    answer, the table's zeros would say which answer that was — at n = 1, the one respondent's. Zeros
    are then withheld as well (as with ``zeros_disclosive``), so the table, and every sentence that
    follows its decision through `Disclosed`, names no one's answer; the footnote stays the one every
    ``[c]`` gets (`DisclosureRules.symbol_note`), so it does not say that this happened.
    """
    rules = rules or DisclosureRules()
    if everyone_answered_alike(counts, missing):
        rules = DisclosureRules(rules.threshold, rules.min_percent_base, zeros_disclosive=True)
    return protect_counts(counts, rules, with_totals=with_totals)


# ---------------------------------------------------------------------------------------------------
# Percentages
# ---------------------------------------------------------------------------------------------------


def protect_percentages(
    counts: CountTable | ProtectedTable,
    base: Any,
    rules: DisclosureRules | None = None,
    decimals: int = 0,
    *,
    suffix: str = "%",
) -> pd.DataFrame | pd.Series:
    """Percentages ``100 * counts / base`` as strings, withheld (``[c]``) where they would disclose.

    A percentage is withheld if its unweighted base is below ``min_percent_base``, if the count it is
    computed from is suppressed (primary or secondary, as `protect_counts` would publish it), or if its
    base is itself suppressed.

    counts: a ProtectedTable (its ``counts`` and ``mask`` are used, totals included), or raw unweighted
        counts (a Series or DataFrame; protected here with totals, as they would be published).
    base: a number; a Series aligned with the rows or the columns of ``counts``; a DataFrame of the same
        shape; or, for a ProtectedTable with totals, ``"total"``, ``"row"`` (each row's total) or
        ``"column"`` (each column's total).
    The result carries ``suffix`` (default "%") so that `assert_publishable` can tell it from counts.
    """
    rules = rules or DisclosureRules()
    if isinstance(counts, ProtectedTable):
        values, mask = counts.counts, counts.mask
        was_series = False
    else:
        was_series = isinstance(counts, pd.Series)
        frame = counts.to_frame() if was_series else counts
        protected = protect_counts(counts, rules)
        rows, cols = frame.shape
        values = protected.counts.iloc[:rows, :cols].set_axis(frame.index, axis=0).set_axis(frame.columns, axis=1)
        mask = protected.mask.iloc[:rows, :cols].set_axis(frame.index, axis=0).set_axis(frame.columns, axis=1)
    base_mask: pd.DataFrame | None = None
    if isinstance(base, str):
        if not isinstance(counts, ProtectedTable):
            raise ValueError("base as 'total', 'row' or 'column' needs a ProtectedTable from protect_counts")
        has_total_row, has_total_col = TOTAL in values.index, TOTAL in values.columns
        if base == "total":
            r = TOTAL if has_total_row else (values.index[0] if len(values.index) == 1 else None)
            c = TOTAL if has_total_col else (values.columns[0] if len(values.columns) == 1 else None)
            if r is None or c is None:
                raise ValueError("this table was published without a total: pass the base explicitly")
            base_frame = pd.DataFrame(int(values.loc[r, c]), index=values.index, columns=values.columns)
            base_mask = pd.DataFrame(bool(mask.loc[r, c]), index=values.index, columns=values.columns)
        elif base == "row":
            if not has_total_col:
                raise ValueError("this table has no Total column: pass the base explicitly")
            base_frame = pd.DataFrame({c: values[TOTAL] for c in values.columns})
            base_mask = pd.DataFrame({c: mask[TOTAL] for c in values.columns})
        elif base == "column":
            if not has_total_row:
                raise ValueError("this table has no Total row: pass the base explicitly")
            base_frame = pd.DataFrame([values.loc[TOTAL]] * len(values.index), index=values.index)
            base_mask = pd.DataFrame([mask.loc[TOTAL]] * len(values.index), index=values.index)
        else:
            raise ValueError(f"base must be 'total', 'row' or 'column', got {base!r}")
    elif isinstance(base, pd.DataFrame):
        base_frame = base.reindex(index=values.index, columns=values.columns)
    elif isinstance(base, pd.Series):
        if set(base.index) == set(values.index):
            base_frame = pd.DataFrame({c: base.reindex(values.index) for c in values.columns})
        elif set(base.index) == set(values.columns):
            base_frame = pd.DataFrame([base.reindex(values.columns)] * len(values.index), index=values.index)
        else:
            raise ValueError("base (a Series) must be indexed like the rows or the columns of counts")
    else:
        base_frame = pd.DataFrame(base, index=values.index, columns=values.columns)
    if base_frame.isna().to_numpy().any():
        raise ValueError("base is missing for some cells")
    out = pd.DataFrame(index=values.index, columns=values.columns, dtype=object)
    for r in values.index:
        for c in values.columns:
            b = base_frame.loc[r, c]
            if float(b) != math.floor(float(b)):
                raise ValueError("bases must be unweighted whole numbers of respondents")
            withheld = (
                bool(mask.loc[r, c])
                or b < rules.min_percent_base
                or (base_mask is not None and bool(base_mask.loc[r, c]))
            )
            if withheld:
                out.loc[r, c] = SUPPRESSED
            else:
                out.loc[r, c] = round_half_up(float(values.loc[r, c]) / float(b), decimals, scale=100) + suffix
    out.index.name, out.columns.name = values.index.name, values.columns.name
    if was_series:
        return out.iloc[:, 0].rename(getattr(counts, "name", None))
    return out


# ---------------------------------------------------------------------------------------------------
# Group attribute disclosure
# ---------------------------------------------------------------------------------------------------


def attribute_disclosure(
    frame: pd.DataFrame, group_column: str, answer_column: str, rules: DisclosureRules | None = None
) -> list[str]:
    """Flags, in plain English, each group in which everyone who answered gave the same answer.

    Publishing such a group (e.g. "all 6 people aged 16–24 said no") tells anyone who knows a member is
    in the group what that person answered. Missing answers are left out (they disclose nothing); a
    group with no answers at all is not flagged. Call it for the groups you intend to publish.
    """
    rules = rules or DisclosureRules()
    for col in (group_column, answer_column):
        if col not in frame.columns:
            raise KeyError(f"column {col!r} not in the data (have {list(frame.columns)})")
    flags = []
    data = frame[[group_column, answer_column]].dropna()
    for group, answers in data.groupby(group_column, sort=True, observed=True)[answer_column]:
        if len(answers) and answers.nunique() == 1:
            n = len(answers)
            size = "the only respondent" if n == 1 else f"all {n} respondents"
            small = f" (and {n} is below the threshold of {rules.threshold})" if rules.is_small(n) else ""
            flags.append(
                f"{group_column} = {group!r}: {size} gave the same {answer_column} "
                f"({answers.iloc[0]!r}){small}; publishing this group reveals each member's answer — "
                "merge it with another group or do not publish the breakdown."
            )
    return flags


# ---------------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------------
# Last-line check
# ---------------------------------------------------------------------------------------------------

NOT_COUNT_LABELS = ("%", "percent", "per cent", "mean", "median", "average")
"""A row or column whose label contains one of these (any case) holds no counts."""

_COUNT = re.compile(r"^\s*\d{1,3}(?:,\d{3})*\s*$|^\s*\d+\s*$")
_N_IN_LABEL = re.compile(r"\bn\s*=\s*(\d+)\b", re.IGNORECASE)


def _not_count_label(label: Any) -> bool:
    text = " ".join(map(str, label)) if isinstance(label, tuple) else str(label)
    return any(word in text.lower() for word in NOT_COUNT_LABELS)


def assert_publishable(display: pd.DataFrame | pd.Series, rules: DisclosureRules | None = None) -> None:
    """Raise DisclosureError if a table about to be shown contains a small count.

    A cell is read as a count if it is an integer, or a string of digits (thousands commas allowed).
    Cells are *not* counts — and are ignored — if they are ``[c]`` or any other text, contain "%" or a
    decimal point, or sit in a row or column whose label contains "%", "percent", "per cent", "mean",
    "median" or "average". Labels such as "Aged 16–24 (n=3)" are checked too. A count is small if
    ``rules.is_small`` says so (1..threshold-1, and 0 when zeros are disclosive).
    """
    rules = rules or DisclosureRules()
    frame = display.to_frame() if isinstance(display, pd.Series) else display
    bad = []
    for r_label, row in frame.iterrows():
        if _not_count_label(r_label):
            continue
        for c_label, value in row.items():
            if _not_count_label(c_label):
                continue
            n: int | None = None
            if isinstance(value, bool | np.bool_) or value is None:
                continue
            if isinstance(value, int | np.integer):
                n = int(value)
            elif isinstance(value, float | np.floating):
                if not math.isnan(value) and float(value).is_integer():
                    n = int(value)
            elif isinstance(value, str) and _COUNT.match(value):
                n = int(value.replace(",", "").strip())
            if n is not None and rules.is_small(n):
                bad.append(f"row {r_label!r}, column {c_label!r} shows {n}")
    for axis, labels in (("row", frame.index), ("column", frame.columns)):
        for label in labels:
            for m in _N_IN_LABEL.finditer(str(label)):
                if rules.is_small(int(m.group(1))):
                    bad.append(f"{axis} label {label!r} shows n = {m.group(1)}")
    if bad:
        raise DisclosureError(
            f"not publishable: {len(bad)} small count(s) below {rules.threshold} — " + "; ".join(bad)
            + ". Protect the table with cityconv.methods.disclosure.protect_counts first."
        )
