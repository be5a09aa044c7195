"""Server-side plumbing every service installs: error handlers that name the field and the rule."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.common.errors import ServiceError
from services.common.request_id import RequestIdMiddleware


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "volume_ul")` → `volume_ul`; `("query", "status")` → `query.status`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:] or ["body"]
    return ".".join(parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid"))
        # Pydantic prefixes messages raised by our validators with "Value error, ": drop it.
        message = message.removeprefix("Value error, ")
        loc = error.get("loc", ())
        if error["type"] == "json_invalid":
            # FastAPI puts the character offset where the field name would be.
            reason = (error.get("ctx") or {}).get("error", "")
            message = f"invalid JSON at character {loc[-1] if loc else '?'}: {reason}".rstrip(": ")
            loc = ("body",)
        errors.append({"field": field_name(loc), "message": message, "type": error["type"]})
    return errors


def validation_detail(errors: list[dict[str, str]]) -> str:
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors)


def install_common(app: FastAPI) -> None:
    """Request ids plus `{"detail": "..."}` bodies for refusals and for invalid input."""
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=type(exc).status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        return JSONResponse({"detail": validation_detail(errors), "errors": errors}, status_code=422)
