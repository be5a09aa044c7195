"""Performance rule: a request runs a fixed number of queries, however many rows it returns (no N+1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from broker.testing import TestDataBuilder
from tests.broker.helpers import publish_body


@contextmanager
def counting(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)


def _world(td: TestDataBuilder, consumers: int) -> None:
    td.create_environment("production").create_environment("test")
    for n in range(consumers):
        td.publish_pact(f"C{n}", "1", "Bar", branch="main", tags=["prod", "dev"]).create_verification("2")
        td.publish_pact(f"C{n}", "2", "Bar", branch="main", description="v2")


REQUESTS: list[tuple[str, Callable[[TestClient, int], Any]]] = [
    ("latest pacts", lambda c, _round: c.get("/pacts/latest")),
    ("provider latest", lambda c, _round: c.get("/pacts/provider/Bar/latest")),
    ("provider pacts", lambda c, _round: c.get("/pacts/provider/Bar")),
    ("pacticipants", lambda c, _round: c.get("/pacticipants")),
    ("versions", lambda c, _round: c.get("/pacticipants/C0/versions")),
    ("version", lambda c, _round: c.get("/pacticipants/C0/versions/1")),
    ("pact", lambda c, _round: c.get("/pacts/provider/Bar/consumer/C0/latest")),
    ("environments", lambda c, _round: c.get("/environments")),
    (
        "publish",
        lambda c, _round: c.post(
            "/contracts/publish", json=publish_body("C0", f"9.{_round}", "Bar", tags=["a", "b", "c"])
        ),
    ),
]


@pytest.mark.parametrize(("name", "request_"), REQUESTS, ids=[name for name, _ in REQUESTS])
def test_query_count_does_not_grow_with_the_data(
    client: TestClient,
    broker_app: FastAPI,
    td: TestDataBuilder,
    name: str,
    request_: Callable[[TestClient, int], Any],
) -> None:
    _world(td, 2)
    with counting(broker_app) as small:
        assert request_(client, 1).status_code == 200
    _world_more = [td.publish_pact(f"D{n}", "1", "Bar", branch="main", tags=["prod"]) for n in range(8)]
    assert _world_more
    with counting(broker_app) as big:
        assert request_(client, 2).status_code == 200
    assert len(big) == len(small), f"{name}: {len(small)} queries with 2 consumers, {len(big)} with 10"
    assert len(small) <= 40, f"{name}: {len(small)} queries"
