"""The cross-ward comparison chapter (`notebooks/30-ward-comparison.ipynb`): Clubmoor beside every
other ward set up in `params/`.

The chapter runs for a *study* (`params/ward-comparison.yml`, no data of its own) and reads every
ward's params, data folder and the shared context tables (`data/context/`); the template declares
those reads so the runner re-runs it when any ward changes. It works for any number of wards: with
one ward it says there is nothing to compare yet, and shows that ward's row.

Sections (each function returns a `present.Table`, Markdown text, or None, so the notebook holds no
logic):

- **context**: population, ethnic minority share, older residents, social renting and neighbourhood
  deprivation, from `cityconv.data.context` (Census 2021, IMD 2019), with Liverpool for reference;
- **engagement reach**: survey responses, interviews, social media posts and workshop participants,
  counted from each ward's records, with the status of each ward's figures (published, reconstructed,
  synthetic or observed);
- **key findings**: the most-mentioned best thing and thing to improve, and the share who would
  recommend the ward, under disclosure control (`cityconv.methods.disclosure`): no count below the threshold
  (default 5) and no percentage on a base below `min_percent_base` (default 10). A "top" answer whose
  count is withheld is withheld as a whole (naming it would say that someone gave it);
- **recommendations**: which rules of `cityconv.chapters.recommendations.fired_by_ward` fire for each ward,
  or a "not available" note while that module does not exist.

Labelling: every table names each ward with its data status — "Anfield (synthetic)", "Clubmoor
(reconstructed)" — so a synthetic demonstration can never be read as a finding, whatever table is
copied out of the page.

Prose: the reader's sentences are in `templates/comparison/*.md`, filled here; answer labels come
from each ward's own questionnaire (labels travel with the data). Commands and file names appear only
in the collapsed "For analysts" notes.

Disclosure rules: each ward is protected with the stricter of its own `disclosure:` settings and the
comparison study's (higher thresholds, zeros withheld if either says so).

Robustness: a ward whose data folder does not validate (e.g. one just made with `cityconv new-ward`
and not filled in yet) is not an error here: its rows say "[x]" and a note tells the reader to run
`cityconv validate <id>`. The comparison must never fail because another ward is half-finished.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cityconv.chapters import facts
from cityconv.chapters.common import analysts_note
from cityconv.chapters.loader import not_started
from cityconv.core.escaping import myst_escape, role_title
from cityconv.core.params import StudyParams, load_all, load_params
from cityconv.core.paths import Project
from cityconv.core.problems import InputError
from cityconv.data import chapter_registry
from cityconv.data.context import SET_CITY, SET_NEW, SET_OLD, WardContext, load_context
from cityconv.data.wardfiles import WardData, load_ward_data
from cityconv.methods.disclosure import (
    SUPPRESSED,
    DisclosureRules,
    assert_publishable,
)
from cityconv.present import NOT_AVAILABLE, Table, combine_statuses, fmt_int, fmt_pct, join_words
from cityconv.present.prose import template_renderer

#: The chapter's prose: Markdown (Jinja2) templates, filled from the wards' data.
render = template_renderer(Path(__file__).parent / "templates" / "comparison")

CLUBMOOR = "clubmoor"
CITY_LABEL = "Liverpool (whole city)"
STATUS_LABEL = {"synthetic": "synthetic", "reconstructed": "reconstructed", "observed": "observed"}
BOUNDARY_LABEL = {SET_OLD: "2004–2023", SET_NEW: "2023–", SET_CITY: "city"}
ETHNIC_MINORITY_GROUPS = ("Mixed/multiple", "Asian/Asian British", "Black/Black British", "Other")
OLDER_BANDS = ("65-74", "75+")

# Engagement measures: (key, column heading, data file, published figure id, counts people?)
REACH_MEASURES = (
    ("survey", "Survey responses", "survey_responses", "survey_responses", True),
    ("interviews", "Interviews", "interviews", "interviews", True),
    ("posts", "Social media posts", "social_media_posts", "social_media_posts", False),
    ("workshop", "Workshop participants", "workshops", "practitioner_participants", True),
)

RECORDS_SOURCE = {
    "observed": "engagement records",
    "reconstructed": "records reconstructed to agree with the published summary (not the original responses)",
    "synthetic": "synthetic demonstration records (not findings)",
}
SOURCE_CONTEXT = (
    "ONS Census 2021 (output areas summed to wards); MHCLG English Indices of Deprivation 2019; "
    "Open Government Licence v3.0 (data/context/)"
)
PUBLISHED_SOURCE = "The City Conversation in Clubmoor: findings presentation (Heseltine Institute, 2020–21)"


# ================================================================================================
# loading
# ================================================================================================


@dataclass
class WardEntry:
    """One ward of the comparison: its params, its records (None if they do not load) and context."""

    id: str
    params: StudyParams
    data: WardData | None
    context: WardContext | None
    rules: DisclosureRules
    data_problem: str | None = None  # why `data` is None, in plain English

    @property
    def status(self) -> str:
        return self.params.data_status

    @property
    def label(self) -> str:
        """The ward's name with its data status, used as the row header of every table."""
        return ward_label(self.params)

    @property
    def is_clubmoor(self) -> bool:
        return self.id == CLUBMOOR


