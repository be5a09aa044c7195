"""Broker configuration, read from PACT_BROKER_* environment variables (the names the reference uses)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_DATABASE_URL = "sqlite:///./.data/broker.sqlite"


class BrokerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACT_BROKER_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 9292
    # Absolute links use this when set (a broker behind a proxy); otherwise the request's own base URL.
    base_url: str | None = None
    basic_auth_username: str | None = None
    basic_auth_password: str | None = None
    basic_auth_read_only_username: str | None = None
    basic_auth_read_only_password: str | None = None
    # With auth on, lets anonymous clients read (GET, and POST for-verification) but not write.
    allow_public_read: bool = False
    log_level: str = "INFO"
    # Requests whose body is larger are refused with 413 before being parsed.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    # The reference's safety default: changing the content of a published pact is a 409.
    allow_dangerous_contract_modification: bool = False
    # Run the Alembic migrations when the app is created.
    auto_migrate: bool = True
    # Server processes for `contracts broker serve` and the image. Several suit PostgreSQL; SQLite takes one
    # writer at a time across processes, so extra workers there mostly wait for each other. On PostgreSQL a
    # worker (inline, one request at a time) sits idle during each statement's round trip: one more worker
    # than cores keeps the cores busy (load test, full history, 2 cores, closed loop, 7 Dec sixth session:
    # 2 workers 1,180-1,200 req/s with 1.56-1.62 cores busy, 3 workers 1,251-1,428 with 1.87-1.89).
    workers: int = Field(default=1, ge=1)
    # Requests each process works on at once (the threadpool running the sync endpoints; Starlette's default
    # is 40). Python runs one thread at a time: 40 threads fighting over the interpreter spent ~25 % more
    # CPU per request, and a SQLite writer or a PostgreSQL transaction holding row locks waited its turn
    # among them (write-lock hold p50 3 -> 30 ms), so fewer at once serve more (load test, 2 workers,
    # alternating rounds: SQLite 84-94 -> 124-131 req/s, PostgreSQL 49-56 -> 81-89). With 1 the work runs
    # on the event loop itself, without a thread (`broker.api.blocking`). Unset, it is `request_threads`:
    # 1 with several processes, whose SQLite writer then never waits for the interpreter behind its own
    # process's other request, and which cover each other's waits on PostgreSQL (load test, 2 workers,
    # 6 Dec, alternating: SQLite 593-631 -> 694-725 req/s; PostgreSQL 405-460 -> 440-499, and offered 250
    # req/s a p95 of 62-75 ms against 307-354); 1 too for a single process on SQLite, whose work is all CPU
    # (no other process's writer to wait for: a thread only costs; load test, 1 worker, closed loop,
    # alternating: 864, 882 -> 1,564, 1,474 req/s, broker CPU 1.22 -> 0.64-0.68 ms per request); 2 for a
    # single process on PostgreSQL, whose request waiting on the database would otherwise stall it (the
    # same: 661, 579 req/s against 490, 514 with 1).
    threads: int | None = Field(default=None, ge=1)
    # for-verification and deployment-question answers each process keeps in memory (0: none), up to this
    # many bytes in all; one is served again while no write changed what it was made of
    # (`broker.answer_cache`). A can-i-deploy answer is a few KB, a for-verification one up to ~400 KB.
    answer_cache_entries: int = Field(default=256, ge=0)
    answer_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.basic_auth_username)

    @property
    def request_threads(self) -> int:
        """`threads`, or the default for this database and number of processes (see `threads`)."""
        if self.threads is not None:
            return self.threads
        return 1 if self.workers > 1 or make_url(self.database_url).get_backend_name() == "sqlite" else 2
