"""pipeline.sphinx_citations: pybtex's plugin look-ups read the installed packages' metadata once, not per citation."""

from __future__ import annotations

import pybtex.plugin

from cityconv.pipeline import sphinx_citations


def test_each_plugin_question_reads_the_metadata_once_and_gets_the_same_answer(monkeypatch) -> None:
    asked = []
    real = pybtex.plugin.entry_points.__wrapped__ if hasattr(pybtex.plugin.entry_points, "__wrapped__") \
        else pybtex.plugin.entry_points

    def counting(**selection):
        asked.append(selection)
        return real(**selection)

    monkeypatch.setattr(pybtex.plugin, "entry_points", counting)
    sphinx_citations.keep_entry_point_answers()
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", "unsrt")
    assert pybtex.plugin.find_plugin("pybtex.style.formatting", "unsrt") is style
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext").__name__ == "Backend"
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext").__name__ == "Backend"
    assert asked == [{"group": "pybtex.style.formatting", "name": "unsrt"},
                     {"group": "pybtex.backends", "name": "plaintext"}]
    sphinx_citations.keep_entry_point_answers()  # a second Sphinx app in the process: not wrapped twice
    assert pybtex.plugin.entry_points.__wrapped__ is counting


def test_a_plugin_registered_at_run_time_still_wins(monkeypatch) -> None:
    monkeypatch.setattr(pybtex.plugin, "entry_points", pybtex.plugin.entry_points)  # restored afterwards
    monkeypatch.setattr(pybtex.plugin, "_RUNTIME_PLUGINS", {})
    sphinx_citations.keep_entry_point_answers()
    before = pybtex.plugin.find_plugin("pybtex.style.formatting", "unsrt")

    class OurStyle(before):  # type: ignore[misc, valid-type]
        pass

    pybtex.plugin.register_plugin("pybtex.style.formatting", "unsrt", OurStyle, force=True)
    assert pybtex.plugin.find_plugin("pybtex.style.formatting", "unsrt") is OurStyle
