"""All SQL of the matrix: resolve selectors to version ids, find integrations, fetch the rows.

Design (reference §5): every selector is resolved to version ids once, then the row query filters by
`consumer_version_id IN (...)` / `provider_version_id IN (...)`. The number of statements per request is
bounded by the number of *specified* selectors (a handful), never by the number of rows or integrations:
inferred selectors for all integrated pacticipants are resolved in one statement.

Rows are pact publications LEFT OUTER JOIN verifications **on pact_version_id**, so one verification of
some content counts for every consumer version that published the same content. With `latestby` the
"latest" pointer tables hide overwritten revisions and re-run verifications (the reference's MatrixRow);
without it every revision and verification is shown (EveryRow).

Every statement is built once per *shape* (which criteria a request has, not their values) and cached,
with the values as bound parameters: building these aliased joins and subqueries cost ~2 ms each, about
twenty times the cost of running them, and most of a can-i-deploy request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from broker.db.direct import Direct
from broker.db.models import (
    NAME,
    BranchHead,
    BranchVersion,
    CurrentlyDeployedVersionId,
    Environment,
    LatestPactPublicationIdForConsumerVersion,
    LatestVerificationIdForPactVersionAndProviderVersion,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
)
from broker.db.models import (
    Integration as IntegrationModel,
)
from broker.matrix.query import MatrixQuery, UnresolvedSelector
from broker.matrix.resolved import Integration, MatrixRow, ResolvedSelector, SelectorType
from broker.matrix.summary import EnvironmentRef, QueryResults, VersionDetails

GROUP_BY = {
    "cvpv": ("consumer_name", "consumer_version_number", "provider_name", "provider_version_number"),
    "cvp": ("consumer_name", "consumer_version_number", "provider_name"),
    "cp": ("consumer_name", "provider_name"),
}


@dataclass(frozen=True)
class _FoundVersion:
    id: int
    number: str
    order: int
    branch_name: str | None = None


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class MatrixRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # Pacticipants and environments already looked up in this transaction (validation reads them, then
        # `find` needs them); a name looked up and not found is kept as None (environments: False).
        self._pacticipants: dict[str, tuple[int, str] | None] = {}
        self._environments: dict[str, bool] = {}
        # Versions looked up by number: (pacticipant name, number) -> the version, None if it does not exist.
        self._versions: dict[tuple[str, str], _FoundVersion | None] = {}

    # --- the one entry point ----------------------------------------------------------------------------
    def find(self, query: MatrixQuery, with_details: bool = True) -> QueryResults:
        names = [
            s.pacticipant_name for s in [*query.selectors, *query.ignore_selectors] if s.pacticipant_name
        ]
        pacticipants = self._pacticipants_by_name(names)

        ignore = [self._resolve(s, pacticipants, "ignored", []) for s in query.ignore_selectors]
        ignore_selectors = [r for group in ignore for r in group]
        specified = [
            r for s in query.selectors for r in self._resolve(s, pacticipants, "specified", ignore_selectors)
        ]

        infer = query.infers_selectors()
        integrations = self._integrations(specified, infer)
        inferred: list[ResolvedSelector] = []
        if infer:
            inferred = self._resolve_inferred(specified, ignore_selectors, integrations, query)
        selectors = specified + inferred

        rows = self._rows(selectors, query)
        rows = _apply_latestby(rows, query.latestby)
        if query.success is not None:
            rows = [r for r in rows if r.success in query.success]
        considered, ignored = _split_ignored(rows, ignore_selectors)
        considered.sort(key=_row_sort_key)
        ignored.sort(key=_row_sort_key)
        results = QueryResults(query, considered, ignored, selectors, ignore_selectors, integrations)
        if with_details:
            version_ids = {r.consumer_version_id for r in rows} | {
                r.provider_version_id for r in rows if r.provider_version_id is not None
            }
            results.version_details = self.version_details(version_ids)
        return results

    # --- validation lookups -----------------------------------------------------------------------------
    def look_up(
        self, names: Iterable[str], environment: str | None, versions: Iterable[tuple[str, str]] = ()
    ) -> None:
        """The pacticipants, the environment and the versions (pacticipant name, number) a query names, in
        one statement (one round trip, where validation and resolution asked for each);
        `existing_pacticipant_names`, `environment_exists` and `find` then answer from what was read."""
        missing = set(names) - self._pacticipants.keys()
        wanted = set(versions) - self._versions.keys()
        if environment in self._environments:
            environment = None
        if not missing and environment is None and not wanted:
            return
        params = {
            "names": list(missing),
            "environment": environment,
            "version_pacticipants": list({name for name, _ in wanted}),
            "numbers": list({number for _, number in wanted}),
        }
        for kind, row_id, text_, order, pacticipant in _NAMED.rows(self.session, params):
            if kind == _PACTICIPANT:
                self._pacticipants[text_] = (row_id, text_)
            elif kind == _ENVIRONMENT_NAMED:
                self._environments[text_] = True
            elif (pacticipant, text_) in wanted:  # names x numbers may pair more than was asked
                self._versions[(pacticipant, text_)] = _FoundVersion(row_id, text_, order)
        for name in missing:
            self._pacticipants.setdefault(name, None)
        for key in wanted:
            self._versions.setdefault(key, None)
        if environment is not None:
            self._environments.setdefault(environment, False)

    def existing_pacticipant_names(self, names: Iterable[str]) -> set[str]:
        wanted = set(names)
        if not wanted:
            return set()
        return set(self._pacticipants_by_name(list(wanted)))

    def main_branch(self, pacticipant: str) -> str | None:
        """The pacticipant's main branch name; None when it or its main branch is unknown."""
        found = _MAIN_BRANCH.scalars(self.session, {"name": pacticipant})
        return found[0] if found else None

    def environment_exists(self, name: str) -> bool:
        self.look_up((), name)
        return self._environments[name]

    # --- resolving selectors ----------------------------------------------------------------------------
    def _pacticipants_by_name(self, names: Sequence[str]) -> dict[str, tuple[int, str]]:
        if not names:
            return {}
        self.look_up(names, None)
        found = {name: self._pacticipants.get(name) for name in set(names)}
        return {name: pacticipant for name, pacticipant in found.items() if pacticipant is not None}

    def _resolve(
        self,
        selector: UnresolvedSelector,
        pacticipants: dict[str, tuple[int, str]],
        type: SelectorType,
        ignore_selectors: list[ResolvedSelector],
    ) -> list[ResolvedSelector]:
        found = pacticipants.get(selector.pacticipant_name or "")
        if found is None:
            return [ResolvedSelector.for_non_existing_pacticipant(selector, type)]
        pid, name = found
        if selector.all_for_pacticipant():
            return [
                ResolvedSelector.for_pacticipant(
                    pid, name, selector, type, _ignore_pacticipant(pid, ignore_selectors)
                )
            ]
        key = (name, selector.version or "")
        if names_one_version(selector) and key in self._versions:
            found_version = self._versions[key]
            versions = [found_version] if found_version is not None else []
        else:
            versions = self._find_versions(selector, [pid]).get(pid, [])
        return _build(pid, name, selector, type, versions, ignore_selectors)

    def _resolve_inferred(
        self,
        specified: list[ResolvedSelector],
        ignore_selectors: list[ResolvedSelector],
        integrations: list[Integration],
        query: MatrixQuery,
    ) -> list[ResolvedSelector]:
        specified_names = {s.pacticipant_name for s in specified}
        others: dict[str, int] = {}
        for i in integrations:
            for pid, name in ((i.consumer_id, i.consumer_name), (i.provider_id, i.provider_name)):
                if name not in specified_names:
                    others.setdefault(name, pid)
        if not others:
            return []
        template = UnresolvedSelector(
            tag=query.tag,
            main_branch=query.main_branch or None,
            latest=query.latest or None,
            environment=query.environment,
        )
        # One statement for all the integrated pacticipants: they share the target criteria.
        versions = self._find_versions(template, list(others.values()))
        resolved: list[ResolvedSelector] = []
        for name, pid in others.items():
            selector = template.model_copy(update={"pacticipant_name": name})
            resolved += _build(pid, name, selector, "inferred", versions.get(pid, []), ignore_selectors)
        return resolved

    def _find_versions(
        self, selector: UnresolvedSelector, pacticipant_ids: list[int]
    ) -> dict[int, list[_FoundVersion]]:
        """Versions of the given pacticipants matching the selector's criteria, newest first.

        With `latest`, only the newest per pacticipant comes back: a window function in SQL, so a
        pacticipant with thousands of versions on `main` costs one row, not thousands.
        """
        shape = _VersionsShape(
            bool(selector.tag),
            bool(selector.branch),
            bool(selector.main_branch),
            bool(selector.environment),
            bool(selector.version),
            bool(selector.latest),
        )
        params = {
            "pids": pacticipant_ids,
            "tag": selector.tag,
            "branch": selector.branch,
            "environment": selector.environment,
            "number": selector.version,
        }
        result: dict[int, list[_FoundVersion]] = defaultdict(list)
        for vid, number, order, pid, branch_name in _versions_stmt(shape).rows(self.session, params):
            result[pid].append(_FoundVersion(vid, number, order, branch_name))
        return result

    # --- integrations -----------------------------------------------------------------------------------
    def _integrations(self, specified: list[ResolvedSelector], infer: bool) -> list[Integration]:
        real = [s for s in specified if not s.pacticipant_does_not_exist]
        if not real:
            return []
        criteria = _criteria_shape(real)
        params = _criteria_params(real, "c")
        if infer or len(specified) == 1:
            # As consumer: the providers of *these versions'* pacts are required. As provider: any consumer
            # that ever had a pact *may* be in the target; not required. Both in one statement.
            found: dict[tuple[int, int], Integration] = {}
            params["pids"] = list({s.pacticipant_id for s in real})
            for cid, cname, pid, pname, required in _either_side_stmt(criteria).rows(self.session, params):
                if required or (cid, pid) not in found:
                    found[(cid, pid)] = Integration(cid, cname, pid, pname, bool(required))
            return sorted(found.values(), key=lambda x: (x.consumer_name, x.provider_name))
        # Between the specified selectors only; required when the consumer was one of them.
        specified_names = {s.pacticipant_name for s in specified}
        params["ids"] = list({s.pacticipant_id for s in real})
        return sorted(
            (
                Integration(cid, cname, pid, pname, cname in specified_names)
                for cid, cname, pid, pname in _between_stmt(criteria).rows(self.session, params)
            ),
            key=lambda x: (x.consumer_name, x.provider_name),
        )

    # --- rows -------------------------------------------------------------------------------------------
    def _rows(self, selectors: list[ResolvedSelector], query: MatrixQuery) -> list[MatrixRow]:
        latest_only = query.latestby is not None
        limit = query.limit_value()
        real = [s for s in selectors if not s.pacticipant_does_not_exist]
        if not real:
            return []
        params: dict[str, Any] = {"limit": limit}
        if len(selectors) == 1:
            stmt = _single_selector_rows_stmt(latest_only, limit is not None, _criteria_shape(real))
            params |= _criteria_params(real, "r")
        else:
            name_only = [s for s in real if s.only_pacticipant_name_specified]
            with_versions = [s for s in real if not s.only_pacticipant_name_specified]
            stmt = _several_selectors_rows_stmt(
                latest_only,
                limit is not None,
                bool(name_only),
                _criteria_shape(with_versions) if with_versions else None,
                _criteria_shape(real),
            )
            params |= _criteria_params(with_versions, "w") | _criteria_params(real, "r")
            params["name_only_ids"] = list({s.pacticipant_id for s in name_only})
            params["all_ids"] = list({s.pacticipant_id for s in real})
            params["specified_ids"] = list({s.pacticipant_id for s in real if s.specified})
        return [
            MatrixRow(
                consumer_id=row[0],
                consumer_name=row[1],
                consumer_version_id=row[2],
                consumer_version_number=row[3],
                consumer_version_order=row[4],
                provider_id=row[5],
                provider_name=row[6],
                pact_publication_id=row[7],
                pact_version_id=row[8],
                pact_version_sha=row[9],
                pact_created_at=_aware(row[10]) or datetime.now(UTC),
                provider_version_id=row[11],
                provider_version_number=row[12],
                provider_version_order=row[13],
                verification_id=row[14],
                verification_number=row[15],
                success=None if row[16] is None else bool(row[16]),
                verification_executed_at=_aware(row[17]),
                last_action_date=_aware(row[18]),
            )
            for row in stmt.rows(self.session, params)
        ]

    # --- decoration -------------------------------------------------------------------------------------
    def version_details(self, version_ids: set[int]) -> dict[int, VersionDetails]:
        """Branches (with head flag), tags (with latest flag) and current environments, in one statement."""
        details: dict[int, VersionDetails] = {vid: VersionDetails() for vid in version_ids}
        if not version_ids:
            return details
        by_kind: dict[int, list[_DetailRow]] = {_BRANCH: [], _TAG: [], _ENVIRONMENT: []}
        for row in _VERSION_DETAILS.rows(self.session, {"ids": list(version_ids)}):
            by_kind[row[0]].append(_DetailRow(*row))
        # Each kind in the order the reference lists it: branches and environments as added, tags by date.
        for r in sorted(by_kind[_BRANCH], key=lambda r: (r.version_id, _aware(r.created_at), r.row_id)):
            details[r.version_id].branch_versions.append((r.text1, bool(r.flag)))
        for r in sorted(by_kind[_TAG], key=lambda r: (r.version_id, _aware(r.created_at), r.text1)):
            details[r.version_id].tags.append((r.text1, r.number1 == r.number2))
        for r in sorted(by_kind[_ENVIRONMENT], key=lambda r: (r.version_id, _aware(r.created_at), r.row_id)):
            details[r.version_id].environments.append(EnvironmentRef(r.text1, r.text2, r.text3, bool(r.flag)))
        return details


