"""What a webhook body must be (reference: api/contracts/webhook_contract.rb and its request/pacticipant
contracts). Every broken rule is reported at once, keyed by the field's dotted path (`request.url`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from broker.errors import ValidationFailed
from broker.pacticipants import repository as pacticipants
from broker.webhooks.settings import WebhookSettings

CONTRACT_PUBLISHED = "contract_published"
CONTRACT_CONTENT_CHANGED = "contract_content_changed"
CONTRACT_REQUIRING_VERIFICATION_PUBLISHED = "contract_requiring_verification_published"
VERIFICATION_PUBLISHED = "provider_verification_published"
VERIFICATION_SUCCEEDED = "provider_verification_succeeded"
VERIFICATION_FAILED = "provider_verification_failed"
EVENT_NAMES = (
    CONTRACT_PUBLISHED,
    CONTRACT_CONTENT_CHANGED,
    VERIFICATION_PUBLISHED,
    VERIFICATION_SUCCEEDED,
    VERIFICATION_FAILED,
    CONTRACT_REQUIRING_VERIFICATION_PUBLISHED,
)
DEFAULT_EVENT = CONTRACT_CONTENT_CHANGED

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
UUID_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{16,}$")
TEMPLATE_PARAMETER = re.compile(r"\$\{pactbroker\.[^}]+\}")
WHITELIST_DOC = "See /doc/webhooks#whitelist for more information."


@dataclass(frozen=True)
class PacticipantRef:
    """A webhook's consumer or provider: one pacticipant by name, or all pacticipants with a label."""

    name: str | None = None
    label: str | None = None
    id: int | None = None


@dataclass
class WebhookSpec:
    """A validated webhook body."""

    method: str
    url: str
    description: str | None = None
    consumer: PacticipantRef | None = None
    provider: PacticipantRef | None = None
    enabled: bool = True
    events: list[str] = field(default_factory=lambda: [DEFAULT_EVENT])
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    username: str | None = None
    password: str | None = None
    password_given: bool = False


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def render_with_placeholder(value: str, placeholder: str = "placeholder") -> str:
    return TEMPLATE_PARAMETER.sub(placeholder, value)


def _check_url(url: str, settings: WebhookSettings) -> str | None:
    """The first rule `url` breaks, in the reference's order, or None."""
    try:
        parts = urlsplit(render_with_placeholder(url))
        host = parts.hostname
    except ValueError:
        return "is not a valid URL eg. http://example.org"
    if not parts.scheme or not host:
        return "is not a valid URL eg. http://example.org"
    if urlsplit(render_with_placeholder(url, "differentplaceholder")).hostname != host:
        return "cannot have a template parameter in the host"
    if parts.scheme.lower() not in {s.lower() for s in settings.scheme_whitelist}:
        return f"scheme must be {', '.join(settings.scheme_whitelist)}. {WHITELIST_DOC}"
    if settings.host_whitelist and not host_allowed(host, settings.host_whitelist):
        allowed = ", ".join(json.dumps(h) for h in settings.host_whitelist)
        return f"host must be in the whitelist {allowed}. {WHITELIST_DOC}"
    return None


def host_allowed(host: str, whitelist: list[str]) -> bool:
    """Exact host names, or `*.example.org` for any subdomain (the reference also takes regexes/CIDRs)."""
    host = host.lower()
    for allowed in (h.lower() for h in whitelist):
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return True
    return False


def _check_method(method: str, settings: WebhookSettings) -> str | None:
    if method.upper() not in HTTP_METHODS:
        return "is not a recognised HTTP method"
    if method.upper() not in {m.upper() for m in settings.http_method_whitelist}:
        allowed = settings.http_method_whitelist
        target = allowed[0] if len(allowed) == 1 else "one of " + ", ".join(allowed)
        return f"must be {target}. {WHITELIST_DOC}"
    return None


def _pacticipant(
    session: Session, role: str, value: Any, errors: dict[str, list[str]]
) -> PacticipantRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.setdefault(role, []).append("must be an object with a name or a label")
        return None
    name, label = value.get("name"), value.get("label")
    for key, given in (("name", name), ("label", label)):
        if given is not None and not isinstance(given, str):
            errors.setdefault(f"{role}.{key}", []).append("must be a string")
            return None
    if not _filled(name) and not _filled(label):
        errors.setdefault(role, []).append("cannot be blank: give a name or a label")
        return None
    if _filled(name) and _filled(label):
        errors.setdefault(f"{role}.label", []).append("name and label cannot be provided at the same time")
        return None
    if _filled(name):
        assert isinstance(name, str)
        found = pacticipants.find_by_name(session, name)
        if found is None:
            errors.setdefault(f"{role}.name", []).append(f"No pacticipant with name '{name}' found")
            return None
        return PacticipantRef(name=found.name, id=found.id)
    assert isinstance(label, str)
    return PacticipantRef(label=label)


def _events(value: Any, errors: dict[str, list[str]]) -> list[str]:
    if value is None:
        return [DEFAULT_EVENT]
    if not isinstance(value, list) or not value:
        errors.setdefault("events", []).append('must be a list of at least one {"name": ...}')
        return []
    names: list[str] = []
    for i, event in enumerate(value):
        name = event.get("name") if isinstance(event, dict) else None
        if name not in EVENT_NAMES:
            errors.setdefault(f"events[{i}].name", []).append(f"must be one of {', '.join(EVENT_NAMES)}")
        elif name not in names:
            names.append(name)
    return names


def _headers(value: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        errors.setdefault("request.headers", []).append("must be an object of header names to strings")
        return {}
    return {str(k): v for k, v in value.items()}


def validate(
    session: Session, body: dict[str, Any], settings: WebhookSettings, *, uuid: str | None = None
) -> WebhookSpec:
    """The webhook `body` describes, or ValidationFailed naming every field and the rule it breaks."""
    errors: dict[str, list[str]] = {}
    if uuid is not None and not UUID_PATTERN.match(uuid):
        errors["uuid"] = [
            "can only contain the characters A-Z, a-z, 0-9, _ and -, and must be 16 or more characters"
        ]
    request = body.get("request")
    method: Any = ""
    url: Any = ""
    headers: dict[str, str] = {}
    if not isinstance(request, dict) or not request:
        errors["request"] = ["is missing: give an object with at least method and url"]
        request = {}
    else:
        method, url = request.get("method"), request.get("url")
        if not _filled(method):
            errors["request.method"] = ["is missing"]
        elif problem := _check_method(str(method), settings):
            errors["request.method"] = [problem]
        if not _filled(url):
            errors["request.url"] = ["is missing"]
        elif problem := _check_url(str(url), settings):
            errors["request.url"] = [problem]
        headers = _headers(request.get("headers"), errors)
        for key in ("username", "password"):
            if request.get(key) is not None and not isinstance(request.get(key), str):
                errors[f"request.{key}"] = ["must be a string"]
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        errors["description"] = ["must be a string"]
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        errors["enabled"] = ["must be true or false"]
    consumer = _pacticipant(session, "consumer", body.get("consumer"), errors)
    provider = _pacticipant(session, "provider", body.get("provider"), errors)
    events = _events(body.get("events"), errors)
    if errors:
        raise ValidationFailed(errors)
    return WebhookSpec(
        method=str(method).upper(),
        url=str(url),
        description=description,
        consumer=consumer,
        provider=provider,
        enabled=bool(enabled),
        events=events,
        headers=headers,
        body=request.get("body"),
        has_body="body" in request,
        username=request.get("username"),
        password=request.get("password"),
        password_given="password" in request,
    )
