"""Downloads: a table as a CSV data-URI link, and the evidence base as one reproducible XLSX."""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from cityconv.present.downloads import (
    MAX_CSV_BYTES,
    csv_bytes,
    csv_data_uri,
    csv_filename,
    download_link_html,
    evidence_workbook,
)

REPO = Path(__file__).resolve().parents[1]


def _decode(uri: str) -> str:
    prefix = "data:text/csv;charset=utf-8;base64,"
    assert uri.startswith(prefix)
    raw = base64.b64decode(uri[len(prefix):])
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so that Excel reads the encoding right"
    return raw.decode("utf-8-sig")


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"Age group": ["0-14", "15–24", "75+"], "Clubmoor": ["1,906", "[c]", "12%"],
                         "Note": ["a, b", 'say "hi"', "£5"]})


def test_csv_round_trip_keeps_display_cells(table: pd.DataFrame) -> None:
    text = _decode(csv_data_uri(table))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Age group", "Clubmoor", "Note"]
    assert rows[1:] == [["0-14", "1,906", "a, b"], ["15–24", "[c]", 'say "hi"'], ["75+", "12%", "£5"]]
    assert "\r" not in text


def test_named_index_becomes_the_first_column() -> None:
    frame = pd.DataFrame({"Count": ["3", "4"]}, index=pd.Index(["Yes", "No"], name="Answer"))
    assert _decode(csv_data_uri(frame)).splitlines() == ["Answer,Count", "Yes,3", "No,4"]
    multi = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("Ward", "n"), ("Ward", "%")]))
    assert _decode(csv_data_uri(multi)).splitlines()[0] == "Ward – n,Ward – %"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)


def test_download_link_is_escaped_accessible_and_named(table: pd.DataFrame) -> None:
    snippet = download_link_html(table, "Usual residents by age: Clubmoor <2021>", label="Download <this> table as CSV")
    parser = _Links()
    parser.feed(snippet)
    assert len(parser.links) == 1
    link = parser.links[0]
    assert link["download"] == "usual-residents-by-age-clubmoor-2021.csv"
    assert link["type"] == "text/csv"
    assert _decode(link["href"]).startswith("Age group,")
    text = " ".join("".join(parser.text).split())
    assert text.startswith("Download <this> table as CSV (CSV, 3 rows,")  # escaped in the HTML, intact as text
    assert "<this>" not in snippet and html.escape("<this>") in snippet
    assert snippet.startswith('<p class="cityconv-download">')


def test_filenames_and_bad_input() -> None:
    assert csv_filename("Table 3.csv") == "table-3.csv"
    assert csv_filename("Résidents ‘all’") == "r-sidents-all.csv"
    with pytest.raises(ValueError):
        csv_filename("!!!")
    with pytest.raises(ValueError):
        download_link_html(pd.DataFrame({"a": [1]}), "x", label="  ")
    with pytest.raises(TypeError):
        csv_bytes([1, 2])  # type: ignore[arg-type]
    big = pd.DataFrame({"text": ["x" * 1000] * (MAX_CSV_BYTES // 1000 + 10)})
    with pytest.raises(ValueError, match="too big"):
        csv_data_uri(big)


# --------------------------------------------------------------------------- the evidence workbook


def test_evidence_workbook_has_every_table_and_a_readme(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    evidence = REPO / "data" / "evidence"
    out = evidence_workbook(evidence, tmp_path / "downloads" / "evidence-base.xlsx")
    assert out == tmp_path / "downloads" / "evidence-base.xlsx" and out.exists()
    wb = load_workbook(out, read_only=True)
    files = sorted(evidence.glob("*.csv"))
    assert wb.sheetnames == ["README"] + [p.stem for p in files]
    readme = {row[0]: row[1] for row in wb["README"].iter_rows(values_only=True) if row[0]}
    for key in ("Source", "Licence", "How to cite"):
        assert readme.get(key), f"README sheet lacks {key}"
    assert "Enabling Good Conversations" in readme["How to cite"]
    assert "CC BY 4.0" in readme["Licence"]
    listed = {row[1]: row[2] for row in wb["README"].iter_rows(values_only=True) if row[1] and str(row[1]).endswith(".csv")}
    for path in files:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        sheet = [list(r) for r in wb[path.stem].iter_rows(values_only=True)]
        assert sheet[0] == list(frame.columns)
        assert len(sheet) - 1 == len(frame) == listed[path.name]
        cells = [["" if v is None else v for v in row] for row in sheet[1:]]
        assert cells == frame.values.tolist(), f"{path.name}: cells differ from the CSV"


def test_evidence_workbook_is_reproducible_and_keeps_text(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "codes.csv").write_text("code,value\n0123,no\nE05000892,\n", encoding="utf-8")
    (folder / "README.md").write_text("# T\n\nIntro line.\n\n## Citing\n\nCite us.\n", encoding="utf-8")
    first = evidence_workbook(folder, tmp_path / "a.xlsx").read_bytes()
    second = evidence_workbook(folder, tmp_path / "b.xlsx").read_bytes()
    assert first == second, "same data, same bytes"
    from openpyxl import load_workbook

    rows = list(load_workbook(tmp_path / "a.xlsx")["codes"].iter_rows(values_only=True))
    assert rows == [("code", "value"), ("0123", "no"), ("E05000892", None)]  # no type guessing
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"
    with pytest.raises(FileNotFoundError):
        evidence_workbook(tmp_path / "empty-does-not-exist", tmp_path / "c.xlsx")


def test_unchanged_workbook_is_not_rewritten(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    out = evidence_workbook(folder, tmp_path / "w.xlsx")
    os.utime(out, (1_000_000, 1_000_000))
    evidence_workbook(folder, out)
    assert out.stat().st_mtime == 1_000_000
    (folder / "t.csv").write_text("a,b\n1,3\n", encoding="utf-8")
    evidence_workbook(folder, out)
    assert out.stat().st_mtime > 1_000_000


# --------------------------------------------------------------------------- comment rows


def test_comment_rows_come_first_and_say_how_many_to_skip(table: pd.DataFrame) -> None:
    comments = ["Table: Ages", "Data status: synthetic (simulated)", "Source: made up, for a test", "Note 1: a\nnote"]
    text = csv_bytes(table, comments).decode("utf-8-sig")
    lines = text.split("\n")
    assert lines[0] == "# The first 5 lines are notes about the table; the table starts on line 6."
    assert lines[1:5] == ["# Table: Ages", "# Data status: synthetic (simulated)", "# Source: made up, for a test",
                          "# Note 1: a note"]  # a line break inside a note cannot split the row
    assert lines[5].startswith("Age group,")
    # both ways a program can skip them give back exactly the table
    skipped = pd.read_csv(io.StringIO(text), skiprows=5, dtype=str, keep_default_na=False)
    commented = pd.read_csv(io.StringIO(text), comment="#", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(skipped, table)
    pd.testing.assert_frame_equal(commented, table)
    assert csv_bytes(table) == csv_bytes(table, [" ", ""])  # no comments: no rows at all


def test_download_link_carries_the_comments(table: pd.DataFrame) -> None:
    snippet = download_link_html(table, "ages", comments=["Data status: published (as published)"])
    href = html.unescape(re.search(r'href="([^"]+)"', snippet).group(1))
    assert _decode(href).split("\n")[1] == "# Data status: published (as published)"
