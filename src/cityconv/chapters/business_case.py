"""The study chapter "The business case for good conversations" (`notebooks/20-business-case.ipynb`).

The page puts the paper's argument before any count. It opens with the case in plain words (the
three tenets, the ten principles, and the paper's own caveats on cost, on its evidence and on poor
delivery, quoted from `data/evidence/caveats.csv`), then sets the strongest
and the weakest evidence for each tenet side by side, and only then counts and grades every effect:
the quality paragraph, a chart of effects by grade, one evidence table per tenet, the monetary values
as published (with no price year, since the paper publishes none; estimates labelled as estimates
wherever their numbers appear), the techniques matrix (ratings that are the book's judgement are
marked) and the international examples, so that every example the paper describes is on the page.

Everything is built from the evidence tables in `data/evidence/` (read with `cityconv.data.evidence`).
The prose lives in Markdown (Jinja2) templates in `templates/business_case/`; the `*_context`
functions here fill them, so every number, quote and citation on the page comes from the tables.

The study's params file (`params/good-conversations.yml`) has no `data_dir`; the chapter reads
`data/evidence/` (declared in the template's `reads`, so the run cache sees the files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cityconv.core.params import load_params
from cityconv.core.paths import Project
from cityconv.data.evidence import (
    GRADES,
    TENET_LABELS,
    EvidenceBase,
    case_citations,
    effect_as_shown,
    effects_by_tenet,
    figure_label,
    grade_summary,
    load_evidence,
    monetary_values,
)
from cityconv.present import PALETTE, Chart, Table, fmt_int, fmt_pct, join_words
from cityconv.present.figures import new_figure
from cityconv.present.prose import template_renderer

#: The chapter's prose: Markdown (Jinja2) templates, filled with numbers from the evidence tables.
TEMPLATES = Path(__file__).parent / "templates" / "business_case"
render = template_renderer(TEMPLATES)

EVIDENCE_DIR = Path("data") / "evidence"
PAPER = "IPPR North and Social Regeneration Consultants (2010), Enabling Good Conversations: Positioning paper"
SOURCE = f"{PAPER}; grades and ratings: project judgement (data/evidence)"
# Okabe–Ito colours, one per grade, strongest evidence first (A darkest blue ... E vermillion).
GRADE_COLOURS = dict(zip(GRADES, [PALETTE[0], PALETTE[4], PALETTE[2], PALETTE[1], PALETTE[5]]))
GRADE_HATCHES = dict(zip(GRADES, ["", "//", "..", "xx", "\\\\"]))  # so the chart also reads in greyscale
EFFICIENCY_LABELS = {"cashable": "Cashable", "invest_to_save": "Invest to save", "general": "In general"}
RATING_LABELS = {
    "low": "Low", "medium": "Medium", "high": "High",
    "short_term": "Short term", "medium_term": "Medium term", "long_term": "Long term",
    "inform": "Inform", "consult": "Consult", "involve": "Involve", "collaborate": "Collaborate", "empower": "Empower",
}
JUDGEMENT_MARK = "†"
SHORT_TENETS = {"stronger_communities": "Stronger communities", "more_effective_services": "More effective services",
                "more_efficient_services": "More efficient services"}
FIG_WIDTH = 6.2


@dataclass
class Study:
    study_id: str
    title: str
    root: Path
    eb: EvidenceBase
    evidence_dir: Path


def evidence_dir_for(params, project: Project) -> Path:
    """The study's evidence folder: `data_dir` when the params name one, else `data/evidence`."""
    return project.root / (params.data_dir or EVIDENCE_DIR)


def load(study_id: str, root: Path | None = None) -> Study:
    """Load the study's params and its (validated) evidence base."""
    project = Project(Path(root).resolve()) if root else Project.discover()
    params = load_params(project.params_file(study_id), project.root)
    evidence_dir = evidence_dir_for(params, project)
    eb = load_evidence(evidence_dir, project.root)
    return Study(study_id, params.title, project.root, eb, evidence_dir)


def workbook_download(study: Study) -> str:
    """The link that downloads the whole evidence base as one XLSX (web page only)."""
    from cityconv.present.downloads import workbook_link_html

    return workbook_link_html(study.evidence_dir)


# ------------------------------------------------------------------------------------------ helpers