# --- statements, built once per shape (values are bound parameters) ---------------------------------------


def _ids(name: str) -> Any:
    return bindparam(name, expanding=True)


def names_one_version(selector: UnresolvedSelector) -> bool:
    """A pacticipant and a version number, nothing else (can-i-deploy's and the matrix's usual selector)."""
    return bool(selector.pacticipant_name and selector.version) and not (
        selector.tag or selector.branch or selector.latest or selector.environment or selector.main_branch
    )


_PACTICIPANT, _ENVIRONMENT_NAMED, _VERSION_NAMED = 0, 1, 2
_NO_INT = null().cast(Integer)
_NAMED = Direct(
    union_all(
        select(literal(_PACTICIPANT), Pacticipant.id, Pacticipant.name, _NO_INT, null().cast(NAME)).where(
            Pacticipant.name.in_(_ids("names"))
        ),
        select(
            literal(_ENVIRONMENT_NAMED), Environment.id, Environment.name, _NO_INT, null().cast(NAME)
        ).where(Environment.name == bindparam("environment")),
        select(literal(_VERSION_NAMED), Version.id, Version.number, Version.order, Pacticipant.name)
        .join(Pacticipant, Pacticipant.id == Version.pacticipant_id)
        .where(Pacticipant.name.in_(_ids("version_pacticipants")), Version.number.in_(_ids("numbers"))),
    )
)
_MAIN_BRANCH = Direct(select(Pacticipant.main_branch).where(Pacticipant.name == bindparam("name")))


