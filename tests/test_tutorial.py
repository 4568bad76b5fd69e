"""`book/tutorial.md` is executable documentation: its steps are run, its error messages are real.

Conventions of the tutorial (kept simple so that writers cannot get them wrong):

- A fenced ```bash block whose first line is `# tutorial-step` is a step. The steps are run in
  order, as one bash script with `set -euo pipefail`, from the top folder of a scratch copy of the
  repository. Any other bash block is shown, not run. The one `# tutorial-setup` block, `make book`,
  is reproduced without re-installing and without running a chapter again: the scratch copy links the
  virtual environment of the Python running the tests as `.venv`, and takes every ward's and study's
  chapters (and the manifest that says they are current) from the session's real-book build, which
  ran them with the same `cityconv`.
- A ```text block right after a line `% tutorial-error: <name>` (a MyST comment, invisible in the
  book) is an error example: its first line is `$ <command>`, the other lines are output that the
  command must really print. `MISTAKES[<name>]` below makes the mistake the text describes.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from real_book import ATLAS_SAMPLE_ENV

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "book" / "tutorial.md"
WARD_ID = "orrell-park"
WARD_NAME = "Orrell Park"
STEP_MARK = "# tutorial-step"
ERROR_MARK = re.compile(r"^%\s*tutorial-error:\s*(\S+)\s*$")
FENCE = re.compile(r"^(`{3,})\s*([^`\s]*)\s*$")
BANNER = "Synthetic demonstration data — not findings"
# Not copied into the scratch repository: environments, build output, caches, version control.
IGNORE = {".venv", ".venv-cffconvert", "_build", ".git", "node_modules", ".pytest_cache", "__pycache__",
          "test-artifacts", ".ipynb_checkpoints", ".cityconv"}  # as a clean checkout: no run state


# --------------------------------------------------------------------------------- reading the page


def blocks(text: str) -> list[dict]:
    """Fenced blocks in order: language, body lines, and the `% tutorial-error:` name just before."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2)
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = ERROR_MARK.match(lines[j]) if j >= 0 else None
        body, i = [], i + 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        out.append({"lang": lang, "body": body, "error": marker.group(1) if marker else None})
        i += 1
    return out


def steps(text: str) -> list[str]:
    return [
        "\n".join(b["body"])
        for b in blocks(text)
        if b["lang"] == "bash" and b["body"] and b["body"][0].strip() == STEP_MARK
    ]


def error_examples(text: str) -> list[tuple[str, str, list[str]]]:
    """(name, command, expected output lines) of every error example."""
    out = []
    for b in blocks(text):
        if b["error"]:
            assert b["lang"] == "text" and b["body"][0].startswith("$ "), b
            out.append((b["error"], b["body"][0][2:].strip(), [line.strip() for line in b["body"][1:] if line.strip()]))
    return out


# ------------------------------------------------------------------------------- a scratch repository


def venv_dir() -> Path:
    """The virtual environment running the tests (it holds `cityconv` and `jupyter-book`)."""
    prefix = Path(sys.prefix)
    if not (prefix / "bin" / "activate").exists() or not (Path(sys.executable).parent / "cityconv").exists():
        pytest.skip("tests are not running inside the project's virtual environment")
    return prefix


def scratch_copy(dest: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in IGNORE}
        if Path(folder).resolve() == (REPO / "book").resolve():
            skip.add("generated")
        return skip

    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    for leftover in [dest / "params" / f"{WARD_ID}.yml", dest / "data" / WARD_ID]:
        assert not leftover.exists(), f"the repository already has {leftover.name}: the tutorial would fail"
    (dest / ".venv").symlink_to(venv_dir(), target_is_directory=True)
    return dest


#: The test session's own settings, kept: one notebook worker per command (tests/conftest.py: the
#: session's workers already fill the cores) and the session's print cache (never the developer's
#: ~/.cache/cityconv/print, which a test must neither read nor fill).
SESSION_SETTINGS = {"CITYCONV_JOBS", "CITYCONV_PRINT_CACHE"}


