"""The notification service as a *message consumer*: turning platform events into notifications.

`handle_event` is a plain function of the decoded message body (the event service's `Event` JSON:
`{"id", "type", "source", "payload", "timestamp"}`), so a Pact message-pact test can call it directly:

    delivery = handle_event({"type": "sample.stored", "payload": {"sample_id": "S-1",
                             "location_id": "FRZ80-1-R1-A1", "temperature_c": -80}})
    assert delivery.template == "sample_stored"

What it reads from each event type:
    sample.stored          payload.sample_id, payload.location_id, payload.temperature_c → Slack, lab channel
    storage.released       payload.sample_id, payload.location_id                       → Slack, lab channel
    sequencing.completed   payload.job_id, payload.sample_ids, payload.platform, payload.requested_by → email
    sequencing.failed      payload.job_id, payload.sample_ids, payload.reason, payload.requested_by   → email
Anything else, or a message lacking one of those fields, raises `UnhandledMessage` saying what was wrong.
"""

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from services.common.errors import Unprocessable
from services.common.http import field_name
from services.notification.models import Delivery, NewNotification
from services.notification.service import NotificationService, render
from services.notification.settings import DEFAULT_LAB_CHANNEL
from services.notification.store import NotificationStore


class UnhandledMessage(Unprocessable):
    """The message is not one this consumer understands (unknown type, or a field it needs is missing)."""


class EventMessage(BaseModel):
    """The part of an event message this consumer reads."""

    type: str
    payload: dict[str, Any]
    id: str | None = None


def _lab(template: str, keys: tuple[str, ...]) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def build(payload: dict[str, Any], lab_channel: str) -> dict[str, Any]:
        return {
            "channel": "slack",
            "recipient": lab_channel,
            "template": template,
            "data": {k: payload[k] for k in keys},
        }

    return build


def _requester(template: str, keys: tuple[str, ...]) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def build(payload: dict[str, Any], lab_channel: str) -> dict[str, Any]:
        return {
            "channel": "email",
            "recipient": payload["requested_by"],
            "template": template,
            "data": {k: payload[k] for k in keys},
        }

    return build


_HANDLERS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "sample.stored": _lab("sample_stored", ("sample_id", "location_id", "temperature_c")),
    "storage.released": _lab("sample_released", ("sample_id", "location_id")),
    "sequencing.completed": _requester("sequencing_completed", ("job_id", "sample_ids", "platform")),
    "sequencing.failed": _requester("sequencing_failed", ("job_id", "sample_ids", "reason")),
}

HANDLED_EVENT_TYPES: frozenset[str] = frozenset(_HANDLERS)


def handle_event(
    message: Mapping[str, Any],
    store: NotificationStore | None = None,
    *,
    lab_channel: str = DEFAULT_LAB_CHANNEL,
) -> Delivery:
    """Turn one event message into a delivery; record it in `store` when one is given.

    Raises `UnhandledMessage` for a message of a type not listed above or lacking a field it needs.
    """
    try:
        event = EventMessage.model_validate(message)
    except ValidationError as exc:
        problems = "; ".join(f"{field_name(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UnhandledMessage(f"not an event message: {problems}") from exc
    build = _HANDLERS.get(event.type)
    if build is None:
        raise UnhandledMessage(
            f"cannot handle event type {event.type!r}; handled types: {', '.join(sorted(_HANDLERS))}"
        )
    try:
        request = NewNotification.model_validate(build(event.payload, lab_channel))
    except KeyError as exc:
        raise UnhandledMessage(f"{event.type} message lacks payload.{exc.args[0]}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{field_name(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise UnhandledMessage(f"{event.type} message cannot become a notification: {problems}") from exc
    if store is None:
        return render(request, delivery_id=NotificationStore.new_id(), source_event_id=event.id)
    return NotificationService(store).send(request, source_event_id=event.id)
