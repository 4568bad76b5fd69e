"""Write environment.yml (conda, Binder) from requirements.lock, so the two carry the same pins.

Run through `make lock`; tests/test_dependencies.py fails if the two files drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)")


def pins(lock_text: str) -> list[str]:
    return [f"{m.group(1)}=={m.group(2)}" for line in lock_text.splitlines() if (m := PIN.match(line))]


def main() -> None:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    lines = [
        "# Generated from requirements.lock by `make lock` (tools/write_environment_yml.py): do not edit.",
        "# For conda and Binder users; pip installs exactly the pins of requirements.lock.",
        "name: cityconv",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f"      - {pin}" for pin in pins(lock)],
        "      - -e .",
        "",
    ]
    (ROOT / "environment.yml").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
