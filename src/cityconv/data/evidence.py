"""The 'good conversations' evidence base as data: `data/evidence/`.

The tables record the evidence in "Enabling Good Conversations: Positioning paper" (IPPR North and
Social Regeneration Consultants, October 2010), plus two shorter seed documents: the Centre for
Urban Wellbeing roundtable post (Drummond and Pykett) and Liverpool's neighbourhood model (Fiona
Worrall, Liverpool City Council). See `data/evidence/README.md` for what each table holds, the
grading rubric and which ratings are the project's judgement.

Each table is described by a frictionless Table Schema in `cityconv/data/schemas/evidence/`. Validation
reuses the ward-data machinery in `cityconv.data.wardfiles` (decoding, header check, the frictionless
report turned into `Problem`s, typed loading), so problems read the same way everywhere: file
relative to the project root, row as numbered in the file (header = row 1), column, value, expected.

On top of the per-file checks this module checks:
- foreign keys between the tables, including `;`-separated lists of citation keys
  (`x-list-foreign-keys` in the schemas) and the inventory's `table:id` references (`x-table-refs`);
- rules that tie columns of `cases.csv` together: a unit when there is a value; a range whose upper
  end is not below its lower end; a currency with its price-year basis, and a price year only when
  one is published; an efficiency type exactly when the tenet is `more_efficient_services`; a
  technique basis exactly when there is a technique; a published figure with its basis (reported,
  the paper's estimate, a potential saving), and never 'reported' for an estimate;
- the grading rule (`grading_problems`), the same for every row: the grade is exactly the design's
  grade; a design with cue words shows one of them in `design_published`; output counts and levels
  have the designs made for them; a change of a stated size is before and after whether or not a
  period is stated, and a cited evaluation without figures has none;
  and rows with the same citation and design wording share a design; the rubric's precedence
  numbers give one order;
- the paper inventory: a citation has its author, year and source; an excluded item says why; an
  item held in the tables names the rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import schema_store

# Reading and checking one CSV file against its schema, and typed loading, live in datafiles;
# they are reused here, not copied.
from cityconv.data.wardfiles import (
    typed_frame,
    unknown_csv_problem,
    validate_table_file,
    validated_by_planner,
)

#: Table order: referenced tables first.
TABLES = (
    "sources",
    "grading_rubric",
    "techniques",
    "principles",
    "mechanisms",
    "cases",
    "international_examples",
    "roundtable_themes",
    "neighbourhood_model_aims",
    "paper_inventory",
    "caveats",
)

TENET_LABELS = {
    "stronger_communities": "Stronger communities, trust and social capital",
    "more_effective_services": "More effective public services",
    "more_efficient_services": "More efficient public services",
}
GRADES = ("A", "B", "C", "D", "E")
#: Directions that are not changes: no sign, and (for output and level) a design of their own.
NOT_A_CHANGE = ("output", "level", "condition")
#: The design each of these directions must have, and the reverse.
DESIGN_FOR_DIRECTION = {"output": "output_count", "level": "single_level"}
#: Designs that differ only in whether a figure is published: a cited change of a stated size is
#: before and after (graded the same with or without a time phrase); without a figure it is a cited
#: evaluation without figures.
WITH_FIGURE, WITHOUT_FIGURE = "before_after", "cited_study_unquantified"
#: Designs whose figure is never an observed one: it is the paper's estimate or a potential saving.
ESTIMATE_DESIGNS = ("estimate_or_model",)


# --------------------------------------------------------------------------------------------------
# Schemas


def _schema_texts() -> dict[str, str]:
    return schema_store.schema_texts('evidence')


def schema_descriptor(stem: str) -> dict[str, Any]:
    """The Table Schema (a fresh dict) for `data/evidence/<stem>.csv`."""
    return schema_store.schema_descriptor('evidence', stem)


# --------------------------------------------------------------------------------------------------
# Validation


def _check_folder(evidence_dir: Path, root: Path) -> tuple[dict[str, Path], list[Problem]]:
    problems: list[Problem] = []
    present: dict[str, Path] = {}
    for path in sorted(evidence_dir.iterdir()):
        if path.name.startswith(".") or path.is_dir() or path.suffix.lower() != ".csv":
            continue  # README.md and the like
        stem = path.name[:-4]
        if stem in TABLES and path.suffix == ".csv":
            present[stem] = path
        else:
            problems.append(unknown_csv_problem(path, TABLES, root, "evidence table"))
    for stem in TABLES:
        if stem not in present:
            problems.append(
                Problem(relative(evidence_dir / f"{stem}.csv", root), "required file is missing",
                        expected=f"{stem}.csv in {relative(evidence_dir, root)}")
            )
    return present, problems


def _foreign_key_problems(
    parsed: dict[str, list[tuple[int, dict[str, str]]]], present: dict[str, Path], evidence_dir: Path, root: Path
) -> list[Problem]:
    problems: list[Problem] = []
    for stem, rows in parsed.items():
        descriptor = schema_descriptor(stem)
        rel = relative(present[stem], root)
        links = [(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0], None)
                 for fk in descriptor.get("foreignKeys", [])]
        links += [(lk["field"], lk["resource"], lk["reference"], lk["separator"])
                  for lk in descriptor.get("x-list-foreign-keys", [])]
        for local, target, remote, separator in links:
            if target not in parsed:
                if target not in present:
                    problems.append(
                        Problem(rel, f"refers to {target}.csv, which is missing", column=local,
                                expected=f"{target}.csv in {relative(evidence_dir, root)}")
                    )
                continue  # a target that could not be read has its own problem
            keys = {r.get(remote, "") for _, r in parsed[target]}
            for number, row in rows:
                cell = row.get(local, "")
                values = [v.strip() for v in cell.split(separator)] if separator else [cell]
                for value in values:
                    if value and value not in keys:
                        close = difflib.get_close_matches(value, sorted(keys), n=1)
                        hint = f"; did you mean {close[0]!r}?" if close else ""
                        problems.append(
                            Problem(rel, f"refers to a row that is not in {target}.csv{hint}", row=number,
                                    column=local, value=value, expected=f"a {remote} present in {target}.csv")
                        )
        problems += _table_ref_problems(descriptor.get("x-table-refs"), rows, parsed, rel)
    return problems


def _table_ref_problems(spec: dict | None, rows, parsed, rel: str) -> list[Problem]:
    """`table:id` references (the inventory's `held_in`): the table is known and the row is in it."""
    if not spec:
        return []
    problems: list[Problem] = []
    keys = {table: {r.get(col, "") for _, r in parsed.get(table, [])} for table, col in spec["tables"].items()}
    for number, row in rows:
        for ref in filter(None, (v.strip() for v in row.get(spec["field"], "").split(spec["separator"]))):
            table, _, key = ref.partition(":")
            if table not in spec["tables"]:
                problems.append(Problem(rel, "refers to an unknown table", row=number, column=spec["field"], value=ref,
                                        expected="table:id with table one of " + ", ".join(spec["tables"])))
            elif table in parsed and key not in keys[table]:
                close = difflib.get_close_matches(key, sorted(keys[table]), n=1)
                hint = f"; did you mean {table}:{close[0]}?" if close else ""
                problems.append(Problem(rel, f"refers to a row that is not in {table}.csv{hint}", row=number,
                                        column=spec["field"], value=ref,
                                        expected=f"a {spec['tables'][table]} present in {table}.csv"))
    return problems


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None  # a type error, reported by frictionless


def _case_rule_problems(rel: str, rows, rubric_rows) -> list[Problem]:
    """Rules that tie columns of cases.csv together (see the module docstring)."""
    problems: list[Problem] = []
    for number, row in rows:
        def blank(col: str, row=row) -> bool:
            return row.get(col, "") == ""

        if not blank("value") and blank("unit"):
            problems.append(Problem(rel, "a value needs a unit", row=number, column="unit",
                                    expected="what the value counts, e.g. 'percent' or 'GBP'"))
        if not blank("value_upper"):
            if blank("value"):
                problems.append(Problem(rel, "upper value without a lower value", row=number, column="value",
                                        expected="the lower end of the published range"))
            else:
                low, high = _number(row["value"]), _number(row["value_upper"])
                if low is not None and high is not None and high < low:
                    problems.append(Problem(rel, "upper value is below the value", row=number, column="value_upper",
                                            value=row["value_upper"], expected=f"a number >= {row['value']}"))
        money_cols = ("money_year", "money_year_basis")
        if not blank("currency"):
            if blank("money_year_basis"):
                problems.append(Problem(rel, "monetary value without its price-year basis", row=number,
                                        column="money_year_basis",
                                        expected="'published' (with money_year) or 'not_published' (money_year blank)"))
            elif row["money_year_basis"] == "published" and blank("money_year"):
                problems.append(Problem(rel, "price year said to be published but not given", row=number,
                                        column="money_year", expected="the published price year"))
            elif row["money_year_basis"] == "not_published" and not blank("money_year"):
                problems.append(Problem(rel, "price year given although none is published", row=number,
                                        column="money_year", value=row["money_year"],
                                        expected="blank when money_year_basis is 'not_published'"))
            if blank("value"):
                problems.append(Problem(rel, "currency without a value", row=number, column="value",
                                        expected="the published amount"))
        else:
            for col in money_cols:
                if not blank(col):
                    problems.append(Problem(rel, "money year given for a value with no currency", row=number,
                                            column=col, value=row[col], expected="blank, or a currency in 'currency'"))
        efficient = row.get("tenet") == "more_efficient_services"
        if efficient and blank("efficiency_type"):
            problems.append(Problem(rel, "efficiency type is blank", row=number, column="efficiency_type",
                                    expected="'cashable' or 'invest_to_save' when tenet is 'more_efficient_services'"))
        elif not efficient and not blank("efficiency_type") and row.get("tenet") in TENET_LABELS:
            problems.append(Problem(rel, "efficiency type given for a tenet other than more_efficient_services",
                                    row=number, column="efficiency_type", value=row["efficiency_type"],
                                    expected="blank unless tenet is 'more_efficient_services'"))
        if not blank("value") and blank("figure_basis"):
            problems.append(Problem(rel, "a published figure needs its basis", row=number, column="figure_basis",
                                    expected="'reported', 'estimate' or 'potential'"))
        if row.get("evaluation_design") in ESTIMATE_DESIGNS and row.get("figure_basis") in ("", "reported"):
            problems.append(Problem(rel, "an estimate or model is not a reported figure", row=number,
                                    column="figure_basis", value=row.get("figure_basis") or None,
                                    expected="'estimate' or 'potential'"))
        if blank("technique") != blank("technique_basis"):
            col = "technique_basis" if blank("technique_basis") else "technique"
            problems.append(Problem(rel, "technique and technique_basis go together", row=number, column=col,
                                    value=row.get(col) or None,
                                    expected="both filled (technique and its basis) or both blank"))
    return problems + grading_problems(rel, rows, rubric_rows)


def _cues(rubric_row: dict[str, str]) -> list[str]:
    return [c.strip() for c in rubric_row.get("cue_words", "").split(";") if c.strip()]


def _plain(text: str) -> str:
    """Lower case with curly quotes made straight and runs of space collapsed, for cue matching."""
    for a, b in (("‘", "'"), ("’", "'"), ("–", "-")):
        text = text.replace(a, b)
    return " ".join(text.lower().split())


def grading_problems(rel: str, rows, rubric_rows) -> list[Problem]:
    """The grading rule (data/evidence/README.md, 'Grading'), checked on every row of cases.csv.

    `rows` and `rubric_rows` are (row number, dict of cells) pairs as read from the files.
    """
    rubric = {r.get("design", ""): r for _, r in rubric_rows}
    problems: list[Problem] = []
    seen: dict[tuple[str, str, bool], tuple[int, str]] = {}
    for number, row in rows:
        design, grade = row.get("evaluation_design", ""), row.get("evidence_grade", "")
        spec = rubric.get(design)
        if spec is None:
            continue  # an unknown design is reported as a foreign-key problem
        if grade in GRADES and spec.get("grade") in GRADES and grade != spec["grade"]:
            problems.append(Problem(rel, f"grade differs from the grade of the design {design!r}", row=number,
                                    column="evidence_grade", value=grade,
                                    expected=f"{spec['grade']} (grading_rubric.csv: a design's grade is never raised or lowered)"))
        wording = row.get("design_published", "")
        cues = _cues(spec)
        if cues and not any(_plain(c) in _plain(wording) for c in cues):
            problems.append(Problem(rel, f"the design {design!r} is not shown by the paper's words in design_published",
                                    row=number, column="design_published", value=wording or None,
                                    expected="the paper's words, containing one of: " + "; ".join(cues)))
        direction = row.get("direction", "")
        for special, special_design in DESIGN_FOR_DIRECTION.items():
            if (direction == special) != (design == special_design):
                column, value = ("evaluation_design", design) if direction == special else ("direction", direction)
                problems.append(Problem(rel, f"direction {special!r} goes with design {special_design!r}, and only with it",
                                        row=number, column=column, value=value,
                                        expected=f"{special_design!r}" if direction == special else f"{special!r}"))
        has_value = row.get("value", "") != ""
        if design == WITHOUT_FIGURE and has_value:
            problems.append(Problem(rel, "a figure is published, so this is a change of a stated size", row=number,
                                    column="evaluation_design", value=design, expected=repr(WITH_FIGURE)))
        elif design == WITH_FIGURE and not has_value:
            problems.append(Problem(rel, "no figure is given, so this is not a change of a stated size", row=number,
                                    column="evaluation_design", value=design, expected=repr(WITHOUT_FIGURE)))
        if wording and direction not in DESIGN_FOR_DIRECTION:
            key = (row.get("citation_key", ""), _plain(wording), has_value)
            if key in seen and seen[key][1] != design:
                first_row, first_design = seen[key]
                problems.append(Problem(rel, f"graded differently from row {first_row}, which has the same citation and "
                                             "design wording", row=number, column="evaluation_design", value=design,
                                        expected=f"{first_design!r}, as in row {first_row} (like evidence, like grade)"))
            seen.setdefault(key, (number, design))
    return problems


def _rubric_problems(rel: str, rows) -> list[Problem]:
    """The rubric is one ordered rule: its precedence numbers run 1, 2, 3 ... with no two the same."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        value = row.get("precedence", "")
        if value in seen:
            problems.append(Problem(rel, f"two designs have the same precedence (the other is in row {seen[value]})",
                                    row=number, column="precedence", value=value,
                                    expected="a number no other design has, so the designs are tried in one order"))
        seen.setdefault(value, number)
    numbers = sorted(int(v) for v in seen if v.isdigit())
    if numbers and numbers != list(range(1, len(numbers) + 1)) and len(seen) == len(rows):
        problems.append(Problem(rel, "precedence numbers have a gap", column="precedence",
                                value=", ".join(map(str, numbers)), expected=f"1 to {len(rows)}"))
    return problems


def _inventory_problems(rel: str, rows) -> list[Problem]:
    """Rules that tie columns of paper_inventory.csv together."""
    problems: list[Problem] = []
    for number, row in rows:
        kind, status = row.get("kind", ""), row.get("status", "")
        needs = {"citation": ("cited_as", "year", "citation_key"), "web_address": ("cited_as", "citation_key")}.get(kind, ())
        for col in needs:
            if row.get(col, "") == "":
                problems.append(Problem(rel, f"a {kind.replace('_', ' ')} needs its {col.replace('_', ' ')}", row=number,
                                        column=col, expected="as printed in the paper" if col != "citation_key"
                                        else "the source's citation_key in sources.csv"))
        if status == "excluded" and row.get("exclusion_reason", "") == "":
            problems.append(Problem(rel, "an excluded item needs the reason it is left out", row=number,
                                    column="exclusion_reason", expected="why the item is not in the tables"))
        if status == "in_tables":
            if row.get("held_in", "") == "":
                problems.append(Problem(rel, "an item in the tables needs the rows that hold it", row=number,
                                        column="held_in", expected="table:id references, e.g. cases:redruth_crime"))
            if row.get("exclusion_reason", ""):
                problems.append(Problem(rel, "a reason for leaving out an item that is in the tables", row=number,
                                        column="exclusion_reason", value=row["exclusion_reason"],
                                        expected="blank, or status 'excluded'"))
    return problems


def validate_evidence(evidence_dir: Path, root: Path) -> list[Problem]:
    """Every problem in the evidence folder, in one list (empty when it is clean).

    Files are reported relative to `root`; rows as numbered in the file (header = row 1).
    """
    evidence_dir = Path(evidence_dir)
    if not evidence_dir.is_dir():
        return [Problem(relative(evidence_dir, root), "evidence folder not found", expected="a folder of CSV files")]
    present, problems = _check_folder(evidence_dir, root)
    parsed: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for stem in TABLES:
        if stem not in present:
            continue
        path = present[stem]
        rows, file_problems = validate_table_file(path, relative(path, root), schema_descriptor(stem), root)
        problems += file_problems
        if rows is not None:
            parsed[stem] = rows
    problems += _foreign_key_problems(parsed, present, evidence_dir, root)
    if "cases" in parsed:
        problems += _case_rule_problems(relative(present["cases"], root), parsed["cases"], parsed.get("grading_rubric", []))
    if "grading_rubric" in parsed:
        problems += _rubric_problems(relative(present["grading_rubric"], root), parsed["grading_rubric"])
    if "paper_inventory" in parsed:
        problems += _inventory_problems(relative(present["paper_inventory"], root), parsed["paper_inventory"])
    return problems


# --------------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class EvidenceBase:
    """One typed DataFrame per table (coded columns as categoricals, numbers as Float64/Int64)."""

    evidence_dir: Path
    sources: pd.DataFrame
    grading_rubric: pd.DataFrame
    techniques: pd.DataFrame
    principles: pd.DataFrame
    mechanisms: pd.DataFrame
    cases: pd.DataFrame
    international_examples: pd.DataFrame
    roundtable_themes: pd.DataFrame
    neighbourhood_model_aims: pd.DataFrame
    paper_inventory: pd.DataFrame
    caveats: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in dc_fields(self) if f.name != "evidence_dir"}


def load_evidence(evidence_dir: Path, root: Path | None = None) -> EvidenceBase:
    """Validate `evidence_dir` and load every table with the types its schema gives.

    Raises `InputError` listing every problem if the folder does not validate. Under the pipeline, a folder
    the run's plan validated as it is now is not checked again (`wardfiles.validated_by_planner`).
    """
    evidence_dir = Path(evidence_dir)
    root = Path(root) if root is not None else evidence_dir.parent.parent
    problems = [] if validated_by_planner(evidence_dir) else validate_evidence(evidence_dir, root)
    if problems:
        raise InputError(problems)
    frames = {}
    for stem in TABLES:
        raw = pd.read_csv(evidence_dir / f"{stem}.csv", encoding="utf-8-sig", dtype=str,
                          keep_default_na=False, na_filter=False)
        frames[stem] = typed_frame(raw, schema_descriptor(stem))
    return EvidenceBase(evidence_dir=evidence_dir, **frames)


# --------------------------------------------------------------------------------------------------
# What the study chapter needs


def citation(eb: EvidenceBase, key: str) -> str:
    """'Author (year)' for a citation key, as the paper gives it."""
    row = eb.sources.loc[eb.sources["citation_key"] == key]
    if row.empty:
        raise KeyError(f"unknown citation key {key!r}")
    author, year = row.iloc[0]["author"], row.iloc[0]["year"]
    author = str(author).replace("; ", " and ")
    return f"{author} ({int(year)})" if pd.notna(year) else str(author)


def figure_label(basis: object) -> str:
    """The reader's label for a figure that is not a reported one ('the paper's estimate'), else ''.

    The labels are the categories of `figure_basis` in the cases schema, so every page says the same.
    """
    if basis is None or pd.isna(basis) or str(basis) in ("", "reported"):
        return ""
    field = next(f for f in schema_descriptor("cases")["fields"] if f["name"] == "figure_basis")
    return next(c["label"] for c in field["categories"] if c["value"] == str(basis))


def effect_as_shown(row: Any) -> str:
    """The effect as published, in quotation marks, with its figure's label when it is an estimate."""
    label = figure_label(row.get("figure_basis"))
    return f"“{row['effect_published']}”" + (f" ({label})" if label else "")


