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
  (`x-list-foreign-keys` in the schemas);
- rules that tie columns of `cases.csv` together: a unit when there is a value; a range whose upper
  end is not below its lower end; currency, money year and its basis together; an efficiency type
  exactly when the tenet is `more_efficient_services`; a technique basis exactly when there is a
  technique; and an evidence grade never better than the grade its evaluation design can earn.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.core.problems import InputError, Problem, relative

# Reading and checking one CSV file against its schema, and typed loading, live in datafiles;
# they are reused here, not copied.
from cityconv.data.wardfiles import (
    typed_frame,
    unknown_csv_problem,
    validate_table_file,
)

SCHEMA_PACKAGE = "cityconv.data"
SCHEMA_FOLDER = ("schemas", "evidence")

#: Table order: referenced tables first.
TABLES = (
    "sources",
    "grading_rubric",
    "techniques",
    "principles",
    "cases",
    "international_examples",
    "roundtable_themes",
    "neighbourhood_model_aims",
)

TENET_LABELS = {
    "stronger_communities": "Stronger communities, trust and social capital",
    "more_effective_services": "More effective public services",
    "more_efficient_services": "More efficient public services",
}
GRADES = ("A", "B", "C", "D", "E")


# --------------------------------------------------------------------------------------------------
# Schemas


@lru_cache(maxsize=None)
def _schema_texts() -> dict[str, str]:
    folder = resources.files(SCHEMA_PACKAGE).joinpath(*SCHEMA_FOLDER)
    return {
        entry.name[: -len(".schema.json")]: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".schema.json")
    }


def schema_descriptor(stem: str) -> dict[str, Any]:
    """The Table Schema (a fresh dict) for `data/evidence/<stem>.csv`."""
    try:
        return json.loads(_schema_texts()[stem])
    except KeyError:
        raise KeyError(f"no evidence schema for {stem!r}; known: {', '.join(TABLES)}") from None


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
    return problems


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None  # a type error, reported by frictionless


def _case_rule_problems(rel: str, rows, rubric_rows) -> list[Problem]:
    """Rules that tie columns of cases.csv together (see the module docstring)."""
    problems: list[Problem] = []
    ceiling = {r.get("design", ""): r.get("grade", "") for _, r in rubric_rows}
    for number, row in rows:
        def blank(col: str) -> bool:
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
            for col in money_cols:
                if blank(col):
                    problems.append(Problem(rel, "monetary value without its money year", row=number, column=col,
                                            expected="the price year and its basis for a value with a currency"))
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
        if blank("technique") != blank("technique_basis"):
            col = "technique_basis" if blank("technique_basis") else "technique"
            problems.append(Problem(rel, "technique and technique_basis go together", row=number, column=col,
                                    value=row.get(col) or None,
                                    expected="both filled (technique and its basis) or both blank"))
        best = ceiling.get(row.get("evaluation_design", ""))
        grade = row.get("evidence_grade", "")
        if best in GRADES and grade in GRADES and GRADES.index(grade) < GRADES.index(best):
            problems.append(
                Problem(rel, f"grade is better than the design {row['evaluation_design']!r} allows", row=number,
                        column="evidence_grade", value=grade, expected=f"{best} or lower (grading_rubric.csv)")
            )
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
        rows, file_problems = validate_table_file(path, relative(path, root), schema_descriptor(stem))
        problems += file_problems
        if rows is not None:
            parsed[stem] = rows
    problems += _foreign_key_problems(parsed, present, evidence_dir, root)
    if "cases" in parsed:
        problems += _case_rule_problems(relative(present["cases"], root), parsed["cases"], parsed.get("grading_rubric", []))
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
    cases: pd.DataFrame
    international_examples: pd.DataFrame
    roundtable_themes: pd.DataFrame
    neighbourhood_model_aims: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in dc_fields(self) if f.name != "evidence_dir"}


def load_evidence(evidence_dir: Path, root: Path | None = None) -> EvidenceBase:
    """Validate `evidence_dir` and load every table with the types its schema gives.

    Raises `InputError` listing every problem if the folder does not validate.
    """
    evidence_dir = Path(evidence_dir)
    root = Path(root) if root is not None else evidence_dir.parent.parent
    problems = validate_evidence(evidence_dir, root)
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


def effects_by_tenet(eb: EvidenceBase) -> pd.DataFrame:
    """Every effect, ordered by tenet, then grade (strongest first), then case id.

    Adds `tenet_label`, `signed_value` and `signed_value_upper` (value, negative for a decrease;
    a saving stays positive) and `citation` ('Author (year)'). Values are as published; nothing
    is converted.
    """
    c = eb.cases.copy()
    c["tenet_label"] = c["tenet"].map(TENET_LABELS).astype("string")
    sign = c["direction"].astype("string").eq("decrease").map({True: -1.0, False: 1.0})
    c["signed_value"] = (c["value"] * sign.astype("Float64")).astype("Float64")
    c["signed_value_upper"] = (c["value_upper"] * sign.astype("Float64")).astype("Float64")
    c["citation"] = [citation(eb, k) for k in c["citation_key"]]
    c = c.sort_values(["tenet", "evidence_grade", "case_id"], kind="stable").reset_index(drop=True)
    cols = ["tenet", "tenet_label", "efficiency_type", "case_id", "kind", "place", "programme", "outcome_measure",
            "effect_published", "value", "value_upper", "unit", "direction", "signed_value", "signed_value_upper",
            "evaluation_design",
            "evidence_grade", "citation", "paper_location"]
    return c[cols]


def monetary_values(eb: EvidenceBase) -> pd.DataFrame:
    """The monetary figures, exactly as published, with their currency and price year.

    `money_year_basis` says whether the year is published with the figure or is the paper's date
    (2010) used because none is given.
    """
    c = eb.cases[eb.cases["currency"].notna()].copy()
    c["citation"] = [citation(eb, k) for k in c["citation_key"]]
    cols = ["case_id", "place", "programme", "tenet", "efficiency_type", "effect_published", "value", "currency",
            "unit", "money_year", "money_year_basis", "evaluation_design", "evidence_grade", "citation", "paper_location"]
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
