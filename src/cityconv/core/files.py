"""Writing files so that a failure leaves things as they were: one file, or a set of files together.

Why: with one target not writable (a file Excel holds open, a full disk), an import that replaced
files one by one left `survey_mentions.csv` pointing at responses it had removed, and a manifest
save on a full disk left a 200 KB temporary file behind. Here a write either completes or is
undone, and the error comes back as a `Problem` for the one-line report.

`file_stamp` is the other side: the key under which a file's parsed contents may be cached, so that a
file read several times by one chapter is parsed once and an edited file is read again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

from cityconv.core.problems import InputError, Problem

# `.<name>.<pid>.tmp`: the temporary file of an atomic write by process <pid>
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")


def file_stamp(path: Path) -> tuple[str, int, int]:
    """(path, modification time in ns, size): changes whenever the file is rewritten, so a cache keyed on it
    never serves an old parse. Raises FileNotFoundError for a missing file, as reading it would."""
    info = os.stat(path)
    return str(path), info.st_mtime_ns, info.st_size


def os_error_problem(exc: OSError, name: str, doing: str) -> Problem:
    """An operating-system error as a one-line problem: what we were doing, where, and why."""
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied",
              errno.EROFS: "the file system is read-only"}.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    return Problem(name, f"could not {doing}: {reason}",
                   expected="free space and write permission there" if exc.errno in (errno.ENOSPC, errno.EDQUOT,
                                                                                     errno.EACCES, errno.EPERM) else None)


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` in one rename; on any failure the temporary file is removed and the
    old file stays as it was (the OSError is raised for the caller to report)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files of atomic writes whose process is gone (killed, or stopped by a full disk)."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def replace_all(moves: dict[Path, Path], removals: tuple[Path, ...] = (), name: str = "") -> None:
    """Move each staged file onto its target and delete `removals`: all of it, or none of it.

    The current targets are first copied aside; if any step fails, every target is put back as it
    was and InputError names the file that could not be written.
    """
    targets = [*moves.values(), *removals]
    if not targets:
        return
    backup = Path(tempfile.mkdtemp(prefix=".replace-", dir=Path(targets[0]).parent))
    saved: dict[Path, Path | None] = {}
    try:
        for index, target in enumerate(targets):
            target = Path(target)
            if target.exists():
                copy = backup / f"{index}-{target.name}"
                shutil.copy2(target, copy)
                saved[target] = copy
            else:
                saved[target] = None
        current = None
        try:
            for staged, target in moves.items():
                current = Path(target)
                os.replace(staged, target)
            for target in removals:
                current = Path(target)
                Path(target).unlink(missing_ok=True)
        except OSError as exc:
            _restore(saved)
            where = name or str(current)
            raise InputError([os_error_problem(exc, where, f"write {Path(str(current)).name}"),
                              Problem(where, "nothing was changed: every file was put back as it was")]) from None
    except OSError as exc:  # copying aside failed: nothing has been replaced yet
        raise InputError([os_error_problem(exc, name or str(targets[0]), "keep a copy of the files before replacing them")]) from None
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def _restore(saved: dict[Path, Path | None]) -> None:
    """Put every target back: the copy taken before, or no file where there was none."""
    for target, copy in saved.items():
        with contextlib.suppress(OSError):
            if copy is None:
                target.unlink(missing_ok=True)
            else:
                shutil.copy2(copy, target.with_name(f".{target.name}.restore"))
                os.replace(target.with_name(f".{target.name}.restore"), target)
