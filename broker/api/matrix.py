"""`GET /matrix` and `GET /can-i-deploy`: parse the Rack-style query, ask the matrix service, shape JSON.

The body follows the reference's `MatrixDecorator` (summary with tri-state `deployable` and counts,
`notices`, `matrix` rows with considered rows first and ignored rows marked `"ignored": true`).

Release pipelines ask the same deployment question before every deploy step (~5 ms of work on the benchmark
history): an answer about versions named by number, to an environment or between named versions, is kept
in memory and served again while the counters it depends on are unchanged (`broker.answer_cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from broker.answer_cache import generations
from broker.answer_cache.store import AnswerStore
from broker.api.deps import DbSession, UrlBuilder
from broker.api.hal import HAL_JSON, HalResponse, Urls, link, timestamp
from broker.api.rack_query import RackQueryError, parse_nested_query
from broker.api.routing import Router
from broker.errors import NotFound, ValidationFailed
from broker.matrix.query import (
    MatrixQuery,
    UnresolvedSelector,
    can_i_deploy_errors,
    parse_can_i_deploy_query,
    parse_matrix_query,
)
from broker.matrix.resolved import MatrixRow
from broker.matrix.service import MatrixAnswer, MatrixService
from broker.matrix.summary import VersionDetails
from broker.pacts.metadata import encode as encode_metadata

router = Router(tags=["matrix"])


def nested_query(request: Request) -> dict[str, Any]:
    """The Rack-parsed query string; a query Rack would refuse is a 400 naming the problem."""
    return nested_query_of(request.url.query)


def nested_query_of(query_string: str) -> dict[str, Any]:
    try:
        return parse_nested_query(query_string)
    except RackQueryError as exc:
        raise ValidationFailed.one("query", str(exc)) from None


def _errors(errors: list[str] | dict[str, list[str]]) -> JSONResponse:
    # The matrix reports a list (its validation predates the field-keyed contracts); can-i-deploy a hash.
    # HAL+JSON like every other error body: the official client's pact checks the content type.
    return HalResponse({"errors": errors}, status_code=400)


def kept_answer_key(path: str, base: str, question: str) -> tuple[str, str, str]:
    """What a kept answer to a deployment question is found by (with the counters it was computed under):
    the resource's path, the base URL its links use, and the question (`MatrixQuery.model_dump_json()`)."""
    return (path, base, question)


def can_i_deploy_question(params: dict[str, Any]) -> MatrixQuery | None:
    """A can-i-deploy's question, parsed for the key only when well-formed: a malformed question is always
    answered by validation, never kept."""
    return None if can_i_deploy_errors(params) else parse_can_i_deploy_query(params)


def _kept_or_computed(
    request: Request, session: Session, urls: Urls, query: MatrixQuery | None, compute: Callable[[], Response]
) -> Response:
    """A deployment question is asked again and again by release pipelines: its answer is kept while the
    counters it depends on are unchanged (read before anything else: `broker.answer_cache.generations`).
    Only 200 answers are kept; a kept answer passed validation under the same counters, so it still
    would."""
    answers: AnswerStore = request.app.state.answers
    names = query.deployment_question_names() if answers.enabled and query is not None else None
    fingerprint = request.scope.get(generations.READ_FOR_REQUEST)
    if fingerprint is None and names:
        fingerprint = generations.for_deployment_question(session, names)
    if query is None or fingerprint is None:
        return compute()
    key = kept_answer_key(request.url.path, urls.base, query.model_dump_json())
    # `Cache-Control: no-cache` asks for a fresh answer (which is then kept in place of the old one).
    fresh = "no-cache" in request.headers.get("cache-control", "")
    kept = None if fresh else answers.get(key, fingerprint)
    if kept is not None:
        return Response(kept, media_type=HAL_JSON)
    response = compute()
    if response.status_code == 200:
        answers.put(key, fingerprint, bytes(response.body))
    return response


@router.get("/matrix")
def get_matrix(request: Request, session: DbSession, urls: UrlBuilder) -> Response:
    query = parse_matrix_query(nested_query(request))

    def compute() -> Response:
        service = MatrixService(session)
        errors = service.validate_matrix_query(query)
        if errors:
            return _errors(errors)
        return HalResponse(matrix_body(service.find(query), urls))

    return _kept_or_computed(request, session, urls, query, compute)


@router.get("/matrix/provider/{provider}/consumer/{consumer}")
def get_matrix_for_consumer_and_provider(
    provider: str, consumer: str, request: Request, session: DbSession, urls: UrlBuilder
) -> JSONResponse:
    """Every version of one integration; the options (latestby, limit, success...) are as on /matrix."""
    query = parse_matrix_query(nested_query(request))
    service = MatrixService(session)
    if not service.pacticipants_exist(consumer, provider):
        raise NotFound(f"No integration between consumer '{consumer}' and provider '{provider}' found")
    errors = service.validate_matrix_options(query)
    if errors:
        return _errors(errors)
    query.selectors = [
        UnresolvedSelector(pacticipant_name=consumer),
        UnresolvedSelector(pacticipant_name=provider),
    ]
    return HalResponse(matrix_body(service.find(query), urls))


