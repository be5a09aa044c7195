"""The messages the event service delivers: one accepted event, as JSON.

This is the provider side of the event → notification message pact: a provider-verification test builds
the `Event` its state describes and offers `as_message(event)` as the message body.

    as_message(Event(id="evt-1", type="sample.stored", source="storage",
                     payload={"sample_id": "S-1", "location_id": "FRZ80-1-R1-A1", "temperature_c": -80},
                     timestamp=datetime(2026, 3, 1, tzinfo=UTC)))
    # {"id": "evt-1", "type": "sample.stored", "source": "storage", "payload": {...},
    #  "timestamp": "2026-03-01T00:00:00Z"}
"""

from typing import Any

from services.event.models import Event

MESSAGE_CONTENT_TYPE = "application/json"


def as_message(event: Event) -> dict[str, Any]:
    """The body POSTed to subscribers for `event`."""
    return event.model_dump(mode="json")
