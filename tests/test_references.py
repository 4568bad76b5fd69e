"""Every citation key used anywhere resolves in references.bib, and every key there is unique.

Keys are used in four places: `citation_key` / `source_key` columns (and their `;`-separated
`further_citation_keys`) in `data/**/*.csv`; `{cite}` roles in `book/**/*.md`; `{cite}` roles in the
chapter templates `notebooks/*.ipynb`; and `{cite}` roles that the package writes into generated prose
(`src/cityconv/*.py`).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "references.bib"

ENTRY_START = re.compile(r"^\s*@(\w+)\s*\{\s*([^,\s]+)\s*,", re.M)
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
KEY_COLUMNS = re.compile(r"^(citation_key|source_key|further_citation_keys|[a-z_]*_citation_keys?|[a-z_]*_source_keys?)$")

SEED_KEYS = {  # the five seed documents (../shared/seeds)
    "heseltine_city_conversation",   # 000 project page
    "clubmoor_slides_2021",          # 001 findings presentation
    "ippr_src_2010",                 # 002 positioning paper
    "drummond_pykett_roundtable",    # 003 roundtable blog post
    "worrall_neighbourhoods",        # 004 neighbourhood model
}
DATA_KEYS = {"ons_census2011", "ons_census2021", "ons_lookups", "ons_boundaries", "mhclg_iod2019", "mhclg_iod2025"}


def bib_keys() -> list[str]:
    text = BIB.read_text(encoding="utf-8")
    return [key for kind, key in ENTRY_START.findall(text) if kind.lower() not in {"comment", "string", "preamble"}]


def _split(value: str) -> list[str]:
    return [k.strip() for k in re.split(r"[;,]", value or "") if k.strip()]


def csv_keys() -> dict[str, set[str]]:
    """key -> {"file:column", ...} for every key-bearing column of every data CSV."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "data").rglob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = [c for c in (reader.fieldnames or []) if c and KEY_COLUMNS.match(c)]
            for row in reader:
                for column in columns:
                    for key in _split(row.get(column) or ""):
                        found.setdefault(key, set()).add(f"{path.relative_to(REPO)}:{column}")
    return found


def cite_keys_in(text: str) -> list[str]:
    return [k for group in CITE_ROLE.findall(text) for k in _split(group)]


def document_keys() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}

    def add(keys, where):
        for key in keys:
            found.setdefault(key, set()).add(where)

    for path in sorted((REPO / "book").rglob("*.md")):
        if "generated" in path.relative_to(REPO / "book").parts:
            continue
        add(cite_keys_in(path.read_text(encoding="utf-8")), str(path.relative_to(REPO)))
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            source = cell.get("source", "")
            add(cite_keys_in("".join(source) if isinstance(source, list) else source), str(path.relative_to(REPO)))
    for path in sorted((REPO / "src" / "cityconv").rglob("*.py")):
        add(cite_keys_in(path.read_text(encoding="utf-8")), str(path.relative_to(REPO)))
    return found


def test_bib_file_parses_and_keys_are_unique() -> None:
    from pybtex.database import parse_file

    keys = bib_keys()
    duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
    assert not duplicates, f"references.bib: duplicate keys {duplicates}"
    lowered = sorted(k for k, n in Counter(k.lower() for k in keys).items() if n > 1)
    assert not lowered, f"references.bib: keys differing only by case {lowered} (BibTeX keys are case-insensitive)"
    data = parse_file(str(BIB))  # raises on syntax errors
    assert set(data.entries) == set(keys)


def test_every_key_used_in_data_resolves() -> None:
    known = set(bib_keys())
    used = csv_keys()
    assert used, "no citation keys found in data/**/*.csv: has the column naming changed?"
    missing = {k: sorted(v) for k, v in used.items() if k not in known}
    assert not missing, f"keys used in data files but missing from references.bib: {missing}"


def test_every_cite_role_resolves() -> None:
    known = set(bib_keys())
    used = document_keys()
    missing = {k: sorted(v) for k, v in used.items() if k not in known}
    assert not missing, f"{{cite}} keys missing from references.bib: {missing}"


