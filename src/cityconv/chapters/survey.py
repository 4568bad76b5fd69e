"""The residents' survey chapter (`notebooks/03-residents-survey.ipynb`): tables, prose and figures.

Everything the chapter shows is built here, so the notebook only calls functions and the logic is unit
tested. It works for any ward whose data folder follows the codebook: a ward without coded answers to
the multi-response questions (no `survey_mentions.csv`), or without survey responses at all, gets a
sentence saying so instead of a table.

Conventions, chosen so that no small count can be worked out from anything on the page:

* **Base = every survey respondent.** Shares are "% of all respondents" (the published total, e.g. 48
  in Clubmoor), and a respondent who skipped a question is counted in a "No answer" row. A base of
  "those who answered" would let a reader work out the number who did not answer (total minus base),
  which is usually a small count. This is also the base `cityconv.methods.claims` uses for "most".
* **Multi-response questions** (best things, things to improve, preferred methods) count
  *respondents*, not ticks: each code's count is the number of people who gave it, so shares add up
  to more than 100%.
* **Free text coded into themes** (a text question's `themes:`, the coding in `survey_text_codes.csv`)
  counts respondents per theme like a multi-response question, out of those who answered the question
  (the count the free-text sentence already states) and out of all respondents.
* **Disclosure control** goes through `cityconv.methods.disclosure`: counts 1-4 are `[c]` (with secondary
  suppression for tables that add up to a total), percentages and 95% intervals are withheld with
  their count, and the prose says "fewer than 5" instead of a small number (`count_text`).
* **Honest wording.** The response-level records of the Clubmoor study are a reconstruction
  (see `data/clubmoor/README.md`). The page's banner, and each figure's caption and each table's
  source, say so once; sentences do not repeat it. The published statement (from
  `cityconv.methods.claims`) is quoted separately, with its slide.
* **One number per fact.** Shares in the opening summary come from `cityconv.chapters.facts`, so the
  executive summary and other chapters calling the same definition print the same number.
* **Wording travels with the ward.** Question wording and answer labels come from the ward's own
  questionnaire (`sv.questionnaire`), never from a shared list; reader prose longer than a sentence
  lives in `templates/survey/*.md`.

Section functions return Markdown text, a `present.Chart`, a `present.Table`, or None when there is
nothing to show for this ward, so `present.show` can display them with no logic in the notebook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cityconv.chapters import facts
from cityconv.chapters.common import count_text
from cityconv.chapters.statistics_prose import precision_statement
from cityconv.core.escaping import myst_escape
from cityconv.data import chapter_registry
from cityconv.data.questionnaire import Question, Questionnaire, standard_questionnaire
from cityconv.data.wardfiles import WardData
from cityconv.methods import claims as claims_mod
from cityconv.methods.disclosure import (
    SUPPRESSED,
    TOTAL,
    Disclosed,
    DisclosureRules,
    ProtectedTable,
    protect_answers,
    protect_counts,
    protect_percentages,
    suppress_linked,
)
from cityconv.methods.stats import (
    proportion_table,
    wilson_interval,
)
from cityconv.present import PALETTE, Chart, Table, capitalise, fmt_int, fmt_pct, join_words
from cityconv.present.bars import grouped_bars
from cityconv.present.figures import new_figure, wrap_label
from cityconv.present.numbers import WITHHELD_PHRASE, disclosed_count_phrase
from cityconv.present.prose import lower_first, template_renderer

#: The chapter's reader prose: Markdown (Jinja2) templates, filled with numbers from the records.
TEMPLATES = Path(__file__).parent / "templates" / "survey"
render = template_renderer(TEMPLATES)

MULTI_QUESTIONS = ("best_things", "improve", "preferred_methods")
SINGLE_QUESTIONS = ("recommend", "change_5yr", "covid_community_spirit")
"""The City Conversation's own questions, each with a section of the chapter; a ward's questionnaire may
add others (`added_questions`), which the chapter reports after them."""
NO_ANSWER = "No answer"
NO_THEME = "Coded to none of the themes"
"""The row of a coded free-text question for answers the researcher coded to no theme."""
NOT_STATED = "Prefer not to say"
AGE_NOT_GIVEN = "Age not given"
YOUNGER = claims_mod.YOUNGER_LABEL
OLDER = claims_mod.OLDER_LABEL
AGE_GROUPS: dict[str, str] = facts.AGE_GROUPS
"""Survey age bands collapsed to the one grouping of the digital/traditional comparison (defined in
`cityconv.methods.claims`, used by the claims and every page): with about 50 responses the seven bands
leave most cells below the disclosure threshold (all `[c]`); two groups of roughly equal size keep most
cells publishable while still contrasting younger and older residents."""
DIGITAL = claims_mod.DIGITAL_METHODS
TRADITIONAL = claims_mod.TRADITIONAL_METHODS
FIG_WIDTH = 6.2
CONFIDENCE = 0.95
PUBLISHED_SOURCE = "The City Conversation in Clubmoor: findings presentation (Heseltine Institute, 2020–21)"

SECTION_CLAIMS: dict[str, tuple[str, ...]] = {
    "best_things": ("best_things_top_two", "sense_check_similar"),
    "improve": ("improve_top_two",),
    "recommend": ("most_would_recommend",),
    "change_5yr": ("most_changed_little", "few_felt_worse"),
    "covid_community_spirit": ("covid_catalyst",),
    "preferred_methods": ("digital_for_younger", "traditional_for_older"),
}


# ================================================================================================
# data
# ================================================================================================


@dataclass
class Survey:
    """A ward's survey records as the chapter needs them (None where the ward has no such file)."""

    ward_name: str
    responses: pd.DataFrame | None
    mentions: pd.DataFrame | None
    rules: DisclosureRules = field(default_factory=DisclosureRules)
    source: str = ""
    published: dict[str, float] = field(default_factory=dict)
    data: WardData | None = None
    questionnaire: Questionnaire | None = None  # the ward's (the City Conversation's when None)
    status: str = "observed"  # observed, reconstructed or synthetic (the params' data_status)

    def __post_init__(self) -> None:
        if self.questionnaire is None:
            self.questionnaire = standard_questionnaire(self.ward_name)

    @property
    def n(self) -> int:
        return 0 if self.responses is None else int(len(self.responses))

    @property
    def has_responses(self) -> bool:
        return self.n > 0

    @property
    def has_mentions(self) -> bool:
        return self.has_responses and self.mentions is not None

    @property
    def is_published_study(self) -> bool:
        """True when the ward's folder carries the published summary (Clubmoor's slides)."""
        return bool(self.published)


def published_figures(data: WardData | None) -> dict[str, float]:
    """figure_id -> published value, from `published_figures.csv` ({} when the ward has none)."""
    if data is None or data.published_figures is None:
        return {}
    pf = data.published_figures
    return {str(k): float(v) for k, v in zip(pf["figure_id"], pf["value"]) if not pd.isna(v)}


def from_chapter(ch) -> Survey:
    """The survey of a `cityconv.chapters.loader.Chapter` (what `open_chapter(study_id)` returns)."""
    data = ch.data
    return Survey(
        ward_name=ch.title,
        responses=None if data is None else data.survey_responses,
        mentions=None if data is None else data.survey_mentions,
        rules=ch.rules,
        source=ch.records_source,
        published=published_figures(data),
        data=data,
        questionnaire=None if data is None else data.questionnaire,
        status=ch.params.data_status,
    )


def from_data(data: WardData | None, ward_name: str, rules: DisclosureRules | None = None, source: str = "") -> Survey:
    """A Survey straight from loaded ward data (for tests and other chapters)."""
    return Survey(
        ward_name=ward_name,
        responses=None if data is None else data.survey_responses,
        mentions=None if data is None else data.survey_mentions,
        rules=rules or DisclosureRules(),
        source=source or f"{ward_name} engagement records",
        published=published_figures(data),
        data=data,
        questionnaire=None if data is None else data.questionnaire,
    )


def introduction_text(sv: Survey) -> str:
    """What the chapter covers, in the ward's own questionnaire's terms (never another study's questions)."""
    reported = [q.short for q in reported_questions(sv)]
    census = [q.short for q in sv.questionnaire.questions if q.census is not None]
    return render("introduction", {
        "ward": sv.ward_name, "reconstructed": bool(sv.questionnaire.reconstructed),
        "reported": join_words([f"“{short}”" for short in reported]) if len(reported) <= 8 else "",
        "census": join_words([lower_first(short) for short in census]),
        "who_page": chapter_registry.find_page("who-took-part")})


def summary_context(sv: Survey) -> dict:
    """The opening summary's numbers: each a named fact (`chapters.facts`), on the all-respondents base."""
    context: dict = {"ward": sv.ward_name, "n": _stated_count(sv.n, sv), "has_responses": sv.has_responses,
                     "status": sv.status, "n_published": sv.published.get("survey_responses") == sv.n,
                     "best": [], "improve": [], "single": [], "digital_younger": None, "digital_older": None}
    if not sv.has_responses:
        return context
    for question, key in (("best_things", "best"), ("improve", "improve")):
        if not _available(sv, question):
            continue
        fr = frequencies(sv, question)
        rows = fr.shown()
        rows = rows[(rows["count"] > 0) & (rows["category"] != _other_code(sv, question))].head(2)
        for _, r in rows.iterrows():
            fact = facts.survey_answer_share(sv.responses, sv.mentions, question, r["category"], rules=sv.rules)
            if fact is not None:
                context[key].append({"label": _short(r["label"]), "share": fact.text})
    for column in summary_questions(sv):
        if not _available(sv, column):
            continue
        fr = frequencies(sv, column)
        if not fr.leaders_stated():
            continue
        leaders = fr.leaders()
        fact = facts.survey_answer_share(sv.responses, sv.mentions, column, leaders["category"].iloc[0], rules=sv.rules)
        if fact is not None:  # tied leaders have the same count, so one share stands for each
            context["single"].append({"question": sv.questionnaire.question(column).text,
                                      "answers": list(leaders["label"]), "share": fact.text})
    if _has_methods(sv):
        by_age = facts.digital_share_by_age(sv.responses, sv.mentions, sv.rules)
        younger, older = by_age.get(YOUNGER), by_age.get(OLDER)
        context.update(digital_younger=younger.text if younger else None, digital_older=older.text if older else None,
                       younger=YOUNGER.lower(), older=OLDER.lower())
    return context


