"""SQL for pact content (pact_versions), publications and the latest-publication pointer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.orm import Session, aliased

from broker.db.models import (
    BranchVersion,
    Pacticipant,
    PactPublication,
    PactVersion,
    Tag,
    Version,
    utcnow,
)
from broker.db.models import (
    LatestPactPublicationIdForConsumerVersion as LatestPub,
)
from broker.db.sql import dialect_insert, insert_ignore

Consumer = aliased(Pacticipant, name="consumer")
Provider = aliased(Pacticipant, name="provider")


@dataclass(frozen=True)
class PactRow:
    """A publication with everything its JSON needs, loaded in one query."""

    publication: PactPublication
    pact_version: PactVersion
    consumer_version: Version
    consumer: Pacticipant
    provider: Pacticipant


def _rows_stmt() -> Any:
    return (
        select(PactPublication, PactVersion, Version, Consumer, Provider)
        .join(LatestPub, LatestPub.pact_publication_id == PactPublication.id)
        .join(PactVersion, PactVersion.id == PactPublication.pact_version_id)
        .join(Version, Version.id == PactPublication.consumer_version_id)
        .join(Consumer, Consumer.id == PactPublication.consumer_id)
        .join(Provider, Provider.id == PactPublication.provider_id)
    )


def _rows(session: Session, stmt: Any) -> list[PactRow]:
    return [PactRow(*row) for row in session.execute(stmt)]


# --- content ----------------------------------------------------------------------------------------


def find_pact_version(session: Session, consumer_id: int, provider_id: int, sha: str) -> PactVersion | None:
    stmt = select(PactVersion).where(
        PactVersion.consumer_id == consumer_id, PactVersion.provider_id == provider_id, PactVersion.sha == sha
    )
    return session.execute(stmt).scalar_one_or_none()


def find_or_create_pact_version(
    session: Session, consumer_id: int, provider_id: int, sha: str, content: str
) -> PactVersion:
    existing = find_pact_version(session, consumer_id, provider_id, sha)
    if existing is not None:
        return existing
    values = {
        "consumer_id": consumer_id,
        "provider_id": provider_id,
        "sha": sha,
        "content": content,
        "created_at": utcnow(),
    }
    insert_ignore(session, PactVersion, values, ["consumer_id", "provider_id", "sha"])
    created = find_pact_version(session, consumer_id, provider_id, sha)
    assert created is not None
    return created


# --- publications -----------------------------------------------------------------------------------


def latest_for_consumer_version(
    session: Session, consumer_version_id: int, provider_id: int
) -> PactRow | None:
    stmt = _rows_stmt().where(
        LatestPub.consumer_version_id == consumer_version_id, LatestPub.provider_id == provider_id
    )
    rows = _rows(session, stmt)
    return rows[0] if rows else None


def create_publication(
    session: Session, consumer_version: Version, provider_id: int, pact_version: PactVersion, revision: int
) -> PactPublication | None:
    """Inserts revision `revision`; None when a concurrent request inserted that revision first."""
    now = utcnow()
    values = {
        "consumer_version_id": consumer_version.id,
        "consumer_id": consumer_version.pacticipant_id,
        "provider_id": provider_id,
        "pact_version_id": pact_version.id,
        "revision_number": revision,
        "consumer_version_order": consumer_version.order,
        "created_at": now,
    }
    if not insert_ignore(
        session, PactPublication, values, ["consumer_version_id", "provider_id", "revision_number"]
    ):
        return None
    stmt = select(PactPublication).where(
        PactPublication.consumer_version_id == consumer_version.id,
        PactPublication.provider_id == provider_id,
        PactPublication.revision_number == revision,
    )
    publication = session.execute(stmt).scalar_one()
    _point_latest_at(session, publication)
    return publication


def _point_latest_at(session: Session, publication: PactPublication) -> None:
    # Same transaction as the insert; the WHERE keeps the pointer on the highest revision under races.
    stmt = dialect_insert(session, LatestPub).values(
        consumer_version_id=publication.consumer_version_id,
        provider_id=publication.provider_id,
        pact_publication_id=publication.id,
        pact_version_id=publication.pact_version_id,
        consumer_id=publication.consumer_id,
        created_at=publication.created_at,
    )
    # Plain SQL: SQLAlchemy would not correlate a subquery inside ON CONFLICT to the conflicting row.
    newer = text(
        "(SELECT pp.revision_number FROM pact_publications pp "
        "WHERE pp.id = latest_pact_publication_ids_for_consumer_versions.pact_publication_id) < :revision"
    ).bindparams(revision=publication.revision_number)
    stmt = stmt.on_conflict_do_update(
        index_elements=["consumer_version_id", "provider_id"],
        set_={
            "pact_publication_id": stmt.excluded.pact_publication_id,
            "pact_version_id": stmt.excluded.pact_version_id,
            "created_at": stmt.excluded.created_at,
        },
        where=newer,
    )
    session.execute(stmt)


def delete_for_consumer_version(session: Session, consumer_version_id: int, provider_id: int) -> None:
    session.execute(
        delete(LatestPub).where(
            LatestPub.consumer_version_id == consumer_version_id, LatestPub.provider_id == provider_id
        )
    )
    session.execute(
        delete(PactPublication).where(
            PactPublication.consumer_version_id == consumer_version_id,
            PactPublication.provider_id == provider_id,
        )
    )


# --- latest pacts -----------------------------------------------------------------------------------


def latest_per_integration(
    session: Session,
    *,
    consumer_id: int | None = None,
    provider_id: int | None = None,
    tag: str | None = None,
    branch: str | None = None,
    main_branch: bool = False,
    untagged: bool = False,
) -> list[PactRow]:
    """The newest pact of each integration (optionally only versions with a tag, on a branch, or on the
    consumer's main branch).

    Two statements' worth of work in one query: max(consumer_version_order) per integration, joined back.
    """
    newest = select(
        PactPublication.consumer_id,
        PactPublication.provider_id,
        func.max(PactPublication.consumer_version_order).label("cvo"),
    ).join(LatestPub, LatestPub.pact_publication_id == PactPublication.id)
    if consumer_id is not None:
        newest = newest.where(PactPublication.consumer_id == consumer_id)
    if provider_id is not None:
        newest = newest.where(PactPublication.provider_id == provider_id)
    if tag is not None:
        newest = newest.join(
            Tag, and_(Tag.version_id == PactPublication.consumer_version_id, Tag.name == tag)
        )
    if branch is not None:
        newest = newest.join(
            BranchVersion,
            and_(
                BranchVersion.version_id == PactPublication.consumer_version_id,
                BranchVersion.branch_name == branch,
            ),
        )
    if untagged:
        newest = newest.where(
            ~select(Tag.version_id).where(Tag.version_id == PactPublication.consumer_version_id).exists()
        )
    if main_branch:
        newest = newest.join(Consumer, Consumer.id == PactPublication.consumer_id).join(
            BranchVersion,
            and_(
                BranchVersion.version_id == PactPublication.consumer_version_id,
                BranchVersion.branch_name == Consumer.main_branch,
            ),
        )
    sub = newest.group_by(PactPublication.consumer_id, PactPublication.provider_id).subquery()
    stmt = (
        _rows_stmt()
        .join(
            sub,
            and_(
                sub.c.consumer_id == PactPublication.consumer_id,
                sub.c.provider_id == PactPublication.provider_id,
                sub.c.cvo == PactPublication.consumer_version_order,
            ),
        )
        .order_by(Consumer.name, Provider.name)
    )
    return _rows(session, stmt)


def all_for_integration(
    session: Session,
    consumer_id: int,
    provider_id: int,
    *,
    tag: str | None = None,
    branch: str | None = None,
    limit: int = 100,
) -> list[PactRow]:
    stmt = _rows_stmt().where(
        PactPublication.consumer_id == consumer_id, PactPublication.provider_id == provider_id
    )
    if tag is not None:
        stmt = stmt.join(Tag, and_(Tag.version_id == PactPublication.consumer_version_id, Tag.name == tag))
    if branch is not None:
        stmt = stmt.join(
            BranchVersion,
            and_(
                BranchVersion.version_id == PactPublication.consumer_version_id,
                BranchVersion.branch_name == branch,
            ),
        )
    return _rows(session, stmt.order_by(PactPublication.consumer_version_order.desc()).limit(limit))


def all_for_provider(
    session: Session, provider_id: int, *, tag: str | None = None, limit: int = 1000
) -> list[PactRow]:
    stmt = _rows_stmt().where(PactPublication.provider_id == provider_id)
    if tag is not None:
        stmt = stmt.join(Tag, and_(Tag.version_id == PactPublication.consumer_version_id, Tag.name == tag))
    return _rows(
        session, stmt.order_by(Consumer.name, PactPublication.consumer_version_order.desc()).limit(limit)
    )


def latest_for_pact_version(session: Session, pact_version_id: int) -> PactRow | None:
    """The newest consumer version that published this content (for the links of a /pact-version URL)."""
    stmt = (
        _rows_stmt()
        .where(LatestPub.pact_version_id == pact_version_id)
        .order_by(PactPublication.consumer_version_order.desc())
        .limit(1)
    )
    rows = _rows(session, stmt)
    return rows[0] if rows else None


def for_consumer_version(session: Session, consumer_version_id: int) -> list[PactRow]:
    stmt = _rows_stmt().where(LatestPub.consumer_version_id == consumer_version_id).order_by(Provider.name)
    return _rows(session, stmt)


def previous_distinct_sha(session: Session, row: PactRow) -> str | None:
    """SHA of the newest earlier consumer version's pact with different content (for change events)."""
    stmt = (
        select(PactVersion.sha)
        .join(PactPublication, PactPublication.pact_version_id == PactVersion.id)
        .join(LatestPub, LatestPub.pact_publication_id == PactPublication.id)
        .where(
            PactPublication.consumer_id == row.consumer.id,
            PactPublication.provider_id == row.provider.id,
            PactPublication.consumer_version_order < row.consumer_version.order,
        )
        .order_by(PactPublication.consumer_version_order.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()
