"""Every page a reader sees keeps the table's `[c]`: prose, captions, alt text, downloads, explorer data.

A small project is built with the real command line: one ward made with `new-ward`, its survey crafted
so that its tables must withhold cells, then `cityconv build`. The numbers the pages must never state
are worked out here by hand from the counts below (the rule written out in `forbidden`), not by asking
`cityconv.methods.disclosure`, and every built page is scanned for them.

The crafted survey (25 respondents):
- recommend: yes 16, no 7, not sure 2. "Not sure" is small, so the table shows [c]; with the total
  shown, 25 - 16 - 7 would give it back, so "no" (7) is withheld too. The words once said "7 of the
  25" beside that [c] (issue 22).
- change in five years: same 10, better 8, worse 4, don't know 3: the two small ones are withheld.
- Covid-19 and community spirit: ONE respondent answered ("more"), 24 did not: naming the answer,
  or showing zeros beside it, names that one person's answer.
- multi-answer questions with one small answer each (2, 1 and 2 respondents).
Every count that may be shown is chosen to differ from every number that may not, and no sum of withheld
counts is the threshold (5), which "fewer than 5" states; so a match is a leak.

Which pages: every page that is made from this ward's files. The build runs this ward's chapters, the
teaching explorers (pointed at this ward) and the ward comparison (this ward beside Clubmoor), and renders
them with the book's own pages they link to. Clubmoor's chapters are not run: they read none of this
ward's records (the runs' recorded reads; `test_only_these_runs_read_another_wards_records` keeps that
true), so the three the linked pages cite are stand-ins (`CLUBMOOR_LINKED`), and the landing page is a
stand-in too (its "What we found" reads published figures only, which this ward has none of).
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from nbtools import REPO

pytestmark = pytest.mark.slow  # builds a small book with the real command line (a few minutes)

CITYCONV = str(Path(sys.executable).with_name("cityconv"))
WARD = "anfield"
N = 25

#: question -> answer code -> respondents (single-answer questions; blank = no answer).
SINGLE = {
    "recommend": {"yes": 16, "no": 7, "not_sure": 2},
    "change_5yr": {"same": 10, "better": 8, "worse": 4, "dont_know": 3},
    "covid_community_spirit": {"more": 1},
}
#: question -> code -> respondents naming it (multi-answer questions).
MULTI = {
    "best_things": {"green_spaces": 12, "community": 10, "local_shops": 2},
    "improve": {"crime_asb": 11, "street_cleanliness": 6, "housing": 1},
    "preferred_methods": {"social_media": 14, "postal": 6, "doorstep": 2},
}
LABELS = {"no": "No", "not_sure": "Not sure", "worse": "Got worse", "dont_know": "Don't know",
          "more": "More community spirit"}
THRESHOLD = 5


def forbidden() -> dict[str, dict[str, int]]:
    """question -> {withheld code: count}, by the rule written out independently of the package:
    counts 1..4 are withheld; in a single-answer table (its total shown) a lone withheld cell would be
    the total minus the rest, so the smallest other non-zero cell is withheld with it; a question
    answered by one person withholds that answer (and every zero beside it)."""
    out: dict[str, dict[str, int]] = {}
    for question, counts in SINGLE.items():
        small = {c: n for c, n in counts.items() if 1 <= n < THRESHOLD}
        if len(small) == 1 and sum(counts.values()) > 1:
            rest = {c: n for c, n in counts.items() if c not in small and n > 0}
            partner = min(rest, key=rest.get)
            small[partner] = counts[partner]
        out[question] = small
    for question, counts in MULTI.items():
        out[question] = {c: n for c, n in counts.items() if 1 <= n < THRESHOLD}
    return out


def test_the_rule_gives_the_cells_the_docstring_names():
    assert forbidden()["recommend"] == {"no": 7, "not_sure": 2}
    assert forbidden()["change_5yr"] == {"worse": 4, "dont_know": 3}
    assert forbidden()["covid_community_spirit"] == {"more": 1}


def forbidden_numbers() -> set[int]:
    """Counts and whole-percentage shares a reader must not be told: each withheld count, the sum of a
    question's withheld counts (the total minus the shown ones), and their shares of the 25."""
    numbers: set[int] = set()
    for cells in forbidden().values():
        values = list(cells.values())
        numbers.update(values)
        if len(values) > 1:
            numbers.add(sum(values))
    return numbers


def _shown_numbers() -> set[int]:
    shown = set()
    for question, counts in {**SINGLE, **MULTI}.items():
        shown.update(n for c, n in counts.items() if c not in forbidden()[question])
    return shown


