"""Request ids: one id follows a request through every service it touches.

The middleware reads `X-Request-ID` (or makes one), echoes it on the response and keeps it in a context
variable for the duration of the request; `ServiceClient` adds it to every outgoing call. Starlette runs
sync endpoints in a thread with a copy of the context, so the id is visible there too.
"""

import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_current: ContextVar[str | None] = ContextVar("tracseq_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware) so the context variable reaches the endpoint."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name.decode("latin-1").lower() == REQUEST_ID_HEADER.lower():
                incoming = value.decode("latin-1").strip()
                break
        request_id = incoming or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = _current.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
