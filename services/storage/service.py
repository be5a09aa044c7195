"""The rules of storage: one sample, one position, in the zone it needs; announce before changing."""

import threading

from services.common.errors import Conflict, NotFound, Unavailable
from services.storage.clients import EventClient
from services.storage.models import ZONE_NAMES, Location, NewAllocation
from services.storage.store import StorageStore

SOURCE = "storage"


class StorageService:
    def __init__(self, store: StorageStore, events: EventClient) -> None:
        self.store = store
        self.events = events
        # Positions are one shared pool: allocations and releases take turns (check → announce → change).
        self._changing = threading.Lock()

    def location(self, location_id: str) -> Location:
        location = self.store.get(location_id)
        if location is None:
            raise NotFound(f"location {location_id!r} not found")
        return location

    def allocation(self, sample_id: str) -> Location:
        location = self.store.location_of(sample_id)
        if location is None:
            raise NotFound(f"sample {sample_id!r} holds no storage position")
        return location

    def allocate(self, new: NewAllocation) -> tuple[Location, bool]:
        """The sample's position and whether it is new.

        Asking again for a sample already stored in that zone returns its position unchanged, so a caller
        that timed out can retry safely; asking for another zone is a conflict.
        """
        with self._changing:
            current = self.store.location_of(new.sample_id)
            if current is not None:
                if current.temperature_c == new.temperature_c:
                    return current, False
                zone_name = ZONE_NAMES[current.temperature_c]
                raise Conflict(f"sample {new.sample_id!r} is already stored at {current.id} ({zone_name})")
            free = self.store.first_free(new.temperature_c)
            if free is None:
                zone = next(z for z in self.store.zones() if z.temperature_c == new.temperature_c)
                raise Conflict(
                    f"the {ZONE_NAMES[new.temperature_c]} zone is full: "
                    f"all {zone.capacity} positions are occupied"
                )
            self._announce(
                "sample.stored",
                {"sample_id": new.sample_id, "location_id": free.id, "temperature_c": new.temperature_c},
                what=f"sample {new.sample_id!r} was not stored",
            )
            return self.store.put(new.sample_id, free.id), True

    def release(self, sample_id: str) -> Location:
        with self._changing:
            location = self.allocation(sample_id)
            self._announce(
                "storage.released",
                {"sample_id": sample_id, "location_id": location.id, "temperature_c": location.temperature_c},
                what=f"sample {sample_id!r} was not released",
            )
            released = self.store.vacate(sample_id)
            if released is None:  # only if a test or provider state reset the store meanwhile
                raise NotFound(f"sample {sample_id!r} holds no storage position")
            return released

    def _announce(self, type: str, payload: dict[str, object], *, what: str) -> None:
        try:
            self.events.publish(type, SOURCE, payload)
        except Unavailable as exc:
            raise Unavailable(f"{what}: cannot announce {type}: {exc.message}") from exc
