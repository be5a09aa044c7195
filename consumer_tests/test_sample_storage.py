"""The sample service asks storage for a position when a sample is stored, and gives it back when the sample
is discarded.

It reads the position's id and temperature, whether new (201) or the one the sample already holds in
that zone (200, so a retry is safe); a 409 (zone full, or the sample is stored in another zone) becomes its
own 409, and a 404 on release means storage already holds nothing for the sample — fine.
"""

from collections.abc import Callable

import pytest
from pact import Pact, match

from consumer_tests._wire import JSON, plain_http, refusal
from services.common.errors import Conflict, NotFound
from services.sample.clients import StorageClient

PactMaker = Callable[[str, str], Pact]
# `<freezer>-<rack>-<position>`, e.g. FRZ80-1-R1-A1; the sample service records it without reading it.
LOCATION_ID = r"^[A-Z0-9]+-\d+-R\d+-[A-Z]\d+$"


def test_a_free_position_is_allocated(pact: PactMaker) -> None:
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to allocate a position at -80 °C")
        .given("the storage zone has free positions", temperature_c=-80)
        .with_request("POST", "/allocations")
        .with_body({"sample_id": "smp-000000000001", "temperature_c": -80}, content_type=JSON)
        .will_respond_with(201)
        .with_body(
            {"id": match.regex("FRZ80-1-R1-A1", regex=LOCATION_ID), "temperature_c": -80},
            content_type=JSON,
        )
    )
    with p.serve() as srv, StorageClient(str(srv.url), transport=plain_http()) as client:
        location = client.allocate("smp-000000000001", -80)
    assert location.id == "FRZ80-1-R1-A1"
    assert location.temperature_c == -80


def test_a_full_zone_is_refused(pact: PactMaker) -> None:
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to allocate a position in a full zone")
        .given("the storage zone is full", temperature_c=-20)
        .with_request("POST", "/allocations")
        .with_body({"sample_id": "smp-000000000002", "temperature_c": -20}, content_type=JSON)
        .will_respond_with(409)
        .with_body(refusal("the -20 °C zone is full: all 48 positions are occupied"), content_type=JSON)
    )
    with (
        p.serve() as srv,
        StorageClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(Conflict) as refused,
    ):
        client.allocate("smp-000000000002", -20)
    assert "full" in refused.value.message


def test_asking_again_for_a_sample_stored_in_that_zone_returns_its_position(pact: PactMaker) -> None:
    # A retry after a timeout: the sample keeps the position it got the first time.
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to allocate a position for a sample already stored in that zone")
        .given("a sample is stored", sample_id="smp-000000000003", location_id="FRZ80-1-R1-A4")
        .with_request("POST", "/allocations")
        .with_body({"sample_id": "smp-000000000003", "temperature_c": -80}, content_type=JSON)
        .will_respond_with(200)
        .with_body({"id": "FRZ80-1-R1-A4", "temperature_c": -80}, content_type=JSON)
    )
    with p.serve() as srv, StorageClient(str(srv.url), transport=plain_http()) as client:
        location = client.allocate("smp-000000000003", -80)
    assert location.id == "FRZ80-1-R1-A4"


def test_a_sample_stored_in_another_zone_is_refused(pact: PactMaker) -> None:
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to allocate a position for a sample stored in another zone")
        .given("a sample is stored", sample_id="smp-000000000006", location_id="FRZ80-1-R1-A1")
        .with_request("POST", "/allocations")
        .with_body({"sample_id": "smp-000000000006", "temperature_c": -20}, content_type=JSON)
        .will_respond_with(409)
        .with_body(
            refusal("sample 'smp-000000000006' is already stored at FRZ80-1-R1-A1 (-80 °C)"),
            content_type=JSON,
        )
    )
    with (
        p.serve() as srv,
        StorageClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(Conflict) as refused,
    ):
        client.allocate("smp-000000000006", -20)
    assert "already stored" in refused.value.message


def test_a_stored_sample_is_released(pact: PactMaker) -> None:
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to release the position of a stored sample")
        .given("a sample is stored", sample_id="smp-000000000004", location_id="FRZ20-1-R1-A1")
        .with_request("DELETE", "/allocations/smp-000000000004")
        .will_respond_with(204)
    )
    with p.serve() as srv, StorageClient(str(srv.url), transport=plain_http()) as client:
        client.release("smp-000000000004")  # no error is the whole answer
        assert srv.matched  # the mock server saw the DELETE it expected


def test_releasing_a_sample_that_holds_no_position_is_not_found(pact: PactMaker) -> None:
    p = pact("sample", "storage")
    (
        p.upon_receiving("a request to release a sample that holds no position")
        .given("no sample is stored", sample_id="smp-000000000005")
        .with_request("DELETE", "/allocations/smp-000000000005")
        .will_respond_with(404)
        .with_body(refusal("sample 'smp-000000000005' holds no storage position"), content_type=JSON)
    )
    with (
        p.serve() as srv,
        StorageClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(NotFound),
    ):
        client.release("smp-000000000005")
