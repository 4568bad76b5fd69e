"""The executive summary (`notebooks/00-executive-summary.ipynb`): findings first, for people in a hurry.

The page opens with the ward's headline findings (`cityconv.chapters.headlines`): the project's
published findings quoted as published, then what the ward's records show, labelled by their status.
Then which objectives were met (the objectives scorecard of the evidence-gathering chapter), the top
recommendations with a one-line reason each (the recommendations chapter's own evaluation, so the two
pages cannot disagree), what the engagement did (published figures only) and the ward beside
Liverpool (Census 2021 and IMD 2019). It stays under 900 words, so the briefing PDF fits two pages.

The prose lives in Markdown (Jinja2) templates in `templates/summary/`; the functions here fill them
from data. A synthetic ward gets its own wording: nothing on its page is called published, and
nothing is borrowed from another ward. Section functions return Markdown, a `present.Table` or None
(nothing to show), so the notebook shows them with `present.show` and holds no logic.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.chapters import facts
from cityconv.chapters import headlines as hl
from cityconv.chapters.headlines import (  # noqa: F401 (used here and by tests)
    FIGURE_COLUMNS,
    figure,
    read_published_figures,
)
from cityconv.chapters.profile import of_phrase
from cityconv.present import PALETTE, Chart, Table, cite, fmt_int, fmt_pct, join_words
from cityconv.present.prose import lower_first, template_renderer

TEMPLATES = Path(__file__).parent / "templates" / "summary"
render = template_renderer(TEMPLATES)

#: How many recommendations the summary lists (the chapter has them all).
TOP_RECOMMENDATIONS = 5


# ================================================================================================
# data
# ================================================================================================


@dataclass
class Recommendations:
    """What the recommendations engine said for this ward, or why there is nothing to say."""

    available: bool
    items: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per fired recommendation
    reason: str = ""
    n_rules: int = 0
    n_unknown: int = 0  # rules that cannot be decided because a finding is not known
    published: list[str] = field(default_factory=list)  # titles of the ward's own published recommendations


@dataclass
class Summary:
    study_id: str
    title: str
    data_status: str  # "observed", "reconstructed" or "synthetic"
    figures: pd.DataFrame  # published_figures.csv (empty if the ward has none, or is synthetic)
    profile: Any  # cityconv.chapters.profile.WardProfile, or None for a study without a ward
    recommendations: Recommendations
    root: Path | None = None
    findings: dict = field(default_factory=dict)  # the ward's named findings (cityconv.chapters.findings)
    objectives: pd.DataFrame | None = None  # the objectives scorecard (evidence_gathering.scorecard)
    how_sure: HowSure | None = None  # margins of error, reach and known biases (None without survey records)

    @property
    def name(self) -> str:
        return self.profile.ward_name if self.profile is not None else self.title

    @property
    def synthetic(self) -> bool:
        return self.data_status == "synthetic"

    @property
    def source_keys(self) -> set[str]:
        """The sources the ward's published figures cite (none for a synthetic ward)."""
        if self.synthetic or self.figures.empty:
            return set()
        return {k for k in self.figures["source_key"].astype(str) if k.strip()}

    @property
    def chapters(self) -> dict[str, str]:
        """The ward chapters the book has: name -> page."""
        return hl.available_chapters(self.root) if self.root is not None else {}


@dataclass(frozen=True)
class Result:
    """One headline survey result with its 95% interval (shares of all respondents)."""

    label: str
    share: facts.Fact
    low: float
    high: float


@dataclass(frozen=True)
class HowSure:
    """How far the ward's findings can be trusted, in one place: the survey's margin of error, the main
    results with their intervals, the reach of each strand of the engagement, and who was missed."""

    n: int  # survey responses in the records
    precision: str  # the worst-case margin in words, as every survey chapter says it (statistics_prose)
    results: tuple[Result, ...]
    reach: tuple[str, ...]  # "48 survey responses", ...
    under: str  # groups under-represented in the records ("" if none), from who-took-part's interval test
    over: str
    published_bias: tuple[str, ...] = ()  # the project's own statements on its sample, quoted
    published_reach: bool = False  # the reach counts are the published figures (the records reproduce them)
    compared: str = ""  # what who-took-part compared with the Census ("age, sex and ethnic group"; "" when nothing)