def _what(row) -> str:
    for key in ("place", "programme"):
        v = row.get(key)
        if v is not None and not pd.isna(v) and str(v):
            return str(v)
    return str(row["outcome_measure"])


def _who(row) -> str:
    """Place and programme together ('Redruth, Cornwall: Operation Goodnight'), for a table read on its own."""
    parts = [str(row[k]) for k in ("place", "programme") if not pd.isna(row.get(k)) and str(row[k])]
    return ": ".join(parts) if parts else "A general finding or claim"


def _design_names(eb: EvidenceBase) -> dict[str, str]:
    return dict(zip(eb.grading_rubric["design"].astype(str), eb.grading_rubric["design_name"].astype(str)))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{fmt_int(n)} {word if n == 1 else (plural or word + 's')}"


def _money(value: float, currency: str) -> str:
    symbol = {"GBP": "£"}.get(currency, currency + " ")
    text = f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    return f"{symbol}{text}"


# ------------------------------------------------------------------------------------------ prose
#
# Reader-facing prose lives in Markdown (Jinja2) templates in templates/business_case/; the functions
# below build each template's context from the evidence tables (so every number comes from data)
# and render it.

#: Inventory items the opening quotes (the paper's own caveats; words checked against the paper).
CAVEATS = {"quality_caveat": "evidence_quality_para_2_3", "small_caveat": "young_foundation_2009_para_2_3",
           "untested_caveat": "untested_para_2_20", "limited_impact": "limited_impact_para_2_26",
           "few_evaluations": "regional_evaluations_para_2_24"}


def _inventory_words(eb: EvidenceBase, item_id: str) -> str:
    inv = eb.paper_inventory.set_index("item_id")
    return str(inv.loc[item_id, "paper_words"])


def _cite_role(keys, form: str = "p") -> str:
    """A MyST citation role for generated Markdown, e.g. {cite:p} with the keys in backticks."""
    return f"{{cite:{form}}}`{','.join(keys)}`"


def opening_context(s: Study) -> dict:
    eb = s.eb
    paper = eb.sources.set_index("citation_key").loc["ippr_src_2010"]
    inv = eb.paper_inventory.set_index("item_id")
    caveats = eb.caveats.set_index("caveat_id")["paper_words"].astype(str)
    return {
        "caveats": caveats.to_dict(),
        "paper_year": int(paper["year"]),
        "tenets": TENET_LABELS,
        "principles": eb.principles.sort_values("number")["name"].astype(str).to_list(),
        "principles_source": _cite_role(eb.principles["citation_key"].astype(str).unique(), "t"),
        "small_caveat_cite": _cite_role([str(inv.loc[CAVEATS["small_caveat"], "citation_key"])]),
        **{name: _inventory_words(eb, item) for name, item in CAVEATS.items() if name.endswith("caveat")},
    }


def opening_text(s: Study) -> str:
    """The paper's case in plain words: the tenets, the principles and the paper's own caveat."""
    return render("opening", opening_context(s))


def strongest_and_weakest(eb: EvidenceBase, tenet: str) -> tuple[pd.Series, pd.Series]:
    """The best- and the worst-graded effect under one tenet.

    Ties are broken the same way at both ends: the effect that comes first in the paper (cases.csv
    is in the paper's order).
    """
    t = eb.cases[eb.cases["tenet"].astype(str) == tenet]
    if t.empty:
        raise ValueError(f"no effects under tenet {tenet!r}")
    rank = t["evidence_grade"].astype(str).map(GRADES.index)
    return t.loc[rank.idxmin()], t.loc[rank.idxmax()]  # idxmin/idxmax return the first of equals


def caveats_table(s: Study) -> Table:
    """Every caveat the paper states on cost, on its evidence and on poor delivery, in its own words."""
    c = s.eb.caveats
    labels = {"cost": "Cost", "evidence": "The evidence", "delivery": "Poor delivery"}
    frame = pd.DataFrame({"About": [labels[str(x)] for x in c["topic"]],
                          "The paper's words": [f"“{w}”" for w in c["paper_words"].astype(str)],
                          "Where in the paper": c["paper_location"].astype(str).to_list()})
    return Table(frame, title="What the paper itself says against too strong a reading", source=PAPER,
                 units="Quotations (text)", notes=["Quoted exactly, with the extracted text's broken ligatures repaired."],
                 status="published")


def side_by_side_text(s: Study) -> str:
    return render("side_by_side", {})


