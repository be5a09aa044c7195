"""Throwaway databases and a broker in a subprocess (`broker.serving`, loopback only) for the benchmarks."""

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
from dataclasses import dataclass
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


# /proc counts CPU time in clock ticks.
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` and all its descendants (Linux /proc), or 0.0
    where /proc is not there."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc").is_dir() else []:
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        child = int(entry.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(used.get(p, 0.0) for p in tree)


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far, every core (Linux /proc/stat), or 0.0 elsewhere: with
    the broker's and the generator's own, what the rest (the database server) took."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / _TICKS_PER_SECOND


@dataclass(frozen=True)
class RunningBroker:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU used so far by the broker's processes (the supervisor and its workers)."""
        return cpu_seconds(self.pid)


@contextmanager
def broker_process(
    database_url: str, *, workers: int = 1, threads: int | None = None
) -> Iterator[RunningBroker]:
    """`python -m broker.serving` on 127.0.0.1, stopped on exit; yields its URL and pid.
    `threads`: requests each worker works on at once (default: the broker's,
    `BrokerSettings.request_threads`)."""
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
    env.update(PACT_BROKER_HOST="127.0.0.1", PACT_BROKER_PORT=str(port), PACT_BROKER_WORKERS=str(workers))
    # As the image serves: a listening socket per worker (`broker.serving`).
    cmd = [sys.executable, "-m", "broker.serving"]
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
        yield RunningBroker(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
