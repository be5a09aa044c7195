"""The notification templates: what each says and which data keys it needs."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    name: str
    subject: str
    body: str
    required: tuple[str, ...]

    def render(self, data: dict[str, Any]) -> tuple[str, str]:
        values = {k: _text(v) for k, v in data.items()}
        return self.subject.format_map(values), self.body.format_map(values)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "sample_stored",
            "Sample {sample_id} stored",
            "Sample {sample_id} is stored at {location_id} ({temperature_c} °C).",
            ("sample_id", "location_id", "temperature_c"),
        ),
        Template(
            "sample_released",
            "Sample {sample_id} released",
            "Sample {sample_id} was removed from {location_id}.",
            ("sample_id", "location_id"),
        ),
        Template(
            "sequencing_completed",
            "Sequencing job {job_id} completed",
            "Job {job_id} on {platform} finished for samples {sample_ids}.",
            ("job_id", "sample_ids", "platform"),
        ),
        Template(
            "sequencing_failed",
            "Sequencing job {job_id} failed",
            "Job {job_id} failed for samples {sample_ids}: {reason}.",
            ("job_id", "sample_ids", "reason"),
        ),
    )
}
