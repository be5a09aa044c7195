"""SQL for versions, tags, branches and branch heads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from types import ModuleType
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from broker.db.direct import Direct
from broker.db.models import Branch, BranchHead, BranchVersion, Tag, Version, utcnow
from broker.db.sql import (
    attach_written,
    columns_of,
    entities,
    insert_unless_present,
    next_version_order_value,
)
from broker.versions import head_pacts, tag_heads

_FIND = Direct(
    columns_of(Version).where(
        Version.pacticipant_id == bindparam("pacticipant_id"), Version.number == bindparam("number")
    )
)


def find(session: Session, pacticipant_id: int, number: str) -> Version | None:
    rows = _FIND.rows(session, {"pacticipant_id": pacticipant_id, "number": number})
    return entities(session, Version, rows)[0] if rows else None


def _insert_version(dialect: ModuleType) -> Any:
    table = Version.__table__
    return (
        dialect.insert(table)
        .values(order=next_version_order_value(dialect))
        .on_conflict_do_nothing(index_elements=["pacticipant_id", "number"])
        .returning(table.c.id, table.c.order)
    )


_INSERT_VERSION = Direct(
    _insert_version, columns=("pacticipant_id", "number", "build_url", "created_at", "updated_at")
)


def find_or_create(
    session: Session,
    pacticipant_id: int,
    number: str,
    *,
    build_url: str | None = None,
    likely_new: bool = False,
) -> tuple[Version, bool]:
    """Race-free. A version this call creates gets `build_url`. `likely_new` tries the insert before the
    select: a publication nearly always brings a new version, so that is one statement instead of two."""
    if not likely_new:
        existing = find(session, pacticipant_id, number)
        if existing is not None:
            return existing, False
    now = utcnow()
    values = {
        "pacticipant_id": pacticipant_id,
        "number": number,
        "build_url": build_url,
        "created_at": now,
        "updated_at": now,
        "order_pacticipant_id": pacticipant_id,
    }
    inserted = _INSERT_VERSION.first(session, values)
    if inserted is None:
        version = find(session, pacticipant_id, number)
        assert version is not None
        return version, False
    del values["order_pacticipant_id"]
    return attach_written(session, Version, id=inserted[0], order=inserted[1], **values), True


def latest(session: Session, pacticipant_id: int) -> Version | None:
    stmt = (
        select(Version)
        .where(Version.pacticipant_id == pacticipant_id)
        .order_by(Version.order.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def latest_with_tag(session: Session, pacticipant_id: int, tag: str) -> Version | None:
    stmt = (
        select(Version)
        .join(Tag, Tag.version_id == Version.id)
        .where(Tag.pacticipant_id == pacticipant_id, Tag.name == tag)
        .order_by(Tag.version_order.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def branch_head(session: Session, pacticipant_id: int, branch: str) -> Version | None:
    stmt = (
        select(Version)
        .join(BranchHead, BranchHead.version_id == Version.id)
        .where(BranchHead.pacticipant_id == pacticipant_id, BranchHead.branch_name == branch)
    )
    return session.execute(stmt).scalar_one_or_none()


def page(session: Session, pacticipant_id: int, number: int, size: int) -> tuple[list[Version], int]:
    where = Version.pacticipant_id == pacticipant_id
    total = session.execute(select(func.count()).select_from(Version).where(where)).scalar_one()
    stmt = select(Version).where(where).order_by(Version.order.desc()).offset((number - 1) * size).limit(size)
    return list(session.execute(stmt).scalars()), int(total)


# --- tags -------------------------------------------------------------------------------------------


_INSERT_TAG = insert_unless_present(Tag.__table__, ["version_id", "name"], Tag.__table__.c.name)


def add_tag(session: Session, version: Version, name: str) -> bool:
    return bool(add_tags(session, version, [name]))


def add_tags(session: Session, version: Version, names: Sequence[str]) -> set[str]:
    """Tags the version with all `names` in one statement; returns the names that were new."""
    if not names:
        return set()
    now = utcnow()
    # A microsecond apart: tags are listed in the order they were added (created_at), as one by one.
    times = [now + timedelta(microseconds=i) for i in range(len(names))]
    rows = [
        {
            "version_id": version.id,
            "name": name,
            "pacticipant_id": version.pacticipant_id,
            "version_order": version.order,
            "created_at": at,
            "updated_at": at,
        }
        for name, at in zip(dict.fromkeys(names), times, strict=False)
    ]
    params: Any = rows[0] if len(rows) == 1 else rows  # several rows: one multi-row INSERT (insertmanyvalues)
    created = {row.name for row in session.execute(_INSERT_TAG(session), params)}
    if created:
        tag_heads.point_at(session, version.id)
    return created


def delete_tag(session: Session, tag: Tag) -> None:
    """Removes the tag; the version that now heads its name is the newest one still tagged with it."""
    session.delete(tag)
    session.flush()
    tag_heads.refresh(session, tag.pacticipant_id, [tag.name])


_HAS_BRANCH_OR_TAGS = Direct(
    text(
        " UNION ALL ".join(
            f"SELECT 1 FROM {table} WHERE version_id = :v" for table in ("branch_versions", "tags")
        )
    )
)


def has_branch_or_tags(session: Session, version_id: int) -> bool:
    return _HAS_BRANCH_OR_TAGS.first(session, {"v": version_id}) is not None


def find_tag(session: Session, version_id: int, name: str) -> Tag | None:
    return session.get(Tag, (version_id, name))


def tags_for(session: Session, version_ids: Sequence[int]) -> dict[int, list[Tag]]:
    """Tags of many versions in one query (never one query per version)."""
    out: dict[int, list[Tag]] = {vid: [] for vid in version_ids}
    if version_ids:
        stmt = select(Tag).where(Tag.version_id.in_(list(version_ids))).order_by(Tag.created_at, Tag.name)
        for tag in session.execute(stmt).scalars():
            out[tag.version_id].append(tag)
    return out


def latest_tag_version_ids(session: Session, pacticipant_id: int, names: Sequence[str]) -> dict[str, int]:
    """For each tag name, the id of the newest version carrying it (for `latest: true` flags)."""
    if not names:
        return {}
    stmt = (
        select(Tag.name, Tag.version_id, Tag.version_order)
        .where(Tag.pacticipant_id == pacticipant_id, Tag.name.in_(list(names)))
        .order_by(Tag.name, Tag.version_order.desc())
    )
    out: dict[str, int] = {}
    for name, version_id, _order in session.execute(stmt):
        out.setdefault(name, version_id)
    return out


# --- branches ---------------------------------------------------------------------------------------


_FIND_BRANCH = select(Branch).where(
    Branch.pacticipant_id == bindparam("pacticipant_id"), Branch.name == bindparam("name")
)


def find_branch(session: Session, pacticipant_id: int, name: str) -> Branch | None:
    return session.execute(
        _FIND_BRANCH, {"pacticipant_id": pacticipant_id, "name": name}
    ).scalar_one_or_none()


_BRANCH_ID = select(Branch.__table__.c.id).where(
    Branch.__table__.c.pacticipant_id == bindparam("pacticipant_id"),
    Branch.__table__.c.name == bindparam("name"),
)
_INSERT_BRANCH = insert_unless_present(Branch.__table__, ["pacticipant_id", "name"], Branch.__table__.c.id)


def find_or_create_branch(session: Session, pacticipant_id: int, name: str) -> int:
    """The branch's id. Race-free; looks first, as most publications go to a branch that exists."""
    key = {"pacticipant_id": pacticipant_id, "name": name}
    existing = session.execute(_BRANCH_ID, key).scalar_one_or_none()
    if existing is not None:
        return int(existing)
    now = utcnow()
    inserted = session.execute(_INSERT_BRANCH(session), {**key, "created_at": now, "updated_at": now}).first()
    if inserted is None:  # a concurrent request created it first
        return int(session.execute(_BRANCH_ID, key).scalar_one())
    return int(inserted.id)


