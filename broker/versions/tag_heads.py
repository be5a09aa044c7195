"""`tag_heads`: the newest version with each tag of each pacticipant, kept by the writes that change it.

It is `tags` grouped by (pacticipant, name), keeping the highest version order (the models' docstring says
why it is stored): a tag added to a version (`point_at`), or taken away by deleting the tag or its version
(`refresh`, which moves the head back to the newest version still tagged). A deleted pacticipant takes its
rows with it by cascade.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from broker.db.direct import Direct

# The version's tags each move their head if the version is newer than it (one on an older version leaves it;
# the version's tags that were there already find themselves there). One statement however many tags.
_POINT_AT = Direct(
    text(
        """
INSERT INTO tag_heads (pacticipant_id, name, version_id, version_order)
SELECT pacticipant_id, name, version_id, version_order FROM tags WHERE version_id = :version_id
ON CONFLICT (pacticipant_id, name) DO UPDATE SET
    version_id = excluded.version_id, version_order = excluded.version_order
WHERE excluded.version_order > tag_heads.version_order
"""
    )
)
_NEWEST = """
SELECT t.pacticipant_id, t.name, t.version_id, t.version_order
FROM tags t
WHERE t.version_order = (
    SELECT max(newer.version_order) FROM tags newer
    WHERE newer.pacticipant_id = t.pacticipant_id AND newer.name = t.name
)
"""
_DELETE_NAMES = Direct(
    text("DELETE FROM tag_heads WHERE pacticipant_id = :pacticipant_id AND name IN :names").bindparams(
        bindparam("names", expanding=True)
    )
)
_INSERT_NAMES = Direct(
    text(
        f"INSERT INTO tag_heads (pacticipant_id, name, version_id, version_order) {_NEWEST}"
        " AND t.pacticipant_id = :pacticipant_id AND t.name IN :names"
    ).bindparams(bindparam("names", expanding=True))
)
_REBUILD = (
    text("DELETE FROM tag_heads"),
    text(f"INSERT INTO tag_heads (pacticipant_id, name, version_id, version_order) {_NEWEST}"),
)


def point_at(session: Session, version_id: int) -> None:
    """The version was tagged: it heads each of its tags unless a newer version has it."""
    _POINT_AT.run(session, {"version_id": version_id})


def refresh(session: Session, pacticipant_id: int, names: Sequence[str]) -> None:
    """Tags with these names were removed (the tag, or its version, deleted): each head is the newest version
    still tagged, or none."""
    if not names:
        return
    params = {"pacticipant_id": pacticipant_id, "names": list(dict.fromkeys(names))}
    _DELETE_NAMES.run(session, params)
    _INSERT_NAMES.run(session, params)


def rebuild(session: Session | Connection) -> None:
    """Every row again from the tags (for bulk loads that bypass the write paths)."""
    for statement in _REBUILD:
        session.execute(statement)
