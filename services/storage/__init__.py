"""Storage service: freezers, fridges and shelves, and which sample sits where.

Zones by temperature: -80 °C and -20 °C freezers, 4 °C fridges, room temperature (20) shelves. Each zone
holds freezers, each freezer racks of rows × columns positions. A location id reads
`<freezer>-<rack>-<position>`, e.g. `FRZ80-1-R1-A1`.

Endpoints:
    GET    /zones                      each zone with capacity, occupied and free positions
    GET    /freezers                   freezers with their racks
    GET    /locations/{location_id}    one position (404 if unknown; `sample_id` null when free)
    POST   /allocations                {sample_id, temperature_c} → 201 Location: the first free position
                                       in that zone; 409 if the zone is full or the sample is stored in
                                       another zone; 200 with its position if already stored in that zone
                                       (so a caller that timed out can retry)
    GET    /allocations/{sample_id}    where a sample is (404 if it holds no position)
    DELETE /allocations/{sample_id}    release the sample's position → 204 (404 if it holds none)
    GET    /health                     liveness

Every allocation and release is announced to the event service (`sample.stored`, `storage.released`,
payload `{sample_id, location_id, temperature_c}`) *before* it takes effect: if the event service cannot be
reached the request fails with 503 and nothing changes.
"""

from services.storage.app import create_app
from services.storage.models import Location, NewAllocation, TemperatureC, Zone
from services.storage.settings import StorageSettings
from services.storage.store import StorageStore

__all__ = [
    "Location",
    "NewAllocation",
    "StorageSettings",
    "StorageStore",
    "TemperatureC",
    "Zone",
    "create_app",
]
