"""Parameter files: one YAML file per ward or study in `params/`, validated strictly.

Why strict: plain YAML silently turns `0123` into 83 and `no` into False, and papermill only warns
about parameters a notebook does not declare. We load YAML 1.2 with ruamel (no sexagesimal or
`yes/no` booleans, duplicate keys rejected, line numbers kept), then validate with pydantic in
strict mode with unknown keys forbidden, and report every problem with the file and line.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from cityconv.core import memo
from cityconv.core.limits import YAML_BYTES, YAML_DEPTH, read_input_bytes, yaml_shape_problem
from cityconv.core.paths import PARAMS_SUFFIXES, Project
from cityconv.core.problems import InputError, Problem, relative

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
WardCode = Annotated[str, StringConstraints(pattern=r"^E05\d{6}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Ward(_Strict):
    """The electoral ward a study is about, as coded by ONS."""

    code: WardCode = Field(description="ONS ward code, quoted, e.g. \"E05000892\"")
    name: str = Field(min_length=1)
    boundary_set: Literal["2004-2023", "2023-"] = Field(
        description="Liverpool's ward boundaries in force 2004–2023, or those from May 2023"
    )


class DisclosureSettings(_Strict):
    """Disclosure-control thresholds for this ward (see the "Protecting respondents" page)."""

    threshold: int = Field(default=5, ge=2, le=100, description="counts 1..threshold-1 are shown as [c]")
    min_percent_base: int = Field(default=10, ge=2, description="no percentage on a smaller unweighted base")
    zeros_disclosive: bool = Field(default=False, description="withhold zeros as well")

    @model_validator(mode="after")
    def _base_not_below_threshold(self) -> "DisclosureSettings":
        if self.min_percent_base < self.threshold:
            raise ValueError("disclosure.min_percent_base must be at least disclosure.threshold")
        return self


class StudyParams(_Strict):
    """Everything the pipeline needs to know about one ward or study."""

    id: Identifier = Field(description="must equal the file name without .yml or .yaml")
    #: The params file as written in messages (project-relative), set by `load_params`.
    source_file: str = Field(default="", exclude=True, repr=False)
    kind: Literal["ward", "study"]
    title: str = Field(min_length=1, description="as shown in the book's table of contents")
    ward: Ward | None = None
    data_dir: str | None = Field(
        default=None, description="folder of input tables, relative to the project root"
    )
    reconstructed: bool = Field(
        default=False,
        description="response-level data are a reconstruction consistent with a published summary",
    )
    synthetic: bool = Field(
        default=False, description="engagement data are simulated: a demonstration, not findings"
    )
    findings_boundary_set: Literal["2004-2023", "2023-"] | None = Field(
        default=None, description="the ward boundaries the study's findings are reported on (None: not stated)"
    )
    findings_fed_back: bool | None = Field(
        default=None, description="were the findings reported back to participants? (None: unknown)"
    )
    disclosure: DisclosureSettings = Field(default_factory=DisclosureSettings)
    sidebar: Literal["findings", "teaching"] = Field(
        default="findings",
        description="where the study's part sits in the book's sidebar: with the findings, or after the teaching pages",
    )
    chapters: list[Identifier] | None = Field(
        default=None, description="chapter templates to run; default: every template for this kind"
    )
    time_limits: dict[Identifier, Annotated[int, Field(ge=1, le=86_400)]] = Field(
        default_factory=dict,
        description="seconds a named chapter template may run before it fails (see docs/limits.md)",
    )
    template_parameters: dict[Identifier, dict[Identifier | str, Any]] = Field(
        default_factory=dict,
        description="extra parameters for named templates; each must be declared in that template",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "StudyParams":
        if self.kind == "ward" and self.ward is None:
            raise ValueError("a ward's params need a 'ward' section (code, name, boundary_set)")
        if self.kind == "ward" and self.data_dir is None:
            raise ValueError("a ward's params need 'data_dir'")
        if self.synthetic and self.reconstructed:
            raise ValueError("data cannot be both 'synthetic' and 'reconstructed'")
        return self

    @property
    def data_status(self) -> str:
        """Plain-English label used in banners and provenance boxes."""
        if self.synthetic:
            return "synthetic"
        if self.reconstructed:
            return "reconstructed"
        return "observed"



    @property
    def where(self) -> str:
        """The params file to name in a message (`params/<id>.yml` when not loaded from a file)."""
        return self.source_file or f"params/{self.id}.yml"

_yaml = YAML(typ="rt")  # round-trip loader: YAML 1.2 semantics and line numbers for messages
_yaml.allow_duplicate_keys = False


def _line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location into the ruamel tree and return the 1-based line."""
    line = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    for key in loc[:-1]:
        if isinstance(key, int):  # an item of a list: its model is the list's item type, found below
            continue
        field = model.model_fields.get(str(key))
        annotation = getattr(field, "annotation", None)
        candidates = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type)]
        nested = next((a for a in candidates if issubclass(a, BaseModel)), None)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    """A ' — did you mean …?' suffix, or an empty string when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def to_plain(node: Any) -> Any:
    """A ruamel round-trip tree as plain dicts, lists and scalars (dates and other YAML types kept)."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node  # dates and other YAML types: strict validation will reject them by type


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def read_yaml(path: Path, root: Path) -> tuple[Any, list[Problem]]:
    """A YAML file as a round-trip tree (line numbers kept), or the problem that stopped it.

    Shared by every YAML input (params, recommendation and audit rules), so all report alike. The
    parse is remembered by the file's bytes (a chapter's kernel reads the same questionnaire and params
    several times); each caller gets its own copy of the tree, so none can change another's.
    """
    name = relative(path, root)
    data, problems = read_input_bytes(Path(path), root, YAML_BYTES)
    if data is None:
        return None, problems
    tree, parse_problems = _parse_yaml(data, name)
    return copy.deepcopy(tree), list(parse_problems)


