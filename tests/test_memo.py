"""core.memo: parsed file contents kept across the warm kernel's notebooks, keyed by the bytes alone."""

from __future__ import annotations

import importlib
import sys

from cityconv.core import memo


def test_a_result_is_computed_once_per_argument_and_the_oldest_goes_first() -> None:
    calls = []

    @memo.across_notebooks(maxsize=2)
    def double(value: int) -> int:
        calls.append(value)
        return 2 * value

    try:
        assert [double(1), double(1), double(2), double(1), double(3), double(2)] == [2, 2, 4, 2, 6, 4]
        assert calls == [1, 2, 3, 2]  # 2 was the least recently used when 3 came, so it went
    finally:
        double.cache_clear()  # type: ignore[attr-defined]


def test_parsed_yaml_outlives_the_warm_kernels_unloading_of_the_package() -> None:
    """What the warm kernel does between notebooks (unload every package module it does not keep), then a
    notebook parsing the same bytes: the parse is the one already made, and a copy is handed out."""
    from cityconv.pipeline import warm_kernel

    params = importlib.import_module("cityconv.core.params")
    data = b"id: alpha\ntitle: Alpha\n"
    first, problems = params._parse_yaml(data, "params/alpha.yml")
    assert not problems and first["title"] == "Alpha"
    saved = {name: module for name, module in sys.modules.items() if name.startswith("cityconv")}
    try:
        warm_kernel.unload_package_modules()
        assert "cityconv.core.params" not in sys.modules and "cityconv.core.memo" not in sys.modules
        again = importlib.import_module("cityconv.core.params")
        assert again is not params
        assert again._parse_yaml(data, "params/alpha.yml")[0] is first
        assert again._parse_yaml(data + b"# edited\n", "params/alpha.yml")[0] is not first  # other bytes: parsed
    finally:
        sys.modules.update(saved)