#: The headline results the summary sets beside their margins: (question, code or finding with the code, label).
HEADLINE_RESULTS = (("best_things", "top_best_things", "Named as a best thing: {answer}"),
                    ("improve", "top_improve", "Named as needing improvement: {answer}"),
                    ("recommend", "yes", "Would recommend the area"),
                    ("covid_community_spirit", "more", "More community spirit since Covid-19"))


def how_sure(ch, findings: dict) -> HowSure | None:
    """The "how sure" numbers of a ward, each from the chapter that shows it (None without survey records)."""
    from cityconv.chapters import common, survey
    from cityconv.chapters import evidence_gathering as fieldwork
    from cityconv.chapters import who_took_part as representation
    from cityconv.chapters.statistics_prose import precision_statement
    from cityconv.methods import claims as claims_mod
    from cityconv.methods import stats

    sv = survey.from_chapter(ch)
    if not sv.has_responses:
        return None
    results = []
    asked = sv.questionnaire
    assert asked is not None  # Survey.__post_init__ always sets it
    for question, code, label in HEADLINE_RESULTS:
        if not asked.has(question):
            continue  # a study with its own questions: only the City Conversation's headline questions it asked
        if code in findings:  # the most-named answer of a multi-answer question
            codes = findings[code].value or []
            if not codes:
                continue
            code = codes[0]
            answer = common.survey_code_labels(question, ch.data).get(code, code).split(" (e.g.")[0]
            label = label.format(answer=lower_first(answer))
        if code not in asked.labels(question):
            continue
        share = facts.survey_answer_share(sv.responses, sv.mentions, question, code, rules=sv.rules,
                                          withheld=survey.answer_withheld(sv, question, code))
        if share is None or share.value is None:
            continue
        low, high = stats.wilson_interval(round(share.value * sv.n), sv.n)
        results.append(Result(label, share, low, high))
    fw = fieldwork.from_chapter(ch)
    reach = []
    for m in fieldwork.methods(fw):
        if m.key == "social_media":
            posts = fw.frame("social_media_posts")
            audience = fw.published.get("social_media_average_audience",
                                        posts["audience"].mean() if posts is not None else 0)
            reach.append(f"{fmt_int(m.records)} social media posts, seen by {fmt_int(audience)} people each on "
                         "average (seeing is not taking part)")
        elif m.key == "workshops":
            reach.append(f"{fieldwork.people(fw, m.people or 0)} practitioners at {fmt_int(m.records)} workshops")
        elif m.key == "training":
            reach.append(f"{fieldwork.people(fw, m.people or 0)} people at researcher training")
        else:
            reach.append(f"{fieldwork.people(fw, m.records)} {'survey responses' if m.key == 'survey' else m.unit}")

    # who was missed, in the words of the who-took-part chapter's own summary (its interval test)
    who = representation.summary_context(representation.composition(sv, ch.context)) if ch.context is not None else {}
    published_bias: tuple[str, ...] = ()
    if fw.is_published_study:
        by_id = {c.claim_id: c for c in claims_mod.CLAIMS}
        published_bias = tuple(by_id[c].statement for c in ("women_35_64_overrepresented", "ethnic_minority_underrepresented"))
    return HowSure(sv.n, precision_statement(sv.n, rules=sv.rules), tuple(results), tuple(reach),
                   who.get("under", ""), who.get("over", ""), published_bias, fw.is_published_study,
                   who.get("compared", ""))


