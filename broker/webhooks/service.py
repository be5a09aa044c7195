"""Webhook rules: create, update, delete, list, test-execute, and `fire` for broker events.

Where the rest of the broker calls in, inside the transaction that made the event happen:
`broker.publishing.service` calls `pact_published` for each pact it publishes (the all-in-one and the
legacy endpoints), `broker.verifications.service.publish` calls `verification_published`. For any other
event: `webhooks.fire(session, event_name, {"consumer_name": ..., ...})`.

`fire` records a triggered webhook for each enabled webhook that listens to the event and covers the
pact's consumer and provider, in the caller's transaction. They are handed to the background
dispatcher only after that transaction commits, so a rolled-back publication triggers nothing and a
webhook never sees data that is not there yet. The request never waits for a webhook.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid as uuid_lib
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from broker.db.engine import make_session_factory, session_scope
from broker.db.models import Pacticipant, Verification, Version, utcnow
from broker.errors import NotFound
from broker.pacticipants import repository as pacticipants
from broker.pacts.repository import PactRow
from broker.webhooks import repository
from broker.webhooks.dispatcher import STATUS_NOT_RUN, dispatcher_for
from broker.webhooks.execution import ExecutionResult, execute
from broker.webhooks.models import TriggeredWebhook, Webhook
from broker.webhooks.repository import WebhookRecord
from broker.webhooks.settings import WebhookSettings
from broker.webhooks.validation import (
    CONTRACT_CONTENT_CHANGED,
    CONTRACT_PUBLISHED,
    CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
    EVENT_NAMES,
    VERIFICATION_FAILED,
    VERIFICATION_PUBLISHED,
    VERIFICATION_SUCCEEDED,
    WebhookSpec,
    validate,
)

__all__ = [
    "EVENT_NAMES",
    "EventContext",
    "Triggered",
    "create",
    "delete",
    "fire",
    "get",
    "list_all",
    "list_for",
    "pact_published",
    "put",
    "resume",
    "test_execute",
    "test_execute_unsaved",
    "verification_published",
]

log = logging.getLogger("broker.webhooks")

_PENDING = "broker.webhooks.pending"
_SECRET = "**********"


class EventContext(TypedDict, total=False):
    """What happened, as far as webhook templates care. `consumer_name` and `provider_name` are required."""

    base_url: str  # the broker's external base URL (links in ${pactbroker.pactUrl} etc.)
    consumer_name: str
    provider_name: str
    consumer_version_number: str
    consumer_version_branch: str
    consumer_version_tags: list[str]
    pact_version_sha: str
    provider_version_number: str
    provider_version_branch: str
    provider_version_tags: list[str]
    provider_version_descriptions: list[str]
    verification_number: int
    verification_success: bool
    build_url: str
    currently_deployed_provider_version_number: str


@dataclass(frozen=True)
class Triggered:
    """A webhook an event triggered (what the publish notices name; its logs are at
    /triggered-webhooks/{uuid}/logs)."""

    uuid: str
    event_name: str
    webhook_uuid: str
    webhook_description: str | None


def next_uuid() -> str:
    """Like the reference's `SecureRandom.urlsafe_base64`: 22 URL-safe characters."""
    return secrets.token_urlsafe(16)


def _settings(settings: WebhookSettings | None) -> WebhookSettings:
    return settings or WebhookSettings()


def _apply(webhook: Webhook, spec: WebhookSpec, consumer_id: int | None, provider_id: int | None) -> None:
    webhook.description = spec.description
    webhook.consumer_id = consumer_id
    webhook.provider_id = provider_id
    webhook.consumer_label = spec.consumer.label if spec.consumer else None
    webhook.provider_label = spec.provider.label if spec.provider else None
    webhook.enabled = spec.enabled
    webhook.method = spec.method
    webhook.url = spec.url
    webhook.headers = json.dumps(spec.headers) if spec.headers else None
    webhook.body = json.dumps(spec.body) if spec.has_body and spec.body is not None else None
    webhook.username = spec.username
    webhook.password = spec.password


def create(
    session: Session,
    body: dict[str, Any],
    *,
    uuid: str | None = None,
    consumer: Pacticipant | None = None,
    provider: Pacticipant | None = None,
    settings: WebhookSettings | None = None,
) -> WebhookRecord:
    """A new webhook. `consumer`/`provider` (from a URL like /webhooks/provider/P/consumer/C) take the
    place of the body's; otherwise the body's names (which must exist) or labels scope it."""
    spec = validate(session, body, _settings(settings), uuid=uuid)
    webhook = Webhook(uuid=uuid or next_uuid(), created_at=utcnow())
    consumer_id = consumer.id if consumer else (spec.consumer.id if spec.consumer else None)
    provider_id = provider.id if provider else (spec.provider.id if spec.provider else None)
    _apply(webhook, spec, consumer_id, provider_id)
    repository.save(session, webhook, spec.events)
    return get(session, webhook.uuid)


