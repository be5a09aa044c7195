"""Many clients at once over real HTTP: every publish and every verification lands, none lost, no deadlock,
and racing writers of the same thing end up with one row (SQLite: BEGIN IMMEDIATE + busy_timeout;
PostgreSQL: INSERT ... ON CONFLICT DO NOTHING then SELECT, sequences for counters)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.db.models import (
    BranchHead,
    CurrentlyDeployedVersionId,
    DeployedVersion,
    Environment,
    LatestVerificationIdForPactVersionAndProviderVersion,
    PactPublication,
    Verification,
    Version,
)
from broker.settings import BrokerSettings
from broker.testing import LiveBroker, TestDataBuilder
from tests.broker.helpers import publish_body

WORKERS = 16
PUBLISHES = 48
VERIFICATIONS = 48


def test_parallel_publishes_and_verifications_all_land(live_broker: LiveBroker, session: Session) -> None:
    with httpx.Client(base_url=live_broker.url, timeout=60) as client, ThreadPoolExecutor(WORKERS) as pool:
        # Half of the versions share one content, half have their own.
        def publish(n: int) -> int:
            body = publish_body("Foo", f"1.0.{n}", "Bar", description="shared" if n % 2 else f"own {n}")
            return client.post("/contracts/publish", json=body).status_code

        statuses = list(pool.map(publish, range(PUBLISHES)))
        assert statuses == [200] * PUBLISHES

        # Same version, same content, at once: idempotent, one publication.
        same = list(
            pool.map(
                lambda _: client.post("/contracts/publish", json=publish_body("Foo", "same")).status_code,
                range(12),
            )
        )
        assert same == [200] * 12

        # Same version, different content, at once: exactly one wins, the rest are refused with 409.
        def race(n: int) -> int:
            body = publish_body("Foo", "race", description=f"racer {n}")
            return client.post("/contracts/publish", json=body).status_code

        assert Counter(pool.map(race, range(12))) == Counter({200: 1, 409: 11})

        pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1.0.1").json()
        results_url = pact["_links"]["pb:publish-verification-results"]["href"]

        def verify(n: int) -> int:
            body = {"success": n % 3 != 0, "providerApplicationVersion": f"2.0.{n % 12}"}
            return client.post(results_url, json=body).status_code

        assert list(pool.map(verify, range(VERIFICATIONS))) == [201] * VERIFICATIONS

    session.rollback()
    publications = session.execute(select(func.count()).select_from(PactPublication)).scalar_one()
    assert publications == PUBLISHES + 2  # + "same" once + the single "race" winner
    orders = session.execute(select(Version.order).where(Version.number.like("1.0.%"))).scalars().all()
    assert len(set(orders)) == PUBLISHES  # every version got its own order
    numbers = session.execute(select(Verification.number)).scalars().all()
    assert len(numbers) == VERIFICATIONS and len(set(numbers)) == VERIFICATIONS
    pointers = session.execute(select(LatestVerificationIdForPactVersionAndProviderVersion)).scalars().all()
    assert len(pointers) == 12  # one per provider version
    newest = dict(
        session.execute(
            select(Verification.provider_version_id, func.max(Verification.id)).group_by(
                Verification.provider_version_id
            )
        ).all()
    )
    assert {p.provider_version_id: p.verification_id for p in pointers} == newest
    head = session.execute(select(BranchHead).where(BranchHead.branch_name == "main")).scalars().all()
    newest_on_main = session.execute(
        select(Version.id)
        .where(Version.number.in_([f"1.0.{n}" for n in range(PUBLISHES)] + ["same", "race"]))
        .order_by(Version.order.desc())
        .limit(1)
    ).scalar_one()
    foo_head = [h for h in head if h.version_id == newest_on_main]
    assert len(foo_head) == 1  # the branch head is the newest version, whatever order the commits landed in


def test_parallel_deployments_of_one_application_instance_leave_exactly_one_current(
    live_broker: LiveBroker, td: TestDataBuilder, session: Session
) -> None:
    td.create_environment("production", production=True)
    for n in range(20):
        td.create_version("Foo", str(n))
    uuid = td.environment.uuid  # type: ignore[union-attr]
    with httpx.Client(base_url=live_broker.url, timeout=60) as client, ThreadPoolExecutor(WORKERS) as pool:

        def deploy(n: int) -> int:
            url = f"/pacticipants/Foo/versions/{n}/deployed-versions/environment/{uuid}"
            return client.post(url, json={}).status_code

        assert list(pool.map(deploy, range(20))) == [201] * 20
    session.rollback()
    still_deployed = (
        session.execute(select(DeployedVersion).where(DeployedVersion.undeployed_at.is_(None)))
        .scalars()
        .all()
    )
    current = session.execute(select(CurrentlyDeployedVersionId)).scalars().all()
    assert len(still_deployed) == 1 and len(current) == 1
    assert current[0].deployed_version_id == still_deployed[0].id


def test_racing_creations_of_one_environment_give_one_row_and_clean_refusals(
    live_broker: LiveBroker, session: Session
) -> None:
    with httpx.Client(base_url=live_broker.url, timeout=60) as client, ThreadPoolExecutor(WORKERS) as pool:

        def create(_n: int) -> int:
            return client.post("/environments", json={"name": "staging", "production": False}).status_code

        statuses = Counter(pool.map(create, range(12)))
    assert statuses[201] == 1
    assert set(statuses) <= {201, 400, 409}  # "already exists", or the race lost at the unique index: no 500
    session.rollback()
    assert session.execute(select(func.count()).select_from(Environment)).scalar_one() == 1


def test_one_thread_per_process_still_answers_every_request_of_a_parallel_mix(
    broker_settings: BrokerSettings, td: TestDataBuilder
) -> None:
    """With `threads=1` a writer waiting for the write lock (SQLite) or a row lock (PostgreSQL) holds the
    process's only thread; the transaction it waits for commits outside that limit, so nothing deadlocks."""
    td.create_environment("production")
    server = LiveBroker(create_app(broker_settings.model_copy(update={"threads": 1})))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client, ThreadPoolExecutor(WORKERS) as pool:
            assert client.post("/contracts/publish", json=publish_body("Foo", "0")).status_code == 200
            env = client.get("/environments").json()["_embedded"]["environments"][0]["uuid"]

            def request(n: int) -> int:
                if n % 4 == 0:
                    return client.post("/contracts/publish", json=publish_body("Foo", f"1.{n}")).status_code
                if n % 4 == 1:
                    return client.post("/pacts/provider/Bar/for-verification", json={}).status_code
                if n % 4 == 2:
                    url = f"/pacticipants/Foo/versions/0/deployed-versions/environment/{env}"
                    return client.post(url, json={}).status_code
                query = {"pacticipant": "Foo", "version": "0", "environment": "production"}
                return client.get("/can-i-deploy", params=query).status_code

            statuses = list(pool.map(request, range(48)))
    finally:
        server.stop()
    assert len(statuses) == 48
    assert set(statuses) <= {200, 201}  # the first deployment record is created (201), later ones 200
