"""Kept answers served before FastAPI (`broker.api.kept_answers`): byte for byte what the endpoint sends,
without the endpoint (the middleware's debug log line tells); everything else (a miss, a fresh answer asked
for, a malformed question, a refused request, a database error) still meets the endpoint, body intact.
SQLite and PostgreSQL.

Whether kept answers are ever stale is `test_answer_cache`'s subject (its questions now go this way)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from broker.answer_cache.store import AnswerStore
from broker.api.kept_answers import _deployment_question
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.builder import TestDataBuilder
from tests.broker.test_answer_cache import _clear_of_a_minute_turn

CAN_I_DEPLOY = "/can-i-deploy?pacticipant=C0&version=1&environment=production"
MATRIX = "/matrix?q[][pacticipant]=C0&q[][version]=1&q[][pacticipant]=Bar&q[][version]=p1&latestby=cvpv"
FOR_VERIFICATION = "/pacts/provider/Bar/for-verification"
BODY = {"providerVersionBranch": "main", "includePendingStatus": True, "includeWipPactsSince": "2020-01-01"}
# The same question, its keys in another order.
SAME_BODY = {
    "includeWipPactsSince": "2020-01-01",
    "includePendingStatus": True,
    "providerVersionBranch": "main",
}


@dataclass
class Broker:
    client: TestClient
    answers: AnswerStore
    caplog: pytest.LogCaptureFixture

    def ask(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)

    @property
    def sent_before_routing(self) -> int:
        """Kept answers the middleware sent itself, the endpoint not reached (its debug log line)."""
        return sum(
            r.name == "broker.kept_answers" and "sent before" in r.message for r in self.caplog.records
        )


def _world(td: TestDataBuilder) -> None:
    td.create_provider("Bar", main_branch="main").create_consumer("C0", main_branch="main")
    td.create_environment("production", production=True)
    td.publish_pact("C0", "1", "Bar", branch="main", description="c0 v1")
    td.create_verification("p1", branch="main")
    td.create_deployed_version(pacticipant="Bar", version="p1", environment="production")


def _broker(settings: BrokerSettings, caplog: pytest.LogCaptureFixture, **client: Any) -> Iterator[Broker]:
    app = create_app(settings)
    caplog.set_level(logging.DEBUG, logger="broker.kept_answers")
    _clear_of_a_minute_turn()  # the minute is part of a for-verification answer's key
    with TestClient(app, base_url="http://broker.test", **client) as test_client:
        yield Broker(test_client, app.state.answers, caplog)


@pytest.fixture
def broker(
    broker_settings: BrokerSettings, td: TestDataBuilder, caplog: pytest.LogCaptureFixture
) -> Iterator[Broker]:
    _world(td)
    yield from _broker(broker_settings, caplog, raise_server_exceptions=False)


QUESTIONS = [
    pytest.param("GET", CAN_I_DEPLOY, {}, {}, id="can-i-deploy"),
    pytest.param("GET", MATRIX, {}, {}, id="matrix"),
    pytest.param("POST", FOR_VERIFICATION, {"json": BODY}, {"json": SAME_BODY}, id="for-verification"),
]


def _sent(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date",)}
    return response.status_code, response.content, headers


@pytest.mark.parametrize(("method", "url", "first", "again"), QUESTIONS)
def test_a_kept_answer_is_the_endpoints_answer_without_the_endpoint(
    broker: Broker, method: str, url: str, first: dict[str, Any], again: dict[str, Any]
) -> None:
    computed = broker.ask(method, url, **first)
    assert computed.status_code == 200, computed.text
    assert broker.sent_before_routing == 0 and broker.answers.hits == 0
    kept = broker.ask(method, url, **(again or first))
    assert broker.sent_before_routing == 1 and broker.answers.hits == 1  # the endpoint did not run
    assert _sent(kept) == _sent(computed)  # status, bytes, content type and length, broker version header
    assert kept.headers["x-pact-broker-version"] and kept.headers["content-type"].startswith(
        "application/hal+json"
    )


def test_a_deployment_question_asked_again_is_not_parsed_again(broker: Broker) -> None:
    """Release pipelines send the same query string again and again: it is parsed once, and what it
    remembers (names and question) finds the endpoint's kept answer; another question is parsed anew."""
    _deployment_question.cache_clear()
    answers = [broker.ask("GET", CAN_I_DEPLOY) for _ in range(3)]
    assert all(_sent(a) == _sent(answers[0]) for a in answers) and answers[0].status_code == 200
    assert broker.sent_before_routing == 2  # the first was computed by the endpoint, then kept
    assert _deployment_question.cache_info().misses == 1 and _deployment_question.cache_info().hits == 2
    other = broker.ask("GET", CAN_I_DEPLOY.replace("version=1", "version=2"))
    assert other.status_code == 200 and not other.json()["summary"]["deployable"]  # no version 2
    assert _deployment_question.cache_info().misses == 2


