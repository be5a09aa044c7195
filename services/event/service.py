"""The rules of the event log: assign ids and times, and decide who hears about what."""

import logging

import httpx

from services.common.errors import NotFound, ServiceError
from services.event.clients import SubscriberClient
from services.event.messages import as_message
from services.event.models import Event, NewEvent, utcnow
from services.event.settings import Subscription
from services.event.store import EventStore

log = logging.getLogger(__name__)


class EventService:
    def __init__(
        self,
        store: EventStore,
        subscribers: list[Subscription],
        http_timeout_s: float = 5.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.store = store
        self.subscribers = subscribers
        self.http_timeout_s = http_timeout_s
        self.http = http  # None: each delivery opens its own connection

    def accept(self, new: NewEvent) -> Event:
        event = Event(
            id=self.store.new_id(),
            type=new.type,
            source=new.source,
            payload=new.payload,
            timestamp=new.timestamp or utcnow(),
        )
        return self.store.add(event)

    def get(self, event_id: str) -> Event:
        event = self.store.get(event_id)
        if event is None:
            raise NotFound(f"event {event_id!r} not found")
        return event

    def subscribers_for(self, event: Event) -> list[Subscription]:
        return [s for s in self.subscribers if event.type in s.types]

    def deliver(self, event: Event) -> None:
        """Best effort: a subscriber that refuses or is down is logged; the event stays accepted."""
        message = as_message(event)
        for subscription in self.subscribers_for(event):
            with SubscriberClient(subscription.url, http=self.http, timeout=self.http_timeout_s) as client:
                try:
                    client.deliver(message)
                except ServiceError as exc:
                    log.warning("event %s not delivered to %s: %s", event.id, subscription.url, exc)