def summary_questions(sv: Survey) -> list[str]:
    """The one-answer questions the opening summary gives the leading answer of: the first three the
    chapter reports (for the City Conversation: recommending the area, change, and Covid-19)."""
    return [q.id for q in reported_questions(sv) if q.kind in ("single", "rating")][:3]


def summary_text(sv: Survey) -> str:
    """The chapter's opening paragraph: what residents said most often, each share of all respondents."""
    return render("summary", summary_context(sv))


# ---- labels from the ward's questionnaire (which the codebook and schemas follow too)


def _questionnaire(questionnaire: Questionnaire | None, ward_name: str = "the ward") -> Questionnaire:
    return questionnaire if questionnaire is not None else standard_questionnaire(ward_name)


def question_codes(question: str, questionnaire: Questionnaire) -> list[str]:
    """The answer codes of a question, in the ward's questionnaire order."""
    return list(questionnaire.labels(question))


def question_text(question: str, ward_name: str = "the ward", questionnaire: Questionnaire | None = None) -> str:
    """The question as worded in the ward's questionnaire (multi-answer ones with their instruction)."""
    q = _questionnaire(questionnaire, ward_name).question(question)
    return q.labelled_text if q.kind == "multi" else q.text


def is_multi(sv: "Survey", question: str) -> bool:
    return sv.questionnaire.has(question) and sv.questionnaire.question(question).kind == "multi"


def reported_questions(sv: "Survey") -> list[Question]:
    """The questions this chapter reports, in questionnaire order: every one but those with a `census:` map,
    which the chapter "Who took part" compares with the Census."""
    return [q for q in sv.questionnaire.questions if q.census is None]


def _short(label: str) -> str:
    """Drop a bracketed qualifier for prose: "Social media (digital)" -> "Social media". Labels keep their
    case ("Star Wars fan club", not "star Wars fan club"); the templates quote or embolden them."""
    return label.split(" (")[0]


# ---- safe wording


def _pct_range(low: float, high: float) -> str:
    return f"{fmt_pct(low)} to {fmt_pct(high)}"


# ================================================================================================
# counts
# ================================================================================================


def multi_response_counts(sv: Survey, question: str) -> pd.Series:
    """Respondents giving each code (all codes of the question, zeros included) plus a "No answer" row.

    Index: code (then NO_ANSWER); the base for shares is `sv.n`, every respondent.
    """
    if not sv.has_mentions:
        raise ValueError("this ward has no survey_mentions.csv (or no survey responses)")
    m = sv.mentions[sv.mentions["question"].astype(str) == question]
    m = m[m["response_id"].isin(set(sv.responses["response_id"]))]
    per_code = m.groupby(m["code"].astype(str))["response_id"].nunique()
    codes = list(sv.questionnaire.question(question).all_codes())
    counts = per_code.reindex(codes, fill_value=0).astype("int64")
    counts.loc[NO_ANSWER] = sv.n - int(m["response_id"].nunique())
    counts.index.name = question
    return counts


def single_answer_counts(sv: Survey, column: str) -> pd.Series:
    """Respondents per answer (every code of the column, zeros included) plus "No answer" if any."""
    if not sv.has_responses:
        raise ValueError("this ward has no survey responses")
    answers = sv.responses[column]
    codes = list(sv.questionnaire.question(column).all_codes())
    counts = answers.astype("string").value_counts().reindex(codes, fill_value=0).astype("int64")
    missing = int(answers.isna().sum())
    if missing:
        counts.loc[NO_ANSWER] = missing
    counts.index.name = column
    return counts


def frequency_table(counts: pd.Series, base: int, confidence: float = CONFIDENCE,
                    not_answers: tuple[str, ...] = (), ordered: bool = False) -> pd.DataFrame:
    """`stats.proportion_table` of the answer rows, base = respondents: most frequent first, or in the
    scale's order when `ordered`; the `not_answers` rows (missing codes, then "No answer") kept last."""
    last = [c for c in (*not_answers, NO_ANSWER) if c in counts.index]
    answers = counts.drop(last)
    table = proportion_table(answers, base, confidence)
    if ordered:
        table = table.set_index("category").reindex(list(answers.index)).reset_index()
    extra = []
    for category in last:
        low, high = wilson_interval(int(counts[category]), base, confidence)
        extra.append({"category": category, "count": int(counts[category]), "base": base,
                      "share": counts[category] / base if base else math.nan, "ci_low": low, "ci_high": high})
    if extra:
        table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
    return table


@dataclass
class Frequencies:
    """One question's frequencies, protected: what may be said and what is withheld."""

    question: str
    base: int
    table: pd.DataFrame  # proportion_table rows: category, count, base, share, ci_low, ci_high (+ label)
    protected: ProtectedTable
    withheld: pd.Series  # category -> True when its count is [c]
    multi: bool
    not_answers: tuple[str, ...] = ()  # missing codes and "No answer": counted, never an answer
    ordered: bool = False  # the options are a scale: rows stay in its order

    def answers(self) -> pd.DataFrame:
        """Answer rows (missing codes and No answer left out), most frequent first or in the scale's order."""
        return self.table[~self.table["category"].isin(self.not_answers)]

    @property
    def disclosed(self) -> Disclosed:
        """What words may say about this table: its own suppression decision."""
        return Disclosed(self.protected)

    def shown(self) -> pd.DataFrame:
        """Answer rows whose shares may be published (drawn, described); missing codes and No answer
        excluded: the count is not withheld and its share of all respondents may be stated."""
        rows = self.answers()
        keep = [self.disclosed.share(c, base=self.base) is not None for c in rows["category"]]
        return rows[keep]

    def leaders(self) -> pd.DataFrame:
        """The most frequent answers: every answer tied at the largest count (none when nobody answered).
        Naming the first of a tie as "the most common" would say more than the counts do."""
        rows = self.answers()
        rows = rows[rows["count"] > 0]
        return rows[rows["count"] == rows["count"].max()]

    def leaders_stated(self) -> bool:
        """The table shows every leader's count, so words may name them (a withheld one is never ranked)."""
        leaders = self.leaders()
        return not leaders.empty and all(self.disclosed.count(c) is not None for c in leaders["category"])


def frequencies(sv: Survey, question: str, confidence: float = CONFIDENCE) -> Frequencies:
    """Counts, % of all respondents and Wilson intervals for one question, after disclosure control."""
    multi = is_multi(sv, question)
    q = sv.questionnaire.question(question)
    counts = multi_response_counts(sv, question) if multi else single_answer_counts(sv, question)
    table = frequency_table(counts, sv.n, confidence, tuple(q.missing), q.is_ordered)
    labels = {**q.all_codes(), NO_ANSWER: NO_ANSWER}
    table["label"] = table["category"].map(labels)
    ordered = table.set_index("category")["count"]
    ordered.index.name = question
    # A multi-response table has no total that its rows add up to (one person can give several
    # answers), so only primary suppression applies; a single-answer table adds up to all respondents.
    # Where everyone who answered gave one answer, zeros are withheld too (group attribute disclosure).
    protected = protect_answers(ordered, sv.rules, with_totals=not multi, missing=(*q.missing, NO_ANSWER))
    withheld = protected.mask.iloc[:, 0].drop(index="Total", errors="ignore")
    not_answers = (*q.missing, NO_ANSWER)
    if not q.is_ordered:  # a scale keeps its order; elsewhere withheld rows must not be ranked by size
        table = _withheld_last(table, withheld, labels, not_answers)
    return Frequencies(question, sv.n, table, protected, withheld, multi, not_answers, q.is_ordered)


def _withheld_last(table: pd.DataFrame, withheld: pd.Series, order: dict[str, str],
                   not_answers: tuple[str, ...]) -> pd.DataFrame:
    """Shown answers by size, then the withheld ones in the questionnaire's order, non-answers last.

    Sorted by size, withheld rows would be ranked: two [c] that must add up to 3 would be 2 and 1.
    """
    position = {code: i for i, code in enumerate(order)}
    hidden = table["category"].map(withheld).fillna(False).astype(bool) & ~table["category"].isin(not_answers)
    rank = [(2, i) if c in not_answers else (1, position.get(c, len(position))) if h else (0, i)
            for i, (c, h) in enumerate(zip(table["category"], hidden))]
    return table.iloc[sorted(range(len(table)), key=rank.__getitem__)].reset_index(drop=True)


def answer_withheld(sv: Survey, question: str, code: str) -> bool:
    """True when the survey chapter's table of `question` withholds `code`'s count (or has no such
    table): any other page stating that answer's count or share must then say nothing either."""
    if not _available(sv, question):
        return True
    fr = frequencies(sv, question)
    return code not in fr.protected.mask.index or fr.disclosed.withheld(code)


def _display_frame(fr: Frequencies, rules: DisclosureRules) -> pd.DataFrame:
    pct = protect_percentages(fr.protected, fr.base, rules)
    pct = pct.iloc[:, 0] if isinstance(pct, pd.DataFrame) else pct
    counts = fr.protected.display.iloc[:, 0]
    by_cat = fr.table.set_index("category")
    rows = []
    for category in [*fr.table["category"], *(["Total"] if "Total" in counts.index else [])]:
        if category == "Total":
            rows.append(("All respondents", counts[category], pct[category] if category in pct.index else "",
                         ""))
            continue
        label = by_cat.loc[category, "label"]
        interval = SUPPRESSED if pct[category] == SUPPRESSED else _pct_range(by_cat.loc[category, "ci_low"],
                                                                                by_cat.loc[category, "ci_high"])
        rows.append((label, counts[category], pct[category], interval))
    frame = pd.DataFrame(rows, columns=["Answer", "Respondents", "% of all respondents", "95% confidence interval"])
    if not fr.multi:
        frame.loc[frame["Answer"] == "All respondents", "95% confidence interval"] = ""
    return frame.set_index("Answer")


