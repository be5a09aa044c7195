"""Engine and session factory for SQLite (embedded default) and PostgreSQL (`postgresql+psycopg://`).

SQLite gets WAL (readers never block the writer), foreign keys and a busy timeout, and write transactions
start with `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers queue on the busy timeout
instead of both reading and then failing to upgrade their locks ("database is locked" mid-transaction).
"""

from __future__ import annotations

import fcntl
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from broker.answer_cache import generations
from broker.db.direct import execute_on, is_write

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Reads straight from the OS page cache through a memory map (address space only, shared by every
# connection and worker) instead of a read() per page into SQLite's 2 MB default cache: on the benchmark's
# 115 MB history, for-verification's SQL 6.5 -> 3.8 ms. Pages still in the WAL are read through the
# connection's own cache, made 32 MB for them.
SQLITE_MMAP_BYTES = 1 << 30
SQLITE_CACHE_KIB = 32 * 1024
# A request's commit checkpoints the WAL only past this many pages (~40 MB); below it the broker's
# background thread does (`broker.db.checkpoints`). Engines without that thread (the CLI, bulk seeding)
# still keep the WAL bounded by it.
SQLITE_FALLBACK_CHECKPOINT_PAGES = 10_000
# Execution option a write session sets so its SQLite transaction begins IMMEDIATE.
_IMMEDIATE = "broker_begin_immediate"
_HOLDS_WRITE_LOCK = "broker_holds_write_lock"
# Execution option of a write session's reads before its writer lock (`reads_before_write_lock`); in
# connection.info until then, the function that takes the lock. Such a transaction must not write.
_READS_FIRST = "broker_reads_before_write_lock"


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (`postgres://`, `postgresql://`) and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_file(url: str | URL) -> str | None:
    """The database file of an SQLite URL; None for PostgreSQL, in-memory and `file:` URI databases: what
    another process (or a lock file beside it) can find by path."""
    parsed = make_url(normalise_url(url)) if isinstance(url, str) else url
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else database


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, **kwargs)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, **kwargs)
        _ping_idle_connections(engine)
    generations.watch_engine(engine)
    return engine


# A connection unused for this long is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """A broker outlives database restarts: a pooled connection that sat idle is checked before use, and
    a dead one is replaced, so the heartbeat sees the outage, not a dead socket. Unlike `pool_pre_ping`,
    connections in steady use are not pinged: that round trip was one in every ~15 of a can-i-deploy."""

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # psycopg's OperationalError and friends: the pool opens a new one
            raise DisconnectionError(f"idle connection is dead: {exc}") from exc


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so we can choose BEGIN vs BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_FALLBACK_CHECKPOINT_PAGES}")
        cursor.close()

    # Writers queue on a lock before BEGIN IMMEDIATE: a waiting writer gets the turn as soon as the previous
    # one ends, instead of polling in SQLite's busy handler (sleeps of up to 100 ms). The flag lives on the
    # pooled connection's record, so the lock is released however the transaction ends (commit, rollback,
    # or the pool's reset on check-in).
    write_lock = _WriterLock(sqlite_file(url))

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()

    def _lock(connection: Any) -> None:
        # Bounded wait: should the lock ever leak, writers fall back to SQLite's own busy timeout.
        if not connection.info.get(_HOLDS_WRITE_LOCK) and write_lock.acquire(
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        ):
            connection.info[_HOLDS_WRITE_LOCK] = True

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_READS_FIRST, False):  # a writer's first reads: no lock yet (reads_before_write_lock)
            connection.info[_READS_FIRST] = _lock
            execute_on(connection, "BEGIN")
            return
        immediate = options.get(_IMMEDIATE, False)
        if immediate:
            _lock(connection)
        execute_on(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_before_lock(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Written without the lock, it would upgrade a read transaction: "database is locked" under
        # concurrency only, so the mistake is made loud at once.
        if connection.info.get(_READS_FIRST) and is_write(statement):
            raise RuntimeError(f"a write before the writer lock (reads_before_write_lock): {statement[:80]}")

    # SQLAlchemy's commit and rollback events come before the DB-API's commit or rollback. Released there,
    # the lock let another process's writer begin while this transaction still held SQLite's own write lock:
    # its BEGIN IMMEDIATE then slept in SQLite's busy handler (1 ms and more: 11-12 % of them under the load
    # test, offered 1,300 req/s). So a lock holder's transaction ends here, and the DB-API call that follows
    # finds none to end.
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        connection.info.pop(_READS_FIRST, None)
        if connection.info.get(_HOLDS_WRITE_LOCK) and connection.connection.dbapi_connection.in_transaction:
            execute_on(connection, "COMMIT")  # should it fail, the lock stays until the rollback
        _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        connection.info.pop(_READS_FIRST, None)
        if connection.info.get(_HOLDS_WRITE_LOCK):
            _end_transaction(connection.connection.dbapi_connection)
        _release(connection.info)

    @event.listens_for(engine.pool, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        if record is not None:
            if record.info.get(_HOLDS_WRITE_LOCK):
                _end_transaction(dbapi_connection)
            _release(record.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            _release(record.info)

    return engine


def _end_transaction(dbapi_connection: Any) -> None:
    """Roll back the DB-API connection's open transaction, if it has one, before its writer lock goes."""
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()


