"""Which broker the fixture picks: a pure function of the environment and whether Docker answered."""

from __future__ import annotations

import pytest

from contracts.testing import BrokerFixtureSettings, BrokerKind, choose_broker, docker_problem

NO_DOCKER = "DockerException: Error while fetching server API version: No such file or directory"


def test_an_external_broker_wins_over_everything() -> None:
    choice = choose_broker("https://broker.example", "pactfoundation/pact-broker", None)
    assert choice.kind is BrokerKind.EXTERNAL
    assert choice.reason == "PACT_BROKER_BASE_URL is set"
    assert choose_broker("https://broker.example", None, NO_DOCKER).kind is BrokerKind.EXTERNAL


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_base_url_counts_as_unset(blank: str) -> None:
    assert choose_broker(blank, None, NO_DOCKER).kind is BrokerKind.EMBEDDED
    assert choose_broker(blank, None, None).kind is BrokerKind.CONTAINER


def test_docker_answering_means_our_image() -> None:
    choice = choose_broker(None, None, None)
    assert choice.kind is BrokerKind.CONTAINER
    assert choice.image is None
    assert "broker/Dockerfile" in choice.reason


def test_docker_answering_with_an_image_named_uses_that_image() -> None:
    choice = choose_broker(None, " pactfoundation/pact-broker:2 ", None)
    assert choice.kind is BrokerKind.CONTAINER
    assert choice.image == "pactfoundation/pact-broker:2"
    assert "PACT_BROKER_IMAGE" in choice.reason


def test_no_docker_means_the_embedded_broker_with_the_reason() -> None:
    choice = choose_broker(None, "pactfoundation/pact-broker", NO_DOCKER)
    assert choice.kind is BrokerKind.EMBEDDED
    assert choice.reason == f"no Docker engine: {NO_DOCKER}"


def test_settings_read_the_pact_broker_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "http://127.0.0.1:9292")
    monkeypatch.setenv("PACT_BROKER_IMAGE", "pactfoundation/pact-broker")
    monkeypatch.setenv("PACT_BROKER_STARTUP_TIMEOUT", "7.5")
    settings = BrokerFixtureSettings()
    assert (settings.base_url, settings.image, settings.startup_timeout) == (
        "http://127.0.0.1:9292",
        "pactfoundation/pact-broker",
        7.5,
    )


def test_an_unreachable_docker_host_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    # A socket path that cannot exist: the probe must turn the failure into a reason string.
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    problem = docker_problem(timeout=2)
    assert problem is not None
    assert problem.strip()


def test_the_context_managers_are_part_of_the_public_api() -> None:
    import contracts
    import contracts.testing

    assert contracts.broker_url is contracts.testing.broker_url
    assert contracts.running_broker is contracts.testing.running_broker
    assert {"broker_url", "running_broker", "RunningBroker"} <= set(contracts.__all__)


def test_an_empty_base_url_variable_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # What GitHub Actions exports for a secret that is not set.
    monkeypatch.setenv("PACT_BROKER_BASE_URL", "")
    monkeypatch.setenv("PACT_BROKER_IMAGE", "  ")
    settings = BrokerFixtureSettings()
    assert settings.base_url is None
    assert settings.image is None
