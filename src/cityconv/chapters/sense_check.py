"""Chapter 08, sense check: the ward's most-named answers set beside the citywide consultation of
autumn 2019 (the matching of items is the project's interpretation).

The reader's prose is in `templates/sense_check/*.md`; the functions here fill it from the records.
Survey labels come from the ward's own questionnaire (labels travel with the data).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cityconv.chapters import facts
from cityconv.chapters.common import (
    CITYWIDE_MATCHES,
    FIG_WIDTH,
    ORDINALS,
    QUESTION_WORDS,
    SHORT_QUESTION,
    SOURCE_PUBLISHED,
    TOP_N,
    _escape,
    _protected_text,
    analysts_note,
    chapter_link,
    not_available_text,
    number_word,
    published_figure,
    render,
    survey_code_labels,
)
from cityconv.methods.disclosure import (
    SUPPRESSED,
    DisclosureRules,
    ProtectedTable,
    assert_publishable,
    protect_counts,
)
from cityconv.present import (
    PALETTE,
    Chart,
    Table,
    capitalise,
    fmt_int,
    fmt_pct,
    join_words,
)
from cityconv.present.bars import grouped_bars
from cityconv.present.figures import new_figure, wrap_label
from cityconv.present.prose import lower_first

# ================================================================================================
# sense check (chapter 08)
# ================================================================================================


CHECKED_QUESTIONS = ("best_things", "improve")
"""The survey questions set beside the citywide consultation (their codes are matched in CITYWIDE_MATCHES)."""


def asked_questions(data) -> tuple[str, ...]:
    """Which of the checked questions the ward's study asked (all of them for a ward read with the template)."""
    questionnaire = getattr(data, "questionnaire", None) if data is not None else None
    return tuple(q for q in CHECKED_QUESTIONS if questionnaire is None or questionnaire.has(q))


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
    bases: dict[str, int] = field(default_factory=dict)  # question -> all respondents (0: nobody answered it)
    protected: dict[str, ProtectedTable] = field(default_factory=dict)
    top: dict[str, list[str]] = field(default_factory=dict)  # question -> top codes (ties included)
    matches: pd.DataFrame | None = None  # one row per top code: question, code, item_id, item label, order
    #: the chapter's two City Conversation questions the ward's questionnaire asks (a study of its own may ask neither)
    asked: tuple[str, ...] = CHECKED_QUESTIONS

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
    s = SenseCheck(params.title, params.data_status, ch.records_source, ch.rules, data, citywide, mentions,
                   asked=asked_questions(data))
    if mentions is None:
        return s
    responses = getattr(data, "survey_responses", None)
    for q in s.asked:
        sub = mentions[mentions["question"].astype(str) == q]
        # every share is of all respondents, as on every page (chapters.facts.answer_share)
        everyone = int(responses["response_id"].nunique()) if responses is not None else int(sub["response_id"].nunique())
        codes = list(survey_code_labels(q, data))
        counts = sub.groupby(sub["code"].astype(str))["response_id"].nunique().reindex(codes, fill_value=0).astype(int)
        counts.index.name = f"{q}_code"
        s.counts[q] = counts
        s.bases[q] = everyone if not sub.empty else 0
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


def not_asked_text(s: SenseCheck) -> str:
    """One sentence for a study that asked neither question: there is nothing of the ward's to check."""
    return (f"{_escape(s.ward)}'s survey did not ask about the {QUESTION_WORDS['best_things']} or the "
            f"{QUESTION_WORDS['improve']}, so none of its answers can be set beside the citywide consultation.")


def summary_text(s: SenseCheck) -> str:
    """The chapter's opening paragraph: what it compares, for the questions the study asked."""
    if not s.asked:
        return render("sense_check", "summary", {"ward": s.ward, "asked": [], "not_asked": []})
    if s.mentions is None or s.citywide is None:
        return ""
    total = 0 if s.matches is None else len(s.matches)
    hits = 0 if s.matches is None else int(s.matches["item_label"].notna().sum())
    return render("sense_check", "summary", {
        "ward": s.ward, "total": number_word(total) if total else None, "hits": number_word(hits),
        "asked": [QUESTION_WORDS[q] for q in s.asked],
        "not_asked": [QUESTION_WORDS[q] for q in CHECKED_QUESTIONS if q not in s.asked]})


