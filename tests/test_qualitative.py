"""The qualitative chapters (05 interviews, 07 practitioners, 08 sense check): data, disclosure, prose.

Functions are checked on the real Clubmoor data and on modified copies in a temporary project (an
absent source, a small theme-by-group cell, a quote with personal information, a different survey
ranking). The last tests execute each chapter template with papermill, for Clubmoor and for a ward
whose data folder has only the required files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityconv.chapters import common, interviews, practitioners, sense_check
from cityconv.chapters.loader import open_chapter
from cityconv.data.wardfiles import validate_data_dir
from cityconv.methods.attribution import ALLOWED_ROLES
from cityconv.methods.disclosure import SUPPRESSED, TOTAL, DisclosureRules
from cityconv.present.prose import lower_first
from nbtools import add_ward, run_notebook

REPO = Path(__file__).resolve().parents[1]
CLUBMOOR = REPO / "data" / "clubmoor"
OPTIONAL = ("training_sessions", "training_attendance", "survey_mentions", "interviews", "interview_themes",
            "social_media_posts", "workshops", "workshop_themes", "quotes",
            "findings_statements", "published_figures")  # the citywide consultation is city-level: every ward has it
SMALL_IN_PROSE = re.compile(
    r"(?<![\d.,£$-])\b[1-4]\b(?!\.\d|,\d{3}|%|\s*(?:percentage|per cent|months?|years?|July|June|August|November|"
    r"February|March|April|May|Jul|Aug|Jun))"
    r"\s*(?:\)|of the|interviews?|respondents?|people|participants|interviewees|survey respondents|"
    r"community researchers|board members|with)"
)


def edit_csv(path: Path, fn) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(frame).to_csv(path, index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def ch():
    return open_chapter("clubmoor", REPO)


# ------------------------------------------------------------------------------------------------ helpers


def test_count_text_never_states_a_small_count():
    rules = DisclosureRules()
    assert [common.count_text(n, rules) for n in (0, 1, 4, 5, 1906)] == ["0", "fewer than 5", "fewer than 5", "5", "1,906"]
    assert common.count_text(6, DisclosureRules(threshold=10, min_percent_base=10)) == "fewer than 10"


def test_file_names_only_in_a_collapsed_analysts_note_and_chapters_are_links():
    note = common.not_available_text("Anfield", "quotes", ["quotes.csv"])
    prose, _, analysts = note.partition(":::{admonition} For analysts")
    assert "quotes.csv" not in prose and "`quotes.csv`" in analysts and ":class: note dropdown" in analysts
    assert common.chapter_link("residents-survey") == "{doc}`Residents' survey <03-residents-survey>`"


def test_survey_labels_travel_with_the_ward(ch):
    """Clubmoor's own questionnaire names its park; the shared template names no place."""
    assert "Ducky" in common.survey_code_labels("best_things", ch.data)["green_spaces"]
    assert "Ducky" not in common.survey_code_labels("best_things")["green_spaces"]


def test_quote_markdown_is_verbatim_role_only_and_screened():
    text = "Let [the community] know – it's *face-to-face*."
    block = common.quote_markdown(text, "Interviewee")
    assert common._unescape(block).startswith(f"> “{text}”")
    assert block.endswith("> — Interviewee")
    assert "\\[the community\\]" in block  # brackets escaped so Markdown cannot turn them into a link
    # a role outside the allowed attributions is not shown
    assert common.quote_markdown("Fine words.", "Resident aged 82 from Smith Street").endswith(
        "— the speaker's role is not printed in the source")
    # personal information: the quote is withheld
    assert common.quote_markdown("Write to jo.bloggs@example.com about it", "Interviewee") == ""
    inferred = common.quote_markdown("Words.", "Practitioner (workshop participant)", "project interpretation")
    assert "role inferred from the slide" in inferred


# ------------------------------------------------------------------------------------------------ interviews


