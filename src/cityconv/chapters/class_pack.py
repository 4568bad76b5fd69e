"""The class pack (being written)."""

from __future__ import annotations

from pathlib import Path


def build_for_book(project_root: Path) -> None:
    return None
