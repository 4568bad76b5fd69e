"""Helpers for tests: small notebooks written on the fly, and a small project laid out like the real one.

A plain module rather than conftest.py: tests/ and tests/browser/ each have a conftest, and
`from conftest import …` would pick whichever pytest imported first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

from cityconv.pipeline.book import TOC_BEGIN, TOC_END

REPO = Path(__file__).resolve().parents[1]

_WARM_KERNEL: Any = None  # this test process's WarmKernel, started on first use (`run_notebook`)


def warm_kernel() -> Any:
    """This test process's `WarmKernel`, made on first use; `stop_warm_kernel` shuts it down."""
    from cityconv.pipeline.warm_kernel import WarmKernel

    global _WARM_KERNEL
    if _WARM_KERNEL is None:
        _WARM_KERNEL = WarmKernel()
    return _WARM_KERNEL


def run_task(task: Any) -> Any:
    """Run a planned `RunTask` on this test process's warm kernel and publish it, as `cityconv run` does."""
    from cityconv.pipeline.execute import publish_result

    return publish_result(warm_kernel().run(task))


def run_notebook(template: Path, out: Path, parameters: dict[str, Any], root: Path) -> nbformat.NotebookNode:
    """Run a notebook with papermill on this test process's warm kernel, as `cityconv run` runs a chapter.

    A fresh kernel per notebook costs about 3 CPU s to start and import the stack; the warm kernel is
    reset between notebooks (`cityconv.pipeline.warm_kernel`), and tests/test_executors.py holds its
    chapters identical to a fresh kernel's. The notebook sees this process's environment, as a fresh kernel
    started now would, with the project `root` as its working folder and `CITYCONV_ROOT`. An error in a
    cell raises papermill's `PapermillExecutionError`, as `papermill.execute_notebook` does.
    """
    import papermill

    from cityconv.pipeline.warm_kernel import ENGINE_NAME

    kernel = warm_kernel()
    kernel.prepare(str(root), {**os.environ, "CITYCONV_ROOT": str(root)})
    try:
        papermill.execute_notebook(str(template), str(out), parameters=parameters, cwd=str(root),
                                   engine_name=ENGINE_NAME, km=kernel.km, progress_bar=False)
    finally:
        kernel.used += 1
    return nbformat.read(out, as_version=4)


def stop_warm_kernel() -> None:
    """Shut down this process's warm kernel, if `run_notebook` started one (at the session's end)."""
    global _WARM_KERNEL
    if _WARM_KERNEL is not None:
        _WARM_KERNEL.shutdown()
        _WARM_KERNEL = None


def write_template(
    path: Path,
    *,
    title: str,
    parameters: str = 'study_id = "clubmoor"',
    code: list[str] | None = None,
    applies_to: tuple[str, ...] = ("ward",),
    reads: tuple[str, ...] = (),
    parameters_cells: int = 1,
) -> Path:
    """Write a chapter template the way the real ones are written: title, parameters cell, code."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["cityconv"] = {"title": title, "applies_to": list(applies_to), "reads": list(reads)}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
    for _ in range(parameters_cells):
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    for source in code or []:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_mini_project(root: Path) -> Path:
    """A two-ward project with two fast templates, laid out exactly like the real one.

    Both wards use a copy of the real Clubmoor data (so the real schemas apply) and the real derived
    ward context; the templates import only the package so each run takes about a second.
    """
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copy(REPO / "references.bib", root / "references.bib")
    # A table of contents of its own, so the fixture does not depend on the real book's pages.
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nparts:\n- caption: About this book\n  chapters:\n"
        "  - file: book/about-the-data\n  - file: book/references\n" + TOC_BEGIN + "\n" + TOC_END + "\n",
        encoding="utf-8",
    )
    (root / "book").mkdir()
    (root / "book" / "index.md").write_text("# A fixture book\n\nTwo wards, two templates.\n", encoding="utf-8")
    shutil.copy(REPO / "book" / "about-the-data.md", root / "book" / "about-the-data.md")
    shutil.copy(REPO / "book" / "references.md", root / "book" / "references.md")  # the page its citations resolve on
    for assets in ("_static", "_templates"):
        if (REPO / "book" / assets).is_dir():
            shutil.copytree(REPO / "book" / assets, root / "book" / assets)
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    shutil.copytree(REPO / "data" / "city", root / "data" / "city")
    for ward in ("alpha", "beta"):
        shutil.copytree(REPO / "data" / "clubmoor", root / "data" / ward)
    (root / "params").mkdir()
    (root / "params" / "alpha.yml").write_text(
        'id: alpha\nkind: ward\ntitle: Alpha\nward:\n  code: "E05000892"\n  name: Clubmoor\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/alpha\nreconstructed: true\n',
        encoding="utf-8",
    )
    (root / "params" / "beta.yml").write_text(
        'id: beta\nkind: ward\ntitle: Beta\nward:\n  code: "E05000887"\n  name: Anfield\n'
        '  boundary_set: "2004-2023"\ndata_dir: data/beta\nsynthetic: true\n',
        encoding="utf-8",
    )
    write_template(
        root / "notebooks" / "01-files.ipynb",
        title="Data files",
        code=[
            "from cityconv.core.params import load_params\nfrom cityconv.core.paths import Project\n"
            "project = Project.discover()\n"
            "params = load_params(project.params_dir / f'{study_id}.yml', project.root)\n"
            "files = sorted(p.name for p in (project.root / params.data_dir).iterdir())\n"
            "print(params.title, len(files))",
        ],
    )
    write_template(
        root / "notebooks" / "02-arithmetic.ipynb",
        title="Arithmetic",
        code=["total = sum(range(10))\ntotal"],
    )
    return root


#: How book/index.md includes the offer of the edition's source archive.
SOURCE_OFFER = ":::{include} generated/source/offer.md\n:::\n"


def git_commit_all(root: Path) -> str:
    """Make `root` a Git repository holding every file in it, committed; returns the commit."""
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "fixture"]):
        subprocess.run([*git, *step], cwd=root, capture_output=True, text=True, check=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                          check=True).stdout.strip()


def build_published_mini_project(root: Path) -> dict:
    """The two-ward fixture project as an edition is published (in Git, with CITATION.cff and the
    source offer on its landing page), built once with `cityconv build`: the build several
    end-to-end tests start from (tests/conftest.py `built_mini_project`). Returns the command's outcome."""
    root.mkdir(parents=True)
    make_mini_project(root)
    index = root / "book" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n" + SOURCE_OFFER, encoding="utf-8")
    shutil.copy(REPO / "CITATION.cff", root / "CITATION.cff")  # each chapter then offers its citation
    commit = git_commit_all(root)
    done = subprocess.run([str(Path(sys.executable).with_name("cityconv")), "build", "--root", str(root)],
                          capture_output=True, text=True, timeout=900)
    return {"root": str(root), "commit": commit, "returncode": done.returncode, "stdout": done.stdout,
            "stderr": done.stderr}


