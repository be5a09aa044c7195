"""FastAPI dependencies: the per-request database session, the URL builder and the JSON body."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial, wraps
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from broker.api.blocking import run_blocking
from broker.api.hal import Urls, urls_for
from broker.db.engine import finish_session, open_session
from broker.errors import UnsupportedMediaType, ValidationFailed
from broker.settings import BrokerSettings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The reference counts this POST as a read (auth, and here: no write lock on SQLite).
_READ_POSTS = re.compile(r"^/pacts/provider/[^/]+/for-verification/?$")


def is_read_request(method: str, path: str) -> bool:
    return method in READ_METHODS or (method == "POST" and bool(_READ_POSTS.match(path)))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per write request, committed before the response is sent (scope="function"); a
    read's statements each commit on their own (`open_session(autocommit=True)`)."""
    write = not is_read_request(request.method, request.url.path)
    async with request_session(request, write=write, autocommit=not write) as session:
        yield session


async def get_read_transaction(request: Request) -> AsyncIterator[Session]:
    """A read in one transaction, for reads that set planner options with SET LOCAL."""
    async with request_session(request, write=False) as session:
        yield session


@asynccontextmanager
async def request_session(
    request: Request, *, write: bool, autocommit: bool = False
) -> AsyncIterator[Session]:
    """The session is made on the event loop (it does no I/O before its first statement, which runs where the
    endpoint's work runs) and ended in one worker thread (or inline: `broker.api.blocking`): one thread hop
    besides the endpoint's, where a sync generator dependency took two. Each hop waits for a worker to wake,
    which on a busy 2-core machine cost more than the work it carried.

    The end runs outside the endpoints' limiter (`settings.request_threads`), as FastAPI's own dependency
    exits do: a commit must never wait for a token held by an endpoint that waits for this commit's lock
    (SQLite)."""
    session = open_session(request.app.state.session_factory, write=write, autocommit=autocommit)
    session.info[_REQUEST_SESSION] = True
    try:
        yield session
    except BaseException:
        if session.info.pop(_REQUEST_SESSION, False):
            await _in_worker(partial(finish_session, session, commit=False))
        raise
    # Usually a sync endpoint has ended it already, in its own thread (`finishing_sessions`).
    if session.info.pop(_REQUEST_SESSION, False):
        await _in_worker(partial(finish_session, session, commit=True))


# Marks a request's session until it is ended, by the endpoint's thread or by the dependency's exit.
_REQUEST_SESSION = "broker.request_session"


def finishing_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint that ends the request's sessions it was handed (commit when it returns, rollback
    when it raises) in its own worker thread, before its response is sent: a thread hop per request fewer
    than the dependency's exit (~0.14 ms of CPU each under load). Sessions it was not handed are ended by
    the dependency as before. Its responses are built before it returns (HalResponse, JSONResponse)."""

    @wraps(endpoint)
    def call(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in kwargs.values() if isinstance(v, Session) and v.info.get(_REQUEST_SESSION)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            _end(sessions, commit=False)
            raise
        _end(sessions, commit=True)
        return result

    return call


def _end(sessions: list[Session], *, commit: bool) -> None:
    for session in sessions:
        if session.info.pop(_REQUEST_SESSION, False):  # not if the endpoint committed it (`commit_now`)
            finish_session(session, commit=commit)


def commit_now(session: Session) -> None:
    """End the request's session here, committed, rather than when the endpoint returns: a write's locks (the
    one SQLite writer's, PostgreSQL's rows) are not held while its response is built. What it loaded stays
    readable (expire_on_commit=False); what it did not load cannot be loaded any more."""
    if session.info.pop(_REQUEST_SESSION, False):
        finish_session(session, commit=True)


async def _in_worker(work: Callable[[], None]) -> None:
    # Shielded: a request cancelled (client gone) still gives its connection back.
    with anyio.CancelScope(shield=True):
        await run_blocking(work, own_limiter=True)


async def get_settings(request: Request) -> BrokerSettings:
    settings: BrokerSettings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_session, scope="function")]
ReadTransaction = Annotated[Session, Depends(get_read_transaction, scope="function")]
Settings = Annotated[BrokerSettings, Depends(get_settings)]
UrlBuilder = Annotated[Urls, Depends(urls_for)]

JSON_TYPES = ("application/json", "application/hal+json", "application/merge-patch+json")


async def read_json_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object, or a 415/400 naming what is wrong with it."""
    return json_object(await request.body(), request.headers.get("content-type"), allow_empty=allow_empty)


def json_object(raw: bytes, content_type_header: str | None, *, allow_empty: bool = False) -> dict[str, Any]:
    """`raw` as a JSON object, or a 415/400 naming what is wrong with it."""
    if not raw.strip():
        if allow_empty:
            return {}
        raise ValidationFailed.one("body", "must not be empty")
    content_type = (content_type_header or "application/json").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type {content_type!r} is not supported; send application/json")
    try:
        value = json.loads(raw)
    except UnicodeDecodeError:
        raise ValidationFailed.one("body", "is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed.one("body", f"is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(value, dict):
        raise ValidationFailed.one("body", "must be a JSON object")
    return value


async def json_body(request: Request) -> dict[str, Any]:
    return await read_json_object(request)


async def optional_json_body(request: Request) -> dict[str, Any]:
    return await read_json_object(request, allow_empty=True)


JsonBody = Annotated[dict[str, Any], Depends(json_body)]
OptionalJsonBody = Annotated[dict[str, Any], Depends(optional_json_body)]
