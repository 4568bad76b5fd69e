"""A pytest plugin that records each test's CPU, to see what a test costs rather than how long it waited.

For each test (setup, call and teardown): wall-clock seconds, this process's CPU seconds, the CPU
seconds of the child processes it waited for (a `cityconv build`, with its kernels and Chromium), its
start (Unix time), its worker and the whole machine's busy CPU seconds over the test (which counts
Chromium; read it only in a serial run on a quiet machine), one tab-separated line per test in $CPU_LOG. Under pytest-xdist each
worker writes its own lines, and the starts give the run's timeline (when each worker was busy). A
build started in the background (the real book) lands in whichever test is running when it is reaped.

    PYTHONPATH=benchmarks CPU_LOG=/tmp/cpu.tsv .venv/bin/python -m pytest -m "" -p no:xdist -p cpu_per_test tests

benchmarks/README.md, "Where the CPU goes", was measured this way.
"""

from __future__ import annotations

import os
import resource
import time

import pytest

LOG = os.environ.get("CPU_LOG", "cpu-per-test.tsv")
#: The pytest-xdist worker ("gw0", "gw1"; "main" without xdist): with each test's start time, the run's timeline.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot: counts Chromium, which no test reaps.

    Meaningful per test only when one test runs at a time (`-p no:xdist`, nothing else on the machine).
    """
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    own_before, children_before = _cpu()
    busy_before = _machine_busy()
    started, clock = time.monotonic(), time.time()
    yield
    own_after, children_after = _cpu()
    busy = _machine_busy() - busy_before
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(f"{item.nodeid}\t{time.monotonic() - started:.2f}\t{own_after - own_before:.2f}\t"
                  f"{children_after - children_before:.2f}\t{clock:.1f}\t{WORKER}\t{busy:.2f}\n")