def load_summary(study_id: str, root: Path | None = None) -> Summary:
    """Everything the executive summary of `params/<study_id>.yml` shows."""
    from cityconv.chapters import evidence_gathering as fieldwork
    from cityconv.chapters.findings import load_findings
    from cityconv.chapters.loader import open_chapter
    from cityconv.chapters.profile import load_profile

    ch = open_chapter(study_id, root)
    params, project = ch.params, ch.project
    figures = pd.DataFrame(columns=FIGURE_COLUMNS)
    if params.data_dir is not None and not params.synthetic:
        figures = read_published_figures(project.root / params.data_dir)
    profile = load_profile(study_id, project.root) if params.ward is not None else None
    objectives = fieldwork.scorecard(fieldwork.from_chapter(ch)) if ch.data is not None else None
    findings = load_findings(ch) if ch.data is not None else {}
    return Summary(
        study_id=study_id,
        title=params.title,
        data_status=params.data_status,
        figures=figures,
        profile=profile,
        recommendations=recommendations_at_a_glance(study_id, project.root),
        root=project.root,
        findings=findings,
        objectives=objectives,
        how_sure=how_sure(ch, findings) if ch.data is not None else None,
    )


# ================================================================================================
# recommendations hook
# ================================================================================================


def reason_line(leaf, findings: dict) -> str:
    """Why a recommendation applies, in one line: the finding that held, said in words."""
    from cityconv.chapters.findings import FINDINGS

    spec, f = FINDINGS.get(leaf.finding), findings.get(leaf.finding)
    label = spec.label if spec is not None else leaf.finding
    if f is None or not f.known or spec is None:
        return f"{label}: not known."
    if spec.kind == "list" and leaf.op in ("includes", "excludes") and not leaf.negated:
        item = f.codes_display.get(leaf.expected, leaf.expected)
        verb = "include" if leaf.op == "includes" else "do not include"
        return f"{label} {verb} “{item}”."
    if spec.kind == "bool" and f.value is True and not leaf.negated:
        return f"{label}."
    return f"{label}: {f.display}."


def _plain_leaf(leaves: list, status: str):
    """The leaf to give as the reason: for a synthetic ward, not one whose label speaks of published
    figures (a synthetic ward has none)."""
    from cityconv.chapters.findings import FINDINGS

    if status == "synthetic":
        own = [leaf for leaf in leaves if "published" not in getattr(FINDINGS.get(leaf.finding), "label", "").lower()]
        return (own or leaves)[0]
    return leaves[0]


def recommendations_at_a_glance(study_id: str, root: Path) -> Recommendations:
    """The recommendations that apply to this ward, from `cityconv.chapters.recommendations`.

    Uses `recommendations.load(study_id, root)`, the same call the Recommendations chapter makes, so
    the two pages cannot disagree. Each row carries a one-line reason (the first finding that made
    the rule apply) and the best grade of the evidence behind it. If the rules are invalid this
    raises, so the chapter fails loudly and the previous good one is kept.
    """
    from cityconv.chapters import recommendations as rec

    rules_file = Path(root) / "data" / "recommendations" / "rules.yml"
    if not rules_file.exists():
        return Recommendations(False, reason="This book has no recommendations yet.")
    wr = rec.load(study_id, root)
    rows = []
    for f in wr.fired:  # strongest on-point evidence first, as on the recommendations page
        held = [leaf for leaf in f.leaves if leaf.effective is True] or list(f.leaves)
        rows.append({
            "recommendation": f.rule.title,
            "reason": reason_line(_plain_leaf(held, wr.status), wr.findings),
            "best_grade": rec.best_grade(wr.evidence, f.rule),
        })
    items = pd.DataFrame(rows, columns=["recommendation", "reason", "best_grade"])
    return Recommendations(True, items, n_rules=len(wr.results), n_unknown=sum(r.result is None for r in wr.results),
                           published=wr.published["title"].astype(str).to_list())


# ================================================================================================
# words (templates/summary/*.md)
# ================================================================================================


def _plural(n, one: str, many: str) -> str:
    return one if int(n) == 1 else many


