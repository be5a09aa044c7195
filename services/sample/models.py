"""What crosses the wire to and from the sample service."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from services.sample.rules import LIMITS, SampleStatus, SampleType, TemperatureC

BARCODE_PATTERN = r"^TS-\d{4}-\d{6}$"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Platform = Literal["NovaSeq", "MiSeq", "NextSeq", "ONT"]


class NewSample(BaseModel):
    barcode: str | None = Field(default=None, pattern=BARCODE_PATTERN, examples=["TS-2026-000123"])
    sample_type: SampleType
    volume_ul: float = Field(gt=0, le=100_000, description="volume in µL")
    concentration_ng_ul: float | None = Field(
        default=None, ge=0, le=100_000, validate_default=True, description="ng/µL; required for DNA and RNA"
    )
    submitter: str = Field(max_length=200, description="the submitter's email address")
    project: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

    @field_validator("concentration_ng_ul")
    @classmethod
    def _measured_when_needed(cls, value: float | None, info: ValidationInfo) -> float | None:
        sample_type = info.data.get("sample_type")
        if value is None and sample_type in LIMITS and LIMITS[sample_type].concentration_ng_ul is not None:
            raise ValueError(f"required for {sample_type} samples")
        return value

    @field_validator("submitter")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"must be an email address, got {value!r}")
        return value


class StatusChange(BaseModel):
    from_status: SampleStatus | None
    to_status: SampleStatus
    at: datetime
    reason: str | None = None


class Sample(BaseModel):
    id: str
    barcode: str
    sample_type: SampleType
    volume_ul: float
    concentration_ng_ul: float | None
    submitter: str
    project: str
    status: SampleStatus
    qc_failures: list[str] = Field(default_factory=list)
    location_id: str | None = None
    temperature_c: TemperatureC | None = None
    sequencing_job_id: str | None = None
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = Field(default_factory=list)


class StoreRequest(BaseModel):
    temperature_c: TemperatureC | None = Field(default=None, description="default: the sample type's")


class SequenceRequest(BaseModel):
    platform: Platform
    read_length: int = Field(gt=0)
    paired_end: bool = False


class TransitionRequest(BaseModel):
    status: Literal["failed_qc", "discarded", "sequenced"] = Field(
        description="validated, stored and queued_for_sequencing have their own endpoints"
    )
    reason: str | None = Field(default=None, max_length=500)
