"""The in-memory sample table.

Seeding (tests, provider states): `reset()`, `add(sample)` (alias `put`), or `seed(...)` which builds a
plausible sample with any field overridden, e.g. `store.seed(id="S-1", status="validated")`.
"""

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from services.sample.models import Sample


class SampleStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._samples: dict[str, Sample] = {}
        self._barcode_serial = 0

    def reset(self) -> None:
        with self._lock:
            self._samples.clear()
            self._barcode_serial = 0

    @staticmethod
    def new_id() -> str:
        return f"smp-{uuid.uuid4().hex[:12]}"

    def next_barcode(self) -> str:
        """The next free `TS-<year>-<serial>`."""
        with self._lock:
            year = datetime.now(UTC).year
            while True:
                self._barcode_serial += 1
                barcode = f"TS-{year}-{self._barcode_serial:06d}"
                if self.get_by_barcode(barcode) is None:
                    return barcode

    def add(self, sample: Sample) -> Sample:
        """Record `sample` as given (id and status included); a sample with the same id is replaced."""
        with self._lock:
            self._samples[sample.id] = sample.model_copy(deep=True)
        return sample

    put = add

    def seed(self, **fields: Any) -> Sample:
        """Add a registered DNA sample, with `fields` overriding any default (id, status, location_id...)."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "id": self.new_id(),
            "sample_type": "DNA",
            "volume_ul": 50.0,
            "concentration_ng_ul": 25.0,
            "submitter": "ada@lab.example",
            "project": "PRJ-1",
            "status": "received",
            "created_at": now,
            "updated_at": now,
        }
        values.update(fields)
        if "barcode" not in values:
            values["barcode"] = self.next_barcode()
        return self.add(Sample.model_validate(values))

    def get(self, sample_id: str) -> Sample | None:
        with self._lock:
            sample = self._samples.get(sample_id)
            return sample.model_copy(deep=True) if sample else None

    def get_by_barcode(self, barcode: str) -> Sample | None:
        with self._lock:
            for sample in self._samples.values():
                if sample.barcode == barcode:
                    return sample.model_copy(deep=True)
            return None

    def list(
        self, status: str | None = None, project: str | None = None, barcode: str | None = None
    ) -> list[Sample]:
        with self._lock:
            samples = [s.model_copy(deep=True) for s in self._samples.values()]
        return [
            s
            for s in samples
            if (status is None or s.status == status)
            and (project is None or s.project == project)
            and (barcode is None or s.barcode == barcode)
        ]