def _links(s: Summary) -> dict[str, str]:
    """MyST links to the ward's other chapters, by chapter name ("" for a chapter the book lacks)."""
    chapters = s.chapters
    return {name: hl.link(name, "", chapters) for name in chapters}


def intro_text(s: Summary) -> str:
    return render("intro", {"name": s.name, "synthetic": s.synthetic, "status": s.data_status,
                            "published": bool(hl.published_headlines(s.source_keys))})


def findings_text(s: Summary) -> str:
    """The headline findings: published ones as published, then what the records show, labelled."""
    chapters = s.chapters

    def item(h: hl.Headline) -> dict:
        return {"text": h.text, "link": hl.link(h.chapter, "", chapters)}

    published = hl.published_headlines(s.source_keys)
    records = hl.record_headlines(s.findings, s.data_status)
    return render("findings", {
        "name": s.name, "status": s.data_status, "synthetic": s.synthetic,
        "published": [item(h) for h in published], "key": published[0].source_key if published else "",
        "records": [item(h) for h in records],
        "has_survey": s.how_sure is not None, "survey": hl.link(hl.SURVEY, "", chapters),
    })


def objectives_text(s: Summary) -> str | None:
    """Which objectives were met, delivered differently, or cannot be judged (objectives scorecard)."""
    sc = s.objectives
    if sc is None or sc.empty:
        return None

    aims = sc.drop_duplicates("Objective (as published)")  # one published aim can have two targets (two rows)
    objectives = sc.rename(columns={"Objective (as published)": "objective"})  # the objectives file's names
    status_of = dict(facts.aims(objectives).itertuples(index=False, name=None))

    def rows(status: str) -> list[dict]:
        return [{"objective": str(r["Objective (as published)"]).rstrip("."),
                 "target": None if pd.isna(r["target"]) else fmt_int(r["target"]),
                 "delivered": r["Delivered"] if not pd.isna(r["delivered"]) else None}
                for _, r in aims.iterrows() if status_of[str(r["Objective (as published)"]).strip()] == status]

    published = bool(hl.published_headlines(s.source_keys))
    count = facts.aim_count(objectives)
    return render("objectives", {
        "name": s.name, "aims": count.phrase if count else "", "synthetic": s.synthetic, "published": published,
        "key": sorted(s.source_keys)[0] if published else "", "words": facts.AIM_STATUS_WORDS,
        "met": rows("met"), "not_met": rows("not met"), "adapted": rows("adapted"), "unclear": rows("unclear"),
        "qualitative": len(rows("not quantified")), "fmt_int": fmt_int, "plural": _plural,
        "fieldwork": hl.link(hl.FIELDWORK, "", s.chapters),
    })


def recommendations_text(s: Summary) -> str:
    r = s.recommendations
    return render("recommendations", {
        "available": r.available, "reason": r.reason, "name": s.name, "status": s.data_status,
        "n": fmt_int(r.n_rules), "k": len(r.items), "unknown": r.n_unknown, "fmt_int": fmt_int,
        "shown": min(len(r.items), TOP_RECOMMENDATIONS), "plural": _plural, "published": r.published,
        "chapter": hl.link(hl.RECOMMENDATIONS, "", s.chapters),
    })


def recommendations_table(s: Summary) -> Table | None:
    """The first recommendations that apply, each with why it applies and how strong its evidence is."""
    r = s.recommendations
    if not r.available or r.items.empty:
        return None
    items = r.items.head(TOP_RECOMMENDATIONS)
    frame = pd.DataFrame(
        {
            "Option": items["recommendation"].astype(str).to_numpy(),
            "Best evidence grade": items["best_grade"].astype(str).to_numpy(),
            "Why it applies here": items["reason"].astype(str).to_numpy(),
        },
        index=pd.RangeIndex(1, len(items) + 1, name="No."),
    )
    return Table(
        frame,
        title=f"Options for {s.name}, strongest evidence first: {fmt_int(len(items))} of {fmt_int(len(r.items))}",
        source="Source: the book's recommendation rules applied to this ward's findings; evidence grades from "
        "the evidence base (IPPR North and Social Regeneration Consultants, 2010)",
        units="Grades run from A (a controlled comparison) to E (an assertion); “none”: no evidence on how it would work",
        status=s.data_status,
    )


