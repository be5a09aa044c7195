"""The sequencing service's HTTP edge."""

from fastapi import APIRouter, Body, FastAPI, Query, Request

from services.common.http import install_common
from services.sequencing.clients import NotificationClient
from services.sequencing.models import CompleteJob, FailJob, Job, JobStatus, NewJob
from services.sequencing.service import SequencingService
from services.sequencing.settings import SequencingSettings
from services.sequencing.store import SequencingStore

router = APIRouter()


def _service(request: Request) -> SequencingService:
    service: SequencingService = request.app.state.service
    return service


@router.post("/jobs", status_code=201, response_model=Job)
def create_job(new: NewJob, request: Request) -> Job:
    return _service(request).create(new)


@router.get("/jobs", response_model=list[Job])
def list_jobs(
    request: Request,
    status: JobStatus | None = Query(default=None),
    sample_id: str | None = Query(default=None),
) -> list[Job]:
    return _service(request).store.list(status=status, sample_id=sample_id)


@router.get("/jobs/{job_id}", response_model=Job)
def get_job(job_id: str, request: Request) -> Job:
    return _service(request).get(job_id)


@router.post("/jobs/{job_id}/start", response_model=Job)
def start_job(job_id: str, request: Request) -> Job:
    return _service(request).start(job_id)


@router.post("/jobs/{job_id}/complete", response_model=Job)
def complete_job(job_id: str, request: Request, body: CompleteJob | None = Body(default=None)) -> Job:
    return _service(request).complete(job_id, body.output_uri if body else None)


@router.post("/jobs/{job_id}/fail", response_model=Job)
def fail_job(job_id: str, body: FailJob, request: Request) -> Job:
    return _service(request).fail(job_id, body.reason)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    settings: SequencingSettings | None = None,
    *,
    store: SequencingStore | None = None,
    notifications: NotificationClient | None = None,
) -> FastAPI:
    """Build the sequencing service; `app.state.store` is the job table tests and provider states seed."""
    settings = settings or SequencingSettings()
    store = store or SequencingStore()
    notifications = notifications or NotificationClient(
        settings.notification_url, timeout=settings.http_timeout_s
    )
    app = FastAPI(title="TracSeq sequencing service", version="1.0.0")
    app.state.settings = settings
    app.state.store = store
    app.state.service = SequencingService(store, notifications, settings.output_root)
    install_common(app)
    app.include_router(router)
    return app
