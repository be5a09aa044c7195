"""What crosses the wire to and from the event service."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

EVENT_TYPE_PATTERN = r"^[a-z][a-z_]*\.[a-z][a-z_]*$"
SOURCE_PATTERN = r"^[a-z][a-z0-9_-]*$"


def utcnow() -> datetime:
    return datetime.now(UTC)


class NewEvent(BaseModel):
    """An event as a service announces it; `timestamp` is when it happened (default: when received)."""

    type: str = Field(
        pattern=EVENT_TYPE_PATTERN,
        max_length=100,
        description="`<subject>.<verb>`, lower case, e.g. `sample.stored`, `storage.released`",
        examples=["sample.stored"],
    )
    source: str = Field(pattern=SOURCE_PATTERN, max_length=50, description="the announcing service")
    payload: dict[str, Any] = Field(default_factory=dict)
    timestamp: datetime | None = None


class Event(BaseModel):
    """An accepted event; also the body of the message delivered to subscribers."""

    id: str
    type: str
    source: str
    payload: dict[str, Any]
    timestamp: datetime