@dataclass
class Comparison:
    """Every ward in `params/`, Clubmoor first, and the comparison study's own settings."""

    project: Project
    study: StudyParams | None
    wards: list[WardEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # params files that did not load
    not_started: list[str] = field(default_factory=list)  # titles of wards made by new-ward and not filled in

    @property
    def n(self) -> int:
        return len(self.wards)

    @property
    def has_clubmoor(self) -> bool:
        return any(w.is_clubmoor for w in self.wards)

    @property
    def status(self) -> str:
        """The wards' data statuses together ("reconstructed and synthetic"), for a table across wards."""
        return combine_statuses(w.status for w in self.wards)


def ward_label(params: StudyParams) -> str:
    """ "Anfield (synthetic)", "Clubmoor (reconstructed)", or the plain title for observed data."""
    status = params.data_status
    return params.title if status == "observed" else f"{params.title} ({STATUS_LABEL[status]})"


def combined_rules(*rules: DisclosureRules) -> DisclosureRules:
    """The strictest of several rule sets: highest thresholds, zeros withheld if any says so."""
    threshold = max(r.threshold for r in rules)
    return DisclosureRules(
        threshold=threshold,
        min_percent_base=max(threshold, *(r.min_percent_base for r in rules)),
        zeros_disclosive=any(r.zeros_disclosive for r in rules),
    )


def _rules_of(params: StudyParams | None) -> DisclosureRules:
    return DisclosureRules() if params is None else DisclosureRules(**params.disclosure.model_dump())


def ward_order(params: dict[str, StudyParams]) -> list[str]:
    """Ward ids (kind "ward" only), Clubmoor first, then by title."""
    wards = [i for i, p in params.items() if p.kind == "ward"]
    return sorted(wards, key=lambda i: (i != CLUBMOOR, params[i].title.lower(), i))


def load_entry(project: Project, params: StudyParams, study_rules: DisclosureRules) -> WardEntry:
    """A ward's records and context, never raising for a ward whose data are not (yet) valid."""
    data, problem = None, None
    if params.data_dir:
        try:
            data = load_ward_data(project.root / params.data_dir, project.root)
        except InputError as exc:
            n = len(exc.problems)
            problem = (f"its data do not validate ({n} problem{'s' if n != 1 else ''}; "
                       f"run `cityconv validate {params.id}`)")
        except FileNotFoundError:
            problem = f"its data folder {params.data_dir} was not found"
    context = None
    if params.ward is not None and project.context_dir.is_dir():
        try:
            context = load_context(project.context_dir, params.ward.code, params.ward.boundary_set)
        except (KeyError, ValueError, FileNotFoundError):
            context = None
    rules = combined_rules(_rules_of(params), study_rules)
    return WardEntry(params.id, params, data, context, rules, problem)


def load_comparison(study_id: str | None = None, root: Path | None = None) -> Comparison:
    """Load the comparison study (if given) and every ward in the project's `params/`."""
    project = Project(Path(root).resolve()) if root else Project.discover()
    study = None
    if study_id is not None:
        study = load_params(project.params_file(study_id), project.root)
    all_params, problems = load_all(project)
    study_rules = _rules_of(study)
    order = ward_order(all_params)
    waiting = [i for i in order if not_started(project, all_params[i])]
    wards = [load_entry(project, all_params[i], study_rules) for i in order if i not in waiting]
    skipped = sorted({p.file for p in problems})
    return Comparison(project, study, wards, skipped, [all_params[i].title for i in waiting])


# ================================================================================================
# prose
# ================================================================================================


def ward_page(entry: WardEntry, page: str | None, text: str) -> str:
    """A MyST link to one of a ward's own chapters (a ward whose data do not load, or a project without
    that chapter, has none: plain text)."""
    if entry.data is None or page is None:
        return myst_escape(text)
    return f"{{doc}}`{role_title(text)} </book/generated/{entry.id}/{page}>`"


def summary_text(comp: Comparison) -> str:
    """The chapter's opening paragraph."""
    return render("summary", {
        "n": comp.n, "names": join_words([w.params.title for w in comp.wards]), "has_clubmoor": comp.has_clubmoor,
        "others": join_words([w.params.title for w in comp.wards if not w.is_clubmoor])})


def intro_text(comp: Comparison) -> str:
    """Which wards are compared, and what their data are; commands for analysts in a collapsed note."""
    synthetic = [w.params.title for w in comp.wards if w.status == "synthetic"]
    reconstructed = [w.params.title for w in comp.wards if w.status == "reconstructed"]
    broken = [w for w in comp.wards if w.data is None and w.params.data_dir]
    text = render("intro", {
        "n": comp.n, "names": join_words([w.params.title for w in comp.wards]),
        "synthetic": join_words(synthetic), "synthetic_count": len(synthetic), "reconstructed": join_words(reconstructed),
        "broken": "; ".join(f"{w.params.title} ({_plain_problem(w.data_problem)})" for w in broken),
        "not_started": join_words(comp.not_started), "not_started_count": len(comp.not_started),
        "tutorial": "{doc}`tutorial </book/tutorial>`"})
    notes = []
    if comp.n == 0:
        notes.append('No ward is set up in `params/`: add one with `cityconv new-ward "<ward name>"`.')
    elif comp.n == 1:
        notes.append("Add another ward with `cityconv new-ward`.")
    if synthetic:
        notes.append("Synthetic records are made by `cityconv simulate`.")
    notes += [f"{w.params.title}: {w.data_problem}." for w in broken]
    if comp.skipped:
        notes.append("Params files that did not load and are left out: "
                     + ", ".join(f"`{s}`" for s in comp.skipped) + " (run `cityconv validate`).")
    return text + ("\n\n" + analysts_note(notes) if notes else "")


def _plain_problem(problem: str | None) -> str:
    """A ward's data problem without the command (the command goes in the analysts' note)."""
    return str(problem or "").split(";")[0].split(" (")[0]


# ================================================================================================
# context
# ================================================================================================


def _rows(table: pd.DataFrame, code: str, boundary_set: str) -> pd.DataFrame:
    if table is None or table.empty:
        return pd.DataFrame()
    return table[(table["ward_code"] == code) & (table["boundary_set"] == boundary_set)]


def _share(table: pd.DataFrame, code: str, boundary_set: str, categories) -> float | None:
    rows = _rows(table, code, boundary_set)
    s = rows.loc[rows["category"].isin(list(categories)), "share"] if not rows.empty else pd.Series(dtype=float)
    if s.empty or s.isna().any():
        return None
    return float(s.astype(float).sum())


def context_figures(context: WardContext, code: str | None = None, boundary_set: str | None = None) -> dict:
    """Key context figures for the ward of `context` (or for Liverpool with code E08000012, set "city").

    None means not available (e.g. Waterfront North has no Census 2021 figures), never zero.
    """
    code = code or context.ward_code
    bset = boundary_set or context.boundary_set
    w = _rows(context.wards, code, bset)

    def value(col):
        if w.empty or col not in w or pd.isna(w[col].iloc[0]):
            return None
        return int(w[col].iloc[0])

    dep = _rows(context.deprivation_summary, code, bset)
    most, total = None, None
    if not dep.empty and not dep["n_lsoa"].isna().any():
        total = int(dep["n_lsoa"].sum())
        most = int(dep.loc[dep["imd_decile"] == 1, "n_lsoa"].sum())
        if total == 0:
            most, total = None, None
    return {
        "population_2021": value("population_2021"),
        "households_2021": value("households_2021"),
        "ethnic_minority": _share(context.ethnicity, code, bset, ETHNIC_MINORITY_GROUPS),
        "aged_65_plus": _share(context.age, code, bset, OLDER_BANDS),
        "social_rented": _share(context.tenure, code, bset, ["Social rented"]),
        "most_deprived": most,
        "n_lsoa": total,
    }


def _deprived_text(fig: dict) -> str:
    if fig["most_deprived"] is None or not fig["n_lsoa"]:
        return NOT_AVAILABLE
    return f"{fig['most_deprived']} of {fig['n_lsoa']} ({fmt_pct(fig['most_deprived'] / fig['n_lsoa'])})"


def _context_row(label: str, bset: str, fig: dict) -> dict:
    return {
        "Ward": label,
        "Boundaries": BOUNDARY_LABEL.get(bset, bset),
        "Residents (2021)": NOT_AVAILABLE if fig["population_2021"] is None else fmt_int(fig["population_2021"]),
        "Ethnic minority residents": NOT_AVAILABLE if fig["ethnic_minority"] is None else fmt_pct(fig["ethnic_minority"]),
        "Aged 65 and over": NOT_AVAILABLE if fig["aged_65_plus"] is None else fmt_pct(fig["aged_65_plus"]),
        "Households renting socially": NOT_AVAILABLE if fig["social_rented"] is None else fmt_pct(fig["social_rented"]),
        "Most deprived 10% (IMD 2019)": _deprived_text(fig),
    }


def context_frame(comp: Comparison) -> pd.DataFrame:
    """One row per ward (with its status label) and a last row for Liverpool; display strings."""
    rows = []
    city_context = None
    for w in comp.wards:
        if w.context is None:
            empty = {k: None for k in ("population_2021", "households_2021", "ethnic_minority", "aged_65_plus",
                                       "social_rented", "most_deprived", "n_lsoa")}
            rows.append(_context_row(w.label, w.params.ward.boundary_set if w.params.ward else "", empty))
            continue
        city_context = city_context or w.context
        rows.append(_context_row(w.label, w.context.boundary_set, context_figures(w.context)))
    if city_context is not None:
        from cityconv.data.context import CITY_CODE

        rows.append(_context_row(CITY_LABEL, SET_CITY, context_figures(city_context, CITY_CODE, SET_CITY)))
    return pd.DataFrame(rows, columns=list(_context_row("", "", dict.fromkeys(
        ("population_2021", "households_2021", "ethnic_minority", "aged_65_plus", "social_rented",
         "most_deprived", "n_lsoa"))).keys()))


def context_table(comp: Comparison) -> Table | None:
    if comp.n == 0:
        return None
    frame = context_frame(comp)
    notes = [
        "Ward populations and households are sums of the ward's Census 2021 output areas; age and ethnic "
        "group, published only for larger areas (LSOAs), are split across wards by their output areas' "
        "residents where an LSOA straddles a boundary (modelled).",
        "Ethnic minority: all broad ethnic groups except White. Most deprived 10%: the ward's neighbourhoods "
        "(LSOAs, 2011 boundaries) in England's most deprived decile of the Index of Multiple Deprivation 2019.",
    ]
    sets = {w.params.ward.boundary_set for w in comp.wards if w.params.ward is not None}
    if len(sets) > 1:
        notes.append("The wards are on different boundary sets (2004–2023 and since May 2023): wards "
                     "of the two sets overlap and differ in size, so compare percentages, not counts.")
    if any(w.status == "synthetic" for w in comp.wards):
        notes.append("Context figures are real for every ward; only the engagement data of wards marked "
                     "(synthetic) are simulated.")
    return Table(frame, "Wards in context: population, ethnicity, age, housing and deprivation",
                 SOURCE_CONTEXT, "residents (count) and percentages as labelled", notes, status="published")


# ================================================================================================
# engagement reach
# ================================================================================================


def _published(data: WardData | None) -> dict[str, float]:
    if data is None or data.published_figures is None:
        return {}
    pf = data.published_figures
    return {str(k): float(v) for k, v in zip(pf["figure_id"], pf["value"]) if not pd.isna(v)}


def reach_counts(entry: WardEntry) -> dict[str, int | None]:
    """Raw counts from the ward's records (None: no such source). NOT for publication as they are."""
    out: dict[str, int | None] = {}
    data = entry.data
    for key, _, stem, _, _ in REACH_MEASURES:
        frame = None if data is None else getattr(data, stem, None)
        if frame is None:
            out[key] = None
        elif key == "workshop":
            out[key] = int(frame["participants"].fillna(0).sum())
        else:
            out[key] = int(len(frame))
    return out


SHORT_MEASURE = {"survey": "survey", "interviews": "interviews", "posts": "posts", "workshop": "workshops"}


def reach_status(entry: WardEntry) -> str:
    """Where the ward's reach figures come from: published totals, and the kind of records."""
    if entry.data is None:
        return "no valid data"
    counts = reach_counts(entry)
    published = _published(entry.data)
    matched = [SHORT_MEASURE[key] for key, _, _, fid, _ in REACH_MEASURES
               if counts[key] is not None and fid in published and int(published[fid]) == counts[key]]
    records = {"synthetic": "synthetic records", "reconstructed": "records reconstructed",
               "observed": "observed records"}[entry.status]
    available = [k for k in counts if counts[k] is not None]
    if matched and len(matched) == len(available):
        return f"published totals; {records}"
    if matched:
        return f"published: {', '.join(matched)}; {records}"
    return records


def _protect_count(n: int | None, rules: DisclosureRules, people: bool = True) -> str:
    if n is None:
        return NOT_AVAILABLE
    if people and rules.is_small(n):
        return SUPPRESSED
    return fmt_int(n)


def reach_frame(comp: Comparison) -> pd.DataFrame:
    rows = []
    for w in comp.wards:
        counts = reach_counts(w)
        row = {"Ward": w.label}
        for key, heading, _, _, people in REACH_MEASURES:
            row[heading] = _protect_count(counts[key], w.rules, people)
        row["Status"] = reach_status(w)
        rows.append(row)
    columns = ["Ward", *[m[1] for m in REACH_MEASURES], "Status"]
    return pd.DataFrame(rows, columns=columns)


def _rules_note(comp: Comparison) -> str:
    thresholds = sorted({w.rules.threshold for w in comp.wards}) or [DisclosureRules().threshold]
    bases = sorted({w.rules.min_percent_base for w in comp.wards}) or [DisclosureRules().min_percent_base]
    t = "/".join(str(x) for x in thresholds)
    b = "/".join(str(x) for x in bases)
    return (f"Disclosure control: counts of people below {t} are shown as [c], and no percentage is "
            f"given on a base below {b} (see Protecting respondents).")


def reach_table(comp: Comparison) -> Table | None:
    if comp.n == 0:
        return None
    frame = reach_frame(comp)
    for w, (_, row) in zip(comp.wards, frame.set_index("Ward").iterrows()):
        assert_publishable(row.drop(labels=["Social media posts", "Status"]).to_frame().T, w.rules)
    notes = [
        "Counted from each ward's records: survey responses, interviews and social media posts are rows of "
        "their files; workshop participants are the sum over workshops.",
        "[x] = the ward has no such source (the file is absent), which is not the same as none.",
        "Status: \"published\" where the count equals a figure published by the project (for Clubmoor, the "
        "findings presentation), then the kind of records counted. People counted in one source may also be "
        "counted in another.",
        _rules_note(comp),
    ]
    sources = sorted({RECORDS_SOURCE[w.status] for w in comp.wards})
    source = "each ward's " + "; ".join(sources)
    if any(_published(w.data) for w in comp.wards):
        source += f"; {PUBLISHED_SOURCE}"
    return Table(frame, "Engagement reach by ward", source, "counts (responses, interviews, posts, people)", notes,
                 status=comp.status)


def reach_text(comp: Comparison) -> str | None:
    """How to read the reach table; None when there is nothing to compare."""
    if comp.n < 2:
        return None
    missing = [w.params.title for w in comp.wards
               if w.data is not None and any(v is None for v in reach_counts(w).values())]
    return render("reach", {"missing": join_words(missing)})


# ================================================================================================
# key findings
# ================================================================================================


def _short_label(label: str) -> str:
    """A ward's own answer label without its example, for a compact table: "Green spaces and parks
    (e.g. the Ducky)" -> "Green spaces and parks"."""
    text = str(label)
    cut = text.find(" (e.g.")
    return text[:cut] if cut > 0 else text


def answer_labels(data: WardData | None, question: str) -> dict[str, str]:
    """code -> short label from the ward's own questionnaire (labels travel with the data)."""
    from cityconv.data.questionnaire import standard_questionnaire

    q = None if data is None else data.questionnaire
    q = q if q is not None else standard_questionnaire()  # a folder without its own file uses the template
    if not q.has(question):
        return {}
    return {c: _short_label(l) for c, l in q.labels(question).items()}


def mention_counts(data: WardData | None, question: str) -> tuple[pd.Series, int]:
    """(respondents naming each code, sorted descending then by code order; all respondents).

    The base is every respondent, as on the survey chapter and every other page (`facts.answer_share`).
    """
    if data is None or data.survey_mentions is None or data.survey_responses is None:
        return pd.Series(dtype=int), 0
    m = data.survey_mentions
    m = m[m["question"].astype(str) == question]
    if m.empty:
        return pd.Series(dtype=int), 0
    base = int(data.survey_responses["response_id"].nunique())
    per = m.drop_duplicates(["response_id", "code"]).groupby(m["code"].astype(str), sort=False)["response_id"].nunique()
    order = {c: i for i, c in enumerate(answer_labels(data, question))}
    per = per[per > 0]
    ranked = sorted(per.index, key=lambda c: (-int(per[c]), order.get(c, len(order)), c))
    return per.reindex(ranked).astype(int), base


def _pct(count: int, base: int, rules: DisclosureRules) -> str:
    """A share of all respondents, the one survey-share fact of every page ([c] when disclosure control withholds it)."""
    fact = facts.answer_share(count, base, answered=False, rules=rules)
    return SUPPRESSED if fact is None else fact.text


def top_answer(data: WardData | None, question: str, rules: DisclosureRules) -> str:
    """ "Label: n (p% of all N respondents)", ties joined with " / ", or [c] / [x]."""
    counts, base = mention_counts(data, question)
    if counts.empty or base == 0:
        return NOT_AVAILABLE
    top = int(counts.iloc[0])
    if rules.is_small(top):
        return SUPPRESSED  # naming the answer would disclose that a few people gave it
    labels = answer_labels(data, question)
    tied = [labels.get(c, c) for c in counts.index if int(counts[c]) == top]
    name = " / ".join(tied) + (" (tied)" if len(tied) > 1 else "")
    pct = _pct(top, base, rules)
    pct_text = f"{pct} of all {fmt_int(base)} respondents" if pct != SUPPRESSED else f"[c]% of all {fmt_int(base)} respondents"
    return f"{name}: {fmt_int(top)} ({pct_text})"


def recommend_share(data: WardData | None, rules: DisclosureRules) -> str:
    if data is None or data.survey_responses is None or "recommend" not in data.survey_responses:
        return NOT_AVAILABLE
    answers = data.survey_responses["recommend"].dropna().astype(str)
    base = int(len(data.survey_responses))  # all respondents, as on every page
    if base == 0:
        return NOT_AVAILABLE
    from cityconv.chapters import survey  # the survey chapter's table decides what may be said

    yes = int((answers == "yes").sum())
    pct = _pct(yes, base, rules)
    if pct == SUPPRESSED or survey.answer_withheld(survey.from_data(data, "the ward", rules), "recommend", "yes"):
        return SUPPRESSED
    return f"{pct} of all {fmt_int(base)} respondents"


def findings_frame(comp: Comparison) -> pd.DataFrame:
    rows = []
    for w in comp.wards:
        rows.append({
            "Ward": w.label,
            "Most-mentioned best thing": top_answer(w.data, "best_things", w.rules),
            "Most-mentioned thing to improve": top_answer(w.data, "improve", w.rules),
            "Would recommend the area (% of all respondents)": recommend_share(w.data, w.rules),
        })
    return pd.DataFrame(rows, columns=["Ward", "Most-mentioned best thing", "Most-mentioned thing to improve",
                                       "Would recommend the area (% of all respondents)"])


def findings_table(comp: Comparison) -> Table | None:
    if comp.n == 0:
        return None
    frame = findings_frame(comp)
    notes = [
        "Best things and things to improve: respondents could name up to three; the count is of respondents "
        "naming the item. Every percentage is of all respondents, as on the survey chapters.",
        "[c]: withheld to protect respondents — a count below the threshold, a percentage on a small base, "
        "or a most-mentioned item named by fewer people than the threshold (naming it would disclose them).",
        _rules_note(comp),
    ]
    if any(w.status == "synthetic" for w in comp.wards):
        notes.append("Rows marked (synthetic) are simulated: they demonstrate the method and are not findings.")
    sources = sorted({RECORDS_SOURCE[w.status] for w in comp.wards})
    return Table(frame, "Key survey findings by ward", "each ward's survey: " + "; ".join(sources),
                 "respondents (count) and percentage of all respondents", notes, status=comp.status)


def findings_text(comp: Comparison) -> str | None:
    usable = [w for w in comp.wards if w.data is not None and w.data.survey_mentions is not None]
    if len(usable) < 2:
        return None
    tops = {}
    for w in usable:
        counts, _ = mention_counts(w.data, "best_things")
        if not counts.empty and not w.rules.is_small(int(counts.iloc[0])):
            tops[w.label] = answer_labels(w.data, "best_things").get(counts.index[0], counts.index[0])
    if len(tops) >= 2 and len(set(tops.values())) == 1:
        return render("same_top", {"answer": next(iter(tops.values())).lower(),
                                   "synthetic": any(w.status == "synthetic" for w in usable)})
    return None


def _asks(data: WardData | None) -> bool:
    return data is not None and data.survey_responses is not None and data.questionnaire is not None


def shared_questions(comp: Comparison) -> list[str]:
    """Questions every ward with survey records asks with the same answer codes (wording may differ,
    e.g. each names its own ward), in the first such ward's order; the Census questions are left to
    the context comparison."""
    asked = [w.data.questionnaire for w in comp.wards if _asks(w.data)]
    if len(asked) < 2:
        return []
    return [q.id for q in asked[0].questions if q.census is None and all(
        other.has(q.id) and other.question(q.id).kind == q.kind and list(other.question(q.id).options) == list(q.options)
        for other in asked[1:])]


def answer_counts(data: WardData | None, question: str) -> tuple[pd.Series, int]:
    """(respondents giving each answer, most first; all respondents) for a single- or multi-answer question."""
    if not _asks(data) or not data.questionnaire.has(question):
        return pd.Series(dtype=int), 0
    q = data.questionnaire.question(question)
    if q.kind == "multi":
        return mention_counts(data, question)
    if question not in data.survey_responses:
        return pd.Series(dtype=int), 0
    answers = data.survey_responses[question].dropna().astype(str)
    order = {c: i for i, c in enumerate(q.options)}
    per = answers.value_counts()
    ranked = sorted(per.index, key=lambda c: (-int(per[c]), order.get(c, len(order)), c))
    return per.reindex(ranked).astype(int), int(len(data.survey_responses))


def shared_questions_frame(comp: Comparison) -> pd.DataFrame:
    """Question × ward: the most frequent answer, its count and share of all respondents (or [c] / [x])."""
    wards = [w for w in comp.wards if _asks(w.data)]
    rows = {}
    for qid in shared_questions(comp):
        title = wards[0].data.questionnaire.question(qid).short
        cells = []
        for w in wards:
            counts, base = answer_counts(w.data, qid)
            labels = answer_labels(w.data, qid)
            cells.append(_top_cell(counts, base, labels, w.rules))
        rows[title] = cells
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=[w.label for w in wards])
    frame.index.name = "Question"
    return frame


