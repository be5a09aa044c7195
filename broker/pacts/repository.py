"""SQL for pact content (pact_versions), publications and the latest-publication pointer."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, select, text
from sqlalchemy.orm import Session, aliased

from broker.db.direct import Direct
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
from broker.db.sql import Entities, attach, attach_written, direct_insert_unless_present
from broker.versions import head_pacts

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


def _rows(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> list[PactRow]:
    return [PactRow(*row) for row in session.execute(stmt, params)]


# A PactRow's five objects as plain columns, for `Direct` statements on the write paths (a pact version's
# content is left out: it loads on first access, as with `defer`).
_PARTS = Entities(
    PactPublication, PactVersion, Version, Consumer, Provider, leave_out={PactVersion: ("content",)}
)


def _direct_rows_stmt() -> Any:
    return _rows_stmt().with_only_columns(*_PARTS.columns, maintain_column_froms=True)


def _direct_rows(session: Session, rows: list[tuple[Any, ...]]) -> list[PactRow]:
    """Rows of a `_direct_rows_stmt` statement as PactRows of persistent objects, as `_rows` gives them."""
    return [PactRow(*objects) for objects in _PARTS.objects(session, rows)]


# --- content ----------------------------------------------------------------------------------------


def find_pact_version(session: Session, consumer_id: int, provider_id: int, sha: str) -> PactVersion | None:
    stmt = select(PactVersion).where(
        PactVersion.consumer_id == consumer_id, PactVersion.provider_id == provider_id, PactVersion.sha == sha
    )
    return session.execute(stmt).scalar_one_or_none()


_pact_versions = PactVersion.__table__.c
_publications = PactPublication.__table__.c
_latest = LatestPub.__table__.c

# The content of the newest earlier consumer version's pact (by its id: within an integration, one content
# is one id), to tell a publication that changes the content from one that does not.
_PREVIOUS_CONTENT = (
    select(_publications.pact_version_id)
    .join(LatestPub.__table__, _latest.pact_publication_id == _publications.id)
    .where(
        _publications.consumer_id == bindparam("consumer_id"),
        _publications.provider_id == bindparam("provider_id"),
        _publications.consumer_version_order < bindparam("consumer_version_order"),
    )
    .order_by(_publications.consumer_version_order.desc())
    .limit(1)
)
_FIND_CONTENT = Direct(
    select(
        _pact_versions.id, _pact_versions.created_at, _PREVIOUS_CONTENT.scalar_subquery().label("previous")
    ).where(
        _pact_versions.consumer_id == bindparam("consumer_id"),
        _pact_versions.provider_id == bindparam("provider_id"),
        _pact_versions.sha == bindparam("sha"),
    )
)


def find_content(
    session: Session, consumer_id: int, provider_id: int, sha: str, consumer_version_order: int
) -> tuple[PactVersion | None, int | None]:
    """The stored content with this SHA (its text loads only if read), and the content id of the newest
    earlier consumer version's pact; one statement, as publishing asks both every time."""
    params = {
        "consumer_id": consumer_id,
        "provider_id": provider_id,
        "sha": sha,
        "consumer_version_order": consumer_version_order,
    }
    found = _FIND_CONTENT.first(session, params)
    if found is None:
        return None, None
    content_id, created_at, previous = found
    pact_version = PactVersion(
        id=content_id, consumer_id=consumer_id, provider_id=provider_id, sha=sha, created_at=created_at
    )
    return attach(session, pact_version), previous


def previous_content_id(
    session: Session, consumer_id: int, provider_id: int, consumer_version_order: int
) -> int | None:
    params = {
        "consumer_id": consumer_id,
        "provider_id": provider_id,
        "consumer_version_order": consumer_version_order,
    }
    return session.execute(_PREVIOUS_CONTENT, params).scalar_one_or_none()


_INSERT_PACT_VERSION = direct_insert_unless_present(
    PactVersion.__table__,
    ["consumer_id", "provider_id", "sha"],
    _pact_versions.id,
    columns=("consumer_id", "provider_id", "sha", "content", "created_at"),
)


def create_pact_version(
    session: Session, consumer_id: int, provider_id: int, sha: str, content: str
) -> tuple[PactVersion, bool]:
    """Stores new content; False (and the stored row) when a concurrent request stored it first."""
    values = {
        "consumer_id": consumer_id,
        "provider_id": provider_id,
        "sha": sha,
        "content": content,
        "created_at": utcnow(),
    }
    inserted = _INSERT_PACT_VERSION.first(session, values)
    if inserted is None:
        existing = find_pact_version(session, consumer_id, provider_id, sha)
        assert existing is not None
        return existing, False
    return attach_written(session, PactVersion, id=inserted[0], **values), True