def counts_context(s: Study) -> dict:
    eb = s.eb
    e = effects_by_tenet(eb)
    per = e["tenet"].astype(str).value_counts()
    parts = [f"{_plural(int(per.get(t, 0)), 'effect')} for “{label.lower()}”" for t, label in TENET_LABELS.items()]
    examples = int((eb.cases["kind"].astype(str) == "example").sum())
    left_out = int((eb.paper_inventory["status"].astype(str) == "excluded").sum())
    return {"n_effects": _plural(len(e), "effect"), "per_tenet": join_words(parts), "n_examples": fmt_int(examples),
            "n_general": fmt_int(len(e) - examples), "n_sources": _plural(eb.cases["citation_key"].astype(str).nunique(), "source"),
            "n_left_out": fmt_int(left_out)}


def intro_text(s: Study) -> str:
    """What the evidence tables hold: effects per tenet, examples, sources, and what is left out."""
    return render("counts", counts_context(s))


def quality_context(s: Study) -> dict:
    eb = s.eb
    g = grade_summary(eb)
    total = int(g["total"].sum())
    a, b = int(g.loc["A", "total"]), int(g.loc["B", "total"])
    de = int(g.loc["D", "total"] + g.loc["E", "total"])
    grade_a = eb.cases[eb.cases["evidence_grade"].astype(str) == "A"]
    a_studies = grade_a["citation_key"].astype(str).nunique()
    money = monetary_values(eb)
    efficient = eb.cases[eb.cases["tenet"].astype(str) == "more_efficient_services"]
    return {
        "verdict": "In short: not very strong." if (a + b) / total < 0.5 else "In short: mixed.",
        "total": fmt_int(total), "a_effects": _plural(a, "effect"), "a_share": fmt_pct(a / total),
        "a_from": ("a single evaluation" if a_studies == 1 else _plural(a_studies, "evaluation")) if a else "",
        "a_tenets": join_words(sorted({TENET_LABELS[t].lower() for t in grade_a["tenet"].astype(str)})),
        "b_count": fmt_int(b), "b_share": fmt_pct(b / total), "de_count": fmt_int(de), "de_share": fmt_pct(de / total),
        "quantified": fmt_int(int(g["quantified"].sum())),
        "money_count": len(money), "money_values": _plural(len(money), "monetary value"),
        "money_best": min(money["evidence_grade"].astype(str), default=""),
        "money_no_year": int((money["money_year_basis"].astype(str) == "not_published").sum()),
        "efficient_ab": fmt_int(int(efficient["evidence_grade"].astype(str).isin(["A", "B"]).sum())),
        "efficient_total": fmt_int(len(efficient)),
    }


def quality_text(s: Study) -> str:
    """The candid paragraph on the evidence base, every number from `grade_summary`."""
    return render("quality", quality_context(s))


def tenet_context(s: Study, tenet: str) -> dict:
    e = effects_by_tenet(s.eb)
    t = e[e["tenet"].astype(str) == tenet]
    grades = t["evidence_grade"].astype(str).value_counts().reindex(list(GRADES), fill_value=0)
    kinds = t["efficiency_type"].astype(str).value_counts()
    return {
        "n_effects": _plural(len(t), "effect"), "label": TENET_LABELS[tenet].lower(),
        "by_grade": ", ".join(f"{fmt_int(grades[g])} graded {g}" for g in GRADES if grades[g]),
        "efficiency": tenet == "more_efficient_services",
        "cashable": _plural(int(kinds.get("cashable", 0)), "effect"),
        "invest": fmt_int(int(kinds.get("invest_to_save", 0))),
        "general": _plural(int(kinds.get("general", 0)), "effect") if kinds.get("general", 0) else "",
        "best": next((g for g in GRADES if grades[g]), None),
    }


def tenet_text(s: Study, tenet: str) -> str:
    return render("tenet", tenet_context(s, tenet))


# ------------------------------------------------------------------------------------------ tables