def frequency_table_display(sv: Survey, question: str) -> Table | None:
    """The published table of one question (None when the ward has no such answers)."""
    if not _available(sv, question):
        return None
    fr = frequencies(sv, question)
    frame = _display_frame(fr, sv.rules)
    notes = list(fr.protected.notes)
    notes.append(
        f"Percentages are of all {_stated_count(fr.base, sv)} survey respondents, including those who did not answer "
        "this question; 95% confidence intervals are Wilson score intervals."
    )
    if fr.multi:
        notes.append("Respondents could give more than one answer, so percentages add up to more than 100%."
                     # only the City Conversation asked these open and coded them; a study's own are ticked options
                     + (" Free-text answers were coded to the categories shown." if question in MULTI_QUESTIONS else ""))
    if sv.questionnaire.reconstructed:
        notes.append("The question wording and answer categories are reconstructed: the questionnaire was not published.")
    title = f"{wording(sv, question)}: survey respondents, {sv.ward_name}"
    return Table(frame, title=title, source=sv.source, units="Number of respondents; percentage of all respondents",
                 notes=notes, status=sv.status)


def wording(sv: Survey, question: str) -> str:
    """The question as this ward's questionnaire words it."""
    return question_text(question, sv.ward_name, sv.questionnaire)


def _available(sv: Survey, question: str) -> bool:
    """The ward asked the question and has answers to it (in whichever file its kind keeps them)."""
    if not sv.questionnaire.has(question):
        return False
    q = sv.questionnaire.question(question)
    if q.kind == "multi":
        return sv.has_mentions
    if q.kind == "text":
        return bool(_typed_texts(sv, q))
    columns = _columns(sv, q)
    return bool(columns) and bool(sv.responses[columns].notna().any().any())


# ================================================================================================
# words
# ================================================================================================


def availability_text(sv: Survey) -> str:
    """What the chapter can show for this ward, or why it cannot."""
    return render("availability", {
        "ward": sv.ward_name, "has_responses": sv.has_responses, "has_mentions": sv.has_mentions,
        "multi_sections": join_words([f"“{q.short}”" for q in sv.questionnaire.multi()]),  # only the study's own
        "n": _stated_count(sv.n, sv), "published": sv.published.get("survey_responses") == sv.n,
        "precision": precision_statement(sv.n, CONFIDENCE, sv.rules) if sv.has_responses else "",
        "percentages": sv.n >= sv.rules.min_percent_base,  # below it every table withholds its percentages
        "who_page": chapter_registry.find_page("who-took-part")})


def not_available_text(sv: Survey, question: str) -> str | None:
    """A sentence for a section whose data this ward lacks (None when the data are there)."""
    if _available(sv, question):
        return None
    asked = sv.has_responses and sv.questionnaire.has(question)
    return render("not_available", {"ward": sv.ward_name, "has_responses": sv.has_responses, "asked": asked,
                                    "multi": asked and is_multi(sv, question)})


def _answer_phrase(fr: Frequencies, row, with_interval: bool = True) -> str:
    """"24 of the 48 respondents (50%; 95% interval 36% to 64%)", or "[c] (withheld …)" wherever the
    table beside it withholds the count (primary or secondary suppression)."""
    interval = (row["ci_low"], row["ci_high"]) if with_interval else None
    return disclosed_count_phrase(fr.disclosed, row["category"], base=fr.base, interval=interval)


def share_publishable(n: int, base: int, rules: DisclosureRules) -> bool:
    """A share n/base may be stated: its base is at least `min_percent_base` and n is not a small count
    (the rule `protect_percentages` applies to tables)."""
    n, base = int(n), int(base)
    return base >= rules.min_percent_base and not rules.is_small(n)


def _overlap(a, b) -> bool:
    return not (a["ci_low"] > b["ci_high"] or b["ci_low"] > a["ci_high"])


def _other_code(sv: Survey, question: str) -> str:
    """The catch-all option never named as a leading answer: the question's declared `other`, else the code
    "other" (the City Conversation's questionnaires do not declare it)."""
    return sv.questionnaire.question(question).other or "other"


def multi_response_context(sv: Survey, question: str) -> dict:
    fr = frequencies(sv, question)
    other = _other_code(sv, question)
    answers = fr.answers()
    answers = answers[(answers["category"] != other) & (answers["count"] > 0)]
    if answers.empty:
        return {"top": [], "withheld_all": False}
    answers = answers[[fr.disclosed.count(c) is not None for c in answers["category"]]]
    if answers.empty:  # every answer given is withheld in the table: none is named
        return {"top": [], "withheld_all": True, "suppressed": SUPPRESSED}
    ranking, second, third = "", "", ""
    # Only answers the table shows are named or ranked (an interval gives its count back).
    if len(answers) >= 3:
        second_row, third_row = answers.iloc[1], answers.iloc[2]
        ranking = "overlap" if _overlap(second_row, third_row) else "clear"
        second, third = _short(second_row["label"]), _short(third_row["label"])
    what = {"best_things": "best things about the area", "improve": "things that could be improved",
            "preferred_methods": "ways public agencies should engage"}.get(question, "answers")
    return {"what": what, "withheld_all": False, "top": [{"label": _short(r["label"]), "phrase": _answer_phrase(fr, r)}
                                  for _, r in answers.head(2).iterrows()],
            "ranking": ranking, "second": second, "third": third,
            "withheld": int(fr.withheld.drop(index=NO_ANSWER, errors="ignore").sum()) > 0,
            "threshold": fmt_int(sv.rules.threshold), "suppressed": SUPPRESSED}


def multi_response_text(sv: Survey, question: str) -> str | None:
    """The most frequent answers, with counts, shares and intervals, and how sure the ranking is."""
    if not _available(sv, question):
        return not_available_text(sv, question)
    return render("multi_response", multi_response_context(sv, question))


def single_answer_context(sv: Survey, column: str) -> dict:
    fr = frequencies(sv, column)
    rows = fr.answers()
    rows = rows[rows["count"] > 0]
    leaders = fr.leaders()
    if leaders.empty and not any(fr.disclosed.withheld(c) for c in fr.answers()["category"]):
        return {"question": wording(sv, column), "nobody": True}  # the table shows every answer's 0
    if not fr.leaders_stated():
        # The table withholds the leading answer (too few answers, or everyone gave one answer,
        # `protect_answers`): naming it, or any other as the most common, would say what the table
        # withholds; and the words are the same whichever it was, since saying "everyone gave the same
        # answer" would itself be a group attribute disclosure.
        return {"question": wording(sv, column), "nobody": False, "withheld_all": True, "suppressed": SUPPRESSED}
    lead = leaders.iloc[0]  # tied leaders share its count, phrase and interval
    majority = ""
    if len(leaders) == 1 and fr.disclosed.share(lead["category"], base=fr.base) is not None:
        majority = "clear" if lead["ci_low"] > 0.5 else ("likely" if lead["share"] > 0.5 else "")
    return {"question": wording(sv, column), "nobody": False, "withheld_all": False, "leads": list(leaders["label"]),
            "lead_phrase": _answer_phrase(fr, lead), "majority": majority, "in_order": fr.ordered,
            "others": [{"label": r["label"], "phrase": _answer_phrase(fr, r, with_interval=False)}
                       for _, r in rows.iterrows()
                       if r["category"] not in set(leaders["category"]) and not fr.disclosed.withheld(r["category"])],
            # the withheld ones together, in the questionnaire's order: listing them by size would rank them
            "withheld": join_words([label for c, label in sv.questionnaire.labels(column).items()
                                    if c in set(rows["category"]) and fr.disclosed.withheld(c)]),
            "withheld_phrase": WITHHELD_PHRASE}


def single_answer_text(sv: Survey, column: str) -> str | None:
    """The answers to one single-answer question, largest first, with intervals."""
    if not _available(sv, column):
        return not_available_text(sv, column)
    return render("single_answer", single_answer_context(sv, column))


VERDICTS = {True: "holds", False: "does not hold", None: "cannot be checked"}


def _claim_results(sv: Survey, ids) -> list[dict]:
    by_id = {c.claim_id: c for c in claims_mod.CLAIMS}
    rows = []
    for cid in ids:
        claim = by_id[cid]
        result = claim.evaluate(sv.data, None)
        rows.append({"statement": claim.statement, "location": claim.location, "check": claim.operationalised,
                     "passed": result.passed, "result": VERDICTS[result.passed]})
    return rows


def published_comparison_text(sv: Survey, section: str) -> str | None:
    """The project's published statement for a section, quoted with its slide, and whether the records agree.

    Only for a ward whose folder carries the published summary (`published_figures.csv`); the statements
    are the checkable claims of `cityconv.methods.claims`. How each is checked (in the records' codes)
    is in the analysts' note at the end of the chapter (`claims_analyst_note`).
    """
    if not sv.is_published_study or sv.data is None:
        return None
    ids = SECTION_CLAIMS.get(section, ())
    if not ids:
        return None
    claims = _claim_results(sv, ids)
    passed = {c["passed"] for c in claims}
    if passed == {True} and sv.status != "observed":  # records rebuilt to agree cannot test the statement
        verdict = (f"Not a test: the {sv.status} records were built to reproduce this statement, so it holds in "
                   "them by design and is neither confirmed nor refuted here.")
    elif passed == {True}:
        verdict = "The ward's own records bear this out."
    elif passed == {None}:
        verdict = "These records cannot be used to check this."
    else:
        verdict = "These records do not bear out every statement: see the table at the end of the chapter."
    return render("published", {"claims": claims, "source": PUBLISHED_SOURCE, "verdict": verdict})


# ================================================================================================
# every question of the study, in questionnaire order: the kind's natural table, figure and words
# ================================================================================================


