"""The storage service announces every allocation and release to the event service before it takes effect.

It reads back only the accepted event's id and type; a 422 (an announcement the event service refuses) is
passed on to storage's caller, and nothing is stored.
"""

from collections.abc import Callable

import pytest
from pact import Pact, match

from consumer_tests._wire import JSON, invalid_input, plain_http
from services.common.errors import Unprocessable
from services.storage.clients import EventClient

PactMaker = Callable[[str, str], Pact]
EVENT_ID = r"^evt-[0-9a-f]{12}$"


def test_a_stored_sample_is_announced(pact: PactMaker) -> None:
    p = pact("storage", "event")
    payload = {"sample_id": "smp-000000000001", "location_id": "FRZ80-1-R1-A1", "temperature_c": -80}
    (
        p.upon_receiving("an announcement that a sample was stored")
        .with_request("POST", "/events")
        .with_body({"type": "sample.stored", "source": "storage", "payload": payload}, content_type=JSON)
        .will_respond_with(201)
        .with_body(
            {"id": match.regex("evt-0123456789ab", regex=EVENT_ID), "type": "sample.stored"},
            content_type=JSON,
        )
    )
    with p.serve() as srv, EventClient(str(srv.url), transport=plain_http()) as client:
        event = client.publish("sample.stored", "storage", payload)
    assert event.id == "evt-0123456789ab"
    assert event.type == "sample.stored"


def test_a_released_position_is_announced(pact: PactMaker) -> None:
    p = pact("storage", "event")
    payload = {"sample_id": "smp-000000000002", "location_id": "FRZ20-1-R1-A1", "temperature_c": -20}
    (
        p.upon_receiving("an announcement that a sample left its storage position")
        .with_request("POST", "/events")
        .with_body({"type": "storage.released", "source": "storage", "payload": payload}, content_type=JSON)
        .will_respond_with(201)
        .with_body(
            {"id": match.regex("evt-0123456789ac", regex=EVENT_ID), "type": "storage.released"},
            content_type=JSON,
        )
    )
    with p.serve() as srv, EventClient(str(srv.url), transport=plain_http()) as client:
        event = client.publish("storage.released", "storage", payload)
    assert event.type == "storage.released"


def test_an_event_type_out_of_the_naming_scheme_is_refused(pact: PactMaker) -> None:
    p = pact("storage", "event")
    (
        p.upon_receiving("an announcement whose type is not <subject>.<verb>")
        .with_request("POST", "/events")
        .with_body({"type": "SampleStored", "source": "storage", "payload": {}}, content_type=JSON)
        .will_respond_with(422)
        .with_body(
            invalid_input("type", "String should match pattern '^[a-z][a-z_]*\\.[a-z][a-z_]*$'"),
            content_type=JSON,
        )
    )
    with (
        p.serve() as srv,
        EventClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(Unprocessable) as refused,
    ):
        client.publish("SampleStored", "storage", {})
    assert refused.value.message.startswith("type:")
