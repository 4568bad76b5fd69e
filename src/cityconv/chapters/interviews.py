"""Chapter 05, interviews: who was interviewed, the themes they raised (protected with their
complements, so "all but a few" never discloses), and published quotes by role.

The reader's prose is in `templates/interviews/*.md`; the functions here fill it from the records.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pandas as pd

from cityconv.chapters.common import (
    FIG_WIDTH,
    GROUP_AXIS,
    NOT_RAISED,
    PRACTITIONER_ROLE,
    RAISED,
    SHORT_GROUP,
    _escape,
    code_labels,
    count_text,
    frame_labels,
    not_available_text,
    number_word,
    published_figure,
    published_wording,
    quotes_markdown,
    render,
)
from cityconv.methods.disclosure import (
    SUPPRESSED,
    TOTAL,
    Disclosed,
    DisclosureRules,
    ProtectedTable,
    assert_publishable,
    protect_counts,
    suppress_linked,
)
from cityconv.methods.stats import cohens_kappa
from cityconv.present import WARD_COLOUR, Chart, Table, fmt_int, fmt_pct, join_words
from cityconv.present.bars import grouped_bars
from cityconv.present.figures import new_figure, wrap_label
from cityconv.present.numbers import WITHHELD_PHRASE
from cityconv.present.prose import lower_first

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
        return interview_theme_labels(self.themes)

    def total_cell(self, theme: str) -> str:
        """Display value of 'interviews raising this theme' (all groups)."""
        return str(self.protected[theme].display.loc[TOTAL, RAISED])


def interview_theme_labels(themes: pd.DataFrame | None) -> dict[str, str]:
    """The interview coding frame the ward's records use (Clubmoor's published findings or the general one)."""
    return frame_labels("interview_themes", "theme", None if themes is None else themes["theme"].astype(str).unique())


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
    first = themes if "second_coder" not in themes else themes[themes["second_coder"].astype(str) != "second_only"]
    merged = first.merge(interviews[["interview_id", "interviewee_type"]], on="interview_id", how="inner")
    merged = merged.drop_duplicates(["interview_id", "theme"])
    theme_order = list(interview_theme_labels(themes))
    theme_order += sorted(set(merged["theme"].astype(str)) - set(theme_order))
    raised = pd.crosstab(merged["theme"].astype(str), merged["interviewee_type"].astype(str))
    raised = raised.reindex(index=theme_order, columns=s.groups, fill_value=0).astype(int)
    raised.index.name, raised.columns.name = "theme", GROUP_AXIS
    s.raised = raised
    s.protected = _protect_themes(raised, s.by_group, ch.rules)
    return s


def _span(months: list[str]) -> str:
    """ "in June 2020", "from June to July 2020" or "from December 2019 to January 2020"."""
    if not months:
        return ""
    first, last = pd.Period(months[0], "M"), pd.Period(months[-1], "M")
    if first == last:
        return f"in {first.strftime('%B %Y')}"
    if first.year == last.year:
        return f"from {first.strftime('%B')} to {last.strftime('%B %Y')}"
    return f"from {first.strftime('%B %Y')} to {last.strftime('%B %Y')}"


def _top_themes(s: InterviewSummary) -> list[tuple[str, int]]:
    """The themes raised in most interviews (up to four, ties with the third included), publishable only."""
    shown = [(t, int(s.raised.loc[t].sum())) for t in s.raised.index if not bool(s.protected[t].mask.loc[TOTAL, RAISED])]
    shown.sort(key=lambda x: -x[1])
    if not shown:
        return []
    return [x for x in shown if x[1] >= shown[min(2, len(shown) - 1)][1]][:4]


def interviews_text(s: InterviewSummary, group: str = TOTAL) -> str:
    """Interviews in a group (or all of them) for prose, by the theme tables' own decision: their group
    totals are these counts, so where any table withholds one, the words withhold it too."""
    n = s.n if group == TOTAL else int(s.by_group[group])
    if any(Disclosed(p).withheld(group, TOTAL) for p in s.protected.values() if group in p.mask.index):
        return WITHHELD_PHRASE
    return count_text(n, s.rules)


def summary_text(s: InterviewSummary) -> str:
    """The chapter's opening paragraph: what it covers and what was raised most."""
    top = [] if s.raised is None else _top_themes(s)
    has_quotes = s.quotes is not None and not s.quotes.empty
    return render("interviews", "summary", {
        "ward": s.ward, "n": interviews_text(s) if s.interviews is not None else 0,
        "top": join_words([lower_first(s.theme_labels.get(t, t)) for t, _ in top[:3]]), "has_quotes": has_quotes})


def interview_intro_text(s: InterviewSummary) -> str:
    if s.interviews is None:
        return not_available_text(s.ward, "interviews", ["interviews.csv"])
    pub = s.published_n
    wording = published_wording(s.data, "interviews")
    months = sorted(set(s.interviews["month"].dropna().astype(str)))
    return render("interviews", "intro", {
        "ward": s.ward, "published": None if pub is None else fmt_int(pub), "matches": pub == s.n,
        "wording": _escape(wording.rstrip(".")) if wording else None,
        "n": interviews_text(s), "span": _span(months)})


def interview_groups_text(s: InterviewSummary) -> str:
    if s.interviews is None or s.by_group is None:
        return ""
    labels = s.group_labels
    parts = [f"{interviews_text(s, g)} with {lower_first(labels.get(g, g))}s" for g in s.groups]
    parts[0] = parts[0].replace(" with ", " interviews were with ", 1)
    return render("interviews", "groups", {
        "n_groups": len(s.groups), "n_groups_word": number_word(len(s.groups)),
        "groups": join_words([lower_first(labels.get(g, g)) + "s" for g in s.groups]),
        "counts": join_words(parts), "threshold": fmt_int(s.rules.threshold)})


