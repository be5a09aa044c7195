"""The in-memory delivery log. Tests and provider-state handlers seed it with `add`, empty it with `reset`."""

import threading
import uuid

from services.notification.models import Delivery


class NotificationStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: dict[str, Delivery] = {}

    def reset(self) -> None:
        with self._lock:
            self._deliveries.clear()

    @staticmethod
    def new_id() -> str:
        return f"ntf-{uuid.uuid4().hex[:12]}"

    def add(self, delivery: Delivery) -> Delivery:
        with self._lock:
            self._deliveries[delivery.id] = delivery
        return delivery

    def get(self, delivery_id: str) -> Delivery | None:
        with self._lock:
            return self._deliveries.get(delivery_id)

    def list(
        self, recipient: str | None = None, template: str | None = None, channel: str | None = None
    ) -> list[Delivery]:
        with self._lock:
            deliveries = list(self._deliveries.values())
        return [
            d
            for d in deliveries
            if (recipient is None or d.recipient == recipient)
            and (template is None or d.template == template)
            and (channel is None or d.channel == channel)
        ]
