"""The qualitative findings chapters: interviews (05), practitioners and partners (07), sense check (08).

Every number and sentence these chapters show is built here, so the templates only call functions
and the logic is unit tested. Each section function takes the loaded chapter (`cityconv.chapter.
Chapter`, or the summary built from it) and returns Markdown text, a `present.Table`, a
`present.Chart`, or None when there is nothing to show, so `present.show` needs no logic in the
notebook. When a source file is absent for a ward, the text says so plainly instead of failing.

Honest wording. A ward's records may be observed, reconstructed or synthetic (`params.data_status`).
Only the figures in `published_figures.csv` are published; any other number (the split of interviews
between groups, how often a theme was coded, which workshop raised which theme) is a property of the
records, and for reconstructed or synthetic records the prose says "in the reconstructed records" (or
"in the synthetic records") so that no such number reads as a finding about the ward.

Disclosure control (`cityconv.disclosure`):

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
import textwrap
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from . import datafiles
from .disclosure import (
    SUPPRESSED,
    TOTAL,
    DisclosureRules,
    NoDenylistWarning,
    ProtectedTable,
    assert_publishable,
    check_quote_attribution,
    protect_counts,
    protect_percentages,
    screen_text,
    suppress_linked,
)
from .present import PALETTE, WARD_COLOUR, Chart, Table, capitalise, fmt_int, fmt_pct, join_words

__all__ = [
    "FindingsStatements",
    "InterviewSummary",
    "PractitionerSummary",
    "SenseCheck",
    "CITYWIDE_MATCHES",
    "count_text",
    "number_word",
    "records_phrase",
    "published_figure",
    "quote_markdown",
    "quotes_markdown",
    "interview_summary",
    "interview_intro_text",
    "interview_groups_text",
    "interview_themes_text",
    "interview_theme_table",
    "interview_theme_chart",
    "interview_quotes_text",
    "practitioner_summary",
    "practitioner_intro_text",
    "workshop_table",
    "workshop_theme_table",
    "workshop_themes_text",
    "workshop_theme_chart",
    "practitioner_quotes_text",
    "statements_text",
    "load_findings_statements",
    "sense_check",
    "citywide_text",
    "citywide_table",
    "sense_check_table",
    "sense_check_text",
    "sense_check_chart",
]

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


def records_phrase(status: str) -> str:
    """How to refer to the ward's records in prose, by their data status."""
    return {
        "reconstructed": "in the reconstructed records",
        "synthetic": "in the synthetic demonstration records",
    }.get(status, "in the records")


def records_caveat(status: str) -> str:
    """A sentence placed after any number that is not published (empty for observed records)."""
    return {
        "reconstructed": " These numbers are properties of the reconstruction, made up to agree with the "
        "published summary, not findings about the ward.",
        "synthetic": " These numbers come from synthetic demonstration records and are not findings.",
    }.get(status, "")


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


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym or a name-like word (Covid-19)."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and (first.isupper() or any(ch.isdigit() for ch in first) or first == "MyClubmoor"):
        return text
    return text[:1].lower() + text[1:]


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


def survey_code_labels(question: str) -> dict[str, str]:
    return dict(datafiles.schema_descriptor("survey_mentions")["x-code-labels-by-question"].get(question, {}))


def not_available_text(ward: str, what: str, files: list[str]) -> str:
    names = join_words([f"`{f}`" for f in files], "or")
    return (f"> **Not available.** No {what} {'is' if what.endswith('data') else 'are'} recorded for {ward}: "
            f"its data folder has no {names}, so this section has nothing to show.")


# ================================================================================================
# quotes
# ================================================================================================

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def _escape(text: str) -> str:
    """Escape Markdown syntax so a quote renders exactly as written (e.g. "[laughs]" is not a link)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]<>#|~$])", r"\1", text)


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
        hits = screen_text(str(text))
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


# ================================================================================================
# interviews (chapter 05)
# ================================================================================================


@dataclass
class InterviewSummary:
    """A ward's interviews: counts by group and by theme, protected for publication."""

    ward: str
    status: str
    source: str
    rules: DisclosureRules
    data: object
    interviews: pd.DataFrame | None
    themes: pd.DataFrame | None
    quotes: pd.DataFrame | None
    groups: list[str] = field(default_factory=list)  # interviewee types with at least one interview
    by_group: pd.Series | None = None  # interviews per group (true counts; NOT for publication)
    raised: pd.DataFrame | None = None  # theme x group: interviews raising the theme (true counts)
    protected: dict[str, ProtectedTable] = field(default_factory=dict)  # theme -> group x {raised, not raised}

    @property
    def n(self) -> int:
        return 0 if self.interviews is None else len(self.interviews)

    @property
    def published_n(self) -> int | None:
        v = published_figure(self.data, "interviews")
        return None if v is None else int(v)

    @property
    def group_labels(self) -> dict[str, str]:
        return code_labels("interviews", "interviewee_type")

    @property
    def theme_labels(self) -> dict[str, str]:
        return code_labels("interview_themes", "theme")

    def total_cell(self, theme: str) -> str:
        """Display value of 'interviews raising this theme' (all groups)."""
        return str(self.protected[theme].display.loc[TOTAL, RAISED])


