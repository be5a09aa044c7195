"""`branch_head_pacts`: the pact of each branch head per provider, kept by the two writes that change it.

It is `branch_heads` joined to `latest_pact_publication_ids_for_consumer_versions`, with the pact's content
SHA and the version's number and order (the models' docstring says why it is stored): a head moves
(`refresh_branch`), or a head's version gets a pact or a new revision of one (`point_heads_at_pact`).
Everything else follows by cascade: a deleted pact pointer, branch head, branch, version or pacticipant
takes its rows with it, and `versions.repository.reset_head` refreshes the branch it moved back.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from broker.db.direct import Direct

_COLUMNS = """branch_id, provider_id, consumer_id, branch_name, consumer_version_id, created_at,
    pact_version_id, pact_version_sha, consumer_version_number, consumer_version_order"""
_FROM_HEADS = """
SELECT bh.branch_id, lpp.provider_id, lpp.consumer_id, bh.branch_name, lpp.consumer_version_id,
    lpp.created_at, lpp.pact_version_id, pv.sha, v.number, v."order"
FROM branch_heads bh
JOIN latest_pact_publication_ids_for_consumer_versions lpp ON lpp.consumer_version_id = bh.version_id
JOIN versions v ON v.id = lpp.consumer_version_id
JOIN pact_versions pv ON pv.id = lpp.pact_version_id
"""

_DELETE_BRANCH = Direct(text("DELETE FROM branch_head_pacts WHERE branch_id = :branch_id"))
_INSERT_BRANCH = Direct(
    text(f"INSERT INTO branch_head_pacts ({_COLUMNS}) {_FROM_HEADS} WHERE bh.branch_id = :branch_id")
)

_UPSERT = f"""
INSERT INTO branch_head_pacts ({_COLUMNS}) {_FROM_HEADS}
WHERE bh.version_id = :consumer_version_id AND lpp.provider_id = :provider_id {{lock}}
ON CONFLICT (branch_id, provider_id) DO UPDATE SET
    consumer_id = excluded.consumer_id, branch_name = excluded.branch_name,
    consumer_version_id = excluded.consumer_version_id, created_at = excluded.created_at,
    pact_version_id = excluded.pact_version_id, pact_version_sha = excluded.pact_version_sha,
    consumer_version_number = excluded.consumer_version_number,
    consumer_version_order = excluded.consumer_version_order
"""
# PostgreSQL: the heads are read FOR SHARE, so a publication racing a head move waits for it and then sees
# where the head went (READ COMMITTED re-reads the locked row); without it, it could point a head that had
# just moved on at the old version's pact. SQLite writers are serialised already.
_UPSERT_HEADS = Direct(
    lambda dialect: text(_UPSERT.format(lock="FOR SHARE OF bh" if dialect is postgresql else ""))
)

_REBUILD = (
    text("DELETE FROM branch_head_pacts"),
    text(f"INSERT INTO branch_head_pacts ({_COLUMNS}) {_FROM_HEADS}"),
)


def refresh_branch(session: Session, branch_id: int, *, head_has_pacts: bool = True) -> None:
    """The branch's head has moved: its rows now point at the pacts of the new head (none yet, for a
    version created in this transaction: the caller says so with `head_has_pacts=False`, sparing the
    insert that would find nothing)."""
    _DELETE_BRANCH.run(session, {"branch_id": branch_id})
    if head_has_pacts:
        _INSERT_BRANCH.run(session, {"branch_id": branch_id})


def point_heads_at_pact(session: Session, consumer_version_id: int, provider_id: int) -> None:
    """The version's pact with the provider was published (or revised): the branches it heads point at it."""
    params = {"consumer_version_id": consumer_version_id, "provider_id": provider_id}
    _UPSERT_HEADS.run(session, params)


def rebuild(session: Session | Connection) -> None:
    """Every row again from the two tables it summarises (for bulk loads that bypass the write paths)."""
    for statement in _REBUILD:
        session.execute(statement)