def test_interviews_clubmoor_published_26_and_counts_from_data(ch):
    s = interviews.interview_summary(ch)
    assert s.n == 26 and s.published_n == 26
    assert int(s.by_group.sum()) == 26
    assert s.by_group.to_dict() == ch.data.interviews["interviewee_type"].astype(str).value_counts().to_dict()
    intro = interviews.interview_intro_text(s)
    assert "**26 interviews**" in intro and "published figure" in intro and "records hold the same 26" in intro
    themes = ch.data.interview_themes
    expected = themes.groupby(themes["theme"].astype(str))["interview_id"].nunique()
    for theme, n in expected.items():
        assert int(s.raised.loc[theme].sum()) == n
    text = interviews.interview_themes_text(s)
    top = expected.sort_values(ascending=False, kind="stable")
    assert f"{lower_first(s.theme_labels[top.index[0]])} ({top.iloc[0]} of the 26 interviews)" in text
    assert "reconstructed" not in text  # the status is said once, in the page's banner, captions and sources


def test_interview_table_protects_small_cells_and_complements(ch):
    s = interviews.interview_summary(ch)
    table = interviews.interview_theme_table(s)
    frame = table.frame.set_index("Theme")
    cells = frame.to_numpy().ravel()
    assert not [c for c in cells if re.fullmatch(r"[1-4]", str(c))]
    labels = s.theme_labels
    for theme in s.raised.index:
        row = frame.loc[labels[theme]]
        for g, col in zip(s.groups, frame.columns[:-1]):
            n, base = int(s.raised.loc[theme, g]), int(s.by_group[g])
            if 1 <= n < 5 or 1 <= base - n < 5:  # small count, or "all but a few"
                assert row[col] == SUPPRESSED, (theme, g)
            elif row[col] != SUPPRESSED:
                assert row[col] == str(n)
    # the all-interviews column is shown where safe and equals the true count
    assert frame.loc[labels["sense_of_community"], "All"] == "19"
    assert list(frame.loc["Interviews (all themes)"]) == [str(int(s.by_group[g])) for g in s.groups] + ["26"]
    assert any("reconstructed" in n for n in table.notes)


def test_small_theme_cell_gets_secondary_suppression(tmp_path):
    data = add_ward(tmp_path)

    def keep_three(frame):
        interviews = pd.read_csv(data / "interviews.csv", dtype=str)
        survey = set(interviews.loc[interviews["interviewee_type"] == "survey_respondent", "interview_id"])
        hit = frame[(frame["theme"] == "green_spaces") & frame["interview_id"].isin(survey)]
        return frame.drop(hit.index[3:])  # 3 survey respondents raise green spaces

    edit_csv(data / "interview_themes.csv", keep_three)
    s = interviews.interview_summary(open_chapter("clubmoor", tmp_path))
    assert int(s.raised.loc["green_spaces", "survey_respondent"]) == 3
    p = s.protected["green_spaces"]
    assert p.display.loc["survey_respondent", common.RAISED] == SUPPRESSED
    assert bool(p.primary.loc["survey_respondent", common.RAISED])
    assert p.secondary.to_numpy().any() or p.mask.loc[["community_researcher", "board_member"], common.RAISED].any()
    # the suppressed 3 cannot be recovered from its row or column: another entry of each line is withheld
    row_unknown = p.mask.loc["survey_respondent", [common.RAISED, common.NOT_RAISED]].sum()
    col_unknown = p.mask.loc[[g for g in p.mask.index if g != TOTAL], common.RAISED].sum()
    assert row_unknown >= 2 and col_unknown >= 2
    table = interviews.interview_theme_table(s).frame
    assert not [c for c in table.iloc[:, 1:].to_numpy().ravel() if re.fullmatch(r"[1-4]", str(c))]
    text = interviews.interview_themes_text(s) + interviews.interview_groups_text(s)
    assert not SMALL_IN_PROSE.search(text), text


