"""Verification results (reference: api/resources/verifications.rb, verification.rb,
latest_verifications_for_consumer_version.rb)."""

from __future__ import annotations

from broker.api import decorators
from broker.api.deps import DbSession, JsonBody, UrlBuilder, commit_now
from broker.api.hal import HalResponse, link
from broker.api.routing import Router
from broker.api.webhooks import Settings as WebhookSettings
from broker.db.engine import reads_before_write_lock
from broker.errors import ValidationFailed
from broker.pacticipants import service as pacticipants
from broker.pacts import metadata as pact_metadata
from broker.pacts import repository as pact_repo
from broker.pacts import service as pacts
from broker.verifications import repository as verification_repo
from broker.verifications import service as verifications
from broker.versions import service as versions

router = Router()

PACT_VERSION = "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}"


def _publish(
    provider: str,
    consumer: str,
    sha: str,
    metadata: str | None,
    body: dict[str, object],
    db: DbSession,
    urls: UrlBuilder,
    webhook_settings: WebhookSettings,
) -> HalResponse:
    try:
        meta = pact_metadata.parse(metadata)
    except pact_metadata.InvalidMetadata as exc:
        raise ValidationFailed.one("metadata", str(exc)) from None
    with reads_before_write_lock(db):  # the pact and an existing provider version cannot change under us
        row = pacts.get_by_names_and_sha(db, consumer, provider, sha)
        existing = verifications.existing_provider_version(db, row.provider, body)
    verification, provider_version = verifications.publish(
        db,
        row,
        row.provider,
        body,
        meta,
        base_url=urls.base,
        webhook_settings=webhook_settings,
        provider_version=existing,
    )
    commit_now(db)
    out = decorators.verification(urls, row, verification, provider_version, consumer, provider, sha)
    return HalResponse(out, status_code=201, headers={"Location": out["_links"]["self"]["href"]})


@router.post(PACT_VERSION + "/verification-results")
def publish_verification(
    provider: str,
    consumer: str,
    sha: str,
    body: JsonBody,
    db: DbSession,
    urls: UrlBuilder,
    webhook_settings: WebhookSettings,
) -> HalResponse:
    return _publish(provider, consumer, sha, None, body, db, urls, webhook_settings)


@router.post(PACT_VERSION + "/metadata/{metadata}/verification-results")
def publish_verification_with_metadata(
    provider: str,
    consumer: str,
    sha: str,
    metadata: str,
    body: JsonBody,
    db: DbSession,
    urls: UrlBuilder,
    webhook_settings: WebhookSettings,
) -> HalResponse:
    """Results for a pact reached through for-verification: the metadata says whether it was WIP/pending."""
    return _publish(provider, consumer, sha, metadata, body, db, urls, webhook_settings)


@router.get(PACT_VERSION + "/verification-results/{number}")
def get_verification(
    provider: str, consumer: str, sha: str, number: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    c, p = pacticipants.get(db, consumer), pacticipants.get(db, provider)
    row = pacts.get_by_sha(db, c, p, sha)
    verification, provider_version = verifications.get(db, row.pact_version, number)
    return HalResponse(
        decorators.verification(urls, row, verification, provider_version, consumer, provider, sha)
    )


@router.get("/verification-results/consumer/{consumer}/version/{version}/latest")
def latest_verifications_for_consumer_version(
    consumer: str, version: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    """The newest result for each of the consumer version's pacts, and whether all of them passed."""
    c = pacticipants.get(db, consumer)
    v = versions.get(db, c, version)
    rows = pact_repo.for_consumer_version(db, v.id)
    latest = verification_repo.latest_for_pact_versions(db, [r.pact_version.id for r in rows])
    results: list[dict[str, object]] = []
    summary: dict[str, list[str]] = {"successful": [], "failed": [], "unknown": []}
    for row in rows:
        found = latest.get(row.pact_version.id)
        if found is None:
            summary["unknown"].append(row.provider.name)
            continue
        verification, provider_version = found
        summary["successful" if verification.success else "failed"].append(row.provider.name)
        results.append(
            decorators.verification(
                urls, row, verification, provider_version, consumer, row.provider.name, row.pact_version.sha
            )
        )
    success = bool(rows) and not summary["failed"] and not summary["unknown"]
    self_href = urls("verification-results", "consumer", consumer, "version", version, "latest")
    return HalResponse(
        {
            "success": success,
            "providerSummary": summary,
            "_embedded": {"verificationResults": results},
            "_links": {"self": link(self_href, title="Latest verification results for consumer version")},
        }
    )