def find_branch_version(session: Session, branch_id: int, version_id: int) -> BranchVersion | None:
    stmt = select(BranchVersion).where(
        BranchVersion.branch_id == branch_id, BranchVersion.version_id == version_id
    )
    return session.execute(stmt).scalar_one_or_none()


_INSERT_BRANCH_VERSION = insert_unless_present(
    BranchVersion.__table__, ["branch_id", "version_id"], BranchVersion.__table__.c.id
)


def _branch_version_values(version: Version, branch_name: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "version_id": version.id,
        "pacticipant_id": version.pacticipant_id,
        "branch_name": branch_name,
        "version_order": version.order,
        "created_at": now,
        "updated_at": now,
    }


def add_to_branch(
    session: Session, version: Version, branch_id: int, branch_name: str, *, version_is_new: bool = False
) -> tuple[BranchVersion, bool]:
    """Adds the version to the branch and moves the branch head if this version is newer."""
    values = {"branch_id": branch_id, **_branch_version_values(version, branch_name)}
    inserted = session.execute(_INSERT_BRANCH_VERSION(session), values).first()
    if inserted is None:
        branch_version = find_branch_version(session, branch_id, version.id)
        assert branch_version is not None
        return branch_version, False
    branch_version = attach_written(session, BranchVersion, id=inserted.id, **values)
    _move_head(session, branch_version, version, version_is_new=version_is_new)
    return branch_version, True


