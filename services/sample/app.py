"""The sample service's HTTP edge."""

from fastapi import APIRouter, Body, FastAPI, Query, Request

from services.common.http import install_common
from services.sample.clients import SequencingClient, StorageClient
from services.sample.models import NewSample, Sample, SequenceRequest, StoreRequest, TransitionRequest
from services.sample.rules import SampleStatus
from services.sample.service import SampleService
from services.sample.settings import SampleSettings
from services.sample.store import SampleStore

router = APIRouter()


def _service(request: Request) -> SampleService:
    service: SampleService = request.app.state.service
    return service


@router.post("/samples", status_code=201, response_model=Sample)
def register(new: NewSample, request: Request) -> Sample:
    return _service(request).register(new)


@router.get("/samples", response_model=list[Sample])
def list_samples(
    request: Request,
    status: SampleStatus | None = Query(default=None),
    project: str | None = Query(default=None),
    barcode: str | None = Query(default=None),
) -> list[Sample]:
    return _service(request).store.list(status=status, project=project, barcode=barcode)


@router.get("/samples/{sample_id}", response_model=Sample)
def get_sample(sample_id: str, request: Request) -> Sample:
    return _service(request).get(sample_id)


@router.post("/samples/{sample_id}/validate", response_model=Sample)
def validate(sample_id: str, request: Request) -> Sample:
    return _service(request).validate(sample_id)


@router.post("/samples/{sample_id}/store", response_model=Sample)
def store(sample_id: str, request: Request, body: StoreRequest | None = Body(default=None)) -> Sample:
    return _service(request).store_sample(sample_id, body.temperature_c if body else None)


@router.post("/samples/{sample_id}/sequence", response_model=Sample)
def sequence(sample_id: str, body: SequenceRequest, request: Request) -> Sample:
    return _service(request).send_to_sequencing(sample_id, body)


@router.post("/samples/{sample_id}/transitions", response_model=Sample)
def transition(sample_id: str, body: TransitionRequest, request: Request) -> Sample:
    return _service(request).transition(sample_id, body.status, body.reason)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    settings: SampleSettings | None = None,
    *,
    store: SampleStore | None = None,
    storage: StorageClient | None = None,
    sequencing: SequencingClient | None = None,
) -> FastAPI:
    """Build the sample service; `app.state.store` is the sample table tests and provider states seed."""
    settings = settings or SampleSettings()
    store = store or SampleStore()
    storage = storage or StorageClient(settings.storage_url, timeout=settings.http_timeout_s)
    sequencing = sequencing or SequencingClient(settings.sequencing_url, timeout=settings.http_timeout_s)
    app = FastAPI(title="TracSeq sample service", version="1.0.0")
    app.state.settings = settings
    app.state.store = store
    app.state.service = SampleService(store, storage, sequencing)
    install_common(app)
    app.include_router(router)
    return app