def _protect_themes(raised: pd.DataFrame, by_group: pd.Series, rules: DisclosureRules) -> dict[str, ProtectedTable]:
    tables = {}
    for theme in raised.index:
        r = raised.loc[theme].astype(int)
        frame = pd.DataFrame({RAISED: r, NOT_RAISED: (by_group - r).astype(int)})
        frame.index.name = GROUP_AXIS
        tables[str(theme)] = frame
    if len(by_group) >= 2:
        return suppress_linked(tables, rules)
    # One group only: each theme is a one-way table raised / not raised with total = interviews.
    out = {}
    for theme, frame in tables.items():
        one = frame.iloc[0]
        one.index.name = "raised"
        p = protect_counts(one, rules)
        # reshape to the same layout as the linked case: rows group + Total, columns raised/not raised/Total
        g = frame.index[0]
        disp = pd.DataFrame([[p.display.iloc[0, 0], p.display.iloc[1, 0], p.display.iloc[2, 0]]] * 2,
                            index=[g, TOTAL], columns=[RAISED, NOT_RAISED, TOTAL])
        mask = pd.DataFrame([[bool(p.mask.iloc[0, 0]), bool(p.mask.iloc[1, 0]), bool(p.mask.iloc[2, 0])]] * 2,
                            index=disp.index, columns=disp.columns)
        prim = pd.DataFrame([[bool(p.primary.iloc[0, 0]), bool(p.primary.iloc[1, 0]), bool(p.primary.iloc[2, 0])]] * 2,
                            index=disp.index, columns=disp.columns)
        counts = pd.DataFrame([[int(p.counts.iloc[0, 0]), int(p.counts.iloc[1, 0]), int(p.counts.iloc[2, 0])]] * 2,
                              index=disp.index, columns=disp.columns)
        out[theme] = ProtectedTable(disp, mask, prim, mask & ~prim, p.notes, counts, rules)
    return out


def interview_summary(ch) -> InterviewSummary:
    """Count and protect a ward's interview coding (works with any subset of the interview files)."""
    data, params = ch.data, ch.params
    interviews = getattr(data, "interviews", None) if data is not None else None
    themes = getattr(data, "interview_themes", None) if data is not None else None
    quotes = getattr(data, "quotes", None) if data is not None else None
    if quotes is not None:
        quotes = quotes[quotes["speaker_role"].astype(str) != PRACTITIONER_ROLE].reset_index(drop=True)
    s = InterviewSummary(params.title, params.data_status, ch.records_source, ch.rules, data, interviews, themes, quotes)
    if interviews is None or interviews.empty:
        return s
    order = list(code_labels("interviews", "interviewee_type"))
    counts = interviews["interviewee_type"].astype(str).value_counts()
    s.groups = [g for g in order if counts.get(g, 0) > 0] + sorted(set(counts.index) - set(order))
    s.by_group = pd.Series([int(counts[g]) for g in s.groups], index=pd.Index(s.groups, name=GROUP_AXIS))
    if themes is None:
        return s
    merged = themes.merge(interviews[["interview_id", "interviewee_type"]], on="interview_id", how="inner")
    merged = merged.drop_duplicates(["interview_id", "theme"])
    theme_order = [t for t in code_labels("interview_themes", "theme")]
    theme_order += sorted(set(merged["theme"].astype(str)) - set(theme_order))
    raised = pd.crosstab(merged["theme"].astype(str), merged["interviewee_type"].astype(str))
    raised = raised.reindex(index=theme_order, columns=s.groups, fill_value=0).astype(int)
    raised.index.name, raised.columns.name = "theme", GROUP_AXIS
    s.raised = raised
    s.protected = _protect_themes(raised, s.by_group, ch.rules)
    return s


def interview_intro_text(s: InterviewSummary) -> str:
    if s.interviews is None:
        return not_available_text(s.ward, "interviews", ["interviews.csv"])
    pub = s.published_n
    wording = published_wording(s.data, "interviews")
    if pub is not None:
        text = f"The City Conversation in {s.ward} included **{fmt_int(pub)} interviews** (published figure"
        if wording:
            text += f"; the source reads: “{_escape(wording.rstrip('.'))}”"
        text += ")."
        if pub == s.n:
            text += f" The records hold the same {fmt_int(s.n)} interviews."
        else:
            text += (f" **The records hold {count_text(s.n, s.rules)} interviews, which does not match the "
                     "published figure;** the counts below are from the records.")
    else:
        text = (f"The records for {s.ward} hold **{count_text(s.n, s.rules)} interviews**; no published figure "
                "is recorded for this ward, so the count comes from the records alone.")
    months = sorted(set(s.interviews["month"].dropna().astype(str)))
    if months:
        first, last = pd.Period(months[0], "M"), pd.Period(months[-1], "M")
        span = first.strftime("%B %Y") if first == last else f"{first.strftime('%B')} to {last.strftime('%B %Y')}" \
            if first.year == last.year else f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}"
        text += f" They took place {'in' if first == last else 'from'} {span}."
    return text


def interview_groups_text(s: InterviewSummary) -> str:
    if s.interviews is None or s.by_group is None:
        return ""
    labels = s.group_labels
    parts = [f"{count_text(s.by_group[g], s.rules)} with {_lower_first(labels.get(g, g))}s" for g in s.groups]
    parts[0] = parts[0].replace(" with ", " interviews were with ", 1)
    text = (f"Interviewees were recruited from {number_word(len(s.groups))} group{'s' if len(s.groups) != 1 else ''}: "
            f"{join_words([_lower_first(labels.get(g, g)) + 's' for g in s.groups])}. "
            f"{capitalise(records_phrase(s.status))}, {join_words(parts)}.")
    return text + records_caveat(s.status)


