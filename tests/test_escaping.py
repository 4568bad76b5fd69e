"""Nothing from data executes (issue 27, part 1 and 5): one test per escaping mechanism.

MyST text is checked by rendering it with the parser the book uses (myst-parser through docutils), so
"no role, directive, maths or HTML" is what Sphinx would see, not what a regular expression expects.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from docutils import nodes
from markupsafe import Markup

from cityconv.core.escaping import (
    myst_code,
    myst_escape,
    myst_finalize,
    neutralise_formula,
    neutralise_frame,
    script_json,
    set_text_cell,
)

PAYLOADS = [
    "<img src=x onerror=alert(document.domain)>",
    "<script>alert(1)</script>",
    "{raw}`<b>bold</b>`",
    "{eval-rst}`.. raw:: html`",
    "```{raw} html\n<script>alert(2)</script>\n```",
    ":::{admonition} Injected\nbody\n:::",
    "line one\n\n# A heading from data",
    "- a list\n- from data",
    "1. ordered",
    "$x^2$ and $$y$$",
    "{{ 7*7 }} {% raw %}x{% endraw %}",
    "[a link](javascript:alert(1)) ![img](http://example.invalid/x.png)",
    "(target)=",
    "% a comment",
    "| a | table |",
    "=HYPERLINK(\"http://example.invalid\",\"Green\")",
    "@SUM(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "**bold** _em_ ~~strike~~ <http://example.invalid>",
    "trailing backslash \\",
]


def _doctree(markdown: str):
    """The docutils tree MyST makes of `markdown`, with the book's extensions (colon fence, maths, substitutions)."""
    from docutils.frontend import get_default_settings
    from docutils.utils import new_document
    from myst_parser.config.main import MdParserConfig
    from myst_parser.mdit_to_docutils.base import DocutilsRenderer
    from myst_parser.parsers.docutils_ import Parser
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions={"colon_fence", "deflist", "dollarmath", "substitution"})
    parser = create_md_parser(config, DocutilsRenderer)
    document = new_document("payload.md", get_default_settings(Parser))
    document.settings.myst_config = config  # read by the renderer
    parser.options["document"] = document
    parser.render(markdown)
    return document


def _structure(document) -> set[str]:
    """Node types other than the plain paragraph-and-text a harmless value should make."""
    allowed = {"document", "paragraph", "Text", "system_message", "problematic"}
    return {type(node).__name__ for node in document.findall() if type(node).__name__ not in allowed}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_myst_escape_makes_plain_text_that_reads_as_written(payload):
    document = _doctree(f"Said: {myst_escape(payload)}")
    assert _structure(document) == set()
    assert not list(document.findall(nodes.raw)) and not list(document.findall(nodes.system_message))
    assert " ".join(document.astext().split()) == " ".join(f"Said: {payload}".split())


def test_deliberate_markdown_passes_and_data_in_a_template_is_escaped():
    import jinja2

    env = jinja2.Environment(finalize=myst_finalize, autoescape=False)
    link = myst_escape(Markup("{doc}`Survey <03-residents-survey>`"))
    assert link == "{doc}`Survey <03-residents-survey>`"  # Markup: built on purpose by code
    out = env.from_string("{{ n }} of {{ name }}: {{ link }}").render(n=3, name="$x$ <b>", link=link)
    assert out == "3 of \\$x\\$ \\<b\\>: {doc}`Survey <03-residents-survey>`"


def test_numbers_and_ordinary_prose_are_unchanged():
    for text in ("Clubmoor", "1,906 residents", "42%", "It's the community", "3.5", "-3"):
        assert myst_escape(text) == text


def test_code_span_holds_backticks_without_closing_early():
    document = _doctree(f"Code {myst_code('a`b`` <c>')} here")
    literals = list(document.findall(nodes.literal))
    assert [lit.astext() for lit in literals] == ["a`b`` <c>"]


def test_formula_triggers_in_csv_text_are_quoted_and_numbers_stay_numbers():
    for payload in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tx", "\rx"):
        assert neutralise_formula(payload) == "'" + payload
    assert neutralise_formula(-3) == -3 and neutralise_formula(2.5) == 2.5 and neutralise_formula("Green") == "Green"
    frame = pd.DataFrame({"=label": ["=HYPERLINK(\"x\")", "plain"], "n": [-3, 4]}, index=pd.Index(["@a", "b"], name="+i"))
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=label", "n"] and out.index.name == "'+i" and list(out.index) == ["'@a", "b"]
    assert out["'=label"].tolist() == ["'=HYPERLINK(\"x\")", "plain"]
    assert out["n"].tolist() == [-3, 4]


