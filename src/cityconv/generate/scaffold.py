"""Start a new ward: a params file and a data folder of empty templates, ready to fill in.

Why this exists: adding a ward by copying Clubmoor's files invites mistakes that the strict checks
then reject one at a time (an unquoted ward code, a ward name that does not match its code, a file
with a misspelt column). `new_ward` writes files that are valid from the start: the ward is looked
up in the derived context tables (`data/context/`, which cover every Liverpool ward of both
boundary sets), the params file carries the right code, name and boundary set, and every data file
is a header-only template whose columns come from its schema.

Safety: nothing is ever overwritten. Everything is checked first, the files are written into a
temporary folder inside the project, and only then moved into place, so a failure leaves nothing
half-made.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd

from cityconv.core.params import did_you_mean
from cityconv.core.paths import PARAMS_SUFFIXES, Project
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data import wardfiles as datafiles
from cityconv.data.context import (
    BOUNDARY_SETS,
    SET_CITY,
    UnknownWardError,
    WardContext,
    load_context,
    resolve_ward,
)
from cityconv.data.questionnaire import (
    QUESTIONNAIRE_FILE,
    Questionnaire,
    load_questionnaire,
    standard_questionnaire,
    template_text,
)
from cityconv.generate.import_survey import mapping_template
from cityconv.generate.workbook import write_workbook

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ID_MAX_LENGTH = 60
WHERE = "command line"
MAPPING_FILE = "survey-mapping.yml"


# --------------------------------------------------------------------------------------------------
# Names and lookup


def slugify(name: str) -> str:
    """A params id from a ward name: "St Michael's" -> "st-michaels", "Grassendale & Cressington" ->
    "grassendale-and-cressington" (lower case, '&' spelt out, apostrophes dropped, other runs of
    non-alphanumerics become one hyphen)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = text.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:ID_MAX_LENGTH].rstrip("-")


def lookup_ward(project: Project, code_or_name: str, boundary_set: str | None = None) -> tuple[str, str, str]:
    """(code, name, boundary_set) of a Liverpool ward, or InputError with "did you mean" suggestions.

    Wraps `context.resolve_ward` so the command line gets the project's usual problem format, and
    rejects Liverpool itself (the context tables list the city beside the wards).
    """
    if not (project.context_dir / "wards.csv").exists():
        raise InputError([Problem(relative(project.context_dir, project.root), "ward context tables not found",
                                  expected="data/context/wards.csv (re-create with `cityconv derive-context`)")])
    if boundary_set is not None and boundary_set not in BOUNDARY_SETS:
        raise InputError([Problem(WHERE, f"unknown boundary set {boundary_set!r}{did_you_mean(boundary_set, set(BOUNDARY_SETS))}",
                                  expected="one of: " + ", ".join(repr(s) for s in BOUNDARY_SETS))])
    try:
        code, name, bset = resolve_ward(project.context_dir, code_or_name, boundary_set)
    except UnknownWardError as exc:
        scope = f" in the {boundary_set} boundary set" if boundary_set else ""
        raise InputError([Problem(WHERE, f"{exc}{scope}",
                                  expected="a ward code (e.g. \"E05000887\") or name (e.g. \"Anfield\") from data/context/wards.csv")]) from None
    if bset == SET_CITY:
        raise InputError([Problem(WHERE, f"{code_or_name!r} is Liverpool as a whole, not a ward",
                                  expected="a ward code or name from data/context/wards.csv")])
    return code, name, bset


def _check_id(ward_id: str) -> None:
    if not ID_PATTERN.match(ward_id) or len(ward_id) > ID_MAX_LENGTH:
        raise InputError([Problem(WHERE, f"invalid id {ward_id!r}",
                                  expected=f"lower-case letters, digits and hyphens, starting with a letter or digit, at most {ID_MAX_LENGTH} characters")])


