"""Teaching pages without code (issue 23 item 7): every explorer state's message, the class pack and
the explorer notebooks' prose use reader words, never a module path, a package function, a rule id or
an exception message. The built book's pages: tests/realbook/test_reader_text_built.py."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from cityconv.chapters import class_pack as cp
from cityconv.chapters import explorers as ex
from cityconv.chapters import page_explorers as pe
from reader_text import code_in, package_function_names, rule_ids

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def population() -> ex.WardPopulation:
    return ex.load_population("clubmoor", REPO)


def test_the_scanner_finds_code() -> None:
    assert "collapse_categories" in package_function_names()
    assert "researcher-corps" in rule_ids()
    found = code_in("This sample cannot be weighted: column 'ethnic_group_2' … merge it using "
                    "collapse_categories/collapse_shares (cityconv.methods.stats; researcher-corps). ValueError")
    assert {"collapse_categories", "collapse_shares", "cityconv.methods", "researcher-corps", "ValueError"} <= set(found)
    assert code_in("Nobody from an ethnic minority group answered, so weighting cannot represent them.") == []
    assert code_in('<a href="#researcher-corps">A corps of community researchers</a>') == []


@pytest.mark.slow
def test_every_sampling_bias_state_reads_as_prose(population) -> None:
    data = pe.sampling_bias_data(population)
    assert len(data["states"]) == 432
    bad = {key: code_in(" ".join(state["text"])) for key, state in data["states"].items()}
    assert {key: found for key, found in bad.items() if found} == {}
    assert code_in(" ".join(g["label"] for g in data["groups"]) + " " + data["headline"]) == []


def test_precision_and_recommendation_states_read_as_prose(population) -> None:
    precision = pe.precision_data(population)
    # every state the page can show: the summary the template makes for each (responses, share)
    texts = [ex.precision_summary(n, share, population) for n in precision["ns"] for share in pe.GRID_SHARES]
    texts += [m["label"] for m in precision["marks"]]
    engine = ex.rule_engine("clubmoor", REPO)
    recommendations = pe.recommendation_data(engine)
    texts += [f["label"] for f in recommendations["findings"]]
    texts += [r["title"] + " " + r["text"] for r in recommendations["rules"]]
    texts.append(re.sub(r"<[^>]+>", " ", pe.recommendation_summary_html(ex.recommendation_state(engine=engine), engine)))
    texts.append(ex.recommendation_summary(ex.recommendation_state(engine=engine), engine))
    assert_no_code(texts)


def assert_no_code(texts: list[str]) -> None:
    """No text holds code: scanned together once (thousands of states), then one by one only to name
    the texts that do."""
    texts = list(dict.fromkeys(texts))
    if code_in("\n".join(texts)):
        found = {t: hits for t in texts if (hits := code_in(t))}
        assert found == {}


def test_controls_read_as_prose(population) -> None:
    engine = ex.rule_engine("clubmoor", REPO)
    controls = [*pe.sampling_bias_controls(), *pe.precision_controls(population), *pe.recommendation_controls(engine)]
    words = [" ".join([c.label, c.hint, *(label for _, label in c.options)]) for c in controls]
    assert {w: code_in(w) for w in words if code_in(w)} == {}


def test_class_pack_reads_as_prose(tmp_path: Path) -> None:
    paths = cp.write_class_pack(REPO, tmp_path)
    texts = {}
    for path in paths:
        if path.suffix in {".html", ".md", ".txt"}:
            raw = path.read_text(encoding="utf-8")
            if path.suffix == ".html":
                raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
                raw = html.unescape(re.sub(r"<[^>]+>", " ", raw))
            texts[path.name] = raw
    assert {"teacher-sheet.html", "worksheet.html"} <= set(texts)
    assert {name: code_in(text) for name, text in texts.items() if code_in(text)} == {}


@pytest.mark.parametrize("notebook", sorted(p.name for p in (REPO / "notebooks").glob("4[0-9]-*.ipynb")))
def test_explorer_notebook_prose_has_no_code(notebook: str) -> None:
    nb = json.loads((REPO / "notebooks" / notebook).read_text(encoding="utf-8"))
    prose = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert prose
    assert {i: code_in(p) for i, p in enumerate(prose) if code_in(p)} == {}
