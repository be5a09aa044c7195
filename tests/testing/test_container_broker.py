"""The container path: our image (or the official one) beside PostgreSQL, started with testcontainers.

These run only where a Docker engine answers; elsewhere they are skipped with the engine's error as the
reason, never faked.
"""

from __future__ import annotations

import pytest

from contracts.testing import BrokerFixtureSettings, BrokerKind, docker_problem, running_broker

from .broker_checks import assert_accepts_a_publish

OFFICIAL_IMAGE = "pactfoundation/pact-broker:latest"


@pytest.fixture(scope="module", autouse=True)
def _docker_engine() -> None:
    problem = docker_problem()
    if problem is not None:
        pytest.skip(f"no Docker engine: {problem}")


def test_our_image_with_postgres_answers_and_accepts_a_publish() -> None:
    settings = BrokerFixtureSettings(base_url=None, image=None)
    with running_broker(settings) as broker:
        assert broker.choice.kind is BrokerKind.CONTAINER
        assert "broker/Dockerfile" in broker.choice.reason
        assert_accepts_a_publish(broker.url)


def test_the_official_image_named_by_pact_broker_image_is_used_instead() -> None:
    settings = BrokerFixtureSettings(base_url=None, image=OFFICIAL_IMAGE)
    with running_broker(settings) as broker:
        assert broker.choice.kind is BrokerKind.CONTAINER
        assert broker.choice.image == OFFICIAL_IMAGE
        assert_accepts_a_publish(broker.url)
