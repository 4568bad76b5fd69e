"""Survey exports written the way each tool writes them, from one set of invented answers.

Microsoft Forms (.xlsx): ID, Start time, Completion time, Email ("anonymous"), Name, then one column
per question headed by its text; multi-answer cells joined with ";" and a trailing ";".
Google Forms (CSV): Timestamp (day/month text), then question texts; multi-answer joined with ", ".
SurveyMonkey (CSV): two header rows (question, then option or "Response"); multi-answer questions as
one column per option holding the option's label when chosen; month-first date text.

The answers are invented for tests (no ward's facts): each tool's export of them must import to the
same records.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "real-exports"
"""Real exports other people published (../shared/real-exports, with PROVENANCE.md): read in place, never copied."""
EXPORTS = {
    "google-forms": "google-forms/autistica-citizen-science.csv",
    "surveymonkey": "surveymonkey/star-wars.csv",
    "qualtrics-2017": "qualtrics/qualtrics-2017-sample.csv",
    "qualtrics-legacy": "qualtrics/qualtrics-legacy-sample.csv",
    "ms-forms": "ms-forms/code-review-quiz-de.xlsx",
    "kobotoolbox": "kobotoolbox/kobo-sample-with-repeat.xlsx",
    "limesurvey": "limesurvey/digital-twins-de.csv",
}

Q_AGE = "What is your age?"
Q_SEX = "What is your sex?"
Q_ETHNIC = "What is your ethnic group?"
Q_RECOMMEND = "Would you recommend the area as a place to live?"
Q_BEST = "What are the best things about living here?"
Q_METHODS = "How would you like public agencies to engage with you?"
Q_BUS = "How often do you use the local bus?"  # a question the ward added

AGE_LABELS = {"16-24": "Under 25", "25-34": "25 to 34", "35-44": "35 to 44", "45-54": "45 to 54",
              "55-64": "55 to 64", "65-74": "65 to 74", "75+": "75 or older"}
BEST_LABELS = {"green_spaces": "Green spaces and parks", "community": "Sense of community, neighbours",
               "location": "Location and transport links", "local_shops": "Local shops and amenities",
               "quiet": "Quiet, peaceful area"}
METHOD_LABELS = {"social_media": "Social media", "doorstep": "Knocking on doors", "postal": "Leaflets and letters"}
BUS_LABELS = {"weekly": "Every week", "monthly": "Now and then", "never": "Never"}

# (completion time, age, sex, ethnic group, recommend, best things, methods, bus) — invented answers
ANSWERS = [
    (dt.datetime(2026, 4, 26, 9, 12, 33), "45-54", "Female", "White", "yes", ["green_spaces", "community"], ["postal"], "weekly"),
    (dt.datetime(2026, 4, 27, 14, 1, 2), "25-34", "Male", "White", "not_sure", ["location"], ["social_media"], "never"),
    (dt.datetime(2026, 4, 30, 18, 45, 0), "75+", "Female", "Black/Black British", "yes", ["community", "quiet", "local_shops"], ["doorstep", "postal"], ""),
    (dt.datetime(2026, 5, 2, 8, 5, 10), "16-24", "Male", "Mixed/multiple", "no", [], ["social_media", "doorstep"], "monthly"),
    (dt.datetime(2026, 5, 14, 20, 30, 59), "55-64", "Male", "White", "", ["green_spaces"], [], "weekly"),
    (dt.datetime(2026, 5, 28, 11, 0, 0), "35-44", "Female", "Asian/Asian British", "yes", ["location", "green_spaces"], ["social_media"], "monthly"),
]
SEX_LABELS = {"Female": "Female", "Male": "Male", "Prefer not to say": "Prefer not to say"}
ETHNIC_LABELS = {"White": "White", "Black/Black British": "Black or Black British",
                 "Mixed/multiple": "Mixed or multiple ethnic groups", "Asian/Asian British": "Asian or Asian British"}
RECOMMEND_LABELS = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}

QUESTIONS = [Q_AGE, Q_SEX, Q_ETHNIC, Q_RECOMMEND, Q_BEST, Q_METHODS, Q_BUS]

ADDED_QUESTION = """
  - id: bus_use
    kind: single
    text: "How often do you use the local bus?"
    short: "Bus use"
    options:
      weekly: "Every week"
      monthly: "Now and then"
      never: "Never"
