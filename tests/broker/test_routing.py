"""The route index answers every request as FastAPI's full scan does: each route is found in the view its
own paths are looked up in, before any other route that could match them, and unknown paths, wrong
methods, trailing slashes, HEAD and the root answer the same with and without the index."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from fastapi.testclient import TestClient
from starlette.routing import Match

from broker.api.routing import RouteIndex, index_routes
from broker.app import create_app
from broker.settings import BrokerSettings


@pytest.fixture
def apps(broker_settings: BrokerSettings) -> Iterator[tuple[TestClient, TestClient, FastAPI]]:
    indexed, scanned = create_app(broker_settings), create_app(broker_settings)
    assert isinstance(indexed.router.middleware_stack, RouteIndex)
    scanned.router.middleware_stack = scanned.router.app  # FastAPI's own look-up
    with TestClient(indexed) as a, TestClient(scanned) as b:
        yield a, b, indexed


def _all_routes(router: APIRouter) -> list[APIRoute]:
    """Every route in FastAPI's matching order, through the routers that include them."""
    found: list[APIRoute] = []
    for entry in router.routes:
        if isinstance(entry, APIRoute):
            found.append(entry)
        else:
            found.extend(_all_routes(entry.original_router))
    return found


def _sample_path(route: APIRoute, fill: str, slash: bool = False) -> str:
    return re.sub(r"\{[^}]+\}", fill, route.path) + ("/" if slash else "")


def _first_match(routes: list[APIRoute], method: str, path: str) -> APIRoute | None:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}
    return next((r for r in routes if r.matches(scope)[0] == Match.FULL), None)


@pytest.mark.parametrize("fill", ["x", "latest", "badge", "for-verification", "1"])
def test_each_route_is_chosen_as_the_full_scan_chooses_it(
    apps: tuple[TestClient, TestClient, FastAPI], fill: str
) -> None:
    """For every route and method, a path made from its template (its parameters filled with a word some
    other template has as a literal, to provoke overlaps) goes to the route the full scan picks."""
    _a, _b, indexed = apps
    index = indexed.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = _all_routes(indexed.router)
    assert len(routes) > 90
    for route in routes:
        for method in route.methods:
            for slash in (False, True):
                path = _sample_path(route, fill, slash)
                expected = _first_match(routes, method, path)
                assert _first_match(index.view_for(path).routes, method, path) is expected, (method, path)
    # The views are small: the point of them.
    assert max(len(view.routes) for view in index.views.values()) < 15
    assert len(index.view_for("/pacts/provider/P/for-verification").routes) < 5


def test_unknown_first_segments_and_long_paths_add_no_views(
    apps: tuple[TestClient, TestClient, FastAPI],
) -> None:
    _a, _b, indexed = apps
    index = indexed.router.middleware_stack
    assert isinstance(index, RouteIndex)
    before = len(index.views)
    assert index.view_for("/" + "a/" * 500).routes == []
    assert index.view_for("/no-such-resource/1/2").routes == index.views[(None, 3)].routes
    assert len(index.views) == before


def test_an_inclusion_the_index_cannot_place_leaves_fastapis_look_up(broker_settings: BrokerSettings) -> None:
    app = create_app(broker_settings)
    extra = APIRouter()

    @extra.get("/items/{name}")
    def item(name: str) -> dict[str, str]:
        return {"name": name}

    app.include_router(extra, prefix="/extra")
    app.router.middleware_stack = app.router.app
    index_routes(app)
    assert app.router.middleware_stack == app.router.app
    with TestClient(app) as client:
        assert client.get("/extra/items/a").json() == {"name": "a"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/diagnostic/status/heartbeat"),
        ("HEAD", "/pacticipants"),
        ("GET", "/pacticipants/"),
        ("GET", "/matrix/"),
        ("DELETE", "/matrix"),
        ("GET", "/nowhere/at/all"),
        ("GET", "//"),
        ("GET", "/pacts//provider"),
        ("GET", "/pacts/provider/Bar/for-verification"),
        ("PUT", "/pacts/provider/Bar/for-verification"),
        ("POST", "/pacts/provider/Bar/for-verification/"),
        ("GET", "/pacts/provider/Bar/consumer/Foo/latest"),
        ("GET", "/pacts/provider/Bar/consumer/Foo/latest/badge"),
        ("POST", "/pacts/provider/Bar/consumer/Foo/pact-version/abc/verification-results"),
        ("GET", "/can-i-deploy?pacticipant=Foo&version=1&environment=production"),
        ("GET", "/webhooks/"),
        ("GET", "/environments/not-a-uuid"),
        ("GET", "/pacticipants/Foo/versions/1/deployed-versions/environment/not-a-uuid"),
    ],
)
def test_answers_are_those_of_the_full_scan(
    apps: tuple[TestClient, TestClient, FastAPI], method: str, path: str
) -> None:
    indexed, scanned, _app = apps
    a = indexed.request(method, path, follow_redirects=False)
    b = scanned.request(method, path, follow_redirects=False)
    assert (a.status_code, a.headers.get("location"), a.content) == (
        b.status_code,
        b.headers.get("location"),
        b.content,
    )
