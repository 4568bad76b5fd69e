"""Headline findings: what a ward's engagement found, said first, each linked to the chapter that shows it.

Two kinds, never mixed up:

- **published** findings are the project's own statements (`cityconv.methods.claims.CLAIMS`, the slide
  wording), quoted as published and cited (each keeps its slide title in `location`). A ward has them only when its
  `published_figures.csv` cites the same source as the claims, and never when its data are synthetic.
- **record** findings say what the ward's records show (the named findings of
  `cityconv.chapters.findings`), labelled by the records' status: "reconstructed", "synthetic" or
  "observed". They use only the ward's own data and shared code labels, so a synthetic ward's
  sentences borrow nothing from another ward.

The executive summary, the landing page ("What we found", written into `book/generated/what-we-found.md` by
the `page landing` artifact of the build plan, `cityconv.pipeline.artifacts`) and, through the summary, the two-page briefing all use this one
module. Wording lives in `templates/headlines/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cityconv.chapters.statistics_prose import precision_statement
from cityconv.data import chapter_registry
from cityconv.present import fmt_int, join_words
from cityconv.present.prose import lower_first, template_renderer

TEMPLATES = Path(__file__).parent / "templates" / "headlines"
render = template_renderer(TEMPLATES)

#: The landing page's generated part (under book/generated/, never committed).
LANDING_FILE = "what-we-found.md"

# Chapters a headline links to, by their names in `cityconv.data.chapter_registry` (one page per ward).
SURVEY = "residents-survey"
INTERVIEWS = "interviews"
PRACTITIONERS = "practitioners"
FIELDWORK = "evidence-gathering"
SUMMARY = "executive-summary"
RECOMMENDATIONS = "recommendations"

#: The published claims that make the headlines, in reading order, with the chapter that shows each.
PUBLISHED_CLAIMS: tuple[tuple[str, str], ...] = (
    ("best_things_top_two", SURVEY),
    ("improve_top_two", SURVEY),
    ("most_would_recommend", SURVEY),
    ("covid_catalyst", SURVEY),
    ("blended_engagement_favoured", INTERVIEWS),
)
#: Practitioner themes (workshop_themes codes) that the records' headline names, where they were raised.
PRACTITIONER_THEMES = ("lack_joined_up_working", "community_driven_engagement")

FIGURE_COLUMNS = ["figure_id", "value", "unit", "description", "source_text", "source_key", "location"]


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


@dataclass(frozen=True)
class Headline:
    """One headline finding: a sentence in Markdown, its status, and the chapter it links to."""

    text: str
    status: str  # "published", "reconstructed", "synthetic" or "observed"
    chapter: str  # template stem of the chapter that shows it
    location: str = ""  # the slide, for a published finding
    source_key: str = ""  # references.bib key, for a published finding

    def __post_init__(self) -> None:  # one line, so it can sit in a list item
        object.__setattr__(self, "text", " ".join(self.text.split()))


def _theme_phrase(label: str) -> str:
    """"Challenges: historic lack of joined-up working" -> "a historic lack of joined-up working"."""
    return label.split(":", 1)[-1].strip()


def _with_article(phrase: str) -> str:
    """"historic lack of joined-up working" -> "a historic lack of joined-up working" (a "lack of" needs one)."""
    words = phrase.split()
    return f"a {phrase}" if len(words) > 1 and words[1] == "lack" else phrase


def published_headlines(source_keys: set[str]) -> list[Headline]:
    """The published headline findings, quoted as published, if the ward publishes from their source."""
    from cityconv.methods.claims import CLAIMS, SOURCE_KEY

    if SOURCE_KEY not in source_keys:
        return []
    claims = {c.claim_id: c for c in CLAIMS}
    out = []
    for claim_id, chapter in PUBLISHED_CLAIMS:
        claim = claims[claim_id]
        out.append(Headline(render("published", {"statement": claim.statement.rstrip(".")}),
                            "published", chapter, claim.location, SOURCE_KEY))
    practitioners = claims["practitioner_findings_raised"]
    out.append(Headline(render("practitioners", {}), "published", PRACTITIONERS, practitioners.location, SOURCE_KEY))
    return out


def record_headlines(findings: dict, status: str) -> list[Headline]:
    """What the ward's records show, from its named findings (unknown findings are left out)."""

    def value(fid):
        f = findings.get(fid)
        return None if f is None else f.value

    def labels(fid):
        f = findings[fid]
        return [f.codes_display.get(v, v) for v in f.value]

    out: list[Headline] = []

    def add(headline: Headline) -> None:  # the records' status beside every sentence, not only in the banner
        if status != "observed":
            headline = Headline(f"In the {status} records, {lower_first(headline.text)}", headline.status,
                                headline.chapter, headline.location, headline.source_key)
        out.append(headline)

    for fid, template in (("top_best_things", "records_best"), ("top_improve", "records_improve")):
        if value(fid):
            add(Headline(render(template, {"items": join_words([f"“{x}”" for x in labels(fid)[:2]])}), status, SURVEY))
    if value("covid_community_spirit") is not None:
        add(Headline(render("records_covid", {"most": value("covid_community_spirit")}), status, SURVEY))
    if value("blended_engagement_favoured") is not None:
        add(Headline(render("records_blended", {"yes": value("blended_engagement_favoured")}), status, INTERVIEWS))
    if value("workshop_themes"):
        raised = set(value("workshop_themes"))
        themes = [_with_article(_theme_phrase(findings["workshop_themes"].codes_display.get(t, t)))
                  for t in PRACTITIONER_THEMES if t in raised]
        if themes:
            add(Headline(render("records_practitioners", {"themes": themes}), status, PRACTITIONERS))
    return out


