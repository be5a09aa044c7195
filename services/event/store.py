"""The in-memory event log. Tests and provider-state handlers seed it with `add` and empty it with `reset`."""

import threading
import uuid

from services.event.models import Event


class EventStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, Event] = {}

    def reset(self) -> None:
        with self._lock:
            self._events.clear()

    @staticmethod
    def new_id() -> str:
        return f"evt-{uuid.uuid4().hex[:12]}"

    def add(self, event: Event) -> Event:
        """Record `event` as given (its id included); an event with the same id is replaced."""
        with self._lock:
            self._events[event.id] = event
        return event

    def get(self, event_id: str) -> Event | None:
        with self._lock:
            return self._events.get(event_id)

    def list(self, type: str | None = None, source: str | None = None) -> list[Event]:
        with self._lock:
            events = list(self._events.values())
        return [
            e for e in events if (type is None or e.type == type) and (source is None or e.source == source)
        ]