def _top_cell(counts: pd.Series, base: int, labels: dict[str, str], rules: DisclosureRules) -> str:
    if counts.empty or base == 0:
        return NOT_AVAILABLE
    top = int(counts.iloc[0])
    if rules.is_small(top):
        return SUPPRESSED
    tied = [labels.get(c, c) for c in counts.index if int(counts[c]) == top]
    pct = _pct(top, base, rules)
    pct_text = f"{pct} of all {fmt_int(base)} respondents" if pct != SUPPRESSED else f"[c]% of all {fmt_int(base)} respondents"
    return " / ".join(tied) + (" (tied)" if len(tied) > 1 else "") + f": {fmt_int(top)} ({pct_text})"


def shared_questions_table(comp: Comparison) -> Table | None:
    """The most frequent answer to every question the wards share (None when fewer than two wards have a survey)."""
    if not shared_questions(comp):
        return None
    frame = shared_questions_frame(comp)
    notes = ["A question is shared when every ward's questionnaire asks it with the same answer codes; the "
             "wording may differ (each ward's names the ward).",
             "Multi-answer questions: respondents could give several answers. Every percentage is of all "
             "respondents, as on the survey chapters.",
             "[c]: withheld to protect respondents (a count below the threshold, or a percentage on a small base).",
             _rules_note(comp)]
    if any(w.status == "synthetic" for w in comp.wards):
        notes.append("Columns marked (synthetic) are simulated: they demonstrate the method and are not findings.")
    sources = sorted({RECORDS_SOURCE[w.status] for w in comp.wards if _asks(w.data)})
    return Table(frame, "The questions the wards share: most frequent answer", "each ward's survey: " + "; ".join(sources),
                 "respondents (count) and percentage of all respondents", notes,
                 status=combine_statuses(w.status for w in comp.wards if _asks(w.data)))


