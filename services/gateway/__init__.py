"""Gateway: the public API of the platform, in front of the sample service.

Endpoints (each forwards to the sample service endpoint of the same shape, without `/api`):
    POST /api/samples                       register a sample → 201
    GET  /api/samples?status=&project=&barcode=   list samples
    GET  /api/samples/{id}                  one sample
    POST /api/samples/{id}/validate         QC
    POST /api/samples/{id}/store            {temperature_c?}
    POST /api/samples/{id}/sequence         {platform, read_length, paired_end}
    POST /api/samples/{id}/transitions      {status: failed_qc | discarded | sequenced, reason?}
    GET  /health                            liveness

Every error is `application/problem+json` (RFC 9457): `{type, title, status, detail, instance, request_id}`
plus `errors` (field, message) for invalid input. The sample service's 404/409/422/503 keep their status
and message; a sample service that cannot be reached is 502.

Request ids: `X-Request-ID` is taken from the request or generated, echoed on the response and forwarded to
the sample service (which forwards it on to storage and sequencing).
"""

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

__all__ = ["GatewaySettings", "create_app"]
