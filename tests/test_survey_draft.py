"""The draft's guesses that need no export: codes from labels, scale order, joined answers."""

from __future__ import annotations

from cityconv.generate.survey_draft import _joined_separator, scale_order, slug, unique


def test_codes_from_labels_are_column_safe_and_unique() -> None:
    assert slug("Star Wars: Episode I  The Phantom Menace") == "star_wars_episode_i_the"
    assert slug("Risikoabschätzung") == "risikoabschaetzung"
    assert slug("18-29") == "n18_29"  # a code that names a column starts with a letter
    taken: set[str] = set()
    assert [unique("yes", taken), unique("yes", taken)] == ["yes", "yes_2"]


def test_scales_are_put_in_their_order_and_numbers_by_value() -> None:
    assert scale_order(["Agree", "Strongly disagree", "Strongly agree", "Disagree"]) == (
        ["Strongly disagree", "Disagree", "Agree", "Strongly agree"], "scale")
    assert scale_order(["Sehr wichtig", "Nicht wichtig", "eher wichtig"]) == (
        ["Nicht wichtig", "eher wichtig", "Sehr wichtig"], "scale")
    assert scale_order(["45-60", "> 60", "18-29", "30-44"]) == (["18-29", "30-44", "45-60", "> 60"], "numbers")
    assert scale_order(["Han", "Greedo"]) == (["Han", "Greedo"], None)  # not a scale: left as seen


def test_joined_answers_are_recognised_only_when_their_pieces_recur() -> None:
    assert _joined_separator(["A;B;", "B;"]) == ";"  # Microsoft Forms' trailing ";"
    assert _joined_separator(["I am autistic", "I am autistic, I know someone", "I know someone"]) == ", "
    assert _joined_separator(["Leeds, West Yorkshire", "York, North Yorkshire"]) is None  # a comma inside one answer
