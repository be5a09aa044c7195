"""Rules for recording deployments and releases (reference: deployments/*_service.rb)."""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

from sqlalchemy.orm import Session

from broker.answer_cache import generations
from broker.db.models import Environment, Pacticipant, Version, utcnow
from broker.deployments import repository
from broker.deployments.repository import DeployedRow, ReleasedRow
from broker.environments import service as environments
from broker.errors import NotFound, Unprocessable, ValidationFailed
from broker.pacticipants import service as pacticipants
from broker.versions import service as versions


def application_instance(body: dict[str, Any]) -> str | None:
    value = body.get("applicationInstance", body.get("target"))
    if value is not None and not isinstance(value, str):
        raise ValidationFailed.one("applicationInstance", "must be a string")
    return value or None


def record_deployment(
    session: Session, version: Version, environment: Environment, instance: str | None
) -> tuple[DeployedRow, bool]:
    """Deploys `version`; the previous version of the same application instance is marked undeployed.
    Deploying the version that is already current there returns the existing record."""
    repository.lock_application_instance(session, version.pacticipant_id, environment.id)
    generations.changes(session, version.pacticipant_id, generations.deployed(version.pacticipant_id))
    # The caller has loaded the pacticipant of the version: no query.
    pacticipant = session.get(Pacticipant, version.pacticipant_id)
    assert pacticipant is not None
    current = repository.current_deployment(session, version.pacticipant_id, environment.id, instance or "")
    if current is not None and current.version_id == version.id:
        return (current, version, pacticipant, environment), False
    now = utcnow()
    if current is not None:
        repository.mark_undeployed(session, current, now)
    deployed = repository.add_deployment(
        session,
        {
            "uuid": str(uuid_lib.uuid4()),
            "version_id": version.id,
            "pacticipant_id": version.pacticipant_id,
            "environment_id": environment.id,
            "target": instance,
            "created_at": now,
            "updated_at": now,
        },
    )
    return (deployed, version, pacticipant, environment), True


def find_target(
    session: Session, pacticipant_name: str, number: str, environment_uuid: str
) -> tuple[Pacticipant, Version, Environment]:
    """The version and environment of a deployment or release URL, in one query when both exist."""
    found = repository.version_and_environment(session, pacticipant_name, number, environment_uuid)
    if found is not None:
        return found
    # Something is missing: look in the URL's order, so the 404 names the first missing thing.
    environment = environments.get(session, environment_uuid)
    pacticipant = pacticipants.get(session, pacticipant_name)
    return pacticipant, versions.get(session, pacticipant, number), environment


def get_deployed(session: Session, uuid: str) -> DeployedRow:
    found = repository.deployed_by_uuid(session, uuid)
    if found is None:
        raise NotFound(f"No deployed version with uuid '{uuid}' found")
    return found


def set_currently_deployed(session: Session, uuid: str, currently_deployed: Any) -> DeployedRow:
    row = get_deployed(session, uuid)
    deployed = row[0]
    if not isinstance(currently_deployed, bool):
        raise ValidationFailed.one("currentlyDeployed", "must be true or false")
    if currently_deployed:
        if deployed.undeployed_at is not None:
            raise Unprocessable("A deployed version cannot be marked as currently deployed once undeployed")
        return row
    if deployed.undeployed_at is None:
        now = utcnow()
        deployed.undeployed_at = now
        deployed.updated_at = now
        repository.remove_current(session, deployed.id)
    return row


def record_release(session: Session, version: Version, environment: Environment) -> tuple[ReleasedRow, bool]:
    created = repository.find_or_create_release(session, version, environment, str(uuid_lib.uuid4()))
    row = repository.release_for(session, version.id, environment.id)
    assert row is not None
    if not created and row[0].support_ended_at is not None:
        row[0].support_ended_at = None
        row[0].updated_at = utcnow()
    return row, created


def get_released(session: Session, uuid: str) -> ReleasedRow:
    found = repository.released_by_uuid(session, uuid)
    if found is None:
        raise NotFound(f"No released version with uuid '{uuid}' found")
    return found


def set_currently_supported(session: Session, uuid: str, currently_supported: Any) -> ReleasedRow:
    row = get_released(session, uuid)
    released = row[0]
    if not isinstance(currently_supported, bool):
        raise ValidationFailed.one("currentlySupported", "must be true or false")
    if currently_supported:
        if released.support_ended_at is not None:
            raise Unprocessable(
                "Support for a released version cannot be restarted; record the release again"
            )
        return row
    if released.support_ended_at is None:
        now = utcnow()
        released.support_ended_at = now
        released.updated_at = now
    return row