def engagement_text(s: Summary) -> str | None:
    """What the engagement did, in the project's published figures (None for a synthetic ward)."""
    if s.synthetic:
        return None
    if s.figures.empty:
        return render("engagement", {"name": s.name, "f": {}, "plural": _plural, "key": ""})
    values = {fid: fmt_int(v) for fid, v in zip(s.figures["figure_id"], s.figures["value"])}
    return render("engagement", {"name": s.name, "f": values, "plural": _plural, "key": ",".join(sorted(s.source_keys))})


# ---- small helpers on a cityconv.chapters.profile.WardProfile


def _pop(p, area: str, column: str):
    value = p.population.loc[p.population["area"] == area, column]
    return pd.NA if value.empty else value.iloc[0]


def _city_name(p) -> str:
    from cityconv.data.context import CITY_NAME

    names = p.population.loc[p.population["area"] == "city", "area_name"]
    return CITY_NAME if names.empty else str(names.iloc[0])


def _deciles(p, area: str) -> pd.Series:
    d = p.deprivation
    return d[d["area"] == area].set_index("decile")["n_lsoa"].astype(int)


def context_text(s: Summary) -> str | None:
    """The ward in a few sentences: size, ethnic group, tenure and deprivation, beside Liverpool."""
    p = s.profile
    if p is None:
        return None
    from cityconv.chapters import profile as pr

    values: dict[str, Any] = {"name": p.ward_name, "city": _city_name(p), "census": p.has_census,
                              "caveat": p.caveat, "deprivation": p.has_deprivation,
                              "profile": hl.link("ward-profile", "", s.chapters)}
    if p.has_census:
        population = facts.population_2021(_pop(p, "ward", "population_2021"))
        assert population is not None  # has_census: the ward has a 2021 count
        values["population"] = population.text  # one number per fact
        minority_w, minority_c = pr.shares(p.ethnic_minority, "ward"), pr.shares(p.ethnic_minority, "city")
        social_w, social_c = pr.shares(p.tenure, "ward").get(pr.SOCIAL), pr.shares(p.tenure, "city").get(pr.SOCIAL)
        values["minority"] = (fmt_pct(minority_w.iloc[0]), fmt_pct(minority_c.iloc[0])) if len(minority_w) and len(minority_c) else None
        values["social"] = (fmt_pct(social_w), fmt_pct(social_c)) if social_w is not None and social_c is not None else None
    if p.has_deprivation:
        ward, town = _deciles(p, "ward"), _deciles(p, "city")
        values["most_deprived"] = of_phrase(ward[1], int(ward.sum()))
        values["most_deprived_is"] = "is" if int(ward[1]) == 1 else "are"
        values["city_most_deprived"] = fmt_pct(town[1] / town.sum())
    return render("context", values)


