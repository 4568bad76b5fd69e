"""Reading survey exports as downloaded: the seven real exports and small files with one quirk each.

The real exports are read from `../shared/real-exports/` (never copied here); their counts are
checked against PROVENANCE.md's figures and against an independent count made here with the csv
module or openpyxl directly. Without the folder those tests skip, saying why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from cityconv.generate.export_reader import (
    GOOGLE_FORMS,
    KOBOTOOLBOX,
    LIMESURVEY,
    MICROSOFT_FORMS,
    QUALTRICS,
    QUALTRICS_LEGACY,
    SURVEYMONKEY,
    UNKNOWN,
    ColumnRef,
    Export,
    import_id,
    metadata_columns,
    personal_columns,
    read_export,
    unscreened_personal,
)

REAL = Path(os.environ.get("CITYCONV_REAL_EXPORTS", Path(__file__).resolve().parents[1].parent / "shared" / "real-exports"))
needs_real = pytest.mark.skipif(not (REAL / "PROVENANCE.md").is_file(),
                                reason=f"the real exports are not at {REAL} (set CITYCONV_REAL_EXPORTS to their folder)")


def read(path: Path, **options) -> Export:
    export, problems = read_export(path, path.parent, **options)
    assert export is not None, "\n".join(map(str, problems))
    assert problems == []
    return export


def problems_of(path: Path, **options) -> list[str]:
    export, problems = read_export(path, path.parent, **options)
    assert export is None
    return [str(p) for p in problems]


# --------------------------------------------------------------------------------- independent counts


def csv_table(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    """The file's records as the csv module reads them with the encoding and delimiter PROVENANCE.md gives."""
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def csv_counts(path: Path, encoding: str, delimiter: str, header_rows: int) -> tuple[int, int]:
    """(columns with a heading or a value, records with a value) counted straight from the csv module."""
    table = csv_table(path, encoding, delimiter)
    width = max(len(r) for r in table)
    used = [i for i in range(width) if any(i < len(r) and r[i].strip() for r in table)]
    return max(used) + 1, sum(1 for r in table[header_rows:] if any(c.strip() for c in r))


