"""Shared wording and quotes for the qualitative chapters: interviews (05), practitioners and partners (07), sense check (08), social media (06).

Every number and sentence these chapters show is built here, so the templates only call functions
and the logic is unit tested. Each section function takes the loaded chapter (`cityconv.chapters.loader.
Chapter`, or the summary built from it) and returns Markdown text, a `present.Table`, a
`present.Chart`, or None when there is nothing to show, so `present.show` needs no logic in the
notebook. When a source file is absent for a ward, the text says so plainly instead of failing.

Honest wording. A ward's records may be observed, reconstructed or synthetic (`params.data_status`).
Only the figures in `published_figures.csv` are published; any other number (the split of interviews
between groups, how often a theme was coded, which workshop raised which theme) is a property of the
records. The status is said once per page (the banner), in every caption and table source and in the
CSV downloads, not in every sentence. Wording that belongs to one ward (its partner, its places, its
publications) comes only from that ward's own files; a synthetic ward has none, so its pages never
mention them. Reader prose longer than a sentence lives in `templates/<chapter>/*.md` (Jinja2).

Disclosure control (`cityconv.methods.disclosure`):

* Interview theme counts by interviewee group are counts of people. They are protected *with their
  complements*: for each theme, a table group × {raised, not raised} whose row totals are the numbers
  interviewed in each group. All theme tables are protected together (`suppress_linked`, linked
  through the group axis), so a count is withheld if it is small, if "all but a few" of a group raised
  the theme (the number who did not is small), or if it could be worked out from the totals.
* Survey mention counts (sense check) are counts of respondents and go through `protect_counts`;
  percentages through `protect_percentages`.
* Prose never states a count below the threshold: it says "fewer than 5" for a small count, and
  "withheld" for a count suppressed only to protect another.
* Published quotes are shown verbatim, attributed by role only, after `check_quote_attribution` and
  the free-text screen (`screen_text`). A quote whose role is not an allowed attribution is shown
  without it; a quote with a possible piece of personal information is withheld.
* Workshop themes (which workshop raised which finding) describe discussions, not people, and are
  shown as ticks; the number attending each workshop is a count of people and is protected.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cityconv.core.escaping import myst_escape
from cityconv.data import chapter_registry
from cityconv.data import wardfiles as datafiles
from cityconv.data.denylist import NoDenylistWarning, load_denylist
from cityconv.methods.attribution import check_quote_attribution
from cityconv.methods.disclosure import DisclosureRules, ProtectedTable
from cityconv.methods.pii import screen_text
from cityconv.present import fmt_int, join_words
from cityconv.present.prose import render_template

#: The qualitative chapters' prose: one folder of Markdown (Jinja2) templates per chapter.
TEMPLATES = Path(__file__).parent / "templates"

PRACTITIONER_ROLE = "Practitioner (workshop participant)"
RAISED, NOT_RAISED = "raised", "not raised"
GROUP_AXIS = "interviewee_type"
FIG_WIDTH = 6.2
TOP_N = 2  # "most often highlighted": the two most named codes (ties included), as the slides report two

SOURCE_PUBLISHED = (
    "The City Conversation in Clubmoor: findings presentation, Heseltine Institute for Public Policy, "
    "Practice and Place, University of Liverpool (2020-21)"
)
SOURCE_KEYS = {"clubmoor_slides_2021": SOURCE_PUBLISHED}

SECTION_INTRO = {
    "practitioners": "What the workshops set out to do:",
    "partners": "What the project partners reflected:",
    "implications": "The implications drawn for policy and practice:",
    "legacy": "What the project leaves behind:",
}
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]

# Which ward survey codes correspond to each item of the citywide consultation of autumn 2019.
# This is our interpretation (project interpretation), matching the slide's wording to the survey's
# code labels; `housing`, `green_spaces`, `location`, ... have no citywide counterpart as published.
CITYWIDE_MATCHES: dict[str, dict[str, tuple[str, ...]]] = {
    "strength_community": {"best_things": ("community",)},
    "improve_traffic": {"improve": ("traffic_roads",)},
    "improve_street": {"improve": ("street_cleanliness",)},
    "improve_crime": {"improve": ("crime_asb",)},
    "improve_services": {"improve": ("public_services", "things_to_do", "green_space_maintenance")},
    "improve_communication": {"improve": ("communication",)},
}
SHORT_GROUP = {"survey_respondent": "Survey respondents", "community_researcher": "Community researchers",
               "board_member": "Board members"}
SHORT_QUESTION = {"best_things": "Best thing", "improve": "To improve"}
QUESTION_WORDS = {"best_things": "best things about the area", "improve": "things that could be improved"}
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]


# ================================================================================================
# shared wording helpers
# ================================================================================================


def render(chapter: str, name: str, context: dict) -> str:
    """One of a chapter's prose templates (`templates/<chapter>/<name>.md`), filled from data."""
    return render_template(TEMPLATES / chapter, name, context)


