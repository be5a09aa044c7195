"""The rules of pacts-for-verification: which pacts a provider must verify, and which are pending or WIP.

- Each selector picks pacts; pacts with the same content for the same consumer are verified once, their
  selectors merged, the newest consumer version kept (reference `SelectedPact.merge_by_pact_version_sha`).
- No selectors means: each consumer's main branch (else latest tagged with its name, else latest), plus
  whatever is deployed or released.
- Pending (`includePendingStatus`, default true): with a provider branch B, a content is pending until a
  version of B verified it successfully, or another branch did before B was created; with provider tags,
  the same per tag; with neither, until any successful verification.
- WIP (`includeWipPactsSince` with a provider branch or tags): the latest pact of every consumer branch and
  tag created since the date, not already selected, and not yet verified (outside WIP) by the branch/tag.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from broker.errors import NotFound
from broker.verifiable_pacts.messages import (
    ConsumerVersionRef,
    EnvironmentRef,
    ResolvedSelector,
    VerifiablePact,
    sort_selectors,
)
from broker.verifiable_pacts.query import PactsForVerificationQuery, Selector, validate
from broker.verifiable_pacts.repository import DefaultPlan, PactRow, ProviderRef, VerifiablePactsRepository


def _version(row: PactRow) -> ConsumerVersionRef:
    return ConsumerVersionRef(
        row.consumer_version_id, row.consumer_version_number, row.consumer_version_order
    )


def _resolved(
    selector: Selector, row: PactRow, fallback_used: bool = False, version: ConsumerVersionRef | None = None
) -> ResolvedSelector:
    """`version`: the row's, when the caller has it already (one reference for a pact and its selector)."""
    environment = None
    if row.environment_name is not None:
        environment = EnvironmentRef(row.environment_name, bool(row.environment_production))
    return ResolvedSelector(selector, version or _version(row), environment, fallback_used)


@lru_cache(maxsize=4096)
def _head_selector(tag: str | None, branch: str | None) -> Selector:
    """The selector a WIP candidate is described by; built once per name (a request has hundreds)."""
    return Selector(latest=True, tag=tag) if tag else Selector(latest=True, branch=branch)


def _pact_sort_key(pact: VerifiablePact) -> tuple[str, str, int]:
    return (pact.consumer_name.lower(), pact.provider_name.lower(), pact.consumer_version.order)


