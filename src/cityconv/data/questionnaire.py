"""A ward's own questionnaire: `questionnaire.yml` in its data folder, validated strictly.

Why a file per ward: the questions, their wording and their answer options belong to the study that
asked them. Nothing is built in: the City Conversation questionnaire (`questionnaires/city-conversation.yml`
beside this module) is only the file `cityconv new-ward` copies, with the ward's name filled in, and a
data folder without a questionnaire file is read with it. The file is the single description of the
survey: the survey files' schemas (`cityconv.data.wardfiles.ward_descriptor`), the codebook, the
printable questionnaire of the field kit, the survey importer and the chapters all read it.

Every question has a kind (single, multi, rating, numeric, text, ranking, grid; docs/questionnaire.md).
Demographics are ordinary optional questions; a single-answer question may declare a `census:` mapping
of its options to Census categories, and only then is it compared with (and weighted to) the ward's
Census figures.

Validation is like the params files': YAML 1.2 with line numbers (ruamel), pydantic strict with
unknown keys forbidden ("did you mean"), every problem reported at once with the file and line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from cityconv.core.params import did_you_mean, read_yaml_mapping, to_plain, validation_problems
from cityconv.core.problems import InputError, Problem, relative
from cityconv.data.census_map import check_census_cover
from cityconv.data.context import AGE_BANDS, ETHNICITY_CATEGORIES, SEX_CATEGORIES

QUESTIONNAIRE_FILE = "questionnaire.yml"
TEMPLATE = ("questionnaires", "city-conversation.yml")
WARD_PLACEHOLDER = "{ward}"
RESERVED = ("response_id", "month", "mode", "question", "code", "option", "text", "theme")
"""Column names of the survey files that are not questions."""
ITEM_SEPARATOR = "__"
"""Separates a question from its item (grid) or option (ranking) in survey_responses.csv's column names."""

Kind = Literal["single", "multi", "rating", "numeric", "text", "ranking", "grid"]
KINDS: tuple[str, ...] = ("single", "multi", "rating", "numeric", "text", "ranking", "grid")
WITH_OPTIONS = ("single", "multi", "rating", "ranking", "grid")
"""Kinds whose answers are codes from `options` (for a grid: the scale its items share)."""
CensusTopic = Literal["age", "sex", "ethnic_group"]
CENSUS_CATEGORIES: dict[str, tuple[str, ...]] = {
    "age": tuple(AGE_BANDS), "sex": tuple(SEX_CATEGORIES), "ethnic_group": tuple(ETHNICITY_CATEGORIES),
}
"""The categories of the ward's Census tables (data/context/age.csv, sex.csv, ethnicity.csv) a study's
options can be mapped to."""

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*_?$", max_length=40)]
ItemCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Code = Annotated[str, StringConstraints(pattern=r"^[^\s,;](?:[^,;\n]*[^\s,;])?$", max_length=60)]
Text = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class CensusMapping(_Strict):
    """How a single-answer question's options cover a Census topic's categories."""

    topic: CensusTopic = Field(description="the Census table: age, sex or ethnic_group")
    map: dict[Code, dict[str, float]] = Field(
        min_length=1, description="option code -> {Census category: fraction of that category the option covers}")

    @field_validator("map", mode="before")
    @classmethod
    def _fractions_as_numbers(cls, value: Any) -> Any:
        """YAML writes 1 for a whole category: take whole numbers as fractions (never text or true/false)."""
        if not isinstance(value, dict):
            return value
        return {code: ({cat: float(f) if isinstance(f, int) and not isinstance(f, bool) else f
                        for cat, f in cover.items()} if isinstance(cover, dict) else cover)
                for code, cover in value.items()}

    @model_validator(mode="after")
    def _categories_exist(self) -> "CensusMapping":
        check_census_cover(self.map, CENSUS_CATEGORIES[self.topic], self.topic)
        return self


