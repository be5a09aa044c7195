"""The only reader of the environment for the framework: broker location and credentials, the pact folder.

The variable names are the ones every official Pact tool reads, so one CI configuration serves both.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BrokerSettings", "PactDirSettings", "VerificationSettings"]


class BrokerSettings(BaseSettings):
    """`PACT_BROKER_BASE_URL`, `PACT_BROKER_USERNAME`, `PACT_BROKER_PASSWORD`, `PACT_BROKER_TOKEN`."""

    model_config = SettingsConfigDict(env_prefix="PACT_BROKER_", extra="ignore")

    base_url: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None


class PactDirSettings(BaseSettings):
    """`PACT_DIR`: where consumer tests write their pact files."""

    model_config = SettingsConfigDict(extra="ignore")

    pact_dir: Path | None = Field(default=None, validation_alias="PACT_DIR")


class VerificationSettings(BaseSettings):
    """How a plain `pytest provider_verification` run verifies, so CI switches it without code changes:
    `PACT_PUBLISH_VERIFICATION_RESULTS=true`, `PACT_PROVIDER_VERSION`, `PACT_PROVIDER_BRANCH` (the names the
    official Pact implementations read)."""

    model_config = SettingsConfigDict(env_prefix="PACT_", extra="ignore")

    publish_verification_results: bool = False
    provider_version: str | None = None
    provider_branch: str | None = None
