"""Alembic environment: migrates the connection `broker.db.migrate` hands over, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import broker.webhooks.models  # noqa: F401  (its tables join Base.metadata, which autogenerate compares)
from broker.db.engine import make_engine
from broker.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
