"""The rules of sequencing jobs: the lifecycle, and telling the requester before a job finishes."""

from datetime import UTC, datetime

from services.common.errors import Conflict, NotFound, ServiceError, Unavailable
from services.common.locks import KeyedLocks
from services.sequencing.clients import NotificationClient
from services.sequencing.models import Job, JobStatus, NewJob
from services.sequencing.store import SequencingStore

ALLOWED: dict[str, set[JobStatus]] = {
    "queued": {"running", "failed"},
    "running": {"completed", "failed"},
    "completed": set(),
    "failed": set(),
}
_VERB: dict[str, str] = {"running": "start", "completed": "complete", "failed": "fail"}


def _now() -> datetime:
    return datetime.now(UTC)


class SequencingService:
    def __init__(self, store: SequencingStore, notifications: NotificationClient, output_root: str) -> None:
        self.store = store
        self.notifications = notifications
        self.output_root = output_root.rstrip("/")
        self._changing = KeyedLocks()

    def create(self, new: NewJob) -> Job:
        job = Job(id=self.store.new_id(), status="queued", created_at=_now(), **new.model_dump())
        return self.store.add(job)

    def get(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NotFound(f"sequencing job {job_id!r} not found")
        return job

    def start(self, job_id: str) -> Job:
        with self._changing.hold(job_id):
            job = self._checked(job_id, "running")
            return self.store.add(job.model_copy(update={"status": "running", "started_at": _now()}))

    def complete(self, job_id: str, output_uri: str | None) -> Job:
        with self._changing.hold(job_id):
            job = self._checked(job_id, "completed")
            self._notify(job, "sequencing_completed", {"platform": job.platform})
            done = job.model_copy(
                update={
                    "status": "completed",
                    "finished_at": _now(),
                    "output_uri": output_uri or f"{self.output_root}/{job.id}/",
                }
            )
            return self.store.add(done)

    def fail(self, job_id: str, reason: str) -> Job:
        with self._changing.hold(job_id):
            job = self._checked(job_id, "failed")
            self._notify(job, "sequencing_failed", {"reason": reason})
            failed = job.model_copy(
                update={"status": "failed", "finished_at": _now(), "failure_reason": reason}
            )
            return self.store.add(failed)

    def _checked(self, job_id: str, target: JobStatus) -> Job:
        job = self.get(job_id)
        if target not in ALLOWED[job.status]:
            allowed = ", ".join(sorted(ALLOWED[job.status])) or "none (final status)"
            raise Conflict(
                f"cannot {_VERB[target]} sequencing job {job_id}: transition {job.status} → {target} "
                f"is not allowed (allowed from {job.status}: {allowed})"
            )
        return job

    def _notify(self, job: Job, template: str, extra: dict[str, object]) -> None:
        data = {"job_id": job.id, "sample_ids": job.sample_ids, **extra}
        try:
            self.notifications.send("email", job.requested_by, template, data)
        except ServiceError as exc:
            # Any refusal means the requester would not hear of it; keep the job as it was.
            raise Unavailable(
                f"job {job.id} unchanged: cannot notify {job.requested_by}: {exc.message}"
            ) from exc
