"""Webhooks: the API (shapes and validation as the reference), test execution over real HTTP, and events
fired through `broker.webhooks.service.fire` running in the background with bounded retries.

Every test runs on SQLite and PostgreSQL; the webhook target is a real HTTP server on a free port.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.db.engine import begin_write
from broker.testing import TestDataBuilder
from broker.webhooks import service
from broker.webhooks.dispatcher import dispatcher_for
from broker.webhooks.settings import WebhookSettings

# --- a real HTTP server for webhooks to call --------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Records each request; answers with the next status of its script (then repeats the last)."""

    url: str
    statuses: list[int]
    requests: list[Received] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests


@contextmanager
def webhook_receiver(*statuses: int) -> Iterator[Receiver]:
    receiver = Receiver(url="", statuses=list(statuses) or [200])

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            received = Received(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            receiver.requests.append(received)
            status = receiver.statuses[min(len(receiver.requests), len(receiver.statuses)) - 1]
            payload = b'{"received": true}'
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_GET = _handle

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


REPO = Path(__file__).resolve().parents[2]
BASIC_CI_HUNTER2 = "Basic " + base64.b64encode(b"ci:hunter2").decode()


def settings(**overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {
        "scheme_whitelist": ["https", "http"],
        "http_method_whitelist": ["POST"],
        "host_whitelist": [],
        "retry_schedule": [0.05, 0.05],
        "timeout_seconds": 5,
    }
    return WebhookSettings(**(values | overrides))


@pytest.fixture
def webhook_settings(broker_app: FastAPI) -> WebhookSettings:
    chosen = settings()
    broker_app.state.webhook_settings = chosen
    return chosen


def webhook_body(url: str = "https://ci.example.org/build", **extra: Any) -> dict[str, Any]:
    return {
        "description": "trigger the provider build",
        "events": [{"name": "contract_content_changed"}],
        "request": {
            "method": "POST",
            "url": url,
            "headers": {"Content-Type": "application/json", "X-Api-Token": "t0ken"},
            "body": {"pact": "${pactbroker.pactUrl}", "consumer": "${pactbroker.consumerName}"},
            "username": "ci",
            "password": "hunter2",
        },
        **extra,
    }


# --- the API ------------------------------------------------------------------------------------------


def test_a_webhook_for_a_pact_is_created_and_read_back_in_the_reference_shape(
    client: TestClient, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.create_consumer("Foo").create_provider("Bar")
    body = webhook_body(consumer={"name": "Foo"}, provider={"name": "Bar"})

    response = client.post("/webhooks", json=body)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/hal+json;charset=utf-8"
    created = response.json()
    assert response.headers["location"] == f"http://broker.test/webhooks/{created['uuid']}"
    assert created["description"] == "trigger the provider build"
    assert created["consumer"] == {"name": "Foo"} and created["provider"] == {"name": "Bar"}
    assert created["enabled"] is True
    assert created["events"] == [{"name": "contract_content_changed"}]
    assert created["request"] == {
        "method": "POST",
        "url": "https://ci.example.org/build",
        "headers": {"Content-Type": "application/json", "X-Api-Token": "**********"},
        "body": {"pact": "${pactbroker.pactUrl}", "consumer": "${pactbroker.consumerName}"},
        "username": "ci",
        "password": "**********",
    }
    links = created["_links"]
    assert links["self"] == {"href": response.headers["location"], "title": "trigger the provider build"}
    assert links["pb:execute"]["href"] == response.headers["location"] + "/execute"
    assert links["pb:consumer"] == {
        "href": "http://broker.test/pacticipants/Foo",
        "title": "Consumer",
        "name": "Foo",
    }
    assert links["pb:pact-webhooks"]["href"] == "http://broker.test/webhooks/provider/Bar/consumer/Foo"
    assert client.get(links["self"]["href"]).json() == created

    listing = client.get("/webhooks").json()["_links"]
    assert listing["pb:webhooks"] == [
        {
            "href": response.headers["location"],
            "title": "A webhook for the pact between Foo and Bar",
            "name": "trigger the provider build",
        }
    ]
    assert listing["pb:create"]["href"] == "http://broker.test/webhooks"


def test_events_default_to_contract_content_changed_and_the_description_to_method_and_host(
    client: TestClient, webhook_settings: WebhookSettings
) -> None:
    body = {"request": {"method": "POST", "url": "https://ci.example.org/hook?x=${pactbroker.consumerName}"}}
    created = client.post("/webhooks", json=body).json()
    assert created["events"] == [{"name": "contract_content_changed"}]
    assert created["description"] == "POST ci.example.org"
    assert "consumer" not in created and "provider" not in created
    assert client.get("/webhooks").json()["_links"]["pb:webhooks"][0]["title"] == "A webhook for all pacts"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"events": [{"name": "pact_changed"}]}, "events[0].name", "must be one of contract_published"),
        ({"events": []}, "events", "at least one"),
        ({"request": {"method": "POST"}}, "request.url", "is missing"),
        ({"request": {"url": "https://x.org"}}, "request.method", "is missing"),
        (
            {"request": {"method": "POST", "url": "ftp://x.org/f"}},
            "request.url",
            "scheme must be https, http",
        ),
        ({"request": {"method": "POST", "url": "not a url"}}, "request.url", "is not a valid URL"),
        (
            {"request": {"method": "POST", "url": "https://${pactbroker.consumerName}.org"}},
            "request.url",
            "cannot have a template parameter in the host",
        ),
        ({"request": {"method": "GET", "url": "https://x.org"}}, "request.method", "must be POST"),
        (
            {"request": {"method": "FETCH", "url": "https://x.org"}},
            "request.method",
            "not a recognised HTTP method",
        ),
        ({"consumer": {"name": "Nobody"}}, "consumer.name", "No pacticipant with name 'Nobody' found"),
        (
            {"provider": {"name": "Bar", "label": "team-a"}},
            "provider.label",
            "cannot be provided at the same time",
        ),
        ({"consumer": {}}, "consumer", "cannot be blank"),
        ({"request": None}, "request", "is missing"),
    ],
)
def test_invalid_webhooks_are_400_naming_the_field_and_nothing_is_stored(
    client: TestClient,
    td: TestDataBuilder,
    webhook_settings: WebhookSettings,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    td.create_provider("Bar")
    response = client.post("/webhooks", json=webhook_body() | change)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert any(message in text for text in errors[field]), errors
    assert client.get("/webhooks").json()["_links"]["pb:webhooks"] == []


def test_put_creates_then_replaces_keeping_the_secrets_it_only_showed_starred(
    client: TestClient, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.create_consumer("Foo")
    uuid = "my-build-webhook-0001"
    first = client.put(f"/webhooks/{uuid}", json=webhook_body(consumer={"name": "Foo"}))
    assert first.status_code == 201 and first.json()["uuid"] == uuid

    shown = first.json()
    shown["description"] = "renamed"
    shown["events"] = [{"name": "contract_published"}, {"name": "provider_verification_failed"}]
    second = client.put(f"/webhooks/{uuid}", json=shown)

    assert second.status_code == 200, second.text
    assert second.json()["description"] == "renamed"
    assert [e["name"] for e in second.json()["events"]] == [
        "contract_published",
        "provider_verification_failed",
    ]
    with webhook_receiver(200) as receiver:
        client.put(f"/webhooks/{uuid}", json=shown | {"request": shown["request"] | {"url": receiver.url}})
        client.post(f"/webhooks/{uuid}/execute")
        sent = receiver.wait_for(1)[0]
    # The password and token header, shown starred and sent back starred, were kept.
    assert sent.headers["x-api-token"] == "t0ken"
    assert sent.headers["authorization"] == BASIC_CI_HUNTER2


def test_put_with_a_malformed_uuid_is_400(client: TestClient, webhook_settings: WebhookSettings) -> None:
    response = client.put("/webhooks/short", json=webhook_body())
    assert response.status_code == 400
    assert "16 or more characters" in response.json()["errors"]["uuid"][0]


def test_delete_removes_the_webhook(client: TestClient, webhook_settings: WebhookSettings) -> None:
    href = client.post("/webhooks", json=webhook_body()).headers["location"]
    assert client.delete(href).status_code == 204
    assert client.get(href).status_code == 404
    assert client.delete(href).status_code == 404


def test_webhooks_scoped_by_the_url_need_the_pacticipants_to_exist(
    client: TestClient, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    missing = client.post("/webhooks/provider/Bar/consumer/Foo", json=webhook_body())
    assert missing.status_code == 404
    assert "Foo" in missing.json()["error"]["message"]

    td.create_consumer("Foo").create_provider("Bar")
    created = client.post("/webhooks/provider/Bar/consumer/Foo", json=webhook_body())
    assert created.status_code == 201
    assert created.json()["consumer"] == {"name": "Foo"} and created.json()["provider"] == {"name": "Bar"}
    client.post("/webhooks/provider/Bar", json=webhook_body())
    assert len(client.get("/webhooks/provider/Bar/consumer/Foo").json()["_links"]["pb:webhooks"]) == 1
    assert len(client.get("/webhooks/provider/Bar").json()["_links"]["pb:webhooks"]) == 2


def test_label_scoped_webhooks_are_stored_and_shown(
    client: TestClient, webhook_settings: WebhookSettings
) -> None:
    created = client.post("/webhooks", json=webhook_body(consumer={"label": "mobile"})).json()
    assert created["consumer"] == {"label": "mobile"}
    assert created["_links"]["pb:consumers"]["name"] == "mobile"


# --- test execution (POST /webhooks/{uuid}/execute) -------------------------------------------------


def test_execute_sends_the_rendered_request_for_real_and_returns_the_logs(
    client: TestClient, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar").create_verification("2.0.0", success=True)
    with webhook_receiver(202) as receiver:
        body = webhook_body(receiver.url + "/build", consumer={"name": "Foo"}, provider={"name": "Bar"})
        body["request"]["body"] |= {"status": "${pactbroker.githubVerificationStatus}"}
        uuid = client.post("/webhooks", json=body).json()["uuid"]

        response = client.post(f"/webhooks/{uuid}/execute")

        sent = receiver.wait_for(1)[0]
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["success"] is True
    assert sent.method == "POST" and sent.path == "/build"
    assert sent.headers["authorization"] == BASIC_CI_HUNTER2
    assert sent.headers["x-api-token"] == "t0ken"
    payload = json.loads(sent.body)
    assert payload["consumer"] == "Foo" and payload["status"] == "success"
    assert payload["pact"].startswith("http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/")
    assert f"HTTP/1.1 POST {receiver.url}/build" in result["logs"]
    assert "t0ken" not in result["logs"] and "hunter2" not in result["logs"]
    # No host whitelist: the response is not shown (reference security rule), only said to be hidden.
    assert "response" not in result
    assert "For security purposes, the response details are not logged" in result["logs"]
    assert result["_links"]["try-again"]["href"] == f"http://broker.test/webhooks/{uuid}/execute"


def test_execute_shows_the_response_for_whitelisted_hosts_and_reports_failures(
    client: TestClient, broker_app: FastAPI
) -> None:
    broker_app.state.webhook_settings = settings(host_whitelist=["127.0.0.1"])
    with webhook_receiver(500) as receiver:
        uuid = client.post("/webhooks", json=webhook_body(receiver.url)).json()["uuid"]
        result = client.post(f"/webhooks/{uuid}/execute").json()
    assert result["success"] is False
    assert result["response"]["status"] == 500
    assert result["response"]["body"] == {"received": True}
    assert "HTTP/1.1 500 Internal Server Error" in result["logs"]
    assert "Webhook execution failed" in result["logs"]


def test_execute_against_a_closed_port_fails_with_the_error_logged(
    client: TestClient, broker_app: FastAPI
) -> None:
    broker_app.state.webhook_settings = settings(host_whitelist=["127.0.0.1"])
    with webhook_receiver() as receiver:
        url = receiver.url
    uuid = client.post("/webhooks", json=webhook_body(url)).json()["uuid"]
    result = client.post(f"/webhooks/{uuid}/execute").json()
    assert result["success"] is False
    assert "Error executing webhook" in result["logs"] and "ConnectError" in result["logs"]


def test_execute_of_an_unknown_webhook_is_404(client: TestClient) -> None:
    assert client.post("/webhooks/no-such-webhook-uuid/execute").status_code == 404


# --- events ---------------------------------------------------------------------------------------------


def fire_in_transaction(
    session: Session,
    event: str,
    context: service.EventContext,
    *,
    commit: bool = True,
    webhook_settings: WebhookSettings | None = None,
) -> list[str]:
    session.commit()  # the builder may have left a read transaction (an old snapshot) open
    begin_write(session)
    uuids = service.fire(session, event, context, webhook_settings or settings())
    if commit:
        session.commit()
    else:
        session.rollback()
    return uuids


def context_for(td: TestDataBuilder) -> service.EventContext:
    assert td.pact is not None
    return {
        "base_url": "http://broker.test",
        "consumer_name": "Foo",
        "provider_name": "Bar",
        "consumer_version_number": "1.0.0",
        "pact_version_sha": td.pact.pact_version.sha,
    }


def test_fired_events_run_matching_webhooks_in_the_background(
    client: TestClient, td: TestDataBuilder, session: Session, broker_app: FastAPI
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar").create_consumer("Other")
    with webhook_receiver(200) as receiver:
        listening = webhook_body(receiver.url + "/published", events=[{"name": "contract_published"}])
        client.post("/webhooks/provider/Bar/consumer/Foo", json=listening)
        client.post(
            "/webhooks", json=webhook_body(receiver.url + "/global", events=[{"name": "contract_published"}])
        )
        client.post("/webhooks/consumer/Other", json=webhook_body(receiver.url + "/other"))
        client.post(
            "/webhooks", json=webhook_body(receiver.url + "/changed")
        )  # contract_content_changed only
        disabled = webhook_body(
            receiver.url + "/disabled", events=[{"name": "contract_published"}], enabled=False
        )
        client.post("/webhooks", json=disabled)

        triggered = fire_in_transaction(session, "contract_published", context_for(td))

        assert len(triggered) == 2
        assert dispatcher_for(session.get_bind()).wait_until_idle(10)  # type: ignore[arg-type]
        paths = sorted(r.path for r in receiver.wait_for(2))
    assert paths == ["/global", "/published"]
    logs = client.get(f"/triggered-webhooks/{triggered[0]}/logs").json()
    assert logs["status"] == "success" and logs["attempts"] == 1
    assert "Successfully executed webhook" in logs["logs"]


def test_a_failing_webhook_is_retried_until_it_succeeds(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    with webhook_receiver(503, 200) as receiver:
        client.post("/webhooks", json=webhook_body(receiver.url, events=[{"name": "contract_published"}]))
        (triggered,) = fire_in_transaction(session, "contract_published", context_for(td))
        assert dispatcher_for(session.get_bind()).wait_until_idle(10)  # type: ignore[arg-type]
        assert len(receiver.requests) == 2
    logs = client.get(f"/triggered-webhooks/{triggered}/logs").json()
    assert logs["status"] == "success" and logs["attempts"] == 2
    assert "Retrying webhook in 0.05 seconds" in logs["logs"]


def test_retries_are_bounded_by_the_schedule(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    with webhook_receiver(500) as receiver:
        client.post("/webhooks", json=webhook_body(receiver.url, events=[{"name": "contract_published"}]))
        (triggered,) = fire_in_transaction(session, "contract_published", context_for(td))
        assert dispatcher_for(session.get_bind()).wait_until_idle(10)  # type: ignore[arg-type]
        assert len(receiver.requests) == 3  # the first attempt and the two retries of the schedule
    logs = client.get(f"/triggered-webhooks/{triggered}/logs").json()
    assert logs["status"] == "failure" and logs["attempts"] == 3
    assert "Webhook execution failed after 3 attempts" in logs["logs"]


def test_nothing_runs_when_the_firing_transaction_rolls_back(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    with webhook_receiver(200) as receiver:
        client.post("/webhooks", json=webhook_body(receiver.url, events=[{"name": "contract_published"}]))
        assert len(fire_in_transaction(session, "contract_published", context_for(td), commit=False)) == 1
        assert dispatcher_for(session.get_bind()).wait_until_idle(5)  # type: ignore[arg-type]
        time.sleep(0.2)
        assert receiver.requests == []


def test_fire_rejects_unknown_events(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown webhook event"):
        service.fire(session, "pact_changed", {"consumer_name": "Foo", "provider_name": "Bar"})


EVENT_PROBE = (
    "${pactbroker.eventName}|${pactbroker.providerVersionNumber}|${pactbroker.providerVersionDescriptions}"
    "|${pactbroker.providerVersionBranch}|${pactbroker.githubVerificationStatus}"
)


def probe_webhook(url: str, *events: str) -> dict[str, Any]:
    return {
        "events": [{"name": e} for e in events],
        "request": {
            "method": "POST",
            "url": url,
            "headers": {"Content-Type": "text/plain"},
            "body": EVENT_PROBE,
        },
    }


def committed(session: Session, fire: Any) -> list[str]:
    session.commit()
    begin_write(session)
    uuids: list[str] = fire()
    session.commit()
    assert dispatcher_for(session.get_bind()).wait_until_idle(10)  # type: ignore[arg-type]
    return uuids


def test_a_publication_fires_published_changed_and_one_requiring_verification_per_provider_version(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    (
        td.create_provider("Bar", main_branch="main")
        .create_environment("production", production=True)
        .publish_pact("Foo", "1.0.0", "Bar", branch="feat-x")
        .create_verification("4")  # deployed, and it has verified this content: not required
        .create_deployed_version(pacticipant="Bar", version="4", environment="production")
        .create_provider_version("3")
        .create_released_version(pacticipant="Bar", version="3", environment="production")
        .create_provider_version("5", branch="main")  # the main branch head
    )
    events = ("contract_published", "contract_content_changed", "contract_requiring_verification_published")
    with webhook_receiver(200) as receiver:
        client.post("/webhooks", json=probe_webhook(receiver.url, *events))
        assert td.pact is not None
        row = td.pact

        triggered = committed(
            session,
            lambda: service.pact_published(
                session, row, content_changed=True, base_url="http://broker.test", settings=settings()
            ),
        )

        bodies = sorted(r.body for r in receiver.wait_for(4))
    assert len(triggered) == 4
    # Version 4 verified this content: the status parameters report that result (as the reference does);
    # the required-verification events name the version that has to verify.
    assert bodies == [
        "contract_content_changed|4|||success",
        "contract_published|4|||success",
        "contract_requiring_verification_published|3|released in production||success",
        "contract_requiring_verification_published|5|latest from main branch|main|success",
    ]
    listed = client.get("/pacts/provider/Bar/consumer/Foo/version/1.0.0/triggered-webhooks").json()
    entries = listed["_embedded"]["triggeredWebhooks"]
    assert sorted(e["eventName"] for e in entries) == sorted([*events, events[2]])
    assert {(e["status"], e["attemptsMade"], e["attemptsRemaining"]) for e in entries} == {("success", 1, 0)}
    assert (
        "Successfully executed webhook" in client.get(entries[0]["_links"]["pb:logs"]["href"]).json()["logs"]
    )


def test_a_verification_fires_published_and_its_outcome(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar").create_verification("7", success=False, branch="main")
    events = (
        "provider_verification_published",
        "provider_verification_succeeded",
        "provider_verification_failed",
    )
    with webhook_receiver(200) as receiver:
        client.post("/webhooks", json=probe_webhook(receiver.url, *events))
        assert td.pact is not None and td.verification is not None and td.provider_version is not None
        row, verification, version = td.pact, td.verification, td.provider_version

        committed(
            session,
            lambda: service.verification_published(
                session, row, verification, version, base_url="http://broker.test", settings=settings()
            ),
        )

        bodies = sorted(r.body for r in receiver.wait_for(2))
    assert bodies == [
        "provider_verification_failed|7||main|failure",
        "provider_verification_published|7||main|failure",
    ]
    href = f"/pacts/provider/Bar/consumer/Foo/pact-version/{row.pact_version.sha}/verification-results"
    listed = client.get(f"{href}/{verification.number}/triggered-webhooks").json()
    assert [e["eventName"] for e in listed["_embedded"]["triggeredWebhooks"]] == [
        "provider_verification_published",
        "provider_verification_failed",
    ]
    # The publication of the pact triggered nothing: verification events are listed under the verification.
    pact_listing = client.get("/pacts/provider/Bar/consumer/Foo/version/1.0.0/triggered-webhooks").json()
    assert pact_listing["_embedded"]["triggeredWebhooks"] == []


def test_without_webhooks_a_publication_triggers_nothing(td: TestDataBuilder, session: Session) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    assert td.pact is not None
    row = td.pact
    assert (
        committed(session, lambda: service.pact_published(session, row, content_changed=True, base_url=""))
        == []
    )


def test_an_unsaved_webhook_can_be_tried_out_and_is_not_stored(
    client: TestClient, webhook_settings: WebhookSettings
) -> None:
    with webhook_receiver(200) as receiver:
        result = client.post("/webhooks/execute", json=webhook_body(receiver.url + "/try"))
        assert [r.path for r in receiver.wait_for(1)] == ["/try"]
    assert result.status_code == 200, result.text
    assert result.json()["success"] is True
    assert client.get("/webhooks").json()["_links"]["pb:webhooks"] == []
    invalid = client.post("/webhooks/execute", json={"request": {"method": "POST"}})
    assert invalid.status_code == 400 and "request.url" in invalid.json()["errors"]


def test_the_pact_webhooks_resource_lists_and_creates_the_pairs_webhooks(
    client: TestClient, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    created = client.post("/pacts/provider/Bar/consumer/Foo/webhooks", json=webhook_body())
    assert created.status_code == 201
    client.post("/webhooks", json=webhook_body())  # global: not one of the pair's own webhooks
    listed = client.get("/pacts/provider/Bar/consumer/Foo/webhooks").json()["_links"]["pb:webhooks"]
    assert [w["href"] for w in listed] == [created.headers["location"]]


def test_the_ci_webhook_is_accepted_and_sends_the_payload_the_verify_job_reads(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    """`.ci/webhooks/contract-requiring-verification.json`, registered as the README says, against a new
    pact the provider's main-branch head has not verified."""
    (
        td.create_provider("Bar", main_branch="main")
        .create_provider_version("9", branch="main")
        .publish_pact("Foo", "1.0.0", "Bar", branch="main")
    )
    ci_webhook = json.loads((REPO / ".ci" / "webhooks" / "contract-requiring-verification.json").read_text())
    ci_webhook["provider"]["name"] = "Bar"
    with webhook_receiver(204) as receiver:
        ci_webhook["request"]["url"] = ci_webhook["request"]["url"].replace(
            "https://api.github.com", receiver.url
        )
        created = client.post("/webhooks", json=ci_webhook)
        assert created.status_code == 201, created.text
        assert td.pact is not None
        row = td.pact

        committed(
            session,
            lambda: service.pact_published(
                session, row, content_changed=True, base_url="http://broker.test", settings=settings()
            ),
        )

        (sent,) = receiver.wait_for(1)
    assert sent.path == "/repos/OWNER/REPOSITORY/dispatches"
    assert sent.headers["authorization"] == "Bearer GITHUB_TOKEN"
    dispatch = json.loads(sent.body)
    assert dispatch["event_type"] == "contract_requiring_verification_published"
    payload = dispatch["client_payload"]
    assert payload["pact_url"].startswith(
        f"http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/{row.pact_version.sha}"
    )
    assert {
        k: payload[k]
        for k in ("provider", "provider_version", "provider_branch", "consumer", "consumer_version")
    } == {
        "provider": "Bar",
        "provider_version": "9",
        "provider_branch": "main",
        "consumer": "Foo",
        "consumer_version": "1.0.0",
    }
