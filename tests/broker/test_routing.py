"""The first-segment route look-up answers every request as FastAPI's full scan does: each route is in the
view of its own first segment, and unknown paths, wrong methods, trailing slashes, HEAD and the root answer
the same with and without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from broker.api.routing import FirstSegmentDispatch
from broker.app import create_app
from broker.settings import BrokerSettings


@pytest.fixture
def apps(broker_settings: BrokerSettings) -> Iterator[tuple[TestClient, TestClient, FastAPI]]:
    indexed, scanned = create_app(broker_settings), create_app(broker_settings)
    assert isinstance(indexed.router.middleware_stack, FirstSegmentDispatch)
    scanned.router.middleware_stack = scanned.router.app  # FastAPI's own look-up
    with TestClient(indexed) as a, TestClient(scanned) as b:
        yield a, b, indexed


def _all_routes(app: FastAPI) -> list[APIRoute]:
    found = []
    for entry in app.router.routes:
        for route in getattr(entry, "original_router", entry).routes:
            if isinstance(route, APIRoute):
                found.append(route)
    return found


def test_every_route_is_in_the_view_of_its_first_segment(
    apps: tuple[TestClient, TestClient, FastAPI],
) -> None:
    _a, _b, indexed = apps
    dispatch = indexed.router.middleware_stack
    assert isinstance(dispatch, FirstSegmentDispatch)
    routes = _all_routes(indexed)
    assert len(routes) > 50
    for route in routes:
        view = dispatch.views.get(route.path.split("/", 2)[1], dispatch.elsewhere)
        assert any(route in getattr(e, "original_router", e).routes for e in view.routes), route.path
    # A view is smaller than the whole: the point of it.
    assert len(dispatch.views["matrix"].routes) < len(indexed.router.routes)


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
        ("GET", "/pacts/provider/Bar/for-verification"),
        ("PUT", "/pacts/provider/Bar/for-verification"),
        ("GET", "/pacts/provider/Bar/consumer/Foo/latest"),
        ("GET", "/can-i-deploy?pacticipant=Foo&version=1&environment=production"),
        ("GET", "/webhooks/"),
        ("GET", "/environments/not-a-uuid"),
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
