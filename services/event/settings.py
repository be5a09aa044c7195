"""Event service settings (environment prefix `EVENT_`)."""

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Subscription(BaseModel):
    """Deliver events of `types` (exact type names) to `url` by POSTing the event JSON."""

    url: str
    types: list[str] = Field(min_length=1)


class EventSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENT_")

    # e.g. EVENT_SUBSCRIBERS='[{"url": "http://127.0.0.1:8005/event-messages", "types": ["sample.stored"]}]'
    subscribers: list[Subscription] = Field(default_factory=list)
    http_timeout_s: float = 5.0
