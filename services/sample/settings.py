"""Sample service settings (environment prefix `SAMPLE_`)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class SampleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMPLE_")

    storage_url: str = "http://127.0.0.1:8003"
    sequencing_url: str = "http://127.0.0.1:8004"
    # Longer than storage's and sequencing's own timeouts (5 s), so their 503 arrives before we give up.
    http_timeout_s: float = 10.0
