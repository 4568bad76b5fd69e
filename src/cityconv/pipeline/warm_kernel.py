"""A Jupyter kernel kept warm across notebooks: start it and import the scientific stack once.

A fresh kernel per notebook costs about 1.7 s to start and 3.2 s to import pandas, matplotlib,
seaborn and the package, far more than a chapter's own work. `WarmKernel` keeps one kernel and runs
successive notebooks on it through papermill with a custom engine (`cityconv-warm`: papermill's
own notebook client handed our live kernel manager), so the injected-parameters cell, the
papermill metadata and the error handling are exactly papermill's.

Between notebooks the kernel is put back to the state it had right after warming up
(`reset_kernel_state`, which runs inside the kernel): user namespace and execution counter,
matplotlib figures and rcParams (so `plt.style.use` and the seaborn theme do not carry over), pandas
options, numpy's and Python's random state and numpy's error and print options, warnings filters
(and their once-only registries), logging handlers and levels, the working directory, environment
variables and `sys.path`; and the package's own modules are unloaded, so each notebook imports
them afresh (their `lru_cache`s and module state start empty, and the run recorder sees exactly
the modules this notebook imported). Third-party libraries stay imported: that is the saving. What
cannot be reset (a notebook monkeypatching a library, say) is bounded by recycling the kernel every
`recycle_after` notebooks; it is also restarted when the package source changes, and restarted and
the notebook retried once when the kernel dies.

This module's top level imports only the standard library: the kernel imports it to reset itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

RECYCLE_AFTER = 25
ENGINE_NAME = "cityconv-warm"
# As nbclient starts kernels for papermill: quiet, and input history in memory (no sqlite writes).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]

# Imported once per kernel, before the baseline is taken.
WARM_IMPORTS = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "seaborn", "IPython.display")
WARM_PACKAGES = ("cityconv.core", "cityconv.data", "cityconv.methods", "cityconv.present", "cityconv.chapters")
# Package modules that stay loaded across notebooks: this one (it holds the baseline) and the recorder.
KEPT_MODULES = {"cityconv", "cityconv.pipeline", "cityconv.pipeline.warm_kernel", "cityconv.pipeline.recording"}


PACKAGE_DIR = Path(__file__).resolve().parents[1]


def package_source_stamp() -> str:
    """A cheap fingerprint of the package source (paths, sizes, modification times)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        info = path.stat()
        digest.update(f"{path.relative_to(PACKAGE_DIR)}:{info.st_size}:{info.st_mtime_ns};".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- inside the kernel

_BASELINE: dict | None = None


def warm_up() -> None:
    """Import the stack and, through every chapter module, all it uses; then record the state to return to."""
    import importlib
    import pkgutil

    for name in WARM_IMPORTS:
        importlib.import_module(name)
    for name in WARM_PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            importlib.import_module(info.name)
    warm_fonts()
    unload_package_modules()  # their third-party imports stay
    global _BASELINE
    _BASELINE = snapshot_state()
    import gc

    gc.collect()
    gc.freeze()  # the warmed-up heap is permanent: the collection in every reset skips it


def warm_fonts() -> None:
    """Draw one small figure in the house style, so every notebook on this kernel finds its fonts loaded.

    matplotlib finds, opens and caches a font file on first use in a process (its `findfont` and
    `get_font` caches), which a fresh kernel pays on its first figure. The house style is applied
    inside an rc context: the state the kernel returns to between notebooks stays matplotlib's own.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cityconv.present.style import use_house_style

    with matplotlib.rc_context():
        use_house_style()
        fig = Figure(figsize=(3, 2), layout="constrained")
        ax = fig.add_subplot()
        ax.bar(["a", "b"], [1, 2], label="bars")
        ax.set_title("Title")
        ax.set_xlabel("label")
        ax.legend(title="legend")
        fig.suptitle("Figure")
        FigureCanvasAgg(fig).draw()


def _pandas_options() -> dict:
    import warnings

    import pandas as pd
    from pandas._config import config

    values = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in config._registered_options:
            if key not in config._deprecated_options:
                values[key] = pd.get_option(key)
    return values


def _loggers() -> dict:
    import logging

    state = {}
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            state[logger.name] = (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
    return state


def snapshot_state() -> dict:
    """Everything `reset_kernel_state` puts back, as it is now."""
    import logging
    import random
    import warnings

    import matplotlib
    import numpy as np

    return {
        "rc": dict(matplotlib.rcParams),
        "pandas": _pandas_options(),
        "np_random": np.random.get_state(),
        "np_err": np.geterr(),
        "np_print": np.get_printoptions(),
        "random": random.getstate(),
        "warnings": list(warnings.filters),
        "showwarning": warnings.showwarning,
        "loggers": _loggers(),
        "logging_disable": logging.root.manager.disable,
        "environ": dict(os.environ),
        "sys_path": list(sys.path),
    }


def _restore_loggers(saved: dict, disable: int) -> None:
    import logging

    logging.disable(disable)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if not isinstance(logger, logging.Logger):
            continue
        handlers, level, propagate, disabled = saved.get(logger.name, ([], logging.NOTSET, True, False))
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


def unload_package_modules() -> None:
    """Forget the package's modules (not this one or the recorder): the next import runs them afresh."""
    for name in [n for n in sys.modules if n == "cityconv" or n.startswith("cityconv.")]:
        if name not in KEPT_MODULES:
            del sys.modules[name]


def reset_kernel_state(shell, root: str, environment: dict[str, str] | None = None) -> None:
    """Put this kernel back to its warmed-up state and point it at the project `root`.

    `environment`: variables the next notebook finds set (`RunTask.kernel_environment`), as a fresh
    kernel started for it would inherit them.
    """
    import random
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    base = _BASELINE
    if base is None:
        raise RuntimeError("warm_up() has not run in this kernel")
    # First, because the last notebook's folder may be gone (a Dask worker removes its scratch
    # project after each run), and resetting the shell asks for the working directory.
    os.chdir(root)
    plt.close("all")
    shell.reset(new_session=True)  # names, output history, execution counter back to 1
    dict.update(matplotlib.rcParams, base["rc"])  # values were validated when first set
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, value in base["pandas"].items():
            if pd.get_option(key) != value:
                pd.set_option(key, value)
    np.random.set_state(base["np_random"])
    np.seterr(**base["np_err"])
    np.set_printoptions(**base["np_print"])
    random.setstate(base["random"])
    warnings.filters[:] = base["warnings"]
    warnings.showwarning = base["showwarning"]
    warnings._filters_mutated()  # forget which warnings were already shown once
    _restore_loggers(base["loggers"], base["logging_disable"])
    os.environ.clear()
    os.environ.update(base["environ"])
    os.environ["CITYCONV_ROOT"] = root
    os.environ.update(environment or {})
    sys.path[:] = base["sys_path"]
    unload_package_modules()
    # Directory caches of the import system and importlib.metadata: a fresh kernel lists folders
    # afresh (and the run recorder sees those listings), so this one does too.
    import importlib

    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    _prime_finders()


def _prime_finders() -> None:
    """List the folders a fresh kernel lists before recording starts (importing the recorder)."""
    import importlib.machinery

    import cityconv
    import cityconv.pipeline

    for entry in [*sys.path, *cityconv.__path__, *cityconv.pipeline.__path__]:
        finder = importlib.machinery.PathFinder._path_importer_cache(entry)
        if finder is not None and hasattr(finder, "find_spec"):
            finder.find_spec("_cityconv_prime_finder_cache")  # fills the finder's directory cache


# --------------------------------------------------------------------------- in the worker


class KernelGone(RuntimeError):
    """The kernel died or stopped answering."""


def register_engine() -> None:
    """Register the `cityconv-warm` papermill engine (papermill's client, our live kernel)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import remove_args

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs,
            )
            try:
                return client.execute()
            finally:  # the kernel stays; the client's channels do not
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE_NAME, WarmEngine)


class WarmKernel:
    """One live kernel in this process, reused for successive notebooks."""

    def __init__(self, recycle_after: int = RECYCLE_AFTER, startup_timeout: float = 60):
        self.recycle_after = recycle_after
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.used = 0
        self.source_hash: str | None = None
        self.starts = 0
        register_engine()

    # -- life cycle

    @property
    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self) -> None:
        """Start and warm a kernel; parallel starts can race for ports, so retry a few times."""
        import random
        import time

        from cityconv.pipeline.execute import KERNEL_START_ATTEMPTS

        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                self._start_once()
                return
            except Exception as exc:
                self.shutdown()
                if attempt == KERNEL_START_ATTEMPTS:
                    raise KernelGone(f"the kernel did not start: {type(exc).__name__}: {exc}") from exc
                time.sleep(0.2 + random.random() * attempt)

    def _start_once(self) -> None:
        from jupyter_client import AsyncKernelManager
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_core.utils import run_sync

        self.source_hash = package_source_stamp()  # the source the kernel is about to import
        self.km = AsyncKernelManager(kernel_name="python3")
        run_sync(self.km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS))
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels()
        self._wait_for_ready()
        self.run_code("__import__('cityconv.pipeline.warm_kernel', fromlist=['_']).warm_up()")
        self.used = 0
        self.starts += 1

    def _wait_for_ready(self) -> None:
        """Wait for the kernel's first reply, judging life by its process, not by heartbeats.

        (jupyter_client's `wait_for_ready` on a client without a manager judges by heartbeat, and
        on a loaded machine a missed beat reads as a dead kernel.)
        """
        import queue
        import time

        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            try:
                while True:
                    reply = self.kc.get_shell_msg(timeout=1)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        while True:  # drain start-up messages
                            try:
                                self.kc.get_iopub_msg(timeout=0.2)
                            except queue.Empty:
                                return
            except queue.Empty:
                if not self.alive:
                    raise KernelGone("the kernel process exited during start-up") from None
        raise KernelGone(f"no reply from the kernel within {self.startup_timeout:.0f} s")

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            self.km = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def run_code(self, code: str, timeout: float = 120) -> None:
        """Run housekeeping code silently: no output, no history, no execution count."""
        if self.kc is None:
            raise KernelGone("no kernel")
        try:
            reply = self.kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout,
                                                output_hook=lambda msg: None)
        except Exception as exc:  # timeout or a dead kernel
            raise KernelGone(f"{type(exc).__name__}: {exc}") from exc
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelGone(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self, root: str, environment: dict[str, str] | None = None) -> None:
        self.run_code(
            "__import__('cityconv.pipeline.warm_kernel', fromlist=['_'])"
            f".reset_kernel_state(get_ipython(), {root!r}, {dict(environment or {})!r})"
        )

    def _due_for_recycling(self) -> bool:
        if self.km is None or self.used >= self.recycle_after or not self.alive:
            return True
        return package_source_stamp() != self.source_hash  # edited source: start afresh

    # -- running a task

    def prepare(self, root: str, environment: dict[str, str] | None = None) -> None:
        """Make the kernel ready for the next notebook: restarted when due, then reset and pointed at `root`.

        Raises `KernelGone` when the kernel cannot be made ready.
        """
        if self._due_for_recycling():
            self.restart()
        self.reset(root, environment)

    def run(self, task):
        """Execute one task on this kernel (restarting it when due); the result is not published."""
        from cityconv.pipeline.execute import Failure, RunResult, _first_line, execute_task

        result = None
        for attempt in (1, 2):
            try:
                self.prepare(str(task.root), task.kernel_environment())
            except KernelGone as exc:
                self.shutdown()
                if attempt == 2:
                    return RunResult(task, "failed", 0.0, Failure(None, "KernelGone", _first_line(str(exc))), attempt)
                continue
            result = execute_task(task, engine_options={"engine_name": ENGINE_NAME, "km": self.km}, publish=False)
            self.used += 1
            if self.alive:
                break
            self.shutdown()  # died under this notebook: a fresh kernel gets one more try
        return dataclasses.replace(result, attempts=result.attempts + (attempt - 1))