# --- publications -----------------------------------------------------------------------------------

_LATEST_FOR_CONSUMER_VERSION = _rows_stmt().where(
    LatestPub.consumer_version_id == bindparam("consumer_version_id"),
    LatestPub.provider_id == bindparam("provider_id"),
)


def latest_for_consumer_version(
    session: Session, consumer_version_id: int, provider_id: int
) -> PactRow | None:
    params = {"consumer_version_id": consumer_version_id, "provider_id": provider_id}
    rows = _rows(session, _LATEST_FOR_CONSUMER_VERSION, params)
    return rows[0] if rows else None


_INSERT_PUBLICATION = direct_insert_unless_present(
    PactPublication.__table__,
    ["consumer_version_id", "provider_id", "revision_number"],
    _publications.id,
    columns=[c.name for c in PactPublication.__table__.c if c.name != "id"],
)


def create_publication(
    session: Session, consumer_version: Version, provider_id: int, pact_version: PactVersion, revision: int
) -> PactPublication | None:
    """Inserts revision `revision`; None when a concurrent request inserted that revision first."""
    values = {
        "consumer_version_id": consumer_version.id,
        "consumer_id": consumer_version.pacticipant_id,
        "provider_id": provider_id,
        "pact_version_id": pact_version.id,
        "revision_number": revision,
        "consumer_version_order": consumer_version.order,
        "created_at": utcnow(),
    }
    inserted = _INSERT_PUBLICATION.first(session, values)
    if inserted is None:
        return None
    publication = attach_written(session, PactPublication, id=inserted[0], **values)
    _point_latest_at(session, publication)
    return publication


def _upsert_latest(dialect: ModuleType) -> Any:
    # The WHERE keeps the pointer on the highest revision under races.
    # Plain SQL: SQLAlchemy would not correlate a subquery inside ON CONFLICT to the conflicting row.
    newer = text(
        "(SELECT pp.revision_number FROM pact_publications pp "
        "WHERE pp.id = latest_pact_publication_ids_for_consumer_versions.pact_publication_id) < :revision"
    )
    stmt = dialect.insert(LatestPub.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["consumer_version_id", "provider_id"],
        set_={
            "pact_publication_id": stmt.excluded.pact_publication_id,
            "pact_version_id": stmt.excluded.pact_version_id,
            "created_at": stmt.excluded.created_at,
        },
        where=newer,
    )


_UPSERT_LATEST = Direct(_upsert_latest, columns=[c.name for c in LatestPub.__table__.c])


def _point_latest_at(session: Session, publication: PactPublication) -> None:
    # Same transaction as the insert.
    values = {
        "consumer_version_id": publication.consumer_version_id,
        "provider_id": publication.provider_id,
        "pact_publication_id": publication.id,
        "pact_version_id": publication.pact_version_id,
        "consumer_id": publication.consumer_id,
        "created_at": publication.created_at,
        "revision": publication.revision_number,
    }
    _UPSERT_LATEST.run(session, values)
    head_pacts.point_heads_at_pact(session, publication.consumer_version_id, publication.provider_id)


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


# `latest_for_pact_version` of the content named by the pacticipants and SHA of a /pact-version URL, in one
# statement; the text is not loaded (a verification result never reads it). The content's own links to the
# pacticipants and to the pointer are redundant, but let PostgreSQL start from the SHA's unique index
# instead of checking every publication of the integration (0.99 -> 0.69 ms on the full-size history).
_LATEST_FOR_SHA = Direct(
    _direct_rows_stmt()
    .where(
        Consumer.name == bindparam("consumer"),
        Provider.name == bindparam("provider"),
        PactVersion.consumer_id == Consumer.id,
        PactVersion.provider_id == Provider.id,
        PactVersion.sha == bindparam("sha"),
        LatestPub.pact_version_id == PactVersion.id,
    )
    .order_by(PactPublication.consumer_version_order.desc())
    .limit(1)
)


def latest_for_sha(session: Session, consumer_name: str, provider_name: str, sha: str) -> PactRow | None:
    """The pact a verification result is published for (a direct statement: every result looks it up)."""
    params = {"consumer": consumer_name, "provider": provider_name, "sha": sha}
    rows = _direct_rows(session, _LATEST_FOR_SHA.rows(session, params))
    return rows[0] if rows else None


def for_consumer_version(session: Session, consumer_version_id: int) -> list[PactRow]:
    stmt = _rows_stmt().where(LatestPub.consumer_version_id == consumer_version_id).order_by(Provider.name)
    return _rows(session, stmt)
