"""Free text coded into themes (`themes:` in questionnaire.yml, `survey_text_codes.csv`) and "other, please
specify" text checked against the ticked option: the files are validated like every ward file, and the survey
chapter counts respondents per theme under the same disclosure decision as its other tables."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cityconv.chapters import survey as S  # noqa: E402
from cityconv.core.problems import InputError  # noqa: E402
from cityconv.data.questionnaire import load_questionnaire  # noqa: E402
from cityconv.data.wardfiles import codebook_markdown, load_ward_data, validate_data_dir  # noqa: E402
from cityconv.methods.disclosure import SUPPRESSED, assert_publishable  # noqa: E402
from cityconv.present import Chart, Table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "own_questions"
SMALL_IN_PROSE = re.compile(r"(?<![\d.,%±-])\b[1-4]\s+(?:of the [\d,]+\s+)?(?:respondents?|people|responses?|who)\b", re.I)

THEMES = """    themes:
      library: "The library"
      transport: "Buses and getting about"
      youth: "Things for young people to do"
      streets: "Streets, lights and benches"
      neighbours: "Good neighbours"
"""
MORE_ANSWERS = {  # the fixture's 12 answers to `comments`, and 12 more: 24 of its 40 respondents answer
    "S01": "The library and the 14 bus both matter to me.", "S02": "Longer library hours please.",
    "S04": "The library is the heart of the place.", "S07": "Keep the library.", "S08": "Library books for children.",
    "S09": "The buses are late.", "S12": "More buses in the evening.", "S13": "Traffic on the main road.",
    "S15": "Nothing for teenagers to do.", "S16": "A youth club would help.", "S17": "Somewhere for kids to play.",
    "S20": "All fine.",
}
CODING = {  # theme -> respondents whose answer touches it (S01 touches two)
    "library": ["S06", "S11", "S40", "S01", "S02", "S04", "S07", "S08"],  # 8
    "transport": ["S03", "S28", "S09", "S12", "S13", "S01"],  # 6
    "youth": ["S05", "S10", "S15", "S16", "S17"],  # 5
    "streets": ["S18", "S19", "S30"],  # 3: [c]
    "neighbours": [],  # 0; S14, S34 and S20 are coded to no theme (3: [c])
}


def ward_copy(tmp_path: Path, coded: bool = True) -> Path:
    """The own-questions fixture with `comments` coded into five themes (or with themes and no coding)."""
    folder = tmp_path / "data" / "w"
    shutil.copytree(FIXTURE, folder)
    shutil.copytree(REPO / "data" / "city", tmp_path / "data" / "city")
    return add_coding(folder, coded)


def add_coding(folder: Path, coded: bool = True) -> Path:
    """Give a copy of the own-questions fixture its themes, twelve more answers and (when `coded`) their coding."""
    questionnaire = folder / "questionnaire.yml"
    text = questionnaire.read_text(encoding="utf-8")
    questionnaire.write_text(text.replace('    short: "Other comments"\n', '    short: "Other comments"\n' + THEMES),
                             encoding="utf-8")
    with open(folder / "survey_text.csv", "a", encoding="utf-8") as fh:
        fh.writelines(f"{rid},comments,,{text}\n" for rid, text in MORE_ANSWERS.items())
    rows = [f"{rid},comments,{theme}\n" for theme, rids in CODING.items() for rid in rids] if coded else []
    (folder / "survey_text_codes.csv").write_text("response_id,question,theme\n" + "".join(rows), encoding="utf-8")
    return folder


def problems(folder: Path) -> list[tuple]:
    return [(p.file.rsplit("/", 1)[-1], p.row, p.column, p.value, p.message, p.expected)
            for p in validate_data_dir(folder, folder.parents[1])]


def append(path: Path, *lines: str) -> int:
    """Append rows; return the row number (as in the file) of the first one."""
    first = len(path.read_text(encoding="utf-8").splitlines()) + 1
    with open(path, "a", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in lines)
    return first


@pytest.fixture(scope="module")
def sv(tmp_path_factory):
    root = tmp_path_factory.mktemp("coded")
    return S.from_data(load_ward_data(ward_copy(root), root), "Test Ward")


# ---- the files


def test_a_coded_ward_validates_and_loads(tmp_path):
    folder = ward_copy(tmp_path)
    assert problems(folder) == []
    codes = load_ward_data(folder, tmp_path).survey_text_codes
    assert len(codes) == sum(len(rids) for rids in CODING.values())
    assert list(codes["theme"].cat.categories) == ["library", "transport", "youth", "streets", "neighbours"]


def test_each_bad_coding_row_is_named_by_file_row_column_value_and_expectation(tmp_path):
    folder = ward_copy(tmp_path)
    row = append(folder / "survey_text_codes.csv",
                 "S06,comments,libary",  # a misspelt theme
                 "S02,groups,library",  # a question with no themes
                 "S41,comments,library",  # no such respondent
                 "S21,comments,library",  # a respondent who wrote no answer
                 "S06,comments,library")  # coded twice
    found = problems(folder)
    assert ("survey_text_codes.csv", row, "theme", "libary", "unknown code",
            "one of: 'library', 'transport', 'youth', 'streets', 'neighbours'") in found
    assert ("survey_text_codes.csv", row + 1, "question", "groups", "unknown code", "one of: 'comments'") in found
    assert ("survey_text_codes.csv", row + 2, "response_id", "S41", "refers to a row that is not in survey_responses.csv",
            "a response_id present in survey_responses.csv") in found
    assert ("survey_text_codes.csv", row + 3, "response_id, question", "S21, comments",
            "coded answer is not in survey_text.csv",
            "a response and question with a typed answer in survey_text.csv") in found
    assert [p[:3] for p in found if p[1] == row + 4] == [("survey_text_codes.csv", row + 4, "response_id, question, theme")]
    assert len(found) == 5  # one problem per bad row: the misspelt theme is not reported twice


def test_coding_without_the_typed_answers_is_refused(tmp_path):
    folder = ward_copy(tmp_path)
    (folder / "survey_text.csv").unlink()
    assert [p[4] for p in problems(folder)] == ["codes answers, but survey_text.csv, which holds them, is missing"]


def test_themes_belong_to_free_text_questions_only(tmp_path):
    folder = ward_copy(tmp_path)
    path = folder / "questionnaire.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    short: "Local groups"\n', '    short: "Local groups"\n    themes: {a: "A"}\n')
                    .replace(THEMES, "    themes: {}\n"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_questionnaire(path, tmp_path)
    message = str(info.value)
    assert "question 'groups': themes is only for text questions, not multi" in message
    assert "question 'comments': themes: name at least one theme" in message


def test_the_codebook_lists_the_coding_file_and_each_questions_themes(tmp_path):
    folder = ward_copy(tmp_path)
    book = codebook_markdown(load_questionnaire(folder / "questionnaire.yml", tmp_path))
    assert "## `survey_text_codes.csv` — Survey free text coded into themes" in book
    assert "`survey_text.csv` (one row per answer); its themes in `survey_text_codes.csv`" in book
    assert "- `library` = The library" in book.split("## `survey_text_codes.csv`")[1]


# ---- "other, please specify" text against the ticked option


def test_other_text_without_its_tick_is_an_error(tmp_path):
    folder = ward_copy(tmp_path)
    mentions = folder / "survey_mentions.csv"
    mentions.write_text(mentions.read_text(encoding="utf-8").replace("S03,groups,other\n", ""), encoding="utf-8")
    assert problems(folder) == [(
        "survey_text.csv", 3, "text", "Book club",
        "text typed beside 'other', but survey_mentions.csv has no 'other' for this response",
        "a row S03,groups,other in survey_mentions.csv, or no text here")]


def test_single_answer_other_text_must_match_the_answer_chosen(tmp_path):
    folder = ward_copy(tmp_path)
    path = folder / "questionnaire.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    short: "Gender"\n', '    short: "Gender"\n    other: self_describe\n'),
                    encoding="utf-8")
    responses = folder / "survey_responses.csv"
    lines = responses.read_text(encoding="utf-8").splitlines()
    chosen = {line.split(",")[0]: line.split(",")[3] for line in lines[1:]}
    woman = next(rid for rid, answer in chosen.items() if answer == "woman")
    blank = next(rid for rid, answer in chosen.items() if answer == "")
    described = next((rid for rid, answer in chosen.items() if answer == "self_describe"), None)
    row = append(folder / "survey_text.csv", f"{woman},gender,self_describe,Agender",
                 f"{blank},gender,self_describe,Genderqueer",
                 *([f"{described},gender,self_describe,Demigirl"] if described else []))
    assert problems(folder) == [
        ("survey_text.csv", row, "text", "Agender",
         "text typed beside 'self_describe', but the response chose 'woman' in survey_responses.csv",
         f"'self_describe' in column 'gender' of survey_responses.csv for {woman}, or no text here"),
        ("survey_text.csv", row + 1, "text", "Genderqueer",
         "text typed beside 'self_describe', but the response left 'gender' blank in survey_responses.csv",
         f"'self_describe' in column 'gender' of survey_responses.csv for {blank}, or no text here"),
    ]  # the text of a response that did choose the option is fine


# ---- the chapter


def test_respondents_are_counted_per_theme_not_per_code(sv):
    q = sv.questionnaire.question("comments")
    counts = S.theme_counts(sv, q)
    assert counts.to_dict() == {"library": 8, "transport": 6, "youth": 5, "streets": 3, "neighbours": 0,
                                S.NO_THEME: 3}
    assert S.theme_frequencies(sv, q).base == 24


def test_the_theme_table_gives_both_bases_and_withholds_small_counts(sv):
    table = S.theme_table(sv, sv.questionnaire.question("comments"))
    frame = table.frame
    assert_publishable(frame)
    assert list(frame.index) == ["The library", "Buses and getting about", "Things for young people to do",
                                 "Good neighbours", "Streets, lights and benches", S.NO_THEME]
    assert list(frame.loc["The library"]) == ["8", "33% (18% to 53%)", "20% (10% to 35%)"]  # Wilson: 8 of 24, of 40
    for withheld in ("Streets, lights and benches", S.NO_THEME):
        assert set(frame.loc[withheld]) == {SUPPRESSED}
    assert frame.loc["Good neighbours", "Respondents"] == "0"
    assert table.status == sv.status and any("24 of the 40 survey respondents wrote an answer" in n for n in table.notes)


def test_the_words_name_only_themes_the_table_shows(sv):
    q = sv.questionnaire.question("comments")
    section = S.question_section(sv, q, "w")
    words = " ".join(item for item, _ in section if isinstance(item, str))
    assert "24 of the 40 respondents wrote an answer" in words
    assert ("**The library**, in the answers of 8 of the 24 who answered (33%; 95% interval 18% to 53%) and "
            "**Buses and getting about**, in the answers of 6 of the 24 who answered (25%") in words
    assert "Streets" not in words and SMALL_IN_PROSE.search(words) is None
    chart = next(item for item, name in section if name == "w-comments-figure")
    assert isinstance(chart, Chart) and "Streets" not in chart.alt and "are not drawn" in chart.alt
    kinds = [type(item).__name__ for item, _ in section if item is not None]
    assert kinds == ["str", "str", "Chart", "Table", "str"]  # heading, words, chart, table, then the quotes
    assert section[-2][0].count("> “") == 3


def test_an_uncoded_question_says_so_in_one_sentence(tmp_path):
    for folder in (ward_copy(tmp_path / "themes-no-coding", coded=False), ward_copy(tmp_path / "no-themes")):
        if folder.parent.parent.name == "no-themes":
            path = folder / "questionnaire.yml"
            path.write_text(path.read_text(encoding="utf-8").replace(THEMES, ""), encoding="utf-8")
            (folder / "survey_text_codes.csv").unlink()
        root = folder.parents[1]
        sv = S.from_data(load_ward_data(folder, root), "Test Ward")
        section = S.question_section(sv, sv.questionnaire.question("comments"), "w")
        assert not any(isinstance(item, (Chart, Table)) for item, _ in section)
        words = section[1][0]
        assert "These answers have not been coded into themes, so they are not counted by topic." in words
        assert words.count("> “") == 3


def test_too_few_answers_show_neither_themes_nor_quotes(tmp_path):
    folder = ward_copy(tmp_path)
    keep = {"S06", "S11", "S40"}
    for stem in ("survey_text", "survey_text_codes"):
        path = folder / f"{stem}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(line for line in lines if line.split(",")[0] in keep | {"response_id"}
                                  or ",comments," not in line) + "\n", encoding="utf-8")
    sv = S.from_data(load_ward_data(folder, tmp_path), "Test Ward")
    q = sv.questionnaire.question("comments")
    assert S.theme_table(sv, q) is None and S.theme_chart(sv, q) is None and S.free_text_quotes(sv, q) is None
    words = S.free_text_summary(sv, q)
    assert "fewer than 5 of the 40 respondents wrote an answer" in words
    assert "neither the themes they touch nor the answers themselves are shown" in words
    assert "library" not in words.lower() and SMALL_IN_PROSE.search(words) is None


@pytest.mark.slow  # reads the one build of the own-questions project (tests/test_own_questions_build.py)
def test_a_coded_question_builds_with_its_table_chart_and_quotes(own_questions_book):
    from test_own_questions_build import survey_page

    html = survey_page(own_questions_book, "own")
    main = html[html.index("<main"):html.index("Provenance of this chapter")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    assert "Is there anything else you would like to tell us?: themes of the answers, Own" in text
    assert "in the answers of 8 of the 24 who answered (33%" in text and "Streets" in text  # in the table, as [c]
    words = next(p for p in re.findall(r"<p>(.*?)</p>", main, re.S) if "A researcher coded" in p)
    assert "The library" in words and "Streets" not in words  # a withheld theme is never named in the words
    assert "whose answer touches each theme" in html  # the chart's alt text
    other = survey_page(own_questions_book, "other")
    assert "have not been coded into themes" in re.sub(r"\s+", " ", other)


def test_a_single_themes_count_cannot_give_away_the_uncoded_answers(tmp_path):
    """With one theme, its count and the uncoded answers add up to those who answered: a [c] beside a shown
    count would be worked out by subtraction, so the theme is withheld too and not named."""
    folder = ward_copy(tmp_path)
    path = folder / "questionnaire.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(THEMES, '    themes: {library: "The library"}\n'),
                    encoding="utf-8")
    uncoded = {"S14", "S34", "S20"}
    rows = [f"{rid},comments,library\n" for rid in [*MORE_ANSWERS, "S03", "S05", "S06", "S10", "S11", "S18", "S19",
                                                     "S28", "S30", "S40", "S14", "S34"] if rid not in uncoded]
    (folder / "survey_text_codes.csv").write_text("response_id,question,theme\n" + "".join(rows), encoding="utf-8")
    sv = S.from_data(load_ward_data(folder, tmp_path), "Test Ward")
    q = sv.questionnaire.question("comments")
    assert S.theme_counts(sv, q).to_dict() == {"library": 21, S.NO_THEME: 3}
    frame = S.theme_table(sv, q).frame
    assert set(frame.loc["The library"]) == set(frame.loc[S.NO_THEME]) == {SUPPRESSED}
    words = S.free_text_summary(sv, q)
    assert "the table withholds every theme" in words and "21" not in words and "library" not in words.lower()
    assert S.theme_chart(sv, q) is None
