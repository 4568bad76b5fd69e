"""The executive summary (`notebooks/00-executive-summary.ipynb`): key numbers and recommendations at a glance.

A policymaker reads this page first, so every number on it is generated from data when the chapter is
built, never typed into prose:

- **published figures** come from the ward's `published_figures.csv` (each row carries the slide it is
  taken from and its `source_key`, which resolves in `references.bib`); they are shown only for a ward
  whose figures are published. For a synthetic ward nothing is presented as published;
- **ward context** (population, deprivation, ethnic group, tenure) comes from the committed open-data
  tables in `data/context/`, through `cityconv.chapters.profile.load_profile` (itself `cityconv.data.context`);
- **recommendations at a glance** come from `cityconv.chapters.recommendations` (`load_rules`, `ward_findings`,
  `evaluate`) when that module is present. See `recommendations_at_a_glance` for the hook.

Section functions return Markdown text, a `present.Table`, or None (nothing to show for this ward), so
the notebook shows them with `present.show` and holds no logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cityconv.chapters.profile import of_phrase
from cityconv.present import Table, capitalise, cite, fmt_int, fmt_pct, join_words

# Figures in the order a reader meets them: what the project set out to do, then what it did.
HEADLINE_FIGURES: tuple[str, ...] = (
    "training_sessions",
    "training_participants",
    "survey_responses",
    "survey_months",
    "interviews",
    "social_media_posts",
    "social_media_average_audience",
    "social_media_interactions",
    "social_media_comments",
    "practitioner_workshops",
    "practitioner_participants",
    "citywide_participants",
)
TARGET_PREFIX = "target_"
FIGURE_COLUMNS = ["figure_id", "value", "unit", "description", "source_text", "source_key", "location"]


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


@dataclass
class Summary:
    study_id: str
    title: str
    data_status: str  # "observed", "reconstructed" or "synthetic"
    figures: pd.DataFrame  # published_figures.csv (empty if the ward has none, or is synthetic)
    profile: Any  # cityconv.chapters.profile.WardProfile, or None for a study without a ward
    recommendations: Recommendations
    root: Path | None = None

    @property
    def name(self) -> str:
        return self.profile.ward_name if self.profile is not None else self.title

    @property
    def synthetic(self) -> bool:
        return self.data_status == "synthetic"


def read_published_figures(data_dir: Path) -> pd.DataFrame:
    """A ward's published figures (`figure_id`, integer `value`, ...); empty if the file is absent."""
    path = Path(data_dir) / "published_figures.csv"
    if not path.exists():
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    missing = [c for c in ("figure_id", "value", "unit", "source_key") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: expected columns {missing} are missing")
    frame["value"] = pd.to_numeric(frame["value"], errors="raise")
    return frame.reset_index(drop=True)


def figure(frame: pd.DataFrame, figure_id: str):
    """The value of one published figure, or None when this ward does not publish it."""
    rows = frame[frame["figure_id"] == figure_id]
    return None if rows.empty else rows["value"].iloc[0]


def load_summary(study_id: str, root: Path | None = None) -> Summary:
    """Everything the executive summary of `params/<study_id>.yml` shows."""
    from cityconv.chapters.profile import load_profile
    from cityconv.core.params import load_params
    from cityconv.core.paths import Project

    project = Project(Path(root)) if root is not None else Project.discover()
    path = project.params_file(study_id)
    params = load_params(path, project.root)
    figures = pd.DataFrame(columns=FIGURE_COLUMNS)
    if params.data_dir is not None and not params.synthetic:
        figures = read_published_figures(project.root / params.data_dir)
    profile = load_profile(study_id, project.root) if params.ward is not None else None
    return Summary(
        study_id=study_id,
        title=params.title,
        data_status=params.data_status,
        figures=figures,
        profile=profile,
        recommendations=recommendations_at_a_glance(study_id, project.root),
        root=project.root,
    )


# ================================================================================================
# recommendations hook
# ================================================================================================


def recommendations_at_a_glance(study_id: str, root: Path) -> Recommendations:
    """The recommendations that fire for this ward, from `cityconv.chapters.recommendations`.

    Uses `recommendations.load(study_id, root)`, which validates `data/recommendations/rules.yml`
    against the evidence base, computes the ward's named findings (`ward_findings`) and evaluates the
    rules (`load_rules`, `evaluate`): the same call the Recommendations chapter makes, so the two pages
    cannot disagree. If the rules are invalid this raises, so the chapter fails loudly and the previous
    good one is kept.
    """
    from cityconv.chapters import recommendations as rec

    rules_file = Path(root) / "data" / "recommendations" / "rules.yml"
    if not rules_file.exists():
        return Recommendations(False, reason="This project has no recommendation rules (data/recommendations/rules.yml).")
    wr = rec.load(study_id, root)
    rows = [
        {
            "recommendation": f.rule.title,
            "text": " ".join(str(f.rule.text).split()),
            "n_cases": len(f.rule.cases),
            "n_findings": len(rec.rule_findings(f.rule)),
        }
        for f in wr.fired
    ]
    items = pd.DataFrame(rows, columns=["recommendation", "text", "n_cases", "n_findings"])
    return Recommendations(True, items, n_rules=len(wr.results),
                           n_unknown=sum(r.result is None for r in wr.results))


# ================================================================================================
# words
# ================================================================================================


def _cite_keys(frame: pd.DataFrame) -> str:
    keys = sorted({k for k in frame["source_key"].astype(str) if k.strip()})
    return ",".join(keys)


def _plural(n, one: str, many: str) -> str:
    return one if int(n) == 1 else many


def intro_text(s: Summary) -> str:
    if s.synthetic:
        what = (
            f"This page gathers the key numbers for **{s.name}**. Its engagement data are **simulated** to "
            "demonstrate the method, so no engagement figure here is a finding; the ward context is real public data."
        )
    else:
        what = (
            f"This page gathers the key numbers for **{s.name}**: what the engagement published, and the ward "
            "it took place in."
        )
    return what + " Every number is computed from the data files when the book is built, so it cannot drift from them."


def engagement_text(s: Summary) -> str | None:
    """One paragraph of the project's published figures, each clause only when its figure is published."""
    f = s.figures
    if s.synthetic:
        return None
    if f.empty:
        return f"No engagement figures are published for {s.name}, so this summary shows the ward's context only."

    def g(figure_id: str):
        return figure(f, figure_id)

    clauses = []
    if g("training_participants") is not None and g("training_sessions") is not None:
        clauses.append(
            f"{fmt_int(g('training_participants'))} residents and front-line workers attended "
            f"{fmt_int(g('training_sessions'))} community-researcher training {_plural(g('training_sessions'), 'session', 'sessions')}"
        )
    if g("survey_responses") is not None:
        months = g("survey_months")
        over = f" over {fmt_int(months)} {_plural(months, 'month', 'months')}" if months is not None else ""
        clauses.append(f"a residents' survey received {fmt_int(g('survey_responses'))} responses{over}")
    if g("interviews") is not None:
        clauses.append(f"{fmt_int(g('interviews'))} interviews were held")
    if g("social_media_posts") is not None:
        text = f"{fmt_int(g('social_media_posts'))} social media posts"
        if g("social_media_average_audience") is not None:
            text += f" reached an average audience of {fmt_int(g('social_media_average_audience'))} people each"
        if g("social_media_interactions") is not None:
            text += f" and drew {fmt_int(g('social_media_interactions'))} reactions, comments and shares"
        clauses.append(text)
    if g("practitioner_participants") is not None and g("practitioner_workshops") is not None:
        clauses.append(
            f"{fmt_int(g('practitioner_participants'))} practitioners from public and social agencies took part in "
            f"{fmt_int(g('practitioner_workshops'))} {_plural(g('practitioner_workshops'), 'workshop', 'workshops')}"
        )
    if not clauses:
        return None
    text = "**What the engagement did.** " + _sentence_list(clauses)
    if g("citywide_participants") is not None:
        text += (
            f" Its findings were checked against a citywide consultation with {fmt_int(g('citywide_participants'))} "
            "participants."
        )
    return text + f" These figures are published {{cite:p}}`{_cite_keys(f)}` and reproduced exactly."


def _sentence_list(clauses: list[str]) -> str:
    if len(clauses) == 1:
        body = clauses[0]
    else:
        body = "; ".join(clauses[:-1]) + "; and " + clauses[-1]
    return body[:1].upper() + body[1:] + "."


def targets_text(s: Summary) -> str | None:
    """The published targets, stated as targets (what was delivered against them is in the chapters)."""
    f = s.figures
    if s.synthetic or f.empty:
        return None
    targets = f[f["figure_id"].str.startswith(TARGET_PREFIX)]
    if targets.empty:
        return None
    items = [_target_phrase(v, u, d) for v, u, d in zip(targets["value"], targets["unit"], targets["description"])]
    return (
        "**What it set out to do.** The project's published targets were to "
        + join_words(items)
        + f" {{cite:p}}`{_cite_keys(targets)}`. How far each was met, and why, is set out in the chapters that follow."
    )


def _target_phrase(value, unit: str, description: str) -> str:
    """"Target: residents to engage" -> "engage 60 residents"; otherwise "60 <unit>"."""
    match = re.match(r"^\s*Target:\s*(?P<what>.+?)\s+to\s+(?P<verb>\w+)\s*$", str(description))
    if match:
        return f"{match['verb']} {fmt_int(value)} {match['what']}"
    return f"reach {fmt_int(value)} {unit}"


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
    """The ward in two sentences: size and deprivation, beside Liverpool (public open data)."""
    p = s.profile
    if p is None:
        return None
    from cityconv.chapters import profile as pr

    city = _city_name(p)
    parts = []
    if p.has_census:
        pop21 = _pop(p, "ward", "population_2021")
        parts.append(
            f"**The ward.** About {fmt_int(round(float(pop21), -2))} people lived in {p.ward_name} at the 2021 "
            "Census (a best-fit estimate from small-area figures)"
        )
        minority_w = pr.shares(p.ethnic_minority, "ward")
        minority_c = pr.shares(p.ethnic_minority, "city")
        social_w = pr.shares(p.tenure, "ward").get(pr.SOCIAL)
        social_c = pr.shares(p.tenure, "city").get(pr.SOCIAL)
        if len(minority_w) and len(minority_c):
            parts[-1] += (
                f"; {fmt_pct(minority_w.iloc[0])} belong to an ethnic minority group other than White "
                f"({city}: {fmt_pct(minority_c.iloc[0])})"
            )
        if social_w is not None and social_c is not None:
            parts[-1] += f", and {fmt_pct(social_w)} of households rent socially ({city}: {fmt_pct(social_c)})"
        parts[-1] += "."
    else:
        parts.append(f"**The ward.** {p.caveat}")
    if p.has_deprivation:
        ward, town = _deciles(p, "ward"), _deciles(p, "city")
        parts.append(
            f"{capitalise(of_phrase(ward[1], int(ward.sum())))} neighbourhoods (LSOAs) in {p.ward_name} "
            f"{'is' if int(ward[1]) == 1 else 'are'} among the 10% most deprived in England on the Index of Multiple Deprivation 2019 "
            f"({city}: {fmt_pct(town[1] / town.sum())} of neighbourhoods)."
        )
        parts.append("Sources: Census 2021 {cite:p}`ons_census2021`; English Indices of Deprivation 2019 {cite:p}`mhclg_iod2019`.")
    else:
        parts.append("Source: Census 2021 {cite:p}`ons_census2021`.")
    return " ".join(parts)


def key_numbers_table(s: Summary) -> Table | None:
    """Key published figures, in reading order, each with the slide it comes from."""
    f = s.figures
    if s.synthetic or f.empty:
        return None
    order = {fid: i for i, fid in enumerate(HEADLINE_FIGURES)}
    rows = f[f["figure_id"].isin(order)].copy()
    if rows.empty:
        return None
    rows["_o"] = rows["figure_id"].map(order)
    rows = rows.sort_values("_o")
    frame = pd.DataFrame(
        {
            "Measure": rows["description"].astype(str).to_numpy(),
            "Figure": [fmt_int(v) for v in rows["value"]],
            "Unit": rows["unit"].astype(str).to_numpy(),
            "Where published": rows["location"].astype(str).to_numpy() if "location" in rows else "",
        }
    )
    return Table(
        frame,
        title=f"Key published figures: the City Conversation in {s.name}",
        source=f"Source: {_source_line(s, rows)}",
        units="Counts, as published (see the Unit column)",
        notes=["Published figures, reproduced exactly; 'Where published' names the slide of the findings presentation."],
    )


def _source_line(s: Summary, rows: pd.DataFrame) -> str:
    keys = sorted({k for k in rows["source_key"].astype(str) if k.strip()})
    titles = [bib_title(k, s.root) or k for k in keys]
    return "; ".join(titles) + " (see References)"


def context_table(s: Summary) -> Table | None:
    """The ward beside Liverpool on four public measures."""
    p = s.profile
    if p is None or not p.has_census:
        return None
    from cityconv.chapters import profile as pr

    city = _city_name(p)

    def share_row(label, ward_value, city_value):
        return (label, fmt_pct(ward_value), fmt_pct(city_value))

    rows = [
        ("Usual residents, Census 2021 (best fit)", fmt_int(_pop(p, "ward", "population_2021")),
         fmt_int(_pop(p, "city", "population_2021"))),
        ("Households, Census 2021 (best fit)", fmt_int(_pop(p, "ward", "households_2021")),
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
    )


def recommendations_text(s: Summary) -> str:
    r = s.recommendations
    if not r.available:
        return f"{r.reason} The published findings for {s.name} are set out in the chapters that follow."
    n, k = r.n_rules, len(r.items)
    text = (
        f"Of the book's {fmt_int(n)} recommendation {_plural(n, 'rule', 'rules')}, **{fmt_int(k)}** "
        f"{_plural(k, 'applies', 'apply')} to {s.name} on its current data."
    )
    if r.n_unknown:
        text += (
            f" For {fmt_int(r.n_unknown)} more the book cannot tell, because a finding "
            f"{_plural(r.n_unknown, 'it needs', 'they need')} is not known for this ward."
        )
    text += (
        " Each rule fires on named findings from the chapters and is backed by at least one published case; "
        "the Recommendations chapter shows every trail in full."
    )
    if s.data_status != "observed":
        text += (
            f" The findings behind them come from {s.data_status} records, so read these as a demonstration "
            "of the method rather than as advice about the ward."
        )
    return text


def recommendations_table(s: Summary) -> Table | None:
    r = s.recommendations
    if not r.available or r.items.empty:
        return None
    items = r.items
    frame = pd.DataFrame(
        {
            "Recommendation": items["recommendation"].astype(str).to_numpy(),
            "Published evidence cases": [fmt_int(v) for v in items["n_cases"]],
        },
        index=pd.RangeIndex(1, len(items) + 1, name="No."),
    )
    return Table(
        frame,
        title=f"Recommendations at a glance: {s.name}",
        source="Source: data/recommendations/rules.yml evaluated on this ward's findings; evidence base "
        "data/evidence (IPPR North and Social Regeneration Consultants, 2010)",
        units="Number of published evidence cases behind each recommendation",
    )


# ================================================================================================
# references.bib (titles for source lines, so a table names its source in words)
# ================================================================================================

_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.S)
_TITLE = re.compile(r"\btitle\s*=\s*\{(.*?)\}\s*,?\s*\n", re.S)


def bib_title(key: str, root: Path | None) -> str | None:
    """The title of a references.bib entry (braces removed), or None if unknown."""
    if root is None:
        return None
    path = Path(root) / "references.bib"
    if not path.exists():
        return None
    for match in _ENTRY.finditer(path.read_text(encoding="utf-8")):
        if match.group(2) == key:
            title = _TITLE.search(match.group(3) + "\n")
            if title:
                return " ".join(title.group(1).replace("{", "").replace("}", "").split())
    return None
