"""Errors as RFC 9457 problem details (`application/problem+json`), the gateway's one error shape."""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.errors import ServiceError, Unavailable
from services.common.http import validation_detail, validation_errors

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tracseq.example/problems/"

_SLUGS = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    422: "invalid-request",
    502: "bad-gateway",
    503: "service-unavailable",
}


def problem(request: Request, status: int, detail: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + _SLUGS.get(status, "error"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_for(exc: ServiceError) -> int:
    """Keep the sample service's status; a sample service we cannot reach at all is a bad gateway."""
    if isinstance(exc, Unavailable):
        return 503 if exc.upstream_status == 503 else 502
    return exc.upstream_status or type(exc).status_code


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        extra = {}
        if isinstance(exc.body, dict) and isinstance(exc.body.get("errors"), list):
            extra["errors"] = exc.body["errors"]
        return problem(request, status_for(exc), exc.message, extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        return problem(request, 422, validation_detail(errors), {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(request, exc.status_code, str(exc.detail))
