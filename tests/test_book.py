"""Finishing executed chapters and regenerating the table of contents."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import pytest

from cityconv.core.paths import Project
from cityconv.pipeline.book import TOC_BEGIN, TOC_END, finalize_notebook, write_toc
from cityconv.pipeline.execute import _first_error
from cityconv.pipeline.recording import RECORD_MIME, RECORDER_TAG
from cityconv.pipeline.tasks import RunTask
from cityconv.present.status import banner_markdown


def task(tmp_path: Path, data_status: str = "observed") -> RunTask:
    return RunTask(
        root=tmp_path, study_id="demo", study_title="Demo", data_status=data_status, banner=True, template_id="x",
        template_title="X", template_path=tmp_path / "notebooks" / "01-x.ipynb",
        params_path=tmp_path / "params" / "demo.yml", output_path=tmp_path / "out.ipynb",
        parameters={"study_id": "demo"},
    )


def recorder_cell(reads: list[str]) -> nbformat.NotebookNode:
    """The last cell the runner adds to a notebook, with the record it displays (pipeline.recording)."""
    record = {"reads": reads, "listings": [], "modules": ["cityconv.x"]}
    output = nbformat.v4.new_output("display_data", data={RECORD_MIME: record})
    return nbformat.v4.new_code_cell("finish()", metadata={"tags": [RECORDER_TAG]}, outputs=[output])


def test_a_run_whose_recorder_did_not_finish_is_refused(tmp_path: Path) -> None:
    nb = executed(nbformat.v4.new_code_cell("1"))
    with pytest.raises(ValueError, match="recorded no inputs"):
        finalize_notebook(nb, task(tmp_path))


def executed(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_finalize_hides_parameters_adds_banner_and_provenance(tmp_path: Path) -> None:
    nb = executed(
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("study_id = 'clubmoor'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("study_id = 'demo'", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("1 + 1"),
        recorder_cell(["data/demo/a.csv"]),
    )
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "demo" / "a.csv").write_text("a\n1\n")
    digest = hashlib.sha256(b"a\n1\n").hexdigest()
    record = finalize_notebook(nb, task(tmp_path, "synthetic"))
    assert record["reads"] == ["data/demo/a.csv"]
    assert not any(RECORDER_TAG in c.metadata.get("tags", []) for c in nb.cells)
    assert nb.cells[0].source == "# Title"
    assert "Synthetic demonstration data — not findings" in nb.cells[1].source
    assert "remove-cell" in nb.cells[2].metadata.tags and "remove-cell" in nb.cells[3].metadata.tags
    assert "remove-cell" not in nb.cells[4].metadata.get("tags", [])
    provenance = nb.cells[-1].source
    assert "Provenance of this chapter" in provenance and f"`data/demo/a.csv` | `{digest[:12]}`" in provenance
    assert nb.metadata.cityconv["record"] == record


def test_observed_data_gets_no_banner() -> None:
    assert banner_markdown("observed") is None
    assert "Reconstructed" in banner_markdown("reconstructed")


def test_first_error_counts_template_cells_only() -> None:
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="bad\nsecond line", traceback=[])
    nb = executed(
        nbformat.v4.new_markdown_cell("banner", metadata={"tags": ["papermill-error-cell-tag"]}),
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("y", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("z", outputs=[error]),
    )
    failure = _first_error(nb)
    assert (failure.cell, failure.error_type, failure.message) == (3, "ValueError", "bad")


def test_first_error_trusts_papermill_metadata_when_no_cell_shows_one() -> None:
    nb = executed(nbformat.v4.new_code_cell("x"))
    assert _first_error(nb) is None
    nb.metadata["papermill"] = {"exception": True}
    assert _first_error(nb).error_type == "ExecutionError"


def test_write_toc_replaces_only_the_generated_block(mini_project: Path) -> None:
    project = Project(mini_project)
    out = project.generated_dir / "alpha" / "01-files.ipynb"
    out.parent.mkdir(parents=True)
    nbformat.write(executed(), out)
    before = project.toc_file.read_text()
    assert write_toc(project) is True
    assert project.toc_file.read_text() == before  # the committed contents are never edited
    after = project.built_toc_file.read_text()
    head, block = after.split(TOC_BEGIN)
    assert head == before.split(TOC_BEGIN)[0]
    assert block.strip().splitlines()[:3] == ['- caption: "Alpha"', "  chapters:", "  - file: book/generated/alpha/01-files"]
    assert "beta" not in block  # nothing published for beta yet
    assert write_toc(project) is False


def test_write_toc_requires_markers(mini_project: Path) -> None:
    project = Project(mini_project)
    project.toc_file.write_text(project.toc_file.read_text().replace(TOC_END, ""))
    with pytest.raises(ValueError, match="markers are missing"):
        write_toc(project)


def test_figure_alt_text_moves_into_cell_metadata() -> None:
    image = nbformat.v4.new_output(
        "display_data", data={"image/png": "iVBORw0KGgo="},
        metadata={"cityconv_figure": {"alt": "Bar chart: green spaces named most often", "caption": "Best things"}},
    )
    nb = executed(nbformat.v4.new_code_cell("show()", outputs=[image]), nbformat.v4.new_code_cell("1"))
    from cityconv.pipeline.book import lift_figure_metadata

    lift_figure_metadata(nb)
    assert nb.cells[0].metadata.mystnb == {
        "image": {"alt": "Bar chart: green spaces named most often"},
        "figure": {"caption": "Best things"},
    }
    assert "mystnb" not in nb.cells[1].metadata


def test_no_banner_when_the_chapter_uses_no_records(tmp_path: Path) -> None:
    from dataclasses import replace

    nb = executed(nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1"), recorder_cell([]))
    finalize_notebook(nb, replace(task(tmp_path, "reconstructed"), banner=False))
    assert not any("cityconv-banner" in c.metadata.get("tags", []) for c in nb.cells)


def test_toc_orders_wards_then_synthetic_wards_then_studies(mini_project: Path) -> None:
    from cityconv.pipeline.book import generated_toc_entries

    project = Project(mini_project)
    (project.params_dir / "zeta.yml").write_text(
        'id: zeta\nkind: study\ntitle: "A study"\nchapters: [files]\n', encoding="utf-8")
    for study in ("alpha", "beta", "zeta"):
        out = project.generated_dir / study / "01-files.ipynb"
        out.parent.mkdir(parents=True)
        nbformat.write(executed(), out)
    # The fixture's templates apply to wards only; let the study use one too.
    nb = nbformat.read(project.notebooks_dir / "01-files.ipynb", as_version=4)
    nb.metadata["cityconv"]["applies_to"] = ["ward", "study"]
    nbformat.write(nb, project.notebooks_dir / "01-files.ipynb")
    captions = [part["caption"] for part in generated_toc_entries(project)]
    assert captions == ["Alpha", "Beta (synthetic demonstration)", "A study"]


def test_sidebar_leads_with_findings_then_field_kit_then_teaching(mini_project: Path) -> None:
    """Issue 23: a study marked `sidebar: teaching` is listed after the teaching pages and the wards'
    field kits beside the field kit part; without those blocks both stay in the first one."""
    from cityconv.pipeline.book import TOC_FIELD_KITS, TOC_TEACHING

    project = Project(mini_project)
    (project.params_dir / "explorers.yml").write_text(
        'id: explorers\nkind: study\ntitle: "Explorers"\nsidebar: teaching\nchapters: [files]\n', encoding="utf-8")
    nb = nbformat.read(project.notebooks_dir / "01-files.ipynb", as_version=4)
    nb.metadata["cityconv"]["applies_to"] = ["ward", "study"]
    nbformat.write(nb, project.notebooks_dir / "01-files.ipynb")
    for study in ("alpha", "explorers"):
        out = project.generated_dir / study / "01-files.ipynb"
        out.parent.mkdir(parents=True)
        nbformat.write(executed(), out)
    hand_written = project.toc_file.read_text(encoding="utf-8")
    write_toc(project)
    single_block = project.built_toc_file.read_text(encoding="utf-8")
    assert single_block.index('caption: "Alpha"') < single_block.index('caption: "Explorers"') < single_block.index(TOC_END)

    project.toc_file.write_text(hand_written + "- caption: Field kit\n  chapters:\n  - file: book/references\n"
                                + "\n".join(TOC_FIELD_KITS) + "\n- caption: Teaching\n  chapters:\n"
                                + "  - file: book/about-the-data\n" + "\n".join(TOC_TEACHING) + "\n", encoding="utf-8")
    write_toc(project)
    built = project.built_toc_file.read_text(encoding="utf-8")
    order = [built.index(text) for text in ('caption: "Alpha"', TOC_END, "caption: Field kit", "caption: Teaching",
                                             TOC_TEACHING[0], 'caption: "Explorers"', TOC_TEACHING[1])]
    assert order == sorted(order)
    assert built.count('caption: "Explorers"') == 1
    assert project.toc_file.read_text(encoding="utf-8").count("Explorers") == 0  # the committed file is only read


def test_an_in_process_run_leaves_the_environment_as_it_found_it(mini_project: Path, monkeypatch) -> None:
    import os

    from cityconv.pipeline.execute import execute_task
    from cityconv.pipeline.runner import build_plan

    monkeypatch.delenv("CITYCONV_ROOT", raising=False)
    plan = build_plan(Project(mini_project), ["alpha"])
    result = execute_task(next(t for t in plan.tasks if t.template_id == "arithmetic"))
    assert result.status == "done"
    assert "CITYCONV_ROOT" not in os.environ


def test_a_cell_showing_several_figures_is_split_so_each_keeps_its_own_alt_text_and_label() -> None:
    def figure(alt: str, name: str):
        return nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}, metadata={
            "cityconv_figure": {"alt": alt, "caption": f"Caption of {name}", "name": name}})

    text = nbformat.v4.new_output("display_data", data={"text/markdown": "**Safety**"})
    cell = nbformat.v4.new_code_cell("for q in questions: ...", outputs=[text, figure("Bars of safety", "w-safety"),
                                                                          text, text, figure("Bars of age", "w-age")])
    cell.metadata["tags"] = ["remove-input"]
    nb = executed(cell)
    from cityconv.pipeline.book import lift_figure_metadata

    lift_figure_metadata(nb)
    assert [len(c.outputs) for c in nb.cells] == [1, 1, 2, 1]
    assert [c.metadata.get("mystnb", {}).get("figure", {}).get("name") for c in nb.cells] == [None, "w-safety", None, "w-age"]
    assert nb.cells[3].metadata.mystnb["image"] == {"alt": "Bars of age"}
    assert nb.cells[0].source.startswith("for q") and nb.cells[1].source.startswith("# (continued")  # never empty:
    # myst-nb drops the outputs of a code cell without source
    assert all(c.metadata["tags"] == ["remove-input"] for c in nb.cells)
    assert len({c.id for c in nb.cells}) == 4
    nbformat.validate(nb)
