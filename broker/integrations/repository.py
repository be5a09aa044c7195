"""SQL for integrations; updated once per publish request, at the end (reference PR #654)."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.direct import Direct
from broker.db.models import Integration, utcnow


def _upsert(dialect: ModuleType) -> Any:
    stmt = dialect.insert(Integration.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["consumer_id", "provider_id"],
        set_={"contract_data_updated_at": stmt.excluded.contract_data_updated_at},
    )


_UPSERT = Direct(_upsert, columns=("consumer_id", "provider_id", "contract_data_updated_at", "created_at"))


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
        _UPSERT.run(session, values)


def for_provider(session: Session, provider_id: int) -> list[Integration]:
    return list(session.execute(select(Integration).where(Integration.provider_id == provider_id)).scalars())
