"""Outgoing calls of the sample service: storage positions and sequencing jobs.

The response models here are the sample service's *own* view of its providers' answers, holding only the
fields it reads, so a consumer pact built from these clients asks for exactly what sample depends on.
"""

from pydantic import BaseModel

from services.common.client import ServiceClient


class StorageLocation(BaseModel):
    id: str
    temperature_c: int


class StorageClient(ServiceClient):
    service = "storage"

    def allocate(self, sample_id: str, temperature_c: int) -> StorageLocation:
        """`POST /allocations` (201 new, 200 already there); `Conflict` when the zone is full."""
        response = self._request(
            "POST", "/allocations", json={"sample_id": sample_id, "temperature_c": temperature_c}
        )
        return self._parse(response, StorageLocation)

    def release(self, sample_id: str) -> None:
        """`DELETE /allocations/{sample_id}`; `NotFound` when the sample holds no position."""
        self._request("DELETE", f"/allocations/{sample_id}")


class SequencingJob(BaseModel):
    id: str
    status: str
    sample_ids: list[str]


class SequencingClient(ServiceClient):
    service = "sequencing"

    def create_job(
        self,
        sample_ids: list[str],
        platform: str,
        read_length: int,
        paired_end: bool,
        requested_by: str,
    ) -> SequencingJob:
        """`POST /jobs`; `Unprocessable` when the platform's rules refuse the read set-up."""
        response = self._request(
            "POST",
            "/jobs",
            json={
                "sample_ids": sample_ids,
                "platform": platform,
                "read_length": read_length,
                "paired_end": paired_end,
                "requested_by": requested_by,
            },
        )
        return self._parse(response, SequencingJob)

    def get_job(self, job_id: str) -> SequencingJob:
        """`GET /jobs/{job_id}`; `NotFound` for an unknown job."""
        return self._parse(self._request("GET", f"/jobs/{job_id}"), SequencingJob)
