"""All SQL for webhooks: the webhooks and their events, triggered webhooks and their executions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from broker.db.direct import Direct
from broker.db.models import (
    BranchHead,
    BranchVersion,
    CurrentlyDeployedVersionId,
    Environment,
    LatestPactPublicationIdForConsumerVersion,
    LatestVerificationIdForPactVersionAndProviderVersion,
    Pacticipant,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
    utcnow,
)
from broker.webhooks.models import TriggeredWebhook, Webhook, WebhookEvent, WebhookExecution


@dataclass
class WebhookRecord:
    """A webhook with what its JSON needs: the pacticipant names and the event names."""

    webhook: Webhook
    consumer_name: str | None = None
    provider_name: str | None = None
    events: list[str] = field(default_factory=list)


def _records(session: Session, where: Sequence[object] = (), order: bool = True) -> list[WebhookRecord]:
    consumer = aliased(Pacticipant)
    provider = aliased(Pacticipant)
    stmt = (
        select(Webhook, consumer.name, provider.name)
        .outerjoin(consumer, consumer.id == Webhook.consumer_id)
        .outerjoin(provider, provider.id == Webhook.provider_id)
        .where(*where)  # type: ignore[arg-type]
    )
    if order:
        stmt = stmt.order_by(Webhook.id)
    return _with_events(session, [WebhookRecord(w, c, p) for w, c, p in session.execute(stmt).all()])


def _with_events(session: Session, records: list[WebhookRecord]) -> list[WebhookRecord]:
    if records:
        by_id = {r.webhook.id: r for r in records}
        events = select(WebhookEvent.webhook_id, WebhookEvent.name).where(WebhookEvent.webhook_id.in_(by_id))
        for webhook_id, name in session.execute(events.order_by(WebhookEvent.id)).all():
            by_id[webhook_id].events.append(name)
    return records


def find_by_uuid(session: Session, uuid: str) -> WebhookRecord | None:
    found = _records(session, [Webhook.uuid == uuid], order=False)
    return found[0] if found else None


def list_all(session: Session) -> list[WebhookRecord]:
    return _records(session)


def list_for(session: Session, consumer_id: int | None, provider_id: int | None) -> list[WebhookRecord]:
    """Webhooks scoped to exactly this consumer and/or provider (the pacticipant webhook lists)."""
    where = []
    if consumer_id is not None:
        where.append(Webhook.consumer_id == consumer_id)
    if provider_id is not None:
        where.append(Webhook.provider_id == provider_id)
    return _records(session, where)


def to_trigger(session: Session, consumer_id: int, provider_id: int, event_name: str) -> list[WebhookRecord]:
    """Enabled webhooks listening to `event_name` whose scope includes this consumer and provider.

    Label-scoped webhooks never match yet: the broker has no pacticipant labels.
    """
    listens = select(WebhookEvent.id).where(
        WebhookEvent.webhook_id == Webhook.id, WebhookEvent.name == event_name
    )
    return _records(
        session,
        [
            Webhook.enabled.is_(True),
            listens.exists(),
            or_(Webhook.consumer_id == consumer_id, Webhook.consumer_id.is_(None)),
            or_(Webhook.provider_id == provider_id, Webhook.provider_id.is_(None)),
            Webhook.consumer_label.is_(None),
            Webhook.provider_label.is_(None),
        ],
    )


_ListeningConsumer = aliased(Pacticipant, name="listening_consumer")
_ListeningProvider = aliased(Pacticipant, name="listening_provider")


def _listening_where(event_count: int) -> list[ColumnElement[bool]]:
    names: list[BindParameter[str]] = [bindparam(f"event_{i}") for i in range(event_count)]
    listens = select(WebhookEvent.id).where(
        WebhookEvent.webhook_id == Webhook.id, WebhookEvent.name.in_(names)
    )
    return [
        Webhook.enabled.is_(True),
        listens.exists(),
        or_(Webhook.consumer_id == bindparam("consumer_id"), Webhook.consumer_id.is_(None)),
        or_(Webhook.provider_id == bindparam("provider_id"), Webhook.provider_id.is_(None)),
        Webhook.consumer_label.is_(None),
        Webhook.provider_label.is_(None),
    ]


@lru_cache(maxsize=8)
def _any_listening(event_count: int) -> Direct:
    # Built once per number of events (one bind each): this runs on every publication and verification,
    # nearly always to find that no webhook listens.
    return Direct(select(Webhook.id).where(*_listening_where(event_count)).limit(1))


@lru_cache(maxsize=8)
def _listening(event_count: int) -> Select[Webhook, str | None, str | None]:
    return (
        select(Webhook, _ListeningConsumer.name, _ListeningProvider.name)
        .outerjoin(_ListeningConsumer, _ListeningConsumer.id == Webhook.consumer_id)
        .outerjoin(_ListeningProvider, _ListeningProvider.id == Webhook.provider_id)
        .where(*_listening_where(event_count))
        .order_by(Webhook.id)
    )


def listening(
    session: Session, consumer_id: int, provider_id: int, event_names: Sequence[str]
) -> dict[str, list[WebhookRecord]]:
    """`to_trigger` of several events at once: one direct query when no webhook listens (publishing costs
    nothing more when none is configured), three when some do."""
    params: dict[str, object] = {"consumer_id": consumer_id, "provider_id": provider_id}
    params |= {f"event_{i}": name for i, name in enumerate(event_names)}
    if _any_listening(len(event_names)).first(session, params) is None:
        return {name: [] for name in event_names}
    rows = session.execute(_listening(len(event_names)), params).all()
    records = _with_events(session, [WebhookRecord(w, c, p) for w, c, p in rows])
    return {name: [r for r in records if name in r.events] for name in event_names}


def save(session: Session, webhook: Webhook, events: Sequence[str]) -> None:
    """Insert or update `webhook` and replace its events."""
    webhook.updated_at = utcnow()
    session.add(webhook)
    session.flush()
    session.execute(delete(WebhookEvent).where(WebhookEvent.webhook_id == webhook.id))
    session.add_all(WebhookEvent(webhook_id=webhook.id, name=name) for name in events)
    session.flush()


def delete_webhook(session: Session, webhook: Webhook) -> None:
    session.delete(webhook)
    session.flush()


def add_triggered(session: Session, triggered: TriggeredWebhook) -> TriggeredWebhook:
    session.add(triggered)
    session.flush()
    return triggered


def find_triggered(session: Session, triggered_id: int) -> TriggeredWebhook | None:
    return session.get(TriggeredWebhook, triggered_id)


def find_triggered_by_uuid(session: Session, uuid: str) -> TriggeredWebhook | None:
    return session.scalars(select(TriggeredWebhook).where(TriggeredWebhook.uuid == uuid)).first()


def add_execution(session: Session, execution: WebhookExecution) -> None:
    session.add(execution)
    session.flush()


def executions(session: Session, triggered_id: int) -> list[WebhookExecution]:
    stmt = select(WebhookExecution).where(WebhookExecution.triggered_webhook_id == triggered_id)
    return list(session.scalars(stmt.order_by(WebhookExecution.id)))


@dataclass(frozen=True)
class LatestPact:
    consumer_version_number: str
    sha: str
    verification_number: int | None
    verification_success: bool | None
    provider_version_number: str | None


def latest_pact(session: Session, consumer_id: int, provider_id: int) -> LatestPact | None:
    """The newest pact between two pacticipants and its newest verification (for test executions)."""
    lp = LatestPactPublicationIdForConsumerVersion
    row = session.execute(
        select(Version.number, PactVersion.sha, PactVersion.id)
        .select_from(lp)
        .join(Version, Version.id == lp.consumer_version_id)
        .join(PactVersion, PactVersion.id == lp.pact_version_id)
        .where(lp.consumer_id == consumer_id, lp.provider_id == provider_id)
        .order_by(Version.order.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    number, sha, pact_version_id = row
    lv = LatestVerificationIdForPactVersionAndProviderVersion
    verification = session.execute(
        select(Verification.number, Verification.success, Version.number)
        .join(lv, lv.verification_id == Verification.id)
        .join(Version, Version.id == Verification.provider_version_id)
        .where(lv.pact_version_id == pact_version_id)
        .order_by(Verification.number.desc())
        .limit(1)
    ).first()
    if verification is None:
        return LatestPact(number, sha, None, None, None)
    return LatestPact(number, sha, verification[0], verification[1], verification[2])


def set_status(session: Session, triggered_id: int, status: str) -> None:
    triggered = session.get(TriggeredWebhook, triggered_id)
    if triggered is not None:
        triggered.status = status
        triggered.updated_at = utcnow()
        session.flush()


@dataclass(frozen=True)
class KnownVerification:
    """The verification a pact's publication events report (status and result URL templates)."""

    number: int
    success: bool
    provider_version_id: int
    provider_version_number: str


