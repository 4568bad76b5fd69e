"""Links inside downloads point into the book (its pages, its source archive), never at repository paths."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook

from cityconv.pipeline.fieldkit_book import CAPTION
from cityconv.present.downloads import evidence_workbook

REPO = Path(__file__).resolve().parents[1]
REPOSITORY_PATH = re.compile(r"\b(src/cityconv|data/\w+/CODEBOOK\.md|in the (cityconv )?(project|repository))\b")


def test_class_pack_readme_sends_readers_to_the_books_codebook() -> None:
    readme = (REPO / "src" / "cityconv" / "chapters" / "templates" / "class_pack" / "README.md").read_text(encoding="utf-8")
    assert not REPOSITORY_PATH.search(readme)
    assert f'open "{CAPTION}"' in readme and '"Codebook of the data files"' in readme


def test_evidence_workbook_readme_sheet_names_no_repository_path(tmp_path: Path) -> None:
    book = load_workbook(evidence_workbook(REPO / "data" / "evidence", tmp_path / "evidence.xlsx"))
    cells = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value]
    text = " ".join(cells)
    assert not REPOSITORY_PATH.search(text), text
    assert "source archive" in text