def _existing(project: Project, ward_id: str) -> list[Problem]:
    """Everything that would be overwritten; checked before anything is written."""
    problems = []
    for path in (project.params_dir / f"{ward_id}{suffix}" for suffix in PARAMS_SUFFIXES):
        if path.exists():
            problems.append(Problem(relative(path, project.root), f"already exists: ward or study {ward_id!r} is already set up; nothing was written",
                                    expected="a new id (use --id to choose one)"))
    data = project.data_dir / ward_id
    if data.exists() or data.is_symlink():
        problems.append(Problem(relative(data, project.root), "already exists; nothing was written",
                                expected="a new id (use --id to choose one), or move the existing folder away"))
    return problems


# --------------------------------------------------------------------------------------------------
# File contents


def _yaml_str(text: str) -> str:
    """A YAML 1.2 double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def params_yaml(ward_id: str, code: str, name: str, boundary_set: str, data_dir: str) -> str:
    """The commented params file of a new ward: strict-valid, every value that could be misread quoted."""
    other = "2023-" if boundary_set == "2004-2023" else "2004-2023"
    return f"""\
# Parameters for the ward {name} ({code}), created by `cityconv new-ward`.
# Check with `cityconv validate {ward_id}`. Unknown keys are rejected (a misspelt key is an error).

# id: must equal this file's name without .yml (lower-case letters, digits, hyphens).
id: {ward_id}

# kind: "ward" for one ward's engagement study ("study" is for city-wide pages).
kind: ward

# title: how the ward is named in the book's table of contents and headings.
title: {_yaml_str(name)}

# ward: the electoral ward, exactly as in data/context/wards.csv (the pipeline checks that the
# code, name and boundary set agree).
ward:
  # code: ONS ward code. Keep the quotes: unquoted codes can be misread by YAML tools.
  code: {_yaml_str(code)}
  # name: the ward's official name for that code.
  name: {_yaml_str(name)}
  # boundary_set: "2004-2023" (the 30 wards used 2004 to May 2023) or "2023-" (the 64 wards since
  # May 2023). The Census context is taken for this set (the {other} set has other wards).
  boundary_set: {_yaml_str(boundary_set)}

# data_dir: folder of this ward's input tables (CSV), relative to the project root. Its README.md
# says what to fill in; its CODEBOOK.md defines every column.
data_dir: {data_dir}

# reconstructed: true only when response-level records were rebuilt to match a published
# summary (as for Clubmoor). Leave false for data you collected.
reconstructed: false

