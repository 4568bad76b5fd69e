"""The social media chapter (06): reach, interactions, engagement rate and comments, per post and in total.

Definitions (stated in the chapter, and used everywhere here):

* **Audience** of a post: the number of people the post reached (Facebook's reach), unit people.
* **Interactions**: reactions + comments + shares on the post. The published figure counts exactly these
  ("176 reactions, comments and shares in total").
* **Engagement rate** of a post: interactions ÷ audience. For all posts together we use the *pooled*
  rate, total interactions ÷ total audience, so a post seen by more people counts for more; it is not
  the mean of the posts' rates. One person can react, comment and share, so the rate is interactions
  per person reached, not the share of people who engaged.

Published figures are shown exactly, read from `published_figures.csv`, and each is checked against
the total re-derived from the records (`social_media_posts.csv`). Everything per post (and the total
audience, which the slides give only as an average) is a property of the records: for reconstructed
records the per-post split is made up so that the totals are exact, and the prose says so.

Disclosure decision. Audience, reactions, comments and shares are statistics of *public posts* on a
public page, reported by the platform. They describe posts, not people, and none is a count of
survey or interview respondents: a comment count counts comments (one person can write several), a
reaction count counts reactions. The respondent thresholds of `cityconv.methods.disclosure` (``[c]`` for
counts of 1 to 4 people) therefore do **not** apply to them, and they are shown in full; the chapter
says so in a table note. What would be disclosive — the text of comments, or who commented — is not
held in the data and never shown. Should a ward's records ever code what commenters said (a count of
commenters giving an answer), that would be a respondent count and must go through `protect_counts`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cityconv.chapters.common import (
    SOURCE_KEYS,
    analysts_note,
    code_labels,
    number_word,
    published_figure,
    published_wording,
    render,
)
from cityconv.present import PALETTE, WARD_COLOUR, Chart, Table, fmt_int, fmt_pct
from cityconv.present.bars import grouped_bars
from cityconv.present.figures import new_figure

__all__ = [
    "INTERACTION_TYPES",
    "PAGE_STATISTICS_NOTE",
    "SocialSummary",
    "engagement_rate",
    "social_summary",
    "summary_text",
    "social_intro_text",
    "measures_text",
    "definitions_text",
    "totals_table",
    "posts_table",
    "interactions_table",
    "posts_text",
    "audience_chart",
    "interactions_chart",
]

INTERACTION_TYPES = ("reactions", "comments", "shares")
PUBLISHED_IDS = {
    "posts": "social_media_posts",
    "average_audience": "social_media_average_audience",
    "interactions": "social_media_interactions",
    "comments": "social_media_comments",
}
PAGE_STATISTICS_NOTE = (
    "Audience, reactions, comments and shares are statistics of public posts, not counts of survey or "
    "interview respondents, so the small-count rule ([c] for fewer than 5 people) is not applied to them. "
    "No comment text and no commenter is shown."
)
FIG_WIDTH = 6.2


def engagement_rate(interactions, audience) -> float:
    """Interactions ÷ audience (NaN when the audience is zero or missing)."""
    a = float(audience) if audience is not None and not pd.isna(audience) else float("nan")
    if not a or np.isnan(a):
        return float("nan")
    return float(interactions) / a


@dataclass
class SocialSummary:
    ward: str
    status: str
    source: str
    data: object
    posts: pd.DataFrame | None  # one row per post, with interactions and engagement_rate added

    @property
    def available(self) -> bool:
        return self.posts is not None and not self.posts.empty

    # ---- totals from the records
    @property
    def n_posts(self) -> int:
        return 0 if self.posts is None else len(self.posts)

    def total(self, column: str) -> int:
        return int(self.posts[column].sum()) if self.available else 0

    @property
    def mean_audience(self) -> float:
        return self.total("audience") / self.n_posts if self.available else float("nan")

    @property
    def pooled_rate(self) -> float:
        return engagement_rate(self.total("interactions"), self.total("audience"))

    def derived(self, key: str) -> float | None:
        if not self.available:
            return None
        return {"posts": float(self.n_posts), "average_audience": self.mean_audience,
                "interactions": float(self.total("interactions")), "comments": float(self.total("comments"))}[key]

    # ---- published figures
    def published(self, key: str) -> float | None:
        return published_figure(self.data, PUBLISHED_IDS[key])

    def agrees(self, key: str) -> bool | None:
        p, d = self.published(key), self.derived(key)
        if p is None or d is None:
            return None
        return abs(p - d) < 1e-9

    @property
    def topic_labels(self) -> dict[str, str]:
        return code_labels("social_media_posts", "topic")


def social_summary(ch) -> SocialSummary:
    data, params = ch.data, ch.params
    posts = getattr(data, "social_media_posts", None) if data is not None else None
    if posts is not None:
        posts = posts.sort_values(["date", "post_id"]).reset_index(drop=True).copy()
        for c in ("audience", *INTERACTION_TYPES):
            posts[c] = posts[c].astype("int64")
        posts["interactions"] = posts[list(INTERACTION_TYPES)].sum(axis=1).astype("int64")
        posts["engagement_rate"] = [engagement_rate(i, a) for i, a in zip(posts["interactions"], posts["audience"])]
    return SocialSummary(params.title, params.data_status, ch.records_source, data, posts)


def _post_label(s: SocialSummary, row) -> str:
    return f"{pd.Timestamp(row['date']).strftime('%-d %b %Y')}: {s.topic_labels.get(str(row['topic']), str(row['topic']))}"


def _chart_labels(s: SocialSummary) -> list[str]:
    """Each post's label, wrapped for a chart's axis, in the table's order."""
    return ["\n".join(textwrap.wrap(_post_label(s, r), 28)) for _, r in s.posts.iterrows()]


