"""`create_app(settings)`: the broker as a FastAPI app, with its own engine and no globals."""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from broker.answer_cache.store import AnswerStore
from broker.api import ROUTERS
from broker.api.blocking import run_inline
from broker.api.errors import install_error_handlers
from broker.api.kept_answers import KeptAnswers
from broker.api.middleware import BasicAuth, BodySizeLimit, HeadAsGet, VersionHeader
from broker.api.routing import index_routes
from broker.db.checkpoints import WalCheckpointer
from broker.db.engine import ensure_sqlite_directory, make_engine, make_session_factory, sqlite_file
from broker.db.migrate import upgrade
from broker.settings import BrokerSettings
from broker.webhooks import service as webhooks

# A request allocates thousands of short-lived objects (rows, dicts, response parts) that reference counting
# frees; at Python's default threshold (700) the cyclic collector still ran ~70 times a second under load
# and took ~10 % of the CPU. At these thresholds it runs a few times a minute (load test, one worker, 100
# users, two alternating rounds: 70-76 -> 83-84 req/s, CPU per request 14.8-16.1 -> 13.4-13.7 ms).
# Process-wide, as a server's start-up may be; no gc.freeze(): in a test process it would keep earlier
# apps' garbage for good.
_GC_THRESHOLDS = (20_000, 50, 100)


def create_app(settings: BrokerSettings | None = None) -> FastAPI:
    settings = settings or BrokerSettings()
    logging.getLogger("broker").setLevel(settings.log_level.upper())
    ensure_sqlite_directory(settings.database_url)
    if settings.auto_migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Triggered webhooks a stopped broker left waiting or retrying are sent now (its queue was in memory).
        webhooks.resume(engine, getattr(app.state, "webhook_settings", None))
        # The limiter belongs to the serving event loop, so it is set here rather than at import.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        run_inline(settings.request_threads == 1)  # one request at a time: no thread to hop to
        gc.set_threshold(*_GC_THRESHOLDS)
        database_file = sqlite_file(engine.url)
        checkpointer = app.state.checkpointer = WalCheckpointer(database_file) if database_file else None
        if checkpointer is not None:
            checkpointer.start()
        try:
            yield
        finally:
            if checkpointer is not None:
                checkpointer.stop()
            engine.dispose()

    app = FastAPI(
        title="TracSeq Pact Broker", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.answers = AnswerStore(settings.answer_cache_entries, settings.answer_cache_bytes)
    install_error_handlers(app)
    for module_name in ROUTERS:
        app.include_router(importlib.import_module(module_name).router)
    index_routes(app)
    # Added last = runs first: size limit, then auth, then the app; kept answers inside HEAD handling.
    app.add_middleware(KeptAnswers)
    app.add_middleware(HeadAsGet)
    app.add_middleware(VersionHeader)
    app.add_middleware(BasicAuth, settings=settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
