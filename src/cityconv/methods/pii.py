"""The free-text screen for personal information: e-mail addresses, UK phone numbers, full UK
postcodes, National Insurance numbers and deny-listed names (rule 6 of `cityconv.methods.disclosure`).

Pure: the deny-list is passed in (`cityconv.data.denylist.load_denylist` reads it)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
import phonenumbers

from cityconv.core.problems import Problem
from cityconv.data.denylist import Denylist

__all__ = ["EMAIL", "NINO", "POSTCODE", "PiiHit", "ScreenResult", "screen_table", "screen_text"]

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
"""An e-mail address: local part, @, a domain with at least one dot."""

POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<outward>[A-PR-UWYZ][0-9][0-9A-HJKPS-UW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r"[ \u00a0]?"
    r"(?P<inward>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
"""A *full* UK postcode (outward + inward code), any case, with or without the space. The outward code
alone ("L11") is not matched: it covers thousands of addresses (ICO). Letters follow Royal Mail's rules:
first letter not Q, V, X; second not I, J, Z; the inward letters never C, I, K, M, O, V."""

NINO = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?!BG|GB|KN|NK|NT|TN|ZZ)"
    r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"(?:[ -]?[0-9]{2}){3}[ -]?[A-D]"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
"""A National Insurance number, e.g. "AB 12 34 56 C" (spaces or hyphens optional). HMRC's format: the
first letter is not D, F, I, Q, U or V; the second not D, F, I, O, Q, U or V; the prefixes BG, GB, KN,
NK, NT, TN and ZZ are never issued (so HMRC's specimen "QQ 12 34 56 C" is not flagged); six digits; a
suffix letter A–D (required, which keeps product codes such as "AB123456" out)."""

_BRACKETED = re.compile(r"\[[^\[\]\n]*\]")


@dataclass(frozen=True)
class PiiHit:
    """A possible piece of personal information in free text; ``hint`` never repeats it in full."""

    kind: str
    hint: str
    start: int
    end: int


class ScreenResult(list):
    """A list of hits (or Problems) that also says whether names were checked (``denylist.note``)."""

    def __init__(self, items=(), denylist: Denylist | None = None):
        super().__init__(items)
        self.denylist = denylist

    @property
    def names_checked(self) -> bool:
        return self.denylist is not None and self.denylist.path is not None

    @property
    def note(self) -> str:
        return self.denylist.note if self.denylist is not None else ""


def _hint_phone(match: phonenumbers.PhoneNumberMatch) -> tuple[str, str]:
    digits = re.sub(r"\D", "", match.raw_string)
    where = "UK " if match.number.country_code == 44 else ""
    return f"{where}phone number", f"a {where}phone number ending {digits[-3:]}"


def screen_text(text: str, denylist: Denylist) -> ScreenResult:
    """Possible personal information in one piece of free text, in order of position.

    Looks for e-mail addresses, phone numbers that `phonenumbers` says are *valid* (region GB, so
    national UK formats are understood; Ofcom's drama range 07700 900xxx is not valid), full UK
    postcodes, National Insurance numbers and deny-listed names (whole words, any case). Bracketed
    anonymisation marks such as "[name]" are not checked against the deny-list (everything else is
    screened inside brackets too). The result's ``note`` says whether names were checked.
    """
    hits: list[PiiHit] = []
    if not isinstance(text, str) or not text:
        return ScreenResult(hits, denylist)
    for m in EMAIL.finditer(text):
        hits.append(PiiHit("e-mail address", f"an e-mail address beginning {m.group()[0]!r}", m.start(), m.end()))
    for phone in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID):
        if any(h.start <= phone.start < h.end for h in hits):  # digits inside an e-mail address
            continue
        kind, hint = _hint_phone(phone)
        hits.append(PiiHit(kind, hint, phone.start, phone.end))
    for m in POSTCODE.finditer(text):
        hint = f"a full UK postcode in {m.group('outward').upper()}"
        hits.append(PiiHit("UK postcode", hint, m.start(), m.end()))
    for m in NINO.finditer(text):
        tail = re.sub(r"[\s-]", "", m.group())[-2:].upper()
        hint = f"a National Insurance number ending {tail}"
        hits.append(PiiHit("National Insurance number", hint, m.start(), m.end()))
    if denylist.pattern is not None:
        masked = _BRACKETED.sub(lambda m: " " * len(m.group()), text)
        for m in denylist.pattern.finditer(masked):
            hint = f"a deny-listed name beginning {m.group()[0].upper()!r}"
            hits.append(PiiHit("name on the deny-list", hint, m.start(), m.end()))
    hits.sort(key=lambda h: (h.start, h.end, h.kind))
    return ScreenResult(hits, denylist)


def screen_table(
    frame: pd.DataFrame,
    columns: list[str],
    file: str,
    first_row_number: int = 2,
    *,
    denylist: Denylist,
) -> ScreenResult:
    """Problems for every possible piece of personal information in the given text columns.

    Rows are numbered as in the CSV file: the frame's first row is ``first_row_number`` (header = row 1).
    Messages name the kind of hit and a hint, never the full matched text. The result's ``note`` says
    whether names were checked against a deny-list.
    """
    problems: list[Problem] = []
    for column in columns:
        if column not in frame.columns:
            problems.append(Problem(file, "column to screen for personal information is missing", column=column))
            continue
        for position, value in enumerate(frame[column].tolist()):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            for hit in screen_text(str(value), denylist):
                problems.append(
                    Problem(
                        file,
                        f"possible personal information — {hit.hint} (characters {hit.start + 1}–{hit.end}); "
                        "remove it or replace it with a [bracketed] description",
                        row=first_row_number + position,
                        column=column,
                    )
                )
    return ScreenResult(problems, denylist)