def question_section(sv: Survey, question: Question, study_id: str) -> list[tuple[Chart | Table | str | None, str | None]]:
    """What the chapter shows for one question, in order, each with the name its figure or table is
    labelled by (unique per ward and question, so a book of many wards has no duplicate targets)."""
    qid, kind = question.id, question.kind
    figure, table = f"{study_id}-{qid}-figure", f"{study_id}-{qid}-table"
    heading = question_heading(sv, qid)
    if not _available(sv, qid):
        return [(heading, None), (not_available_text(sv, qid), None)]
    if kind in ("single", "multi", "rating"):
        chart = (multi_response_chart(sv, qid) if kind == "multi" else
                 (ordered_bar_chart(sv, qid) or no_chart_text(sv)) if kind == "rating" else single_answers_chart(sv, [qid]))
        items = [(question_summary(sv, qid), None), (chart, figure), (frequency_table_display(sv, qid), table),
                 (other_text_summary(sv, question), None)]
    elif kind == "numeric":
        items = [(numeric_text(sv, question), None), (numeric_chart(sv, question), figure),
                 (numeric_table(sv, question), table)]
    elif kind == "ranking":
        items = [(ranking_text(sv, question), None), (ranking_chart(sv, question), figure),
                 (ranking_table(sv, question), table)]
    elif kind == "grid":
        items = [(grid_text(sv, question), None), (grid_chart(sv, question) or no_chart_text(sv), figure),
                 (grid_table(sv, question), table)]
    elif coded_answers(sv, question) is not None:
        items = [(free_text_summary(sv, question), None), (theme_chart(sv, question), figure),
                 (theme_table(sv, question), table), (free_text_quotes(sv, question), None)]
    else:
        items = [(free_text_summary(sv, question), None)]
    return [(heading, None), *items, (published_comparison_text(sv, qid), None)]


def no_chart_text(sv: Survey) -> str | None:
    """Why a chart of shares is missing, when it is for the small base (None otherwise: nothing to say)."""
    if sv.n >= sv.rules.min_percent_base:
        return None
    return render("no_chart", {"min_base": fmt_int(sv.rules.min_percent_base)})


def question_heading(sv: Survey, question: str) -> str:
    return render("question_heading", {"short": sv.questionnaire.question(question).short})


def question_summary(sv: Survey, question: str) -> str | None:
    """The words for a choice question: most frequent answers (multi-answer) or the leading answer."""
    return multi_response_text(sv, question) if is_multi(sv, question) else single_answer_text(sv, question)


def question_chart(sv: Survey, question: str) -> Chart | None:
    """The chart for a choice question, with 95% intervals and withheld answers left out."""
    if is_multi(sv, question):
        return multi_response_chart(sv, question)
    return single_answers_chart(sv, [question])


# ---- columns and texts of a question


def _columns(sv: Survey, question: Question) -> list[str]:
    return [c for c in question.response_columns() if sv.has_responses and c in sv.responses.columns]


def _typed_rows(sv: Survey, question: Question, option: str = "") -> pd.DataFrame | None:
    """The rows of survey_text.csv typed by this ward's respondents for a question (free text, or beside
    its `other` option), or None when the ward has no such file or no responses."""
    data = sv.data.survey_text if sv.data is not None else None
    if data is None or not sv.has_responses:
        return None
    return data[(data["question"].astype(str) == question.id)
                & (data["option"].astype("string").fillna("") == option)
                & data["response_id"].isin(set(sv.responses["response_id"]))]


def _typed_texts(sv: Survey, question: Question, option: str = "") -> list[str]:
    """The typed answers to a question (free text, or beside its `other` option) of this ward's respondents."""
    rows = _typed_rows(sv, question, option)
    return [] if rows is None else [str(t) for t in rows["text"].dropna()]


def _stated_count(n: int, sv: Survey) -> str:
    """A count of respondents for prose, under the same rule as the tables ("fewer than 5" when small)."""
    return count_text(n, sv.rules)


def _base(sv: Survey) -> str | None:
    """All respondents, as "of the N respondents" states them; None when the tables withhold N ("fewer than 5 of
    the fewer than 5" would say nothing)."""
    return None if sv.rules.is_small(sv.n) else fmt_int(sv.n)


# ---- rating: one ordered bar


def ordered_bar_chart(sv: Survey, question: str) -> Chart | None:
    """One bar, divided in the scale's order: the share of all respondents giving each answer."""
    fr = frequencies(sv, question)
    q = sv.questionnaire.question(question)
    # the table's own decision: no segment for a withheld count, nor any on a base below min_percent_base
    rows = [(r["label"], fr.disclosed.share(r["category"], base=fr.base)) for _, r in fr.answers().iterrows()]
    return _stacked_chart(sv, q, [(q.short, rows)], f"{q.short}: answers in the scale's order")


def _stacked_chart(sv: Survey, q: Question, bars: list[tuple[str, list[tuple[str, float | None]]]],
                   title: str) -> Chart | None:
    """Horizontal 100% bars, segments in the scale's order; withheld, missing and unanswered shares as one
    grey segment (what a reader could work out from the table's total anyway, never a single cell)."""
    import matplotlib as mpl

    if not any(share for _, rows in bars for _, share in rows):
        return None
    scale = [label for label, _ in bars[0][1]]
    colours = [mpl.colormaps["viridis"](0.15 + 0.7 * i / max(len(scale) - 1, 1)) for i in range(len(scale))]
    names = [wrap_label(name, 26) for name, _ in bars]
    lines = max(name.count("\n") + 1 for name in names)  # a long item (a statement to agree with) wraps: rows grow
    fig = new_figure(FIG_WIDTH, max(0.55, 0.18 * lines + 0.2) * len(bars) + 2.2)
    ax = fig.add_subplot()
    alt_bars = []
    for y, (name, rows) in enumerate(bars):
        left = 0.0
        parts = []
        for (label, share), colour in zip(rows, colours):
            if share is None or share == 0:
                parts.append(f"{label} {'withheld' if share is None else '0%'}")
                continue
            ax.barh(y, share * 100, left=left, color=colour, edgecolor="white")
            if share >= 0.07:
                ax.text(left + share * 50, y, fmt_pct(share), ha="center", va="center", fontsize=9,
                        color="white" if colours.index(colour) < len(colours) * 0.6 else "#1A1A1A")
            left += share * 100
            parts.append(f"{label} {fmt_pct(share)}")
        if left < 100:
            ax.barh(y, 100 - left, left=left, color="#D9D9D9", edgecolor="white")
        alt_bars.append(f"{name}: " + ", ".join(parts))
    ax.set_yticks(range(len(bars)), names)
    ax.invert_yaxis()
    ax.set_title(wrap_label(q.text, 60), fontsize=12)
    ax.set_xlabel("Percentage of all survey respondents")
    _percent_axis(ax, 100)
    handles = [mpl.patches.Patch(color=c, label=wrap_label(label, 18)) for label, c in zip(scale, colours)]
    handles.append(mpl.patches.Patch(color="#D9D9D9", label="Withheld, missing\nor no answer"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4), frameon=False, fontsize=9)
    alt = (f"Stacked horizontal bar chart for the question '{q.text}' ({fmt_int(sv.n)} survey respondents): the "
           f"percentage giving each answer, in the scale's order. " + "; ".join(alt_bars) + ". Answers withheld "
           "for disclosure control, missing codes and no answer are drawn together in grey.")
    caption = f"{q.short}: share of all respondents giving each answer, in the scale's order."
    return Chart(fig, alt, caption, status=sv.status)


# ---- numeric: a distribution


@dataclass
class NumericSummary:
    values: pd.Series  # the numbers given
    missing: pd.Series  # respondents per missing code
    no_answer: int
    bins: pd.Series  # respondents per bin ("10 to 19")
    protected: ProtectedTable


def numeric_summary(sv: Survey, question: Question) -> NumericSummary:
    """The numbers given, the missing codes, and the numbers binned for the histogram and table, protected."""

    raw = sv.responses[question.id].astype("string")
    missing = raw.value_counts().reindex(list(question.missing), fill_value=0).astype("int64")
    values = pd.to_numeric(raw[~raw.isin(list(question.missing))], errors="coerce").dropna().astype(float)
    no_answer = int(raw.isna().sum())
    edges = _round_bin_edges(values, question.integer)
    counts = pd.cut(values, edges, right=False, include_lowest=True).value_counts(sort=False)
    labels = [_bin_label(interval, question) for interval in counts.index]
    bins = pd.Series(counts.to_numpy(), index=labels, dtype="int64")
    bins.index.name = question.id
    table = pd.concat([bins, pd.Series({question.missing[c]: int(missing[c]) for c in question.missing}, dtype="int64"),
                       pd.Series({NO_ANSWER: no_answer}, dtype="int64")])
    table.index.name = question.id
    return NumericSummary(values, missing, no_answer, bins, protect_counts(table, sv.rules, with_totals=True))


def _round_bin_edges(values: pd.Series, integer: bool):
    """Bands of a round width (1, 2 or 5 times a power of ten) starting at a multiple of it, about as many
    as Sturges' rule suggests, so a reader sees "10 to 19", not "7.3 to 16.1"."""
    import numpy as np

    if values.empty:
        return np.array([0.0, 1.0])
    low, high = float(values.min()), float(values.max())
    wanted = max(1, int(np.ceil(np.log2(len(values)) + 1)))
    raw = max((high - low) / wanted, 1.0 if integer else 1e-9)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = np.floor(low / step) * step
    bands = int(np.floor((high - start) / step)) + 1  # the highest value falls inside the last band
    return start + step * np.arange(bands + 1)


def _number(x: float) -> str:
    """A statistic for prose: at most one decimal place, none when it is whole."""
    return f"{x:,.1f}".removesuffix(".0")


def _bin_label(interval, question: Question) -> str:
    if question.integer:
        return f"{fmt_int(interval.left)} to {fmt_int(interval.right - 1)}"
    return f"{interval.left:g} to under {interval.right:g}"


def _quantiles_publishable(n: int, sv: Survey) -> bool:
    """A median and quartiles are stated only on enough answers that none is one person's number."""
    return n >= sv.rules.min_percent_base


