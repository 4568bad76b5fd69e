"""The deny-list of names the personal-information screen looks for, read from a file kept outside
the repository (real names must never be committed). File and environment access live here, in the data
layer, so that `cityconv.methods.pii` stays pure."""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from cityconv.core.paths import ROOT_MARKERS

__all__ = ["DEFAULT_DENYLIST", "DENYLIST_ENV", "Denylist", "NoDenylistWarning", "denylist_path", "load_denylist"]

DENYLIST_ENV = "CITYCONV_DENYLIST"
DEFAULT_DENYLIST = Path("~/.config/cityconv/denylist.txt")


class NoDenylistWarning(UserWarning):
    """The PII screen ran without a deny-list of names."""


@dataclass(frozen=True)
class Denylist:
    """Names to look for, loaded from a file outside the repository (None path: no file found)."""

    path: Path | None
    names: tuple[str, ...] = ()
    pattern: re.Pattern | None = None

    @property
    def note(self) -> str:
        if self.path is None:
            return (
                f"No deny-list of names found (set {DENYLIST_ENV} or create {DEFAULT_DENYLIST}): the "
                "screen ran without a deny-list, so names were not checked."
            )
        return f"Names were checked against a deny-list of {len(self.names)} name(s)."


def denylist_path() -> Path:
    """$CITYCONV_DENYLIST, else ~/.config/cityconv/denylist.txt (which may not exist)."""
    env = os.environ.get(DENYLIST_ENV)
    return Path(env).expanduser() if env else DEFAULT_DENYLIST.expanduser()


def _inside_a_project(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if all((parent / marker).exists() for marker in ROOT_MARKERS):
            return parent
    return None


_DENYLIST_CACHE: dict[tuple, Denylist] = {}


def load_denylist(path: Path | None = None) -> Denylist:
    """Read the deny-list: one name per line; blank lines and lines starting with # are ignored.

    A missing file gives an empty Denylist (``path=None``) and a `NoDenylistWarning`. A file inside a
    cityconv project is refused: real names must never be committed.
    """
    path = Path(path) if path is not None else denylist_path()
    if not path.is_file():
        warnings.warn(Denylist(None).note, NoDenylistWarning, stacklevel=2)
        return Denylist(None)
    project = _inside_a_project(path)
    if project is not None:
        raise ValueError(
            f"the deny-list {path} is inside the project at {project}: keep it outside the repository "
            f"(e.g. {DEFAULT_DENYLIST}) and point {DENYLIST_ENV} at it"
        )
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _DENYLIST_CACHE:
        text = path.read_text(encoding="utf-8-sig")
        names = tuple(
            dict.fromkeys(
                line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
            )
        )
        pattern = None
        if names:
            alternatives = sorted(
                (r"\s+".join(re.escape(part) for part in name.split()) for name in names), key=len, reverse=True
            )
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
        _DENYLIST_CACHE[key] = Denylist(path, names, pattern)
    return _DENYLIST_CACHE[key]
