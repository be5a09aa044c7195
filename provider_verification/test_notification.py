"""The notification service honours its HTTP consumer: sequencing (emails about jobs).

Notification calls nobody, so the app is built as it is deployed; its only state is the delivery log, which
each interaction starts empty.
"""

from collections.abc import Callable
from typing import Any

from contracts.verification import ProviderVerification
from provider_verification._pacts import PactSource
from services.notification import NotificationSettings, NotificationStore, create_app
from services.notification.templates import TEMPLATES

verification = ProviderVerification("notification", app_factory=lambda: create_app(NotificationSettings()))


def _deliveries() -> NotificationStore:
    store: NotificationStore = verification.app.state.store
    return store


@verification.state("the notification template exists")
def template_exists(parameters: dict[str, Any]) -> Callable[[], None]:
    # Templates are code, not data: a consumer relying on one that was renamed or removed must fail here,
    # naming the template, rather than as a puzzling 422 further on.
    name = parameters["template"]
    if name not in TEMPLATES:
        raise LookupError(f"no notification template {name!r}; templates: {', '.join(sorted(TEMPLATES))}")
    _deliveries().reset()
    return _deliveries().reset


def test_notification_honours_sequencing(pact_source: PactSource) -> None:
    result = pact_source.verify(verification, consumers=["sequencing"])
    assert result.success, result.report()