def interview_themes_text(s: InterviewSummary) -> str:
    if s.interviews is None:
        return ""
    if s.themes is None or s.raised is None:
        return not_available_text(s.ward, "interview coding", ["interview_themes.csv"])
    labels = s.theme_labels
    items = [f"{lower_first(labels.get(t, t))} ({fmt_int(n)}{f' of the {fmt_int(s.n)} interviews' if i == 0 else ''})"
             for i, (t, n) in enumerate(_top_themes(s))]
    n_withheld = sum(int(p.mask.loc[[g for g in p.mask.index if g != TOTAL], RAISED].sum()) for p in s.protected.values())
    return render("interviews", "themes", {
        "n_themes": number_word(len(s.raised.index)), "frame_published": s.published_n is not None,
        "top": join_words(items), "withheld": fmt_int(n_withheld) if n_withheld and len(s.groups) > 1 else None,
        "n_cells": fmt_int(len(s.protected) * len(s.groups))})


def coding_agreement_text(s: InterviewSummary) -> str | None:
    """Cohen's kappa between two coders over the interviews both coded (None when none was double-coded).

    Every theme of the coding frame counts as an item of every double-coded interview: coded by the
    first coder (a row not marked second_only), by the second (agree or second_only), or by neither.
    """
    themes = s.themes
    if themes is None or "second_coder" not in themes or themes["second_coder"].isna().all():
        return None
    marked = themes[themes["second_coder"].notna()]
    double = sorted(set(marked["interview_id"].astype(str)))
    frame = list(s.theme_labels)
    rows = themes[themes["interview_id"].astype(str).isin(double)]
    codes = rows["second_coder"].astype("string").fillna("")
    by_first = set(zip(rows["interview_id"].astype(str)[codes != "second_only"], rows["theme"].astype(str)[codes != "second_only"]))
    by_second = set(zip(rows["interview_id"].astype(str)[codes.isin(["agree", "second_only"])],
                        rows["theme"].astype(str)[codes.isin(["agree", "second_only"])]))
    items = [(i, t) for i in double for t in frame]
    overall = cohens_kappa([x in by_first for x in items], [x in by_second for x in items])
    agree = sum((x in by_first) == (x in by_second) for x in items)
    weak = []
    for t in frame:
        pairs = [(i, t) for i in double]
        k = cohens_kappa([x in by_first for x in pairs], [x in by_second for x in pairs])
        if k is not None and k < 0.6:
            weak.append(f"{lower_first(s.theme_labels.get(t, t))} ({k:.2f})")
    return render("interviews", "agreement", {
        "n_double": count_text(len(double), s.rules), "n_themes": number_word(len(frame)),
        "agree": fmt_pct(agree / len(items)), "kappa": None if overall is None else f"{overall:.2f}",
        "weak": join_words(weak)})


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
                 source=s.source, units="Number of interviews", notes=notes, status=s.status)


def interview_theme_chart(s: InterviewSummary) -> Chart | None:
    """Bar chart: in how many interviews each theme was raised (all groups; withheld totals left out)."""
    if s.raised is None:
        return None
    labels = s.theme_labels
    rows = [(labels.get(t, t), int(s.raised.loc[t].sum())) for t in s.raised.index
            if not bool(s.protected[t].mask.loc[TOTAL, RAISED])]
    left_out = len(s.raised.index) - len(rows)
    if not rows:
        return None
    data = pd.DataFrame(rows, columns=["theme", "interviews"]).sort_values("interviews", ascending=False, kind="stable")
    fig = new_figure(FIG_WIDTH, 0.42 * len(data) + 1.6)
    ax = fig.add_subplot()
    grouped_bars(ax, list(data["theme"]), [(None, data["interviews"].tolist(), WARD_COLOUR)], horizontal=True)
    for container in ax.containers:
        ax.bar_label(container, labels=[fmt_int(v) for v in container.datavalues], padding=3, fontsize=10)
    ax.set_yticks(range(len(data)), [wrap_label(t, 34) for t in data["theme"]])
    ax.set_xlim(0, max(s.n, 1) * 1.08)
    ax.set_title("\n".join(textwrap.wrap(f"Themes raised in the interviews: {s.ward}", 48)))
    ax.set_xlabel(f"Number of interviews (of {fmt_int(s.n)})")
    ax.set_ylabel("Theme")
    ax.grid(axis="y", visible=False)
    first, last = data.iloc[0], data.iloc[-1]
    alt = (
        f"Horizontal bar chart of the number of the {fmt_int(s.n)} interviews in which each of "
        f"{len(data)} themes was raised, most often at the top. "
        f"{first['theme']} is raised most often ({fmt_int(first['interviews'])} interviews) and "
        f"{lower_first(last['theme'])} least often ({fmt_int(last['interviews'])})."
    )
    if left_out:
        alt += f" {fmt_int(left_out)} theme(s) are left out because their counts are withheld."
    alt += " The figures are in the table below."
    caption = f"Interviews in which each theme was coded, all interviewee groups together. Source: {s.source}."
    return Chart(fig, alt, caption, status=s.status)


def interview_quotes_text(s: InterviewSummary) -> str:
    if s.data is None or getattr(s.data, "quotes", None) is None:
        return not_available_text(s.ward, "quotes", ["quotes.csv"])
    if s.quotes is None or s.quotes.empty:
        return f"{s.ward}'s records hold no quotes from residents."
    labels = code_labels("quotes", "theme")
    order = list(s.theme_labels)
    return render("interviews", "quotes", {"quotes": quotes_markdown(s.quotes, labels, s.rules, order)})