def _answered_with_a_number(ns: NumericSummary) -> int | None:
    """How many gave a number, when the table lets a reader add it up (every band shown, or the total and
    every other row shown); else None: stated, it would be a new total that gives a withheld band back."""
    disclosed = Disclosed(ns.protected)
    others = [label for label in ns.protected.counts.index if label not in ns.bins.index and label != TOTAL]
    if all(not disclosed.withheld(band) for band in ns.bins.index):
        return int(ns.bins.sum())
    if disclosed.total() is not None and all(not disclosed.withheld(label) for label in others):
        return int(ns.bins.sum())
    return None


def numeric_text(sv: Survey, question: Question) -> str:
    """How many gave a number, its median and quartiles, and each missing code's count as the table shows it."""
    ns = numeric_summary(sv, question)
    n = len(ns.values)
    unit = f" {question.unit}" if question.unit else ""
    disclosed = Disclosed(ns.protected)
    answered = _answered_with_a_number(ns)
    total = disclosed.total()
    context = {"question": question.text, "answered": None if answered is None else fmt_int(answered),
               "base": None if total is None else fmt_int(total), "suppressed": SUPPRESSED,
               "stated": _quantiles_publishable(n, sv), "threshold": fmt_int(sv.rules.min_percent_base),
               "missing": [{"label": question.missing[c], "count": disclosed_count_phrase(disclosed, question.missing[c])}
                           for c in question.missing if ns.missing[c] > 0]}
    if context["stated"]:
        q1, median, q3 = ns.values.quantile([0.25, 0.5, 0.75])
        context.update(median=f"{_number(median)}{unit}", q1=_number(q1), q3=f"{_number(q3)}{unit}")
    return render("numeric", context)


def numeric_chart(sv: Survey, question: Question) -> Chart | None:
    """A histogram of the numbers given; bins the table withholds are not drawn."""
    ns = numeric_summary(sv, question)
    mask = ns.protected.mask.iloc[:, 0]
    shown = [(label, int(n)) for label, n in ns.bins.items() if not bool(mask[label])]
    if not shown or not _quantiles_publishable(len(ns.values), sv):
        return None
    fig = new_figure(FIG_WIDTH, 3.6)
    ax = fig.add_subplot()
    heights = [n if not bool(mask[label]) else 0 for label, n in ns.bins.items()]
    ax.bar(range(len(ns.bins)), heights, color=PALETTE[0], edgecolor="white", width=0.95)
    for i, label in enumerate(ns.bins.index):
        if bool(mask[label]):
            ax.text(i, 0, SUPPRESSED, ha="center", va="bottom", fontsize=9, color="#1A1A1A")
    ax.set_xticks(range(len(ns.bins)), [wrap_label(label, 9) for label in ns.bins.index], fontsize=9)
    ax.set_xlabel(question.short + (f" ({question.unit})" if question.unit else ""))
    ax.set_ylabel("Respondents")
    ax.set_title(wrap_label(question.text, 60), fontsize=12)
    ax.grid(axis="x", visible=False)
    withheld = [label for label in ns.bins.index if bool(mask[label])]
    alt = (f"Histogram of the answers to '{question.text}': respondents per band of "
           f"{question.unit or 'value'}. " + "; ".join(f"{label}: {fmt_int(n)}" for label, n in shown) + "."
           + (f" Bands withheld for disclosure control ({join_words(withheld)}) are drawn empty." if withheld else ""))
    return Chart(fig, alt, f"{question.short}: respondents per band (bands withheld to protect the people "
                 f"counted are marked {SUPPRESSED}).", status=sv.status)


def numeric_table(sv: Survey, question: Question) -> Table:
    ns = numeric_summary(sv, question)
    pct = protect_percentages(ns.protected, sv.n, sv.rules)
    pct = pct.iloc[:, 0] if isinstance(pct, pd.DataFrame) else pct
    counts = ns.protected.display.iloc[:, 0]
    frame = pd.DataFrame({"Respondents": counts, "% of all respondents": pct.reindex(counts.index).fillna("")})
    frame = frame.rename(index={"Total": "All respondents"})
    frame.index.name = question.short + (f" ({question.unit})" if question.unit else "")
    notes = list(ns.protected.notes) + [f"Percentages are of all {_stated_count(sv.n, sv)} survey respondents."]
    return Table(frame, title=f"{question.text}: survey respondents, {sv.ward_name}", source=sv.source,
                 units="Number of respondents; percentage of all respondents", notes=notes, status=sv.status)


# ---- ranking: mean rank and share ranked first


def ranking_summary(sv: Survey, question: Question) -> pd.DataFrame:
    """Per option: respondents who ranked it, its mean rank, and respondents who ranked it first."""
    columns = _columns(sv, question)
    ranks = sv.responses[columns].astype("Float64")
    labels = list((question.options or {}).values())
    frame = pd.DataFrame({"ranked": ranks.notna().sum().to_numpy(), "mean_rank": ranks.mean().to_numpy(),
                          "first": (ranks == 1).sum().to_numpy()}, index=labels)
    frame.attrs["rankers"] = int(ranks.notna().any(axis=1).sum())
    return frame


def _ranked_first(sv: Survey, question: Question) -> tuple[pd.DataFrame, ProtectedTable]:
    summary = ranking_summary(sv, question)
    first = summary["first"].astype("int64").rename(question.id)
    first.index.name = question.id
    return summary, protect_counts(first, sv.rules, with_totals=True)


def ranking_table(sv: Survey, question: Question) -> Table:
    summary, protected = _ranked_first(sv, question)
    rankers = summary.attrs["rankers"]
    shown = protected.display.iloc[:, 0]
    mask = protected.mask.iloc[:, 0]
    frame = pd.DataFrame({
        "Mean rank (1 = most important)": [f"{m:.1f}" if not sv.rules.is_small(int(k)) and not pd.isna(m) else SUPPRESSED
                                           for m, k in zip(summary["mean_rank"], summary["ranked"])],
        "Ranked first: respondents": [shown[label] for label in summary.index],
        "Ranked first: % of those ranking": [SUPPRESSED if bool(mask[label]) or rankers < sv.rules.min_percent_base
                                             else fmt_pct(n / rankers) for label, n in summary["first"].items()],
    }, index=pd.Index(summary.index, name="Option"))
    notes = list(protected.notes) + [
        f"{_stated_count(rankers, sv).capitalize()} of the {fmt_int(sv.n)} respondents ranked at least one option.",
        "A mean rank is withheld when fewer than " + fmt_int(sv.rules.threshold) + " respondents ranked the option."]
    return Table(frame, title=f"{question.text}: survey respondents, {sv.ward_name}", source=sv.source,
                 units="Mean rank; number and percentage of respondents who ranked", notes=notes, status=sv.status)


def ranking_chart(sv: Survey, question: Question) -> Chart | None:
    """Bars of each option's mean rank (shortest = most important); options too few ranked are left out."""
    summary = ranking_summary(sv, question)
    rows = summary[[not sv.rules.is_small(int(k)) and k > 0 for k in summary["ranked"]]].sort_values("mean_rank")
    if rows.empty or summary.attrs["rankers"] < sv.rules.min_percent_base:
        return None
    fig = new_figure(FIG_WIDTH, 0.5 * len(rows) + 1.8)
    ax = fig.add_subplot()
    ax.barh(range(len(rows)), rows["mean_rank"], color=PALETTE[1], edgecolor="white")
    ax.set_yticks(range(len(rows)), [wrap_label(label, 26) for label in rows.index])
    ax.invert_yaxis()
    ax.set_xlim(0, len(summary))
    ax.set_xlabel("Mean rank (1 = most important; shorter bar = ranked higher)")
    ax.set_title(wrap_label(question.text, 60), fontsize=12)
    ax.grid(axis="y", visible=False)
    alt = (f"Horizontal bar chart of the mean rank of each option of '{question.text}' "
           f"(1 = most important): " + "; ".join(f"{label} {m:.1f}" for label, m in rows["mean_rank"].items()) + ".")
    return Chart(fig, alt, f"{question.short}: mean rank of each option (lower is more important).", status=sv.status)


def ranking_text(sv: Survey, question: Question) -> str:
    summary, protected = _ranked_first(sv, question)
    rankers = summary.attrs["rankers"]
    stated = rankers >= sv.rules.min_percent_base
    top = summary[[not sv.rules.is_small(int(k)) for k in summary["ranked"]]].sort_values("mean_rank").head(1)
    mask = protected.mask.iloc[:, 0]
    first = [{"label": label, "share": fmt_pct(n / rankers)} for label, n in summary["first"].items()
             if stated and not bool(mask[label]) and n == summary["first"].max()]
    return render("ranking", {"question": question.text, "rankers": _stated_count(rankers, sv), "base": _base(sv),
                              "stated": stated and not top.empty,
                              "top": None if top.empty else {"label": top.index[0], "mean": f"{top['mean_rank'].iloc[0]:.1f}"},
                              "first": first[0] if len(first) == 1 else None})


# ---- grid: items sharing one scale, one stacked chart


def grid_counts(sv: Survey, question: Question) -> dict[str, pd.Series]:
    """item label -> respondents per scale code, missing code and No answer (each item adds up to everyone)."""
    out = {}
    codes = question.all_codes()
    for column, label in zip(question.response_columns(), (question.items or {}).values()):
        answers = sv.responses[column].astype("string")
        counts = answers.value_counts().reindex(list(codes), fill_value=0).astype("int64")
        counts.index = [codes[c] for c in counts.index]
        counts.loc[NO_ANSWER] = int(answers.isna().sum())
        counts.index.name = column
        out[label] = counts
    return out


def _grid_protected(sv: Survey, question: Question) -> dict[str, ProtectedTable]:
    # each item is its own one-way table adding up to all respondents: protected with its total, and,
    # like a single question, with zeros withheld where everyone who answered gave one answer
    codes = question.all_codes()
    not_answers = (*(codes.get(m, m) for m in question.missing), NO_ANSWER)
    return {label: protect_answers(counts, sv.rules, with_totals=True, missing=not_answers)
            for label, counts in grid_counts(sv, question).items()}


