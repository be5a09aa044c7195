"""SQL for pacticipants."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.db.models import Pacticipant, utcnow
from broker.db.sql import insert_ignore


def find_by_name(session: Session, name: str) -> Pacticipant | None:
    return session.execute(select(Pacticipant).where(Pacticipant.name == name)).scalar_one_or_none()


def find_by_names(session: Session, names: Sequence[str]) -> dict[str, Pacticipant]:
    rows = session.execute(select(Pacticipant).where(Pacticipant.name.in_(list(names)))).scalars()
    return {p.name: p for p in rows}


def find_or_create(session: Session, name: str) -> tuple[Pacticipant, bool]:
    """Race-free: concurrent publishers of a new pacticipant both end up with the one row."""
    existing = find_by_name(session, name)
    if existing is not None:
        return existing, False
    now = utcnow()
    created = insert_ignore(
        session, Pacticipant, {"name": name, "created_at": now, "updated_at": now}, ["name"]
    )
    pacticipant = find_by_name(session, name)
    assert pacticipant is not None
    return pacticipant, created


def page(session: Session, number: int, size: int) -> tuple[list[Pacticipant], int]:
    total = session.execute(select(func.count()).select_from(Pacticipant)).scalar_one()
    rows = session.execute(
        select(Pacticipant).order_by(Pacticipant.name).offset((number - 1) * size).limit(size)
    ).scalars()
    return list(rows), int(total)


def delete(session: Session, pacticipant: Pacticipant) -> None:
    session.delete(pacticipant)
