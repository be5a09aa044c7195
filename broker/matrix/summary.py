"""Is it safe to deploy? The tri-state verdict, the counts and the reasons for a set of matrix rows.

A direct port of the reference's `DeploymentStatusSummary` and reason texts, because clients show these
texts to people and the Rust CLI polls until `deployable` is no longer null:

- false: a specified version does not exist, or a considered row failed verification (and none is unknown);
- null:  a considered row has no verification, or a required integration has no row at all;
- true:  otherwise, including "no rows" (a consumer with no pacts has no dependencies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from broker.matrix.query import MatrixQuery, UnresolvedSelector
from broker.matrix.resolved import Integration, MatrixRow, ResolvedSelector

ReasonType = Literal["error", "warning", "success", "info"]

NO_ENVIRONMENT_WARNING = (
    "WARN: It is recommended to specify the environment into which you are deploying. "
    "Without the environment, this result will not be reliable."
)
NO_VERSION_WARNING = (
    "WARN: It is recommended to specify the version number (rather than the tag or branch) of the "
    "pacticipant you wish to deploy to avoid race conditions. "
    "Without a version number, this result will not be reliable."
)
SUCCESSFUL = "All required verification results are published and successful"
NO_DEPENDENCIES_MISSING = "There are no missing dependencies"


@dataclass(frozen=True)
class Reason:
    type: ReasonType
    text: str


@dataclass
class QueryResults:
    """Everything the matrix repository found for one query."""

    query: MatrixQuery
    considered_rows: list[MatrixRow]
    ignored_rows: list[MatrixRow]
    selectors: list[ResolvedSelector]
    ignore_selectors: list[ResolvedSelector]
    integrations: list[Integration]
    # Filled by the repository for decoration: version id -> branches/tags/environments.
    version_details: dict[int, VersionDetails] = field(default_factory=dict)

    @property
    def all_rows(self) -> list[MatrixRow]:
        return self.considered_rows + self.ignored_rows


@dataclass
class VersionDetails:
    """What the matrix body shows about a version besides its number."""

    branch_versions: list[tuple[str, bool]] = field(default_factory=list)  # (branch name, is head)
    tags: list[tuple[str, bool]] = field(default_factory=list)  # (tag name, is latest for the tag)
    environments: list[EnvironmentRef] = field(default_factory=list)


@dataclass(frozen=True)
class EnvironmentRef:
    uuid: str
    name: str
    display_name: str | None
    production: bool


class DeploymentStatusSummary:
    def __init__(self, results: QueryResults) -> None:
        self.results = results
        self._considered = results.considered_rows
        self._dummy = self._dummy_selectors()

    # --- verdict ----------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        counts = {
            "success": sum(1 for r in self._considered if r.success is True),
            "failed": sum(1 for r in self._considered if r.success is False),
            "unknown": len(self._required_integrations_without_a_row())
            + sum(1 for r in self._considered if r.success is None),
        }
        if self.results.ignore_selectors:
            counts["ignored"] = len(self.results.ignored_rows)
        return counts

    def deployable(self) -> bool | None:
        if any(s.consider and s.specified_version_that_does_not_exist for s in self.results.selectors):
            return False
        if any(r.success is None for r in self._considered):
            return None
        if self._required_integrations_without_a_row():
            return None
        return all(r.success for r in self._considered)

    def reasons(self) -> list[Reason]:
        errors = self._error_reasons()
        return self._warnings() + (errors if errors else self._success_reasons())

    # --- reasons ----------------------------------------------------------------------------------------
    def _error_reasons(self) -> list[Reason]:
        reasons = [
            Reason("error", s.version_does_not_exist_description())
            for s in self.results.selectors
            if s.specified_version_that_does_not_exist and s.consider
        ]
        if not reasons:
            for integration in self._required_integrations_without_a_row():
                consumer, provider = self._selectors_for(
                    integration.consumer_name, None, integration.provider_name, None
                )
                reasons.append(Reason("error", _not_verified(consumer, provider)))
            for row in self._considered:
                if row.success is False:
                    consumer, provider = self._selectors_for_row(row)
                    reasons.append(
                        Reason(
                            "error",
                            f"The verification for the pact between {consumer.description()} and "
                            f"{provider.description()} failed",
                        )
                    )
            for row in self._considered:
                if row.success is None:
                    consumer, provider = self._selectors_for_row(row)
                    reasons.append(Reason("error", _not_verified(consumer, provider)))
        return _unique(reasons)

    def _warnings(self) -> list[Reason]:
        warnings = [
            Reason("warning", f"WARN: Cannot ignore {s.description()}")
            for s in self.results.ignore_selectors
            if s.pacticipant_or_version_does_not_exist
        ]
        specified = [s for s in self.results.selectors if s.specified]
        query = self.results.query
        if len(specified) == 1 and not (query.tag or query.environment or query.main_branch):
            warnings.append(Reason("warning", NO_ENVIRONMENT_WARNING))
        # Only a can-i-deploy style query (not "show me all of Foo") warrants the version-number advice.
        if [s for s in specified if not s.only_pacticipant_name_specified] and not [
            s for s in specified if s.version_specified_in_original
        ]:
            warnings.append(Reason("warning", NO_VERSION_WARNING))
        return warnings

    def _success_reasons(self) -> list[Reason]:
        if all(r.success for r in self._considered) and not self._required_integrations_without_a_row():
            return [Reason("success", SUCCESSFUL if self._considered else NO_DEPENDENCIES_MISSING)]
        return []

    # --- helpers ----------------------------------------------------------------------------------------
    def _required_integrations_without_a_row(self) -> list[Integration]:
        present = {(r.consumer_id, r.provider_id) for r in self.results.all_rows}
        return [
            i
            for i in self.results.integrations
            if i.required and (i.consumer_id, i.provider_id) not in present
        ]

    def _selector_for(self, name: str, number: str | None) -> ResolvedSelector:
        found = [s for s in self.results.selectors if s.pacticipant_name == name]
        if len(found) == 1:
            return found[0]
        if number:
            for s in found:
                if s.version_number == number:
                    return s
        return self._dummy_for(name)

    def _selectors_for(
        self, consumer: str, consumer_version: str | None, provider: str, provider_version: str | None
    ) -> tuple[ResolvedSelector, ResolvedSelector]:
        return self._selector_for(consumer, consumer_version), self._selector_for(provider, provider_version)

    def _selectors_for_row(self, row: MatrixRow) -> tuple[ResolvedSelector, ResolvedSelector]:
        return self._selectors_for(
            row.consumer_name, row.consumer_version_number, row.provider_name, row.provider_version_number
        )

    def _dummy_for(self, name: str) -> ResolvedSelector:
        for s in self._dummy:
            if s.pacticipant_name == name:
                return s
        return ResolvedSelector(-1, name, type="inferred")

    def _dummy_selectors(self) -> list[ResolvedSelector]:
        # When the user named no version of a pacticipant, describe it from the rows themselves.
        dummies: list[ResolvedSelector] = []
        empty = _EMPTY
        for r in self._considered:
            dummies.append(
                ResolvedSelector.for_version(
                    r.consumer_id,
                    r.consumer_name,
                    r.consumer_version_id,
                    r.consumer_version_number,
                    empty,
                    "inferred",
                    False,
                )
            )
            if r.provider_version_id is not None and r.provider_version_number is not None:
                dummies.append(
                    ResolvedSelector.for_version(
                        r.provider_id,
                        r.provider_name,
                        r.provider_version_id,
                        r.provider_version_number,
                        empty,
                        "inferred",
                        False,
                    )
                )
            else:
                dummies.append(
                    ResolvedSelector.for_pacticipant(r.provider_id, r.provider_name, empty, "inferred", False)
                )
        for i in self.results.integrations:
            dummies.append(
                ResolvedSelector.for_pacticipant(i.consumer_id, i.consumer_name, empty, "inferred", False)
            )
            dummies.append(
                ResolvedSelector.for_pacticipant(i.provider_id, i.provider_name, empty, "inferred", False)
            )
        return dummies


def _not_verified(consumer: ResolvedSelector, provider: ResolvedSelector) -> str:
    return f"There is no verified pact between {consumer.description()} and {provider.description()}"


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: set[Reason] = set()
    out = []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


_EMPTY = UnresolvedSelector()