@memo.across_notebooks(maxsize=64)  # kept across a warm kernel's notebooks: keyed by the file's bytes
def _parse_yaml(data: bytes, name: str) -> tuple[Any, tuple[Problem, ...]]:
    try:
        text = data.decode("utf-8")
        shape = yaml_shape_problem(_yaml.parse(text), name)
        if shape is not None:
            return None, (shape,)
        return _yaml.load(text), ()
    except UnicodeDecodeError as exc:
        return None, (Problem(name, f"not valid UTF-8 text ({exc.reason} at byte {exc.start})"),)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, (Problem(name, f"not valid YAML: {reason}", line=None if mark is None else mark.line + 1),)
    except RecursionError:
        return None, (Problem(name, YAML_DEPTH.exceeded("the nesting")),)
    except (ValueError, OverflowError) as exc:  # e.g. a 5,000-digit number is more than int() reads
        return None, (Problem(name, f"holds a value that cannot be read ({type(exc).__name__}: a number too long?)",
                              expected="numbers of at most a few digits"),)


def read_yaml_mapping(path: Path, root: Path, expected_keys: str | None = None) -> Any:
    """A YAML file that must hold a mapping at the top level, as a round-trip tree (line numbers kept).

    Raises InputError for a missing, unreadable or invalid file, or one whose top level is not a
    mapping (`expected_keys` names the keys the reader should have written there).
    """
    raw, problems = read_yaml(path, root)
    if problems:
        raise InputError(problems)
    if not isinstance(raw, dict):
        raise InputError([Problem(relative(path, root), "expected a mapping of keys to values at the top level",
                                  expected=expected_keys)])
    return raw


def validation_problems(exc: ValidationError, raw: Any, name: str, model: type[BaseModel]) -> list[Problem]:
    """pydantic's errors for a YAML file as Problems with line numbers and "did you mean" for unknown keys.

    Shared by every strictly validated YAML file (params, a ward's questionnaire), so all report alike.
    """
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(raw, loc)
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), _allowed_keys(model, loc))
            problems.append(Problem(name, f"unknown key {key!r}{hint}", line=line))
        elif err["type"] == "missing":
            problems.append(Problem(name, f"missing required key {key!r}", line=line))
        elif err["type"] == "string_type" and isinstance(err.get("input"), (int, float, bool)):
            problems.append(
                Problem(name, f"{key}: expected text, got {_describe(err['input'])} — put the value in quotes", line=line)
            )
        elif err["type"] == "value_error":
            problems.append(Problem(name, err["msg"].removeprefix("Value error, "), line=line))
        else:
            problems.append(Problem(name, f"{key}: {err['msg']}", line=line, value=err.get("input")))
    return problems


