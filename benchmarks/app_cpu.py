"""What each load-test operation costs the broker's own code: CPU per request, in one process, no server.

    python -m benchmarks.app_cpu                                 # SQLite, 1/10th history, 2,000 each
    python -m benchmarks.app_cpu --backend postgresql --only "publish contract" --requests 5000

The load test's figures move with the machine (2-3x between hours here) and mix the broker with uvicorn, the
kernel, the load generator and, on SQLite, waits for the one writer. This calls the broker's ASGI app
directly, one request after another on an event loop (the endpoints' work inline, as the load test's 2
workers serve; `--threads 2` in a worker thread), and reads the process's CPU clock: small changes (a few
percent) show in one run, before and after, without alternating rounds. Printed per operation: CPU per
request and, with `--threads 2`, the event loop's share (routing, dependencies, body, response: FastAPI's
part) and the rest (the endpoint's thread: SQL, ORM, JSON); and the load test's mix weighted by `MIX`.
`--writer-lock` adds, on SQLite, the CPU spent while holding the one writer's lock; `--statements`, per
operation, the SQL statements a request runs, how long each took (the wall clock, so on PostgreSQL with the
round trip) and how many rows it returned: where a request's database time goes, and whether it grows with
the history or with the answer.
The database server's own CPU (PostgreSQL) is not counted; the wall-clock time per request, printed beside,
includes it (and the round trips). `--only "for-verification (computed)"`, not in the mix, computes every
answer (`broker_bench`'s shape: a new question each time), and `--scale 1` gives it the full history;
`"for-verification (tags, computed)"` asks the same for provider version tags (`PROVIDER_TAGS`) instead of
a provider branch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, ClassVar, NamedTuple

import uvloop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from benchmarks import shapes
from benchmarks.broker_bench import environment_uuid
from benchmarks.dataset import DatasetSpec, seed
from benchmarks.load_test import FLOOR, MIX, operations
from benchmarks.server import throwaway_database
from broker.app import create_app
from broker.db import direct, engine
from broker.settings import BrokerSettings

# Operations measured on request only, outside the load test's mix.
EXTRA = ("for-verification (computed)", "for-verification (tags, computed)")
# Provider version tags the seeded history uses (its environments' names).
PROVIDER_TAGS = ["development", "test"]


class UnexpectedStatus(RuntimeError):
    pass


class Prepared(NamedTuple):
    """A request as uvicorn hands it to the app, made before the clock starts: building pacts and encoding
    JSON is the load generator's work, not the broker's."""

    request: shapes.Request
    scope: dict[str, Any]
    body: bytes


def prepare(req: shapes.Request) -> Prepared:
    body = json.dumps(req.json).encode() if req.json is not None else b""
    path, _, query = req.url.partition("?")
    headers = [(b"host", b"127.0.0.1:9292"), (b"accept", b"application/hal+json")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (req.headers or {}).items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": req.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "server": ("127.0.0.1", 9292),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    return Prepared(req, scope, body)


async def call(app: FastAPI, prepared: Prepared) -> None:
    """One request through the app as uvicorn would pass it (ASGI scope, one body message)."""
    req, scope, body = prepared
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:  # the app only asks again to learn of a disconnect: there is none
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    if status not in req.expect:
        raise UnexpectedStatus(f"{req.method} {req.url}: {status} {sent[1].get('body', b'')[:300]!r}")


async def measure(
    app: FastAPI, ops: dict[str, shapes.Shape], names: list[str], requests: int, warmup: int
) -> dict[str, dict[str, float]]:
    """CPU ms per request of each operation (`total`), of it on the event loop (`event_loop`) and in the
    endpoint's worker thread (`endpoint`: the process's CPU less the loop's)."""
    figures: dict[str, dict[str, float]] = {}
    async with app.router.lifespan_context(app):
        for name in names:
            counter = 0

            def next_request(name: str = name) -> Prepared:
                nonlocal counter
                counter += 1
                return prepare(ops[name](counter))

            for _ in range(warmup):
                await call(app, next_request())
            batch = [next_request() for _ in range(requests)]
            WriterLockHold.held = 0.0
            StatementTimes.start(name)
            process, loop, wall = time.process_time(), time.thread_time(), time.perf_counter()
            for prepared in batch:
                await call(app, prepared)
            total = (time.process_time() - process) * 1000 / requests
            on_loop = (time.thread_time() - loop) * 1000 / requests
            StatementTimes.stop()
            figures[name] = {
                "wall": round((time.perf_counter() - wall) * 1000 / requests, 3),
                "total": round(total, 3),
                "event_loop": round(on_loop, 3),
                "endpoint": round(total - on_loop, 3),
                "writer_lock": round(WriterLockHold.held * 1000 / requests, 3),
            }
    return figures


