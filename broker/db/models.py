"""The broker's tables, modelled on the reference Pact Broker's schema.

Names follow pact_broker so a reader can map every query onto the Ruby original. The "latest" tables
(`latest_pact_publication_ids_for_consumer_versions`,
`latest_verification_id_for_pact_version_and_provider_version`, `branch_heads`,
`currently_deployed_version_ids`, `branch_head_pacts`) are denormalised pointers kept up to date in the
same transaction as the write they summarise, so reads never need a "max per group" over a whole table.
`answer_generations` counts the writes that can change a cached answer (`broker.answer_cache`).

Every index carries a comment naming the query it serves. The schema only changes through migrations in
`broker/db/migrations/versions/`; these models must match the head revision.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Timestamp = DateTime(timezone=True)
NAME = String(255)


class Pacticipant(Base):
    __tablename__ = "pacticipants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)  # lookup by name on every URL
    display_name: Mapped[str | None] = mapped_column(NAME)
    main_branch: Mapped[str | None] = mapped_column(NAME)
    repository_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (
        # find a version by its number (every /pacticipants/{p}/versions/{v} URL, publish)
        UniqueConstraint("pacticipant_id", "number"),
        # latest version of a pacticipant, versions listed newest first, pagination
        Index("ix_versions_pacticipant_id_order", "pacticipant_id", "order", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(NAME)
    # Increasing per pacticipant in creation order (the reference orders versions by date, not semver).
    order: Mapped[int] = mapped_column("order", Integer)
    build_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Branch(Base):
    __tablename__ = "branches"
    # find a branch by name for a pacticipant (branch URLs, branch selectors)
    __table_args__ = (UniqueConstraint("pacticipant_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class BranchVersion(Base):
    __tablename__ = "branch_versions"
    __table_args__ = (
        # idempotent "add version to branch" (PUT branch version, publish with branch)
        UniqueConstraint("branch_id", "version_id"),
        # the branches of a version (version resource, matrix rows)
        Index("ix_branch_versions_version_id", "version_id"),
        # versions of a branch by name, newest first (branch selectors without the branches table)
        Index(
            "ix_branch_versions_pacticipant_branch_order", "pacticipant_id", "branch_name", "version_order"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    branch_name: Mapped[str] = mapped_column(NAME)
    version_order: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class BranchHead(Base):
    """The latest version of each branch; updated whenever a newer version joins the branch."""

    __tablename__ = "branch_heads"
    __table_args__ = (
        # "is this version the head of one of its branches" (matrix, version resource)
        Index("ix_branch_heads_version_id", "version_id"),
        # head of a branch by name (mainBranch / branch selectors)
        Index("ix_branch_heads_pacticipant_id_branch_name", "pacticipant_id", "branch_name"),
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True)
    branch_version_id: Mapped[int] = mapped_column(ForeignKey("branch_versions.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    branch_name: Mapped[str] = mapped_column(NAME)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        PrimaryKeyConstraint("version_id", "name"),
        # latest version with a tag (latest-version/{tag}, latest/{tag} pacts, tag selectors)
        Index("ix_tags_pacticipant_id_name_version_order", "pacticipant_id", "name", "version_order"),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(NAME)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    version_order: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class TagHead(Base):
    """The newest version with each tag of each pacticipant: `tags` grouped by (pacticipant, name), kept by
    the writes that add or remove a tag (`broker.versions.tag_heads`).

    for-verification's WIP candidates include the pact of every consumer tag's newest version; grouping the
    tags read every tag of every consumer (2,053 rows for 44 names on the benchmark's full history), and a
    tag is added by most builds that deploy or release."""

    __tablename__ = "tag_heads"
    __table_args__ = (
        PrimaryKeyConstraint("pacticipant_id", "name"),
        # the cascade from a deleted version (whose heads `tag_heads.refresh` then moves back)
        Index("ix_tag_heads_version_id", "version_id"),
    )

    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(NAME)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    version_order: Mapped[int] = mapped_column(Integer)


class PactVersion(Base):
    """Unique pact content per integration; verifications attach here, so equal content shares results."""

    __tablename__ = "pact_versions"
    # find existing content by SHA when publishing, and every /pact-version/{sha} URL
    __table_args__ = (
        UniqueConstraint("consumer_id", "provider_id", "sha"),
        # content of a provider (for-verification, WIP candidates)
        Index("ix_pact_versions_provider_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PactPublication(Base):
    """One publication of content for (consumer version, provider); a changed republish is a new revision."""

    __tablename__ = "pact_publications"
    __table_args__ = (
        # next revision / idempotent republish for a consumer version (publish; also stops duplicate races)
        UniqueConstraint("consumer_version_id", "provider_id", "revision_number"),
        # latest pact per integration, pacts between two pacticipants in version order (pact lists, matrix)
        Index("ix_pact_publications_cid_pid_cvo", "consumer_id", "provider_id", "consumer_version_order"),
        # WIP candidates "created since" for a provider (for-verification)
        Index("ix_pact_publications_provider_id_created_at", "provider_id", "created_at"),
        # consumer versions that published a given content (verification -> consumer versions)
        Index("ix_pact_publications_pact_version_id", "pact_version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    revision_number: Mapped[int] = mapped_column(Integer)
    consumer_version_order: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LatestPactPublicationIdForConsumerVersion(Base):
    """Pointer to the newest revision per (consumer version, provider); hides overwritten revisions."""

    __tablename__ = "latest_pact_publication_ids_for_consumer_versions"
    __table_args__ = (
        PrimaryKeyConstraint("consumer_version_id", "provider_id"),
        # publication -> is it the latest revision (pact resource links)
        Index("ix_lpp_pact_publication_id", "pact_publication_id", unique=True),
        # consumer versions that published a content (matrix join on pact_version_id)
        Index("ix_lpp_pact_version_id", "pact_version_id"),
        # the pacts of a provider / of an integration (pact lists, matrix by provider)
        Index("ix_lpp_provider_id_consumer_id", "provider_id", "consumer_id"),
    )

    consumer_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    pact_publication_id: Mapped[int] = mapped_column(ForeignKey("pact_publications.id", ondelete="CASCADE"))
    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class BranchHeadPact(Base):
    """The pact of each branch head, per provider: `branch_heads` joined to
    `latest_pact_publication_ids_for_consumer_versions`, kept by the writes that move a head
    (`versions.repository`) or publish a pact (`pacts.repository`); deletions follow by cascade.

    WIP pacts are those of branch heads created since a date. Without this table that question probed every
    head of the provider's consumers, and every feature branch ever pushed stays a head: 925 heads for 304
    rows on the benchmark history, and more each week in a real broker.
    """

    __tablename__ = "branch_head_pacts"
    __table_args__ = (
        PrimaryKeyConstraint("branch_id", "provider_id"),
        ForeignKeyConstraint(
            ["consumer_version_id", "provider_id"],
            [
                "latest_pact_publication_ids_for_consumer_versions.consumer_version_id",
                "latest_pact_publication_ids_for_consumer_versions.provider_id",
            ],
            ondelete="CASCADE",
            name="fk_branch_head_pacts_lpp",  # the conventional name is over PostgreSQL's 63 characters
        ),
        # WIP candidates: the provider's branch-head pacts created since (for-verification)
        Index("ix_branch_head_pacts_provider_id_created_at", "provider_id", "created_at"),
        # the cascade from a deleted pact pointer
        Index("ix_branch_head_pacts_consumer_version_id_provider_id", "consumer_version_id", "provider_id"),
    )

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch_heads.branch_id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(Integer)
    consumer_id: Mapped[int] = mapped_column(Integer)
    branch_name: Mapped[str] = mapped_column(NAME)
    consumer_version_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    # What for-verification shows of the pact, stored so its WIP candidates are one range of this table:
    # they change with the pact pointer only, which the writes that keep this table follow.
    pact_version_id: Mapped[int] = mapped_column(Integer)
    pact_version_sha: Mapped[str] = mapped_column(String(64))
    consumer_version_number: Mapped[str] = mapped_column(NAME)
    consumer_version_order: Mapped[int] = mapped_column(Integer)


class Verification(Base):
    __tablename__ = "verifications"
    __table_args__ = (
        # results for a content by a provider version (matrix join, latest-verification pointer)
        Index(
            "ix_verifications_pact_version_id_provider_version_id", "pact_version_id", "provider_version_id"
        ),
        # pending/WIP: "successfully verified by this provider's versions" (for-verification, PR #902)
        Index(
            "ix_verifications_pid_pvid_success_wip_pvid",
            "provider_id",
            "provider_version_id",
            "success",
            "wip",
            "pact_version_id",
        ),
        # verifications made by a provider version (version resource, matrix by provider version)
        Index("ix_verifications_provider_version_id", "provider_version_id"),
        # pending/WIP "verified successfully, by which provider version, when" for many contents at once,
        # answered from the index alone (for-verification; migration perf_0001)
        Index(
            "ix_verifications_pact_version_id_success",
            "pact_version_id",
            "provider_id",
            "success",
            "wip",
            "provider_version_id",
            "created_at",
            "execution_date",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Global, increasing; it is the {n} in .../verification-results/{n}.
    number: Mapped[int] = mapped_column(Integer, unique=True)
    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    provider_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    success: Mapped[bool] = mapped_column(Boolean)
    wip: Mapped[bool] = mapped_column(Boolean, default=False)
    pact_pending: Mapped[bool | None] = mapped_column(Boolean)
    build_url: Mapped[str | None] = mapped_column(Text)
    test_results: Mapped[str | None] = mapped_column(Text)  # JSON text, returned verbatim
    verified_by: Mapped[str | None] = mapped_column(Text)  # JSON text: implementation, version, ...
    execution_date: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LatestVerificationIdForPactVersionAndProviderVersion(Base):
    """Pointer to the newest verification per (content, provider version); hides re-runs in the matrix."""

    __tablename__ = "latest_verification_id_for_pact_version_and_provider_version"
    __table_args__ = (
        PrimaryKeyConstraint("pact_version_id", "provider_version_id"),
        # verification -> is it the latest (verification resources)
        Index("ix_lv_verification_id", "verification_id", unique=True),
        # what a provider version verified (matrix rows for a provider version selector)
        Index("ix_lv_provider_version_id", "provider_version_id"),
    )

    pact_version_id: Mapped[int] = mapped_column(ForeignKey("pact_versions.id", ondelete="CASCADE"))
    provider_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Environment(Base):
    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # /environments/{uuid}
    name: Mapped[str] = mapped_column(NAME, unique=True)  # ?environment=name everywhere
    display_name: Mapped[str | None] = mapped_column(NAME)
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    contacts: Mapped[str | None] = mapped_column(Text)  # JSON text: [{name, details}]
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class DeployedVersion(Base):
    __tablename__ = "deployed_versions"
    __table_args__ = (
        # deployments of a version (version resource, matrix "deployed" flags)
        Index("ix_deployed_versions_version_id", "version_id"),
        # deployments in an environment (environment history)
        Index("ix_deployed_versions_environment_id_pacticipant_id", "environment_id", "pacticipant_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # /deployed-versions/{uuid}
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    target: Mapped[str | None] = mapped_column(NAME)  # the application instance; None = the only one
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    undeployed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class CurrentlyDeployedVersionId(Base):
    """What runs now: one row per (pacticipant, environment, application instance)."""

    __tablename__ = "currently_deployed_version_ids"
    __table_args__ = (
        # "replace the deployment of this application instance" (record-deployment)
        UniqueConstraint("pacticipant_id", "environment_id", "target_for_index"),
        # versions currently in an environment (matrix environment selectors, currently-deployed list)
        Index("ix_cdv_environment_id_version_id", "environment_id", "version_id"),
        # is this version deployed anywhere (version resource)
        Index("ix_cdv_version_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    # NULL is never equal to NULL in a unique index, so "no instance" is stored as ''.
    target_for_index: Mapped[str] = mapped_column(NAME, default="")
    deployed_version_id: Mapped[int] = mapped_column(ForeignKey("deployed_versions.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))


class ReleasedVersion(Base):
    __tablename__ = "released_versions"
    __table_args__ = (
        # one release record per version and environment (record-release is idempotent)
        UniqueConstraint("version_id", "environment_id"),
        # versions currently supported in an environment (matrix environment selectors, currently-supported)
        Index("ix_released_versions_environment_id_support_ended_at", "environment_id", "support_ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # /released-versions/{uuid}
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    pacticipant_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    support_ended_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Integration(Base):
    """Consumer/provider pairs that have ever had a pact; added in revision 0002 with a back-fill."""

    __tablename__ = "integrations"
    __table_args__ = (
        # find-or-create on publish; the integrations of a consumer (matrix required providers)
        UniqueConstraint("consumer_id", "provider_id"),
        # the consumers of a provider (matrix inferred selectors, for-verification)
        Index("ix_integrations_provider_id", "provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("pacticipants.id", ondelete="CASCADE"))
    contract_data_updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AnswerGeneration(Base):
    """A counter per pacticipant (and one for the whole broker, scope 0), moved by every write that can
    change an answer about that pacticipant, in that write's transaction (`broker.answer_cache`). A cached
    answer is served only while the counters it was computed under are unchanged, so every worker process
    sees every other one's writes. No foreign key: scope 0 is no pacticipant, and a counter outliving its
    pacticipant is harmless (it only ever grows)."""

    __tablename__ = "answer_generations"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)
