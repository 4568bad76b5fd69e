"""Warm kernels: a notebook cannot leak state into the next one, and outputs equal a fresh kernel's.

Tiny notebooks written here, run through the same `execute_task` the pipeline uses: on papermill's
fresh kernel (the reference) and on one `WarmKernel` after a notebook that changes everything the
reset list covers. Also the progress display's plain and live forms.
"""

from __future__ import annotations

import builtins
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from cityconv.pipeline.execute import Failure, RunResult, execute_task
from cityconv.pipeline.executors import EXECUTORS, make_executor
from cityconv.pipeline.progress import RunProgress, estimate_seconds_left, format_eta
from cityconv.pipeline.tasks import RunTask
from cityconv.pipeline.warm_kernel import WarmKernel

# Changes every piece of state the reset list names, and fills an lru_cache of the package.
POLLUTE = [
    "import os, sys, random, logging, warnings\nimport numpy as np, pandas as pd\n"
    "import matplotlib as mpl, matplotlib.pyplot as plt, seaborn as sns",
    "leaked_name = 'from the previous notebook'",
    "plt.style.use('ggplot')\nsns.set_theme(style='darkgrid', palette='pastel', font_scale=1.7)\n"
    "plt.figure(); plt.plot([1, 2])",
    "pd.set_option('display.max_rows', 3)\npd.set_option('display.precision', 1)",
    "np.random.seed(1)\nrandom.seed(1)\nnp.seterr(all='raise')\nnp.set_printoptions(precision=1)",
    "warnings.simplefilter('error')\nwarnings.filterwarnings('ignore', category=UserWarning)",
    "logging.basicConfig(level=logging.DEBUG)\nlogging.getLogger('cityconv').addHandler(logging.StreamHandler())\n"
    "logging.getLogger('leaky.new').setLevel(logging.ERROR)\nlogging.disable(logging.CRITICAL)",
    "os.chdir('/')\nos.environ['CITYCONV_LEAK'] = 'yes'\nos.environ.pop('HOME', None)\nsys.path.insert(0, '/leak')",
    "from cityconv.data.schema_store import schema_texts\nschema_texts('ward')",
]

# Reports that state as JSON (code cells 3, 4, 5 after the parameters and injected cells) (numbers rounded so a float repr cannot differ).
PROBE = [
    "import os, sys, json, random, logging, warnings\nimport numpy as np, pandas as pd\nimport matplotlib as mpl\n"
    "import matplotlib.pyplot as plt, seaborn\nimport cityconv.chapters.summary",
    "from cityconv.data.schema_store import schema_texts\n"
    "probe = {\n"
    "  'leaked_name': 'leaked_name' in dir(),\n"
    "  'open_figures': len(plt.get_fignums()),\n"
    "  'rc': {k: str(mpl.rcParams[k]) for k in ('axes.facecolor', 'axes.grid', 'font.size', 'axes.prop_cycle',"
    " 'figure.dpi', 'figure.figsize', 'backend')},\n"
    "  'pandas': [pd.get_option('display.max_rows'), pd.get_option('display.precision')],\n"
    "  'np_err': np.geterr(), 'np_print': np.get_printoptions()['precision'],\n"
    "  'warnings': sorted({(f[0], getattr(f[1], 'pattern', ''), f[2].__name__) for f in warnings.filters}),\n"
    "  'root_handlers': len(logging.getLogger().handlers), 'root_level': logging.getLogger().level,\n"
    "  'cityconv_handlers': len(logging.getLogger('cityconv').handlers),\n"
    "  'leaky_level': logging.getLogger('leaky.new').level, 'logging_disable': logging.root.manager.disable,\n"
    "  'cwd': os.getcwd(), 'leak_env': os.environ.get('CITYCONV_LEAK'), 'home': 'HOME' in os.environ,\n"
    "  'root_env': os.environ.get('CITYCONV_ROOT'), 'sys_path_leak': '/leak' in sys.path,\n"
    "  'lru_cache_hits': schema_texts.cache_info().currsize,\n"
    "}\n"
    "print(json.dumps(probe, sort_keys=True))",
    "print(json.dumps({'np': round(float(np.random.random()), 12), 'py': round(random.random(), 12)}))",
    "warnings.warn('shown in every run', UserWarning)",
]

