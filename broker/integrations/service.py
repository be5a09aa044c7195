"""Rules for integrations: listing them, and deleting one with everything that only it owns."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from broker.db.models import (
    Integration,
    LatestPactPublicationIdForConsumerVersion,
    LatestVerificationIdForPactVersionAndProviderVersion,
    Pacticipant,
    PactPublication,
    PactVersion,
    Verification,
)
from broker.errors import NotFound

Consumer = aliased(Pacticipant, name="consumer")
Provider = aliased(Pacticipant, name="provider")


def list_all(session: Session) -> list[tuple[Integration, Pacticipant, Pacticipant]]:
    stmt = (
        select(Integration, Consumer, Provider)
        .join(Consumer, Consumer.id == Integration.consumer_id)
        .join(Provider, Provider.id == Integration.provider_id)
        .order_by(Consumer.name, Provider.name)
    )
    return [(i, c, p) for i, c, p in session.execute(stmt)]


def delete_integration(session: Session, consumer: Pacticipant, provider: Pacticipant) -> None:
    """Removes the pacts and verifications between the two (the pacticipants and versions stay)."""
    found = session.execute(
        select(Integration).where(
            Integration.consumer_id == consumer.id, Integration.provider_id == provider.id
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No integration between {consumer.name} and {provider.name} found")
    pair_pv = (PactVersion.consumer_id == consumer.id) & (PactVersion.provider_id == provider.id)
    pact_versions = select(PactVersion.id).where(pair_pv).scalar_subquery()
    # Children first, explicitly, so it does not depend on the database enforcing ON DELETE CASCADE.
    session.execute(
        delete(LatestVerificationIdForPactVersionAndProviderVersion).where(
            LatestVerificationIdForPactVersionAndProviderVersion.pact_version_id.in_(pact_versions)
        )
    )
    session.execute(delete(Verification).where(Verification.pact_version_id.in_(pact_versions)))
    session.execute(
        delete(LatestPactPublicationIdForConsumerVersion).where(
            LatestPactPublicationIdForConsumerVersion.pact_version_id.in_(pact_versions)
        )
    )
    session.execute(delete(PactPublication).where(PactPublication.pact_version_id.in_(pact_versions)))
    session.execute(delete(PactVersion).where(pair_pv))
    session.execute(delete(Integration).where(Integration.id == found.id))