def grid_table(sv: Survey, question: Question) -> Table:
    rows = []
    notes: list[str] = []
    for item, protected in _grid_protected(sv, question).items():
        pct = protect_percentages(protected, sv.n, sv.rules)
        pct = pct.iloc[:, 0] if isinstance(pct, pd.DataFrame) else pct
        for answer, shown in protected.display.iloc[:, 0].items():
            if answer == "Total":
                continue
            rows.append({"Item": item, "Answer": answer, "Respondents": shown, "% of all respondents": pct[answer]})
        notes += [n for n in protected.notes if n not in notes]
    frame = pd.DataFrame(rows).set_index(["Item", "Answer"])
    notes.append(f"Percentages are of all {_stated_count(sv.n, sv)} survey respondents; each item's rows add up to all of them.")
    return Table(frame, title=f"{question.text}: survey respondents, {sv.ward_name}", source=sv.source,
                 units="Number of respondents; percentage of all respondents", notes=notes, status=sv.status)


GRID_ITEMS_NAMED = 5
"""A grid with more items than this is not read out item by item in its sentence (a long paragraph of statements)."""


def grid_chart(sv: Survey, question: Question) -> Chart | None:
    bars = []
    scale = list((question.options or {}).values())
    for item, protected in _grid_protected(sv, question).items():
        disclosed = Disclosed(protected)  # the table's own decision, percentages' minimum base included
        bars.append((item, [(label, disclosed.share(label, base=sv.n)) for label in scale]))
    return _stacked_chart(sv, question, bars, question.short)


def grid_text(sv: Survey, question: Question) -> str:
    """Which item(s) had the largest share at the top of the scale: stated only when every item's share
    is (a withheld one might be larger), and every tied item named."""
    scale = list((question.options or {}).values())
    shares = {item: Disclosed(protected).share(scale[-1], base=sv.n)
              for item, protected in _grid_protected(sv, question).items()}
    best = None
    stated = {item: share for item, share in shares.items() if share is not None}
    if stated and len(stated) == len(shares):
        largest = max(stated.values())
        best = ([item for item, share in stated.items() if share == largest], largest)
    items = list((question.items or {}).values())
    named = join_words([f"“{i}”" for i in items]) if len(items) <= GRID_ITEMS_NAMED else f"{len(items)} items (the table lists them)"
    return render("grid", {"question": question.text, "items": named,
                           "scale": f"“{scale[0]}” to “{scale[-1]}”" if question.is_ordered else join_words(
                               [f"“{s}”" for s in scale]), "top": scale[-1] if question.is_ordered else None,
                           "best": None if best is None else {"items": [f"“{i}”" for i in best[0]],
                                                              "share": fmt_pct(best[1])},
                           "chart": no_chart_text(sv) is None})


# ---- free text: how many answered, and quotes that pass the personal-information screen


def screened_quotes(texts: list[str], limit: int = 3) -> list[str]:
    """Up to `limit` typed answers that pass the personal-information screen (methods.pii), in file order;
    any answer the screen flags is never quoted."""
    import warnings

    from cityconv.data.denylist import NoDenylistWarning, load_denylist
    from cityconv.methods.pii import screen_text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDenylistWarning)  # names are screened when the project has a deny-list
        denylist = load_denylist()
    return [t for t in texts if not screen_text(t, denylist)][:limit]


def free_text_summary(sv: Survey, question: Question) -> str:
    """How many wrote an answer; then its themes' words (coded) or a sentence saying it is not coded, with
    the screened quotes (which follow the theme table instead when the question is coded)."""
    texts = _typed_texts(sv, question)
    context = {"question": question.text, "answered": _stated_count(len(texts), sv), "base": _base(sv),
               "coded": coded_answers(sv, question) is not None, "themes": None, **_quotes_context(sv, texts)}
    if context["coded"]:
        context["themes"] = theme_words(sv, question)
    return render("free_text", context)


def free_text_quotes(sv: Survey, question: Question) -> str | None:
    """The screened quotes of a coded question, after its theme table (None when too few answered to
    quote: the summary has said so)."""
    context = _quotes_context(sv, _typed_texts(sv, question))
    return render("free_text_quotes", context) if context["quotable"] else None


def _quotes_context(sv: Survey, texts: list[str]) -> dict:
    quotable = len(texts) >= sv.rules.threshold
    return {"threshold": fmt_int(sv.rules.threshold), "quotable": quotable,
            "quotes": screened_quotes(texts) if quotable else []}


# ---- free text coded into themes (the question's `themes:`, the coding in survey_text_codes.csv)


def coded_answers(sv: Survey, question: Question) -> pd.DataFrame | None:
    """The coding of this question's answers by this ward's respondents (response_id, theme), or None when
    the question has no themes or none of its answers is coded: such a question is reported as uncoded."""
    codes = sv.data.survey_text_codes if sv.data is not None else None
    if not question.is_coded or codes is None or not sv.has_responses:
        return None
    rows = codes[(codes["question"].astype(str) == question.id)
                 & codes["response_id"].isin(set(sv.responses["response_id"]))]
    if rows.empty:
        return None
    return pd.DataFrame({"response_id": rows["response_id"].astype(str), "theme": rows["theme"].astype(str)})


def _answered_ids(sv: Survey, question: Question) -> set[str]:
    """The respondents who typed an answer to a free-text question."""
    rows = _typed_rows(sv, question)
    return set() if rows is None else set(rows["response_id"].astype(str))


def theme_counts(sv: Survey, question: Question) -> pd.Series:
    """Respondents whose answer touches each theme (every theme, in the questionnaire's order, zeros
    included), then those whose answer was coded to none (NO_THEME, only when there are any).

    Counts respondents, not codes: an answer touching three themes counts once under each.
    """
    coded = coded_answers(sv, question)
    if coded is None:
        raise ValueError(f"question {question.id!r} has no coded answers")
    answered = _answered_ids(sv, question)
    coded = coded[coded["response_id"].isin(answered)]
    counts = coded.groupby("theme")["response_id"].nunique().reindex(list(question.themes or {}), fill_value=0)
    counts = counts.astype("int64")
    uncoded = len(answered - set(coded["response_id"]))
    if uncoded:
        counts.loc[NO_THEME] = uncoded
    counts.index.name = f"{question.id}_theme"
    return counts


def theme_frequencies(sv: Survey, question: Question, confidence: float = CONFIDENCE) -> Frequencies:
    """Each theme's respondents, % of those who answered the question and Wilson intervals, protected
    as a multi-response table (one answer may touch several themes, so no total the rows add up to)."""
    counts = theme_counts(sv, question)
    answered = len(_answered_ids(sv, question))
    not_answers = (NO_THEME,)
    table = frequency_table(counts, answered, confidence, not_answers)
    labels = {**(question.themes or {}), NO_THEME: NO_THEME}
    table["label"] = table["category"].map(labels)
    # Themes overlap, so the rows add up to no total, except with a single theme: its count and the
    # uncoded answers then add up to those who answered (stated beside the table), and are protected so.
    protected = protect_answers(table.set_index("category")["count"].rename_axis(counts.index.name), sv.rules,
                                with_totals=len(question.themes or {}) == 1, missing=not_answers)
    withheld = protected.mask.iloc[:, 0].drop(index="Total", errors="ignore")
    table = _withheld_last(table, withheld, labels, not_answers)
    return Frequencies(question.id, answered, table, protected, withheld, True, not_answers)


def theme_words(sv: Survey, question: Question) -> dict:
    """What the prose may say of the themes: the two touched most often among those the table shows."""
    fr = theme_frequencies(sv, question)
    if sv.rules.is_small(fr.base):
        return {"too_few": True, "top": [], "withheld": False}
    answers = fr.answers()
    answers = answers[answers["count"] > 0]
    shown = answers[[fr.disclosed.count(c) is not None for c in answers["category"]]]
    top = [{"label": r["label"], "phrase": disclosed_count_phrase(fr.disclosed, r["category"], base=fr.base,
                                                                  noun="who answered",
                                                                  interval=(r["ci_low"], r["ci_high"]))}
           for _, r in shown.head(2).iterrows()]
    return {"too_few": False, "top": top,
            "withheld": bool(fr.withheld.drop(index=list(fr.not_answers), errors="ignore").any()),
            "suppressed": SUPPRESSED}


def theme_table(sv: Survey, question: Question) -> Table | None:
    """Respondents per theme, as % of those who answered and of all respondents, with Wilson intervals."""
    fr = theme_frequencies(sv, question)
    if sv.rules.is_small(fr.base):
        return None  # every theme would be [c]; the words say why there is no table
    of_answered = protect_percentages(fr.protected, fr.base, sv.rules).iloc[:, 0]
    of_all = protect_percentages(fr.protected, sv.n, sv.rules).iloc[:, 0]
    counts = fr.protected.display.iloc[:, 0]
    rows = []
    for _, r in fr.table.iterrows():
        c = r["category"]
        all_low, all_high = wilson_interval(int(r["count"]), sv.n, CONFIDENCE)
        rows.append((r["label"], counts[c], _share_with_interval(of_answered[c], r["ci_low"], r["ci_high"]),
                     _share_with_interval(of_all[c], all_low, all_high)))
    frame = pd.DataFrame(rows, columns=["Theme", "Respondents", "% of those who answered (95% interval)",
                                        "% of all respondents (95% interval)"]).set_index("Theme")
    notes = [*fr.protected.notes,
             f"{fmt_int(fr.base)} of the {fmt_int(sv.n)} survey respondents wrote an answer. A researcher coded "
             "each answer into the themes listed in the questionnaire; one answer can touch several themes, so "
             "percentages add up to more than 100%. 95% confidence intervals are Wilson score intervals."]
    if NO_THEME in set(fr.table["category"]):
        notes.append(f"“{NO_THEME}”: answers the researcher read but did not code to any theme.")
    return Table(frame, title=f"{question.text}: themes of the answers, {sv.ward_name}", source=sv.source,
                 units="Number of respondents; percentage of those who answered and of all respondents",
                 notes=notes, status=sv.status)


