"""What every TracSeq service shares: errors, the base HTTP client, request ids, error handlers."""

from services.common.client import ServiceClient
from services.common.errors import Conflict, NotFound, ServiceError, Unavailable, Unprocessable
from services.common.request_id import REQUEST_ID_HEADER, current_request_id

__all__ = [
    "REQUEST_ID_HEADER",
    "Conflict",
    "NotFound",
    "ServiceClient",
    "ServiceError",
    "Unavailable",
    "Unprocessable",
    "current_request_id",
]
