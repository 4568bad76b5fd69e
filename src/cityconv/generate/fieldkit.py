"""The field kit for a ward: printable documents made from its questionnaire and the schemas, and the workbook.

`cityconv field-kit WARD` writes, for one ward: the printable questionnaire (from `questionnaire.yml`),
a participant information sheet and consent form, a privacy notice outline (UK GDPR headings), an
interview topic guide and a practitioner workshop plan whose themes are the coding frames of the
interviews and practitioners chapters, the coding frame itself (with the double-coding procedure),
safeguarding and data-handling notes, the codebook of the data files, and the data-entry workbook.
Each document is a Markdown (Jinja2) template beside this module, rendered to HTML here; the command
line prints the HTML to PDF.

Generated from the same files the validation reads, so a code printed on the form is a code the data
accept. Details only the study team knows (the controller, a contact, the withdrawal date) are left as
[bracketed] prompts unless given.

The book carries the same kit for every ward with a data folder, and a blank one for a new ward, as
pages and downloads (`cityconv.pipeline.fieldkit_book`, using `kit_page_markdown` here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cityconv.core.escaping import code_text, myst_finalize, myst_markup, table_code
from cityconv.data import wardfiles
from cityconv.data.questionnaire import Questionnaire, standard_questionnaire
from cityconv.generate.workbook import write_workbook

DOCUMENTS = (
    ("questionnaire", "Questionnaire"),
    ("information-and-consent", "Participant information sheet and consent form"),
    ("privacy-notice", "Privacy notice (outline)"),
    ("interview-topic-guide", "Interview topic guide"),
    ("workshop-plan", "Practitioner workshop plan"),
    ("coding-frame", "Coding frame"),
    ("safeguarding", "Safeguarding and data handling"),
)
#: The codebook, made from the schemas and the questionnaire by the same function as the data folder's
#: CODEBOOK.md, so the kit's copy always follows the questionnaire.
CODEBOOK_DOCUMENT = ("codebook", "Codebook of the data files")
PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11.5pt; line-height: 1.45; color: #111; max-width: 46em; margin: 0 auto; }
h1 { font-size: 18pt; margin-top: 0; } h2 { font-size: 13pt; margin-top: 1.3em; break-after: avoid; }
h1:not(:first-of-type) { break-before: page; }
ul { list-style: none; padding-left: 0.6em; } li { margin: 0.25em 0; } p { margin: 0.35em 0; }
.slip { break-inside: avoid; margin-top: 2em; padding-top: 0.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 0.2em 0.5em; text-align: left; }
code { font-size: 10pt; }
"""
#: Chromium's footer on every printed page: the document's title (which names the ward) and the page number.
PRINT_FOOTER = ('<div style="font-family: DejaVu Sans, Arial, sans-serif; font-size: 8pt; color: #444; width: 100%; '
                'margin: 0 16mm; display: flex; justify-content: space-between;"><span class="title"></span>'
                '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


@dataclass(frozen=True)
class StudyDetails:
    """What only the study team knows; bracketed prompts until they fill them in."""

    controller: str = "[the organisation leading the study, e.g. the Council or the University]"
    contact: str = "[name, telephone number and e-mail address of the study lead]"
    withdraw_by: str = "[date, e.g. four weeks after the survey closes]"


def _template(name: str):
    from jinja2 import Environment, StrictUndefined

    text = resources.files("cityconv.generate").joinpath("fieldkit", f"{name}.md.j2").read_text(encoding="utf-8")
    # Every {{ value }} is MyST-escaped: questionnaire wording, ward names and study details come from files.
    env = Environment(undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=myst_finalize)
    env.filters["code_text"] = code_text  # inside backticks, where escapes are not read
    env.filters["table_code"] = table_code
    return env.from_string(text)


def _categories(stem: str, column: str = "theme") -> list[tuple[str, str]]:
    """The codes a new study's kit offers: the schema's general coding frame where it has frames
    (the `published` frame is Clubmoor's findings, a record of that study, not a list to code with)."""
    field = next(f for f in wardfiles.schema_descriptor(stem)["fields"] if f["name"] == column)
    general = set(field.get("x-frames", {}).get("general", []))
    return [(c["value"], c["label"]) for c in field["categories"] if not general or c["value"] in general]


CITY_CONVERSATION = "City Conversation"


def is_city_conversation(questionnaire: Questionnaire) -> bool:
    """Whether the study says it is the City Conversation: its questionnaire's title names it.

    The title is the study's own name for itself (new-ward's template and Clubmoor's file carry the
    City Conversation's; a study of its own, or a `--draft`, carries its own), so a kit never claims
    the City Conversation for a study that does not.
    """
    return CITY_CONVERSATION.casefold() in questionnaire.title.casefold()


def kit_title(questionnaire: Questionnaire) -> str:
    """The name every document of the kit goes by: the City Conversation in the ward, or the study's own title."""
    if is_city_conversation(questionnaire):
        return f"The {CITY_CONVERSATION} in {questionnaire.ward}"
    title = questionnaire.title.strip()
    return title if questionnaire.ward.casefold() in title.casefold() else f"{title}, {questionnaire.ward}"


def document_markdown(name: str, questionnaire: Questionnaire, threshold: int = 5,
                      details: StudyDetails | None = None) -> str:
    """One field-kit document for the ward of `questionnaire`, as Markdown."""
    details = details or StudyDetails()
    context = {
        "q": questionnaire, "questions": questionnaire.questions, "multi": questionnaire.multi(),
        "ward": questionnaire.ward, "title": kit_title(questionnaire), "threshold": threshold,
        "city_conversation": is_city_conversation(questionnaire),
        "controller": details.controller, "contact": details.contact, "withdraw_by": details.withdraw_by,
        "themes": _categories("workshop_themes") if name == "workshop-plan" else _categories("interview_themes"),
    }
    text = _template(name).render(**context)
    # The questionnaire's template lays out each kind of question in blocks; the blank lines those leave
    # between blocks mean nothing in Markdown, except that a grid's table rows must be consecutive.
    return re.sub(r"\n{3,}", "\n\n", text) if name == "questionnaire" else text


SLIP_START = "<p>✂ "  # the tear-off line of the questionnaire's participant slip (questionnaire.md.j2)


def _wrap_slip(body: str) -> str:
    """Keep the participant slip, from its tear-off line to the end, together on one printed page.

    The documents are rendered without raw HTML, so the template cannot wrap the slip itself.
    """
    at = body.find(SLIP_START)
    return body if at < 0 else f'{body[:at]}<div class="slip">\n{body[at:]}</div>\n'


def document_html(markdown: str, title: str) -> str:
    """A print-ready HTML page of one document (A4, no scripts, nothing fetched)."""
    import html

    from markdown_it import MarkdownIt

    # No raw HTML: the documents are Markdown only, so any HTML in them came from data and is shown as text.
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    body = _wrap_slip(body)
    return (f"<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{PRINT_CSS}</style></head><body>\n{body}</body></html>\n")


def write_field_kit(out_dir: Path, questionnaire: Questionnaire, ward_id: str, threshold: int = 5,
                    details: StudyDetails | None = None) -> list[Path]:
    """Every document as Markdown and HTML, and the data-entry workbook, into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, title in (*DOCUMENTS, CODEBOOK_DOCUMENT):
        if name == CODEBOOK_DOCUMENT[0]:
            text = wardfiles.codebook_markdown(questionnaire)
        else:
            text = document_markdown(name, questionnaire, threshold, details)
        (out_dir / f"{name}.md").write_text(text, encoding="utf-8")
        (out_dir / f"{name}.html").write_text(document_html(text, f"{title}: {questionnaire.ward}"), encoding="utf-8")
        written += [out_dir / f"{name}.md", out_dir / f"{name}.html"]
    written.append(write_workbook(out_dir / workbook_name(ward_id), questionnaire, questionnaire.ward, ward_id))
    return written


def workbook_name(ward_id: str) -> str:
    return f"{ward_id}{wardfiles.DATA_ENTRY_SUFFIX}"


# ------------------------------------------------------------------------------------------------
# The kit as pages of the book (written by `cityconv.pipeline.fieldkit_book`)

BLANK_WARD = "[your ward]"


def blank_questionnaire() -> Questionnaire:
    """The City Conversation questionnaire with a [bracketed] prompt where the ward's name goes."""
    return standard_questionnaire(BLANK_WARD)


def kit_page_markdown(kit_title: str, ward_id: str, questionnaire: Questionnaire, threshold: int,
                      status: str | None, pdfs: set[str], blank: bool = False) -> str:
    """The kit's own page: what it holds, how the ward's data status bears on it, and the downloads.

    `pdfs` names the documents printed to PDF (none when no browser was available to print them).
    """
    documents = [{"name": name, "title": title, "pdf": f"{name}.pdf" if name in pdfs else None}
                 for name, title in (*DOCUMENTS, CODEBOOK_DOCUMENT)]
    city_conversation = is_city_conversation(questionnaire)
    return _template("kit-page").render(
        kit_title=kit_title, ward=questionnaire.ward, blank=blank, status=status, threshold=threshold,
        city_conversation=city_conversation, study_title=questionnaire.title,
        # "of the ward's own" means beside the City Conversation's questions; a study of its own has only its own
        added=[q.short for q in questionnaire.added()] if city_conversation else [], documents=documents,
        workbook=myst_markup(workbook_name(ward_id)),  # made from a validated id, used inside a role
    )


def kits_index_markdown(kits: list[dict], pdfs: bool) -> str:
    """The page listing every kit (`kits`: kit_id, title, note)."""
    return _template("kit-index").render(kits=kits, pdfs=pdfs)