# Text, an HTML table and two PNG figures (matplotlib and seaborn). (No Styler: its text/plain is
# an object address, different in any two runs.)
OUTPUTS = [
    "import pandas as pd, numpy as np, matplotlib.pyplot as plt, seaborn as sns",
    "print('hello', study_id)\nframe = pd.DataFrame({'ward': ['a', 'b', 'c'], 'share': [0.125, 0.5, 0.375]})\nframe",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.bar(frame.ward, frame.share)\nax.set_title('Shares')\nplt.show()",
    "sns.barplot(data=frame, x='ward', y='share')\nplt.show()",
]


def notebook(path: Path, code: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {path.stem}"))
    nb.cells.append(nbformat.v4.new_code_cell('study_id = "default"', metadata={"tags": ["parameters"]}))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in code]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def task_for(root: Path, template: Path, study_id: str = "alpha") -> RunTask:
    return RunTask(
        root=root, study_id=study_id, study_title=study_id.title(), data_status="observed", banner=False,
        template_id=template.stem, template_title=template.stem, template_path=template,
        params_path=root / "params" / f"{study_id}.yml",
        output_path=root / "book" / "generated" / study_id / template.name,
        parameters={"study_id": study_id},
    )


def outputs(result: RunResult) -> list[list[dict]]:
    assert result.status == "done", result.failure
    nb = nbformat.reads(result.notebook, as_version=4)
    return [[dict(o) for o in cell.get("outputs", [])] for cell in nb.cells if cell.cell_type == "code"]


def same_pid(cell_outputs: list[dict]) -> str:
    """Warnings name the kernel's process (`/tmp/ipykernel_<pid>/…`), different in any two runs."""
    return re.sub(r"ipykernel_\d+", "ipykernel_PID", json.dumps(cell_outputs, sort_keys=True))


def stdout_json(result: RunResult, cell: int) -> dict:
    return json.loads("".join(o["text"] for o in outputs(result)[cell] if o.get("name") == "stdout"))


def normalised(result: RunResult) -> dict:
    """The executed notebook without what legitimately differs between runs (times, temp paths)."""
    nb = nbformat.reads(result.notebook, as_version=4)
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        nb.metadata.papermill.pop(key, None)
    nb.metadata.cityconv.pop("run_date", None)
    for cell in nb.cells:
        cell.pop("id", None)  # papermill and the provenance box make new random ids each run
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "cityconv-provenance" in cell.metadata.get("tags", []):
            cell.source = "\n".join(line for line in cell.source.splitlines() if "**Run:**" not in line)
    return nb


@pytest.fixture(scope="module")
def warm():
    kernel = WarmKernel()
    yield kernel
    kernel.shutdown()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "params").mkdir()
    (tmp_path / "_config.yml").write_text("title: test\n", encoding="utf-8")
    return tmp_path