class WriterLockHold:
    """The process's CPU while SQLite's writer lock is held (`--writer-lock`): what only one worker at a time
    can spend, so what caps the writes a second however many cores there are."""

    held = 0.0
    _since = 0.0

    @classmethod
    @contextmanager
    def instrumented(cls) -> Iterator[None]:
        acquire, release = engine._WriterLock.acquire, engine._WriterLock.release

        def timed_acquire(lock: Any, timeout: float) -> bool:
            taken = acquire(lock, timeout)
            cls._since = time.process_time()
            return taken

        def timed_release(lock: Any) -> None:
            cls.held += time.process_time() - cls._since
            release(lock)

        engine._WriterLock.acquire = timed_acquire  # type: ignore[method-assign]
        engine._WriterLock.release = timed_release  # type: ignore[method-assign]
        try:
            yield
        finally:
            engine._WriterLock.acquire = acquire  # type: ignore[method-assign]
            engine._WriterLock.release = release  # type: ignore[method-assign]


class Statement(NamedTuple):
    runs: int
    seconds: float
    rows: int | None  # None: the driver did not say (a SELECT SQLAlchemy ran itself, on SQLite)


class StatementTimes:
    """Each statement the measured requests ran (`--statements`), by operation and SQL text: runs, wall
    seconds and rows. Statements run through `broker.db.direct` are timed around their execute and fetch,
    the others (SQLAlchemy's own execution) between its cursor events. On PostgreSQL psycopg sends BEGIN
    itself, in a round trip of its own within the transaction's first statement (timed with it), and
    COMMIT is not a statement of ours (not timed); SQLite's are statements like the others."""

    found: ClassVar[dict[str, dict[str, Statement]]] = {}
    _operation: ClassVar[str | None] = None
    _started: ClassVar[dict[int, float]] = {}

    @classmethod
    def start(cls, operation: str) -> None:
        cls._operation = operation

    @classmethod
    def stop(cls) -> None:
        cls._operation = None

    @classmethod
    def _add(cls, sql: str, seconds: float, rows: int | None) -> None:
        if cls._operation is None:  # a warm-up request
            return
        by_sql = cls.found.setdefault(cls._operation, {})
        runs, total, rows_so_far = by_sql.get(sql, Statement(0, 0.0, 0))
        counted = None if rows is None or rows_so_far is None else rows_so_far + rows
        by_sql[sql] = Statement(runs + 1, total + seconds, counted)

    @classmethod
    @contextmanager
    def instrumented(cls, app: FastAPI) -> Iterator[None]:
        run = direct._run
        db = app.state.engine

        def timed_run(connection: Any, sql: str, params: Any) -> list[tuple[Any, ...]]:
            started = time.perf_counter()
            try:
                rows = run(connection, sql, params)
            finally:
                seconds = time.perf_counter() - started
                cls._started.clear()  # `_run` calls the before-execute listeners, never the after ones
            cls._add(sql, seconds, len(rows))
            return rows

        def before(_conn: Any, cursor: Any, *_args: Any) -> None:
            cls._started[id(cursor)] = time.perf_counter()

        def after(_conn: Any, cursor: Any, sql: str, *_args: Any) -> None:
            started = cls._started.pop(id(cursor), None)
            if started is not None:
                rows = cursor.rowcount
                cls._add(sql, time.perf_counter() - started, rows if rows >= 0 else None)

        cls.found = {}
        direct._run = timed_run
        event.listen(db, "before_cursor_execute", before)
        event.listen(db, "after_cursor_execute", after)
        try:
            yield
        finally:
            direct._run = run
            event.remove(db, "before_cursor_execute", before)
            event.remove(db, "after_cursor_execute", after)

    @classmethod
    def report(cls, requests: int, top: int = 12) -> list[str]:
        """Per operation: statements and their milliseconds per request, then the costliest `top`."""
        lines = []
        for operation, by_sql in cls.found.items():
            count = sum(s.runs for s in by_sql.values()) / requests
            ms = sum(s.seconds for s in by_sql.values()) * 1000 / requests
            lines.append(f"{operation}: {count:.1f} statements, {ms:.3f} ms per request")
            for sql, s in sorted(by_sql.items(), key=lambda item: -item[1].seconds)[:top]:
                text = " ".join(sql.split())
                rows = "?" if s.rows is None else f"{s.rows / s.runs:.1f}"
                lines.append(
                    f"  {s.seconds * 1000 / requests:7.3f} ms {s.runs / requests:5.1f}x {rows:>7} rows  "
                    f"{text[:110]}"
                )
        return lines


