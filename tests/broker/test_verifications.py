"""Verification results: publishing (with and without metadata), reading back, the latest pointer."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from broker.db.engine import session_scope
from broker.db.models import LatestVerificationIdForPactVersionAndProviderVersion, Verification
from broker.pacts import metadata
from broker.testing import TestDataBuilder

RESULT = {
    "success": True,
    "providerApplicationVersion": "2.0.0",
    "buildUrl": "http://ci/builds/3",
    "testResults": [{"interactionId": "x", "success": True}],
    "verifiedBy": {"implementation": "Pact-Rust", "version": "1.0"},
}


def _results_url(client: TestClient) -> str:
    pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    return str(pact["_links"]["pb:publish-verification-results"]["href"])


def test_publish_and_read_back(client: TestClient, td: TestDataBuilder, session: Session) -> None:
    td.create_consumer("Foo").create_consumer_version("1").create_pact(provider="Bar")
    response = client.post(_results_url(client), json=RESULT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["providerApplicationVersion"] == "2.0.0" and body["success"] is True
    assert body["verifiedBy"]["implementation"] == "Pact-Rust"
    assert response.headers["location"] == body["_links"]["self"]["href"]
    assert client.get(response.headers["location"]).json()["testResults"] == RESULT["testResults"]

    second = client.post(_results_url(client), json={**RESULT, "success": False})
    assert second.json()["number"] > body["number"]  # one global sequence
    latest_url = _results_url(client) + "/latest"
    assert client.get(latest_url).json()["success"] is False
    pointer = session.execute(select(LatestVerificationIdForPactVersionAndProviderVersion)).scalar_one()
    newest = session.execute(
        select(Verification).where(Verification.number == second.json()["number"])
    ).scalar_one()
    assert pointer.verification_id == newest.id

    summary = client.get("/verification-results/consumer/Foo/version/1/latest").json()
    assert summary["success"] is False and summary["providerSummary"]["failed"] == ["Bar"]
    assert client.get("/pacticipants/Bar/versions/2.0.0").status_code == 200  # provider version auto-created


def test_metadata_records_wip_and_pending(client: TestClient, td: TestDataBuilder, session: Session) -> None:
    td.create_consumer("Foo").create_consumer_version("1").create_pact(provider="Bar")
    sha = td.pact.pact_version.sha  # type: ignore[union-attr]
    base = f"/pacts/provider/Bar/consumer/Foo/pact-version/{sha}"
    pending = metadata.encode({"s": [{"b": "main", "l": True, "cv": td.consumer_version.id}], "p": True})  # type: ignore[union-attr]
    assert client.post(f"{base}/metadata/{pending}/verification-results", json=RESULT).status_code == 201
    wip = metadata.encode({"w": True})
    assert client.post(f"{base}/metadata/{wip}/verification-results", json=RESULT).status_code == 201
    assert client.post(f"{base}/verification-results", json=RESULT).status_code == 201
    rows = session.execute(
        select(Verification.wip, Verification.pact_pending).order_by(Verification.number)
    ).all()
    assert [tuple(r) for r in rows] == [(False, True), (True, None), (False, None)]


def test_bad_results_are_refused_and_nothing_is_stored(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.create_consumer("Foo").create_consumer_version("1").create_pact(provider="Bar")
    url = _results_url(client)
    missing = client.post(url, json={"success": True})
    assert missing.status_code == 400 and "providerApplicationVersion" in missing.json()["errors"]
    not_bool = client.post(url, json={**RESULT, "success": "yes"})
    assert "success" in not_bool.json()["errors"]
    assert client.post(url, json={**RESULT, "buildUrl": "not a url"}).status_code == 400
    sha = url.split("/pact-version/")[1].split("/")[0]
    unknown = client.post(url.replace(sha, "f" * 40), json=RESULT)
    assert unknown.status_code == 404
    assert (
        client.post(
            url.replace("/verification-results", "/metadata/%25%25/verification-results"), json=RESULT
        ).status_code
        == 400
    )
    assert session.execute(select(Verification)).first() is None
    assert client.get(url + "/latest").status_code == 404
    assert client.get(url + "/12345").status_code == 404


def test_a_provider_version_deleted_while_the_result_is_published_is_a_409_that_stores_nothing(
    client: TestClient, td: TestDataBuilder, session: Session, broker_app: FastAPI
) -> None:
    """On SQLite the pact and an existing provider version are read before the writer lock: deleted in
    between (here, by the statement that ends those reads), the result's foreign key fails the write."""
    if broker_app.state.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads them in the write's own transaction (no writer lock to read before)")
    td.create_consumer("Foo").create_consumer_version("1").create_pact(provider="Bar")
    td.create_version("Bar", "2.0.0")
    url = _results_url(client)
    engine, factory = broker_app.state.engine, broker_app.state.session_factory

    deleted: list[bool] = []

    def delete_the_version(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "COMMIT" and not deleted:  # the end of the reads before the lock
            deleted.append(True)
            with session_scope(factory, write=True) as other:
                other.execute(text("DELETE FROM versions WHERE number = '2.0.0'"))

    event.listen(engine, "before_cursor_execute", delete_the_version)
    try:
        response = client.post(url, json=RESULT)
    finally:
        event.remove(engine, "before_cursor_execute", delete_the_version)
    assert deleted
    assert response.status_code == 409, response.text
    assert "nothing was stored" in response.json()["error"]["message"]
    assert session.execute(select(Verification)).first() is None
    assert client.post(url, json=RESULT).status_code == 201  # published again, it creates the version