def interview_themes_text(s: InterviewSummary) -> str:
    if s.interviews is None:
        return ""
    if s.themes is None or s.raised is None:
        return not_available_text(s.ward, "interview coding", ["interview_themes.csv"])
    labels = s.theme_labels
    shown = [(t, int(s.raised.loc[t].sum())) for t in s.raised.index if not bool(s.protected[t].mask.loc[TOTAL, RAISED])]
    shown.sort(key=lambda x: -x[1])
    text = ""
    if shown:
        top = [x for x in shown if x[1] >= shown[min(2, len(shown) - 1)][1]][:4]
        items = [f"{_lower_first(labels.get(t, t))} ({fmt_int(n)}{f' of the {fmt_int(s.n)} interviews' if i == 0 else ''})"
                 for i, (t, n) in enumerate(top)]
        text += f"{capitalise(records_phrase(s.status))}, the themes raised in most interviews are {join_words(items)}."
    n_withheld = sum(int(p.mask.loc[[g for g in p.mask.index if g != TOTAL], RAISED].sum()) for p in s.protected.values())
    n_cells = len(s.protected) * len(s.groups)
    if n_withheld and len(s.groups) > 1:
        text += (f" Of the {fmt_int(n_cells)} theme-by-group counts, {fmt_int(n_withheld)} are withheld ({SUPPRESSED}) "
                 "to protect the people interviewed, so differences between the groups cannot be read from this table.")
    return (text + records_caveat(s.status)).strip()


def interview_theme_table(s: InterviewSummary) -> Table | None:
    if s.raised is None:
        return None
    labels, glabels = s.theme_labels, s.group_labels
    rows = []
    for t in s.raised.index:
        d = s.protected[t].display
        rows.append([labels.get(t, t)] + [str(d.loc[g, RAISED]) for g in s.groups] + [str(d.loc[TOTAL, RAISED])])
    any_t = next(iter(s.protected.values())).display
    rows.append(["Interviews (all themes)"] + [str(any_t.loc[g, TOTAL]) for g in s.groups] + [str(any_t.loc[TOTAL, TOTAL])])
    columns = ["Theme"] + [SHORT_GROUP.get(g, glabels.get(g, g)) for g in s.groups] + ["All"]
    frame = pd.DataFrame(rows, columns=columns)
    assert_publishable(frame.set_index("Theme"), s.rules)
    notes = [
        "Each cell is the number of interviews in that group in which the theme was coded; an interview can "
        "raise several themes, so the columns do not add up to the number of interviews (last row).",
        f"{SUPPRESSED} withheld: fewer than {s.rules.threshold} interviewees, or all but fewer than "
        f"{s.rules.threshold} of a group, or a number that would let a withheld one be worked out.",
    ]
    if s.status != "observed":
        notes.append("Which interview raised which theme, and the split between groups, are "
                     f"{'reconstructed' if s.status == 'reconstructed' else 'synthetic'}: not findings.")
    pub = s.published_n
    if pub is not None:
        notes.append(f"The number of interviews ({fmt_int(pub)}) is published.")
    return Table(frame, title=f"Interview themes by interviewee group: {s.ward}",
                 source=s.source, units="Number of interviews", notes=notes)


def _new_figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _wrap(text: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(str(text), width))


def interview_theme_chart(s: InterviewSummary) -> Chart | None:
    """Bar chart: in how many interviews each theme was raised (all groups; withheld totals left out)."""
    if s.raised is None:
        return None
    import seaborn as sns

    labels = s.theme_labels
    rows = [(labels.get(t, t), int(s.raised.loc[t].sum())) for t in s.raised.index
            if not bool(s.protected[t].mask.loc[TOTAL, RAISED])]
    left_out = len(s.raised.index) - len(rows)
    if not rows:
        return None
    data = pd.DataFrame(rows, columns=["theme", "interviews"]).sort_values("interviews", ascending=False, kind="stable")
    fig = _new_figure(FIG_WIDTH, 0.42 * len(data) + 1.6)
    ax = fig.add_subplot()
    sns.barplot(data=data, y="theme", x="interviews", color=WARD_COLOUR, orient="h", ax=ax)
    for container in ax.containers:
        ax.bar_label(container, labels=[fmt_int(v) for v in container.datavalues], padding=3, fontsize=10)
    ax.set_yticks(range(len(data)), [_wrap(t, 34) for t in data["theme"]])
    ax.set_xlim(0, max(s.n, 1) * 1.08)
    ax.set_title("\n".join(textwrap.wrap(f"Themes raised in the interviews: {s.ward}", 48)))
    ax.set_xlabel(f"Number of interviews (of {fmt_int(s.n)})")
    ax.set_ylabel("Theme")
    ax.grid(axis="y", visible=False)
    first, last = data.iloc[0], data.iloc[-1]
    alt = (
        f"Horizontal bar chart of the number of the {fmt_int(s.n)} interviews in which each of "
        f"{len(data)} themes was raised, {records_phrase(s.status)}, most often at the top. "
        f"{first['theme']} is raised most often ({fmt_int(first['interviews'])} interviews) and "
        f"{_lower_first(last['theme'])} least often ({fmt_int(last['interviews'])})."
    )
    if left_out:
        alt += f" {fmt_int(left_out)} theme(s) are left out because their counts are withheld."
    alt += " The figures are in the table below."
    caption = f"Interviews in which each theme was coded, all interviewee groups together. Source: {s.source}."
    return Chart(fig, alt, caption)


