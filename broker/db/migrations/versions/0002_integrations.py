"""Integrations: one row per consumer/provider pair, back-filled from the pacts already published.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("contract_data_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_integrations_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_integrations_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint(
            "consumer_id", "provider_id", name=op.f("uq_integrations_consumer_id_provider_id")
        ),
    )
    # the consumers of a provider (matrix inferred selectors, for-verification)
    op.create_index("ix_integrations_provider_id", "integrations", ["provider_id"], unique=False)
    # Back-fill: brokers upgraded from 0001 keep every integration their pacts imply.
    op.execute(
        """
        INSERT INTO integrations (consumer_id, provider_id, contract_data_updated_at, created_at)
        SELECT consumer_id, provider_id, MAX(created_at), MIN(created_at)
        FROM pact_publications
        GROUP BY consumer_id, provider_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_integrations_provider_id", table_name="integrations")
    op.drop_table("integrations")
