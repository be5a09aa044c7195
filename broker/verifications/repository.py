"""SQL for verifications and the latest-verification pointer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from broker.db.direct import Direct
from broker.db.models import (
    LatestVerificationIdForPactVersionAndProviderVersion as LatestVerification,
)
from broker.db.models import Verification, Version, utcnow
from broker.db.sql import attach_written, next_verification_number_value

_verifications = Verification.__table__.c
# Every column but the two the database assigns (id, number).
_INSERTED = [c.name for c in Verification.__table__.c if c.name not in ("id", "number")]
_INSERT = Direct(
    lambda dialect: (
        dialect.insert(Verification.__table__)
        .values(number=next_verification_number_value(dialect))
        .returning(_verifications.id, _verifications.number)
    ),
    columns=_INSERTED,
)


def _upsert_latest(dialect: ModuleType) -> Any:
    latest = LatestVerification.__table__
    stmt = dialect.insert(latest)
    return stmt.on_conflict_do_update(
        index_elements=["pact_version_id", "provider_version_id"],
        set_={"verification_id": stmt.excluded.verification_id, "created_at": stmt.excluded.created_at},
        # Under concurrent results the pointer only ever moves to a newer verification.
        where=latest.c.verification_id < stmt.excluded.verification_id,
    )


_UPSERT_LATEST = Direct(_upsert_latest, columns=[c.name for c in LatestVerification.__table__.c])


# A success by this provider version for this content already counted as one for for-verification's rules
# (pending: ever; WIP: run since the cut-off; a WIP run counts only where a WIP result would).
_SUCCEEDED_BEFORE = Direct(
    select(Verification.id)
    .where(
        Verification.provider_id == bindparam("provider_id"),
        Verification.provider_version_id == bindparam("provider_version_id"),
        Verification.success.is_(True),
        Verification.pact_version_id == bindparam("pact_version_id"),
        Verification.execution_date >= bindparam("since"),
        # IN rather than `wip IS false OR :wip`: SQLite seeks an IN on every column of the covering index,
        # where the OR left it scanning every success for the content (thousands, as a provider re-verifies).
        Verification.wip.in_([False, bindparam("wip")]),
    )
    .limit(1)
)


def succeeded_before(session: Session, values: dict[str, Any], since: datetime) -> bool:
    """Whether the provider version already verified the content successfully (not as WIP, unless `values`
    is a WIP result too), run since `since`. Seeks a whole index key, so reads a handful of rows at most."""
    params = {
        "provider_id": values["provider_id"],
        "provider_version_id": values["provider_version_id"],
        "pact_version_id": values["pact_version_id"],
        "wip": bool(values.get("wip")),
        "since": since,
    }
    return _SUCCEEDED_BEFORE.first(session, params) is not None


def create(session: Session, values: dict[str, Any]) -> Verification:
    """Inserts the verification and moves the (content, provider version) pointer, in one transaction."""
    now = utcnow()
    row = {
        **dict.fromkeys(_INSERTED),  # a column not given is NULL, as an ORM insert would leave it
        "wip": False,
        **values,
        "execution_date": values.get("execution_date") or now,
        "created_at": now,
    }
    inserted = _INSERT.first(session, row)
    assert inserted is not None
    verification = attach_written(session, Verification, id=inserted[0], number=inserted[1], **row)
    pointer = {
        "pact_version_id": verification.pact_version_id,
        "provider_version_id": verification.provider_version_id,
        "verification_id": verification.id,
        "provider_id": verification.provider_id,
        "consumer_id": verification.consumer_id,
        "created_at": now,
    }
    _UPSERT_LATEST.run(session, pointer)
    return verification


def find_by_number(
    session: Session, pact_version_id: int, number: int
) -> tuple[Verification, Version] | None:
    stmt = (
        select(Verification, Version)
        .join(Version, Version.id == Verification.provider_version_id)
        .where(Verification.pact_version_id == pact_version_id, Verification.number == number)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def latest_for_pact_version(session: Session, pact_version_id: int) -> tuple[Verification, Version] | None:
    stmt = (
        select(Verification, Version)
        .join(Version, Version.id == Verification.provider_version_id)
        .where(Verification.pact_version_id == pact_version_id)
        .order_by(Verification.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def latest_for_pact_versions(
    session: Session, pact_version_ids: Sequence[int]
) -> dict[int, tuple[Verification, Version]]:
    """Newest verification of each content, for many contents in one query."""
    if not pact_version_ids:
        return {}
    stmt = (
        select(Verification, Version)
        .join(Version, Version.id == Verification.provider_version_id)
        .where(Verification.pact_version_id.in_(list(pact_version_ids)))
        .order_by(Verification.pact_version_id, Verification.id.desc())
    )
    out: dict[int, tuple[Verification, Version]] = {}
    for verification, version in session.execute(stmt):
        out.setdefault(verification.pact_version_id, (verification, version))
    return out


def count_for_pact_version(session: Session, pact_version_id: int) -> int:
    stmt = (
        select(func.count()).select_from(Verification).where(Verification.pact_version_id == pact_version_id)
    )
    return int(session.execute(stmt).scalar_one())
