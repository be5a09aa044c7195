"""Routes whose arguments are all simple get them without FastAPI's dependency solver
(`broker.api.routing._direct_handler`), and answer exactly as FastAPI's own handler does: the same values,
the same dependency caching, generators ending at the same moment, errors reaching the same handlers.
Everything else keeps FastAPI's handler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from broker.api.routing import RouteIndex, Router, _direct_handler, index_routes
from broker.app import create_app
from broker.settings import BrokerSettings

EVENTS: list[str] = []


class Recorded(JSONResponse):
    """Notes when it is sent, so a generator's exit can be placed before or after it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        EVENTS.append("sent")
        await super().__call__(scope, receive, send)


async def counted(request: Request) -> int:
    EVENTS.append("counted")
    return len(EVENTS)


def _recorded_generator(scope: str) -> Callable[[Request], AsyncIterator[str]]:
    """A generator dependency that notes when it is entered and when it exits."""

    async def dependency(request: Request) -> AsyncIterator[str]:
        EVENTS.append(f"enter {scope}")
        try:
            yield scope
        finally:
            EVENTS.append(f"exit {scope}")

    return dependency


ended_with_the_function = _recorded_generator("function")
ended_with_the_request = _recorded_generator("request")


async def refusing(request: Request) -> None:
    if request.headers.get("x-refuse"):
        raise HTTPException(status_code=418, detail="refused by a dependency")


Counted = Annotated[int, Depends(counted)]
FunctionScoped = Annotated[str, Depends(ended_with_the_function, scope="function")]
RequestScoped = Annotated[str, Depends(ended_with_the_request)]

router = Router()


@router.get("/things/{name}/parts/{part}")
def thing(
    name: str,
    part: str,
    request: Request,
    first: Counted,
    again: Counted,
    function: FunctionScoped,
    whole: RequestScoped,
    _refused: Annotated[None, Depends(refusing)],
) -> Recorded:
    EVENTS.append("endpoint")
    if part == "boom":
        raise HTTPException(status_code=409, detail="refused by the endpoint")
    body = {"name": name, "part": part, "path": request.url.path, "counts": [first, again]}
    return Recorded({**body, "deps": [function, whole]})


@router.get("/numbered/{number}")
def numbered(number: int) -> Response:
    return JSONResponse({"number": number})


@router.get("/coded/{code}")
def coded(code: Annotated[str, Path(min_length=3)]) -> Response:
    return JSONResponse({"code": code})


@router.get("/queried")
def queried(q: str) -> Response:
    return JSONResponse({"q": q})


def _app(indexed: bool) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)  # no routes but ours: the index's terms
    app.include_router(router)
    if indexed:  # the index serves the routes themselves, whose handlers are built outside any inclusion
        index_routes(app)
        assert isinstance(app.router.middleware_stack, RouteIndex)
    return app


def _route(app: FastAPI, path: str) -> APIRoute:
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    return next(r for view in index.views.values() for r in view.routes if r.path == path)


@pytest.fixture
def clients() -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(_app(indexed=True)) as direct, TestClient(_app(indexed=False)) as fastapis:
        yield direct, fastapis


def test_only_routes_of_simple_arguments_get_a_direct_handler() -> None:
    app = _app(indexed=True)
    assert _direct_handler(_route(app, "/things/{name}/parts/{part}")) is not None  # type: ignore[arg-type]
    # Parameters FastAPI converts or validates keep its handler.
    assert _direct_handler(_route(app, "/numbered/{number}")) is None  # type: ignore[arg-type]
    assert _direct_handler(_route(app, "/queried")) is None  # type: ignore[arg-type]
    assert _direct_handler(_route(app, "/coded/{code}")) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/things/lab%20portal/parts/a%2Fb", {}),
        ("/things/x/parts/boom", {}),
        ("/things/x/parts/y", {"x-refuse": "1"}),
        ("/numbered/12", {}),
        ("/numbered/twelve", {}),
        ("/coded/ab", {}),
        ("/coded/abc", {}),
        ("/queried?q=1", {}),
        ("/queried", {}),
    ],
)
def test_answers_and_the_order_of_events_are_fastapis(
    clients: tuple[TestClient, TestClient], path: str, headers: dict[str, str]
) -> None:
    direct, fastapis = clients
    EVENTS.clear()
    a = direct.get(path, headers=headers)
    events_a = list(EVENTS)
    EVENTS.clear()
    b = fastapis.get(path, headers=headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    assert events_a == EVENTS


def test_a_dependency_used_twice_is_called_once_and_generators_end_where_their_scope_says(
    clients: tuple[TestClient, TestClient],
) -> None:
    direct, _ = clients
    EVENTS.clear()
    answer = direct.get("/things/a/parts/b")
    assert answer.status_code == 200
    assert answer.json() == {
        "name": "a",
        "part": "b",
        "path": "/things/a/parts/b",
        "counts": [1, 1],
        "deps": ["function", "request"],
    }
    assert EVENTS == [
        "counted",
        "enter function",
        "enter request",
        "endpoint",
        "exit function",  # scope="function": before the response is sent
        "sent",
        "exit request",
    ]


def test_the_broker_writes_and_nearly_every_route_take_the_direct_handler(
    broker_settings: BrokerSettings,
) -> None:
    """The load test's writes especially: a new query parameter or header on one of them would quietly
    give it back to FastAPI's solver."""
    app = create_app(broker_settings)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = {id(r): r for view in index.views.values() for r in view.routes}.values()
    direct = {(method, r.path) for r in routes for method in r.methods if _direct_handler(r) is not None}  # type: ignore[arg-type]
    assert len(direct) >= 0.9 * sum(len(r.methods) for r in routes)
    pact_version = "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}"
    for write in [
        ("POST", pact_version + "/verification-results"),
        ("POST", pact_version + "/metadata/{metadata}/verification-results"),
        ("POST", "/contracts/publish"),
        ("POST", "/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}"),
    ]:
        assert write in direct, write
