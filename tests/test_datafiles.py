"""Validation of a ward's data folder: every kind of bad input is reported with its exact place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Schema

from cityconv.core.problems import InputError
from cityconv.data import wardfiles as datafiles
from cityconv.data.wardfiles import (
    WardData,
    codebook_markdown,
    known_files,
    load_ward_data,
    required_files,
    validate_data_dir,
)

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    """A copy of the Clubmoor folder under tmp_path/data/w, so problems read 'data/w/<file>'."""
    target = tmp_path / "data" / "w"
    shutil.copytree(CLUBMOOR, target)
    return target


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_row(path: Path, row: int, new: str) -> str:
    """Replace row `row` (header = 1) of a CSV; return the old text."""
    lines = read_lines(path)
    old = lines[row - 1]
    lines[row - 1] = new
    write_lines(path, lines)
    return old


def problems_for(tmp_path: Path, ward: Path):
    return validate_data_dir(ward, tmp_path)


def only(problems, **where):
    hits = [p for p in problems if all(getattr(p, k) == v for k, v in where.items())]
    assert len(hits) == 1, f"expected exactly one problem with {where}, got:\n" + "\n".join(map(str, problems))
    return hits[0]


# --- the real data ------------------------------------------------------------------------------


def test_clubmoor_validates_clean():
    assert validate_data_dir(CLUBMOOR, REPO) == []


def test_clubmoor_loads_typed():
    w = load_ward_data(CLUBMOOR, REPO)
    assert isinstance(w, WardData)
    # every file but survey_text.csv and its coding (the reconstruction has no typed answers); the city-level one from data/city/
    assert set(w.available()) == set(known_files()) - {"survey_text", "survey_text_codes"} | {"citywide_consultation_2019"}
    s = w.survey_responses
    assert len(s) == 48
    assert isinstance(s["age_band"].dtype, pd.CategoricalDtype) and s["age_band"].dtype.ordered
    assert list(s["age_band"].cat.categories)[:2] == ["16-24", "25-34"]
    assert str(s["response_id"].dtype) == "string"
    assert str(w.social_media_posts["audience"].dtype) == "Int64"
    assert str(w.published_figures["value"].dtype) == "Float64"
    assert pd.api.types.is_datetime64_any_dtype(w.social_media_posts["date"])
    # a blank answer is a missing value, not an empty-string code
    assert s["change_5yr"].isna().sum() == 1
    assert w.objectives.set_index("objective_id").loc["focus_groups", "delivered"] is pd.NA


def test_required_files_are_objectives_and_survey():
    assert set(required_files()) == {"objectives", "survey_responses"}


# --- encodings ----------------------------------------------------------------------------------


def test_utf8_bom_is_accepted(tmp_path, ward):
    path = ward / "survey_responses.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    quotes = ward / "quotes.csv"  # non-ASCII content (curly apostrophes) behind a BOM
    quotes.write_bytes(b"\xef\xbb\xbf" + quotes.read_bytes())
    assert problems_for(tmp_path, ward) == []
    w = load_ward_data(ward, tmp_path)
    assert list(w.survey_responses.columns)[0] == "response_id"
    assert w.survey_responses["response_id"].iloc[0] == "S01"
    assert "I’d" in w.quotes.set_index("quote_id").loc["Q03", "text"]


def test_latin1_file_is_rejected_with_its_row(tmp_path, ward):
    path = ward / "quotes.csv"
    text = path.read_text(encoding="utf-8").replace("’", "'").replace("–", "-").replace("…", "...")
    text = text.replace("the Ducky", "the Ducky café")
    path.write_bytes(text.encode("latin-1"))
    problems = problems_for(tmp_path, ward)
    p = only(problems, file="data/w/quotes.csv")
    assert "not UTF-8" in p.message
    assert p.row == 2  # Q01 is on row 2
    assert p.value.startswith(b"\xe9")
    assert "UTF-8" in p.expected
    with pytest.raises(InputError):
        load_ward_data(ward, tmp_path)


# --- row shape ----------------------------------------------------------------------------------


def test_short_row(tmp_path, ward):
    path = ward / "survey_responses.csv"
    old = read_lines(path)[2]
    edit_row(path, 3, old.rsplit(",", 1)[0])  # drop the last cell
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column) == ("data/w/survey_responses.csv", 3, "covid_community_spirit")
    assert "short" in p.message


def test_extra_cell(tmp_path, ward):
    path = ward / "survey_responses.csv"
    edit_row(path, 4, read_lines(path)[3] + ",surplus")
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/survey_responses.csv", 4, None, "surplus")
    assert "extra cell" in p.message


def test_blank_row_reported_once(tmp_path, ward):
    path = ward / "interviews.csv"
    lines = read_lines(path)
    lines.insert(5, "")  # becomes row 6
    write_lines(path, lines)
    p = only(problems_for(tmp_path, ward))  # no spurious duplicate-key error for the blank row
    assert (p.file, p.row, p.column) == ("data/w/interviews.csv", 6, None)
    assert p.message == "blank row"


# --- values -------------------------------------------------------------------------------------


def test_duplicate_id(tmp_path, ward):
    path = ward / "interviews.csv"
    edit_row(path, 5, read_lines(path)[4].replace("I04", "I02"))
    problems = problems_for(tmp_path, ward)
    p = only(problems, file="data/w/interviews.csv")
    assert (p.row, p.column, p.value) == (5, "interview_id", "I02")
    assert "duplicate" in p.message
    # interview_themes rows for I04 now point nowhere: reported as broken references, with rows
    refs = [q for q in problems if q.file == "data/w/interview_themes.csv"]
    assert refs and all(q.value == "I04" and q.column == "interview_id" for q in refs)


def test_duplicate_composite_key(tmp_path, ward):
    path = ward / "survey_mentions.csv"
    lines = read_lines(path)
    lines.insert(2, lines[1])  # row 3 repeats row 2
    write_lines(path, lines)
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column) == ("data/w/survey_mentions.csv", 3, "response_id, question, code")
    assert p.value == tuple(lines[1].split(","))


def test_unknown_code(tmp_path, ward):
    path = ward / "survey_responses.csv"
    edit_row(path, 7, read_lines(path)[6].replace(",online,", ",carrier pigeon,"))
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/survey_responses.csv", 7, "mode", "carrier pigeon")
    assert p.message == "unknown code"
    assert "'online'" in p.expected


def test_code_not_allowed_for_this_question(tmp_path, ward):
    path = ward / "survey_mentions.csv"
    lines = read_lines(path)
    row = next(i for i, line in enumerate(lines, start=1) if ",improve," in line)
    edit_row(path, row, lines[row - 1].rsplit(",", 1)[0] + ",schools")  # a best_things code
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/survey_mentions.csv", row, "code", "schools")
    assert "'crime_asb'" in p.expected


def test_out_of_range(tmp_path, ward):
    edit_row(ward / "workshops.csv", 3, "W2,2,2020-11,-8")
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value, p.expected) == ("data/w/workshops.csv", 3, "participants", "-8", "a value >= 0")


def test_city_level_sources_are_checked_once_and_kept_out_of_ward_folders(tmp_path, ward):
    from cityconv.data.wardfiles import city_dir_for, load_ward_data, validate_city_dir

    city = city_dir_for(ward)
    shutil.copytree(REPO / "data" / "city", city)
    assert validate_city_dir(city, tmp_path) == []
    assert len(load_ward_data(ward, tmp_path).citywide_consultation_2019) > 0  # every ward sees the one copy
    lines = read_lines(city / "citywide_consultation_2019.csv")
    edit_row(city / "citywide_consultation_2019.csv", 3, lines[2].replace(",0.5,", ",1.5,"))
    q = only(validate_city_dir(city, tmp_path))
    assert (q.file, q.row, q.column, q.value, q.expected) == (
        "data/city/citywide_consultation_2019.csv", 3, "share_more_than", "1.5", "a value <= 1")
    shutil.copy(REPO / "data" / "city" / "citywide_consultation_2019.csv", ward)
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.message) == ("data/w/citywide_consultation_2019.csv",
                                   "a city-level source, kept once for every ward, not in a ward's folder")


def test_wrong_types(tmp_path, ward):
    edit_row(ward / "training_sessions.csv", 2, "T1,one,2020-02")
    posts = ward / "social_media_posts.csv"
    edit_row(posts, 4, read_lines(posts)[3].replace("2020-0", "2020/0", 1))
    problems = problems_for(tmp_path, ward)
    assert len(problems) == 2
    p = only(problems, file="data/w/training_sessions.csv")
    assert (p.row, p.column, p.value, p.expected) == (2, "session_number", "one", "a whole number")
    q = only(problems, file="data/w/social_media_posts.csv")
    assert (q.row, q.column) == (4, "date") and q.value.startswith("2020/0")
    assert q.message == "wrong type"


def test_required_value_blank(tmp_path, ward):
    path = ward / "survey_responses.csv"
    cells = read_lines(path)[9].split(",")
    cells[4] = ""  # sex
    edit_row(path, 10, ",".join(cells))
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column) == ("data/w/survey_responses.csv", 10, "sex")
    assert p.message == "required value is blank"


def test_pattern(tmp_path, ward):
    path = ward / "interviews.csv"
    edit_row(path, 2, read_lines(path)[1].replace("2020-06", "June 2020"))
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/interviews.csv", 2, "month", "June 2020")


# --- header -------------------------------------------------------------------------------------


def _drop_column(path: Path, name: str) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.drop(columns=[name]).to_csv(path, index=False, lineterminator="\n")


def test_missing_required_column(tmp_path, ward):
    _drop_column(ward / "survey_responses.csv", "sex")
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column) == ("data/w/survey_responses.csv", 1, "sex")
    assert p.message == "required column is missing"


def test_missing_optional_column_is_allowed(tmp_path, ward):
    _drop_column(ward / "survey_responses.csv", "covid_community_spirit")
    assert problems_for(tmp_path, ward) == []
    w = load_ward_data(ward, tmp_path)
    assert w.survey_responses["covid_community_spirit"].isna().all()


def test_unexpected_column(tmp_path, ward):
    path = ward / "workshops.csv"
    lines = read_lines(path)
    write_lines(path, [lines[0] + ",notes"] + [line + ",x" if line else line for line in lines[1:]])
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/workshops.csv", 1, "notes", "notes")
    assert "unexpected column" in p.message and "participants" in p.expected


def test_misspelt_column_gets_a_suggestion(tmp_path, ward):
    path = ward / "objectives.csv"
    edit_row(path, 1, read_lines(path)[0].replace(",unit,", ",units,"))
    problems = problems_for(tmp_path, ward)
    p = only(problems, column="units")
    assert p.row == 1 and "did you mean 'unit'" in p.message
    # 'unit' is an optional column, so its absence alone is not a second problem
    assert len(problems) == 1


def test_empty_file(tmp_path, ward):
    (ward / "workshop_themes.csv").write_text("", encoding="utf-8")
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.message) == ("data/w/workshop_themes.csv", 1, "file is empty")


# --- the folder ---------------------------------------------------------------------------------


def test_unknown_csv_name(tmp_path, ward):
    (ward / "survey_response.csv").write_text("response_id\nS01\n", encoding="utf-8")
    p = only(problems_for(tmp_path, ward))
    assert p.file == "data/w/survey_response.csv" and p.value == "survey_response.csv"
    assert "did you mean survey_responses.csv" in p.message
    for stem in known_files():
        assert f"{stem}.csv" in p.expected


def test_spreadsheet_in_folder(tmp_path, ward):
    (ward / "interviews.xlsx").write_bytes(b"PK\x03\x04")
    p = only(problems_for(tmp_path, ward))
    assert p.file == "data/w/interviews.xlsx" and "not a CSV" in p.message


def test_required_file_missing(tmp_path, ward):
    (ward / "objectives.csv").unlink()
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.message) == ("data/w/objectives.csv", "required file is missing")


def test_optional_sources_may_be_absent(tmp_path, ward):
    for stem in ("social_media_posts", "workshops", "workshop_themes", "interviews", "interview_themes"):
        (ward / f"{stem}.csv").unlink()
    assert problems_for(tmp_path, ward) == []
    w = load_ward_data(ward, tmp_path)
    assert w.social_media_posts is None and w.interviews is None and w.survey_responses is not None


def test_broken_reference(tmp_path, ward):
    path = ward / "survey_mentions.csv"
    edit_row(path, 2, read_lines(path)[1].replace("S01", "S99", 1))
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.row, p.column, p.value) == ("data/w/survey_mentions.csv", 2, "response_id", "S99")
    assert "survey_responses.csv" in p.message


def test_reference_to_absent_file(tmp_path, ward):
    (ward / "interviews.csv").unlink()
    p = only(problems_for(tmp_path, ward))
    assert (p.file, p.column) == ("data/w/interview_themes.csv", "interview_id")
    assert "interviews.csv, which is missing" in p.message


def test_every_problem_reported_at_once(tmp_path, ward):
    edit_row(ward / "training_sessions.csv", 2, "T1,one,2020-02")
    edit_row(ward / "workshops.csv", 3, "W2,2,2020-11,-8")
    (ward / "objectives.csv").unlink()
    (ward / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    problems = problems_for(tmp_path, ward)
    files = {p.file for p in problems}
    assert files == {"data/w/training_sessions.csv", "data/w/workshops.csv", "data/w/objectives.csv",
                     "data/w/notes.csv"}
    with pytest.raises(InputError) as info:
        load_ward_data(ward, tmp_path)
    assert info.value.problems == problems
    assert "data/w/workshops.csv, row 3, column 'participants'" in str(info.value)


def test_missing_folder(tmp_path):
    p = only(validate_data_dir(tmp_path / "nowhere", tmp_path))
    assert p.message == "data folder not found"


# --- schemas and codebook -----------------------------------------------------------------------


@pytest.mark.parametrize("stem", known_files())
def test_schema_is_valid_table_schema(stem):
    d = datafiles.schema_descriptor(stem)
    Schema.from_descriptor(d)  # raises on an invalid descriptor
    names = [f["name"] for f in d["fields"]]
    assert set(d.get("primaryKey", [])) <= set(names)  # survey_text.csv has none: its option may be blank
    for fk in d.get("foreignKeys", []):
        assert set(fk["fields"]) <= set(names)
        target = datafiles.schema_descriptor(fk["reference"]["resource"])
        assert fk["reference"]["fields"] == target["primaryKey"]
    for f in d["fields"]:
        assert f.get("title") and f.get("description"), f"{stem}.{f['name']} needs a title and description"
        if "categories" in f:  # labels and the enforced code list cannot drift apart
            assert [c["value"] for c in f["categories"]] == f["constraints"]["enum"]
    rule = d.get("x-codes-by-question")
    if rule:
        enum = next(f for f in d["fields"] if f["name"] == rule["field"])["constraints"]["enum"]
        assert {c for codes in rule["codes"].values() for c in codes} == set(enum)
        assert {q: list(v) for q, v in d["x-code-labels-by-question"].items()} == rule["codes"]


def test_every_schema_has_a_warddata_field():
    from cityconv.data.wardfiles import city_files

    fields = {f for f in WardData.__dataclass_fields__} - {"data_dir", "questionnaire"}
    assert set(known_files()) | set(city_files()) == fields
    assert not set(known_files()) & set(city_files())


def test_schema_json_is_formatted_stably():
    folder = REPO / "src" / "cityconv" / "data" / "schemas"
    for path in [*folder.glob("ward/*.schema.json"), *folder.glob("city/*.schema.json")]:
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", path.name


def test_codebook_is_current():
    from cityconv.data.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(CLUBMOOR / "questionnaire.yml", REPO)
    assert (CLUBMOOR / "CODEBOOK.md").read_text(encoding="utf-8") == codebook_markdown(questionnaire)


def test_codebook_lists_question_wording_and_codes():
    from cityconv.data.questionnaire import load_questionnaire

    text = codebook_markdown(load_questionnaire(CLUBMOOR / "questionnaire.yml", REPO))
    assert "Would you recommend Clubmoor as a place to live?" in text
    assert "`green_spaces` = Green spaces and parks (e.g. the Ducky)" in text
    assert "`crime_asb` = Crime and anti-social behaviour" in text
    assert "`16-24` = 16 to 24" in text and "`16-24` → 15-24; `25-34` → 25-34" in text  # its census: map
    assert "not compared: `Prefer not to say`" in text
    for stem in known_files():
        assert f"## `{stem}.csv`" in text


def test_shared_schemas_carry_no_wards_wording():
    """Clubmoor's wording lives in Clubmoor's questionnaire, never in what every ward shares."""
    codebook = codebook_markdown()
    survey_part = codebook[codebook.index("## `survey_responses.csv`"):codebook.index("## `interviews.csv`")]
    text = survey_part + "".join(json.dumps(datafiles.schema_descriptor(s)) for s in ("survey_responses", "survey_mentions"))
    assert "Clubmoor" not in text and "Ducky" not in text
    assert "Would you recommend the ward as a place to live?" in text


def test_duplicate_and_blank_header_labels(tmp_path, ward):
    path = ward / "workshops.csv"
    lines = read_lines(path)
    write_lines(path, [lines[0] + ",month,"] + [line + ",2020-11,x" if line else line for line in lines[1:]])
    problems = problems_for(tmp_path, ward)
    dup = only(problems, message="duplicate column name")
    assert (dup.file, dup.row, dup.column) == ("data/w/workshops.csv", 1, "month")
    blank = only(problems, message="header cell 6 is blank")
    assert (blank.file, blank.row) == ("data/w/workshops.csv", 1)
    assert len(problems) == 2  # no follow-on noise from the header


def test_rows_are_still_checked_when_the_header_is_bad(tmp_path, ward):
    path = ward / "workshops.csv"
    write_lines(path, ["workshop_id,workshop_number,month,participants,month", "W1,1,2020-11,-12,2020-11",
                       "W2,2,2020-11,8,2020-11", ""])
    problems = problems_for(tmp_path, ward)
    assert len(problems) == 2
    p = only(problems, column="participants")
    assert (p.row, p.value) == (2, "-12")


def test_excel_style_crlf_line_ends_are_accepted(tmp_path, ward):
    path = ward / "survey_responses.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems_for(tmp_path, ward) == []
    assert len(load_ward_data(ward, tmp_path).survey_responses) == 48


def test_header_only_files_are_reported_with_what_to_do(ward: Path, tmp_path: Path) -> None:
    """A fresh scaffold (headers only) must not pass as valid: say which files need rows."""
    for name in ("survey_responses.csv", "social_media_posts.csv"):
        path = ward / name
        write_lines(path, [read_lines(path)[0], ""])
    (ward / "survey_mentions.csv").unlink()  # it refers to survey rows that no longer exist
    found = {(p.file, p.row, p.message) for p in validate_data_dir(ward, tmp_path)}
    assert ("data/w/survey_responses.csv", 2, "required file has no data rows (only the header)") in found
    assert (
        "data/w/social_media_posts.csv", 2,
        "file has no data rows: fill it in, or delete it if the ward has no such source",
    ) in found


def test_one_csv_writer_for_every_tool() -> None:
    """Reconstruction, simulation, scaffolds and imports all write files through `csv_text`."""
    from cityconv.data.wardfiles import csv_text

    assert csv_text(["a", "b"]) == "a,b\n"
    assert csv_text(["a", "b"], [{"a": 1, "b": None}, {"b": "x, y"}]) == 'a,b\n1,\n,"x, y"\n'
    with pytest.raises(ValueError, match="'c'"):
        csv_text(["a", "b"], [{"a": 1, "c": 2}])