def _span(s: SocialSummary) -> str:
    dates = pd.to_datetime(s.posts["date"])
    if dates.min().year == dates.max().year:
        return f"{dates.min().strftime('%B')} to {dates.max().strftime('%B %Y')}"
    return f"{dates.min().strftime('%B %Y')} to {dates.max().strftime('%B %Y')}"


def summary_text(s: SocialSummary) -> str:
    """The chapter's opening paragraph."""
    if not s.available:
        return ""
    return render("social_media", "summary", {
        "ward": s.ward, "n_posts": number_word(s.n_posts), "per_hundred": f"{100 * s.pooled_rate:.0f}"})


def social_intro_text(s: SocialSummary) -> str:
    if not s.available:
        return (f"> **Not available.** {s.ward}'s records hold no social media posts, so this chapter has no "
                "figures to show.\n\n" + analysts_note(["The ward's data folder has no `social_media_posts.csv`."]))
    pub = {k: s.published(k) for k in PUBLISHED_IDS}
    published = all(v is not None for v in pub.values())
    wording = published_wording(s.data, PUBLISHED_IDS["posts"]) if published else None
    bad = [k.replace("_", " ") for k in PUBLISHED_IDS if published and not s.agrees(k)]
    return render("social_media", "intro", {
        "ward": s.ward, "published": published, "pub": {k: fmt_int(v) if v is not None else "" for k, v in pub.items()},
        "wording": wording.rstrip(".") if wording else None, "mismatched": ", ".join(bad),
        "n_posts": fmt_int(s.n_posts), "span": _span(s), "average": fmt_int(s.mean_audience),
        "interactions": fmt_int(s.total("interactions")), "comments": fmt_int(s.total("comments"))})


def measures_text(s: SocialSummary) -> str:
    """What the platform reports, and how far the posts' topics can be trusted."""
    if not s.available:
        return ""
    return render("social_media", "measures", {"status": s.status})


def definitions_text(s: SocialSummary) -> str:
    if not s.available:
        return ""
    pub_i, pub_a, pub_n = s.published("interactions"), s.published("average_audience"), s.published("posts")
    from_published = None not in (pub_i, pub_a, pub_n)
    rate = pub_i / (pub_a * pub_n) if from_published else None
    differs = from_published and abs(s.pooled_rate - rate) > 0.0005
    return render("social_media", "definitions", {
        "from_published": from_published, "published_rate": fmt_pct(rate, 1) if from_published else None,
        "pub_interactions": fmt_int(pub_i) if from_published else None, "pub_posts": fmt_int(pub_n) if from_published else None,
        "pub_average": fmt_int(pub_a) if from_published else None,
        "records_rate": fmt_pct(s.pooled_rate, 1) if (differs or not from_published) else None})