# synthetic: true when the engagement data are simulated (`cityconv simulate {ward_id}` sets
# this). Synthetic chapters are labelled as a demonstration, not findings.
synthetic: false
"""


def _fmt_int(value) -> str:
    return "not available" if value is None or pd.isna(value) else f"{int(value):,}"


def _fmt_share(value) -> str:
    return "not available" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def context_summary(context: WardContext) -> list[tuple[str, ...]]:
    """Key Census and deprivation figures as (measure, ward, Liverpool) text, for README tables.

    Missing values (e.g. 2011 for the 2023 wards, everything for Waterfront North) read "not
    available", never 0.
    """
    rows: list[tuple[str, ...]] = []

    def pick(frame: pd.DataFrame, code: str) -> pd.DataFrame:
        if frame is None or frame.empty:
            return pd.DataFrame(columns=frame.columns if frame is not None else [])
        return frame[frame["ward_code"] == code]

    codes = (context.ward_code, "E08000012")
    wards = [pick(context.wards, c) for c in codes]
    for column, label in (("population_2011", "Population, Census 2011"),
                          ("population_2021", "Population, Census 2021 (sum of output areas)"),
                          ("households_2021", "Households, Census 2021")):
        vals = [w[column].iloc[0] if len(w) and column in w else None for w in wards]
        rows.append((label, _fmt_int(vals[0]), _fmt_int(vals[1])))

    def share(table: pd.DataFrame, code: str, categories: list[str]) -> float | None:
        t = pick(table, code)
        if t.empty:
            return None
        s = t.loc[t["category"].isin(categories), "share"]
        return None if s.isna().any() or s.empty else float(s.sum())

    measures = [
        (context.sex, ["Female"], "Female, share of residents (2021)"),
        (context.age, ["0-14"], "Aged 0-14, share of residents (2021)"),
        (context.age, ["65-74", "75+"], "Aged 65 and over, share of residents (2021)"),
        (context.ethnicity, ["Mixed/multiple", "Asian/Asian British", "Black/Black British", "Other"],
         "Ethnic minority (all groups except White), share (2021)"),
        (context.tenure, ["Social rented"], "Social rented, share of households (2021)"),
        (context.tenure, ["Owned outright", "Owned with mortgage/shared ownership"], "Owner occupied, share of households (2021)"),
    ]
    for table, cats, label in measures:
        rows.append((label, _fmt_share(share(table, codes[0], cats)), _fmt_share(share(table, codes[1], cats))))

    for table, year, unit in ((context.deprivation_summary, "2019", "LSOA 2011"),
                              (context.deprivation2025_summary, "2025", "LSOA 2021")):
        cells = []
        for code in codes:
            t = pick(table, code)
            if t.empty or t["n_lsoa"].isna().any():
                cells.append("not available")
                continue
            total = int(t["n_lsoa"].sum())
            most = int(t.loc[t["imd_decile"] == 1, "n_lsoa"].sum())
            cells.append(f"{most} of {total} ({100 * most / total:.0f}%)" if total else "not available")
        rows.append((f"Neighbourhoods ({unit}) in England's most deprived 10%, IMD {year}", *cells))
    return rows


def readme_markdown(ward_id: str, code: str, name: str, boundary_set: str, context: WardContext | None) -> str:
    """README.md of a new ward's data folder: what to fill in, how to check it, the ward's context."""
    file_rows = []
    for stem in datafiles.known_files():
        d = datafiles.schema_descriptor(stem)
        need = "**required**" if d.get("x-required-file") else "optional"
        refs = "; ".join(f"needs `{fk['reference']['resource']}.csv`" for fk in d.get("foreignKeys", []))
        file_rows.append(f"| `{stem}.csv` | {need} | {d.get('title', stem)}{' (' + refs + ')' if refs else ''} |")
    required = ", ".join(f"`{s}.csv`" for s in datafiles.required_files())
    if context is not None:
        table = "\n".join(f"| {label} | {ward} | {city} |" for label, ward, city in context_summary(context))
        caveat = context.caveat
        context_text = f"""| measure | {name} | Liverpool |
|---|---|---|
{table}

{caveat}

Source: `data/context/` (Census 2011 and 2021, English Indices of Deprivation 2019 and 2025); see
`data/context/PROVENANCE.md` for sources, methods and caveats. These tables already cover every
Liverpool ward, so there is nothing to fill in here: the chapters find the ward by `ward.code` and
`ward.boundary_set` in `params/{ward_id}.yml`."""
    else:
        context_text = "The context tables in `data/context/` were not found when this folder was made."
    return f"""# {name}: engagement data (to be filled in)

Created by `cityconv new-ward` for the ward **{name}** (`{code}`, boundary set `{boundary_set}`).
Parameters: `params/{ward_id}.yml`. Column definitions and allowed codes: `CODEBOOK.md` in this folder.

## What to fill in

Each `.csv` file here is an empty template: the header row (the column names, in the order of the
schema) and no data. Add one row per record below the header.

| file | | what it holds |
|---|---|---|
{chr(10).join(file_rows)}

1. Fill in the required files ({required}): they must have at least one row each.
2. Fill in the optional files for the sources you have. **Delete the optional files you have no data
   for**: an absent file tells the chapters that the ward has no such source, whereas an empty one
   would be read as a source with no records.
3. Keep the header row exactly as it is. Use the codes listed in `CODEBOOK.md` (for example `Female`,
   `45-54`, `online`), dates as `YYYY-MM-DD`, months as `YYYY-MM`, and leave a cell blank when the
   value is missing.
4. From a spreadsheet, save each sheet with **Save As > CSV UTF-8 (comma delimited)**, or use the
   data-entry workbook below; other `.xlsx` or `.ods` files in this folder are rejected.

