"""End to end: the six services on free ports (uvicorn, real HTTP between them), one sample's whole life."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from services.runner import Platform, run_all
from services.storage import StorageSettings
from tests.services.services_lab import DNA


def eventually(read: Callable[[], Any], ok: Callable[[Any], bool], timeout_s: float = 5.0) -> Any:
    """Event delivery to subscribers runs after the event service answers; wait for it, then return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = read()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    # Small freezers, so the "zone full" walk below needs only a few samples.
    with run_all(storage=StorageSettings(racks_per_freezer=1, rack_rows=1, rack_columns=2)) as running:
        yield running


@pytest.fixture
def http(platform: Platform) -> Iterator[httpx.Client]:
    for name in ("sample", "storage", "sequencing", "notification", "event"):
        platform.store(name).reset()
    with httpx.Client(timeout=20) as client:
        yield client


def test_one_sample_from_registration_to_sequenced(platform: Platform, http: httpx.Client) -> None:
    api = platform.urls["gateway"] + "/api/samples"
    trace = {"X-Request-ID": "e2e-walk-1"}

    registered = http.post(api, json={**DNA, "barcode": "TS-2026-000123"}, headers=trace)
    assert registered.status_code == 201, registered.text
    assert registered.headers["X-Request-ID"] == "e2e-walk-1"
    sample_id = registered.json()["id"]

    assert http.post(f"{api}/{sample_id}/validate").json()["status"] == "validated"

    stored = http.post(f"{api}/{sample_id}/store", json={"temperature_c": -80}).json()
    assert (stored["status"], stored["location_id"]) == ("stored", "FRZ80-1-R1-A1")
    location = http.get(f"{platform.urls['storage']}/locations/FRZ80-1-R1-A1").json()
    assert location["sample_id"] == sample_id

    queued = http.post(
        f"{api}/{sample_id}/sequence", json={"platform": "NovaSeq", "read_length": 150, "paired_end": True}
    ).json()
    assert queued["status"] == "queued_for_sequencing"
    job_id = queued["sequencing_job_id"]

    # The sequencer's operator drives the job; the sample follows only once the job has completed.
    jobs = platform.urls["sequencing"] + "/jobs"
    assert http.post(f"{jobs}/{job_id}/start").json()["status"] == "running"
    too_early = http.post(f"{api}/{sample_id}/transitions", json={"status": "sequenced"})
    assert too_early.status_code == 409
    assert too_early.headers["content-type"] == "application/problem+json"
    assert too_early.json()["detail"].endswith(f"its job {job_id} is running, not completed")
    assert http.post(f"{jobs}/{job_id}/complete").json()["status"] == "completed"

    sequenced = http.post(f"{api}/{sample_id}/transitions", json={"status": "sequenced"})
    assert sequenced.status_code == 200
    assert sequenced.json()["status"] == "sequenced"
    assert [s["id"] for s in http.get(api, params={"status": "sequenced"}).json()] == [sample_id]
    history = http.get(f"{platform.urls['sample']}/samples/{sample_id}").json()["history"]
    assert [h["to_status"] for h in history] == [
        "received",
        "validated",
        "stored",
        "queued_for_sequencing",
        "sequenced",
    ]

    events = http.get(platform.urls["event"] + "/events").json()
    assert [(e["type"], e["source"]) for e in events] == [("sample.stored", "storage")]
    assert events[0]["payload"] == {
        "sample_id": sample_id,
        "location_id": "FRZ80-1-R1-A1",
        "temperature_c": -80,
    }

    log_url = platform.urls["notification"] + "/notifications"
    deliveries = eventually(lambda: http.get(log_url).json(), lambda log: len(log) >= 2)
    by_template = {d["template"]: d for d in deliveries}
    assert sorted(by_template) == ["sample_stored", "sequencing_completed"]
    assert by_template["sample_stored"]["recipient"] == "#lab-ops"
    assert by_template["sample_stored"]["source_event_id"] == events[0]["id"]
    assert by_template["sequencing_completed"]["recipient"] == "ada@lab.example"
    assert by_template["sequencing_completed"]["data"] == {
        "job_id": job_id,
        "sample_ids": [sample_id],
        "platform": "NovaSeq",
    }
    mine = http.get(log_url, params={"recipient": "ada@lab.example"}).json()
    assert [d["subject"] for d in mine] == [f"Sequencing job {job_id} completed"]


def test_a_full_freezer_refuses_and_leaves_the_sample_validated(
    platform: Platform, http: httpx.Client
) -> None:
    api = platform.urls["gateway"] + "/api/samples"
    ids = [http.post(api, json={**DNA, "sample_type": "RNA"}).json()["id"] for _ in range(3)]
    for sample_id in ids:
        http.post(f"{api}/{sample_id}/validate")
    assert [http.post(f"{api}/{i}/store", json={}).status_code for i in ids[:2]] == [200, 200]

    refused = http.post(f"{api}/{ids[2]}/store", json={})
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["status"] == 409
    assert problem["detail"] == (
        f"sample {ids[2]} not stored: storage refused: the -80 °C zone is full: all 2 positions are occupied"
    )
    assert http.get(f"{api}/{ids[2]}").json()["status"] == "validated"
    assert len(http.get(platform.urls["event"] + "/events", params={"type": "sample.stored"}).json()) == 2

    # Discarding one frees its position, announced as storage.released; then the third fits.
    discarded = http.post(f"{api}/{ids[0]}/transitions", json={"status": "discarded"}).json()
    assert discarded["status"] == "discarded"
    assert http.post(f"{api}/{ids[2]}/store", json={}).json()["location_id"] == "FRZ80-1-R1-A1"
    types = [e["type"] for e in http.get(platform.urls["event"] + "/events").json()]
    assert types == ["sample.stored", "sample.stored", "storage.released", "sample.stored"]