@dataclass(frozen=True)
class _VersionsShape:
    tag: bool
    branch: bool
    main_branch: bool
    environment: bool
    version: bool
    latest: bool


@cache
def _versions_stmt(shape: _VersionsShape) -> Direct:
    """Versions of the pacticipants `:pids` matching the selector's criteria, newest first.

    With `latest`, only the newest per pacticipant comes back: a window function in SQL, so a
    pacticipant with thousands of versions on `main` costs one row, not thousands.
    """
    v = Version.__table__
    pids = _ids("pids")
    branch_col: ColumnElement[Any] = literal(None).label("branch_name")
    stmt: Select[Any] = select(v.c.id, v.c.number, v.c.order, v.c.pacticipant_id)
    # Each criterion joins the (small, indexed) table that names the versions, filtered by pacticipant
    # there, so versions are only looked up by primary key; filtering `versions.pacticipant_id` instead
    # lets PostgreSQL prefer a scan of every version of the pacticipants.
    driven = False
    if shape.tag:
        t = aliased(Tag)
        stmt = stmt.join(
            t, and_(t.version_id == v.c.id, t.name == bindparam("tag"), t.pacticipant_id.in_(pids))
        )
        driven = True
    if shape.branch:
        bv = aliased(BranchVersion)
        stmt = stmt.join(
            bv,
            and_(
                bv.version_id == v.c.id,
                bv.branch_name == bindparam("branch"),
                bv.pacticipant_id.in_(pids),
            ),
        )
        driven = True
    if shape.main_branch:
        mbv = aliased(BranchVersion)
        p = aliased(Pacticipant)
        stmt = stmt.join(mbv, and_(mbv.version_id == v.c.id, mbv.pacticipant_id.in_(pids))).join(
            p, and_(p.id == mbv.pacticipant_id, p.main_branch == mbv.branch_name)
        )
        branch_col = mbv.branch_name.label("branch_name")
        driven = True
    if shape.environment:
        env_id = select(Environment.id).where(Environment.name == bindparam("environment")).scalar_subquery()
        deployed = select(CurrentlyDeployedVersionId.version_id.label("version_id")).where(
            CurrentlyDeployedVersionId.environment_id == env_id,
            CurrentlyDeployedVersionId.pacticipant_id.in_(pids),
        )
        released = select(ReleasedVersion.version_id.label("version_id")).where(
            ReleasedVersion.environment_id == env_id,
            ReleasedVersion.support_ended_at.is_(None),
            ReleasedVersion.pacticipant_id.in_(pids),
        )
        in_environment = union(deployed, released).subquery("in_environment")
        stmt = stmt.join(in_environment, in_environment.c.version_id == v.c.id)
        driven = True
    if shape.version:
        stmt = stmt.where(v.c.number == bindparam("number"))
    if not driven or shape.version:
        stmt = stmt.where(v.c.pacticipant_id.in_(pids))
    stmt = stmt.add_columns(branch_col)
    if shape.latest:
        rank = func.row_number().over(partition_by=v.c.pacticipant_id, order_by=v.c.order.desc())
        ranked = stmt.add_columns(rank.label("rank")).subquery("ranked")
        return Direct(
            select(
                ranked.c.id, ranked.c.number, ranked.c.order, ranked.c.pacticipant_id, ranked.c.branch_name
            )
            .where(ranked.c.rank == 1)
            .order_by(ranked.c.pacticipant_id, ranked.c.order.desc())
        )
    return Direct(stmt.order_by(v.c.pacticipant_id, v.c.order.desc()))


