"""Send one MIME bundle to the notebook's output: the single place the package touches IPython display."""

from __future__ import annotations

#: An output other chapters read (e.g. a ward's findings): the pipeline saves it as the file named by
#: the template's `produces` when the run succeeds.
ARTIFACT_MIME = "application/vnd.cityconv.artifact+json"


def display_bundle(bundle: dict[str, str], metadata: dict | None = None) -> None:
    from IPython.display import display

    display(bundle, raw=True, metadata=metadata or {})