def interview_quotes_text(s: InterviewSummary) -> str:
    if s.data is None or getattr(s.data, "quotes", None) is None:
        return not_available_text(s.ward, "published quotes", ["quotes.csv"])
    if s.quotes is None or s.quotes.empty:
        return f"No published quotes from residents are recorded for {s.ward}."
    labels = code_labels("quotes", "theme")
    order = list(code_labels("interview_themes", "theme"))
    body = quotes_markdown(s.quotes, labels, s.rules, order)
    return body


# ================================================================================================
# practitioners and partners (chapter 07)
# ================================================================================================


@dataclass
class FindingsStatements:
    frame: pd.DataFrame | None

    def section(self, name: str) -> pd.DataFrame:
        if self.frame is None:
            return pd.DataFrame(columns=["statement_id", "section", "text", "source_key", "location"])
        f = self.frame[self.frame["section"].astype(str) == name]
        return f.sort_values("statement_id", key=lambda c: c.astype(str).str[1:].astype(int)).reset_index(drop=True)


def load_findings_statements(data) -> FindingsStatements:
    """The ward's `findings_statements.csv` (validated with the rest of its folder), if it has one."""
    return FindingsStatements(None if data is None else data.findings_statements)


@dataclass
class PractitionerSummary:
    ward: str
    status: str
    source: str
    rules: DisclosureRules
    data: object
    workshops: pd.DataFrame | None
    themes: pd.DataFrame | None
    quotes: pd.DataFrame | None
    statements: FindingsStatements
    participants: ProtectedTable | None = None

    @property
    def theme_labels(self) -> dict[str, str]:
        return code_labels("workshop_themes", "theme")


def practitioner_summary(ch) -> PractitionerSummary:
    data, params = ch.data, ch.params
    workshops = getattr(data, "workshops", None) if data is not None else None
    themes = getattr(data, "workshop_themes", None) if data is not None else None
    quotes = getattr(data, "quotes", None) if data is not None else None
    if quotes is not None:
        quotes = quotes[quotes["speaker_role"].astype(str) == PRACTITIONER_ROLE].reset_index(drop=True)
    s = PractitionerSummary(params.title, params.data_status, ch.records_source, ch.rules, data, workshops,
                            themes, quotes, load_findings_statements(data))
    if workshops is not None and not workshops.empty:
        w = workshops.sort_values("workshop_number")
        counts = pd.Series(w["participants"].astype(int).to_numpy(),
                           index=pd.Index([_workshop_label(r) for _, r in w.iterrows()], name="workshop"),
                           name="Participants")
        s.participants = protect_counts(counts, ch.rules)
    return s


def _workshop_label(row) -> str:
    month = pd.Period(str(row["month"]), "M").strftime("%B %Y")
    return f"Workshop {int(row['workshop_number'])} ({month})"


def practitioner_intro_text(s: PractitionerSummary) -> str:
    if s.workshops is None:
        return not_available_text(s.ward, "practitioner workshops", ["workshops.csv"])
    n_pub = published_figure(s.data, "practitioner_workshops")
    p_pub = published_figure(s.data, "practitioner_participants")
    n_rec = len(s.workshops)
    p_rec = int(s.workshops["participants"].sum())
    if n_pub is not None and p_pub is not None:
        text = (f"**{fmt_int(n_pub)} practitioner workshops** were held with **{fmt_int(p_pub)} participants** "
                "in total (published figures)")
        wording = published_wording(s.data, "practitioner_participants")
        text += f"; the source reads: “{_escape(wording.rstrip('.'))}”." if wording else "."
        if int(n_pub) == n_rec and int(p_pub) == p_rec:
            text += " The records agree with both figures."
        else:
            text += (" **The records do not match the published figures** "
                     f"({fmt_int(n_rec)} workshops, {count_text(p_rec, s.rules)} participants).")
    else:
        text = (f"The records for {s.ward} hold {fmt_int(n_rec)} practitioner "
                f"workshop{'s' if n_rec != 1 else ''} with {count_text(p_rec, s.rules)} participants in total "
                "(no published figures are recorded for this ward).")
    if s.participants is not None and n_rec > 1 and s.status != "observed":
        text += (f" The split of participants between the workshops is "
                 f"{'reconstructed' if s.status == 'reconstructed' else 'synthetic'}: only the totals are published.")
    return text


def workshop_table(s: PractitionerSummary) -> Table | None:
    if s.participants is None:
        return None
    d = s.participants.display
    frame = pd.DataFrame({"Workshop": [str(i) for i in d.index], "Participants": [str(v) for v in d.iloc[:, 0]]})
    assert_publishable(frame.set_index("Workshop"), s.rules)
    notes = list(s.participants.notes)
    if published_figure(s.data, "practitioner_participants") is not None:
        notes.append("The total is published; the split between workshops is "
                     f"{'reconstructed' if s.status == 'reconstructed' else 'from the records'}.")
    return Table(frame, title=f"Practitioner workshops and participants: {s.ward}", source=s.source,
                 units="Number of participants", notes=notes)


def _split_theme_label(label: str) -> tuple[str, str]:
    group, _, finding = str(label).partition(": ")
    return (group, finding) if finding else ("Other", str(label))