def case_citations(eb: EvidenceBase, row: Any) -> str:
    """Every source the paper cites for one effect: its citation, then each co-cited source."""
    keys = [str(row["citation_key"])]
    further = row.get("further_citation_keys")
    if further is not None and not pd.isna(further):
        keys += [k.strip() for k in str(further).split(";") if k.strip()]
    return "; ".join(citation(eb, k) for k in dict.fromkeys(keys))


def effects_by_tenet(eb: EvidenceBase) -> pd.DataFrame:
    """Every effect, ordered by tenet, then grade (strongest first), then case id.

    Adds `tenet_label`, `signed_value` and `signed_value_upper` (value, negative for a decrease;
    a saving stays positive; missing for an output, a level or a condition, which are not changes)
    and `citation` ('Author (year)'). Values are as published; nothing is converted.
    """
    c = eb.cases.copy()
    c["tenet_label"] = c["tenet"].map(TENET_LABELS).astype("string")
    direction = c["direction"].astype("string")
    sign = pd.array([None if d in NOT_A_CHANGE else (-1.0 if d == "decrease" else 1.0) for d in direction], dtype="Float64")
    c["signed_value"] = (c["value"] * sign.astype("Float64")).astype("Float64")
    c["signed_value_upper"] = (c["value_upper"] * sign.astype("Float64")).astype("Float64")
    c["citation"] = [case_citations(eb, r) for _, r in c.iterrows()]
    c = c.sort_values(["tenet", "evidence_grade", "case_id"], kind="stable").reset_index(drop=True)
    cols = ["tenet", "tenet_label", "efficiency_type", "case_id", "kind", "place", "programme", "outcome_measure",
            "effect_published", "value", "value_upper", "unit", "direction", "signed_value", "signed_value_upper",
            "evaluation_design", "design_published", "evidence_grade", "grade_rationale", "citation", "paper_location",
            "figure_basis", "mechanisms", "further_citation_keys"]
    return c[cols]


