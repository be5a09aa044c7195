"""ASGI middleware: body size limit, HTTP Basic auth, and the x-pact-broker-version header.

Pure ASGI (not BaseHTTPMiddleware) so a refused request never reads its body and streaming is unaffected.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.api.deps import is_read_request
from broker.settings import BrokerSettings

# The reference version whose API this broker follows; clients read it to pick features.
PACT_BROKER_VERSION = "2.120.0"
_PUBLIC_PATHS = ("/diagnostic/status/heartbeat",)


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 for bodies above `max_bytes`: refused from Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"Request body is larger than the broker's limit of {self.max_bytes} bytes"
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_json(send, 413, {"error": {"message": message}}, [])
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, {"error": {"message": message}}, [])


class BasicAuth:
    """Read-write and read-only users, as the reference's basic_auth middleware; off when no user is set."""

    def __init__(self, app: ASGIApp, settings: BrokerSettings) -> None:
        self.app = app
        self.settings = settings

    def _role(self, scope: Scope) -> str | None:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        s = self.settings

        def matches(u: str | None, p: str | None) -> bool:
            return (
                bool(u)
                and secrets.compare_digest(user, u or "")
                and secrets.compare_digest(password, p or "")
            )

        if matches(s.basic_auth_username, s.basic_auth_password):
            return "write"
        if matches(s.basic_auth_read_only_username, s.basic_auth_read_only_password):
            return "read"
        return "invalid"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.settings.auth_enabled or scope["path"] in _PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        read = is_read_request(scope["method"], scope["path"])
        role = self._role(scope)
        if role == "write" or (role == "read" and read):
            await self.app(scope, receive, send)
            return
        if role is None and read and self.settings.allow_public_read:
            await self.app(scope, receive, send)
            return
        if role == "read":
            body = {"error": {"message": "The read-only user may not modify the broker"}}
            await _send_json(send, 403, body, [])
            return
        challenge = [(b"www-authenticate", b'Basic realm="Pact Broker"')]
        await _send_json(send, 401, {"error": {"message": "Authentication required"}}, challenge)


class VersionHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [
                    *msg.get("headers", []),
                    (b"x-pact-broker-version", PACT_BROKER_VERSION.encode()),
                ]
            await send(msg)

        await self.app(scope, receive, with_header)


class HeadAsGet:
    """HEAD answers like GET without the body (monitors and `curl -I`); routes only declare GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(msg: Message) -> None:
            if msg["type"] == "http.response.body":
                msg = {**msg, "body": b""}
            await send(msg)

        await self.app({**scope, "method": "GET"}, receive, without_body)