## The survey: your questionnaire, and your survey tool's export

`questionnaire.yml` is this ward's questionnaire: the City Conversation questions with {name}'s name
filled in. Edit the wording, or add questions of your own at the end; it decides the columns of
`survey_responses.csv`, the questions and codes of `survey_mentions.csv`, this folder's `CODEBOOK.md`
and the printable questionnaire. Every question is optional. The age, sex and ethnic group questions
carry `census:` maps from their options to the Census categories, so "Who took part" can compare them
with the ward's Census figures: change the options and the map together.

If the survey ran in Microsoft Forms, Google Forms, SurveyMonkey or Excel, do not type the answers in:
say in `survey-mapping.yml` which column of the export is which question (it is a commented
template), then

```
cityconv import-survey {ward_id} <export.xlsx or .csv> --mapping data/{ward_id}/survey-mapping.yml
```

writes `survey_responses.csv` and `survey_mentions.csv`, or lists every problem and writes nothing.
Personal columns (name, e-mail) must be listed under `drop:`; they are never read.

## Or enter everything in a spreadsheet

`{ward_id}{datafiles.DATA_ENTRY_SUFFIX}` is a workbook with one sheet per table, drop-down lists of the allowed
codes (their labels on the sheet "Lists") and a sheet explaining each column. Fill it in, then

```
cityconv import-workbook {ward_id} data/{ward_id}/{ward_id}{datafiles.DATA_ENTRY_SUFFIX}
```

writes the CSV file of every sheet you filled in, or lists every problem (by sheet and row) and writes
nothing. Add `--replace` to overwrite files that already hold data.

## How to check it

```
cityconv validate {ward_id}
```

lists every problem at once, with the file, row (as numbered in the file, header = row 1), column,
the value found and what was expected. When it reports no problems, `cityconv run {ward_id}` makes the
ward's chapters.

To try the chapters before real data exist, `cityconv simulate {ward_id}` fills this folder with
synthetic records drawn from the ward's Census figures (and marks the params `synthetic: true`, so
every chapter is labelled a demonstration, not findings).

## The ward in context

{context_text}
"""


def next_steps(ward_id: str) -> str:
    """The "Next:" line `cityconv new-ward` prints: every step from the scaffold to a built ward, in order,
    naming the required files and the optional ones a study without such a source deletes."""
    folder = f"data/{ward_id}"
    return _numbered([
        f"edit {folder}/{QUESTIONNAIRE_FILE} to your survey's own questions (a `census:` mapping on the age, sex or "
        f"ethnic group question compares it with the Census), or draft it and the mapping from a survey tool's export "
        f"with `cityconv import-survey {ward_id} <export> --draft`",
        f"enter the records: `cityconv import-survey {ward_id} <export> --mapping {folder}/{MAPPING_FILE}` for a "
        f"survey tool's export, or `cityconv import-workbook {ward_id} {folder}/{ward_id}{datafiles.DATA_ENTRY_SUFFIX}`, "
        f"or type them into the CSV files (see {folder}/CODEBOOK.md)",
        *_steps_after_records(ward_id),
    ])


def draft_next_steps(ward_id: str, export: str, mapping: str) -> str:
    """The "Next:" line `cityconv import-survey --draft` prints: review the draft, import with it, then the rest."""
    return _numbered(["check every `# REVIEW:` mark in both files",
                      f"`cityconv import-survey {ward_id} {export} --mapping {mapping}`",
                      *_steps_after_records(ward_id)])


def import_next_steps(ward_id: str) -> str:
    """The "Next:" line `cityconv import-survey` prints once the survey files are written: the steps still to do."""
    return _numbered(_steps_after_records(ward_id))


def _steps_after_records(ward_id: str) -> list[str]:
    """From survey records to a built ward: the codebook, the other files (required; optional: fill or delete), check, build."""
    required = datafiles.required_files()
    optional = [s for s in datafiles.known_files() if s not in required]
    files = lambda stems: ", ".join(f"{s}.csv" for s in stems)  # noqa: E731
    return [f"`cityconv codebook {ward_id}` (data/{ward_id}/CODEBOOK.md follows the questionnaire)",
            f"fill in the required files ({files(required)})",
            f"fill in the optional files you have records for and delete the others ({files(optional)})",
            f"`cityconv validate {ward_id}`", f"`cityconv build {ward_id}`"]


def _numbered(steps: list[str]) -> str:
    return "Next: " + "; ".join(f"({n}) {step}" for n, step in enumerate(steps, start=1)) + "."


def template_csv(stem: str, questionnaire: Questionnaire | None = None) -> str:
    """Header-only CSV for one data file: the schema's columns in schema order, LF line end."""
    return datafiles.csv_text([f["name"] for f in datafiles.ward_descriptor(stem, questionnaire or standard_questionnaire())["fields"]])


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _place_new_file(source: Path, target: Path) -> None:
    """Put `source` at `target` without ever replacing an existing file."""
    try:
        os.link(source, target)  # atomic; FileExistsError if the target appeared meanwhile
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: exclusive create instead
        with open(target, "xb") as fh:
            fh.write(source.read_bytes())