@router.get("/can-i-deploy")
def get_can_i_deploy(request: Request, session: DbSession, urls: UrlBuilder) -> Response:
    params = nested_query(request)

    def compute() -> Response:
        service = MatrixService(session)
        errors = service.validate_can_i_deploy(params)
        if errors:
            return _errors(errors)
        return HalResponse(matrix_body(service.find(parse_can_i_deploy_query(params)), urls))

    return _kept_or_computed(request, session, urls, can_i_deploy_question(params), compute)


@router.get(
    "/pacticipants/{pacticipant}/branches/{branch}/latest-version/can-i-deploy/to-environment/{environment}"
)
def get_can_i_deploy_branch_to_environment(
    pacticipant: str, branch: str, environment: str, session: DbSession, urls: UrlBuilder
) -> JSONResponse:
    """The latest version of a branch, to an environment (the reference's badge-friendly URL)."""
    query = MatrixQuery(
        selectors=[UnresolvedSelector(pacticipant_name=pacticipant, branch=branch, latest=True)],
        environment=environment,
        latestby="cvpv",
    )
    service = MatrixService(session)
    if not service.environment_exists(environment):
        raise NotFound(f"No environment with name '{environment}' found")
    return HalResponse(matrix_body(_find_existing(service, query), urls))


@router.get("/pacticipants/{pacticipant}/latest-version/{tag}/can-i-deploy/to/{to}")
def get_can_i_deploy_tag_to_tag(
    pacticipant: str, tag: str, to: str, session: DbSession, urls: UrlBuilder
) -> JSONResponse:
    """The latest version with a tag, against the latest versions with the `to` tag."""
    query = MatrixQuery(
        selectors=[UnresolvedSelector(pacticipant_name=pacticipant, tag=tag, latest=True)],
        tag=to,
        latest=True,
        latestby="cvp",
    )
    return HalResponse(matrix_body(_find_existing(MatrixService(session), query), urls))


# --- badges (reference: badges/service.rb): a 307 to a shields.io image -----------------------------------

SHIELDS = "https://img.shields.io/badge"


def _shield(left: str, right: str, colour: str) -> RedirectResponse:
    def escape(text: str) -> str:
        return quote(text.replace("-", "--").replace("_", "__"), safe="")

    # Short caching: the badge must change soon after a new verification or deployment.
    return RedirectResponse(
        f"{SHIELDS}/{escape(left)}-{escape(right)}-{colour}.svg",
        status_code=307,
        headers={"Cache-Control": "max-age=30"},
    )


def _deployable_or_none(service: MatrixService, query: MatrixQuery) -> tuple[bool | None, bool]:
    """(verdict, whether the version named by the path exists)."""
    answer = service.find(query)
    exists = not any(
        s.specified and s.pacticipant_or_version_does_not_exist for s in answer.results.selectors
    )
    return answer.summary.deployable(), exists


@router.get(
    "/pacticipants/{pacticipant}/branches/{branch}/latest-version/can-i-deploy/to-environment/{environment}/badge"
)
def get_can_i_deploy_branch_to_environment_badge(
    pacticipant: str, branch: str, environment: str, request: Request, session: DbSession
) -> RedirectResponse:
    service = MatrixService(session)
    if not service.pacticipants_exist(pacticipant):
        return _shield("pacticipant", "not found", "lightgrey")
    if not service.environment_exists(environment):
        return _shield("environment", "not found", "lightgrey")
    query = MatrixQuery(
        selectors=[UnresolvedSelector(pacticipant_name=pacticipant, branch=branch, latest=True)],
        environment=environment,
        latestby="cvpv",
    )
    deployable, exists = _deployable_or_none(service, query)
    if not exists:
        return _shield("version", "not found", "lightgrey")
    label = request.query_params.get("label") or "can-i-deploy"
    return _shield(label, f"{branch} to {environment}", "brightgreen" if deployable else "red")


@router.get("/pacticipants/{pacticipant}/latest-version/{tag}/can-i-deploy/to/{to}/badge")
def get_can_i_deploy_tag_to_tag_badge(
    pacticipant: str, tag: str, to: str, request: Request, session: DbSession
) -> RedirectResponse:
    service = MatrixService(session)
    if not service.pacticipants_exist(pacticipant):
        return _shield("pacticipant", "not found", "lightgrey")
    query = MatrixQuery(
        selectors=[UnresolvedSelector(pacticipant_name=pacticipant, tag=tag, latest=True)],
        tag=to,
        latest=True,
        latestby="cvp",
    )
    deployable, exists = _deployable_or_none(service, query)
    if not exists:
        return _shield("version", "not found", "lightgrey")
    label = request.query_params.get("label") or "can-i-deploy"
    return _shield(label, f"{tag} to {to}", "brightgreen" if deployable else "red")


