"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from broker.db.engine import make_engine
from broker.db.migrate import current_revision, head_revision
from broker.db.models import Base


def test_head_revision_matches_the_models(migrated_database_url: str) -> None:
    assert current_revision(migrated_database_url) == head_revision()
    engine = make_engine(migrated_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
