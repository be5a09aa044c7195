"""Initial schema: pacticipants, versions, tags, branches, pacts, verifications, environments, deployments.

Every index here is explained (which query it serves) next to its declaration in `broker/db/models.py`.
Integrations arrive in 0002, with a back-fill, as they did in the reference broker.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 18:02:33.574959
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Concurrent writers on PostgreSQL take version orders and verification numbers from sequences;
        # SQLite serialises writers (BEGIN IMMEDIATE), so max()+1 is safe there.
        op.execute("CREATE SEQUENCE version_order_seq")
        op.execute("CREATE SEQUENCE verification_number_seq")
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environments")),
        sa.UniqueConstraint("name", name=op.f("uq_environments_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_environments_uuid")),
    )
    op.create_table(
        "pacticipants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("main_branch", sa.String(length=255), nullable=True),
        sa.Column("repository_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacticipants")),
        sa.UniqueConstraint("name", name=op.f("uq_pacticipants_name")),
    )
    op.create_table(
        "branches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_branches_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branches")),
        sa.UniqueConstraint("pacticipant_id", "name", name=op.f("uq_branches_pacticipant_id_name")),
    )

    op.create_table(
        "pact_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_pact_versions_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_pact_versions_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pact_versions")),
        sa.UniqueConstraint(
            "consumer_id", "provider_id", "sha", name=op.f("uq_pact_versions_consumer_id_provider_id_sha")
        ),
    )
    # contents of a provider (for-verification)
    op.create_index("ix_pact_versions_provider_id", "pact_versions", ["provider_id"], unique=False)

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_versions_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("pacticipant_id", "number", name=op.f("uq_versions_pacticipant_id_number")),
    )
    # latest version of a pacticipant; versions newest first
    op.create_index("ix_versions_pacticipant_id_order", "versions", ["pacticipant_id", "order"], unique=True)

    op.create_table(
        "branch_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=False),
        sa.Column("version_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name=op.f("fk_branch_versions_branch_id_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_branch_versions_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_branch_versions_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_versions")),
        sa.UniqueConstraint("branch_id", "version_id", name=op.f("uq_branch_versions_branch_id_version_id")),
    )
    # versions of a branch by name, newest first
    op.create_index(
        "ix_branch_versions_pacticipant_branch_order",
        "branch_versions",
        ["pacticipant_id", "branch_name", "version_order"],
        unique=False,
    )
    # the branches of a version
    op.create_index("ix_branch_versions_version_id", "branch_versions", ["version_id"], unique=False)

    op.create_table(
        "deployed_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undeployed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_deployed_versions_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_deployed_versions_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_deployed_versions_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployed_versions")),
        sa.UniqueConstraint("uuid", name=op.f("uq_deployed_versions_uuid")),
    )
    # deployments in an environment
    op.create_index(
        "ix_deployed_versions_environment_id_pacticipant_id",
        "deployed_versions",
        ["environment_id", "pacticipant_id"],
        unique=False,
    )
    # deployments of a version
    op.create_index("ix_deployed_versions_version_id", "deployed_versions", ["version_id"], unique=False)

    op.create_table(
        "pact_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("pact_version_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("consumer_version_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_pact_publications_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consumer_version_id"],
            ["versions.id"],
            name=op.f("fk_pact_publications_consumer_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pact_version_id"],
            ["pact_versions.id"],
            name=op.f("fk_pact_publications_pact_version_id_pact_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_pact_publications_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pact_publications")),
        sa.UniqueConstraint(
            "consumer_version_id",
            "provider_id",
            "revision_number",
            name=op.f("uq_pact_publications_consumer_version_id_provider_id_revision_number"),
        ),
    )
    # latest pact per integration; pacts in consumer version order (reference #492)
    op.create_index(
        "ix_pact_publications_cid_pid_cvo",
        "pact_publications",
        ["consumer_id", "provider_id", "consumer_version_order"],
        unique=False,
    )
    # consumer versions that published a content
    op.create_index(
        "ix_pact_publications_pact_version_id", "pact_publications", ["pact_version_id"], unique=False
    )
    # WIP candidates created since a date (reference PR #902)
    op.create_index(
        "ix_pact_publications_provider_id_created_at",
        "pact_publications",
        ["provider_id", "created_at"],
        unique=False,
    )

    op.create_table(
        "released_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("support_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_released_versions_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_released_versions_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_released_versions_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_released_versions")),
        sa.UniqueConstraint("uuid", name=op.f("uq_released_versions_uuid")),
        sa.UniqueConstraint(
            "version_id", "environment_id", name=op.f("uq_released_versions_version_id_environment_id")
        ),
    )
    # versions currently supported in an environment
    op.create_index(
        "ix_released_versions_environment_id_support_ended_at",
        "released_versions",
        ["environment_id", "support_ended_at"],
        unique=False,
    )

    op.create_table(
        "tags",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("version_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_tags_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_tags_version_id_versions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("version_id", "name", name=op.f("pk_tags")),
    )
    # latest version with a tag
    op.create_index(
        "ix_tags_pacticipant_id_name_version_order",
        "tags",
        ["pacticipant_id", "name", "version_order"],
        unique=False,
    )

    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pact_version_id", sa.Integer(), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("wip", sa.Boolean(), nullable=False),
        sa.Column("pact_pending", sa.Boolean(), nullable=True),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("test_results", sa.Text(), nullable=True),
        sa.Column("verified_by", sa.Text(), nullable=True),
        sa.Column("execution_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_verifications_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pact_version_id"],
            ["pact_versions.id"],
            name=op.f("fk_verifications_pact_version_id_pact_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_verifications_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_version_id"],
            ["versions.id"],
            name=op.f("fk_verifications_provider_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
        sa.UniqueConstraint("number", name=op.f("uq_verifications_number")),
    )
    # results of a content by a provider version (matrix join)
    op.create_index(
        "ix_verifications_pact_version_id_provider_version_id",
        "verifications",
        ["pact_version_id", "provider_version_id"],
        unique=False,
    )
    # pending/WIP: successful non-WIP verifications (reference PR #902)
    op.create_index(
        "ix_verifications_pid_pvid_success_wip_pvid",
        "verifications",
        ["provider_id", "provider_version_id", "success", "wip", "pact_version_id"],
        unique=False,
    )
    # what a provider version verified
    op.create_index(
        "ix_verifications_provider_version_id", "verifications", ["provider_version_id"], unique=False
    )

    op.create_table(
        "branch_heads",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("branch_version_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("branch_name", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name=op.f("fk_branch_heads_branch_id_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["branch_version_id"],
            ["branch_versions.id"],
            name=op.f("fk_branch_heads_branch_version_id_branch_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_branch_heads_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_branch_heads_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("branch_id", name=op.f("pk_branch_heads")),
    )
    # head of a branch by name (mainBranch/branch selectors)
    op.create_index(
        "ix_branch_heads_pacticipant_id_branch_name",
        "branch_heads",
        ["pacticipant_id", "branch_name"],
        unique=False,
    )
    # is this version a branch head
    op.create_index("ix_branch_heads_version_id", "branch_heads", ["version_id"], unique=False)

    op.create_table(
        "currently_deployed_version_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pacticipant_id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("target_for_index", sa.String(length=255), nullable=False),
        sa.Column("deployed_version_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployed_version_id"],
            ["deployed_versions.id"],
            name=op.f("fk_currently_deployed_version_ids_deployed_version_id_deployed_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_currently_deployed_version_ids_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pacticipant_id"],
            ["pacticipants.id"],
            name=op.f("fk_currently_deployed_version_ids_pacticipant_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_currently_deployed_version_ids_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currently_deployed_version_ids")),
        sa.UniqueConstraint(
            "pacticipant_id",
            "environment_id",
            "target_for_index",
            name=op.f("uq_currently_deployed_version_ids_pacticipant_id_environment_id_target_for_index"),
        ),
    )
    # versions currently deployed in an environment
    op.create_index(
        "ix_cdv_environment_id_version_id",
        "currently_deployed_version_ids",
        ["environment_id", "version_id"],
        unique=False,
    )
    # is this version deployed anywhere
    op.create_index("ix_cdv_version_id", "currently_deployed_version_ids", ["version_id"], unique=False)

    op.create_table(
        "latest_pact_publication_ids_for_consumer_versions",
        sa.Column("consumer_version_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("pact_publication_id", sa.Integer(), nullable=False),
        sa.Column("pact_version_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f("fk_latest_pact_publication_ids_for_consumer_versions_consumer_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consumer_version_id"],
            ["versions.id"],
            name=op.f("fk_latest_pact_publication_ids_for_consumer_versions_consumer_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pact_publication_id"],
            ["pact_publications.id"],
            name=op.f(
                "fk_latest_pact_publication_ids_for_consumer_versions_pact_publication_id_pact_publications"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pact_version_id"],
            ["pact_versions.id"],
            name=op.f("fk_latest_pact_publication_ids_for_consumer_versions_pact_version_id_pact_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f("fk_latest_pact_publication_ids_for_consumer_versions_provider_id_pacticipants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "consumer_version_id",
            "provider_id",
            name=op.f("pk_latest_pact_publication_ids_for_consumer_versions"),
        ),
    )
    # is this publication the latest revision
    op.create_index(
        "ix_lpp_pact_publication_id",
        "latest_pact_publication_ids_for_consumer_versions",
        ["pact_publication_id"],
        unique=True,
    )
    # consumer versions that published a content (matrix join)
    op.create_index(
        "ix_lpp_pact_version_id",
        "latest_pact_publication_ids_for_consumer_versions",
        ["pact_version_id"],
        unique=False,
    )
    # pacts of a provider / of an integration
    op.create_index(
        "ix_lpp_provider_id_consumer_id",
        "latest_pact_publication_ids_for_consumer_versions",
        ["provider_id", "consumer_id"],
        unique=False,
    )

    op.create_table(
        "latest_verification_id_for_pact_version_and_provider_version",
        sa.Column("pact_version_id", sa.Integer(), nullable=False),
        sa.Column("provider_version_id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["pacticipants.id"],
            name=op.f(
                "fk_latest_verification_id_for_pact_version_and_provider_version_consumer_id_pacticipants"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pact_version_id"],
            ["pact_versions.id"],
            name=op.f(
                "fk_latest_verification_id_for_pact_version_and_provider_version_pact_version_id_pact_versions"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["pacticipants.id"],
            name=op.f(
                "fk_latest_verification_id_for_pact_version_and_provider_version_provider_id_pacticipants"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_version_id"],
            ["versions.id"],
            name=op.f(
                "fk_latest_verification_id_for_pact_version_and_provider_version_provider_version_id_versions"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["verifications.id"],
            name=op.f(
                "fk_latest_verification_id_for_pact_version_and_provider_version_verification_id_verifications"
            ),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pact_version_id",
            "provider_version_id",
            name=op.f("pk_latest_verification_id_for_pact_version_and_provider_version"),
        ),
    )
    # what a provider version verified (matrix)
    op.create_index(
        "ix_lv_provider_version_id",
        "latest_verification_id_for_pact_version_and_provider_version",
        ["provider_version_id"],
        unique=False,
    )
    # is this verification the latest
    op.create_index(
        "ix_lv_verification_id",
        "latest_verification_id_for_pact_version_and_provider_version",
        ["verification_id"],
        unique=True,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS version_order_seq")
        op.execute("DROP SEQUENCE IF EXISTS verification_number_seq")
    op.drop_index(
        "ix_lv_verification_id", table_name="latest_verification_id_for_pact_version_and_provider_version"
    )
    op.drop_index(
        "ix_lv_provider_version_id", table_name="latest_verification_id_for_pact_version_and_provider_version"
    )

    op.drop_table("latest_verification_id_for_pact_version_and_provider_version")
    op.drop_index(
        "ix_lpp_provider_id_consumer_id", table_name="latest_pact_publication_ids_for_consumer_versions"
    )
    op.drop_index("ix_lpp_pact_version_id", table_name="latest_pact_publication_ids_for_consumer_versions")
    op.drop_index(
        "ix_lpp_pact_publication_id", table_name="latest_pact_publication_ids_for_consumer_versions"
    )

    op.drop_table("latest_pact_publication_ids_for_consumer_versions")
    op.drop_index("ix_cdv_version_id", table_name="currently_deployed_version_ids")
    op.drop_index("ix_cdv_environment_id_version_id", table_name="currently_deployed_version_ids")

    op.drop_table("currently_deployed_version_ids")
    op.drop_index("ix_branch_heads_version_id", table_name="branch_heads")
    op.drop_index("ix_branch_heads_pacticipant_id_branch_name", table_name="branch_heads")

    op.drop_table("branch_heads")
    op.drop_index("ix_verifications_provider_version_id", table_name="verifications")
    op.drop_index("ix_verifications_pid_pvid_success_wip_pvid", table_name="verifications")
    op.drop_index("ix_verifications_pact_version_id_provider_version_id", table_name="verifications")

    op.drop_table("verifications")
    op.drop_index("ix_tags_pacticipant_id_name_version_order", table_name="tags")

    op.drop_table("tags")
    op.drop_index("ix_released_versions_environment_id_support_ended_at", table_name="released_versions")

    op.drop_table("released_versions")
    op.drop_index("ix_pact_publications_provider_id_created_at", table_name="pact_publications")
    op.drop_index("ix_pact_publications_pact_version_id", table_name="pact_publications")
    op.drop_index("ix_pact_publications_cid_pid_cvo", table_name="pact_publications")

    op.drop_table("pact_publications")
    op.drop_index("ix_deployed_versions_version_id", table_name="deployed_versions")
    op.drop_index("ix_deployed_versions_environment_id_pacticipant_id", table_name="deployed_versions")

    op.drop_table("deployed_versions")
    op.drop_index("ix_branch_versions_version_id", table_name="branch_versions")
    op.drop_index("ix_branch_versions_pacticipant_branch_order", table_name="branch_versions")

    op.drop_table("branch_versions")
    op.drop_index("ix_versions_pacticipant_id_order", table_name="versions")

    op.drop_table("versions")
    op.drop_index("ix_pact_versions_provider_id", table_name="pact_versions")

    op.drop_table("pact_versions")

    op.drop_table("branches")
    op.drop_table("pacticipants")
    op.drop_table("environments")
