"""The rules of a sample's life: registration, QC, and every move, each checked before anything changes."""

import threading
from datetime import UTC, datetime
from typing import Any

from services.common.errors import Conflict, NotFound, ServiceError, Unavailable, Unprocessable
from services.common.locks import KeyedLocks
from services.sample.clients import SequencingClient, StorageClient
from services.sample.models import NewSample, Sample, SequenceRequest, StatusChange
from services.sample.rules import ALLOWED, DEFAULT_TEMPERATURE, SampleStatus, TemperatureC, qc_failures
from services.sample.store import SampleStore


def _now() -> datetime:
    return datetime.now(UTC)


class SampleService:
    def __init__(self, store: SampleStore, storage: StorageClient, sequencing: SequencingClient) -> None:
        self.store = store
        self.storage = storage
        self.sequencing = sequencing
        self._registering = threading.Lock()  # barcode uniqueness: check and add as one step
        self._changing = KeyedLocks()

    def register(self, new: NewSample) -> Sample:
        with self._registering:
            if new.barcode is not None and (taken := self.store.get_by_barcode(new.barcode)) is not None:
                raise Conflict(f"barcode {new.barcode} is already registered to sample {taken.id}")
            now = _now()
            sample = Sample(
                id=self.store.new_id(),
                barcode=new.barcode or self.store.next_barcode(),
                sample_type=new.sample_type,
                volume_ul=new.volume_ul,
                concentration_ng_ul=new.concentration_ng_ul,
                submitter=new.submitter,
                project=new.project,
                status="received",
                created_at=now,
                updated_at=now,
                history=[StatusChange(from_status=None, to_status="received", at=now)],
            )
            return self.store.add(sample)

    def get(self, sample_id: str) -> Sample:
        sample = self.store.get(sample_id)
        if sample is None:
            raise NotFound(f"sample {sample_id!r} not found")
        return sample

    def validate(self, sample_id: str) -> Sample:
        with self._changing.hold(sample_id):
            sample = self.get(sample_id)
            self._check(sample, "validated")  # QC runs once, on a received sample
            failures = qc_failures(sample.sample_type, sample.volume_ul, sample.concentration_ng_ul)
            target: SampleStatus = "failed_qc" if failures else "validated"
            reason = "; ".join(failures) if failures else None
            return self._move(sample, target, reason, qc_failures=failures)

    def store_sample(self, sample_id: str, temperature_c: TemperatureC | None) -> Sample:
        with self._changing.hold(sample_id):
            sample = self.get(sample_id)
            self._check(sample, "stored")
            temperature = (
                temperature_c if temperature_c is not None else DEFAULT_TEMPERATURE[sample.sample_type]
            )
            try:
                location = self.storage.allocate(sample.id, temperature)
            except ServiceError as exc:
                raise _refused(exc, f"sample {sample.id} not stored") from exc
            return self._move(
                sample, "stored", None, location_id=location.id, temperature_c=location.temperature_c
            )

    def send_to_sequencing(self, sample_id: str, request: SequenceRequest) -> Sample:
        with self._changing.hold(sample_id):
            sample = self.get(sample_id)
            self._check(sample, "queued_for_sequencing")
            try:
                job = self.sequencing.create_job(
                    [sample.id], request.platform, request.read_length, request.paired_end, sample.submitter
                )
            except ServiceError as exc:
                raise _refused(exc, f"sample {sample.id} not queued for sequencing") from exc
            return self._move(sample, "queued_for_sequencing", None, sequencing_job_id=job.id)

    def transition(self, sample_id: str, target: SampleStatus, reason: str | None) -> Sample:
        with self._changing.hold(sample_id):
            sample = self.get(sample_id)
            self._check(sample, target)
            if target == "sequenced":
                self._require_completed_job(sample)
                return self._move(sample, target, reason)
            if target == "discarded" and sample.location_id is not None:
                self._release(sample)
                return self._move(sample, target, reason, location_id=None)
            return self._move(sample, target, reason)

    def _require_completed_job(self, sample: Sample) -> None:
        if sample.sequencing_job_id is None:
            raise Conflict(f"sample {sample.id} cannot become sequenced: it has no sequencing job")
        try:
            job = self.sequencing.get_job(sample.sequencing_job_id)
        except NotFound as exc:
            raise Conflict(
                f"sample {sample.id} cannot become sequenced: sequencing does not know its job "
                f"{sample.sequencing_job_id}"
            ) from exc
        except ServiceError as exc:
            raise _refused(exc, f"sample {sample.id} not marked sequenced") from exc
        if job.status != "completed":
            raise Conflict(
                f"sample {sample.id} cannot become sequenced: its job {job.id} is {job.status}, not completed"
            )

    def _release(self, sample: Sample) -> None:
        try:
            self.storage.release(sample.id)
        except NotFound:
            pass  # storage already holds nothing for it: the goal of releasing is met
        except ServiceError as exc:
            raise _refused(exc, f"sample {sample.id} not discarded") from exc

    @staticmethod
    def _check(sample: Sample, target: SampleStatus) -> None:
        allowed = ALLOWED[sample.status]
        if target not in allowed:
            raise Conflict(
                f"cannot move sample {sample.id} from {sample.status} to {target}: "
                f"allowed from {sample.status}: {', '.join(allowed) or 'nothing (final status)'}"
            )

    def _move(self, sample: Sample, target: SampleStatus, reason: str | None, **changes: Any) -> Sample:
        now = _now()
        change = StatusChange(from_status=sample.status, to_status=target, at=now, reason=reason)
        moved = sample.model_copy(
            update={"status": target, "updated_at": now, "history": [*sample.history, change], **changes}
        )
        return self.store.add(moved)


def _refused(exc: ServiceError, what: str) -> ServiceError:
    """A provider's refusal in the sample service's words, keeping its kind (409, 422, 503)."""
    service = exc.service or "a service"
    if isinstance(exc, Conflict):
        return Conflict(f"{what}: {service} refused: {exc.message}")
    if isinstance(exc, Unprocessable):
        return Unprocessable(f"{what}: {service} refused: {exc.message}")
    return Unavailable(f"{what}: {service} unavailable: {exc.message}")