def load_params(path: Path, root: Path) -> StudyParams:
    """Load and validate one params file; raise InputError listing every problem found."""
    name = relative(path, root)
    raw = read_yaml_mapping(path, root)
    try:
        plain = to_plain(raw)
        if isinstance(plain, dict) and "source_file" in plain:
            raise InputError([Problem(name, "unknown key 'source_file'", line=_line_of(raw, ("source_file",)))])
        params = StudyParams.model_validate({**plain, "source_file": name})
    except ValidationError as exc:
        raise InputError(validation_problems(exc, raw, name, StudyParams)) from None

    problems: list[Problem] = []

    if params.id != path.stem:
        problems.append(
            Problem(name, f"id {params.id!r} must match the file name {path.stem!r}", line=_line_of(raw, ("id",)))
        )
    if params.data_dir is not None and not _inside(root, params.data_dir):
        problems.append(
            Problem(name, f"data_dir {params.data_dir!r} must be a folder inside the project, written relative to it "
                          "(for example data/clubmoor)", line=_line_of(raw, ("data_dir",)))
        )
    elif params.data_dir is not None and not (root / params.data_dir).is_dir():
        problems.append(
            Problem(name, f"data_dir {params.data_dir!r} is not a folder in the project", line=_line_of(raw, ("data_dir",)))
        )
    if problems:
        raise InputError(problems)
    return params


def _inside(root: Path, folder: str) -> bool:
    """A relative path that stays inside the project (no absolute path, no way out through '..')."""
    if Path(folder).is_absolute():
        return False
    base = Path(root).resolve()
    return (base / folder).resolve().is_relative_to(base)


def params_files(project: Project) -> list[Path]:
    """Every params file, `.yml` or `.yaml`."""
    return sorted(p for suffix in PARAMS_SUFFIXES for p in project.params_dir.glob(f"*{suffix}"))


def load_all(project: Project) -> tuple[dict[str, StudyParams], list[Problem]]:
    """Every params file in the project, with the problems of those that failed."""
    found: dict[str, StudyParams] = {}
    problems: list[Problem] = []
    for path in params_files(project):
        try:
            params = load_params(path, project.root)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if params.id in found:
            problems.append(Problem(relative(path, project.root), f"a second params file for {params.id!r}",
                                    expected="one of params/<id>.yml or params/<id>.yaml, not both"))
            continue
        found[params.id] = params
    return found, problems


def problems_by_study(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Params problems grouped by the id their file names (`params/<id>.yml`), so one bad file stops
    only its own ward and never another's run."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(Path(problem.file).stem, []).append(problem)
    return grouped


def select(all_params: dict[str, StudyParams], ids: list[str] | None, also: str = "") -> dict[str, StudyParams]:
    """Pick the requested ids, failing with a 'did you mean' hint for a misspelt one.

    `also` names the other ids the caller accepts (the atlas's ward codes), for the message.
    """
    if not ids:
        return dict(all_params)
    unknown = [i for i in ids if i not in all_params]
    if unknown:
        raise InputError(
            [
                Problem("command line", f"unknown ward or study {i!r}{did_you_mean(i, set(all_params))}",
                        expected="one of: " + ", ".join(sorted(all_params)) + (f"; {also}" if also else ""))
                for i in unknown
            ]
        )
    return {i: all_params[i] for i in ids}


def yaml_line(node: Any) -> int | None:
    """The 1-based line a ruamel node starts on, or None for a plain value."""
    lc = getattr(node, "lc", None)
    return None if lc is None or lc.line is None else lc.line + 1
