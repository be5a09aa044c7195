"""The benchmark dataset generator: a tiny history seeds a broker whose answers match what the generator
planted, and whose "latest" pointer tables agree with the history they summarise. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from benchmarks.broker_bench import wip_pacts, wip_window
from benchmarks.dataset import TINY, Dataset, KnownAnswers, Oracle, generate, write
from broker.app import create_app
from broker.db.engine import make_engine
from broker.db.migrate import upgrade
from broker.settings import BrokerSettings

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(TINY)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_url(
    request: pytest.FixtureRequest, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'broker.sqlite'}"
        name = None
    else:
        name = f"bench_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    engine = make_engine(url)
    try:
        write(engine, dataset)
    finally:
        engine.dispose()
    yield url
    if name is not None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def client(seeded_url: str) -> Iterator[TestClient]:
    settings = BrokerSettings(
        database_url=seeded_url,
        base_url=None,
        basic_auth_username=None,
        basic_auth_password=None,
        allow_public_read=False,
        auto_migrate=False,
    )
    with TestClient(create_app(settings), base_url="http://broker.test") as test_client:
        yield test_client


@pytest.fixture
def engine(seeded_url: str) -> Iterator[Engine]:
    eng = make_engine(seeded_url)
    yield eng
    eng.dispose()


def deployable(client: TestClient, pacticipant: str, version: str, environment: str) -> bool | None:
    response = client.get(
        "/can-i-deploy", params={"pacticipant": pacticipant, "version": version, "environment": environment}
    )
    assert response.status_code == 200, response.text
    value: bool | None = response.json()["summary"]["deployable"]
    return value


def test_generator_hits_the_requested_sizes(dataset: Dataset) -> None:
    counts = dataset.known.counts
    assert counts["pacticipants"] == TINY.pacticipants
    assert counts["integrations"] == TINY.integrations
    assert counts["verifications"] == TINY.verifications
    assert counts["latest_pact_publication_ids_for_consumer_versions"] == pytest.approx(
        TINY.publications, rel=0.1
    )
    assert counts["versions"] == pytest.approx(TINY.versions, rel=0.05)
    # Content is shared between versions: far fewer pact contents than publications.
    assert counts["pact_versions"] < counts["pact_publications"] / 2
    assert len(dataset.known.providers) == 10


def test_generation_is_deterministic(dataset: Dataset) -> None:
    again = generate(TINY)
    assert again.known.deployable_version == dataset.known.deployable_version
    assert again.known.sampled_verdicts == dataset.known.sampled_verdicts


def test_planted_verdicts_come_back_from_the_broker(client: TestClient, dataset: Dataset) -> None:
    known: KnownAnswers = dataset.known
    env = known.environment
    assert deployable(client, known.consumer, known.deployable_version, env) is True
    assert deployable(client, known.consumer, known.failing_version, env) is False
    assert deployable(client, known.consumer, known.unknown_version, env) is None


def test_broker_agrees_with_the_oracle_on_sampled_versions(client: TestClient, dataset: Dataset) -> None:
    verdicts = {v for *_, v in dataset.known.sampled_verdicts}
    assert verdicts == {True, False, None}, "the sample should cover every verdict"
    for consumer, version, environment, expected in dataset.known.sampled_verdicts:
        assert deployable(client, consumer, version, environment) is expected, (
            consumer,
            version,
            environment,
        )


def test_oracle_answers_from_rows_alone(dataset: Dataset) -> None:
    oracle = Oracle(dataset.rows)
    known = dataset.known
    # A consumer version's verdict does not depend on which environment object is asked twice.
    assert oracle.can_i_deploy(known.consumer, known.deployable_version, "production") is True
    assert oracle.can_i_deploy(known.consumer, known.failing_version, "production") is False


def test_for_verification_selects_the_consumers_main_branch_heads(
    client: TestClient, dataset: Dataset
) -> None:
    known = dataset.known
    response = client.post(
        f"/pacts/provider/{known.verifying_provider}/for-verification",
        json={"providerVersionBranch": "main", "includePendingStatus": True},
    )
    assert response.status_code == 200, response.text
    pacts = response.json()["_embedded"]["pacts"]
    ids = {r["name"]: r["id"] for r in dataset.rows["pacticipants"]}
    names = {r["id"]: r["name"] for r in dataset.rows["pacticipants"]}
    consumers = {
        names[r["consumer_id"]]
        for r in dataset.rows["integrations"]
        if r["provider_id"] == ids[known.verifying_provider]
    }
    prefix = f"/pacts/provider/{known.verifying_provider}/consumer/"
    selected = {p["_links"]["self"]["href"].split(prefix)[1].split("/")[0] for p in pacts}
    # Default selectors: every consumer's main-branch head plus the deployed versions, all of its consumers.
    assert selected == consumers


def test_matrix_pair_has_a_row(client: TestClient, dataset: Dataset) -> None:
    known = dataset.known
    query = (
        f"q[][pacticipant]={known.consumer}&q[][version]={known.deployable_version}"
        f"&q[][pacticipant]={known.matrix_provider}&q[][version]={known.matrix_provider_version}&latestby=cvpv"
    )
    response = client.get(f"/matrix?{query}")
    assert response.status_code == 200, response.text
    rows = response.json()["matrix"]
    assert len(rows) == 1
    assert rows[0]["verificationResult"]["success"] is True


POINTER_CHECKS = {
    "branch heads are the newest version of each branch": """
        SELECT COUNT(*) FROM branch_heads bh
        WHERE bh.version_id <> (SELECT bv.version_id FROM branch_versions bv WHERE bv.branch_id = bh.branch_id
                                ORDER BY bv.version_order DESC LIMIT 1)
           OR (SELECT COUNT(*) FROM branches) <> (SELECT COUNT(*) FROM branch_heads)""",
    "latest publication pointers name the highest revision": """
        SELECT COUNT(*) FROM latest_pact_publication_ids_for_consumer_versions l
        JOIN pact_publications p ON p.id = l.pact_publication_id
        WHERE p.revision_number <> (SELECT MAX(p2.revision_number) FROM pact_publications p2
                                    WHERE p2.consumer_version_id = l.consumer_version_id
                                      AND p2.provider_id = l.provider_id)
           OR p.pact_version_id <> l.pact_version_id""",
    "every published consumer version has a pointer": """
        SELECT COUNT(*) FROM (SELECT DISTINCT consumer_version_id, provider_id FROM pact_publications) p
        WHERE NOT EXISTS (SELECT 1 FROM latest_pact_publication_ids_for_consumer_versions l
                          WHERE l.consumer_version_id = p.consumer_version_id
                            AND l.provider_id = p.provider_id)""",
    "latest verification pointers name the newest result": """
        SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT pact_version_id, provider_version_id
                                      FROM verifications) d)
             - (SELECT COUNT(*) FROM latest_verification_id_for_pact_version_and_provider_version l
                WHERE l.verification_id = (SELECT MAX(v.id) FROM verifications v
                                           WHERE v.pact_version_id = l.pact_version_id
                                             AND v.provider_version_id = l.provider_version_id))""",
    "currently deployed rows are exactly the deployments not undeployed": """
        SELECT (SELECT COUNT(*) FROM deployed_versions WHERE undeployed_at IS NULL)
             - (SELECT COUNT(*) FROM currently_deployed_version_ids c
                JOIN deployed_versions d ON d.id = c.deployed_version_id AND d.undeployed_at IS NULL
                AND d.version_id = c.version_id)""",
    "integrations are exactly the published pairs": """
        SELECT (SELECT COUNT(*) FROM integrations)
             - (SELECT COUNT(*) FROM (SELECT DISTINCT consumer_id, provider_id FROM pact_publications) d)""",
    "tags carry their version's order": """
        SELECT COUNT(*) FROM tags t JOIN versions v ON v.id = t.version_id
        WHERE t.version_order <> v."order" OR t.pacticipant_id <> v.pacticipant_id""",
    "tag heads are the newest version with each tag": """
        SELECT COUNT(*) FROM tag_heads th
        WHERE th.version_order <> (SELECT MAX(t.version_order) FROM tags t
                                   WHERE t.pacticipant_id = th.pacticipant_id AND t.name = th.name)
           OR (SELECT COUNT(*) FROM (SELECT DISTINCT pacticipant_id, name FROM tags) d)
              <> (SELECT COUNT(*) FROM tag_heads)""",
    "branch-head pacts are the heads' pacts": """
        SELECT (SELECT COUNT(*) FROM branch_heads bh
                JOIN latest_pact_publication_ids_for_consumer_versions l
                  ON l.consumer_version_id = bh.version_id)
             - (SELECT COUNT(*) FROM branch_head_pacts bhp
                JOIN branch_heads bh
                  ON bh.branch_id = bhp.branch_id AND bh.version_id = bhp.consumer_version_id
                JOIN latest_pact_publication_ids_for_consumer_versions l
                  ON l.consumer_version_id = bhp.consumer_version_id AND l.provider_id = bhp.provider_id
                 AND l.pact_version_id = bhp.pact_version_id
                JOIN versions v ON v.id = bhp.consumer_version_id AND v.number = bhp.consumer_version_number
                 AND v."order" = bhp.consumer_version_order
                JOIN pact_versions pv ON pv.id = bhp.pact_version_id AND pv.sha = bhp.pact_version_sha)""",
}


@pytest.mark.parametrize("check", sorted(POINTER_CHECKS))
def test_pointer_tables_agree_with_the_history(engine: Engine, check: str) -> None:
    with engine.connect() as conn:
        assert conn.execute(text(POINTER_CHECKS[check])).scalar_one() == 0


def test_new_writes_continue_the_seeded_counters(client: TestClient, dataset: Dataset) -> None:
    """Ids, version orders and verification numbers continue after the seeded ones (no duplicate keys)."""
    known = dataset.known
    response = client.put(f"/pacticipants/{known.consumer}/versions/after-seed-1/tags/smoke")
    assert response.status_code in (200, 201), response.text
    response = client.get(f"/pacticipants/{known.consumer}/latest-version")
    assert response.status_code == 200, response.text
    assert response.json()["number"] == "after-seed-1"
    url = (
        f"/pacts/provider/{known.verification_provider}/consumer/{known.verification_consumer}"
        f"/pact-version/{known.verification_sha}/verification-results"
    )
    response = client.post(url, json={"success": True, "providerApplicationVersion": "after-seed-2"})
    assert response.status_code == 201, response.text
    number = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
    assert number == len(dataset.rows["verifications"]) + 1


def test_seeding_refuses_a_database_that_holds_a_broker(seeded_url: str, dataset: Dataset) -> None:
    engine = make_engine(seeded_url)
    try:
        with pytest.raises(RuntimeError, match="already holds a broker"):
            write(engine, replace(dataset))
    finally:
        engine.dispose()


def test_the_same_wip_window_finds_no_more_wip_pacts_than_wanted(
    client: TestClient, dataset: Dataset
) -> None:
    """`broker_bench`'s same-WIP shape asks the larger history with the look-back that gives the smaller
    history's count of WIP pacts: the longest window with at most that many."""
    known = dataset.known
    in_30_days = wip_pacts(client, known, 30.0)
    assert in_30_days >= 1, "the tiny history has WIP pacts in its last 30 days"
    wanted = in_30_days - 1
    days = wip_window(client, known, wanted)
    assert 0.0 < days < 30.0
    assert wip_pacts(client, known, days) <= wanted
    assert (
        wip_pacts(client, known, days + 0.01) > wanted
    )  # the longest such window, to 11 minutes (30 days halved 12 times)
    assert wip_window(client, known, in_30_days) == 30.0
