"""The in-memory freezer map and its occupants.

Seeding (tests, provider states): `reset(...)` empties it and rebuilds the layout, `add_freezer(...)`
adds one, `put(sample_id, location_id)` places a sample at a given position, `fill_zone(temperature_c)`
occupies every free position of a zone (to make it full).
"""

import string
import threading

from services.storage.models import ZONE_NAMES, Freezer, Location, Rack, TemperatureC, Zone

_FREEZER_PREFIX: dict[int, str] = {-80: "FRZ80", -20: "FRZ20", 4: "FRG04", 20: "SHELF"}


class StorageStore:
    def __init__(self, racks_per_freezer: int = 2, rack_rows: int = 4, rack_columns: int = 6) -> None:
        self._lock = threading.RLock()
        self._freezers: dict[str, Freezer] = {}
        self._locations: dict[str, Location] = {}  # insertion order = allocation order within a zone
        self._by_sample: dict[str, str] = {}
        self._layout = (racks_per_freezer, rack_rows, rack_columns)
        self.reset()

    def reset(
        self,
        racks_per_freezer: int | None = None,
        rack_rows: int | None = None,
        rack_columns: int | None = None,
    ) -> None:
        """Empty everything and build one freezer per zone: the layout given here, else the one it had."""
        with self._lock:
            racks_per_freezer = self._layout[0] if racks_per_freezer is None else racks_per_freezer
            rack_rows = self._layout[1] if rack_rows is None else rack_rows
            rack_columns = self._layout[2] if rack_columns is None else rack_columns
            self._layout = (racks_per_freezer, rack_rows, rack_columns)
            self._freezers.clear()
            self._locations.clear()
            self._by_sample.clear()
            for temperature in ZONE_NAMES:
                freezer_id = f"{_FREEZER_PREFIX[temperature]}-1"
                self.add_freezer(
                    freezer_id,
                    f"{ZONE_NAMES[temperature]} #1",
                    temperature,  # type: ignore[arg-type]
                    racks=racks_per_freezer,
                    rows=rack_rows,
                    columns=rack_columns,
                )

    def add_freezer(
        self, freezer_id: str, name: str, temperature_c: TemperatureC, *, racks: int, rows: int, columns: int
    ) -> Freezer:
        with self._lock:
            rack_models = [Rack(id=f"R{n}", rows=rows, columns=columns) for n in range(1, racks + 1)]
            freezer = Freezer(id=freezer_id, name=name, temperature_c=temperature_c, racks=rack_models)
            self._freezers[freezer_id] = freezer
            for rack in rack_models:
                for row in string.ascii_uppercase[:rows]:
                    for column in range(1, columns + 1):
                        position = f"{row}{column}"
                        location_id = f"{freezer_id}-{rack.id}-{position}"
                        self._locations[location_id] = Location(
                            id=location_id,
                            freezer_id=freezer_id,
                            rack_id=rack.id,
                            position=position,
                            temperature_c=temperature_c,
                        )
            return freezer

    def freezers(self) -> list[Freezer]:
        with self._lock:
            return list(self._freezers.values())

    def get(self, location_id: str) -> Location | None:
        with self._lock:
            location = self._locations.get(location_id)
            return location.model_copy() if location else None

    def location_of(self, sample_id: str) -> Location | None:
        with self._lock:
            location_id = self._by_sample.get(sample_id)
            return self.get(location_id) if location_id else None

    def first_free(self, temperature_c: int) -> Location | None:
        with self._lock:
            for location in self._locations.values():
                if location.temperature_c == temperature_c and location.sample_id is None:
                    return location.model_copy()
            return None

    def put(self, sample_id: str, location_id: str) -> Location:
        """Place `sample_id` at `location_id` (KeyError if unknown, ValueError if taken by another sample)."""
        with self._lock:
            location = self._locations[location_id]
            if location.sample_id not in (None, sample_id):
                raise ValueError(f"{location_id} is occupied by {location.sample_id}")
            location.sample_id = sample_id
            self._by_sample[sample_id] = location_id
            return location.model_copy()

    def vacate(self, sample_id: str) -> Location | None:
        with self._lock:
            location_id = self._by_sample.pop(sample_id, None)
            if location_id is None:
                return None
            location = self._locations[location_id]
            released = location.model_copy()
            location.sample_id = None
            return released

    def fill_zone(self, temperature_c: int, sample_prefix: str = "FILLER") -> int:
        """Occupy every free position of a zone; returns how many were filled."""
        with self._lock:
            filled = 0
            while (free := self.first_free(temperature_c)) is not None:
                filled += 1
                self.put(f"{sample_prefix}-{temperature_c}-{filled}", free.id)
            return filled

    def zones(self) -> list[Zone]:
        with self._lock:
            zones = []
            for temperature, name in ZONE_NAMES.items():
                in_zone = [loc for loc in self._locations.values() if loc.temperature_c == temperature]
                occupied = sum(1 for loc in in_zone if loc.sample_id is not None)
                zones.append(
                    Zone(
                        temperature_c=temperature,  # type: ignore[arg-type]
                        name=name,
                        capacity=len(in_zone),
                        occupied=occupied,
                        free=len(in_zone) - occupied,
                    )
                )
            return zones
