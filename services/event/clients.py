"""Outgoing calls of the event service: delivering an event message to a subscriber."""

from typing import Any

from services.common.client import ServiceClient


class SubscriberClient(ServiceClient):
    """POSTs event messages to one subscriber URL (the full URL of its inbox)."""

    service = "subscriber"

    def deliver(self, message: dict[str, Any]) -> None:
        self._request("POST", "", json=message)
