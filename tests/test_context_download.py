"""The analysts' all-wards download (present.atlas_download): its values are the derived tables' values."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cityconv.core.paths import Project
from cityconv.data import context as ctx
from cityconv.pipeline.artifacts import book_artifacts
from cityconv.present import atlas_download as dl

REPO = Path(__file__).resolve().parents[1]
CONTEXT = REPO / "data" / "context"


def read_csv_download(data: bytes) -> tuple[list[str], pd.DataFrame]:
    text = data.decode("utf-8-sig")
    header = [line for line in text.splitlines() if line.startswith("#")]
    table = pd.read_csv(io.StringIO(text), comment=None, skiprows=len(header), dtype={"ward_code": str},
                        keep_default_na=False, na_values=[""])
    return header, table


@pytest.mark.parametrize("bset", ctx.BOUNDARY_SETS)
def test_csv_values_match_the_derived_indicator_table(bset):
    header, table = read_csv_download(dl.all_wards_csv(dl.set_rows(CONTEXT, bset), bset))
    indicators = pd.read_csv(CONTEXT / "indicators.csv", dtype={"ward_code": str, "category": str})
    rows = indicators[indicators.boundary_set.isin([bset, ctx.SET_CITY])]
    assert len(table) == rows.ward_code.nunique() + 1  # the wards, Liverpool, England
    long = table[table.ward_name != dl.ENGLAND].melt(id_vars=["ward_code", "ward_name"])
    long[["key", "what"]] = long["variable"].str.rsplit(" (", n=1, expand=True)
    wide = long.pivot_table(index=["ward_code", "key"], columns="what", values="value", dropna=False)
    want = rows.assign(key=rows.indicator + ": " + rows.category).set_index(["ward_code", "key"])
    got = wide.reindex(want.index)
    assert np.allclose(got["count)"], want["count"], atol=1e-9, equal_nan=True)
    assert np.allclose(got["%)"], (want["share"] * 100).round(2), atol=1e-9, equal_nan=True)
    england = table[table.ward_name == dl.ENGLAND].iloc[0]
    first = rows.drop_duplicates(["indicator", "category"])
    for r in first.itertuples():
        expected = np.nan if np.isnan(r.england_share) else round(r.england_share * 100, 2)
        got = england[f"{r.indicator}: {r.category} (%)"]
        assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("bset", ctx.BOUNDARY_SETS)
def test_header_gives_sources_licence_and_method_for_every_column(bset):
    header, table = read_csv_download(dl.all_wards_csv(dl.set_rows(CONTEXT, bset), bset))
    text = "\n".join(header)
    assert "Open Government Licence v3.0" in text and "Sources: Census 2021 TS001" in text
    share_columns = [c for c in table.columns if c.endswith("(%)")]
    for column in share_columns:
        assert any(line.startswith(f"# {column} and its count: ") for line in header), column
    assert "modelled for" in text and "exact for every ward" in text


@pytest.mark.parametrize("bset", ctx.BOUNDARY_SETS)
def test_xlsx_holds_the_same_table_with_no_formulas(bset):
    rows = dl.set_rows(CONTEXT, bset)
    wb = load_workbook(io.BytesIO(dl.all_wards_xlsx(rows, bset)))
    assert wb.sheetnames == ["README", "Columns", "Wards"]
    ws = wb["Wards"]
    cells = list(ws.iter_rows(values_only=True))
    table = dl.all_wards_table(rows)
    assert list(cells[0]) == list(table.columns)
    assert len(cells) == len(table) + 1
    for got, (_, want) in zip(cells[1:], table.iterrows()):
        for g, w in zip(got, want):
            assert (g is None and dl._blank(w)) or g == w
    assert not any(cell.data_type == "f" for row in ws.iter_rows() for cell in row)
    readme = "\n".join(str(c.value) for c in wb["README"]["A"] if c.value)
    assert "Open Government Licence" in readme


def test_downloads_are_reproducible_byte_for_byte():
    rows = dl.set_rows(CONTEXT, ctx.SET_OLD)
    assert dl.all_wards_xlsx(rows, ctx.SET_OLD) == dl.all_wards_xlsx(rows.copy(), ctx.SET_OLD)
    assert sorted(dl.all_wards_files(CONTEXT)) == sorted(dl.file_names())


def test_registered_as_a_book_bundle():
    bundles = [a for a in book_artifacts(Project(REPO)) if a.id == "atlas-all-wards"]
    assert len(bundles) == 1 and bundles[0].kind == "bundle"
    assert sorted(Path(o).name for o in bundles[0].outputs) == sorted(dl.file_names())
    assert "data/context/*" in bundles[0].inputs
