"""The in-memory job table. Tests and provider states seed it with `add` and empty it with `reset`."""

import threading
import uuid

from services.sequencing.models import Job


class SequencingStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}

    @property
    def lock(self) -> threading.RLock:
        return self._lock

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