def totals_table(s: SocialSummary) -> Table | None:
    """Published totals beside the totals re-derived from the records, plus derived measures."""
    if not s.available:
        return None
    rows = [
        ("Posts", "posts", fmt_int(s.n_posts)),
        ("Average audience per post (people)", "average_audience", fmt_int(s.mean_audience)),
        ("Interactions: reactions, comments and shares", "interactions", fmt_int(s.total("interactions"))),
        ("of which comments", "comments", fmt_int(s.total("comments"))),
    ]
    out = []
    for label, key, derived in rows:
        p = s.published(key)
        ok = s.agrees(key)
        out.append([label, "[x]" if p is None else fmt_int(p), derived,
                    "[x]" if ok is None else ("Yes" if ok else "No")])
    out += [
        ["of which reactions", "[x]", fmt_int(s.total("reactions")), "[x]"],
        ["of which shares", "[x]", fmt_int(s.total("shares")), "[x]"],
        ["Total audience, all posts (people reached, summed)", "[x]", fmt_int(s.total("audience")), "[x]"],
        ["Engagement rate, all posts (interactions ÷ audience)", "[x]", fmt_pct(s.pooled_rate, 1), "[x]"],
    ]
    frame = pd.DataFrame(out, columns=["Measure", "Published", "From the records", "Records agree"])
    notes = [
        "Published = as printed in the source; [x] = not published.",
        "Total audience sums each post's reach, so a person reached by two posts counts twice.",
        PAGE_STATISTICS_NOTE,
    ]
    if all(s.published(k) is None for k in PUBLISHED_IDS):  # nothing published (e.g. a synthetic ward): records only
        return Table(frame[["Measure", "From the records"]], title=f"Social media totals from the records: {s.ward}",
                     source=s.source, units="Number of posts, people, interactions; engagement rate in per cent",
                     notes=notes[1:], status=s.status)
    return Table(frame, title=f"Social media totals: published and from the records, {s.ward}",
                 source=_published_source(s),
                 units="Number of posts, people, interactions; engagement rate in per cent", notes=notes, status=s.status)


def _published_source(s: SocialSummary) -> str:
    figures = getattr(s.data, "published_figures", None)
    keys = [] if figures is None else sorted(set(figures["source_key"].astype(str)))
    if not keys:
        return s.source
    return f"{s.source}; published figures: " + "; ".join(SOURCE_KEYS.get(k, k) for k in keys)


def _post_short(s: SocialSummary, row) -> str:
    return f"{pd.Timestamp(row['date']).strftime('%-d %b')}: {s.topic_labels.get(str(row['topic']), str(row['topic']))}"


def _posts_notes(s: SocialSummary, extra: list[str]) -> list[str]:
    notes = list(extra)
    if s.status == "reconstructed":
        notes.append("Per-post values are reconstructed so that the published totals are exact: only the totals and "
                     "the average audience are published.")
    elif s.status == "synthetic":
        notes.append("Per-post values are synthetic: simulated for a demonstration, not findings.")
    notes.append(PAGE_STATISTICS_NOTE)
    return notes


def posts_table(s: SocialSummary) -> Table | None:
    """One row per post: audience, interactions and engagement rate (all posts in the last row)."""
    if not s.available:
        return None
    rows = [[_post_short(s, r), fmt_int(r["audience"]), fmt_int(r["interactions"]), fmt_pct(r["engagement_rate"], 1)]
            for _, r in s.posts.iterrows()]
    rows.append(["All posts", fmt_int(s.total("audience")), fmt_int(s.total("interactions")), fmt_pct(s.pooled_rate, 1)])
    frame = pd.DataFrame(rows, columns=["Post (date: topic)", "Audience", "Interactions", "Engagement rate"])
    year = sorted({pd.Timestamp(d).year for d in s.posts["date"]})
    notes = _posts_notes(s, [
        f"Posted in {', '.join(str(y) for y in year)}. Interactions = reactions + comments + shares; engagement rate "
        "= interactions ÷ audience (all posts: total interactions ÷ total audience)."])
    return Table(frame, title=f"Social media page statistics per post, reach and engagement: {s.ward}", source=s.source,
                 units="Number of people reached; number of interactions; engagement rate in per cent", notes=notes, status=s.status)


def interactions_table(s: SocialSummary) -> Table | None:
    """One row per post: reactions, comments and shares (all posts in the last row)."""
    if not s.available:
        return None
    cols = list(INTERACTION_TYPES)
    rows = [[_post_short(s, r)] + [fmt_int(r[c]) for c in cols] + [fmt_int(r["interactions"])] for _, r in s.posts.iterrows()]
    rows.append(["All posts"] + [fmt_int(s.total(c)) for c in cols] + [fmt_int(s.total("interactions"))])
    frame = pd.DataFrame(rows, columns=["Post (date: topic)", "Reactions", "Comments", "Shares", "All"])
    return Table(frame, title=f"Social media page statistics per post, interactions by type: {s.ward}", source=s.source,
                 units="Number of reactions, comments and shares", notes=_posts_notes(s, []), status=s.status)