class _WriterLock:
    """One SQLite writer at a time: a thread lock within the process, and an `flock` on `<db>-writer.lock`
    between processes (several uvicorn workers on one file). The OS drops an `flock` when its process
    dies, so a crashed worker never leaves the others locked out."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._file: Any = None
        if database:  # a file (`sqlite_file`): processes sharing it share the lock file beside it
            path = Path(database).with_name(Path(database).name + "-writer.lock")
            try:
                self._file = open(path, "a+b")  # noqa: SIM115 - held for the engine's lifetime
            except OSError:  # a read-only folder: SQLite's busy timeout still orders the processes
                return
            weakref.finalize(self, self._file.close)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        if self._file is None:
            return True
        # Non-blocking tries 0.2 ms apart: bounded like the busy timeout. At 1 ms apart the lock lay idle
        # ~0.5 ms at each hand-over between workers (load test on SQLite: 11-14 % fewer requests served).
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._threads.release()
                    return False
                time.sleep(0.0002)

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    generations.watch_sessions(factory)  # every commit that wrote moves the answer cache's counters
    return factory


def begin_write(session: Session) -> None:
    """Mark a fresh session as a writer: on SQLite its transaction starts with BEGIN IMMEDIATE."""
    session.connection(execution_options={_IMMEDIATE: True})


# Engines with execution options, made once per engine: `Engine.execution_options()` costs ~70 us, and a
# writer's or a PostgreSQL reader's session asks for one on every request.
_Option = tuple[str, Any]
_OPTION_ENGINES: weakref.WeakKeyDictionary[Engine, dict[_Option, Engine]] = weakref.WeakKeyDictionary()


def _with_option(engine: Engine, name: str, value: Any) -> Engine:
    made = _OPTION_ENGINES.setdefault(engine, {})
    found = made.get((name, value))
    if found is None:
        found = made[(name, value)] = engine.execution_options(**{name: value})
    return found


def _writer_engine(factory: sessionmaker[Session]) -> Engine:
    return _with_option(factory.kw["bind"], _IMMEDIATE, True)


def open_session(factory: sessionmaker[Session], *, write: bool = False, autocommit: bool = False) -> Session:
    """A new session; no I/O until its first statement.

    `autocommit` (reads only): on PostgreSQL each statement is its own transaction, which spares the BEGIN
    and COMMIT round trips psycopg sends around a transaction (two of can-i-deploy's nine). It sees what it
    would see inside one: under READ COMMITTED every statement takes its own snapshot anyway. A read that
    uses SET LOCAL needs a transaction and must not ask for this. SQLite reads open no transaction to
    begin with.
    """
    # A writer's session is bound to the engine with the IMMEDIATE option, and begins lazily: the write
    # lock is only taken at its first statement, after the request body has been parsed and validated.
    if write:
        return factory(bind=_writer_engine(factory))
    if autocommit:
        engine: Engine = factory.kw["bind"]
        if is_postgres(engine):
            return factory(bind=_with_option(engine, "isolation_level", "AUTOCOMMIT"))
    return factory()


@contextmanager
def reads_before_write_lock(session: Session) -> Iterator[None]:
    """A write session's first reads, run before SQLite's writer lock is taken, in a read transaction of their
    own that ends with the block; the writes after it begin the locked transaction. Only for reads whose
    answers no other write can make wrong by the time this one writes: rows looked up by what never changes
    (content by SHA, an existing pacticipant or version by name; one deleted meanwhile fails the write's
    foreign key, a 409 that stores nothing). Such reads were a third of a verification result's time under
    the lock, which only one writer at a time can hold. A write inside the block raises. On PostgreSQL
    (row locks, no writer lock) and once the session's transaction has begun, the block is just more of it.
    """
    bind = session.get_bind()
    if session.in_transaction() or bind.dialect.name != "sqlite" or not _takes_write_lock(bind):
        yield
        return
    connection = session.connection(execution_options={_READS_FIRST: True})
    yield
    # The same connection and session transaction go on: the read snapshot ends, the locked one begins.
    lock = connection.info.pop(_READS_FIRST)
    execute_on(connection, "COMMIT")
    lock(connection)
    execute_on(connection, "BEGIN IMMEDIATE")


def _takes_write_lock(bind: Any) -> bool:
    return bool(bind.get_execution_options().get(_IMMEDIATE, False))


@contextmanager
def single_statement_reads(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A connection for reads of one direct statement each (`broker.db.direct`), without a session: ~25 us
    of CPU where a session's lifecycle around the same statement takes ~100-130 (the kept answers' counters,
    read before every kept answer). Each statement sees what was committed when it ran: SQLite's runs in
    no transaction, PostgreSQL's in autocommit."""
    engine: Engine = factory.kw["bind"]
    if is_postgres(engine):
        engine = _with_option(engine, "isolation_level", "AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection


def finish_session(session: Session, *, commit: bool) -> None:
    """End the session's transaction (commit, or roll back) and give its connection back."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@contextmanager
def session_scope(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back when it raises."""
    session = open_session(factory, write=write)
    try:
        yield session
    except BaseException:
        finish_session(session, commit=False)
        raise
    finish_session(session, commit=True)


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def ensure_sqlite_directory(url: str) -> None:
    """The embedded default lives in ./.data/; create the folder so a first start just works."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
