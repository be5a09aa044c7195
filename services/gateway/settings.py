"""Gateway settings (environment prefix `GATEWAY_`)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    sample_url: str = "http://127.0.0.1:8002"
    # Longer than the sample service's own timeouts, so its 503 arrives before we give up on it.
    http_timeout_s: float = 15.0
