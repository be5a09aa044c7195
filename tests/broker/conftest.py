"""Broker fixtures: every broker test runs on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL is the local server on 127.0.0.1:5432; a throwaway database is created once per test session
and dropped at the end. Between tests the tables are emptied, so each test starts from a blank broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.db.engine import make_engine, make_session_factory
from broker.db.migrate import upgrade
from broker.db.models import Base
from broker.settings import BrokerSettings
from broker.testing import LiveBroker, TestDataBuilder

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("broker") / "broker.sqlite"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"broker_test_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc}); start it, see COMMON.md")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database_url(request: pytest.FixtureRequest) -> str:
    """A database at the head revision, once per backend per test session."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    upgrade(url)
    return url


def wipe(url: str) -> None:
    """Empty every table (children first), so a test starts from a blank broker without re-migrating."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    wipe(migrated_database_url)
    return migrated_database_url


@pytest.fixture
def request_threads() -> int | None:
    """`BrokerSettings.threads` of the test's broker: the default (for one process, 1 on SQLite, endpoints on
    the event loop; 2 on PostgreSQL, in worker threads). A module serves both ways with
    `pytestmark = SERVED_THREADED_AND_INLINE`."""
    return None


@pytest.fixture
def broker_settings(database_url: str, request_threads: int | None) -> BrokerSettings:
    # Explicit values: the test must not depend on PACT_BROKER_* variables of the shell running it.
    return BrokerSettings(
        database_url=database_url,
        base_url=None,
        basic_auth_username=None,
        basic_auth_password=None,
        basic_auth_read_only_username=None,
        basic_auth_read_only_password=None,
        allow_public_read=False,
        allow_dangerous_contract_modification=False,
        max_body_bytes=10 * 1024 * 1024,
        log_level="INFO",
        auto_migrate=False,
        workers=1,
        threads=request_threads,
    )


@pytest.fixture
def broker_app(broker_settings: BrokerSettings) -> FastAPI:
    return create_app(broker_settings)


@pytest.fixture
def client(broker_app: FastAPI) -> Iterator[TestClient]:
    """An in-process client for a broker on this test's database (SQLite or PostgreSQL)."""
    with TestClient(broker_app, base_url="http://broker.test") as test_client:
        yield test_client


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    db = make_session_factory(engine)()
    try:
        yield db
    finally:
        db.close()
        engine.dispose()


@pytest.fixture
def td(session: Session) -> TestDataBuilder:
    """The fluent test-data builder, writing to the same database as `client` and `live_broker`."""
    return TestDataBuilder(session)


@pytest.fixture
def live_broker(broker_app: FastAPI) -> Iterator[LiveBroker]:
    """Real HTTP: `live_broker.url` is the base URL (http://127.0.0.1:<free port>)."""
    server = LiveBroker(broker_app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