def test_reset_list_a_notebook_cannot_change_the_next_one(warm: WarmKernel, project: Path) -> None:
    polluter = notebook(project / "notebooks" / "pollute.ipynb", POLLUTE)
    prober = notebook(project / "notebooks" / "probe.ipynb", PROBE)
    fresh = execute_task(task_for(project, prober), publish=False)
    fresh_probe = stdout_json(fresh, 3)

    before = stdout_json(warm.run(task_for(project, prober)), 3)
    polluted = warm.run(task_for(project, polluter))
    assert polluted.status == "done", polluted.failure
    after = warm.run(task_for(project, prober))
    probe = stdout_json(after, 3)
    assert probe == before  # the polluting notebook changed nothing the next one sees
    # As on a fresh kernel, except that libraries the warm kernel imported up front (statsmodels,
    # ruamel) have added their import-time filters for their own warning classes.
    warm_filters, fresh_filters = probe.pop("warnings"), fresh_probe.pop("warnings")
    assert probe == fresh_probe
    assert all(f in warm_filters for f in fresh_filters)
    extra = [f for f in warm_filters if f not in fresh_filters]
    assert all(f[1] == "" and not hasattr(builtins, f[2]) for f in extra), extra  # library classes only
    # …and the probe would have seen the pollution: these are the values a fresh kernel has.
    assert probe["leaked_name"] is False and probe["open_figures"] == 0
    assert probe["rc"]["axes.facecolor"] == "white" and probe["rc"]["axes.grid"] == "False"
    assert probe["rc"]["backend"].endswith("backend_inline")
    assert probe["pandas"] == [60, 6] and probe["np_err"]["all" if "all" in probe["np_err"] else "divide"] != "raise"
    assert probe["np_print"] == 8 and ["error", "", "Warning"] not in warm_filters
    assert probe["logging_disable"] == 0 and probe["leaky_level"] == 0 and probe["cityconv_handlers"] == 0
    assert probe["cwd"] == str(project) and probe["root_env"] == str(project)
    assert probe["leak_env"] is None and probe["home"] is True and probe["sys_path_leak"] is False
    assert probe["lru_cache_hits"] == 0
    # The warning is shown again (its once-only registry was reset), as on a fresh kernel.
    assert any(o.get("name") == "stderr" and "shown in every run" in o["text"] for o in outputs(after)[5])
    assert same_pid(outputs(after)[5]) == same_pid(outputs(fresh)[5])
    # The random state is the same whatever the previous notebook seeded.
    notebook(polluter, [*POLLUTE, "np.random.seed(2)\nrandom.seed(2)"])
    assert warm.run(task_for(project, polluter)).status == "done"
    again = warm.run(task_for(project, prober))
    assert stdout_json(again, 4) == stdout_json(after, 4)
    assert stdout_json(after, 4)["np"] != 0.417022004702  # what np.random.seed(1) would give


def test_warm_outputs_are_identical_to_a_fresh_kernel(warm: WarmKernel, project: Path) -> None:
    template = notebook(project / "notebooks" / "outputs.ipynb", OUTPUTS)
    polluter = notebook(project / "notebooks" / "pollute.ipynb", POLLUTE)
    fresh = execute_task(task_for(project, template), publish=False)
    assert warm.run(task_for(project, polluter)).status == "done"
    on_warm = warm.run(task_for(project, template))
    cells = outputs(on_warm)
    # code cells: parameters, injected parameters, then OUTPUTS
    assert "hello alpha" in cells[3][0]["text"]
    assert "text/html" in cells[3][1]["data"] and "image/png" in cells[4][0]["data"] and "image/png" in cells[5][0]["data"]
    assert outputs(on_warm) == outputs(fresh)  # text, HTML and PNG bytes
    assert normalised(on_warm) == normalised(fresh)  # and the whole notebook: cells, tags, papermill metadata
    nb = nbformat.reads(on_warm.notebook, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'study_id = "alpha"' in injected[0].source
    assert nb.metadata.papermill["parameters"] == {"study_id": "alpha"}
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(2, 8))  # renumbered from 1 each notebook; 1 was the recorder's dropped cell


def test_a_dead_kernel_is_restarted_and_the_notebook_retried_once(warm: WarmKernel, project: Path) -> None:
    marker = project / "died-once"
    template = notebook(project / "notebooks" / "dies.ipynb", [
        f"import os, pathlib\nmarker = pathlib.Path({str(marker)!r})\n"
        "if not marker.exists():\n    marker.touch()\n    os._exit(1)\nprint('second try')",
    ])
    if not warm.alive:  # counted from a running kernel, whichever test of the module ran first
        warm.start()
    starts = warm.starts
    result = warm.run(task_for(project, template))
    assert result.status == "done" and result.attempts == 2 and warm.starts == starts + 1
    assert "second try" in outputs(result)[2][0]["text"]


def test_kernel_is_kept_when_the_last_notebooks_folder_is_gone(warm: WarmKernel, tmp_path: Path) -> None:
    """A Dask worker removes its scratch project after each run: the kernel must still be reused."""
    def scratch_project(name: str) -> RunTask:
        root = tmp_path / name
        (root / "params").mkdir(parents=True)
        return task_for(root, notebook(root / "notebooks" / "cwd.ipynb", ["import os\nprint(os.getcwd())"]))

    first = scratch_project("first")
    assert warm.run(first).status == "done"
    shutil.rmtree(first.root)  # the kernel's working directory no longer exists
    starts = warm.starts
    second = scratch_project("second")
    result = warm.run(second)
    assert result.status == "done" and result.attempts == 1, result.failure
    assert warm.starts == starts  # the same kernel, not a fresh one
    assert outputs(result)[2][0]["text"].strip() == str(second.root)