def published_sample_bias() -> list[str]:
    """The project's own statements about who its survey reached, as published (claims' wording)."""
    from cityconv.methods.claims import CLAIMS

    wanted = ("women_35_64_overrepresented", "ethnic_minority_underrepresented")
    return [c.statement for c in CLAIMS if c.claim_id in wanted]


def link(chapter: str, prefix: str, available: dict[str, str]) -> str:
    """A MyST link to a ward's chapter, by name ("" when the book has no such chapter, so no link can break)."""
    return f"{{doc}}`{prefix}{available[chapter]}`" if chapter in available else ""


def available_chapters(root: Path) -> dict[str, str]:
    """The chapters the book runs for every ward: name -> page (`cityconv.data.chapter_registry`)."""
    return chapter_registry.chapter_pages(root)


# ================================================================================================
# the landing page: "What we found"
# ================================================================================================


def landing_markdown(root: Path) -> str:
    """Five to seven sentences for the landing page: the published headlines of the ward(s) that have
    them, then what the engagement gathered, each linked to its chapter (links relative to book/)."""
    from cityconv.core.params import load_all
    from cityconv.core.paths import Project

    project = Project(Path(root))
    studies, _ = load_all(project)
    available = available_chapters(project.root)
    wards = []
    for study_id, params in sorted(studies.items()):
        if params.kind != "ward" or params.synthetic or params.data_dir is None:
            continue
        figures = read_published_figures(project.root / params.data_dir)
        headlines = published_headlines(set(figures["source_key"].astype(str)))
        if not headlines:
            continue
        prefix = f"generated/{study_id}/"
        counts = {fid: figure(figures, fid) for fid in
                  ("survey_responses", "interviews", "practitioner_workshops", "practitioner_participants",
                   "social_media_posts", "social_media_average_audience")}
        wards.append({
            "name": params.title,
            "status": params.data_status,
            "headlines": [{"text": h.text, "link": link(h.chapter, prefix, available)} for h in headlines],
            "counts": {k: (fmt_int(v) if v is not None else None) for k, v in counts.items()},
            "fieldwork": link(FIELDWORK, prefix, available),
            "summary": link(SUMMARY, prefix, available),
            "recommendations": link(RECOMMENDATIONS, prefix, available),
            "key": headlines[0].source_key,
            "precision": precision_statement(int(counts["survey_responses"])) if counts["survey_responses"] else "",
            "sample_bias": published_sample_bias(),
        })
    return render("landing", {"wards": wards})
