"""The laboratory's rules for samples, in one place: limits, default temperatures, allowed moves."""

from dataclasses import dataclass
from typing import Literal

SampleType = Literal["DNA", "RNA", "blood", "tissue", "saliva"]
SampleStatus = Literal[
    "received", "validated", "stored", "queued_for_sequencing", "sequenced", "failed_qc", "discarded"
]
TemperatureC = Literal[-80, -20, 4, 20]


@dataclass(frozen=True)
class Limits:
    volume_ul: tuple[float, float]
    concentration_ng_ul: tuple[float, float] | None  # None: not measured for this type


LIMITS: dict[str, Limits] = {
    "DNA": Limits((10, 1000), (1, 1000)),
    "RNA": Limits((10, 500), (5, 3000)),
    "blood": Limits((200, 10_000), None),
    "tissue": Limits((10, 2000), None),
    "saliva": Limits((500, 5000), None),
}

DEFAULT_TEMPERATURE: dict[str, TemperatureC] = {
    "DNA": -20,
    "RNA": -80,
    "blood": 4,
    "tissue": -80,
    "saliva": 20,
}

ALLOWED: dict[str, tuple[str, ...]] = {
    "received": ("validated", "failed_qc", "discarded"),
    "validated": ("stored", "failed_qc", "discarded"),
    "stored": ("queued_for_sequencing", "discarded"),
    "queued_for_sequencing": ("sequenced", "failed_qc", "discarded"),
    "sequenced": ("discarded",),
    "failed_qc": ("discarded",),
    "discarded": (),
}


def qc_failures(sample_type: str, volume_ul: float, concentration_ng_ul: float | None) -> list[str]:
    """Why a sample fails QC; empty when it passes."""
    limits = LIMITS[sample_type]
    failures = []
    low, high = limits.volume_ul
    if not low <= volume_ul <= high:
        failures.append(f"volume_ul {volume_ul:g} is outside the {sample_type} range {low:g}–{high:g} µL")
    if limits.concentration_ng_ul is not None:
        low, high = limits.concentration_ng_ul
        if concentration_ng_ul is None:
            failures.append(f"concentration_ng_ul is required for {sample_type}")
        elif not low <= concentration_ng_ul <= high:
            failures.append(
                f"concentration_ng_ul {concentration_ng_ul:g} is outside the {sample_type} range "
                f"{low:g}–{high:g} ng/µL"
            )
    return failures