def monetary_values(eb: EvidenceBase) -> pd.DataFrame:
    """The monetary figures, exactly as published, with their currency and price year.

    `money_year` is filled only when a price year is published (`money_year_basis = published`);
    otherwise it is missing and the basis is `not_published`.
    """
    c = eb.cases[eb.cases["currency"].notna()].copy()
    c["citation"] = [case_citations(eb, r) for _, r in c.iterrows()]
    cols = ["case_id", "place", "programme", "tenet", "efficiency_type", "effect_published", "value", "currency",
            "unit", "money_year", "money_year_basis", "evaluation_design", "evidence_grade", "citation", "paper_location",
            "figure_basis"]
    return c[cols].reset_index(drop=True)


def grade_summary(eb: EvidenceBase) -> pd.DataFrame:
    """Effects per evidence grade and tenet (every grade and tenet shown, zeros included), with totals.

    Index: grade A-E; columns: one per tenet, `total`, `quantified` (rows with a published number)
    and `designs` (the designs graded at that level, from the rubric).
    """
    c = eb.cases
    table = pd.crosstab(c["evidence_grade"], c["tenet"], dropna=False)
    table = table.reindex(index=list(GRADES), columns=list(TENET_LABELS), fill_value=0)
    table["total"] = table.sum(axis=1)
    quantified = c[c["value"].notna()].groupby("evidence_grade", observed=False).size()
    table["quantified"] = quantified.reindex(list(GRADES), fill_value=0).astype(int)
    rubric = eb.grading_rubric
    table["designs"] = [
        ", ".join(rubric.loc[rubric["grade"] == g, "design_name"].astype(str)) for g in GRADES
    ]
    table.index.name = "evidence_grade"
    table.columns.name = None
    return table


def check(evidence_dir: Path, root: Path) -> None:
    """Raise `InputError` if the folder does not validate (for scripts and the CLI)."""
    problems = validate_evidence(evidence_dir, root)
    if problems:
        raise InputError(problems)