def _share_with_interval(share: str, low: float, high: float) -> str:
    """"33% (18% to 53%)": one cell for a share and its interval, so a table with two bases stays narrow;
    withheld share, withheld interval."""
    return SUPPRESSED if share == SUPPRESSED else f"{share} ({_pct_range(low, high)})"


def theme_chart(sv: Survey, question: Question) -> Chart | None:
    """Bars of % of those who answered whose answer touches each theme, with 95% intervals (withheld left out)."""
    fr = theme_frequencies(sv, question)
    rows = fr.shown()
    rows = rows[rows["count"] > 0]
    if sv.rules.is_small(fr.base) or rows.empty:
        return None
    fig = new_figure(FIG_WIDTH, 0.55 * len(rows) + 1.6)
    ax = fig.add_subplot()
    _bar_panel(ax, rows, PALETTE[0])
    ax.set_title(wrap_label(question.text, 50))
    ax.set_xlabel("Percentage of those who answered (lines: 95% confidence interval)")
    _percent_axis(ax, min(100, max(rows["ci_high"].max() * 100 * 1.1, 10)))
    top = rows.iloc[0]
    tied = list(rows.loc[rows["count"] == top["count"], "label"])  # a tie is named as one, never ranked
    most = (f"The theme touched most often is {top['label']}" if len(tied) == 1
            else f"The themes touched most often, equally, are {join_words(tied)}")
    alt = (f"Horizontal bar chart of the percentage of the {fmt_int(fr.base)} respondents who answered "
           f"'{question.text}' whose answer touches each theme, with 95% confidence intervals. {most}, at "
           f"{fmt_pct(top['share'])} (interval {_pct_range(top['ci_low'], top['ci_high'])}).")
    if bool(fr.withheld.drop(index=list(fr.not_answers), errors="ignore").any()):
        alt += f" {_not_drawn(sv)}"
    caption = "Share of those who answered whose answer touches each theme; an answer can touch several."
    return Chart(fig, alt, caption, status=sv.status)


def other_text_summary(sv: Survey, question: Question) -> str | None:
    """The text typed beside a question's "other, please specify" option, counted and quoted as free text."""
    if question.other is None:
        return None
    texts = _typed_texts(sv, question, question.other)
    if not texts:
        return None
    quotable = len(texts) >= sv.rules.threshold
    return render("other_text", {"label": (question.options or {})[question.other],
                                 "answered": _stated_count(len(texts), sv), "threshold": fmt_int(sv.rules.threshold),
                                 "quotes": screened_quotes(texts) if quotable else [], "quotable": quotable})

# ================================================================================================
# preferred methods by age group
# ================================================================================================


def _has_methods(sv: Survey) -> bool:
    """The City Conversation's comparison of engagement methods by age: only for a ward whose questionnaire
    asks its preferred-methods question and its age bands (no other study is framed in its words)."""
    q = sv.questionnaire
    return (sv.has_mentions and q.has("preferred_methods") and q.has("age_band")
            and set(AGE_GROUPS) <= set(q.question("age_band").options or {}))


def methods_by_age_intro(sv: Survey) -> str | None:
    """The heading and question of the by-age section (None for a ward that did not ask both questions)."""
    return render("methods_by_age_intro", {}) if _has_methods(sv) else None


def age_group(responses: pd.DataFrame) -> pd.Series:
    """Each respondent's collapsed age group (`AGE_GROUPS`), or AGE_NOT_GIVEN."""
    return responses["age_band"].astype("string").map(AGE_GROUPS).fillna(AGE_NOT_GIVEN)


def methods_by_age_counts(sv: Survey) -> pd.DataFrame:
    """Respondents naming each method, by collapsed age group (columns YOUNGER, OLDER, AGE_NOT_GIVEN)."""
    if not _has_methods(sv):
        raise ValueError("this ward has no survey_mentions.csv")
    groups = age_group(sv.responses).set_axis(sv.responses["response_id"].astype(str))
    m = sv.mentions[sv.mentions["question"].astype(str) == "preferred_methods"]
    m = m[m["response_id"].astype(str).isin(groups.index)]
    pairs = pd.DataFrame({"method": m["code"].astype(str).to_numpy(),
                          "group": groups.reindex(m["response_id"].astype(str)).to_numpy(),
                          "rid": m["response_id"].astype(str).to_numpy()}).drop_duplicates()
    table = pd.crosstab(pairs["method"], pairs["group"])
    table = table.reindex(index=question_codes("preferred_methods", sv.questionnaire), columns=[YOUNGER, OLDER, AGE_NOT_GIVEN],
                          fill_value=0).astype("int64")
    table.index.name, table.columns.name = "preferred_methods", "age_group"
    return table


def group_sizes(sv: Survey) -> pd.Series:
    """Respondents per collapsed age group (the base of the by-age percentages)."""
    return age_group(sv.responses).value_counts().reindex([YOUNGER, OLDER, AGE_NOT_GIVEN], fill_value=0)


@dataclass
class MethodsByAge:
    counts: pd.DataFrame
    sizes: pd.Series
    overall: ProtectedTable
    by_age: ProtectedTable
    family: pd.DataFrame  # rows: digital / traditional; columns: groups; values: respondents naming any


def methods_by_age(sv: Survey) -> MethodsByAge:
    """Preferred methods overall and by age group, protected *together*.

    The by-age table's row totals are the overall table's counts, so a withheld cell could otherwise be
    recovered as overall minus the other age groups: `suppress_linked` links the two tables through the
    axis name ``preferred_methods``. The "Age not given" column takes part in the protection but is not
    published (hiding more than the algorithm assumes is shown is always safe).
    """
    counts = methods_by_age_counts(sv)
    overall = multi_response_counts(sv, "preferred_methods").drop(NO_ANSWER)
    linked = suppress_linked({"overall": overall, "by_age": counts}, sv.rules, with_totals=False)
    groups = age_group(sv.responses).set_axis(sv.responses["response_id"].astype(str))
    m = sv.mentions[sv.mentions["question"].astype(str) == "preferred_methods"]
    fam = {}
    for name, codes in (("digital", DIGITAL), ("traditional", TRADITIONAL)):
        ids = set(m.loc[m["code"].astype(str).isin(codes), "response_id"].astype(str))
        fam[name] = groups[groups.index.isin(ids)].value_counts().reindex([YOUNGER, OLDER, AGE_NOT_GIVEN], fill_value=0)
    family = pd.DataFrame(fam).T.astype("int64")
    return MethodsByAge(counts, group_sizes(sv), linked["overall"], linked["by_age"], family)


def methods_by_age_table(sv: Survey) -> Table | None:
    if not _has_methods(sv):
        return None
    mba = methods_by_age(sv)
    labels = sv.questionnaire.labels("preferred_methods")
    frame = pd.DataFrame(index=[labels[c] for c in mba.counts.index])
    frame.index.name = "Preferred method"
    notes = []
    for group in (YOUNGER, OLDER):
        base = int(mba.sizes[group])
        disp = mba.by_age.display[group].reindex(mba.counts.index)
        mask = mba.by_age.mask[group].reindex(mba.counts.index)
        pct = []
        for code in mba.counts.index:
            if mask[code] or base < sv.rules.min_percent_base:
                pct.append(SUPPRESSED)
            else:
                pct.append(fmt_pct(mba.counts.loc[code, group] / base))
        frame[f"{group}: respondents"] = list(disp)
        frame[f"{group}: % of age group"] = pct
        notes.append(f"{group}: {count_text(base, sv.rules)} respondents in this age group.")
    notes = list(mba.by_age.notes) + notes + [
        "Percentages are of all respondents in the age group, including any who did not answer this question. "
        "Respondents could name several methods.",
        "Respondents who did not give their age are not shown separately; they are included in the "
        "overall table above, and figures that could be worked out from the difference are withheld.",
        "Age bands are collapsed into two groups so that most cells are large enough to publish.",
    ]
    return Table(frame, title=f"Preferred ways for public agencies to engage, by age group: {sv.ward_name}",
                 source=sv.source, units="Number of respondents; percentage of the age group", notes=notes, status=sv.status)


def methods_by_age_text(sv: Survey) -> str | None:
    if not _has_methods(sv):
        return None
    mba = methods_by_age(sv)
    parts = []
    for family, words in (("digital", "at least one digital method (social media, e-mail or website, online meetings)"),
                          ("traditional", "at least one traditional or face-to-face method (post, doorstep "
                                          "conversations, community meetings, telephone)")):
        bits = []
        for group in (YOUNGER, OLDER):
            n, base = int(mba.family.loc[family, group]), int(mba.sizes[group])
            if not share_publishable(n, base, sv.rules):
                bits.append(f"a share of those {group.lower()} that is withheld (too few respondents)")
            else:
                low, high = wilson_interval(n, base)
                bits.append(f"{fmt_pct(n / base)} of those {group.lower()} (95% interval {_pct_range(low, high)})")
        parts.append(f"{capitalise(words)} was named by {join_words(bits)}.")
    text = " ".join(parts)
    d_y, d_o = _family_share(mba, "digital", YOUNGER, sv.rules), _family_share(mba, "digital", OLDER, sv.rules)
    if d_y is not None and d_o is not None:
        (yl, yh), (ol, oh) = d_y[1], d_o[1]
        if yl > oh or ol > yh:
            text += " The intervals for digital methods do not overlap, so the age difference is larger than chance alone."
        else:
            text += (" The intervals for digital methods overlap, so with this many responses the age difference "
                     "could be partly chance.")
    return text


def _family_share(mba: MethodsByAge, family: str, group: str, rules: DisclosureRules):
    """(share, interval) of an age group naming a method family, or None when it may not be stated."""
    n, base = int(mba.family.loc[family, group]), int(mba.sizes[group])
    if not share_publishable(n, base, rules):
        return None
    return n / base, wilson_interval(n, base)


# ================================================================================================
# figures
# ================================================================================================


def _percent_axis(ax, xmax: float = 100) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_xlim(0, xmax)