def environment() -> dict[str, str]:
    """A reader's shell: none of their `CITYCONV_` settings (but `SESSION_SETTINGS`), no active venv."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("CITYCONV_") or k in SESSION_SETTINGS) and k != "VIRTUAL_ENV"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    # The chapters copied from the session's real book were built for the atlas's sample
    # (tests/real_book.py): the same selection keeps them current here.
    env.update(ATLAS_SAMPLE_ENV)
    return env


def bash(script: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=environment(), capture_output=True, text=True,
                          timeout=timeout)


def cityconv_here(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """One `cityconv …` command line of the page, run in this process from `cwd` by the command's own
    entry point (`cityconv.cli.main`, which the `cityconv` script calls), with the environment `bash`
    gives it: the same code, arguments, exit code and printed lines, without starting an interpreter
    and importing the package again (about 1.4 CPU s a command). For the commands that stop at an input
    check or write a ward's files; the steps themselves run as fresh processes in
    `test_following_the_tutorial_builds_the_ward`, and `test_unknown_ward_code_changes_nothing` shows a
    refusal through the real `cityconv` script."""
    from cityconv import cli

    argv = shlex.split(command)
    assert argv[0] == "cityconv", command
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    env = environment()
    with pytest.MonkeyPatch.context() as patch:
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.chdir(cwd)
        patch.setattr(sys, "argv", argv)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as exc:  # click, in standalone mode, always ends with one
                code = exc.code
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(argv, returncode, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under root (the .venv link excluded), with file contents hashed."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".venv":
            continue
        out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return out


# -------------------------------------------------------------------- the mistakes the page describes


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _misspelt_code(ward: Path) -> None:  # row 2 says "female" for sex
    rows = _rows(ward / "survey_responses.csv")
    rows[1][rows[0].index("sex")] = "female"
    _write(ward / "survey_responses.csv", rows)


def _short_row(ward: Path) -> None:  # row 4 lost its last cell
    rows = _rows(ward / "survey_responses.csv")
    rows[3] = rows[3][:-1]
    _write(ward / "survey_responses.csv", rows)


def _unknown_column(ward: Path) -> None:  # a "notes" column added
    rows = _rows(ward / "survey_responses.csv")
    rows[0].append("notes")
    for row in rows[1:]:
        row.append("")
    _write(ward / "survey_responses.csv", rows)


def _not_utf8(ward: Path) -> None:  # saved as Excel's plain "CSV (Comma delimited)" (Windows-1252)
    path = ward / "objectives.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert "through a survey" in lines[1], "the example puts a curly apostrophe in the first objective"
    lines[1] = lines[1].replace("through a survey", "through the ward’s own survey", 1)  # as Word or Excel types it
    text = "\n".join(lines)
    path.write_bytes(text.encode("cp1252"))


EXAMPLE_MAPPING = REPO / "book" / "field-kit" / "example-mapping.yml"


def _unmapped_label(ward: Path) -> None:  # the mapping lost its line for "Under 25"
    text = EXAMPLE_MAPPING.read_text(encoding="utf-8")
    assert 'age_band: {"Under 25": "16-24"}' in text
    (ward / "survey-mapping.yml").write_text(text.replace('  age_band: {"Under 25": "16-24"}\n', ""), encoding="utf-8")


def _personal_column(ward: Path) -> None:  # the mapping does not drop the e-mail column
    text = EXAMPLE_MAPPING.read_text(encoding="utf-8")
    assert 'drop: ["Email address"]' in text
    (ward / "survey-mapping.yml").write_text(text.replace('drop: ["Email address"]', "drop: []"), encoding="utf-8")


def _nothing(ward: Path) -> None:
    pass


MISTAKES = {
    "misspelt-code": _misspelt_code,
    "short-row": _short_row,
    "unknown-column": _unknown_column,
    "not-utf8": _not_utf8,
    "unmapped-label": _unmapped_label,
    "personal-column": _personal_column,
    "unknown-ward": _nothing,  # shown right after new-ward, on a fresh ward
    "empty-templates": _nothing,  # a fresh ward, before anything is entered
}
BEFORE_SIMULATE = {"unknown-ward", "empty-templates"}


# ------------------------------------------------------------------------------------------ tests


def test_page_structure() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# Re-run the analysis for your ward"
    script = "\n".join(steps(text))
    for command in (f'cityconv new-ward "{WARD_NAME}"', f"cityconv simulate {WARD_ID}",
                    f"cityconv validate {WARD_ID}", f"cityconv build {WARD_ID}"):
        assert command in script, command
    order = [script.index(c) for c in ("new-ward", "simulate", "validate", "build")]
    assert order == sorted(order)
    for command in (f"cityconv field-kit {WARD_ID}", f"cityconv import-survey {WARD_ID} book/field-kit/example-google-forms.csv"):
        assert command in script, command  # collecting with the kit, then importing an export
    assert script.index("field-kit") < script.index("import-survey") < script.index("cityconv build")
    setup = [b for b in blocks(text) if b["lang"] == "bash" and b["body"][0].startswith("# tutorial-setup")]
    assert [b["body"][1:] for b in setup] == [["make book"]]  # the test reproduces it with `cityconv run`
    assert "{doc}`protecting-respondents`" in text and "CODEBOOK.md" in text
    names = [name for name, _, _ in error_examples(text)]
    assert {"misspelt-code", "short-row", "unknown-column", "not-utf8", "unmapped-label", "personal-column"} <= set(names)
    assert set(names) <= set(MISTAKES), "an error example without a matching mistake in MISTAKES"


@pytest.mark.slow  # the tutorial's command lines in a copy of the repository
def test_error_messages_on_the_page_are_real(tmp_path: Path) -> None:
    """Make each mistake in a scratch copy, run the command shown, and find every line shown.

    The commands run in this process (`cityconv_here`: the entry point the `cityconv` script calls),
    not as ten fresh processes: what they print and their exit code are the same."""
    text = TUTORIAL.read_text(encoding="utf-8")
    root = scratch_copy(tmp_path / "repo")
    ward = root / "data" / WARD_ID
    assert cityconv_here(f'cityconv new-ward "{WARD_NAME}"', root).returncode == 0
    examples = error_examples(text)

    def check(name: str, command: str, expected: list[str]) -> None:
        backup = tmp_path / "backup"
        shutil.copytree(ward, backup)
        try:
            MISTAKES[name](ward)
            done = cityconv_here(command, root)
            shown = [line.strip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
            assert done.returncode == 2, (name, done.stdout, done.stderr)
            for line in expected:
                assert line in shown, f"{name}: the page shows\n{line}\nbut the tool printed\n" + "\n".join(shown)
        finally:
            shutil.rmtree(ward)
            shutil.move(backup, ward)

    for name, command, expected in examples:
        if name in BEFORE_SIMULATE:
            check(name, command, expected)
    simulate = next(line for line in "\n".join(steps(text)).splitlines() if line.startswith("cityconv simulate"))
    done = cityconv_here(simulate, root)
    assert done.returncode == 0, done.stderr
    for name, command, expected in examples:
        if name not in BEFORE_SIMULATE:
            check(name, command, expected)


def test_unknown_ward_code_changes_nothing(tmp_path: Path) -> None:
    """A refusal as a reader meets it: the real `cityconv` script in a fresh process (exit 2, one line
    per problem, no traceback), and nothing in the repository changes."""
    root = scratch_copy(tmp_path / "repo")
    before = snapshot(root)
    done = bash("cityconv new-ward E05099999", root)
    assert done.returncode == 2
    assert "unknown ward 'E05099999' (not a Liverpool ward code or name; did you mean" in done.stderr
    assert "nothing was changed" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(root) == before


@pytest.mark.slow  # the tutorial's command lines in a copy of the repository
def test_overwrite_attempts_change_nothing(tmp_path: Path) -> None:
    """Every command that would write over a ward's files refuses (exit 2) and changes no file.

    In this process (`cityconv_here`), as in the test above."""
    root = scratch_copy(tmp_path / "repo")
    assert cityconv_here(f'cityconv new-ward "{WARD_NAME}"', root).returncode == 0
    assert cityconv_here(f"cityconv simulate {WARD_ID}", root).returncode == 0
    before = snapshot(root)

    again = cityconv_here(f'cityconv new-ward "{WARD_NAME}"', root)
    assert again.returncode == 2
    assert f"params/{WARD_ID}.yml: already exists: ward or study '{WARD_ID}' is already set up; nothing was written" in again.stderr
    assert f"data/{WARD_ID}: already exists; nothing was written" in again.stderr
    assert snapshot(root) == before

    same_id = cityconv_here(f"cityconv new-ward Walton --id {WARD_ID}", root)  # another ward, the same id
    assert same_id.returncode == 2 and "already exists" in same_id.stderr
    assert snapshot(root) == before

    resimulate = cityconv_here(f"cityconv simulate {WARD_ID} --seed 1", root)
    assert resimulate.returncode == 2
    assert f"data/{WARD_ID}/survey_responses.csv: already holds data" in resimulate.stderr
    assert "--overwrite" in resimulate.stderr
    assert snapshot(root) == before

    misspelt = cityconv_here("cityconv build orrel-park", root)
    assert misspelt.returncode == 2 and "did you mean 'orrell-park'?" in misspelt.stderr
    assert snapshot(root) == before  # nothing run, nothing rendered


@pytest.mark.slow
@pytest.mark.realbook
def test_following_the_tutorial_builds_the_ward(tmp_path: Path, real_book: Path) -> None:
    """Run every `# tutorial-step` block in order; the ward's chapters are then in the book."""
    text = TUTORIAL.read_text(encoding="utf-8")
    root = scratch_copy(tmp_path / "repo")
    # Set-up, as `make book` leaves it: every other ward's and study's chapters already run (the
    # book's hand-written pages link to some of them), and the book's other files already made (the
    # field kits, the class pack, the all-wards downloads, the landing page's part), copied from the
    # session's real-book build (tests/real_book.py), which made every one of them from this repository
    # with the same code, with the manifest that records them. Not the ward atlas (94 profile pages the
    # tutorial does not need; the real-book tests cover it; its finder's links are made again from
    # params/), nor the source offer (the real book's copy is a Git checkout and offers its archive;
    # this copy is not, and makes its own). Running `cityconv run` over them once more would only find
    # them current (2.4 CPU s); the tutorial's own `cityconv build` below is what must accept them (it
    # remakes only the files the new ward changes: its kit, the kits' list, the landing page's part:
    # about 10 CPU s less than making all again), and it renders them into the book.
    params_ids = sorted(p.stem for p in (root / "params").glob("*.y*ml"))
    generated = real_book / "book" / "generated"
    for name in params_ids:
        assert (generated / name).is_dir(), f"the session's real book has no chapters for {name}"
    for name in ("field-kit", "class-pack", "atlas-downloads"):
        assert (generated / name).is_dir(), f"the session's real book has no {name}"
    shutil.copytree(generated, root / "book" / "generated",
                    ignore=lambda folder, names: {n for n in names if n.startswith(".") and n.endswith(".running.ipynb")}
                    | ({"atlas", "source"} if Path(folder) == generated else set()))
    parts = ["set -euo pipefail"]
    for n, step in enumerate(steps(text), 1):
        parts += [f"echo '>>> tutorial step {n}'", step]
    done = bash("\n".join(parts), root, timeout=1800)
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}"

    ward_templates = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("cityconv", {})
        if "ward" in meta.get("applies_to", []) and not meta.get("produces"):  # an artifact, not a page
            ward_templates.append((path.stem, meta.get("uses_records", True)))
    assert ward_templates, "no ward chapter templates"
    toc = (root / "_build" / "toc.yml").read_text(encoding="utf-8")
    assert f'"{WARD_NAME} (synthetic demonstration)"' in toc
    for stem, uses_records in ward_templates:
        assert f"file: book/generated/{WARD_ID}/{stem}" in toc, stem
        page = root / "_build" / "html" / "book" / "generated" / WARD_ID / f"{stem}.html"
        assert page.exists(), page
        # records pages carry the synthetic banner; the census profile is real data and does not
        assert (BANNER in page.read_text(encoding="utf-8")) == uses_records, f"{stem}: synthetic-data banner wrong"
    assert (root / "_build" / "html" / "index.html").exists()
    assert "Book:" in done.stdout
    kit = root / "_build" / "field-kit" / WARD_ID
    for name in ("questionnaire", "information-and-consent", "privacy-notice", "interview-topic-guide",
                 "workshop-plan", "coding-frame", "safeguarding"):
        assert (kit / f"{name}.pdf").stat().st_size > 0, name
    assert "Would you recommend Orrell Park as a place to live?" in (kit / "questionnaire.html").read_text(encoding="utf-8")
    assert "imported 40 responses" in done.stdout
    # what the copied set-up spared: the files the new ward does not change were found current
    assert "built bundle:class-pack" not in done.stdout and "built pdf:field-kit/clubmoor" not in done.stdout
    assert "built page:field-kit/orrell-park" in done.stdout
    survey_page = (root / "_build" / "html" / "book" / "generated" / WARD_ID / "03-residents-survey.html").read_text(encoding="utf-8")
    assert "Would you recommend Orrell Park as a place to live?" in survey_page and "Ducky" not in survey_page
