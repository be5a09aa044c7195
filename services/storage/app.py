"""The storage service's HTTP edge."""

from fastapi import APIRouter, FastAPI, Request, Response

from services.common.http import install_common
from services.storage.clients import EventClient
from services.storage.models import Freezer, Location, NewAllocation, Zone
from services.storage.service import StorageService
from services.storage.settings import StorageSettings
from services.storage.store import StorageStore

router = APIRouter()


def _service(request: Request) -> StorageService:
    service: StorageService = request.app.state.service
    return service


@router.get("/zones", response_model=list[Zone])
def zones(request: Request) -> list[Zone]:
    return _service(request).store.zones()


@router.get("/freezers", response_model=list[Freezer])
def freezers(request: Request) -> list[Freezer]:
    return _service(request).store.freezers()


@router.get("/locations/{location_id}", response_model=Location)
def location(location_id: str, request: Request) -> Location:
    return _service(request).location(location_id)


@router.post("/allocations", status_code=201, response_model=Location)
def allocate(new: NewAllocation, request: Request, response: Response) -> Location:
    location, created = _service(request).allocate(new)
    if not created:
        response.status_code = 200  # already there: the same answer, nothing new
    return location


@router.get("/allocations/{sample_id}", response_model=Location)
def allocation(sample_id: str, request: Request) -> Location:
    return _service(request).allocation(sample_id)


@router.delete("/allocations/{sample_id}", status_code=204)
def release(sample_id: str, request: Request) -> Response:
    _service(request).release(sample_id)
    return Response(status_code=204)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    settings: StorageSettings | None = None,
    *,
    store: StorageStore | None = None,
    events: EventClient | None = None,
) -> FastAPI:
    """Build the storage service; `app.state.store` is the freezer map tests and provider states seed."""
    settings = settings or StorageSettings()
    store = store or StorageStore(settings.racks_per_freezer, settings.rack_rows, settings.rack_columns)
    events = events or EventClient(settings.event_url, timeout=settings.http_timeout_s)
    app = FastAPI(title="TracSeq storage service", version="1.0.0")
    app.state.settings = settings
    app.state.store = store
    app.state.service = StorageService(store, events)
    install_common(app)
    app.include_router(router)
    return app
