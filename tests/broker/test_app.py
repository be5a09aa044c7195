"""The app skeleton: index, heartbeat, unknown paths, the builder writing where the app reads."""

from __future__ import annotations

import gc

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing import LiveBroker, TestDataBuilder


def test_index_lists_the_relations_clients_navigate_by(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/hal+json")
    links = response.json()["_links"]
    for rel in (
        "pb:publish-contracts",
        "pb:pacticipant",
        "pb:environments",
        "pb:provider-pacts-for-verification",
    ):
        assert links[rel]["href"].startswith("http://broker.test/")
    assert links["pb:pacticipant"]["templated"] is True
    assert [c["name"] for c in links["curies"]] == ["pb", "beta"]
    assert response.headers["x-pact-broker-version"]


def test_heartbeat_checks_the_database(client: TestClient) -> None:
    response = client.get("/diagnostic/status/heartbeat")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_unknown_path_is_404_with_an_error_body(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert "message" in response.json()["error"]


def test_live_broker_serves_real_http(live_broker: LiveBroker, td: TestDataBuilder) -> None:
    td.create_consumer("Foo").create_consumer_version("1", branch="main").create_pact(provider="Bar")
    response = httpx.get(f"{live_broker.url}/")
    assert response.status_code == 200
    assert response.json()["_links"]["self"]["href"] == f"{live_broker.url}/"


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    response = client.head("/diagnostic/status/heartbeat")
    assert response.status_code == 200 and response.content == b""
    assert client.head("/pacticipants/Nobody").status_code == 404


def test_each_process_works_on_as_many_requests_at_once_as_its_threads_setting(
    broker_settings: BrokerSettings,
) -> None:
    def tokens() -> float:
        return float(anyio.to_thread.current_default_thread_limiter().total_tokens)

    default = create_app(broker_settings)
    with TestClient(default) as client:
        # Not Starlette's 40: see BrokerSettings.threads (one process: 1 on SQLite, 2 on PostgreSQL).
        assert client.portal.call(tokens) == broker_settings.request_threads
    two = create_app(broker_settings.model_copy(update={"threads": 2}))
    with TestClient(two) as client:
        assert client.portal.call(tokens) == 2
    one = create_app(broker_settings.model_copy(update={"threads": 1}))
    with TestClient(one) as client:
        assert client.portal.call(tokens) == 1


@pytest.mark.parametrize(
    ("url", "workers", "threads", "expected"),
    [
        ("sqlite:///./.data/broker.sqlite", 1, None, 1),  # one process on SQLite: all CPU, no wait to cover
        ("sqlite:///./.data/broker.sqlite", 2, None, 1),  # the image's default: one writer at a time
        ("postgresql+psycopg://u@db/broker", 1, None, 2),  # a request waiting on PostgreSQL
        ("postgresql+psycopg://u@db/broker", 2, None, 1),  # the other process covers the wait
        ("sqlite:///./.data/broker.sqlite", 2, 3, 3),  # said explicitly: as said
        ("postgresql+psycopg://u@db/broker", 4, 1, 1),
    ],
)
def test_requests_at_once_default_by_database_and_processes(
    url: str, workers: int, threads: int | None, expected: int
) -> None:
    settings = BrokerSettings(database_url=url, workers=workers, threads=threads)
    assert settings.request_threads == expected


def test_the_serving_process_collects_cyclic_garbage_far_less_often_than_pythons_default(
    broker_settings: BrokerSettings,
) -> None:
    gc.set_threshold(700, 10, 10)  # Python's default
    with TestClient(create_app(broker_settings)):
        assert gc.get_threshold() == (20_000, 50, 100)
