"""Small helpers shared by the broker tests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from alembic import command

from broker.db.migrate import migrating
from broker.testing import pact_content

# Every test of a module with `pytestmark = SERVED_THREADED_AND_INLINE` runs against a broker whose endpoints
# run in worker threads (the default of one process on PostgreSQL) and against one running them on its
# event loop (one request at a time: the default of several processes, and of one on SQLite,
# `broker.api.blocking`).
SERVED_THREADED_AND_INLINE = pytest.mark.parametrize("request_threads", [2, 1], ids=["threads", "inline"])


def publish_body(
    consumer: str = "Foo",
    version: str = "1",
    provider: str = "Bar",
    *,
    branch: str | None = "main",
    tags: list[str] | None = None,
    pact: dict[str, Any] | None = None,
    description: str = "a request for a sample",
) -> dict[str, Any]:
    content = pact if pact is not None else pact_content(consumer, provider, description)
    body: dict[str, Any] = {
        "pacticipantName": consumer,
        "pacticipantVersionNumber": version,
        "tags": tags or [],
        "contracts": [
            {
                "consumerName": consumer,
                "providerName": provider,
                "specification": "pact",
                "contentType": "application/json",
                "content": base64.b64encode(json.dumps(content).encode()).decode(),
            }
        ],
    }
    if branch is not None:
        body["branch"] = branch
    return body


def ok(response: Any) -> None:
    """The request succeeded (2xx); otherwise fail with the broker's answer."""
    assert response.status_code < 300, response.text


def migrate_down_and_up(url: str, revision: str) -> None:
    """Downgrade the database at `url` to `revision` and upgrade it to the head again, in one transaction:
    what a migration's backfill makes of the rows already there (a derived table is dropped and rebuilt)."""
    with migrating(url) as config:
        command.downgrade(config, revision)
        command.upgrade(config, "head")
