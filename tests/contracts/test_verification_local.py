"""The provider-verification harness against local pact files, with the real Pact core and a real app."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts.verification import ProviderVerification, VerificationFailed
from tests.contracts.conftest import create_event_app


def test_a_provider_that_honours_its_pacts_passes_and_tears_states_down(
    pact_folder: Path, sample_verification: Callable[..., Any]
) -> None:
    verification, store, log = sample_verification()
    result = verification.verify(pact_dir=pact_folder)
    assert result.success
    assert sorted(i.description for i in result.interactions) == [
        "a request for a missing sample",
        "a request for a sample",
    ]
    assert log == [("setup", "S-1"), ("teardown", "S-1")]
    assert store.samples == {}
    assert "honours all 2 interaction(s)" in result.report()


def test_a_renamed_field_fails_with_a_report_naming_the_interaction_and_the_mismatch(
    pact_folder: Path, sample_verification: Callable[..., Any]
) -> None:
    verification, _, _ = sample_verification(name_field="label")
    with pytest.raises(VerificationFailed) as failed:
        verification.verify(pact_dir=pact_folder)
    report = str(failed.value)
    assert "failed verification: 1 of 2 interaction(s)" in report
    assert "gateway -> 'a request for a sample' (given a sample exists)" in report
    assert "missing the following keys: name" in report
    [failure] = failed.value.result.failures
    assert failure.consumer == "gateway"


def test_an_unknown_provider_state_is_named(pact_folder: Path) -> None:
    verification = ProviderVerification("sample", app_factory=lambda: create_event_app())

    @verification.state("no sample exists")
    def nothing(parameters: dict[str, Any]) -> None:
        return None

    result = verification.verify(pact_dir=pact_folder, raises=False)
    assert not result.success
    assert (
        "no handler for provider state 'a sample exists' of 'sample' (known states: 'no sample exists')"
        in (result.report())
    )


def test_http_and_message_consumers_of_one_provider_are_verified_separately(pact_folder: Path) -> None:
    verification = ProviderVerification("event", app_factory=create_event_app)
    stored: list[dict[str, Any]] = []

    @verification.state("a sample was stored")
    def sample_stored_state(parameters: dict[str, Any]) -> None:
        stored.append(parameters)

    @verification.message("an event of type sample.stored")
    def sample_stored(parameters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        return {"type": "sample.stored", "sampleId": parameters["id"]}, {"topic": "samples"}

    result = verification.verify(pact_dir=pact_folder)
    assert {(i.consumer, i.description) for i in result.interactions} == {
        ("storage", "a request for the events"),
        ("notification", "an event of type sample.stored"),
    }
    assert stored == [{"id": "S-1"}]

    only_messages = verification.verify(pact_dir=pact_folder, consumers=["notification"])
    assert [i.consumer for i in only_messages.interactions] == ["notification"]


def test_a_message_producer_that_changed_its_body_fails(pact_folder: Path) -> None:
    verification = ProviderVerification("event")

    @verification.state("a sample was stored")
    def state(parameters: dict[str, Any]) -> None:
        return None

    @verification.message("an event of type sample.stored")
    def sample_stored() -> dict[str, Any]:
        return {"kind": "sample.stored", "sampleId": "S-1"}

    result = verification.verify(pact_dir=pact_folder, consumers=["notification"], raises=False)
    assert not result.success
    assert "notification -> 'an event of type sample.stored'" in result.report()
    assert "type" in "\n".join(result.failures[0].mismatches)


def test_a_pact_mixing_http_and_messages_is_refused_with_advice(tmp_path: Path, pact_folder: Path) -> None:
    mixed = json.loads((pact_folder / "storage-event.json").read_text())
    messages = json.loads((pact_folder / "notification-event.json").read_text())
    mixed["interactions"] += messages["interactions"]
    (tmp_path / "storage-event.json").write_text(json.dumps(mixed))
    with pytest.raises(ValueError, match="give messages their own consumer name"):
        ProviderVerification("event", app_factory=create_event_app).verify(pact_dir=tmp_path)
