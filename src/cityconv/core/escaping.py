"""Text from data never executes: one place that escapes it for MyST pages, CSV files and workbooks.

Data, params, questionnaires and mappings are written by people outside the code. Their text reaches
readers through three kinds of output, and each has one function here:

- **MyST Markdown** (chapter prose, field-kit documents, codebooks): `myst_escape` backslash-escapes
  every character that could start a role (`{role}`…`), a directive or fence (```, `:::`), maths
  (`$`), raw HTML or a link (`<`, `[`), emphasis or a table cell, and folds line breaks into spaces so
  a value cannot start a list, heading or container. Markdown built on purpose by code is wrapped in
  `markupsafe.Markup` (`myst_markup`) and passes through unchanged; Jinja environments that render
  Markdown use `myst_finalize`, so every `{{ value }}` is escaped unless the code marked it.
- **CSV downloads**: `neutralise_formula` prefixes a text cell that a spreadsheet would read as a
  formula (leading `=`, `+`, `-`, `@`, tab or carriage return) with a single quote (OWASP, CSV
  injection). Numbers stay numbers: only text is touched.
- **JSON in a page's `<script>`** (explorer data): `script_json` writes `<`, `>`, `&` as `\\u` escapes.
- **XLSX workbooks**: `set_text_cell` writes text as an explicit string cell (openpyxl data type
  "s", with Excel's quote prefix when it starts with a formula trigger), never a formula.

HTML output is escaped by Jinja's autoescape or `html.escape`, not here.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

from markupsafe import Markup

#: Characters with a meaning in MyST/CommonMark inline syntax (roles, code, fences, maths, HTML,
#: links and images, emphasis, strikethrough, tables, substitutions, headings), and the first colon of
#: a colon fence (`:::`).
_MYST_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$]|:(?=::))")
#: What can start block structure at the beginning of a value: list markers, a MyST comment (`%`),
#: a target `(name)=`, a thematic break or setext underline, an ordered list item ("1." / "1)").
_BLOCK_START = re.compile(r"^(\s*)([-+](?=[\s+-]|$)|[%=]|\((?=[^)]*\)=)|\d+(?=[.)](?:\s|$)))")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c]+\s*")
#: Leading characters a spreadsheet takes as the start of a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def myst_markup(text: str) -> Markup:
    """Mark Markdown built on purpose by code (a link, a list, an admonition) as safe to pass unescaped."""
    return Markup(text)


def myst_escape(value: Any) -> Markup:
    """`value` as MyST text that renders exactly as written and can start no structure; Markup passes as is."""
    if isinstance(value, Markup):
        return value
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _MYST_SPECIAL.sub(r"\\\1", text)
    match = _BLOCK_START.match(text)
    if match:
        lead, start = match.group(1), match.group(2)
        if start[0].isdigit():  # "1." -> "1\.": escape the list delimiter after the number
            text = lead + start + "\\" + text[len(lead) + len(start):]
        else:
            text = lead + "\\" + text[len(lead):]
    return Markup(text)


def myst_code(value: Any) -> Markup:
    """`value` as an inline code span that no backtick inside it can close early (CommonMark code spans)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def code_text(value: Any) -> Markup:
    """Text for inside a code span or a role's backticks, where escapes are not read: no backtick, one line."""
    return Markup(_LINE_BREAKS.sub(" ", str(value)).replace("`", "'"))


def table_code(value: Any) -> Markup:
    """Text for a code span inside a table cell: GFM splits cells at "|" even inside code, so it is escaped."""
    return Markup(code_text(value).replace("|", "\\|"))


def role_title(value: Any) -> Markup:
    """A link title inside a role (`{doc}`title <target>``), where escapes are not read: no backtick, and
    no angle bracket that would move the target; shown with look-alike brackets instead."""
    return Markup(code_text(value).replace("<", "\u2039").replace(">", "\u203a"))


def myst_finalize(value: Any) -> Any:
    """A Jinja `finalize` for Markdown templates: data is escaped, Markup and numbers pass unchanged."""
    if value is None or isinstance(value, (numbers.Number, Markup)):
        return value
    return myst_escape(value)


def script_json(data: Any, **dumps_options: Any) -> str:
    """JSON to embed in a `<script>` element: `<`, `>` and `&` as \\u escapes, so no text in it can close the
    element or open a comment, and the JSON parses to the same data."""
    import json

    text = json.dumps(data, **dumps_options)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def neutralise_formula(value: Any) -> Any:
    """A CSV cell a spreadsheet cannot run: text starting with a formula trigger gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_frame(frame):
    """A copy of a pandas frame whose text cells, column names and index labels cannot run as formulas."""
    out = frame.map(neutralise_formula)
    out.columns = out.columns.map(_neutralise_label)
    out.index = out.index.map(_neutralise_label)
    if out.index.name is not None:
        out.index.name = neutralise_formula(out.index.name)
    return out


def _neutralise_label(label: Any) -> Any:
    if isinstance(label, tuple):
        return tuple(neutralise_formula(part) for part in label)
    return neutralise_formula(label)


def set_text_cell(cell, value: Any):
    """Put `value` in an openpyxl cell; text is always a string cell (data type "s"), never a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True  # Excel keeps it text even when someone edits the cell
    return cell
