"""The project's own contracts (every consumer test, every provider verification) through the broker the
`pact_broker` fixture provides: an external one, a container, or the embedded broker — whichever this
machine offers. This is how a team's CI uses the fixture, and it proves the six services agree today."""

from __future__ import annotations

import uuid
from pathlib import Path

from contracts.broker_client import BrokerClient
from contracts.pipeline import Pipeline
from contracts.versioning import VersionInfo

ROOT = Path(__file__).resolve().parents[2]
PROVIDERS = {"sample", "storage", "sequencing", "notification", "event"}
# Providers before their consumers: gateway -> sample -> storage/sequencing -> event/notification.
ORDER_CONSTRAINTS = [
    ("event", "storage"),
    ("storage", "sample"),
    ("sequencing", "sample"),
    ("sample", "gateway"),
]


def test_every_service_may_deploy_once_its_contracts_are_verified(pact_broker: str) -> None:
    # A version of our own, and an environment of our own: an external broker may be shared.
    version = VersionInfo(number=f"contract-tests-{uuid.uuid4().hex[:12]}", branch="main", source="override")
    environment = "contract-tests"

    result = Pipeline(ROOT, broker_url=pact_broker, environment=environment, version=version).run()

    assert result.consumer_tests is not None and result.consumer_tests.success, result.consumer_tests
    assert not result.publish_errors
    verified = {run.name for run in result.verifications if run.success and not run.skipped_everything}
    assert verified == PROVIDERS, [run.output[-2000:] for run in result.verifications if not run.success]
    verdicts = {v.service: v for v in result.verdicts}
    assert set(verdicts) == PROVIDERS | {"gateway"}
    assert all(v.deployable is True and v.recorded for v in verdicts.values()), verdicts
    order = [v.service for v in result.verdicts]
    for provider, consumer in ORDER_CONSTRAINTS:
        assert order.index(provider) < order.index(consumer), order

    # The broker, asked directly, agrees: this version of sample verified the gateway's pact.
    with BrokerClient(pact_broker) as client:
        answer = client.can_i_deploy("gateway", version.number, environment)
    assert answer.deployable is True
    assert any(
        row.provider == "sample" and row.provider_version == version.number and row.verified is True
        for row in answer.rows
    ), answer.rows