def workbook_counts(path: Path, sheet: str | None) -> tuple[int, int]:
    """(columns, records below one header row) counted by openpyxl in full mode, which reads every cell."""
    book = load_workbook(path, data_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    width = max(i + 1 for r in rows for i, v in enumerate(r) if v is not None)
    return width, sum(1 for r in rows[1:] if any(v is not None for v in r))


# name, options, tool, encoding, delimiter, header rows, columns, records (the last two as PROVENANCE.md says)
REAL_EXPORTS = [
    ("google-forms/autistica-citizen-science.csv", {}, GOOGLE_FORMS, "utf-8", ",", 1, 5, None),
    ("surveymonkey/star-wars.csv", {}, SURVEYMONKEY, "cp1252", ",", 2, 38, 1186),
    ("qualtrics/qualtrics-2017-sample.csv", {}, QUALTRICS, "utf-8", ",", 3, 20, 1),
    ("qualtrics/qualtrics-legacy-sample.csv", {}, QUALTRICS_LEGACY, "utf-8-sig", ",", 2, 15, 1),
    ("limesurvey/digital-twins-de.csv", {}, LIMESURVEY, "utf-8-sig", ";", 1, 317, 96),
    ("ms-forms/code-review-quiz-de.xlsx", {}, MICROSOFT_FORMS, None, None, 1, 16, 10),
    ("kobotoolbox/kobo-sample-with-repeat.xlsx", {}, KOBOTOOLBOX, None, None, 1, 25, 5),
    ("kobotoolbox/kobo-sample-with-repeat.xlsx", {"sheet": "members"}, KOBOTOOLBOX, None, None, 1, 13, 12),
]


@needs_real
@pytest.mark.parametrize(("name", "options", "tool", "encoding", "delimiter", "header_rows", "columns", "records"),
                         REAL_EXPORTS, ids=[f"{n}{'#' + o['sheet'] if o else ''}" for n, o, *_ in REAL_EXPORTS])
def test_each_real_export_reads_as_downloaded(name, options, tool, encoding, delimiter, header_rows, columns, records) -> None:
    path = REAL / name
    export = read(path, **options)
    assert (export.tool, export.encoding, export.delimiter, export.header_rows) == (tool, encoding, delimiter, header_rows)
    if delimiter is None:
        counted_columns, counted_records = workbook_counts(path, options.get("sheet"))
    else:  # the csv module with the file's documented encoding (Python's cp1252 lacks no byte of this file)
        counted_columns, counted_records = csv_counts(path, encoding, delimiter, header_rows)
    assert len(export.columns) == counted_columns == columns
    assert len(export.records) == counted_records
    if records is not None:
        assert counted_records == records
    assert [c.letter for c in export.columns[:3]] == ["A", "B", "C"]
    assert len(export.header) == header_rows
    assert export.records[0].row == header_rows + 1  # rows numbered as the spreadsheet shows them


@needs_real
def test_surveymonkey_question_row_is_forward_filled_and_stray_bytes_are_named() -> None:
    export = read(REAL / "surveymonkey/star-wars.csv")
    seen = "Which of the following Star Wars films have you seen? Please select all that apply."
    block = [c for c in export.columns if c.texts[0] == seen]
    assert [c.letter for c in block] == ["D", "E", "F", "G", "H", "I"]
    assert [c.forward_filled for c in block] == [False] + [True] * 5
    assert export.header[0][4] == ""  # as read: blank over the block's other columns
    assert export.columns[0].texts == ("RespondentID", "")  # row 2 is blank under the id
    # option labels with a double space are found with one (headings are compared normalised)
    column, problems = export.find(ColumnRef(heading="Star Wars: Episode I The Phantom Menace", question=seen), "m.yml", "multi")
    assert problems == [] and column is not None and column.letter == "D"
    [warning] = export.warnings
    assert (warning.row, warning.column) == (1, "AF: Do you consider yourself to be a fan of the Expanded Universe?Œæ")
    assert "8C E6 at byte 641" in warning.message and "cp1252" in warning.message
    assert "encoding: in the mapping" in warning.expected
    raw = (REAL / "surveymonkey/star-wars.csv").read_bytes()
    assert raw[641:643] == b"\x8c\xe6"  # the position named is the bytes' own
    # 'Unfamiliar (N/A)' is an answer and stays text; skip logic leaves later cells empty
    cells = [v for r in export.records for v in r.cells]
    assert "Unfamiliar (N/A)" in cells
    assert not personal_columns(export)
    assert [c.letter for c, _ in metadata_columns(export)] == ["A"]


@needs_real
def test_surveymonkey_read_as_mac_roman_when_the_mapping_says_so() -> None:
    export = read(REAL / "surveymonkey/star-wars.csv", encoding="mac_roman")
    assert export.encoding == "mac_roman" and export.warnings == []
    assert export.columns[31].texts[0].endswith("Expanded Universe?åÊ")


@needs_real
def test_qualtrics_three_rows_any_row_or_import_id_finds_a_column() -> None:
    export = read(REAL / "qualtrics/qualtrics-2017-sample.csv")
    by_letter = {c.letter: c for c in export.columns}
    assert by_letter["R"].texts[:2] == ("Q1", "This is a multiple choice question.")
    assert by_letter["R"].import_id == "QID1"
    assert by_letter["I"].import_id == "_recordId"
    assert by_letter["T"].import_id.startswith("QID2_TEXT_") and by_letter["T"].import_id.endswith("Topics")
    for ref in ("Q1", "this is a MULTIPLE choice   question.", ColumnRef(import_id="QID1")):
        column, problems = export.find(ref, "m.yml", "fields")
        assert problems == [] and column is by_letter["R"], ref
    column, _ = export.find("Antwort-ID", "m.yml", "id")  # row 2, localised to German
    assert column is by_letter["I"]
    assert export.records[0].row == 4 and export.records[0].cells[17] == "2"  # a numeric recode
    personal = {c.letter for c, _ in personal_columns(export)}
    assert personal == {"D", "J", "K", "L", "M", "N", "O"}  # IPAddress, Recipient*, ExternalReference, Location*
    metadata = {c.texts[0] for c, _ in metadata_columns(export)}
    assert {"ResponseId", "Status", "StartDate", "UserLanguage"} <= metadata


@needs_real
def test_legacy_qualtrics_keeps_its_only_response_and_drops_the_trailing_empty_column() -> None:
    path = REAL / "qualtrics/qualtrics-legacy-sample.csv"
    export = read(path)
    assert len(csv_table(path, "utf-8-sig", ",")[0]) == 16  # every line ends in a comma
    assert export.columns[-1].texts == ("LocationAccuracy", "LocationAccuracy")
    assert export.records[0].row == 3 and export.records[0].cells[0] == "R_2YPOQ602ER1jkf1"
    personal = {c.texts[1] for c, _ in personal_columns(export)}
    assert {"Name", "ExternalDataReference", "EmailAddress", "IPAddress", "LocationLatitude", "LocationLongitude"} <= personal
    assert "ResponseID" in {c.texts[1] for c, _ in metadata_columns(export)}
    # read as three rows (an importer's usual mistake), the one response would be a header
    assert read(path, header_rows=3).records == []


@needs_real
def test_google_forms_records_not_lines() -> None:
    path = REAL / "google-forms/autistica-citizen-science.csv"
    raw = path.read_bytes()
    assert not raw.endswith(b"\n") and b"\r\n" in raw and raw.count(b"\n") > raw.count(b"\r\n")  # the quirks are there
    export = read(path)
    multi_line = [r.row for r in export.records for c in r.cells if "\n" in c]
    assert len(multi_line) == 5
    assert export.records[-1].row == len(export.records) + 1
    assert export.columns[3].texts == ("Q2: Do you have a personal connection to autism?",)


@needs_real
def test_limesurvey_quoted_heading_and_multi_line_cells() -> None:
    export = read(REAL / "limesurvey/digital-twins-de.csv")
    [cell] = [c for c in export.columns if '"' in c.texts[0]]  # doubled quotes in the file, and a run of spaces
    assert "zu?   [" in cell.texts[0]
    column, problems = export.find(" ".join(cell.texts[0].split()).upper(), "m.yml", "fields")
    assert problems == [] and column is cell
    assert export.columns[0].texts == ("Antwort ID",)  # the BOM is not part of the heading
    values = [v for r in export.records for v in r.cells]
    assert values.count("N/A") == 17066
    assert sum("\n" in v for v in values) == 2  # 103 lines of file, 97 records


@needs_real
def test_ms_forms_workbook_with_its_table_reads_whole() -> None:
    path = REAL / "ms-forms/code-review-quiz-de.xlsx"
    with zipfile.ZipFile(path) as archive:  # data in the Excel table Table1
        assert any(n.startswith("xl/tables/") for n in archive.namelist())
    export = read(path)
    assert export.sheet == "Sheet1" and export.where.endswith("sheet 'Sheet1'")
    assert [c.texts[0] for c in export.columns[:6]] == ["ID", "Start time", "Completion time", "Email", "Name",
                                                       "Last modified time"]
    assert all(isinstance(r.cells[2], dt.datetime) for r in export.records)
    assert all(r.cells[5] is None for r in export.records)  # Last modified time: empty in every row
    assert sum(isinstance(v, str) and "\n" in v for r in export.records for v in r.cells) == 99
    assert {c.texts[0] for c, _ in personal_columns(export)} == {"Email", "Name"}


@needs_real
def test_kobo_datetimes_keep_their_time_whatever_the_number_format() -> None:
    path = REAL / "kobotoolbox/kobo-sample-with-repeat.xlsx"
    ws = load_workbook(path).worksheets[0]
    assert ws["A2"].number_format == "mm-dd-yy"  # the re-save's date-only format
    export = read(path)
    start = export.records[0].cells[0]
    assert isinstance(start, dt.datetime) and start.microsecond > 0 and (start.hour, start.minute) != (0, 0)
    assert export.sheet == "Sample Dataset KoboloadeR"
    assert {c.texts[0] for c, _ in personal_columns(export)} == {"_submitted_by"}
    assert {"_uuid", "_index", "start"} <= {c.texts[0] for c, _ in metadata_columns(export)}
    members = read(path, sheet="members")
    assert "_parent_table_name" in {c.texts[0] for c, _ in metadata_columns(members)}  # a Kobo column, not a name


# --------------------------------------------------------------------------------- small files, one quirk each


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_windows_1252_file_is_read_with_the_fallback_named(tmp_path: Path) -> None:
    filler = "".join(f"{i},plain answer number {i}\r\n" for i in range(200))  # the first accent is 4 KB in
    path = write(tmp_path / "excel.csv", ("Timestamp,Comment\r\n" + filler + "201,café – naïve\r\n").encode("cp1252"))
    export = read(path)
    assert export.encoding == "cp1252"
    assert export.records[-1].cells == ("201", "café – naïve") and export.records[-1].row == 202
    [warning] = export.warnings
    assert warning.row == 202 and warning.column == "B: café – naïve"
    assert "E9 at byte" in warning.message and "3 such bytes in all" in warning.message


def test_utf8_file_with_one_stray_byte_keeps_its_accents(tmp_path: Path) -> None:
    path = write(tmp_path / "stray.csv", "Name?,Straße\n1,x\n".encode("utf-8").replace(b"?", b"?\x8c"))
    export = read(path)
    assert export.encoding == "utf-8 with 1 byte(s) read as cp1252"
    assert [c.texts[0] for c in export.columns] == ["Name?Œ", "Straße"]
    assert export.warnings[0].row == 1 and "8C at byte 5" in export.warnings[0].message


def test_encoding_from_the_mapping_and_its_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.csv", "Ville,Réponse\n1,oui\n".encode("latin-1"))
    assert read(path, encoding="latin-1").columns[1].texts == ("Réponse",)
    [problem] = problems_of(path, encoding="utf-8")
    assert "cannot be read as utf-8 (byte 7, on line 1 of the file)" in problem and "E9" in problem
    [problem] = problems_of(path, encoding="klingon")
    assert "unknown encoding 'klingon'" in problem


def test_semicolons_detected_from_the_header_record(tmp_path: Path) -> None:
    path = write(tmp_path / "lime.csv", b'\xef\xbb\xbf"Response ID";"Frage, mit Komma [Ja]";"Frage, mit Komma [Nein]"\n1;Ja;N/A\n')
    export = read(path)
    assert (export.delimiter, export.encoding, export.tool) == (";", "utf-8-sig", LIMESURVEY)
    assert export.records[0].cells == ("1", "Ja", "N/A")
    assert read(path, delimiter=",").delimiter == ","  # the mapping overrides
    assert "delimiter: must be one character" in problems_of(path, delimiter=";;")[0]


def test_records_not_lines(tmp_path: Path) -> None:
    text = 'Timestamp,"Two\r\nline heading ""quoted""",Last,\r\n1,"a\nb",x,\n2,c,y,\r\n\r\n4,"d",z,'
    export = read(write(tmp_path / "mixed.csv", text.encode("utf-8")))
    assert [c.texts[0] for c in export.columns] == ["Timestamp", 'Two\r\nline heading "quoted"', "Last"]  # trailing empty column gone
    assert [(r.row, r.cells) for r in export.records] == [(2, ("1", "a\nb", "x")), (3, ("2", "c", "y")), (5, ("4", "d", "z"))]
    column, _ = export.find('two line HEADING "quoted"', "m.yml", "fields")
    assert column is not None and column.letter == "B"


SURVEYMONKEY_DUPLICATES = (
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1,"
    "How did you hear?,,,Why?,,\n"
    ",,,,,,,,,Leaflet,Other (please specify),Other (please specify),Reason,Other (please specify),Other (please specify)\n"
    "111,9,04/26/2026 09:12:33 AM,04/26/2026 09:14:00 AM,,,,,,Leaflet,,,Reason,Other (please specify),my own words\n"
)


def test_duplicate_headings_are_addressed_unambiguously(tmp_path: Path) -> None:
    export = read(write(tmp_path / "sm.csv", SURVEYMONKEY_DUPLICATES.encode("utf-8")))
    assert (export.tool, export.header_rows) == (SURVEYMONKEY, 2)
    assert [c.occurrence for c in export.columns[9:]] == [1, 1, 2, 1, 1, 2]
    column, problems = export.find("Other (please specify)", "mapping.yml", "fields")
    assert column is None
    [problem] = problems
    assert "4 columns match 'Other (please specify)' (named in mapping.yml, fields)" in problem.message
    assert ("column K (row 2: 'How did you hear? / Other (please specify)'); column L (row 2: 'How did you hear? / "
            "Other (please specify)'); column N (row 2: 'Why? / Other (please specify)')") in problem.expected
    assert problem.expected.startswith("{heading: ..., occurrence: N} or {column: <letter>}")
    for ref, letter in ((ColumnRef(heading="Other (please specify)", occurrence=4), "O"),
                        (ColumnRef(heading="Other (please specify)", question="Why?", occurrence=2), "O"),
                        (ColumnRef(column="l"), "L"),
                        (ColumnRef(heading="How did you hear?"), "J")):  # its own row 1, not the filled ones
        column, problems = export.find(ref, "mapping.yml", "fields")
        assert problems == [] and column is not None and column.letter == letter, ref
    _, [problem] = export.find(ColumnRef(heading="Other (please specify)", occurrence=5), "mapping.yml", "fields")
    assert "only 4 column(s) have that heading" in problem.message
    _, [problem] = export.find(ColumnRef(column="Z"), "mapping.yml", "fields")
    assert "no column Z" in problem.message and "A to O" in problem.message
    _, [problem] = export.find("How did you here?", "mapping.yml", "fields")
    assert "did you mean 'How did you hear?'" in problem.message and "case ignored" in problem.expected


def test_column_references_are_checked() -> None:
    for bad in ({}, {"heading": "a", "column": "B"}, {"column": "B", "occurrence": 2}, {"column": "B2"},
                {"heading": "a", "occurrence": 0}):
        with pytest.raises(ValueError):
            ColumnRef(**bad)


def test_personal_columns_are_refused_unless_mapped_or_dropped(tmp_path: Path) -> None:
    export = read(write(tmp_path / "sm.csv", SURVEYMONKEY_DUPLICATES.encode("utf-8")))
    personal = {c.letter: rule.why for c, rule in personal_columns(export)}
    assert list(personal) == ["E", "F", "G", "H", "I"]  # IP, e-mail, first and last name, custom data
    assert personal["E"] == "an IP address"
    problems = unscreened_personal(export, handled={5, 6}, mapping_name="mapping.yml")
    assert [(p.row, p.column) for p in problems] == [(1, "E: IP Address"), (1, "H: Last Name"), (1, "I: Custom Data 1")]
    assert problems[0].expected == "add it to drop: in mapping.yml (it is never read), or map it"
    assert [c.letter for c, _ in metadata_columns(export)] == ["A", "B", "C", "D"]


@pytest.mark.parametrize("cell", ['{"ImportId":"QID7"}', "{'ImportId': 'QID7'}", "{'ImportId': 'QID7', 'choiceId': '1'}"])
def test_import_id_json_or_dict_literal(cell: str) -> None:
    assert import_id(cell) == "QID7"


def test_import_id_is_never_evaluated() -> None:
    assert import_id("{'ImportId': __import__('os').system('touch /tmp/owned')}") is None
    assert import_id("{'ImportId': [1, 2]}") == "[1, 2]"
    assert import_id("not an import id") is None


def test_three_header_rows_with_dict_literal_import_ids(tmp_path: Path) -> None:
    rows = [["StartDate", "ResponseId", "Q1"], ["Start Date", "Response ID", "How old are you?"],
            ["{'ImportId': 'startDate'}", "{'ImportId': '_recordId'}", "{'ImportId': 'QID1'}"],
            ["2016-05-01 10:00:00", "R_1", "3"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    export = read(write(tmp_path / "insights.csv", out.getvalue().encode("utf-8")))
    assert (export.tool, export.header_rows) == (QUALTRICS, 3)
    assert [c.import_id for c in export.columns] == ["startDate", "_recordId", "QID1"]
    assert export.columns[2].heading == "Q1 / How old are you?"  # the ImportId row is not shown as a heading
    assert [(r.row, r.cells) for r in export.records] == [(4, ("2016-05-01 10:00:00", "R_1", "3"))]


def test_header_rows_from_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "sm.csv", SURVEYMONKEY_DUPLICATES.encode("utf-8"))
    one = read(path, header_rows=1)
    assert one.header_rows == 1 and one.records[0].row == 2 and len(one.records) == 2
    short = write(tmp_path / "two.csv", b"a,b\n1,2\n")
    assert "the header rows are missing: the file has 2 row(s)" in problems_of(short, header_rows=3)[0]
    assert read(short).tool == UNKNOWN


def _workbook(path: Path, rows: list[list], title: str = "Sheet1") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    book.create_sheet("Second").append(["other", "sheet"])
    book.save(path)
    return path


def test_workbook_declaring_a1_named_sheets_and_absent_cells(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "forms.xlsx", [["ID", "Start time", "Completion time", "Q"],
                                               [1, dt.datetime(2026, 4, 1, 9), dt.datetime(2026, 4, 1, 9, 5), None],
                                               [None, None, None, None],
                                               [3, dt.datetime(2026, 4, 2, 9), dt.datetime(2026, 4, 2, 9, 5), "Yes"]])
    declared = tmp_path / "declared.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(declared, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert b'<dimension ref="A1"/>' in data
            target.writestr(item, data)
    export = read(declared)
    assert (export.tool, len(export.columns)) == (MICROSOFT_FORMS, 4)
    assert [(r.row, r.cells[0], r.cells[3]) for r in export.records] == [(2, 1, None), (4, 3, "Yes")]  # blank row 3 skipped
    assert read(declared, sheet="Second").columns[1].texts == ("sheet",)
    [problem] = problems_of(declared, sheet="Secnd")
    assert "no sheet 'Secnd' — did you mean 'Second'?" in problem


def test_macro_workbooks_are_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "macros.xlsm", [["ID", "Q"], [1, "a"]])
    [problem] = problems_of(path)
    assert "macro-enabled workbook (.xlsm) is refused" in problem
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(renamed, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\0")
    [problem] = problems_of(renamed)
    assert "holds macros" in problem


def test_other_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    assert "cannot import a .ods file" in problems_of(write(tmp_path / "a.ods", b"x"))[0]
    assert "file is empty" in problems_of(write(tmp_path / "empty.csv", b"\n\n"))[0]
    assert "sheet: 'S' is for workbooks" in problems_of(write(tmp_path / "a.csv", b"a\n1\n"), sheet="S")[0]
    path = _workbook(tmp_path / "a.xlsx", [["a"], [1]])
    assert "encoding: and delimiter: are for .csv files" in problems_of(path, encoding="cp1252")[0]
