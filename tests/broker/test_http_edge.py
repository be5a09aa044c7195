"""Auth, body-size limit, media types and the heartbeat when the database is down."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.db.models import Pacticipant
from broker.settings import BrokerSettings
from tests.broker.helpers import publish_body


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def secured(broker_settings: BrokerSettings) -> Iterator[TestClient]:
    settings = broker_settings.model_copy(
        update={
            "basic_auth_username": "rw",
            "basic_auth_password": "secret",
            "basic_auth_read_only_username": "ro",
            "basic_auth_read_only_password": "peek",
        }
    )
    with TestClient(create_app(settings), base_url="http://broker.test") as client:
        yield client


def test_basic_auth_read_write_and_read_only_users(secured: TestClient, session: Session) -> None:
    assert secured.get("/").status_code == 401
    assert secured.get("/").headers["www-authenticate"].startswith("Basic")
    assert secured.get("/", headers=_basic("rw", "wrong")).status_code == 401
    assert secured.get("/", headers=_basic("ro", "peek")).status_code == 200
    assert (
        secured.post("/contracts/publish", json=publish_body(), headers=_basic("ro", "peek")).status_code
        == 403
    )
    # POST for-verification is a read (reference resource_access_policy.rb)
    for_verification = secured.post(
        "/pacts/provider/Bar/for-verification", json={}, headers=_basic("ro", "peek")
    )
    assert for_verification.status_code != 403 and for_verification.status_code != 401
    assert session.execute(select(func.count()).select_from(Pacticipant)).scalar_one() == 0
    assert (
        secured.post("/contracts/publish", json=publish_body(), headers=_basic("rw", "secret")).status_code
        == 200
    )
    assert secured.get("/diagnostic/status/heartbeat").status_code == 200  # always public


def test_public_read(broker_settings: BrokerSettings) -> None:
    settings = broker_settings.model_copy(
        update={"basic_auth_username": "rw", "basic_auth_password": "secret", "allow_public_read": True}
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/pacticipants").status_code == 200
        assert client.post("/pacticipants", json={"name": "X"}).status_code == 401


def test_oversized_bodies_are_413_and_store_nothing(
    broker_settings: BrokerSettings, session: Session
) -> None:
    settings = broker_settings.model_copy(update={"max_body_bytes": 2000})
    with TestClient(create_app(settings)) as client:
        small = publish_body()
        assert client.post("/contracts/publish", json=small).status_code == 200
        big = publish_body(version="2", description="x" * 5000)
        response = client.post("/contracts/publish", json=big)
        assert response.status_code == 413
        assert "2000 bytes" in response.json()["error"]["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
            yield b'{"name": "'
            yield b"y" * 5000
            yield b'"}'

        streamed = client.post(
            "/pacticipants", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
    session.rollback()
    assert session.execute(select(func.count()).select_from(Pacticipant)).scalar_one() == 2  # Foo, Bar only


def test_heartbeat_is_503_when_the_database_is_unreachable() -> None:
    settings = BrokerSettings(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1", auto_migrate=False
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/diagnostic/status/heartbeat")
        assert response.status_code == 503
        assert response.json()["ok"] is False


def test_unexpected_methods_and_paths(client: TestClient) -> None:
    assert client.delete("/").status_code == 405
    assert client.get("/pacticipants/Foo/versions/1/nothing-here").status_code == 404
