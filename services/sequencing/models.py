"""What crosses the wire to and from the sequencing service."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

Platform = Literal["NovaSeq", "MiSeq", "NextSeq", "ONT"]
JobStatus = Literal["queued", "running", "completed", "failed"]

READ_LENGTHS: dict[str, tuple[int, int]] = {
    "NovaSeq": (50, 250),
    "MiSeq": (25, 300),
    "NextSeq": (50, 150),
    "ONT": (1000, 100_000),
}
SINGLE_READ_ONLY = frozenset({"ONT"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NewJob(BaseModel):
    sample_ids: list[str] = Field(min_length=1, max_length=96)
    platform: Platform
    read_length: int = Field(gt=0, description="bases per read")
    paired_end: bool = False
    requested_by: str = Field(description="email address told when the job completes or fails")

    @field_validator("sample_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("sample ids must not be empty")
        if len(set(value)) != len(value):
            raise ValueError("a sample may appear only once in a job")
        return value

    @field_validator("read_length")
    @classmethod
    def _fits_platform(cls, value: int, info: ValidationInfo) -> int:
        platform = info.data.get("platform")
        if platform in READ_LENGTHS:
            low, high = READ_LENGTHS[platform]
            if not low <= value <= high:
                raise ValueError(f"{platform} read length must be between {low} and {high}, got {value}")
        return value

    @field_validator("paired_end")
    @classmethod
    def _platform_pairs(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("platform") in SINGLE_READ_ONLY:
            raise ValueError(f"{info.data['platform']} does not support paired-end reads")
        return value

    @field_validator("requested_by")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f"must be an email address, got {value!r}")
        return value


class CompleteJob(BaseModel):
    output_uri: str | None = Field(default=None, max_length=500)


class FailJob(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class Job(BaseModel):
    id: str
    sample_ids: list[str]
    platform: Platform
    read_length: int
    paired_end: bool
    requested_by: str
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output_uri: str | None = None
    failure_reason: str | None = None
