"""Send one MIME bundle to the notebook's output: the single place the package touches IPython display."""

from __future__ import annotations


def display_bundle(bundle: dict[str, str], metadata: dict | None = None) -> None:
    from IPython.display import display

    display(bundle, raw=True, metadata=metadata or {})