def posts_text(s: SocialSummary) -> str:
    if not s.available:
        return ""
    p = s.posts
    hi, lo = p.loc[p["engagement_rate"].idxmax()], p.loc[p["engagement_rate"].idxmin()]
    labels = s.topic_labels
    total = s.total("interactions")
    return render("social_media", "posts", {
        "audience_low": fmt_int(p["audience"].min()), "audience_high": fmt_int(p["audience"].max()),
        "rate_low": fmt_pct(lo["engagement_rate"], 1), "topic_low": labels.get(str(lo["topic"]), lo["topic"]),
        "rate_high": fmt_pct(hi["engagement_rate"], 1), "topic_high": labels.get(str(hi["topic"]), hi["topic"]),
        "reactions": fmt_pct(s.total("reactions") / total), "comments": fmt_pct(s.total("comments") / total),
        "shares": fmt_pct(s.total("shares") / total), "several": s.n_posts > 1, "n_posts": number_word(s.n_posts)})


def audience_chart(s: SocialSummary) -> Chart | None:
    """Audience per post, with the average (published where available) as a dashed line."""
    if not s.available:
        return None
    data = pd.DataFrame({"post": _chart_labels(s), "audience": s.posts["audience"].astype(int)})
    fig = new_figure(FIG_WIDTH, 0.6 * len(data) + 1.8)
    ax = fig.add_subplot()
    grouped_bars(ax, list(data["post"]), [(None, data["audience"].tolist(), WARD_COLOUR)], horizontal=True)
    for container in ax.containers:
        ax.bar_label(container, labels=[fmt_int(v) for v in container.datavalues], padding=3, fontsize=10)
    pub = s.published("average_audience")
    avg = pub if pub is not None else s.mean_audience
    ax.axvline(avg, color=PALETTE[1], linestyle="--", linewidth=1.6,
               label=f"Average: {fmt_int(avg)} people{' (published)' if pub is not None else ''}")
    ax.set_xlim(0, float(data["audience"].max()) * 1.2)
    ax.set_title("\n".join(textwrap.wrap(f"How many people each post reached: {s.ward}", 48)))
    ax.set_xlabel("Audience (people reached)")
    ax.set_ylabel("Post")
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", frameon=False)
    top = s.posts.loc[s.posts["audience"].idxmax()]
    alt = (f"Horizontal bar chart of the audience of each of the {fmt_int(s.n_posts)} posts, "
           f"with a dashed line at the average of {fmt_int(avg)} people. Audiences range from "
           f"{fmt_int(s.posts['audience'].min())} to {fmt_int(s.posts['audience'].max())}; the largest is the post of "
           f"{pd.Timestamp(top['date']).strftime('%-d %B %Y')}. The figures are in the table below.")
    return Chart(fig, alt, f"Audience per post. Source: {s.source}.", status=s.status)


def interactions_chart(s: SocialSummary) -> Chart | None:
    """Reactions, comments and shares per post, side by side."""
    if not s.available:
        return None
    counts = s.posts[list(INTERACTION_TYPES)].astype(int)
    fig = new_figure(FIG_WIDTH, 0.9 * s.n_posts + 1.8)
    ax = fig.add_subplot()
    # one row of bars per post, in the table's order (two posts may share a date and topic, so a label)
    grouped_bars(ax, _chart_labels(s), [(kind.capitalize(), counts[kind].tolist(), colour)
                                        for kind, colour in zip(INTERACTION_TYPES, PALETTE)], horizontal=True)
    for container in ax.containers:
        ax.bar_label(container, labels=[fmt_int(v) for v in container.datavalues], padding=2, fontsize=9)
    ax.set_xlim(0, float(counts.to_numpy().max()) * 1.2)
    ax.set_title("\n".join(textwrap.wrap(f"Reactions, comments and shares on each post: {s.ward}", 48)))
    ax.set_xlabel("Number of interactions")
    ax.set_ylabel("Post")
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
    alt = (f"Grouped horizontal bar chart of reactions, comments and shares on each of the {fmt_int(s.n_posts)} posts. "
           f"Reactions are the most common interaction on every post"
           if bool((s.posts["reactions"] >= s.posts[["comments", "shares"]].max(axis=1)).all())
           else f"Grouped horizontal bar chart of reactions, comments and shares on each of the {fmt_int(s.n_posts)} posts")
    alt += (f"; in total there are {fmt_int(s.total('reactions'))} reactions, {fmt_int(s.total('comments'))} comments "
            f"and {fmt_int(s.total('shares'))} shares. The figures are in the table below.")
    return Chart(fig, alt, f"Interactions per post by type. Source: {s.source}.", status=s.status)
