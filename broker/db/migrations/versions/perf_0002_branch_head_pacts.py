"""`branch_head_pacts`: the pact of each branch head per provider, so WIP candidates are an index range.

for-verification's WIP pacts are those of branch heads created since a date. Answered from `branch_heads`,
the query probed every head of the provider's consumers, and every feature branch ever pushed stays a head
(925 heads probed for 304 rows on the issue-6 benchmark history). This table holds one row per (branch
head, provider it has a pact with), filled here from what exists and then kept by the writes.

Revision ID: perf_0002
Revises: perf_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0002"
down_revision: str | None = "perf_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO branch_head_pacts
    (branch_id, provider_id, consumer_id, branch_name, consumer_version_id, created_at)
SELECT bh.branch_id, lpp.provider_id, lpp.consumer_id, bh.branch_name, lpp.consumer_version_id,
    lpp.created_at
FROM branch_heads bh
JOIN latest_pact_publication_ids_for_consumer_versions lpp ON lpp.consumer_version_id = bh.version_id
"""


def upgrade() -> None:
    op.create_table(
        "branch_head_pacts",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branch_heads.branch_id"],
            name=op.f("fk_branch_head_pacts_branch_id_branch_heads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consumer_version_id", "provider_id"],
            [
                "latest_pact_publication_ids_for_consumer_versions.consumer_version_id",
                "latest_pact_publication_ids_for_consumer_versions.provider_id",
            ],
            name="fk_branch_head_pacts_lpp",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("branch_id", "provider_id", name=op.f("pk_branch_head_pacts")),
    )
    op.create_index(
        "ix_branch_head_pacts_provider_id_created_at", "branch_head_pacts", ["provider_id", "created_at"]
    )
    op.create_index(
        "ix_branch_head_pacts_consumer_version_id_provider_id",
        "branch_head_pacts",
        ["consumer_version_id", "provider_id"],
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_branch_head_pacts_consumer_version_id_provider_id", table_name="branch_head_pacts")
    op.drop_index("ix_branch_head_pacts_provider_id_created_at", table_name="branch_head_pacts")
    op.drop_table("branch_head_pacts")
