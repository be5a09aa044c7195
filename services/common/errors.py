"""One error hierarchy for the whole platform.

Services raise these from their rules (the shared handlers in `services.common.http` turn them into
`{"detail": message}` responses with the class's status), and the typed clients raise them when a
provider answers 404/409/422/5xx, carrying the provider's own message. So a service that calls another
can let a refusal travel on unchanged, or catch it and say what it means in its own words.
"""

from typing import Any, ClassVar


class ServiceError(Exception):
    """A refusal or failure with an HTTP status and a human-readable message.

    `upstream_status` is the status the called service answered with (None when the error was raised
    locally or the service could not be reached at all).
    """

    status_code: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        upstream_status: int | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.upstream_status = upstream_status
        self.body = body

    def __str__(self) -> str:
        return self.message


class BadRequest(ServiceError):
    status_code = 400


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class Unprocessable(ServiceError):
    status_code = 422


class Unavailable(ServiceError):
    """The service could not be reached, timed out, or answered 5xx."""

    status_code = 503


_BY_STATUS: dict[int, type[ServiceError]] = {
    400: BadRequest,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


def error_for_status(status: int) -> type[ServiceError]:
    """The error class a client raises for a non-2xx `status`."""
    if status >= 500:
        return Unavailable
    return _BY_STATUS.get(status, ServiceError)