def test_kernel_is_recycled_after_a_number_of_notebooks(warm: WarmKernel, project: Path) -> None:
    """On the module's kernel (one start fewer than a kernel of its own), counted from where it stands:
    it is recycled once it has run `recycle_after` notebooks, and not before."""
    template = notebook(project / "notebooks" / "tiny.ipynb", ["1 + 1"])
    if not warm.alive:
        warm.start()
    recycle_after, starts = warm.recycle_after, warm.starts
    warm.recycle_after = warm.used + 2  # two more notebooks on this kernel, then a fresh one
    try:
        for _ in range(2):
            assert warm.run(task_for(project, template)).status == "done"
        assert warm.starts == starts
        assert warm.run(task_for(project, template)).status == "done"
        assert warm.starts == starts + 1 and warm.used == 1
        warm.source_hash = "edited since"  # as if the package source changed under the kernel
        assert warm.run(task_for(project, template)).status == "done" and warm.starts == starts + 2
    finally:
        warm.recycle_after = recycle_after


def test_executors_by_name() -> None:
    assert EXECUTORS == ("warm", "papermill", "dask")
    assert make_executor(None, 2).engine == "warm" and make_executor("papermill", 1).engine == "papermill"
    assert type(make_executor("dask", 2, scheduler="tcp://127.0.0.1:1")).__name__ == "DaskExecutor"
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("threads", 2)


def _result(root: Path, status: str, seconds: float = 1.0) -> RunResult:
    failure = Failure(3, "ValueError", "bad") if status == "failed" else None
    return RunResult(task_for(root, root / "notebooks" / "x.ipynb"), status, seconds, failure)


def test_progress_plain_lines_and_live_counts(project: Path) -> None:
    plain = io.StringIO()
    with RunProgress(3, Console(file=plain, force_terminal=False, width=200)) as progress:
        for status in ("skipped", "done", "failed"):
            progress(_result(project, status))
    assert plain.getvalue().splitlines() == [
        "[1/3] cached alpha/x", "[2/3] ran    alpha/x   1.0s", "[3/3] FAILED alpha/x   1.0s"]

    live = io.StringIO()
    with RunProgress(4, Console(file=live, force_terminal=True, width=200, color_system=None, highlight=False)) as progress:
        for status in ("skipped", "done", "failed"):
            progress(_result(project, status))
    text = live.getvalue()
    assert "1 done · 1 failed · 1 unchanged · 1 remaining" in text
    assert "alpha · x.ipynb · cell 3 · ValueError: bad" in text  # one line per failure
    assert "[2/4]" not in text  # no per-run lines on a terminal


def test_time_left_estimate() -> None:
    assert estimate_seconds_left(0, 5, 0.0) is None and format_eta(None) == "estimating…"
    assert estimate_seconds_left(4, 6, 20.0) == 30.0 and format_eta(30.0) == "about 30s left"
    assert format_eta(125) == "about 2m 05s left" and estimate_seconds_left(3, 0, 9.0) == 0.0


def test_a_dask_task_carries_every_params_file_and_template(mini_project: Path) -> None:
    """A chapter links to the book's other chapters and studies only when their files exist, so a
    worker without our disk must see them all, or its chapter would differ from a local run's."""
    from cityconv.core.paths import Project
    from cityconv.pipeline.dask_executor import task_files
    from cityconv.pipeline.runner import build_plan

    plan = build_plan(Project(mini_project))
    task = next(t for t in plan.tasks if t.study_id == "alpha")
    files = set(task_files(task))
    assert {"params/alpha.yml", "params/beta.yml"} <= files
    assert {f"notebooks/{p.name}" for p in (mini_project / "notebooks").glob("*.ipynb")} <= files
