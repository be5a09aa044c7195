"""`/integrations` and `/metrics` (reference: api/resources/integrations.rb, integration.rb, metrics.rb)."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy import func, select

from broker.api.deps import DbSession, UrlBuilder
from broker.api.hal import HalResponse, link, timestamp
from broker.api.routing import Router
from broker.db.models import (
    DeployedVersion,
    Environment,
    Integration,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Verification,
    Version,
)
from broker.integrations import service as integrations
from broker.pacticipants import service as pacticipants

router = Router()


@router.get("/integrations")
def list_integrations(db: DbSession, urls: UrlBuilder) -> HalResponse:
    items = [
        {
            "consumer": {"name": c.name, "_links": {"self": link(urls.pacticipant(c.name))}},
            "provider": {"name": p.name, "_links": {"self": link(urls.pacticipant(p.name))}},
            "createdAt": timestamp(i.created_at),
            "contractDataUpdatedAt": timestamp(i.contract_data_updated_at),
            "_links": {
                "pb:latest-pact": link(
                    urls("pacts", "provider", p.name, "consumer", c.name, "latest"), title="Latest pact"
                ),
                "pb:dashboard": link(urls("integrations", "provider", p.name, "consumer", c.name)),
            },
        }
        for i, c, p in integrations.list_all(db)
    ]
    return HalResponse({"_embedded": {"integrations": items}, "_links": {"self": link(urls("integrations"))}})


@router.delete("/integrations/provider/{provider}/consumer/{consumer}", status_code=204)
def delete_integration(provider: str, consumer: str, db: DbSession) -> Response:
    integrations.delete_integration(db, pacticipants.get(db, consumer), pacticipants.get(db, provider))
    return Response(status_code=204)


@router.get("/metrics")
def metrics(db: DbSession) -> HalResponse:
    """Row counts, one COUNT per table (the reference's /metrics, reduced to what we store)."""

    def count(model: type) -> int:
        return int(db.execute(select(func.count()).select_from(model)).scalar_one())

    return HalResponse(
        {
            "pacticipants": {"count": count(Pacticipant)},
            "integrations": {"count": count(Integration)},
            "pactPublications": {"count": count(PactPublication)},
            "pactVersions": {"count": count(PactVersion)},
            "verificationResults": {"count": count(Verification)},
            "pacticipantVersions": {"count": count(Version)},
            "environments": {"count": count(Environment)},
            "deployedVersions": {"count": count(DeployedVersion)},
            "releasedVersions": {"count": count(ReleasedVersion)},
        }
    )
