"""SQL for pacticipants."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session

from broker.db.direct import Direct
from broker.db.models import Pacticipant, utcnow
from broker.db.sql import attach, columns_of, entities, insert_unless_present

_BY_NAME = select(Pacticipant).where(Pacticipant.name == bindparam("name"))
_INSERT = insert_unless_present(Pacticipant.__table__, ["name"], Pacticipant.__table__.c.id)


def find_by_name(session: Session, name: str) -> Pacticipant | None:
    return session.execute(_BY_NAME, {"name": name}).scalar_one_or_none()


@lru_cache(maxsize=16)
def _by_names(count: int) -> Direct:
    # One bind per name, not an expanding IN: a direct statement is one SQL text (and so is Core's cache).
    names: list[BindParameter[str]] = [bindparam(f"name_{i}") for i in range(count)]
    return Direct(columns_of(Pacticipant).where(Pacticipant.name.in_(names)))


def find_by_names(session: Session, names: Sequence[str]) -> dict[str, Pacticipant]:
    unique = list(dict.fromkeys(names))
    if not unique:
        return {}
    params = {f"name_{i}": name for i, name in enumerate(unique)}
    rows = _by_names(len(unique)).rows(session, params)
    return {p.name: p for p in entities(session, Pacticipant, rows)}


def find_or_create(session: Session, name: str) -> tuple[Pacticipant, bool]:
    """Race-free: concurrent publishers of a new pacticipant both end up with the one row."""
    existing = find_by_name(session, name)
    if existing is not None:
        return existing, False
    return _create(session, name)


def find_or_create_all(
    session: Session, names: Sequence[str], *, found: dict[str, Pacticipant] | None = None
) -> dict[str, Pacticipant]:
    """`find_or_create` of several names, in one statement when they all exist (a publication's consumer
    and providers). `found`: what `find_by_names` gave already; only the rest are created."""
    found = dict(found) if found is not None else find_by_names(session, names)
    for name in names:
        if name not in found:
            found[name] = _create(session, name)[0]
    return found


def _create(session: Session, name: str) -> tuple[Pacticipant, bool]:
    now = utcnow()
    values = {"name": name, "created_at": now, "updated_at": now}
    inserted = session.execute(_INSERT(session), values).first()
    if inserted is None:  # a concurrent request created it first
        pacticipant = find_by_name(session, name)
        assert pacticipant is not None
        return pacticipant, False
    created = Pacticipant(id=inserted.id, display_name=None, main_branch=None, repository_url=None, **values)
    return attach(session, created), True


def page(session: Session, number: int, size: int) -> tuple[list[Pacticipant], int]:
    total = session.execute(select(func.count()).select_from(Pacticipant)).scalar_one()
    rows = session.execute(
        select(Pacticipant).order_by(Pacticipant.name).offset((number - 1) * size).limit(size)
    ).scalars()
    return list(rows), int(total)


def delete(session: Session, pacticipant: Pacticipant) -> None:
    session.delete(pacticipant)
