"""How the evidence was gathered (`notebooks/02-evidence-gathering.ipynb`): objectives, methods, training.

Everything the chapter shows is built here from the ward's data folder, so the notebook only calls
functions. Any optional source may be absent (no training records, no social media posts, ...): its
section then says so instead of failing. Published figures (from `published_figures.csv`) are quoted as
published; the records' status (reconstructed or synthetic) is said once, in the page banner and in
each table's source and notes, not in every sentence. What the slides say is said only for a ward whose
folder holds the published summary. Reader prose longer than a sentence is in
`templates/evidence_gathering/*.md`.

Disclosure: counts of *people* (respondents, interviewees, participants) below the threshold are
withheld (`[c]` in tables, "fewer than 5" in prose). Counts of activities (sessions, posts, workshops,
targets) describe no one and are shown as they are.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cityconv.chapters import facts
from cityconv.chapters.common import count_text
from cityconv.chapters.survey import PUBLISHED_SOURCE, published_figures
from cityconv.core.escaping import myst_escape
from cityconv.data.wardfiles import WardData, schema_descriptor
from cityconv.methods.disclosure import SUPPRESSED, DisclosureRules, protect_counts
from cityconv.present import PALETTE, Chart, Table, capitalise, fmt_int, join_words
from cityconv.present.prose import template_renderer

#: The chapter's reader prose: Markdown (Jinja2) templates, filled with numbers from the ward's records.
TEMPLATES = Path(__file__).parent / "templates" / "evidence_gathering"
render = template_renderer(TEMPLATES)

FIG_WIDTH = 6.2
LOCKDOWN = pd.Timestamp("2020-03-23")
"""The UK's first national Covid-19 lockdown was announced on 23 March 2020 (a public date, not a ward figure)."""
METHODS = ("training", "survey", "interviews", "social_media", "workshops")
METHOD_LABELS = {
    "training": "Community researcher training",
    "survey": "Residents' survey",
    "interviews": "Interviews",
    "social_media": "Social media posts",
    "workshops": "Practitioner workshops",
}
INTERVIEWEE_LABELS = {"survey_respondent": "Survey respondents", "community_researcher": "Community researchers",
                      "board_member": "Partnership board members"}

#: The basis note for a ward without published figures: nothing on its pages is "published".
RECORDS_NOTES = {
    "synthetic": "Every figure here is synthetic: simulated for a demonstration, not findings about the ward.",
    "reconstructed": "Every figure here is counted from the reconstructed records.",
    "observed": "Every figure here is counted from the ward's own records.",
}


@dataclass
class Fieldwork:
    ward_name: str
    data: WardData | None
    rules: DisclosureRules = field(default_factory=DisclosureRules)
    source: str = ""
    published: dict[str, float] = field(default_factory=dict)
    status: str = "observed"  # the records' data status, carried to every table and figure

    @property
    def is_published_study(self) -> bool:
        """True when the ward's folder carries published figures (Clubmoor's findings slides)."""
        return bool(self.published)

    def basis_note(self, published_study_note: str) -> str:
        """Where a table's figures come from: the published study's wording only for a ward that has one."""
        if self.is_published_study:
            return published_study_note
        return RECORDS_NOTES.get(self.status, RECORDS_NOTES["observed"])

    def frame(self, name: str) -> pd.DataFrame | None:
        if self.data is None:
            return None
        df = getattr(self.data, name, None)
        return df if df is not None and len(df) else None


def from_chapter(ch) -> Fieldwork:
    return Fieldwork(ch.title, ch.data, ch.rules, ch.records_source, published_figures(ch.data), ch.data_status)


def from_data(data: WardData | None, ward_name: str, rules: DisclosureRules | None = None, source: str = "") -> Fieldwork:
    return Fieldwork(ward_name, data, rules or DisclosureRules(), source or f"{ward_name} engagement records",
                     published_figures(data))


