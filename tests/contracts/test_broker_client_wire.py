"""What the broker client puts on the wire and how it reads a broker's refusals.

The responses here are the shapes the official Pact Broker documents (reference §1.1, §1.8), served by an
httpx transport that records each request; the end-to-end behaviour against a live broker is in
`test_broker_live.py`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contracts.broker_client import BrokerClient, BrokerError, expand

INDEX = {
    "_links": {
        "self": {"href": "http://b/ctx/"},
        "pb:pacticipant-version": {
            "href": "http://b/ctx/pacticipants/{pacticipant}/versions/{version}",
            "templated": True,
        },
        "pb:publish-contracts": {"href": "http://b/ctx/contracts/publish"},
        "pb:environments": {"href": "http://b/ctx/environments"},
    }
}


class Recorder:
    def __init__(self, routes: dict[tuple[str, str], tuple[int, Any]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.routes.get(
            (request.method, request.url.path), (404, {"error": {"message": "nope"}})
        )
        return httpx.Response(status, json=body)


def client(routes: dict[tuple[str, str], tuple[int, Any]], **kwargs: Any) -> tuple[BrokerClient, Recorder]:
    recorder = Recorder({("GET", "/ctx/"): (200, INDEX), **routes})
    return BrokerClient("http://b/ctx", transport=httpx.MockTransport(recorder), **kwargs), recorder


def test_expand_encodes_each_variable_as_one_segment() -> None:
    assert expand("http://b/p/{pacticipant}/v/{version}", pacticipant="a b", version="1+dirty/x") == (
        "http://b/p/a%20b/v/1%2Bdirty%2Fx"
    )
    with pytest.raises(ValueError, match=r"\{version\}"):
        expand("http://b/{version}")


def test_can_i_deploy_sends_the_official_matrix_query_under_the_base_path() -> None:
    body = {"summary": {"deployable": False, "reason": "no verification"}, "matrix": [], "notices": []}
    broker, rec = client({("GET", "/ctx/matrix"): (200, body)})
    result = broker.can_i_deploy("sample", "1.0", "production")
    request = rec.requests[-1]
    assert request.url.params.multi_items() == [
        ("q[][pacticipant]", "sample"),
        ("q[][version]", "1.0"),
        ("latestby", "cvpv"),
        ("environment", "production"),
    ]
    assert result.deployable is False and result.reason == "no verification"


def test_validation_errors_become_broker_error_with_the_brokers_words() -> None:
    refusal = {"errors": {"pacticipantVersionNumber": ["can't be blank"]}}
    broker, _ = client({("POST", "/ctx/contracts/publish"): (400, refusal)})
    pact = {"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": []}
    with pytest.raises(BrokerError, match="pacticipantVersionNumber: can't be blank") as info:
        broker.publish_contracts("c", " ", None, pacts=[pact])
    assert info.value.status == 400


def test_conflict_notices_are_reported() -> None:
    conflict = {"notices": [{"type": "error", "text": "Cannot change the content of the pact"}]}
    broker, rec = client({("POST", "/ctx/contracts/publish"): (409, conflict)})
    pact = {"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": []}
    with pytest.raises(BrokerError, match="Cannot change the content"):
        broker.publish_contracts("c", "1", "main", pacts=[pact], tags=["t"], build_url="http://ci/1")
    sent = json.loads(rec.requests[-1].content)
    assert sent["branch"] == "main" and sent["tags"] == ["t"] and sent["buildUrl"] == "http://ci/1"
    assert sent["contracts"][0]["providerName"] == "p"


def test_a_pact_of_another_consumer_is_refused_before_sending() -> None:
    broker, rec = client({})
    with pytest.raises(ValueError, match="cannot be published as 'gateway'"):
        broker.publish_contracts(
            "gateway", "1", None, pacts=[{"consumer": {"name": "x"}, "provider": {"name": "p"}}]
        )
    assert rec.requests == []


def test_record_deployment_follows_the_environment_link_and_names_unknown_environments() -> None:
    version = {
        "_links": {
            "pb:record-deployment": [
                {
                    "name": "test",
                    "href": "http://b/ctx/pacticipants/s/versions/1/deployed-versions/environment/u1",
                },
            ]
        }
    }
    broker, rec = client(
        {
            ("GET", "/ctx/pacticipants/s/versions/1"): (200, version),
            ("POST", "/ctx/pacticipants/s/versions/1/deployed-versions/environment/u1"): (201, {"uuid": "d"}),
        }
    )
    assert broker.record_deployment("s", "1", "test", application_instance="blue") == {"uuid": "d"}
    assert json.loads(rec.requests[-1].content) == {"applicationInstance": "blue"}
    with pytest.raises(BrokerError, match=r"'production' does not exist.*known: test"):
        broker.record_deployment("s", "1", "production")


def test_bearer_token_and_basic_auth_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either a token"):
        BrokerClient("http://b", username="u", token="t")
    broker, rec = client({}, token="secret")
    broker.index()
    assert rec.requests[0].headers["authorization"] == "Bearer secret"


def test_unreachable_broker_is_a_broker_error() -> None:
    with (
        BrokerClient("http://127.0.0.1:9", timeout=2) as broker,
        pytest.raises(BrokerError, match="cannot reach"),
    ):
        broker.index()
