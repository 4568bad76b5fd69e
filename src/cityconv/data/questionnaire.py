"""A ward's own questionnaire: `questionnaire.yml` in its data folder, validated strictly.

Why a file per ward: the questions, their wording and their answer options belong to the ward that
asked them. Clubmoor's (reconstructed) wording names Clubmoor and its park; another ward asks about
itself and may add questions of its own. The file is the single description of the survey: the
survey files' schemas (`cityconv.data.wardfiles.ward_descriptor`), the codebook, the printable
questionnaire of the field kit, the survey importer and the survey chapter all read it.

The City Conversation questionnaire (`questionnaires/city-conversation.yml` beside this module) is the
template `cityconv new-ward` fills with the ward's name; a data folder without a questionnaire file
is read with that template. The "about you" questions (age band, sex, ethnic group) must keep the
template's codes, because the chapter "Who took part" compares them with the Census.

Validation is like the params files': YAML 1.2 with line numbers (ruamel), pydantic strict with
unknown keys forbidden ("did you mean"), every problem reported at once with the file and line.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from cityconv.core.params import did_you_mean, read_yaml_mapping, to_plain, validation_problems, yaml_line
from cityconv.core.problems import InputError, Problem, relative

QUESTIONNAIRE_FILE = "questionnaire.yml"
TEMPLATE = ("questionnaires", "city-conversation.yml")
WARD_PLACEHOLDER = "{ward}"
CENSUS_QUESTIONS = ("age_band", "sex", "ethnic_group")
"""Single-answer questions whose codes are fixed: they are compared with the Census tables."""
RESERVED = ("response_id", "month", "mode", "question", "code")
"""Column names of the survey files that are not questions."""

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Code = Annotated[str, StringConstraints(pattern=r"^[^\s,;](?:[^,;\n]*[^\s,;])?$", max_length=60)]
Text = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Question(_Strict):
    """One question: its data name, kind, wording and answer options (code -> label, in print order)."""

    id: QuestionId = Field(description="column (single) or question name (multi) in the data files")
    kind: Literal["single", "multi"]
    text: Text = Field(description="the question as printed")
    short: Text = Field(description="a short name for tables and charts")
    options: dict[Code, Text] = Field(min_length=2, description="code: label, in the order printed")
    instruction: Text | None = Field(default=None, description="e.g. 'up to three', 'tick all that apply'")
    max_answers: int | None = Field(default=None, ge=1, description="multi only: most answers one person may give")
    required: bool = Field(default=False, description="single only: every response must have an answer")
    ordered: bool = Field(default=False, description="the options are in a meaningful order (e.g. age bands)")

    @model_validator(mode="after")
    def _consistent(self) -> "Question":
        if self.kind == "single" and self.max_answers is not None:
            raise ValueError(f"question {self.id!r}: max_answers is only for multi questions")
        if self.kind == "multi" and self.required:
            raise ValueError(f"question {self.id!r}: a multi question cannot be required (no answer is no rows)")
        return self

    @property
    def labelled_text(self) -> str:
        """The wording with its instruction, as the codebook and tables show it."""
        return f"{self.text} ({self.instruction})" if self.instruction else self.text


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
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"no question {qid!r} in the questionnaire{did_you_mean(qid, [q.id for q in self.questions])}")

    def has(self, qid: str) -> bool:
        return any(q.id == qid for q in self.questions)

    def single(self) -> list[Question]:
        return [q for q in self.questions if q.kind == "single"]

    def multi(self) -> list[Question]:
        return [q for q in self.questions if q.kind == "multi"]

    def labels(self, qid: str) -> dict[str, str]:
        return dict(self.question(qid).options)

    def added(self) -> list[Question]:
        """Questions this ward added to the City Conversation questionnaire."""
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


def _census_problems(q: Questionnaire, raw, name: str) -> list[Problem]:
    """The "about you" questions must be there, single-answer, with the template's codes."""
    standard = standard_questionnaire()
    problems = []
    items = raw.get("questions") if isinstance(raw, dict) else None
    for qid in CENSUS_QUESTIONS:
        want = standard.question(qid)
        if not q.has(qid):
            problems.append(Problem(name, f"question {qid!r} is missing: it is compared with the Census",
                                    line=yaml_line(items), expected=f"a single question {qid!r} with codes "
                                    + ", ".join(repr(c) for c in want.options)))
            continue
        have = q.question(qid)
        index = q.questions.index(have)
        line = yaml_line(items[index]) if items is not None and index < len(items) else None
        if have.kind != "single" or list(have.options) != list(want.options):
            problems.append(Problem(name, f"question {qid!r} must keep the City Conversation codes (they are "
                                    "compared with the Census); change the labels, not the codes", line=line,
                                    value=list(have.options), expected=", ".join(repr(c) for c in want.options)))
    return problems


def load_questionnaire(path: Path, root: Path) -> Questionnaire:
    """Load and validate one questionnaire file; raise InputError listing every problem found."""
    name = relative(path, root)
    raw = read_yaml_mapping(path, root, expected_keys="title, ward, reconstructed, introduction, questions")
    try:
        questionnaire = Questionnaire.model_validate(to_plain(raw))
    except ValidationError as exc:
        raise InputError(validation_problems(exc, raw, name, Questionnaire)) from None
    problems = _census_problems(questionnaire, raw, name)
    if problems:
        raise InputError(problems)
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
