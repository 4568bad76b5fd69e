"""The analysts' download: every ward x every indicator in one table, per boundary set, as CSV and XLSX.

Why: council ward profiles offer one spreadsheet of all wards so that analysts need not copy figures page
by page. The values are `data/context/indicators.csv` re-shaped (one row per ward, a count and a share
column per indicator category), never recomputed, so they match the atlas pages. A header block gives the
sources, each column's method and the licence; the writers of `present.downloads` keep text cells from
being read as formulas.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cityconv.data.context import (
    BOUNDARY_SETS,
    METHOD_EXACT,
    SET_CITY,
    SET_NEW,
    SET_OLD,
    load_indicators,
)
from cityconv.present.downloads import csv_bytes, reproducible_xlsx

OUTPUT = Path("book") / "generated" / "atlas-downloads"
FILE_STEMS = {SET_OLD: "liverpool-wards-2004-2023-all-indicators", SET_NEW: "liverpool-wards-2023-all-indicators"}
SET_TITLES = {SET_OLD: "the 30 Liverpool wards used from 2004 to May 2023",
              SET_NEW: "the 64 Liverpool wards in use since May 2023"}
LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(ONS Census 2021; MHCLG English Indices of Deprivation 2019 and 2025). Contains OS data (c) Crown "
    "copyright and database right."
)
ENGLAND = "England"


def file_names() -> list[str]:
    """The bundle's files (CSV and XLSX for each boundary set)."""
    return [f"{FILE_STEMS[bset]}.{ext}" for bset in BOUNDARY_SETS for ext in ("csv", "xlsx")]


def _column(indicator: str, category: str, what: str) -> str:
    return f"{indicator}: {category} ({what})"


def set_rows(context_dir: Path, boundary_set: str) -> pd.DataFrame:
    """The set's rows of indicators.csv (with words and names), then Liverpool's: what every writer here shapes."""
    return pd.concat([load_indicators(context_dir, boundary_set=boundary_set),
                      load_indicators(context_dir, boundary_set=SET_CITY)], ignore_index=True)


def column_notes(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator category: its two columns, topic, source and method over the set's wards."""
    rows = rows[rows["boundary_set"] != SET_CITY]
    notes = []
    for (indicator, category), group in rows.groupby(["indicator", "category"], sort=False):
        modelled = int((group["method"] != METHOD_EXACT).sum())
        method = ("exact for every ward" if modelled == 0 else
                  f"modelled for {modelled} of {len(group)} wards (exact for the rest)")
        first = group.iloc[0]
        notes.append({"count column": _column(indicator, category, "count"),
                      "share column": _column(indicator, category, "%"),
                      "topic": first["topic"], "source": first["source"], "method": method})
    return pd.DataFrame(notes)


def all_wards_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per ward of `set_rows`, then Liverpool and England: a count and a share (%) per category.

    Shares are `share` x 100 from indicators.csv; England has shares only (no counts)."""
    order = list(dict.fromkeys(zip(rows["indicator"], rows["category"])))
    areas = rows.drop_duplicates("ward_code")[["ward_code", "ward_name"]]
    count = rows.pivot(index="ward_code", columns=["indicator", "category"], values="count")
    share = (rows.pivot(index="ward_code", columns=["indicator", "category"], values="share") * 100).round(2)
    england = rows.drop_duplicates(["indicator", "category"]).set_index(["indicator", "category"])["england_share"]
    england = (england * 100).round(2)
    data: dict[str, list] = {"ward_code": [*areas["ward_code"], ""], "ward_name": [*areas["ward_name"], ENGLAND]}
    for key in order:
        data[_column(*key, "count")] = [*count[key].reindex(areas["ward_code"]), None]
        data[_column(*key, "%")] = [*share[key].reindex(areas["ward_code"]), england[key]]
    table = pd.DataFrame(data)
    for name in table.columns[2:]:  # whole-number columns (exact sums) print without a decimal point
        values = pd.to_numeric(table[name])
        table[name] = values.astype("Int64") if name.endswith("(count)") and values.dropna().mod(1).eq(0).all() else values
    return table


def header_lines(rows: pd.DataFrame, boundary_set: str) -> list[str]:
    """The header block: what the table is, how it was built, sources, licence and each column's method."""
    notes = column_notes(rows)
    sources = list(dict.fromkeys(notes["source"]))
    lines = [
        f"Every indicator of the Liverpool ward atlas for {SET_TITLES[boundary_set]}, then Liverpool and England.",
        "Built from data/context/indicators.csv (re-derive with `cityconv derive-context`); "
        "how each figure was made: data/context/PROVENANCE.md in the book's source archive.",
        "Ward figures are sums of Census 2021 output areas (exact) or, for tables published only for LSOAs, "
        "LSOA counts split across wards by their output areas' residents or households (modelled).",
        "Counts are residents or households; '%' columns are the count's share of the table's base "
        "(e.g. residents aged 16 and over). England: shares only; IMD deciles have no England share.",
        "Sources: " + "; ".join(sources) + ".",
        f"Licence: {LICENCE}",
        "Method per column:",
    ]
    lines += [f"{r['share column']} and its count: {r['method']}" for _, r in notes.iterrows()]
    return lines


def all_wards_csv(rows: pd.DataFrame, boundary_set: str) -> bytes:
    """The table as CSV (UTF-8 with BOM) after the header block as `# ...` rows."""
    return csv_bytes(all_wards_table(rows), header_lines(rows, boundary_set))


def _blank(value) -> bool:
    """Missing (None, NaN, pd.NA) or empty text: left as an empty cell."""
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) or value == ""


def all_wards_xlsx(rows: pd.DataFrame, boundary_set: str) -> bytes:
    """The table as XLSX: a README sheet (header block), a Columns sheet (method per column) and the data."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from cityconv.core.escaping import set_text_cell

    bold = Font(bold=True)
    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    for r, line in enumerate(header_lines(rows, boundary_set)[:-1], start=1):
        set_text_cell(readme.cell(row=r, column=1), line)
    readme.column_dimensions["A"].width = 120
    for title, frame in (("Columns", column_notes(rows)), ("Wards", all_wards_table(rows))):
        ws = wb.create_sheet(title)
        for c, name in enumerate(frame.columns, start=1):
            set_text_cell(ws.cell(row=1, column=c), str(name)).font = bold
        for r, record in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, value in enumerate(record, start=1):
                if not _blank(value):
                    set_text_cell(ws.cell(row=r, column=c), value.item() if hasattr(value, "item") else value)
        ws.freeze_panes = "C2" if title == "Wards" else "A2"
    wb.properties.title = f"Liverpool ward atlas: all indicators, {boundary_set} wards"
    wb.properties.creator = "cityconv"
    return reproducible_xlsx(wb)


def all_wards_files(context_dir: Path) -> dict[str, bytes]:
    """File name -> bytes of the four downloads (CSV and XLSX per boundary set); the pipeline writes them."""
    files = {}
    for bset in BOUNDARY_SETS:
        rows = set_rows(context_dir, bset)
        files[f"{FILE_STEMS[bset]}.csv"] = all_wards_csv(rows, bset)
        files[f"{FILE_STEMS[bset]}.xlsx"] = all_wards_xlsx(rows, bset)
    return files
