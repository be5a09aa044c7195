"""Storage service through its ASGI app, announcing to the real event app."""

from fastapi.testclient import TestClient

from services.storage import StorageSettings, create_app
from services.storage.clients import EventClient
from tests.services.services_lab import UNREACHABLE, Lab, build_lab


def test_zones_report_capacity_and_use(lab: Lab) -> None:
    zones = {z["temperature_c"]: z for z in lab.storage.get("/zones").json()}
    assert set(zones) == {-80, -20, 4, 20}
    assert zones[-80] == {"temperature_c": -80, "name": "-80 °C", "capacity": 48, "occupied": 0, "free": 48}
    assert zones[20]["name"] == "room temperature"


def test_allocates_a_position_in_the_zone_and_announces_it(lab: Lab) -> None:
    response = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": -80})
    assert response.status_code == 201
    location = response.json()
    assert location == {
        "id": "FRZ80-1-R1-A1",
        "freezer_id": "FRZ80-1",
        "rack_id": "R1",
        "position": "A1",
        "temperature_c": -80,
        "sample_id": "smp-1",
    }
    assert lab.storage.get("/locations/FRZ80-1-R1-A1").json()["sample_id"] == "smp-1"
    assert lab.storage.get("/allocations/smp-1").json()["id"] == "FRZ80-1-R1-A1"
    second = lab.storage.post("/allocations", json={"sample_id": "smp-2", "temperature_c": -80}).json()
    assert second["id"] == "FRZ80-1-R1-A2"
    [event, _] = lab.events.list(type="sample.stored")
    assert event.source == "storage"
    assert event.payload == {"sample_id": "smp-1", "location_id": "FRZ80-1-R1-A1", "temperature_c": -80}
    assert lab.storage.get("/zones").json()[0]["occupied"] == 2


def test_a_sample_holds_one_position(lab: Lab) -> None:
    lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": 4})
    elsewhere = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": -20})
    assert elsewhere.status_code == 409
    assert elsewhere.json()["detail"] == "sample 'smp-1' is already stored at FRG04-1-R1-A1 (4 °C)"
    assert len(lab.events.list()) == 1


def test_asking_again_for_the_same_zone_returns_the_same_position(lab: Lab) -> None:
    first = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": 4})
    again = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": 4})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(lab.events.list()) == 1  # announced once


def test_a_full_zone_is_a_clear_409_and_nothing_is_announced() -> None:
    lab = build_lab(StorageSettings(racks_per_freezer=1, rack_rows=1, rack_columns=2))
    for sample_id in ("smp-1", "smp-2"):
        assert lab.storage.post(
            "/allocations", json={"sample_id": sample_id, "temperature_c": -80}
        ).is_success
    full = lab.storage.post("/allocations", json={"sample_id": "smp-3", "temperature_c": -80})
    assert full.status_code == 409
    assert full.json()["detail"] == "the -80 °C zone is full: all 2 positions are occupied"
    assert len(lab.events.list()) == 2
    assert lab.storage.get("/allocations/smp-3").status_code == 404
    # Other zones are unaffected.
    assert lab.storage.post("/allocations", json={"sample_id": "smp-3", "temperature_c": -20}).is_success


def test_fill_zone_seeds_a_full_zone(lab: Lab) -> None:
    assert lab.freezers.fill_zone(4) == 48
    response = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": 4})
    assert response.status_code == 409


def test_release_frees_the_position_and_announces_it(lab: Lab) -> None:
    lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": 20})
    response = lab.storage.delete("/allocations/smp-1")
    assert response.status_code == 204
    assert lab.storage.get("/locations/SHELF-1-R1-A1").json()["sample_id"] is None
    assert lab.storage.get("/allocations/smp-1").status_code == 404
    [released] = lab.events.list(type="storage.released")
    assert released.payload == {"sample_id": "smp-1", "location_id": "SHELF-1-R1-A1", "temperature_c": 20}


def test_releasing_a_sample_without_a_position_is_404(lab: Lab) -> None:
    response = lab.storage.delete("/allocations/smp-x")
    assert response.status_code == 404
    assert response.json()["detail"] == "sample 'smp-x' holds no storage position"


def test_unknown_location_is_404(lab: Lab) -> None:
    assert lab.storage.get("/locations/FRZ80-9-R1-A1").status_code == 404


def test_an_unsupported_temperature_is_422_naming_the_field(lab: Lab) -> None:
    response = lab.storage.post("/allocations", json={"sample_id": "smp-1", "temperature_c": -70})
    assert response.status_code == 422
    assert response.json()["detail"] == "temperature_c: Input should be -80, -20, 4 or 20"


def test_a_sample_id_with_a_slash_is_422(lab: Lab) -> None:
    response = lab.storage.post("/allocations", json={"sample_id": "a/b", "temperature_c": 4})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sample_id"


def test_event_service_down_means_no_allocation_and_no_release() -> None:
    app = create_app(events=EventClient(UNREACHABLE))
    client = TestClient(app)
    response = client.post("/allocations", json={"sample_id": "smp-1", "temperature_c": -80})
    assert response.status_code == 503
    assert response.json()["detail"].startswith(
        "sample 'smp-1' was not stored: cannot announce sample.stored: event service unreachable at"
    )
    assert app.state.store.location_of("smp-1") is None
    app.state.store.put("smp-2", "FRZ80-1-R1-A1")
    response = client.delete("/allocations/smp-2")
    assert response.status_code == 503
    assert app.state.store.location_of("smp-2").id == "FRZ80-1-R1-A1"
