"""The notification service consumes the event service's messages (message pact, no HTTP on this side).

The event service POSTs each event's JSON to the notification inbox; `services.notification.events` turns
the four types it knows into notifications. It dispatches on `type`, keeps `id` as the delivery's source,
and reads the payload fields listed below; it ignores everything else (`source`, `timestamp`).
"""

import json
from collections.abc import Callable
from typing import Any

from pact import Pact, match

from consumer_tests._wire import JSON
from services.notification import Delivery, handle_event

PactMaker = Callable[[str, str], Pact]
LOCATION_ID = r"^[A-Z0-9]+-\d+-R\d+-[A-Z]\d+$"


def _handled(body: str | bytes | None) -> Delivery:
    assert body is not None, "the message has no body"
    return handle_event(json.loads(body))


def _event(type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": match.str("evt-0123456789ab"), "type": type, "payload": payload}


def test_a_stored_sample_is_announced_on_the_lab_channel(pact: PactMaker) -> None:
    p = pact("notification", "event")
    (
        p.upon_receiving("a sample.stored event", "Async")
        .given(
            "a sample was stored",
            sample_id="smp-000000000001",
            location_id="FRZ80-1-R1-A1",
            temperature_c=-80,
        )
        .with_body(
            _event(
                "sample.stored",
                {
                    "sample_id": match.str("smp-000000000001"),
                    "location_id": match.regex("FRZ80-1-R1-A1", regex=LOCATION_ID),
                    "temperature_c": match.integer(-80),
                },
            ),
            content_type=JSON,
        )
    )
    seen: list[Delivery] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        delivery = _handled(body)
        assert (delivery.channel, delivery.recipient, delivery.template) == (
            "slack",
            "#lab-ops",
            "sample_stored",
        )
        assert delivery.source_event_id == "evt-0123456789ab"
        seen.append(delivery)

    p.verify(handler, "Async")
    assert [d.subject for d in seen] == ["Sample smp-000000000001 stored"]


def test_a_released_position_is_announced_on_the_lab_channel(pact: PactMaker) -> None:
    p = pact("notification", "event")
    (
        p.upon_receiving("a storage.released event", "Async")
        .given(
            "a sample was released from storage",
            sample_id="smp-000000000002",
            location_id="FRZ20-1-R1-A1",
            temperature_c=-20,
        )
        .with_body(
            _event(
                "storage.released",
                {
                    "sample_id": match.str("smp-000000000002"),
                    "location_id": match.regex("FRZ20-1-R1-A1", regex=LOCATION_ID),
                },
            ),
            content_type=JSON,
        )
    )
    seen: list[Delivery] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        seen.append(_handled(body))

    p.verify(handler, "Async")
    assert [(d.template, d.body) for d in seen] == [
        ("sample_released", "Sample smp-000000000002 was removed from FRZ20-1-R1-A1.")
    ]


def test_a_completed_sequencing_job_is_emailed_to_its_requester(pact: PactMaker) -> None:
    p = pact("notification", "event")
    (
        p.upon_receiving("a sequencing.completed event", "Async")
        .given(
            "a sequencing job completed",
            job_id="job-00000000000c",
            sample_ids=["smp-000000000003", "smp-000000000004"],
            platform="NovaSeq",
            requested_by="ada@lab.example",
        )
        .with_body(
            _event(
                "sequencing.completed",
                {
                    "job_id": match.str("job-00000000000c"),
                    "sample_ids": match.each_like("smp-000000000003"),
                    "platform": match.regex("NovaSeq", regex="^(NovaSeq|MiSeq|NextSeq|ONT)$"),
                    "requested_by": match.regex("ada@lab.example", regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
                },
            ),
            content_type=JSON,
        )
    )
    seen: list[Delivery] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        seen.append(_handled(body))

    p.verify(handler, "Async")
    [delivery] = seen
    assert (delivery.channel, delivery.recipient) == ("email", "ada@lab.example")
    assert delivery.subject == "Sequencing job job-00000000000c completed"


def test_a_failed_sequencing_job_is_emailed_with_its_reason(pact: PactMaker) -> None:
    p = pact("notification", "event")
    (
        p.upon_receiving("a sequencing.failed event", "Async")
        .given(
            "a sequencing job failed",
            job_id="job-00000000000f",
            sample_ids=["smp-000000000005"],
            reason="library prep failed",
            requested_by="ada@lab.example",
        )
        .with_body(
            _event(
                "sequencing.failed",
                {
                    "job_id": match.str("job-00000000000f"),
                    "sample_ids": match.each_like("smp-000000000005"),
                    "reason": match.str("library prep failed"),
                    "requested_by": match.regex("ada@lab.example", regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
                },
            ),
            content_type=JSON,
        )
    )
    seen: list[Delivery] = []

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        seen.append(_handled(body))

    p.verify(handler, "Async")
    [delivery] = seen
    assert delivery.template == "sequencing_failed"
    assert delivery.body == "Job job-00000000000f failed for samples smp-000000000005: library prep failed."
