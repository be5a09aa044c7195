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
        if not statement.startswith(("BEGIN", "COMMIT", "PRAGMA", "SAVEPOINT", "RELEASE")):
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
        "for-verification",
        lambda c, _round: c.post(
            "/pacts/provider/Bar/for-verification",
            json={"providerVersionBranch": "main", "includeWipPactsSince": "2020-01-01"},
        ),
    ),
    (
        "for-verification with selectors",
        lambda c, _round: c.post(
            "/pacts/provider/Bar/for-verification",
            json={
                "consumerVersionSelectors": [{"mainBranch": True}, {"tag": "prod", "latest": True}],
                "providerVersionTags": ["prod"],
                "includeWipPactsSince": "2020-01-01",
            },
        ),
    ),
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


# The writes every CI build sends, in their steady state (existing pacticipants and branch, reused content,
# an existing provider version, the version already deployed), run at most this many statements.
# PostgreSQL adds one to a deployment: the advisory lock that serialises deployments of one instance.
# A publication moving its branch's head keeps `branch_head_pacts` in step: two statements (the head's old
# rows out, the new pact in; a version created by the publication has no other pacts to bring in) that spare
# for-verification a probe of every head. The version joins an existing branch found by name inside the
# insert (14 -> 12 statements for a publication). New tags move their names' heads in `tag_heads`, one
# statement however many tags (for-verification reads a consumer's tag heads from it).
# Each write moves the answer cache's counters before it commits (one statement); a verification result
# also checks whether the same provider version already succeeded for the content (then it moves only the
# counters of its parties' results, which deployment questions are kept under).
Send = Callable[[], Any]


def _publish(client: TestClient) -> Send:
    return lambda: client.post("/contracts/publish", json=publish_body("C0", "9", "Bar", branch="main"))


def _publish_tagged(client: TestClient) -> Send:
    body = publish_body("C0", "9", "Bar", branch="main", tags=["a", "b", "c"])
    return lambda: client.post("/contracts/publish", json=body)


def _verification(client: TestClient) -> Send:
    pact = client.get("/pacts/provider/Bar/consumer/C0/version/1").json()
    url = pact["_links"]["pb:publish-verification-results"]["href"]
    return lambda: client.post(url, json={"success": True, "providerApplicationVersion": "2"})


def _deploy_url(client: TestClient, version: str) -> str:
    production = client.get("/environments", params={"name": "production"}).json()
    uuid = production["_embedded"]["environments"][0]["uuid"]
    return f"/pacticipants/C0/versions/{version}/deployed-versions/environment/{uuid}"


def _deployment(client: TestClient) -> Send:
    assert client.post(_deploy_url(client, "1"), json={}).status_code == 201
    url = _deploy_url(client, "2")
    return lambda: client.post(url, json={})


def _deployment_again(client: TestClient) -> Send:
    url = _deploy_url(client, "1")
    assert client.post(url, json={}).status_code == 201
    return lambda: client.post(url, json={})


WRITES: list[tuple[str, Callable[[TestClient], Send], int]] = [
    ("publish", _publish, 12),
    ("publish with three tags", _publish_tagged, 14),
    ("verification result", _verification, 7),
    ("deployment replacing the current one", _deployment, 6),
    ("deployment, already current", _deployment_again, 2),
]


@pytest.mark.parametrize(("name", "prepare", "most"), WRITES, ids=[name for name, _, _ in WRITES])
def test_writes_run_few_statements(
    client: TestClient,
    broker_app: FastAPI,
    td: TestDataBuilder,
    name: str,
    prepare: Callable[[TestClient], Send],
    most: int,
) -> None:
    _world(td, 2)
    send = prepare(client)
    with counting(broker_app) as statements:
        response = send()
    assert response.status_code in (200, 201), response.text
    if broker_app.state.engine.dialect.name == "postgresql" and name.startswith("deployment"):
        most += 1
    assert len(statements) <= most, f"{name}: {len(statements)} statements\n" + "\n".join(statements)


def test_for_verification_runs_few_statements(
    client: TestClient, broker_app: FastAPI, td: TestDataBuilder
) -> None:
    """Default selectors with pending and WIP: the provider with which default applies to each consumer,
    every pact (main-branch heads, deployed, released and the WIP candidates), and what was verified for
    pending and WIP: one statement each (10 statements before); PostgreSQL adds a SET LOCAL that keeps one
    plan for every pact's statement. Before them, the answer cache's counters; asked again with nothing
    written in between, the answer is the kept one, and the counters are all that is read."""
    _world(td, 2)
    td.publish_pact("C0", "3", "Bar", branch="feature/x", description="v3")
    body = {"providerVersionBranch": "main", "includeWipPactsSince": "2020-01-01"}
    with counting(broker_app) as statements:
        response = client.post("/pacts/provider/Bar/for-verification", json=body)
    assert response.status_code == 200, response.text
    assert any(p["verificationProperties"].get("wip") for p in response.json()["_embedded"]["pacts"])
    most = 5 if broker_app.state.engine.dialect.name == "postgresql" else 4
    assert len(statements) <= most, f"{len(statements)} statements\n" + "\n".join(statements)
    with counting(broker_app) as again:
        kept = client.post("/pacts/provider/Bar/for-verification", json=body)
    assert kept.content == response.content
    assert len(again) == 1, "\n".join(again)


def test_can_i_deploy_and_the_matrix_run_few_statements(
    client: TestClient, broker_app: FastAPI, td: TestDataBuilder
) -> None:
    """On PostgreSQL every statement is a round trip (~0.3 ms on the benchmark machine, half of
    can-i-deploy's time): the pacticipants, environment and version numbers named are read in one
    statement, the integrations on both sides in another, then the environment's versions of the others,
    the rows and the versions' branches, tags and environments. A question whose answer can be kept reads
    the counters first (one statement more); asked again with nothing written in between, the counters
    are all that is read. A tag target is never kept: no counters, and computed again."""
    _world(td, 3)
    td.create_deployed_version(pacticipant="C1", version="1", environment="production")
    for url, most, kept in [
        ("/can-i-deploy?pacticipant=Bar&version=2&environment=production", 6, True),
        ("/can-i-deploy?pacticipant=C0&version=2&to=prod", 5, False),
        (
            "/matrix?q[][pacticipant]=C0&q[][version]=1&q[][pacticipant]=Bar&q[][version]=2&latestby=cvpv",
            5,
            True,
        ),
    ]:
        with counting(broker_app) as statements:
            response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.json()["matrix"], url
        assert len(statements) <= most, f"{url}: {len(statements)}\n" + "\n".join(statements)
        with counting(broker_app) as again:
            assert client.get(url).content == response.content
        assert len(again) == (1 if kept else len(statements)), "\n".join(again)
