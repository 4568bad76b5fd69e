"""The ward atlas in the pipeline: profile-only runs for every ward without a params file, and its contents.

A ward with a params file has its profile among its own chapters. Every other ward code of both
boundary sets in `data/context/wards.csv` gets the same profile template, run with the ward's code
as its id and no engagement data, plus one index page per boundary set (`notebooks/*-ward-atlas`).
Page locations come from `cityconv.chapters.atlas`, which the index pages link with.

In the table of contents the atlas is one part: the two index pages, each with its profile-only
pages as `sections`, so the sidebar shows two entries rather than 94 (the theme's
`max_navbar_depth` in `_config.yml` keeps the sections out of the sidebar; the index table is how
a reader finds a ward).
"""

from __future__ import annotations

from pathlib import Path

from cityconv.chapters import atlas as pages
from cityconv.core.escaping import myst_escape
from cityconv.core.params import StudyParams
from cityconv.core.paths import Project
from cityconv.core.problems import Problem
from cityconv.data import context as ctx
from cityconv.pipeline.tasks import RunTask
from cityconv.pipeline.templates import Template

ATLAS_DATA_STATUS = "open data only"
ATLAS_CAPTION = "Ward atlas"
ATLAS_PAGES = ("book/postcode-finder",)
OVERVIEW_ID = f"{pages.ATLAS_DIR}-overview"
ATLAS_IDS_HINT = ("or an atlas page: a ward code from data/context/wards.csv (e.g. E05000887), "
                  + ", ".join(f"{pages.ATLAS_DIR}-{slug}" for slug in pages.BOUNDARY_SET_SLUGS.values())
                  + f" or {OVERVIEW_ID}")


def profile_only_wards(project: Project, studies: dict[str, StudyParams]) -> list[tuple[str, str, str]]:
    """(code, name, boundary set) of every ward in the context tables that no params file covers."""
    if not (project.context_dir / "wards.csv").exists():
        return []
    covered = {(p.ward.boundary_set, p.ward.code) for p in studies.values() if p.kind == "ward" and p.ward}
    index = ctx.ward_index(project.context_dir)
    selection = ctx.atlas_selection()
    return [
        (row.code, row.name, row.boundary_set)
        for row in index.itertuples()
        if row.boundary_set in ctx.BOUNDARY_SETS and (row.boundary_set, row.code) not in covered
        and (selection is None or row.code.upper() in selection)
    ]


def atlas_selection_problems(project: Project) -> list[Problem]:
    """A ward code in $CITYCONV_ATLAS_WARDS that no ward of the ward index has (a typo would silently build nothing)."""
    selection = ctx.atlas_selection()
    if not selection or not (project.context_dir / "wards.csv").exists():
        return []
    index = ctx.ward_index(project.context_dir)
    codes = {str(code).upper() for code, boundary_set in zip(index["code"], index["boundary_set"])
             if boundary_set in ctx.BOUNDARY_SETS}
    return [Problem(ctx.ATLAS_WARDS_ENV, "names no ward of data/context/wards.csv", value=code,
                    expected="ward codes such as E05000887, separated by commas or spaces, or 'none'")
            for code in sorted(selection - codes)]


def index_study_id(boundary_set: str) -> str:
    return f"{pages.ATLAS_DIR}-{pages.BOUNDARY_SET_SLUGS[boundary_set]}"


def atlas_ids(project: Project, studies: dict[str, StudyParams]) -> set[str]:
    """Every id the atlas answers to on the command line (`cityconv run e05000887 atlas-2023`)."""
    return {pages.atlas_id(code) for code, _, _ in profile_only_wards(project, studies)} | {
        index_study_id(s) for s in ctx.BOUNDARY_SETS
    } | {OVERVIEW_ID}