def _labels(stem: str, column: str) -> dict[str, str]:
    for f in schema_descriptor(stem)["fields"]:
        if f["name"] == column:
            return {c["value"]: c["label"] for c in f.get("categories", [])}
    return {}


def _month_name(month: str) -> str:
    return pd.Timestamp(f"{month}-01").strftime("%B %Y")


def _period(months: list[str]) -> str:
    """["2020-04", "2020-05"] -> "April to May 2020"; one month -> "November 2020"."""
    months = sorted(set(months))
    if not months:
        return ""
    first, last = pd.Timestamp(f"{months[0]}-01"), pd.Timestamp(f"{months[-1]}-01")
    if first == last:
        return first.strftime("%B %Y")
    if first.year == last.year:
        return f"{first.strftime('%B')} to {last.strftime('%B %Y')}"
    return f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}"


def people(fw: Fieldwork, n: int) -> str:
    """A count of people for prose: the number, or "fewer than 5"."""
    return count_text(n, fw.rules)


def records_count(fw: Fieldwork, m: Method) -> str:
    """A method's number of records for a table: withheld ([c]) when each record is one person (survey responses,
    interviews) and the number of people is withheld, as the prose says "fewer than 5" of them."""
    return SUPPRESSED if m.key in ONE_PERSON_EACH and fw.rules.is_small(m.records) else fmt_int(m.records)


# ================================================================================================
# objectives scorecard
# ================================================================================================


def scorecard(fw: Fieldwork) -> pd.DataFrame | None:
    """One row per objective: objective, target, delivered, status (label), why, basis of the delivered figure."""
    obj = fw.frame("objectives")
    if obj is None:
        return None
    basis = _labels("objectives", "delivered_basis")
    rows = []
    for _, r in obj.iterrows():
        unit = "" if pd.isna(r["unit"]) else f" {r['unit']}"
        rows.append({
            "objective_id": r["objective_id"],
            "Objective (as published)": r["objective"],
            "Target": "[x]" if pd.isna(r["target"]) else f"{fmt_int(r['target'])}{unit}",
            "Delivered": "[x]" if pd.isna(r["delivered"]) else f"{fmt_int(r['delivered'])}{unit}",
            "Status": facts.aim_status(r["status"]),
            "Why": r["explanation"],
            "Basis of the delivered figure": basis.get(str(r["delivered_basis"]), str(r["delivered_basis"])).split(":")[0],
            "target": r["target"], "delivered": r["delivered"], "status": str(r["status"]),
        })
    return pd.DataFrame(rows)


def scorecard_table(fw: Fieldwork) -> Table | None:
    """The quantified objectives: target, delivered, status and the basis of the delivered figure.

    Compact so that it fits the page; the full wording and the reasons are in `scorecard_reasons_text`.
    """
    sc = scorecard(fw)
    if sc is None:
        return None
    sc = sc[sc["target"].notna()]
    if sc.empty:
        return None
    obj = fw.frame("objectives").set_index("objective_id")
    measure = [str(obj.loc[i, "unit"]).capitalize() if not pd.isna(obj.loc[i, "unit"]) else str(i) for i in sc["objective_id"]]
    frame = pd.DataFrame({"What was counted": measure, "Target": list(sc["Target"]), "Delivered": list(sc["Delivered"]),
                          "Status": list(sc["Status"]),
                          "Basis of the delivered figure": list(sc["Basis of the delivered figure"])})
    frame = frame.set_index("What was counted")
    return Table(frame, title=f"The aims' targets: target and delivered, {fw.ward_name}",
                 source=(f"{PUBLISHED_SOURCE} (aims and targets); status, delivered figures and reasons: "
                         f"{fw.source}") if fw.is_published_study else f"{fw.source} (aims)",
                 units=f"Number of {join_words(dict.fromkeys(m.lower() for m in measure), 'or')}, as stated in each cell",
                 notes=["[x] = no figure published or reconstructed.",
                        "Status is a judgement, not a published figure. “Basis” says whether the delivered figure is "
                        "published, reconstructed or our interpretation of the slides. The reasons are listed below "
                        "the table."] if fw.is_published_study else
                       ["[x] = no figure recorded.", "Status is a judgement. The reasons are listed below the table.",
                        fw.basis_note("")], status=fw.status)