def put(
    session: Session, uuid: str, body: dict[str, Any], *, settings: WebhookSettings | None = None
) -> tuple[WebhookRecord, bool]:
    """PUT /webhooks/{uuid}: creates (True) or replaces (False) the webhook.

    The password and Authorization-like headers are shown starred in responses, so a body that sends
    them back starred (or leaves the password out) keeps the stored values, as the reference does.
    """
    existing = repository.find_by_uuid(session, uuid)
    if existing is None:
        return create(session, body, uuid=uuid, settings=settings), True
    spec = validate(session, body, _settings(settings), uuid=uuid)
    webhook = existing.webhook
    if not spec.password_given or _starred(spec.password):
        spec.password = webhook.password
    stored_headers: dict[str, str] = json.loads(webhook.headers) if webhook.headers else {}
    for name, value in spec.headers.items():
        if _starred(value) and name in stored_headers:
            spec.headers[name] = stored_headers[name]
    _apply(
        webhook,
        spec,
        spec.consumer.id if spec.consumer else None,
        spec.provider.id if spec.provider else None,
    )
    repository.save(session, webhook, spec.events)
    return get(session, uuid), False


def _starred(value: str | None) -> bool:
    return value is not None and value != "" and set(value) == {"*"}


def get(session: Session, uuid: str) -> WebhookRecord:
    record = repository.find_by_uuid(session, uuid)
    if record is None:
        raise NotFound(f"No webhook with uuid {uuid} found")
    return record


def delete(session: Session, uuid: str) -> None:
    repository.delete_webhook(session, get(session, uuid).webhook)


def list_all(session: Session) -> list[WebhookRecord]:
    return repository.list_all(session)


def pacticipant(session: Session, name: str) -> Pacticipant:
    found = pacticipants.find_by_name(session, name)
    if found is None:
        raise NotFound(f"No pacticipant with name '{name}' found")
    return found


def list_for(
    session: Session, consumer: Pacticipant | None, provider: Pacticipant | None
) -> list[WebhookRecord]:
    return repository.list_for(session, consumer.id if consumer else None, provider.id if provider else None)


# --- events ----------------------------------------------------------------------------------------


def fire(
    session: Session, event_name: str, context: EventContext, settings: WebhookSettings | None = None
) -> list[str]:
    """Records the webhooks `event_name` triggers; they run after `session` commits. Returns their uuids.

    Call it inside the transaction that made the event happen, e.g. after a pact is published
    (`contract_published`, and `contract_content_changed` when the content is new for the integration)
    or a verification is recorded (`provider_verification_published` plus `..._succeeded`/`..._failed`).
    """
    return [t.uuid for t in _fire(session, event_name, context, settings)]


def _fire(
    session: Session,
    event_name: str,
    context: EventContext,
    settings: WebhookSettings | None,
    listening: tuple[int, int, list[WebhookRecord]] | None = None,
) -> list[Triggered]:
    """`listening`: the consumer and provider ids and the webhooks listening to the event, when the caller
    has them already."""
    if event_name not in EVENT_NAMES:
        raise ValueError(f"unknown webhook event {event_name!r}; expected one of {', '.join(EVENT_NAMES)}")
    if listening is None:
        consumer = pacticipants.find_by_name(session, context["consumer_name"])
        provider = pacticipants.find_by_name(session, context["provider_name"])
        if consumer is None or provider is None:
            return []
        listening = (
            consumer.id,
            provider.id,
            repository.to_trigger(session, consumer.id, provider.id, event_name),
        )
    consumer_id, provider_id, records = listening
    triggered_ids: list[int] = []
    out: list[Triggered] = []
    if not records:
        return out
    stored_context = json.dumps({**context, "event_name": event_name})
    for record in records:
        triggered = repository.add_triggered(
            session,
            TriggeredWebhook(
                uuid=str(uuid_lib.uuid4()),
                webhook_id=record.webhook.id,
                webhook_uuid=record.webhook.uuid,
                event_name=event_name,
                trigger_type="resource_creation",
                consumer_id=consumer_id,
                provider_id=provider_id,
                context=stored_context,
                status=STATUS_NOT_RUN,
            ),
        )
        triggered_ids.append(triggered.id)
        out.append(Triggered(triggered.uuid, event_name, record.webhook.uuid, record.webhook.description))
    if triggered_ids:
        _run_after_commit(session, triggered_ids, _settings(settings))
    return out


