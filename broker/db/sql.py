"""Portable write helpers: race-free inserts and the two counters, on SQLite and PostgreSQL alike.

Concurrent writers on PostgreSQL must never see a unique violation for "create if missing": they
`INSERT ... ON CONFLICT DO NOTHING` and then select. SQLite writers are serialised by BEGIN IMMEDIATE, but
the same statements work there, so there is a single code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker.db.engine import is_postgres
from broker.db.models import Base, Verification, Version


def dialect_insert(session: Session, model: type[Base]) -> Any:
    """An INSERT with `.on_conflict_do_*` for whichever database the session is on."""
    dialect = postgresql if is_postgres(session) else sqlite
    return dialect.insert(model)


def insert_ignore(
    session: Session, model: type[Base], values: Mapping[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert unless a row with the same `conflict` columns exists. True when this call inserted it."""
    # RETURNING, not rowcount: an ORM-enabled INSERT via the Session reports rowcount -1 on psycopg.
    first_pk = next(iter(inspect(model).primary_key))
    stmt = (
        dialect_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(first_pk)
    )
    return session.execute(stmt).first() is not None


def upsert(
    session: Session,
    model: type[Base],
    values: Mapping[str, Any],
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert, or overwrite the `update` columns of the row with the same `conflict` columns."""
    stmt = dialect_insert(session, model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict), set_={col: stmt.excluded[col] for col in update}
    )
    session.execute(stmt)


def next_version_order(session: Session, pacticipant_id: int) -> int:
    """Orders only need to increase per pacticipant; PostgreSQL uses a global sequence to stay race-free."""
    if is_postgres(session):
        return int(session.execute(text("SELECT nextval('version_order_seq')")).scalar_one())
    current = session.execute(
        select(func.max(Version.order)).where(Version.pacticipant_id == pacticipant_id)
    ).scalar()
    return int(current or 0) + 1


def next_verification_number(session: Session) -> int:
    if is_postgres(session):
        return int(session.execute(text("SELECT nextval('verification_number_seq')")).scalar_one())
    current = session.execute(select(func.max(Verification.number))).scalar()
    return int(current or 0) + 1
