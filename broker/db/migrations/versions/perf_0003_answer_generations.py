"""`answer_generations`: counters that tell a cached answer whether the data it was computed from changed.

A provider's for-verification answer (~400 KB, ~10 ms to compute on the benchmark history) is asked for
over and over by its builds between the writes that change it. The broker keeps the answer in memory and
serves it again while these counters, moved in the same transaction as those writes, are unchanged.

Revision ID: perf_0003
Revises: perf_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_0003"
down_revision: str | None = "perf_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No rows: a missing counter reads as 0, and the first write that concerns a scope inserts it.
    op.create_table(
        "answer_generations",
        sa.Column("scope_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope_id", name=op.f("pk_answer_generations")),
    )


def downgrade() -> None:
    op.drop_table("answer_generations")
