"""Environments, deployments and releases (reference: api/resources/environment*.rb, deployed_version*.rb,
released_version*.rb, currently_deployed_versions_for_environment.rb)."""

from __future__ import annotations

from fastapi import Request, Response

from broker.api import decorators
from broker.api.deps import DbSession, JsonBody, OptionalJsonBody, UrlBuilder, commit_now
from broker.api.hal import HalResponse, link
from broker.api.routing import Router
from broker.db.engine import reads_before_write_lock
from broker.deployments import repository as deployment_repo
from broker.deployments import service as deployments
from broker.environments import service as environments
from broker.pacticipants import service as pacticipants
from broker.versions import service as versions

router = Router()


# --- environments -----------------------------------------------------------------------------------


@router.get("/environments")
def list_environments(request: Request, db: DbSession, urls: UrlBuilder) -> HalResponse:
    rows = environments.list_all(db, request.query_params.get("name"))
    return HalResponse(
        {
            "_embedded": {"environments": [decorators.environment(urls, e) for e in rows]},
            "_links": {
                "self": link(urls("environments"), title="Environments"),
                "pb:environments": [
                    link(urls.environment(e.uuid), title="Environment", name=e.name) for e in rows
                ],
            },
        }
    )


@router.post("/environments")
def create_environment(body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    e = environments.create(db, body)
    return HalResponse(
        decorators.environment(urls, e), status_code=201, headers={"Location": urls.environment(e.uuid)}
    )


@router.get("/environments/{uuid}")
def get_environment(uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(decorators.environment(urls, environments.get(db, uuid)))


@router.put("/environments/{uuid}")
def put_environment(uuid: str, body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    e, created = environments.replace(db, uuid, body)
    return HalResponse(decorators.environment(urls, e), status_code=201 if created else 200)


@router.delete("/environments/{uuid}", status_code=204)
def delete_environment(uuid: str, db: DbSession) -> Response:
    environments.delete(db, uuid)
    return Response(status_code=204)


# --- deployments ------------------------------------------------------------------------------------


@router.post("/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}")
def record_deployment(
    pacticipant: str, version: str, uuid: str, body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    """Deploys the version; the one previously deployed to the same application instance is undeployed."""
    instance = deployments.application_instance(body)
    with reads_before_write_lock(db):  # the version and environment named exist or not, whoever writes
        _p, v, environment = deployments.find_target(db, pacticipant, version, uuid)
    (d, dv, dp, de), created = deployments.record_deployment(db, v, environment, instance)
    commit_now(db)
    out = decorators.deployed_version(urls, d, dv, dp, de)
    return HalResponse(
        out, status_code=201 if created else 200, headers={"Location": urls.deployed_version(d.uuid)}
    )


@router.get("/pacticipants/{pacticipant}/versions/{version}/deployed-versions/environment/{uuid}")
def deployments_of_version(
    pacticipant: str, version: str, uuid: str, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    environment = environments.get(db, uuid)
    p = pacticipants.get(db, pacticipant)
    v = versions.get(db, p, version)
    rows = deployment_repo.deployments_of_version(db, v.id, environment.id)
    return HalResponse(
        {
            "_embedded": {"deployedVersions": [decorators.deployed_version(urls, *r) for r in rows]},
            "_links": {
                "self": link(urls.version(pacticipant, version) + f"/deployed-versions/environment/{uuid}")
            },
        }
    )


@router.get("/deployed-versions/{uuid}")
def get_deployed_version(uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(decorators.deployed_version(urls, *deployments.get_deployed(db, uuid)))


@router.patch("/deployed-versions/{uuid}")
def patch_deployed_version(uuid: str, body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    """`{"currentlyDeployed": false}` records the undeployment; setting it back to true is a 422."""
    row = deployments.get_deployed(db, uuid)
    if "currentlyDeployed" in body:
        row = deployments.set_currently_deployed(db, uuid, body["currentlyDeployed"])
    return HalResponse(decorators.deployed_version(urls, *row))


@router.get("/environments/{uuid}/deployed-versions/currently-deployed")
def currently_deployed(request: Request, uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    environment = environments.get(db, uuid)
    name = request.query_params.get("pacticipant")
    instance = request.query_params.get("applicationInstance", request.query_params.get("target"))
    pacticipant = pacticipants.get(db, name) if name else None
    rows = deployment_repo.currently_deployed(
        db, environment.id, pacticipant.id if pacticipant else None, instance
    )
    return HalResponse(
        {
            "_embedded": {"deployedVersions": [decorators.deployed_version(urls, *r) for r in rows]},
            "_links": {
                "self": link(
                    urls.environment(uuid) + "/deployed-versions/currently-deployed",
                    title=f"Currently deployed versions for {environment.name}",
                )
            },
        }
    )


# --- releases ---------------------------------------------------------------------------------------


@router.post("/pacticipants/{pacticipant}/versions/{version}/released-versions/environment/{uuid}")
def record_release(
    pacticipant: str, version: str, uuid: str, _body: OptionalJsonBody, db: DbSession, urls: UrlBuilder
) -> HalResponse:
    _p, v, environment = deployments.find_target(db, pacticipant, version, uuid)
    (r, rv, rp, re_), created = deployments.record_release(db, v, environment)
    out = decorators.released_version(urls, r, rv, rp, re_)
    return HalResponse(
        out, status_code=201 if created else 200, headers={"Location": urls.released_version(r.uuid)}
    )


@router.get("/released-versions/{uuid}")
def get_released_version(uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    return HalResponse(decorators.released_version(urls, *deployments.get_released(db, uuid)))


@router.patch("/released-versions/{uuid}")
def patch_released_version(uuid: str, body: JsonBody, db: DbSession, urls: UrlBuilder) -> HalResponse:
    """`{"currentlySupported": false}` records the end of support; reversing it is a 422."""
    row = deployments.get_released(db, uuid)
    if "currentlySupported" in body:
        row = deployments.set_currently_supported(db, uuid, body["currentlySupported"])
    return HalResponse(decorators.released_version(urls, *row))


@router.get("/environments/{uuid}/released-versions/currently-supported")
def currently_supported(request: Request, uuid: str, db: DbSession, urls: UrlBuilder) -> HalResponse:
    environment = environments.get(db, uuid)
    name = request.query_params.get("pacticipant")
    pacticipant = pacticipants.get(db, name) if name else None
    rows = deployment_repo.currently_supported(db, environment.id, pacticipant.id if pacticipant else None)
    return HalResponse(
        {
            "_embedded": {"releasedVersions": [decorators.released_version(urls, *r) for r in rows]},
            "_links": {
                "self": link(
                    urls.environment(uuid) + "/released-versions/currently-supported",
                    title=f"Released versions currently supported in {environment.name}",
                )
            },
        }
    )
