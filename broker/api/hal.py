"""HAL+JSON helpers: absolute links built from the configured base URL or from the request."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

HAL_JSON = "application/hal+json;charset=utf-8"

Link = dict[str, Any]


class HalResponse(JSONResponse):
    """HAL+JSON encoded with orjson: the same compact UTF-8 bytes as Starlette's `json.dumps`, several
    times faster on the large bodies (for-verification, matrix)."""

    media_type = HAL_JSON

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits inside a consumer's pact
            return super().render(content)


def base_url(request: Request) -> str:
    """The broker's external base URL, without a trailing slash."""
    configured = request.app.state.settings.base_url
    if configured:
        return str(configured).rstrip("/")
    return str(request.base_url).rstrip("/")


@lru_cache(maxsize=65536)
def segment(value: str) -> str:
    """One URL path segment: names may hold spaces, slashes or anything else. Cached: the same names,
    version numbers and SHAs are quoted for every link of every response."""
    return quote(value, safe="")


class Urls:
    """Builds absolute URLs under the broker's base; `urls("pacticipants", name)` quotes each part."""

    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, *segments: str) -> str:
        return f"{self.base}/" + "/".join([segment(s) for s in segments])

    def templated(self, template: str) -> str:
        """A templated href: `template` is a path with `{vars}` left unquoted."""
        return f"{self.base}{template}"

    # The URLs the reference builds in api/pact_broker_urls.rb, used by several resources.
    def pacticipant(self, name: str) -> str:
        return self("pacticipants", name)

    def version(self, pacticipant: str, number: str) -> str:
        return self("pacticipants", pacticipant, "versions", number)

    def tag(self, pacticipant: str, number: str, tag: str) -> str:
        return self("pacticipants", pacticipant, "versions", number, "tags", tag)

    def branch(self, pacticipant: str, branch: str) -> str:
        return self("pacticipants", pacticipant, "branches", branch)

    def branch_version(self, pacticipant: str, branch: str, number: str) -> str:
        return self("pacticipants", pacticipant, "branches", branch, "versions", number)

    def pact(self, provider: str, consumer: str, consumer_version: str) -> str:
        return self("pacts", "provider", provider, "consumer", consumer, "version", consumer_version)

    def pact_version(self, provider: str, consumer: str, sha: str, metadata: str | None = None) -> str:
        url = self("pacts", "provider", provider, "consumer", consumer, "pact-version", sha)
        return f"{url}/metadata/{segment(metadata)}" if metadata else url

    def verification_results(
        self, provider: str, consumer: str, sha: str, metadata: str | None = None
    ) -> str:
        return self.pact_version(provider, consumer, sha, metadata) + "/verification-results"

    def verification(self, provider: str, consumer: str, sha: str, number: int) -> str:
        return f"{self.verification_results(provider, consumer, sha)}/{number}"

    def environment(self, uuid: str) -> str:
        return self("environments", uuid)

    def deployed_version(self, uuid: str) -> str:
        return self("deployed-versions", uuid)

    def released_version(self, uuid: str) -> str:
        return self("released-versions", uuid)


async def urls_for(request: Request) -> Urls:
    return Urls(base_url(request))


def link(href: str, title: str | None = None, name: str | None = None, templated: bool = False) -> Link:
    out: Link = {"href": href}
    if title is not None:
        out["title"] = title
    if name is not None:
        out["name"] = name
    if templated:
        out["templated"] = True
    return out


def timestamp(value: datetime | None) -> str | None:
    """ISO-8601 with an explicit offset, as the reference emits (`2021-09-01T00:07:21+00:00`)."""
    if value is None:
        return None
    return _timestamp(value)


@lru_cache(maxsize=65536)
def _timestamp(value: datetime) -> str:
    # Cached: a matrix or for-verification body formats the same few versions' times many times over.
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def with_timestamps(
    body: dict[str, Any], created_at: datetime, updated_at: datetime | None
) -> dict[str, Any]:
    body["createdAt"] = timestamp(created_at)
    if updated_at is not None and timestamp(updated_at) != body["createdAt"]:
        body["updatedAt"] = timestamp(updated_at)
    return body