def test_the_pacts_of_a_miss_come_from_the_body_the_endpoint_was_handed(broker: Broker) -> None:
    """The body read to look the answer up reaches the endpoint whole: the answer follows it."""
    for consumer, count in (("C0", 1), ("C9", 0), ("C0", 1)):
        body = {"consumerVersionSelectors": [{"mainBranch": True, "consumer": consumer}]}
        found = broker.ask("POST", FOR_VERIFICATION, json=body).json()["_embedded"]["pacts"]
        assert len(found) == count, (consumer, found)
    assert broker.answers.hits == broker.sent_before_routing == 1  # the third asked the first's question


@pytest.mark.parametrize(("method", "url", "first", "again"), QUESTIONS)
def test_a_fresh_answer_asked_for_meets_the_endpoint(
    broker: Broker, method: str, url: str, first: dict[str, Any], again: dict[str, Any]
) -> None:
    if method == "POST":
        pytest.skip("for-verification has no fresh-answer header (a new question is a new key)")
    broker.ask(method, url)
    fresh = broker.ask(method, url, headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and broker.answers.hits == broker.sent_before_routing == 0


def test_questions_only_the_endpoint_can_answer_get_its_answers(broker: Broker) -> None:
    broker.ask("POST", FOR_VERIFICATION, json=BODY)  # an answer is kept for Bar
    cases = [
        (
            ("POST", FOR_VERIFICATION),
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
        ),
        (("POST", FOR_VERIFICATION), {"content": b"a=b", "headers": {"content-type": "text/plain"}}, 415),
        (
            ("POST", FOR_VERIFICATION),
            {"content": b"[1]", "headers": {"content-type": "application/json"}},
            400,
        ),
        (("POST", "/pacts/provider/Nobody/for-verification"), {"json": BODY}, 404),
        (("GET", "/can-i-deploy?pacticipant=C0&environment=production"), {}, 400),  # no version
        (("GET", "/can-i-deploy?pacticipant=Nobody&version=1&environment=production"), {}, 400),
        (("GET", "/matrix?q=Foo&q[][pacticipant]=Bar"), {}, 400),
    ]
    for (method, url), kwargs, status in cases:
        response = broker.ask(method, url, **kwargs)
        assert response.status_code == status, (url, kwargs, response.text)
    assert broker.answers.hits == broker.sent_before_routing == 0


def test_head_gets_the_kept_answers_headers_and_no_body(broker: Broker) -> None:
    get = broker.ask("GET", CAN_I_DEPLOY)
    head = broker.ask("HEAD", CAN_I_DEPLOY)
    assert broker.answers.hits == broker.sent_before_routing == 1
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]


def test_auth_comes_before_kept_answers(
    broker_settings: BrokerSettings, td: TestDataBuilder, caplog: pytest.LogCaptureFixture
) -> None:
    _world(td)
    settings = broker_settings.model_copy(
        update={
            "basic_auth_username": "writer",
            "basic_auth_password": "w",
            "basic_auth_read_only_username": "reader",
            "basic_auth_read_only_password": "r",
        }
    )
    for broker in _broker(settings, caplog):
        for method, url, kwargs in (("GET", CAN_I_DEPLOY, {}), ("POST", FOR_VERIFICATION, {"json": BODY})):
            assert broker.ask(method, url, auth=("writer", "w"), **kwargs).status_code == 200
            assert broker.ask(method, url, auth=("reader", "r"), **kwargs).status_code == 200  # reads both
            assert broker.ask(method, url, **kwargs).status_code == 401
            assert broker.ask(method, url, auth=("writer", "wrong"), **kwargs).status_code == 401
        assert broker.answers.hits == broker.sent_before_routing == 2


def test_a_database_error_under_the_look_up_is_the_endpoints_to_answer(
    broker: Broker, session: Session
) -> None:
    """The counters cannot be read: the endpoint meets the same error and answers it as any database
    error (500 with a reference); once the database is back the kept answer is served again."""
    kept = broker.ask("GET", CAN_I_DEPLOY)
    session.execute(text("ALTER TABLE answer_generations RENAME TO answer_generations_away"))
    session.commit()
    try:
        failed = broker.ask("GET", CAN_I_DEPLOY)
        assert failed.status_code == 500 and failed.json()["error"]["reference"]
        assert broker.sent_before_routing == 0
    finally:
        session.execute(text("ALTER TABLE answer_generations_away RENAME TO answer_generations"))
        session.commit()
    again = broker.ask("GET", CAN_I_DEPLOY)
    assert again.content == kept.content and broker.answers.hits == broker.sent_before_routing == 1


@pytest.mark.parametrize(("method", "url", "first", "again"), QUESTIONS)
def test_a_miss_reads_the_counters_once(
    broker: Broker, method: str, url: str, first: dict[str, Any], again: dict[str, Any]
) -> None:
    """The endpoint computes under the counters read before routing, rather than reading them again."""
    engine = broker.client.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert broker.ask(method, url, **first).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sum("answer_generations" in s for s in statements) == 1, statements
    assert broker.ask(method, url, **(again or first)).status_code == 200
    assert broker.sent_before_routing == 1  # kept under the counters read before routing