def evidence_table(s: Study, tenet: str) -> Table:
    """Every effect under one tenet: what, the effect as published, grade, design and source."""
    eb = s.eb
    e = effects_by_tenet(eb)
    t = e[e["tenet"].astype(str) == tenet]
    designs = _design_names(eb)
    frame = pd.DataFrame({
        "Example or finding": [_what(r) for _, r in t.iterrows()],
        "Effect as published": [effect_as_shown(r) for _, r in t.iterrows()],
        "Grade": t["evidence_grade"].astype(str).to_list(),
        "Design": [designs[str(d)] for d in t["evaluation_design"]],
        "Source (as cited in the paper)": t["citation"].astype(str).to_list(),
    })
    if tenet == "more_efficient_services":
        frame.insert(1, "Saving", [EFFICIENCY_LABELS.get(str(x), str(x)) for x in t["efficiency_type"]])
    return Table(frame, title=f"Evidence for “{TENET_LABELS[tenet].lower()}”",
                 source=SOURCE, units="Effects as published (text); evidence grade A (strongest) to E",
                 notes=["Sorted by grade, strongest first. Effects are quoted exactly as the paper gives them.",
                        "Grade and design are the project's judgement, made with the grading rubric of the evidence base."], status="published")


def side_by_side_table(s: Study, tenet: str) -> Table:
    """The strongest and the weakest evidence for one tenet, side by side (`strongest_and_weakest`)."""
    eb = s.eb
    designs = _design_names(eb)
    cells = {}
    for heading, row in zip(("Strongest evidence", "Weakest evidence"), strongest_and_weakest(eb, tenet)):
        cells[heading] = [
            _who(row),
            str(row["outcome_measure"]),
            effect_as_shown(row),
            f"{row['evidence_grade']}: {designs[str(row['evaluation_design'])].lower()}",
            str(row["grade_rationale"]),
            case_citations(eb, row),
        ]
    frame = pd.DataFrame(cells, index=pd.Index(["Example or finding", "What was measured or claimed",
                                                "Effect as published", "Grade and design",
                                                "Why this grade", "Source (as cited in the paper)"], name=""))
    return Table(frame, title=f"Strongest and weakest evidence for “{TENET_LABELS[tenet].lower()}”",
                 source=SOURCE, units="Effects as published (text); evidence grade A (strongest) to E",
                 notes=["One effect at each end of the grading; where several share a grade, the one that comes "
                        "first in the paper.",
                        "Grade and design are the project's judgement, made with the one rule of the "
                        "evidence base's grading rubric."], status="published")


def monetary_table(s: Study) -> Table | None:
    eb = s.eb
    m = monetary_values(eb)
    if m.empty:
        return None
    def price_year(year, basis) -> str:
        return f"{int(year)} (published)" if str(basis) == "published" else "Not published"

    frame = pd.DataFrame({
        "Example": [_what(r) for _, r in m.iterrows()],
        "Value": [_money(float(v), str(c)) + (f" ({figure_label(b)})" if figure_label(b) else "")
                  for v, c, b in zip(m["value"], m["currency"], m["figure_basis"])],
        "What it measures": [str(x) for x in m["case_id"].map(eb.cases.set_index("case_id")["outcome_measure"])],
        "Effect as published": [effect_as_shown(r) for _, r in m.iterrows()],
        "Price year": [price_year(y, b) for y, b in zip(m["money_year"], m["money_year_basis"])],
        "Grade": m["evidence_grade"].astype(str).to_list(),
        "Source (as cited in the paper)": m["citation"].astype(str).to_list(),
    })
    return Table(frame, title="Monetary values in the business case, as published",
                 source=SOURCE, units="Pounds sterling (GBP) as published; not adjusted for inflation",
                 notes=["Values are as published and are not converted to today's prices or to a common year.",
                        _price_year_note(eb, m)], status="published")


def _price_year_note(eb: EvidenceBase, m: pd.DataFrame) -> str:
    unpublished = m[m["money_year_basis"].astype(str) == "not_published"]
    if unpublished.empty:
        return "Each price year is published with its figure."
    years = eb.sources.set_index("citation_key").loc[unpublished["case_id"].map(
        eb.cases.set_index("case_id")["citation_key"]).astype(str), "year"].dropna().astype(int)
    dated = f" The sources cited for them are dated {join_words(sorted(set(map(str, years))))}" if len(years) else ""
    return (f"The paper gives no price year for {fmt_int(len(unpublished))} of the {fmt_int(len(m))}, so none is shown."
            f"{dated}; a source's date is not its price base.")


