"""Pacts: legacy publish (PUT/PATCH/DELETE) and every way of reading them (reference: api/resources/pact.rb,
latest_pact.rb, pact_version.rb, provider_pacts.rb, latest_pacts.rb)."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy.orm import Session

from broker.api import decorators
from broker.api.badges import router as badges_router
from broker.api.deps import DbSession, JsonBody, Settings, UrlBuilder
from broker.api.hal import HalResponse, Urls
from broker.api.routing import Router
from broker.api.webhooks import Settings as WebhookSettings
from broker.db.models import Pacticipant
from broker.errors import NotFound, ValidationFailed
from broker.pacticipants import service as pacticipants
from broker.pacts import metadata as pact_metadata
from broker.pacts import repository as pact_repo
from broker.pacts import service as pacts
from broker.pacts.repository import PactRow
from broker.publishing import service as publishing
from broker.versions import service as versions

router = Router()
# Badges first: `/latest/badge` must not be taken for the pact tagged "badge".
router.include_router(badges_router)

PROVIDER = "/pacts/provider/{provider}"
PAIR = PROVIDER + "/consumer/{consumer}"


def _pact_response(
    urls: Urls, row: PactRow, *, status: int = 200, metadata: str | None = None
) -> HalResponse:
    return HalResponse(decorators.pact(urls, row, metadata), status_code=status)


def _latest_response(urls: Urls, row: PactRow, tag: str | None = None) -> HalResponse:
    # The metadata ties results published from this URL back to the consumer version (reference metadata.rb).
    meta = {"cvt": [tag], "cv": row.consumer_version.id} if tag else {"cv": row.consumer_version.id}
    response = _pact_response(urls, row, metadata=pact_metadata.encode(meta))
    response.headers["X-Pact-Consumer-Version"] = row.consumer_version.number
    return response


def _pair(db: Session, provider: str, consumer: str) -> tuple[Pacticipant, Pacticipant]:
    return pacticipants.get(db, consumer), pacticipants.get(db, provider)


# --- legacy publish ---------------------------------------------------------------------------------


@router.put(PAIR + "/version/{version}")
def put_pact(
    provider: str,
    consumer: str,
    version: str,
    body: JsonBody,
    db: DbSession,
    settings: Settings,
    webhook_settings: WebhookSettings,
    urls: UrlBuilder,
) -> HalResponse:
    """Publishes the raw pact JSON; 201 when new, 200 when the same content was already there."""
    outcome, _ = publishing.publish_pact(
        db,
        consumer,
        provider,
        version,
        body,
        allow_modification=settings.allow_dangerous_contract_modification,
        base_url=urls.base,
        webhook_settings=webhook_settings,
    )
    first = outcome.created and outcome.row.publication.revision_number == 1
    return _pact_response(urls, outcome.row, status=201 if first else 200)


@router.patch(PAIR + "/version/{version}")
def patch_pact(
    provider: str,
    consumer: str,
    version: str,
    body: JsonBody,
    db: DbSession,
    webhook_settings: WebhookSettings,
    urls: UrlBuilder,
) -> HalResponse:
    """Merges the interactions into the existing pact (409 if one with the same description/state differs)."""
    outcome, existed = publishing.publish_pact(
        db,
        consumer,
        provider,
        version,
        body,
        allow_modification=True,
        merge=True,
        base_url=urls.base,
        webhook_settings=webhook_settings,
    )
    return _pact_response(urls, outcome.row, status=200 if existed else 201)


@router.get(PAIR + "/version/{version}")
def get_pact(provider: str, consumer: str, version: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    return _pact_response(urls, pacts.get_for_version(db, c, p, versions.get(db, c, version)))


@router.delete(PAIR + "/version/{version}", status_code=204)
def delete_pact(provider: str, consumer: str, version: str, db: DbSession) -> Response:
    c, p = _pair(db, provider, consumer)
    pacts.delete(db, c, p, versions.get(db, c, version))
    return Response(status_code=204)


# --- latest pacts for an integration ----------------------------------------------------------------


@router.get(PAIR + "/latest")
def latest_pact(provider: str, consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    return _latest_response(urls, pacts.get_latest(db, c, p))


@router.get(PAIR + "/latest-untagged")
def latest_untagged_pact(provider: str, consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    rows = pact_repo.latest_per_integration(db, consumer_id=c.id, provider_id=p.id, untagged=True)
    if not rows:
        raise NotFound(f"No untagged pact between {consumer} and {provider} found")
    return _latest_response(urls, rows[0])


@router.get(PAIR + "/latest/{tag}")
def latest_tagged_pact(
    provider: str, consumer: str, tag: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    return _latest_response(urls, pacts.get_latest(db, c, p, tag=tag), tag)


@router.get(PAIR + "/branch/{branch}/latest")
def latest_branch_pact(
    provider: str, consumer: str, branch: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    return _latest_response(urls, pacts.get_latest(db, c, p, branch=branch))


@router.get(PAIR + "/versions")
def all_pact_versions(provider: str, consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    rows = pact_repo.all_for_integration(db, c.id, p.id)
    return _pact_list(
        urls, p, rows, urls("pacts", "provider", provider, "consumer", consumer, "versions"), "All versions"
    )


@router.get(PAIR + "/tag/{tag}")
def tagged_pact_versions(
    provider: str, consumer: str, tag: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    rows = pact_repo.all_for_integration(db, c.id, p.id, tag=tag)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "consumer", consumer, "tag", tag),
        f"Pacts tagged {tag}",
    )


@router.get(PAIR + "/branch/{branch}")
def branch_pact_versions(
    provider: str, consumer: str, branch: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    rows = pact_repo.all_for_integration(db, c.id, p.id, branch=branch)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "consumer", consumer, "branch", branch),
        f"Pacts on branch {branch}",
    )


# --- by content SHA ---------------------------------------------------------------------------------


@router.get(PAIR + "/pact-version/{sha}")
def pact_version(provider: str, consumer: str, sha: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    c, p = _pair(db, provider, consumer)
    return _pact_response(urls, pacts.get_by_sha(db, c, p, sha))


@router.get(PAIR + "/pact-version/{sha}/metadata/{metadata}")
def pact_version_with_metadata(
    provider: str, consumer: str, sha: str, metadata: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    """The URL for-verification hands out; its results link carries the same metadata back."""
    try:
        pact_metadata.decode(metadata)
    except pact_metadata.InvalidMetadata as exc:
        raise ValidationFailed.one("metadata", str(exc)) from None
    c, p = _pair(db, provider, consumer)
    return _pact_response(urls, pacts.get_by_sha(db, c, p, sha), metadata=metadata)


# --- lists ------------------------------------------------------------------------------------------


def _pact_list(
    urls: Urls, provider: Pacticipant, rows: list[PactRow], self_href: str, title: str
) -> HalResponse:
    return HalResponse(decorators.provider_pacts(urls, provider, rows, self_href, title))


@router.get("/pacts/latest")
def latest_pacts(db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(
        decorators.latest_pacts(urls, pact_repo.latest_per_integration(db), urls("pacts", "latest"))
    )


@router.get(PROVIDER)
def provider_pacts(provider: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.all_for_provider(db, p.id)
    return _pact_list(
        urls, p, rows, urls("pacts", "provider", provider), f"All pact versions for the provider {provider}"
    )


@router.get(PROVIDER + "/latest")
def latest_provider_pacts(provider: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.latest_per_integration(db, provider_id=p.id)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "latest"),
        f"Latest pact versions for the provider {provider}",
    )


@router.get(PROVIDER + "/latest/{tag}")
def latest_provider_pacts_with_tag(provider: str, tag: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.latest_per_integration(db, provider_id=p.id, tag=tag)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "latest", tag),
        f"Latest pact versions for the provider {provider} with consumer version tag '{tag}'",
    )


@router.get(PROVIDER + "/tag/{tag}")
def provider_pacts_with_tag(provider: str, tag: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.all_for_provider(db, p.id, tag=tag)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "tag", tag),
        f"All pact versions for the provider {provider} with consumer version tag '{tag}'",
    )


@router.get(PROVIDER + "/branch/latest")
def latest_provider_pacts_main_branch(provider: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.latest_per_integration(db, provider_id=p.id, main_branch=True)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "branch", "latest"),
        f"Latest main branch pacts for the provider {provider}",
    )


@router.get(PROVIDER + "/branch/{branch}/latest")
def latest_provider_pacts_with_branch(
    provider: str, branch: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    p = pacticipants.get(db, provider)
    rows = pact_repo.latest_per_integration(db, provider_id=p.id, branch=branch)
    return _pact_list(
        urls,
        p,
        rows,
        urls("pacts", "provider", provider, "branch", branch, "latest"),
        f"Latest pacts for the provider {provider} from consumer branch '{branch}'",
    )