def workshop_theme_table(s: PractitionerSummary) -> Table | None:
    """Each published practitioner finding (workshop theme) and which workshop raised it (ticks)."""
    if s.themes is None or s.workshops is None:
        return None
    w = s.workshops.sort_values("workshop_number")
    ids = list(w["workshop_id"].astype(str))
    names = [f"Workshop {int(n)}" for n in w["workshop_number"]]
    raised = s.themes.assign(theme=s.themes["theme"].astype(str), workshop_id=s.themes["workshop_id"].astype(str))
    rows = []
    for code, label in s.theme_labels.items():
        group, finding = _split_theme_label(label)
        marks = ["Yes" if ((raised["theme"] == code) & (raised["workshop_id"] == i)).any() else "No" for i in ids]
        rows.append([group, capitalise(finding)] + marks)
    frame = pd.DataFrame(rows, columns=["Theme group", "Finding"] + names)
    notes = ["Yes = the finding was raised in that workshop. Themes describe discussions, not people, so no count "
             "of people is shown."]
    if s.status != "observed":
        notes.append(f"Which workshop raised which finding is {'reconstructed' if s.status == 'reconstructed' else 'synthetic'}; "
                     "the findings themselves are published.")
    return Table(frame, title=f"Practitioner findings and the workshops that raised them: {s.ward}",
                 source=s.source, units="Whether raised (Yes/No)", notes=notes)


def workshop_themes_text(s: PractitionerSummary) -> str:
    if s.themes is None:
        return not_available_text(s.ward, "workshop themes", ["workshop_themes.csv"])
    labels = s.theme_labels
    raised = set(s.themes["theme"].astype(str))
    groups: dict[str, list[str]] = {}
    for code, label in labels.items():
        if code in raised:
            g, finding = _split_theme_label(label)
            groups.setdefault(g, []).append(_lower_first(finding))
    lines = ["The practitioners' findings fall into three groups:" if len(groups) == 3 else
             f"The practitioners' findings fall into {len(groups)} group{'s' if len(groups) != 1 else ''}:", ""]
    for g, findings in groups.items():
        lines.append(f"- **{_escape(g)}:** {_escape(join_words(findings))}.")
    missing = [labels[c] for c in labels if c not in raised]
    if missing:
        lines += ["", f"Not raised in any workshop: {_escape(join_words([_lower_first(m) for m in missing]))}."]
    return "\n".join(lines)


def workshop_theme_chart(s: PractitionerSummary) -> Chart | None:
    """A heat-map style grid: findings (rows) by workshop (columns), filled where raised."""
    if s.themes is None or s.workshops is None:
        return None
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    w = s.workshops.sort_values("workshop_number")
    ids = list(w["workshop_id"].astype(str))
    names = [f"Workshop {int(n)}" for n in w["workshop_number"]]
    labels = s.theme_labels
    t = s.themes.assign(theme=s.themes["theme"].astype(str), workshop_id=s.themes["workshop_id"].astype(str))
    grid = pd.DataFrame([[int(((t["theme"] == c) & (t["workshop_id"] == i)).any()) for i in ids] for c in labels],
                        index=[_wrap(_split_theme_label(l)[0] + ": " + _split_theme_label(l)[1], 44) for l in labels.values()],
                        columns=names)
    fig = _new_figure(FIG_WIDTH, 0.5 * len(grid) + 1.4)
    ax = fig.add_subplot()
    sns.heatmap(grid, cmap=ListedColormap(["#F2F2F2", WARD_COLOUR]), vmin=0, vmax=1, cbar=False, linewidths=1,
                linecolor="white", ax=ax, annot=grid.replace({1: "raised", 0: ""}), fmt="",
                annot_kws={"color": "white", "fontsize": 9})
    ax.set_title("\n".join(textwrap.wrap(f"Which workshop raised each practitioner finding: {s.ward}", 48)))
    ax.set_xlabel("Workshop")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=9)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    both = int((grid.sum(axis=1) == len(ids)).sum())
    none = int((grid.sum(axis=1) == 0).sum())
    alt = (f"Grid of {len(grid)} practitioner findings (rows) by {len(ids)} workshops (columns), a cell filled where "
           f"the workshop raised the finding, {records_phrase(s.status)}. "
           f"{capitalise(number_word(both))} of the {number_word(len(grid))} findings were raised in every workshop"
           + (f" and {number_word(none)} in none" if none else "") + ". The same information is in the table below.")
    return Chart(fig, alt, f"Practitioner findings by workshop. Source: {s.source}.")


def practitioner_quotes_text(s: PractitionerSummary) -> str:
    if s.data is None or getattr(s.data, "quotes", None) is None:
        return not_available_text(s.ward, "published quotes", ["quotes.csv"])
    if s.quotes is None or s.quotes.empty:
        return f"No published quotes from practitioners are recorded for {s.ward}."
    labels = {**code_labels("quotes", "theme"), **code_labels("workshop_themes", "theme")}
    pretty = {k: " — ".join(_split_theme_label(v)) if ": " in v else v for k, v in labels.items()}
    body = quotes_markdown(s.quotes, pretty, s.rules, list(code_labels("workshop_themes", "theme")))
    return ("The practitioners' published quotes, verbatim, under the finding each illustrates (our coding), "
            "attributed by role only.\n\n" + body)


