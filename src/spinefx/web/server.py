"""Serve the app in a background thread on a free port of 127.0.0.1.

For the browser tests and the screenshot script, which drive a real server from the same
process; ``spinefx serve`` runs uvicorn in the foreground instead.

>>> with BackgroundServer(Settings(data_dir=some_dir)) as server:   # doctest: +SKIP
...     httpx.get(server.base_url + "/")
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from spinefx.web.app import create_app
from spinefx.web.settings import Settings

__all__ = ["BackgroundServer"]

HOST = "127.0.0.1"


class BackgroundServer:
    """``create_app(settings)`` on uvicorn in a daemon thread; ``base_url`` once started."""

    def __init__(self, settings: Settings) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(
            app=create_app(settings), host=HOST, port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout: float = 20.0) -> None:
        """Start serving and wait until the home page answers."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the app server thread exited while starting")
            try:
                if httpx.get(self.base_url + "/", timeout=2.0).status_code < 500:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.05)
        raise RuntimeError(f"the app did not answer on {self.base_url} in {timeout}s: {last}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