# Which of the two kinds of resolved selector a criterion has: (name-only, with a version).
_CriteriaShape = tuple[bool, bool]


def _criteria_shape(selectors: list[ResolvedSelector]) -> _CriteriaShape:
    return (
        any(s.only_pacticipant_name_specified for s in selectors),
        any(not s.only_pacticipant_name_specified for s in selectors),
    )


def _criteria_params(selectors: list[ResolvedSelector], key: str) -> dict[str, list[int | None]]:
    return {
        f"{key}_pids": list({s.pacticipant_id for s in selectors if s.only_pacticipant_name_specified}),
        f"{key}_vids": list({s.version_id for s in selectors if not s.only_pacticipant_name_specified}),
    }


def _criteria(pacticipant_col: Any, version_col: Any, shape: _CriteriaShape, key: str) -> ColumnElement[bool]:
    """Name-only selectors filter on the pacticipant (`:{key}_pids`), the others on their resolved
    version ids (`:{key}_vids`)."""
    by_pacticipant, by_version = shape
    criteria: list[ColumnElement[bool]] = []
    if by_pacticipant:
        criteria.append(pacticipant_col.in_(_ids(f"{key}_pids")))
    if by_version:
        criteria.append(version_col.in_(_ids(f"{key}_vids")))
    if not criteria:
        return false()
    return criteria[0] if len(criteria) == 1 else or_(*criteria)


