"""The rules of sending: render the template, record the delivery."""

from datetime import UTC, datetime

from services.common.errors import NotFound
from services.notification.models import Delivery, NewNotification
from services.notification.store import NotificationStore
from services.notification.templates import TEMPLATES


def render(new: NewNotification, *, delivery_id: str, source_event_id: str | None = None) -> Delivery:
    subject, body = TEMPLATES[new.template].render(new.data)
    return Delivery(
        id=delivery_id,
        channel=new.channel,
        recipient=new.recipient,
        template=new.template,
        data=new.data,
        subject=subject,
        body=body,
        created_at=datetime.now(UTC),
        source_event_id=source_event_id,
    )


class NotificationService:
    def __init__(self, store: NotificationStore) -> None:
        self.store = store

    def send(self, new: NewNotification, *, source_event_id: str | None = None) -> Delivery:
        delivery = render(new, delivery_id=self.store.new_id(), source_event_id=source_event_id)
        return self.store.add(delivery)

    def get(self, delivery_id: str) -> Delivery:
        delivery = self.store.get(delivery_id)
        if delivery is None:
            raise NotFound(f"notification {delivery_id!r} not found")
        return delivery
