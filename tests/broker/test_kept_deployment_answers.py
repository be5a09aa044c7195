"""Kept can-i-deploy and matrix answers are never stale: after every kind of write that changes one, made by
another worker (an app of its own on the same database), the kept answer is the one a broker without the
cache computes; a partner's new build, feature-branch publication or results between other pacticipants
leave it kept. SQLite and PostgreSQL.

The world: Foo 1 (main) needs Bar and Baz, whose deployed versions b1 and z1 verified it; Web w1, deployed,
needs Foo, and Foo 1 verified it. Zed also needs Bar; Other needs Qux, which is deployed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from broker.answer_cache.store import AnswerStore
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.builder import TestDataBuilder
from tests.broker.helpers import ok, publish_body

CAN_I_DEPLOY = "/can-i-deploy?pacticipant=Foo&version=1&environment=production"
# What the official CLI sends for `can-i-deploy --pacticipant Foo --version 1 --to-environment production`.
CLI_MATRIX = "/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&environment=production"
TWO_VERSIONS = (
    "/matrix?q[][pacticipant]=Foo&q[][version]=1&q[][pacticipant]=Bar&q[][version]=b1&latestby=cvpv"
)
TO_ENVIRONMENT = [CAN_I_DEPLOY, CLI_MATRIX]


@dataclass
class Brokers:
    cached: TestClient  # the broker under test, keeping answers
    fresh: TestClient  # computes every answer
    writer: TestClient  # another worker of the same broker
    answers: AnswerStore  # the cached broker's

    def asked(self, url: str) -> tuple[int, bytes]:
        """The cached broker's answer, checked against the fresh one's."""
        kept = self.cached.get(url)
        computed = self.fresh.get(url)
        assert kept.status_code == computed.status_code, kept.text
        assert kept.json() == computed.json()
        assert kept.headers["content-type"] == computed.headers["content-type"]
        return kept.status_code, kept.content


@pytest.fixture
def brokers(broker_settings: BrokerSettings, td: TestDataBuilder) -> Iterator[Brokers]:
    td.create_environment("production", production=True)
    td.publish_pact("Foo", "1", "Bar", branch="main", description="foo needs bar")
    td.create_verification("b1", branch="main").create_deployed_version_for_provider_version("production")
    td.create_pact("Baz", description="foo needs baz")
    td.create_verification("z1", branch="main").create_deployed_version_for_provider_version("production")
    td.publish_pact("Web", "w1", "Foo", branch="main", description="web needs foo")
    td.create_verification("1").create_deployed_version(pacticipant="Web", version="w1")
    td.publish_pact("Zed", "1", "Bar", branch="main", description="zed needs bar")
    td.publish_pact("Other", "1", "Qux", branch="main", description="unrelated")
    # Revisions of a published version are part of the world the answers must follow.
    settings = broker_settings.model_copy(update={"allow_dangerous_contract_modification": True})
    fresh = settings.model_copy(update={"answer_cache_entries": 0})
    cached_app = create_app(settings)
    base = "http://broker.test"
    with (
        TestClient(cached_app, base_url=base) as cached,
        TestClient(create_app(fresh), base_url=base) as fresh_client,
        TestClient(create_app(settings), base_url=base) as writer,
    ):
        yield Brokers(cached, fresh_client, writer, cached_app.state.answers)


def _production(c: TestClient) -> str:
    found = c.get("/environments", params={"name": "production"}).json()
    return str(found["_embedded"]["environments"][0]["uuid"])


def _result(c: TestClient, consumer: str, version: str, provider: str, by: str, success: bool) -> None:
    pact = c.get(f"/pacts/provider/{provider}/consumer/{consumer}/version/{version}").json()
    url = pact["_links"]["pb:publish-verification-results"]["href"]
    ok(c.post(url, json={"success": success, "providerApplicationVersion": by}))


def _deploy(c: TestClient, pacticipant: str, version: str) -> None:
    url = f"/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{_production(c)}"
    ok(c.post(url, json={}))


def deployed_provider_fails(c: TestClient) -> None:
    _result(c, "Foo", "1", "Bar", "b1", success=False)


def untested_provider_build_deployed(c: TestClient) -> None:
    _result(c, "Zed", "1", "Bar", "b2", success=True)
    _deploy(c, "Bar", "b2")


def provider_undeployed(c: TestClient) -> None:
    deployed = c.get(f"/environments/{_production(c)}/deployed-versions/currently-deployed").json()
    [bar] = [
        d for d in deployed["_embedded"]["deployedVersions"] if d["_embedded"]["version"]["number"] == "b1"
    ]
    ok(c.patch(f"/deployed-versions/{bar['uuid']}", json={"currentlyDeployed": False}))


def deployed_consumer_revises_its_pact(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("Web", "w1", "Foo", description="web changed")))


def deployed_partner_version_tagged_by_a_publication(c: TestClient) -> None:
    # Bar's deployed b1 publishes, as a consumer of Qux: the tag shows in Foo's answer, whose Bar rows are
    # b1's. No write of Foo's own or about its pacts: only the `deployed` counter tells.
    body = publish_body("Bar", "b1", "Qux", branch="main", tags=["stable"], description="bar needs qux")
    ok(c.post("/contracts/publish", json=body))


def named_version_revises_its_pact(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("Foo", "1", "Bar", description="foo changed")))


def untested_consumer_deployed(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("Web", "w2", "Foo", description="web 2")))
    _deploy(c, "Web", "w2")


def deployed_provider_version_deleted(c: TestClient) -> None:
    ok(c.delete("/pacticipants/Bar/versions/b1"))


def environment_deleted(c: TestClient) -> None:
    ok(c.delete(f"/environments/{_production(c)}"))


# Writes that change the answer to an environment: the kept one must go, in every worker.
CHANGING: list[Callable[[TestClient], None]] = [
    deployed_provider_fails,
    untested_provider_build_deployed,
    provider_undeployed,
    deployed_consumer_revises_its_pact,
    deployed_partner_version_tagged_by_a_publication,
    named_version_revises_its_pact,
    untested_consumer_deployed,
    deployed_provider_version_deleted,
    environment_deleted,
]


def provider_build_for_another_consumer(c: TestClient) -> None:
    _result(c, "Zed", "1", "Bar", "b3", success=True)


def partner_publishes_on_a_feature_branch(c: TestClient) -> None:
    ok(c.post("/contracts/publish", json=publish_body("Bar", "b4", "Qux", branch="feature/x")))


def failed_result_between_others(c: TestClient) -> None:
    _result(c, "Zed", "1", "Bar", "b1", success=False)


def unrelated_deployment(c: TestClient) -> None:
    _result(c, "Other", "1", "Qux", "q1", success=True)
    _deploy(c, "Qux", "q1")


# Writes that change nothing a deployment question about Foo is made of: its kept answer is served on.
UNRELATED: list[Callable[[TestClient], None]] = [
    provider_build_for_another_consumer,
    partner_publishes_on_a_feature_branch,
    failed_result_between_others,
    unrelated_deployment,
]


def _names(writes: list[Callable[[TestClient], None]]) -> list[str]:
    return [w.__name__ for w in writes]


@pytest.mark.parametrize("url", TO_ENVIRONMENT, ids=["can-i-deploy", "cli-matrix"])
@pytest.mark.parametrize("write", CHANGING, ids=_names(CHANGING))
def test_a_write_that_changes_the_answer_is_seen_by_every_worker(
    brokers: Brokers, url: str, write: Callable[[TestClient], None]
) -> None:
    before = brokers.asked(url)
    assert before[0] == 200 and b'"deployable":true' in before[1]
    assert brokers.asked(url) == before and brokers.answers.hits == 1  # kept
    write(brokers.writer)
    after = brokers.asked(url)  # what the fresh broker computes, or the assertion inside fails
    assert after != before, "the write was meant to change the answer: the test would prove nothing"


@pytest.mark.parametrize("url", TO_ENVIRONMENT, ids=["can-i-deploy", "cli-matrix"])
@pytest.mark.parametrize("write", UNRELATED, ids=_names(UNRELATED))
def test_a_write_that_changes_nothing_of_the_answer_keeps_it(
    brokers: Brokers, url: str, write: Callable[[TestClient], None]
) -> None:
    before = brokers.asked(url)
    write(brokers.writer)
    hits = brokers.answers.hits
    assert brokers.asked(url) == before
    assert brokers.answers.hits == hits + 1


@pytest.mark.parametrize("write", CHANGING + UNRELATED, ids=_names(CHANGING + UNRELATED))
def test_the_matrix_between_two_versions_is_never_stale(
    brokers: Brokers, write: Callable[[TestClient], None]
) -> None:
    brokers.asked(TWO_VERSIONS)
    assert brokers.answers.hits == 0
    brokers.asked(TWO_VERSIONS)
    assert brokers.answers.hits == 1
    write(brokers.writer)
    brokers.asked(TWO_VERSIONS)


def test_only_questions_about_named_versions_are_kept(brokers: Brokers) -> None:
    """ "latest" and tags reach versions that a new build or tag changes without moving the counters the
    kept answers follow: those questions are computed every time, as are errors."""
    for url in [
        "/can-i-deploy?pacticipant=Foo&version=1&to=prod",
        "/matrix?q[][pacticipant]=Foo&q[][latest]=true&latestby=cvp&environment=production",
        "/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&latest=true",
        "/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvp",
        "/can-i-deploy?pacticipant=Nobody&version=1&environment=production",
        "/can-i-deploy?pacticipant=Foo&version=1&environment=nowhere",
        "/can-i-deploy?pacticipant=Foo&environment=production",
    ]:
        brokers.asked(url)
        brokers.asked(url)
    assert brokers.answers.hits == 0
    # The same question by another endpoint or with other options is another answer.
    brokers.asked(CAN_I_DEPLOY)
    brokers.asked(CLI_MATRIX)
    brokers.asked(CLI_MATRIX + "&limit=1")
    assert brokers.answers.hits == 0
    brokers.asked(CAN_I_DEPLOY + "&ignore[]=Baz")
    brokers.asked(CAN_I_DEPLOY + "&ignore[]=Baz")
    assert brokers.answers.hits == 1


def test_a_kept_answer_about_a_version_not_yet_published_goes_when_it_is(brokers: Brokers) -> None:
    """A version unknown to the broker is an answer (not deployable), kept like any other: publishing that
    version moves its pacticipant's counter."""
    url = "/can-i-deploy?pacticipant=Foo&version=2&environment=production"
    before = brokers.asked(url)
    assert before[0] == 200 and b"No pacts or verifications have been published for version 2" in before[1]
    assert brokers.asked(url) == before and brokers.answers.hits == 1
    ok(brokers.writer.post("/contracts/publish", json=publish_body("Foo", "2", "Bar", description="foo 2")))
    assert brokers.asked(url) != before


def test_no_cache_asks_for_a_fresh_answer(brokers: Brokers) -> None:
    brokers.asked(CAN_I_DEPLOY)
    fresh = brokers.cached.get(CAN_I_DEPLOY, headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and brokers.answers.hits == 0
    assert brokers.asked(CAN_I_DEPLOY)[1] == fresh.content and brokers.answers.hits == 1