def statements_text(s: PractitionerSummary, section: str) -> str:
    """The published statements of one section as a bullet list, with where they are published."""
    rows = s.statements.section(section)
    if s.statements.frame is None:
        return not_available_text(s.ward, "published partner reflections, implications or legacy statements",
                                  ["findings_statements.csv"])
    if rows.empty:
        return f"No statements of this kind are recorded for {s.ward}."
    lines = [SECTION_INTRO.get(section, ""), ""]
    lines += [f"- {_escape(t.strip())}" for t in rows["text"].astype(str)]
    where = join_words([f"“{_escape(l)}”" for l in dict.fromkeys(rows["location"].astype(str))])
    sources = join_words(sorted({SOURCE_KEYS.get(k, k) for k in rows["source_key"].astype(str)}))
    lines += ["", f"*Summarised in our own words from {sources}, slide {where}.*"]
    return "\n".join(lines)


# ================================================================================================
# sense check (chapter 08)
# ================================================================================================


@dataclass
class SenseCheck:
    ward: str
    status: str
    source: str
    rules: DisclosureRules
    data: object
    citywide: pd.DataFrame | None
    mentions: pd.DataFrame | None
    counts: dict[str, pd.Series] = field(default_factory=dict)  # question -> code -> respondents (true)
    bases: dict[str, int] = field(default_factory=dict)  # question -> respondents answering
    protected: dict[str, ProtectedTable] = field(default_factory=dict)
    top: dict[str, list[str]] = field(default_factory=dict)  # question -> top codes (ties included)
    matches: pd.DataFrame | None = None  # one row per top code: question, code, item_id, item label, order

    @property
    def improvement_areas(self) -> pd.DataFrame:
        c = self.citywide
        if c is None:
            return pd.DataFrame(columns=["item_id", "label", "list_order"])
        return c[c["item_type"].astype(str) == "improvement_area"].sort_values("list_order").reset_index(drop=True)

    @property
    def strengths(self) -> pd.DataFrame:
        c = self.citywide
        if c is None:
            return pd.DataFrame(columns=["item_id", "label", "list_order"])
        return c[c["item_type"].astype(str) == "strength"].sort_values("list_order").reset_index(drop=True)

    @property
    def participants(self) -> int | None:
        c = self.citywide
        if c is None:
            return None
        v = c.loc[c["item_type"].astype(str) == "participants", "count"]
        return int(v.iloc[0]) if len(v) == 1 and pd.notna(v.iloc[0]) else None


def top_codes(counts: pd.Series, n: int = TOP_N) -> list[str]:
    """The n most named codes, ties with the n-th included; "other" never counts as a top code."""
    c = counts.drop("other", errors="ignore")
    c = c[c > 0].sort_values(ascending=False, kind="stable")
    if c.empty:
        return []
    cut = c.iloc[min(n, len(c)) - 1]
    return [str(k) for k, v in c.items() if v >= cut]


def _citywide_item_for(question: str, code: str) -> str | None:
    for item, by_question in CITYWIDE_MATCHES.items():
        if code in by_question.get(question, ()):
            return item
    return None


def sense_check(ch) -> SenseCheck:
    data, params = ch.data, ch.params
    citywide = getattr(data, "citywide_consultation_2019", None) if data is not None else None
    mentions = getattr(data, "survey_mentions", None) if data is not None else None
    s = SenseCheck(params.title, params.data_status, ch.records_source, ch.rules, data, citywide, mentions)
    if mentions is None:
        return s
    for q in ("best_things", "improve"):
        sub = mentions[mentions["question"].astype(str) == q]
        codes = list(survey_code_labels(q))
        counts = sub.groupby(sub["code"].astype(str))["response_id"].nunique().reindex(codes, fill_value=0).astype(int)
        counts.index.name = f"{q}_code"
        s.counts[q] = counts
        s.bases[q] = int(sub["response_id"].nunique())
        if s.bases[q] == 0:
            continue
        s.protected[q] = protect_counts(counts, ch.rules, with_totals=False)
        # only codes whose count can be published are candidates for "most named"
        publishable = counts[~s.protected[q].mask.iloc[:, 0].reindex(counts.index).astype(bool)]
        s.top[q] = top_codes(publishable)
    rows = []
    items = {} if citywide is None else dict(zip(citywide["item_id"].astype(str), citywide["label"].astype(str)))
    orders = {} if citywide is None else dict(zip(citywide["item_id"].astype(str), citywide["list_order"]))
    types = {} if citywide is None else dict(zip(citywide["item_id"].astype(str), citywide["item_type"].astype(str)))
    for q, codes in s.top.items():
        for code in codes:
            item = _citywide_item_for(q, code)
            present = item is not None and item in items
            rows.append({"question": q, "code": code, "item_id": item if present else None,
                         "item_label": items.get(item) if present else None,
                         "item_type": types.get(item) if present else None,
                         "list_order": int(orders[item]) if present else None})
    s.matches = pd.DataFrame(rows, columns=["question", "code", "item_id", "item_label", "item_type", "list_order"])
    return s


