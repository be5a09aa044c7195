"""A lean HTTP/1.1 keep-alive client on asyncio streams, for the load test's virtual users.

On a 2-core machine the load generator competes with the broker for the CPU: httpx's AsyncClient costs
about 2.5 ms of CPU per request (connection pool, header models, its own event hooks), which at a few
hundred requests a second takes most of a core away from the broker being measured. This client does only
what the load test needs — one connection per virtual user, `Content-Length` and chunked bodies, JSON in
and out, a timeout — for a fraction of that (`python -m benchmarks.http_driver` compares the two).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    """The request did not get a complete HTTP response (refused, reset, timed out, malformed)."""


class Connection:
    """One kept-alive connection to `base_url`; reconnects when the server closes it."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only plain http://host:port URLs are supported, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Sends one request (`body` is sent as JSON when given); returns the status and the body."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, body), self.timeout)
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            await self.close()
            raise HttpError(f"no response within {self.timeout} s") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, method: str, path: str, body: Any, retry: bool = True) -> tuple[int, bytes]:
        if self._reader is not None and self._reader.at_eof():
            await self.close()  # the server closed it while idle (uvicorn: after 5 s without a request)
        reused = self._writer is not None
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: application/hal+json\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        self._writer.write(head.encode() + b"\r\n" + payload)
        try:
            raw_head = await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not (reused and retry and not exc.partial):
                raise
            # Closed by the server just as it was reused, before a byte of answer: the request was never
            # read, so it is sent once more on a new connection (as HTTP clients do).
            await self.close()
            return await self._exchange(method, path, body, retry=False)
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.read()  # no length: the body ends when the server closes
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        chunks: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers are sent to us
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _compare(base_url: str, path: str, count: int) -> None:
    import httpx

    conn = Connection(base_url)
    cpu, started = _cpu(), time.perf_counter()
    for _ in range(count):
        await conn.request("GET", path)
    print(f"this driver: {(_cpu() - cpu) / count * 1000:.2f} ms CPU/request, "
          f"{(time.perf_counter() - started) / count * 1000:.2f} ms wall")  # fmt: skip
    await conn.close()
    async with httpx.AsyncClient(base_url=base_url) as client:
        cpu, started = _cpu(), time.perf_counter()
        for _ in range(count):
            await client.get(path)
        print(f"httpx:       {(_cpu() - cpu) / count * 1000:.2f} ms CPU/request, "
              f"{(time.perf_counter() - started) / count * 1000:.2f} ms wall")  # fmt: skip


if __name__ == "__main__":
    import sys

    from benchmarks.server import broker_process, throwaway_database

    with throwaway_database("sqlite") as url, broker_process(url) as broker:
        asyncio.run(
            _compare(broker.url, "/diagnostic/status/heartbeat", int(sys.argv[1]) if sys.argv[1:] else 2000)
        )
