"""Pins agree: pyproject.toml's ranges are satisfied by requirements.lock, and environment.yml = lock."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from write_environment_yml import pins  # noqa: E402


def lock_pins() -> dict[str, str]:
    found = {}
    for pin in pins((ROOT / "requirements.lock").read_text(encoding="utf-8")):
        name, version = pin.split("==")
        found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_every_lock_line_is_pinned_with_hashes() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert entries and all("==" in line and line.endswith("\\") for line in entries)
    assert text.count("--hash=sha256:") >= len(entries)


def test_pyproject_requirements_are_met_by_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = lock_pins()
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{req.name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req.name}=={locked[name]} violates {spec}"


def test_jupyter_book_stays_below_2() -> None:
    assert lock_pins()["jupyter-book"].startswith("1.")


def test_environment_yml_carries_the_lock_pins() -> None:
    env = (ROOT / "environment.yml").read_text(encoding="utf-8")
    env_pins = re.findall(r"^\s+- ([A-Za-z0-9_.\-\[\]]+==\S+)$", env, flags=re.M)
    expected = pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert env_pins == expected, "environment.yml differs from requirements.lock: run `make lock`"
    assert "python=3.11" in env


def test_importing_the_package_keeps_jsonschema_from_compiling_iri_grammars() -> None:
    """`import cityconv` marks `rfc3987_syntax` absent, so nbformat's jsonschema import stays fast,
    and notebook validation (which uses no "iri" format) still works."""
    import subprocess
    import sys

    code = (
        "import sys, cityconv, nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "print('lark' in sys.modules, 'jsonschema' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]



def test_a_render_runs_jupyter_books_command_line_without_the_iri_grammars(tmp_path, monkeypatch) -> None:
    """`render` starts Jupyter Book's own command line through `pipeline.jupyter_book_command`, which
    imports `cityconv` first: its configuration check (jsonschema) then compiles no Lark grammar, and
    its arguments, output and exit codes are the `jupyter-book` script's."""
    import subprocess
    import sys

    from cityconv.core.paths import Project
    from cityconv.pipeline import book

    calls = []
    monkeypatch.setattr(subprocess, "call", lambda command, **kwargs: calls.append(command) or 0)
    assert book.render(Project(tmp_path)) == 0
    assert calls == [[sys.executable, "-m", "cityconv.pipeline.jupyter_book_command",
                      *book.render_arguments(Project(tmp_path))]]

    command = [sys.executable, "-m", "cityconv.pipeline.jupyter_book_command"]
    check = "import cityconv.pipeline.jupyter_book_command, jupyter_book.config, sys; print('lark' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.split() == ["False"]
    version = subprocess.run([*command, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "Jupyter Book" in version.stdout
    missing = subprocess.run([*command, "build", str(tmp_path / "no-such-book")], capture_output=True, text=True)
    assert missing.returncode != 0
