"""Webhooks over HTTP (reference: api/resources/{all_webhooks,webhook,pacticipant_webhooks,webhook_execution,
triggered_webhook_logs}.rb and the webhook decorators). Bodies are shaped here; rules live in
`broker.webhooks.service`.

    POST   /webhooks                                  create (consumer/provider by name or label in the body)
    GET    /webhooks                                  list
    GET|PUT|DELETE /webhooks/{uuid}                   PUT creates (201) or replaces (200)
    POST   /webhooks/{uuid}/execute                   test: send it now and return the logs
    POST   /webhooks/execute                          the same for a webhook given in the body, not stored
    GET|POST /webhooks/provider/{p}/consumer/{c}      (also /webhooks/provider/{p}, /webhooks/consumer/{c},
                                                      /pacts/provider/{p}/consumer/{c}/webhooks)
    GET    /triggered-webhooks/{uuid}/logs            the attempts of a triggered webhook
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from broker.api.deps import DbSession, JsonBody, UrlBuilder, request_session
from broker.api.hal import HalResponse, Urls, link, timestamp, with_timestamps
from broker.api.routing import Router
from broker.db.models import Pacticipant
from broker.errors import NotFound
from broker.webhooks import repository
from broker.webhooks import service as webhooks
from broker.webhooks.execution import ExecutionResult
from broker.webhooks.models import TriggeredWebhook, Webhook
from broker.webhooks.repository import WebhookRecord
from broker.webhooks.settings import WebhookSettings
from broker.webhooks.validation import render_with_placeholder

router = Router()

Json = dict[str, Any]
SECRET = "**********"


async def get_webhook_settings(request: Request) -> WebhookSettings:
    """The app's webhook settings; read from the environment once, or set by a test on `app.state`."""
    settings: WebhookSettings | None = getattr(request.app.state, "webhook_settings", None)
    if settings is None:
        settings = request.app.state.webhook_settings = WebhookSettings()
    return settings


