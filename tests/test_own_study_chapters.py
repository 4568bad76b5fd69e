"""Chapters speak of what a study asked and take the tables' disclosure decision in their words (issue 22).

Two wards of a scratch book, each scaffolded by new-ward and imported from a Microsoft Forms export of
invented answers (tests/exports.py), with a questionnaire of their own that keeps the Census-mapped
demographics and the recommend question, adds a bus question, and drops the City Conversation's
best things, improvements, change, Covid and engagement-methods questions:
- Anfield, 36 respondents: the sense check and the recommendations' findings table must say once that the
  study did not ask, instead of "not available" sections and rows of "not known";
- Everton, 1 respondent: the tables withhold the total (`[c]`), so no sentence may state it;
- County, 36 respondents and no demographic question: who took part says why each section is empty.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import exports
from cityconv.chapters import evidence_gathering, sense_check, survey, who_took_part
from cityconv.chapters import recommendations as rec
from cityconv.chapters.findings import FINDINGS
from cityconv.chapters.loader import open_chapter
from cityconv.core.paths import Project
from cityconv.data.questionnaire import template_text
from cityconv.generate.import_survey import import_survey
from cityconv.generate.scaffold import new_ward, slugify
from cityconv.methods.disclosure import SUPPRESSED
from nbtools import REPO
from study_book import study_book

NOT_ASKED = ("best_things", "improve", "change_5yr", "covid_community_spirit", "preferred_methods")
DEMOGRAPHICS = ("age_band", "sex", "ethnic_group")
# ward -> (the invented answers it imports, the City Conversation questions its study did not ask)
WARDS = {"Anfield": (exports.ANSWERS * 6, NOT_ASKED), "Everton": (exports.ANSWERS[:1], NOT_ASKED),
         "County": (exports.ANSWERS * 6, NOT_ASKED + DEMOGRAPHICS)}


def own_questionnaire(ward: str, not_asked: tuple[str, ...]) -> str:
    """The City Conversation questionnaire without the questions not asked, plus the bus question, titled as its own study."""
    yaml = YAML()
    document = yaml.load(template_text(ward) + exports.ADDED_QUESTION)
    document["title"] = f"Getting about {ward}"
    document["questions"] = [q for q in document["questions"] if q["id"] not in not_asked]
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def own_mapping(not_asked: tuple[str, ...]) -> str:
    """Forms' mapping for the questions asked: the lines of the questions not asked (and the empty `multi:`) left out."""
    lines = [line for line in exports.FORMS_MAPPING.splitlines()
             if line != "multi:" and not any(f"  {qid}:" in line for qid in not_asked)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = Project(study_book(tmp_path_factory.mktemp("own-study")))
    for name, (answers, not_asked) in WARDS.items():
        new_ward(project, name)
        data = project.data_dir / slugify(name)
        (data / "questionnaire.yml").write_text(own_questionnaire(name, not_asked), encoding="utf-8")
        for path in data.glob("*.csv"):
            path.unlink()  # new-ward's empty templates: this ward has its survey and its objectives only
        (data / "objectives.csv").write_bytes((REPO / "data" / "clubmoor" / "objectives.csv").read_bytes())
        (data / "survey-mapping.yml").write_text(own_mapping(not_asked), encoding="utf-8")
        import_survey(data, exports.forms_xlsx(project.root / f"{slugify(name)}.xlsx", answers),
                      data / "survey-mapping.yml", project.root)
    return project.root


def test_a_sense_check_with_nothing_to_check_says_so_once(project: Path) -> None:
    s = sense_check.sense_check(open_chapter("anfield", project))
    assert s.asked == ()
    assert "Anfield's survey asked neither, so there is nothing to check." in " ".join(sense_check.summary_text(s).split())
    text = sense_check.sense_check_text(s)
    assert text == ("Anfield's survey did not ask about the best things about the area or the things that could be "
                    "improved, so none of its answers can be set beside the citywide consultation.")
    assert sense_check.matching_text(s) == ""
    assert sense_check.sense_check_table(s) is None and sense_check.sense_check_chart(s) is None


def test_the_clubmoor_sense_check_still_covers_both_questions() -> None:
    s = sense_check.sense_check(open_chapter("clubmoor", REPO))
    assert s.asked == ("best_things", "improve")
    assert "It covers two questions" in " ".join(sense_check.summary_text(s).split())


def test_findings_the_study_did_not_collect_are_named_once_not_listed_as_not_known(project: Path) -> None:
    wr = rec.load("anfield", project)
    assert set(wr.not_collected) == {"top_improve", "top_best_things", "digital_for_younger", "traditional_for_older",
                                     "few_felt_worse", "covid_community_spirit", "sense_check_similar"}
    assert "findings_fed_back" not in wr.not_collected and not wr.findings["findings_fed_back"].known  # not known: kept
    table = rec.findings_table(wr).frame
    shown = set(table["Finding"])
    assert not shown & {FINDINGS[f].label for f in wr.not_collected}
    assert FINDINGS["findings_fed_back"].label in shown
    how = " ".join(rec.how_rules_work_text(wr).split())
    assert how.count("did not ask the survey questions") == 1
    sentence = re.search(r"Anfield's study did not ask the survey questions that (\d+) of the findings the rules use "
                         r"come from, so it did not collect them and the table below leaves them out: ([^.]*)\.", how)
    assert sentence, how
    listed = sentence[2].split("; ")
    assert int(sentence[1]) == len(listed) and "things residents most often said could be improved" in listed
    assert set(listed) <= {FINDINGS[f].label[:1].lower() + FINDINGS[f].label[1:] for f in wr.not_collected}
    cannot_tell = rec.cannot_tell_text(wr)
    assert "Not asked by the study: things residents most often said could be improved." in cannot_tell
    assert "Not known: things residents most often said" not in cannot_tell


def test_at_one_respondent_the_words_withhold_the_total_the_tables_withhold(project: Path) -> None:
    ch = open_chapter("everton", project)
    sv = survey.from_chapter(ch)
    assert sv.n == 1
    table = survey.frequency_table_display(sv, "recommend").frame
    assert table.iloc[-1].iloc[0] == SUPPRESSED  # the table withholds the number of all respondents
    comp = who_took_part.composition(sv, ch.context)
    fieldwork = evidence_gathering.from_chapter(ch)
    words = {
        "survey summary": survey.summary_text(sv), "survey availability": survey.availability_text(sv),
        "who took part": who_took_part.summary_text(comp) + who_took_part.availability_text(comp),
        "fieldwork": evidence_gathering.summary_text(fieldwork) + evidence_gathering.methods_text(fieldwork),
        "table notes": " ".join(survey.frequency_table_display(sv, "recommend").notes),
    }
    for where, text in words.items():
        plain = " ".join(text.split())
        assert "fewer than 5" in plain.lower(), (where, plain)
        assert not re.search(r"\*\*1\*\*|\b1 (response|respondent|person)|of all 1\b|±", plain), (where, plain)
    methods = evidence_gathering.methods_table(fieldwork).frame
    assert methods.loc["Residents' survey", "Records"] == f"{SUPPRESSED} responses"
    for dimension in ("sex", "ethnicity"):  # a 0% beside the one respondent's withheld group would name it
        assert "made up" not in who_took_part.representation_text(comp, dimension)
    assert "every comparison with the 2021 Census is withheld" in who_took_part.summary_text(comp)
    assert "compares them with the 2021 Census" in " ".join(who_took_part.purpose_text(comp).split())


def test_who_took_part_says_why_each_section_is_empty_without_census_questions(project: Path) -> None:
    ch = open_chapter("county", project)
    comp = who_took_part.composition(survey.from_chapter(ch), ch.context)
    because = "the survey asked no age, sex or ethnic group question mapped to Census categories"
    assert "compares them with the 2021 Census" not in who_took_part.purpose_text(comp)
    assert who_took_part.published_statement_text(comp) == "There is no report of County's study that says who took part."
    assert who_took_part.fit_text(comp) == f"There is nothing to test: {because}."
    assert who_took_part.weighting_text(comp) == (f"The responses are not weighted, because {because}: every result "
                                                  "in the survey chapter is unweighted.")
