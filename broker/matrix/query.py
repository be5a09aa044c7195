"""What a matrix or can-i-deploy request asks for, parsed from Rack-style nested query parameters.

The parsing mirrors the reference broker (`matrix/parse_query.rb`, `parse_can_i_deploy_query.rb`) so that
the Ruby and Rust `can-i-deploy` clients get the same answers from us as from the Pact Broker.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

LatestBy = Literal["cvpv", "cvp", "cp"]

DEFAULT_MATRIX_LIMIT = 100


class UnresolvedSelector(BaseModel):
    """One `q[]` (or `ignore[]`) entry: which versions of one pacticipant the user means."""

    model_config = ConfigDict(frozen=True)

    pacticipant_name: str | None = None
    version: str | None = None
    latest: bool | None = None
    tag: str | None = None
    branch: str | None = None
    environment: str | None = None
    main_branch: bool | None = None

    def all_for_pacticipant(self) -> bool:
        """Only the name was given: every version of the pacticipant, no version lookup needed."""
        return bool(self.pacticipant_name) and not (
            self.version or self.tag or self.branch or self.latest or self.environment or self.main_branch
        )


class MatrixQuery(BaseModel):
    """The selectors plus the options that shape the query (target, latestby, filters)."""

    selectors: list[UnresolvedSelector] = []
    latestby: str | None = None
    # Kept as the raw text so that validation can report "limit must be 1 or greater" like the reference.
    limit: str | None = None
    latest: bool | None = None
    tag: str | None = None
    environment: str | None = None
    main_branch: bool | None = None
    success: list[bool | None] | None = None
    ignore_selectors: list[UnresolvedSelector] = []

    def limit_value(self) -> int | None:
        return None if self.limit is None else _leading_int(self.limit)

    def infers_selectors(self) -> bool:
        """A target (`--to`, `--to-environment`, latest) adds the integrated pacticipants' versions."""
        return bool(self.latest or self.tag or self.environment or self.main_branch)

    def deployment_question_names(self) -> list[str] | None:
        """The pacticipants named, when this is a question whose answer can be kept under their counters
        (`broker.answer_cache.generations.for_deployment_question`): every selector names a version by
        number, and the target is an environment (`can-i-deploy --to-environment`) or there is none and
        two or more pacticipants are named (the matrix between them). Anything that means "latest" or a
        tag reaches versions a new build or tag can change, which those counters do not follow: None."""
        if self.latest or self.tag or self.main_branch:
            return None
        named = [
            s.pacticipant_name
            for s in self.selectors
            if s.pacticipant_name
            and s.version
            and not (s.latest or s.tag or s.branch or s.environment or s.main_branch)
        ]
        if not named or len(named) < len(self.selectors):
            return None
        if not self.environment and len(set(named)) < 2:
            return None
        if not all(s.all_for_pacticipant() for s in self.ignore_selectors):
            return None
        return named


def _leading_int(text: str) -> int:
    # Ruby's String#to_i: leading digits, else 0.
    digits = ""
    for i, ch in enumerate(text.strip()):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _present(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _selector_from_params(params: Any) -> UnresolvedSelector:
    if not isinstance(params, dict):
        return UnresolvedSelector()
    return UnresolvedSelector(
        pacticipant_name=params["pacticipant"] if _present(params.get("pacticipant")) else None,
        version=params["version"] if _present(params.get("version")) else None,
        latest=True if params.get("latest") == "true" else None,
        branch=params["branch"] if _present(params.get("branch")) else None,
        tag=params["tag"] if _present(params.get("tag")) else None,
        environment=params["environment"] if _present(params.get("environment")) else None,
        main_branch=True if params.get("mainBranch") == "true" else None,
    )


def parse_matrix_query(params: dict[str, Any]) -> MatrixQuery:
    """Translate the nested query of `GET /matrix` into a `MatrixQuery` (limit defaults to 100)."""
    raw_selectors = params.get("q") or []
    selectors = [_selector_from_params(p) for p in raw_selectors] if isinstance(raw_selectors, list) else []
    query = MatrixQuery(selectors=selectors, limit=str(DEFAULT_MATRIX_LIMIT))

    success = params.get("success")
    if isinstance(success, list):
        query.success = [None if v == "" else v == "true" for v in success]
    elif isinstance(success, str):
        query.success = [None if success == "" else success == "true"]
    if _present(params.get("latestby")):
        query.latestby = params["latestby"]
    if _present(params.get("limit")):
        query.limit = params["limit"]
    if _present(params.get("latest")):
        query.latest = params["latest"] == "true"
    if _present(params.get("tag")):
        query.tag = params["tag"]
    if _present(params.get("environment")):
        query.environment = params["environment"]
    if _present(params.get("mainBranch")):
        query.main_branch = params["mainBranch"] == "true"
    ignore = params.get("ignore")
    if isinstance(ignore, list):
        query.ignore_selectors = [_selector_from_params(p) for p in ignore]
    return query


def can_i_deploy_errors(params: dict[str, Any]) -> dict[str, list[str]]:
    """The shape checks of `GET /can-i-deploy` that need no database (existence is checked by the service)."""
    errors: dict[str, list[str]] = {}
    for key in ("pacticipant", "version"):
        value = params.get(key)
        if value is None:
            errors.setdefault(key, []).append("is missing")
        elif not isinstance(value, str) or value.strip() == "":
            errors.setdefault(key, []).append("must be filled")
    for key in ("to", "environment"):
        value = params.get(key)
        if value is not None and (not isinstance(value, str) or value.strip() == ""):
            errors.setdefault(key, []).append("must be filled")
    to, environment = _present(params.get("to")), _present(params.get("environment"))
    if to and environment:
        errors.setdefault("base", []).append("Cannot specify both a 'to' tag and an environment.")
    if not to and not environment:
        errors.setdefault("base", []).append("Must specify either an environment or a 'to' tag.")
    return errors


def parse_can_i_deploy_query(params: dict[str, Any]) -> MatrixQuery:
    """`/can-i-deploy` is the matrix with one selector, a target, and no limit.

    `environment` uses latestby=cvpv so every co-resident deployed/released version is checked
    (reference issue #903); `to=TAG` keeps cvp with latest=true.
    """
    selector = UnresolvedSelector(
        pacticipant_name=params.get("pacticipant") if isinstance(params.get("pacticipant"), str) else None,
        version=params.get("version") if isinstance(params.get("version"), str) else None,
    )
    query = MatrixQuery(selectors=[selector], latestby="cvp")
    if isinstance(params.get("to"), str):
        query.tag = params["to"]
        query.latest = True
    if isinstance(params.get("environment"), str):
        query.environment = params["environment"]
        query.latestby = "cvpv"
    ignore = params.get("ignore")
    if isinstance(ignore, list):
        for item in ignore:
            if isinstance(item, str):
                query.ignore_selectors.append(UnresolvedSelector(pacticipant_name=item))
            elif isinstance(item, dict) and isinstance(item.get("pacticipant"), str):
                version = item.get("version")
                query.ignore_selectors.append(
                    UnresolvedSelector(
                        pacticipant_name=item["pacticipant"],
                        version=version if isinstance(version, str) else None,
                    )
                )
    return query
