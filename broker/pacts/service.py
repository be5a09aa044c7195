"""Rules for publishing and finding pacts."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from broker.db.models import Pacticipant, Version
from broker.errors import Conflict, NotFound, ValidationFailed
from broker.integrations import repository as integrations
from broker.pacticipants import service as pacticipants
from broker.pacts import content as pact_content
from broker.pacts import repository
from broker.pacts.repository import PactRow

MAX_DIFF_LINES = 60


@dataclass(frozen=True)
class PublishOutcome:
    row: PactRow
    created: bool  # a new publication (first, or a permitted changed revision)
    content_changed: bool  # differs from the previous consumer version's pact (or first publication)


def check_names(pact: dict[str, Any], consumer: str, provider: str, field: str = "body") -> None:
    """The pact's own consumer/provider names must be the ones it is published under."""
    errors: list[str] = []
    for role, expected in (("consumer", consumer), ("provider", provider)):
        party = pact.get(role)
        actual = party.get("name") if isinstance(party, dict) else None
        if actual is None:
            errors.append(f"the pact has no {role}.name")
        elif actual != expected:
            errors.append(f"{role} name in the pact ({actual!r}) does not match {role} name {expected!r}")
    if errors:
        raise ValidationFailed({field: errors})


def conflict_message(consumer: str, version: str, provider: str) -> str:
    return (
        f"Cannot change the content of the pact for {consumer} version {version} and provider {provider}, "
        "as race conditions will cause unreliable results for can-i-deploy. Each pact must be published with "
        "a unique consumer version number. Some Pact libraries generate random data when a concrete value "
        "for a type matcher is not specified, and this can cause the contract to change between test runs."
    )


def diff(old: str, new: dict[str, Any]) -> str:
    before = json.dumps(json.loads(old), indent=2, sort_keys=True).splitlines()
    after = json.dumps(new, indent=2, sort_keys=True).splitlines()
    lines = list(difflib.unified_diff(before, after, "published", "new", lineterm="", n=2))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... ({len(lines) - MAX_DIFF_LINES} more lines)"]
    return "\n".join(lines)


def publish(
    session: Session,
    consumer: Pacticipant,
    provider: Pacticipant,
    consumer_version: Version,
    pact: dict[str, Any],
    *,
    allow_modification: bool = False,
    sha: str | None = None,
    merge: bool = False,
    version_created: bool = False,
) -> PublishOutcome:
    """Publishes `pact` for the consumer version. Identical content again is a no-op; changed content is a
    409 unless `allow_modification`, and then replaces the pact, or with `merge` (onConflict=merge) adds its
    interactions to it. Integrations are NOT touched here: callers do it once, at the end.
    `version_created`: this transaction created the consumer version, so it has no pact to compare with."""
    sha = sha or pact_content.sha(pact)
    existing = (
        None
        if version_created
        else repository.latest_for_consumer_version(session, consumer_version.id, provider.id)
    )
    if existing is not None and existing.pact_version.sha == sha:
        return PublishOutcome(existing, created=False, content_changed=False)
    if existing is not None and not allow_modification:
        # As the reference: the SHA of the submitted content decides, whatever onConflict says.
        raise changed_content_conflict(consumer, provider, consumer_version, existing, pact)
    if existing is not None and merge:
        pact = pact_content.merge(json.loads(existing.pact_version.content), pact)
        sha = pact_content.sha(pact)
        if sha == existing.pact_version.sha:
            return PublishOutcome(existing, created=False, content_changed=False)
    pact_version, previous = repository.find_content(
        session, consumer.id, provider.id, sha, consumer_version.order
    )
    if pact_version is None:
        # New content: no earlier version can have published it, unless a concurrent request just did.
        stored = json.dumps(pact, separators=(",", ":"), ensure_ascii=False)
        pact_version, created = repository.create_pact_version(session, consumer.id, provider.id, sha, stored)
        if not created:
            previous = repository.previous_content_id(
                session, consumer.id, provider.id, consumer_version.order
            )
    revision = existing.publication.revision_number + 1 if existing else 1
    publication = repository.create_publication(
        session, consumer_version, provider.id, pact_version, revision
    )
    if publication is None:
        # A concurrent request published this revision first: same content is fine, other content is not.
        row = repository.latest_for_consumer_version(session, consumer_version.id, provider.id)
        assert row is not None
        if row.pact_version.sha != sha:
            raise changed_content_conflict(consumer, provider, consumer_version, row, pact)
        return PublishOutcome(row, created=False, content_changed=False)
    # Everything the row holds was just written or loaded: no need to read it back.
    row = PactRow(publication, pact_version, consumer_version, consumer, provider)
    return PublishOutcome(row, created=True, content_changed=previous != pact_version.id)


def changed_content_conflict(
    consumer: Pacticipant, provider: Pacticipant, version: Version, existing: PactRow, pact: dict[str, Any]
) -> Conflict:
    message = conflict_message(consumer.name, version.number, provider.name)
    body = {
        "notices": [
            {"type": "error", "text": message},
            {"type": "info", "text": diff(existing.pact_version.content, pact)},
        ],
        "errors": {"contracts": [message]},
    }
    return Conflict(message, body)


def touch_integrations(session: Session, pairs: list[tuple[int, int]]) -> None:
    integrations.touch(session, pairs)


def get_for_version(
    session: Session, consumer: Pacticipant, provider: Pacticipant, version: Version
) -> PactRow:
    row = repository.latest_for_consumer_version(session, version.id, provider.id)
    if row is None:
        raise NotFound(f"No pact between {consumer.name} version {version.number} and {provider.name} found")
    return row


def get_latest(
    session: Session,
    consumer: Pacticipant,
    provider: Pacticipant,
    *,
    tag: str | None = None,
    branch: str | None = None,
) -> PactRow:
    rows = repository.latest_per_integration(
        session, consumer_id=consumer.id, provider_id=provider.id, tag=tag, branch=branch
    )
    if not rows:
        what = f" with tag '{tag}'" if tag else f" on branch '{branch}'" if branch else ""
        raise NotFound(f"No pact between {consumer.name}{what} and {provider.name} found")
    return rows[0]


def get_by_sha(session: Session, consumer: Pacticipant, provider: Pacticipant, sha: str) -> PactRow:
    pact_version = repository.find_pact_version(session, consumer.id, provider.id, sha)
    row = repository.latest_for_pact_version(session, pact_version.id) if pact_version else None
    if row is None:
        raise NotFound(f"No pact between {consumer.name} and {provider.name} with SHA {sha} found")
    return row


def get_by_names_and_sha(session: Session, consumer_name: str, provider_name: str, sha: str) -> PactRow:
    """`get_by_sha` from the names in a /pact-version URL, in one query when all three exist."""
    row = repository.latest_for_sha(session, consumer_name, provider_name, sha)
    if row is not None:
        return row
    # Something is missing: the slow path says what (No pacticipant with name ... / No pact ...).
    consumer = pacticipants.get(session, consumer_name)
    provider = pacticipants.get(session, provider_name)
    return get_by_sha(session, consumer, provider, sha)


def delete(session: Session, consumer: Pacticipant, provider: Pacticipant, version: Version) -> None:
    get_for_version(session, consumer, provider, version)
    repository.delete_for_consumer_version(session, version.id, provider.id)
