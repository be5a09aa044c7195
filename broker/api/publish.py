"""`POST /contracts/publish` (reference: api/resources/publish_contracts.rb + its results decorator)."""

from __future__ import annotations

from typing import Any

from broker.api.decorators import pact_title
from broker.api.deps import DbSession, JsonBody, Settings, UrlBuilder, commit_now
from broker.api.hal import HalResponse, Urls, link
from broker.api.routing import Router
from broker.api.webhooks import Settings as WebhookSettings
from broker.publishing import service as publishing
from broker.publishing.service import PublishResult
from broker.webhooks.service import Triggered

router = Router()


def _notices(urls: Urls, result: PublishResult) -> list[dict[str, str]]:
    req = result.request
    consumer, number = result.consumer.name, result.version.number
    parts = []
    if req.branch:
        parts.append(f"branch {req.branch}")
    if req.tags:
        parts.append(f"tags {', '.join(req.tags)}")
    verb = "Created" if result.version_created else "Updated"
    notices = [
        {
            "type": "debug",
            "text": f"{verb} {consumer} version {number}" + (" with " + " and ".join(parts) if parts else ""),
        }
    ]
    for outcome, triggered in zip(result.outcomes, result.triggered, strict=True):
        provider = outcome.row.provider.name
        if outcome.created:
            notices.append(
                {
                    "type": "success",
                    "text": f"Pact successfully published for {consumer} version {number} "
                    f"and provider {provider}.",
                }
            )
        else:
            notices.append(
                {
                    "type": "success",
                    "text": f"Pact successfully republished for {consumer} version {number} "
                    f"and provider {provider} with no content changes.",
                }
            )
        notices.append(
            {"type": "debug", "text": f"  View the published pact at {urls.pact(provider, consumer, number)}"}
        )
        events = ["contract_published"]
        if outcome.created and outcome.content_changed:
            events.append("contract_content_changed")
        elif not outcome.created:
            events.append("contract_content_unchanged")
        notices.append({"type": "debug", "text": "  Events detected: " + ", ".join(events)})
        notices.extend(triggered_notices(urls, triggered))
        if not triggered:
            # Reference next_steps_notices: the prompt names the provider whose build should be triggered.
            notices.append({"type": "prompt", "text": "  Next steps:"})
            notices.append(
                {
                    "type": "prompt",
                    "text": f"    * Configure separate {provider} pact verification build and webhook to "
                    "trigger it when the pact content changes. See https://docs.pact.io/go/webhooks",
                }
            )
    if not req.branch:
        notices.append(
            {
                "type": "warning",
                "text": "No branch was specified; the version cannot be selected by branch. "
                "Publish with --branch.",
            }
        )
    return notices


def triggered_notices(urls: Urls, triggered: list[Triggered]) -> list[dict[str, str]]:
    """One notice per triggered webhook, with where to read its logs (reference: contracts/service.rb
    triggered_webhook_notices and the texts of locale/en.yml)."""
    if not triggered:
        return [{"type": "debug", "text": "  No enabled webhooks found for the detected events"}]
    return [
        {
            "type": "debug",
            "text": f"  Webhook {_quoted(t.webhook_description) if t.webhook_description else t.webhook_uuid}"
            f" triggered for event {t.event_name}.\n"
            f"    View logs at {urls('triggered-webhooks', t.uuid, 'logs')}",
        }
        for t in triggered
    ]


def _quoted(text: str) -> str:
    # The reference shows the description as Ruby's String#inspect does: in double quotes.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def results_body(urls: Urls, result: PublishResult) -> dict[str, Any]:
    consumer, number = result.consumer.name, result.version.number
    notices = _notices(urls, result)
    level = {"success": "info", "prompt": "info"}
    return {
        "notices": notices,
        "logs": [
            {
                "level": level.get(n["type"], n["type"]),
                "message": n["text"],
                "deprecationWarning": "Replaced by notices",
            }
            for n in notices
        ],
        "_embedded": {
            "pacticipant": {"name": consumer, "_links": {"self": link(urls.pacticipant(consumer))}},
            "version": {
                "number": number,
                "_links": {"self": link(urls.version(consumer, number), title="Version", name=number)},
            },
        },
        "_links": {
            "pb:pacticipant": link(urls.pacticipant(consumer), title="Pacticipant", name=consumer),
            "pb:pacticipant-version": link(
                urls.version(consumer, number), title="Pacticipant version", name=number
            ),
            "pb:pacticipant-version-tags": [
                link(urls.tag(consumer, number, t), title="Tag", name=t) for t in result.request.tags
            ],
            "pb:contracts": [
                link(urls.pact(o.row.provider.name, consumer, number), title="Pact", name=pact_title(o.row))
                for o in result.outcomes
            ],
        },
    }


@router.post("/contracts/publish")
def publish_contracts(
    body: JsonBody, db: DbSession, settings: Settings, webhook_settings: WebhookSettings, urls: UrlBuilder
) -> HalResponse:
    request = publishing.parse(body)
    result = publishing.publish(
        db,
        request,
        allow_modification=settings.allow_dangerous_contract_modification,
        base_url=urls.base,
        webhook_settings=webhook_settings,
    )
    commit_now(db)
    return HalResponse(results_body(urls, result))