def test_the_fixture_keeps_shown_and_withheld_numbers_apart():
    """Otherwise a shown count could be taken for a leak, or hide one."""
    withheld = forbidden_numbers()
    shares = {round(100 * n / N) for n in withheld}
    assert not (_shown_numbers() & withheld) and THRESHOLD not in withheld
    assert not ({round(100 * n / N) for n in _shown_numbers()} & shares)


def _write_survey(data: Path) -> None:
    rows = []
    answers: dict[str, list[str]] = {}
    for question, counts in SINGLE.items():
        column = [code for code, n in counts.items() for _ in range(n)]
        answers[question] = column + [""] * (N - len(column))
    ages = ["25-34"] * 4 + ["35-44"] * 6 + ["45-54"] * 6 + ["55-64"] * 5 + ["65-74"] * 4
    sexes = ["Female"] * 14 + ["Male"] * 11
    for i in range(N):
        rows.append({"response_id": f"S{i + 1:02d}", "month": "2024-05", "mode": "online", "age_band": ages[i],
                     "sex": sexes[(i * 7) % N], "ethnic_group": "White",
                     **{q: answers[q][i] for q in SINGLE}})
    with open(data / "survey_responses.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with open(data / "survey_mentions.csv", "w", newline="", encoding="utf-8") as f:
        f.write("response_id,question,code\n")
        for question, counts in MULTI.items():
            start = 0
            for code, n in counts.items():
                for j in range(n):
                    f.write(f"S{(start + j) % N + 1:02d},{question},{code}\n")
                start += 3
    (data / "objectives.csv").write_bytes((REPO / "data" / "clubmoor" / "objectives.csv").read_bytes())


def make_project(root: Path) -> Path:
    """The repository's book and templates, with one scaffolded ward holding the crafted survey."""
    from cityconv.core.paths import Project
    from cityconv.generate.scaffold import new_ward

    ignore = shutil.ignore_patterns(".venv*", "_build", "node_modules", ".git", ".pytest_cache", ".cityconv",
                                    "test-artifacts", "__pycache__", ".ipynb_checkpoints", ".mypy_cache",
                                    ".ruff_cache", "generated", "*.egg-info")
    shutil.copytree(REPO, root, ignore=ignore, symlinks=True)
    # Clubmoor stays: the comparison sets this ward beside it (its chapters are not run: `built`).
    for params in ("anfield", "good-conversations"):
        (root / "params" / f"{params}.yml").unlink()
    shutil.rmtree(root / "data" / "anfield")
    new_ward(Project(root), "Anfield")
    data = root / "data" / WARD
    for path in data.glob("*.csv"):
        path.unlink()  # the empty templates: this ward has its survey and its aims only
    _write_survey(data)
    teaching = root / "params" / "teaching.yml"  # the explorers read this ward
    teaching.write_text(teaching.read_text(encoding="utf-8").replace("ward_id: clubmoor", f"ward_id: {WARD}"),
                        encoding="utf-8")
    _write_small_toc(root)
    return root


#: The book's own pages the built pages link to (the explorers link the teaching pages, the case study the
#: introduction), as they are, and the pages every chapter cites.
OWN_PAGES = {
    "Teaching": ("book/teaching/index", "book/teaching/case-study", "book/teaching/precision-and-bias",
                 "book/teaching/running-the-explorers"),
    "About this book": ("book/introduction", "book/about-the-data", "book/protecting-respondents", "book/references"),
}
#: Clubmoor's chapters that those pages, the comparison and the recommendation explorer link to.
CLUBMOOR_LINKED = ("02-evidence-gathering", "07-practitioners", "10-recommendations")


def _write_small_toc(root: Path) -> None:
    """A table of contents of the generated pages (this ward's chapters, its field kit, the explorers, the
    comparison: the build fills them in), the book's pages they link to, and stand-ins for the landing page
    and for the Clubmoor chapters they cite (run, those would be about a third of this build's CPU time)."""
    from cityconv.pipeline.book import TOC_BEGIN, TOC_END

    toc = ["format: jb-book", "root: book/index", "parts:", TOC_BEGIN, TOC_END]
    for caption, pages in OWN_PAGES.items():
        toc += [f"- caption: {caption}", "  chapters:", *(f"  - file: {page}" for page in pages)]
    toc += ["- caption: Clubmoor (stand-ins)", "  chapters:",
            *(f"  - file: book/generated/clubmoor/{stem}" for stem in CLUBMOOR_LINKED)]
    (root / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    (root / "book" / "index.md").write_text(f"# Disclosure test book\n\nThe crafted ward {WARD} and the pages made from it.\n",
                                            encoding="utf-8")
    stand_ins = root / "book" / "generated" / "clubmoor"
    stand_ins.mkdir(parents=True)
    for stem in CLUBMOOR_LINKED:
        (stand_ins / f"{stem}.md").write_text(f"# Clubmoor: {stem} (a stand-in)\n\nNot run in this test book.\n",
                                             encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("disclosure") / "book")
    # Named runs only: the 96 atlas pages hold no survey answers and would take most of the time, and
    # Clubmoor's chapters read none of this ward's (`test_only_these_runs_read_another_wards_records`).
    # No field kit is printed (`--skip pdf`): a kit's PDFs hold its questionnaire, never a count.
    result = subprocess.run([CITYCONV, "build", WARD, "teaching", "ward-comparison", "--skip", "pdf", "--root", str(root)],
                            capture_output=True, text=True, timeout=1800)
    (root.parent / "build.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    assert "Book:" in result.stdout, (result.stdout + result.stderr)[-4000:]
    return root / "_build" / "html"


# --------------------------------------------------------------------------- reading what a reader sees


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def _reader_text(page: Path) -> tuple[str, list[str], list[list[list[str]]]]:
    """(words outside tables, including captions; alt texts; tables as rows of cells) of one page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for hidden in soup(["script", "style", "nav", "header", "footer"]):
        hidden.decompose()
    alts = [img.get("alt", "") for img in soup.find_all("img")]
    tables = []
    for table in soup.find_all("table"):
        tables.append([[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                       for row in table.find_all("tr")])
        table.decompose()
    return soup.get_text(" ", strip=True), alts, tables


def _downloads(page: Path) -> list[list[list[str]]]:
    """Every CSV a page offers as a data: link, as rows of cells."""
    out = []
    for uri in re.findall(r'href="(data:text/csv[^"]+)"', page.read_text(encoding="utf-8")):
        header, _, payload = uri.partition(",")
        raw = base64.b64decode(payload).decode("utf-8-sig") if ";base64" in header else urllib.parse.unquote(payload)
        out.append(list(csv.reader(io.StringIO(raw.replace("&amp;", "&")))))
    return out


STATED = re.compile(r"\b(\d[\d,]*)(%?) of (?:the |all )?25\b")  # "7 of the 25", "28% of all 25"


def _leaks_in_words(text: str, ward_page: bool) -> list[str]:
    """Withheld counts or shares stated as "n of the 25" anywhere, and, on the ward's own pages (where
    its answer labels name its answers), any count or share stated beside a withheld answer."""
    numbers = forbidden_numbers()
    shares = {round(100 * n / N) for n in numbers}
    found = [m.group(0) for m in STATED.finditer(text)
             if int(m.group(1).replace(",", "")) in (shares if m.group(2) else numbers)]
    if not ward_page:  # other wards' pages use the same labels for their own answers
        return found
    for label in LABELS.values():  # the answer as words name it: "no: …", "got worse at …", "**no**, given by …"
        for m in re.finditer(rf"\b{re.escape(label)}\b(?=\s*:|\s+at\b|\*\*)", text, re.IGNORECASE):
            near = text[m.end(): m.end() + 60]  # "no: 7 of the 25 respondents (28%)"
            near = near.split(";")[0].split(".")[0]
            for number in re.findall(r"\b\d+\b", near):
                if int(number) in numbers | shares:
                    found.append(f"{label}{near}")
    if re.search(r"more community spirit\W*(?:,|\*\*|given|at \d)", text, re.IGNORECASE):
        found.append("the one respondent's Covid-19 answer is named")
    return found


def test_no_page_states_a_withheld_number(built):
    pages = _pages(built)
    survey = [p for p in pages if p.name.startswith("03-residents-survey") and WARD in p.parts]
    assert survey, "the survey chapter was not built"
    leaks = []
    for page in pages:
        text, alts, _ = _reader_text(page)
        ward_page = WARD in page.parts
        leaks += [f"{page.name}: {leak}" for leak in _leaks_in_words(text, ward_page)]
        leaks += [f"{page.name} (alt text): {leak}" for alt in alts for leak in _leaks_in_words(alt, ward_page)]
    assert not leaks, "\n".join(leaks)


def _runs(root: Path) -> dict[str, dict]:
    """The recorded runs of a build (label -> what the run read and wrote), from its manifest."""
    return json.loads((root / "book" / "generated" / "manifest.json").read_text(encoding="utf-8"))["runs"]


def _is_page(template: str) -> bool:
    """False for a template that makes a file for other runs (the ward's findings), not a page."""
    import nbformat

    return not nbformat.read(REPO / "notebooks" / template, as_version=4).metadata.get("cityconv", {}).get("produces")


def test_every_page_made_from_the_survey_is_scanned(built):
    """The pages scanned above include every page of a run that read this ward's records (its survey or its
    findings), by the runs' recorded reads: its chapters, the recommendation explorer, the comparison."""
    records = {f"data/{WARD}/survey_responses.csv", f"data/{WARD}/survey_mentions.csv",
               f"book/generated/{WARD}/findings.json"}
    runs = _runs(built.parents[1])
    readers = {label: run["output"] for label, run in runs.items() if records & set(run["reads"])}
    assert {f"{WARD}/residents-survey", "teaching/recommendation-explorer", "ward-comparison/ward-comparison"} <= set(readers)
    scanned = {p.relative_to(built).as_posix() for p in _pages(built)}
    for label, output in readers.items():
        if _is_page(Path(output).name):
            assert str(Path(output).with_suffix(".html")) in scanned, label


#: Runs that read records of a ward other than their own, and why the build above need not run them for
#: its ward, or runs them: the comparison and the recommendation explorer (run there, pointed at its ward),
#: and the atlas's city overview (it reads a ward's survey only to see whether it has rows yet).
OTHER_WARDS_RECORDS_READERS = {"ward-comparison/ward-comparison", "teaching/recommendation-explorer",
                               "atlas-overview/city-overview"}


def test_only_these_runs_read_another_wards_records(real_book):
    """Why the build above leaves Clubmoor's chapters (and the atlas) out: in the session's real book, the
    recorded reads show that no other run reads a ward's records (survey, interviews, its findings, …;
    its questionnaire, aims and published figures are not records). A template that starts to must be
    added to that build, or this test fails."""
    record = re.compile(r"data/([^/]+)/(?!questionnaire\.|objectives\.|published_figures\.|README|CODEBOOK)[^/]+\.csv"
                        r"|book/generated/([^/]+)/findings\.json")
    shared = {"context", "city", "evidence", "recommendations"}
    readers = {}
    for label, run in _runs(real_book).items():
        study = label.split("/")[0]
        wards = {m.group(1) or m.group(2) for m in map(record.fullmatch, run["reads"]) if m} - shared - {study}
        if wards:
            readers[label] = wards
    assert "anfield" in readers.get("ward-comparison/ward-comparison", set()), readers  # the rule sees reads
    assert set(readers) <= OTHER_WARDS_RECORDS_READERS, readers


def test_the_survey_page_says_the_table_withholds_what_it_withholds(built):
    page = next(p for p in _pages(built) if p.name.startswith("03-residents-survey") and WARD in p.parts)
    text, alts, tables = _reader_text(page)
    assert "[c] (withheld to protect the people counted)" in text  # "no" and "not sure" in the words
    assert "16 of the 25 respondents (64%" in text  # what may be said still is
    assert "counts are withheld in the table ([c]) to protect the people counted, so these words name no answer" \
        in text  # the Covid-19 question: the answer unnamed, and not said to be everyone's
    assert "same answer" not in text
    rows = {row[0]: row[1:] for table in tables for row in table if row}
    for label in LABELS.values():
        assert label in rows and set(rows[label]) <= {"[c]", ""}, (label, rows.get(label))


def test_downloads_carry_the_same_c(built):
    page = next(p for p in _pages(built) if p.name.startswith("03-residents-survey") and WARD in p.parts)
    downloads = _downloads(page)
    assert downloads, "the survey page offers no CSV downloads"
    seen = set()
    for rows in downloads:
        for row in rows:
            if row and row[0] in LABELS.values():
                seen.add(row[0])
                assert set(row[1:]) <= {"[c]", ""}, row
    assert seen == set(LABELS.values())


def test_explorer_data_states_no_withheld_number(built):
    """The explorers' data files (gzipped JSON the pages load, here of this ward): no withheld count or
    share of the 25 in any text, and no answer count of this ward's survey under any key."""
    numbers = forbidden_numbers()
    files = [p for p in built.rglob("*.json*") if p.suffix in (".json", ".gz")]
    explorer_data = [p for p in files if "explorers" in p.parts]
    assert explorer_data, "no explorer data was built"
    leaks = []
    for path in files:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        leaks += [f"{path.name}: {m.group(0)}" for m in STATED.finditer(text)
                  if int(m.group(1).replace(",", "")) in (({round(100 * n / N) for n in numbers}) if m.group(2) else numbers)]
        if path in explorer_data:
            data = json.loads(text)
            leaks += [f"{path.name}: {key} = {value}" for key, value in _items(data)
                      if "count" in key.lower() and isinstance(value, int) and value in numbers]
    assert not leaks, "\n".join(leaks)


def _items(data, key: str = ""):
    """Every (key, value) pair of a JSON document, however deep."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _items(v, str(k))
    elif isinstance(data, list):
        for v in data:
            yield from _items(v, key)
    else:
        yield key, data
