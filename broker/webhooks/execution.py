"""Render a webhook's request template and send it (reference: webhook_request_template.rb,
webhook_request.rb, webhook_request_logger.rb, pact_and_verification_parameters.rb).

The result carries the logs the reference writes: the context, the request as sent, then the response
(only for whitelisted hosts; elsewhere a note says why it is hidden), any error, and the outcome.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from broker.pacts.metadata import encode as encode_metadata
from broker.webhooks.models import Webhook
from broker.webhooks.settings import WebhookSettings

USER_AGENT = "TracSeq Pact Broker"
PARAMETERS = (
    "pactbroker.consumerName",
    "pactbroker.providerName",
    "pactbroker.consumerVersionNumber",
    "pactbroker.providerVersionNumber",
    "pactbroker.providerVersionTags",
    "pactbroker.providerVersionDescriptions",
    "pactbroker.providerVersionBranch",
    "pactbroker.consumerVersionTags",
    "pactbroker.consumerVersionBranch",
    "pactbroker.pactUrl",
    "pactbroker.verificationResultUrl",
    "pactbroker.githubVerificationStatus",
    "pactbroker.bitbucketVerificationStatus",
    "pactbroker.azureDevOpsVerificationStatus",
    "pactbroker.gitlabVerificationStatus",
    "pactbroker.consumerLabels",
    "pactbroker.providerLabels",
    "pactbroker.eventName",
    "pactbroker.buildUrl",
    "pactbroker.currentlyDeployedProviderVersionNumber",
)
_REDACTED_HEADERS = re.compile(r"authorization|token", re.IGNORECASE)


def _seg(value: str) -> str:
    return quote(value, safe="")


def template_parameters(context: Mapping[str, Any]) -> dict[str, str]:
    """`${pactbroker.*}` values for an event context (see `broker.webhooks.service.EventContext`)."""
    base = str(context.get("base_url", "")).rstrip("/")
    consumer, provider = str(context.get("consumer_name", "")), str(context.get("provider_name", ""))
    sha = context.get("pact_version_sha")
    pair = f"{base}/pacts/provider/{_seg(provider)}/consumer/{_seg(consumer)}"
    pact_url = ""
    if sha:
        cvn = context.get("consumer_version_number")
        metadata = encode_metadata({"cvn": cvn, "cvt": context.get("consumer_version_tags") or None})
        pact_url = f"{pair}/pact-version/{sha}" + (f"/metadata/{metadata}" if cvn else "")
    number, success = context.get("verification_number"), context.get("verification_success")
    verification_url = f"{pair}/pact-version/{sha}/verification-results/{number}" if sha and number else ""

    def status(ok: str, failed: str, pending: str) -> str:
        return pending if success is None else (ok if success else failed)

    def joined(key: str) -> str:
        return ", ".join(str(v) for v in context.get(key) or [])

    return {
        "pactbroker.consumerName": consumer,
        "pactbroker.providerName": provider,
        "pactbroker.consumerVersionNumber": str(context.get("consumer_version_number") or ""),
        "pactbroker.providerVersionNumber": str(context.get("provider_version_number") or ""),
        "pactbroker.providerVersionTags": joined("provider_version_tags"),
        "pactbroker.providerVersionDescriptions": joined("provider_version_descriptions"),
        "pactbroker.providerVersionBranch": str(context.get("provider_version_branch") or ""),
        "pactbroker.consumerVersionTags": joined("consumer_version_tags"),
        "pactbroker.consumerVersionBranch": str(context.get("consumer_version_branch") or ""),
        "pactbroker.pactUrl": pact_url,
        "pactbroker.verificationResultUrl": verification_url,
        "pactbroker.githubVerificationStatus": status("success", "failure", "pending"),
        "pactbroker.bitbucketVerificationStatus": status("SUCCESSFUL", "FAILED", "INPROGRESS"),
        "pactbroker.azureDevOpsVerificationStatus": status("succeeded", "failed", "pending"),
        "pactbroker.gitlabVerificationStatus": status("success", "failed", "pending"),
        "pactbroker.consumerLabels": joined("consumer_labels"),
        "pactbroker.providerLabels": joined("provider_labels"),
        "pactbroker.eventName": str(context.get("event_name", "")),
        "pactbroker.buildUrl": str(context.get("build_url") or ""),
        "pactbroker.currentlyDeployedProviderVersionNumber": str(
            context.get("currently_deployed_provider_version_number") or ""
        ),
    }


def render(template: str, params: Mapping[str, str], *, url_escape: bool = False) -> str:
    for key, value in params.items():
        template = template.replace("${" + key + "}", quote_plus(value) if url_escape else value)
    return template


@dataclass
class BuiltRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None
    username: str | None
    password: str | None


def build_request(webhook: Webhook, params: Mapping[str, str]) -> BuiltRequest:
    headers = json.loads(webhook.headers) if webhook.headers else {}
    body: str | None = None
    if webhook.body is not None:
        value = json.loads(webhook.body)
        # A JSON body is sent as JSON text; a string body (XML, form data...) as it was given.
        body = render(value if isinstance(value, str) else json.dumps(value), params)
    return BuiltRequest(
        method=webhook.method.upper(),
        url=render(webhook.url, params, url_escape=True),
        headers={k: render(v, params) for k, v in headers.items()},
        body=body,
        username=render(webhook.username, params) if webhook.username else None,
        password=render(webhook.password, params) if webhook.password else None,
    )


@dataclass
class ExecutionResult:
    success: bool
    logs: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    error: str | None


def _maybe_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, level: str, message: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.lines.append(f"[{now}] {level}: {message}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def response_hidden_message(base_url: str) -> str:
    return (
        "For security purposes, the response details are not logged. To enable response logging, "
        f"configure the webhook_host_whitelist property. See {base_url}/doc/webhooks#whitelist for more "
        "information."
    )


def execute(
    webhook: Webhook,
    context: Mapping[str, Any],
    settings: WebhookSettings,
    *,
    success_message: str | None = None,
    failure_message: str | None = None,
) -> ExecutionResult:
    """Sends the webhook's request for `context`; never raises for network errors (they are logged)."""
    params = template_parameters(context)
    built = build_request(webhook, params)
    base_url = str(context.get("base_url", ""))
    log = _Log()
    log("DEBUG", f"Webhook context {json.dumps(dict(context), default=str)}")
    auth = (built.username, built.password or "") if built.username else None
    sent_headers = {"user-agent": USER_AGENT, **built.headers}
    if built.body is not None and not any(k.lower() == "content-type" for k in sent_headers):
        sent_headers["content-type"] = (
            "application/json" if isinstance(_maybe_json(built.body), (dict, list)) else "text/plain"
        )
    shown_headers = {
        name: "[REDACTED]" if settings.redact_sensitive_data and _REDACTED_HEADERS.search(name) else value
        for name, value in sent_headers.items()
    }
    if auth:
        shown_headers["authorization"] = "[REDACTED]"
    log("INFO", f"HTTP/1.1 {built.method} {built.url}")
    for name, value in shown_headers.items():
        log("INFO", f"{name}: {value}")
    if built.body is not None:
        log("INFO", built.body)

    response: httpx.Response | None = None
    error: str | None = None
    try:
        with httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False) as client:
            response = client.request(
                built.method, built.url, headers=sent_headers, content=built.body, auth=auth
            )
    except (httpx.HTTPError, ValueError) as exc:  # refused, timed out, bad URL...
        error = f"{type(exc).__name__} - {exc}"

    response_body: dict[str, Any] | None = None
    if response is not None:
        if settings.show_response:
            log("INFO", f"HTTP/1.1 {response.status_code} {response.reason_phrase}")
            for name, value in response.headers.items():
                log("INFO", f"{name}: {value}")
            if response.text:
                log("INFO", response.text)
            response_body = {
                "status": response.status_code,
                "headers": dict(response.headers.items()),
                "body": _maybe_json(response.text),
            }
        else:
            log("INFO", response_hidden_message(base_url))
    if error is not None:
        if settings.show_response:
            log("ERROR", f"Error executing webhook {webhook.uuid} {error}")
        else:
            log("ERROR", f"Error executing webhook {webhook.uuid}. {response_hidden_message(base_url)}")
    success = response is not None and response.status_code in settings.http_success_codes
    if success and success_message:
        log("INFO", success_message)
    if not success and failure_message:
        log("INFO", failure_message)
    logs = log.text()
    if settings.redact_sensitive_data and built.password:
        logs = logs.replace(built.password, "********")
    return ExecutionResult(
        success=success,
        logs=logs,
        request={
            "headers": shown_headers,
            "body": _maybe_json(built.body),
            "url": built.url,
        },
        response=response_body,
        error=error if settings.show_response else None,
    )
