"""A study's own published implications for policy and practice: `data/recommendations/implications.csv`.

The recommendations chapter states these first, as the project's own recommendations, each quoted
exactly and cited to its slide, with what a council would do next (the book's judgement, a column of
its own). They are data, not prose in Python, so a ward that publishes implications adds rows here;
a ward without rows (a simulated ward) has none and borrows none.

Validation reuses the table machinery of `cityconv.data.wardfiles` (schema in
`data/schemas/recommendations/implications.schema.json`), and adds one cross-file check: a row's
`rule_id` names a rule in `data/recommendations/rules.yml`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cityconv.core.paths import Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import schema_store
from cityconv.data.wardfiles import typed_frame, validate_table_file

IMPLICATIONS_FILE = Path("data") / "recommendations" / "implications.csv"


def _descriptor() -> dict:
    return schema_store.schema_descriptor("recommendations", "implications")


def validate_implications(project: Project, rule_ids: set[str]) -> list[Problem]:
    """Every problem in the implications file (none when the file is absent: a book may have none)."""
    path = project.root / IMPLICATIONS_FILE
    if not path.exists():
        return []
    rel = relative(path, project.root)
    rows, problems = validate_table_file(path, rel, _descriptor(), project.root)
    for number, row in rows or []:
        rule = row.get("rule_id", "")
        if rule and rule not in rule_ids:
            problems.append(Problem(rel, "names a rule that is not in the rules file", row=number, column="rule_id",
                                    value=rule, expected="a rule id in data/recommendations/rules.yml, or blank"))
    return problems


def load_implications(project: Project, study_id: str) -> pd.DataFrame:
    """The study's published implications in file order (an empty frame when it published none)."""
    path = project.root / IMPLICATIONS_FILE
    descriptor = _descriptor()
    columns = [f["name"] for f in descriptor["fields"]]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    rows, problems = validate_table_file(path, relative(path, project.root), descriptor, project.root)
    if problems:
        raise InputError(problems)
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_filter=False)
    frame = typed_frame(raw, descriptor)
    return frame[frame["study_id"].astype(str) == study_id].reset_index(drop=True)