def scorecard_reasons_text(fw: Fieldwork) -> str | None:
    """Every objective as published, its status and why, as a list (from objectives.csv)."""
    sc = scorecard(fw)
    if sc is None:
        return None
    lines = []
    for _, r in sc.iterrows():
        # The records' status is said once, in the page banner: a "Synthetic:" prefix on every reason is not repeated.
        why = capitalise(re.sub(r"^(Synthetic|Reconstructed):\s*", "", str(r["Why"])))
        lines.append(f"- **{myst_escape(r['Objective (as published)'])}.** {r['Status']}. {myst_escape(why)}")
    return "\n".join(lines)


def scorecard_text(fw: Fieldwork) -> str:
    sc = scorecard(fw)
    if sc is None:
        return f"No aims are recorded for {fw.ward_name}, so no scorecard can be shown."
    count = facts.aim_count(fw.frame("objectives"))
    adapted = facts.aims_by_status(fw.frame("objectives"))["adapted"]
    words = f"{fmt_int(adapted)} aim{'s were' if adapted != 1 else ' was'}"
    who = "The project" if fw.is_published_study or fw.status == "observed" else f"The {fw.status} records"
    return render("scorecard", {"who": who, "aims": count.phrase, "targets": fmt_int(count.targets),
                                "adapted": adapted, "adapted_words": words, "published": fw.is_published_study})


def introduction_text(fw: Fieldwork) -> str:
    """What the chapter covers (and, for the published study only, what "published" means here)."""
    return render("introduction", {"published": fw.is_published_study})


def summary_context(fw: Fieldwork) -> dict:
    """The opening summary: how many objectives, and each method with its count, in fieldwork order."""
    sc = scorecard(fw)
    ms = methods(fw)
    words = {"training": lambda m: f"{fmt_int(m.records)} training sessions",
             "survey": lambda m: f"a survey with {people(fw, m.records)} responses",
             "interviews": lambda m: f"{people(fw, m.records)} interviews",
             "social_media": lambda m: f"{fmt_int(m.records)} social media posts",
             "workshops": lambda m: f"{fmt_int(m.records)} workshops with practitioners"}
    gathered = [m for m in ms if m.key != "training"]
    months = [mo for m in gathered for mo in m.months]
    count = facts.aim_count(fw.frame("objectives")) if sc is not None else None
    return {"ward": fw.ward_name, "aims": count.phrase if count else "",
            "methods": join_words([words[m.key](m) for m in gathered]), "period": _period(months),
            "published": fw.is_published_study, "status": fw.status}


def summary_text(fw: Fieldwork) -> str:
    """The chapter's opening paragraph."""
    return render("summary", summary_context(fw))


def fieldwork_text(fw: Fieldwork) -> str:
    """Before the timeline: what changed the fieldwork, only as far as the slides say it."""
    return render("fieldwork", {"ward": fw.ward_name, "published": fw.is_published_study,
                                "timeline": any(m.months for m in methods(fw))})


# ================================================================================================
# methods and their timeline
# ================================================================================================


ONE_PERSON_EACH = ("survey", "interviews")
"""Methods whose every record is one person (a response, an interview): their records are counts of people."""


@dataclass
class Method:
    key: str
    label: str
    months: list[str]
    records: int  # number of records (responses, interviews, posts, sessions, workshops)
    unit: str
    people: int | None = None  # people involved, when the records count people
    published: str = ""  # the published figure(s) as text, from published_figures.csv


def _months_of(df: pd.DataFrame | None, column: str) -> list[str]:
    """The months a method's records are dated in; an export without dates leaves survey months empty (unknown)."""
    if df is None:
        return []
    values = df[column].dropna()
    if column == "date":
        return sorted(set(pd.to_datetime(values).dt.strftime("%Y-%m")))
    return sorted({v for v in values.astype(str) if v.strip()})


