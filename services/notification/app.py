"""The notification service's HTTP edge."""

from typing import Any

from fastapi import APIRouter, Body, FastAPI, Query, Request

from services.common.http import install_common
from services.notification.events import handle_event
from services.notification.models import Delivery, NewNotification, TemplateInfo
from services.notification.service import NotificationService
from services.notification.settings import NotificationSettings
from services.notification.store import NotificationStore
from services.notification.templates import TEMPLATES

router = APIRouter()


def _service(request: Request) -> NotificationService:
    service: NotificationService = request.app.state.service
    return service


@router.post("/notifications", status_code=201, response_model=Delivery)
def send(new: NewNotification, request: Request) -> Delivery:
    return _service(request).send(new)


@router.get("/notifications", response_model=list[Delivery])
def list_notifications(
    request: Request,
    recipient: str | None = Query(default=None),
    template: str | None = Query(default=None),
    channel: str | None = Query(default=None),
) -> list[Delivery]:
    return _service(request).store.list(recipient=recipient, template=template, channel=channel)


@router.get("/notifications/{delivery_id}", response_model=Delivery)
def get_notification(delivery_id: str, request: Request) -> Delivery:
    return _service(request).get(delivery_id)


@router.get("/templates", response_model=list[TemplateInfo])
def list_templates() -> list[TemplateInfo]:
    return [TemplateInfo(name=t.name, required_data=list(t.required)) for t in TEMPLATES.values()]


@router.post("/event-messages", status_code=201, response_model=Delivery)
def receive_event(request: Request, message: dict[str, Any] = Body(...)) -> Delivery:
    settings: NotificationSettings = request.app.state.settings
    return handle_event(message, _service(request).store, lab_channel=settings.lab_channel)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    settings: NotificationSettings | None = None, *, store: NotificationStore | None = None
) -> FastAPI:
    """Build the notification service; `app.state.store` is the delivery log."""
    settings = settings or NotificationSettings()
    store = store or NotificationStore()
    app = FastAPI(title="TracSeq notification service", version="1.0.0")
    app.state.settings = settings
    app.state.store = store
    app.state.service = NotificationService(store)
    install_common(app)
    app.include_router(router)
    return app
