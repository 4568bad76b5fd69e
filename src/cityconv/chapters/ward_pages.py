"""Where each ward's profile page is in the book, and the links between them.

A ward with a params file has its profile among its study's chapters (`book/generated/<id>/`); every
other ward has a profile-only atlas page (`book/generated/atlas/<code>/`). The atlas index, the city
overview, the profiles (boundary-overlap tables, rank strips, links to studies) and the postcode finder
all link through these functions, so a link never points to a page the pipeline does not build.
Apart from `chapters.atlas` so that the profiles can link without importing the index page's module.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from markupsafe import Markup

from cityconv.core.escaping import role_title
from cityconv.data import chapter_registry

PROFILE_TEMPLATE_ID = "ward-profile"
GENERATED = "book/generated"
ATLAS_DIR = "atlas"  # under book/generated/


def atlas_id(ward_code: str) -> str:
    """The id of a profile-only ward: its ONS code in lower case (a valid params id, never a ward name)."""
    return str(ward_code).lower()


def profile_stem(project) -> str:
    """The profile template's file stem (`01-ward-profile`): the number orders chapters and may change."""
    page = chapter_registry.find_page(PROFILE_TEMPLATE_ID, project.root)
    if page is None:
        raise FileNotFoundError(f"no ward profile template (*{PROFILE_TEMPLATE_ID}.ipynb) in {project.notebooks_dir}")
    return page


def studied_wards(project, studies: dict | None = None) -> dict[tuple[str, str], str]:
    """(boundary set, ward code) -> params id, for every ward with a params file (`studies`: the project's
    params from `load_all`, when the caller has read them already)."""
    studies = _ward_studies(project) if studies is None else studies
    return {
        (p.ward.boundary_set, p.ward.code): study_id
        for study_id, p in sorted(studies.items())
        if p.kind == "ward" and p.ward is not None
    }


def study_titles(project, studies: dict | None = None) -> dict[str, str]:
    """params id -> the study's title, for every ward study."""
    studies = _ward_studies(project) if studies is None else studies
    return {i: p.title for i, p in studies.items() if p.kind == "ward"}


def _ward_studies(project) -> dict:
    from cityconv.core.params import load_all

    return load_all(project)[0]


@dataclass(frozen=True)
class WardPages:
    """Every ward profile's document (`book/generated/.../01-ward-profile`, no suffix), from one project."""

    stem: str
    studied: dict[tuple[str, str], str]  # (boundary set, ward code) -> params id
    titles: dict[str, str] = field(default_factory=dict)  # params id -> study title
    known: frozenset[tuple[str, str]] = frozenset()  # (boundary set, ward code) of every ward in the ward index

    def has_page(self, ward_code: str, boundary_set: str) -> bool:
        """Is a profile built for this ward? (Every ward of the ward index has one, in the atlas or its study,
        unless the build makes only some atlas pages: `data.context.ATLAS_WARDS_ENV`.)"""
        return (boundary_set, ward_code) in self.known or (boundary_set, ward_code) in self.studied

    def doc(self, ward_code: str, boundary_set: str) -> str:
        study_id = self.studied.get((boundary_set, ward_code))
        folder = study_id if study_id is not None else f"{ATLAS_DIR}/{atlas_id(ward_code)}"
        return f"{GENERATED}/{folder}/{self.stem}"

    def study_of(self, ward_code: str, boundary_set: str) -> str | None:
        return self.studied.get((boundary_set, ward_code))


def load_ward_pages(project) -> WardPages | None:
    """Where every ward's profile is, or None for a project without the profile template (nothing to link to)."""
    from cityconv.data import context as ctx

    if chapter_registry.find_page(PROFILE_TEMPLATE_ID, project.root) is None:
        return None
    index = ctx.ward_index(project.context_dir)
    selection = ctx.atlas_selection()  # a build of a few atlas pages: the others are not linked
    known = frozenset((boundary_set, code) for boundary_set, code in zip(index["boundary_set"], index["code"])
                      if selection is None or code.upper() in selection)
    studies = _ward_studies(project)  # every params file parsed once, for both maps
    return WardPages(profile_stem(project), studied_wards(project, studies), study_titles(project, studies), known)


def href(from_doc: str, to_doc: str) -> str:
    """A relative link in built HTML from one document to another (both without suffix)."""
    return posixpath.relpath(to_doc, posixpath.dirname(from_doc)) + ".html"


def doc_role(text: str, doc: str) -> Markup:
    """A MyST link to a document of the book, safe for any text (Markup, so a template leaves it alone)."""
    return Markup(f"{{doc}}`{role_title(text)} </{doc}>`")


def link_row_headers(page_html: str, hrefs: dict[str, str]) -> str:
    """A table's HTML (from `present.tables`) with each named row header made a link to its page."""
    import html

    for label, target in hrefs.items():
        cell = f'<th scope="row">{html.escape(label)}</th>'
        page_html = page_html.replace(
            cell, f'<th scope="row"><a href="{html.escape(target)}">{html.escape(label)}</a></th>', 1)
    return page_html


def link_cells(page_html: str, links: dict[str, tuple[str, str]]) -> str:
    """A table's HTML (from `present.tables`) with each cell whose whole text is a key of `links` made to
    start with a link: {"Anfield (12.0%)": ("Anfield", "../e05000886/01-ward-profile.html")} turns
    `<td>Anfield (12.0%)</td>` into `<td><a href="…">Anfield</a> (12.0%)</td>`."""
    import html

    for text, (name, target) in links.items():
        if not text.startswith(name):
            raise ValueError(f"the cell {text!r} does not start with the linked name {name!r}")
        linked = f'<a href="{html.escape(target)}">{html.escape(name)}</a>{html.escape(text[len(name):])}'
        page_html = page_html.replace(f"<td>{html.escape(text)}</td>", f"<td>{linked}</td>")
    return page_html