def methods(fw: Fieldwork) -> list[Method]:
    """The methods present in this ward's records, in fieldwork order."""
    out = []
    pub = fw.published
    sessions, attendance = fw.frame("training_sessions"), fw.frame("training_attendance")
    if sessions is not None:
        participants = int(attendance["participant_id"].nunique()) if attendance is not None else None
        out.append(Method("training", METHOD_LABELS["training"], _months_of(sessions, "month"), len(sessions),
                          "sessions", participants,
                          _pub(pub, [("training_sessions", "sessions"), ("training_participants", "participants")])))
    responses = fw.frame("survey_responses")
    if responses is not None:
        out.append(Method("survey", METHOD_LABELS["survey"], _months_of(responses, "month"), len(responses),
                          "responses", len(responses), _pub(pub, [("survey_responses", "responses")])))
    interviews = fw.frame("interviews")
    if interviews is not None:
        out.append(Method("interviews", METHOD_LABELS["interviews"], _months_of(interviews, "month"), len(interviews),
                          "interviews", len(interviews), _pub(pub, [("interviews", "interviews")])))
    posts = fw.frame("social_media_posts")
    if posts is not None:
        out.append(Method("social_media", METHOD_LABELS["social_media"], _months_of(posts, "date"), len(posts), "posts",
                          None, _pub(pub, [("social_media_posts", "posts"),
                                           ("social_media_average_audience", "average audience"),
                                           ("social_media_interactions", "reactions, comments and shares"),
                                           ("social_media_comments", "comments")])))
    workshops = fw.frame("workshops")
    if workshops is not None:
        out.append(Method("workshops", METHOD_LABELS["workshops"], _months_of(workshops, "month"), len(workshops),
                          "workshops", int(workshops["participants"].sum()),
                          _pub(pub, [("practitioner_workshops", "workshops"), ("practitioner_participants", "participants")])))
    return out


def _pub(pub: dict[str, float], items: list[tuple[str, str]]) -> str:
    return "; ".join(f"{fmt_int(pub[k])} {word}" for k, word in items if k in pub)


def methods_table(fw: Fieldwork) -> Table | None:
    ms = methods(fw)
    if not ms:
        return None
    rows = []
    for m in ms:
        if m.people is None:
            ppl = "[x]"
        else:
            ppl = people(fw, m.people) if fw.rules.is_small(m.people) else fmt_int(m.people)
            ppl = "[c]" if fw.rules.is_small(m.people) else ppl
        row = {"Method": m.label, "When (from the records)": _period(m.months) or "No dates in the records",
               "Records": f"{records_count(fw, m)} {m.unit}", "People taking part (records)": ppl}
        if fw.is_published_study:  # a ward without the published summary has no such column
            row["Published figures"] = m.published or "[x]"
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("Method")
    source = f"{fw.source}; {PUBLISHED_SOURCE}" if fw.is_published_study else fw.source
    return Table(frame, title=f"What data were collected, and when: {fw.ward_name}", source=source,
                 units="Number of records or people, as stated in each cell",
                 notes=["People taking part: distinct training participants, survey respondents, interviewees or "
                        "workshop participants in the records; [x] where the records do not count people (social media "
                        "reach is an audience, not participants).",
                        fw.basis_note("Published figures are quoted from the findings slides; the records were "
                                      "reconstructed to reproduce them exactly.")], status=fw.status)


def _when(months: list[str]) -> str:
    """"from April to May 2020" / "in November 2020"; "" when the records carry no dates."""
    period = _period(months)
    if not period:
        return ""
    return f"from {period}" if " to " in period else f"in {period}"


