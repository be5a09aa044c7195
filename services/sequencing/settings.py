"""Sequencing service settings (environment prefix `SEQUENCING_`)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class SequencingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEQUENCING_")

    notification_url: str = "http://127.0.0.1:8005"
    http_timeout_s: float = 5.0
    # Where completed runs' data land; the job id is appended.
    output_root: str = "s3://tracseq-runs"
