"""Sample service through its ASGI app, calling the real storage and sequencing apps."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.sample import create_app
from services.sample.clients import SequencingClient, StorageClient
from services.storage import StorageSettings
from tests.services.services_lab import DNA, UNREACHABLE, Lab, build_lab


def register(lab: Lab, **changes: Any) -> dict[str, Any]:
    response = lab.sample.post("/samples", json={**DNA, **changes})
    assert response.status_code == 201, response.text
    sample: dict[str, Any] = response.json()
    return sample


def stored(lab: Lab) -> dict[str, Any]:
    sample = register(lab)
    lab.sample.post(f"/samples/{sample['id']}/validate")
    result: dict[str, Any] = lab.sample.post(f"/samples/{sample['id']}/store", json={}).json()
    return result


def test_registers_a_received_sample_with_a_barcode(lab: Lab) -> None:
    sample = register(lab)
    assert sample["id"].startswith("smp-")
    assert sample["status"] == "received"
    assert sample["barcode"].startswith("TS-") and sample["barcode"].endswith("-000001")
    assert sample["volume_ul"] == 50
    assert [h["to_status"] for h in sample["history"]] == ["received"]
    assert lab.sample.get(f"/samples/{sample['id']}").json() == sample


def test_keeps_a_given_barcode_and_refuses_it_twice(lab: Lab) -> None:
    first = register(lab, barcode="TS-2026-000123")
    assert first["barcode"] == "TS-2026-000123"
    again = lab.sample.post("/samples", json={**DNA, "barcode": "TS-2026-000123"})
    assert again.status_code == 409
    assert again.json()["detail"] == f"barcode TS-2026-000123 is already registered to sample {first['id']}"
    assert len(lab.samples.list()) == 1


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"barcode": "TS-26-1"}, "barcode: String should match pattern '^TS-\\d{4}-\\d{6}$'"),
        (
            {"sample_type": "urine"},
            "sample_type: Input should be 'DNA', 'RNA', 'blood', 'tissue' or 'saliva'",
        ),
        ({"volume_ul": -5}, "volume_ul: Input should be greater than 0"),
        ({"concentration_ng_ul": None}, "concentration_ng_ul: required for DNA samples"),
        ({"submitter": "ada"}, "submitter: must be an email address, got 'ada'"),
        ({"project": ""}, "project: String should have at least 1 character"),
    ],
)
def test_bad_registrations_are_422_naming_field_and_rule(
    lab: Lab, change: dict[str, Any], detail: str
) -> None:
    response = lab.sample.post("/samples", json={**DNA, **change})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert lab.samples.list() == []


def test_blood_needs_no_concentration(lab: Lab) -> None:
    sample = register(lab, sample_type="blood", volume_ul=500, concentration_ng_ul=None)
    assert sample["concentration_ng_ul"] is None


def test_validation_passes_within_the_limits_of_the_type(lab: Lab) -> None:
    sample = register(lab)
    validated = lab.sample.post(f"/samples/{sample['id']}/validate").json()
    assert validated["status"] == "validated"
    assert validated["qc_failures"] == []


def test_validation_fails_qc_outside_the_limits_and_says_why(lab: Lab) -> None:
    sample = register(lab, sample_type="RNA", volume_ul=800, concentration_ng_ul=2)
    failed = lab.sample.post(f"/samples/{sample['id']}/validate").json()
    assert failed["status"] == "failed_qc"
    assert failed["qc_failures"] == [
        "volume_ul 800 is outside the RNA range 10–500 µL",
        "concentration_ng_ul 2 is outside the RNA range 5–3000 ng/µL",
    ]
    assert failed["history"][-1]["reason"] == "; ".join(failed["qc_failures"])


def test_illegal_transition_is_409_naming_it(lab: Lab) -> None:
    sample = register(lab)
    response = lab.sample.post(f"/samples/{sample['id']}/store", json={"temperature_c": -80})
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"cannot move sample {sample['id']} from received to stored: "
        "allowed from received: validated, failed_qc, discarded"
    )
    assert lab.freezers.location_of(sample["id"]) is None
    assert lab.samples.get(sample["id"]).status == "received"  # type: ignore[union-attr]


def test_validating_twice_is_409(lab: Lab) -> None:
    sample = register(lab)
    lab.sample.post(f"/samples/{sample['id']}/validate")
    assert lab.sample.post(f"/samples/{sample['id']}/validate").status_code == 409


def test_storing_takes_a_position_in_the_default_zone_of_the_type(lab: Lab) -> None:
    sample = stored(lab)
    assert sample["status"] == "stored"
    assert sample["location_id"] == "FRZ20-1-R1-A1"  # DNA defaults to -20 °C
    assert sample["temperature_c"] == -20
    assert lab.freezers.location_of(sample["id"]).id == "FRZ20-1-R1-A1"  # type: ignore[union-attr]


def test_storing_at_a_chosen_temperature(lab: Lab) -> None:
    sample = register(lab)
    lab.sample.post(f"/samples/{sample['id']}/validate")
    result = lab.sample.post(f"/samples/{sample['id']}/store", json={"temperature_c": -80}).json()
    assert (result["location_id"], result["temperature_c"]) == ("FRZ80-1-R1-A1", -80)


def test_storage_full_is_409_and_the_sample_stays_validated() -> None:
    lab = build_lab(StorageSettings(racks_per_freezer=1, rack_rows=1, rack_columns=1))
    lab.freezers.fill_zone(-20)
    sample = register(lab)
    lab.sample.post(f"/samples/{sample['id']}/validate")
    response = lab.sample.post(f"/samples/{sample['id']}/store", json={})
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"sample {sample['id']} not stored: storage refused: "
        "the -20 °C zone is full: all 1 positions are occupied"
    )
    after = lab.samples.get(sample["id"])
    assert after is not None
    assert (after.status, after.location_id) == ("validated", None)
    assert lab.events.list() == []


def test_storage_unreachable_is_503_and_the_sample_unchanged() -> None:
    app = create_app(storage=StorageClient(UNREACHABLE), sequencing=SequencingClient(UNREACHABLE))
    client = TestClient(app)
    sample_id = client.post("/samples", json=DNA).json()["id"]
    before = client.post(f"/samples/{sample_id}/validate").json()
    response = client.post(f"/samples/{sample_id}/store", json={})
    assert response.status_code == 503
    assert response.json()["detail"].startswith(
        f"sample {sample_id} not stored: storage unavailable: storage service unreachable at {UNREACHABLE}"
    )
    assert client.get(f"/samples/{sample_id}").json() == before


def test_sending_to_sequencing_creates_a_job(lab: Lab) -> None:
    sample = stored(lab)
    queued = lab.sample.post(
        f"/samples/{sample['id']}/sequence",
        json={"platform": "MiSeq", "read_length": 250, "paired_end": True},
    ).json()
    assert queued["status"] == "queued_for_sequencing"
    job = lab.jobs.get(queued["sequencing_job_id"])
    assert job is not None
    assert (job.sample_ids, job.platform, job.requested_by) == ([sample["id"]], "MiSeq", "ada@lab.example")


def test_sequencing_refusal_is_422_and_the_sample_stays_stored(lab: Lab) -> None:
    sample = stored(lab)
    response = lab.sample.post(
        f"/samples/{sample['id']}/sequence", json={"platform": "ONT", "read_length": 5000, "paired_end": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        f"sample {sample['id']} not queued for sequencing: sequencing refused: "
        "paired_end: ONT does not support paired-end reads"
    )
    assert lab.samples.get(sample["id"]).status == "stored"  # type: ignore[union-attr]
    assert lab.jobs.list() == []


def test_sequence_body_is_checked(lab: Lab) -> None:
    sample = stored(lab)
    response = lab.sample.post(f"/samples/{sample['id']}/sequence", json={"platform": "MiSeq"})
    assert response.status_code == 422
    assert response.json()["detail"] == "read_length: Field required"


def test_sequenced_only_after_the_job_completed(lab: Lab) -> None:
    sample = stored(lab)
    job_id = lab.sample.post(
        f"/samples/{sample['id']}/sequence", json={"platform": "NovaSeq", "read_length": 150}
    ).json()["sequencing_job_id"]
    lab.sequencing.post(f"/jobs/{job_id}/start")
    early = lab.sample.post(f"/samples/{sample['id']}/transitions", json={"status": "sequenced"})
    assert early.status_code == 409
    assert early.json()["detail"] == (
        f"sample {sample['id']} cannot become sequenced: its job {job_id} is running, not completed"
    )
    lab.sequencing.post(f"/jobs/{job_id}/complete")
    done = lab.sample.post(f"/samples/{sample['id']}/transitions", json={"status": "sequenced"})
    assert done.status_code == 200
    assert done.json()["status"] == "sequenced"


def test_discarding_a_stored_sample_releases_its_position(lab: Lab) -> None:
    sample = stored(lab)
    response = lab.sample.post(
        f"/samples/{sample['id']}/transitions", json={"status": "discarded", "reason": "consent withdrawn"}
    )
    discarded = response.json()
    assert (discarded["status"], discarded["location_id"]) == ("discarded", None)
    assert discarded["history"][-1]["reason"] == "consent withdrawn"
    assert lab.freezers.location_of(sample["id"]) is None
    assert [e.type for e in lab.events.list()] == ["sample.stored", "storage.released"]


def test_discard_with_storage_down_is_503_and_the_sample_stays_stored(lab: Lab) -> None:
    sample = stored(lab)
    app = create_app(
        store=lab.samples, storage=StorageClient(UNREACHABLE), sequencing=SequencingClient(UNREACHABLE)
    )
    response = TestClient(app).post(f"/samples/{sample['id']}/transitions", json={"status": "discarded"})
    assert response.status_code == 503
    after = lab.samples.get(sample["id"])
    assert after is not None
    assert (after.status, after.location_id) == ("stored", "FRZ20-1-R1-A1")


def test_transitions_refuse_statuses_with_their_own_endpoint(lab: Lab) -> None:
    sample = register(lab)
    response = lab.sample.post(f"/samples/{sample['id']}/transitions", json={"status": "stored"})
    assert response.status_code == 422
    assert response.json()["detail"] == "status: Input should be 'failed_qc', 'discarded' or 'sequenced'"


def test_discarded_is_final(lab: Lab) -> None:
    sample = register(lab)
    lab.sample.post(f"/samples/{sample['id']}/transitions", json={"status": "discarded"})
    response = lab.sample.post(f"/samples/{sample['id']}/transitions", json={"status": "failed_qc"})
    assert response.status_code == 409
    assert response.json()["detail"].endswith("allowed from discarded: nothing (final status)")


def test_lists_and_filters_by_status(lab: Lab) -> None:
    first = register(lab)
    register(lab, project="PRJ-2")
    lab.sample.post(f"/samples/{first['id']}/validate")
    assert [s["id"] for s in lab.sample.get("/samples", params={"status": "validated"}).json()] == [
        first["id"]
    ]
    assert len(lab.sample.get("/samples").json()) == 2
    assert len(lab.sample.get("/samples", params={"project": "PRJ-2"}).json()) == 1
    bad = lab.sample.get("/samples", params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("query.status: Input should be 'received'")


def test_unknown_sample_is_404(lab: Lab) -> None:
    response = lab.sample.post("/samples/smp-nope/validate")
    assert response.status_code == 404
    assert response.json()["detail"] == "sample 'smp-nope' not found"


def test_seed_builds_a_sample_in_any_status(lab: Lab) -> None:
    lab.samples.seed(id="S-1", status="validated")
    assert lab.sample.get("/samples/S-1").json()["status"] == "validated"


def test_malformed_json_is_422_saying_where(lab: Lab) -> None:
    response = lab.sample.post(
        "/samples", content=b'{"sample_type": "DNA",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert (
        response.json()["detail"]
        == "body: invalid JSON at character 22: Expecting property name enclosed in double quotes"
    )


def test_a_missing_body_is_422(lab: Lab) -> None:
    response = lab.sample.post("/samples")
    assert response.status_code == 422
    assert response.json()["detail"] == "body: Field required"
