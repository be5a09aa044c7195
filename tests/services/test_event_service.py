"""Event service through its ASGI app."""

from fastapi.testclient import TestClient

from services.event import EventSettings, Subscription, create_app
from tests.services.services_lab import UNREACHABLE, Lab

STORED = {
    "type": "sample.stored",
    "source": "storage",
    "payload": {"sample_id": "smp-1", "location_id": "FRZ80-1-R1-A1", "temperature_c": -80},
}


def test_accepts_an_event_and_assigns_id_and_time(lab: Lab) -> None:
    response = lab.event.post("/events", json=STORED)
    assert response.status_code == 201
    event = response.json()
    assert event["id"].startswith("evt-")
    assert event["type"] == "sample.stored"
    assert event["payload"]["location_id"] == "FRZ80-1-R1-A1"
    assert event["timestamp"].endswith(("Z", "+00:00"))
    assert lab.event.get(f"/events/{event['id']}").json() == event


def test_keeps_the_timestamp_it_is_given(lab: Lab) -> None:
    response = lab.event.post("/events", json={**STORED, "timestamp": "2026-03-01T10:00:00Z"})
    assert response.json()["timestamp"].startswith("2026-03-01T10:00:00")


def test_lists_by_type_and_source(lab: Lab) -> None:
    lab.event.post("/events", json=STORED)
    lab.event.post("/events", json={**STORED, "type": "storage.released"})
    lab.event.post("/events", json={**STORED, "source": "sequencing", "type": "sequencing.completed"})
    assert [e["type"] for e in lab.event.get("/events").json()] == [
        "sample.stored",
        "storage.released",
        "sequencing.completed",
    ]
    assert [e["type"] for e in lab.event.get("/events", params={"type": "storage.released"}).json()] == [
        "storage.released"
    ]
    assert len(lab.event.get("/events", params={"source": "storage"}).json()) == 2


def test_rejects_a_malformed_type_naming_the_field(lab: Lab) -> None:
    response = lab.event.post("/events", json={**STORED, "type": "Sample Stored"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("type: String should match pattern")
    assert lab.events.list() == []


def test_rejects_a_missing_source(lab: Lab) -> None:
    body = {k: v for k, v in STORED.items() if k != "source"}
    response = lab.event.post("/events", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "source", "message": "Field required", "type": "missing"}


def test_unknown_event_is_404(lab: Lab) -> None:
    response = lab.event.get("/events/evt-nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "event 'evt-nope' not found"}


def test_delivers_subscribed_events_to_the_notification_inbox(lab: Lab) -> None:
    event = lab.event.post("/events", json=STORED).json()
    deliveries = lab.notifications.list()
    assert len(deliveries) == 1
    assert deliveries[0].template == "sample_stored"
    assert deliveries[0].source_event_id == event["id"]


def test_does_not_deliver_types_nobody_subscribed_to(lab: Lab) -> None:
    lab.event.post("/events", json={**STORED, "type": "sample.registered"})
    assert lab.notifications.list() == []
    assert len(lab.events.list(type="sample.registered")) == 1


def test_a_subscriber_that_is_down_does_not_lose_the_event() -> None:
    settings = EventSettings(subscribers=[Subscription(url=UNREACHABLE + "/inbox", types=["sample.stored"])])
    app = create_app(settings)
    client = TestClient(app)
    response = client.post("/events", json=STORED)
    assert response.status_code == 201
    assert [e.id for e in app.state.store.list()] == [response.json()["id"]]


def test_the_delivered_message_is_the_event_as_json() -> None:
    from datetime import UTC, datetime

    from services.event import Event, as_message

    event = Event(
        id="evt-1",
        type="sample.stored",
        source="storage",
        payload={"sample_id": "S-1"},
        timestamp=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert as_message(event) == {
        "id": "evt-1",
        "type": "sample.stored",
        "source": "storage",
        "payload": {"sample_id": "S-1"},
        "timestamp": "2026-03-01T00:00:00Z",
    }
