"""Notification service: sends templated notifications and keeps the delivery log.

Endpoints:
    POST /notifications                          send {channel, recipient, template, data} → 201 Delivery
    GET  /notifications?recipient=&template=&channel=   the delivery log, oldest first, filtered
    GET  /notifications/{id}                     one delivery (404 if unknown)
    GET  /templates                              the known templates and the data keys each needs
    POST /event-messages                         inbox for event messages (pushed by the event service):
                                                 handled by `events.handle_event` → 201 Delivery,
                                                 422 for a message it cannot handle
    GET  /health                                 liveness

Unknown channels or templates, a recipient that does not fit its channel (email address, `#channel`/`@user`
for Slack, E.164 `+4412345678` for SMS) and template data lacking a key the template needs are all 422.
"Sending" records the rendered message in the log: the delivery log *is* this service's observable output.
"""

from services.notification.app import create_app
from services.notification.events import HANDLED_EVENT_TYPES, UnhandledMessage, handle_event
from services.notification.models import Delivery, NewNotification
from services.notification.settings import NotificationSettings
from services.notification.store import NotificationStore

__all__ = [
    "HANDLED_EVENT_TYPES",
    "Delivery",
    "NewNotification",
    "NotificationSettings",
    "NotificationStore",
    "UnhandledMessage",
    "create_app",
    "handle_event",
]