@cache
def _as_consumer_stmt(criteria: _CriteriaShape) -> Select[Any]:
    c, p = aliased(Pacticipant), aliased(Pacticipant)
    lpp = LatestPactPublicationIdForConsumerVersion.__table__
    return (
        select(lpp.c.consumer_id, c.name, lpp.c.provider_id, p.name)
        .distinct()
        .join(c, c.id == lpp.c.consumer_id)
        .join(p, p.id == lpp.c.provider_id)
        .where(_criteria(lpp.c.consumer_id, lpp.c.consumer_version_id, criteria, "c"))
    )


def _as_provider() -> Select[Any]:
    c, p = aliased(Pacticipant), aliased(Pacticipant)
    i = IntegrationModel.__table__
    return (
        select(i.c.consumer_id, c.name, i.c.provider_id, p.name)
        .join(c, c.id == i.c.consumer_id)
        .join(p, p.id == i.c.provider_id)
        .where(i.c.provider_id.in_(_ids("pids")))
    )


@cache
def _either_side_stmt(criteria: _CriteriaShape) -> Direct:
    """The integrations of the selected versions as consumer (required: 1) and of the selected pacticipants
    as provider (0)."""
    return Direct(
        union_all(
            _as_consumer_stmt(criteria).add_columns(literal(1)),
            _as_provider().add_columns(literal(0)),
        )
    )


@cache
def _between_stmt(criteria: _CriteriaShape) -> Direct:
    lpp = LatestPactPublicationIdForConsumerVersion.__table__
    return Direct(_as_consumer_stmt(criteria).where(lpp.c.provider_id.in_(_ids("ids"))))


