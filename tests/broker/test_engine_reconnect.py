"""A broker outlives PostgreSQL restarts: an idle pooled connection the server has dropped is noticed and
replaced before a request gets it (instead of one failed request per dead connection)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from broker.db import engine as engine_module
from broker.db.engine import make_engine
from tests.broker.conftest import _pg_admin


@pytest.fixture
def pg_engine() -> Iterator[tuple[Engine, str]]:
    name = f"broker_reconnect_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        yield engine, name
    finally:
        engine.dispose()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_drops_connections(name: str) -> None:
    # What a restart or failover does to every open connection of the database.
    _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def test_an_idle_connection_the_server_dropped_is_replaced(
    pg_engine: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, name = pg_engine
    with engine.connect() as conn:
        first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _server_drops_connections(name)
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # as if it had sat idle long enough
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first_pid


def test_a_connection_in_steady_use_is_not_pinged(pg_engine: tuple[Engine, str]) -> None:
    # The other side of the trade: within the idle window the pool trusts the connection, so a drop that
    # happens mid-burst costs that one statement (and the pool then replaces it).
    engine, name = pg_engine
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    _server_drops_connections(name)
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