def methods_context(fw: Fieldwork) -> dict:
    ms = {m.key: m for m in methods(fw)}
    pub = fw.published
    context: dict = {"ward": fw.ward_name, "survey": None, "interviews": None, "social_media": None,
                     "workshops": None}
    if "survey" in ms:
        m = ms["survey"]
        context["survey"] = {"period": _when(m.months), "n": _n_or_pub(fw, m.records, "survey_responses")}
    if "interviews" in ms:
        m = ms["interviews"]
        context["interviews"] = {"period": _when(m.months), "n": _n_or_pub(fw, m.records, "interviews")}
    if "social_media" in ms:
        m = ms["social_media"]
        sm = {"period": _when(m.months), "n": fmt_int(m.records), "published": False, "audience": None}
        if "social_media_average_audience" in pub:
            sm.update(audience=fmt_int(pub["social_media_average_audience"]), published=True,
                      interactions=fmt_int(pub["social_media_interactions"]),
                      comments=fmt_int(pub["social_media_comments"]) if "social_media_comments" in pub else None)
        else:
            posts = fw.frame("social_media_posts")
            sm.update(audience=fmt_int(posts["audience"].mean()), comments=None,
                      interactions=fmt_int(int(posts[["reactions", "comments", "shares"]].sum().sum())))
        context["social_media"] = sm
    if "workshops" in ms:
        m = ms["workshops"]
        context["workshops"] = {"period": _when(m.months), "n": fmt_int(m.records),
                                "people": _n_or_pub(fw, m.people, "practitioner_participants")}
    context["missing"] = join_words([METHOD_LABELS[k].lower() for k in METHODS if k not in ms])
    return context


def methods_text(fw: Fieldwork) -> str:
    if not methods(fw):
        return f"No fieldwork records other than the objectives are available for {fw.ward_name}."
    return render("methods", methods_context(fw))


def _n_or_pub(fw: Fieldwork, n: int | None, figure_id: str) -> str:
    """A count for prose: the published figure when it agrees with the records, else the records' count."""
    if n is None:
        return "[x]"
    return fmt_int(n) if fw.published.get(figure_id) == n else people(fw, n)