@router.get("/pacticipants/{pacticipant}/main-branch/can-i-merge/badge")
def get_can_i_merge_badge(pacticipant: str, session: DbSession) -> RedirectResponse:
    """Is the latest version of the main branch compatible with the latest main of its integrations?"""
    service = MatrixService(session)
    main_branch = service.main_branch(pacticipant)
    if main_branch is None:
        return _shield("pacticipant", "not found", "lightgrey")
    query = MatrixQuery(
        selectors=[UnresolvedSelector(pacticipant_name=pacticipant, branch=main_branch, latest=True)],
        main_branch=True,
        latest=True,
        latestby="cvp",
    )
    deployable, exists = _deployable_or_none(service, query)
    if not exists:
        return _shield("main branch version", "not found", "lightgrey")
    colour, status = {None: ("lightgrey", "unknown"), True: ("brightgreen", "success")}.get(
        deployable, ("red", "failed")
    )
    return _shield("can-i-merge", status, colour)


def _find_existing(service: MatrixService, query: MatrixQuery) -> MatrixAnswer:
    """These URLs name a version through the path: 404 when there is no such version."""
    answer = service.find(query)
    if any(s.specified and s.pacticipant_or_version_does_not_exist for s in answer.results.selectors):
        selector = query.selectors[0]
        raise NotFound(f"No version of {selector.pacticipant_name} matching the path was found")
    return answer


# --- the JSON shape -----------------------------------------------------------------------------------------


def matrix_body(answer: MatrixAnswer, urls: Urls) -> dict[str, Any]:
    summary = answer.summary
    reasons = summary.reasons()
    body: dict[str, Any] = {
        "summary": {
            "deployable": summary.deployable(),
            "reason": "\n".join(r.text for r in reasons),
            **summary.counts(),
        },
        "notices": [{"type": r.type, "text": r.text} for r in reasons],
        "matrix": [_row(r, answer, urls) for r in answer.results.considered_rows]
        + [{**_row(r, answer, urls), "ignored": True} for r in answer.results.ignored_rows],
    }
    return body


def _row(row: MatrixRow, answer: MatrixAnswer, urls: Urls) -> dict[str, Any]:
    details = answer.results.version_details
    provider_version = None
    if row.provider_version_number is not None and row.provider_version_id is not None:
        provider_version = _version(
            row.provider_name, row.provider_version_number, details.get(row.provider_version_id), urls
        )
    verification = None
    if row.success is not None and row.verification_number is not None:
        metadata = _consumer_version_metadata(row.consumer_version_number)
        results = urls.verification_results(
            row.provider_name, row.consumer_name, row.pact_version_sha, metadata
        )
        verification = {
            "success": row.success,
            "verifiedAt": timestamp(row.verification_executed_at),
            "_links": {"self": link(f"{results}/{row.verification_number}")},
        }
    return {
        "consumer": {
            "name": row.consumer_name,
            "version": _version(
                row.consumer_name, row.consumer_version_number, details.get(row.consumer_version_id), urls
            ),
            "_links": {"self": link(urls.pacticipant(row.consumer_name))},
        },
        "provider": {
            "name": row.provider_name,
            "version": provider_version,
            "_links": {"self": link(urls.pacticipant(row.provider_name))},
        },
        "pact": {
            "createdAt": timestamp(row.pact_created_at),
            "_links": {
                "self": link(urls.pact(row.provider_name, row.consumer_name, row.consumer_version_number))
            },
        },
        "verificationResult": verification,
    }


@lru_cache(maxsize=4096)
def _consumer_version_metadata(number: str) -> str:
    # The same consumer version appears on many rows; its encoded metadata segment never changes.
    return encode_metadata({"cvn": number})


def _version(pacticipant: str, number: str, details: VersionDetails | None, urls: Urls) -> dict[str, Any]:
    details = details or VersionDetails()
    branch_versions = [
        {
            "name": name,
            "latest": head,
            "_links": {
                "self": link(
                    urls.branch_version(pacticipant, name, number), title="Branch version", name=name
                )
            },
        }
        for name, head in details.branch_versions
    ]
    return {
        "number": number,
        "branch": details.branch_versions[-1][0] if details.branch_versions else None,
        "branches": branch_versions,
        "branchVersions": branch_versions,
        "environments": [
            {
                "uuid": e.uuid,
                "name": e.name,
                "displayName": e.display_name,
                "production": e.production,
                "_links": {"self": link(urls.environment(e.uuid), title="Environment", name=e.name)},
            }
            for e in details.environments
        ],
        "_links": {"self": link(urls.version(pacticipant, number))},
        "tags": [
            {"name": name, "latest": latest, "_links": {"self": link(urls.tag(pacticipant, number, name))}}
            for name, latest in details.tags
        ],
    }
