"""The in-memory job table. Tests and provider states fill it with `add`/`seed`, empty it with `reset`."""

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from services.sequencing.models import Job


class SequencingStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()

    @staticmethod
    def new_id() -> str:
        return f"job-{uuid.uuid4().hex[:12]}"

    def add(self, job: Job) -> Job:
        """Record `job` as given (its id and status included); a job with the same id is replaced."""
        with self._lock:
            self._jobs[job.id] = job.model_copy()
        return job

    put = add

    def seed(self, **fields: Any) -> Job:
        """Add a plausible queued NovaSeq job; `fields` override any default (id, status, sample_ids...)."""
        values: dict[str, Any] = {
            "id": self.new_id(),
            "sample_ids": ["smp-1"],
            "platform": "NovaSeq",
            "read_length": 150,
            "paired_end": True,
            "requested_by": "ada@lab.example",
            "status": "queued",
            "created_at": datetime.now(UTC),
        }
        values.update(fields)
        return self.add(Job.model_validate(values))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy() if job else None

    def list(self, status: str | None = None, sample_id: str | None = None) -> list[Job]:
        with self._lock:
            jobs = [j.model_copy() for j in self._jobs.values()]
        return [
            j
            for j in jobs
            if (status is None or j.status == status) and (sample_id is None or sample_id in j.sample_ids)
        ]