def test_interviews_absent_says_not_available(tmp_path):
    add_ward(tmp_path, drop=("interviews", "interview_themes", "quotes"))
    s = interviews.interview_summary(open_chapter("clubmoor", tmp_path))
    assert "Not available" in interviews.interview_intro_text(s) and "interviews.csv" in interviews.interview_intro_text(s)
    assert interviews.interview_theme_table(s) is None and interviews.interview_theme_chart(s) is None
    assert interviews.interview_groups_text(s) == "" and interviews.interview_themes_text(s) == ""
    assert "quotes.csv" in interviews.interview_quotes_text(s)


def test_resident_quotes_verbatim_grouped_role_only(ch):
    s = interviews.interview_summary(ch)
    text = interviews.interview_quotes_text(s)
    plain = common._unescape(text)
    quotes = ch.data.quotes
    residents = quotes[quotes["speaker_role"] != common.PRACTITIONER_ROLE]
    assert len(residents) == 7
    for _, r in residents.iterrows():
        assert f"“{r['text']}”" in plain
        label = common.code_labels("quotes", "theme")[r["theme"]]
        assert plain.index(f"**{label}**") < plain.index(r["text"])
    for _, r in quotes[quotes["speaker_role"] == common.PRACTITIONER_ROLE].iterrows():
        assert r["text"] not in plain
    attributions = re.findall(r"^> — (.+)$", text, flags=re.M)
    assert len(attributions) == len(residents)
    for a in attributions:
        role = a.split(" (role inferred")[0]
        assert role in ALLOWED_ROLES or role == "the speaker's role is not printed in the source"


def test_quote_with_personal_information_is_withheld(tmp_path):
    data = add_ward(tmp_path)
    edit_csv(data / "quotes.csv", lambda f: f.assign(text=f["text"].where(f["quote_id"] != "Q01",
                                                                          "Ring me on 0151 794 2000 about the park")))
    s = interviews.interview_summary(open_chapter("clubmoor", tmp_path))
    text = interviews.interview_quotes_text(s)
    assert "0151" not in text and "withheld because it may contain personal information" in text


# ------------------------------------------------------------------------------------------------ practitioners


def test_findings_statements_file_is_valid_and_loads(ch):
    assert validate_data_dir(CLUBMOOR, REPO) == []
    st = practitioners.load_findings_statements(ch.data)
    f = st.frame
    assert set(f["section"].astype(str)) == {"practitioners", "partners", "implications", "legacy"}
    assert (f["source_key"].astype(str) == "clubmoor_slides_2021").all()
    assert len(st.section("partners")) == 7 and len(st.section("implications")) == 6
    assert "Incredible Edible" in " ".join(st.section("partners")["text"])


def test_practitioners_clubmoor(ch):
    s = practitioners.practitioner_summary(ch)
    intro = practitioners.practitioner_intro_text(s)
    assert "**2 practitioner workshops**" in intro and "**20 participants**" in intro
    assert "records agree" in intro
    w = practitioners.workshop_table(s).frame.set_index("Workshop")
    assert w.loc[TOTAL, "Participants"] == str(int(ch.data.workshops["participants"].sum())) == "20"
    grid = practitioners.workshop_theme_table(s).frame
    assert len(grid) == 12 and set(grid["Theme group"]) == {"Challenges", "Joint working", "With communities"}
    raised = ch.data.workshop_themes
    w1 = set(raised.loc[raised["workshop_id"] == "W1", "theme"].astype(str))
    for code, (_, row) in zip(common.code_labels("workshop_themes", "theme"), grid.iterrows()):
        assert row["Workshop 1"] == ("Yes" if code in w1 else "No")
    themes_text = practitioners.workshop_themes_text(s)
    assert "data and intelligence sharing" in themes_text.lower() and "digital exclusion" in themes_text
    quotes = common._unescape(practitioners.practitioner_quotes_text(s))
    for text in ch.data.quotes.loc[ch.data.quotes["speaker_role"] == common.PRACTITIONER_ROLE, "text"]:
        assert f"“{text}”" in quotes
    for section in ("partners", "implications", "legacy", "practitioners"):
        out = practitioners.statements_text(s, section)
        for t in s.statements.section(section)["text"]:
            assert common._escape(t) in out
        assert "clubmoor" not in out.lower() or "Clubmoor" in out
    assert "“Leaving a sustainable legacy”" in practitioners.statements_text(s, "legacy")