def citywide_text(s: SenseCheck) -> str:
    if s.citywide is None:
        return not_available_text(s.ward, "citywide consultation data", ["citywide_consultation_2019.csv"])
    n = s.participants
    pub = published_figure(s.data, "citywide_participants")
    strengths = [{"label": _escape(r["label"]),
                  "share": fmt_pct(float(r["share_more_than"])) if pd.notna(r.get("share_more_than")) else None}
                 for _, r in s.strengths.iterrows()]
    areas = [{"order": int(r["list_order"]), "label": _escape(r["label"])} for _, r in s.improvement_areas.iterrows()]
    return render("sense_check", "citywide", {
        "participants": None if n is None else fmt_int(n), "published": pub is not None and n is not None and int(pub) == n,
        "strengths": strengths, "areas": areas})


def matching_text(s: SenseCheck) -> str:
    """How a survey answer is matched with a citywide finding (our judgement), before the comparison."""
    if s.citywide is None or s.mentions is None or not s.asked:
        return ""
    return render("sense_check", "matching", {}) + "\n\n" + analysts_note([
        "The matching of survey codes to citywide items is `cityconv.chapters.common.CITYWIDE_MATCHES`."])


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
                        "of the source's list, not a ranking. [x] = not published."], status="published",
                 page_status=s.status)


def _share_text(s: SenseCheck, q: str, code: str) -> tuple[str, str]:
    p = s.protected[q]
    row = code
    count = _protected_text(p, row, p.counts.columns[0], s.rules)
    share = facts.answer_share(int(s.counts[q][code]), s.bases[q], answered=False, rules=s.rules,
                               withheld=bool(p.mask.loc[row].iloc[0]))
    return count, SUPPRESSED if share is None else share.text


def sense_check_table(s: SenseCheck) -> Table | None:
    """The ward's most named best things and things to improve, beside the citywide item each matches."""
    if s.matches is None or s.matches.empty:
        return None
    rows = []
    for _, m in s.matches.iterrows():
        q, code = m["question"], m["code"]
        count, pct = _share_text(s, q, code)
        label = survey_code_labels(q, s.data).get(code, code)
        city = m["item_label"] if m["item_label"] else "No counterpart"
        rows.append([f"{SHORT_QUESTION[q]}: {lower_first(label)}", count, pct, city])
    frame = pd.DataFrame(rows, columns=["Survey answer", "Respondents", "% of all respondents", "Citywide counterpart"])
    assert_publishable(frame.set_index("Survey answer")[["Respondents"]], s.rules)
    notes = [
        f"The {number_word(TOP_N)} answers named by most respondents for each question (more if tied). "
        "Respondents could name several things, so percentages do not add up to 100%. % = percentage of "
        "all respondents, as on the survey chapter.",
        "Best thing = the best things about the area; to improve = things that could be improved.",
        "Base: all respondents ("
        + "; ".join(f"{SHORT_QUESTION[q].lower()}: {fmt_int(b)}" for q, b in s.bases.items()) + ").",
        "Which survey codes correspond to which citywide item is our interpretation of the consultation's wording.",
    ]
    if s.status != "observed":
        notes.append(f"Counts are from the {s.status} records: not findings about the ward.")
    return Table(frame, title=f"{s.ward}'s most named best things and things to improve, beside the citywide consultation",
                 source=f"{s.source}; {SOURCE_PUBLISHED}", units="Number of respondents; percentage of all respondents",
                 notes=notes, status=s.status)


