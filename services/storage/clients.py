"""Outgoing calls of the storage service: announcing events.

`PublishedEvent` is the storage service's own view of the event service's answer: only the fields it reads.
"""

from typing import Any

from pydantic import BaseModel

from services.common.client import ServiceClient


class PublishedEvent(BaseModel):
    id: str
    type: str


class EventClient(ServiceClient):
    service = "event"

    def publish(self, type: str, source: str, payload: dict[str, Any]) -> PublishedEvent:
        """`POST /events`; raises `Unprocessable` if the event service refuses the event."""
        response = self._request("POST", "/events", json={"type": type, "source": source, "payload": payload})
        return self._parse(response, PublishedEvent)
