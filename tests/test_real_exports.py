"""The seven real exports in ../shared/real-exports import unchanged, with the counts of the raw file.

Each export is imported with the questionnaire and mapping that docs/importing.md shows for it, read
from the page itself (`<!-- example: <tool>.mapping.yml -->` blocks): the docs are their single source. What the ward's survey files then hold is compared,
question by question and option by option, with a count made here from the raw file with csv or
openpyxl directly: not with the importer's own reading. The exports are other people's published
files (see PROVENANCE.md beside them); they are read in place, never copied into the repository.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data.questionnaire import load_questionnaire
from cityconv.generate.import_survey import import_survey
from cityconv.generate.survey_draft import write_draft
from exports import EXPORTS, SHARED, docs_examples, project_with_new_ward, use_docs_files, use_own_questionnaire
from nbtools import REPO

EXAMPLES = docs_examples(REPO / "docs" / "importing.md")  # "<tool>.mapping.yml" / "<tool>.questionnaire.yml" -> YAML text
WARD = "anfield"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared real exports are not here ({SHARED}): "
                                "these tests read ../shared/real-exports, which is not part of the repository")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A scratch project with a new ward, Anfield, as new-ward leaves it."""
    return project_with_new_ward(tmp_path)


def use_questionnaire(project: Project, tool: str) -> Path:
    """The ward's questionnaire replaced by the one written for this export (its survey templates removed)."""
    data = project.data_dir / WARD
    use_own_questionnaire(data, EXAMPLES[f"{tool}.questionnaire.yml"])
    return data


def use_docs_files_in(project: Project, tool: str) -> tuple[Path, Path]:
    """The ward's data folder and mapping, holding the questionnaire and mapping docs/importing.md shows for `tool`."""
    data = project.data_dir / WARD
    return data, use_docs_files(data, tool, "Anfield")


