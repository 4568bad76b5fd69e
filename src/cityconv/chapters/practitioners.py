"""Chapter 07, practitioners and partners: the workshops, the themes each raised (discussions, not
people, shown as ticks; attendance is protected) and the project's published statements.

The reader's prose is in `templates/practitioners/*.md`; the functions here fill it from the records.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd

from cityconv.chapters.common import (
    FIG_WIDTH,
    PRACTITIONER_ROLE,
    SECTION_INTRO,
    SOURCE_KEYS,
    _escape,
    code_labels,
    count_text,
    frame_labels,
    not_available_text,
    number_word,
    published_figure,
    published_wording,
    quotes_markdown,
    render,
)
from cityconv.methods.disclosure import (
    Disclosed,
    DisclosureRules,
    ProtectedTable,
    assert_publishable,
    protect_counts,
)
from cityconv.present import WARD_COLOUR, Chart, Table, capitalise, fmt_int, join_words
from cityconv.present.figures import new_figure, wrap_label
from cityconv.present.numbers import WITHHELD_PHRASE
from cityconv.present.prose import lower_first

# ================================================================================================
# practitioners and partners (chapter 07)
# ================================================================================================


@dataclass
class FindingsStatements:
    frame: pd.DataFrame | None

    def section(self, name: str) -> pd.DataFrame:
        if self.frame is None:
            return pd.DataFrame(columns=["statement_id", "section", "text", "source_key", "location"])
        f = self.frame[self.frame["section"].astype(str) == name]
        return f.sort_values("statement_id", key=lambda c: c.astype(str).str[1:].astype(int)).reset_index(drop=True)


def load_findings_statements(data) -> FindingsStatements:
    """The ward's `findings_statements.csv` (validated with the rest of its folder), if it has one."""
    return FindingsStatements(None if data is None else data.findings_statements)


@dataclass
class PractitionerSummary:
    ward: str
    status: str
    source: str
    rules: DisclosureRules
    data: object
    workshops: pd.DataFrame | None
    themes: pd.DataFrame | None
    quotes: pd.DataFrame | None
    statements: FindingsStatements
    participants: ProtectedTable | None = None

    @property
    def theme_labels(self) -> dict[str, str]:
        return workshop_theme_labels(self.themes)


def workshop_theme_labels(themes: pd.DataFrame | None) -> dict[str, str]:
    """The workshop coding frame the ward's records use (Clubmoor's published findings or the general one)."""
    return frame_labels("workshop_themes", "theme", None if themes is None else themes["theme"].astype(str).unique())


def practitioner_summary(ch) -> PractitionerSummary:
    data, params = ch.data, ch.params
    workshops = getattr(data, "workshops", None) if data is not None else None
    themes = getattr(data, "workshop_themes", None) if data is not None else None
    quotes = getattr(data, "quotes", None) if data is not None else None
    if quotes is not None:
        quotes = quotes[quotes["speaker_role"].astype(str) == PRACTITIONER_ROLE].reset_index(drop=True)
    s = PractitionerSummary(params.title, params.data_status, ch.records_source, ch.rules, data, workshops,
                            themes, quotes, load_findings_statements(data))
    if workshops is not None and not workshops.empty:
        w = workshops.sort_values("workshop_number")
        counts = pd.Series(w["participants"].astype(int).to_numpy(),
                           index=pd.Index([_workshop_label(r) for _, r in w.iterrows()], name="workshop"),
                           name="Participants")
        s.participants = protect_counts(counts, ch.rules)
    return s


def _workshop_label(row) -> str:
    month = pd.Period(str(row["month"]), "M").strftime("%B %Y")
    return f"Workshop {int(row['workshop_number'])} ({month})"


def summary_text(s: PractitionerSummary) -> str:
    """The chapter's opening paragraph."""
    if s.workshops is None:
        return ""
    groups = [] if s.themes is None else list(_finding_groups(s))
    return render("practitioners", "summary", {
        "ward": s.ward, "n_workshops": number_word(len(s.workshops)), "n_groups": number_word(len(groups)),
        "groups": join_words([lower_first(g) for g in groups]), "statements": s.statements.frame is not None})


