"""Shared fixtures: the repository root and a small, fast project built in a temporary folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nbtools import REPO, make_mini_project  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def mini_project(tmp_path: Path) -> Path:
    return make_mini_project(tmp_path)
