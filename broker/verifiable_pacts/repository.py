"""All SQL of pacts-for-verification: selected pacts, pending status, WIP candidates.

Every selector is one statement over `latest_pact_publication_ids_for_consumer_versions` (the newest
revision per consumer version, so overwritten revisions never get verified). Pending status and WIP
exclusions are computed for *all* candidate contents at once (`pact_version_id IN (...)`), so the number
of statements depends on the number of selectors and provider tags, never on the number of pacts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from broker.db.models import (
    Branch,
    BranchHead,
    BranchVersion,
    CurrentlyDeployedVersionId,
    DeployedVersion,
    Environment,
    LatestPactPublicationIdForConsumerVersion,
    Pacticipant,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
)
from broker.db.models import Integration as IntegrationModel
from broker.verifiable_pacts.query import Selector

# The reference only looks this far back for "already verified" when computing WIP (PR #902).
WIP_VERIFIED_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class PactRow:
    """One pact (latest revision for a consumer version) found for a selector."""

    consumer_id: int
    consumer_name: str
    consumer_main_branch: str | None
    consumer_version_id: int
    consumer_version_number: str
    consumer_version_order: int
    pact_version_id: int
    pact_version_sha: str
    created_at: datetime
    environment_name: str | None = None
    environment_production: bool | None = None
    target: str | None = None
    branch_name: str | None = None
    tag_name: str | None = None


@dataclass(frozen=True)
class ProviderRef:
    id: int
    name: str


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class VerifiablePactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_provider(self, name: str) -> ProviderRef | None:
        row = self.session.execute(
            select(Pacticipant.id, Pacticipant.name).where(Pacticipant.name == name)
        ).first()
        return ProviderRef(row[0], row[1]) if row else None

    def environment_names(self) -> set[str]:
        return set(self.session.scalars(select(Environment.name)))

    # --- selection ------------------------------------------------------------------------------------------
    def _base(self, provider_id: int, *extra: Any) -> Select[Any]:
        lpp = LatestPactPublicationIdForConsumerVersion
        c = Pacticipant
        return (
            select(*_pact_columns(), *extra)
            .select_from(lpp)
            .join(c, c.id == lpp.consumer_id)
            .join(Version, Version.id == lpp.consumer_version_id)
            .join(PactVersion, PactVersion.id == lpp.pact_version_id)
            .where(lpp.provider_id == provider_id)
        )

    def _from_versions(self, provider_id: int, driver: Any, *extra: Any) -> Select[Any]:
        """Pacts for the consumer versions listed by `driver` (a subquery with a `version_id` column).

        Starting from the few versions a selector names (branch heads, tag heads) and reaching the pact by
        the primary key of the "latest publication" table keeps PostgreSQL on index lookups, instead of
        joining every pact of the provider to every version.
        """
        lpp = LatestPactPublicationIdForConsumerVersion
        c = Pacticipant
        return (
            select(*_pact_columns(), *extra)
            .select_from(driver)
            .join(lpp, and_(lpp.consumer_version_id == driver.c.version_id, lpp.provider_id == provider_id))
            .join(Version, Version.id == lpp.consumer_version_id)
            .join(c, c.id == lpp.consumer_id)
            .join(PactVersion, PactVersion.id == lpp.pact_version_id)
        )

    @staticmethod
    def _consumers_of(provider_id: int) -> Select[Any]:
        return select(IntegrationModel.consumer_id).where(IntegrationModel.provider_id == provider_id)

    def _branch_heads(self, provider_id: int, branch: str | None = None, main: bool = False) -> Any:
        """Heads of the provider's consumers' branches: one named branch, their main branches, or all.

        The head, not the newest version with a pact for this provider: a head without one selects nothing,
        because that is how a consumer drops an integration (reference `for_branch_heads`,
        `latest_for_main_branches`, `for_all_branch_heads`; pact_broker 6dac495e, PR #668). Pinned by
        tests/broker/test_for_verification_heads.py.
        """
        bh = BranchHead
        stmt = select(bh.version_id.label("version_id"), bh.branch_name.label("branch_name")).where(
            bh.pacticipant_id.in_(self._consumers_of(provider_id))
        )
        if branch is not None:
            stmt = stmt.where(bh.branch_name == branch)
        if main:
            owner = aliased(Pacticipant)
            stmt = stmt.join(owner, and_(owner.id == bh.pacticipant_id, owner.main_branch == bh.branch_name))
        return stmt.subquery("heads")

    def _tag_heads(self, provider_id: int, tag: str | None = None) -> Any:
        """The latest version with each tag (or with one tag) of the provider's consumers, whether or not it
        has a pact for this provider (reference `for_latest_consumer_versions_with_tag`, `for_all_tag_heads`;
        pact_broker 374c77ce), for the same reason as `_branch_heads`."""
        head = select(
            Tag.pacticipant_id.label("pid"),
            Tag.name.label("name"),
            func.max(Tag.version_order).label("max_order"),
        ).where(Tag.pacticipant_id.in_(self._consumers_of(provider_id)))
        if tag is not None:
            head = head.where(Tag.name == tag)
        heads = head.group_by(Tag.pacticipant_id, Tag.name).subquery("head_tags")
        # The head tag row itself names the version: (pacticipant_id, name, version_order) is indexed.
        head_tag = aliased(Tag)
        return (
            select(head_tag.version_id.label("version_id"), heads.c.name.label("tag_name"))
            .join(
                heads,
                and_(
                    head_tag.pacticipant_id == heads.c.pid,
                    head_tag.name == heads.c.name,
                    head_tag.version_order == heads.c.max_order,
                ),
            )
            .subquery("tag_heads")
        )

    def _run(self, stmt: Select[Any]) -> list[PactRow]:
        rows = []
        for r in self.session.execute(stmt):
            rows.append(
                PactRow(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    _aware(r[8]),
                    r[9],
                    None if r[10] is None else bool(r[10]),
                    r[11],
                    r[12],
                    r[13],
                )
            )
        return rows

    def find_for_selector(
        self, provider_id: int, selector: Selector, consumers: Iterable[str] | None = None
    ) -> list[PactRow]:
        """The pacts one selector picks (the reference's `for_provider_and_consumer_version_selector`)."""
        lpp = LatestPactPublicationIdForConsumerVersion
        names = (
            [selector.consumer] if selector.consumer else (list(consumers) if consumers is not None else None)
        )
        none = null()

        def finish(stmt: Select[Any]) -> Select[Any]:
            if names is not None:
                stmt = stmt.where(Pacticipant.name.in_(names))
            return stmt

        if selector.currently_deployed or selector.currently_supported or selector.in_environment:
            parts = []
            if selector.currently_deployed or not selector.currently_supported:
                cdv, dv, e = CurrentlyDeployedVersionId, DeployedVersion, Environment
                stmt = self._base(provider_id, e.name, e.production, dv.target, none, none)
                stmt = (
                    stmt.join(cdv, cdv.version_id == lpp.consumer_version_id)
                    .join(dv, dv.id == cdv.deployed_version_id)
                    .join(e, e.id == cdv.environment_id)
                )
                if selector.environment:
                    stmt = stmt.where(e.name == selector.environment)
                parts.append(finish(stmt))
            if selector.currently_supported or not selector.currently_deployed:
                rv, e2 = ReleasedVersion, aliased(Environment)
                stmt = self._base(provider_id, e2.name, e2.production, none, none, none)
                stmt = stmt.join(rv, rv.version_id == lpp.consumer_version_id).join(
                    e2, e2.id == rv.environment_id
                )
                stmt = stmt.where(rv.support_ended_at.is_(None))
                if selector.environment:
                    stmt = stmt.where(e2.name == selector.environment)
                parts.append(finish(stmt))
            if len(parts) == 1:
                return self._run(parts[0])
            return self._run(union_all(*parts))  # type: ignore[arg-type]

        if selector.latest_for_main_branch or (
            selector.latest is True and isinstance(selector.branch, (str, bool))
        ):
            if selector.latest_for_main_branch:
                heads = self._branch_heads(provider_id, main=True)
            elif selector.branch is True:
                heads = self._branch_heads(provider_id)
            else:
                heads = self._branch_heads(provider_id, branch=str(selector.branch))
            stmt = self._from_versions(provider_id, heads, none, none, none, heads.c.branch_name, none)
            return self._run(finish(stmt))
        if selector.latest_for_tag and selector.tag:
            return self._run(finish(self._latest_for_tag(provider_id, selector.tag)))
        if selector.all_for_tag and selector.tag:
            stmt = self._base(provider_id, none, none, none, none, Tag.name).join(
                Tag, and_(Tag.version_id == lpp.consumer_version_id, Tag.name == selector.tag)
            )
            return self._run(finish(stmt))
        if selector.overall_latest:
            latest = (
                select(lpp.consumer_id.label("cid"), func.max(Version.order).label("max_order"))
                .join(Version, Version.id == lpp.consumer_version_id)
                .where(lpp.provider_id == provider_id)
                .group_by(lpp.consumer_id)
                .subquery("latest")
            )
            stmt = self._base(provider_id, none, none, none, none, none).join(
                latest, and_(latest.c.cid == lpp.consumer_id, latest.c.max_order == Version.order)
            )
            return self._run(finish(stmt))
        return []

    def _latest_for_tag(self, provider_id: int, tag: str) -> Select[Any]:
        heads = self._tag_heads(provider_id, tag)
        return self._from_versions(provider_id, heads, null(), null(), null(), null(), heads.c.tag_name)

    def find_latest_for_tag(self, provider_id: int, tag: str, consumer: str | None) -> list[PactRow]:
        stmt = self._latest_for_tag(provider_id, tag)
        if consumer:
            stmt = stmt.where(Pacticipant.name == consumer)
        return self._run(stmt)

    def default_selector_plan(self, provider_id: int) -> tuple[list[str], dict[str, str], list[str]]:
        """Which default selector applies to each consumer of the provider (reference `default_selectors`):
        its main branch if that branch has a version, else the latest tagged with the main branch's name,
        else the overall latest. Returns (main-branch consumers, {consumer: tag}, overall-latest ones)."""
        i = IntegrationModel
        c = Pacticipant
        has_branch = (
            select(BranchHead.branch_id)
            .where(BranchHead.pacticipant_id == c.id, BranchHead.branch_name == c.main_branch)
            .exists()
        )
        has_tag = select(Tag.version_id).where(Tag.pacticipant_id == c.id, Tag.name == c.main_branch).exists()
        rows = self.session.execute(
            select(c.name, c.main_branch, has_branch, has_tag)
            .join(i, i.consumer_id == c.id)
            .where(i.provider_id == provider_id)
            .order_by(c.name)
        )
        main, tagged, latest = [], {}, []
        for name, main_branch, branch_exists, tag_exists in rows:
            if main_branch and branch_exists:
                main.append(name)
            elif main_branch and tag_exists:
                tagged[name] = main_branch
            else:
                latest.append(name)
        return main, tagged, latest

    # --- pending ------------------------------------------------------------------------------------------
    def verified_by_branch(self, provider_id: int, pact_version_ids: set[int], branch: str) -> set[int]:
        """Contents with a successful verification from a version of the provider's branch."""
        if not pact_version_ids:
            return set()
        v, bv = Verification, BranchVersion
        return set(
            self.session.scalars(
                select(v.pact_version_id)
                .distinct()
                .join(
                    bv,
                    and_(
                        bv.version_id == v.provider_version_id,
                        bv.pacticipant_id == provider_id,
                        bv.branch_name == branch,
                    ),
                )
                .where(
                    v.provider_id == provider_id, v.success.is_(True), v.pact_version_id.in_(pact_version_ids)
                )
            )
        )

    def verified_by_other_branch_before(
        self, provider_id: int, pact_version_ids: set[int], branch: str
    ) -> set[int]:
        """Contents successfully verified from another branch before this branch was created (a new
        feature branch inherits what main already verified)."""
        if not pact_version_ids:
            return set()
        v, bv = Verification, BranchVersion
        created = self.session.scalar(
            select(Branch.created_at).where(Branch.pacticipant_id == provider_id, Branch.name == branch)
        )
        stmt = (
            select(v.pact_version_id)
            .distinct()
            .join(
                bv,
                and_(
                    bv.version_id == v.provider_version_id,
                    bv.pacticipant_id == provider_id,
                    bv.branch_name != branch,
                ),
            )
            .where(v.provider_id == provider_id, v.success.is_(True), v.pact_version_id.in_(pact_version_ids))
        )
        if created is not None:
            stmt = stmt.where(v.created_at < created)
        return set(self.session.scalars(stmt))

    def verified_by_tags(
        self, provider_id: int, pact_version_ids: set[int], tags: list[str]
    ) -> dict[str, set[int]]:
        """Per provider tag: contents successfully verified by a provider version with that tag, or by a
        version with another tag before that tag was first used."""
        result: dict[str, set[int]] = {t: set() for t in tags}
        if not pact_version_ids or not tags:
            return result
        v = Verification
        for tag_name, pvid in self.session.execute(
            select(Tag.name, v.pact_version_id)
            .distinct()
            .join(Tag, Tag.version_id == v.provider_version_id)
            .where(
                v.provider_id == provider_id,
                v.success.is_(True),
                v.pact_version_id.in_(pact_version_ids),
                Tag.name.in_(tags),
            )
        ):
            result[tag_name].add(pvid)
        first_used = dict(
            self.session.execute(
                select(Tag.name, func.min(Tag.created_at))
                .where(Tag.pacticipant_id == provider_id, Tag.name.in_(tags))
                .group_by(Tag.name)
            ).all()
        )
        for tag in tags:
            stmt = (
                select(v.pact_version_id)
                .distinct()
                .join(Tag, and_(Tag.version_id == v.provider_version_id, Tag.name != tag))
                .where(
                    v.provider_id == provider_id, v.success.is_(True), v.pact_version_id.in_(pact_version_ids)
                )
            )
            if first_used.get(tag) is not None:
                stmt = stmt.where(v.created_at < first_used[tag])
            result[tag] |= set(self.session.scalars(stmt))
        return result

    def verified_by_any(self, provider_id: int, pact_version_ids: set[int]) -> set[int]:
        if not pact_version_ids:
            return set()
        v = Verification
        return set(
            self.session.scalars(
                select(v.pact_version_id)
                .distinct()
                .where(
                    v.provider_id == provider_id, v.success.is_(True), v.pact_version_id.in_(pact_version_ids)
                )
            )
        )

    # --- WIP ----------------------------------------------------------------------------------------------
    def wip_candidates(self, provider_id: int, since: datetime) -> list[PactRow]:
        """Pacts of the latest version of every consumer branch and every consumer tag, created since."""
        lpp = LatestPactPublicationIdForConsumerVersion
        heads = self._branch_heads(provider_id)
        by_branch = self._from_versions(
            provider_id, heads, null(), null(), null(), heads.c.branch_name, null()
        )
        tag_heads = self._tag_heads(provider_id)
        by_tag = self._from_versions(
            provider_id, tag_heads, null(), null(), null(), null(), tag_heads.c.tag_name
        )
        by_branch = by_branch.where(lpp.created_at > since)
        by_tag = by_tag.where(lpp.created_at > since)
        return self._run(union_all(by_branch, by_tag))  # type: ignore[arg-type]

    def wip_verified_for_branch(self, provider_id: int, pact_version_ids: set[int], branch: str) -> set[int]:
        """Contents no longer WIP for this provider branch: successfully verified (not as WIP) by the branch,
        or by another branch before the branch's first version (both within the look-back window)."""
        if not pact_version_ids:
            return set()
        v, bv = Verification, BranchVersion
        cutoff = datetime.now(UTC) - WIP_VERIFIED_LOOKBACK
        base = (
            select(v.pact_version_id)
            .distinct()
            .where(
                v.provider_id == provider_id,
                v.success.is_(True),
                v.wip.is_(False),
                v.pact_version_id.in_(pact_version_ids),
            )
        )
        by_branch = base.join(
            bv,
            and_(
                bv.version_id == v.provider_version_id,
                bv.pacticipant_id == provider_id,
                bv.branch_name == branch,
            ),
        ).where(v.execution_date >= cutoff)
        # The branch's first version, found through the (pacticipant, branch, order) and (pacticipant, order)
        # indexes; no branch yet means no limit (any earlier verification counts), as in the reference.
        first_order = (
            select(func.min(BranchVersion.version_order))
            .where(BranchVersion.pacticipant_id == provider_id, BranchVersion.branch_name == branch)
            .scalar_subquery()
        )
        first_version_created = func.coalesce(
            select(Version.created_at)
            .where(Version.pacticipant_id == provider_id, Version.order == first_order)
            .scalar_subquery(),
            datetime(9999, 12, 31, tzinfo=UTC),
        )
        by_other = base.join(
            bv,
            and_(
                bv.version_id == v.provider_version_id,
                bv.pacticipant_id == provider_id,
                bv.branch_name != branch,
            ),
        ).where(v.created_at < first_version_created)
        return set(self.session.scalars(union_all(by_branch, by_other)))

    def wip_verified_for_tag(self, provider_id: int, pact_version_ids: set[int], tag: str) -> set[int]:
        if not pact_version_ids:
            return set()
        v = Verification
        base = (
            select(v.pact_version_id)
            .distinct()
            .where(
                v.provider_id == provider_id,
                v.success.is_(True),
                v.wip.is_(False),
                v.pact_version_id.in_(pact_version_ids),
            )
        )
        by_tag = base.join(Tag, and_(Tag.version_id == v.provider_version_id, Tag.name == tag))
        first_used = (
            select(func.min(Tag.created_at))
            .where(Tag.pacticipant_id == provider_id, Tag.name == tag)
            .scalar_subquery()
        )
        by_other = base.join(Tag, and_(Tag.version_id == v.provider_version_id, Tag.name != tag)).where(
            or_(first_used.is_(None), v.created_at < first_used)
        )
        return set(self.session.scalars(union_all(by_tag, by_other)))


def _pact_columns() -> tuple[Any, ...]:
    """The row every selection returns (`_base` and `_from_versions` differ only in how they reach it)."""
    lpp = LatestPactPublicationIdForConsumerVersion
    return (
        lpp.consumer_id,
        Pacticipant.name,
        Pacticipant.main_branch,
        Version.id,
        Version.number,
        Version.order,
        lpp.pact_version_id,
        PactVersion.sha,
        lpp.created_at,
    )
