"""SQLite's one writer at a time, across threads and across processes (several uvicorn workers on one file):
writers queue on `<db>-writer.lock` (an `flock`) instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from broker.db.engine import make_engine, make_session_factory, reads_before_write_lock, session_scope

# A writer that reads the highest number and writes the next one: two writers inside at once would repeat one.
WRITER = """
import sys
from sqlalchemy import text
from broker.db.engine import make_engine, make_session_factory, session_scope
factory = make_session_factory(make_engine(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    with session_scope(factory, write=True) as session:
        n = session.execute(text("SELECT coalesce(max(n), 0) FROM counter")).scalar_one()
        row = {"n": n + 1, "who": sys.argv[3]}
        session.execute(text("INSERT INTO counter (n, who) VALUES (:n, :who)"), row)
"""

# A writer that takes the lock, says so, and then hangs inside its transaction until it is killed.
HANGING_WRITER = """
import sys, time
from sqlalchemy import text
from broker.db.engine import make_engine, make_session_factory, session_scope
factory = make_session_factory(make_engine(sys.argv[1]))
with session_scope(factory, write=True) as session:
    session.execute(text("INSERT INTO counter (n, who) VALUES (-1, 'hanging')"))
    print("inside", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "broker.sqlite"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL UNIQUE, who TEXT NOT NULL)"))
        # A broker database's sessions move the answer cache's counters when they write.
        conn.execute(
            text("CREATE TABLE answer_generations (scope_id INTEGER PRIMARY KEY, generation BIGINT)")
        )
    engine.dispose()
    return url, path.with_name(path.name + "-writer.lock")


def _lock_is_free(lock_file: Path) -> bool:
    with open(lock_file, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_a_write_transaction_holds_the_file_lock_until_it_ends(database: tuple[str, Path]) -> None:
    url, lock_file = database
    factory = make_session_factory(make_engine(url))
    with session_scope(factory) as reader:  # readers never take it
        reader.execute(text("SELECT count(*) FROM counter")).scalar_one()
        assert _lock_is_free(lock_file)
    with pytest.raises(RuntimeError), session_scope(factory, write=True) as writer:
        writer.execute(text("INSERT INTO counter (n, who) VALUES (1, 'test')"))
        assert not _lock_is_free(lock_file)
        raise RuntimeError("rolled back")
    assert _lock_is_free(lock_file)  # released on rollback as on commit
    with session_scope(factory, write=True) as writer:
        writer.execute(text("INSERT INTO counter (n, who) VALUES (1, 'test')"))
    assert _lock_is_free(lock_file)


def test_writers_in_two_processes_take_turns(database: tuple[str, Path]) -> None:
    url, _ = database
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, "40", who], stderr=subprocess.PIPE)
        for who in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT n, who FROM counter ORDER BY n")).all()
    engine.dispose()
    assert [n for n, _ in rows] == list(range(1, 81))  # no number twice, none skipped
    assert {who for _, who in rows} == {"a", "b"}


def test_a_killed_writer_does_not_lock_the_others_out(database: tuple[str, Path]) -> None:
    url, lock_file = database
    hanging = subprocess.Popen(
        [sys.executable, "-c", HANGING_WRITER, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert hanging.stdout is not None and hanging.stdout.readline().strip() == b"inside"
        assert not _lock_is_free(lock_file)
    finally:
        hanging.kill()
        hanging.wait()
    assert _lock_is_free(lock_file)  # the OS dropped the dead writer's lock
    factory = make_session_factory(make_engine(url))
    with session_scope(factory, write=True) as writer:
        writer.execute(text("INSERT INTO counter (n, who) VALUES (1, 'after')"))
    with session_scope(factory) as reader:
        assert reader.execute(text("SELECT who FROM counter")).scalars().all() == ["after"]


def test_reads_before_the_write_lock_neither_wait_for_it_nor_outlive_the_block(
    database: tuple[str, Path],
) -> None:
    """A writer's first reads run while another writer holds the lock (here: the test, as another process
    would); its writes then take the lock, in a transaction that sees what was committed meanwhile."""
    url, lock_file = database
    factory = make_session_factory(make_engine(url))
    with session_scope(factory, write=True) as first:
        first.execute(text("INSERT INTO counter (n, who) VALUES (1, 'first')"))
    finished = threading.Event()
    seen: dict[str, int] = {}

    def writer() -> None:
        with session_scope(factory, write=True) as session:
            with reads_before_write_lock(session):
                seen["before"] = session.execute(text("SELECT max(n) FROM counter")).scalar_one()
                finished.set()
                other_commits.wait(10)
            seen["under the lock"] = session.execute(text("SELECT max(n) FROM counter")).scalar_one()
            session.execute(text("INSERT INTO counter (n, who) VALUES (:n, 'second')"), {"n": 10})

    other_commits = threading.Event()
    with open(lock_file, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's writer holds the lock
        thread = threading.Thread(target=writer)
        thread.start()
        assert finished.wait(10), "the reads waited for the writer lock"
        fcntl.flock(held, fcntl.LOCK_UN)
    with session_scope(factory, write=True) as meanwhile:  # commits after the reads, before the writes
        meanwhile.execute(text("INSERT INTO counter (n, who) VALUES (2, 'meanwhile')"))
    other_commits.set()
    thread.join(30)
    assert seen == {"before": 1, "under the lock": 2}
    assert _lock_is_free(lock_file)
    with session_scope(factory) as reader:
        assert reader.execute(text("SELECT n FROM counter ORDER BY n")).scalars().all() == [1, 2, 10]


def test_a_write_before_the_write_lock_is_refused_and_stores_nothing(database: tuple[str, Path]) -> None:
    url, lock_file = database
    factory = make_session_factory(make_engine(url))
    with (
        pytest.raises(RuntimeError, match="before the writer lock"),
        session_scope(factory, write=True) as session,
        reads_before_write_lock(session),
    ):
        session.execute(text("INSERT INTO counter (n, who) VALUES (1, 'unlocked')"))
    assert _lock_is_free(lock_file)
    with session_scope(factory) as reader:
        assert reader.execute(text("SELECT count(*) FROM counter")).scalar_one() == 0


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_the_writer_lock_is_released_only_once_sqlite_has_ended_the_transaction(
    database: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    """Released while SQLite still held its own write lock, the next writer (of another worker) would begin
    into SQLite's busy handler, which sleeps 1 ms and more: at each release, another connection must be
    able to begin a write transaction at once."""
    url, lock_file = database
    database_file = str(lock_file).removesuffix("-writer.lock")
    real_flock = fcntl.flock
    seen: list[str] = []

    def probing_flock(handle: object, operation: int) -> None:
        if operation == fcntl.LOCK_UN and getattr(handle, "name", None) == str(lock_file):
            other = sqlite3.connect(database_file, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                seen.append("free")
            except sqlite3.OperationalError as exc:
                seen.append(str(exc))
            finally:
                other.close()
        real_flock(handle, operation)

    engine = make_engine(url)
    factory = make_session_factory(engine)
    monkeypatch.setattr(fcntl, "flock", probing_flock)  # the broker's lock calls it as fcntl.flock
    if ending == "rollback":
        with pytest.raises(RuntimeError), session_scope(factory, write=True) as writer:
            writer.execute(text("INSERT INTO counter (n, who) VALUES (1, 'test')"))
            raise RuntimeError("rolled back")
    else:
        with session_scope(factory, write=True) as writer:
            writer.execute(text("INSERT INTO counter (n, who) VALUES (1, 'test')"))
    monkeypatch.undo()
    engine.dispose()
    assert seen == ["free"]
    assert _lock_is_free(lock_file)