@cache
def _single_selector_rows_stmt(latest_only: bool, has_limit: bool, criteria: _CriteriaShape) -> Direct:
    """One selector: rows where it is the consumer (all their verifications), plus rows where it is the
    provider (only pacts it verified)."""
    pacts = _pacts_source(latest_only)
    verifications = _verifications_source(latest_only)
    as_consumer = _limited(
        select(*_pact_cols(pacts)).where(
            _criteria(pacts.c.consumer_id, pacts.c.consumer_version_id, criteria, "r")
        ),
        pacts,
        has_limit,
    ).subquery("p")
    v = select(*_verification_cols(verifications)).subquery("v")
    left = select(*_row_cols(as_consumer, v)).select_from(
        as_consumer.outerjoin(v, as_consumer.c.pact_version_id == v.c.pact_version_id)
    )
    all_pacts = _limited(select(*_pact_cols(pacts)), pacts, has_limit).subquery("p2")
    v_provider = (
        select(*_verification_cols(verifications))
        .where(_criteria(verifications.c.provider_id, verifications.c.provider_version_id, criteria, "r"))
        .subquery("v2")
    )
    right = select(*_row_cols(all_pacts, v_provider)).select_from(
        all_pacts.join(v_provider, all_pacts.c.pact_version_id == v_provider.c.pact_version_id)
    )
    return Direct(_decorated(union(left, right).subquery("rows"), has_limit))


@cache
def _several_selectors_rows_stmt(
    latest_only: bool,
    has_limit: bool,
    has_name_only: bool,
    with_versions: _CriteriaShape | None,
    real: _CriteriaShape,
) -> Direct:
    """Several selectors: filter the verifications to the selected provider versions *before* the outer
    join, so a pact verified only by other versions still yields a row with no provider version
    ("unverified for this version")."""
    pacts = _pacts_source(latest_only)
    verifications = _verifications_source(latest_only)
    all_ids = _ids("all_ids")
    parts = []
    if has_name_only:
        parts.append(
            _limited(
                select(*_pact_cols(pacts)).where(
                    pacts.c.consumer_id.in_(_ids("name_only_ids")), pacts.c.provider_id.in_(all_ids)
                ),
                pacts,
                has_limit,
            )
        )
    if with_versions is not None:
        parts.append(
            _limited(
                select(*_pact_cols(pacts)).where(
                    _criteria(pacts.c.consumer_id, pacts.c.consumer_version_id, with_versions, "w"),
                    pacts.c.provider_id.in_(all_ids),
                ),
                pacts,
                has_limit,
            )
        )
    p_sq = (parts[0] if len(parts) == 1 else union(*parts)).subquery("p")
    v_sq = (
        select(*_verification_cols(verifications))
        .where(
            _criteria(verifications.c.provider_id, verifications.c.provider_version_id, real, "r"),
            verifications.c.consumer_id.in_(all_ids),
        )
        .subquery("v")
    )
    specified_ids = _ids("specified_ids")
    rows_sq = (
        select(*_row_cols(p_sq, v_sq))
        .select_from(p_sq.outerjoin(v_sq, p_sq.c.pact_version_id == v_sq.c.pact_version_id))
        .where(or_(p_sq.c.consumer_id.in_(specified_ids), p_sq.c.provider_id.in_(specified_ids)))
        .subquery("rows")
    )
    return Direct(_decorated(rows_sq, has_limit))


def _decorated(rows_sq: FromClause, has_limit: bool) -> Select[Any]:
    """The rows with the names, numbers and results the matrix shows, newest action first.

    Each value is a primary-key look-up of its own (a scalar subquery, NULL where the row has no provider
    version or result), not a join: joined, the rows and their six look-ups were one join problem that
    PostgreSQL planned for 1.8 ms to run for 0.3 (it took a SET LOCAL join_collapse_limit, a round trip of
    its own, to keep that down); each look-up plans on its own in microseconds."""
    r = rows_sq.c

    def one(column: Any, key: Any, value: Any) -> Any:
        return select(column).where(key == value).scalar_subquery()

    cv_created = one(Version.created_at, Version.id, r.consumer_version_id)
    pv_created = one(Version.created_at, Version.id, r.provider_version_id)
    last_action = case(
        (and_(pv_created.is_not(None), pv_created > cv_created), pv_created),
        else_=cv_created,
    )
    stmt = (
        select(
            r.consumer_id,
            one(Pacticipant.name, Pacticipant.id, r.consumer_id),
            r.consumer_version_id,
            one(Version.number, Version.id, r.consumer_version_id),
            one(Version.order, Version.id, r.consumer_version_id),
            r.provider_id,
            one(Pacticipant.name, Pacticipant.id, r.provider_id),
            r.pact_publication_id,
            r.pact_version_id,
            one(PactVersion.sha, PactVersion.id, r.pact_version_id),
            r.pact_created_at,
            r.provider_version_id,
            one(Version.number, Version.id, r.provider_version_id),
            one(Version.order, Version.id, r.provider_version_id),
            r.verification_id,
            one(Verification.number, Verification.id, r.verification_id),
            one(Verification.success, Verification.id, r.verification_id),
            one(Verification.execution_date, Verification.id, r.verification_id),
            last_action,
        )
        .select_from(rows_sq)
        .order_by(last_action.desc(), r.pact_publication_id.desc(), r.verification_id.desc())
    )
    return stmt.limit(bindparam("limit")) if has_limit else stmt


