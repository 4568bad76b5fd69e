"""The preview's web server: the rendered book on 127.0.0.1, a reload script, and the last run's errors.

The standard library's threading HTTP server (`http.server`) serves one researcher's browser well
enough and adds no dependency; what it does not do is small and ours: every HTML page gets a script
that polls `STATUS_PATH` and reloads when a rebuild has finished, and, while the last rebuild failed,
a banner at the top of the page with the same lines the command line printed (escaped: they quote
data). Polling rather than a push channel keeps shutdown simple: no connection is held open.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

STATUS_PATH = "/_cityconv_preview/status"
POLL_MS = 250  # the reload's delay is at most this after a rebuild ends
BANNER_ID = "cityconv-preview-error"

RELOAD_SCRIPT = """<script id="cityconv-preview-reload">
(() => {
  const shown = %(generation)d;
  const poll = async () => {
    try {
      const status = await (await fetch("%(path)s", {cache: "no-store"})).json();
      document.documentElement.toggleAttribute("data-cityconv-rebuilding", status.building);
      if (status.generation !== shown) { location.reload(); return; }
    } catch (error) { /* the preview stopped or is restarting: keep trying */ }
    setTimeout(poll, %(poll)d);
  };
  setTimeout(poll, %(poll)d);
})();
</script>"""

BANNER_STYLE = (
    "position:sticky;top:0;z-index:10000;margin:0;padding:1rem 1.5rem;background:#fff3f3;"
    "color:#6b0000;border-bottom:3px solid #b00020;font:0.95rem/1.45 system-ui,sans-serif;"
    "max-height:50vh;overflow:auto"
)

WAITING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Building the book</title></head>
<body><main><h1>Building the book</h1>
<p>The first build is running; this page reloads when it is ready.</p></main></body></html>
"""


@dataclass
class PreviewState:
    """What the served pages show about the rebuilds; written by the rebuild loop, read by the server."""

    generation: int = 0  # counts finished rebuilds: a page shown before the last one reloads
    building: bool = False
    problems: tuple[str, ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self) -> None:
        with self._lock:
            self.building = True

    def finished(self, problems: list[str]) -> None:
        with self._lock:
            self.generation += 1
            self.building = False
            self.problems = tuple(problems)

    def snapshot(self) -> dict:
        with self._lock:
            return {"generation": self.generation, "building": self.building, "problems": list(self.problems)}


def error_banner(problems: list[str]) -> str:
    """The failed rebuild's lines as an HTML alert at the top of the page (every line escaped)."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in problems)
    return (
        f'<div id="{BANNER_ID}" role="alert" style="{BANNER_STYLE}">'
        "<strong>The last rebuild failed</strong>; this page may show the previous version. "
        f"Fix the input and save: the page reloads.<ul>{items}</ul></div>"
    )


def decorate(page: str, status: dict) -> str:
    """The page with the error banner (if the last rebuild failed) after `<body…>` and the reload script before `</body>`."""
    script = RELOAD_SCRIPT % {"generation": status["generation"], "path": STATUS_PATH, "poll": POLL_MS}
    if status["problems"]:
        body = page.find("<body")
        at = page.find(">", body) + 1 if body >= 0 else 0
        page = page[:at] + error_banner(status["problems"]) + page[at:]
    end = page.rfind("</body>")
    return page[:end] + script + page[end:] if end >= 0 else page + script


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files from the rendered book; HTML pages decorated; the status as JSON."""

    state: PreviewState

    def __init__(self, *args, state: PreviewState, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
        path = unquote(urlsplit(self.path).path)
        if path == STATUS_PATH:
            self._send(json.dumps(self.state.snapshot()).encode(), "application/json")
            return
        page = self._html_file(path)
        if page is None:
            super().do_GET()
            return
        text = page.read_text(encoding="utf-8", errors="replace") if page.is_file() else WAITING_PAGE
        self._send(decorate(text, self.state.snapshot()).encode("utf-8"), "text/html; charset=utf-8")

    def _html_file(self, path: str) -> Path | None:
        """The HTML file a path asks for (a folder's index.html); None for any other file."""
        target = Path(self.translate_path(path))
        if target.is_dir() or path.endswith("/"):
            target = target / "index.html"
        if target.suffix != ".html":
            return None
        if not target.is_file() and path not in ("/", "/index.html"):
            return None  # http.server answers 404
        return target

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # a reload shows the rebuilt page
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Quiet: the terminal shows the rebuilds, not every request."""


def start_server(site: Path, state: PreviewState, port: int = 0) -> ThreadingHTTPServer:
    """Serve `site` on 127.0.0.1 (`port` 0: a free one) from a daemon thread; `.shutdown()` stops it."""
    handler = partial(PreviewHandler, state=state, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="cityconv-preview-server", daemon=True).start()
    return server


def address(server: ThreadingHTTPServer) -> str:
    port = server.server_address[1]
    return f"http://127.0.0.1:{port}/"
