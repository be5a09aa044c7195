"""Pacticipants, their versions, tags, branches and latest versions (reference: api/resources/pacticipant*.rb,
version*.rb, tag.rb, branch*.rb)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from broker.api import decorators
from broker.api.deps import DbSession, JsonBody, OptionalJsonBody, UrlBuilder
from broker.api.hal import HalResponse, Urls, link, timestamp
from broker.api.pagination import Page, page_from
from broker.api.routing import Router
from broker.db.models import BranchVersion, Pacticipant, Version, utcnow
from broker.deployments import repository as deployment_repo
from broker.environments import service as environments
from broker.errors import NotFound, ValidationFailed
from broker.pacticipants import repository as pacticipant_repo
from broker.pacticipants import service as pacticipants
from broker.pacts import repository as pact_repo
from broker.versions import repository as version_repo
from broker.versions import service as versions

router = Router()
PageParam = Annotated[Page, Depends(page_from)]


def hal(body: object, status_code: int = 200, location: str | None = None) -> HalResponse:
    headers = {"Location": location} if location else None
    return HalResponse(body, status_code=status_code, headers=headers)


def version_body(session: Session, urls: Urls, p: Pacticipant, v: Version) -> dict[str, object]:
    """The full version resource: a fixed handful of batched queries, whatever the number of tags/branches."""
    tags = version_repo.tags_for(session, [v.id])[v.id]
    latest_tags = version_repo.latest_tag_version_ids(session, p.id, [t.name for t in tags])
    branch_versions = version_repo.branch_versions_for(session, [v.id])[v.id]
    heads = version_repo.head_version_ids(session, [bv.branch_id for bv in branch_versions])
    deployed_to, released_to = deployment_repo.environments_of_version(session, v.id)
    return decorators.version(
        urls,
        p,
        v,
        tags=tags,
        latest_tags=latest_tags,
        branch_versions=branch_versions,
        head_version_ids=heads,
        environments=environments.list_all(session),
        pacts=pact_repo.for_consumer_version(session, v.id),
        deployed_to=deployed_to,
        released_to=released_to,
    )


# --- pacticipants -----------------------------------------------------------------------------------


@router.get("/pacticipants")
def list_pacticipants(request: Request, db: DbSession, urls: UrlBuilder, page: PageParam) -> HalResponse:
    rows, total = pacticipant_repo.page(db, page.number, page.size)
    latest = version_repo.latest_for_pacticipants(db, [p.id for p in rows])
    self_href = urls("pacticipants")
    bodies = [decorators.pacticipant(urls, p, latest.get(p.id)) for p in rows]
    links: dict[str, Any] = {
        "self": link(self_href),
        "pb:pacticipants": [link(urls.pacticipant(p.name), title=p.name, name=p.name) for p in rows],
        "pacticipants": [link(urls.pacticipant(p.name), title=p.name) for p in rows],  # deprecated
        **page.links(request, self_href, total),
    }
    # `pacticipants` (top level) is the deprecated copy the Ruby client still reads.
    body = {"_embedded": {"pacticipants": bodies}, "pacticipants": bodies, "_links": links}
    return hal({**body, "page": page.summary(total)})


@router.post("/pacticipants")
def create_pacticipant(body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p, created = pacticipants.create(db, body)
    return hal(decorators.pacticipant(urls, p), 201 if created else 200, urls.pacticipant(p.name))


@router.get("/pacticipants/{name}")
def get_pacticipant(name: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    return hal(decorators.pacticipant(urls, p, version_repo.latest(db, p.id)))


@router.put("/pacticipants/{name}")
def put_pacticipant(name: str, body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p, created = pacticipants.update(db, name, body, replace=True)
    return hal(decorators.pacticipant(urls, p), 201 if created else 200)


@router.patch("/pacticipants/{name}")
def patch_pacticipant(name: str, body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p, created = pacticipants.update(db, name, body, replace=False)
    return hal(decorators.pacticipant(urls, p), 201 if created else 200)


@router.delete("/pacticipants/{name}", status_code=204)
def delete_pacticipant(name: str, db: DbSession) -> Response:
    pacticipant_repo.delete(db, pacticipants.get(db, name))
    return Response(status_code=204)


# --- versions ---------------------------------------------------------------------------------------


@router.get("/pacticipants/{name}/versions")
def list_versions(
    request: Request, name: str, db: DbSession, urls: UrlBuilder, page: PageParam
) -> HalResponse:
    p = pacticipants.get(db, name)
    rows, total = version_repo.page(db, p.id, page.number, page.size)
    tags = version_repo.tags_for(db, [v.id for v in rows])
    self_href = urls.pacticipant(name) + "/versions"
    return hal(
        {
            "_embedded": {
                "versions": [decorators.version(urls, p, v, tags=tags[v.id]) for v in rows],
            },
            "_links": {
                "self": link(self_href, title="All application versions of " + name),
                "pb:pacticipant": link(urls.pacticipant(name), title="Pacticipant", name=name),
                "pb:versions": [
                    link(urls.version(name, v.number), title="Version", name=v.number) for v in rows
                ],
                **page.links(request, self_href, total),
            },
            "page": page.summary(total),
        }
    )


@router.get("/pacticipants/{name}/versions/{number}")
def get_version(name: str, number: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    return hal(version_body(db, urls, p, versions.get(db, p, number)))


def _write_version(
    db: Session, urls: Urls, name: str, number: str, body: dict[str, object], replace: bool
) -> HalResponse:
    build_url = body.get("buildUrl")
    if build_url is not None and not isinstance(build_url, str):
        raise ValidationFailed.one("buildUrl", "must be a string")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(
        isinstance(t, dict) and isinstance(t.get("name"), str) for t in tags
    ):
        raise ValidationFailed.one("tags", "must be a list of objects with a name")
    versions.check_name("number", number, "version number")
    p = pacticipants.find_or_create(db, name)
    v, created = version_repo.find_or_create(db, p.id, number)
    if "buildUrl" in body or replace:
        v.build_url = build_url
        v.updated_at = utcnow()
    for t in tags:
        versions.add_tag(db, p, v, t["name"])
    return hal(version_body(db, urls, p, v), 201 if created else 200)


@router.put("/pacticipants/{name}/versions/{number}")
def put_version(
    name: str, number: str, body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    return _write_version(db, urls, name, number, body, replace=True)


@router.patch("/pacticipants/{name}/versions/{number}")
def patch_version(
    name: str, number: str, body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    return _write_version(db, urls, name, number, body, replace=False)


@router.delete("/pacticipants/{name}/versions/{number}", status_code=204)
def delete_version(name: str, number: str, db: DbSession) -> Response:
    p = pacticipants.get(db, name)
    versions.delete(db, versions.get(db, p, number))
    return Response(status_code=204)


@router.get("/pacticipants/{name}/latest-version")
def latest_version(name: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    return hal(version_body(db, urls, p, versions.latest(db, p)))


@router.get("/pacticipants/{name}/latest-version/{tag}")
def latest_tagged_version(name: str, tag: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    return hal(version_body(db, urls, p, versions.latest(db, p, tag)))


# --- tags -------------------------------------------------------------------------------------------


@router.get("/pacticipants/{name}/versions/{number}/tags/{tag}")
def get_tag(name: str, number: str, tag: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    v = versions.get(db, p, number)
    t = version_repo.find_tag(db, v.id, tag)
    if t is None:
        raise NotFound(f"No tag '{tag}' on version {number} of {name}")
    return hal(decorators.tag(urls, name, number, t))


@router.put("/pacticipants/{name}/versions/{number}/tags/{tag}")
def put_tag(
    name: str, number: str, tag: str, _body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    versions.check_name("version", number, "version number")
    versions.check_name("tag", tag, "tag name")
    p = pacticipants.find_or_create(db, name)
    v, _ = versions.find_or_create(db, p, number)
    created = versions.add_tag(db, p, v, tag)
    t = version_repo.find_tag(db, v.id, tag)
    assert t is not None
    href = urls.tag(name, number, tag)
    return hal(decorators.tag(urls, name, number, t), 201 if created else 200, href if created else None)


@router.delete("/pacticipants/{name}/versions/{number}/tags/{tag}", status_code=204)
def delete_tag(name: str, number: str, tag: str, db: DbSession) -> Response:
    p = pacticipants.get(db, name)
    v = versions.get(db, p, number)
    t = version_repo.find_tag(db, v.id, tag)
    if t is None:
        raise NotFound(f"No tag '{tag}' on version {number} of {name}")
    version_repo.delete_tag(db, t)
    return Response(status_code=204)


# --- branches ---------------------------------------------------------------------------------------


def _branch_json(urls: Urls, name: str, branch_name: str, created_at: datetime) -> dict[str, object]:
    base = urls.branch(name, branch_name)
    return {
        "name": branch_name,
        "createdAt": timestamp(created_at),
        "_links": {
            "self": link(base, title="Branch", name=branch_name),
            "pb:latest-version": link(base + "/latest-version", title="Latest version for branch"),
            "pb:versions": link(base + "/versions", title="Versions on branch"),
            "pb:pacticipant": link(urls.pacticipant(name), title="Pacticipant", name=name),
        },
    }


@router.get("/pacticipants/{name}/branches")
def list_branches(
    request: Request, name: str, db: DbSession, urls: UrlBuilder, page: PageParam
) -> HalResponse:
    p = pacticipants.get(db, name)
    rows, total = version_repo.branches_page(db, p.id, page.number, page.size)
    self_href = urls.pacticipant(name) + "/branches"
    return hal(
        {
            "_embedded": {"branches": [_branch_json(urls, name, b.name, b.created_at) for b in rows]},
            "_links": {"self": link(self_href), **page.links(request, self_href, total)},
            "page": page.summary(total),
        }
    )


@router.get("/pacticipants/{name}/branches/{branch}")
def get_branch(name: str, branch: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    b = versions.get_branch(db, p, branch)
    return hal(_branch_json(urls, name, b.name, b.created_at))


@router.delete("/pacticipants/{name}/branches/{branch}", status_code=204)
def delete_branch(name: str, branch: str, db: DbSession) -> Response:
    """Deletes the branch (and its membership/head rows); the versions stay."""
    p = pacticipants.get(db, name)
    db.delete(versions.get_branch(db, p, branch))
    return Response(status_code=204)


@router.get("/pacticipants/{name}/branches/{branch}/versions")
def list_branch_versions(
    name: str, branch: str, db: DbSession, urls: UrlBuilder, page: PageParam
) -> HalResponse:
    p = pacticipants.get(db, name)
    b = versions.get_branch(db, p, branch)
    rows = version_repo.branch_versions_page(db, b.id, page.number, page.size)
    return hal(
        {
            "_embedded": {"versions": [decorators.version_summary(urls, name, v) for v in rows]},
            "_links": {"self": link(urls.branch(name, branch) + "/versions")},
        }
    )


@router.get("/pacticipants/{name}/branches/{branch}/latest-version")
def latest_branch_version(name: str, branch: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    return hal(version_body(db, urls, p, versions.latest_on_branch(db, p, branch)))


def _branch_version_response(
    urls: Urls, name: str, number: str, bv: BranchVersion, status: int, location: str | None
) -> HalResponse:
    return hal(decorators.branch_version(urls, name, number, bv, None), status, location)


@router.get("/pacticipants/{name}/branches/{branch}/versions/{number}")
def get_branch_version(name: str, branch: str, number: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    p = pacticipants.get(db, name)
    b = versions.get_branch(db, p, branch)
    v = versions.get(db, p, number)
    bv = version_repo.find_branch_version(db, b.id, v.id)
    if bv is None:
        raise NotFound(f"Version {number} of {name} is not on branch '{branch}'")
    return _branch_version_response(urls, name, number, bv, 200, None)


@router.put("/pacticipants/{name}/branches/{branch}/versions/{number}")
def put_branch_version(
    name: str, branch: str, number: str, _body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    versions.check_name("version", number, "version number")
    versions.check_name("branch", branch, "branch name")
    p = pacticipants.find_or_create(db, name)
    v, _ = versions.find_or_create(db, p, number)
    bv, created = versions.add_to_branch(db, p, v, branch)
    href = urls.branch_version(name, branch, number)
    return _branch_version_response(
        urls, name, number, bv, 201 if created else 200, href if created else None
    )
