"""Pact badges (reference: api/resources/badge.rb, badges/service.rb): a 307 to a shields.io image.

`![pact](https://broker/pacts/provider/Bar/consumer/Foo/latest/badge)` in a README shows whether the
latest pact between Foo and Bar is verified (green), failed (red) or not yet verified (grey).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from broker.api.deps import DbSession
from broker.api.routing import Router
from broker.pacticipants import repository as pacticipant_repo
from broker.pacts import repository as pact_repo
from broker.verifications import repository as verification_repo

router = Router()

PAIR = "/pacts/provider/{provider}/consumer/{consumer}"
SHIELDS = "https://img.shields.io/badge"
STATUS_COLOURS = {"verified": "brightgreen", "failed": "red", "unknown": "lightgrey"}


def _shields_text(text: str) -> str:
    # shields.io path syntax: '-' and '_' are separators, so they are doubled.
    return text.replace("-", "--").replace("_", "__").replace(" ", "%20").replace("/", "%2F")


def _status(
    db: Session, provider: str, consumer: str, *, tag: str | None = None, untagged: bool = False
) -> str:
    found = pacticipant_repo.find_by_names(db, [consumer, provider])
    if consumer not in found or provider not in found:
        return "unknown"
    rows = pact_repo.latest_per_integration(
        db, consumer_id=found[consumer].id, provider_id=found[provider].id, tag=tag, untagged=untagged
    )
    if not rows:
        return "unknown"
    latest = verification_repo.latest_for_pact_version(db, rows[0].pact_version.id)
    if latest is None:
        return "unknown"
    return "verified" if latest[0].success else "failed"


def _badge(request: Request, consumer: str, provider: str, status: str) -> RedirectResponse:
    label = request.query_params.get("label") or f"{consumer}/{provider} pact"
    url = f"{SHIELDS}/{_shields_text(label)}-{status}-{STATUS_COLOURS[status]}.svg"
    # Short caching: the badge must change soon after a new verification.
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "max-age=30"})


@router.get(PAIR + "/latest/badge")
@router.get(PAIR + "/latest/badge.svg")
def latest_badge(request: Request, provider: str, consumer: str, db: DbSession) -> RedirectResponse:
    return _badge(request, consumer, provider, _status(db, provider, consumer))


@router.get(PAIR + "/latest-untagged/badge")
@router.get(PAIR + "/latest-untagged/badge.svg")
def latest_untagged_badge(request: Request, provider: str, consumer: str, db: DbSession) -> RedirectResponse:
    return _badge(request, consumer, provider, _status(db, provider, consumer, untagged=True))


@router.get(PAIR + "/latest/{tag}/badge")
@router.get(PAIR + "/latest/{tag}/badge.svg")
def latest_tagged_badge(
    request: Request, provider: str, consumer: str, tag: str, db: DbSession
) -> RedirectResponse:
    return _badge(request, consumer, provider, _status(db, provider, consumer, tag=tag))
