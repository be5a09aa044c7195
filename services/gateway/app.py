"""The gateway's HTTP edge: every route forwards to the sample service through `SampleClient`."""

from fastapi import APIRouter, Body, FastAPI, Query, Request
from pydantic import BaseModel, Field

from services.common.request_id import RequestIdMiddleware
from services.gateway.clients import NewSample, Sample, SampleClient
from services.gateway.problems import install_problem_handlers
from services.gateway.settings import GatewaySettings

router = APIRouter(prefix="/api")


class StoreBody(BaseModel):
    temperature_c: int | None = None


class SequenceBody(BaseModel):
    platform: str
    read_length: int
    paired_end: bool = False


class TransitionBody(BaseModel):
    status: str = Field(description="failed_qc, discarded or sequenced")
    reason: str | None = None


def _samples(request: Request) -> SampleClient:
    client: SampleClient = request.app.state.samples
    return client


@router.post("/samples", status_code=201, response_model=Sample)
def register(body: NewSample, request: Request) -> Sample:
    return _samples(request).register(body)


@router.get("/samples", response_model=list[Sample])
def list_samples(
    request: Request,
    status: str | None = Query(default=None),
    project: str | None = Query(default=None),
    barcode: str | None = Query(default=None),
) -> list[Sample]:
    return _samples(request).list_samples(status=status, project=project, barcode=barcode)


@router.get("/samples/{sample_id}", response_model=Sample)
def get_sample(sample_id: str, request: Request) -> Sample:
    return _samples(request).get(sample_id)


@router.post("/samples/{sample_id}/validate", response_model=Sample)
def validate(sample_id: str, request: Request) -> Sample:
    return _samples(request).validate(sample_id)


@router.post("/samples/{sample_id}/store", response_model=Sample)
def store(sample_id: str, request: Request, body: StoreBody | None = Body(default=None)) -> Sample:
    return _samples(request).store(sample_id, body.temperature_c if body else None)


@router.post("/samples/{sample_id}/sequence", response_model=Sample)
def sequence(sample_id: str, body: SequenceBody, request: Request) -> Sample:
    return _samples(request).sequence(sample_id, body.platform, body.read_length, body.paired_end)


@router.post("/samples/{sample_id}/transitions", response_model=Sample)
def transition(sample_id: str, body: TransitionBody, request: Request) -> Sample:
    return _samples(request).transition(sample_id, body.status, body.reason)


def create_app(settings: GatewaySettings | None = None, *, samples: SampleClient | None = None) -> FastAPI:
    """Build the gateway; pass `samples` to point it at a sample service you started yourself."""
    settings = settings or GatewaySettings()
    app = FastAPI(title="TracSeq gateway", version="1.0.0")
    app.state.settings = settings
    app.state.samples = samples or SampleClient(settings.sample_url, timeout=settings.http_timeout_s)
    app.add_middleware(RequestIdMiddleware)
    install_problem_handlers(app)
    app.include_router(router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
