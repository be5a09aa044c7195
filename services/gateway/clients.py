"""The gateway's client of the sample service.

`Sample` and `NewSample` are the gateway's own view of the sample service: the fields it reads and sends,
and so also what the public API shows. The sample service keeps its full model (with `history`) to itself;
the gateway's consumer pact asks only for these fields.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.common.client import ServiceClient


class NewSample(BaseModel):
    """A registration as the gateway accepts it: types only, the sample service owns the rules."""

    barcode: str | None = None
    sample_type: str
    volume_ul: float
    concentration_ng_ul: float | None = None
    submitter: str
    project: str


class Sample(BaseModel):
    id: str
    barcode: str
    sample_type: str
    volume_ul: float
    concentration_ng_ul: float | None = None
    submitter: str
    project: str
    status: str
    qc_failures: list[str] = Field(default_factory=list)
    location_id: str | None = None
    temperature_c: int | None = None
    sequencing_job_id: str | None = None
    created_at: datetime
    updated_at: datetime


class SampleClient(ServiceClient):
    service = "sample"

    def register(self, sample: NewSample) -> Sample:
        """`POST /samples`; `Unprocessable` for invalid fields, `Conflict` for a barcode already taken."""
        body = sample.model_dump(exclude_none=True)
        return self._parse(self._request("POST", "/samples", json=body), Sample)

    def list_samples(
        self, status: str | None = None, project: str | None = None, barcode: str | None = None
    ) -> list[Sample]:
        """`GET /samples`; `Unprocessable` for an unknown status."""
        params = {"status": status, "project": project, "barcode": barcode}
        return self._parse_list(self._request("GET", "/samples", params=params), Sample)

    def get(self, sample_id: str) -> Sample:
        """`GET /samples/{id}`; `NotFound` for an unknown sample."""
        return self._parse(self._request("GET", f"/samples/{sample_id}"), Sample)

    def validate(self, sample_id: str) -> Sample:
        """`POST /samples/{id}/validate`; `Conflict` unless the sample is `received`."""
        return self._parse(self._request("POST", f"/samples/{sample_id}/validate"), Sample)

    def store(self, sample_id: str, temperature_c: int | None = None) -> Sample:
        """`POST /samples/{id}/store`; `Conflict` (status, zone full), `Unavailable` (storage down)."""
        body: dict[str, Any] = {} if temperature_c is None else {"temperature_c": temperature_c}
        return self._parse(self._request("POST", f"/samples/{sample_id}/store", json=body), Sample)

    def sequence(self, sample_id: str, platform: str, read_length: int, paired_end: bool = False) -> Sample:
        """`POST /samples/{id}/sequence`; `Unprocessable` when the platform refuses the read set-up."""
        body = {"platform": platform, "read_length": read_length, "paired_end": paired_end}
        return self._parse(self._request("POST", f"/samples/{sample_id}/sequence", json=body), Sample)

    def transition(self, sample_id: str, status: str, reason: str | None = None) -> Sample:
        """`POST /samples/{id}/transitions`; `Conflict` for a move the sample's status does not allow."""
        body: dict[str, Any] = {"status": status}
        if reason is not None:
            body["reason"] = reason
        return self._parse(self._request("POST", f"/samples/{sample_id}/transitions", json=body), Sample)