def _insert_into_existing_branch(dialect: ModuleType) -> Any:
    bv, branches = BranchVersion.__table__, Branch.__table__.c
    columns = ["version_id", "pacticipant_id", "branch_name", "version_order", "created_at", "updated_at"]
    rows = select(branches.id, *(bindparam(name, type_=bv.c[name].type) for name in columns)).where(
        branches.pacticipant_id == bindparam("pacticipant_id"), branches.name == bindparam("branch_name")
    )
    return (
        dialect.insert(bv)
        .from_select(["branch_id", *columns], rows)
        .on_conflict_do_nothing(index_elements=["branch_id", "version_id"])
        .returning(bv.c.id, bv.c.branch_id)
    )


_INSERT_INTO_EXISTING_BRANCH = Direct(_insert_into_existing_branch)


def add_to_existing_branch(
    session: Session, version: Version, branch_name: str, *, version_is_new: bool = False
) -> tuple[BranchVersion, bool] | None:
    """`add_to_branch` in one statement fewer, for a branch that exists (most publications of a new
    version): the branch is found by name in the insert itself. None when nothing was inserted: there is
    no such branch, or the version is on it already."""
    values = _branch_version_values(version, branch_name)
    inserted = _INSERT_INTO_EXISTING_BRANCH.first(session, values)
    if inserted is None:
        return None
    branch_version = attach_written(session, BranchVersion, id=inserted[0], branch_id=inserted[1], **values)
    _move_head(session, branch_version, version, version_is_new=version_is_new)
    return branch_version, True


def _upsert_head(dialect: ModuleType) -> Any:
    # The WHERE makes "only move forwards" atomic: two concurrent writers cannot move the head backwards.
    # Plain SQL: SQLAlchemy would not correlate a subquery inside ON CONFLICT to the conflicting row.
    newer = text('(SELECT v."order" FROM versions v WHERE v.id = branch_heads.version_id) < :new_order')
    stmt = dialect.insert(BranchHead.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["branch_id"],
        set_={"branch_version_id": stmt.excluded.branch_version_id, "version_id": stmt.excluded.version_id},
        where=newer,
    ).returning(BranchHead.branch_id)  # a row back: the head was created or moved


