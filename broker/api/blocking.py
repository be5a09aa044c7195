"""Where the broker's blocking work runs (sync endpoints, SQL, ending sessions): in a worker thread, or on
the event loop itself when each process works on one request at a time (`BrokerSettings.request_threads`
is 1, the default with several processes).

With one request at a time a thread buys no concurrency, only costs: a hop there and back for every
endpoint, and two threads of one process taking turns at the interpreter. SQLite's one writer held its
lock 2.1 ms per write for 0.7 ms of work, waiting to get the interpreter back from its own event loop.
Inline, the loop runs the request's work to its end and then reads the next request (load test, SQLite,
2 workers, alternating rounds: 593 / 631 -> 694 / 725 req/s, broker CPU 2.48 / 2.33 -> 2.17 / 2.06 ms per
request).

Inline work never awaits, so no other request of the process runs in between: a transaction is begun and
ended within one piece of work, as in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

T = TypeVar("T")

# Per event loop, like anyio's thread limiter: set by the app's lifespan on the loop that serves it.
_INLINE: RunVar[bool] = RunVar("broker.blocking_work_inline", default=False)


def run_inline(inline: bool) -> None:
    """Whether the running event loop does blocking work itself (from the app's lifespan)."""
    _INLINE.set(inline)


async def run_blocking(work: Callable[[], T], *, own_limiter: bool = False) -> T:
    """`work()` on the event loop when it runs blocking work inline, else in a worker thread: one of the
    endpoints' (`request_threads`), or with `own_limiter` one outside their limit, as FastAPI ends its
    dependencies (a commit must never wait for a token held by an endpoint waiting for that commit's lock)."""
    if _INLINE.get():
        return work()
    limiter = anyio.CapacityLimiter(1) if own_limiter else None
    return await anyio.to_thread.run_sync(work, limiter=limiter)


def blocking_endpoint(endpoint: Callable[..., T]) -> Callable[..., Any]:
    """A sync endpoint as an async one that runs it by `run_blocking`: FastAPI would always send it to its
    threadpool."""

    @wraps(endpoint)
    async def call(*args: Any, **kwargs: Any) -> T:
        return await run_blocking(partial(endpoint, *args, **kwargs))

    return call
