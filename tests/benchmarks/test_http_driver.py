"""The load test's HTTP client, against a real broker over loopback and against scripted servers for the
framings and failures a broker seldom produces."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from benchmarks.http_driver import Connection, HttpError
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.live import LiveBroker

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(
        (int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length")),
        0,
    )
    return head.split("\r\n")[0], await reader.readexactly(length)


def test_it_talks_to_the_broker_on_one_kept_alive_connection(tmp_path: Path) -> None:
    broker = LiveBroker(create_app(BrokerSettings(database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")))
    broker.start()
    try:

        async def scenario() -> None:
            conn = Connection(broker.url)
            status, body = await conn.request("GET", "/diagnostic/status/heartbeat")
            assert status == 200 and json.loads(body)["ok"] is True
            writer = conn._writer
            status, body = await conn.request(
                "POST", "/environments", {"name": "staging", "production": False}
            )
            assert status == 201 and json.loads(body)["name"] == "staging"
            status, body = await conn.request(
                "POST", "/environments", {"name": "staging", "production": False}
            )
            assert status == 400 and "staging" in body.decode()
            assert conn._writer is writer  # the same socket for all three
            await conn.close()

        asyncio.run(scenario())
    finally:
        broker.stop()


def test_chunked_bodies_and_server_closes_are_followed() -> None:
    async def scenario() -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line, _ = await _read_request(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
            line, body = await _read_request(reader)
            assert line.startswith("POST /x") and json.loads(body) == {"a": 1}
            writer.write(b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno")
            await writer.drain()
            writer.close()

        server, url = await _serve(handler)
        async with server:
            conn = Connection(url)
            assert await conn.request("GET", "/") == (200, b"hello world")
            assert await conn.request("POST", "/x", {"a": 1}) == (409, b"no")
            assert conn._writer is None  # closed as the server asked; the next request reconnects

    asyncio.run(scenario())


def test_failures_are_http_errors_that_name_the_cause() -> None:
    async def scenario() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # never answers; returns once the client gives up

        server, url = await _serve(silent)
        async with server:
            with pytest.raises(HttpError, match=r"no response within 0\.2 s"):
                await Connection(url, timeout=0.2).request("GET", "/")

        async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
            writer.close()

        server, url = await _serve(hangs_up)
        async with server:
            with pytest.raises(HttpError, match="IncompleteReadError"):
                await Connection(url).request("GET", "/")
        with pytest.raises(HttpError, match="ConnectionRefusedError"):
            await Connection(url).request("GET", "/")  # the server is gone

    asyncio.run(scenario())


def test_only_plain_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="only plain http"):
        Connection("https://broker.example")


def test_a_kept_alive_connection_the_server_closed_is_replaced() -> None:
    """uvicorn closes a connection idle for 5 s; the open-loop load test's users idle for longer."""

    async def scenario() -> None:
        connections = 0

        async def closes_idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")  # keep-alive, then closes
            await writer.drain()
            writer.close()

        server, url = await _serve(closes_idle)
        async with server:
            conn = Connection(url)
            assert await conn.request("GET", "/") == (200, b"ok")
            await asyncio.sleep(0.1)  # the close has arrived: seen before the connection is reused
            assert await conn.request("GET", "/") == (200, b"ok")
            await conn.close()
        assert connections == 2

        async def closes_as_reused(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            if connections == 3:  # the first connection: the next request crosses the server's close
                await _read_request(reader)
                writer.close()
                return
            await _read_request(reader)

        server, url = await _serve(closes_as_reused)
        async with server:
            conn = Connection(url)
            assert await conn.request("GET", "/") == (200, b"ok")
            assert await conn.request("POST", "/x", {"a": 1}) == (200, b"ok")  # sent again, answered
            await conn.close()
        assert connections == 4

    asyncio.run(scenario())
