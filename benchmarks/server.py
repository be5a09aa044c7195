"""Throwaway databases and a broker in a uvicorn subprocess (one worker, loopback only) for the benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_database(backend: str) -> Iterator[str]:
    """An empty database URL: a temporary SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="broker-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'broker.sqlite'}"
        return
    name = f"broker_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def broker_process(database_url: str, *, workers: int = 1, threads: int | None = None) -> Iterator[str]:
    """`uvicorn --factory broker.app:create_app` on 127.0.0.1; yields the base URL, stops it on exit.
    `threads`: requests each worker works on at once (default: the broker's, `BrokerSettings.threads`)."""
    port = free_port()
    env = {
        **os.environ,
        "PACT_BROKER_DATABASE_URL": database_url,
        "PACT_BROKER_LOG_LEVEL": "WARNING",
        "PACT_DO_NOT_TRACK": "true",
    }
    if threads is not None:
        env["PACT_BROKER_THREADS"] = str(threads)
    for key in list(env):
        if key.startswith("PACT_BROKER_BASIC_AUTH") or key == "PACT_BROKER_BASE_URL":
            del env[key]
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "broker.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the broker exited with {proc.returncode} before answering")
            try:
                if httpx.get(f"{url}/diagnostic/status/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the broker did not answer its heartbeat within 60 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