def techniques_table(s: Study) -> Table:
    """The techniques matrix: cost, time horizon, depth of participation and reach of rarely-heard groups."""
    t = s.eb.techniques
    cols = [("cost", "Cost"), ("time_horizon", "Time horizon"), ("depth_of_participation", "Depth of participation"),
            ("reach_of_rarely_heard", "Reach of rarely-heard groups")]
    frame = pd.DataFrame({"Technique": t["name"].astype(str).to_list()})
    for col, heading in cols:
        frame[heading] = [RATING_LABELS.get(str(v), str(v)) + (f" {JUDGEMENT_MARK}" if str(b) == "project_judgement" else "")
                          for v, b in zip(t[col], t[f"{col}_basis"])]
    n = len(t) * len(cols)
    judged = sum(int((t[f"{c}_basis"].astype(str) == "project_judgement").sum()) for c, _ in cols)
    return Table(frame, title="Engagement techniques: cost, time horizon, depth and reach",
                 source=SOURCE, units="Ratings (low/medium/high; short/medium/long term; inform to empower)",
                 notes=[f"{JUDGEMENT_MARK} = the project's own judgement; an unmarked rating is supported by the paper's "
                        f"text. {fmt_int(judged)} of the {fmt_int(n)} ratings ({fmt_pct(judged / n)}) are our judgement.",
                        "Depth of participation uses the project's five steps: inform, consult, involve, collaborate, "
                        "empower."], status="published")


def examples_table(s: Study) -> Table:
    """Every example the paper describes from abroad (section 3), with its figures as published."""
    x = s.eb.international_examples
    names = {str(r["example_id"]): (str(r["programme"]) if not pd.isna(r["programme"]) else str(r["place"]))
             for _, r in x.iterrows()}
    figures = []
    for _, r in x.iterrows():
        shown = [str(r["figure_published"])] if not pd.isna(r["figure_published"]) else []
        if not pd.isna(r["other_figures_published"]):
            shown += [f.strip() for f in str(r["other_figures_published"]).split("|") if f.strip()]
        figures.append("; ".join(f"“{f}”" for f in shown) or "None published")
    frame = pd.DataFrame({"Example": [names[str(i)] for i in x["example_id"]],
                          "Country": x["country"].astype(str).to_list(),
                          "What happened (our words)": x["what_happened"].astype(str).to_list(),
                          "Figures as published": figures,
                          "Source (as cited in the paper)": [case_citations(s.eb, r) for _, r in x.iterrows()]})
    return Table(frame, title="Examples from other countries described in the paper", source=SOURCE,
                 units="Text; figures as published",
                 notes=["The paper offers these for “learning” rather than copying, because “what works in one country "
                        "will not necessarily work in another”."], status="published")


def techniques_context(s: Study) -> dict:
    t = s.eb.techniques
    high_reach = t[t["reach_of_rarely_heard"].astype(str) == "high"]
    low_cost_high = high_reach[high_reach["cost"].astype(str) == "low"]
    return {"n_techniques": _plural(len(t), "technique"), "n_high_reach": fmt_int(len(high_reach)),
            "low_cost_high": low_cost_high["name"].astype(str).to_list(),
            **{name: _inventory_words(s.eb, item) for name, item in CAVEATS.items() if not name.endswith("caveat")}}


def techniques_text(s: Study) -> str:
    return render("techniques", techniques_context(s))


def grade_table(s: Study) -> Table:
    g = grade_summary(s.eb)
    frame = pd.DataFrame(index=pd.Index([f"{i}" for i in g.index], name="Grade"))
    for t, label in SHORT_TENETS.items():
        frame[label] = [fmt_int(v) for v in g[t]]
    frame["All effects"] = [fmt_int(v) for v in g["total"]]
    frame["With a published number"] = [fmt_int(v) for v in g["quantified"]]
    return Table(frame, title="Effects by evidence grade and tenet", source=SOURCE, units="Number of effects",
                 notes=["Designs by grade: " + "; ".join(f"{i}: {d}" for i, d in zip(g.index, g["designs"])) + ".",
                        "An effect is one outcome reported for one example or research finding; an example can have "
                        "several effects."], status="published")


# ------------------------------------------------------------------------------------------ charts


