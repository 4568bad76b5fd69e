"""What every chapter template starts from: one call that loads a ward's params, data and context.

Templates stay thin and identical in their first lines:

    from cityconv.chapters.loader import open_chapter
    ch = open_chapter(study_id)

so the loading, validation and disclosure settings are written once, here, and tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cityconv.core.params import StudyParams, load_params
from cityconv.core.paths import Project
from cityconv.data.context import WardContext, load_context
from cityconv.data.wardfiles import WardData, has_no_data_rows, load_ward_data
from cityconv.methods.disclosure import DisclosureRules

SOURCE_RECORDS = {
    "observed": "{title} engagement records",
    "reconstructed": "{title} engagement records as reconstructed to agree with the published summary "
    "(City Conversation in Clubmoor findings presentation, 2020–21); not the original responses",
    "synthetic": "synthetic demonstration records for {title} — not findings",
}


@dataclass(frozen=True)
class Chapter:
    """A ward's (or study's) inputs, loaded and validated, as a chapter template needs them."""

    project: Project
    params: StudyParams
    data: WardData | None
    context: WardContext | None
    rules: DisclosureRules

    @property
    def title(self) -> str:
        return self.params.title

    @property
    def data_status(self) -> str:
        """What this ward's engagement records are: "observed", "reconstructed" or "synthetic".

        Chapters pass it to every `Table` and `Chart` built from the records, so the CSV downloads and
        figure captions say it (`cityconv.present.status`).
        """
        return self.params.data_status

    @property
    def records_source(self) -> str:
        """The source line for any table or figure built from this ward's engagement records."""
        return SOURCE_RECORDS[self.params.data_status].format(title=self.params.title)


def open_chapter(study_id: str, root: Path | None = None) -> Chapter:
    """Load everything a chapter needs; raise a clear error (never a half-loaded chapter)."""
    project = Project(Path(root).resolve()) if root else Project.discover()
    params = load_params(project.params_file(study_id), project.root)
    has_data = params.kind == "ward" and params.data_dir is not None
    data = load_ward_data(project.root / params.data_dir, project.root) if has_data and params.data_dir else None
    context = None
    if params.ward is not None and project.context_dir.is_dir():
        context = load_context(project.context_dir, params.ward.code, params.ward.boundary_set)
    rules = DisclosureRules(**params.disclosure.model_dump())
    return Chapter(project, params, data, context, rules)


def not_started(project: Project, params: StudyParams) -> bool:
    """A ward made by `cityconv new-ward` and not filled in yet (no data file has a data row).

    Why here: every chapter that compares wards leaves such a ward out with one line saying so, instead
    of failing on its empty files; the build's plan makes the same test (pipeline.runner)."""
    folder = project.root / params.data_dir if params.data_dir else None
    return params.kind == "ward" and folder is not None and folder.is_dir() and has_no_data_rows(folder)
