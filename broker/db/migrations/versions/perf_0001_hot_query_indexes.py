"""A covering index for pending and WIP, from the issue-6 benchmark's EXPLAINs (25,000-version history).

For-verification asks, for a few hundred pact contents at once, "was this content verified successfully
(not as WIP), by which provider version, and when". With providers that re-verify every few minutes
(reference issue #487) each content has hundreds of results; answering from this index alone avoids a
heap fetch per result. PostgreSQL, full benchmark history, one default-selectors + pending + WIP request:
buffers touched 13,020 -> 5,684 (pending check 1,458 -> 114, WIP "already verified" 7,681 -> 1,620).

Revision ID: perf_0001
Revises: webhooks_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "perf_0001"
down_revision: str | None = "webhooks_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "pact_version_id",
    "provider_id",
    "success",
    "wip",
    "provider_version_id",
    "created_at",
    "execution_date",
]


def upgrade() -> None:
    op.create_index("ix_verifications_pact_version_id_success", "verifications", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_verifications_pact_version_id_success", table_name="verifications")