"""


def _single(row) -> list[str]:
    _, age, sex, eth, rec, _, _, bus = row
    return [AGE_LABELS[age], SEX_LABELS[sex], ETHNIC_LABELS[eth], RECOMMEND_LABELS.get(rec, ""), BUS_LABELS.get(bus, "")]


def _mapping_values() -> str:
    ages = ", ".join(f'"{label}": "{code}"' for code, label in AGE_LABELS.items())
    methods = ", ".join(f'"{label}": {code}' for code, label in METHOD_LABELS.items())
    return f"""values:
  age_band: {{{ages}}}
  preferred_methods: {{{methods}}}
"""


def _fields() -> str:
    return f"""fields:
  age_band: "{Q_AGE}"
  sex: "{Q_SEX}"
  ethnic_group: "{Q_ETHNIC}"
  recommend: "{Q_RECOMMEND}"
  bus_use: "{Q_BUS}"
"""


def forms_xlsx(path: Path, rows=ANSWERS) -> Path:
    """A Microsoft Forms export: ;-joined answers with a trailing ;, real Excel date cells."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["ID", "Start time", "Completion time", "Email", "Name", *QUESTIONS])
    for i, row in enumerate(rows, start=1):
        when = row[0]
        age, sex, eth, rec, bus = _single(row)
        best = "".join(f"{BEST_LABELS[c]};" for c in row[5])
        methods = "".join(f"{METHOD_LABELS[c]};" for c in row[6])
        ws.append([i, when - dt.timedelta(minutes=7), when, "anonymous", None, age, sex, eth, rec or None, best or None,
                   methods or None, bus or None])
        ws.cell(ws.max_row, 3).number_format = "m/d/yy h:mm:ss"
    book.save(path)
    return path


FORMS_MAPPING = f"""header_rows: 1
id: "ID"
month: "Completion time"
constants:
  mode: online
{_fields()}multi:
  best_things: {{column: "{Q_BEST}", separator: ";"}}
  preferred_methods: {{column: "{Q_METHODS}", separator: ";"}}
{_mapping_values()}drop: ["Email", "Name", "Start time"]
"""


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def google_csv(path: Path, rows=ANSWERS, bom: bool = False, delimiter: str = ",") -> Path:
    """A Google Forms CSV: Timestamp as day/month/year text, multi-answers joined with ", "."""
    table = [["Timestamp", *QUESTIONS]]
    for row in rows:
        age, sex, eth, rec, bus = _single(row)
        table.append([row[0].strftime("%d/%m/%Y %H:%M:%S"), age, sex, eth, rec,
                      ", ".join(BEST_LABELS[c] for c in row[5]), ", ".join(METHOD_LABELS[c] for c in row[6]), bus])
    path.write_text(("\ufeff" if bom else "") + _csv(table, delimiter), encoding="utf-8", newline="")
    return path


GOOGLE_MAPPING = f"""month: "Timestamp"
constants:
  mode: online
{_fields()}multi:
  best_things: {{column: "{Q_BEST}", separator: ", "}}
  preferred_methods: {{column: "{Q_METHODS}", separator: ", "}}
{_mapping_values()}"""


def surveymonkey_csv(path: Path, rows=ANSWERS) -> Path:
    """A SurveyMonkey CSV: question row, then option row; multi-answers one column per option."""
    fixed = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name", "Last Name"]
    top = fixed + [Q_AGE, Q_SEX, Q_ETHNIC, Q_RECOMMEND]
    sub = [""] * len(fixed) + ["Response"] * 4
    best, methods = list(BEST_LABELS.items()), list(METHOD_LABELS.items())
    top += [Q_BEST] + [""] * (len(best) - 1) + [Q_METHODS] + [""] * (len(methods) - 1) + [Q_BUS]
    sub += [label for _, label in best] + [label for _, label in methods] + ["Response"]
    table = [top, sub]
    for i, row in enumerate(rows, start=1):
        age, sex, eth, rec, bus = _single(row)
        end = row[0].strftime("%m/%d/%Y %I:%M:%S %p")
        table.append([str(11000 + i), "4321", end, end, "", "", "", "", age, sex, eth, rec]
                     + [label if code in row[5] else "" for code, label in best]
                     + [label if code in row[6] else "" for code, label in methods] + [bus])
    path.write_text(_csv(table), encoding="utf-8", newline="")
    return path


