"""Gateway through its ASGI app, forwarding to the real sample app."""

from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.gateway import create_app
from services.gateway.clients import SampleClient
from services.sample import create_app as sample_app
from services.sample.clients import SequencingClient, StorageClient
from tests.services.services_lab import DNA, UNREACHABLE, Lab


def test_register_and_read_back_through_the_gateway(lab: Lab) -> None:
    response = lab.gateway.post("/api/samples", json=DNA)
    assert response.status_code == 201
    sample = response.json()
    assert sample["status"] == "received"
    assert "history" not in sample  # the gateway shows its own view of a sample
    assert lab.gateway.get(f"/api/samples/{sample['id']}").json() == sample
    assert [s["id"] for s in lab.gateway.get("/api/samples", params={"status": "received"}).json()] == [
        sample["id"]
    ]


def test_walks_a_sample_to_queued(lab: Lab) -> None:
    sample_id = lab.gateway.post("/api/samples", json=DNA).json()["id"]
    assert lab.gateway.post(f"/api/samples/{sample_id}/validate").json()["status"] == "validated"
    stored = lab.gateway.post(f"/api/samples/{sample_id}/store", json={"temperature_c": -80}).json()
    assert (stored["status"], stored["location_id"]) == ("stored", "FRZ80-1-R1-A1")
    queued = lab.gateway.post(
        f"/api/samples/{sample_id}/sequence", json={"platform": "NextSeq", "read_length": 75}
    ).json()
    assert queued["status"] == "queued_for_sequencing"
    assert queued["sequencing_job_id"].startswith("job-")


def test_not_found_is_problem_json(lab: Lab) -> None:
    response = lab.gateway.get("/api/samples/smp-nope", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://tracseq.example/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "sample 'smp-nope' not found",
        "instance": "/api/samples/smp-nope",
        "request_id": "req-42",
    }


def test_conflict_keeps_the_sample_service_message(lab: Lab) -> None:
    sample_id = lab.gateway.post("/api/samples", json=DNA).json()["id"]
    response = lab.gateway.post(f"/api/samples/{sample_id}/transitions", json={"status": "sequenced"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["title"] == "Conflict"
    assert problem["detail"] == (
        f"cannot move sample {sample_id} from received to sequenced: "
        "allowed from received: validated, failed_qc, discarded"
    )


def test_sample_service_validation_errors_come_through_with_their_fields(lab: Lab) -> None:
    response = lab.gateway.post("/api/samples", json={**DNA, "volume_ul": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == "volume_ul: Input should be greater than 0"
    assert problem["errors"] == [
        {"field": "volume_ul", "message": "Input should be greater than 0", "type": "greater_than"}
    ]


def test_gateway_validation_errors_are_problem_json(lab: Lab) -> None:
    body: dict[str, Any] = {k: v for k, v in DNA.items() if k != "submitter"}
    response = lab.gateway.post("/api/samples", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "submitter: Field required"
    assert lab.samples.list() == []


def test_unknown_route_is_problem_json(lab: Lab) -> None:
    response = lab.gateway.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["type"] == "https://tracseq.example/problems/not-found"


def test_request_id_is_generated_echoed_and_forwarded(lab: Lab) -> None:
    seen: list[str | None] = []

    def record(request: httpx.Request) -> None:
        seen.append(request.headers.get("X-Request-ID"))

    sample = TestClient(sample_app(store=lab.samples))
    sample.event_hooks = {"request": [record], "response": []}  # observe what the gateway sends
    gateway = TestClient(create_app(samples=SampleClient("http://sample", http=sample)))
    given = gateway.get("/api/samples", headers={"X-Request-ID": "req-7"})
    assert given.headers["X-Request-ID"] == "req-7"
    generated = gateway.get("/api/samples")
    new_id = generated.headers["X-Request-ID"]
    assert len(new_id) == 32
    assert seen == ["req-7", new_id]


def test_sample_service_unreachable_is_502() -> None:
    gateway = TestClient(create_app(samples=SampleClient(UNREACHABLE)))
    response = gateway.get("/api/samples")
    assert response.status_code == 502
    problem = response.json()
    assert problem["title"] == "Bad Gateway"
    assert problem["detail"].startswith(f"sample service unreachable at {UNREACHABLE}")


def test_storage_unreachable_behind_sample_is_503_through_the_gateway(lab: Lab) -> None:
    sample = TestClient(
        sample_app(
            store=lab.samples, storage=StorageClient(UNREACHABLE), sequencing=SequencingClient(UNREACHABLE)
        )
    )
    gateway = TestClient(create_app(samples=SampleClient("http://sample", http=sample)))
    sample_id = gateway.post("/api/samples", json=DNA).json()["id"]
    gateway.post(f"/api/samples/{sample_id}/validate")
    response = gateway.post(f"/api/samples/{sample_id}/store", json={})
    assert response.status_code == 503
    assert response.json()["title"] == "Service Unavailable"
    assert gateway.get(f"/api/samples/{sample_id}").json()["status"] == "validated"
