"""Make a release: `prepare` sets one version and date everywhere, `collect` gathers the built edition.

`make release VERSION=x.y.z` runs `prepare` (refuses a dirty tree; sets the version and date in
pyproject.toml, CITATION.cff, .zenodo.json and _config.yml; moves CHANGELOG.md's Unreleased section
under the version; commits that as "Release x.y.z" so the edition's source archive is of a clean
commit), then builds the book and the PDFs, then `collect`: the zipped HTML site, the PDFs and the
source archive, with a SHA256SUMS file, into `_build/release/x.y.z/`.

The version is written by this tool only; tests/test_citation.py checks that every file agrees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
UNRELEASED = "## [Unreleased]"


class ReleaseError(Exception):
    """A reason the release cannot go ahead, said in one line."""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def refuse_dirty_tree(root: Path) -> None:
    """A release is of a commit: uncommitted changes (tracked or untracked, not ignored) stop it."""
    changed = [line[3:] for line in git(root, "status", "--porcelain").splitlines() if line.strip()]
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise ReleaseError(f"the working tree has uncommitted changes ({shown}); commit or stash them, then "
                           "run make release again")


def substitute(path: Path, pattern: str, replacement: str, count: int = 1) -> None:
    """Replace `count` matches of `pattern` (multiline regex) in a file, or say which line was not found."""
    text = path.read_text(encoding="utf-8")
    new, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if found != count:
        raise ReleaseError(f"{path.name}: expected {count} line(s) matching {pattern!r}, found {found}")
    path.write_text(new, encoding="utf-8")


def set_version(root: Path, version: str, date: str) -> None:
    """Write the version and release date into every file that carries them."""
    year = date[:4]
    substitute(root / "pyproject.toml", r'^version = "[^"]*"', f'version = "{version}"')
    cff = root / "CITATION.cff"
    substitute(cff, r'^(\s*version: )"[^"]*"', rf'\g<1>"{version}"', count=2)
    substitute(cff, r'^date-released: "[^"]*"', f'date-released: "{date}"')
    substitute(cff, r"^(\s+year: )\d{4}", rf"\g<1>{year}")
    zenodo_path = root / ".zenodo.json"
    zenodo = json.loads(zenodo_path.read_text(encoding="utf-8"))
    zenodo.update(version=version, publication_date=date)
    zenodo_path.write_text(json.dumps(zenodo, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    config = root / "_config.yml"
    substitute(config, r'^(\s+version: )"[^"]*"', rf'\g<1>"{version}"')
    substitute(config, r'^(\s+year: )"[^"]*"', rf'\g<1>"{year}"')
    substitute(config, r'^(\s+date_released: )"[^"]*"', rf'\g<1>"{date}"')
    substitute(config, r"^(\s+<p>Version )\d+\.\d+\.\d+", rf"\g<1>{version}")
    substitute(config, r'^copyright: "[^"]*"', f'copyright: "{year}"')


def move_unreleased(root: Path, version: str, date: str) -> None:
    """CHANGELOG.md: what was Unreleased becomes the version's section; a new empty Unreleased above it."""
    path = root / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    if UNRELEASED not in text:
        raise ReleaseError(f"CHANGELOG.md has no '{UNRELEASED}' section to release")
    if re.search(rf"^## \[{re.escape(version)}\]", text, flags=re.MULTILINE):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    body = text.split(UNRELEASED, 1)[1].split("\n## [", 1)[0]
    if not body.strip():
        raise ReleaseError("CHANGELOG.md's Unreleased section is empty: say what changed before releasing")
    path.write_text(text.replace(UNRELEASED, f"{UNRELEASED}\n\n## [{version}] - {date}", 1), encoding="utf-8")


def prepare(root: Path, version: str, date: str) -> None:
    if not VERSION_PATTERN.match(version):
        raise ReleaseError(f"VERSION={version!r} is not a version number: expected x.y.z, e.g. 0.2.0")
    refuse_dirty_tree(root)
    set_version(root, version, date)
    move_unreleased(root, version, date)
    git(root, "commit", "-q", "-a", "-m", f"Release {version}")
    print(f"release {version} ({date}): version set, changelog moved, committed as 'Release {version}'")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect(root: Path, version: str) -> Path:
    """Gather the built edition into `_build/release/<version>/` with a SHA256SUMS file."""
    out = root / "_build" / "release" / version
    html, pdfs = root / "_build" / "html", root / "_build" / "pdf"
    source = root / "book" / "generated" / "source" / "cityconv-source.tar.gz"
    for needed in (html / "index.html", source):
        if not needed.is_file():
            raise ReleaseError(f"{needed.relative_to(root)} is missing: build the book first (make book)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.make_archive(str(out / f"cityconv-{version}-html"), "zip", root_dir=html)
    shutil.copy2(source, out / f"cityconv-{version}-source.tar.gz")
    for pdf in sorted(pdfs.glob("*.pdf")):
        shutil.copy2(pdf, out / pdf.name)
    sums = [f"{sha256(p)}  {p.name}" for p in sorted(out.iterdir())]
    (out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    print(f"release {version}: {len(sums)} files and SHA256SUMS in {out.relative_to(root)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "collect"))
    parser.add_argument("version")
    parser.add_argument("--date", default=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                        help="release date, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    try:
        dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"release: --date {args.date!r} is not a date: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        if args.step == "prepare":
            prepare(args.root, args.version, args.date)
        else:
            collect(args.root, args.version)
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