SURVEYMONKEY_MAPPING = f"""header_rows: 2
id: "Respondent ID"
month: "End Date"
constants:
  mode: online
{_fields()}multi:
  best_things:
    question: "{Q_BEST}"
    columns: {{{", ".join(f'"{label}": {code}' for code, label in BEST_LABELS.items())}}}
  preferred_methods:
    question: "{Q_METHODS}"
    columns: {{{", ".join(f'"{label}": {code}' for code, label in METHOD_LABELS.items())}}}
values:
  age_band: {{{", ".join(f'"{label}": "{code}"' for code, label in AGE_LABELS.items())}}}
drop: ["Collector ID", "Start Date", "IP Address", "Email Address", "First Name", "Last Name"]
"""


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder with its hash: an import that fails must leave it exactly as it was."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def problem_matches(problem, want: dict) -> bool:
    """A problem has each wanted field: equal, or for message and expected, containing the wanted text."""
    for key, value in want.items():
        got = getattr(problem, key)
        if key in ("message", "expected"):
            if value not in (got or ""):
                return False
        elif got != value:
            return False
    return True


def project_with_new_ward(tmp_path: Path, questionnaire: str | None = None):
    """A scratch project (Clubmoor's config and data) with a new ward, Anfield, scaffolded by new-ward.

    With `questionnaire` (YAML text), the ward's questionnaire is replaced and its survey templates
    (headed for the old questionnaire) removed, as a researcher starting a study of their own would.
    """
    from cityconv.core.paths import Project
    from cityconv.generate.scaffold import new_ward
    from nbtools import clubmoor_project

    (tmp_path / "project").mkdir()
    project = Project(clubmoor_project(tmp_path / "project"))
    new_ward(project, "Anfield")
    if questionnaire is not None:
        use_own_questionnaire(project.data_dir / "anfield", questionnaire)
    return project


def use_own_questionnaire(data: Path, questionnaire: str) -> None:
    """A ward's questionnaire replaced by a study's own (YAML text), and new-ward's survey templates, headed for
    the questions it replaces, removed: what a researcher starting a study of their own does."""
    (data / "questionnaire.yml").write_text(questionnaire, encoding="utf-8")
    for stem in ("survey_responses", "survey_mentions", "survey_text"):
        (data / f"{stem}.csv").unlink(missing_ok=True)


def use_docs_files(data: Path, tool: str, ward: str) -> Path:
    """The questionnaire (for `ward`) and mapping docs/importing.md shows for a real export, saved where a
    researcher keeps them; the mapping's path."""
    from nbtools import REPO

    examples = docs_examples(REPO / "docs" / "importing.md")
    use_own_questionnaire(data, re.sub(r'(?m)^ward: .*$', f'ward: "{ward}"', examples[f"{tool}.questionnaire.yml"]))
    mapping = data / "survey-mapping.yml"
    mapping.write_text(examples[f"{tool}.mapping.yml"], encoding="utf-8")
    return mapping


EXAMPLE = re.compile(r"^<!-- example: (?P<name>\S+) -->\n```yaml\n(?P<text>.*?)^```$", re.DOTALL | re.MULTILINE)


def docs_examples(page: Path) -> dict[str, str]:
    """The worked examples of a docs page, by name: each ```yaml block right after an `<!-- example: NAME -->` comment.

    The page is the single source of the real exports' mappings and questionnaires (docs/importing.md);
    a name given twice is refused, so an edited copy can never shadow the block a reader sees.
    """
    found: dict[str, str] = {}
    for match in EXAMPLE.finditer(page.read_text(encoding="utf-8")):
        assert match["name"] not in found, f"{page.name}: example {match['name']!r} appears twice"
        found[match["name"]] = match["text"]
    return found
