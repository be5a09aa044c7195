"""Run an ASGI app with uvicorn in a background thread on a free port of 127.0.0.1.

The Pact verifier needs a real listening HTTP server, and provider-state handlers must share memory with the
app they prepare, so a thread (not a process) it is.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

__all__ = ["serve_in_thread"]


@contextmanager
def serve_in_thread(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 30.0,
    *,
    wait_for_stop: bool = True,
) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:<port>`).

    uvicorn takes 0.1-0.2 s to stop (it polls for the exit flag, then gives connections 0.1 s to close);
    with `wait_for_stop=False` the block ends at once and the server stops in its own thread, which closes
    the socket, for callers that are done with the app (a finished verification)."""
    # Bind the socket ourselves and hand it to uvicorn: no window in which another process takes the port.
    # IPPROTO_TCP, not the default 0: asyncio only sets TCP_NODELAY on connections accepted from a socket
    # that names its protocol. Without it every response on a kept-alive connection (headers and body are
    # two writes) waited out the client's delayed ACK: 44 ms a request instead of 2-3 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto"))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)
        finally:
            if not wait_for_stop:
                sock.close()

    thread = threading.Thread(target=run, name=f"uvicorn-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise RuntimeError(
                f"the app did not start on {host}:{bound_port}: {failure[0] if failure else 'exited'}"
            )
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the app did not start on {host}:{bound_port} within {startup_timeout}s")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        if wait_for_stop:
            thread.join(timeout=10)
            sock.close()