def test_csv_download_holds_no_cell_a_spreadsheet_would_run():
    from cityconv.present.downloads import csv_bytes

    frame = pd.DataFrame({"Answer": PAYLOADS, "Count": range(len(PAYLOADS))})
    text = csv_bytes(frame, comments=["=cmd title"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert ["'-2+3", str(PAYLOADS.index("-2+3"))] in rows


def test_xlsx_text_cell_is_never_a_formula(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row, payload in enumerate(PAYLOADS, start=1):
        set_text_cell(sheet.cell(row, 1), payload)
    set_text_cell(sheet.cell(1, 2), -3)
    book.save(tmp_path / "t.xlsx")
    loaded = openpyxl.load_workbook(tmp_path / "t.xlsx")
    cells = [c for row in loaded.active.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert loaded.active["A16"].value == PAYLOADS[15]  # the text as written, not a formula
    assert loaded.active["A16"].quotePrefix  # and Excel keeps it text when someone edits the cell
    assert loaded.active["B1"].value == -3 and loaded.active["B1"].data_type == "n"


def test_evidence_workbook_writes_data_as_text(tmp_path):
    from cityconv.present.downloads import evidence_workbook

    (tmp_path / "ev").mkdir()
    pd.DataFrame({"id": ["a", "b"], "note": ["=HYPERLINK(\"http://example.invalid\",\"x\")", "@SUM(1)"]}).to_csv(
        tmp_path / "ev" / "effects.csv", index=False)
    path = evidence_workbook(tmp_path / "ev", tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(path)
    formulas = [c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert book["effects"]["B2"].value.startswith("=HYPERLINK")


def test_script_json_cannot_close_the_script_element():
    import json

    data = {"label": "</script><script>alert(1)</script><!--", "amp": "a & b"}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


@pytest.mark.parametrize("text", ["[/x]", "'^[a-z]*$'", "on:x:line", "[bold]loud[/bold]"])
def test_console_prints_problem_text_as_written(text, capsys):
    """Problem text goes through rich.markup.escape with emoji codes off: no MarkupError, no emoji."""
    from cityconv import cli
    from cityconv.core.problems import Problem

    problem = Problem("data/clubmoor/survey_responses.csv", "not an allowed value", row=2, column="mode", value=text,
                      expected=text)
    cli._report_problems([problem])
    err = capsys.readouterr().err
    assert f"(got {text!r}; expected {text})" in err  # as written: no tag swallowed, no emoji
    assert "❌" not in err


def test_markup_in_a_data_cell_is_reported_not_a_traceback(mini_project):
    """Issue 27: `[/x]` as a survey `mode` crashed validate with rich's MarkupError; `:x:` became an emoji."""
    import subprocess
    import sys
    from pathlib import Path

    path = mini_project / "data" / "alpha" / "survey_responses.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "mode"] = "[/x]"
    frame.loc[1, "mode"] = "on:x:line"
    frame.to_csv(path, index=False, lineterminator="\n")
    exe = str(Path(sys.executable).with_name("cityconv"))
    result = subprocess.run([exe, "validate", "alpha", "--root", str(mini_project)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "MarkupError" not in result.stderr
    flat = " ".join(result.stderr.split())
    assert "column 'mode'" in flat and "'[/x]'" in flat and "'on:x:line'" in flat and "❌" not in flat


HOSTILE_NAME = "<img src=x onerror=alert(1)> $x$ {raw}`<b>b</b>` :::{note}"


def test_field_kit_documents_show_a_hostile_ward_name_as_text():
    """Issue 27: an `<img onerror>` in a ward's name was a live element in the field kit's print pages."""
    from cityconv.data.questionnaire import standard_questionnaire
    from cityconv.generate import fieldkit

    questionnaire = standard_questionnaire(HOSTILE_NAME)
    for name, title in fieldkit.DOCUMENTS:
        markdown = fieldkit.document_markdown(name, questionnaire)
        document = _doctree(markdown)
        assert not _structure(document) - {"section", "title", "bullet_list", "list_item", "strong", "raw",
                                           "emphasis", "transition", "table", "tgroup", "colspec", "thead",
                                           "tbody", "row", "entry", "literal", "enumerated_list"}, name
        # raw HTML comes only from the template's print layout (tick boxes, the participant slip), never
        # from the ward's name
        raw_html = " ".join(node.astext() for node in document.findall(nodes.raw))
        assert "onerror" not in raw_html and "<b>" not in raw_html and "{raw}" not in raw_html, name
        page = fieldkit.document_html(markdown, f"{title}: {questionnaire.ward}")
        assert "<img" not in page and "<b>" not in page, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, name


def test_class_pack_sheets_show_a_hostile_ward_name_as_text(repo_root):
    """Issue 27: a params title with `<img onerror>` was live in worksheet.html and teacher-sheet.html."""
    from cityconv.chapters import class_pack

    answers = class_pack.compute_answers(repo_root)
    hostile = class_pack.Answers({**answers.values, "ward": HOSTILE_NAME, "records_source": HOSTILE_NAME})
    for template in ("worksheet", "teacher-sheet"):
        page = class_pack.markdown_page(class_pack.render_markdown(template, hostile), template)
        assert "<img" not in page and "<b>b</b>" not in page, template
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, template