def split_atlas_ids(project: Project, studies: dict[str, StudyParams], ids: list[str] | None
                    ) -> tuple[list[str] | None, set[str] | None]:
    """Split command-line ids into params ids and atlas ids; (ids, None) means "the whole atlas"."""
    if not ids:
        return ids, None
    known = atlas_ids(project, studies) - set(studies)
    ids = [i.lower() if i not in studies and i.lower() in known else i for i in ids]  # E05000887 as ONS writes it
    chosen, wanted = [i for i in ids if i not in known], {i for i in ids if i in known}
    if any(i in studies and studies[i].kind == "ward" for i in chosen):
        wanted |= published_index_ids(project)
    return chosen, wanted


def published_index_ids(project: Project) -> set[str]:
    """The index pages already published: a run of a ward's chapters keeps them current.

    An index links each ward to its profile, in the atlas or among the ward's own chapters. When a
    ward gets a params file, its atlas page leaves the contents, so an index made before then would
    link to a page that is not built; the index re-runs (its cache sees the new params file) and
    links the ward's own profile. Only published indexes: a new index would link atlas pages that
    were never run.
    """
    out_dir = pages.atlas_output_dir(project.generated_dir)
    return {index_study_id(s) for s in ctx.BOUNDARY_SETS if (out_dir / f"{pages.index_stem(s)}.ipynb").exists()}


def _task(project: Project, template: Template, study_id: str, title: str, output: Path, parameters: dict) -> RunTask:
    return RunTask(
        root=project.root, study_id=study_id, study_title=title, data_status=ATLAS_DATA_STATUS, banner=False,
        template_id=template.id, template_title=template.title, template_path=template.path,
        params_path=project.context_dir / "wards.csv", output_path=output, parameters=parameters,
        declared_reads=tuple(template.reads),
    )


def atlas_tasks(project: Project, studies: dict[str, StudyParams], templates: list[Template],
                ids: set[str] | None = None) -> list[RunTask]:
    """The atlas's runs (all, or those whose id is in `ids`): profile-only wards, then the index pages."""
    by_id = {t.id: t for t in templates}
    profile = by_id.get(pages.PROFILE_TEMPLATE_ID)
    out_dir = pages.atlas_output_dir(project.generated_dir)
    tasks: list[RunTask] = []
    if profile is not None:
        for code, name, _ in profile_only_wards(project, studies):
            study_id = pages.atlas_id(code)
            if ids is None or study_id in ids:
                tasks.append(_task(project, profile, study_id, name, out_dir / study_id / f"{profile.stem}.ipynb",
                                   {"study_id": study_id}))
    for boundary_set in ctx.BOUNDARY_SETS:
        index = by_id.get(pages.INDEX_TEMPLATE_IDS[boundary_set])
        study_id = index_study_id(boundary_set)
        if index is not None and (ids is None or study_id in ids):
            tasks.append(_task(project, index, study_id, pages.BOUNDARY_SET_TITLES[boundary_set],
                               out_dir / f"{pages.index_stem(boundary_set)}.ipynb",
                               {"boundary_set": boundary_set}))
    overview = by_id.get(pages.OVERVIEW_TEMPLATE_ID)
    if overview is not None and (ids is None or OVERVIEW_ID in ids):
        tasks.append(_task(project, overview, OVERVIEW_ID, overview.title, out_dir / f"{pages.OVERVIEW_STEM}.ipynb",
                           {"study_id": OVERVIEW_ID}))
    return tasks


def finalize_atlas_page(nb, task: RunTask) -> None:
    """What an atlas page needs after its run: unnumbered figures (captions as text) and, for a profile, the ward
    in its title."""
    if task.data_status != ATLAS_DATA_STATUS:
        return
    unnumber_figures(nb)
    title_profile_page(nb, task)


CAPTION_TAG = "cityconv-figure-caption"


