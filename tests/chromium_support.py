"""What the Chromium tests share (tests/browser, tests/book): Debian's chromium and the flags it
runs with here, the skip-or-fail rule, a bounded wait, and a static server on 127.0.0.1.

Importable from any test because pytest puts tests/ (the folder of tests/conftest.py) on
``sys.path``. Never ``playwright install``: Playwright drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("EDGELAB_CHROMIUM", "/usr/bin/chromium")
#: without the background-networking flags Chromium keeps asking hosts this machine cannot reach
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def missing(*modules: str) -> str | None:
    """Why a browser test cannot run here (chromium or a Python package absent), else None."""
    if not Path(CHROMIUM).exists():
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    for mod in ("playwright", *modules):
        if importlib.util.find_spec(mod) is None:
            return f"python package {mod} is not installed (pip install {mod})"
    return None


def require_browser(*modules: str) -> None:
    """Skip when the browser stack is absent, but fail where CI installed it
    (``EDGELAB_REQUIRE_BROWSER``): there a skip would hide a broken test."""
    reason = missing(*modules)
    if reason:
        if os.environ.get("EDGELAB_REQUIRE_BROWSER"):
            pytest.fail(f"EDGELAB_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)


def wait(pred: Callable[[], Any], timeout: float, what: str, interval: float = 0.25, *,
         retry_errors: bool = True) -> Any:
    """``pred()``'s first truthy value, polled every ``interval`` s for at most ``timeout`` s.

    With ``retry_errors`` an exception counts as not yet (a server not up, an element not there).
    """
    end = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < end:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:
            if not retry_errors:
                raise
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    # Pyodide's core is an ES module and a wasm binary: browsers check both types
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript",
                      ".js": "text/javascript", ".json": "application/json"}

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # noqa: ANN001, ANN201 - stdlib signature
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser left mid-file
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: str | os.PathLike[str]) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test server did not stop"