def clubmoor_project(root: Path) -> Path:
    """The real config, Clubmoor's params and data, and the ward context, copied under `root`."""
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    (root / "params").mkdir()  # only Clubmoor: wards a test creates must be new here
    shutil.copy(REPO / "params" / "clubmoor.yml", root / "params" / "clubmoor.yml")
    shutil.copytree(REPO / "data" / "context", root / "data" / "context")
    shutil.copytree(REPO / "data" / "clubmoor", root / "data" / "clubmoor")
    shutil.copytree(REPO / "data" / "city", root / "data" / "city")
    return root


def add_ward(root: Path, ward: str = "clubmoor", drop: tuple[str, ...] = (), status: str = "reconstructed") -> Path:
    """Add ward `ward` to a project at `root`: a copy of Clubmoor's data (minus the `drop` files).

    The city-level sources (`data/city/`) come too, unless a dropped stem is one of them.
    """
    if not (root / "_config.yml").exists():
        shutil.copy(REPO / "_config.yml", root / "_config.yml")
        (root / "params").mkdir()
        (root / "data").mkdir()
    data = root / "data" / ward
    shutil.copytree(REPO / "data" / "clubmoor", data)
    city = root / "data" / "city"
    if not city.exists():
        shutil.copytree(REPO / "data" / "city", city)
    for stem in drop:
        ((city if (city / f"{stem}.csv").exists() else data) / f"{stem}.csv").unlink()
    flag = {"reconstructed": "reconstructed: true\n", "synthetic": "synthetic: true\n", "observed": ""}[status]
    (root / "params" / f"{ward}.yml").write_text(
        f'id: {ward}\nkind: ward\ntitle: {ward.capitalize()}\nward:\n  code: "E05000892"\n  name: Clubmoor\n'
        f'  boundary_set: "2004-2023"\ndata_dir: data/{ward}\n{flag}', encoding="utf-8")
    return data


def blank_census_figures(context_dir: Path, ward_code: str) -> None:
    """Empty one ward's Census 2021 figures in a copied data/context, as for a ward the census tables leave
    out (every ward has output-area figures today; the chapters must still say "not available", not 0)."""
    import pandas as pd

    columns = {"wards": ("population_2021", "households_2021"), "age": ("count", "share"), "sex": ("count", "share"),
               "ethnicity": ("count", "share"), "tenure": ("count", "share"),
               "age_sex": ("count_estimated", "share_estimated")}
    for name, blank in columns.items():
        path = Path(context_dir) / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[frame["ward_code"] == ward_code, list(blank)] = ""
        frame.to_csv(path, index=False, lineterminator="\n")


def any_title(ax) -> str:
    """The axes' title wherever the style puts it (the house style sets titles on the left)."""
    return " ".join(ax.get_title(loc=loc) for loc in ("left", "center", "right"))

def project_with_rules(tmp_path: Path, rules_text: str):
    """A project holding the real evidence base and the given recommendation rules file."""
    import shutil

    from cityconv.core.paths import Project

    shutil.copytree(REPO / "data" / "evidence", tmp_path / "data" / "evidence")
    (tmp_path / "data" / "recommendations").mkdir(parents=True)
    (tmp_path / "data" / "recommendations" / "rules.yml").write_text(rules_text, encoding="utf-8")
    return Project(tmp_path)
