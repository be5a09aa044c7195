"""`branch_head_pacts` carries what for-verification shows of each pact: the content's id and SHA, and the
consumer version's number and order.

The WIP candidates of a provider are a range of this table (perf_0002); each row then reached the pact
pointer, the version and the content by three more look-ups (SQLite, the benchmark's full history: 304 rows
in 1.47 ms against 0.81 with the values stored). They never change for a row but with the pact pointer,
which the writes that keep this table follow already (`broker.versions.head_pacts`). The table is derived,
so it is made again with the new columns and filled from the tables it summarises.

Revision ID: perf_0004
Revises: perf_0003
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0004"
down_revision: str | None = "perf_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEPT = "branch_id, provider_id, consumer_id, branch_name, consumer_version_id, created_at"
_FROM_HEADS = """
FROM branch_heads bh
JOIN latest_pact_publication_ids_for_consumer_versions lpp ON lpp.consumer_version_id = bh.version_id
"""
BACKFILL = f"""
INSERT INTO branch_head_pacts ({_KEPT}, pact_version_id, pact_version_sha, consumer_version_number,
    consumer_version_order)
SELECT bh.branch_id, lpp.provider_id, lpp.consumer_id, bh.branch_name, lpp.consumer_version_id,
    lpp.created_at, lpp.pact_version_id, pv.sha, v.number, v."order"
{_FROM_HEADS}
JOIN versions v ON v.id = lpp.consumer_version_id
JOIN pact_versions pv ON pv.id = lpp.pact_version_id
"""
BACKFILL_PERF_0002 = f"""
INSERT INTO branch_head_pacts ({_KEPT})
SELECT bh.branch_id, lpp.provider_id, lpp.consumer_id, bh.branch_name, lpp.consumer_version_id, lpp.created_at
{_FROM_HEADS}
"""


def _create(details: bool) -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]
    if details:
        columns += [
            sa.Column("pact_version_id", sa.Integer(), nullable=False),
            sa.Column("pact_version_sha", sa.String(length=64), nullable=False),
            sa.Column("consumer_version_number", sa.String(length=255), nullable=False),
            sa.Column("consumer_version_order", sa.Integer(), nullable=False),
        ]
    op.create_table(
        "branch_head_pacts",
        *columns,
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


def _drop() -> None:
    op.drop_index("ix_branch_head_pacts_consumer_version_id_provider_id", table_name="branch_head_pacts")
    op.drop_index("ix_branch_head_pacts_provider_id_created_at", table_name="branch_head_pacts")
    op.drop_table("branch_head_pacts")


def upgrade() -> None:
    _drop()
    _create(details=True)
    op.execute(BACKFILL)


def downgrade() -> None:
    _drop()
    _create(details=False)
    op.execute(BACKFILL_PERF_0002)
