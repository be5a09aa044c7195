"""The requests the benchmark and the load test send, built from what the seeded dataset knows.

Each shape is a function of a counter `i`, so writes never collide (publishing version `bench-<run>-<i>`)
while reads ask the same question a CI fleet asks over and over.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from benchmarks.dataset import KnownAnswers, pact_document


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: dict[str, Any] | None = None
    expect: tuple[int, ...] = (200,)
    headers: dict[str, str] | None = None


# Asks the broker for a fresh answer instead of one it kept (`broker/api/matrix.py`).
FRESH = {"Cache-Control": "no-cache"}


Shape = Callable[[int], Request]


def heartbeat(_i: int) -> Request:
    return Request("GET", "/diagnostic/status/heartbeat")


def index(_i: int) -> Request:
    return Request("GET", "/")


def can_i_deploy(known: KnownAnswers, *, computed: bool = False) -> Shape:
    """A consumer with 10 providers, to an environment (what `pact-broker can-i-deploy --to-environment`
    sends). The broker keeps the answer until a write changes what it is made of; `computed` asks for a
    fresh one each time (`Cache-Control: no-cache`), as after each such write."""

    def build(_i: int) -> Request:
        params = [
            ("pacticipant", known.consumer),
            ("version", known.deployable_version),
            ("environment", known.environment),
        ]
        return Request("GET", "/can-i-deploy?" + urlencode(params), headers=FRESH if computed else None)

    return build


def matrix(known: KnownAnswers, *, computed: bool = False) -> Shape:
    """Two version selectors, latest row per provider version (the CLI's `can-i-deploy` between two); kept
    or, with `computed`, fresh each time, as `can_i_deploy`."""

    def build(_i: int) -> Request:
        params = [
            ("q[][pacticipant]", known.consumer),
            ("q[][version]", known.deployable_version),
            ("q[][pacticipant]", known.matrix_provider),
            ("q[][version]", known.matrix_provider_version),
            ("latestby", "cvpv"),
        ]
        # Built by hand: httpx groups repeated keys, which would break Rack's q[] grouping.
        return Request("GET", "/matrix?" + urlencode(params), headers=FRESH if computed else None)

    return build


def for_verification(
    known: KnownAnswers,
    provider: str | None = None,
    *,
    computed: bool = False,
    wip_days: float = 30.0,
    later: bool = False,
    provider_tags: list[str] | None = None,
) -> Shape:
    """Default selectors (main branches, deployed, released), pending status and WIP since `wip_days` days,
    for the provider's `main` branch (or, with `provider_tags`, for its versions with these tags: the older
    way, still common).

    The broker keeps an answer until a write changes what it is made of, so the same question asked again
    is mostly served from memory. `computed`: each request moves the WIP date back one more second (`later`:
    forward, so two computed shapes on one broker never ask the same question), another question with (all
    but surely) the same answer, so every answer is computed."""
    start = datetime.now(UTC) - timedelta(days=wip_days)
    name = provider or known.verifying_provider
    step = (1 if later else -1) if computed else 0

    def build(i: int) -> Request:
        since = start + timedelta(seconds=step * (i + 1))
        provider_side: dict[str, Any] = (
            {"providerVersionTags": provider_tags} if provider_tags else {"providerVersionBranch": "main"}
        )
        body = {
            **provider_side,
            "includePendingStatus": True,
            "includeWipPactsSince": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return Request("POST", f"/pacts/provider/{name}/for-verification", json=body)

    return build


def publish(
    known: KnownAnswers,
    run: str,
    consumer: str | None = None,
    provider: str | None = None,
    branches: int | None = None,
) -> Shape:
    """One contract per request from a new consumer version; the content changes every 5th version, so
    most publications reuse existing content, as in real CI. Branches: 20 publications in a row on each
    (one hot branch at a time); with `branches=N`, the publications take turns over N branches, as N CI
    pipelines each on its own branch would."""
    consumer = consumer or known.publishing_consumer
    provider = provider or known.publishing_providers[0]

    def build(i: int) -> Request:
        pact = pact_document(consumer, provider, 10_000 + i // 5)
        body = {
            "pacticipantName": consumer,
            "pacticipantVersionNumber": f"bench-{run}-{i}",
            "branch": f"feature/bench-{run}-{i // 20 if branches is None else i % branches}",
            "tags": [],
            "buildUrl": f"https://ci.tracseq.example/{consumer}/bench/{i}",
            "contracts": [
                {
                    "consumerName": consumer,
                    "providerName": provider,
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(json.dumps(pact).encode()).decode(),
                }
            ],
        }
        return Request("POST", "/contracts/publish", json=body, expect=(200, 201))

    return build


def verification_result(known: KnownAnswers, run: str) -> Shape:
    """A result for an existing pact from a provider build (a new provider version every 10 results)."""
    url = (
        f"/pacts/provider/{known.verification_provider}/consumer/{known.verification_consumer}"
        f"/pact-version/{known.verification_sha}/verification-results"
    )

    def build(i: int) -> Request:
        body = {
            "success": i % 17 != 0,
            "providerApplicationVersion": f"bench-{run}-{i // 10}",
            "buildUrl": f"https://ci.tracseq.example/verify/{i}",
            "verifiedBy": {"implementation": "Pact-Rust", "version": "1.2.5"},
            "testResults": [{"interactionId": "x", "success": True}],
        }
        return Request("POST", url, json=body, expect=(201,))

    return build


def record_deployment(known: KnownAnswers, environment_uuid: str) -> Shape:
    """The deploy step: record the pacticipant's newest main version as deployed (replacing the last)."""
    url = (
        f"/pacticipants/{known.deploying_pacticipant}/versions/{known.deploying_version}"
        f"/deployed-versions/environment/{environment_uuid}"
    )

    def build(i: int) -> Request:
        return Request("POST", url, json={"applicationInstance": f"bench-{i % 3}"}, expect=(200, 201))

    return build
