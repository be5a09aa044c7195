"""Kept for-verification answers are never stale: after every kind of write, made by another worker (an app
of its own on the same database, as a second uvicorn process would be), the kept answer is the one a broker
without the cache computes; writes that change nothing an answer is made of leave the kept one in use.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from broker.answer_cache.store import AnswerStore
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.builder import TestDataBuilder
from broker.testing.live import LiveBroker
from broker.verifiable_pacts.repository import wip_verified_cutoff
from tests.broker.helpers import ok, publish_body

FOR_VERIFICATION = "/pacts/provider/Bar/for-verification"
BODY = {"providerVersionBranch": "main", "includePendingStatus": True, "includeWipPactsSince": "2020-01-01"}


@dataclass
class Brokers:
    cached: TestClient  # the broker under test, keeping answers
    fresh: TestClient  # computes every answer
    writer: TestClient  # another worker of the same broker, keeping answers of its own
    answers: AnswerStore  # the cached broker's

    def asked(self, body: dict[str, Any] = BODY) -> bytes:
        """The cached broker's answer, checked against the fresh one's."""
        kept = self.cached.post(FOR_VERIFICATION, json=body)
        computed = self.fresh.post(FOR_VERIFICATION, json=body)
        assert kept.status_code == computed.status_code == 200, kept.text
        assert kept.json() == computed.json()
        assert kept.headers["content-type"] == computed.headers["content-type"]
        return kept.content


@pytest.fixture
def brokers(broker_settings: BrokerSettings, td: TestDataBuilder) -> Iterator[Brokers]:
    td.create_provider("Bar", main_branch="main").create_consumer("C0", main_branch="main")
    td.create_consumer("C1", main_branch="main").create_environment("production", production=True)
    td.publish_pact("C0", "1", "Bar", branch="main", description="c0 v1")
    td.create_verification("p1", branch="main")  # C0's pact is not pending for main
    td.create_deployed_version(pacticipant="C0", version="1", environment="production")
    td.publish_pact("C1", "1", "Bar", branch="main", description="c1 v1")  # pending for main
    td.publish_pact("C1", "2", "Bar", branch="feature/x", description="c1 v2")  # WIP
    td.create_provider_version("p2", provider="Bar", branch="main")
    td.publish_pact("Other", "1", "Baz", branch="main", description="unrelated")
    fresh = broker_settings.model_copy(update={"answer_cache_entries": 0})
    cached_app, fresh_app, writer_app = (
        create_app(broker_settings),
        create_app(fresh),
        create_app(broker_settings),
    )
    base = "http://broker.test"
    _clear_of_a_minute_turn()
    with (
        TestClient(cached_app, base_url=base) as cached,
        TestClient(fresh_app, base_url=base) as fresh_client,
        TestClient(writer_app, base_url=base) as writer,
    ):
        yield Brokers(cached, fresh_client, writer, cached_app.state.answers)


def _clear_of_a_minute_turn(margin: float = 3.0) -> None:
    """The minute is part of an answer's key (`wip_verified_cutoff`): an answer asked for again in the
    next minute is computed again, by design. These tests count kept answers and each runs well under a
    second, so one that would start in the last seconds of a minute starts in the next one instead."""
    now = datetime.now(UTC)
    left = 60 - now.second - now.microsecond / 1e6
    if left < margin:
        time.sleep(left + 0.05)


def _results_url(client: TestClient, consumer: str, version: str) -> str:
    pact = client.get(f"/pacts/provider/Bar/consumer/{consumer}/version/{version}").json()
    return str(pact["_links"]["pb:publish-verification-results"]["href"])


def _production(client: TestClient) -> str:
    found = client.get("/environments", params={"name": "production"}).json()
    return str(found["_embedded"]["environments"][0]["uuid"])


def publish_on_main(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("C0", "2", "Bar", branch="main", description="new")))


def publish_feature_branch(c: TestClient) -> None:
    body = publish_body("C0", "3", "Bar", branch="feature/y", description="wip")
    ok(c.post("/contracts/publish", json=body))


def first_consumer_pact(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("C2", "1", "Bar", branch="main", description="c2")))


def legacy_put_pact(c: TestClient) -> None:
    pact = c.get("/pacts/provider/Bar/consumer/C0/version/1").json()
    pact.pop("_links", None)
    pact["consumer"] = {"name": "C3"}  # a new consumer of no main branch: its latest pact is selected
    ok(c.put("/pacts/provider/Bar/consumer/C3/version/1", json=pact))


def first_success_on_provider_main(c: TestClient) -> None:
    ok(c.post(_results_url(c, "C1", "1"), json={"success": True, "providerApplicationVersion": "p2"}))


def success_from_a_new_provider_version(c: TestClient) -> None:
    ok(c.post(_results_url(c, "C0", "1"), json={"success": True, "providerApplicationVersion": "p9"}))


def deployment(c: TestClient) -> None:
    ok(c.post(f"/pacticipants/C1/versions/2/deployed-versions/environment/{_production(c)}", json={}))


def release(c: TestClient) -> None:
    ok(c.post(f"/pacticipants/C1/versions/2/released-versions/environment/{_production(c)}", json={}))


def undeployment(c: TestClient) -> None:
    uuid = _production(c)
    deployed = c.get(f"/environments/{uuid}/deployed-versions/currently-deployed").json()
    [record] = deployed["_embedded"]["deployedVersions"]
    ok(c.patch(f"/deployed-versions/{record['uuid']}", json={"currentlyDeployed": False}))


def main_branch_renamed(c: TestClient) -> None:
    ok(c.patch("/pacticipants/C1", json={"mainBranch": "feature/x"}))


def consumer_version_deleted(c: TestClient) -> None:
    ok(c.delete("/pacticipants/C1/versions/2"))


def integration_deleted(c: TestClient) -> None:
    ok(c.delete("/integrations/provider/Bar/consumer/C1"))


def environment_deleted(c: TestClient) -> None:
    ok(c.delete(f"/environments/{_production(c)}"))


def consumer_branch_version(c: TestClient) -> None:
    ok(c.put("/pacticipants/C0/branches/other-branch/versions/1"))


def consumer_tag(c: TestClient) -> None:
    ok(c.put("/pacticipants/C1/versions/2/tags/wip-tag"))


# Writes that change the answer: the kept one must go, in every worker.
CHANGING: list[Callable[[TestClient], None]] = [
    publish_on_main,
    publish_feature_branch,
    first_consumer_pact,
    legacy_put_pact,
    first_success_on_provider_main,
    deployment,
    release,
    undeployment,
    main_branch_renamed,
    consumer_version_deleted,
    integration_deleted,
    environment_deleted,
]


@pytest.mark.parametrize("write", CHANGING, ids=[w.__name__ for w in CHANGING])
def test_a_write_that_changes_the_answer_is_seen_by_every_worker(
    brokers: Brokers, write: Callable[[TestClient], None]
) -> None:
    before = brokers.asked()
    assert brokers.asked() == before and brokers.answers.hits == 1  # kept
    write(brokers.writer)
    after = brokers.asked()  # what the fresh broker computes, or the assertion inside fails
    assert after != before, "the write was meant to change the answer: the test would prove nothing"


# Writes that may or may not change this answer (a version on another branch, a tag on a WIP version, a
# result from a provider version of no branch): the kept answer must agree with the computed one.
UNSURE: list[Callable[[TestClient], None]] = [
    consumer_branch_version,
    consumer_tag,
    success_from_a_new_provider_version,
]


@pytest.mark.parametrize("write", UNSURE, ids=[w.__name__ for w in UNSURE])
def test_other_writes_leave_no_stale_answer(brokers: Brokers, write: Callable[[TestClient], None]) -> None:
    brokers.asked()
    write(brokers.writer)
    brokers.asked()


def failed_result(c: TestClient) -> None:
    url = _results_url(c, "C1", "1")
    ok(c.post(url, json={"success": False, "providerApplicationVersion": "p2"}))


def repeated_success(c: TestClient) -> None:
    # p1 verified C0's pact successfully when the world was built: this one decides nothing new.
    ok(c.post(_results_url(c, "C0", "1"), json={"success": True, "providerApplicationVersion": "p1"}))


def unrelated_publication(c: TestClient) -> None:
    body = publish_body("Other", "2", "Baz", branch="main", description="unrelated 2")
    ok(c.post("/contracts/publish", json=body))


def unrelated_deployment(c: TestClient) -> None:
    ok(c.post(f"/pacticipants/Other/versions/1/deployed-versions/environment/{_production(c)}", json={}))


# Writes that change nothing this answer is made of: the kept answer is served on.
UNRELATED: list[Callable[[TestClient], None]] = [
    failed_result,
    repeated_success,
    unrelated_publication,
    unrelated_deployment,
]


@pytest.mark.parametrize("write", UNRELATED, ids=[w.__name__ for w in UNRELATED])
def test_a_write_that_changes_nothing_of_the_answer_keeps_it(
    brokers: Brokers, write: Callable[[TestClient], None]
) -> None:
    before = brokers.asked()
    write(brokers.writer)
    hits = brokers.answers.hits
    assert brokers.asked() == before
    assert brokers.answers.hits == hits + 1


def test_the_question_is_the_key(brokers: Brokers) -> None:
    """Another body, another answer; the same body with its keys in another order, the same one; and the
    deprecated GET is kept apart (its answer carries a warning)."""
    brokers.asked()
    reordered = dict(reversed(list(BODY.items())))
    hits = brokers.answers.hits
    brokers.asked(reordered)
    assert brokers.answers.hits == hits + 1
    no_wip = {"providerVersionBranch": "main", "includePendingStatus": True}
    assert brokers.asked(no_wip) != brokers.asked()
    params = {"provider_version_branch": "main"}
    get = brokers.cached.get(FOR_VERIFICATION, params=params)
    assert get.status_code == 200 and "WARNING" in get.text
    assert get.json() == brokers.fresh.get(FOR_VERIFICATION, params=params).json()


def test_errors_and_unknown_providers_are_not_kept(brokers: Brokers) -> None:
    for _ in range(2):
        assert brokers.cached.post("/pacts/provider/Nobody/for-verification", json={}).status_code == 404
        bad = {"consumerVersionSelectors": [{"environment": "nowhere"}]}
        assert brokers.cached.post(FOR_VERIFICATION, json=bad).status_code == 400
    assert brokers.answers.hits == 0


def test_the_look_back_window_is_whole_minutes() -> None:
    """The only clock in an answer: the WIP look-back moves a minute at a time (the minute is in the key)."""
    a = wip_verified_cutoff(datetime(2026, 12, 4, 15, 0, 1))
    assert a == wip_verified_cutoff(datetime(2026, 12, 4, 15, 0, 59, 999999))
    assert a != wip_verified_cutoff(datetime(2026, 12, 4, 15, 1, 0))


def test_no_stale_answer_survives_writes_racing_reads(
    brokers: Brokers, broker_settings: BrokerSettings
) -> None:
    """Readers over real HTTP while another worker publishes new main-branch pacts: whatever the
    interleaving, once the writes end the kept answer is the computed one (an answer computed from data
    older than the counters it was kept under would be served from then on)."""
    live = LiveBroker(create_app(broker_settings))
    live.start()
    done = threading.Event()
    failures: list[str] = []

    def read() -> None:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            while not done.is_set():
                status = client.post(FOR_VERIFICATION, json=BODY).status_code
                if status != 200:
                    failures.append(str(status))

    readers = [threading.Thread(target=read) for _ in range(3)]
    try:
        for reader in readers:
            reader.start()
        for n in range(12):
            body = publish_body("C0", f"race-{n}", "Bar", branch="main", description=f"race {n}")
            ok(brokers.writer.post("/contracts/publish", json=body))
        done.set()
        for reader in readers:
            reader.join()
        with httpx.Client(base_url=live.url) as client:
            kept = client.post(FOR_VERIFICATION, json=BODY).text.replace(live.url, "http://broker.test")
        assert kept == brokers.fresh.post(FOR_VERIFICATION, json=BODY).text
        assert "race 11" in str(brokers.fresh.get("/pacts/provider/Bar/consumer/C0/latest").json())
        assert not failures
    finally:
        done.set()
        live.stop()


NO_BRANCH = {"includePendingStatus": True}  # pending until any success
TAGGED = {"providerVersionTags": ["t"], "includePendingStatus": True}  # pending until a success tagged t


def test_a_success_from_a_build_of_no_branch_or_tag_changes_only_questions_naming_neither(
    brokers: Brokers,
) -> None:
    """A provider build that only verifies (its version has no branch and no tag) ends pending status only
    for questions that name no provider branch or tag: those answers go, the main-branch one is kept."""
    on_main, on_nothing = brokers.asked(), brokers.asked(NO_BRANCH)
    url = _results_url(brokers.writer, "C1", "1")
    ok(brokers.writer.post(url, json={"success": True, "providerApplicationVersion": "p9"}))
    hits = brokers.answers.hits
    assert brokers.asked() == on_main
    assert brokers.answers.hits == hits + 1
    assert brokers.asked(NO_BRANCH) != on_nothing


def test_a_success_from_a_tagged_version_changes_the_questions_naming_its_tag(brokers: Brokers) -> None:
    """A version that already has a tag (or a branch) when its first success comes moves the provider's
    own counter: every answer of the provider is computed again."""
    ok(brokers.writer.put("/pacticipants/Bar/versions/pt/tags/t"))
    before = brokers.asked(TAGGED)
    assert brokers.asked(TAGGED) == before
    url = _results_url(brokers.writer, "C1", "1")
    ok(brokers.writer.post(url, json={"success": True, "providerApplicationVersion": "pt"}))
    assert brokers.asked(TAGGED) != before
