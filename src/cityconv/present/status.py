"""What a table or figure is built from, said where it travels: in its CSV download and its caption.

A ward's engagement records are observed, reconstructed (Clubmoor: rebuilt to agree with the published
summary) or synthetic (simulated by `cityconv simulate`); public data and quoted findings are published.
Anything copied out of a page must still say which, so every table's CSV starts with a status line and
every figure built from reconstructed or synthetic records says so in its caption.
"""

from __future__ import annotations

from typing import Iterable

#: The data statuses, each with the sentence a reader sees.
DATA_STATUSES: dict[str, str] = {
    "observed": "the ward's own engagement records",
    "reconstructed": "records rebuilt to agree with the published summary; they are not the original responses",
    "synthetic": "simulated demonstration records; they are not findings about any real place or person",
    "published": "figures and text as the named source published them",
}
#: The sentence added to a figure's caption when it is built from records that are not observed.
FIGURE_STATUS_SENTENCES: dict[str, str] = {
    "reconstructed": "Reconstructed records: rebuilt to agree with the published summary, not the original responses.",
    "synthetic": "Synthetic records: a simulated demonstration, not findings about a real ward.",
}
#: Weakest first: a table mixing records and public data takes the status of its weakest part.
_ORDER = ("synthetic", "reconstructed", "observed", "published")


def status_parts(status: str) -> list[str]:
    """The statuses in `status` ("synthetic", or a combination such as "reconstructed and synthetic")."""
    parts = [p.strip() for p in str(status or "").replace(",", " and ").split(" and ") if p.strip()]
    unknown = [p for p in parts if p not in DATA_STATUSES]
    if not parts or unknown:
        raise ValueError(
            f"data status {status!r} is not one of {', '.join(DATA_STATUSES)} (or a combination of them joined "
            "by 'and'); say what the table or figure is built from"
        )
    return parts


def check_status(status: str) -> str:
    """`status` if it names known statuses; ValueError otherwise (a table or figure must say what it shows)."""
    status_parts(status)
    return " and ".join(status_parts(status))


def combine_statuses(statuses: Iterable[str]) -> str:
    """One status for a table drawn from several wards or sources: "reconstructed and synthetic"."""
    seen = {p for s in statuses for p in status_parts(s)}
    if not seen:
        raise ValueError("no data status to combine")
    return " and ".join(s for s in _ORDER if s in seen)


def status_line(status: str) -> str:
    """"Data status: synthetic (simulated demonstration records; …)" for a CSV download's opening rows."""
    parts = status_parts(status)
    return "Data status: " + "; ".join(f"{p} ({DATA_STATUSES[p]})" for p in parts)


def page_line(page_status: str | None, status: str) -> str | None:
    """A row saying the table sits on the page of a reconstructed or synthetic ward, when its own status does not.

    A Census table on a synthetic ward's page is real (published) data, but a copy of it must still say
    where it was taken from.
    """
    if page_status is None:
        return None
    own = set(status_parts(status))
    missing = [p for p in status_parts(page_status) if p in FIGURE_STATUS_SENTENCES and p not in own]
    if not missing:
        return None
    return ("Page: taken from the book's page for a ward whose engagement records are "
            + " and ".join(missing) + f" ({'; '.join(DATA_STATUSES[p] for p in missing)}); this table's own figures are "
            + " and ".join(own_sorted(status)) + ".")


def own_sorted(status: str) -> list[str]:
    return [s for s in _ORDER if s in status_parts(status)]


def says_status(text: str, status: str) -> bool:
    """True when `text` names every reconstructed or synthetic part of `status` (observed and published need no label)."""
    lowered = str(text or "").lower()
    return all(p in lowered for p in status_parts(status) if p in FIGURE_STATUS_SENTENCES)


def status_caption(caption: str | None, status: str) -> str | None:
    """The caption with a sentence saying the figure is built from reconstructed or synthetic records.

    Unchanged for observed or published data, and when the caption already says so.
    """
    text = " ".join(str(caption or "").split())
    missing = [p for p in status_parts(status) if p in FIGURE_STATUS_SENTENCES and p not in text.lower()]
    if not missing:
        return text or None
    if text and not text.endswith((".", "!", "?")):
        text += "."
    return " ".join([text, *(FIGURE_STATUS_SENTENCES[p] for p in missing)]).strip()


#: The admonition (kind, title, text) at the top of a page built from records that are not observed.
DATA_BANNERS = {
    "reconstructed": (
        "warning",
        "Reconstructed response-level data",
        "The study's own records are not public. We rebuilt records that match every published "
        "figure, to show the methods. No row is a real person's answer. Published and Census figures are cited; "
        "any other number describes our rebuilt records, not the ward. "
        "{doc}`How we made them </book/about-the-data>`.",
    ),
    "synthetic": (
        "danger",
        "Synthetic demonstration data — not findings",
        "The engagement data behind this chapter were simulated to demonstrate the method. "
        "Nothing on this page describes what residents of this ward said or think.",
    ),
}


def banner_markdown(data_status: str) -> str | None:
    """A MyST admonition that labels reconstructed or synthetic data; None for observed data."""
    if data_status not in DATA_BANNERS:
        return None
    kind, title, text = DATA_BANNERS[data_status]
    return f":::{{admonition}} {title}\n:class: {kind}\n\n{text}\n:::"