def own_questions_text(comp: Comparison) -> str | None:
    """The questions only some wards asked: reported in each ward's survey chapter, not compared here."""
    shared = set(shared_questions(comp))
    own, links = [], []
    for w in comp.wards:
        if _asks(w.data):
            extra = [q.short for q in w.data.questionnaire.questions
                     if q.id not in shared and q.id not in ("age_band", "sex", "ethnic_group")]
            if extra:
                own.append(f"{w.label}: {join_words(extra)}.")
                links.append(ward_page(w, chapter_registry.find_page("residents-survey"), f"{w.params.title}"))
    if not own:
        return None
    return render("own_questions", {"own": own, "survey_links": "survey chapter (" + join_words(links) + ")"})


# ================================================================================================
# recommendations (another module's rules)
# ================================================================================================

def recommendations_intro_text(comp: Comparison) -> str:
    """What the recommendations table shows, linking each ward's recommendations chapter."""
    links = [ward_page(w, chapter_registry.find_page("recommendations"), w.params.title) for w in comp.wards if w.data is not None]
    return render("recommendations", {"links": join_words(links)})


def recommendations_provider():
    """`cityconv.chapters.recommendations.fired_by_ward`: which rules fire for which ward."""
    from cityconv.chapters import recommendations

    return recommendations.fired_by_ward


