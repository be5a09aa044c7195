"""`GET /` (the HAL index every client starts from) and the heartbeat."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from broker.api.deps import UrlBuilder
from broker.api.hal import HalResponse, link
from broker.api.integrations import router as integrations_router
from broker.api.routing import Router

router = Router()
# The broker-wide resources the index links to (pb:integrations, pb:metrics) ride along with it.
router.include_router(integrations_router)

_PP = "/pacts/provider/{provider}"
_PPC = "/pacts/provider/{provider}/consumer/{consumer}"

# (relation, path template, title) as in the reference's api/resources/index.rb
INDEX_RELATIONS: list[tuple[str, str, str]] = [
    ("pb:publish-pact", _PPC + "/version/{consumerApplicationVersion}", "Publish a pact"),
    ("pb:publish-contracts", "/contracts/publish", "Publish contracts"),
    ("pb:latest-pact-versions", "/pacts/latest", "Latest pact versions"),
    (
        "pb:tagged-pact-versions",
        _PPC + "/tag/{tag}",
        "All versions of a pact for a given consumer, provider and tag",
    ),
    ("pb:branch-pact-versions", _PPC + "/branch/{branch}", "All versions of a pact for a consumer branch"),
    ("pb:latest-branch-pact-versions", _PPC + "/branch/{branch}/latest/versions", "Latest pact of a branch"),
    ("pb:main-branch-pact-versions", _PPC + "/branch/versions", "All pacts of the consumer's main branch"),
    ("pb:latest-main-branch-pact-versions", _PPC + "/branch/latest/versions", "Latest main branch pact"),
    ("pb:provider-pacts-with-main-branch", _PP + "/branch", "Pacts of the consumers' main branches"),
    ("pb:provider-pacts-with-branch", _PP + "/branch/{branch}", "Pacts of a consumer branch"),
    ("pb:latest-provider-pacts-with-main-branch", _PP + "/branch/latest", "Latest main branch pacts"),
    ("pb:latest-provider-pacts-with-branch", _PP + "/branch/{branch}/latest", "Latest pacts of a branch"),
    ("pb:pacticipants", "/pacticipants", "Pacticipants"),
    ("pb:pacticipant", "/pacticipants/{pacticipant}", "Fetch pacticipant by name"),
    ("pb:latest-provider-pacts", _PP + "/latest", "Latest pacts by provider"),
    (
        "pb:latest-provider-pacts-with-tag",
        _PP + "/latest/{tag}",
        "Latest pacts for provider with the specified tag",
    ),
    (
        "pb:provider-pacts-with-tag",
        _PP + "/tag/{tag}",
        "All pact versions for the provider with the specified tag",
    ),
    ("pb:provider-pacts", _PP, "All pact versions for the specified provider"),
    ("pb:latest-version", "/pacticipants/{pacticipant}/latest-version", "Latest pacticipant version"),
    (
        "pb:latest-tagged-version",
        "/pacticipants/{pacticipant}/latest-version/{tag}",
        "Latest version with tag",
    ),
    ("pb:webhooks", "/webhooks", "Webhooks"),
    ("pb:webhook", "/webhooks/{uuid}", "Webhook"),
    ("pb:integrations", "/integrations", "Integrations"),
    (
        "pb:pacticipant-version-tag",
        "/pacticipants/{pacticipant}/versions/{version}/tags/{tag}",
        "Get, create or delete a tag for a pacticipant version",
    ),
    ("pb:pacticipant-branch", "/pacticipants/{pacticipant}/branches/{branch}", "Get or delete a branch"),
    (
        "pb:pacticipant-branch-version",
        "/pacticipants/{pacticipant}/branches/{branch}/versions/{version}",
        "Get or add/create a pacticipant version for a branch",
    ),
    (
        "pb:pacticipant-version",
        "/pacticipants/{pacticipant}/versions/{version}",
        "Get, create or delete a version",
    ),
    ("pb:metrics", "/metrics", "Get Pact Broker metrics"),
    (
        "pb:can-i-deploy-pacticipant-version-to-tag",
        "/can-i-deploy?pacticipant={pacticipant}&version={version}&to={tag}",
        "Determine if an application version can be safely deployed to an environment identified by tag",
    ),
    (
        "pb:can-i-deploy-pacticipant-version-to-environment",
        "/can-i-deploy?pacticipant={pacticipant}&version={version}&environment={environment}",
        "Determine if an application version can be safely deployed to an environment",
    ),
    ("pb:provider-pacts-for-verification", _PP + "/for-verification", "Pact versions to be verified"),
    ("beta:provider-pacts-for-verification", _PP + "/for-verification", "DEPRECATED - use pb:"),
    ("pb:environments", "/environments", "Environments"),
    ("pb:environment", "/environments/{uuid}", "Environment"),
]


@router.get("/", response_class=HalResponse)
def index(urls: UrlBuilder) -> HalResponse:
    links: dict[str, object] = {"self": link(urls.templated("/"), title="Index")}
    for rel, path, title in INDEX_RELATIONS:
        links[rel] = link(urls.templated(path), title=title, templated="{" in path)
    doc = {"href": urls.templated("/doc/{rel}?context=index"), "templated": True}
    links["curies"] = [{"name": "pb", **doc}, {"name": "beta", **doc}]
    return HalResponse({"_links": links})


@router.get("/diagnostic/status/heartbeat")
def heartbeat(request: Request, urls: UrlBuilder) -> JSONResponse:
    """200 when the broker can reach its database (`SELECT 1`), 503 otherwise."""
    body: dict[str, object] = {"_links": {"self": link(urls("diagnostic", "status", "heartbeat"))}}
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"; the reason goes in the body
        body.update(ok=False, error=type(exc).__name__)
        return JSONResponse(body, status_code=503)
    body["ok"] = True
    return JSONResponse(body, media_type="application/hal+json")
