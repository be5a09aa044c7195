"""Selectors after their names and versions were looked up, and the matrix rows they produce.

A `ResolvedSelector` knows the ids to filter the matrix query by, plus enough of the original request to
describe itself in a reason text ("the latest version of Bar with tag prod (4)"), exactly as the reference
broker words it (`matrix/resolved_selector.rb`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from broker.matrix.query import UnresolvedSelector

# A version id of -1 matches no rows: used for a selector whose version does not exist.
NULL_VERSION_ID = -1
NULL_PACTICIPANT_ID = -1

SelectorType = Literal["specified", "inferred", "ignored"]


@dataclass(frozen=True)
class ResolvedSelector:
    pacticipant_id: int
    pacticipant_name: str
    # None: every version of the pacticipant (name-only selector).
    version_id: int | None = None
    version_number: str | None = None
    latest: bool | None = None
    tag: str | None = None
    branch: str | None = None
    main_branch: bool | None = None
    environment: str | None = None
    type: SelectorType = "specified"
    ignore: bool = False
    one_of_many: bool = False
    original: UnresolvedSelector = field(default_factory=UnresolvedSelector)

    @classmethod
    def for_pacticipant(
        cls, pacticipant_id: int, name: str, original: UnresolvedSelector, type: SelectorType, ignore: bool
    ) -> ResolvedSelector:
        return cls(pacticipant_id, name, type=type, ignore=ignore, original=original)

    @classmethod
    def for_non_existing_pacticipant(
        cls, original: UnresolvedSelector, type: SelectorType, ignore: bool = False
    ) -> ResolvedSelector:
        return cls(
            NULL_PACTICIPANT_ID, original.pacticipant_name or "", type=type, ignore=ignore, original=original
        )

    @classmethod
    def for_version(
        cls,
        pacticipant_id: int,
        name: str,
        version_id: int,
        version_number: str,
        original: UnresolvedSelector,
        type: SelectorType,
        ignore: bool,
        one_of_many: bool = False,
        main_branch_name: str | None = None,
    ) -> ResolvedSelector:
        return cls(
            pacticipant_id,
            name,
            version_id=version_id,
            version_number=version_number,
            latest=original.latest,
            tag=original.tag,
            branch=original.branch or (main_branch_name if original.main_branch else None),
            main_branch=original.main_branch,
            environment=original.environment,
            type=type,
            ignore=ignore,
            one_of_many=one_of_many,
            original=original,
        )

    @classmethod
    def for_non_existing_version(
        cls, pacticipant_id: int, name: str, original: UnresolvedSelector, type: SelectorType, ignore: bool
    ) -> ResolvedSelector:
        return cls(
            pacticipant_id,
            name,
            version_id=NULL_VERSION_ID,
            version_number=original.version,
            latest=original.latest,
            tag=original.tag,
            branch=original.branch,
            main_branch=original.main_branch,
            environment=original.environment,
            type=type,
            ignore=ignore,
            original=original,
        )

    # --- predicates -------------------------------------------------------------------------------------
    @property
    def specified(self) -> bool:
        return self.type == "specified"

    @property
    def consider(self) -> bool:
        return not self.ignore

    @property
    def only_pacticipant_name_specified(self) -> bool:
        return bool(self.pacticipant_name) and self.original.all_for_pacticipant()

    @property
    def version_specified_in_original(self) -> bool:
        return bool(self.original.version)

    @property
    def pacticipant_does_not_exist(self) -> bool:
        return self.pacticipant_id == NULL_PACTICIPANT_ID

    @property
    def version_does_not_exist(self) -> bool:
        return self.version_id == NULL_VERSION_ID

    @property
    def pacticipant_or_version_does_not_exist(self) -> bool:
        return self.pacticipant_does_not_exist or self.version_does_not_exist

    @property
    def specified_version_that_does_not_exist(self) -> bool:
        return self.specified and self.version_does_not_exist

    # --- texts ------------------------------------------------------------------------------------------
    def description(self) -> str:
        # One branch per wording, in the reference's order.
        name, number = self.pacticipant_name, self.version_number
        latest_tagged = bool(self.latest and self.tag)
        latest_from_branch = bool(self.latest and self.branch)
        if latest_tagged and number:
            return f"the latest version of {name} with tag {self.tag} ({number})"
        if latest_tagged:
            return f"the latest version of {name} with tag {self.tag} (no such version exists)"
        if self.latest and self.main_branch and number is None:
            return f"the latest version of {name} from the main branch (no versions exist for this branch)"
        if self.main_branch and number is None:
            return f"any version of {name} from the main branch (no versions exist for this branch)"
        if latest_from_branch and number:
            return f"the latest version of {name} from branch {self.branch} ({number})"
        if latest_from_branch:
            return f"the latest version of {name} from branch {self.branch} (no such version exists)"
        if self.branch and number:
            prefix = "one of the versions " if self.one_of_many else "the version "
            return f"{prefix}of {name} from branch {self.branch} ({number})"
        if self.branch:
            return f"a version of {name} from branch {self.branch} (no such version exists)"
        if self.latest and number:
            return f"the latest version of {name} ({number})"
        if self.latest:
            return f"the latest version of {name} (no such version exists)"
        if self.tag and number:
            return f"a version of {name} with tag {self.tag} ({number})"
        if self.tag:
            return f"a version of {name} with tag {self.tag} (no such version exists)"
        if self.environment and number:
            prefix = "one of the versions" if self.one_of_many else "the version"
            return f"{prefix} of {name} currently in {self.environment} ({number})"
        if self.environment:
            return (
                f"a version of {name} currently in {self.environment} "
                "(no version is currently recorded as deployed/released in this environment)"
            )
        if number and self.version_does_not_exist:
            return f"version {number} of {name} (no such version exists)"
        if number:
            return f"version {number} of {name}"
        if self.pacticipant_does_not_exist:
            return f"any version of {name} (no such pacticipant exists)"
        return f"any version of {name}"

    def version_does_not_exist_description(self) -> str:
        if not self.version_does_not_exist:
            return ""
        name = self.pacticipant_name
        if self.tag:
            return f"No version with tag {self.tag} exists for {name}"
        if self.branch:
            return f"No version of {name} from branch {self.branch} exists"
        if self.main_branch:
            return f"No version of {name} from the main branch exists"
        if self.environment:
            return (
                f"No version of {name} is currently recorded as deployed or released in environment "
                f"{self.environment}"
            )
        if self.version_number:
            return (
                f"No pacts or verifications have been published for version {self.version_number} of {name}"
            )
        return f"No pacts or verifications have been published for {name}"


@dataclass(frozen=True)
class Integration:
    """A consumer/provider pair in play for this query; `required` when the consumer was specified."""

    consumer_id: int
    consumer_name: str
    provider_id: int
    provider_name: str
    required: bool


@dataclass
class MatrixRow:
    """One pact publication joined (left outer) to one verification of its content."""

    consumer_id: int
    consumer_name: str
    consumer_version_id: int
    consumer_version_number: str
    consumer_version_order: int
    provider_id: int
    provider_name: str
    pact_publication_id: int
    pact_version_id: int
    pact_version_sha: str
    pact_created_at: datetime
    provider_version_id: int | None = None
    provider_version_number: str | None = None
    provider_version_order: int | None = None
    verification_id: int | None = None
    verification_number: int | None = None
    success: bool | None = None
    verification_executed_at: datetime | None = None
    last_action_date: datetime | None = None
