"""The event service's HTTP edge: translate requests to `EventService` calls and back."""

import httpx
from fastapi import APIRouter, BackgroundTasks, FastAPI, Query, Request

from services.common.http import install_common
from services.event.models import Event, NewEvent
from services.event.service import EventService
from services.event.settings import EventSettings
from services.event.store import EventStore

router = APIRouter()


def _service(request: Request) -> EventService:
    service: EventService = request.app.state.service
    return service


@router.post("/events", status_code=201, response_model=Event)
def post_event(new: NewEvent, request: Request, background: BackgroundTasks) -> Event:
    service = _service(request)
    event = service.accept(new)
    # After the response, so a slow subscriber never slows (or fails) the announcing service.
    background.add_task(service.deliver, event)
    return event


@router.get("/events", response_model=list[Event])
def list_events(
    request: Request,
    type: str | None = Query(default=None, description="exact event type, e.g. sample.stored"),
    source: str | None = Query(default=None),
) -> list[Event]:
    return _service(request).store.list(type=type, source=source)


@router.get("/events/{event_id}", response_model=Event)
def get_event(event_id: str, request: Request) -> Event:
    return _service(request).get(event_id)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    settings: EventSettings | None = None,
    *,
    store: EventStore | None = None,
    subscriber_http: httpx.Client | None = None,
) -> FastAPI:
    """Build the event service; `app.state.store` is the log tests and provider states seed.

    `subscriber_http` is the httpx client deliveries go through (default: a new one per delivery).
    """
    settings = settings or EventSettings()
    store = store or EventStore()
    app = FastAPI(title="TracSeq event service", version="1.0.0")
    app.state.settings = settings
    app.state.store = store
    app.state.service = EventService(store, settings.subscribers, settings.http_timeout_s, subscriber_http)
    install_common(app)
    app.include_router(router)
    return app
