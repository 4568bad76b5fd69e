"""How `make test` shares the tests between its pytest-xdist workers: whole files, real-book tests last.

Plain `--dist load` sends each test to whichever worker is free, so when a module's tests are split between
two workers both make its module-scoped fixture: a small book's build, the fourteen-ward real-export
build (run H: about 480 s of the workers' time went on fixtures made twice). `--dist loadfile` sends a whole
file to one worker, but a file that also holds real-book tests would take them along to wherever its quick
tests run, early in the session, and that worker would then sit waiting for the real book.

The collection puts real-book tests last (tests/conftest.py, `pytest_collection_modifyitems`), so such a
file's tests come in two runs: its quick tests where the file sorts, its real-book tests at the end. Each
unbroken run of one file's tests is one unit here, and the units are handed out in collection order
(`--no-loadscope-reorder`, in the Makefile), so real-book tests start last, when the book is (nearly) built.
"""

from __future__ import annotations

from collections.abc import Iterable


def contiguous_file_units(nodeids: Iterable[str]) -> dict[str, str]:
    """Node id -> "file#k": k counts the runs of that file's tests in `nodeids` (a file whose tests come
    back after other files' tests gets a unit of its own for them)."""
    units: dict[str, str] = {}
    runs: dict[str, int] = {}
    previous = None
    for nodeid in nodeids:
        file = nodeid.split("::", 1)[0]
        if file != previous:
            runs[file] = runs.get(file, -1) + 1
            previous = file
        units[nodeid] = f"{file}#{runs[file]}"
    return units


def contiguous_file_scheduler(config, log):
    """xdist's file scheduler with `contiguous_file_units` as its units (made by pytest_xdist_make_scheduler)."""
    from xdist.scheduler import LoadFileScheduling

    class ContiguousFileScheduling(LoadFileScheduling):
        unit_of: dict[str, str] = {}

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed:  # the first call: units from the collection
                self.unit_of = contiguous_file_units(next(iter(self.registered_collections.values()), []))
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self.unit_of.get(nodeid) or super()._split_scope(nodeid)

        def _reschedule(self, node) -> None:
            """Give a worker its next unit only when it is down to its last test (xdist: two), so a unit
            is not queued behind a long test while another worker is free. A worker must know the test
            after the one it runs (or be told to stop), so the last test of a unit never waits."""
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 1:
                return
            self._assign_work_unit(node)

    return ContiguousFileScheduling(config, log)
