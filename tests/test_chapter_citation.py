"""Cite this chapter: BibTeX, RIS and CSL-JSON agree on the edition, its date, the ward and the authors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from pybtex.database import parse_string

from cityconv.pipeline.book import chapter_citation
from cityconv.present.citation import ChapterCitation, bibtex, cite_markdown, csl_json, ris

REPO = Path(__file__).resolve().parents[1]
CITATION = ChapterCitation(key="cityconv_clubmoor_03-residents-survey", chapter="Residents' survey",
                           ward="Clubmoor {North} & Co", book="The City Conversation", edition="9.8.7",
                           date="2031-02-03", authors=("The cityconv contributors",))


def test_bibtex_parses_back_to_the_same_facts() -> None:
    entry = parse_string(bibtex(CITATION), "bibtex").entries[CITATION.key]
    assert entry.type == "incollection"
    assert entry.fields["edition"] == "9.8.7" and entry.fields["date"] == "2031-02-03" and entry.fields["year"] == "2031"
    escaped = r"Clubmoor {North} \& Co"  # LaTeX's ampersand, escaped by pybtex
    assert escaped in entry.fields["title"] and escaped in entry.fields["note"]
    assert [str(p) for p in entry.persons["author"]] == ["{The cityconv contributors}"]


def test_ris_and_csl_json_carry_edition_date_ward_and_authors() -> None:
    lines = ris(CITATION).splitlines()
    assert lines[0] == "TY  - CHAP" and lines[-1] == "ER  - "
    assert {"AU  - The cityconv contributors", "ET  - 9.8.7", "DA  - 2031/02/03", "KW  - Clubmoor {North} & Co"} <= set(lines)
    (item,) = json.loads(csl_json(CITATION))
    assert item["edition"] == "9.8.7" and item["issued"] == {"date-parts": [[2031, 2, 3]]}
    assert item["author"] == [{"literal": "The cityconv contributors"}] and item["title"].startswith("Clubmoor {North}")


def test_a_chapter_cites_the_edition_in_citation_cff(tmp_path: Path) -> None:
    task = SimpleNamespace(root=tmp_path, study_id="clubmoor", template_id="03-residents-survey",
                           template_title="Residents' survey", study_title="Clubmoor")
    assert chapter_citation(task) is None  # no citation file: no box, nothing invented
    shutil.copy(REPO / "CITATION.cff", tmp_path / "CITATION.cff")
    citation = chapter_citation(task)
    from ruamel.yaml import YAML

    cff = YAML(typ="safe").load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert (citation.edition, citation.date) == (str(cff["version"]), str(cff["date-released"]))
    assert citation.title == "Clubmoor: Residents' survey" and citation.authors == ("The cityconv contributors",)
    box = cite_markdown(citation)
    assert box.startswith(":::{admonition} Cite this chapter") and "````bibtex" in box and "````json" in box
