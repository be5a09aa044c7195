"""The body of `POST /pacts/provider/{p}/for-verification`: validation and normalisation.

Validation messages and rules are the reference broker's (`consumer_version_selector_contract.rb`,
`pacts_for_verification_json_query_schema.rb`) because verifiers print them verbatim to the user.
Normalisation follows `pacts_for_verification_query_decorator.rb`: branch-like selectors imply latest,
`deployedOrReleased` becomes two selectors, `matchingBranch` becomes the provider's branch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

BRANCH_KEYS = ("latest", "tag", "fallbackTag", "branch", "fallbackBranch", "matchingBranch", "mainBranch")
ENVIRONMENT_KEYS = ("environment", "deployed", "released", "deployedOrReleased")
ALL_KEYS = (*BRANCH_KEYS, *ENVIRONMENT_KEYS, "consumer")

REQUIRED_PARAMS_MISSING = (
    "must specify a value for environment or tag or branch, or specify mainBranch=true, matchingBranch=true, "
    "latest=true, deployed=true, released=true or deployedOrReleased=true"
)
BRANCH_EMPTY = (
    "when pending or WIP pacts are enabled and there are no tags provided, the provider version branch must "
    "not be an empty string, as it is used in the calculations for WIP/pending. A value must be provided "
    "(recommended), or it must not be set at all."
)


class Selector(BaseModel):
    """A consumer version selector after normalisation (snake_case, the reference's internal names)."""

    model_config = ConfigDict(frozen=True)

    main_branch: bool | None = None
    tag: str | None = None
    branch: str | bool | None = None  # true: the head of every branch
    matching_branch: bool | None = None
    latest: bool | None = None
    fallback_tag: str | None = None
    fallback_branch: str | None = None
    consumer: str | None = None
    environment: str | None = None
    currently_deployed: bool | None = None
    currently_supported: bool | None = None

    # --- the reference's classification ----------------------------------------------------------------
    @property
    def overall_latest(self) -> bool:
        return bool(
            self.latest
            and not self.tag
            and not self.branch
            and not self.main_branch
            and not self.currently_deployed
            and not self.currently_supported
            and not self.environment
        )

    @property
    def latest_for_tag(self) -> bool:
        return bool(self.latest and self.tag)

    @property
    def latest_for_main_branch(self) -> bool:
        return bool(self.main_branch)

    @property
    def latest_for_branch(self) -> bool:
        return self.latest is True and isinstance(self.branch, str)

    @property
    def all_for_tag(self) -> bool:
        return bool(self.tag and not self.latest)

    @property
    def all_for_tag_and_consumer(self) -> bool:
        return bool(self.tag and not self.latest and self.consumer)

    @property
    def in_environment(self) -> bool:
        return bool(self.environment)

    def type(self) -> str:
        if self.latest_for_main_branch:
            return "latest_for_main_branch"
        if self.latest_for_branch:
            return "latest_for_branch"
        if self.matching_branch:
            return "matching_branch"
        if self.currently_deployed:
            return "currently_deployed"
        if self.currently_supported:
            return "currently_supported"
        if self.in_environment:
            return "in_environment"
        if self.latest_for_tag:
            return "latest_for_tag"
        if self.all_for_tag:
            return "all_for_tag"
        if self.overall_latest:
            return "overall_latest"
        return "undefined"

    def wire(self) -> dict[str, Any]:
        """The selector as JSON, for the (rare) descriptions that fall back to showing it raw."""
        return self.model_dump(exclude_none=True)


class PactsForVerificationQuery(BaseModel):
    provider_version_branch: str | None = None
    provider_version_tags: list[str] = []
    consumer_version_selectors: list[Selector] = []
    include_pending_status: bool = True
    include_wip_pacts_since: datetime | None = None


# --- validation -----------------------------------------------------------------------------------------


def _provided(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _selector_errors(
    sel: Any, parent: dict[str, Any], environment_exists: Callable[[str], bool]
) -> list[str]:
    if not isinstance(sel, dict):
        return ["must be a hash"]
    errors: list[str] = []
    field_errors: list[tuple[str, str]] = []

    def must_be(key: str, ok: bool, message: str) -> None:
        if key in sel and not ok:
            field_errors.append((key, message))

    must_be("mainBranch", sel.get("mainBranch") is True, "must be one of: true")
    must_be("tag", _is_str(sel.get("tag")) and sel.get("tag") != "", "must be a string")
    must_be(
        "branch",
        (_is_str(sel.get("branch")) and sel.get("branch") != "") or sel.get("branch") is True,
        "must be a string or true",
    )
    must_be("matchingBranch", sel.get("matchingBranch") is True, "must be one of: true")
    must_be("latest", sel.get("latest") in (True, False), "must be one of: true, false")
    must_be(
        "fallbackTag", _is_str(sel.get("fallbackTag")) and sel.get("fallbackTag") != "", "must be a string"
    )
    must_be(
        "fallbackBranch",
        _is_str(sel.get("fallbackBranch")) and sel.get("fallbackBranch") != "",
        "must be a string",
    )
    must_be("consumer", _is_str(sel.get("consumer")) and sel.get("consumer") != "", "must be a string")
    must_be("deployed", sel.get("deployed") is True, "must be one of: true")
    must_be("released", sel.get("released") is True, "must be one of: true")
    must_be("deployedOrReleased", sel.get("deployedOrReleased") is True, "must be one of: true")
    must_be(
        "environment", _is_str(sel.get("environment")) and sel.get("environment") != "", "must be a string"
    )
    if _is_str(sel.get("consumer")) and sel["consumer"] != "" and sel["consumer"].strip() == "":
        field_errors.append(("consumer", "cannot be blank"))
    if field_errors:
        return [f"{key} {message}" for key, message in field_errors]

    values = {k: v for k, v in sel.items() if k in ALL_KEYS and v is not None}
    if not (
        _provided(values.get("mainBranch"))
        or _provided(values.get("tag"))
        or _provided(values.get("branch"))
        or _provided(values.get("environment"))
        or values.get("matchingBranch") is True
        or values.get("deployed") is True
        or values.get("released") is True
        or values.get("deployedOrReleased") is True
        or values.get("latest") is True
    ):
        errors.append(REQUIRED_PARAMS_MISSING)
    if values.get("mainBranch") and set(values) - {"consumer", "mainBranch", "latest"}:
        errors.append("cannot specify mainBranch=true with any other criteria apart from consumer")
    if values.get("mainBranch") and values.get("latest") is False:
        errors.append("cannot specify mainBranch=true with latest=false")
    if values.get("matchingBranch") and set(values) - {"consumer", "matchingBranch"}:
        errors.append("cannot specify matchingBranch=true with any other criteria apart from consumer")
    if values.get("matchingBranch") and not _provided(parent.get("providerVersionBranch")):
        errors.append(
            "the providerVersionBranch must be specified when the selector matchingBranch=true is used"
        )
    if values.get("tag") and values.get("branch"):
        errors.append("cannot specify both a tag and a branch")
    branch_fields = sorted(k for k in values if k in BRANCH_KEYS)
    env_fields = sorted(k for k in values if k in ENVIRONMENT_KEYS)
    if branch_fields and env_fields:
        errors.append(
            f"cannot specify the {_pluralize('field', len(branch_fields))} {'/'.join(branch_fields)} "
            f"with the {_pluralize('field', len(env_fields))} {'/'.join(env_fields)}"
        )
    if values.get("fallbackTag") and not values.get("latest"):
        errors.append("fallbackTag can only be set if latest is true")
    if values.get("fallbackTag") and not values.get("tag"):
        errors.append("a tag must be specified when a fallbackTag is specified")
    if values.get("fallbackBranch") and not values.get("branch"):
        errors.append("a branch must be specified when a fallbackBranch is specified")
    if values.get("fallbackBranch") and values.get("latest") is False:
        errors.append("fallbackBranch can only be set if latest is true")
    if values.get("branch") and values.get("latest") is False:
        errors.append("cannot specify a branch with latest=false")
    if _provided(values.get("environment")) and not environment_exists(values["environment"]):
        errors.append(f"environment with name '{values['environment']}' does not exist")
    if values.get("deployed") and values.get("released"):
        errors.append("cannot specify both deployed=true and released=true")
    if values.get("deployed") and values.get("deployedOrReleased"):
        errors.append("cannot specify both deployed=true and deployedOrReleased=true")
    if values.get("released") and values.get("deployedOrReleased"):
        errors.append("cannot specify both released=true and deployedOrReleased=true")
    return errors


def _pluralize(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def validate(body: Any, environment_exists: Callable[[str], bool]) -> dict[str, list[str]]:
    """Errors keyed by field, as the reference's `{"errors": {...}}` body; empty when the body is fine."""
    if not isinstance(body, dict):
        return {"body": ["must be a JSON object"]}
    errors: dict[str, list[str]] = {}
    branch = body.get("providerVersionBranch")
    if "providerVersionBranch" in body and branch is not None and not isinstance(branch, str):
        errors.setdefault("providerVersionBranch", []).append("must be a string")
    tags = body.get("providerVersionTags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        errors.setdefault("providerVersionTags", []).append("must be an array")
    pending = body.get("includePendingStatus")
    if "includePendingStatus" in body and pending not in (True, False):
        errors.setdefault("includePendingStatus", []).append("must be one of: true, false")
    wip = body.get("includeWipPactsSince")
    if "includeWipPactsSince" in body and _parse_date(wip) is None:
        errors.setdefault("includeWipPactsSince", []).append("must be a date")
    if isinstance(branch, str) and "providerVersionBranch" not in errors:
        if branch != "" and branch.strip() == "":
            errors.setdefault("providerVersionBranch", []).append("cannot be blank")
        elif branch.strip() == "" and not (isinstance(tags, list) and tags) and (wip or pending):
            # An empty branch with pending/WIP asked for is almost certainly a CI variable that was not set;
            # as in the reference, only an explicit includePendingStatus counts (old clients send "").
            errors.setdefault("providerVersionBranch", []).append(BRANCH_EMPTY)
    selectors = body.get("consumerVersionSelectors")
    if "consumerVersionSelectors" in body:
        if not isinstance(selectors, list):
            errors.setdefault("consumerVersionSelectors", []).append("must be an array")
        else:
            for index, sel in enumerate(selectors):
                for message in _selector_errors(sel, body, environment_exists):
                    errors.setdefault("consumerVersionSelectors", []).append(f"{message} (at index {index})")
    return errors


def _provider_branch(body: dict[str, Any]) -> str | None:
    branch = body.get("providerVersionBranch")
    return branch if isinstance(branch, str) else None


def pending_on_any_success(body: dict[str, Any]) -> bool:
    """Whether the question names no provider branch and no provider tag, read as `parse` reads them (any
    string is a branch; tags when the list is not empty), on a body not validated yet: then any
    successful verification ends a pact's pending status."""
    return _provider_branch(body) is None and not body.get("providerVersionTags")


def parse(body: dict[str, Any]) -> PactsForVerificationQuery:
    """Normalise a validated body into the selectors the repository runs."""
    branch = body.get("providerVersionBranch")
    selectors: list[Selector] = []
    for raw in body.get("consumerVersionSelectors") or []:
        latest: bool | None = None
        if "latest" in raw:
            latest = raw["latest"] is True or raw["latest"] == "true"
        base: dict[str, Any] = {
            "tag": raw.get("tag"),
            "fallback_tag": raw.get("fallbackTag"),
            "fallback_branch": raw.get("fallbackBranch"),
            "consumer": raw.get("consumer"),
            "environment": raw.get("environment"),
            "currently_deployed": raw.get("deployed"),
            "currently_supported": raw.get("released"),
            "latest": latest,
        }
        if raw.get("mainBranch") is not None:
            base["main_branch"] = raw["mainBranch"]
            base["latest"] = True
        if raw.get("branch") is not None:
            base["branch"] = raw["branch"]
            base["latest"] = True
        if raw.get("matchingBranch") is not None:
            base["matching_branch"] = raw["matchingBranch"]
            base["latest"] = True
            if branch:
                base["branch"] = branch
        if raw.get("deployedOrReleased"):
            selectors.append(Selector(**{**base, "currently_deployed": True, "currently_supported": None}))
            selectors.append(Selector(**{**base, "currently_supported": True, "currently_deployed": None}))
        else:
            selectors.append(Selector(**base))
    pending = body.get("includePendingStatus", True)
    return PactsForVerificationQuery(
        provider_version_branch=_provider_branch(body),
        provider_version_tags=list(body.get("providerVersionTags") or []),
        consumer_version_selectors=selectors,
        include_pending_status=pending is True or pending == "true",
        include_wip_pacts_since=_parse_date(body.get("includeWipPactsSince")),
    )


_BOOLEAN_KEYS = {"latest", "mainBranch", "matchingBranch", "deployed", "released", "deployedOrReleased"}


def body_from_query_string(params: dict[str, Any]) -> dict[str, Any]:
    """The deprecated GET takes snake_case query parameters; turn them into the POST body's shape."""

    def camel(key: str) -> str:
        head, *rest = key.split("_")
        return head + "".join(part.capitalize() for part in rest)

    body: dict[str, Any] = {}
    for key, value in params.items():
        name = camel(key)
        if name == "consumerVersionSelectors" and isinstance(value, list):
            selectors = []
            for sel in value:
                if isinstance(sel, dict):
                    converted = {}
                    for k, v in sel.items():
                        ck = camel(k)
                        converted[ck] = (v == "true") if ck in _BOOLEAN_KEYS and v in ("true", "false") else v
                    selectors.append(converted)
                else:
                    selectors.append(sel)
            body[name] = selectors
        elif name == "includePendingStatus" and value in ("true", "false"):
            body[name] = value == "true"
        else:
            body[name] = value
    return body