def rule_titles(project: Project) -> dict[str, str]:
    """Rule id -> title, from the project's rules file."""
    from cityconv.data.rules import load_rules, rules_path

    path = rules_path(project)
    return {r.id: r.title for r in load_rules(path, project.root)} if path.is_file() else {}


def _fired_text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if isinstance(value, str):
        return value
    return "fires" if bool(value) else "—"


def recommendations_frame(comp: Comparison, fired: pd.DataFrame, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """Rule × ward table of "fires" / "—" / "[x]": one row per rule (its title when known), one column
    per ward labelled with its data status, wards in the comparison's order.

    `fired` is ward × rule (index: ward id or title). Wards of the comparison missing from it get [x];
    rows of `fired` that are not wards of the comparison are left out.
    """
    titles = titles or {}
    by_key: dict[str, str] = {}
    for key in fired.index:
        by_key[str(key)] = key
    columns = {}
    for w in comp.wards:
        key = by_key.get(w.id, by_key.get(w.params.title))
        columns[w.label] = [NOT_AVAILABLE] * len(fired.columns) if key is None else [
            _fired_text(v) for v in fired.loc[key].tolist()]
    rules = [titles.get(str(r), str(r)) for r in fired.columns]
    frame = pd.DataFrame(columns, index=pd.Index(rules, name="Recommendation"))
    return frame


def recommendations_section(comp: Comparison, provider=None) -> Table | str:
    """The recommendations table, or a Markdown note saying why there is none."""
    from cityconv.data.rules import rules_path

    if provider is None and not rules_path(comp.project).is_file():
        return "This project has no recommendation rules, so no recommendation can apply."
    provider = recommendations_provider() if provider is None else provider
    if comp.n == 0:
        return "No ward is set up, so no recommendation can apply."
    fired = provider(comp.project)  # invalid rules or data raise: the run fails and the last good chapter stays
    if fired is None or fired.shape[1] == 0:
        return "No recommendation rule is defined yet."
    frame = recommendations_frame(comp, fired, rule_titles(comp.project))
    notes = ["\"fires\": the ward's data meet the rule's condition; \"—\": they do not (or the data needed "
             "are missing); [x]: the ward was not evaluated."]
    if any(w.status == "synthetic" for w in comp.wards):
        notes.append("For wards marked (synthetic) the rules fire on simulated data: a demonstration, not advice.")
    return Table(frame, "Which recommendations apply to each ward",
                 "the book's recommendation rules applied to each ward's "
                 "records and context", "whether each rule fires", notes, status=comp.status)
