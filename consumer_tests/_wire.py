"""Matchers shared by the consumer tests, for values whose exact text the consumers do not care about."""

import ssl
from typing import Any

import httpx
from pact import match

JSON = "application/json"

# Every service serialises datetimes with pydantic: ISO 8601 with microseconds and `Z` (or an offset).
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
EXAMPLE_DATETIME = "2026-11-26T09:30:00.000000Z"

# httpx reads the whole CA bundle for every client it builds (about 0.1 s, most of a consumer test's time),
# even for one that only speaks plain HTTP to a Pact mock server: the tests' clients share one TLS context.
_TLS = ssl.create_default_context()


def plain_http() -> httpx.HTTPTransport:
    """A fresh transport for a service client talking to a Pact mock server (shares the TLS context)."""
    return httpx.HTTPTransport(verify=_TLS)


def timestamp(example: str = EXAMPLE_DATETIME) -> Any:
    return match.regex(example, regex=ISO_DATETIME)


def one_of(example: str, *values: str) -> Any:
    """An enum the consumer passes on without branching on it: any of `values`, by regex."""
    return match.regex(example, regex="^(" + "|".join(values) + ")$")


def refusal(example: str) -> dict[str, Any]:
    """`{"detail": ...}`, the body of every refusal of our services; clients read `detail` as the message."""
    return {"detail": match.str(example)}


def invalid_input(field: str, message: str) -> dict[str, Any]:
    """A 422 for invalid input: the message, and the list of fields with what is wrong with each."""
    return {
        "detail": match.str(f"{field}: {message}"),
        "errors": match.each_like({"field": match.str(field), "message": match.str(message)}),
    }
