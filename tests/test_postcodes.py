"""The postcode finder's index (cityconv.data.postcodes): complete, correct for every postcode, small,
and re-derived byte for byte. The page itself is tested in a browser (tests/browser/test_postcode_finder.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cityconv.data import postcodes as pc

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "data" / "context" / pc.INDEX_NAME
OPEN_DATA = (REPO / ".." / "shared" / "open-data").resolve()


@pytest.fixture(scope="module")
def index() -> dict:
    return pc.read_index(INDEX)


def test_normalise_spacing_and_case():
    assert pc.normalise(" l11  9ab ") == pc.normalise("L119AB") == "L119AB"
    assert pc.normalise("L1 0AA") == "L10AA"
    for bad in ("L1 XYZ", "Clubmoor", "", "L11 9A", "123 4AB"):
        assert pc.normalise(bad) is None, bad


def test_every_postcode_of_the_lookup_gives_its_wards(index):
    if not (OPEN_DATA / pc.POSTCODE_FILE).exists():
        pytest.skip("shared open data not found")
    table = pd.read_csv(OPEN_DATA / pc.POSTCODE_FILE, dtype=str, keep_default_na=False)
    assert index["count"] == len(table)
    for row in table.itertuples():
        found = pc.lookup(index, row.pcd)
        for boundary_set, (code, name) in pc.SETS.items():
            expected = (getattr(row, code), getattr(row, name)) if getattr(row, code) else None
            assert found[boundary_set] == expected, (row.pcd, boundary_set)
    assert pc.lookup(index, "L37 1AA") is None  # Formby (Sefton): an L postcode outside Liverpool
    assert len(index["wards"]["2004-2023"]) == 30 and len(index["wards"]["2023-"]) == 64


def test_index_is_compact_and_rederives_byte_for_byte(tmp_path):
    assert INDEX.stat().st_size < 200_000
    if not OPEN_DATA.is_dir():
        pytest.skip("shared open data not found")
    assert pc.write_index(OPEN_DATA, tmp_path).read_bytes() == INDEX.read_bytes()
