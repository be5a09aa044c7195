"""The gateway forwards the public API to the sample service and shows the samples it gets back.

It reads the sample fields of its own `Sample` model (never `history`) and passes statuses, types and ids
through without interpreting them. Refusals keep their status on the way out, so it relies on the sample
service answering 404 (unknown sample), 409 (a move the status does not allow, a barcode taken, a full
storage zone) and 422 (invalid input, with the list of fields in `errors`, or a set-up sequencing refuses)
with a `detail` message.
"""

from collections.abc import Callable
from typing import Any

import pytest
from pact import Pact, match

from consumer_tests._wire import JSON, invalid_input, one_of, plain_http, refusal, timestamp
from services.common.errors import Conflict, NotFound, Unprocessable
from services.gateway.clients import NewSample, SampleClient

PactMaker = Callable[[str, str], Pact]

BARCODE = r"^TS-\d{4}-\d{6}$"
LOCATION_ID = r"^[A-Z0-9]+-\d+-R\d+-[A-Z]\d+$"
STATUSES = ("received", "validated", "stored", "queued_for_sequencing", "sequenced", "failed_qc", "discarded")
SAMPLE_TYPES = ("DNA", "RNA", "blood", "tissue", "saliva")
NEW_DNA: dict[str, Any] = {
    "barcode": "TS-2026-000123",
    "sample_type": "DNA",
    "volume_ul": 50.0,
    "concentration_ng_ul": 25.0,
    "submitter": "ada@lab.example",
    "project": "PRJ-1",
}


def sample(example_id: str, status: Any, **fields: Any) -> dict[str, Any]:
    """The sample as the gateway reads it; `status` and `fields` fix what an interaction is about."""
    return {
        "id": match.str(example_id),
        "barcode": match.regex("TS-2026-000001", regex=BARCODE),
        "sample_type": one_of("DNA", *SAMPLE_TYPES),
        "volume_ul": match.number(50.0),
        "concentration_ng_ul": match.number(25.0),
        "submitter": match.str("ada@lab.example"),
        "project": match.str("PRJ-1"),
        "status": status,
        "created_at": timestamp(),
        "updated_at": timestamp(),
        **fields,
    }


def _client(srv: Any) -> SampleClient:
    return SampleClient(str(srv.url), transport=plain_http())


# -- registration -------------------------------------------------------------------------------------------


