"""Kept answers served before FastAPI's routing: the questions CI fleets ask over and over.

Release pipelines ask can-i-deploy (and the matrix) before every deployment, provider builds ask for the
pacts to verify before every build; between the writes that change an answer it is served from memory
(`broker.answer_cache`). Served by the endpoint, such a request still went through FastAPI's dependency
solving, a worker-thread hop for the sync endpoint and back, and the session's end: ~0.5 ms of CPU in
process for a ~0.1 ms look-up (py-spy on `benchmarks.app_cpu`, 60 % of a kept can-i-deploy). Here the
question is recognised from the path, its key and counters computed by the very functions the endpoints
use, and a kept answer sent as the endpoint would send it. Anything else, a miss, a question asked for
a fresh answer (`Cache-Control: no-cache`), a malformed one, or an error on the way, goes on to the
endpoint (with the body read here handed on), which answers it and keeps the answer as before.

It runs inside the auth and body-size middleware (a refused request never gets here) and inside HEAD
handling. The counters are still read where the endpoints' work runs, in turn with it (see `_read`): what
is saved is FastAPI's side, ~0.3 ms of CPU a kept answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.answer_cache import generations
from broker.answer_cache.store import AnswerStore
from broker.api import for_verification, matrix
from broker.api.blocking import run_blocking
from broker.api.deps import json_object
from broker.api.hal import HAL_JSON, base_url
from broker.db.engine import single_statement_reads
from broker.matrix.query import parse_matrix_query

log = logging.getLogger("broker.kept_answers")

_FOR_VERIFICATION = re.compile(r"^/pacts/provider/([^/]+)/for-verification$")
_DEPLOYMENT_QUESTIONS = {
    "/can-i-deploy": matrix.can_i_deploy_question,
    "/matrix": parse_matrix_query,
}


class KeptAnswers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answers: AnswerStore | None = scope["app"].state.answers if scope["type"] == "http" else None
        if answers is None or not answers.enabled or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "GET" and path in _DEPLOYMENT_QUESTIONS:
            kept = await self._deployment_answer(scope, answers)
        elif method == "POST" and (found := _FOR_VERIFICATION.match(path)):
            body, receive = await _read_body(receive)
            # The path is percent-decoded already, as FastAPI reads the endpoint's `provider` from it.
            kept = await self._pacts_for_verification(scope, answers, found.group(1), body)
        else:
            kept = None
        if kept is None:
            await self.app(scope, receive, send)
            return
        log.debug("kept answer sent before routing: %s %s", method, path)
        await Response(kept, media_type=HAL_JSON)(scope, receive, send)

    async def _deployment_answer(self, scope: Scope, answers: AnswerStore) -> bytes | None:
        request = Request(scope)
        if "no-cache" in request.headers.get("cache-control", ""):
            return None
        try:
            kept_question = _deployment_question(scope["path"], request.url.query)
        except Exception:  # the endpoint gives the malformed question its error
            return None
        if kept_question is None:
            return None
        names, question = kept_question
        key = matrix.kept_answer_key(scope["path"], base_url(request), question)
        fingerprint = await _read(request, lambda s: generations.for_deployment_question(s, names))
        return _kept(scope, answers, key, fingerprint)

    async def _pacts_for_verification(
        self, scope: Scope, answers: AnswerStore, provider: str, raw: bytes
    ) -> bytes | None:
        request = Request(scope)
        try:
            body = json_object(raw, request.headers.get("content-type"), allow_empty=True)
            now = datetime.now(UTC)
            key = for_verification.kept_answer_key(provider, base_url(request), False, body, now)
        except Exception:  # the endpoint gives the malformed body its error
            return None
        fingerprint = await _read(request, lambda s: for_verification.counters(s, provider, body))
        return _kept(scope, answers, key, fingerprint)


@lru_cache(maxsize=1024)
def _deployment_question(path: str, query_string: str) -> tuple[tuple[str, ...], str] | None:
    """The pacticipants a deployment question names and the question as its kept answer's key holds it, by
    its query string; None when its answer is not kept. Release pipelines send the same few questions byte
    for byte: parsing one (Rack nesting, then validation) was ~60 us of a kept can-i-deploy's ~0.45 ms.
    A malformed question raises, and is not remembered."""
    query = _DEPLOYMENT_QUESTIONS[path](matrix.nested_query_of(query_string))
    names = query.deployment_question_names() if query is not None else None
    if query is None or not names:
        return None
    return tuple(names), query.model_dump_json()


def _kept(
    scope: Scope, answers: AnswerStore, key: Any, fingerprint: generations.Fingerprint | None
) -> bytes | None:
    if fingerprint is None:
        return None
    kept = answers.get(key, fingerprint)
    if kept is None:  # the endpoint computes the answer under the counters read here
        scope[generations.READ_FOR_REQUEST] = fingerprint
    return kept


async def _read(request: Request, counters: Callable[[Connection], Any]) -> Any:
    """The counters, or None when they cannot be read (the endpoint then meets the same error and answers
    it as it answers any database error)."""
    state = request.app.state

    def read_counters() -> Any:
        with single_statement_reads(state.session_factory) as connection:
            return counters(connection)

    try:
        # Where the endpoints' work runs (their threads, or inline: `broker.api.blocking`), in turn with
        # it. Read on the event loop while the endpoints ran in threads (SQLite), or in threads of their
        # own (PostgreSQL), kept answers came back in ~5 ms while the writes queued longer behind them:
        # the load test's closed loop (100 users without pause) served as many requests, with a p95 of
        # 320-390 ms on SQLite and 470-700 on PostgreSQL (its SLO: 500), against 180-290 in turn.
        return await run_blocking(read_counters)
    except Exception:
        log.debug("kept answer: counters not read, the endpoint answers", exc_info=True)
        return None


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands the messages read here on to the app, in order."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break  # the last part, or the client went away (the app learns it from the replay)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return body, replay
