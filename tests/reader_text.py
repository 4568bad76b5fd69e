"""What counts as code in reader text: module paths, the package's function names, rule ids, exceptions.

Shared by the fast scan of explorer states and the class pack (tests/test_reader_text.py) and the scan
of the built book (tests/realbook/test_reader_text_built.py). Issue 23 item 7: a teacher or student
reads reader words, never `collapse_categories`, `cityconv.…` or a rule id.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import re
from functools import lru_cache
from pathlib import Path

import yaml

import cityconv

REPO = Path(__file__).resolve().parents[1]
MODULE_PATH = re.compile(r"\bcityconv\.[a-z_]+|\b[a-z_]+\.py\b")
EXCEPTION = re.compile(r"\bTraceback\b|\b[A-Z][A-Za-z]*(?:Error|Exception)\b")


@lru_cache(maxsize=1)
def package_function_names() -> frozenset[str]:
    """Every function and class name defined in cityconv that has an underscore (so not a plain word)."""
    names = set()
    for info in pkgutil.walk_packages(cityconv.__path__, "cityconv."):
        if ".pipeline." in info.name or info.name.endswith("cli"):
            continue  # never imported by a chapter: their names cannot reach a chapter's text
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (inspect.isfunction(value) or inspect.isclass(value)) and getattr(value, "__module__", "") == info.name:
                if "_" in name.strip("_"):
                    names.add(name)
    return frozenset(names)


@lru_cache(maxsize=1)
def rule_ids() -> frozenset[str]:
    rules = yaml.safe_load((REPO / "data" / "recommendations" / "rules.yml").read_text(encoding="utf-8"))
    return frozenset(str(r["id"]) for r in rules["rules"])


def code_in(text: str) -> list[str]:
    """The pieces of `text` that are code rather than reader words (empty when it reads as prose)."""
    found = [m.group(0) for m in MODULE_PATH.finditer(text)]
    found += [m.group(0) for m in EXCEPTION.finditer(text) if m.group(0) in vars(builtins) or m.group(0) == "Traceback"]
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    found += sorted(words & package_function_names())
    found += sorted(r for r in rule_ids() if re.search(rf"(?<![\w/#-]){re.escape(r)}(?![\w-])", text))
    return found
