"""`POST /pacts/provider/{provider}/for-verification` (and the deprecated GET): the pacts a provider build
must verify, with the reference's `shortDescription`, `verificationProperties` and self links whose
`/metadata/{m}` segment carries why the pact was selected (so results can be recorded as pending/WIP).

A provider's builds ask the same question over and over between the writes that change its answer (~400 KB
and ~10 ms of work on the benchmark history): each answer is kept in memory and served again while the
counters of the provider and its consumers are unchanged (`broker.answer_cache`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from broker.answer_cache import generations
from broker.answer_cache.store import AnswerStore
from broker.api.blocking import run_blocking
from broker.api.deps import ReadTransaction, UrlBuilder, finishing_sessions, read_json_object
from broker.api.hal import HAL_JSON, Urls, link
from broker.api.matrix import nested_query
from broker.api.routing import Router
from broker.db.direct import SessionOrConnection
from broker.errors import ValidationFailed
from broker.pacts.metadata import encode as encode_metadata
from broker.verifiable_pacts.messages import VerifiablePact, VerifiablePactMessages, build_notices
from broker.verifiable_pacts.query import body_from_query_string, parse, pending_on_any_success
from broker.verifiable_pacts.repository import wip_verified_cutoff
from broker.verifiable_pacts.service import VerifiablePactsService

router = Router(tags=["pacts for verification"])

PATH = "/pacts/provider/{provider}/for-verification"


@router.post(PATH)
async def post_pacts_for_verification(
    provider: str, request: Request, session: ReadTransaction, urls: UrlBuilder
) -> Response:
    body = await read_json_object(request, allow_empty=True)
    # The SQL and JSON work runs where every sync endpoint's does (a worker thread, or inline when the
    # process serves one request at a time: `broker.api.blocking`), and ends the session there too
    # (`finishing_sessions`).
    return await run_blocking(
        partial(
            _answer_ending_session,
            provider=provider,
            body=body,
            session=session,
            urls=urls,
            deprecated=False,
            answers=request.app.state.answers,
            counters_read=request.scope.get(generations.READ_FOR_REQUEST),
        )
    )


@router.get(PATH)
def get_pacts_for_verification(
    provider: str, request: Request, session: ReadTransaction, urls: UrlBuilder
) -> Response:
    """The first clients used GET with snake_case parameters; still served, with a WARNING notice."""
    body = body_from_query_string(nested_query(request))
    return _answer(provider, body, session, urls, True, request.app.state.answers)


def _answer(
    provider: str,
    body: dict[str, Any],
    session: Any,
    urls: Urls,
    deprecated: bool,
    answers: AnswerStore,
    counters_read: generations.Fingerprint | None = None,
) -> Response:
    """The answer kept from an earlier request when nothing it is made of has changed since (the counters
    are read before anything else, see `generations`; `counters_read` when `broker.api.kept_answers` read
    them); otherwise computed, and kept."""
    now = datetime.now(UTC)
    fingerprint = counters_read
    if fingerprint is None and answers.enabled:
        fingerprint = counters(session, provider, body)
    if fingerprint is None:  # no cache, or a provider unknown when the counters were read (mostly a 404)
        return _compute(provider, body, session, urls, deprecated, now)
    key = kept_answer_key(provider, urls.base, deprecated, body, now)
    kept = answers.get(key, fingerprint)
    if kept is not None:
        return Response(kept, media_type=HAL_JSON)
    response = _compute(provider, body, session, urls, deprecated, now)
    answers.put(key, fingerprint, bytes(response.body))
    return response


_answer_ending_session = finishing_sessions(_answer)


def counters(
    session: SessionOrConnection, provider: str, body: dict[str, Any]
) -> generations.Fingerprint | None:
    """The counters an answer to this question is kept under; None for a provider unknown to them."""
    return generations.for_provider(session, provider, pending_on_any_success=pending_on_any_success(body))


def kept_answer_key(
    provider: str, base: str, deprecated: bool, body: dict[str, Any], now: datetime
) -> tuple[Any, ...]:
    """What a kept answer is found by (with its counters): the question, its keys in any order, and the
    minute, which moves the WIP look-back window."""
    return (provider, base, deprecated, _canonical(body), wip_verified_cutoff(now))


def _canonical(body: dict[str, Any]) -> bytes:
    """The same question asked with its keys in another order is the same question."""
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return json.dumps(body, sort_keys=True).encode()


def _compute(
    provider: str, body: dict[str, Any], session: Any, urls: Urls, deprecated: bool, now: datetime
) -> Response:
    service = VerifiablePactsService(session, now)
    errors = service.validate(body)
    if errors:
        raise ValidationFailed(errors)
    query = parse(body)
    pacts = service.find(provider, query)
    # The answer is its pacts' kept JSON joined (`_cached_pact`), not one document encoded again: on the
    # benchmark's full history that is ~385 KB re-encoded for every answer computed. One join makes it:
    # each `+` of a ~400 KB answer made another ~400 KB buffer (five per answer), fresh memory from the
    # system each time while the kept answers grow, which made every other answer up to twice as slow.
    links = {
        "self": link(urls("pacts", "provider", provider, "for-verification"), title="Pacts to be verified")
    }
    parts = [b'{"_embedded":{"pacts":[']
    for i, p in enumerate(pacts):
        if i:
            parts.append(b",")
        parts.append(_cached_pact(p, urls, query.include_pending_status, deprecated))
    parts += [b']},"_links":', orjson.dumps(links), b"}"]
    return Response(b"".join(parts), media_type=HAL_JSON)


# A provider's builds ask for the same pacts over and over, and a pact's JSON (two URLs, a metadata token,
# up to six sentences of notices) costs more to build than to look up: each is kept, encoded, keyed by
# everything it is made of. Bounded; emptied when full rather than tracking use (a refill costs one response).
_PACT_JSON: dict[tuple[Any, ...], bytes] = {}
_PACT_JSON_LIMIT = 4096


def _cached_pact(pact: VerifiablePact, urls: Urls, include_pending_status: bool, deprecated: bool) -> bytes:
    key = (
        urls.base,
        include_pending_status,
        deprecated,
        pact.consumer_name,
        pact.provider_name,
        pact.consumer_version,
        pact.consumer_main_branch,
        pact.pact_version_sha,
        tuple(pact.selectors),
        pact.pending,
        pact.wip,
        tuple(pact.pending_provider_tags),
        tuple(pact.non_pending_provider_tags),
        pact.provider_branch,
    )
    found = _PACT_JSON.get(key)
    if found is None:
        if len(_PACT_JSON) >= _PACT_JSON_LIMIT:
            _PACT_JSON.clear()
        found = _PACT_JSON[key] = orjson.dumps(_pact(pact, urls, include_pending_status, deprecated))
    return found


def _metadata(pact: VerifiablePact) -> dict[str, Any]:
    """What the verification results need to know about the selection (reference `Metadata`)."""
    if pact.wip:
        return {"w": True}
    return {
        "s": [
            {
                "b": rs.selector.branch,
                "t": rs.selector.tag,
                "l": rs.selector.latest,
                "e": rs.selector.environment,
                "cv": rs.consumer_version.id,
            }
            for rs in pact.selectors
        ],
        "p": pact.pending,
    }


def _pact(pact: VerifiablePact, urls: Urls, include_pending_status: bool, deprecated: bool) -> dict[str, Any]:
    notices_url = urls.pact_version(
        pact.provider_name,
        pact.consumer_name,
        pact.pact_version_sha,
        encode_metadata({"wip": True}) if pact.wip else None,
    )
    properties: dict[str, Any] = {}
    if include_pending_status:
        properties["pending"] = pact.pending
    if pact.wip:
        properties["wip"] = True
    properties["notices"] = build_notices(pact, notices_url, include_pending_status, deprecated)
    self_href = urls.pact_version(
        pact.provider_name, pact.consumer_name, pact.pact_version_sha, encode_metadata(_metadata(pact))
    )
    return {
        "shortDescription": VerifiablePactMessages(pact, None).short_description(),
        "verificationProperties": properties,
        "_links": {"self": link(self_href, name=pact.name)},
    }
