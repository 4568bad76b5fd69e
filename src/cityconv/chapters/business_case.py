"""The study chapter "The business case for good conversations" (`notebooks/20-business-case.ipynb`).

Everything on the page is built here from the evidence tables in `data/evidence/` (read with
`cityconv.data.evidence`): one evidence table per tenet of the paper's business case, a chart of the effects
with their evidence grade, the monetary values as published with their year, the techniques matrix
(ratings that are the project's own judgement are marked), and a candid paragraph on the quality of
the evidence built from `evidence.grade_summary`. No figure is typed into this module: every number
on the page is read from the tables.

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
    effects_by_tenet,
    grade_summary,
    load_evidence,
    monetary_values,
)
from cityconv.present import PALETTE, Chart, Table, fmt_int, fmt_pct
from cityconv.present.figures import new_figure

EVIDENCE_DIR = Path("data") / "evidence"
PAPER = "IPPR North and Social Regeneration Consultants (2010), Enabling Good Conversations: Positioning paper"
SOURCE = f"{PAPER}; grades and ratings: project judgement (data/evidence)"
# Okabe–Ito colours, one per grade, strongest evidence first (A darkest blue ... E vermillion).
GRADE_COLOURS = dict(zip(GRADES, [PALETTE[0], PALETTE[4], PALETTE[2], PALETTE[1], PALETTE[5]]))
GRADE_HATCHES = dict(zip(GRADES, ["", "//", "..", "xx", "\\\\"]))  # so the chart also reads in greyscale
EFFICIENCY_LABELS = {"cashable": "Cashable", "invest_to_save": "Invest to save"}
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
    params = load_params(project.params_dir / f"{study_id}.yml", project.root)
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


def _design_names(eb: EvidenceBase) -> dict[str, str]:
    return dict(zip(eb.grading_rubric["design"].astype(str), eb.grading_rubric["design_name"].astype(str)))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{fmt_int(n)} {word if n == 1 else (plural or word + 's')}"


def _money(value: float, currency: str) -> str:
    symbol = {"GBP": "£"}.get(currency, currency + " ")
    text = f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    return f"{symbol}{text}"


# ------------------------------------------------------------------------------------------ prose


def intro_text(s: Study) -> str:
    eb = s.eb
    e = effects_by_tenet(eb)
    per = e["tenet"].astype(str).value_counts()
    parts = [f"{_plural(int(per.get(t, 0)), 'effect')} for “{label.lower()}”" for t, label in TENET_LABELS.items()]
    examples = int((eb.cases["kind"].astype(str) == "example").sum())
    sources = eb.cases["citation_key"].astype(str).nunique()
    return (
        f"The positioning paper makes a business case for good conversations between public services and "
        f"communities on three tenets. Our evidence tables record {_plural(len(e), 'effect')} the paper reports: "
        + ", ".join(parts[:-1]) + f" and {parts[-1]}. {fmt_int(examples)} of them come from named places or "
        f"programmes and {fmt_int(len(e) - examples)} from general research findings; together they cite "
        f"{_plural(sources, 'source')}. Each effect is quoted exactly as published and carries an evidence grade "
        f"from A (a controlled comparison) to E (an assertion). The grade describes the evidence as the paper "
        f"reports it, not the underlying study, which we have not read."
    )


def quality_text(s: Study) -> str:
    """The candid paragraph on the evidence base, every number from `grade_summary`."""
    eb = s.eb
    g = grade_summary(eb)
    total = int(g["total"].sum())
    a, b = int(g.loc["A", "total"]), int(g.loc["B", "total"])
    de = int(g.loc["D", "total"] + g.loc["E", "total"])
    quantified = int(g["quantified"].sum())
    grade_a = eb.cases[eb.cases["evidence_grade"].astype(str) == "A"]
    a_studies = grade_a["citation_key"].astype(str).nunique()
    a_tenets = sorted({TENET_LABELS[t].lower() for t in grade_a["tenet"].astype(str)})
    money = monetary_values(eb)
    best_money = sorted(money["evidence_grade"].astype(str))[0] if len(money) else None
    efficient = eb.cases[eb.cases["tenet"].astype(str) == "more_efficient_services"]
    eff_ab = int(efficient["evidence_grade"].astype(str).isin(["A", "B"]).sum())
    text = (
        f"{'In short: not very strong.' if (a + b) / total < 0.5 else 'In short: mixed.'} "
        f"Only {_plural(a, 'effect')} of {fmt_int(total)} "
        f"({fmt_pct(a / total)}) rest on a controlled comparison (grade A)"
    )
    if a:
        which = "a single evaluation" if a_studies == 1 else _plural(a_studies, "evaluation")
        text += f", and all of them come from {which} ({', '.join(a_tenets)})"
    text += (
        f". {fmt_int(b)} more ({fmt_pct(b / total)}) are before-and-after measures with nothing to compare them with "
        f"(grade B). {fmt_int(de)} ({fmt_pct(de / total)}) are graded D or E: an outcome described in words, a "
        f"count of outputs, or an assertion. Only {fmt_int(quantified)} of the {fmt_int(total)} effects come with a "
        f"published number at all."
    )
    if len(money):
        no_year = int((money["money_year_basis"].astype(str) == "paper_date").sum())
        text += f" None of the {_plural(len(money), 'monetary value')} is better than grade {best_money}"
        if no_year == len(money):
            text += ", and the paper gives a price year for none of them."
        elif no_year:
            text += f", and the paper gives no price year for {fmt_int(no_year)} of them."
        else:
            text += "."
    text += (f" For the efficiency tenet, the one a finance officer would ask about, {fmt_int(eff_ab)} of "
             f"{fmt_int(len(efficient))} effects reach grade A or B. The paper's case is plausible and "
             f"consistent, but it is built mostly from examples chosen to illustrate it, not from evaluations "
             f"designed to test it.")
    return text


def tenet_text(s: Study, tenet: str) -> str:
    e = effects_by_tenet(s.eb)
    t = e[e["tenet"].astype(str) == tenet]
    grades = t["evidence_grade"].astype(str).value_counts().reindex(list(GRADES), fill_value=0)
    best = next(g for g in GRADES if grades[g]) if len(t) else None
    text = (f"{_plural(len(t), 'effect')} under “{TENET_LABELS[tenet].lower()}”; "
            + ", ".join(f"{fmt_int(grades[g])} graded {g}" for g in GRADES if grades[g]) + ".")
    if tenet == "more_efficient_services":
        kinds = t["efficiency_type"].astype(str).value_counts()
        text += (" The paper splits efficiency into cashable savings ("
                 f"{fmt_int(int(kinds.get('cashable', 0)))} effects) and invest-to-save returns "
                 f"({fmt_int(int(kinds.get('invest_to_save', 0)))}).")
    if best:
        text += f" The strongest evidence here is grade {best}."
    return text


# ------------------------------------------------------------------------------------------ tables


def evidence_table(s: Study, tenet: str) -> Table:
    """Every effect under one tenet: what, the effect as published, grade, design and source."""
    eb = s.eb
    e = effects_by_tenet(eb)
    t = e[e["tenet"].astype(str) == tenet]
    designs = _design_names(eb)
    frame = pd.DataFrame({
        "Example or finding": [_what(r) for _, r in t.iterrows()],
        "Effect as published": [f"“{x}”" for x in t["effect_published"].astype(str)],
        "Grade": t["evidence_grade"].astype(str).to_list(),
        "Design": [designs[str(d)] for d in t["evaluation_design"]],
        "Source (as cited in the paper)": t["citation"].astype(str).to_list(),
    })
    if tenet == "more_efficient_services":
        frame.insert(1, "Saving", [EFFICIENCY_LABELS.get(str(x), str(x)) for x in t["efficiency_type"]])
    return Table(frame, title=f"Evidence for “{TENET_LABELS[tenet].lower()}”",
                 source=SOURCE, units="Effects as published (text); evidence grade A (strongest) to E",
                 notes=["Sorted by grade, strongest first. Effects are quoted exactly as the paper gives them.",
                        "Grade and design are the project's judgement with the rubric in data/evidence/grading_rubric.csv."], status="published")


def monetary_table(s: Study) -> Table | None:
    eb = s.eb
    m = monetary_values(eb)
    if m.empty:
        return None
    basis = {"paper_date": "paper's date; no price year published", "published": "published with the figure"}
    frame = pd.DataFrame({
        "Example": [_what(r) for _, r in m.iterrows()],
        "Value": [_money(float(v), str(c)) for v, c in zip(m["value"], m["currency"])],
        "What it measures": [str(x) for x in m["case_id"].map(eb.cases.set_index("case_id")["outcome_measure"])],
        "Effect as published": [f"“{x}”" for x in m["effect_published"].astype(str)],
        "Price year": [f"{int(y)} ({basis.get(str(b), str(b))})" for y, b in zip(m["money_year"], m["money_year_basis"])],
        "Grade": m["evidence_grade"].astype(str).to_list(),
        "Source (as cited in the paper)": m["citation"].astype(str).to_list(),
    })
    return Table(frame, title="Monetary values in the business case, as published",
                 source=SOURCE, units="Pounds sterling (GBP) at the price year shown; not adjusted for inflation",
                 notes=["Values are as published and are not converted to today's prices or to a common year.",
                        "Where the paper gives no price year, the paper's own date is shown and marked as such; a "
                        "cited source may be older, so the price base may be earlier."], status="published")


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


def techniques_text(s: Study) -> str:
    t = s.eb.techniques
    high_reach = t[t["reach_of_rarely_heard"].astype(str) == "high"]
    low_cost_high = high_reach[high_reach["cost"].astype(str) == "low"]
    text = (f"The paper names {_plural(len(t), 'technique')}. {fmt_int(len(high_reach))} are rated high for reaching "
            f"people who are rarely heard")
    if len(low_cost_high):
        text += f"; of those, {fmt_int(len(low_cost_high))} also cost little ({', '.join(low_cost_high['name'].astype(str))})"
    return text + ". Most cost and reach ratings are our judgement, because the paper discusses cost and reach only in general."


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
    p["label"] = [f"{_what(r)}: {r['outcome_measure']}" for _, r in p.iterrows()]
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
