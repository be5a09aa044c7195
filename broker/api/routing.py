"""How requests reach endpoints: `Router` for the API's modules (sync endpoints end their sessions in
their own thread), and route look-up by the path's first segment, in front of FastAPI's router.

FastAPI tries a request's path against every route of every included router before the one that matches
(~94 routes here, ~2.5 us each, twice for an included router): a quarter of a kept for-verification
answer's CPU under load. The routes that can match `/pacts/...` are the ones whose path starts with
`/pacts/` or with a parameter, so each first segment gets a view of the router holding only those
(in their order: the same route wins), and FastAPI's own dispatch runs on that view, 404s, 405s and
slash redirects included.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import is_async_callable
from starlette.types import Receive, Scope, Send

from broker.api.deps import finishing_sessions


class _SessionEndingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not is_async_callable(endpoint):
            endpoint = finishing_sessions(endpoint)
        super().__init__(path, endpoint, **kwargs)


def Router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose sync endpoints commit or roll back the request's session before they return."""
    return APIRouter(route_class=_SessionEndingRoute, **kwargs)


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") else ""


def _segments(entry: Any) -> set[str] | None:
    """First segments of the paths an entry of the app's router can match; None: any."""
    routes = entry.original_router.routes if hasattr(entry, "original_router") else [entry]
    prefix = getattr(entry, "prefix", "") or ""
    found: set[str] = set()
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        segment = _first_segment(prefix + path)
        if "{" in segment:
            return None
        found.add(segment)
    return found


class FirstSegmentDispatch:
    def __init__(self, router: APIRouter) -> None:
        self.router = router
        entries = [(entry, _segments(entry)) for entry in router.routes]
        known = {s for _, segments in entries for s in segments or ()}
        self.views = {
            s: self._view([e for e, segments in entries if segments is None or s in segments]) for s in known
        }
        self.elsewhere = self._view([e for e, segments in entries if segments is None])

    def _view(self, routes: list[Any]) -> APIRouter:
        view = copy.copy(self.router)
        view.routes = routes
        return view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        scope.setdefault("router", self.router)  # url_for and friends see every route
        view = self.views.get(_first_segment(path), self.elsewhere)
        await view.app(scope, receive, send)


def index_routes(app: FastAPI) -> None:
    """Dispatch by first segment once every router is included. Left as it is if FastAPI's router has
    middleware of its own (the look-up stands in for the router's innermost step only)."""
    router = app.router
    if router.middleware_stack != router.app:
        return
    router.middleware_stack = FirstSegmentDispatch(router)