def mix_total(figures: dict[str, dict[str, float]]) -> float | None:
    """The load test's mix, weighted as it sends; None unless every operation of it was measured."""
    if not all(name in figures for name in MIX):
        return None
    return round(sum(weight * figures[name]["total"] for name, weight in MIX.items()), 3)


def broker_settings(database_url: str, threads: int = 1) -> BrokerSettings:
    """As the load test's broker: no auth, URLs from the request (whatever the environment says)."""
    return BrokerSettings(
        database_url=database_url,
        base_url=None,
        basic_auth_username=None,
        basic_auth_password=None,
        threads=threads,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="CPU per request of the load test's operations, in-process")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", type=float, default=0.1, help="history size factor (1 = the issue's)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per operation")
    parser.add_argument("--warmup", type=int, default=100, help="requests per operation before measuring")
    parser.add_argument(
        "--only", action="append", choices=[*MIX, *FLOOR, *EXTRA], help="this operation (repeatable)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="PACT_BROKER_THREADS: 1 (default) runs the endpoints' work on the event loop, as each of the "
        "load test's 2 workers does; 2 in a worker thread, which splits the CPU into loop and endpoint",
    )
    parser.add_argument(
        "--writer-lock",
        action="store_true",
        help="SQLite: also print the CPU per request spent holding the one writer's lock",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="also print, per operation, the SQL statements a request runs: wall ms and rows of each",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    names = args.only or [*FLOOR, *MIX]
    with throwaway_database(args.backend) as url:
        known = seed(url, DatasetSpec().scaled(args.scale))
        settings = broker_settings(url, args.threads)
        with TestClient(create_app(settings)) as client:
            env_uuid = environment_uuid(client, known.environment)
        ops = operations(known, f"cpu-{int(time.time())}", env_uuid)
        ops["for-verification (computed)"] = shapes.for_verification(known, computed=True)
        ops["for-verification (tags, computed)"] = shapes.for_verification(
            known, computed=True, provider_tags=PROVIDER_TAGS
        )
        app = create_app(settings)
        with (
            WriterLockHold.instrumented() if args.writer_lock else nullcontext(),
            StatementTimes.instrumented(app) if args.statements else nullcontext(),
        ):
            figures = uvloop.run(measure(app, ops, names, args.requests, args.warmup))
    print(f"[{args.backend} x{args.scale}] CPU per request, ms ({args.requests} requests each)")
    if args.threads == 1:  # everything ran on the event loop: no split
        print(f"{'operation':<29}{'total':>8}{'wall':>8}  (inline: endpoints on the event loop)")
        for name, fig in figures.items():
            lock = f"{fig['writer_lock']:>8.3f} held ({fig['writer_lock'] / fig['total']:.0%})"
            print(f"{name:<29}{fig['total']:>8.3f}{fig['wall']:>8.3f}" + (lock if args.writer_lock else ""))
    else:
        print(f"{'operation':<29}{'total':>8}{'loop':>8}{'endpoint':>10}{'wall':>8}")
        for name, fig in figures.items():
            print(
                f"{name:<29}{fig['total']:>8.3f}{fig['event_loop']:>8.3f}{fig['endpoint']:>10.3f}"
                f"{fig['wall']:>8.3f}"
            )
    mix = mix_total(figures)
    if mix is not None:
        print(f"{'load test mix':<29}{mix:>8.3f}")
    if args.statements:
        print("\nSQL per request: wall ms, runs, rows per run (PostgreSQL: BEGIN in the first, no COMMIT)")
        print("\n".join(StatementTimes.report(args.requests)))


if __name__ == "__main__":
    main()
