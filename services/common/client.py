"""The base of every typed client: one place that turns HTTP answers into models or typed errors."""

from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.common.errors import Unavailable, error_for_status
from services.common.request_id import REQUEST_ID_HEADER, current_request_id

M = TypeVar("M", bound=BaseModel)


class ServiceClient:
    """Synchronous httpx client for one TracSeq service.

    `base_url` may be any URL (a Pact mock server, a uvicorn on a free port, the real deployment).
    Pass `http` to reuse a client you own (e.g. a FastAPI `TestClient`, which is an `httpx.Client`),
    or `transport` to plug in an httpx transport; otherwise the client makes and owns its own.

        with StorageClient("http://127.0.0.1:8003") as storage:
            location = storage.allocate("S-1", temperature_c=-80)
    """

    service: ClassVar[str] = "service"

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http or httpx.Client(transport=transport, timeout=timeout)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; return the 2xx response or raise the typed error for its status."""
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        clean_params = {k: v for k, v in (params or {}).items() if v is not None} or None
        try:
            response = self._http.request(method, url, json=json, params=clean_params, headers=headers)
        except httpx.TransportError as exc:
            raise Unavailable(
                f"{self.service} service unreachable at {self.base_url}: {exc.__class__.__name__}: {exc}",
                service=self.service,
            ) from exc
        if response.is_success:
            return response
        body = _json_or_none(response)
        message = _message_from(body) or response.text or response.reason_phrase
        raise error_for_status(response.status_code)(
            message,
            service=self.service,
            upstream_status=response.status_code,
            body=body,
        )

    def _parse(self, response: httpx.Response, model: type[M]) -> M:
        """Parse a 2xx body into the consumer-side `model`; a misfit is the provider's fault."""
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise self._unreadable(response, exc) from exc

    def _parse_list(self, response: httpx.Response, model: type[M]) -> list[M]:
        try:
            return TypeAdapter(list[model]).validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise self._unreadable(response, exc) from exc

    def _unreadable(self, response: httpx.Response, exc: ValidationError) -> Unavailable:
        return Unavailable(
            f"{self.service} service sent a response this client cannot read: {exc}",
            service=self.service,
            upstream_status=response.status_code,
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message_from(body: Any) -> str | None:
    """Our services answer `{"detail": "..."}`; problem+json has `detail` too; FastAPI's default is a list."""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if detail is not None:
            return str(detail)
        title = body.get("title")
        if isinstance(title, str):
            return title
    return None