class Question(_Strict):
    """One question: its data name, kind, wording and answer options (code -> label, in print order)."""

    id: QuestionId = Field(description="column or question name in the data files (no '__')")
    kind: Kind
    text: Text = Field(description="the question as printed")
    short: Text = Field(description="a short name for tables and charts")
    options: dict[Code, Text] | None = Field(
        default=None, description="code: label, in the order printed (single, multi, rating, ranking, grid)")
    items: dict[ItemCode, Text] | None = Field(default=None, description="grid only: the rows sharing the scale")
    instruction: Text | None = Field(default=None, description="e.g. 'up to three', 'tick all that apply'")
    max_answers: int | None = Field(default=None, ge=1, description="multi only: most answers one person may give")
    required: bool = Field(default=False, description="single, rating, numeric: every response must have an answer")
    ordered: bool | None = Field(default=None, description="single: options in a meaningful order; rating and "
                                 "grid are ordered unless they say ordered: false (grid only)")
    other: Code | None = Field(default=None, description="single or multi: the option that carries typed text")
    missing: dict[Code, Text] = Field(default_factory=dict, description="recorded non-answers that are not options")
    unit: Text | None = Field(default=None, description="numeric only: e.g. 'years'")
    range: tuple[float, float] | None = Field(default=None, description="numeric only: [lowest, highest], inclusive")
    integer: bool = Field(default=False, description="numeric only: whole numbers only")
    census: CensusMapping | None = Field(default=None, description="single only: compared with a Census topic")
    themes: dict[Code, Text] | None = Field(
        default=None, description="text only: the themes its answers are coded to (code: label), in survey_text_codes.csv")

    @field_validator("range", mode="before")
    @classmethod
    def _range_from_yaml(cls, value: Any) -> Any:
        """YAML gives [0, 120] as a list of whole numbers: read it as two numbers (never text or true/false)."""
        if isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return (float(value[0]), float(value[1]))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Question":
        problems = self._kind_problems()
        if problems:
            raise ValueError(f"question {self.id!r}: " + "; ".join(problems))
        return self

    def _kind_problems(self) -> list[str]:
        """What this question declares that its kind does not allow, or leaves out that it needs."""
        kind, out = self.kind, []

        def only(key: str, kinds: tuple[str, ...], given: bool) -> None:
            if given and kind not in kinds:
                out.append(f"{key} is only for {_or(kinds)} questions, not {kind}")

        if kind in WITH_OPTIONS and (self.options is None or len(self.options) < 2):
            out.append(f"a {kind} question needs options (at least two: code: label)")
        only("options", WITH_OPTIONS, self.options is not None)
        only("items", ("grid",), self.items is not None)
        if kind == "grid" and not self.items:
            out.append("a grid question needs items (item_code: label), the rows that share its scale")
        only("max_answers", ("multi",), self.max_answers is not None)
        only("required", ("single", "rating", "numeric"), self.required)
        only("ordered", ("single", "rating", "grid"), self.ordered is not None)
        if kind == "rating" and self.ordered is False:
            out.append("a rating scale is ordered (leave out ordered: false, or make it a single question)")
        only("other", ("single", "multi"), self.other is not None)
        only("missing", ("single", "multi", "rating", "numeric", "grid"), bool(self.missing))
        only("unit", ("numeric",), self.unit is not None)
        only("range", ("numeric",), self.range is not None)
        only("integer", ("numeric",), self.integer)
        only("census", ("single",), self.census is not None)
        only("themes", ("text",), self.themes is not None)
        if self.themes is not None and not self.themes:
            out.append("themes: name at least one theme (code: label), or leave themes out")
        options = self.options or {}
        if self.max_answers is not None and options and self.max_answers > len(options):
            out.append(f"max_answers {self.max_answers} is more than its {len(options)} options")
        if self.other is not None and options and self.other not in options:
            out.append(f"other {self.other!r} is not one of its options{did_you_mean(self.other, list(options))}")
        for code in self.missing:
            if code in options:
                out.append(f"missing code {code!r} is also an option (a non-answer is one or the other)")
        if kind == "ranking":
            out += [f"ranking option {code!r} names a column {self.id}__{code}: use lower-case letters, digits "
                    "and '_', starting with a letter" for code in options if not _is_item_code(code)]
        if self.range is not None and self.range[0] > self.range[1]:
            out.append(f"range [{self.range[0]:g}, {self.range[1]:g}]: the lowest comes first")
        if self.census is not None and options:
            out += [f"census map {code!r} is not one of its options{did_you_mean(code, list(options))}"
                    for code in self.census.map if code not in options]
        return out

    @property
    def labelled_text(self) -> str:
        """The wording with its instruction, as the codebook and tables show it."""
        return f"{self.text} ({self.instruction})" if self.instruction else self.text

    @property
    def is_ordered(self) -> bool:
        """The options are a scale: tables, figures and prose keep their order (never sort by count)."""
        if self.kind == "rating":
            return True
        if self.kind == "grid":
            return self.ordered is not False
        return self.kind == "single" and self.ordered is True

    def response_columns(self) -> list[str]:
        """Its columns in survey_responses.csv: one per single/rating/numeric question, one per grid
        item or ranking option; multi answers live in survey_mentions.csv and text in survey_text.csv."""
        if self.kind in ("single", "rating", "numeric"):
            return [self.id]
        if self.kind == "grid":
            return [f"{self.id}{ITEM_SEPARATOR}{item}" for item in self.items or {}]
        if self.kind == "ranking":
            return [f"{self.id}{ITEM_SEPARATOR}{code}" for code in self.options or {}]
        return []

    @property
    def is_coded(self) -> bool:
        """A text question whose answers the study coded into themes (`themes:`, codes in survey_text_codes.csv)."""
        return self.kind == "text" and bool(self.themes)

    def all_codes(self) -> dict[str, str]:
        """Every code a response may record for it, option or missing, with its label (options first)."""
        return {**(self.options or {}), **self.missing}


