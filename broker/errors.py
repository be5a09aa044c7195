"""Domain errors. Services raise these; `broker.api.errors` turns them into the reference's error bodies."""

from __future__ import annotations

from typing import Any


class BrokerError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BrokerError):
    status_code = 404


class ValidationFailed(BrokerError):
    """400 with `{"errors": {field: [messages]}}`, naming each field and the rule it broke."""

    status_code = 400

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class Conflict(BrokerError):
    """409; `body` is returned as-is (publish puts notices and errors in it)."""

    status_code = 409

    def __init__(self, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = body or {"errors": {"base": [message]}}


class Unprocessable(BrokerError):
    status_code = 422


class UnsupportedMediaType(BrokerError):
    status_code = 415


class PayloadTooLarge(BrokerError):
    status_code = 413
