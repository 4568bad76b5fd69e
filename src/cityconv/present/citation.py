"""How to cite one chapter: BibTeX, RIS and CSL-JSON carrying the edition, its date, the ward and the authors.

A chapter's figures are made again at each build, so a citation that names no edition points at a
moving target. The same facts go into all three formats; BibTeX is written by pybtex (the library
the book's bibliography already uses), so titles with braces or accents come out valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ChapterCitation:
    """What a citation of one chapter of one edition says."""

    key: str  # e.g. cityconv_clubmoor_03-residents-survey
    chapter: str  # the chapter's title
    ward: str  # the ward or study, as the book names it
    book: str
    edition: str  # the version, e.g. 0.2.0
    date: str  # the edition's release date, YYYY-MM-DD
    authors: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{self.ward}: {self.chapter}"


def bibtex(c: ChapterCitation) -> str:
    from pybtex.database import BibliographyData, Entry, Person

    # A corporate author is one name: braces keep BibTeX from splitting it into first and last names.
    people = [Person(f"{{{name}}}") for name in c.authors]
    entry = Entry("incollection", fields={
        "title": c.title, "booktitle": c.book, "edition": c.edition, "year": c.date[:4], "date": c.date,
        "note": f"Ward or study: {c.ward}. Jupyter Book, version {c.edition}",
    }, persons={"author": people})
    return BibliographyData(entries={c.key: entry}).to_string("bibtex").strip()


def ris(c: ChapterCitation) -> str:
    lines = ["TY  - CHAP", *(f"AU  - {name}" for name in c.authors), f"TI  - {c.title}", f"T2  - {c.book}",
             f"ET  - {c.edition}", f"PY  - {c.date[:4]}", f"DA  - {c.date.replace('-', '/')}",
             f"KW  - {c.ward}", f"N1  - Ward or study: {c.ward}. Jupyter Book, version {c.edition}", "ER  - "]
    return "\n".join(lines)


def csl_json(c: ChapterCitation) -> str:
    year, month, day = (int(part) for part in c.date.split("-"))
    item = {
        "id": c.key, "type": "chapter", "title": c.title, "container-title": c.book,
        "author": [{"literal": name} for name in c.authors], "edition": c.edition, "version": c.edition,
        "issued": {"date-parts": [[year, month, day]]}, "note": f"Ward or study: {c.ward}",
    }
    return json.dumps([item], indent=2, ensure_ascii=False)


def cite_markdown(c: ChapterCitation) -> str:
    """A collapsed box offering the three formats (fenced, so nothing in them is read as MyST)."""
    import re

    body = bibtex(c) + ris(c) + csl_json(c)
    # longer than any run of backticks in the citation text (a ward title from params could hold some)
    fence = "`" * max(4, 1 + max((len(run) for run in re.findall("`+", body)), default=0))
    return (
        ":::{admonition} Cite this chapter\n:class: note dropdown cityconv-cite\n"
        f"Version {c.edition} of the book, released on {c.date}. The figures are made again at each build, "
        "so please give the version.\n\n"
        f"BibTeX:\n\n{fence}bibtex\n{bibtex(c)}\n{fence}\n\n"
        f"RIS:\n\n{fence}text\n{ris(c)}\n{fence}\n\n"
        f"CSL-JSON:\n\n{fence}json\n{csl_json(c)}\n{fence}\n"
        ":::"
    )
