"""Webhook configuration, read from PACT_BROKER_WEBHOOK_* variables (the reference's `webhook_*` options).

Comma-free lists are given as JSON, e.g. `PACT_BROKER_WEBHOOK_HOST_WHITELIST='["ci.example.org"]'`.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACT_BROKER_WEBHOOK_", extra="ignore")

    # The reference allows only https by default; plain http is allowed here too, for CI servers on a
    # private network (and the tests' local receivers). Narrow it in production if you can.
    scheme_whitelist: list[str] = Field(default_factory=lambda: ["https", "http"])
    # Only POST by default, as the reference: webhooks are not a general-purpose HTTP client.
    http_method_whitelist: list[str] = Field(default_factory=lambda: ["POST"])
    # Empty = any host. When set, only these hosts, and the response is shown in logs (reference rule:
    # response details can leak data from internal hosts, so they are only logged for trusted hosts).
    host_whitelist: list[str] = Field(default_factory=list)
    # Seconds before each retry of a failed triggered webhook; its length bounds the attempts.
    retry_schedule: list[float] = Field(default_factory=lambda: [10.0, 60.0, 120.0, 300.0, 600.0, 1200.0])
    http_success_codes: list[int] = Field(default_factory=lambda: [200, 201, 202, 203, 204, 205, 206])
    timeout_seconds: float = Field(default=15, gt=0)
    # On start, send again the triggered webhooks a stopped broker left waiting or retrying. Brokers that
    # share a database would each send them: leave it on for one of them only.
    resume_on_start: bool = True
    # Authorization/Token headers and the password are masked in stored logs.
    redact_sensitive_data: bool = True

    @property
    def show_response(self) -> bool:
        return bool(self.host_whitelist)
