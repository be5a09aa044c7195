"""`python -m broker.serving`: several worker processes, each listening on the same port with a socket of its
own, so that kept-alive connections are spread over the workers; a second broker on the port is refused,
a dead worker is replaced, SIGTERM stops them all. Linux only (the kernel's SO_REUSEPORT balancing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from broker.serving import BALANCED_SOCKETS
from contracts.testing import _free_port
from tests.broker.helpers import publish_body

pytestmark = pytest.mark.skipif(not BALANCED_SOCKETS, reason="SO_REUSEPORT balancing is Linux's")


def _env(folder: Path, port: int, workers: int = 2) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_BROKER_")}
    env.update(
        PACT_BROKER_HOST="127.0.0.1",
        PACT_BROKER_PORT=str(port),
        PACT_BROKER_WORKERS=str(workers),
        PACT_BROKER_DATABASE_URL=f"sqlite:///{folder / 'broker.sqlite'}",
        PACT_BROKER_LOG_LEVEL="WARNING",
        PACT_DO_NOT_TRACK="true",
    )
    return env


def _workers(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-f", "-P", str(pid), "spawn_main"], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def _answers(url: str, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            if httpx.get(url + "/diagnostic/status/heartbeat", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < end, "the broker did not answer"
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], int]]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "broker.serving"], env=_env(tmp_path, port))
    url = f"http://127.0.0.1:{port}"
    try:
        _answers(url)
        yield url, process, port
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _established_by_process(pids: list[int], port: int) -> Counter[int]:
    """Server-side connections on `port` per process, from /proc (socket inodes of each one's descriptors)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    counts: Counter[int] = Counter()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                counts[pid] += 1
    return counts


def test_kept_alive_connections_are_spread_over_the_workers(
    served: tuple[str, subprocess.Popen[bytes], int],
) -> None:
    url, process, port = served
    workers = _workers(process.pid)
    assert len(workers) == 2, workers
    clients = [httpx.Client(base_url=url) for _ in range(40)]
    try:
        for client in clients:  # opened in a burst, as a fleet of CI jobs or a proxy's pool does
            assert client.get("/diagnostic/status/heartbeat").status_code == 200
        counts = _established_by_process(workers, port)
    finally:
        for client in clients:
            client.close()
    assert sum(counts.values()) == 40, counts
    # A fair coin puts fewer than 8 of 40 on one side once in ~50,000 runs; one shared socket often does.
    assert min(counts[w] for w in workers) >= 8, counts


def test_a_second_broker_on_the_same_port_is_refused(
    served: tuple[str, subprocess.Popen[bytes], int], tmp_path: Path
) -> None:
    _url, _process, port = served
    second = subprocess.run(
        [sys.executable, "-m", "broker.serving"],
        env=_env(tmp_path / "other", port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert f"cannot serve on 127.0.0.1:{port}" in second.stderr


def test_a_dead_worker_is_replaced_and_sigterm_stops_them_all(
    served: tuple[str, subprocess.Popen[bytes], int],
) -> None:
    url, process, _port = served
    time.sleep(5.5)  # a worker that dies while starting is not restarted: this one had started
    first, survivor = _workers(process.pid)
    os.kill(first, signal.SIGKILL)
    end = time.monotonic() + 30
    while True:
        now = _workers(process.pid)
        if len(now) == 2 and first not in now:
            break
        assert time.monotonic() < end, f"no new worker: {now}"
        time.sleep(0.2)
    assert survivor in now
    for _ in range(10):
        with httpx.Client(base_url=url) as client:  # new connections, to whichever worker
            assert client.get("/diagnostic/status/heartbeat").status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert _workers(process.pid) == []


def test_concurrent_writes_and_reads_over_the_workers_all_land(
    served: tuple[str, subprocess.Popen[bytes], int],
) -> None:
    """Two SQLite workers, each serving one request at a time on its event loop (`broker.api.blocking`), take
    turns at the one writer: 40 clients publishing and asking at once all get their answers, and every
    publication is there after."""
    url, _process, _port = served

    def client_work(n: int) -> list[int]:
        with httpx.Client(base_url=url, timeout=30) as client:
            statuses = []
            for i in range(5):
                body = publish_body("Foo", f"{n}.{i}", "Bar", branch=f"feat/{n % 4}", description=f"call {n}")
                statuses.append(client.post("/contracts/publish", json=body).status_code)
                asked = client.get(f"/can-i-deploy?pacticipant=Foo&version={n}.{i}&to=prod")
                statuses.append(asked.status_code)
            return statuses

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = [s for result in pool.map(client_work, range(40)) for s in result]
    assert Counter(statuses) == {200: 400}, Counter(statuses)
    with httpx.Client(base_url=url) as client:
        versions = client.get("/pacticipants/Foo/versions?pageSize=1000").json()
    assert versions["page"]["totalElements"] == 200, versions["page"]
