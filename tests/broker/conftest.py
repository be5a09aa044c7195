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

from broker.db.migrate import upgrade

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