def sense_check_text(s: SenseCheck) -> str:
    if not s.asked:
        return not_asked_text(s)
    if s.mentions is None:
        return not_available_text(s.ward, "survey answers about the best things and things to improve",
                                  ["survey_mentions.csv"])
    if s.citywide is None:
        return ("Without the citywide consultation data the ward's answers cannot be compared with it. The ward's "
                f"own answers are in the {chapter_link('residents-survey')} chapter.")
    if s.matches is None or s.matches.empty:
        return f"No answers can be compared: the survey records for {_escape(s.ward)} hold no answers to these questions that can be shown."
    out = []
    strength_labels = [str(r["label"]) for _, r in s.strengths.iterrows()]
    for q in s.asked:
        m = s.matches[s.matches["question"] == q]
        if m.empty:
            continue
        labels = survey_code_labels(q, s.data)
        name = lambda c, labels=labels: lower_first(labels.get(c, c))
        matched = m[m["item_label"].notna()]
        unmatched = [name(c) for c in m.loc[m["item_label"].isna(), "code"]]
        detail = []
        for _, r in matched.iterrows():
            where = ("the key strength" if r["item_type"] == "strength"
                     else f"the area for improvement listed {ORDINALS[int(r['list_order']) - 1]}")
            detail.append(f"{_escape(capitalise(name(r['code'])))} matches {where}: “{_escape(r['item_label'])}”.")
        out.append(render("sense_check", "question", {
            "question": QUESTION_WORDS[q], "names": join_words([name(c) for c in m["code"]]), "names_count": len(m),
            "matched": len(matched), "detail": "\n".join(detail), "unmatched": join_words(unmatched),
            "unmatched_cap": capitalise(join_words(unmatched)), "unmatched_count": len(unmatched),
            "strengths_only": (join_words([lower_first(x) for x in strength_labels])
                               if q == "best_things" and strength_labels else None)}))
    if "improve" in s.top:
        top_items = set(s.matches.loc[s.matches["question"] == "improve", "item_id"].dropna())
        others = [r["label"] for _, r in s.improvement_areas.iterrows() if r["item_id"] not in top_items]
        if others:
            out.append("The other citywide areas for improvement (" + join_words([f"“{_escape(o)}”" for o in others])
                       + ") are not among the ward's most named.")
    total = len(s.matches)
    hits = int(s.matches["item_label"].notna().sum())
    out.append(f"In all, by our matching, {number_word(hits)} of the ward's {number_word(total)} most named answers "
               f"{'has' if hits == 1 else 'have'} a citywide counterpart.")
    return "\n\n".join(out)


def sense_check_chart(s: SenseCheck) -> Chart | None:
    """Share of the ward's respondents naming each citywide item (through its matching codes), with 95%
    Wilson intervals; items whose counts are withheld are left out."""
    if s.citywide is None or s.mentions is None or not s.bases:
        return None
    from cityconv.methods.stats import proportion_table

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
            rows.append({"item": wrap_label(labels[k][1], 34), "share": 100 * t["share"], "low": 100 * t["ci_low"],
                         "high": 100 * t["ci_high"], "question": QUESTION_WORDS[q], "count": int(t["count"]),
                         "base": s.bases[q]})
    if not rows:
        return None
    data = pd.DataFrame(rows)
    fig = new_figure(FIG_WIDTH, 0.55 * len(data) + 1.8)
    ax = fig.add_subplot()
    hue_order = [QUESTION_WORDS[q] for q in ("best_things", "improve") if QUESTION_WORDS[q] in set(data["question"])]
    # one bar per row, where the error bars below go: coloured by the question that named the item
    grouped_bars(ax, list(data["item"]), [(question, data["share"].where(data["question"] == question).tolist(), colour)
                                          for question, colour in zip(hue_order, PALETTE)], horizontal=True, dodge=False)
    ax.errorbar(data["share"], np.arange(len(data)), xerr=[data["share"] - data["low"], data["high"] - data["share"]],
                fmt="none", ecolor="#1A1A1A", elinewidth=1.2, capsize=3)
    ax.set_xlim(0, 100)
    ax.set_title("\n".join(textwrap.wrap(f"Citywide findings (2019) named by respondents in {s.ward}", 48)))
    ax.set_xlabel("Percentage of all respondents (95% interval)")
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
           f"survey respondents who named a matching answer, with 95% intervals. "
           f"The highest is {' '.join(str(top['item']).split())} at {fmt_pct(top['share'] / 100)} "
           f"of {fmt_int(top['base'])} respondents.")
    if left_out:
        alt += " Findings whose counts are withheld are left out."
    caption = ("Each bar: respondents naming any survey code that corresponds to the citywide finding (our "
               "matching), out of all respondents; lines show 95% Wilson intervals. "
               f"Source: {s.source}; {SOURCE_PUBLISHED}.")
    return Chart(fig, alt, caption, status=s.status)