def practitioner_intro_text(s: PractitionerSummary) -> str:
    if s.workshops is None:
        return not_available_text(s.ward, "practitioner workshops", ["workshops.csv"])
    n_pub = published_figure(s.data, "practitioner_workshops")
    p_pub = published_figure(s.data, "practitioner_participants")
    n_rec, p_rec = len(s.workshops), int(s.workshops["participants"].sum())
    published = n_pub is not None and p_pub is not None
    wording = published_wording(s.data, "practitioner_participants") if published else None
    return render("practitioners", "intro", {
        "ward": s.ward, "status": s.status, "published": published,
        "n_published": fmt_int(n_pub) if published else None, "p_published": fmt_int(p_pub) if published else None,
        "wording": _escape(wording.rstrip(".")) if wording else None,
        "agree": published and int(n_pub) == n_rec and int(p_pub) == p_rec,
        "n_records": fmt_int(n_rec), "p_records": _participants_text(s, p_rec),
        "split": s.participants is not None and n_rec > 1})


def _participants_text(s: PractitionerSummary, total: int) -> str:
    """All participants for prose, as the workshop table beside it shows its total ([c] where withheld)."""
    if s.participants is not None and Disclosed(s.participants).total() is None:
        return WITHHELD_PHRASE
    return count_text(total, s.rules)


def workshop_table(s: PractitionerSummary) -> Table | None:
    if s.participants is None:
        return None
    d = s.participants.display
    frame = pd.DataFrame({"Workshop": [str(i) for i in d.index], "Participants": [str(v) for v in d.iloc[:, 0]]})
    assert_publishable(frame.set_index("Workshop"), s.rules)
    notes = list(s.participants.notes)
    if published_figure(s.data, "practitioner_participants") is not None:
        notes.append("The total is published; the split between workshops is "
                     f"{'reconstructed' if s.status == 'reconstructed' else 'from the records'}.")
    return Table(frame, title=f"Practitioner workshops and participants: {s.ward}", source=s.source,
                 units="Number of participants", notes=notes, status=s.status)


def _split_theme_label(label: str) -> tuple[str, str]:
    group, _, finding = str(label).partition(": ")
    return (group, finding) if finding else ("Other", str(label))


def workshop_theme_table(s: PractitionerSummary) -> Table | None:
    """Each published practitioner finding (workshop theme) and which workshop raised it (ticks)."""
    if s.themes is None or s.workshops is None:
        return None
    w = s.workshops.sort_values("workshop_number")
    ids = list(w["workshop_id"].astype(str))
    names = [f"Workshop {int(n)}" for n in w["workshop_number"]]
    raised = s.themes.assign(theme=s.themes["theme"].astype(str), workshop_id=s.themes["workshop_id"].astype(str))
    rows = []
    for code, label in s.theme_labels.items():
        group, finding = _split_theme_label(label)
        marks = ["Yes" if ((raised["theme"] == code) & (raised["workshop_id"] == i)).any() else "No" for i in ids]
        rows.append([group, capitalise(finding)] + marks)
    frame = pd.DataFrame(rows, columns=["Theme group", "Finding"] + names)
    notes = ["Yes = the finding was raised in that workshop. Themes describe discussions, not people, so no count "
             "of people is shown."]
    if s.status == "reconstructed":
        notes.append("Which workshop raised which finding is reconstructed; the findings themselves are published.")
    elif s.status == "synthetic":
        notes.append("Which workshop raised which finding is synthetic: simulated for a demonstration.")
    return Table(frame, title=f"Practitioner findings and the workshops that raised them: {s.ward}",
                 source=s.source, units="Whether raised (Yes/No)", notes=notes, status=s.status)


def _finding_groups(s: PractitionerSummary) -> dict[str, list[str]]:
    """Theme group -> the findings of that group raised in any workshop, in coding-frame order."""
    raised = set(s.themes["theme"].astype(str))
    groups: dict[str, list[str]] = {}
    for code, label in s.theme_labels.items():
        if code in raised:
            g, finding = _split_theme_label(label)
            groups.setdefault(g, []).append(lower_first(finding))
    return groups


def workshop_themes_text(s: PractitionerSummary) -> str:
    if s.themes is None:
        return not_available_text(s.ward, "workshop themes", ["workshop_themes.csv"])
    labels = s.theme_labels
    groups = _finding_groups(s)
    raised = set(s.themes["theme"].astype(str))
    lines = [render("practitioners", "themes_intro", {}), ""]
    for g, findings in groups.items():  # one line per finding: a list of short items reads more easily
        lines.append(f"- **{_escape(g)}**")
        lines += [f"  - {_escape(capitalise(f))}" for f in findings]
    missing = [labels[c] for c in labels if c not in raised]
    if missing:
        lines += ["", f"Not raised in any workshop: {_escape(join_words([lower_first(m) for m in missing]))}."]
    return "\n".join(lines)