def verification_for_pact(
    session: Session, pact_version_id: int, provider: Pacticipant
) -> KnownVerification | None:
    """The newest verification of this content by the provider's main branch, or else the newest at all
    (reference: event_listener.rb find_latest_from_main_branch_for_pact, then pact.latest_verification).
    Served by ix_verifications_pact_version_id_provider_version_id."""
    stmt = (
        select(Verification.number, Verification.success, Version.id, Version.number)
        .join(Version, Version.id == Verification.provider_version_id)
        .where(Verification.pact_version_id == pact_version_id)
        .order_by(Verification.id.desc())
        .limit(1)
    )
    found = None
    if provider.main_branch:
        on_main = select(BranchVersion.id).where(
            BranchVersion.version_id == Version.id, BranchVersion.branch_name == provider.main_branch
        )
        found = session.execute(stmt.where(on_main.exists())).first()
    if found is None:
        found = session.execute(stmt).first()
    return KnownVerification(found[0], found[1], found[2], found[3]) if found else None


def unfinished(session: Session) -> list[tuple[int, int]]:
    """(id, attempts made) of triggered webhooks still waiting or retrying, oldest first (resumed at start).
    Served by a full scan: it runs once per start, and finished ones are the norm."""
    attempts = (
        select(func.count(WebhookExecution.id))
        .where(WebhookExecution.triggered_webhook_id == TriggeredWebhook.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(TriggeredWebhook.id, attempts)
        .where(TriggeredWebhook.status.in_(("not_run", "retrying")))
        .order_by(TriggeredWebhook.id)
    ).all()
    return [(triggered_id, int(made)) for triggered_id, made in rows]


def version_labels(session: Session, version_id: int) -> tuple[list[str], str | None]:
    """The tag names of a version and its newest branch (template parameters)."""
    tags = list(
        session.scalars(select(Tag.name).where(Tag.version_id == version_id).order_by(Tag.created_at))
    )
    branch = session.scalar(
        select(BranchVersion.branch_name)
        .where(BranchVersion.version_id == version_id)
        .order_by(BranchVersion.id.desc())
        .limit(1)
    )
    return tags, branch


@dataclass
class RequiredVerification:
    """A provider version that should verify a new pact: the head of its main branch, or deployed or
    released somewhere, and not yet verified this content (reference: calculate_required_verifications)."""

    version_id: int
    number: str
    branch: str | None = None
    descriptions: list[str] = field(default_factory=list)


def required_verifications(
    session: Session, pact_version_id: int, provider: Pacticipant
) -> list[RequiredVerification]:
    found: dict[int, RequiredVerification] = {}

    def add(version_id: int, number: str, description: str, branch: str | None = None) -> None:
        entry = found.setdefault(version_id, RequiredVerification(version_id, number))
        entry.branch = entry.branch or branch
        if description not in entry.descriptions:
            entry.descriptions.append(description)

    if provider.main_branch:
        head = session.execute(
            select(Version.id, Version.number)
            .join(BranchHead, BranchHead.version_id == Version.id)
            .where(BranchHead.pacticipant_id == provider.id, BranchHead.branch_name == provider.main_branch)
        ).first()
        if head is not None:
            add(head[0], head[1], "latest from main branch", provider.main_branch)
    deployed = session.execute(
        select(Version.id, Version.number, Environment.name)
        .join(CurrentlyDeployedVersionId, CurrentlyDeployedVersionId.version_id == Version.id)
        .join(Environment, Environment.id == CurrentlyDeployedVersionId.environment_id)
        .where(CurrentlyDeployedVersionId.pacticipant_id == provider.id)
        .order_by(Environment.name, Version.order)
    )
    for version_id, number, environment in deployed:
        add(version_id, number, f"deployed in {environment}")
    released = session.execute(
        select(Version.id, Version.number, Environment.name)
        .join(ReleasedVersion, ReleasedVersion.version_id == Version.id)
        .join(Environment, Environment.id == ReleasedVersion.environment_id)
        .where(ReleasedVersion.pacticipant_id == provider.id, ReleasedVersion.support_ended_at.is_(None))
        .order_by(Environment.name, Version.order)
    )
    for version_id, number, environment in released:
        add(version_id, number, f"released in {environment}")
    if not found:
        return []
    verified = set(
        session.scalars(
            select(Verification.provider_version_id).where(
                Verification.pact_version_id == pact_version_id, Verification.provider_version_id.in_(found)
            )
        )
    )
    required = [entry for version_id, entry in found.items() if version_id not in verified]
    for entry in required:
        if entry.branch is None:
            entry.branch = version_labels(session, entry.version_id)[1]
    return required


def triggered_for(
    session: Session,
    consumer_id: int,
    provider_id: int,
    *,
    consumer_version: str | None = None,
    verification: int | None = None,
) -> list[tuple[TriggeredWebhook, Webhook, int]]:
    """What a publication (of `consumer_version`) or a verification (number `verification`) triggered,
    with the attempts made, oldest first. Both live in the stored context of the triggered webhook; a
    publication's context may name a verification too (the one its status parameters report), so the
    event name tells them apart."""
    attempts = (
        select(func.count(WebhookExecution.id))
        .where(WebhookExecution.triggered_webhook_id == TriggeredWebhook.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(TriggeredWebhook, Webhook, attempts)
        .join(Webhook, Webhook.id == TriggeredWebhook.webhook_id)
        .where(TriggeredWebhook.consumer_id == consumer_id, TriggeredWebhook.provider_id == provider_id)
        .order_by(TriggeredWebhook.id)
    ).all()
    out = []
    for triggered, webhook, made in rows:
        context = json.loads(triggered.context)
        by_verification = triggered.event_name.startswith("provider_verification_")
        if verification is not None:
            wanted = by_verification and context.get("verification_number") == verification
        else:
            wanted = not by_verification and context.get("consumer_version_number") == consumer_version
        if wanted:
            out.append((triggered, webhook, int(made)))
    return out