def grade_chart(s: Study) -> Chart:
    """Stacked bars: effects per tenet, split by evidence grade (colour and hatching per grade)."""
    g = grade_summary(s.eb)
    fig = new_figure(FIG_WIDTH, 3.4)
    ax = fig.subplots()
    labels = [SHORT_TENETS[t].replace(" ", "\n", 1) for t in TENET_LABELS]
    y = np.arange(len(TENET_LABELS))[::-1]
    left = np.zeros(len(TENET_LABELS))
    for grade in GRADES:
        values = np.array([int(g.loc[grade, t]) for t in TENET_LABELS])
        ax.barh(y, values, left=left, color=GRADE_COLOURS[grade], hatch=GRADE_HATCHES[grade], edgecolor="white",
                label=f"Grade {grade}")
        for yi, li, v in zip(y, left, values):
            if v:
                ax.text(li + v / 2, yi, fmt_int(v), ha="center", va="center", fontsize=10, color="#1A1A1A",
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        left += values
    ax.set_yticks(y, labels)
    ax.set_xlabel("Number of effects reported in the paper")
    weak = int(g.loc["D", "total"] + g.loc["E", "total"])
    ax.set_title(f"{fmt_int(weak)} of {fmt_int(int(g['total'].sum()))} effects are graded D or E")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.4, -0.22), frameon=False, fontsize=10)
    ax.grid(axis="y", visible=False)
    total = int(g["total"].sum())
    parts = []
    for t, label in TENET_LABELS.items():
        col = g[t]
        parts.append(f"{label.lower()}: {fmt_int(int(col.sum()))} effects ("
                     + ", ".join(f"{fmt_int(int(col[gr]))} grade {gr}" for gr in GRADES if int(col[gr])) + ")")
    alt = (f"Stacked horizontal bar chart of the {fmt_int(total)} effects in the positioning paper by tenet and evidence "
           f"grade. " + "; ".join(parts) + ".")
    return Chart(fig, alt=alt, caption="Effects reported in the positioning paper, by tenet and evidence grade "
                                       "(A = controlled comparison, E = assertion).", status="published")


def percent_effects(s: Study) -> pd.DataFrame:
    """Effects published as a percentage change (unit 'percent'), with their range and grade."""
    e = effects_by_tenet(s.eb)
    p = e[e["unit"].astype(str) == "percent"].copy()
    p["label"] = [f"{_what(r)}: {r['outcome_measure']}" + (f" ({figure_label(r['figure_basis'])})"
                                                          if figure_label(r["figure_basis"]) else "")
                  for _, r in p.iterrows()]
    return p.sort_values(["evidence_grade", "value"], ascending=[True, False]).reset_index(drop=True)


def percent_chart(s: Study) -> Chart | None:
    """Each effect published as a percentage, as a bar (a range as a bar from its lower to upper end),
    coloured by evidence grade."""
    p = percent_effects(s)
    if p.empty:
        return None
    import textwrap

    fig = new_figure(FIG_WIDTH, 0.55 * len(p) + 1.6)
    ax = fig.subplots()
    y = np.arange(len(p))[::-1]
    for yi, (_, r) in zip(y, p.iterrows()):
        low = float(r["value"])
        high = float(r["value_upper"]) if not pd.isna(r["value_upper"]) else None
        start, width = (low, high - low) if high is not None else (0.0, low)
        ax.barh(yi, width, left=start, color=GRADE_COLOURS[str(r["evidence_grade"])],
                hatch=GRADE_HATCHES[str(r["evidence_grade"])], edgecolor="white")
        shown = f"{fmt_int(low)}–{fmt_int(high)}%" if high is not None else f"{fmt_int(low)}%"
        ax.text(start + width + 1, yi, f"{shown} ({r['direction']}, grade {r['evidence_grade']})", va="center",
                fontsize=9)
    ax.set_yticks(y, ["\n".join(textwrap.wrap(str(l), 34)) for l in p["label"]], fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Published change (%)")
    ax.set_title("Effects published as a percentage")
    ax.grid(axis="y", visible=False)
    items = [f"{r['label']}: {fmt_int(r['value'])}"
             + (f" to {fmt_int(r['value_upper'])}" if not pd.isna(r["value_upper"]) else "")
             + f" per cent {r['direction']}, grade {r['evidence_grade']}" for _, r in p.iterrows()]
    alt = (f"Horizontal bar chart of the {fmt_int(len(p))} effects the paper publishes as a percentage change, "
           f"coloured by evidence grade: " + "; ".join(items) + ".")
    return Chart(fig, alt=alt, caption="Effects published as a percentage change, coloured by evidence grade. A range "
                                       "is drawn from its lower to its upper end. Percentages from different "
                                       "measures and places are not comparable with each other.", status="published")