_UPSERT_HEAD = Direct(
    _upsert_head, columns=("branch_id", "branch_version_id", "version_id", "pacticipant_id", "branch_name")
)


def _move_head(
    session: Session, branch_version: BranchVersion, version: Version, *, version_is_new: bool
) -> None:
    values = {
        "branch_id": branch_version.branch_id,
        "branch_version_id": branch_version.id,
        "version_id": version.id,
        "pacticipant_id": version.pacticipant_id,
        "branch_name": branch_version.branch_name,
        "new_order": version.order,
    }
    if _UPSERT_HEAD.first(session, values) is not None:
        head_pacts.refresh_branch(session, branch_version.branch_id, head_has_pacts=not version_is_new)


def branch_versions_for(session: Session, version_ids: Sequence[int]) -> dict[int, list[BranchVersion]]:
    out: dict[int, list[BranchVersion]] = {vid: [] for vid in version_ids}
    if version_ids:
        stmt = (
            select(BranchVersion)
            .where(BranchVersion.version_id.in_(list(version_ids)))
            .order_by(BranchVersion.created_at, BranchVersion.id)
        )
        for bv in session.execute(stmt).scalars():
            out[bv.version_id].append(bv)
    return out


def head_version_ids(session: Session, branch_ids: Sequence[int]) -> dict[int, int]:
    if not branch_ids:
        return {}
    stmt = select(BranchHead.branch_id, BranchHead.version_id).where(
        BranchHead.branch_id.in_(list(branch_ids))
    )
    return {bid: vid for bid, vid in session.execute(stmt)}


def branches_page(session: Session, pacticipant_id: int, number: int, size: int) -> tuple[list[Branch], int]:
    where = Branch.pacticipant_id == pacticipant_id
    total = session.execute(select(func.count()).select_from(Branch).where(where)).scalar_one()
    stmt = select(Branch).where(where).order_by(Branch.created_at.desc(), Branch.id.desc())
    return list(session.execute(stmt.offset((number - 1) * size).limit(size)).scalars()), int(total)


def branch_versions_page(session: Session, branch_id: int, number: int, size: int) -> list[Version]:
    stmt = (
        select(Version)
        .join(BranchVersion, BranchVersion.version_id == Version.id)
        .where(BranchVersion.branch_id == branch_id)
        .order_by(BranchVersion.version_order.desc())
        .offset((number - 1) * size)
        .limit(size)
    )
    return list(session.execute(stmt).scalars())


def reset_head(session: Session, branch_id: int) -> None:
    """After a version leaves a branch (its deletion), point the head at the newest version still on it."""
    newest = session.execute(
        select(BranchVersion)
        .where(BranchVersion.branch_id == branch_id)
        .order_by(BranchVersion.version_order.desc())
        .limit(1)
    ).scalar_one_or_none()
    session.execute(delete(BranchHead).where(BranchHead.branch_id == branch_id))
    if newest is not None:
        session.add(
            BranchHead(
                branch_id=branch_id,
                branch_version_id=newest.id,
                version_id=newest.version_id,
                pacticipant_id=newest.pacticipant_id,
                branch_name=newest.branch_name,
            )
        )
        session.flush()
        head_pacts.refresh_branch(session, branch_id)


def latest_for_pacticipants(session: Session, pacticipant_ids: Sequence[int]) -> dict[int, Version]:
    """The newest version of each of many pacticipants, in one query."""
    if not pacticipant_ids:
        return {}
    newest = (
        select(Version.pacticipant_id, func.max(Version.order).label("order"))
        .where(Version.pacticipant_id.in_(list(pacticipant_ids)))
        .group_by(Version.pacticipant_id)
        .subquery()
    )
    stmt = select(Version).join(
        newest, (newest.c.pacticipant_id == Version.pacticipant_id) & (newest.c.order == Version.order)
    )
    return {v.pacticipant_id: v for v in session.execute(stmt).scalars()}