def _run_after_commit(session: Session, triggered_ids: list[int], settings: WebhookSettings) -> None:
    pending: list[tuple[int, WebhookSettings]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        engine = session.get_bind()

        @event.listens_for(session, "after_commit")
        def _submit(_session: Session) -> None:
            jobs = session.info.pop(_PENDING, [])
            dispatcher = dispatcher_for(engine)  # type: ignore[arg-type]
            for triggered_id, job_settings in jobs:
                dispatcher.submit(triggered_id, job_settings)
            session.info[_PENDING] = []

        @event.listens_for(session, "after_rollback")
        def _forget(_session: Session) -> None:
            session.info[_PENDING] = []

    pending.extend((triggered_id, settings) for triggered_id in triggered_ids)


# --- the broker's events, ready-made for the publish and verification routes ---------------------------


def pact_published(
    session: Session,
    row: PactRow,
    *,
    content_changed: bool,
    base_url: str,
    build_url: str | None = None,
    settings: WebhookSettings | None = None,
) -> list[Triggered]:
    """Fires the events of one publication (reference: webhooks/event_listener.rb):
    `contract_published` always, `contract_content_changed` when the content differs from the previous
    publication, and `contract_requiring_verification_published` once per provider version that should
    verify it (head of the main branch, deployed or released) and has not. Returns what was triggered.
    """
    events = [CONTRACT_PUBLISHED, CONTRACT_REQUIRING_VERIFICATION_PUBLISHED]
    if content_changed:
        events.append(CONTRACT_CONTENT_CHANGED)
    pair = (row.consumer.id, row.provider.id)
    listening = repository.listening(session, *pair, events)
    if not any(listening.values()):
        return []  # no webhook to trigger: none of the template parameters are needed
    tags, branch = repository.version_labels(session, row.consumer_version.id)
    context: EventContext = {
        "base_url": base_url,
        "consumer_name": row.consumer.name,
        "provider_name": row.provider.name,
        "consumer_version_number": row.consumer_version.number,
        "consumer_version_tags": tags,
        "pact_version_sha": row.pact_version.sha,
    }
    if branch is not None:
        context["consumer_version_branch"] = branch
    if build_url or row.consumer_version.build_url:
        context["build_url"] = build_url or row.consumer_version.build_url or ""
    # The status parameters (${pactbroker.githubVerificationStatus}, ...) report what is known of this
    # content already: the main branch's newest verification of it, else any (as the reference).
    known = repository.verification_for_pact(session, row.pact_version.id, row.provider)
    if known is not None:
        context["verification_number"] = known.number
        context["verification_success"] = known.success
    published_context: EventContext = {**context}
    if known is not None:
        provider_tags, provider_branch = repository.version_labels(session, known.provider_version_id)
        published_context["provider_version_number"] = known.provider_version_number
        published_context["provider_version_tags"] = provider_tags
        if provider_branch is not None:
            published_context["provider_version_branch"] = provider_branch
    triggered = _fire(
        session, CONTRACT_PUBLISHED, published_context, settings, (*pair, listening[CONTRACT_PUBLISHED])
    )
    if content_changed:
        triggered += _fire(
            session,
            CONTRACT_CONTENT_CHANGED,
            published_context,
            settings,
            (*pair, listening[CONTRACT_CONTENT_CHANGED]),
        )
    required_listeners = (*pair, listening[CONTRACT_REQUIRING_VERIFICATION_PUBLISHED])
    if not required_listeners[2]:
        return triggered  # nobody listens: the provider versions that should verify are not needed
    for required in repository.required_verifications(session, row.pact_version.id, row.provider):
        required_context: EventContext = {
            **context,
            "provider_version_number": required.number,
            "provider_version_descriptions": required.descriptions,
        }
        if required.branch is not None:
            required_context["provider_version_branch"] = required.branch
        triggered += _fire(
            session, CONTRACT_REQUIRING_VERIFICATION_PUBLISHED, required_context, settings, required_listeners
        )
    return triggered


def verification_published(
    session: Session,
    row: PactRow,
    verification: Verification,
    provider_version: Version,
    *,
    base_url: str,
    settings: WebhookSettings | None = None,
) -> list[Triggered]:
    """Fires `provider_verification_published` and `..._succeeded` or `..._failed` for a verification of
    the pact in `row` (reference: verifications/service.rb#broadcast_events)."""
    outcome = VERIFICATION_SUCCEEDED if verification.success else VERIFICATION_FAILED
    pair = (row.consumer.id, row.provider.id)
    listening = repository.listening(session, *pair, [VERIFICATION_PUBLISHED, outcome])
    if not any(listening.values()):
        return []  # no webhook to trigger: none of the template parameters are needed
    consumer_tags, consumer_branch = repository.version_labels(session, row.consumer_version.id)
    provider_tags, provider_branch = repository.version_labels(session, provider_version.id)
    context: EventContext = {
        "base_url": base_url,
        "consumer_name": row.consumer.name,
        "provider_name": row.provider.name,
        "consumer_version_number": row.consumer_version.number,
        "consumer_version_tags": consumer_tags,
        "pact_version_sha": row.pact_version.sha,
        "provider_version_number": provider_version.number,
        "provider_version_tags": provider_tags,
        "verification_number": verification.number,
        "verification_success": verification.success,
    }
    if consumer_branch is not None:
        context["consumer_version_branch"] = consumer_branch
    if provider_branch is not None:
        context["provider_version_branch"] = provider_branch
    if verification.build_url:
        context["build_url"] = verification.build_url
    return _fire(
        session, VERIFICATION_PUBLISHED, context, settings, (*pair, listening[VERIFICATION_PUBLISHED])
    ) + _fire(session, outcome, context, settings, (*pair, listening[outcome]))


def resume(engine: Engine, settings: WebhookSettings | None = None) -> int:
    """Hands the triggered webhooks a stopped broker left waiting (not_run) or retrying to this process's
    dispatcher; returns how many. Called when the app starts: the dispatcher keeps its queue in memory
    only, so without this they would never run. Each goes on from the attempts already made.

    At least once, not exactly once: one that was being sent when the process stopped is sent again, and
    brokers sharing a database each resume all of them (set PACT_BROKER_WEBHOOK_RESUME_ON_START=false on
    all but one)."""
    chosen = _settings(settings)
    if not chosen.resume_on_start:
        return 0
    try:
        with session_scope(make_session_factory(engine)) as session:
            pending = repository.unfinished(session)
    except SQLAlchemyError:
        # A broker started on a database that is not migrated yet: no webhooks to resume.
        log.warning("could not look for unfinished triggered webhooks", exc_info=True)
        return 0
    dispatcher = dispatcher_for(engine)
    for triggered_id, attempts_made in pending:
        dispatcher.submit(triggered_id, chosen, attempt=min(attempts_made, len(chosen.retry_schedule)))
    if pending:
        log.info("resumed %d triggered webhooks left unfinished", len(pending))
    return len(pending)


# --- test execution (POST /webhooks/{uuid}/execute) -------------------------------------------------


def test_execute(
    session: Session, uuid: str, base_url: str, settings: WebhookSettings | None = None
) -> tuple[WebhookRecord, ExecutionResult]:
    """Sends the webhook now, for real, as if triggered by the latest pact between its consumer and
    provider (placeholders stay empty when there is none). Nothing is stored."""
    record = get(session, uuid)
    session.expunge(record.webhook)  # no database work waits on the remote server
    return record, _execute_for_test(session, record, base_url, _settings(settings))


def test_execute_unsaved(
    session: Session, body: dict[str, Any], base_url: str, settings: WebhookSettings | None = None
) -> tuple[WebhookRecord, ExecutionResult]:
    """POST /webhooks/execute: validates and sends a webhook that is not stored (to try one out first)."""
    spec = validate(session, body, _settings(settings))
    webhook = Webhook(uuid="unsaved", created_at=utcnow(), updated_at=utcnow())
    _apply(
        webhook,
        spec,
        spec.consumer.id if spec.consumer else None,
        spec.provider.id if spec.provider else None,
    )
    record = WebhookRecord(
        webhook,
        spec.consumer.name if spec.consumer else None,
        spec.provider.name if spec.provider else None,
        spec.events,
    )
    return record, _execute_for_test(session, record, base_url, _settings(settings))


def _execute_for_test(
    session: Session, record: WebhookRecord, base_url: str, settings: WebhookSettings
) -> ExecutionResult:
    webhook = record.webhook
    context: dict[str, Any] = {
        "base_url": base_url,
        "event_name": "test",
        "consumer_name": record.consumer_name or "",
        "provider_name": record.provider_name or "",
    }
    if webhook.consumer_id is not None and webhook.provider_id is not None:
        latest = repository.latest_pact(session, webhook.consumer_id, webhook.provider_id)
        if latest is not None:
            context |= {
                "consumer_version_number": latest.consumer_version_number,
                "pact_version_sha": latest.sha,
                "verification_number": latest.verification_number,
                "verification_success": latest.verification_success,
                "provider_version_number": latest.provider_version_number,
            }
    return execute(webhook, context, settings, failure_message="Webhook execution failed")
