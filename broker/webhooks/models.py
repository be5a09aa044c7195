"""The webhook tables (reference: webhooks, webhook_events, triggered_webhooks, webhook_executions).

Created by the migration `webhooks_0001`; the models share the broker's declarative `Base`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broker.db.models import NAME, Base, Timestamp, utcnow


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (
        # webhooks to trigger for a pact's consumer / provider (fire), webhooks of a pacticipant pair (list)
        Index("ix_webhooks_consumer_id", "consumer_id"),
        Index("ix_webhooks_provider_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)  # /webhooks/{uuid}
    description: Mapped[str | None] = mapped_column(Text)
    # NULL consumer and provider (and labels) = a webhook for every pact.
    consumer_id: Mapped[int | None] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    consumer_label: Mapped[str | None] = mapped_column(NAME)
    provider_label: Mapped[str | None] = mapped_column(NAME)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    method: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)  # JSON object text
    body: Mapped[str | None] = mapped_column(Text)  # JSON text of the body value (a string stays a string)
    username: Mapped[str | None] = mapped_column(Text)
    password: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    # one row per event name a webhook listens to (webhook bodies; fire's "listens to this event")
    __table_args__ = (UniqueConstraint("webhook_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class TriggeredWebhook(Base):
    """One firing of a webhook for an event; its executions are the attempts."""

    __tablename__ = "triggered_webhooks"
    __table_args__ = (
        # triggered webhooks of a webhook (webhook deleted -> its history goes too)
        Index("ix_triggered_webhooks_webhook_id", "webhook_id"),
        # the triggered webhooks of a pact (pact webhook status)
        Index("ix_triggered_webhooks_consumer_id_provider_id", "consumer_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # /triggered-webhooks/{uuid}
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    webhook_uuid: Mapped[str] = mapped_column(String(64))
    event_name: Mapped[str] = mapped_column(String(64))
    trigger_type: Mapped[str] = mapped_column(String(32))  # resource_creation | user
    consumer_id: Mapped[int | None] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    context: Mapped[str] = mapped_column(Text)  # JSON: the template parameters at the time of the event
    status: Mapped[str] = mapped_column(String(16))  # not_run | retrying | success | failure
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class WebhookExecution(Base):
    __tablename__ = "webhook_executions"
    # the attempts of a triggered webhook, in order (logs resource, status)
    __table_args__ = (Index("ix_webhook_executions_triggered_webhook_id", "triggered_webhook_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    triggered_webhook_id: Mapped[int] = mapped_column(ForeignKey("triggered_webhooks.id", ondelete="CASCADE"))
    success: Mapped[bool] = mapped_column(Boolean)
    logs: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