def test_a_sample_is_registered(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to register a DNA sample with its barcode")
        .given("no sample is registered with the barcode", barcode="TS-2026-000123")
        .with_request("POST", "/samples")
        .with_body(NEW_DNA, content_type=JSON)
        .will_respond_with(201)
        .with_body(sample("smp-0123456789ab", "received", barcode="TS-2026-000123"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        registered = client.register(NewSample.model_validate(NEW_DNA))
    assert (registered.barcode, registered.status) == ("TS-2026-000123", "received")


def test_a_sample_without_barcode_gets_one(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    new = {k: v for k, v in NEW_DNA.items() if k != "barcode"}
    (
        p.upon_receiving("a request to register a sample without a barcode")
        .with_request("POST", "/samples")
        .with_body(new, content_type=JSON)
        .will_respond_with(201)
        .with_body(sample("smp-0123456789ac", "received"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        registered = client.register(NewSample.model_validate(new))
    assert registered.barcode == "TS-2026-000001"


def test_a_barcode_already_registered_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to register a barcode that is already registered")
        .given("a sample exists", id="S-20", barcode="TS-2026-000999")
        .with_request("POST", "/samples")
        .with_body({**NEW_DNA, "barcode": "TS-2026-000999"}, content_type=JSON)
        .will_respond_with(409)
        .with_body(refusal("barcode TS-2026-000999 is already registered to sample S-20"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Conflict) as refused:
        client.register(NewSample.model_validate({**NEW_DNA, "barcode": "TS-2026-000999"}))
    assert "TS-2026-000999" in refused.value.message


def test_an_invalid_registration_names_the_field(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    invalid = {**NEW_DNA, "barcode": "TS-2026-000124", "submitter": "ada"}
    (
        p.upon_receiving("a request to register a sample whose submitter is not an email address")
        .with_request("POST", "/samples")
        .with_body(invalid, content_type=JSON)
        .will_respond_with(422)
        .with_body(invalid_input("submitter", "must be an email address, got 'ada'"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Unprocessable) as refused:
        client.register(NewSample.model_validate(invalid))
    # The gateway shows the fields to its own caller: it needs them in the body.
    assert refused.value.body["errors"][0]["field"] == "submitter"


# -- reading ------------------------------------------------------------------------------------------------


def test_a_sample_is_read(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request for a sample")
        .given("a sample exists", id="S-1", status="received")
        .with_request("GET", "/samples/S-1")
        .will_respond_with(200)
        .with_body(sample("S-1", one_of("received", *STATUSES)), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        assert client.get("S-1").id == "S-1"


def test_an_unknown_sample_is_not_found(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request for a sample that does not exist")
        .given("no sample exists", id="S-404")
        .with_request("GET", "/samples/S-404")
        .will_respond_with(404)
        .with_body(refusal("sample 'S-404' not found"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(NotFound):
        client.get("S-404")


def test_samples_are_listed_by_status_and_project(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request for the validated samples of a project")
        .given("a sample exists", id="S-10", status="validated", project="PRJ-7")
        .with_request("GET", "/samples")
        .with_query_parameters({"status": "validated", "project": "PRJ-7"})
        .will_respond_with(200)
        .with_body(match.each_like(sample("S-10", "validated", project="PRJ-7")), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        found = client.list_samples(status="validated", project="PRJ-7")
    assert [(s.id, s.status, s.project) for s in found] == [("S-10", "validated", "PRJ-7")]


def test_an_unknown_status_filter_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request for the samples of a status that does not exist")
        .with_request("GET", "/samples")
        .with_query_parameter("status", "lost")
        .will_respond_with(422)
        .with_body(
            invalid_input("query.status", "Input should be 'received', 'validated'"), content_type=JSON
        )
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Unprocessable) as refused:
        client.list_samples(status="lost")
    assert refused.value.body["errors"][0]["field"] == "query.status"


# -- QC -----------------------------------------------------------------------------------------------------


def test_a_received_sample_passes_qc(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to validate a received sample within its limits")
        .given("a sample exists", id="S-2", status="received")
        .with_request("POST", "/samples/S-2/validate")
        .will_respond_with(200)
        .with_body(sample("S-2", "validated"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        assert client.validate("S-2").status == "validated"


def test_a_sample_out_of_its_limits_fails_qc_with_the_reasons(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to validate a received sample with too little volume")
        .given("a sample exists", id="S-12", status="received", volume_ul=5.0)
        .with_request("POST", "/samples/S-12/validate")
        .will_respond_with(200)
        .with_body(
            sample(
                "S-12",
                "failed_qc",
                volume_ul=match.number(5.0),
                qc_failures=match.each_like("volume_ul 5 is outside the DNA range 10–1000 µL"),
            ),
            content_type=JSON,
        )
    )
    with p.serve() as srv, _client(srv) as client:
        checked = client.validate("S-12")
    assert checked.status == "failed_qc"
    assert checked.qc_failures == ["volume_ul 5 is outside the DNA range 10–1000 µL"]


def test_qc_of_a_sample_past_reception_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to validate a sample that is already stored")
        .given("a sample exists", id="S-13", status="stored")
        .with_request("POST", "/samples/S-13/validate")
        .will_respond_with(409)
        .with_body(refusal("cannot move sample S-13 from stored to validated"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Conflict):
        client.validate("S-13")


# -- storing ------------------------------------------------------------------------------------------------


def test_a_validated_sample_is_stored_at_its_default_temperature(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to store a validated sample")
        .given("a sample exists", id="S-3", status="validated")
        .with_request("POST", "/samples/S-3/store")
        .with_body({}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            sample(
                "S-3",
                "stored",
                location_id=match.regex("FRZ20-1-R1-A1", regex=LOCATION_ID),
                temperature_c=match.integer(-20),
            ),
            content_type=JSON,
        )
    )
    with p.serve() as srv, _client(srv) as client:
        stored = client.store("S-3")
    assert (stored.status, stored.location_id, stored.temperature_c) == ("stored", "FRZ20-1-R1-A1", -20)


def test_storing_in_a_full_zone_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to store a sample when its storage zone is full")
        .given("a sample exists", id="S-14", status="validated")
        .given("the storage zone is full", temperature_c=-20)
        .with_request("POST", "/samples/S-14/store")
        .with_body({"temperature_c": -20}, content_type=JSON)
        .will_respond_with(409)
        .with_body(
            refusal("sample S-14 not stored: storage refused: the -20 °C zone is full"), content_type=JSON
        )
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Conflict) as refused:
        client.store("S-14", -20)
    assert "full" in refused.value.message


# -- sequencing ---------------------------------------------------------------------------------------------


def test_a_stored_sample_is_sent_to_sequencing(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to sequence a stored sample")
        .given("a sample exists", id="S-6", status="stored")
        .with_request("POST", "/samples/S-6/sequence")
        .with_body({"platform": "NovaSeq", "read_length": 150, "paired_end": True}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            sample("S-6", "queued_for_sequencing", sequencing_job_id=match.str("job-0123456789ab")),
            content_type=JSON,
        )
    )
    with p.serve() as srv, _client(srv) as client:
        queued = client.sequence("S-6", "NovaSeq", 150, paired_end=True)
    assert (queued.status, queued.sequencing_job_id) == ("queued_for_sequencing", "job-0123456789ab")


def test_a_read_set_up_the_platform_cannot_do_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to sequence paired-end on a single-read platform")
        .given("a sample exists", id="S-15", status="stored")
        .with_request("POST", "/samples/S-15/sequence")
        .with_body({"platform": "ONT", "read_length": 5000, "paired_end": True}, content_type=JSON)
        .will_respond_with(422)
        .with_body(
            refusal("sample S-15 not queued for sequencing: sequencing refused: paired_end: ONT does not"),
            content_type=JSON,
        )
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Unprocessable) as refused:
        client.sequence("S-15", "ONT", 5000, paired_end=True)
    assert "ONT" in refused.value.message


# -- other moves --------------------------------------------------------------------------------------------


def test_a_stored_sample_is_discarded(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to discard a stored sample")
        .given("a sample exists", id="S-16", status="stored", location_id="FRZ80-1-R1-A5", temperature_c=-80)
        .with_request("POST", "/samples/S-16/transitions")
        .with_body({"status": "discarded", "reason": "contaminated"}, content_type=JSON)
        .will_respond_with(200)
        .with_body(sample("S-16", "discarded"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client:
        assert client.transition("S-16", "discarded", "contaminated").status == "discarded"


def test_a_sample_whose_job_completed_becomes_sequenced(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to mark a sample sequenced once its job completed")
        .given(
            "a sample exists",
            id="S-17",
            status="queued_for_sequencing",
            sequencing_job_id="job-000000000017",
        )
        .given("its sequencing job has completed", sample_id="S-17", job_id="job-000000000017")
        .with_request("POST", "/samples/S-17/transitions")
        .with_body({"status": "sequenced"}, content_type=JSON)
        .will_respond_with(200)
        .with_body(
            sample("S-17", "sequenced", sequencing_job_id=match.str("job-000000000017")), content_type=JSON
        )
    )
    with p.serve() as srv, _client(srv) as client:
        assert client.transition("S-17", "sequenced").status == "sequenced"


def test_a_move_the_status_does_not_allow_is_refused(pact: PactMaker) -> None:
    p = pact("gateway", "sample")
    (
        p.upon_receiving("a request to fail QC of a discarded sample")
        .given("a sample exists", id="S-18", status="discarded")
        .with_request("POST", "/samples/S-18/transitions")
        .with_body({"status": "failed_qc"}, content_type=JSON)
        .will_respond_with(409)
        .with_body(refusal("cannot move sample S-18 from discarded to failed_qc"), content_type=JSON)
    )
    with p.serve() as srv, _client(srv) as client, pytest.raises(Conflict) as refused:
        client.transition("S-18", "failed_qc")
    assert "discarded" in refused.value.message