def chapter_link(name: str, text: str | None = None) -> str:
    """A MyST link to another chapter of the same ward (by its name in `cityconv.data.chapter_registry`,
    e.g. "residents-survey"): every mention of a chapter is a link, titled as the chapter is."""
    page = chapter_registry.find_page(name)
    if page is None:  # a project without that chapter: no link that would break
        return text or name.replace("-", " ")
    return f"{{doc}}`{text or chapter_registry.title(name)} <{page}>`"


def analysts_note(lines: list[str]) -> str:
    """A collapsed "For analysts" note: the only place file names and codes appear in a chapter's prose."""
    body = "\n".join(f"- {line}" for line in lines)
    return f":::{{admonition}} For analysts\n:class: note dropdown\n\n{body}\n:::"


def number_word(n: int) -> str:
    """Small numbers of things (not people) in words, "three groups"; 11 and over in figures."""
    n = int(n)
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else fmt_int(n)


def count_text(n: int, rules: DisclosureRules) -> str:
    """A count for prose: the number, or "fewer than 5" when it is small (never the small number)."""
    n = int(n)
    if rules.is_small(n):
        return f"fewer than {fmt_int(rules.threshold)}"
    return fmt_int(n)


def _protected_text(table: ProtectedTable, row, col, rules: DisclosureRules) -> str:
    """A protected cell for prose: its number, "fewer than 5" (primary) or "a withheld number"."""
    if bool(table.primary.loc[row, col]):
        return f"fewer than {fmt_int(rules.threshold)}"
    if bool(table.mask.loc[row, col]):
        return "a withheld number"
    return fmt_int(table.counts.loc[row, col])




def published_figure(data, figure_id: str) -> float | None:
    """The value of one row of published_figures.csv, or None (no file, or no such figure)."""
    figures = getattr(data, "published_figures", None) if data is not None else None
    if figures is None:
        return None
    row = figures.loc[figures["figure_id"].astype(str) == figure_id, "value"]
    if len(row) != 1 or pd.isna(row.iloc[0]):
        return None
    return float(row.iloc[0])


def published_wording(data, figure_id: str) -> str | None:
    figures = getattr(data, "published_figures", None) if data is not None else None
    if figures is None:
        return None
    row = figures.loc[figures["figure_id"].astype(str) == figure_id, "source_text"]
    return None if len(row) != 1 else str(row.iloc[0])


@lru_cache(maxsize=None)
def code_labels(stem: str, column: str) -> dict[str, str]:
    """value -> label for an enumerated column, from the schema (so labels never drift from the codebook)."""
    d = datafiles.schema_descriptor(stem)
    f = next(f for f in d["fields"] if f["name"] == column)
    return {c["value"]: c["label"] for c in f.get("categories", [])}


