"""How requests reach endpoints: `Router` for the API's modules (sync endpoints end their sessions where
they run, in a worker thread or inline: `broker.api.blocking`; their arguments are gathered without
FastAPI's general dependency solver where they are all simple: `_direct_handler`), and a route index in
front of FastAPI's router.

FastAPI tries a request's path against every route of every included router before the one that matches,
and an included router's routes twice, with bookkeeping around each try (~100 routes here; ~0.1 ms of a
`/pacts/...` request's CPU). A route's path template says which paths it can match: how many segments, and
the literal first one unless that is a parameter. So the routes are taken out of their routers (in their
order: the same route wins) and indexed by (first segment, segment count); FastAPI's own dispatch runs on
a view of the router holding only that entry's routes, 404s, 405s and slash redirects included.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.responses import Response
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import is_async_callable
from starlette.convertors import StringConvertor
from starlette.types import Receive, Scope, Send

from broker.api.blocking import blocking_endpoint
from broker.api.deps import finishing_sessions

try:  # set while FastAPI builds the handler of a route as an including router sees it
    from fastapi.routing import _effective_route_context_var
except ImportError:  # another FastAPI: every route keeps FastAPI's own handler
    _effective_route_context_var = None  # type: ignore[assignment]


class _SessionEndingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.returns_response = _returns_response(endpoint)
        if not is_async_callable(endpoint):
            endpoint = blocking_endpoint(finishing_sessions(endpoint))
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        included = _effective_route_context_var is None or _effective_route_context_var.get() is not None
        direct = None if included else _direct_handler(self)
        return direct or super().get_route_handler()


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    try:
        returned = get_typed_return_annotation(endpoint)
    except Exception:  # an annotation FastAPI cannot read: its own handler will say so
        return False
    return inspect.isclass(returned) and issubclass(returned, Response)


# How each kind of simple dependency is called: (request) -> value, entering generators on a stack.
_Gather = Callable[[Request, dict[Any, Any]], Awaitable[Any]]


def _direct_handler(route: _SessionEndingRoute) -> Callable[[Request], Coroutine[Any, Any, Response]] | None:
    """The route's handler without FastAPI's general dependency solver, when its endpoint takes only path
    parameters of type str and dependencies that are async functions of the request alone (sessions,
    settings, the JSON body, URL builders), and returns a Response itself; else None (FastAPI's handler).

    FastAPI solves a request's dependencies by walking the endpoint's dependency tree on every request,
    computing each one's cache key and scopes as it goes, and validates every path parameter with
    pydantic: ~0.1 ms of CPU per request here (py-spy on `benchmarks.app_cpu`: its solver 14 % of a
    verification result's samples, the dependencies' own work a third of that), for what is, on these
    routes, a few awaited calls. The same calls run here in the same order with the same caching,
    generators exit where FastAPI's would (`scope="function"`: once the endpoint returns, before the
    response is sent; otherwise after it), and whatever they raise reaches the same exception handlers.
    """
    dependant = route.dependant
    if not route.returns_response or route.response_model is not None or route.body_field is not None:
        return None
    if _needs_the_solver(dependant):
        return None
    request_names = [n for n in (dependant.request_param_name, dependant.http_connection_param_name) if n]
    if route.dependency_overrides_provider is not None and getattr(
        route.dependency_overrides_provider, "dependency_overrides", None
    ):
        return None
    path_names = []
    for field in dependant.path_params:
        # A plain string, as the path gives it: no constraint, alias or convertor for pydantic to apply.
        info = field.field_info
        if info.annotation is not str or info.metadata or field.alias != field.name:
            return None
        if not isinstance(route.param_convertors.get(field.name), StringConvertor):
            return None
        path_names.append(field.name)
    gathers: list[tuple[str, _Gather]] = []
    for sub in dependant.dependencies:
        gather = _simple_dependency(sub)
        if gather is None or sub.name is None:
            return None
        gathers.append((sub.name, gather))
    endpoint = dependant.call
    if endpoint is None or not is_async_callable(endpoint):
        return None

    async def handler(request: Request) -> Response:
        cache: dict[Any, Any] = {}
        values = {name: await gather(request, cache) for name, gather in gathers}
        for name in request_names:
            values[name] = request
        path_params = request.path_params
        for name in path_names:
            values[name] = path_params[name]
        response = await endpoint(**values)
        if not isinstance(response, Response):  # the annotation promised one
            raise TypeError(f"{route.path}: the endpoint returned {type(response).__name__}, not a Response")
        return response

    return handler


def _needs_the_solver(dependant: Dependant) -> bool:
    """Whether the endpoint or dependency takes a parameter only FastAPI's solver supplies: query, header,
    cookie or body values, the response, background tasks, security scopes or a websocket."""
    return bool(
        dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.websocket_param_name
    )


def _simple_dependency(sub: Dependant) -> _Gather | None:
    call = sub.call
    if call is None or sub.request_param_name is None or sub.concurrency is not None:
        return None
    if sub.dependencies or sub.path_params or sub.http_connection_param_name or _needs_the_solver(sub):
        return None
    argument = sub.request_param_name
    key = call if sub.use_cache else object()
    if inspect.isasyncgenfunction(call):
        stack_key = "fastapi_function_astack" if sub.scope == "function" else "fastapi_inner_astack"
        manager = asynccontextmanager(call)

        async def entered(request: Request, cache: dict[Any, Any]) -> Any:
            if key in cache:
                return cache[key]
            stack: AsyncExitStack = request.scope[stack_key]
            value = cache[key] = await stack.enter_async_context(manager(**{argument: request}))
            return value

        return entered
    if inspect.iscoroutinefunction(call):

        async def called(request: Request, cache: dict[Any, Any]) -> Any:
            if key in cache:
                return cache[key]
            value = cache[key] = await call(**{argument: request})
            return value

        return called
    return None


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