def test_small_workshop_is_suppressed(tmp_path):
    data = add_ward(tmp_path)
    edit_csv(data / "workshops.csv", lambda f: f.assign(participants=["17", "3"]))
    s = practitioners.practitioner_summary(open_chapter("clubmoor", tmp_path))
    frame = practitioners.workshop_table(s).frame.set_index("Workshop")
    assert list(frame["Participants"]) == [SUPPRESSED, SUPPRESSED, "20"]
    assert "do not match" in practitioners.practitioner_intro_text(s) or "agree" in practitioners.practitioner_intro_text(s)


def test_practitioners_absent(tmp_path):
    add_ward(tmp_path, drop=("workshops", "workshop_themes", "quotes", "findings_statements"))
    s = practitioners.practitioner_summary(open_chapter("clubmoor", tmp_path))
    assert "Not available" in practitioners.practitioner_intro_text(s)
    assert practitioners.workshop_table(s) is None and practitioners.workshop_theme_table(s) is None and practitioners.workshop_theme_chart(s) is None
    assert "findings_statements.csv" in practitioners.statements_text(s, "partners")
    assert "workshop_themes.csv" in practitioners.workshop_themes_text(s)


# ------------------------------------------------------------------------------------------------ sense check


def _top_two(ch, question):
    m = ch.data.survey_mentions
    counts = m[m["question"].astype(str) == question].groupby(m["code"].astype(str))["response_id"].nunique()
    return sense_check.top_codes(counts)


def test_sense_check_clubmoor_matches_computed_from_data(ch):
    s = sense_check.sense_check(ch)
    assert s.participants == 1906
    assert s.top["best_things"] == _top_two(ch, "best_things") == ["green_spaces", "community"]
    assert s.top["improve"] == _top_two(ch, "improve") == ["crime_asb", "things_to_do"]
    m = s.matches.set_index(["question", "code"])
    assert m.loc[("best_things", "community"), "item_label"] == "Community"
    assert pd.isna(m.loc[("best_things", "green_spaces"), "item_label"])
    assert m.loc[("improve", "crime_asb"), "item_label"] == "Crime and antisocial behaviour"
    assert m.loc[("improve", "things_to_do"), "item_id"] == "improve_services"
    text = sense_check.sense_check_text(s)
    assert "three of the ward's four most named answers have a citywide counterpart" in text
    assert "listed third" in text and "both have a citywide counterpart" in text
    # the citywide consultation names community only: green space is never said to appear in it
    assert "names only community as a strength. So green spaces and parks (e.g. the Ducky) has no counterpart" in text
    city = sense_check.citywide_text(s)
    assert "**1,906 participants**" in city and "more than 50%" in city
    labels = list(ch.data.citywide_consultation_2019.query("item_type == 'improvement_area'").sort_values("list_order")["label"])
    positions = [city.index(common._escape(label)) for label in labels]
    assert positions == sorted(positions)  # slide order
    table = sense_check.sense_check_table(s).frame
    assert list(table["Respondents"]) == ["24", "21", "22", "18"]
    assert list(table["Citywide counterpart"])[0] == "No counterpart"


def test_sense_check_follows_the_data(tmp_path):
    data = add_ward(tmp_path)

    def traffic_first(frame):
        improve = frame[frame["question"] == "improve"]
        respondents = sorted(set(improve["response_id"]))
        has = set(improve.loc[improve["code"] == "traffic_roads", "response_id"])
        extra = pd.DataFrame({"response_id": [r for r in respondents if r not in has],
                              "question": "improve", "code": "traffic_roads"})
        return pd.concat([frame, extra], ignore_index=True)

    edit_csv(data / "survey_mentions.csv", traffic_first)
    s = sense_check.sense_check(open_chapter("clubmoor", tmp_path))
    assert s.top["improve"][0] == "traffic_roads"
    assert "listed first" in sense_check.sense_check_text(s)