# --------------------------------------------------------------------------------------------------
# The command


def new_ward(
    project: Project,
    code_or_name: str,
    ward_id: str | None = None,
    boundary_set: str | None = None,
) -> list[Path]:
    """Create `params/<id>.yml` and `data/<id>/` (empty templates, CODEBOOK.md, README.md) for a ward.

    `code_or_name` is an ONS ward code or a ward name (case-insensitive) from either Liverpool
    boundary set; a name found in both sets takes `boundary_set` (default "2004-2023"). `ward_id`
    defaults to the slug of the ward's name. Raises InputError — having written nothing — for an
    unknown ward (with suggestions), an invalid id, or when the params file or data folder already
    exists. Returns the paths created: the params file, then the data folder's files (sorted).
    """
    code, name, bset = lookup_ward(project, code_or_name, boundary_set)
    ward_id = slugify(name) if ward_id is None else str(ward_id)
    _check_id(ward_id)
    if not project.params_dir.is_dir():
        raise InputError([Problem(relative(project.params_dir, project.root), "params folder not found",
                                  expected="a cityconv project (a folder with _config.yml and params/)")])
    problems = _existing(project, ward_id)
    if problems:
        raise InputError(problems)

    try:
        context = load_context(project.context_dir, code, bset)
    except (FileNotFoundError, KeyError, ValueError):
        context = None
    data_rel = f"data/{ward_id}"
    project.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".new-ward-{ward_id}-", dir=project.root))
    params_target = project.params_dir / f"{ward_id}.yml"
    data_target = project.data_dir / ward_id
    moved_data = False
    try:
        staged_data = staging / "data"
        staged_data.mkdir()
        _write(staged_data / QUESTIONNAIRE_FILE, template_text(name))
        questionnaire = load_questionnaire(staged_data / QUESTIONNAIRE_FILE, staging)
        for stem in datafiles.known_files():
            _write(staged_data / f"{stem}.csv", template_csv(stem, questionnaire))
        _write(staged_data / "CODEBOOK.md", datafiles.codebook_markdown(questionnaire))
        _write(staged_data / MAPPING_FILE, mapping_template(questionnaire))
        write_workbook(staged_data / f"{ward_id}{datafiles.DATA_ENTRY_SUFFIX}", questionnaire, name, ward_id)
        _write(staged_data / "README.md", readme_markdown(ward_id, code, name, bset, context))
        staged_params = staging / f"{ward_id}.yml"
        _write(staged_params, params_yaml(ward_id, code, name, bset, data_rel))

        # Re-check just before moving: another process may have created them meanwhile.
        problems = _existing(project, ward_id)
        if problems:
            raise InputError(problems)
        os.rename(staged_data, data_target)  # atomic; fails if a non-empty folder appeared
        moved_data = True
        _place_new_file(staged_params, params_target)
    except BaseException:
        if moved_data:
            shutil.rmtree(data_target, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [params_target, *sorted(data_target.iterdir())]
