"""`branch_head_pacts` always equals `branch_heads` joined to the pact pointers, whatever the writes did.

The table is a stored copy of that join (for-verification's WIP candidates read it); each step below is a
write that could leave it stale: a head moving forwards, a version joining a branch without moving its
head, a pact or a new revision for a version that heads branches, and the deletions that move heads back
or take pacts away.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from benchmarks.server import throwaway_database
from broker.app import create_app
from broker.settings import BrokerSettings
from tests.broker.helpers import migrate_down_and_up, ok, pact_content, publish_body

# (branch, provider, consumer version, created_at, content SHA, content id, consumer version order)
Row = tuple[str, str, str, str, str, int, int]

DERIVED = """
SELECT b.name, p.name, v.number, lpp.created_at, pv.sha, lpp.pact_version_id, v."order"
FROM branch_heads bh
JOIN branches b ON b.id = bh.branch_id
JOIN latest_pact_publication_ids_for_consumer_versions lpp ON lpp.consumer_version_id = bh.version_id
JOIN pacticipants p ON p.id = lpp.provider_id
JOIN versions v ON v.id = lpp.consumer_version_id
JOIN pact_versions pv ON pv.id = lpp.pact_version_id
"""
# What the table stores of the pact and its version (what for-verification's WIP candidates show) is
# compared as stored, not looked up again.
STORED = """
SELECT bhp.branch_name, p.name, bhp.consumer_version_number, bhp.created_at, bhp.pact_version_sha,
    bhp.pact_version_id, bhp.consumer_version_order
FROM branch_head_pacts bhp
JOIN pacticipants p ON p.id = bhp.provider_id
"""


def _rows(app: FastAPI, sql: str) -> set[Row]:
    with app.state.engine.connect() as conn:
        return {(r[0], r[1], r[2], str(r[3]), r[4], r[5], r[6]) for r in conn.execute(text(sql))}


def _same(app: FastAPI) -> set[tuple[str, str, str]]:
    stored, derived = _rows(app, STORED), _rows(app, DERIVED)
    assert stored == derived
    return {row[:3] for row in stored}


@pytest.fixture
def broker_app(broker_settings: BrokerSettings) -> FastAPI:
    # New revisions of a pact are one of the writes under test.
    return create_app(broker_settings.model_copy(update={"allow_dangerous_contract_modification": True}))


def test_the_stored_pacts_of_branch_heads_follow_every_write(broker_app: FastAPI, client: TestClient) -> None:
    publish = client.post
    ok(publish("/contracts/publish", json=publish_body("C", "0", "P2", branch=None)))  # on no branch
    ok(publish("/contracts/publish", json=publish_body("C", "1", "P1", branch="main")))
    ok(publish("/contracts/publish", json=publish_body("C", "1", "P2", branch="main")))
    assert _same(broker_app) == {("main", "P1", "1"), ("main", "P2", "1")}

    # The head moves to a version with a pact for P1 only: P2's row goes (a head without a pact selects
    # nothing).
    ok(publish("/contracts/publish", json=publish_body("C", "2", "P1", branch="main")))
    assert _same(broker_app) == {("main", "P1", "2")}

    ok(publish("/contracts/publish", json=publish_body("C", "3", "P1", branch="feature-x")))
    before = _rows(broker_app, STORED)
    # A new revision of the head's pact: same row, its new creation time.
    ok(client.put("/pacts/provider/P1/consumer/C/version/3", json=pact_content("C", "P1", "changed")))
    assert _same(broker_app) == {("main", "P1", "2"), ("feature-x", "P1", "3")}
    assert _rows(broker_app, STORED) != before

    # A version that has a pact already is published with another provider onto a new branch: that
    # branch's head brings both (a version the publication creates would have none to bring), and the
    # branch it headed already gets the new one.
    ok(publish("/contracts/publish", json=publish_body("C", "3", "P2", branch="feature-z")))
    assert {r for r in _same(broker_app) if r[2] == "3"} == {
        ("feature-x", "P1", "3"),
        ("feature-x", "P2", "3"),
        ("feature-z", "P1", "3"),
        ("feature-z", "P2", "3"),
    }

    # An old version starts a branch (it heads it), and then gets a pact with a third provider.
    ok(client.put("/pacticipants/C/branches/feature-y/versions/1", json={}))
    ok(publish("/contracts/publish", json=publish_body("C", "1", "P3", branch=None)))
    assert _same(broker_app) == {
        ("main", "P1", "2"),
        ("feature-x", "P1", "3"),
        ("feature-x", "P2", "3"),
        ("feature-z", "P1", "3"),
        ("feature-z", "P2", "3"),
        ("feature-y", "P1", "1"),
        ("feature-y", "P2", "1"),
        ("feature-y", "P3", "1"),
    }

    # An older version (with a pact) joins main: the head stays.
    ok(client.put("/pacticipants/C/branches/main/versions/0", json={}))
    assert {r for r in _same(broker_app) if r[0] == "main"} == {("main", "P1", "2")}

    # Deleting main's head moves it back to version 1, with its three pacts.
    ok(client.delete("/pacticipants/C/versions/2"))
    assert {r for r in _same(broker_app) if r[0] == "main"} == {
        ("main", "P1", "1"),
        ("main", "P2", "1"),
        ("main", "P3", "1"),
    }

    ok(client.delete("/pacts/provider/P1/consumer/C/version/1"))
    assert not {r for r in _same(broker_app) if r[1] == "P1" and r[2] == "1"}

    ok(client.delete("/pacticipants/C/branches/feature-x"))
    assert not {r for r in _same(broker_app) if r[0] == "feature-x"}

    ok(client.delete("/integrations/provider/P2/consumer/C"))
    assert not {r for r in _same(broker_app) if r[1] == "P2"}

    ok(client.delete("/pacticipants/C"))
    assert _same(broker_app) == set()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_fills_the_table_from_the_history_already_there(backend: str) -> None:
    """A broker upgraded to `perf_0002` with history in it: the table is built from that history."""
    with throwaway_database(backend) as url:
        app = create_app(BrokerSettings(database_url=url))
        with TestClient(app) as client:
            for body in [
                publish_body("C", "1", "P1", branch="main"),
                publish_body("C", "1", "P2", branch="main"),
                publish_body("C", "2", "P1", branch="feature-a"),
                publish_body("D", "1", "P1", branch="main"),
            ]:
                ok(client.post("/contracts/publish", json=body))
        expected = _same(app)
        app.state.engine.dispose()
        migrate_down_and_up(url, "perf_0001")  # back to the revision before the table, then up again
        assert _same(create_app(BrokerSettings(database_url=url))) == expected
        assert expected == {("main", "P1", "1"), ("main", "P2", "1"), ("feature-a", "P1", "2")}