def test_sense_check_absent_sources(tmp_path):
    add_ward(tmp_path, drop=("citywide_consultation_2019",))
    s = sense_check.sense_check(open_chapter("clubmoor", tmp_path))
    assert "Not available" in sense_check.citywide_text(s) and sense_check.citywide_table(s) is None and sense_check.sense_check_chart(s) is None
    assert "cannot be compared" in sense_check.sense_check_text(s)
    add_ward(tmp_path, ward="other", drop=("survey_mentions",))
    s = sense_check.sense_check(open_chapter("other", tmp_path))
    assert "survey_mentions.csv" in sense_check.sense_check_text(s) and sense_check.sense_check_table(s) is None


# ------------------------------------------------------------------------------------------------ templates

TEMPLATES = ["05-interviews", "06-social-media", "07-practitioners", "08-sense-check"]
SMALL_TD = re.compile(r"<td[^>]*>\s*([1-4])\s*</td>")


def published_outputs(nb) -> tuple[list[str], list[str]]:
    """(HTML tables that carry respondent counts, Markdown prose) from an executed notebook."""
    tables, prose = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", out
            data = out.get("data", {})
            text = "".join(out.get("text", "")) + "".join(data.get("text/plain", ""))
            assert "Traceback" not in text
            if "text/html" in data:
                html = "".join(data["text/html"])
                if "page statistics" not in html:  # social media page statistics: see cityconv.chapters.social_media
                    tables.append(html)
            elif "text/markdown" in data:
                prose.append("".join(data["text/markdown"]))
    return tables, prose


def run_template(root: Path, name: str, ward: str, out: Path):
    shutil.copy(REPO / "notebooks" / f"{name}.ipynb", root / "notebooks" / f"{name}.ipynb")
    return run_notebook(root / "notebooks" / f"{name}.ipynb", out, {"study_id": ward}, root)


@pytest.fixture(scope="module")
def exec_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("exec")
    add_ward(root, "clubmoor")
    add_ward(root, "bare", drop=OPTIONAL, status="synthetic")
    (root / "notebooks").mkdir()
    return root


def _assert_no_small_counts(nb) -> tuple[str, list[str]]:
    """Every table and sentence the chapter shows is free of counts of 1-4; returns (prose, tables)."""
    tables, prose = published_outputs(nb)
    for html in tables:
        assert not SMALL_TD.search(html), SMALL_TD.search(html).group(0)
    for text in prose:
        assert not SMALL_IN_PROSE.search(text), SMALL_IN_PROSE.search(text).group(0)
    return "\n".join(prose), tables


@pytest.mark.slow  # runs a real chapter template
@pytest.mark.parametrize("name", [t for t in TEMPLATES if t != "06-social-media"])
def test_template_executes_without_small_counts_for_a_bare_ward(exec_project, tmp_path, name):
    """A ward without the optional files (a pair the real book has not): "Not available", no small counts."""
    everything, _ = _assert_no_small_counts(run_template(exec_project, name, "bare", tmp_path / f"{name}-bare.ipynb"))
    assert "Not available" in everything
    if name == "08-sense-check":  # the city-level source: a ward without Clubmoor's files still compares with it
        assert "**1,906 participants**" in everything


@pytest.mark.parametrize("name", [t for t in TEMPLATES if t != "06-social-media"])
def test_template_executes_without_small_counts_for_clubmoor(real_book, name):
    """Clubmoor's chapter as the session's real-book build ran it: no small counts, every source shown."""
    from real_book import executed_chapter

    everything, tables = _assert_no_small_counts(executed_chapter(real_book, "clubmoor", f"{name}.ipynb"))
    assert "Not available" not in everything
    if name == "05-interviews":
        assert "**26 interviews**" in everything and len(tables) == 1
    if name == "07-practitioners":
        assert "**20 participants**" in everything and "People Power Partnership" in everything
    if name == "08-sense-check":
        assert "**1,906 participants**" in everything


