"""Sequencing service through its ASGI app, notifying the real notification app."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.sequencing import create_app
from services.sequencing.clients import NotificationClient
from tests.services.services_lab import UNREACHABLE, Lab

JOB: dict[str, Any] = {
    "sample_ids": ["smp-1", "smp-2"],
    "platform": "NovaSeq",
    "read_length": 150,
    "paired_end": True,
    "requested_by": "ada@lab.example",
}


def test_creates_a_queued_job(lab: Lab) -> None:
    response = lab.sequencing.post("/jobs", json=JOB)
    assert response.status_code == 201
    job = response.json()
    assert job["id"].startswith("job-")
    assert job["status"] == "queued"
    assert job["sample_ids"] == ["smp-1", "smp-2"]
    assert lab.sequencing.get(f"/jobs/{job['id']}").json() == job


def test_full_lifecycle_notifies_the_requester_on_completion(lab: Lab) -> None:
    job_id = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    running = lab.sequencing.post(f"/jobs/{job_id}/start").json()
    assert running["status"] == "running"
    assert running["started_at"] is not None
    assert lab.notifications.list() == []
    done = lab.sequencing.post(f"/jobs/{job_id}/complete").json()
    assert done["status"] == "completed"
    assert done["output_uri"] == f"s3://tracseq-runs/{job_id}/"
    [delivery] = lab.notifications.list()
    assert (delivery.recipient, delivery.template) == ("ada@lab.example", "sequencing_completed")
    assert delivery.data == {"job_id": job_id, "sample_ids": ["smp-1", "smp-2"], "platform": "NovaSeq"}


def test_failure_records_the_reason_and_notifies(lab: Lab) -> None:
    job_id = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    lab.sequencing.post(f"/jobs/{job_id}/start")
    failed = lab.sequencing.post(f"/jobs/{job_id}/fail", json={"reason": "flow cell error"}).json()
    assert (failed["status"], failed["failure_reason"]) == ("failed", "flow cell error")
    [delivery] = lab.notifications.list()
    assert delivery.body == f"Job {job_id} failed for samples smp-1, smp-2: flow cell error."


def test_illegal_transition_is_409_saying_which(lab: Lab) -> None:
    job_id = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    response = lab.sequencing.post(f"/jobs/{job_id}/complete")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"cannot complete sequencing job {job_id}: transition queued → completed is not allowed "
        "(allowed from queued: failed, running)"
    )
    assert lab.jobs.get(job_id).status == "queued"  # type: ignore[union-attr]


def test_a_finished_job_cannot_restart(lab: Lab) -> None:
    job_id = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    lab.sequencing.post(f"/jobs/{job_id}/fail", json={"reason": "library prep failed"})
    response = lab.sequencing.post(f"/jobs/{job_id}/start")
    assert response.status_code == 409
    assert "allowed from failed: none (final status)" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"read_length": 400}, "read_length: NovaSeq read length must be between 50 and 250, got 400"),
        ({"platform": "ONT", "read_length": 5000}, "paired_end: ONT does not support paired-end reads"),
        ({"platform": "HiSeq"}, "platform: Input should be 'NovaSeq', 'MiSeq', 'NextSeq' or 'ONT'"),
        ({"sample_ids": []}, "sample_ids: List should have at least 1 item after validation, not 0"),
        ({"sample_ids": ["a", "a"]}, "sample_ids: a sample may appear only once in a job"),
        ({"requested_by": "ada"}, "requested_by: must be an email address, got 'ada'"),
    ],
)
def test_bad_jobs_are_422_naming_field_and_rule(lab: Lab, change: dict[str, Any], detail: str) -> None:
    response = lab.sequencing.post("/jobs", json={**JOB, **change})
    assert response.status_code == 422
    assert response.json()["detail"] == detail
    assert lab.jobs.list() == []


def test_fail_needs_a_reason(lab: Lab) -> None:
    job_id = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    response = lab.sequencing.post(f"/jobs/{job_id}/fail", json={})
    assert response.status_code == 422
    assert response.json()["detail"] == "reason: Field required"


def test_lists_jobs_by_status_and_sample(lab: Lab) -> None:
    first = lab.sequencing.post("/jobs", json=JOB).json()["id"]
    lab.sequencing.post("/jobs", json={**JOB, "sample_ids": ["smp-3"]})
    lab.sequencing.post(f"/jobs/{first}/start")
    assert [j["id"] for j in lab.sequencing.get("/jobs", params={"status": "running"}).json()] == [first]
    assert [j["sample_ids"] for j in lab.sequencing.get("/jobs", params={"sample_id": "smp-3"}).json()] == [
        ["smp-3"]
    ]
    assert lab.sequencing.get("/jobs", params={"status": "paused"}).status_code == 422


def test_unknown_job_is_404(lab: Lab) -> None:
    response = lab.sequencing.post("/jobs/job-nope/start")
    assert response.status_code == 404
    assert response.json()["detail"] == "sequencing job 'job-nope' not found"


def test_notification_down_leaves_the_job_running() -> None:
    app = create_app(notifications=NotificationClient(UNREACHABLE))
    client = TestClient(app)
    job_id = client.post("/jobs", json=JOB).json()["id"]
    client.post(f"/jobs/{job_id}/start")
    response = client.post(f"/jobs/{job_id}/complete")
    assert response.status_code == 503
    assert response.json()["detail"].startswith(
        f"job {job_id} unchanged: cannot notify ada@lab.example: notification service unreachable"
    )
    assert app.state.store.get(job_id).status == "running"


def test_seed_builds_a_job_in_any_status(lab: Lab) -> None:
    lab.jobs.seed(id="job-7", status="completed", sample_ids=["S-1"])
    job = lab.sequencing.get("/jobs/job-7").json()
    assert (job["status"], job["sample_ids"]) == ("completed", ["S-1"])
