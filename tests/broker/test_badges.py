"""Pact badges redirect to shields.io with the verification status of the latest pact."""

from __future__ import annotations

from fastapi.testclient import TestClient

from broker.testing import TestDataBuilder


def _badge(client: TestClient, path: str) -> str:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["cache-control"] == "max-age=30"
    return str(response.headers["location"])


def test_badge_follows_the_latest_verification(client: TestClient, td: TestDataBuilder) -> None:
    base = "/pacts/provider/Bar/consumer/Foo"
    assert _badge(client, f"{base}/latest/badge").endswith("-unknown-lightgrey.svg")  # nothing published yet
    td.publish_pact("Foo", "1", "Bar", tags=["prod"])
    assert _badge(client, f"{base}/latest/badge").endswith("/Foo%2FBar%20pact-unknown-lightgrey.svg")
    td.create_verification("2", success=False)
    assert _badge(client, f"{base}/latest/badge").endswith("-failed-red.svg")
    td.create_verification("3", success=True)
    assert _badge(client, f"{base}/latest/badge.svg").endswith("-verified-brightgreen.svg")
    assert _badge(client, f"{base}/latest/prod/badge").endswith("-verified-brightgreen.svg")
    assert _badge(client, f"{base}/latest/dev/badge").endswith("-unknown-lightgrey.svg")
    assert _badge(client, f"{base}/latest-untagged/badge").endswith("-unknown-lightgrey.svg")
    labelled = _badge(client, f"{base}/latest/badge?label=contract-test")
    assert labelled == "https://img.shields.io/badge/contract--test-verified-brightgreen.svg"
