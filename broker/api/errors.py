"""Error bodies in the reference's shapes (served as application/hal+json, as the reference does), or RFC 9457
problem+json when the client asks for it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from broker.api.hal import HAL_JSON, base_url
from broker.errors import BrokerError, Conflict, ValidationFailed

log = logging.getLogger("broker")

PROBLEM_JSON = "application/problem+json"


def _wants_problem(request: Request) -> bool:
    return PROBLEM_JSON in request.headers.get("accept", "")


def _problem(request: Request, status: int, title: str, kind: str, detail: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "type": f"{base_url(request)}/problems/{kind}",
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    return body


def validation_response(request: Request, errors: dict[str, list[str]]) -> JSONResponse:
    if _wants_problem(request):
        body = _problem(request, 400, "Validation errors", "validation-error", None)
        body["errors"] = [
            {
                "type": f"{base_url(request)}/problems/invalid-body-property-value",
                "title": "Invalid body parameter",
                "detail": message,
                "pointer": "/" + field.replace(".", "/"),
                "status": 400,
            }
            for field, messages in errors.items()
            for message in messages
        ]
        return JSONResponse(body, status_code=400, media_type=PROBLEM_JSON)
    return JSONResponse({"errors": errors}, status_code=400, media_type=HAL_JSON)


def error_response(request: Request, status: int, message: str, kind: str = "error") -> JSONResponse:
    if _wants_problem(request):
        title = {404: "Not found", 409: "Conflict", 413: "Payload too large", 415: "Unsupported media type"}
        body = _problem(request, status, title.get(status, "Error"), kind, message)
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    return JSONResponse({"error": {"message": message}}, status_code=status, media_type=HAL_JSON)


def _kind(exc: BrokerError) -> str:
    name = type(exc).__name__
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


async def _broker_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BrokerError)
    if isinstance(exc, ValidationFailed):
        return validation_response(request, exc.errors)
    if isinstance(exc, Conflict) and not _wants_problem(request):
        return JSONResponse(exc.body, status_code=409)
    return error_response(request, exc.status_code, exc.message, _kind(exc))


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        errors.setdefault(".".join(loc) or "base", []).append(str(err.get("msg")))
    return validation_response(request, errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.detail else "Error"
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = f"No resource at {request.url.path}"
    response = error_response(request, exc.status_code, message)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness race the code did not anticipate (e.g. two environments created with one name at once):
    # the transaction was rolled back, nothing was stored, and the client may simply retry.
    log.warning("Integrity error on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        request, 409, "A concurrent request changed the same data; nothing was stored, retry"
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    reference = uuid.uuid4().hex[:10]
    log.exception("Unhandled error (reference %s) on %s %s", reference, request.method, request.url.path)
    body = {"error": {"message": "An error occurred; the broker log has the details", "reference": reference}}
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BrokerError, _broker_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(Exception, _unexpected)