def timeline_chart(fw: Fieldwork) -> Chart | None:
    """Gantt-style bars from the first to the last month of each method, with the lockdown marked."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    ms = [m for m in methods(fw) if m.months]
    if not ms:
        return None
    fig = Figure(figsize=(FIG_WIDTH, 0.6 * len(ms) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    starts, ends = [], []
    for i, m in enumerate(ms):
        start = pd.Timestamp(f"{min(m.months)}-01")
        end = pd.Timestamp(f"{max(m.months)}-01") + pd.offsets.MonthEnd(0) + pd.Timedelta(days=1)
        starts.append(start)
        ends.append(end)
        ax.barh(i, (end - start).days, left=start, height=0.55, color=PALETTE[i % len(PALETTE)], edgecolor="white")
        label = f"{fmt_int(m.records)} {m.unit}" if m.people is None or m.key == "training" else (
            f"{fmt_int(m.records)} {m.unit}" if not fw.rules.is_small(m.people) else f"fewer than {fw.rules.threshold} {m.unit}")
        ax.text(end + pd.Timedelta(days=6), i, label, va="center", fontsize=10)
    lo, hi = min(starts), max(ends)
    if lo <= LOCKDOWN <= hi:
        ax.axvline(LOCKDOWN, color="#1A1A1A", linestyle="--", linewidth=1.2)
        ax.text(LOCKDOWN + pd.Timedelta(days=5), len(ms) - 1, "First Covid-19 lockdown\nannounced, 23 March 2020",
                fontsize=9, va="center")
    ax.set_yticks(range(len(ms)), [textwrap.fill(m.label, 22) for m in ms])
    ax.invert_yaxis()
    ax.set_xlim(lo - pd.Timedelta(days=10), hi + pd.Timedelta(days=60))
    ax.set_xticks(list(pd.date_range(lo, hi, freq="MS")))  # ticks only within the fieldwork months
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.tick_params(axis="x", labelsize=9)
    years = sorted({lo.year, (hi - pd.Timedelta(days=1)).year})
    ax.set_xlabel(f"Month ({'–'.join(str(y) for y in years)})")
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    ax.set_title(f"When each method was used in {fw.ward_name}")
    alt = ("Timeline of the fieldwork, one bar per method from its first to its last month in the records: "
           + "; ".join(f"{m.label.lower()} {_period(m.months)}" for m in ms) + ".")
    if lo <= LOCKDOWN <= hi:
        alt += " A dashed line marks the first national Covid-19 lockdown, announced on 23 March 2020."
    return Chart(fig, alt, "Months in which each method was used, from the dates in the records. Bars span whole months.", status=fw.status)


# ================================================================================================
# training
# ================================================================================================


def training_counts(fw: Fieldwork) -> pd.Series | None:
    sessions, attendance = fw.frame("training_sessions"), fw.frame("training_attendance")
    if sessions is None or attendance is None:
        return None
    per = attendance.groupby(attendance["session_id"].astype(str))["participant_id"].nunique()
    order = sessions.sort_values("session_number")
    counts = per.reindex(order["session_id"].astype(str), fill_value=0).astype("int64")
    counts.index = [f"Session {int(n)} ({_month_name(m)})" for n, m in zip(order["session_number"], order["month"])]
    counts.index.name = "session"
    return counts


def training_table(fw: Fieldwork) -> Table | None:
    counts = training_counts(fw)
    if counts is None:
        return None
    # One person attends several sessions, so the sessions do not add up to the number of people: no total row.
    protected = protect_counts(counts, fw.rules, with_totals=False)
    frame = protected.display.rename(columns={protected.display.columns[0]: "Participants attending"})
    frame.index.name = "Training session"
    attendance = fw.frame("training_attendance")
    distinct = int(attendance["participant_id"].nunique())
    notes = [n.replace("respondents", "participants") for n in protected.notes] + [
        f"Distinct participants across all sessions: {people(fw, distinct)}"
        + (" (published)." if fw.published.get("training_participants") == distinct else "."),
        fw.basis_note("Who attended which session is reconstructed; only the number of sessions and the total of "
                      "participants are published."),
    ]
    return Table(frame, title=f"Community researcher training: participants per session, {fw.ward_name}",
                 source=fw.source, units="Number of participants", notes=notes, status=fw.status)


def training_text(fw: Fieldwork) -> str:
    sessions, attendance = fw.frame("training_sessions"), fw.frame("training_attendance")
    if sessions is None:
        return f"No community researcher training is recorded for {fw.ward_name}."
    n_sessions = len(sessions)
    context = {"n_sessions": fmt_int(n_sessions), "plural": n_sessions != 1,
               "period": _when(list(sessions["month"].astype(str))), "people": None, "published": False,
               "target": None, "published_study": fw.is_published_study, "lockdown": False}
    if attendance is not None:
        distinct = int(attendance["participant_id"].nunique())
        context.update(people=people(fw, distinct), published=fw.published.get("training_participants") == distinct)
        target = _target(fw, "train_researchers")
        if target is not None and not fw.rules.is_small(distinct):
            context["target"] = fmt_int(target)
    last = max(sessions["month"].astype(str))
    context["lockdown"] = fw.is_published_study and (
        pd.Timestamp(f"{last}-01") <= LOCKDOWN < pd.Timestamp(f"{last}-01") + pd.offsets.MonthEnd(0))
    return render("training", context)


def _target(fw: Fieldwork, objective_id: str):
    obj = fw.frame("objectives")
    if obj is None:
        return None
    row = obj[obj["objective_id"] == objective_id]
    if row.empty or pd.isna(row["target"].iloc[0]):
        return None
    return int(row["target"].iloc[0])


# ================================================================================================
# interviews, social media, workshops
# ================================================================================================


def interviews_table(fw: Fieldwork) -> Table | None:
    interviews = fw.frame("interviews")
    if interviews is None:
        return None
    counts = interviews["interviewee_type"].astype(str).value_counts()
    # the study's own groups only: a ward that interviewed no board members has no such row
    counts = counts.reindex([k for k in INTERVIEWEE_LABELS if k in counts.index]).astype("int64")
    counts.index = [INTERVIEWEE_LABELS[k] for k in counts.index]
    counts.index.name = "interviewee"
    protected = protect_counts(counts, fw.rules, with_totals=True)
    frame = protected.display.rename(columns={protected.display.columns[0]: "Interviews"})
    frame.index.name = "Interviewee recruited from"
    return Table(frame, title=f"Interviews by where the interviewee was recruited: {fw.ward_name}", source=fw.source,
                 units="Number of interviews (one person each)",
                 notes=[n.replace("respondents", "interviewees") for n in protected.notes] + [fw.basis_note("The total and the three groups are published; the split between them is "
                                                               "reconstructed.")], status=fw.status)


def social_media_table(fw: Fieldwork) -> Table | None:
    posts = fw.frame("social_media_posts")
    if posts is None:
        return None
    topics = _labels("social_media_posts", "topic")
    frame = pd.DataFrame({
        "Date posted": pd.to_datetime(posts["date"]).dt.strftime("%-d %B %Y"),
        "Topic of the post": [topics.get(str(t), str(t)) for t in posts["topic"]],
        "Audience (people reached)": [fmt_int(v) for v in posts["audience"]],
        "Reactions, comments and shares": [fmt_int(v) for v in posts[["reactions", "comments", "shares"]].sum(axis=1)],
    })
    total = pd.DataFrame({"Date posted": ["All posts"], "Topic of the post": [""],
                          "Audience (people reached)": [f"{fmt_int(posts['audience'].mean())} on average"],
                          "Reactions, comments and shares": [fmt_int(posts[['reactions', 'comments', 'shares']].sum().sum())]})
    frame = pd.concat([frame, total], ignore_index=True).set_index("Date posted")
    return Table(frame, title=f"Social media posts: audience and interactions, {fw.ward_name}", source=fw.source,
                 units="Number of people reached; number of reactions, comments and shares",
                 notes=[fw.basis_note("The totals and the average audience are published; dates, topics and per-post "
                                      "figures are reconstructed so that the totals are exact."),
                        "Comments per post are not shown separately: some are fewer than 5."], status=fw.status)


def unavailable_text(fw: Fieldwork, source: str) -> str | None:
    """A sentence for an optional source this ward lacks (None when it is present)."""
    names = {"training_sessions": "community researcher training", "interviews": "interviews",
             "social_media_posts": "social media posts", "workshops": "practitioner workshops",
             "survey_responses": "survey responses"}
    if fw.frame(source) is not None:
        return None
    return f"Not available: {fw.ward_name}'s data folder has no records of {names.get(source, source)}."


def workshops_text(fw: Fieldwork) -> str:
    w = fw.frame("workshops")
    if w is None:
        return unavailable_text(fw, "workshops")
    total = int(w["participants"].sum())
    text = (f"{fmt_int(len(w))} practitioner workshop{'s were' if len(w) != 1 else ' was'} held "
            f"{_when(list(w['month'].astype(str)))}, with {_n_or_pub(fw, total, 'practitioner_participants')} "
            "participants")
    if fw.is_published_study:  # the slides' own description of the workshops' aims
        text += (" from public and social agencies. The slides say they were to sense-check the findings, gather "
                 "examples of good practice and feed into recommendations.")
    else:
        text += "."
    small = [int(v) for v in w["participants"] if fw.rules.is_small(int(v))]
    if not small and len(w) > 1:  # a split the records hold: said with the records' status when not observed
        split = join_words([fmt_int(v) for v in w.sort_values("workshop_number")["participants"]])
        if fw.status == "observed":
            text += f" The records split the participants {split} between the workshops."
        elif fw.is_published_study:
            text += (f" The slides do not say how the participants were split between the workshops; the "
                     f"{fw.status} records split them {split}, a choice made when rebuilding them.")
        else:
            text += f" The {fw.status} records split the participants {split} between the workshops."
    return text