def citywide_text(s: SenseCheck) -> str:
    if s.citywide is None:
        return not_available_text(s.ward, "citywide consultation data", ["citywide_consultation_2019.csv"])
    parts = []
    n = s.participants
    pub = published_figure(s.data, "citywide_participants")
    if n is not None:
        parts.append(f"Liverpool's citywide consultation in autumn 2019 had **{fmt_int(n)} participants**"
                     + (" (published figure)." if pub is not None and int(pub) == n else "."))
    for _, r in s.strengths.iterrows():
        share = r.get("share_more_than")
        if pd.notna(share):
            parts.append(f"{_escape(r['label'])} emerged as the key strength: more than {fmt_pct(float(share))} "
                         "of participants said it was what they liked about where they lived.")
        else:
            parts.append(f"{_escape(r['label'])} emerged as a key strength.")
    areas = s.improvement_areas
    text = " ".join(parts)
    if len(areas):
        text += (" The areas identified for improvement, in the order the slides list them (a list, not a ranking):\n\n"
                 + "\n".join(f"{int(r['list_order'])}. {_escape(r['label'])}" for _, r in areas.iterrows()))
    return text


def citywide_table(s: SenseCheck) -> Table | None:
    if s.citywide is None:
        return None
    rows = []
    n = s.participants
    if n is not None:
        rows.append(["Participants", "Number of participants", fmt_int(n)])
    for _, r in s.strengths.iterrows():
        share = r.get("share_more_than")
        rows.append(["Key strength", str(r["label"]), f"more than {fmt_pct(float(share))} of participants" if pd.notna(share) else "[x]"])
    for _, r in s.improvement_areas.iterrows():
        rows.append(["Area for improvement", str(r["label"]), f"listed {ORDINALS[int(r['list_order']) - 1] if int(r['list_order']) <= 10 else int(r['list_order'])}"])
    frame = pd.DataFrame(rows, columns=["Item", "As published", "Published figure or position"])
    return Table(frame, title="Citywide consultation, autumn 2019: as published",
                 source=SOURCE_PUBLISHED, units="Number of participants; share of participants; order listed",
                 notes=["No counts were published for individual improvement areas: their order is the order "
                        "of the slide's list, not a ranking. [x] = not published."])


def _share_text(s: SenseCheck, q: str, code: str) -> tuple[str, str]:
    p = s.protected[q]
    row = code
    count = _protected_text(p, row, p.counts.columns[0], s.rules)
    pct = protect_percentages(p, s.bases[q], s.rules)
    pct_value = str(pct.loc[row].iloc[0]) if isinstance(pct, pd.DataFrame) else str(pct.loc[row])
    return count, pct_value


def sense_check_table(s: SenseCheck) -> Table | None:
    """The ward's most named best things and things to improve, beside the citywide item each matches."""
    if s.matches is None or s.matches.empty:
        return None
    rows = []
    for _, m in s.matches.iterrows():
        q, code = m["question"], m["code"]
        count, pct = _share_text(s, q, code)
        label = survey_code_labels(q).get(code, code)
        city = m["item_label"] if m["item_label"] else "None published"
        rows.append([f"{SHORT_QUESTION[q]}: {_lower_first(label)}", count, pct, city])
    frame = pd.DataFrame(rows, columns=["Survey answer", "Respondents", "%", "Citywide counterpart"])
    assert_publishable(frame.set_index("Survey answer")[["Respondents"]], s.rules)
    notes = [
        f"The {number_word(TOP_N)} answers named by most respondents for each question (more if tied). "
        "Respondents could name several things, so percentages do not add up to 100%. % = percentage of "
        "respondents answering the question.",
        "Best thing = the best things about the area; to improve = things that could be improved.",
        "Base: respondents answering each question ("
        + "; ".join(f"{SHORT_QUESTION[q].lower()}: {fmt_int(b)}" for q, b in s.bases.items()) + ").",
        "Which survey codes correspond to which citywide item is our interpretation of the slide's wording "
        "(cityconv.qualitative.CITYWIDE_MATCHES).",
    ]
    if s.status != "observed":
        notes.append(f"Counts are from {records_phrase(s.status)[3:]}: not findings about the ward.")
    return Table(frame, title=f"{s.ward}'s most named best things and things to improve, beside the citywide consultation",
                 source=f"{s.source}; {SOURCE_PUBLISHED}", units="Number of respondents; percentage of respondents answering",
                 notes=notes)