# ------------------------------------------------------------------------------------------------ prose


CODE_IN_PROSE = re.compile(r"`|\b[a-z]+_[a-z_]+\b|\.(?:csv|yml|yaml|md|py)\b|cityconv\.")


def _chapter_prose(ward: str) -> dict[str, str]:
    """Everything the four chapters' text functions write for one ward, by function name."""
    from cityconv.chapters import social_media

    ch = open_chapter(ward, REPO)
    iv, sm = interviews.interview_summary(ch), social_media.social_summary(ch)
    pr, sc = practitioners.practitioner_summary(ch), sense_check.sense_check(ch)
    calls = {
        "interviews.summary_text": lambda: interviews.summary_text(iv),
        "interviews.interview_intro_text": lambda: interviews.interview_intro_text(iv),
        "interviews.interview_groups_text": lambda: interviews.interview_groups_text(iv),
        "interviews.interview_themes_text": lambda: interviews.interview_themes_text(iv),
        "interviews.coding_agreement_text": lambda: interviews.coding_agreement_text(iv),
        "social_media.summary_text": lambda: social_media.summary_text(sm),
        "social_media.social_intro_text": lambda: social_media.social_intro_text(sm),
        "social_media.measures_text": lambda: social_media.measures_text(sm),
        "social_media.definitions_text": lambda: social_media.definitions_text(sm),
        "social_media.posts_text": lambda: social_media.posts_text(sm),
        "practitioners.summary_text": lambda: practitioners.summary_text(pr),
        "practitioners.practitioner_intro_text": lambda: practitioners.practitioner_intro_text(pr),
        "practitioners.workshop_themes_text": lambda: practitioners.workshop_themes_text(pr),
        "practitioners.statements_sections": lambda: practitioners.statements_sections(pr),
        "sense_check.summary_text": lambda: sense_check.summary_text(sc),
        "sense_check.citywide_text": lambda: sense_check.citywide_text(sc),
        "sense_check.matching_text": lambda: sense_check.matching_text(sc),
        "sense_check.sense_check_text": lambda: sense_check.sense_check_text(sc),
    }
    return {name: call() or "" for name, call in calls.items()}


@pytest.mark.parametrize("ward", ["clubmoor", "anfield"])
def test_reader_prose_has_no_code_outside_analysts_notes(ward):
    for name, text in _chapter_prose(ward).items():
        prose = re.sub(r":::\{admonition\} For analysts.*?:::", "", text, flags=re.S)
        prose = re.sub(r"\{doc\}`[^`]*`", "", prose)  # links to other chapters are MyST roles, not code
        assert not CODE_IN_PROSE.search(prose), (name, CODE_IN_PROSE.search(prose).group(0), prose)


def test_synthetic_ward_prose_says_nothing_of_clubmoor_or_its_publications():
    """Anfield is synthetic: its chapters never say "published", "slides", "MyClubmoor" or name Clubmoor."""
    for name, text in _chapter_prose("anfield").items():
        if name == "sense_check.citywide_text":
            continue  # the citywide consultation is a published, city-level source shared by every ward
        assert not re.search(r"publish|slides?\b|MyClubmoor|Clubmoor|Ducky", text, re.IGNORECASE), (name, text)


def test_each_chapter_opens_with_a_summary_filled_from_data(ch):
    prose = _chapter_prose("clubmoor")
    assert "26 interviews" in prose["interviews.summary_text"]
    assert "six social media posts" in prose["social_media.summary_text"]
    assert "two practitioner workshops" in prose["practitioners.summary_text"]
    assert "three of the ward's four most named answers" in prose["sense_check.summary_text"]
