"""All SQL of pacts-for-verification: selected pacts, pending status, WIP candidates.

Every selector is one statement over `latest_pact_publication_ids_for_consumer_versions` (the newest
revision per consumer version, so overwritten revisions never get verified), reached by primary key from
the versions the selector names (branch and tag heads, deployments, releases); the default selectors and
the WIP candidates share one statement. Pending status and WIP exclusions are computed for *all* candidate
contents at once (one statement for both with a provider branch), so the number of statements depends on
the number of selectors and provider tags, never on the number of pacts.

Each statement is built once per *shape* (which selector, which optional filters) and database kind, with
the values as bound parameters: building and cache-keying these joins cost more CPU than running them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from broker.db.direct import direct
from broker.db.models import (
    Branch,
    BranchHead,
    BranchHeadPact,
    BranchVersion,
    CurrentlyDeployedVersionId,
    DeployedVersion,
    Environment,
    LatestPactPublicationIdForConsumerVersion,
    Pacticipant,
    PactVersion,
    ReleasedVersion,
    Tag,
    TagHead,
    Verification,
    Version,
)
from broker.db.models import Integration as IntegrationModel
from broker.verifiable_pacts.query import Selector

# The reference only looks this far back for "already verified" when computing WIP (PR #902).
WIP_VERIFIED_LOOKBACK = timedelta(days=30)


def wip_verified_cutoff(now: datetime) -> datetime:
    """The look-back window's start, whole minutes: an answer is then the same all minute long, which is
    what lets it be kept (`broker.answer_cache`), and a minute is nothing against a 30-day window."""
    return now.replace(second=0, microsecond=0) - WIP_VERIFIED_LOOKBACK


# "No limit" for a "verified before the branch/tag existed" cut-off that has nothing to compare with.
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)

_lpp = LatestPactPublicationIdForConsumerVersion


class PactRow(NamedTuple):
    """One pact (latest revision for a consumer version) found for a selector. A tuple: a request reads a
    few hundred of these, and a frozen dataclass costs several times more to build."""

    consumer_id: int
    consumer_name: str
    consumer_main_branch: str | None
    consumer_version_id: int
    consumer_version_number: str
    consumer_version_order: int
    pact_version_id: int
    pact_version_sha: str
    environment_name: str | None = None
    environment_production: bool | None = None
    target: str | None = None
    branch_name: str | None = None
    tag_name: str | None = None


class DefaultPacts(NamedTuple):
    main_branch: list[PactRow]
    deployed: list[PactRow]
    released: list[PactRow]
    wip_candidates: list[PactRow]


class DefaultPlan(NamedTuple):
    """Consumers by default selector: main branch, {consumer: tag named like its main branch}, latest."""

    main_branch: list[str]
    tagged: dict[str, str]
    latest: list[str]


class ProviderRef(NamedTuple):
    id: int
    name: str


class VerifiablePactsRepository:
    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.verified_cutoff = wip_verified_cutoff(now or datetime.now(UTC))
        bind = session.get_bind()
        self.sqlite = bind.dialect.name == "sqlite"
        if bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            # Outside a transaction PostgreSQL ignores SET LOCAL (with a warning) and the plans it chooses
            # are 10-40x slower (see `default_pacts`).
            raise RuntimeError("for-verification needs a read transaction (deps.ReadTransaction)")

    def find_provider(self, name: str) -> ProviderRef | None:
        row = direct(_PROVIDER).first(self.session, {"name": name})
        return ProviderRef(row[0], row[1]) if row else None

    def environment_names(self) -> set[str]:
        return set(direct(_ENVIRONMENT_NAMES).scalars(self.session))

    # --- selection ------------------------------------------------------------------------------------------
    def _run(self, stmt: Select[Any], params: dict[str, Any]) -> list[PactRow]:
        make = PactRow._make
        return [make(r) for r in direct(stmt).rows(self.session, params)]

    def find_for_selector(
        self, provider_id: int, selector: Selector, consumers: Iterable[str] | None = None
    ) -> list[PactRow]:
        """The pacts one selector picks (the reference's `for_provider_and_consumer_version_selector`)."""
        names = (
            [selector.consumer] if selector.consumer else (list(consumers) if consumers is not None else None)
        )
        params: dict[str, Any] = {"provider_id": provider_id}
        if names is not None:
            params["names"] = names
        by_name = names is not None
        if selector.environment:
            params["environment"] = selector.environment
        in_env = bool(selector.environment)

        if selector.currently_deployed or selector.currently_supported or selector.in_environment:
            deployed = bool(selector.currently_deployed or not selector.currently_supported)
            released = bool(selector.currently_supported or not selector.currently_deployed)
            return self._run(_environment_pacts(self.sqlite, deployed, released, in_env, by_name), params)

        if selector.latest_for_main_branch or (
            selector.latest is True and isinstance(selector.branch, (str, bool))
        ):
            if selector.latest_for_main_branch:
                which = "main"
            elif selector.branch is True:
                which = "all"
            else:
                which, params["branch"] = "named", str(selector.branch)
            return self._run(_branch_head_pacts(self.sqlite, which, by_name), params)
        if selector.latest_for_tag and selector.tag:
            params["tag"] = selector.tag
            return self._run(_tag_head_pacts(self.sqlite, True, by_name, since=False), params)
        if selector.all_for_tag and selector.tag:
            params["tag"] = selector.tag
            return self._run(_all_for_tag_pacts(by_name), params)
        if selector.overall_latest:
            return self._run(_overall_latest_pacts(by_name), params)
        return []

    def default_pacts(self, provider_id: int, wip_since: datetime | None) -> DefaultPacts:
        """In one statement, the pacts of the default selectors that need no fallback: the heads of the
        consumers' main branches (only consumers whose main branch has a head match), the versions
        deployed and those released; with `wip_since`, the WIP candidates (`wip_candidates`) too."""
        params: dict[str, Any] = {"provider_id": provider_id}
        if wip_since is not None:
            params["since"] = wip_since
        found = DefaultPacts([], [], [], [])
        make = PactRow._make
        if not self.sqlite:
            # A UNION of five joins: PostgreSQL kept planning it for each request's values (10 ms on the
            # full benchmark history, twice its run time). Its generic plan, index look-ups from the
            # provider's consumers, is the plan for any provider.
            direct(_PLAN_ONCE).run(self.session)
        for row in direct(_default_pacts(self.sqlite, wip_since is not None)).rows(self.session, params):
            found[row[-1]].append(make(row[:-1]))
        return found

    def find_latest_for_tag(self, provider_id: int, tag: str, consumer: str | None) -> list[PactRow]:
        params: dict[str, Any] = {"provider_id": provider_id, "tag": tag}
        if consumer:
            params["names"] = [consumer]
        return self._run(_tag_head_pacts(self.sqlite, True, bool(consumer), since=False), params)

    def find_provider_with_default_plan(self, name: str) -> tuple[ProviderRef | None, DefaultPlan]:
        """The provider, and which default selector applies to each of its consumers (reference
        `default_selectors`), in one statement: a consumer's main branch if that branch has a version,
        else the latest tagged with the main branch's name, else the overall latest."""
        provider: ProviderRef | None = None
        plan = DefaultPlan([], {}, [])
        for pid, pname, name_, main_branch, branch_exists, tag_exists in direct(
            _PROVIDER_WITH_DEFAULT_PLAN
        ).rows(self.session, {"name": name}):
            provider = ProviderRef(pid, pname)
            if name_ is None:  # a provider without consumers
                continue
            if main_branch and branch_exists:
                plan.main_branch.append(name_)
            elif main_branch and tag_exists:
                plan.tagged[name_] = main_branch
            else:
                plan.latest.append(name_)
        return provider, plan

    # --- pending ------------------------------------------------------------------------------------------
    def verified_on_branch(
        self, provider_id: int, branch: str, pending_ids: set[int], wip_ids: set[int]
    ) -> tuple[set[int], set[int]]:
        """For a provider branch, in one statement: which of `pending_ids` are no longer pending (a successful
        verification from the branch, or from another branch before this branch was created: a new feature
        branch inherits what main already verified) and which of `wip_ids` are no longer WIP (a successful
        non-WIP verification from the branch within the look-back window, or from another branch before the
        branch's first version)."""
        return self._no_longer_pending_and_wip(
            _verified_on_branch(self.sqlite),
            pending_ids,
            wip_ids,
            {"provider_id": provider_id, "branch": branch, "cutoff": self.verified_cutoff},
        )

    def verified_for_tag(
        self, provider_id: int, tag: str, pending_ids: set[int], wip_ids: set[int]
    ) -> tuple[set[int], set[int]]:
        """For a provider tag, in one statement: which of `pending_ids` are no longer pending for it (a
        successful verification from a version with the tag, or with another tag before the tag was first
        used) and which of `wip_ids` are no longer WIP (the same, WIP runs left out)."""
        return self._no_longer_pending_and_wip(
            _verified_for_tag(self.sqlite), pending_ids, wip_ids, {"provider_id": provider_id, "tag": tag}
        )

    def _no_longer_pending_and_wip(
        self, statement: Any, pending_ids: set[int], wip_ids: set[int], params: dict[str, Any]
    ) -> tuple[set[int], set[int]]:
        """The rows of a check over `ids` (labelled 0) and `wip_ids` (labelled 1), split by label."""
        not_pending: set[int] = set()
        not_wip: set[int] = set()
        if not pending_ids and not wip_ids:
            return not_pending, not_wip
        params = {**params, "ids": list(pending_ids), "wip_ids": list(wip_ids)}
        for content_id, label in direct(statement).rows(self.session, params):
            (not_wip if label else not_pending).add(content_id)
        return not_pending, not_wip

    def verified_by_any(self, provider_id: int, pact_version_ids: set[int]) -> set[int]:
        """Contents with a successful verification by any version of the provider."""
        if not pact_version_ids:
            return set()
        params = {"provider_id": provider_id, "ids": list(pact_version_ids)}
        return set(direct(_verified_by_any(self.sqlite)).scalars(self.session, params))

    # --- WIP ----------------------------------------------------------------------------------------------
    def wip_candidates(self, provider_id: int, since: datetime) -> list[PactRow]:
        """Pacts of the latest version of every consumer branch and every consumer tag, created since."""
        return self._run(_wip_candidates(self.sqlite), {"provider_id": provider_id, "since": since})


# --- statements -----------------------------------------------------------------------------------------
# Bound parameters: provider_id, and as each shape needs: names (consumer names), branch, tag, environment,
# since, ids and wip_ids (pact version ids), cutoff.


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


_PROVIDER_ID: BindParameter[int] = bindparam("provider_id")


def _by_key(column: Any, sqlite: bool) -> Any:
    """`column`, kept from choosing the join order on SQLite.

    SQLite has no statistics (nothing runs ANALYZE), so it takes `provider_id = ?` for ~10 rows and starts
    from every pact of the provider (1,650 on the benchmark history), probing the heads for each, instead
    of starting from the few heads and reaching their pacts by primary key; `+column` is SQLite's way of
    saying "no index for this term". PostgreSQL has statistics and picks its own plan.
    """
    if not sqlite:
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _pacts_from(
    sqlite: bool, version_id: Any, *extra: Any, version: Any = Version
) -> tuple[tuple[Any, ...], list[tuple[Any, Any]]]:
    """The columns every selection returns, and the joins that reach them from `version_id` (the consumer
    versions a selector names): the pact by primary key, then its version (unless the selection already
    joined it as `version`) and its content."""
    lpp = _lpp
    columns = (
        lpp.consumer_id,
        Pacticipant.name,
        Pacticipant.main_branch,
        version.id,
        version.number,
        version.order,
        lpp.pact_version_id,
        PactVersion.sha,
        *extra,
    )
    joins: list[tuple[Any, Any]] = [
        (lpp, and_(lpp.consumer_version_id == version_id, _by_key(lpp.provider_id, sqlite) == _PROVIDER_ID))
    ]
    if version is Version:
        # After the pact, so only the versions that have one are read.
        joins.append((Version, Version.id == _by_key(lpp.consumer_version_id, sqlite)))
    joins.append((PactVersion, PactVersion.id == lpp.pact_version_id))
    return columns, joins


def _joined(stmt: Select[Any], joins: Iterable[tuple[Any, Any]]) -> Select[Any]:
    for target, onclause in joins:
        stmt = stmt.join(target, onclause)
    return stmt


def _consumers_of_provider() -> Select[Any]:
    return select(IntegrationModel.consumer_id).where(IntegrationModel.provider_id == _PROVIDER_ID)


def _named(stmt: Select[Any], by_name: bool) -> Select[Any]:
    return stmt.where(Pacticipant.name.in_(_ids("names"))) if by_name else stmt


@cache
def _branch_head_pacts(sqlite: bool, which: str, by_name: bool) -> Select[Any]:
    """Pacts at the heads of the provider's consumers' branches: their main branches, one named branch
    (`branch`), or all.

    The head, not the newest version with a pact for this provider: a head without one selects nothing,
    because that is how a consumer drops an integration (reference `for_branch_heads`,
    `latest_for_main_branches`, `for_all_branch_heads`; pact_broker 6dac495e, PR #668). Pinned by
    tests/broker/test_for_verification_heads.py.
    """
    bh, c = BranchHead, Pacticipant
    on_head = bh.pacticipant_id == c.id
    if which == "main":
        on_head = and_(on_head, bh.branch_name == c.main_branch)
    elif which == "named":
        on_head = and_(on_head, bh.branch_name == bindparam("branch"))
    columns, joins = _pacts_from(sqlite, bh.version_id, null(), null(), null(), bh.branch_name, null())
    stmt = (
        select(*columns)
        .select_from(IntegrationModel)
        .join(c, c.id == IntegrationModel.consumer_id)
        .join(bh, on_head)
        .where(IntegrationModel.provider_id == _PROVIDER_ID)
    )
    return _named(_joined(stmt, joins), by_name)


@cache
def _tag_head_pacts(sqlite: bool, one_tag: bool, by_name: bool, since: bool) -> Select[Any]:
    """Pacts of the latest version with each tag (or with one tag, `tag`) of the provider's consumers,
    whether or not it has a pact for this provider (reference `for_latest_consumer_versions_with_tag`,
    `for_all_tag_heads`; pact_broker 374c77ce), for the same reason as `_branch_head_pacts`."""
    t = Tag
    consumers_tags: Any = t.pacticipant_id.in_(_consumers_of_provider())
    if one_tag:
        consumers_tags = and_(consumers_tags, t.name == bindparam("tag"))
    # Every tag of the consumers: their heads as stored (`tag_heads`), read by consumer; grouping the tags
    # read every tag they ever had (2,053 rows for 44 names on the benchmark's full history: PostgreSQL
    # 0.77 ms of the statement). One tag, each head's version id straight from the tags index, so no join
    # back to the head tag rows (which PostgreSQL answered by hashing the whole tags table): SQLite by
    # filling a bare column from the row that has the max(), PostgreSQL by reading each consumer's newest
    # entry from the index (LATERAL ... LIMIT 1), which SQLite does not have.
    head_tags: Any
    if not one_tag:
        head_tags = (
            select(TagHead.name.label("name"), TagHead.version_id.label("version_id"))
            .where(TagHead.pacticipant_id.in_(_consumers_of_provider()))
            .subquery("head_tags")
        )
        stmt = select().select_from(head_tags)
    elif sqlite:
        head_tags = (
            select(t.name.label("name"), t.version_id.label("version_id"), func.max(t.version_order))
            .where(consumers_tags)
            .group_by(t.pacticipant_id, t.name)
            .subquery("head_tags")
        )
        stmt = select().select_from(head_tags)
    else:
        tag_names = (
            select(t.pacticipant_id.label("pid"), t.name.label("name"))
            .where(consumers_tags)
            .group_by(t.pacticipant_id, t.name)
            .subquery("tag_names")
        )
        newest = aliased(Tag)
        head_tags = (
            select(newest.name.label("name"), newest.version_id.label("version_id"))
            .where(newest.pacticipant_id == tag_names.c.pid, newest.name == tag_names.c.name)
            .order_by(newest.version_order.desc())
            .limit(1)
            .lateral("head_tags")
        )
        stmt = select().select_from(tag_names).join(head_tags, true())
    head = head_tags.c
    columns, joins = _pacts_from(sqlite, head.version_id, null(), null(), null(), null(), head.name)
    stmt = stmt.add_columns(*columns)
    stmt = _joined(stmt, joins).join(Pacticipant, Pacticipant.id == _lpp.consumer_id)
    stmt = _named(stmt, by_name)
    return stmt.where(_lpp.created_at > bindparam("since")) if since else stmt


@cache
def _environment_pacts(sqlite: bool, deployed: bool, released: bool, in_env: bool, by_name: bool) -> Any:
    """Pacts of the versions currently deployed and/or released (and supported) [in `environment`]."""
    parts = []
    # From the provider's consumers: SQLite (no statistics) would otherwise read every pact there is and
    # probe the deployments of each.
    consumers = (
        select()
        .select_from(IntegrationModel)
        .join(Pacticipant, Pacticipant.id == IntegrationModel.consumer_id)
        .where(IntegrationModel.provider_id == _PROVIDER_ID)
    )
    if deployed:
        cdv, dv, e = CurrentlyDeployedVersionId, DeployedVersion, Environment
        columns, joins = _pacts_from(sqlite, cdv.version_id, e.name, e.production, dv.target, null(), null())
        stmt = consumers.add_columns(*columns).join(cdv, cdv.pacticipant_id == Pacticipant.id)
        stmt = _joined(stmt, joins)
        stmt = stmt.join(dv, dv.id == cdv.deployed_version_id).join(e, e.id == cdv.environment_id)
        if in_env:
            stmt = stmt.where(e.name == bindparam("environment"))
        parts.append(_named(stmt, by_name))
    if released:
        rv, e = ReleasedVersion, Environment
        columns, joins = _pacts_from(sqlite, rv.version_id, e.name, e.production, null(), null(), null())
        stmt = consumers.add_columns(*columns).join(
            rv, and_(rv.pacticipant_id == Pacticipant.id, rv.support_ended_at.is_(None))
        )
        stmt = _joined(stmt, joins).join(e, e.id == rv.environment_id)
        if in_env:
            stmt = stmt.where(e.name == bindparam("environment"))
        parts.append(_named(stmt, by_name))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _provider_pacts(*extra: Any) -> Select[Any]:
    """Every pact of the provider (the selectors that are not about heads or environments)."""
    lpp = _lpp
    return (
        select(
            lpp.consumer_id,
            Pacticipant.name,
            Pacticipant.main_branch,
            Version.id,
            Version.number,
            Version.order,
            lpp.pact_version_id,
            PactVersion.sha,
            *extra,
        )
        .select_from(lpp)
        .join(Pacticipant, Pacticipant.id == lpp.consumer_id)
        .join(Version, Version.id == lpp.consumer_version_id)
        .join(PactVersion, PactVersion.id == lpp.pact_version_id)
        .where(lpp.provider_id == _PROVIDER_ID)
    )


@cache
def _all_for_tag_pacts(by_name: bool) -> Select[Any]:
    stmt = _provider_pacts(null(), null(), null(), null(), Tag.name).join(
        Tag, and_(Tag.version_id == _lpp.consumer_version_id, Tag.name == bindparam("tag"))
    )
    return _named(stmt, by_name)


@cache
def _overall_latest_pacts(by_name: bool) -> Select[Any]:
    lpp = _lpp
    latest = (
        select(lpp.consumer_id.label("cid"), func.max(Version.order).label("max_order"))
        .join(Version, Version.id == lpp.consumer_version_id)
        .where(lpp.provider_id == _PROVIDER_ID)
        .group_by(lpp.consumer_id)
        .subquery("latest")
    )
    stmt = _provider_pacts(null(), null(), null(), null(), null()).join(
        latest, and_(latest.c.cid == lpp.consumer_id, latest.c.max_order == Version.order)
    )
    return _named(stmt, by_name)


@cache
def _recent_branch_head_pacts() -> Any:
    """The pacts of the provider's consumers' branch heads created since `since` (WIP candidates), from
    `branch_head_pacts`: an index range on (provider, created_at) instead of probing every head of every
    consumer (`_branch_head_pacts(which="all")` with the date as a filter would give the same rows), each
    row holding its pact's content and version (no look-ups of the pact pointer, version and content:
    SQLite, full benchmark history, 304 rows in 0.81 ms instead of 1.47)."""
    bhp = BranchHeadPact
    return (
        select(
            bhp.consumer_id,
            Pacticipant.name,
            Pacticipant.main_branch,
            bhp.consumer_version_id,
            bhp.consumer_version_number,
            bhp.consumer_version_order,
            bhp.pact_version_id,
            bhp.pact_version_sha,
            null(),
            null(),
            null(),
            bhp.branch_name,
            null(),
        )
        .select_from(bhp)
        .join(Pacticipant, Pacticipant.id == bhp.consumer_id)
        .where(bhp.provider_id == _PROVIDER_ID, bhp.created_at > bindparam("since"))
    )


@cache
def _wip_candidates(sqlite: bool) -> Any:
    by_branch = _recent_branch_head_pacts()
    by_tag = _tag_head_pacts(sqlite, one_tag=False, by_name=False, since=True)
    return union_all(by_branch, by_tag)


@cache
def _default_pacts(sqlite: bool, with_wip: bool) -> Any:
    """`default_pacts` as one UNION ALL (one round trip instead of four); each row ends with the index of
    its part in `DefaultPacts`."""
    parts = [
        _branch_head_pacts(sqlite, "main", by_name=False),
        _environment_pacts(sqlite, deployed=True, released=False, in_env=False, by_name=False),
        _environment_pacts(sqlite, deployed=False, released=True, in_env=False, by_name=False),
    ]
    if with_wip:
        parts += [
            _recent_branch_head_pacts(),
            _tag_head_pacts(sqlite, one_tag=False, by_name=False, since=True),
        ]
    return union_all(*(part.add_columns(literal_column(str(min(i, 3)))) for i, part in enumerate(parts)))


def _provider_with_default_plan() -> Any:
    provider, c = Pacticipant, aliased(Pacticipant)
    has_branch = (
        select(BranchHead.branch_id)
        .where(BranchHead.pacticipant_id == c.id, BranchHead.branch_name == c.main_branch)
        .exists()
    )
    has_tag = select(Tag.version_id).where(Tag.pacticipant_id == c.id, Tag.name == c.main_branch).exists()
    # Outer joins: a provider without consumers is still found (one row, no consumer).
    return (
        select(provider.id, provider.name, c.name, c.main_branch, has_branch, has_tag)
        .select_from(provider)
        .outerjoin(IntegrationModel, IntegrationModel.provider_id == provider.id)
        .outerjoin(c, c.id == IntegrationModel.consumer_id)
        .where(provider.name == bindparam("name"))
        .order_by(c.name)
    )


@cache
def _verified_by_any(sqlite: bool) -> Any:
    """Contents among `ids` with a successful verification by the provider: an EXISTS per content that
    stops at its first one ("SELECT DISTINCT" read them all). On PostgreSQL the EXISTS is kept a probe per
    content (OFFSET 0): as a semi-join, the plan kept for any values walked all the provider's
    verifications."""
    contents = _contents(sqlite, "ids")
    verified: Any = select(literal_column("1")).where(*_successes(contents, wip_too=True))
    if sqlite:
        return select(contents.c.id).where(contents.c.id.in_(_ids("ids")), verified.exists())
    return select(contents.c.id).where(verified.offset(literal_column("0")).exists())


def _successes(contents: Any, *, wip_too: bool) -> list[Any]:
    """What a verification of a content among `contents` must be to count: the provider's, successful, and
    (unless `wip_too`) not a WIP run."""
    v = Verification
    conditions = [v.pact_version_id == contents.c.id, v.provider_id == _PROVIDER_ID, v.success.is_(True)]
    return conditions if wip_too else [*conditions, v.wip.is_(False)]


def _contents(sqlite: bool, ids: str) -> Any:
    """What the checks start from: the contents table (SQLite, with `id IN (:ids)`), or the ids as rows
    (PostgreSQL: one array parameter, unnest)."""
    if sqlite:
        return PactVersion.__table__
    return func.unnest(bindparam(ids, type_=ARRAY(Integer))).table_valued("id").render_derived("contents")


class _Names(NamedTuple):
    """Where a provider version's branch or tag names are: the table, its version and name columns, and
    the parameter the name is compared with."""

    table: Any
    version_id: Any
    name: Any
    pacticipant_id: Any
    parameter: str


_BRANCHES = _Names(
    BranchVersion, BranchVersion.version_id, BranchVersion.branch_name, BranchVersion.pacticipant_id, "branch"
)
_TAGS = _Names(Tag, Tag.version_id, Tag.name, Tag.pacticipant_id, "tag")


def _verified_by_named_versions(
    sqlite: bool, names: _Names, *, wip_too: bool, parts: list[tuple[bool, Any]], ids: str, label: int
) -> list[Any]:
    """Contents among `ids` that the provider verified successfully (excluding WIP runs unless `wip_too`)
    from a version on the branch (`names` `_BRANCHES`) or with the tag (`_TAGS`) named by the parameter
    (part `(True, condition)`) or on another one (`(False, condition)`), as selects to UNION ALL; each row
    is (content id, `label`).

    A content has a verification per provider build and re-run (hundreds; reference issue #487), so each
    content is checked with an EXISTS that stops at the first qualifying one; "SELECT DISTINCT" over the
    join read them all (full benchmark history, SQLite: pending 1.7 -> 0.1 ms, WIP 1.6 -> 0.8 ms). SQLite
    takes the parts OR-ed, and the branch's versions are kept from driving the join (`_by_key`).
    PostgreSQL walks each content's verifications once (from the ids, unnest), each part a condition on a
    verification: one EXISTS per part read them once per part (full benchmark history, 272 contents: 1.32
    -> 0.90 ms), and two EXISTS OR-ed turned into the set of everything the branch ever verified. There a
    verification's branch is a probe of its version's branch rows (an EXISTS kept as a subplan by
    OFFSET 0), not a join: joined, the plan PostgreSQL keeps for any values (psycopg prepares a statement
    from its fifth run) guessed one version on the branch and drove from it, walking every verification of
    the branch (66 ms), so the statement was planned for each call's values (3.1 ms, 1.1 of it planning);
    probed, one plan serves every call.
    """
    v = Verification
    contents = _contents(sqlite, ids)
    found: list[Any] = []
    for named_is, condition in parts:
        name = _by_key(names.name, sqlite)
        compared: Any = bindparam(names.parameter)
        of_version = and_(
            names.version_id == v.provider_version_id,
            _by_key(names.pacticipant_id, sqlite) == _PROVIDER_ID,
            name == compared if named_is else name != compared,
        )
        if not sqlite:  # one pass over the content's verifications, each part a condition on it
            probe: Any = (
                select(literal_column("1"))
                .select_from(names.table)
                .where(of_version)
                .offset(literal_column("0"))
            )
            found.append(and_(condition, probe.exists()))
            continue
        verified = (
            select(v.pact_version_id)
            .join(names.table, of_version)
            .where(*_successes(contents, wip_too=wip_too), condition)
        )
        found.append(verified.exists())
    if sqlite:
        in_ids = contents.c.id.in_(_ids(ids))
        return [select(contents.c.id, literal_column(str(label))).where(in_ids, or_(*found))]
    verified = (
        select(literal_column("1")).select_from(v).where(*_successes(contents, wip_too=wip_too), or_(*found))
    )
    return [select(contents.c.id, literal_column(str(label))).where(verified.exists())]


def _no_longer_pending(sqlite: bool, ids: str, label: int) -> list[Any]:
    """Pending for a provider branch ends with a successful verification from the branch, or from another
    branch before this branch was created (a new feature branch inherits what main already verified)."""
    branch_created = func.coalesce(
        select(Branch.created_at)
        .where(Branch.pacticipant_id == _PROVIDER_ID, Branch.name == bindparam("branch"))
        .scalar_subquery(),
        _END_OF_TIME,
    )
    parts = [(True, true()), (False, Verification.created_at < branch_created)]
    return _verified_by_named_versions(sqlite, _BRANCHES, wip_too=True, parts=parts, ids=ids, label=label)


def _no_longer_wip(sqlite: bool, ids: str, label: int) -> list[Any]:
    """WIP for a provider branch ends with a successful non-WIP verification from the branch within the
    look-back window (`cutoff`), or from another branch before the branch's first version."""
    # The branch's first version, found through the (pacticipant, branch, order) and (pacticipant, order)
    # indexes; no branch yet means no limit (any earlier verification counts), as in the reference.
    first_order = (
        select(func.min(BranchVersion.version_order))
        .where(BranchVersion.pacticipant_id == _PROVIDER_ID, BranchVersion.branch_name == bindparam("branch"))
        .scalar_subquery()
    )
    first_version_created = func.coalesce(
        select(Version.created_at)
        .where(Version.pacticipant_id == _PROVIDER_ID, Version.order == first_order)
        .scalar_subquery(),
        _END_OF_TIME,
    )
    v = Verification
    parts = [(True, v.execution_date >= bindparam("cutoff")), (False, v.created_at < first_version_created)]
    return _verified_by_named_versions(sqlite, _BRANCHES, wip_too=False, parts=parts, ids=ids, label=label)


@cache
def _verified_on_branch(sqlite: bool) -> Any:
    """Both checks for a provider branch in one statement: pending contents (`ids`, rows labelled 0) and
    WIP candidates (`wip_ids`, labelled 1)."""
    return union_all(*_no_longer_pending(sqlite, "ids", 0), *_no_longer_wip(sqlite, "wip_ids", 1))


@cache
def _verified_for_tag(sqlite: bool) -> Any:
    """Both checks for a provider tag in one statement, as `_verified_on_branch` for a branch: pending
    contents (`ids`, labelled 0) end with a successful verification from a version with the tag, or with
    another tag before the tag was first used (any time if it never was); WIP candidates (`wip_ids`,
    labelled 1) the same, WIP runs left out."""
    first_used = func.coalesce(
        select(func.min(Tag.created_at))
        .where(Tag.pacticipant_id == _PROVIDER_ID, Tag.name == bindparam("tag"))
        .scalar_subquery(),
        _END_OF_TIME,
    )
    parts = [(True, true()), (False, Verification.created_at < first_used)]
    return union_all(
        *_verified_by_named_versions(sqlite, _TAGS, wip_too=True, parts=parts, ids="ids", label=0),
        *_verified_by_named_versions(sqlite, _TAGS, wip_too=False, parts=parts, ids="wip_ids", label=1),
    )


_PLAN_ONCE = text("SET LOCAL plan_cache_mode = force_generic_plan")
_PROVIDER = select(Pacticipant.id, Pacticipant.name).where(Pacticipant.name == bindparam("name"))
_ENVIRONMENT_NAMES = select(Environment.name)
_PROVIDER_WITH_DEFAULT_PLAN = _provider_with_default_plan()
