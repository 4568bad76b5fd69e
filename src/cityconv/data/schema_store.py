"""The frictionless Table Schemas shipped with the package (`data/schemas/<folder>/<stem>.schema.json`)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_PACKAGE = "cityconv.data"
SUFFIX = ".schema.json"


@lru_cache(maxsize=None)
def schema_texts(folder: str) -> dict[str, str]:
    """stem -> schema text for every schema in `data/schemas/<folder>/` (read once per process)."""
    root = resources.files(SCHEMA_PACKAGE).joinpath("schemas", folder)
    return {entry.name[: -len(SUFFIX)]: entry.read_text(encoding="utf-8") for entry in root.iterdir() if entry.name.endswith(SUFFIX)}


def schema_descriptor(folder: str, stem: str) -> dict[str, Any]:
    """The Table Schema for `<stem>.csv` as a fresh dict (callers may change it)."""
    texts = schema_texts(folder)
    try:
        return json.loads(texts[stem])
    except KeyError:
        raise KeyError(f"no {folder} schema for {stem!r}; known: {', '.join(sorted(texts))}") from None
