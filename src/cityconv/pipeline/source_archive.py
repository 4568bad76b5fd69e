"""The source archive every edition carries: exactly the tracked files that built it.

A reader who wants to re-run the book needs the code, templates, params, ward data and lock files of
the commit that made it, not whatever a repository holds today. The archive is the project's
`git ls-files` (their contents as built, so uncommitted edits are in it and the archive says the tree
was dirty rather than pretend it is the commit), with `SOURCE.json` (commit, dirty or not, version)
inside, and a SHA-256 checksum file beside it. The archive is reproducible: sorted members, fixed
owners and times, so the same tree gives the same bytes and checksum.

The page `offer.md` names the archive, its checksum and commit, and the public repository address
and DOI when `CITATION.cff` gives them (`repository-code`, `doi`; the one place they are configured);
book pages include it. Without a Git checkout there is no archive and the page says so.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from cityconv.core.paths import Project

OUTPUT = "book/generated/source"
ARCHIVE_NAME = "cityconv-source.tar.gz"
CHECKSUM_NAME = ARCHIVE_NAME + ".sha256"
METADATA_NAME = "SOURCE.json"
OFFER_NAME = "offer.md"
CITATION_FILE = "CITATION.cff"


class NotACheckout(RuntimeError):
    """The project is not a Git working tree, so there is no list of tracked files to archive."""


@dataclass(frozen=True)
class SourceState:
    """What the archive is made from: the commit, whether the tree differs from it, and the files."""

    commit: str
    dirty: bool
    files: tuple[str, ...]
    commit_time: int
    diff_digest: str

    @property
    def label(self) -> str:
        """The archive's top folder: names the commit, and says when the tree was not clean."""
        return f"cityconv-{self.commit[:12]}" + ("-dirty" if self.dirty else "")

    def fingerprint(self) -> list[object]:
        """What decides whether an archive already made is still this tree's."""
        return [self.commit, self.diff_digest, list(self.files)]


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise NotACheckout("git is not installed") from exc
    if done.returncode != 0:
        raise NotACheckout(done.stderr.decode("utf-8", "replace").strip().splitlines()[0] if done.stderr else "git failed")
    return done.stdout


def is_checkout(root: Path) -> bool:
    """True when `root` is the top of a Git working tree with at least one commit."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
        _git(root, "rev-parse", "--verify", "HEAD")
    except NotACheckout:
        return False
    return Path(top).resolve() == Path(root).resolve()


def source_state(root: Path) -> SourceState:
    """The commit, dirtiness and tracked files of the checkout at `root` (deleted tracked files left out)."""
    commit = _git(root, "rev-parse", "HEAD").decode().strip()
    listed = [name for name in _git(root, "ls-files", "-z").decode("utf-8").split("\0") if name]
    files = tuple(sorted(name for name in listed if (Path(root) / name).is_file()))
    diff = _git(root, "diff", "HEAD", "--binary")
    return SourceState(
        commit=commit, dirty=bool(diff), files=files,
        commit_time=int(_git(root, "show", "-s", "--format=%ct", "HEAD").decode().strip()),
        diff_digest=hashlib.sha256(diff).hexdigest(),
    )


def package_version() -> str:
    from cityconv import __version__

    return __version__


def metadata(state: SourceState) -> dict[str, object]:
    """`SOURCE.json`: what a reader needs to know which tree this is."""
    return {
        "commit": state.commit,
        "dirty": state.dirty,
        "note": ("built from this commit with uncommitted changes to tracked files; the archive holds the "
                 "files as built, not as committed") if state.dirty else "the tracked files of this commit",
        "version": package_version(),
        "files": len(state.files),
    }


def archive_bytes(root: Path, state: SourceState) -> bytes:
    """A reproducible .tar.gz of the tracked files under one top folder, with `SOURCE.json`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(f"{state.label}/{name}")
            info.size, info.mode, info.mtime = len(data), mode, state.commit_time
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))

        for name in state.files:
            path = Path(root) / name
            add(name, path.read_bytes(), 0o755 if path.stat().st_mode & 0o100 else 0o644)
        add(METADATA_NAME, (json.dumps(metadata(state), indent=2) + "\n").encode("utf-8"))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def archive_files(project: Project) -> dict[Path, bytes]:
    """The archive, its checksum file and `SOURCE.json` (with the checksum), by their paths under `OUTPUT`."""
    state = source_state(project.root)
    out_dir = project.root / OUTPUT
    data = archive_bytes(project.root, state)
    digest = hashlib.sha256(data).hexdigest()
    info = {**metadata(state), "archive": ARCHIVE_NAME, "sha256": digest}
    return {
        out_dir / ARCHIVE_NAME: data,
        out_dir / CHECKSUM_NAME: f"{digest}  {ARCHIVE_NAME}\n".encode("ascii"),
        out_dir / METADATA_NAME: (json.dumps(info, indent=2) + "\n").encode("utf-8"),
    }


def public_identifiers(root: Path) -> dict[str, str]:
    """The repository address and DOI from `CITATION.cff`, only those it gives (nothing invented)."""
    path = Path(root) / CITATION_FILE
    if not path.is_file():
        return {}
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    found = {key: str(data[key]).strip() for key in ("repository-code", "doi") if data.get(key)}
    return found


def offer_markdown(root: Path) -> str:
    """The paragraph book pages include to offer the source of this edition (links from the book's top folder)."""
    ids = public_identifiers(root)
    lines = []
    meta = Path(root) / OUTPUT / METADATA_NAME
    if meta.is_file():
        info = json.loads(meta.read_text(encoding="utf-8"))
        link = f"/{OUTPUT}/{ARCHIVE_NAME}"  # from the book's top folder, so any page may include this
        state = (f"commit `{info['commit']}`, with uncommitted changes to tracked files (the archive holds "
                 "them as built; its top folder ends in `-dirty`)") if info["dirty"] else f"commit `{info['commit']}`"
        lines += [
            f"**The source of this edition.** {{download}}`{ARCHIVE_NAME} <{link}>` holds exactly the files "
            f"that built this book: the tracked files of {state} — code, chapter templates, params, ward "
            "data and lock files — and `SOURCE.json`, which records the commit. Its SHA-256 checksum is "
            f"`{info['sha256']}` ({{download}}`checksum file </{OUTPUT}/{CHECKSUM_NAME}>`). Unpack it "
            "beside the open data and run `make book` in its top folder to build this edition again.",
        ]
    else:
        lines.append("**The source of this edition.** This copy of the book was not built from a Git checkout, "
                     "so it carries no source archive.")
    if "repository-code" in ids:
        lines.append(f"The code is also kept in a public repository: <{ids['repository-code']}>.")
    if "doi" in ids:
        lines.append(f"This edition's DOI is [{ids['doi']}](https://doi.org/{ids['doi']}).")
    return "\n\n".join(lines) + "\n"