def sense_check_text(s: SenseCheck) -> str:
    if s.mentions is None:
        return not_available_text(s.ward, "survey answers about the best things and things to improve",
                                  ["survey_mentions.csv"])
    if s.citywide is None:
        return ("Without the citywide consultation data the ward's answers cannot be compared with it; the ward's "
                "own answers are reported in the survey chapter.")
    if s.matches is None or s.matches.empty:
        return f"No codes can be compared: the survey records for {s.ward} hold no publishable answers to these questions."
    out = []
    for q in ("best_things", "improve"):
        m = s.matches[s.matches["question"] == q]
        if m.empty:
            continue
        labels = survey_code_labels(q)
        names = [_lower_first(labels.get(c, c)) for c in m["code"]]
        matched = m[m["item_label"].notna()]
        unmatched = m[m["item_label"].isna()]
        first = (f"{capitalise(records_phrase(s.status))}, the {QUESTION_WORDS[q]} named most often are "
                 f"{join_words(names)}.")
        bits = []
        if len(matched) == len(m):
            bits.append("All of them match the citywide findings" if len(m) > 2 else
                        ("Both match the citywide findings" if len(m) == 2 else "It matches the citywide findings"))
        elif len(matched) == 0:
            bits.append("None of them matches a citywide finding as published")
        detail = []
        for _, r in matched.iterrows():
            where = ("the key strength" if r["item_type"] == "strength"
                     else f"the improvement area listed {ORDINALS[int(r['list_order']) - 1]}")
            detail.append(f"{_lower_first(labels.get(r['code'], r['code']))} corresponds to {where}, "
                          f"“{_escape(r['item_label'])}”")
        sentence = first + " "
        if bits:
            sentence += bits[0] + (": " + "; ".join(detail) if detail else "") + "."
        else:
            sentence += capitalise("; ".join(detail)) + "."
        if len(unmatched) and len(matched):
            sentence += (" " + capitalise(join_words([_lower_first(labels.get(c, c)) for c in unmatched["code"]]))
                         + f" {'has' if len(unmatched) == 1 else 'have'} no counterpart among the citywide findings as published.")
        out.append(sentence)
    # citywide areas not among the ward's top
    if "improve" in s.top:
        top_items = set(s.matches.loc[s.matches["question"] == "improve", "item_id"].dropna())
        others = [r["label"] for _, r in s.improvement_areas.iterrows() if r["item_id"] not in top_items]
        if others:
            out.append("The other citywide improvement areas (" + join_words([f"“{_escape(o)}”" for o in others])
                       + f") are not among the ward's most named.")
    total = len(s.matches)
    hits = int(s.matches["item_label"].notna().sum())
    out.append(f"In all, {number_word(hits)} of the ward's {number_word(total)} most named codes match a citywide finding."
               + records_caveat(s.status))
    return "\n\n".join(out)


def sense_check_chart(s: SenseCheck) -> Chart | None:
    """Share of the ward's respondents naming each citywide item (through its matching codes), with 95%
    Wilson intervals; items whose counts are withheld are left out."""
    if s.citywide is None or s.mentions is None or not s.bases:
        return None
    import seaborn as sns

    from .stats import proportion_table

    items = pd.concat([s.strengths, s.improvement_areas], ignore_index=True)
    counts, labels = {}, {}
    for _, r in items.iterrows():
        match = CITYWIDE_MATCHES.get(str(r["item_id"]), {})
        q = next(iter(match), None)
        if q is None or q not in s.bases or s.bases[q] == 0:
            continue
        sub = s.mentions[(s.mentions["question"].astype(str) == q) & s.mentions["code"].astype(str).isin(match[q])]
        counts[str(r["item_id"])] = int(sub["response_id"].nunique())
        labels[str(r["item_id"])] = (q, str(r["label"]))
    if not counts:
        return None
    rows, left_out = [], 0
    for q in ("best_things", "improve"):
        keys = [k for k in counts if labels[k][0] == q]
        if not keys:
            continue
        series = pd.Series({k: counts[k] for k in keys}, name="Respondents")
        series.index.name = f"citywide_item_{q}"
        protected = protect_counts(series, s.rules, with_totals=False)
        table = proportion_table(series, s.bases[q]).set_index("category")
        for k in keys:
            if bool(protected.mask.loc[k].iloc[0]) or s.bases[q] < s.rules.min_percent_base:
                left_out += 1
                continue
            t = table.loc[k]
            rows.append({"item": _wrap(labels[k][1], 34), "share": 100 * t["share"], "low": 100 * t["ci_low"],
                         "high": 100 * t["ci_high"], "question": QUESTION_WORDS[q], "count": int(t["count"]),
                         "base": s.bases[q]})
    if not rows:
        return None
    data = pd.DataFrame(rows)
    fig = _new_figure(FIG_WIDTH, 0.55 * len(data) + 1.8)
    ax = fig.add_subplot()
    hue_order = [QUESTION_WORDS[q] for q in ("best_things", "improve") if QUESTION_WORDS[q] in set(data["question"])]
    sns.barplot(data=data, y="item", x="share", hue="question", hue_order=hue_order, palette=PALETTE[: len(hue_order)],
                orient="h", dodge=False, ax=ax)
    ax.errorbar(data["share"], np.arange(len(data)), xerr=[data["share"] - data["low"], data["high"] - data["share"]],
                fmt="none", ecolor="#1A1A1A", elinewidth=1.2, capsize=3)
    ax.set_xlim(0, 100)
    ax.set_title("\n".join(textwrap.wrap(f"Citywide findings (2019) named by respondents in {s.ward}", 48)))
    ax.set_xlabel("Percentage of respondents answering the question (95% interval)")
    ax.set_ylabel("Citywide finding")
    ax.grid(axis="y", visible=False)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    handles, lab = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    fig.legend(handles, [f"Survey question: {l}" for l in lab], loc="outside lower center", ncol=1, frameon=False)
    top = data.sort_values("share", ascending=False).iloc[0]
    alt = (f"Horizontal bar chart, one bar per citywide consultation finding, showing the percentage of {s.ward}'s "
           f"survey respondents {records_phrase(s.status)} who named a matching code, with 95% intervals. "
           f"The highest is {' '.join(str(top['item']).split())} at {fmt_pct(top['share'] / 100)} "
           f"of {fmt_int(top['base'])} respondents.")
    if left_out:
        alt += " Findings whose counts are withheld are left out."
    caption = ("Each bar: respondents naming any survey code that corresponds to the citywide finding (our "
               "matching), out of those answering the question; lines show 95% Wilson intervals. "
               f"Source: {s.source}; {SOURCE_PUBLISHED}.")
    return Chart(fig, alt, caption)
