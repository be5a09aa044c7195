"""SQLite's WAL is copied back into the database file by the broker's background thread, not inside the
commit of whichever request took it past 1,000 pages (`broker.db.checkpoints`)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from broker.app import create_app
from broker.db.checkpoints import WalCheckpointer
from broker.db.engine import SQLITE_FALLBACK_CHECKPOINT_PAGES, make_engine
from broker.settings import BrokerSettings
from tests.broker.helpers import publish_body


def _settings(tmp_path: Path) -> BrokerSettings:
    return BrokerSettings(database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")


def test_request_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    engine = make_engine(_settings(tmp_path).database_url)
    try:
        with engine.connect() as conn:
            pages = conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        assert pages == SQLITE_FALLBACK_CHECKPOINT_PAGES > 1000  # SQLite's default: 1,000
    finally:
        engine.dispose()


def test_the_broker_checkpoints_what_requests_wrote_and_stops_with_the_app(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    with TestClient(app) as client:
        checkpointer = app.state.checkpointer
        assert isinstance(checkpointer, WalCheckpointer)
        for n in range(20):
            body = publish_body("Foo", f"1.{n}", "Bar", branch="main", description=f"interaction {n}")
            assert client.post("/contracts/publish", json=body).status_code == 200
        # Within a few intervals the thread finds the WAL non-empty and copies all of it back.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            frames, copied = checkpointer.last
            if frames > 0 and copied == frames:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the WAL was not checkpointed: {checkpointer.last}")
        ran = checkpointer.checkpoints
        assert ran > 0
        thread = checkpointer._thread
        assert thread.is_alive()
    # Stopped with the app (and a last checkpoint on the way out).
    assert not thread.is_alive()
    assert checkpointer.checkpoints > ran


def test_only_sqlite_brokers_run_the_checkpoint_thread(broker_settings: BrokerSettings) -> None:
    app = create_app(broker_settings)
    with TestClient(app):
        if app.state.engine.dialect.name == "postgresql":
            assert app.state.checkpointer is None
        else:
            assert app.state.checkpointer is not None


def test_a_failing_checkpoint_is_logged_and_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing_folder = tmp_path / "gone" / "broker.sqlite"
    checkpointer = WalCheckpointer(str(missing_folder), interval=0.01)
    checkpointer.start()
    time.sleep(0.1)
    checkpointer.stop()
    assert checkpointer.checkpoints == 0
    assert "WAL checkpoint" in caplog.text
    assert not missing_folder.parent.exists()  # nothing created where there was nothing
    # A database that appears later is checkpointed from then on.
    missing_folder.parent.mkdir()
    with sqlite3.connect(missing_folder) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    checkpointer.checkpoint()
    assert checkpointer.checkpoints == 1


def test_one_process_checkpoints_and_another_takes_over_when_it_stops(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
    first, second = WalCheckpointer(str(path), interval=0.01), WalCheckpointer(str(path), interval=0.01)
    first.start()
    time.sleep(0.1)
    second.start()
    time.sleep(0.2)
    assert first.checkpoints > 0
    assert second.checkpoints == 0  # the first holds the turn
    first.stop()
    deadline = time.monotonic() + 5
    while second.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    second.stop()
    assert second.checkpoints > 1  # took the turn (and one more on stopping)
