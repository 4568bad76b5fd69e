"""Chapter templates: the parameterised notebooks in `notebooks/`.

A template describes itself in its notebook metadata (`metadata.cityconv`): its title, which kind
of params it applies to (`ward` or `study`), and which project files beyond the ward's own data
folder it reads (so our cache sees them). Its single cell tagged `parameters` declares every
parameter it accepts; we check the handed parameters against that declaration before running,
because papermill itself only warns about an unknown parameter and injects it anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from papermill import inspect_notebook

from cityconv.core.params import StudyParams, did_you_mean
from cityconv.core.paths import Project
from cityconv.core.problems import Problem, relative

_ORDER_PREFIX = re.compile(r"^\d+[-_]")


@dataclass(frozen=True)
class Template:
    id: str
    path: Path
    title: str
    applies_to: tuple[str, ...]
    reads: tuple[str, ...] = field(default_factory=tuple)
    declared: tuple[str, ...] = field(default_factory=tuple)
    uses_records: bool = True  # False for chapters built only from public open data
    #: An artifact file other chapters read (e.g. "findings.json"): such a template runs first for its
    #: ward, its output is saved as that file, and it is not a page of the book.
    produces: str | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


def template_id(path: Path) -> str:
    """`03-residents-survey.ipynb` → `residents-survey`: the number only orders the chapters."""
    return _ORDER_PREFIX.sub("", path.stem).replace("_", "-")


def read_template(path: Path, root: Path) -> tuple[Template | None, list[Problem]]:
    name = relative(path, root)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for a broken file
        return None, [Problem(name, f"not a readable notebook: {exc}")]
    problems: list[Problem] = []
    meta = nb.metadata.get("cityconv", {})
    title = meta.get("title")
    applies_to = tuple(meta.get("applies_to", ()))
    if not title:
        problems.append(Problem(name, "notebook metadata 'cityconv.title' is missing"))
    if not applies_to or not set(applies_to) <= {"ward", "study", "atlas"}:
        problems.append(  # "atlas": run by the pipeline itself (cityconv.pipeline.atlas), never by a params file
            Problem(name, "notebook metadata 'cityconv.applies_to' must list 'ward' and/or 'study' (or 'atlas')",
                    value=list(applies_to) or None)
        )
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        problems.append(
            Problem(name, f"needs exactly one cell tagged 'parameters', found {len(tagged)}")
        )
        declared: tuple[str, ...] = ()
    else:
        declared = tuple(inspect_notebook(str(path)).keys())
    if problems:
        return None, problems
    return (
        Template(
            id=template_id(path),
            path=path,
            title=str(title),
            applies_to=applies_to,
            reads=tuple(meta.get("reads", ())),
            declared=declared,
            uses_records=bool(meta.get("uses_records", True)),
            produces=meta.get("produces") or None,
        ),
        [],
    )


def discover(project: Project) -> tuple[list[Template], list[Problem]]:
    templates: list[Template] = []
    problems: list[Problem] = []
    for path in sorted(project.notebooks_dir.glob("*.ipynb")):
        template, found = read_template(path, project.root)
        problems.extend(found)
        if template is not None:
            templates.append(template)
    seen: dict[str, Path] = {}
    for t in templates:
        if t.id in seen:
            problems.append(Problem(relative(t.path, project.root), f"template id {t.id!r} also used by {seen[t.id].name}"))
        seen[t.id] = t.path
    return templates, problems


def templates_for(params: StudyParams, templates: list[Template]) -> tuple[list[Template], list[Problem]]:
    """The templates this ward or study runs: its `chapters` list, or every template of its kind."""
    applicable = [t for t in templates if params.kind in t.applies_to]
    if params.kind == "ward" and params.data_dir is None:  # no engagement data: nothing to compute findings from
        applicable = [t for t in applicable if not t.produces]
    if params.chapters is None:
        return applicable, []
    by_id = {t.id: t for t in applicable}
    problems = [
        Problem(params.where, f"unknown chapter {c!r} for a {params.kind}{did_you_mean(c, set(by_id))}",
                expected="one of: " + ", ".join(sorted(by_id)))
        for c in params.chapters
        if c not in by_id
    ]
    # An artifact other chapters read is always made, whatever the chapters list says.
    chosen = [t for t in applicable if t.produces and t.id not in params.chapters]
    return chosen + [by_id[c] for c in params.chapters if c in by_id], problems


def parameters_for(params: StudyParams, template: Template) -> dict[str, object]:
    """What we hand the template: its ward/study id, plus any extras named for it in the params file."""
    return {"study_id": params.id, **params.template_parameters.get(template.id, {})}


def check_parameters(params: StudyParams, template: Template, handed: dict[str, object]) -> list[Problem]:
    """Handed and declared parameters must match exactly: an unknown or a missing one is an error."""
    where = params.where
    declared = set(template.declared)
    problems = [
        Problem(where, f"parameter {k!r} is not declared in the parameters cell of {template.path.name}"
                       f"{did_you_mean(k, declared)}", expected="one of: " + ", ".join(sorted(declared)))
        for k in handed
        if k not in declared
    ]
    problems += [
        Problem(f"notebooks/{template.path.name}",
                f"declares parameter {k!r} that the pipeline does not hand it for {params.id!r}"
                f" — add it under template_parameters.{template.id} in {where} or remove it from the template")
        for k in sorted(declared - set(handed))
    ]
    return problems
