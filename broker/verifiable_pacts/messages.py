"""What a verifier is told about each pact: short description, inclusion and pending notices.

The texts are the reference broker's (`verifiable_pact_messages.rb`, `build_verifiable_pact_notices.rb`);
verifiers print them, and Pact Go uses `shortDescription` to name its test.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import NamedTuple

from broker.verifiable_pacts.query import Selector

READ_MORE_PENDING = "Read more at https://docs.pact.io/go/pending"
READ_MORE_WIP = "Read more at https://docs.pact.io/go/wip"
DEPRECATED_GET_WARNING = (
    "WARNING - this version of the Pact library uses a beta version of the API which will be removed in the "
    "future. Please upgrade your Pact library. See https://docs.pact.io/pact_broker/advanced_topics/"
    "provider_verification_results/#pacts-for-verification for minimum required versions."
)


# The value objects below are NamedTuples, not frozen dataclasses: a computed for-verification answer makes
# one of each per pact (194 on the benchmark's full history) and hashes and compares them to find the pact's
# kept JSON; a tuple's construction, hash and equality run in C.
class ConsumerVersionRef(NamedTuple):
    id: int
    number: str
    order: int


class EnvironmentRef(NamedTuple):
    name: str
    production: bool


class ResolvedSelector(NamedTuple):
    """A selector together with the consumer version (and environment) it picked."""

    selector: Selector
    consumer_version: ConsumerVersionRef
    environment: EnvironmentRef | None = None
    # For fallback selections the fallback fields stay; otherwise they are dropped (as `resolve` does).
    fallback_used: bool = False

    @property
    def fallback_tag(self) -> str | None:
        return self.selector.fallback_tag if self.fallback_used else None

    @property
    def fallback_branch(self) -> str | None:
        return self.selector.fallback_branch if self.fallback_used else None


@dataclass
class VerifiablePact:
    consumer_name: str
    provider_name: str
    consumer_id: int
    consumer_version: ConsumerVersionRef
    consumer_main_branch: str | None
    pact_version_sha: str
    selectors: list[ResolvedSelector]
    pending: bool | None = None
    wip: bool = False
    pending_provider_tags: list[str] = field(default_factory=list)
    non_pending_provider_tags: list[str] = field(default_factory=list)
    provider_branch: str | None = None
    # The content's id, for the pending/WIP look-ups; not shown to clients.
    pact_version_id: int = 0

    @property
    def name(self) -> str:
        return f"Pact between {self.consumer_name} ({self.consumer_version.number}) and {self.provider_name}"


# --- ordering ------------------------------------------------------------------------------------------


def _cmp(a: object, b: object) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return -1
    if b is None:
        return 1
    return (a > b) - (a < b)  # type: ignore[operator]


def _flag_cmp(a: bool, b: bool, then: int) -> int:
    if a == b:
        return then
    return -1 if a else 1


def compare_selectors(x: ResolvedSelector, y: ResolvedSelector) -> int:
    """The reference's `Selector#<=>` then consumer version order."""
    a, b = x.selector, y.selector
    if a.overall_latest or b.overall_latest:
        result = _flag_cmp(a.overall_latest, b.overall_latest, 0)
    elif a.latest_for_branch or b.latest_for_branch:
        result = _flag_cmp(a.latest_for_branch, b.latest_for_branch, _cmp(a.branch, b.branch))
    elif a.latest_for_tag or b.latest_for_tag:
        result = _flag_cmp(a.latest_for_tag, b.latest_for_tag, _cmp(a.tag, b.tag))
    elif a.tag or b.tag:
        if a.tag and b.tag:
            result = _consumer_cmp(a, b) if a.tag == b.tag else _cmp(a.tag, b.tag)
        else:
            result = -1 if a.tag else 1
    elif a.currently_deployed or b.currently_deployed:
        result = _flag_cmp(bool(a.currently_deployed), bool(b.currently_deployed), _production_cmp(x, y))
    elif a.currently_supported or b.currently_supported:
        result = _flag_cmp(bool(a.currently_supported), bool(b.currently_supported), _production_cmp(x, y))
    elif a.consumer or b.consumer:
        result = _consumer_cmp(a, b)
    else:
        result = 0
    return result or _cmp(x.consumer_version.order, y.consumer_version.order)


def _consumer_cmp(a: Selector, b: Selector) -> int:
    if a.consumer and b.consumer:
        return _cmp(a.consumer, b.consumer)
    return -1 if a.consumer else 1


def _production_cmp(x: ResolvedSelector, y: ResolvedSelector) -> int:
    ex, ey = x.environment, y.environment
    if ex is None or ey is None:
        return 0
    if ex.production == ey.production:
        return _cmp(ex.name, ey.name)
    return 1 if ex.production else -1


def sort_selectors(selectors: list[ResolvedSelector]) -> list[ResolvedSelector]:
    if len(selectors) < 2:  # most pacts have one; skip building the comparison keys
        return list(selectors)
    return sorted(selectors, key=functools.cmp_to_key(compare_selectors))


# --- texts -----------------------------------------------------------------------------------------------


