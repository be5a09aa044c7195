"""How requests reach endpoints: `Router` for the API's modules (sync endpoints end their sessions where
they run, in a worker thread or inline: `broker.api.blocking`), and a route index in front of FastAPI's
router.

FastAPI tries a request's path against every route of every included router before the one that matches,
and an included router's routes twice, with bookkeeping around each try (~100 routes here; ~0.1 ms of a
`/pacts/...` request's CPU). A route's path template says which paths it can match: how many segments, and
the literal first one unless that is a parameter. So the routes are taken out of their routers (in their
order: the same route wins) and indexed by (first segment, segment count); FastAPI's own dispatch runs on
a view of the router holding only that entry's routes, 404s, 405s and slash redirects included.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import is_async_callable
from starlette.types import Receive, Scope, Send

from broker.api.blocking import blocking_endpoint
from broker.api.deps import finishing_sessions


class _SessionEndingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not is_async_callable(endpoint):
            endpoint = blocking_endpoint(finishing_sessions(endpoint))
        super().__init__(path, endpoint, **kwargs)


def Router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose sync endpoints commit or roll back the request's session before they return, and
    run where the app runs blocking work (`broker.api.blocking`)."""
    return APIRouter(route_class=_SessionEndingRoute, **kwargs)


# A view per (first segment or None for any other, segment count); counts beyond the longest template get
# the empty view, so request paths cannot grow the index.
_Key = tuple[str | None, int]


def _segments(path: str) -> list[str]:
    """A path's segments, a trailing slash ignored: `/x` and `/x/` share a view, so a slash redirect finds
    its target there."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _literal(segment: str) -> bool:
    return "{" not in segment


def _leaf_routes(entries: list[Any]) -> list[APIRoute] | None:
    """The app's routes in FastAPI's matching order, taken out of the routers that include them; None when
    an inclusion adds anything of its own (a prefix, dependencies, a body limit) or a route is not an
    APIRoute (a mount, a path convertor spanning segments): the index then stays out of the way."""
    found: list[APIRoute] = []
    for entry in entries:
        if isinstance(entry, APIRoute):
            if any(":path}" in s for s in _segments(entry.path)):
                return None
            found.append(entry)
            continue
        context = getattr(entry, "include_context", None)
        router = getattr(entry, "original_router", None)
        if context is None or router is None or context.prefix or context.dependencies:
            return None
        if context.max_body_size is not None or context.form_limits:
            return None
        inner = _leaf_routes(list(router.routes))
        if inner is None:
            return None
        found.extend(inner)
    return found


class RouteIndex:
    def __init__(self, router: APIRouter, routes: list[APIRoute]) -> None:
        self.router = router
        templates = [(route, _segments(route.path)) for route in routes]
        self.first_segments = {t[0] for _, t in templates if t and _literal(t[0])}
        self.longest = max((len(t) for _, t in templates), default=0)
        self.views: dict[_Key, APIRouter] = {}
        for first in [*self.first_segments, None]:
            for count in range(self.longest + 1):
                self.views[(first, count)] = self._view(
                    [
                        route
                        for route, t in templates
                        if len(t) == count and (not t or not _literal(t[0]) or t[0] == first)
                    ]
                )
        self.nowhere = self._view([])

    def _view(self, routes: list[APIRoute]) -> APIRouter:
        view = copy.copy(self.router)
        view.routes = list(routes)
        return view

    def view_for(self, path: str) -> APIRouter:
        segments = _segments(path)
        first = segments[0] if segments and segments[0] in self.first_segments else None
        return self.views.get((first, len(segments)), self.nowhere)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        scope.setdefault("router", self.router)  # url_for and friends see every route
        await self.view_for(path).app(scope, receive, send)


def index_routes(app: FastAPI) -> None:
    """Route look-up by the index once every router is included. Left as it is if FastAPI's router has
    middleware of its own (the index stands in for the router's innermost step only) or holds anything the
    index cannot place (`_leaf_routes`)."""
    router = app.router
    if router.middleware_stack != router.app or getattr(router, "_low_priority_routes", None):
        return
    routes = _leaf_routes(list(router.routes))
    if routes is None:
        return
    router.middleware_stack = RouteIndex(router, routes)