_BRANCH, _TAG, _ENVIRONMENT = 0, 1, 2


class _DetailRow(NamedTuple):
    """A row of `_version_details`, by its columns' labels."""

    kind: int
    version_id: int
    text1: str
    text2: Any  # an environment's name; NULL in the other kinds' rows
    text3: str | None
    flag: Any
    number1: int | None
    number2: int | None
    created_at: datetime
    row_id: int


def _version_details() -> Any:
    """Branches, tags and current environments of the versions `:ids` as one UNION ALL (one round trip
    instead of three: on PostgreSQL each costs more than its query). Columns shared by the three kinds:
    kind, version_id, text1-3, flag, number1-2, created_at, row_id."""
    ids = _ids("ids")

    def nothing(type_: Any) -> Any:
        return null().cast(type_)

    bv, bh = BranchVersion.__table__, BranchHead.__table__
    branches = (
        select(
            literal(_BRANCH).label("kind"),
            bv.c.version_id.label("version_id"),
            bv.c.branch_name.label("text1"),
            nothing(NAME).label("text2"),
            nothing(NAME).label("text3"),
            bh.c.version_id.is_not(None).label("flag"),
            nothing(Integer).label("number1"),
            nothing(Integer).label("number2"),
            bv.c.created_at.label("created_at"),
            bv.c.id.label("row_id"),
        )
        # (branch_id, version_id) uses the branch_heads primary key; branch_version_id has no index.
        .outerjoin(bh, and_(bh.c.branch_id == bv.c.branch_id, bh.c.version_id == bv.c.version_id))
        .where(bv.c.version_id.in_(ids))
    )
    t = Tag.__table__
    t2 = aliased(Tag)
    latest_order = (
        select(func.max(t2.version_order))
        .where(t2.pacticipant_id == t.c.pacticipant_id, t2.name == t.c.name)
        .scalar_subquery()
    )
    tags = select(
        literal(_TAG),
        t.c.version_id,
        t.c.name,
        nothing(NAME),
        nothing(NAME),
        nothing(Boolean),
        t.c.version_order,
        latest_order,
        t.c.created_at,
        nothing(Integer),
    ).where(t.c.version_id.in_(ids))
    e = Environment.__table__
    deployed = select(
        CurrentlyDeployedVersionId.version_id.label("version_id"),
        CurrentlyDeployedVersionId.environment_id.label("environment_id"),
    ).where(CurrentlyDeployedVersionId.version_id.in_(ids))
    released = select(
        ReleasedVersion.version_id.label("version_id"),
        ReleasedVersion.environment_id.label("environment_id"),
    ).where(ReleasedVersion.version_id.in_(ids), ReleasedVersion.support_ended_at.is_(None))
    current = union(deployed, released).subquery("current")
    environments = select(
        literal(_ENVIRONMENT),
        current.c.version_id,
        e.c.uuid,
        e.c.name,
        e.c.display_name,
        e.c.production,
        nothing(Integer),
        nothing(Integer),
        e.c.created_at,
        e.c.id,
    ).join(e, e.c.id == current.c.environment_id)
    return union_all(branches, tags, environments)


_VERSION_DETAILS = Direct(_version_details())


# --- helpers ------------------------------------------------------------------------------------------------


def _ignore_pacticipant(pid: int, ignore_selectors: list[ResolvedSelector]) -> bool:
    return any(s.pacticipant_id == pid and s.only_pacticipant_name_specified for s in ignore_selectors)


def _ignore_version(pid: int, vid: int, ignore_selectors: list[ResolvedSelector]) -> bool:
    return any(
        s.pacticipant_id == pid and (s.only_pacticipant_name_specified or s.version_id == vid)
        for s in ignore_selectors
    )


