"""The explorers' charts: Vega-Lite sources compiled to Vega specs at build time (issue 26).

explorers.js feeds each compiled spec the state's rows by dataset name and everything else that moves
with the settings by signal name; the names checked here are that contract (the browser tests in
tests/browser/test_explorers_in_browser.py check that the page feeds them and the chart moves).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cityconv.chapters import teaching_book as tb

REPO = Path(__file__).resolve().parents[1]

#: kind -> (named datasets explorers.js fills with view.data, signals it sets with view.signal)
FED_BY_EXPLORERS_JS = {
    "sampling-bias": ({"gaps", "dots", "estimates"}, {"ward_title", "x_max", "series", "palette"}),
    "precision": ({"band", "marks", "chosen"}, {"x_domain", "x_title", "share_line", "palette"}),
    "recommendations": ({"rules", "cells"}, {"columns", "palette"}),
}


def _modules() -> Path:
    modules = tb.node_modules_dir(REPO)
    if modules is None or shutil.which("node") is None:
        pytest.skip("npm vega and vega-lite, or node, not installed (run `npm ci`)")
    return modules


def test_there_is_one_chart_source_per_explorer_the_pages_hold():
    page_code = (REPO / "src" / "cityconv" / "chapters" / "page_explorers.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r'"kind": "([a-z-]+)"', page_code))
    assert set(tb.chart_sources()) == kinds == set(FED_BY_EXPLORERS_JS)
    script = (REPO / "book" / "_static" / "explorers" / "explorers.js").read_text(encoding="utf-8")
    for kind, (datasets, signals) in FED_BY_EXPLORERS_JS.items():
        assert all(re.search(rf"\b{name}: ", script) for name in datasets | signals), kind


@pytest.mark.parametrize("kind", sorted(FED_BY_EXPLORERS_JS))
def test_each_chart_compiles_to_vega_with_its_data_and_signals_named(kind):
    spec = tb.compile_charts({kind: tb.chart_sources()[kind]}, _modules())[kind]
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega/")
    fed = {d["name"] for d in spec["data"] if "source" not in d and "values" not in d}
    signals = {s["name"] for s in spec["signals"]}
    datasets, wanted_signals = FED_BY_EXPLORERS_JS[kind]
    assert fed == datasets
    assert wanted_signals <= signals
    assert "values" not in json.dumps(spec["data"]), "a compiled chart carries no data of its own"
    # one view is fed every state: without resize its size would stay that of the first state drawn
    assert spec["autosize"] == {"type": "pad", "resize": True}


def test_a_compiler_warning_stops_the_build(tmp_path):
    broken = {"mark": "point", "data": {"name": "rows"},
              "encoding": {"x": {"field": "n", "type": "quantitative", "aggregate": "no-such-operation"}}}
    with pytest.raises(RuntimeError, match="compiling the explorer charts"):
        tb.compile_charts({"broken": broken}, _modules())


def test_charts_are_compiled_again_only_when_their_sources_change(tmp_path, monkeypatch):
    modules = _modules()
    calls = []
    compile_for_real = tb.compile_charts

    def counting(sources, where):
        calls.append(sorted(sources))
        return compile_for_real(sources, where)

    monkeypatch.setattr(tb, "compile_charts", counting)
    target = tmp_path / "charts"
    tb.stage_chart_specs(modules, target)
    tb.stage_chart_specs(modules, target)
    assert calls == [sorted(FED_BY_EXPLORERS_JS)]
    assert {p.name for p in target.glob("*.vg.json")} == {f"{k}.vg.json" for k in FED_BY_EXPLORERS_JS}

    sources = tb.chart_sources()
    sources["precision"]["title"] = "A changed title"
    monkeypatch.setattr(tb, "chart_sources", lambda: sources)
    tb.stage_chart_specs(modules, target)
    assert len(calls) == 2
    assert "A changed title" in (target / "precision.vg.json").read_text(encoding="utf-8")


def test_staging_ships_vega_alone_and_drops_what_an_earlier_build_shipped(tmp_path):
    _modules()
    stale = tmp_path / "explorers" / "vendor" / "vega-embed.min.js"
    stale.parent.mkdir(parents=True)
    stale.write_text("// from an earlier build", encoding="utf-8")
    assert tb.stage_vendor_files(REPO, tmp_path)
    assert {p.name for p in (tmp_path / "explorers" / "vendor").iterdir()} == {"vega.min.js", "vega.LICENSE.txt"}
    assert (tmp_path / "explorers" / "charts" / "precision.vg.json").is_file()
