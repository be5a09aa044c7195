"""The event service honours its two kinds of consumer, in two verifications (pact-python cannot verify HTTP
and message interactions in one run, issue #1456):

- storage, over HTTP: announcing events (`POST /events`);
- notification, by message: the event JSON the event service delivers to the notification inbox.

The messages are not written here by hand: each provider state makes its event happen the way the platform
does (the announcing service's `EventClient` posts it to a real event service), and the message producer
returns the bytes the event service then put on the wire to its subscriber. A change to the event service's
models, serialisation or subscriber routing therefore changes the message the consumer's pact is checked
against.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from contracts.verification import ProviderVerification
from provider_verification._pacts import PactSource
from services.event import EventSettings, Subscription, create_app
from services.notification import HANDLED_EVENT_TYPES
from services.runner import serve
from services.storage.clients import EventClient

# Where the platform subscribes the notification service (see `services.runner.build_apps`). The inbox is
# never reached: the event service's subscriber client is given `Inbox.transport`, which keeps the request.
NOTIFICATION_INBOX = "http://notification.invalid/event-messages"
DELIVERY_TIMEOUT_S = 5.0

http_verification = ProviderVerification("event", app_factory=lambda: create_app(EventSettings()))


class Inbox:
    """The requests the event service sent to its subscriber, read off the wire in place of the real inbox.

    Recording the bytes (rather than running the notification service) is the point: the message pact is
    about what the event service sends, not about what notification makes of it.
    """

    def __init__(self) -> None:
        self._messages: list[httpx.Request] = []
        self._arrived = threading.Condition()

    def transport(self) -> httpx.MockTransport:
        def receive(request: httpx.Request) -> httpx.Response:
            request.read()
            with self._arrived:
                self._messages.append(request)
                self._arrived.notify_all()
            return httpx.Response(201)

        return httpx.MockTransport(receive)

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()

    def delivered(self, event_type: str) -> httpx.Request:
        """The message delivered for the latest event of `event_type` (delivery runs after the response)."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT_S
        with self._arrived:
            while True:
                for request in reversed(self._messages):
                    if f'"type":"{event_type}"'.encode() in request.content:
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LookupError(
                        f"the event service delivered no {event_type} message to {NOTIFICATION_INBOX} "
                        f"within {DELIVERY_TIMEOUT_S:g} s (delivered: {len(self._messages)} other message(s))"
                    )
                self._arrived.wait(remaining)


def message_verification(event_url: str, inbox: Inbox, http: httpx.Client) -> ProviderVerification:
    """The event service's messages: each state announces an event to the event service at `event_url`
    (over `http`, one connection pool for the run rather than a client, and its TLS set-up, per state)."""
    verification = ProviderVerification("event")

    def state(name: str, event_type: str, source: str) -> None:
        @verification.state(name)
        def happened(parameters: dict[str, Any]) -> Callable[[], None]:
            # The announcing service's own client, as storage does it (sequencing events: the same call).
            inbox.clear()
            with EventClient(event_url, http=http) as events:
                events.publish(event_type, source, parameters)
            return inbox.clear

        @verification.message(f"a {event_type} event")
        def message() -> dict[str, Any]:
            request = inbox.delivered(event_type)
            return {
                "contents": request.content,
                "metadata": None,
                "content_type": request.headers.get("content-type"),
            }

    state("a sample was stored", "sample.stored", "storage")
    state("a sample was released from storage", "storage.released", "storage")
    state("a sequencing job completed", "sequencing.completed", "sequencing")
    state("a sequencing job failed", "sequencing.failed", "sequencing")
    return verification


def test_event_honours_storage(pact_source: PactSource) -> None:
    result = pact_source.verify(http_verification, consumers=["storage"])
    assert result.success, result.report()


def test_event_messages_honour_notification(pact_source: PactSource) -> None:
    inbox = Inbox()
    subscriber = httpx.Client(transport=inbox.transport())
    inbox_subscription = Subscription(url=NOTIFICATION_INBOX, types=sorted(HANDLED_EVENT_TYPES))
    app = create_app(EventSettings(subscribers=[inbox_subscription]), subscriber_http=subscriber)
    with subscriber, serve(app) as event_url, httpx.Client() as http:
        result = pact_source.verify(message_verification(event_url, inbox, http), consumers=["notification"])
    assert result.success, result.report()
