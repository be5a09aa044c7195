"""`tag_heads`: the newest version with each tag of each pacticipant, so a consumer's tag heads are read by
name instead of grouped from every tag it ever had.

for-verification's WIP candidates include the pact of each consumer tag's newest version. PostgreSQL grouped
all the tags of the provider's consumers to find their names (2,053 rows for 44 names on the issue-6
benchmark history, 0.77 ms of the statement), and tags accumulate with every build that is tagged. Filled
here from the tags there are, then kept by the writes (`broker.versions.tag_heads`).

Revision ID: perf_0005
Revises: perf_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0005"
down_revision: str | None = "perf_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO tag_heads (pacticipant_id, name, version_id, version_order)
SELECT t.pacticipant_id, t.name, t.version_id, t.version_order
FROM tags t
WHERE t.version_order = (
    SELECT max(newer.version_order) FROM tags newer
    WHERE newer.pacticipant_id = t.pacticipant_id AND newer.name = t.name
)
"""


def upgrade() -> None:
    op.create_table(
        "tag_heads",
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("version_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_tag_heads_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_tag_heads_version_id_versions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pacticipant_id", "name", name=op.f("pk_tag_heads")),
    )
    op.create_index("ix_tag_heads_version_id", "tag_heads", ["version_id"])
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_tag_heads_version_id", table_name="tag_heads")
    op.drop_table("tag_heads")
