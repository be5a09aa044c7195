"""Webhooks fired by the broker's own endpoints: `POST /contracts/publish`, the legacy `PUT`/`PATCH` of a
pact and `POST .../verification-results`, each received for real by a local HTTP server with the
template parameters expanded; and triggered webhooks a stopped broker left unfinished, resumed at start.

Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.db.engine import begin_write
from broker.settings import BrokerSettings
from broker.testing import LiveBroker, TestDataBuilder, pact_content
from broker.webhooks.dispatcher import dispatcher_for
from broker.webhooks.models import TriggeredWebhook, Webhook, WebhookExecution
from broker.webhooks.settings import WebhookSettings
from tests.broker.helpers import publish_body
from tests.broker.test_webhooks import Receiver, settings, webhook_receiver

# Every parameter a publication or a verification fills in, one per line of a text body.
TEMPLATE = "\n".join(
    f"{name}=${{pactbroker.{name}}}"
    for name in (
        "eventName",
        "consumerName",
        "providerName",
        "consumerVersionNumber",
        "consumerVersionBranch",
        "consumerVersionTags",
        "providerVersionNumber",
        "providerVersionBranch",
        "providerVersionDescriptions",
        "pactUrl",
        "verificationResultUrl",
        "githubVerificationStatus",
        "buildUrl",
    )
)


@pytest.fixture
def webhook_settings(broker_app: FastAPI) -> WebhookSettings:
    chosen = settings()
    broker_app.state.webhook_settings = chosen
    return chosen


def listen(client: TestClient, receiver: Receiver, *events: str, description: str = "CI build") -> str:
    """A webhook for every pact on `events`, posting TEMPLATE to the receiver; returns its uuid."""
    body = {
        "description": description,
        "events": [{"name": e} for e in events],
        "request": {
            "method": "POST",
            "url": receiver.url + "/hook",
            "headers": {"Content-Type": "text/plain"},
            "body": TEMPLATE,
        },
    }
    response = client.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def received(app: FastAPI, receiver: Receiver, count: int) -> list[dict[str, str]]:
    """The bodies the receiver got once every triggered webhook has run, parsed back into parameters."""
    assert dispatcher_for(app.state.engine).wait_until_idle(10)
    requests = receiver.wait_for(count)
    assert len(requests) == count, [r.body for r in requests]
    return sorted(
        (dict(line.split("=", 1) for line in r.body.splitlines()) for r in requests),
        key=lambda params: (params["eventName"], params["providerVersionNumber"]),
    )


def events(bodies: list[dict[str, str]]) -> list[str]:
    return [b["eventName"] for b in bodies]


def test_publishing_contracts_fires_published_and_content_changed_with_the_parameters_expanded(
    client: TestClient, broker_app: FastAPI, webhook_settings: WebhookSettings
) -> None:
    with webhook_receiver(200) as receiver:
        uuid = listen(client, receiver, "contract_published", "contract_content_changed")
        body = publish_body("Foo", "1.0.0", "Bar", branch="feat-x", tags=["dev", "qa"])
        body["buildUrl"] = "https://ci.example.org/builds/42"

        response = client.post("/contracts/publish", json=body)

        assert response.status_code == 200, response.text
        bodies = received(broker_app, receiver, 2)
    assert events(bodies) == ["contract_content_changed", "contract_published"]
    for params in bodies:
        assert params["consumerName"] == "Foo" and params["providerName"] == "Bar"
        assert params["consumerVersionNumber"] == "1.0.0"
        assert params["consumerVersionBranch"] == "feat-x"
        assert params["consumerVersionTags"] == "dev, qa"
        assert params["buildUrl"] == "https://ci.example.org/builds/42"
        assert params["githubVerificationStatus"] == "pending"
        assert params["providerVersionNumber"] == "" and params["verificationResultUrl"] == ""
        pact = client.get(params["pactUrl"])  # the permalink resolves to the published pact
        assert pact.status_code == 200 and pact.json()["consumer"] == {"name": "Foo"}
        assert re.fullmatch(
            r"http://broker\.test/pacts/provider/Bar/consumer/Foo/pact-version/[0-9a-f]{40}.*",
            params["pactUrl"],
        )

    # The notices say which webhook ran for which event, and where its logs are.
    notices = [n["text"] for n in response.json()["notices"]]
    triggered = [t for t in notices if t.startswith("  Webhook ")]
    assert len(triggered) == 2
    assert triggered[0].startswith('  Webhook "CI build" triggered for event contract_published.\n')
    assert triggered[1].startswith('  Webhook "CI build" triggered for event contract_content_changed.\n')
    assert not any("No enabled webhooks" in t or "Configure separate" in t for t in notices)
    logs_url = triggered[0].split("View logs at ")[1]
    assert logs_url.startswith("http://broker.test/triggered-webhooks/")
    logs = client.get(logs_url).json()
    assert logs["status"] == "success" and "Successfully executed webhook" in logs["logs"]
    assert uuid in client.get(logs_url).text


def test_content_changed_fires_only_when_the_content_is_new(
    client: TestClient, broker_app: FastAPI, webhook_settings: WebhookSettings
) -> None:
    assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_published", "contract_content_changed")

        # The same content again for the same version, then for a new version: published, not changed.
        assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
        assert client.post("/contracts/publish", json=publish_body("Foo", "2", "Bar")).status_code == 200
        unchanged = received(broker_app, receiver, 2)
        assert events(unchanged) == ["contract_published", "contract_published"]
        assert sorted(b["consumerVersionNumber"] for b in unchanged) == ["1", "2"]

        # New content: both.
        changed = publish_body("Foo", "3", "Bar", description="a request for a plate")
        assert client.post("/contracts/publish", json=changed).status_code == 200
        after = received(broker_app, receiver, 4)
    assert events(after) == [
        "contract_content_changed",
        "contract_published",
        "contract_published",
        "contract_published",
    ]
    assert after[0]["consumerVersionNumber"] == "3"


def test_requiring_verification_names_each_provider_version_that_has_to_verify(
    client: TestClient, broker_app: FastAPI, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    (
        td.create_provider("Bar", main_branch="main")
        .create_environment("production", production=True)
        .create_provider_version("5", branch="main")  # the main branch head
        .create_provider_version("4")
        .create_deployed_version(pacticipant="Bar", version="4", environment="production")
        .create_provider_version("3")
        .create_released_version(pacticipant="Bar", version="3", environment="production")
    )
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_requiring_verification_published")
        assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
        bodies = received(broker_app, receiver, 3)
    assert [(b["providerVersionNumber"], b["providerVersionDescriptions"]) for b in bodies] == [
        ("3", "released in production"),
        ("4", "deployed in production"),
        ("5", "latest from main branch"),
    ]
    assert bodies[2]["providerVersionBranch"] == "main"
    assert {b["eventName"] for b in bodies} == {"contract_requiring_verification_published"}
    assert {b["consumerVersionNumber"] for b in bodies} == {"1"}


def test_a_provider_version_that_verified_the_content_is_not_required_again(
    client: TestClient, broker_app: FastAPI, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.create_provider("Bar", main_branch="main").create_provider_version("5", branch="main")
    assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
    pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    results = pact["_links"]["pb:publish-verification-results"]["href"]
    verified = client.post(results, json={"success": True, "providerApplicationVersion": "5"})
    assert verified.status_code == 201, verified.text
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_requiring_verification_published", "contract_published")
        # Same content, new consumer version: version 5 has verified it already.
        assert client.post("/contracts/publish", json=publish_body("Foo", "2", "Bar")).status_code == 200
        bodies = received(broker_app, receiver, 1)
    assert events(bodies) == ["contract_published"]


def test_publication_events_report_what_is_known_of_the_content_main_branch_first(
    client: TestClient, broker_app: FastAPI, td: TestDataBuilder, webhook_settings: WebhookSettings
) -> None:
    td.create_provider("Bar", main_branch="main")
    assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
    results = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()["_links"][
        "pb:publish-verification-results"
    ]["href"]
    client.put("/pacticipants/Bar/branches/main/versions/5")
    on_main = client.post(results, json={"success": True, "providerApplicationVersion": "5"})
    newer = client.post(results, json={"success": False, "providerApplicationVersion": "6-feat"})
    assert on_main.status_code == newer.status_code == 201
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_published")
        # The same content for a new consumer version: verified already, by the main branch's version 5.
        assert client.post("/contracts/publish", json=publish_body("Foo", "2", "Bar")).status_code == 200
        assert len(received(broker_app, receiver, 1)) == 1
        # Without a main branch, the newest verification of the content counts.
        client.patch("/pacticipants/Bar", json={"mainBranch": "trunk"})
        assert client.post("/contracts/publish", json=publish_body("Foo", "3", "Bar")).status_code == 200
        assert len(received(broker_app, receiver, 2)) == 2
        # New content: nothing known, pending.
        other = publish_body("Foo", "4", "Bar", description="a request for a plate")
        assert client.post("/contracts/publish", json=other).status_code == 200
        by_version = {b["consumerVersionNumber"]: b for b in received(broker_app, receiver, 3)}
    known, newest, unknown = by_version["2"], by_version["3"], by_version["4"]
    assert (known["consumerVersionNumber"], known["githubVerificationStatus"]) == ("2", "success")
    assert known["providerVersionNumber"] == "5" and known["providerVersionBranch"] == "main"
    assert known["verificationResultUrl"] == on_main.headers["location"]
    assert (newest["consumerVersionNumber"], newest["githubVerificationStatus"]) == ("3", "failure")
    assert newest["verificationResultUrl"] == newer.headers["location"]
    assert (unknown["consumerVersionNumber"], unknown["githubVerificationStatus"]) == ("4", "pending")
    assert unknown["providerVersionNumber"] == unknown["verificationResultUrl"] == ""


def test_the_legacy_put_and_patch_fire_the_same_events(
    client: TestClient, broker_app: FastAPI, webhook_settings: WebhookSettings
) -> None:
    url = "/pacts/provider/Bar/consumer/Foo/version/1"
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_published", "contract_content_changed")

        assert client.put(url, json=pact_content("Foo", "Bar")).status_code == 201
        put = received(broker_app, receiver, 2)
        assert events(put) == ["contract_content_changed", "contract_published"]
        assert put[0]["pactUrl"].startswith(
            "http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/"
        )
        assert put[0]["buildUrl"] == ""  # only the all-in-one endpoint takes a build URL

        # The same pact again: published, nothing changed.
        assert client.put(url, json=pact_content("Foo", "Bar")).status_code == 200
        assert events(received(broker_app, receiver, 3)).count("contract_content_changed") == 1

        # PATCH adds an interaction: new content.
        extra = pact_content("Foo", "Bar", "a request for a plate")
        assert client.patch(url, json=extra).status_code == 200
        after = received(broker_app, receiver, 5)
    assert events(after).count("contract_content_changed") == 2
    assert events(after).count("contract_published") == 3


def test_a_refused_publication_triggers_nothing(
    client: TestClient, broker_app: FastAPI, webhook_settings: WebhookSettings
) -> None:
    with webhook_receiver(200) as receiver:
        listen(client, receiver, "contract_published")
        assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
        assert len(received(broker_app, receiver, 1)) == 1

        other = publish_body("Foo", "1", "Bar", description="something else")
        assert client.post("/contracts/publish", json=other).status_code == 409  # rolled back
        put = client.put("/pacts/provider/Bar/consumer/Foo/version/1", json=pact_content("Foo", "Bar", "x"))
        assert put.status_code == 409

        assert len(received(broker_app, receiver, 1)) == 1


@pytest.mark.parametrize(
    ("success", "outcome", "status"), [(True, "succeeded", "success"), (False, "failed", "failure")]
)
def test_a_verification_result_fires_published_and_its_outcome(
    client: TestClient,
    broker_app: FastAPI,
    webhook_settings: WebhookSettings,
    success: bool,
    outcome: str,
    status: str,
) -> None:
    assert client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
    pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    with webhook_receiver(200) as receiver:
        listen(
            client,
            receiver,
            "provider_verification_published",
            "provider_verification_succeeded",
            "provider_verification_failed",
            "contract_published",
        )
        response = client.post(
            pact["_links"]["pb:publish-verification-results"]["href"],
            json={
                "success": success,
                "providerApplicationVersion": "7.1",
                "buildUrl": "https://ci.example.org/verify/9",
            },
        )
        assert response.status_code == 201, response.text
        bodies = received(broker_app, receiver, 2)
    expected = sorted(["provider_verification_published", f"provider_verification_{outcome}"])
    assert events(bodies) == expected  # and nothing for contract_published: no pact was published
    result_url = response.headers["location"]
    pair = "http://broker.test/pacts/provider/Bar/consumer/Foo"
    sha = client.get(pair + "/version/1").json()["_links"]["pb:pact-version"]["name"]
    for params in bodies:
        assert params["providerVersionNumber"] == "7.1"
        assert params["githubVerificationStatus"] == status
        assert params["verificationResultUrl"] == result_url
        assert params["buildUrl"] == "https://ci.example.org/verify/9"
        assert params["consumerVersionNumber"] == "1"
        assert params["pactUrl"].startswith(f"{pair}/pact-version/{sha}")
        assert result_url.startswith(f"{pair}/pact-version/{sha}/verification-results/")
    listed = client.get(result_url + "/triggered-webhooks").json()["_embedded"]["triggeredWebhooks"]
    assert sorted(e["eventName"] for e in listed) == expected


def test_over_real_http_the_links_a_webhook_sends_use_the_brokers_own_address(
    broker_app: FastAPI, live_broker: LiveBroker, webhook_settings: WebhookSettings
) -> None:
    """A broker serving on a port: publish and verify over HTTP; the pact URL the webhook receives is one
    the receiver can fetch from that broker."""
    with webhook_receiver(200) as receiver, httpx.Client(base_url=live_broker.url, timeout=10) as http:
        created = http.post(
            "/webhooks",
            json={
                "events": [{"name": "contract_content_changed"}, {"name": "provider_verification_failed"}],
                "request": {"method": "POST", "url": receiver.url, "body": TEMPLATE},
            },
        )
        assert created.status_code == 201, created.text
        assert http.post("/contracts/publish", json=publish_body("Foo", "1", "Bar")).status_code == 200
        (published,) = received(broker_app, receiver, 1)
        pact = http.get(published["pactUrl"])
        assert pact.status_code == 200, published["pactUrl"]
        results = pact.json()["_links"]["pb:publish-verification-results"]["href"]
        assert results.startswith(live_broker.url)
        verified = http.post(results, json={"success": False, "providerApplicationVersion": "2"})
        assert verified.status_code == 201, verified.text
        bodies = received(broker_app, receiver, 2)
    assert events(bodies) == ["contract_content_changed", "provider_verification_failed"]
    assert published["pactUrl"].startswith(live_broker.url + "/pacts/provider/Bar/consumer/Foo/pact-version/")
    assert bodies[1]["verificationResultUrl"] == verified.headers["location"]
    assert http_get_json(bodies[1]["verificationResultUrl"])["success"] is False


def http_get_json(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, url
    body: dict[str, Any] = response.json()
    return body


def test_a_publication_without_webhooks_still_works_and_says_none_were_found(
    client: TestClient, broker_app: FastAPI
) -> None:
    response = client.post("/contracts/publish", json=publish_body("Foo", "1", "Bar"))
    assert response.status_code == 200, response.text
    texts = [n["text"] for n in response.json()["notices"]]
    assert "  Events detected: contract_published, contract_content_changed" in texts
    assert "  No enabled webhooks found for the detected events" in texts
    assert (
        "    * Configure separate Bar pact verification build and webhook to trigger it when the pact "
        "content changes. See https://docs.pact.io/go/webhooks"
    ) in texts
    assert (
        client.put("/pacts/provider/Bar/consumer/Foo/version/2", json=pact_content("Foo", "Bar")).status_code
        == 201
    )
    with broker_app.state.session_factory() as session:
        assert session.scalars(select(TriggeredWebhook)).all() == []


# --- resumed at start -----------------------------------------------------------------------------------


def test_triggered_webhooks_left_unfinished_run_when_the_broker_starts_again(
    client: TestClient, td: TestDataBuilder, session: Session, broker_settings: BrokerSettings
) -> None:
    """A broker stopped after recording triggered webhooks but before (or between) their attempts: the
    next broker on the same database sends them; finished ones are not sent again."""
    td.publish_pact("Foo", "1.0.0", "Bar")
    with webhook_receiver(200) as receiver:
        webhook_uuid = listen(client, receiver, "contract_published")
        session.commit()
        begin_write(session)
        webhook = session.scalars(select(Webhook).where(Webhook.uuid == webhook_uuid)).one()
        context = json.dumps(
            {
                "base_url": "http://broker.test",
                "consumer_name": "Foo",
                "provider_name": "Bar",
                "consumer_version_number": "1.0.0",
                "event_name": "contract_published",
            }
        )

        def stored(uuid: str, status: str) -> TriggeredWebhook:
            row = TriggeredWebhook(
                uuid=uuid,
                webhook_id=webhook.id,
                webhook_uuid=webhook.uuid,
                event_name="contract_published",
                trigger_type="resource_creation",
                consumer_id=webhook.consumer_id,
                provider_id=webhook.provider_id,
                context=context,
                status=status,
            )
            session.add(row)
            session.flush()
            return row

        stored("never-run", "not_run")
        retrying = stored("was-retrying", "retrying")
        session.add(WebhookExecution(triggered_webhook_id=retrying.id, success=False, logs="503"))
        stored("finished", "success")
        session.commit()
        assert receiver.requests == []  # recorded directly: no broker has been told to send them

        restarted = create_app(broker_settings)
        restarted.state.webhook_settings = settings()
        with TestClient(restarted, base_url="http://broker.test") as again:
            assert dispatcher_for(restarted.state.engine).wait_until_idle(10)
            assert len(receiver.wait_for(2)) == 2
            never_run = again.get("/triggered-webhooks/never-run/logs").json()
            was_retrying = again.get("/triggered-webhooks/was-retrying/logs").json()
            finished = again.get("/triggered-webhooks/finished/logs").json()
    assert (never_run["status"], never_run["attempts"]) == ("success", 1)
    assert (was_retrying["status"], was_retrying["attempts"]) == ("success", 2)
    assert (finished["status"], finished["attempts"]) == ("success", 0)
    assert len(receiver.requests) == 2


def test_resuming_can_be_switched_off(
    client: TestClient, td: TestDataBuilder, session: Session, broker_settings: BrokerSettings
) -> None:
    td.publish_pact("Foo", "1.0.0", "Bar")
    with webhook_receiver(200) as receiver:
        webhook_uuid = listen(client, receiver, "contract_published")
        session.commit()
        begin_write(session)
        webhook = session.scalars(select(Webhook).where(Webhook.uuid == webhook_uuid)).one()
        session.add(
            TriggeredWebhook(
                uuid="left-waiting",
                webhook_id=webhook.id,
                webhook_uuid=webhook.uuid,
                event_name="contract_published",
                trigger_type="resource_creation",
                context=json.dumps({"consumer_name": "Foo", "provider_name": "Bar"}),
                status="not_run",
            )
        )
        session.commit()

        restarted = create_app(broker_settings)
        restarted.state.webhook_settings = settings(resume_on_start=False)
        with TestClient(restarted, base_url="http://broker.test") as again:
            assert dispatcher_for(restarted.state.engine).wait_until_idle(5)
            logs = again.get("/triggered-webhooks/left-waiting/logs").json()
    assert logs["status"] == "not_run" and receiver.requests == []