def _build(
    pid: int,
    name: str,
    selector: UnresolvedSelector,
    type: SelectorType,
    versions: list[_FoundVersion],
    ignore_selectors: list[ResolvedSelector],
) -> list[ResolvedSelector]:
    if not versions:
        return [
            ResolvedSelector.for_non_existing_version(
                pid, name, selector, type, _ignore_pacticipant(pid, ignore_selectors)
            )
        ]
    one_of_many = len(versions) > 1
    return [
        ResolvedSelector.for_version(
            pid,
            name,
            v.id,
            v.number,
            selector,
            type,
            _ignore_version(pid, v.id, ignore_selectors),
            one_of_many,
            v.branch_name,
        )
        for v in versions
    ]


def _pacts_source(latest_only: bool) -> Any:
    if latest_only:
        return LatestPactPublicationIdForConsumerVersion.__table__
    return PactPublication.__table__


def _pact_cols(pacts: Any) -> list[Any]:
    pub_id = pacts.c.pact_publication_id if "pact_publication_id" in pacts.c else pacts.c.id
    return [
        pacts.c.consumer_id.label("consumer_id"),
        pacts.c.provider_id.label("provider_id"),
        pacts.c.consumer_version_id.label("consumer_version_id"),
        pub_id.label("pact_publication_id"),
        pacts.c.pact_version_id.label("pact_version_id"),
        pacts.c.created_at.label("pact_created_at"),
    ]


def _limited(stmt: Select[Any], pacts: Any, has_limit: bool) -> Select[Any]:
    # The reference applies the limit to the pact publications before joining the verifications.
    if not has_limit:
        return stmt
    return stmt.order_by(pacts.c.created_at.desc()).limit(bindparam("limit"))


def _verifications_source(latest_only: bool) -> Any:
    if latest_only:
        return LatestVerificationIdForPactVersionAndProviderVersion.__table__
    return Verification.__table__


def _verification_cols(verifications: Any) -> list[Any]:
    vid = verifications.c.verification_id if "verification_id" in verifications.c else verifications.c.id
    return [
        verifications.c.pact_version_id.label("pact_version_id"),
        verifications.c.provider_version_id.label("provider_version_id"),
        vid.label("verification_id"),
    ]


def _row_cols(p: Any, v: Any) -> list[Any]:
    return [
        p.c.consumer_id,
        p.c.provider_id,
        p.c.consumer_version_id,
        p.c.pact_publication_id,
        p.c.pact_version_id,
        p.c.pact_created_at,
        v.c.provider_version_id,
        v.c.verification_id,
    ]


def _row_sort_key(row: MatrixRow) -> tuple[Any, ...]:
    """The reference's row order: consumer name, newest consumer version, provider name, newest provider
    version (unverified first), newest verification."""

    def desc(value: int | None) -> tuple[int, int]:
        return (0, 0) if value is None else (1, -value)

    return (
        row.consumer_name,
        -row.consumer_version_order,
        -row.pact_publication_id,
        row.provider_name,
        desc(row.provider_version_order),
        desc(row.verification_id),
    )


def _apply_latestby(rows: list[MatrixRow], latestby: str | None) -> list[MatrixRow]:
    """Keep the row with the newest provider version per group; unverified groups are kept as they are."""
    if not latestby or latestby not in GROUP_BY:
        return rows
    keys = GROUP_BY[latestby]
    groups: dict[tuple[Any, ...], list[MatrixRow]] = {}
    for row in rows:
        groups.setdefault(tuple(getattr(row, k) for k in keys), []).append(row)
    kept = []
    for group in groups.values():
        first = group[0]
        if first.provider_version_number is None:
            kept.append(first)
        else:
            kept.append(max(group, key=lambda r: r.provider_version_order or 0))
    return kept


def _split_ignored(
    rows: list[MatrixRow], ignore_selectors: list[ResolvedSelector]
) -> tuple[list[MatrixRow], list[MatrixRow]]:
    if not ignore_selectors:
        return rows, []
    considered: list[MatrixRow] = []
    ignored: list[MatrixRow] = []
    for row in rows:
        hit = any(
            (
                s.pacticipant_id == row.consumer_id
                and (s.only_pacticipant_name_specified or s.version_id == row.consumer_version_id)
            )
            or (
                s.pacticipant_id == row.provider_id
                and (s.only_pacticipant_name_specified or s.version_id == row.provider_version_id)
            )
            for s in ignore_selectors
        )
        (ignored if hit else considered).append(row)
    return considered, ignored
