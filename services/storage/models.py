"""What crosses the wire to and from the storage service."""

from typing import Literal

from pydantic import BaseModel, Field

# Room temperature is recorded as 20 °C.
TemperatureC = Literal[-80, -20, 4, 20]

ZONE_NAMES: dict[int, str] = {-80: "-80 °C", -20: "-20 °C", 4: "4 °C", 20: "room temperature"}


class NewAllocation(BaseModel):
    sample_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    temperature_c: TemperatureC


class Location(BaseModel):
    id: str
    freezer_id: str
    rack_id: str
    position: str
    temperature_c: TemperatureC
    sample_id: str | None = None


class Zone(BaseModel):
    temperature_c: TemperatureC
    name: str
    capacity: int
    occupied: int
    free: int


class Rack(BaseModel):
    id: str
    rows: int
    columns: int


class Freezer(BaseModel):
    id: str
    name: str
    temperature_c: TemperatureC
    racks: list[Rack]
