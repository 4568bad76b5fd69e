"""Prose built from data: lists that read as English, first-letter capitals, and the Markdown
(Jinja2) templates chapters fill with numbers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import jinja2

from cityconv.core.escaping import code_text, myst_finalize


def join_words(items, word: str = "and") -> str:
    """["a", "b", "c"] → "a, b and c": lists in generated prose read as English."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def capitalise(text: str) -> str:
    """Upper-case the first letter only (unlike str.capitalize, keeps "Covid-19" and "ONS")."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """Lower-case the first letter, so a label reads mid-sentence, unless the first word is an acronym
    or name-like ("ONS", "Covid-19", "McDonald"), which keep their capitals."""
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and (first.isupper() or any(ch.isdigit() for ch in first)
                                or any(ch.isupper() for ch in first[1:])):
        return text
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- prose templates
#
# Reader-facing prose longer than a sentence lives in Markdown (Jinja2) templates beside the chapter
# that fills them (e.g. chapters/templates/business_case/*.md). A placeholder the chapter forgets is
# an error, never a silent blank. Templates are Markdown: every `{{ value }}` is MyST-escaped
# (`cityconv.core.escaping.myst_finalize`), so text from data cannot start a role, directive, fence,
# maths or HTML. Markdown a chapter builds on purpose (links, quotes it escaped itself) is marked in the
# template with `|safe` or passed as `markupsafe.Markup` (`myst_markup`); a value inside a code span or
# a role (citation keys, file names) goes through `|code_text`; inside an HTML block, `|e`.


@lru_cache(maxsize=None)
def _template_environment(folder: str) -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, autoescape=False,
                              finalize=myst_finalize)
    environment.filters["code_text"] = code_text
    return environment


def render_template(folder: Path, name: str, context: dict[str, Any]) -> str:
    """Render `<folder>/<name>.md` with `context` and return the Markdown, stripped."""
    return _template_environment(str(folder)).get_template(f"{name}.md").render(**context).strip()


def template_renderer(folder: Path) -> Callable[[str, dict[str, Any]], str]:
    """A `render(name, context)` bound to one chapter's template folder."""
    return lambda name, context: render_template(folder, name, context)