def test_every_evidence_source_is_in_the_bib_with_the_same_key_and_year() -> None:
    from pybtex.database import parse_file

    entries = parse_file(str(BIB)).entries
    with (REPO / "data" / "evidence" / "sources.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        key = row["citation_key"]
        assert key in entries, f"sources.csv key {key!r} missing from references.bib"
        year = (row.get("year") or "").strip()
        bib_year = entries[key].fields.get("year", "")
        if year:
            assert bib_year == year, f"{key}: year {bib_year!r} in references.bib, {year!r} in sources.csv"
        else:
            assert not bib_year, f"{key}: references.bib gives year {bib_year!r}, which sources.csv does not know"


def test_seed_documents_and_public_data_are_in_the_bib() -> None:
    keys = set(bib_keys())
    assert SEED_KEYS <= keys, sorted(SEED_KEYS - keys)
    assert DATA_KEYS <= keys, sorted(DATA_KEYS - keys)


def test_no_invented_identifiers() -> None:
    """DOIs and URLs only where a source prints them: every url is printed in a seed document or the
    open data's provenance notes (scheme and "www." aside); no DOI is printed in any."""
    text = BIB.read_text(encoding="utf-8")
    assert not re.search(r"^\s*doi\s*=", text, re.M | re.I), "references.bib: a doi field needs a checked source"
    shared = REPO / ".." / "shared"
    printed = " ".join(" ".join(p.read_text(encoding="utf-8").split())
                       for p in [*sorted((shared / "seeds").glob("*.txt")), shared / "open-data" / "PROVENANCE.md"]
                       if p.exists())
    if not printed:
        pytest.skip("the shared source documents are not beside the repository")
    urls = re.findall(r"^\s*url\s*=\s*\{([^}]*)\}", text, re.M | re.I)
    assert urls, "expected the project page's address (printed on the findings slides)"
    for url in urls:
        bare = re.sub(r"^https?://(www\.)?", "", url)
        assert bare in printed, f"references.bib: {url} is not printed in any source document"


def test_one_bibliography_or_filtered_ones() -> None:
    """A second bibliography directive repeats citations (duplicate-citation warnings) unless filtered."""
    directives = []
    for path in sorted((REPO / "book").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^(`{3,}|:{3,})\{bibliography\}[^\n]*\n((?::[^\n]*\n)*)", text, re.M):
            directives.append((path.relative_to(REPO), match.group(2)))
    assert any(p == Path("book/references.md") for p, _ in directives), "book/references.md has no bibliography"
    if len(directives) > 1:
        unfiltered = [str(p) for p, options in directives if "docname in docnames" not in options and p != Path("book/references.md")]
        assert not unfiltered, f"extra bibliographies need ':filter: docname in docnames': {unfiltered}"


@pytest.mark.parametrize("text, expected", [
    ("see {cite}`a` and {cite:p}`b,c` and {cite:t}`d, e`", ["a", "b", "c", "d", "e"]),
    ("no roles here; {{cite:p}}`{keys}` is an f-string template", []),
])
def test_cite_role_pattern(text: str, expected: list[str]) -> None:
    assert cite_keys_in(text) == expected


def _sort_key(entry) -> tuple[str, str]:
    persons = entry.persons.get("author", [])
    if persons:
        first = persons[0]
        name = " ".join(first.prelast_names + first.last_names + first.first_names + first.middle_names)
    else:
        name = ""
    return name.replace("{", "").replace("}", "").lower(), entry.fields.get("year", "")


def test_bib_is_in_alphabetical_order() -> None:
    """The bibliography lists entries in file order (unsrt), so the file must be alphabetical."""
    from pybtex.database import parse_file

    entries = list(parse_file(str(BIB)).entries.values())
    keys = [_sort_key(e) for e in entries]
    out_of_order = [(entries[i].key, entries[i + 1].key) for i in range(len(keys) - 1) if keys[i] > keys[i + 1]]
    assert not out_of_order, f"references.bib is not in author order; move these: {out_of_order}"
