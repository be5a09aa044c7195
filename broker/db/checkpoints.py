"""SQLite WAL checkpoints in a background thread instead of inside the commit that fills the WAL.

By default SQLite copies the WAL back into the database file (and fsyncs it) in whichever commit takes the
WAL past 1,000 pages: under a stream of publications one request in a few dozen pays for the others'
writes. On the benchmark's full history that was publish p99 5.5-5.8 ms against 2.8-3.0 with no commit
checkpointing (`benchmarks.broker_bench --backends sqlite`, 400 requests). Here one process of the broker
(the one holding the flock on `<database>-checkpoint.lock`; another takes over when it exits) runs PASSIVE
checkpoints (they never wait for, nor block, readers and writers) on its own connection every
`CHECKPOINT_INTERVAL_S`, and request connections only checkpoint themselves past
`engine.SQLITE_FALLBACK_CHECKPOINT_PAGES`, should this thread fall behind or be gone.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# A quarter of a second of commits between checkpoints: ~100 publications under the load test's write rate,
# a WAL of a few thousand pages at most; a checkpoint with nothing to copy costs microseconds.
CHECKPOINT_INTERVAL_S = 0.25


class WalCheckpointer:
    """Checkpoints `path`'s WAL every `interval` seconds until stopped. `checkpoints` counts the ones that
    ran, `last` is what the latest found: (frames in the WAL, frames of them now in the database file)."""

    def __init__(self, path: str, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self.last = (0, 0)
        self._stop = threading.Event()
        self._lock: Any = None
        self._locked = False
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.checkpoint()  # what the last requests wrote, before the process goes

    def checkpoint(self) -> None:
        try:
            conn = self._connect()
            try:
                self._checkpoint(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint of %s failed: %s", self.path, exc)

    def _turn(self) -> bool:
        """Whether this process checkpoints: the first to take the lock file's flock does, until it exits
        (several at once would copy the same pages more often). Where the lock file cannot be made, every
        process does; that is harmless, a second checkpoint at once just finds SQLite busy."""
        if self._lock is None:
            try:
                self._lock = open(self.path + "-checkpoint.lock", "a+b")  # noqa: SIM115 - held while running
            except OSError:
                return True
        if self._locked:
            return True
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._locked = True
        return True

    def _connect(self) -> sqlite3.Connection:
        # Read-write, never create: a broker whose file was removed must not leave an empty one behind.
        uri = Path(self.path).resolve().as_uri() + "?mode=rw"
        return sqlite3.connect(uri, uri=True, timeout=1, isolation_level=None, check_same_thread=False)

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy and frames >= 0:  # -1: the database is not in WAL mode (yet)
            self.checkpoints += 1
            self.last = (frames, copied)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop.wait(self.interval):
            if not self._turn():
                continue
            try:
                if conn is None:
                    conn = self._connect()
                self._checkpoint(conn)
            except sqlite3.Error as exc:  # a locked or vanished file: try again later, on a new connection
                log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        if self._lock is not None:
            self._lock.close()  # and with it the flock: another process may take the turn