def imported_counts(data: Path) -> Counter:
    """(question column, answer) in survey_responses, (question, code) in mentions, (question, 'text:'+option) in texts."""
    counts: Counter = Counter()
    with open(data / "survey_responses.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            counts.update((k, v) for k, v in row.items() if k not in ("response_id", "month", "mode") and v)
    for stem, key in (("survey_mentions", lambda r: (r["question"], r["code"])),
                      ("survey_text", lambda r: (r["question"], "text:" + r["option"]))):
        if (data / f"{stem}.csv").exists():
            with open(data / f"{stem}.csv", encoding="utf-8", newline="") as fh:
                counts.update(key(r) for r in csv.DictReader(fh))
    return counts


def months(data: Path) -> Counter:
    with open(data / "survey_responses.csv", encoding="utf-8", newline="") as fh:
        return Counter(r["month"] for r in csv.DictReader(fh))


def raw_csv(tool: str, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    with open(SHARED / EXPORTS[tool], encoding=encoding, errors="replace", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def raw_sheet(tool: str, sheet: str | None = None) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(SHARED / EXPORTS[tool], data_only=True)  # not read-only: the declared dimension is ignored
    ws = book[sheet] if sheet else book.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def text(value: object) -> str:
    return "" if value is None else str(value).strip()


def slug(label: str) -> str:
    """The codes the LimeSurvey fixture gives its labels (lower case, umlauts spelt out, '_' between words)."""
    label = label.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]+", "_", label).strip("_")[:30].strip("_")


# --------------------------------------------------------------------------------- the independent counts


def count_google() -> Counter:
    rows = raw_csv("google-forms")[1:]
    connection = {"I am autistic": "autistic", "I am a parent/ guardian of someone autistic": "parent",
                  "Someone in my family is autistic": "family", "I know someone who is autistic": "know",
                  "I have another personal connection to autism": "other_connection",
                  "I have no personal connection to autism": "none", "Prefer not to say": "prefer_not"}
    yes_no = {"Yes": "yes", "No": "no"}
    counts: Counter = Counter()
    for r in rows:
        counts[("consent", yes_no[r[1]])] += 1
        counts[("needs", "text:")] += bool(r[2].strip())
        for label in filter(None, r[3].split(", ")):  # none of this form's labels holds ", " (PROVENANCE.md)
            counts[("connection", connection[label])] += 1
        counts[("use_info", yes_no[r[4]])] += 1
    return +counts


def count_surveymonkey() -> Counter:
    rows = raw_csv("surveymonkey")
    options, data = rows[1], rows[2:]
    films = [f"ep{i}" for i in range(1, 7)]
    characters = ["han", "luke", "leia", "anakin", "obi_wan", "palpatine", "vader", "lando", "boba", "c3po", "r2d2",
                  "jar_jar", "padme", "yoda"]
    scale = {"Very favorably": "very_fav", "Somewhat favorably": "somewhat_fav", "Unfamiliar (N/A)": "unfamiliar",
             "Neither favorably nor unfavorably (neutral)": "neutral", "Somewhat unfavorably": "somewhat_unfav",
             "Very unfavorably": "very_unfav"}
    yes_no = {"Yes": "yes", "No": "no"}
    single = {1: ("seen_any", yes_no), 2: ("fan", yes_no), 30: ("eu_familiar", yes_no), 31: ("eu_fan", yes_no),
              32: ("trek_fan", yes_no), 29: ("shot_first", {"Han": "han", "Greedo": "greedo",
                                                            "I don't understand this question": "dont_understand"}),
              33: ("gender", {"Female": "female", "Male": "male"}),
              34: ("age", {"18-29": "18-29", "30-44": "30-44", "45-60": "45-60", "> 60": "over_60"}),
              35: ("income", {"$0 - $24,999": "under_25k", "$25,000 - $49,999": "25k_50k", "$50,000 - $99,999": "50k_100k",
                              "$100,000 - $149,999": "100k_150k", "$150,000+": "over_150k"}),
              36: ("education", {"Less than high school degree": "less_than_high_school", "High school degree": "high_school",
                                 "Some college or Associate degree": "some_college", "Bachelor degree": "bachelor",
                                 "Graduate degree": "graduate"}),
              37: ("region", {label: label.lower().replace(" ", "_") for label in
                              {r[37] for r in data if r[37]}})}
    counts: Counter = Counter()
    for r in data:
        for col, (qid, labels) in single.items():
            if r[col]:
                counts[(qid, labels[r[col]])] += 1
        for i, film in enumerate(films):
            counts[("films_seen", film)] += r[3 + i] == options[3 + i]
            if r[9 + i]:
                counts[(f"film_rank__{film}", r[9 + i])] += 1
        for i, who in enumerate(characters):
            if r[15 + i]:
                counts[(f"characters__{who}", scale[r[15 + i]])] += 1
    return +counts


def count_qualtrics(tool: str) -> Counter:
    rows = raw_csv(tool, encoding="utf-8-sig")
    header = rows[0]
    data = rows[3:] if tool == "qualtrics-2017" else rows[2:]
    q1, q2 = header.index("Q1"), header.index("Q2")
    status = header.index("Status") if "Status" in header else rows[1].index("Status")
    counts: Counter = Counter()
    for r in data:
        if r[status] in ("1", "2"):
            continue
        counts[("q1", {"1": "choice_1", "2": "choice_2"}[r[q1]])] += 1
        counts[("q2", "text:")] += bool(r[q2].strip())
    return counts


def count_ms_forms() -> Counter:
    rows = raw_sheet("ms-forms")
    header = [text(h) for h in rows[0]]
    columns = {"purpose": "Was beschreibt den Hauptzweck eines Code Reviews in der Softwareentwicklung?",
               "pair_programming": "Was ist ein Nachteil von Pair Programming?",
               "author_steps": "Welche Schritte unternimmt der Autor nach dem Erhalt der Kommentare des Reviewers?"}
    counts: Counter = Counter()
    for r in rows[1:]:
        for qid, heading in columns.items():
            answer = text(r[header.index(heading)])
            if answer:
                counts[(qid, answer[0].lower())] += 1  # the quiz's answers start with their letter: "B Eine …"
    return counts


def count_kobo() -> Counter:
    rows = raw_sheet("kobotoolbox", "Sample Dataset KoboloadeR")
    header = [text(h) for h in rows[0]]
    counts: Counter = Counter()
    for r in rows[1:]:
        cell = {h: text(v) for h, v in zip(header, r)}
        counts[("location", cell["location"])] += 1
        counts[("country", cell["profile.country"])] += 1
        counts[("occupation", "text:")] += bool(cell["profile.occupation"])
        counts.update(("reason", code) for code in cell["profile.reason"].split())
        counts[("household_size", cell["profile.HHSize"])] += 1
    return counts


def count_limesurvey() -> Counter:
    rows = raw_csv("limesurvey", encoding="utf-8-sig", delimiter=";")
    header, data = rows[0], rows[1:]

    def option(h: str) -> str:
        return re.search(r"\[([^\]]*)\]$", h).group(1).strip()

    grids = {"properties": (range(8, 20), {"stimme gar nicht zu": "gar_nicht", "stimme eher nicht zu": "eher_nicht",
                                           "stimme eher zu": "eher", "stimme vollständig zu": "voll"}),
             "goals": (range(21, 28), {"nicht wichtig": "nicht", "eher unwichtig": "eher_unwichtig",
                                       "eher wichtig": "eher_wichtig", "sehr wichtig": "sehr"})}
    counts: Counter = Counter()
    for r in data:
        for qid, columns, other in (("background", range(1, 7), 7), ("aspects", range(34, 46), 46)):
            counts.update((qid, slug(option(header[c]))) for c in columns if r[c] == "Ja")
            if r[other].strip():
                counts[(qid, "text:sonstiges")] += 1
                counts[(qid, "sonstiges")] += 1  # typed "other" text is the answer "Sonstiges"
        for qid, (columns, scale) in grids.items():
            for c in columns:
                if r[c]:
                    item = slug(option(header[c]).split(":")[0])
                    counts[(f"{qid}__{item}", scale[r[c].lower()])] += 1
        counts[("more_properties", "text:")] += bool(r[20].strip())
    return +counts


RAW_COUNTS = {
    "google-forms": count_google, "surveymonkey": count_surveymonkey,
    "qualtrics-2017": lambda: count_qualtrics("qualtrics-2017"), "qualtrics-legacy": lambda: count_qualtrics("qualtrics-legacy"),
    "ms-forms": count_ms_forms, "kobotoolbox": count_kobo, "limesurvey": count_limesurvey,
}
RESPONSES = {"google-forms": 42, "surveymonkey": 1186, "qualtrics-2017": 1, "qualtrics-legacy": 1, "ms-forms": 10,
             "kobotoolbox": 5, "limesurvey": 96}


# --------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("tool", sorted(EXPORTS))
def test_each_real_export_imports_with_the_raw_files_counts(tool: str, project: Project) -> None:
    export = SHARED / EXPORTS[tool]
    before = hashlib.sha256(export.read_bytes()).hexdigest()
    data, mapping = use_docs_files_in(project, tool)
    written, imported = import_survey(data, export, mapping, project.root)
    assert len(imported.responses) == RESPONSES[tool]
    assert imported_counts(data) == RAW_COUNTS[tool]()
    assert hashlib.sha256(export.read_bytes()).hexdigest() == before  # read in place, never edited
    assert {p.name for p in written} >= {"survey_responses.csv"}


def test_dates_become_months_and_an_export_without_dates_leaves_them_empty(project: Project) -> None:
    data, mapping = use_docs_files_in(project, "google-forms")
    import_survey(data, SHARED / EXPORTS["google-forms"], mapping, project.root)
    stamps = [dt.datetime.strptime(r[0], "%m/%d/%Y %H:%M:%S") for r in raw_csv("google-forms")[1:]]
    assert months(data) == Counter(f"{s.year:04d}-{s.month:02d}" for s in stamps)
    data, mapping = use_docs_files_in(project, "limesurvey")
    import_survey(data, SHARED / EXPORTS["limesurvey"], mapping, project.root, replace=True)
    assert months(data) == Counter({"": 96})  # LimeSurvey's date columns were not exported


def test_limesurvey_na_is_an_error_unless_declared_missing(project: Project, tmp_path: Path) -> None:
    """The 1,728-instead-of-180 bug: `Nein` and `N/A` must never count as ticks."""
    data = use_questionnaire(project, "limesurvey")
    mapping = EXAMPLES["limesurvey.mapping.yml"].replace('    missing: ["N/A"]\n', "", 1)
    (tmp_path / "mapping.yml").write_text(mapping, encoding="utf-8")  # "background" no longer declares N/A
    with pytest.raises(InputError) as exc:
        import_survey(data, SHARED / EXPORTS["limesurvey"], tmp_path / "mapping.yml", project.root)
    rows = raw_csv("limesurvey", encoding="utf-8-sig", delimiter=";")
    first_na = next(n for n, r in enumerate(rows[1:], start=2) if r[1] == "N/A")  # the spreadsheet's row: records, not lines
    first = exc.value.problems[0]
    assert first.value == "N/A" and first.row == first_na and "neither chosen nor not chosen for 'background'" in first.message
    assert first.file.endswith("digital-twins-de.csv") and first.column == rows[0][1]  # the heading as exported
    assert "missing" in first.expected
    assert not (data / "survey_responses.csv").exists()  # nothing written


def test_kobo_select_multiple_mapped_twice_is_refused(project: Project, tmp_path: Path) -> None:
    """The 45-instead-of-14 bug: Kobo writes select_multiple as codes and as 0/1 columns; one source only."""
    data = use_questionnaire(project, "kobotoolbox")
    mapping = EXAMPLES["kobotoolbox.mapping.yml"]
    both = mapping.replace('  reason: {column: "profile.reason", separator: " "}\n',
                           '  reason: {column: "profile.reason", separator: " "}\n'
                           '  also_reason: {chosen: ["1"], not_chosen: ["0"], columns: {"profile.reason.safety": safety}}\n')
    questionnaire = (data / "questionnaire.yml").read_text(encoding="utf-8") + (
        "  - id: also_reason\n    kind: multi\n    text: \"again\"\n    short: \"again\"\n"
        "    options: {safety: Safety, other: Other}\n")
    (data / "questionnaire.yml").write_text(questionnaire, encoding="utf-8")
    (tmp_path / "mapping.yml").write_text(both.replace('"profile.reason.safety", ', ""), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_survey(data, SHARED / EXPORTS["kobotoolbox"], tmp_path / "mapping.yml", project.root)
    assert any("mapped twice" in p.message and "one source per question" in (p.expected or "")
               for p in exc.value.problems), "\n".join(map(str, exc.value.problems))


def test_qualtrics_test_responses_are_skipped_and_counted(project: Project, tmp_path: Path) -> None:
    data = use_questionnaire(project, "qualtrics-2017")
    mapping = EXAMPLES["qualtrics-2017.mapping.yml"].replace('["1", "2"]', '["0"]')
    (tmp_path / "mapping.yml").write_text(mapping, encoding="utf-8")
    with pytest.raises(InputError) as exc:  # the only response is skipped: nothing to import
        import_survey(data, SHARED / EXPORTS["qualtrics-2017"], tmp_path / "mapping.yml", project.root)
    assert "no responses left after skip" in str(exc.value)


def test_the_docs_show_a_complete_mapping_and_questionnaire_for_each_export() -> None:
    """Every example on docs/importing.md is one these tests import with, and each export has both of its files."""
    assert set(EXAMPLES) == {f"{tool}.{kind}.yml" for tool in EXPORTS for kind in ("mapping", "questionnaire")}
    assert not (REPO / "tests" / "fixtures" / "real_exports").exists()  # no second copy that could drift


# --------------------------------------------------------------------------------- the unedited --draft

HEADER_ROWS = {"google-forms": 1, "surveymonkey": 2, "qualtrics-2017": 3, "qualtrics-legacy": 2, "ms-forms": 1,
               "kobotoolbox": 1, "limesurvey": 1}
READ_AS = {"surveymonkey": ("cp1252", ","), "limesurvey": ("utf-8-sig", ";"), "qualtrics-legacy": ("utf-8-sig", ",")}
TICKED = {"ja", "yes", "1"}


def raw_table(tool: str) -> tuple[list[list[str]], list[list[str]]]:
    """Header rows (row 1 forward-filled over blank cells, as SurveyMonkey means it) and data rows, as text."""
    if EXPORTS[tool].endswith(".xlsx"):
        rows = [[text(v) for v in r] for r in raw_sheet(tool, "Sample Dataset KoboloadeR" if tool == "kobotoolbox" else None)]
    else:
        encoding, delimiter = READ_AS.get(tool, ("utf-8", ","))
        rows = raw_csv(tool, encoding, delimiter)
    n = HEADER_ROWS[tool]
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    headers = [list(r) for r in rows[:n]]
    for i in range(1, width):
        if n > 1 and not headers[0][i] and headers[1][i]:
            headers[0][i] = headers[0][i - 1]
    return headers, [r for r in rows[n:] if any(c.strip() for c in r)]


def same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def raw_label_counts(tool: str, questionnaire) -> Counter:
    """(question text, answer label) counted in the raw file, for each question of a drafted questionnaire.

    The question's columns are found by its wording in the raw header rows (a block's columns by
    "question [option]" or the option's label under the question); cells are compared with the labels.
    """
    headers, rows = raw_table(tool)
    width = len(headers[0])

    def columns_of(q) -> list[int]:
        return [i for i in range(width) if any(same(h[i], q.text) or same(re.sub(r"\s*\[[^\]]*\]$", "", h[i]), q.text)
                                               for h in headers)]

    def sub_label(i: int) -> str:
        m = re.search(r"\[([^\]]*)\]$", headers[0][i])
        return " ".join((m.group(1) if m else (headers[1][i] if len(headers) > 1 else "")).split())

    counts: Counter = Counter()
    for q in questionnaire.questions:
        labels = {**(q.options or {}), **q.missing}
        cols = columns_of(q)
        if q.kind in ("single", "rating", "numeric", "text"):
            assert cols, f"{tool}: no raw column for {q.text!r}"
            for r in rows:
                cell = r[cols[0]].strip()
                if not cell:
                    continue
                if q.kind == "text":
                    counts[(q.text, "text")] += 1
                elif q.kind == "numeric":
                    counts[(q.text, str(int(float(cell))) if float(cell).is_integer() else cell)] += 1
                else:  # a label, or a Qualtrics recode the draft calls "Choice <n> (wording not in the export)"
                    counts[(q.text, next(label for label in labels.values()
                                         if same(label, cell) or label.startswith(f"Choice {cell} (")))] += 1
        elif q.kind == "multi" and len(cols) == 1:
            separator = " " if tool == "kobotoolbox" else ", " if tool == "google-forms" else ";"
            for r in rows:
                for piece in filter(None, (p.strip() for p in r[cols[0]].split(separator))):
                    counts[(q.text, next(label for label in labels.values() if same(label, piece)))] += 1
        elif q.kind == "multi":
            for c in cols:
                option = sub_label(c)
                label = next((label for label in labels.values() if same(label, option)), None)
                if label is None or (q.other and label == labels[q.other]):
                    continue
                counts[(q.text, label)] += sum(r[c].strip().casefold() in TICKED or same(r[c], option) for r in rows)
            if q.other:  # typed text in the "[Sonstiges]" column is the answer "other"
                other_cols = [c for c in cols if same(sub_label(c), labels[q.other])]
                counts[(q.text, labels[q.other])] += sum(any(r[c].strip() for c in other_cols) for r in rows)
        else:  # grid items or ranking options: one column each
            for c in cols:
                for r in rows:
                    cell = r[c].strip()
                    if cell:
                        answer = cell if q.kind == "ranking" else next(label for label in labels.values() if same(label, cell))
                        counts[(q.text, f"{sub_label(c).strip()}: {answer}")] += 1
    return +counts


def imported_label_counts(data: Path, questionnaire) -> Counter:
    """The same, from the ward's survey files: codes turned back into the questionnaire's labels."""
    rows = list(csv.DictReader(open(data / "survey_responses.csv", encoding="utf-8", newline="")))
    def read(stem: str) -> list[dict[str, str]]:
        path = data / f"{stem}.csv"
        return list(csv.DictReader(open(path, encoding="utf-8", newline=""))) if path.exists() else []
    mentions, texts = read("survey_mentions"), read("survey_text")
    counts: Counter = Counter()
    for q in questionnaire.questions:
        labels = {**(q.options or {}), **q.missing}
        if q.kind in ("single", "rating"):
            counts.update((q.text, labels[r[q.id]]) for r in rows if r[q.id])
        elif q.kind == "numeric":
            counts.update((q.text, r[q.id]) for r in rows if r[q.id])
        elif q.kind == "text":
            counts.update((q.text, "text") for t in texts if t["question"] == q.id)
        elif q.kind == "multi":
            counts.update((q.text, labels[m["code"]]) for m in mentions if m["question"] == q.id)
        else:
            items = q.items if q.kind == "grid" else q.options
            for code, item in (items or {}).items():
                for r in rows:
                    if r[f"{q.id}__{code}"]:
                        answer = r[f"{q.id}__{code}"] if q.kind == "ranking" else labels[r[f"{q.id}__{code}"]]
                        counts[(q.text, f"{item}: {answer}")] += 1
    return +counts


@pytest.mark.parametrize("tool", sorted(EXPORTS))
def test_the_unedited_draft_imports_each_real_export_with_the_raw_files_counts(tool: str, project: Project) -> None:
    data = project.data_dir / WARD
    export = SHARED / EXPORTS[tool]
    paths, _ = write_draft(data, export, project.root, "Anfield")
    assert [p.name for p in paths] == ["questionnaire.yml", "survey-mapping.yml"]
    assert all("# REVIEW:" in p.read_text(encoding="utf-8") for p in paths)
    written, imported = import_survey(data, export, data / "survey-mapping.yml", project.root)
    assert len(imported.responses) == RESPONSES[tool]
    questionnaire = load_questionnaire(data / "questionnaire.yml", project.root)
    assert imported_label_counts(data, questionnaire) == raw_label_counts(tool, questionnaire)


def test_a_draft_never_overwrites_the_researchers_files(project: Project) -> None:
    data = project.data_dir / WARD
    export = SHARED / EXPORTS["google-forms"]
    write_draft(data, export, project.root, "Anfield")  # over new-ward's untouched templates: allowed
    before = (data / "questionnaire.yml").read_bytes()
    with pytest.raises(InputError) as exc:
        write_draft(data, SHARED / EXPORTS["kobotoolbox"], project.root, "Anfield")
    assert {Path(p.file).name for p in exc.value.problems} == {"questionnaire.yml", "survey-mapping.yml"}
    assert (data / "questionnaire.yml").read_bytes() == before


@pytest.mark.slow  # four command-line runs, each starting Python and reading the package
def test_the_command_line_drafts_then_imports_and_reports(project: Project) -> None:
    """`import-survey --draft`, then `import-survey --mapping` with the draft: exit 0, the summary says how it read."""
    export = SHARED / EXPORTS["qualtrics-2017"]

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cityconv.cli", "import-survey", WARD, str(export), *args,
                               "--root", str(project.root)], capture_output=True, text=True, cwd=project.root,
                              env={"COLUMNS": "250", "PATH": ""})

    done = cli("--draft")
    assert done.returncode == 0, done.stderr
    assert "Qualtrics export" in done.stdout and "3 header rows" in done.stdout and "# REVIEW:" in done.stdout
    done = cli("--mapping", "data/anfield/survey-mapping.yml")
    assert done.returncode == 0, done.stderr
    assert "imported 1 responses" in done.stdout and "read as: Qualtrics export" in done.stdout
    done = cli("--draft")  # the questionnaire is the researcher's now: refused, nothing written, no traceback
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "questionnaire.yml: already exists" in done.stderr
    done = cli()
    assert done.returncode == 2 and "--mapping or --draft" in done.stderr
