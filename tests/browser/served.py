"""A built site served on 127.0.0.1 for the browser tests, with axe-core beside it.

axe-core (`node_modules/axe-core/axe.min.js`, about 550 KB) is served at `AXE_PATH` with a cache
lifetime, so a tab that audits page after page loads it from Chromium's cache and V8 reuses the code it
compiled the first time. Injected as inline text (`add_script_tag(path=…)`) it is parsed and compiled
again on every page: the audit's 86 pages took about 12 % more CPU that way (benchmarks/README.md,
stop 39). `AXE_PATH` lies outside the site's own folders, so no page of the book can name it by accident.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

from real_book import AXE

#: Where the served site offers axe-core (see the module's docstring).
AXE_PATH = "__test-audit__/axe.min.js"


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Files of the site, quietly; axe-core at `AXE_PATH`, cacheable for the length of a session."""

    def log_message(self, *args) -> None:  # keep the test output readable
        pass

    def translate_path(self, path: str) -> str:
        if self._is_axe(path):
            return str(AXE)
        return super().translate_path(path)

    def end_headers(self) -> None:
        if self._is_axe(getattr(self, "path", "")):  # no path on a malformed request's error reply
            self.send_header("Cache-Control", "max-age=86400")
        super().end_headers()

    @staticmethod
    def _is_axe(path: str) -> bool:
        return path.split("?", 1)[0] == "/" + AXE_PATH


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve `site` on a free port of 127.0.0.1 until the block ends; yields the base URL (ending in /)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SiteHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