def _is_item_code(code: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*", code) is not None


def _or(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Questionnaire(_Strict):
    """A ward's questionnaire, in the order it is printed."""

    title: Text
    ward: Text = Field(description="the ward's name, as printed")
    reconstructed: bool = Field(description="wording rebuilt from a published summary, not the questionnaire asked")
    introduction: Text
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _questions_are_distinct(self) -> "Questionnaire":
        ids = [q.id for q in self.questions]
        for qid in dict.fromkeys(i for i in ids if ids.count(i) > 1):
            raise ValueError(f"question id {qid!r} is used twice")
        for qid in ids:
            if qid in RESERVED:
                raise ValueError(f"question id {qid!r} is a column of the survey files, not a question")
        topics = [q.census.topic for q in self.questions if q.census is not None]
        for topic in dict.fromkeys(t for t in topics if topics.count(t) > 1):
            raise ValueError(f"two questions map to the Census topic {topic!r}: keep the census: mapping on one")
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"no question {qid!r} in the questionnaire{did_you_mean(qid, [q.id for q in self.questions])}")

    def has(self, qid: str) -> bool:
        return any(q.id == qid for q in self.questions)

    def of_kind(self, *kinds: str) -> list[Question]:
        """The questions of these kinds, in questionnaire order."""
        return [q for q in self.questions if q.kind in kinds]

    def coded(self) -> list[Question]:
        """The free-text questions with themes, whose coding survey_text_codes.csv holds."""
        return [q for q in self.questions if q.is_coded]

    def single(self) -> list[Question]:
        return self.of_kind("single")

    def multi(self) -> list[Question]:
        return self.of_kind("multi")

    def census_question(self, topic: str) -> Question | None:
        """The question compared with the Census `topic` ("age", "sex", "ethnic_group"), if the study asked one."""
        return next((q for q in self.questions if q.census is not None and q.census.topic == topic), None)

    def labels(self, qid: str) -> dict[str, str]:
        return dict(self.question(qid).options or {})

    def added(self) -> list[Question]:
        """Questions this ward added to the City Conversation questionnaire (for the City Conversation
        comparison pages only; nothing else may assume the City Conversation's questions exist)."""
        standard = {q.id for q in standard_questionnaire().questions}
        return [q for q in self.questions if q.id not in standard]


# --------------------------------------------------------------------------------------------------
# Reading


def template_text(ward: str) -> str:
    """The City Conversation questionnaire as YAML text, with the ward's name filled in."""
    text = resources.files("cityconv.data").joinpath(*TEMPLATE).read_text(encoding="utf-8")
    return text.replace(WARD_PLACEHOLDER, str(ward).replace('"', "'"))


@lru_cache(maxsize=None)
def standard_questionnaire(ward: str = "the ward") -> Questionnaire:
    """The City Conversation questionnaire for `ward` (the template every ward starts from)."""
    from ruamel.yaml import YAML

    return Questionnaire.model_validate(to_plain(YAML(typ="rt").load(template_text(ward))))


def load_questionnaire(path: Path, root: Path) -> Questionnaire:
    """Load and validate one questionnaire file; raise InputError listing every problem found."""
    name = relative(path, root)
    raw = read_yaml_mapping(path, root, expected_keys="title, ward, reconstructed, introduction, questions")
    try:
        questionnaire = Questionnaire.model_validate(to_plain(raw))
    except ValidationError as exc:
        raise InputError(validation_problems(exc, raw, name, Questionnaire)) from None
    return questionnaire


def ward_questionnaire(data_dir: Path, root: Path) -> tuple[Questionnaire | None, list[Problem]]:
    """The questionnaire of a ward's data folder (the template when it has none), or its problems."""
    path = Path(data_dir) / QUESTIONNAIRE_FILE
    if not path.exists():
        return standard_questionnaire(Path(data_dir).name.replace("-", " ").title()), []
    try:
        return load_questionnaire(path, root), []
    except InputError as exc:
        return None, exc.problems
