"""The per-request session: one worker-thread hop per request (none when each process serves one request
at a time), every connection given back, and on PostgreSQL reads outside a transaction (no BEGIN and
COMMIT round trips).

A hop is a wait for a worker thread to wake; on a busy 2-core machine each cost more than the work it
carried (PostgreSQL, same seeded history, alternating rounds: matrix p50 6.9-7.9 -> 5.5 ms with two hops
instead of four; ~0.14 ms of CPU each under load). The dependencies that do no I/O run on the event loop;
the session is made there too and ended by the sync endpoint where it runs (`finishing_sessions`): its
worker thread, or the event loop itself with `threads=1` (`broker.api.blocking`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from broker.db.engine import open_session
from broker.testing import TestDataBuilder
from broker.verifiable_pacts.repository import VerifiablePactsRepository
from tests.broker.helpers import SERVED_THREADED_AND_INLINE, publish_body

pytestmark = SERVED_THREADED_AND_INLINE


def worker_hops(broker_app: FastAPI) -> int:
    """The hops a request's work takes: one to a worker thread, none when it runs on the event loop."""
    return 0 if broker_app.state.settings.request_threads == 1 else 1


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of what each worker-thread hop ran."""
    ran: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        target = getattr(func, "func", func)  # a functools.partial names what it wraps
        ran.append(str(getattr(target, "__name__", target)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield ran


@pytest.mark.parametrize(
    "request_",
    [
        lambda c: c.get("/can-i-deploy?pacticipant=Foo&version=1&to=prod"),
        lambda c: c.get("/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp"),
        lambda c: c.get("/pacticipants?pageSize=5"),  # with the paging dependency
        lambda c: c.post("/pacts/provider/Bar/for-verification", json={"providerVersionBranch": "main"}),
        lambda c: c.post("/contracts/publish", json=publish_body("Foo", "2", "Bar", branch="main")),
        lambda c: c.get("/webhooks"),  # the webhook API's own read session
    ],
    ids=["can-i-deploy", "matrix", "pacticipants", "for-verification", "publish", "webhooks"],
)
def test_a_request_takes_one_worker_hop_the_endpoint_which_ends_its_transaction(
    broker_app: FastAPI,
    client: TestClient,
    td: TestDataBuilder,
    hops: list[str],
    request_: Callable[[TestClient], Any],
) -> None:
    td.publish_pact("Foo", "1", "Bar", branch="main").create_verification("7")
    ended_in: list[str] = []
    engine = broker_app.state.engine
    # The thread that gives the connection back: the endpoint's, not a hop of its own after it.
    record = lambda *_args: ended_in.append(threading.current_thread().name)  # noqa: E731
    event.listen(engine.pool, "checkin", record)
    try:
        response = request_(client)
    finally:
        event.remove(engine.pool, "checkin", record)
    assert response.status_code in (200, 201), response.text
    if hops and hops[0] == "read_counters":
        # A question whose answer may be kept had its counters read before routing, in a worker
        # (`broker.api.kept_answers`); not kept yet, the endpoint answered.
        hops.pop(0)
    assert len(hops) == worker_hops(broker_app), hops
    event_loop = client.portal.call(lambda: threading.current_thread().name)
    if worker_hops(broker_app):
        assert ended_in and set(ended_in).isdisjoint({threading.current_thread().name, event_loop})
    else:
        assert ended_in and set(ended_in) == {event_loop}
    assert engine.pool.checkedout() == 0


def test_a_write_failing_halfway_is_rolled_back_in_the_endpoints_own_hop(
    broker_app: FastAPI, client: TestClient, td: TestDataBuilder, hops: list[str]
) -> None:
    td.publish_pact("Foo", "1", "Bar", branch="main")
    engine = broker_app.state.engine

    # The consumer's version and branch are written; then the pact's publication fails.
    def fail_publication(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PACT_PUBLICATIONS"):
            raise IntegrityError(statement, {}, Exception("simulated"))

    event.listen(engine, "before_cursor_execute", fail_publication)
    try:
        response = client.post("/contracts/publish", json=publish_body("Foo", "2", "Bar", branch="main"))
    finally:
        event.remove(engine, "before_cursor_execute", fail_publication)
    assert response.status_code == 409, response.text
    assert len(hops) == worker_hops(broker_app), hops
    assert engine.pool.checkedout() == 0
    assert client.get("/pacticipants/Foo/versions/2").status_code == 404
    assert client.get("/pacticipants/Foo/branches/main/versions/2").status_code == 404


def test_connections_are_given_back_after_answers_errors_and_rejected_writes(
    broker_app: FastAPI, client: TestClient, td: TestDataBuilder
) -> None:
    td.publish_pact("Foo", "1", "Bar", branch="main")
    pool = broker_app.state.engine.pool
    before = client.get("/pacticipants/Foo").json()
    assert client.get("/can-i-deploy?pacticipant=Foo&version=1&to=prod").status_code == 200
    assert client.get("/pacticipants/Nobody").status_code == 404
    assert client.post("/contracts/publish", json={"pacticipantName": "Foo"}).status_code == 400
    assert client.patch("/pacticipants/Foo", json={"mainBranch": 7}).status_code == 400
    assert pool.checkedout() == 0
    # Nothing of the rejected writes was kept; what was there is still there.
    assert client.get("/pacticipants/Foo").json()["mainBranch"] == before["mainBranch"] == "main"
    assert client.get("/pacts/provider/Bar/consumer/Foo/latest").status_code == 200
    assert pool.checkedout() == 0


def test_reads_on_postgresql_run_outside_a_transaction_and_writes_and_for_verification_inside_one(
    broker_app: FastAPI, client: TestClient, td: TestDataBuilder
) -> None:
    """A transaction costs a read two round trips (psycopg sends BEGIN on its own, then COMMIT), two of
    can-i-deploy's nine; under READ COMMITTED its statements see no less without one. for-verification
    sets planner options with SET LOCAL, which needs a transaction; writes need theirs. The counters of a
    question whose answer may be kept are read before routing, in a statement of their own."""
    if broker_app.state.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads open no transaction to begin with")
    td.publish_pact("Foo", "1", "Bar", branch="main").create_verification("7")
    seen: list[bool] = []
    counters: list[bool] = []  # the answer cache's counters, read before routing

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        autocommit = conn.connection.driver_connection.autocommit
        (counters if "answer_generations" in statement else seen).append(autocommit)

    event.listen(broker_app.state.engine, "before_cursor_execute", record)
    try:

        def autocommit_of(send: Callable[[], Any]) -> set[bool]:
            seen.clear()
            counters.clear()
            assert send().status_code in (200, 201)
            return set(seen)

        assert autocommit_of(lambda: client.get("/can-i-deploy?pacticipant=Foo&version=1&to=prod")) == {True}
        assert autocommit_of(lambda: client.get("/pacticipants/Foo")) == {True}
        assert autocommit_of(lambda: client.get("/webhooks")) == {True}
        fv = {"providerVersionBranch": "main", "includeWipPactsSince": "2020-01-01"}
        assert autocommit_of(lambda: client.post("/pacts/provider/Bar/for-verification", json=fv)) == {False}
        assert counters == [True]
        body = publish_body("Foo", "2", "Bar", branch="main")
        assert autocommit_of(lambda: client.post("/contracts/publish", json=body)) == {False}
    finally:
        event.remove(broker_app.state.engine, "before_cursor_execute", record)


def test_for_verification_refuses_a_session_outside_a_transaction(broker_app: FastAPI) -> None:
    if broker_app.state.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL sessions can be autocommit")
    session = open_session(broker_app.state.session_factory, autocommit=True)
    try:
        with pytest.raises(RuntimeError, match="read transaction"):
            VerifiablePactsRepository(session)
    finally:
        session.close()