def _bar_panel(ax, rows: pd.DataFrame, colour: str) -> None:
    """Horizontal bars of share (%) with Wilson interval whiskers; rows already filtered and ordered."""
    data = rows.assign(percent=rows["share"] * 100, y=[wrap_label(l, 28) for l in rows["label"]])
    grouped_bars(ax, list(data["y"]), [(None, data["percent"].tolist(), colour)], horizontal=True, edgecolor="white")
    percent = data["percent"].to_numpy(dtype=float)
    ax.errorbar(x=percent, y=range(len(data)),
                xerr=[percent - data["ci_low"].to_numpy(dtype=float) * 100, data["ci_high"].to_numpy(dtype=float) * 100 - percent],
                fmt="none", ecolor="#1A1A1A", elinewidth=1.2, capsize=3)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)


def multi_response_chart(sv: Survey, question: str, colour: str | None = None) -> Chart | None:
    """Bars of % of respondents naming each answer, with 95% intervals (withheld answers left out)."""
    if not _available(sv, question):
        return None
    fr = frequencies(sv, question)
    rows = fr.shown()
    rows = rows[rows["count"] > 0]
    if rows.empty:
        return None
    fig = new_figure(FIG_WIDTH, 0.55 * len(rows) + 1.6)
    ax = fig.add_subplot()
    _bar_panel(ax, rows, colour or PALETTE[0])
    ax.set_title(wrap_label(sv.questionnaire.question(question).text, 50))
    ax.set_xlabel("Percentage of all survey respondents (lines: 95% confidence interval)")
    _percent_axis(ax, min(100, max(rows["ci_high"].max() * 100 * 1.1, 10)))
    top = rows.iloc[0]
    left_out = int(fr.withheld.drop(index=NO_ANSWER, errors="ignore").sum())
    alt = (f"Horizontal bar chart of the percentage of the {fmt_int(sv.n)} survey respondents giving each answer to "
           f"'{wording(sv, question)}', with 95% confidence intervals. The most frequent answer is "
           f"{_short(top['label'])} at {fmt_pct(top['share'])} (interval {_pct_range(top['ci_low'], top['ci_high'])}); "
           f"the least frequent shown is {_short(rows.iloc[-1]['label'])} at {fmt_pct(rows.iloc[-1]['share'])}.")
    if left_out:
        alt += f" {_not_drawn(sv)}"
    caption = "Share of all respondents naming each answer; respondents could give several."
    return Chart(fig, alt, caption, status=sv.status)


def single_answers_chart(sv: Survey, questions: tuple[str, ...] | list[str] = SINGLE_QUESTIONS) -> Chart | None:
    """One panel per single-answer question (by default: recommend, change over five years, Covid-19)."""
    panels = [c for c in questions if _available(sv, c)]
    if not panels:
        return None
    heights = []
    data = {}
    for column in panels:
        fr = frequencies(sv, column)
        rows = fr.shown()
        rows = rows[rows["count"] > 0]
        data[column] = (fr, rows)
        heights.append(max(len(rows), 1))
    fig = new_figure(FIG_WIDTH, 0.5 * sum(heights) + 1.3 * len(panels) + 0.6)
    axes = fig.subplots(len(panels), 1, sharex=True, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    titles = {c: sv.questionnaire.question(c).text for c in panels}  # the ward's own wording
    alt_parts = []
    for i, (ax, column) in enumerate(zip(axes, panels)):
        fr, rows = data[column]
        _bar_panel(ax, rows, PALETTE[i % len(PALETTE)])
        ax.set_title(wrap_label(titles[column], 60), fontsize=12)
        ax.set_xlabel("")
        if not rows.empty:
            alt_parts.append(_leaders_alt(titles[column], fr))
        else:  # an empty panel says why, rather than showing a bare axis
            ax.set_yticks([])
            ax.text(0.5, 0.5, f"Every answer withheld ({SUPPRESSED})", transform=ax.transAxes, ha="center",
                    va="center", fontsize=10)
            alt_parts.append(f"{titles[column].rstrip('?')}: every answer withheld")
    axes[-1].set_xlabel("Percentage of all survey respondents (lines: 95% confidence interval)")
    _percent_axis(axes[-1], 100)
    alt = (f"{_count_word(len(panels))} horizontal bar chart{'s' if len(panels) > 1 else ''} of the answers of the {fmt_int(sv.n)} survey respondents, with 95% confidence "
           "intervals. " + "; ".join(alt_parts) + f". {_not_drawn(sv)}")
    caption = f"Share of all respondents giving each answer (answers withheld in the table, {SUPPRESSED}, left out)."
    return Chart(fig, alt, caption, status=sv.status)


def _leaders_alt(title: str, fr: Frequencies) -> str:
    """A panel's most common answer(s) for its alt text: every tied one, and none when a leader is withheld
    (naming the largest shown answer would then be wrong, and say the withheld one is larger)."""
    if not fr.leaders_stated() or fr.disclosed.share(fr.leaders()["category"].iloc[0], base=fr.base) is None:
        return f"{title.rstrip('?')}: the most common answer is not stated (withheld in the table)"
    leaders = fr.leaders()
    lead = leaders.iloc[0]
    share = f"{fmt_pct(lead['share'])}{' each' if len(leaders) > 1 else ''} (interval {_pct_range(lead['ci_low'], lead['ci_high'])})"
    if len(leaders) > 1:
        return f"{title.rstrip('?')}: most common answers, given equally often, {join_words(list(leaders['label']))}, {share}"
    return f"{title.rstrip('?')}: most common answer {lead['label']}, {share}"


def _not_drawn(sv: Survey) -> str:
    """What a chart's alt text says of the answers its table withholds (the table's own [c])."""
    return (f"Answers withheld in the table ({SUPPRESSED}: fewer than {fmt_int(sv.rules.threshold)} respondents, "
            "or withheld so that such a number cannot be worked out) are not drawn.")


def _count_word(n: int) -> str:
    return {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}.get(n, fmt_int(n))


def methods_by_age_chart(sv: Survey) -> Chart | None:
    """Grouped bars: share of each age group naming each method (cells withheld in the table left out)."""
    if not _has_methods(sv):
        return None
    mba = methods_by_age(sv)
    labels = sv.questionnaire.labels("preferred_methods")
    percent: dict[str, dict[str, float]] = {YOUNGER: {}, OLDER: {}}  # group -> option code -> % (shown cells)
    for group in (YOUNGER, OLDER):
        base = int(mba.sizes[group])
        if base < sv.rules.min_percent_base:
            continue
        for code in mba.counts.index:
            if not bool(mba.by_age.mask.loc[code, group]):
                percent[group][code] = 100 * mba.counts.loc[code, group] / base
    codes = [c for c in mba.counts.index if any(c in shown for shown in percent.values())]  # by code: labels may repeat
    if not codes:
        return None
    fig = new_figure(FIG_WIDTH, 0.6 * len(codes) + 1.8)
    ax = fig.add_subplot()
    grouped_bars(ax, [wrap_label(labels[c], 24) for c in codes],
                 [(group, [percent[group].get(c) for c in codes], colour)
                  for group, colour in ((YOUNGER, PALETTE[0]), (OLDER, PALETTE[1]))], horizontal=True, edgecolor="white")
    ax.set_title("Preferred ways to be engaged, by age group")
    ax.set_xlabel("Percentage of respondents in the age group")
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    _percent_axis(ax, 100)
    handles, lbls = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    fig.legend(handles, lbls, loc="outside lower center", ncol=2, frameon=False)
    pieces = []
    for family in ("digital", "traditional"):
        s = [(_family_share(mba, family, g, sv.rules), g) for g in (YOUNGER, OLDER)]
        pieces.append(f"{family} methods: " + ", ".join(
            f"{g.lower()} {fmt_pct(v[0]) if v is not None else 'withheld'}" for v, g in s))
    alt = (f"Grouped horizontal bar chart of the percentage of respondents in two age groups ({YOUNGER.lower()}, "
           f"and {OLDER.lower()}) naming each way of being engaged by public agencies. Share naming at least one of the "
           + "; ".join(pieces) + ". Cells withheld for disclosure control are not drawn.")
    return Chart(fig, alt, "Preferred engagement methods by age group (respondents could name several).", status=sv.status)


# ================================================================================================
# published statements vs these records
# ================================================================================================


def claims_table(sv: Survey) -> Table | None:
    """Each published survey finding, where it is published, how we check it, and the result here."""
    if not sv.is_published_study or sv.data is None or not sv.has_responses:
        return None
    wanted = [cid for ids in SECTION_CLAIMS.values() for cid in ids]
    by_id = {c.claim_id: c for c in claims_mod.CLAIMS}
    rows = []
    holds = "Holds in these records" if sv.status == "observed" else f"Holds in the {sv.status} records (built to)"
    for cid in dict.fromkeys(wanted):
        claim = by_id[cid]
        result = claim.evaluate(sv.data, None)
        rows.append({"Published statement": claim.statement, "Slide": claim.location,
                     holds: {True: "Yes", False: "No", None: "[x]"}[result.passed]})
    frame = pd.DataFrame(rows)
    return Table(frame, title=f"Published survey findings checked against the records: {sv.ward_name}",
                 source=f"{PUBLISHED_SOURCE}; {sv.source}", units="Statements (no counts)",
                 notes=["The records were reconstructed so that every published finding holds; the check shows the "
                        "reconstruction is consistent, not that the finding is confirmed.",
                        "“Most” is taken as more than half of all respondents.",
                        "How each statement is checked is in the note for analysts below the table."], status=sv.status)


def claims_intro_text(sv: Survey) -> str | None:
    """Under "Checking the records": a ward with no earlier report has nothing to check against."""
    if sv.is_published_study and sv.data is not None and sv.has_responses:
        return None
    return f"There is no earlier report of {myst_escape(sv.ward_name)}'s survey to check these records against."


def claims_analyst_note(sv: Survey) -> str | None:
    """A collapsed note: how each published survey statement is checked, in the records' codes."""
    if not sv.is_published_study or sv.data is None or not sv.has_responses:
        return None
    wanted = list(dict.fromkeys(cid for ids in SECTION_CLAIMS.values() for cid in ids))
    return render("analysts", {"claims": _claim_results(sv, wanted), "ward": sv.ward_name})
