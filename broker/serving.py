"""The broker in several processes, each listening on a socket of its own on the same port.

    python -m broker.serving        # PACT_BROKER_HOST, _PORT, _WORKERS, _THREADS, _LOG_LEVEL, _DATABASE_URL

Why not uvicorn's `--workers`: its workers share one listening socket, and whichever is awake when
connections arrive accepts them all (asyncio accepts up to 100 at a time). A CI fleet, or a proxy in front,
keeps its connections alive, so the first split stays: in the load test 65 of 100 connections landed on one
of two workers, whose requests then waited twice as long as the other's. With a socket per worker
(SO_REUSEPORT) the kernel spreads new connections over the workers by a hash of their addresses.

Where the kernel does not balance SO_REUSEPORT sockets (not Linux), uvicorn's own workers serve instead.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

from broker.db.engine import ensure_sqlite_directory
from broker.db.migrate import upgrade
from broker.settings import BrokerSettings

log = logging.getLogger("broker.serving")

_STARTUP_SECONDS = 5.0  # a worker that ends sooner never served: it is not restarted
BALANCED_SOCKETS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _check_port_free(host: str, port: int) -> None:
    """Sockets with SO_REUSEPORT share a port with any other such socket of the same user: a second broker
    started on a port in use would quietly take half its connections. A plain bind fails instead."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def _worker(host: str, port: int, log_level: str, server_header: bool) -> None:
    config = uvicorn.Config(
        "broker.app:create_app",
        factory=True,
        log_level=log_level,
        access_log=log_level == "debug",
        server_header=server_header,
    )
    uvicorn.Server(config).run(sockets=[_listening_socket(host, port)])


def serve(settings: BrokerSettings, *, server_header: bool = True) -> None:
    """Migrates once (workers migrating together would race), then serves with `settings.workers`
    processes until SIGINT or SIGTERM; a worker that dies is replaced. Each worker builds its app from the
    environment, which carries `settings`."""
    if BALANCED_SOCKETS:
        _check_port_free(settings.host, settings.port)  # before anything is written
    ensure_sqlite_directory(settings.database_url)
    if settings.auto_migrate:
        upgrade(settings.database_url)
    os.environ.update(
        {
            "PACT_BROKER_DATABASE_URL": settings.database_url,
            "PACT_BROKER_AUTO_MIGRATE": "false",
            "PACT_BROKER_THREADS": str(settings.request_threads),
            "PACT_BROKER_LOG_LEVEL": settings.log_level,
            **({"PACT_BROKER_BASE_URL": str(settings.base_url)} if settings.base_url else {}),
        }
    )
    log_level = settings.log_level.lower()
    if not BALANCED_SOCKETS:
        uvicorn.run(
            "broker.app:create_app",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            server_header=server_header,
        )
        return
    context = multiprocessing.get_context("spawn")
    arguments = (settings.host, settings.port, log_level, server_header)
    stopping = False
    failed = ""

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in workers:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    started: dict[BaseProcess, float] = {}

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=arguments, name="broker-worker")
        process.start()
        started[process] = time.monotonic()
        return process

    workers = [start() for _ in range(settings.workers)]
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            wait([p.sentinel for p in workers], timeout=1.0)
            for i, process in enumerate(workers):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started.pop(process) < _STARTUP_SECONDS:
                    # It could not start (a port, a database): another would fail the same way.
                    stop(signal.SIGTERM, None)
                    failed = f"a broker worker exited with {process.exitcode} while starting"
                    break
                log.warning(
                    "broker worker %s exited with %s: starting another", process.pid, process.exitcode
                )
                workers[i] = start()
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failed:
        raise SystemExit(failed)


def main() -> None:
    settings = BrokerSettings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(message)s")
    serve(settings, server_header=False)


if __name__ == "__main__":
    main()
