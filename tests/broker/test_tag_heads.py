"""`tag_heads` always equals `tags` grouped by (pacticipant, name) with the newest version, whatever the
writes did.

The table is a stored copy of that grouping (for-verification's WIP candidates read it); each step below is a
write that could leave it stale: a tag on a newer or an older version, and the deletions (of a tag, of a
version, of the pacticipant) that move a head back or take it away.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from benchmarks.server import throwaway_database
from broker.app import create_app
from broker.settings import BrokerSettings
from tests.broker.helpers import migrate_down_and_up, ok, publish_body

DERIVED = """
SELECT p.name, t.name, v.number, t.version_order
FROM tags t
JOIN pacticipants p ON p.id = t.pacticipant_id
JOIN versions v ON v.id = t.version_id
WHERE t.version_order = (
    SELECT max(newer.version_order) FROM tags newer
    WHERE newer.pacticipant_id = t.pacticipant_id AND newer.name = t.name
)
"""
STORED = """
SELECT p.name, th.name, v.number, th.version_order
FROM tag_heads th
JOIN pacticipants p ON p.id = th.pacticipant_id
JOIN versions v ON v.id = th.version_id
"""


def _rows(app: FastAPI, sql: str) -> set[tuple[str, str, str, int]]:
    with app.state.engine.connect() as conn:
        return {(r[0], r[1], r[2], r[3]) for r in conn.execute(text(sql))}


def _heads(app: FastAPI) -> set[tuple[str, str, str]]:
    """(pacticipant, tag, version number) of every head, after checking the stored rows are the derived."""
    stored, derived = _rows(app, STORED), _rows(app, DERIVED)
    assert stored == derived
    return {row[:3] for row in stored}


def test_the_stored_tag_heads_follow_every_write(broker_app: FastAPI, client: TestClient) -> None:
    ok(client.post("/contracts/publish", json=publish_body("C", "1", "P", tags=["t1"])))
    ok(client.post("/contracts/publish", json=publish_body("C", "2", "P", tags=["t1", "t2"])))
    ok(client.post("/contracts/publish", json=publish_body("D", "1", "P", tags=["t1"])))
    assert _heads(broker_app) == {("C", "t1", "2"), ("C", "t2", "2"), ("D", "t1", "1")}

    # An older version tagged: the head stays; a newer one: the head moves.
    ok(client.put("/pacticipants/C/versions/1/tags/t2", json={}))
    assert ("C", "t2", "2") in _heads(broker_app)
    ok(client.post("/contracts/publish", json=publish_body("C", "3", "P", tags=[])))
    ok(client.put("/pacticipants/C/versions/3/tags/t1", json={}))
    assert _heads(broker_app) == {("C", "t1", "3"), ("C", "t2", "2"), ("D", "t1", "1")}

    # Deleting the head's tag moves it back to the newest version still tagged.
    ok(client.delete("/pacticipants/C/versions/3/tags/t1"))
    assert ("C", "t1", "2") in _heads(broker_app)

    # Deleting the head version moves both of its tags back.
    ok(client.delete("/pacticipants/C/versions/2"))
    assert _heads(broker_app) == {("C", "t1", "1"), ("C", "t2", "1"), ("D", "t1", "1")}

    # The last tag of a name goes: so does its head.
    ok(client.delete("/pacticipants/C/versions/1/tags/t2"))
    assert _heads(broker_app) == {("C", "t1", "1"), ("D", "t1", "1")}

    ok(client.delete("/pacticipants/C"))
    assert _heads(broker_app) == {("D", "t1", "1")}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_fills_the_table_from_the_tags_already_there(backend: str) -> None:
    """A broker upgraded to `perf_0005` with tags in it: the table is built from them."""
    with throwaway_database(backend) as url:
        app = create_app(BrokerSettings(database_url=url))
        with TestClient(app) as client:
            for body in [
                publish_body("C", "1", "P", tags=["t1", "t2"]),
                publish_body("C", "2", "P", tags=["t1"]),
                publish_body("D", "1", "P", tags=["t1"]),
            ]:
                ok(client.post("/contracts/publish", json=body))
        expected = _heads(app)
        app.state.engine.dispose()
        migrate_down_and_up(url, "perf_0004")  # back to the revision before the table, then up again
        assert _heads(create_app(BrokerSettings(database_url=url))) == expected
        assert expected == {("C", "t1", "2"), ("C", "t2", "1"), ("D", "t1", "1")}
