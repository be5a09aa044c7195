"""Event service: the platform's event log, and the hand that delivers events to their subscribers.

Endpoints:
    POST /events                 accept an event {type, source, payload, timestamp?} → 201 Event (id assigned)
    GET  /events?type=&source=   list events, oldest first, optionally filtered by type and/or source
    GET  /events/{id}            one event (404 if unknown)
    GET  /health                 liveness

Every accepted event is also a *message*: its JSON (`Event`: id, type, source, payload, timestamp) is
POSTed after the response to each subscriber whose `types` include it (`EventSettings.subscribers`;
`contracts services up` subscribes the notification service's `POST /event-messages`). Delivery failures are
logged, never undo the accepted event: the log is the source of truth, subscribers are best effort.
"""

from services.event.app import create_app
from services.event.messages import as_message
from services.event.models import Event, NewEvent
from services.event.settings import EventSettings, Subscription
from services.event.store import EventStore

__all__ = [
    "Event",
    "EventSettings",
    "EventStore",
    "NewEvent",
    "Subscription",
    "as_message",
    "create_app",
]