def unnumber_figures(nb) -> None:
    """Give an atlas page's figures their caption as a paragraph after the image, so Sphinx does not number them.

    Sphinx numbers every captioned figure across the whole book unless the contents are section-numbered
    (`sphinx.environment.collectors.toctree.assign_figure_numbers`: with no section number every page shares
    one counter, and `sphinx.transforms.AutoNumbering` gives each captioned figure an id), so the 94 atlas pages
    read "Fig. 490". A figure with no caption is not numbered; the caption then follows the image as text,
    after its alt text, which stays on the image.
    """
    import nbformat

    cells = []
    for cell in nb.cells:
        cells.append(cell)
        figure = cell.get("metadata", {}).get("mystnb", {}).pop("figure", None)
        if figure and figure.get("caption"):
            cells.append(nbformat.v4.new_markdown_cell(f"*{myst_escape(figure['caption'])}*",
                                                       metadata={"tags": [CAPTION_TAG]}))
    nb.cells = cells


def title_profile_page(nb, task: RunTask) -> None:
    """Name the ward in a profile-only page's heading ("Ward profile: Anfield"), which is also its page
    title: 92 pages all titled "Ward profile" would be indistinguishable in tabs, history and search."""
    if task.data_status != ATLAS_DATA_STATUS or task.template_id != pages.PROFILE_TEMPLATE_ID:
        return
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            first, _, rest = cell.source.partition("\n")
            cell.source = f"{first}: {myst_escape(task.study_title)}" + (f"\n{rest}" if rest else "")
            return


def atlas_toc_parts(project: Project) -> list[dict]:
    """The atlas part of the contents: each published index page with its published profile-only pages."""
    from cityconv.core.params import load_all

    out_dir = pages.atlas_output_dir(project.generated_dir)
    if not out_dir.is_dir():
        return []
    studies, _ = load_all(project)
    sets: dict[str, list[str]] = {}
    for code, _, boundary_set in profile_only_wards(project, studies):
        sets.setdefault(boundary_set, []).append(pages.atlas_id(code))
    as_entry = lambda path: path.relative_to(project.root).with_suffix("").as_posix()  # noqa: E731
    chapters = []
    overview_page = out_dir / f"{pages.OVERVIEW_STEM}.ipynb"
    if overview_page.exists():
        chapters.append({"file": as_entry(overview_page)})
    for boundary_set in ctx.BOUNDARY_SETS:
        index_page = out_dir / f"{pages.index_stem(boundary_set)}.ipynb"
        if not index_page.exists():
            continue
        sections = [
            {"file": as_entry(page)}
            for study_id in sets.get(boundary_set, [])
            for page in sorted((out_dir / study_id).glob(f"*{pages.PROFILE_TEMPLATE_ID}.ipynb"))[:1]
        ]
        chapters.append({"file": as_entry(index_page), **({"sections": sections} if sections else {})})
    if chapters:  # the hand-written pages of the atlas (the finder links to an index page)
        chapters += [{"file": page} for page in ATLAS_PAGES if (project.root / f"{page}.md").is_file()]
    return [{"caption": ATLAS_CAPTION, "chapters": chapters}] if chapters else []


# ---- the postcode finder's links

FINDER_DOC = "book/postcode-finder"
PROFILE_LINKS_FILE = f"{pages.ATLAS_DIR}/profile-links.md"  # under book/generated/; book/postcode-finder.md includes it


def profile_links(project: Project) -> dict[str, str]:
    """ward code -> link from the postcode finder to that ward's profile, for every ward of both sets."""
    from cityconv.chapters import ward_pages

    if not (project.context_dir / "wards.csv").exists():
        return {}
    where = ward_pages.load_ward_pages(project)
    if where is None:
        return {}
    index = ctx.ward_index(project.context_dir)
    return {row.code: ward_pages.href(FINDER_DOC, where.doc(row.code, row.boundary_set))
            for row in index.itertuples() if row.boundary_set in ctx.BOUNDARY_SETS and where.has_page(row.code, row.boundary_set)}


def profile_links_markdown(project: Project) -> str:
    """A raw HTML block that hands the finder's script its links (no markup from data: JSON, `<` escaped)."""
    import json

    data = json.dumps(profile_links(project), sort_keys=True).replace("<", "\\u003c")
    return f"```{{raw}} html\n<script>window.CITYCONV_PROFILE_LINKS = {data};</script>\n```\n"