class VerifiablePactsService:
    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.repository = VerifiablePactsRepository(session, now)

    def validate(self, body: object) -> dict[str, list[str]]:
        names: set[str] | None = None

        def environment_exists(name: str) -> bool:
            nonlocal names
            if names is None:  # one lookup however many selectors name an environment
                names = self.repository.environment_names()
            return name in names

        return validate(body, environment_exists)

    def find(self, provider_name: str, query: PactsForVerificationQuery) -> list[VerifiablePact]:
        plan = None
        if query.consumer_version_selectors:
            provider = self.repository.find_provider(provider_name)
        else:
            provider, plan = self.repository.find_provider_with_default_plan(provider_name)
        if provider is None:
            raise NotFound(f"No provider with name '{provider_name}' found")
        since = query.include_wip_pacts_since
        if query.provider_version_branch is None and not query.provider_version_tags:
            since = None  # WIP pacts are only for a provider branch or tags
        # Every pact first, then what was verified (the repository plans those statements differently).
        candidates: list[PactRow] = []
        if plan is None:
            selected = self._selected(provider, query.consumer_version_selectors)
            if since is not None:
                candidates = self.repository.wip_candidates(provider.id, since)
        else:
            selected, candidates = self._selected_by_default(provider, plan, since)
        pacts = self._merge(provider, selected)
        explicit = {(p.consumer_id, p.pact_version_sha) for p in pacts}
        candidates = [c for c in candidates if (c.consumer_id, c.pact_version_sha) not in explicit]
        # What is no longer pending and no longer WIP, per provider branch or tag (both checks in one
        # statement each).
        not_pending: dict[str, set[int]] = {}
        not_wip: dict[str, set[int]] = {}
        pending_ids = {p.pact_version_id for p in pacts} if query.include_pending_status else set()
        wip_ids = {c.pact_version_id for c in candidates}
        if query.provider_version_branch is not None:
            branch = query.provider_version_branch
            not_pending[branch], not_wip[branch] = self.repository.verified_on_branch(
                provider.id, branch, pending_ids, wip_ids
            )
        else:
            for tag in query.provider_version_tags:
                not_pending[tag], not_wip[tag] = self.repository.verified_for_tag(
                    provider.id, tag, pending_ids, wip_ids
                )
        if query.include_pending_status:
            self._set_pending(provider, pacts, query, not_pending)
        wip = self._wip(provider, query, candidates, not_wip) if candidates else []
        return pacts + wip

    # --- selection ----------------------------------------------------------------------------------------
    def _selected_by_default(
        self, provider: ProviderRef, plan: DefaultPlan, wip_since: datetime | None
    ) -> tuple[list[tuple[PactRow, ResolvedSelector]], list[PactRow]]:
        """No selectors: each consumer's main branch (else the latest tagged with its name, else the
        latest), plus whatever is deployed or released; and the WIP candidates, fetched alongside.
        The main-branch consumers of `plan` are exactly those whose main-branch head `default_pacts`
        finds."""
        repo = self.repository
        tagged, latest = plan.tagged, plan.latest
        default = repo.default_pacts(provider.id, wip_since)
        found = [
            (row, _resolved(Selector(main_branch=True, consumer=row.consumer_name), row))
            for row in default.main_branch
        ]
        for consumer, tag in tagged.items():
            sel = Selector(latest=True, tag=tag, consumer=consumer)
            found += [(row, _resolved(sel, row)) for row in repo.find_for_selector(provider.id, sel)]
        if latest:
            for row in repo.find_for_selector(provider.id, Selector(latest=True), consumers=latest):
                found.append((row, _resolved(Selector(latest=True, consumer=row.consumer_name), row)))
        for selector, rows in (
            (Selector(currently_deployed=True), default.deployed),
            (Selector(currently_supported=True), default.released),
        ):
            found += [(row, _resolved(selector, row)) for row in rows]
        return found, default.wip_candidates

    def _selected(
        self, provider: ProviderRef, selectors: list[Selector]
    ) -> list[tuple[PactRow, ResolvedSelector]]:
        repo = self.repository
        found: list[tuple[PactRow, ResolvedSelector]] = []
        for selector in selectors:
            rows = repo.find_for_selector(provider.id, selector)
            # The fallback fields only describe a fallback selection; the primary one drops them.
            primary = selector.model_copy(update={"fallback_tag": None, "fallback_branch": None})
            for row in rows:
                # `branch: true` picks every branch head; each pact is described by its own branch.
                chosen = (
                    primary.model_copy(update={"branch": row.branch_name})
                    if primary.branch is True
                    else primary
                )
                found.append((row, _resolved(chosen, row)))
            if selector.fallback_branch and selector.latest_for_branch and not rows:
                # The reference accepts fallbackBranch but does not act on it; we select like fallbackTag.
                fallback = selector.model_copy(update={"branch": selector.fallback_branch})
                for row in repo.find_for_selector(provider.id, fallback):
                    found.append((row, _resolved(selector, row, fallback_used=True)))
        for selector in selectors:
            if selector.fallback_tag and selector.tag:
                already = any(
                    rs.selector.latest_for_tag and rs.selector.tag == selector.tag for _, rs in found
                )
                if not already:
                    for row in repo.find_latest_for_tag(
                        provider.id, selector.fallback_tag, selector.consumer
                    ):
                        found.append((row, _resolved(selector, row, fallback_used=True)))
        return found

    def _merge(
        self, provider: ProviderRef, selected: list[tuple[PactRow, ResolvedSelector]]
    ) -> list[VerifiablePact]:
        groups: dict[tuple[str, str], list[tuple[PactRow, ResolvedSelector]]] = {}
        for row, rs in selected:
            groups.setdefault((row.consumer_name, row.pact_version_sha), []).append((row, rs))
        pacts = []
        for group in groups.values():
            latest = max((row for row, _ in group), key=lambda r: r.consumer_version_order)
            pacts.append(self._pact(provider, latest, sort_selectors([rs for _, rs in group])))
        return sorted(pacts, key=_pact_sort_key)

    def _pact(
        self,
        provider: ProviderRef,
        row: PactRow,
        selectors: list[ResolvedSelector],
        version: ConsumerVersionRef | None = None,
        *,
        wip_for_branch: str | None = None,
        wip_for_tag: str | None = None,
    ) -> VerifiablePact:
        """A selected pact (pending is set later), or with `wip_for_branch` or `wip_for_tag` a WIP pact for
        that provider branch or tag, pending for it, its fields given at construction (a full history's
        answer has ~160 WIP pacts)."""
        wip = wip_for_branch is not None or wip_for_tag is not None
        return VerifiablePact(
            consumer_name=row.consumer_name,
            provider_name=provider.name,
            consumer_id=row.consumer_id,
            consumer_version=version or _version(row),
            consumer_main_branch=row.consumer_main_branch,
            pact_version_sha=row.pact_version_sha,
            selectors=selectors,
            pending=True if wip else None,
            wip=wip,
            pending_provider_tags=[wip_for_tag] if wip_for_tag is not None else [],
            provider_branch=wip_for_branch,
            pact_version_id=row.pact_version_id,
        )

    # --- pending ------------------------------------------------------------------------------------------
    def _set_pending(
        self,
        provider: ProviderRef,
        pacts: list[VerifiablePact],
        query: PactsForVerificationQuery,
        verified: dict[str, set[int]],
    ) -> None:
        """`verified`: per provider branch or tag, the contents no longer pending for it."""
        branch, tags = query.provider_version_branch, query.provider_version_tags
        if branch is not None:
            for p in pacts:
                p.pending = p.pact_version_id not in verified[branch]
                p.provider_branch = branch
        elif tags:
            for p in pacts:
                pending_tags = [t for t in tags if p.pact_version_id not in verified[t]]
                p.pending_provider_tags = pending_tags
                p.non_pending_provider_tags = [t for t in tags if t not in pending_tags]
                p.pending = bool(pending_tags)
        else:
            by_any = self.repository.verified_by_any(provider.id, {p.pact_version_id for p in pacts})
            for p in pacts:
                p.pending = p.pact_version_id not in by_any

    # --- WIP ----------------------------------------------------------------------------------------------
    def _wip(
        self,
        provider: ProviderRef,
        query: PactsForVerificationQuery,
        candidates: list[PactRow],
        verified: dict[str, set[int]],
    ) -> list[VerifiablePact]:
        """`candidates`: not explicitly selected; `verified`: per provider branch or tag, those of them no
        longer WIP for it."""
        branch, tags = query.provider_version_branch, query.provider_version_tags
        wip: list[VerifiablePact] = []

        def add(no_longer_wip: set[int], provider_branch: str | None, provider_tag: str | None) -> None:
            for c in candidates:
                if c.pact_version_id in no_longer_wip:
                    continue
                version = _version(c)  # one reference for the pact and its selector
                selector = _resolved(_head_selector(c.tag_name, c.branch_name), c, version=version)
                pact = self._pact(
                    provider, c, [selector], version, wip_for_branch=provider_branch, wip_for_tag=provider_tag
                )
                wip.append(pact)

        if branch is not None:
            add(verified[branch], branch, None)
        else:
            for tag in tags:
                add(verified[tag], None, tag)
        return self._deduplicate(wip)

    def _deduplicate(self, pacts: list[VerifiablePact]) -> list[VerifiablePact]:
        groups: dict[tuple[str, str], list[VerifiablePact]] = {}
        for p in pacts:
            groups.setdefault((p.consumer_name, p.pact_version_sha), []).append(p)
        merged = []
        for group in groups.values():
            if len(group) == 1:  # most contents have one candidate: nothing to merge
                merged.append(group[0])
                continue
            latest = max(group, key=lambda p: p.consumer_version.order)
            latest.selectors = sort_selectors([s for p in group for s in p.selectors])
            latest.pending_provider_tags = list(
                dict.fromkeys(t for p in group for t in p.pending_provider_tags)
            )
            merged.append(latest)
        return sorted(merged, key=_pact_sort_key)