def context_table(s: Summary) -> Table | None:
    """The ward beside Liverpool on a few public measures."""
    p = s.profile
    if p is None or not p.has_census:
        return None
    from cityconv.chapters import profile as pr

    city = _city_name(p)

    def share_row(label, ward_value, city_value):
        return (label, fmt_pct(ward_value), fmt_pct(city_value))

    rows = [
        ("Usual residents, Census 2021 (sum of output areas)", fmt_int(_pop(p, "ward", "population_2021")),
         fmt_int(_pop(p, "city", "population_2021"))),
        ("Households, Census 2021 (sum of output areas)", fmt_int(_pop(p, "ward", "households_2021")),
         fmt_int(_pop(p, "city", "households_2021"))),
    ]
    minority_w, minority_c = pr.shares(p.ethnic_minority, "ward"), pr.shares(p.ethnic_minority, "city")
    if len(minority_w) and len(minority_c):
        rows.append(share_row("Ethnic minority other than White (% of residents)", minority_w.iloc[0], minority_c.iloc[0]))
    social_w, social_c = pr.shares(p.tenure, "ward").get(pr.SOCIAL), pr.shares(p.tenure, "city").get(pr.SOCIAL)
    if social_w is not None and social_c is not None:
        rows.append(share_row("Social rented (% of households)", social_w, social_c))
    sources = [cite("census2021")]
    if p.has_deprivation:
        ward, town = _deciles(p, "ward"), _deciles(p, "city")
        rows.append(share_row("Neighbourhoods in England's most deprived 10%, IMD 2019 (% of LSOAs)",
                              ward[1] / ward.sum(), town[1] / town.sum()))
        sources.append(cite("imd2019"))
    frame = pd.DataFrame(rows, columns=["Measure", p.ward_name, city])
    return Table(
        frame,
        title=f"{p.ward_name} at a glance, beside {city}",
        source="; ".join(sources),
        units="Number of people or households; percentages as labelled",
        notes=[f"{p.ward_name}: {p.caveat}"] if p.caveat else [],
        status="published",
        page_status=p.page_status,
    )


def reading_on_text(s: Summary) -> str:
    """Where to read on, as links to the ward's chapters and the book's data pages."""
    return render("reading_on", {"links": _links(s), "synthetic": s.synthetic, "join": join_words})


# ================================================================================================
# how sure (templates/summary/how_sure.md)
# ================================================================================================


def how_sure_text(s: Summary) -> str | None:
    """How far the findings can be trusted, in one place: margins, reach and who was missed."""
    h = s.how_sure
    if h is None:
        return None
    from cityconv.methods.claims import SOURCE_KEY

    return render("how_sure", {"h": h, "status": s.data_status, "synthetic": s.synthetic, "join": join_words,
                               "name": s.name, "key": SOURCE_KEY, "who": hl.link("who-took-part", "", s.chapters)})


def how_sure_chart(s: Summary) -> Chart | None:
    """The headline results as points with their 95% intervals, so the margin of error is seen, not only read."""
    from matplotlib.figure import Figure

    from cityconv.present.style import use_house_style

    h = s.how_sure
    if h is None or not h.results:
        return None
    use_house_style()  # answer labels are data: a "$" in one is a dollar sign, never mathtext
    records = f"{s.data_status} records" if s.data_status != "observed" else "the ward's survey records"
    fig = Figure(figsize=(6.2, 0.55 * len(h.results) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    for i, r in enumerate(h.results):
        value = float(r.share.value or 0.0)
        ax.plot([r.low * 100, r.high * 100], [i, i], color=PALETTE[0], linewidth=3, solid_capstyle="butt")
        ax.plot([value * 100], [i], "o", color=PALETTE[1], markersize=7)
        ax.text(r.high * 100 + 1.5, i, f"{r.share.text} ({fmt_pct(r.low)} to {fmt_pct(r.high)})", va="center",
                fontsize=9)
    ax.set_yticks(range(len(h.results)), [textwrap.fill(r.label, 28) for r in h.results])
    ax.invert_yaxis()
    ax.set_xlim(0, 118)
    ax.set_xticks(range(0, 101, 25), [f"{v}%" for v in range(0, 101, 25)])
    ax.set_xlabel(f"Share of all {fmt_int(h.n)} respondents, with its 95% interval")
    ax.set_title(f"How sure: the main survey results, {s.name}")
    ax.grid(axis="y", visible=False)
    alt = (f"The main survey results in {s.name}'s {records}, each a share of all {fmt_int(h.n)} respondents with "
           "its 95% interval: " + "; ".join(f"{r.label.lower()}, {r.share.text} ({fmt_pct(r.low)} to "
                                               f"{fmt_pct(r.high)})" for r in h.results) + ".")
    caption = (f"Each dot is a share of all respondents in the {records}; the bar is its 95% Wilson interval. "
               "Bars that overlap cannot be told apart with this many responses.")
    return Chart(fig, alt, caption, status=s.data_status)