async def read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only transaction: a test execution must not hold the write lock while it waits on HTTP."""
    async with request_session(request, write=False, autocommit=True) as session:
        yield session


Settings = Annotated[WebhookSettings, Depends(get_webhook_settings)]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]


# --- bodies (reference: webhook_decorator.rb, webhooks_decorator.rb, webhook_execution_result_decorator.rb)


def _host(url: str) -> str:
    try:
        return urlsplit(render_with_placeholder(url)).hostname or ""
    except ValueError:
        return ""


def display_description(record: WebhookRecord) -> str:
    webhook = record.webhook
    if webhook.description and webhook.description.strip():
        return webhook.description
    return f"{webhook.method.upper()} {_host(webhook.url)}"


def scope_description(record: WebhookRecord) -> str:
    webhook = record.webhook
    consumer = record.consumer_name or (webhook.consumer_label and f"labeled '{webhook.consumer_label}'")
    provider = record.provider_name or (webhook.provider_label and f"labeled '{webhook.provider_label}'")
    if consumer and provider:
        return f"A webhook for the pact between {consumer} and {provider}"
    if provider:
        return f"A webhook for all pacts with provider {provider}"
    if consumer:
        return f"A webhook for all pacts with consumer {consumer}"
    return "A webhook for all pacts"


def _redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        name: SECRET
        if any(word in name.lower() for word in ("authorization", "token")) and "${pactbroker." not in value
        else value
        for name, value in headers.items()
    }


def webhook_body(urls: Urls, record: WebhookRecord) -> Json:
    webhook = record.webhook
    request: Json = {"method": webhook.method, "url": webhook.url}
    headers = json.loads(webhook.headers) if webhook.headers else {}
    if headers:
        request["headers"] = _redacted_headers(headers)
    if webhook.body is not None:
        request["body"] = json.loads(webhook.body)
    if webhook.username is not None:
        request["username"] = webhook.username
    if webhook.password is not None:
        request["password"] = webhook.password if "${pactbroker." in webhook.password else SECRET
    body: Json = {"uuid": webhook.uuid, "description": display_description(record)}
    if record.consumer_name or webhook.consumer_label:
        body["consumer"] = (
            {"name": record.consumer_name} if record.consumer_name else {"label": webhook.consumer_label}
        )
    if record.provider_name or webhook.provider_label:
        body["provider"] = (
            {"name": record.provider_name} if record.provider_name else {"label": webhook.provider_label}
        )
    body["enabled"] = webhook.enabled
    body["request"] = request
    body["events"] = [{"name": name} for name in record.events]
    with_timestamps(body, webhook.created_at, webhook.updated_at)
    links: Json = {
        "self": link(urls("webhooks", webhook.uuid), title=display_description(record)),
        "pb:execute": link(
            urls("webhooks", webhook.uuid, "execute"),
            title="Test the execution of the webhook with the latest matching pact or verification by "
            "sending a POST request to this URL",
        ),
    }
    if record.consumer_name:
        links["pb:consumer"] = link(urls.pacticipant(record.consumer_name), "Consumer", record.consumer_name)
    elif webhook.consumer_label:
        links["pb:consumers"] = link(
            urls("pacticipants", "label", webhook.consumer_label),
            "Consumers by label",
            webhook.consumer_label,
        )
    if record.provider_name:
        links["pb:provider"] = link(urls.pacticipant(record.provider_name), "Provider", record.provider_name)
    elif webhook.provider_label:
        links["pb:providers"] = link(
            urls("pacticipants", "label", webhook.provider_label),
            "Providers by label",
            webhook.provider_label,
        )
    if record.consumer_name and record.provider_name:
        links["pb:pact-webhooks"] = link(
            urls("webhooks", "provider", record.provider_name, "consumer", record.consumer_name),
            title=f"All webhooks for consumer {record.consumer_name} and provider {record.provider_name}",
        )
    links["pb:webhooks"] = link(urls("webhooks"), title="All webhooks")
    body["_links"] = links
    return body


def webhooks_body(urls: Urls, self_href: str, records: list[WebhookRecord]) -> Json:
    return {
        "_links": {
            "self": link(self_href, title="Webhooks"),
            "pb:create": link(self_href, title="POST to create a webhook"),
            "pb:webhooks": [
                link(
                    urls("webhooks", r.webhook.uuid), title=scope_description(r), name=display_description(r)
                )
                for r in records
            ],
            "curies": [{"name": "pb", "href": urls.templated("/doc/webhooks-{rel}"), "templated": True}],
        }
    }


def execution_body(urls: Urls, record: WebhookRecord, result: ExecutionResult, self_href: str) -> Json:
    body: Json = {"request": result.request}
    if result.response is not None:
        body["response"] = result.response
    if result.error is not None:
        body["error"] = {"message": result.error}
    body["logs"] = result.logs
    body["success"] = result.success
    body["_links"] = {
        "webhook": link(urls("webhooks", record.webhook.uuid)),
        "try-again": link(self_href, title="Execute the webhook again"),
    }
    return body


def created(urls: Urls, record: WebhookRecord) -> HalResponse:
    href = urls("webhooks", record.webhook.uuid)
    return HalResponse(webhook_body(urls, record), status_code=201, headers={"Location": href})


# --- routes ------------------------------------------------------------------------------------------


@router.get("/webhooks")
def list_webhooks(db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(webhooks_body(urls, urls("webhooks"), webhooks.list_all(db)))


@router.post("/webhooks")
def create_webhook(body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings) -> HalResponse:
    return created(urls, webhooks.create(db, body, settings=settings))


def _scoped_path(provider: str | None, consumer: str | None) -> tuple[str, ...]:
    parts: tuple[str, ...] = ("webhooks",)
    if provider is not None:
        parts += ("provider", provider)
    if consumer is not None:
        parts += ("consumer", consumer)
    return parts


def _scope(db: Session, provider: str | None, consumer: str | None) -> tuple[Pacticipant | None, ...]:
    """The pacticipants named in the URL; a missing one is a 404, as in the reference."""
    return (
        webhooks.pacticipant(db, consumer) if consumer is not None else None,
        webhooks.pacticipant(db, provider) if provider is not None else None,
    )


def _list_scoped(db: Session, urls: Urls, provider: str | None, consumer: str | None) -> HalResponse:
    c, p = _scope(db, provider, consumer)
    return HalResponse(
        webhooks_body(urls, urls(*_scoped_path(provider, consumer)), webhooks.list_for(db, c, p))
    )


def _create_scoped(
    db: Session, urls: Urls, body: Json, settings: WebhookSettings, provider: str | None, consumer: str | None
) -> HalResponse:
    c, p = _scope(db, provider, consumer)
    return created(urls, webhooks.create(db, body, consumer=c, provider=p, settings=settings))


@router.get("/webhooks/provider/{provider}/consumer/{consumer}")
def list_pact_webhooks(provider: str, consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return _list_scoped(db, urls, provider, consumer)


@router.post("/webhooks/provider/{provider}/consumer/{consumer}")
def create_pact_webhook(
    provider: str, consumer: str, body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    return _create_scoped(db, urls, body, settings, provider, consumer)


@router.get("/webhooks/provider/{provider}")
def list_provider_webhooks(provider: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return _list_scoped(db, urls, provider, None)


@router.post("/webhooks/provider/{provider}")
def create_provider_webhook(
    provider: str, body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    return _create_scoped(db, urls, body, settings, provider, None)


@router.get("/webhooks/consumer/{consumer}")
def list_consumer_webhooks(consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return _list_scoped(db, urls, None, consumer)


@router.post("/webhooks/consumer/{consumer}")
def create_consumer_webhook(
    consumer: str, body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    return _create_scoped(db, urls, body, settings, None, consumer)


@router.get("/webhooks/{uuid}")
def get_webhook(uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(webhook_body(urls, webhooks.get(db, uuid)))


@router.put("/webhooks/{uuid}")
def put_webhook(
    uuid: str, body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    record, was_created = webhooks.put(db, uuid, body, settings=settings)
    if was_created:
        return created(urls, record)
    return HalResponse(webhook_body(urls, record))


@router.delete("/webhooks/{uuid}", status_code=204)
def delete_webhook(uuid: str, db: DbSession) -> Response:
    webhooks.delete(db, uuid)
    return Response(status_code=204)


@router.post("/webhooks/execute")
def execute_unsaved_webhook(
    body: JsonBody, db: ReadSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    record, result = webhooks.test_execute_unsaved(db, body, urls.base, settings)
    out = execution_body(urls, record, result, urls("webhooks", "execute"))
    del out["_links"]["webhook"]  # nothing stored, nothing to link to
    return HalResponse(out)


@router.get("/pacts/provider/{provider}/consumer/{consumer}/webhooks")
def list_webhooks_of_pact(provider: str, consumer: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    """The pact resource's `pb:pact-webhooks`: the webhooks scoped to this consumer and provider."""
    return _list_scoped(db, urls, provider, consumer)


