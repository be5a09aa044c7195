"""SQL for integrations; updated once per publish request, at the end (reference PR #654)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.db.models import Integration, utcnow
from broker.db.sql import insert_ignore


def touch(session: Session, pairs: Iterable[tuple[int, int]]) -> None:
    """Create missing integrations and bump `contract_data_updated_at`, in a stable order (no deadlocks)."""
    now = utcnow()
    for consumer_id, provider_id in sorted(set(pairs)):
        values = {
            "consumer_id": consumer_id,
            "provider_id": provider_id,
            "contract_data_updated_at": now,
            "created_at": now,
        }
        if not insert_ignore(session, Integration, values, ["consumer_id", "provider_id"]):
            session.execute(
                update(Integration)
                .where(Integration.consumer_id == consumer_id, Integration.provider_id == provider_id)
                .values(contract_data_updated_at=now)
            )


def for_provider(session: Session, provider_id: int) -> list[Integration]:
    return list(session.execute(select(Integration).where(Integration.provider_id == provider_id)).scalars())
