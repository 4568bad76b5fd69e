"""Live mode: `make explore` starts JupyterLab on loopback, answers, runs an explorer with its widgets,
and stops cleanly.

The test starts the real Makefile target (on a free port, into a temporary folder), waits for the
address it prints, asks the server for its status, opens a kernel session on the sampling-bias
explorer as JupyterLab does, runs the notebook's code cells there (over the kernel's websocket,
the same protocol JupyterLab speaks) and checks that they display a widget. Then it asks the server
to shut down and checks that `make` exits 0 and nothing listens on the port any more.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if text else {}


def run_cells(ws_url: str, cells: list[str], timeout: float = 240) -> list[dict]:
    """Execute each source on the kernel and return every display/result/error message's content."""
    import websocket  # websocket-client, a dependency of jupyter_server

    ws = websocket.create_connection(ws_url, timeout=timeout)
    session = uuid.uuid4().hex
    outputs: list[dict] = []
    try:
        for source in cells:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": "test", "session": session, "msg_type": "execute_request",
                           "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True},
            }))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind in ("display_data", "execute_result", "error", "stream"):
                    outputs.append({"type": kind, **msg["content"]})
                if kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
    finally:
        ws.close()
    return outputs


@pytest.mark.slow  # runs a real chapter template
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_explore_serves_on_loopback_runs_widgets_and_stops(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CITYCONV_ROOT", "JPY_SESSION_NAME")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")  # no user settings change what is tested
    log = tmp_path / "explore.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "explore", f"EXPLORE_PORT={port}", f"EXPLORE_DIR={tmp_path / 'explore'}"],
            cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        address = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", log.read_text())
            if match:
                address, token = match.group(0), match.group(1)
                break
            time.sleep(0.5)
        assert address, f"no address printed; make said:\n{log.read_text()[-3000:]}"
        base = f"http://127.0.0.1:{port}"
        status = request(f"{base}/api/status?token={token}")
        assert "started" in status
        assert sorted(p.name for p in (tmp_path / "explore").glob("*.ipynb")) == sorted(
            p.name for p in (REPO / "notebooks").glob("4?-*-explorer.ipynb"))

        # Open the sampling-bias explorer as JupyterLab does (a session starts its kernel), run it.
        name = "40-sampling-bias-explorer.ipynb"
        session = request(f"{base}/api/sessions?token={token}", "POST",
                          {"path": name, "type": "notebook", "name": name, "kernel": {"name": "python3"}})
        kernel_id = session["kernel"]["id"]
        nb = nbformat.read(tmp_path / "explore" / name, as_version=4)
        cells = [c.source for c in nb.cells if c.cell_type == "code"]
        outputs = run_cells(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}", cells)
        errors = [o for o in outputs if o["type"] == "error"]
        assert not errors, errors
        assert any(WIDGET_MIME in o.get("data", {}) for o in outputs), "the explorer built no widget"
        assert not any("data-cityconv-explorer" in o.get("data", {}).get("text/html", "") for o in outputs)

        request(f"{base}/api/shutdown?token={token}", "POST")
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
        with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
