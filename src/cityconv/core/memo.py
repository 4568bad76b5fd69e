"""A cache for pure functions of file contents that outlives the warm kernel's reset between notebooks.

The warm kernel forgets the package's modules after each notebook (`pipeline/warm_kernel.py`), so an
`lru_cache` in one of them starts empty in every notebook, and each chapter parsed the same YAML
again (the recommendation rules, the principles, the params: 0.65 of the 7.6 CPU s a ward's eleven
chapters took, measured in-process; 0.22 s with this cache).
The stores hang on the package's root module, which the kernel keeps (`KEPT_MODULES`), so they last the
kernel's life, while this module is imported afresh like any other (and so recorded as imported by the
notebooks that use it, exactly as in a fresh kernel).

Only for functions whose result depends on their arguments alone (a file's bytes, never its path or
the clock): a notebook that reads the same bytes gets the same result it would have computed, and the
run recorder still sees the read, which happens before the lookup. Results are shared: the caller
copies anything it hands out to be changed.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import cityconv

Result = TypeVar("Result")

#: "module.function" -> its least-recently-used store, on the package root: a module imported afresh in the
#: next notebook finds the store its previous copy filled.
_STORES: dict[str, OrderedDict[tuple[Hashable, ...], Any]] = cityconv.__dict__.setdefault("_memo_stores", {})


def across_notebooks(maxsize: int) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Like `functools.lru_cache(maxsize)` (positional, hashable arguments), but kept across notebooks."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        store = _STORES.setdefault(f"{function.__module__}.{function.__qualname__}", OrderedDict())

        @functools.wraps(function)
        def cached(*args: Hashable) -> Result:
            if args in store:
                store.move_to_end(args)
                return store[args]
            result = function(*args)
            store[args] = result
            if len(store) > maxsize:
                store.popitem(last=False)
            return result

        cached.cache_clear = store.clear  # type: ignore[attr-defined]
        return cached

    return decorate
