"""Webhooks: webhooks, the events each listens to, triggered webhooks and their executions.

The models are in `broker/webhooks/models.py`; importing them here registers the tables in the shared
`Base.metadata` for anything that loads the migrations (the schema comparison test, test clean-up).

Revision ID: webhooks_0001
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broker.webhooks.models  # noqa: F401  (see the docstring)

revision: str = "webhooks_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("consumer_label", sa.String(length=255), nullable=True),
        sa.Column("provider_label", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_webhooks_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_webhooks_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_webhooks_uuid")),
    )
    # webhooks to trigger for a pact's consumer / provider (fire), webhooks of a pacticipant pair
    op.create_index("ix_webhooks_consumer_id", "webhooks", ["consumer_id"], unique=False)
    op.create_index("ix_webhooks_provider_id", "webhooks", ["provider_id"], unique=False)
    op.create_table(
        "triggered_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("webhook_uuid", sa.String(length=64), nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=False),
        sa.Column("trigger_type", sa.String(length=32), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_triggered_webhooks_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_triggered_webhooks_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_triggered_webhooks_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triggered_webhooks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_triggered_webhooks_uuid")),
    )
    # the triggered webhooks of a pact (pact webhook status)
    op.create_index(
        "ix_triggered_webhooks_consumer_id_provider_id",
        "triggered_webhooks",
        ["consumer_id", "provider_id"],
        unique=False,
    )
    # triggered webhooks of a webhook
    op.create_index("ix_triggered_webhooks_webhook_id", "triggered_webhooks", ["webhook_id"], unique=False)
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_events_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("webhook_id", "name", name=op.f("uq_webhook_events_webhook_id_name")),
    )
    op.create_table(
        "webhook_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("triggered_webhook_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("logs", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["triggered_webhook_id"],
            ["triggered_webhooks.id"],
            name=op.f("fk_webhook_executions_triggered_webhook_id_triggered_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_executions")),
    )
    # the attempts of a triggered webhook, in order (logs)
    op.create_index(
        "ix_webhook_executions_triggered_webhook_id",
        "webhook_executions",
        ["triggered_webhook_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_executions_triggered_webhook_id", table_name="webhook_executions")
    op.drop_table("webhook_executions")
    op.drop_table("webhook_events")
    op.drop_index("ix_triggered_webhooks_webhook_id", table_name="triggered_webhooks")
    op.drop_index("ix_triggered_webhooks_consumer_id_provider_id", table_name="triggered_webhooks")
    op.drop_table("triggered_webhooks")
    op.drop_index("ix_webhooks_provider_id", table_name="webhooks")
    op.drop_index("ix_webhooks_consumer_id", table_name="webhooks")
    op.drop_table("webhooks")
