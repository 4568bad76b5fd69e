"""A field kit speaks for the study it is made for (issue 22): a study with a questionnaire of its own
is named by its questionnaire's title and never claims the City Conversation; the City Conversation's
wards (Clubmoor's file, new-ward's template) keep its name and its wording."""

from __future__ import annotations

import pytest

from cityconv.data.questionnaire import Questionnaire, standard_questionnaire, ward_questionnaire
from cityconv.data.questionnaire import template_text as city_conversation_text
from cityconv.generate import fieldkit
from exports import docs_examples
from nbtools import REPO

OWN_STUDY = docs_examples(REPO / "docs" / "importing.md")["surveymonkey.questionnaire.yml"]  # "Star Wars survey (FiveThirtyEight)"
WRITTEN_FOR_THE_CITY_CONVERSATION = ("what people value about", "how public agencies engage with residents",
                                     "age band, sex and ethnic group", "aged 16 and over", "of the ward's own")


def questionnaire_from(text: str) -> Questionnaire:
    from ruamel.yaml import YAML

    from cityconv.core.params import to_plain

    return Questionnaire.model_validate(to_plain(YAML(typ="rt").load(text)))


def whole_kit(questionnaire: Questionnaire) -> dict[str, str]:
    """Every document of the kit and its page in the book, as Markdown, by name."""
    kit = {name: fieldkit.document_markdown(name, questionnaire) for name, _ in fieldkit.DOCUMENTS}
    kit["kit-page"] = fieldkit.kit_page_markdown(questionnaire.ward, "kirkdale", questionnaire, 5, None, set())
    return kit


def test_a_study_of_its_own_is_named_by_its_questionnaire_and_never_claims_the_city_conversation() -> None:
    questionnaire = questionnaire_from(OWN_STUDY.replace('ward: "Anfield"', 'ward: "Kirkdale"'))
    assert not fieldkit.is_city_conversation(questionnaire)
    assert fieldkit.kit_title(questionnaire) == "Star Wars survey (FiveThirtyEight), Kirkdale"
    for name, text in whole_kit(questionnaire).items():
        assert "City Conversation" not in text, name
        for words in WRITTEN_FOR_THE_CITY_CONVERSATION:
            assert words not in text, (name, words)
    information = fieldkit.document_markdown("information-and-consent", questionnaire)
    assert information.startswith("# Participant information sheet: Star Wars survey (FiveThirtyEight), Kirkdale\n")
    assert "You are invited to take part in **Star Wars survey (FiveThirtyEight), Kirkdale**, a study in Kirkdale: " \
           "*[what the study is about" in " ".join(information.split())
    assert "Consent form: Star Wars survey" in information
    assert "**Participant slip: Star Wars survey (FiveThirtyEight), Kirkdale**" in \
        fieldkit.document_markdown("questionnaire", questionnaire)


def test_a_title_that_names_its_ward_is_not_given_the_ward_again() -> None:
    questionnaire = questionnaire_from(OWN_STUDY.replace('title: "Star Wars survey (FiveThirtyEight)"',
                                                         'title: "Parks in Anfield"'))
    assert fieldkit.kit_title(questionnaire) == "Parks in Anfield"


@pytest.mark.parametrize("ward", ["clubmoor", "anfield"])
def test_the_city_conversations_wards_keep_its_name_and_wording(ward: str) -> None:
    questionnaire, problems = ward_questionnaire(REPO / "data" / ward, REPO)
    assert not problems and questionnaire is not None
    assert fieldkit.is_city_conversation(questionnaire)
    kit = whole_kit(questionnaire)
    name = questionnaire.ward
    assert kit["information-and-consent"].startswith(f"# Participant information sheet: The City Conversation in {name}")
    assert f"what people value about {name}" in " ".join(kit["information-and-consent"].split())
    assert "aged 16 and over" in kit["safeguarding"]
    assert "the City Conversation's fieldwork" in " ".join(kit["kit-page"].split())


def test_new_wards_template_is_the_city_conversation() -> None:
    assert fieldkit.is_city_conversation(questionnaire_from(city_conversation_text("Everton")))
    assert fieldkit.is_city_conversation(standard_questionnaire("Everton"))