def frame_labels(stem: str, column: str, used) -> dict[str, str]:
    """value -> label for a coded column, restricted to the coding frame the ward's codes come from.

    Why: a schema may hold several coding frames (`x-frames`: Clubmoor's published findings, a general
    frame for a new study); a ward's tables and "not raised" lists show its own frame only, never
    another study's findings. With no codes (or no frames) every category is returned.
    """
    labels = code_labels(stem, column)
    field = next(f for f in datafiles.schema_descriptor(stem)["fields"] if f["name"] == column)
    frames: dict[str, list[str]] = field.get("x-frames", {})
    codes = {str(c) for c in used} if used is not None else set()
    chosen = next((members for members in frames.values() if codes & set(members)), None)
    return labels if chosen is None else {c: labels[c] for c in chosen if c in labels}


def survey_code_labels(question: str, data=None) -> dict[str, str]:
    """code -> label for a survey question, from the ward's own questionnaire when it has one.

    Labels travel with the data: Clubmoor's questionnaire names its own park, another ward's does not.
    """
    questionnaire = getattr(data, "questionnaire", None) if data is not None else None
    if questionnaire is not None:
        return dict(questionnaire.labels(question)) if questionnaire.has(question) else {}
    return dict(datafiles.schema_descriptor("survey_mentions")["x-code-labels-by-question"].get(question, {}))


def not_available_text(ward: str, what: str, files: list[str]) -> str:
    """A plain "nothing here" note; the missing file names go in the collapsed analysts' note."""
    names = join_words([f"`{f}`" for f in files], "or")
    return (f"> **Not available.** {_escape(ward)}'s records hold no {what}, so this section has nothing to show.\n\n"
            + analysts_note([f"The ward's data folder has no {names}."]))


# ================================================================================================
# quotes
# ================================================================================================

def _escape(text: str) -> str:
    """Escape MyST syntax so a quote renders exactly as written (e.g. "[laughs]" is not a link, "$x$" not maths)."""
    return myst_escape(text)


def _unescape(text: str) -> str:
    """The text `_escape` was given, back from its escaped form (for tests that compare with the data)."""
    return re.sub(r"\\([\\`*_{}\[\]<>#|~$:!^%=+().-])", r"\1", text)


def attribution(role: str, basis: str | None, rules: DisclosureRules) -> str:
    """The attribution line under a quote: the role only, checked by `check_quote_attribution`."""
    try:
        check_quote_attribution(str(role), None, None, rules)
    except ValueError:
        return "the speaker's role is not printed in the source"
    if basis == "project interpretation":
        return f"{role} (role inferred from the slide, not printed beside the quote)"
    return str(role)


def quote_markdown(text: str, role: str, basis: str | None = "published", rules: DisclosureRules | None = None) -> str:
    """One published quote as a Markdown block quote: verbatim text in quotation marks, then the role.

    Returns "" if the free-text screen finds possible personal information (the quote is withheld).
    """
    rules = rules or DisclosureRules()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDenylistWarning)
        hits = screen_text(str(text), load_denylist())
    if hits:
        return ""
    return f"> “{_escape(text)}”\n>\n> — {attribution(role, basis, rules)}"


def quotes_markdown(quotes: pd.DataFrame | None, theme_labels: dict[str, str], rules: DisclosureRules,
                    theme_order: list[str] | None = None) -> str:
    """Quotes grouped under their themes (bold theme label, then each quote), in theme order."""
    if quotes is None or quotes.empty:
        return ""
    q = quotes.copy()
    q["theme"] = q["theme"].astype(str)
    order = list(theme_order or theme_labels)
    order += [t for t in dict.fromkeys(q["theme"]) if t not in order]
    blocks, withheld = [], 0
    for theme in order:
        rows = q[q["theme"] == theme]
        if rows.empty:
            continue
        parts = []
        for _, r in rows.iterrows():
            block = quote_markdown(r["text"], r["speaker_role"], r.get("speaker_role_basis"), rules)
            if block:
                parts.append(block)
            else:
                withheld += 1
        if parts:
            blocks.append(f"**{_escape(theme_labels.get(theme, theme))}**\n\n" + "\n\n".join(parts))
    if withheld:
        blocks.append(f"{fmt_int(withheld)} "
                      f"quote{'s were' if withheld != 1 else ' was'} withheld because it may contain personal information.")
    return "\n\n".join(blocks)