def _join_unquoted(items: list[str], last_joiner: str = " and ") -> str:
    if len(items) > 2:
        return f"{', '.join(items[:-2])}, {last_joiner.join(items[-2:])}"
    return last_joiner.join(items)


def _join(items: list[str], last_joiner: str = " and ") -> str:
    return _join_unquoted([f"'{i}'" for i in items], last_joiner)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class VerifiablePactMessages:
    def __init__(self, pact: VerifiablePact, pact_version_url: str | None) -> None:
        self.pact = pact
        self.url = pact_version_url

    @property
    def _selectors(self) -> list[ResolvedSelector]:
        return self.pact.selectors

    def _head_consumer_tags(self) -> list[str]:
        return _unique(
            [s.selector.tag for s in self._selectors if s.selector.latest_for_tag and s.selector.tag]
        )

    def _branches(self) -> list[str]:
        return _unique(
            [
                s.selector.branch
                for s in self._selectors
                if s.selector.latest_for_branch and isinstance(s.selector.branch, str)
            ]
        )

    def short_description(self) -> str:
        return ", ".join(self._short(s) for s in self._selectors)

    def _short(self, rs: ResolvedSelector) -> str:
        s = rs.selector
        env = rs.environment.name if rs.environment else s.environment
        if s.overall_latest:
            return "latest"
        if s.latest_for_tag:
            return f"latest with tag {rs.fallback_tag}" if rs.fallback_tag else f"latest with tag {s.tag}"
        if s.latest_for_main_branch:
            return "latest from main branch"
        if s.latest_for_branch:
            return (
                f"latest from branch {rs.fallback_branch}"
                if rs.fallback_branch
                else f"latest from branch {s.branch}"
            )
        if s.all_for_tag_and_consumer:
            return f"one of {s.consumer} {s.tag}"
        if s.tag:
            return f"one of {s.tag}"
        if s.currently_deployed:
            return f"deployed to {env}"
        if s.currently_supported:
            return f"released in {env}"
        if s.in_environment:
            # The reference falls back to the selector's JSON here; a sentence serves test names better.
            return f"in environment {env}"
        return json.dumps(s.wire())

    def inclusion_reason(self) -> str:
        tags, branches = self._head_consumer_tags(), self._branches()
        version_text = "version" if len(tags) == 1 or len(branches) == 1 else "versions"
        p = self.pact
        if p.wip:
            return (
                f"The pact at {self.url} is being verified because it is a 'work in progress' pact (ie. it "
                "is the "
                f"pact for the latest {version_text} of {p.consumer_name} "
                f"{self._joined_tags_and_branches()} and "
                f"it has not yet been successfully verified by {self._pending_description('a')} when the "
                "pact's "
                "application version was explicitly specified in the consumer version selectors). "
                f"{READ_MORE_WIP}"
            )
        count = len(self._selectors)
        criteria = "criteria" if count > 1 else "criterion"
        versions = "the consumer version" if count == 1 else "the consumer versions"
        return (
            f"The pact at {self.url} is being verified because the pact content belongs to {versions} "
            "matching "
            f"the following {criteria}:\n{self._selector_descriptions()}"
        )

    def pending_reason(self) -> str:
        p = self.pact
        if p.pending and p.wip:
            return (
                f"This pact is in pending state for this version of {p.provider_name} because it was "
                "included as a "
                "'work in progress' pact. If this verification fails, it will not cause the overall build to "
                f"fail. {READ_MORE_PENDING}"
            )
        if p.pending:
            return (
                f"This pact is in pending state for this version of {p.provider_name} because a successful "
                f"verification result for {self._pending_description('a')} has not yet been published. If "
                "this "
                f"verification fails, it will not cause the overall build to fail. {READ_MORE_PENDING}"
            )
        return (
            f"This pact has previously been successfully verified by {self._non_pending_description()}. If "
            "this "
            f"verification fails, it will fail the build. {READ_MORE_PENDING}"
        )

    def success_true_published_false(self) -> str | None:
        if not self.pact.pending:
            return None
        return (
            f"This pact is still in pending state for {self._pending_description()} as the successful "
            f"verification results {self._with_these_tags()}have not yet been published."
        )

    def success_true_published_true(self) -> str | None:
        if not self.pact.pending:
            return None
        tags = self._with_these_tags()
        return (
            f"This pact is no longer in pending state for {self._pending_description()}, as a successful "
            f"verification result {tags}has been published. If a verification for a version of "
            f"{self.pact.provider_name} {tags}fails in the future, it will fail the build. "
            f"{READ_MORE_PENDING}"
        )

    def success_false_published_false(self) -> str | None:
        if not self.pact.pending:
            return None
        return (
            f"This pact is still in pending state for {self._pending_description()} as a successful "
            f"verification result {self._with_these_tags()}has not yet been published"
        )

    # --- pieces ---------------------------------------------------------------------------------------------
    def _joined_tags_and_branches(self) -> str:
        tags, branches = self._head_consumer_tags(), self._branches()
        parts = []
        if branches:
            parts.append(f"from {'branch' if len(branches) == 1 else 'branches'} {_join(branches)}")
        if tags:
            parts.append(f"tagged with {_join(tags)}")
        count = len(self._selectors)
        note = (
            ""
            if count == 1
            else " (both have the same content)"
            if count == 2
            else " (all have the same content)"
        )
        return " and ".join(parts) + note

    def _pending_description(self, any_or_a: str = "any") -> str:
        p = self.pact
        if p.provider_branch:
            return f"{any_or_a} version of {p.provider_name} from branch '{p.provider_branch}'"
        tags = p.pending_provider_tags
        if not tags:
            return p.provider_name
        if len(tags) == 1:
            return f"{any_or_a} version of {p.provider_name} with tag '{tags[0]}'"
        return f"{any_or_a} versions of {p.provider_name} with tag {_join(tags)}"

    def _non_pending_description(self) -> str:
        p = self.pact
        if p.provider_branch:
            return f"a version of {p.provider_name} from branch '{p.provider_branch}'"
        tags = p.non_pending_provider_tags
        if not tags:
            return p.provider_name
        if len(tags) == 1:
            return f"a version of {p.provider_name} with tag '{tags[0]}'"
        return f"a version of {p.provider_name} with tag {_join(tags)}"

    def _with_these_tags(self) -> str:
        n = len(self.pact.pending_provider_tags)
        return "" if n == 0 else "with this tag " if n == 1 else "with these tags "

    def _selector_descriptions(self) -> str:
        groups: dict[str, list[ResolvedSelector]] = {}
        for rs in sort_selectors(self._selectors):
            groups.setdefault(rs.selector.type(), []).append(rs)
        lines: list[str] = []
        for group in groups.values():
            first = group[0].selector
            if first.currently_deployed:
                lines += self._environment_descriptions(group, "currently deployed to")
            elif first.currently_supported:
                lines += self._environment_descriptions(group, "released and supported in")
            else:
                lines += [self._describe(rs) for rs in group]
        return "\n".join(f"    * {line}" for line in lines)

    def _environment_descriptions(self, group: list[ResolvedSelector], verb: str) -> list[str]:
        by_consumer: dict[str | None, list[ResolvedSelector]] = {}
        for rs in group:
            by_consumer.setdefault(rs.selector.consumer, []).append(rs)
        out = []
        for consumer, selectors in by_consumer.items():
            label = f"version(s) of {consumer}" if consumer else "consumer version(s)"
            places = [
                f"{rs.environment.name if rs.environment else rs.selector.environment} "
                f"({rs.consumer_version.number})"
                for rs in selectors
            ]
            out.append(f"{label} {verb} {_join_unquoted(places)}")
        return out

    def _describe(self, rs: ResolvedSelector) -> str:
        s = rs.selector
        provider = self.pact.provider_name
        version_label = f"version of {s.consumer}" if s.consumer else "version"
        if s.overall_latest:
            text = f"latest version of {s.consumer or 'a consumer'} that has a pact with {provider}"
        elif s.latest_for_tag:
            if rs.fallback_tag:
                text = (
                    f"latest {version_label} tagged '{rs.fallback_tag}' (fallback tag used as no pact was "
                    "found "
                    f"with tag '{s.tag}')"
                )
            else:
                text = f"latest {version_label} tagged '{s.tag}'"
        elif s.latest_for_main_branch:
            text = f"latest {version_label} from the main branch '{self.pact.consumer_main_branch}'"
        elif s.latest_for_branch:
            if rs.fallback_branch:
                text = (
                    f"latest {version_label} from branch '{rs.fallback_branch}' (fallback branch used as "
                    "no pact "
                    f"was found from branch '{s.branch}')"
                )
            else:
                text = f"latest {version_label} from branch '{s.branch}'"
        elif s.all_for_tag_and_consumer:
            text = f"all {s.consumer} versions tagged '{s.tag}'"
        elif s.all_for_tag:
            text = f"all consumer versions tagged '{s.tag}'"
        elif s.in_environment:
            env = rs.environment.name if rs.environment else s.environment
            text = f"{s.consumer or 'a consumer'} version in environment {env}"
        else:
            text = json.dumps(s.wire())
        return f"{text} ({rs.consumer_version.number})"


def build_notices(
    pact: VerifiablePact, pact_url: str, include_pending_status: bool, deprecated: bool = False
) -> list[dict[str, str]]:
    """`verificationProperties.notices`: each a `when` and a `text`."""
    messages = VerifiablePactMessages(pact, pact_url)
    notices: list[dict[str, str]] = []

    def add(when: str, text: str | None) -> None:
        if text:
            notices.append({"when": when, "text": text})

    if deprecated:
        add("before_verification", DEPRECATED_GET_WARNING)
    add("before_verification", messages.inclusion_reason())
    if include_pending_status:
        add("before_verification", messages.pending_reason())
        add("after_verification:success_true_published_false", messages.success_true_published_false())
        add("after_verification:success_false_published_false", messages.success_false_published_false())
        add("after_verification:success_true_published_true", messages.success_true_published_true())
        add("after_verification:success_false_published_true", messages.success_false_published_false())
    return notices