@router.post("/pacts/provider/{provider}/consumer/{consumer}/webhooks")
def create_webhook_for_pact(
    provider: str, consumer: str, body: JsonBody, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    return _create_scoped(db, urls, body, settings, provider, consumer)


@router.post("/webhooks/{uuid}/execute")
def execute_webhook(uuid: str, db: ReadSession, urls: UrlBuilder, settings: Settings) -> HalResponse:
    record, result = webhooks.test_execute(db, uuid, urls.base, settings)
    return HalResponse(execution_body(urls, record, result, urls("webhooks", uuid, "execute")))


def triggered_webhooks_body(
    urls: Urls, self_href: str, rows: list[tuple[TriggeredWebhook, Webhook, int]], retries: int
) -> Json:
    """Reference: triggered_webhooks_decorator.rb / triggered_webhook_decorator.rb."""
    entries = []
    for triggered, webhook, made in rows:
        name = f"{webhook.method.upper()} {_host(webhook.url)}"
        logs = link(
            urls("triggered-webhooks", triggered.uuid, "logs"), title="Webhook execution logs", name=name
        )
        entries.append(
            {
                "name": name,
                "status": triggered.status,
                "attemptsMade": made,
                "attemptsRemaining": 0
                if triggered.status in ("success", "failure")
                else max(retries + 1 - made, 0),
                "triggerType": triggered.trigger_type,
                "eventName": triggered.event_name,
                "triggeredAt": timestamp(triggered.created_at),
                "_links": {
                    "pb:logs": logs,
                    "logs": {**logs, "title": "DEPRECATED - Use pb:logs"},
                    "pb:webhook": link(urls("webhooks", triggered.webhook_uuid), title="Webhook", name=name),
                },
            }
        )
    return {"_embedded": {"triggeredWebhooks": entries}, "_links": {"self": link(self_href)}}


def _triggered(
    db: Session,
    urls: Urls,
    settings: WebhookSettings,
    provider: str,
    consumer: str,
    version: str,
    number: int | None,
) -> HalResponse:
    c, p = _scope(db, provider, consumer)
    assert c is not None and p is not None
    rows = repository.triggered_for(db, c.id, p.id, consumer_version=version, verification=number)
    pact = urls.pact(provider, consumer, version)
    return HalResponse(
        triggered_webhooks_body(urls, pact + "/triggered-webhooks", rows, len(settings.retry_schedule))
    )


@router.get("/pacts/provider/{provider}/consumer/{consumer}/version/{version}/triggered-webhooks")
def triggered_webhooks_of_pact(
    provider: str, consumer: str, version: str, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    """The pact resource's `pb:triggered-webhooks`: what its publication triggered."""
    return _triggered(db, urls, settings, provider, consumer, version, None)


@router.get(
    "/pacts/provider/{provider}/consumer/{consumer}/pact-version/{sha}/verification-results/{number}/triggered-webhooks"
)
def triggered_webhooks_of_verification(
    provider: str, consumer: str, sha: str, number: int, db: DbSession, urls: UrlBuilder, settings: Settings
) -> HalResponse:
    """The verification resource's `pb:triggered-webhooks`."""
    c, p = _scope(db, provider, consumer)
    assert c is not None and p is not None
    rows = repository.triggered_for(db, c.id, p.id, verification=number)
    self_href = urls.verification(provider, consumer, sha, number) + "/triggered-webhooks"
    return HalResponse(triggered_webhooks_body(urls, self_href, rows, len(settings.retry_schedule)))


@router.get("/triggered-webhooks/{uuid}/logs")
def triggered_webhook_logs(uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    triggered = repository.find_triggered_by_uuid(db, uuid)
    if triggered is None:
        raise NotFound(f"No triggered webhook with uuid {uuid} found")
    executions = repository.executions(db, triggered.id)
    return HalResponse(
        {
            "uuid": triggered.uuid,
            "eventName": triggered.event_name,
            "status": triggered.status,
            "attempts": len(executions),
            "logs": "".join(e.logs for e in executions),
            "_links": {
                "self": link(urls("triggered-webhooks", uuid, "logs"), title="Webhook execution logs"),
                "pb:webhook": link(urls("webhooks", triggered.webhook_uuid)),
            },
        }
    )