def workshop_theme_chart(s: PractitionerSummary) -> Chart | None:
    """A heat-map style grid: findings (rows) by workshop (columns), filled where raised."""
    if s.themes is None or s.workshops is None:
        return None
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    w = s.workshops.sort_values("workshop_number")
    ids = list(w["workshop_id"].astype(str))
    names = [f"Workshop {int(n)}" for n in w["workshop_number"]]
    labels = s.theme_labels
    t = s.themes.assign(theme=s.themes["theme"].astype(str), workshop_id=s.themes["workshop_id"].astype(str))
    grid = pd.DataFrame([[int(((t["theme"] == c) & (t["workshop_id"] == i)).any()) for i in ids] for c in labels],
                        index=[wrap_label(_split_theme_label(l)[0] + ": " + _split_theme_label(l)[1], 44) for l in labels.values()],
                        columns=names)
    fig = new_figure(FIG_WIDTH, 0.5 * len(grid) + 1.4)
    ax = fig.add_subplot()
    sns.heatmap(grid, cmap=ListedColormap(["#F2F2F2", WARD_COLOUR]), vmin=0, vmax=1, cbar=False, linewidths=1,
                linecolor="white", ax=ax, annot=grid.replace({1: "raised", 0: ""}), fmt="",
                annot_kws={"color": "white", "fontsize": 9})
    ax.set_title("\n".join(textwrap.wrap(f"Which workshop raised each practitioner finding: {s.ward}", 48)))
    ax.set_xlabel("Workshop")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=9)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    both = int((grid.sum(axis=1) == len(ids)).sum())
    none = int((grid.sum(axis=1) == 0).sum())
    alt = (f"Grid of {len(grid)} practitioner findings (rows) by {len(ids)} workshops (columns), a cell filled where "
           f"the workshop raised the finding. "
           f"{capitalise(number_word(both))} of the {number_word(len(grid))} findings were raised in every workshop"
           + (f" and {number_word(none)} in none" if none else "") + ". The same information is in the table below.")
    return Chart(fig, alt, f"Practitioner findings by workshop. Source: {s.source}.", status=s.status)


def practitioner_quotes_text(s: PractitionerSummary) -> str:
    if s.data is None or getattr(s.data, "quotes", None) is None:
        return not_available_text(s.ward, "quotes", ["quotes.csv"])
    if s.quotes is None or s.quotes.empty:
        return f"{s.ward}'s records hold no quotes from practitioners."
    labels = {**code_labels("quotes", "theme"), **s.theme_labels}
    pretty = {k: " — ".join(_split_theme_label(v)) if ": " in v else v for k, v in labels.items()}
    body = quotes_markdown(s.quotes, pretty, s.rules, list(s.theme_labels))
    return render("practitioners", "quotes", {"quotes": body})


STATEMENT_SECTIONS = {"partners": "Reflections of the project partners",
                      "implications": "Implications for policy and practice", "legacy": "Legacy"}


def statements_text(s: PractitionerSummary, section: str) -> str:
    """The published statements of one section as a bullet list, with where they are published."""
    rows = s.statements.section(section)
    if s.statements.frame is None:
        return not_available_text(s.ward, "statements by the project partners",
                                  ["findings_statements.csv"])
    if rows.empty:
        return f"{s.ward}'s records hold no statements of this kind."
    where = join_words([f"“{_escape(l)}”" for l in dict.fromkeys(rows["location"].astype(str))])
    return render("practitioners", "statements", {
        "intro": SECTION_INTRO.get(section, ""), "statements": [_escape(t.strip()) for t in rows["text"].astype(str)],
        "sources": join_words(sorted({SOURCE_KEYS.get(k, k) for k in rows["source_key"].astype(str)})),
        "where": f"slide {where}"})


def aims_text(s: PractitionerSummary) -> str:
    """What the workshops set out to do, when the ward's statements say (nothing otherwise)."""
    if s.statements.frame is None or s.statements.section("practitioners").empty:
        return ""
    return statements_text(s, "practitioners")


def statements_sections(s: PractitionerSummary) -> str:
    """The partners' reflections, implications and legacy, each under a bold label (one note if none)."""
    if s.statements.frame is None:
        return statements_text(s, "partners")
    return "\n\n".join(f"**{title}**\n\n" + statements_text(s, key) for key, title in STATEMENT_SECTIONS.items())
