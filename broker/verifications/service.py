"""Rules for verification results: validation, the provider version, WIP/pending from the URL metadata,
and the webhook events a published result fires."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from broker.answer_cache import generations
from broker.db.models import Pacticipant, PactVersion, Verification, Version
from broker.errors import NotFound, ValidationFailed
from broker.pacts.metadata import PactMetadata
from broker.pacts.repository import PactRow
from broker.verifiable_pacts.repository import wip_verified_cutoff
from broker.verifications import repository
from broker.versions import service as versions
from broker.webhooks import service as webhooks
from broker.webhooks.settings import WebhookSettings


def validate(body: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(body.get("success"), bool):
        errors["success"] = ["is required and must be true or false"]
    number = body.get("providerApplicationVersion")
    if not isinstance(number, str) or not number.strip():
        errors["providerApplicationVersion"] = ["is required: a non-blank version number"]
    elif "\n" in number:
        errors["providerApplicationVersion"] = ["must be a single line"]
    build_url = body.get("buildUrl")
    if build_url is not None and (not isinstance(build_url, str) or not urlparse(build_url).scheme):
        errors["buildUrl"] = ["must be a URL"]
    if "verifiedBy" in body and body["verifiedBy"] is not None and not isinstance(body["verifiedBy"], dict):
        errors["verifiedBy"] = ["must be an object"]
    if errors:
        raise ValidationFailed(errors)


def existing_provider_version(
    session: Session, provider: Pacticipant, body: dict[str, Any]
) -> Version | None:
    """The provider version a valid result names, if it exists already (a reader's look-up, which
    `broker.db.engine.reads_before_write_lock` can run before the write begins)."""
    validate(body)
    return versions.find(session, provider, body["providerApplicationVersion"])


def create(
    session: Session,
    pact_version: PactVersion,
    provider: Pacticipant,
    body: dict[str, Any],
    metadata: PactMetadata,
    *,
    execution_date: datetime | None = None,
    provider_version: Version | None = None,
) -> tuple[Verification, Version]:
    """`provider_version`: the one the body names, when it was found already (`existing_provider_version`)."""
    validate(body)
    created = False
    if provider_version is None:
        provider_version, created = versions.find_or_create(
            session, provider, body["providerApplicationVersion"]
        )
    test_results = body.get("testResults")
    verified_by = body.get("verifiedBy")
    values = {
        "pact_version_id": pact_version.id,
        "provider_version_id": provider_version.id,
        "provider_id": provider.id,
        "consumer_id": pact_version.consumer_id,
        "success": body["success"],
        "wip": metadata.wip,
        "pact_pending": metadata.pending,
        "build_url": body.get("buildUrl"),
        "test_results": json.dumps(test_results) if test_results is not None else None,
        "verified_by": json.dumps(verified_by) if verified_by is not None else None,
        "execution_date": execution_date,
    }
    _count_for_cached_answers(session, values, created)
    verification = repository.create(session, values)
    return verification, provider_version


def _count_for_cached_answers(session: Session, values: dict[str, Any], version_created: bool) -> None:
    """A result changes the cached can-i-deploy answers of both parties to the pact, and a cached
    for-verification answer of its provider only if it is a success that counts where none counted before:
    pending and WIP end with successes alone, and one the same provider version already made for the same
    content (so with the same branches and tags, earlier, and inside the WIP look-back) decides everything
    this one would. Provider builds re-verify every few minutes; most of their results change nothing
    there."""
    # Every result is seen by the deployment questions of both parties to the pact.
    generations.changes(
        session, generations.results(values["consumer_id"]), generations.results(values["provider_id"])
    )
    # The cut-off of this minute's kept answers; those of earlier minutes are older, so still covered.
    since = wip_verified_cutoff(datetime.now(UTC))
    if values["success"] and (version_created or not repository.succeeded_before(session, values, since)):
        # A version this result created has no branch or tag yet.
        if version_created or not versions.has_branch_or_tags(session, values["provider_version_id"]):
            generations.changes(session, generations.unbranched_successes(values["provider_id"]))
        else:
            generations.changes(session, values["provider_id"])


def publish(
    session: Session,
    row: PactRow,
    provider: Pacticipant,
    body: dict[str, Any],
    metadata: PactMetadata,
    *,
    base_url: str,
    webhook_settings: WebhookSettings | None = None,
    provider_version: Version | None = None,
) -> tuple[Verification, Version]:
    """A result published by a provider build for the pact in `row`: recorded, then
    `provider_verification_published` and `..._succeeded` or `..._failed` fire (reference:
    verifications/service.rb#create and #broadcast_events). The webhooks run once the transaction commits.
    `provider_version`: as `create`'s."""
    verification, provider_version = create(
        session, row.pact_version, provider, body, metadata, provider_version=provider_version
    )
    webhooks.verification_published(
        session, row, verification, provider_version, base_url=base_url, settings=webhook_settings
    )
    return verification, provider_version


def get(session: Session, pact_version: PactVersion, number: str) -> tuple[Verification, Version]:
    if number == "latest":
        found = repository.latest_for_pact_version(session, pact_version.id)
    else:
        found = repository.find_by_number(session, pact_version.id, int(number)) if number.isdigit() else None
    if found is None:
        raise NotFound(f"No verification result {number!r} found for pact version {pact_version.sha}")
    return found
