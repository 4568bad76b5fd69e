"""One notebook run as data: everything a worker needs to execute it, and nothing it must look up.

Kept apart from the runner so that book assembly (which labels and finishes a run's notebook) and the
executors can use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunTask:
    """One notebook execution: everything a worker process needs, and nothing it must look up."""

    root: Path
    study_id: str
    study_title: str
    data_status: str
    banner: bool  # label the page as built from reconstructed or synthetic records
    template_id: str
    template_title: str
    template_path: Path
    params_path: Path
    output_path: Path
    parameters: dict[str, object]
    declared_reads: tuple[str, ...] = ()  # the template's `reads` patterns (shared inputs it may open)
    produces: str | None = None  # an artifact file saved beside the output (stage 1 of a ward's runs)
    time_limit: float | None = None  # seconds the whole notebook may run (None: the template's or the default)
    # Fingerprints of the data folders this run's plan validated (`cityconv.data.wardfiles.folder_fingerprint`):
    # the chapter's loader does not check them again. Not an input of the run: a hint that saves work.
    validated_folders: tuple[str, ...] = ()
    # The atlas pages this build makes (`data.context.ATLAS_WARDS_ENV`; None: all): pages link only to those.
    # Part of the run's key, since a page's links depend on it.
    atlas_wards: frozenset[str] | None = None

    @property
    def artifact_path(self) -> Path | None:
        return self.output_path.parent / self.produces if self.produces else None

    @property
    def reads_findings(self) -> bool:
        """Whether this chapter reads its ward's findings artifact (declared in the template's `reads`)."""
        return any("findings.json" in pattern for pattern in self.declared_reads)

    def kernel_environment(self) -> dict[str, str]:
        """What the kernel that runs this task finds in its environment: the project, and what the plan validated."""
        from cityconv.data.context import ATLAS_WARDS_ENV, atlas_selection_text
        from cityconv.data.wardfiles import VALIDATED_FOLDERS_ENV

        return {"CITYCONV_ROOT": str(self.root), VALIDATED_FOLDERS_ENV: " ".join(self.validated_folders),
                ATLAS_WARDS_ENV: atlas_selection_text(self.atlas_wards)}

    @property
    def label(self) -> str:
        return f"{self.study_id}/{self.template_id}"
