"""How fast this host is right now, and what a command costs the whole machine.

Runs recorded on a shared two-core VM differ by more than the changes they compare: the same code took
10 min 48 s and 15 min 20 s on one evening (benchmarks/README.md, stop 36). So a recorded run starts
with a fixed workload whose CPU time says how fast the host is at that moment, and a record is read
against it.

    .venv/bin/python benchmarks/host_speed.py                 # the calibration only
    .venv/bin/python benchmarks/host_speed.py -- make test    # calibration, then the command

With a command it also reports the machine's busy CPU seconds over the command (from /proc/stat),
beside the user and system time `time` would show: Chromium's processes are re-parented away from
the test process, so `time` does not count them, and on this suite that was about a fifth of the CPU.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

#: Repeats of each calibration workload; the fastest is reported (the least disturbed by neighbours).
REPEATS = 3


def _python_loop() -> float:
    """CPU seconds of a fixed pure-Python loop (the interpreter's speed on this host)."""
    started = time.process_time()
    total = 0
    for number in range(20_000_000):
        total += number % 7
    return time.process_time() - started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _scientific_import() -> float:
    """CPU seconds to start Python and import what every chapter kernel imports."""
    started = _children_cpu()
    subprocess.run([sys.executable, "-c", "import pandas, matplotlib.pyplot, scipy.stats"], check=True)
    return _children_cpu() - started


def calibration() -> dict[str, float]:
    return {"python_loop_cpu_s": round(min(_python_loop() for _ in range(REPEATS)), 2),
            "scientific_import_cpu_s": round(min(_scientific_import() for _ in range(REPEATS)), 2)}


def _machine_busy_seconds() -> float:
    """CPU seconds every core has spent not idle since boot (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str]) -> dict[str, float | int]:
    """Run `command`; its exit code, wall seconds, children's CPU and the whole machine's busy CPU."""
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, started = _machine_busy_seconds(), time.perf_counter()
    code = subprocess.call(command)
    wall, busy = time.perf_counter() - started, _machine_busy_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"exit_code": code, "wall_s": round(wall, 1),
            "user_s": round(after.ru_utime - before_children.ru_utime, 1),
            "system_s": round(after.ru_stime - before_children.ru_stime, 1),
            "machine_busy_s": round(busy, 1), "cores": os.cpu_count() or 0}


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    record: dict = {"host": calibration(), "load_average": [round(v, 2) for v in os.getloadavg()]}
    if command:
        record["command"] = " ".join(command)
        record.update(measure(command))
    print(json.dumps(record))
    return int(record.get("exit_code", 0))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
