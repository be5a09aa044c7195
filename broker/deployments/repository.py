"""SQL for deployed and released versions and the currently-deployed pointer."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.orm import Session, attributes

from broker.db.direct import Direct
from broker.db.engine import is_postgres
from broker.db.models import (
    CurrentlyDeployedVersionId,
    DeployedVersion,
    Environment,
    Pacticipant,
    ReleasedVersion,
    Version,
    utcnow,
)
from broker.db.sql import Entities, attach_written, columns_of, entities, insert_ignore

DeployedRow = tuple[DeployedVersion, Version, Pacticipant, Environment]
ReleasedRow = tuple[ReleasedVersion, Version, Pacticipant, Environment]


def lock_application_instance(session: Session, pacticipant_id: int, environment_id: int) -> None:
    """Serialise deployments of one application in one environment until the transaction ends.

    Without it, two concurrent deployments on PostgreSQL could each undeploy the previous version and both
    stay "currently deployed". SQLite writers are already serialised (BEGIN IMMEDIATE).
    """
    if is_postgres(session):
        _LOCK.run(session, {"a": pacticipant_id, "b": environment_id})


# Recording a deployment runs direct statements (`broker.db.direct`): CI records one per deploy step.
_LOCK = Direct(text("SELECT pg_advisory_xact_lock(:a, :b)"))
_Current = CurrentlyDeployedVersionId
_CURRENT = Direct(
    columns_of(DeployedVersion)
    .join(_Current, _Current.deployed_version_id == DeployedVersion.id)
    .where(
        _Current.pacticipant_id == bindparam("pacticipant_id"),
        _Current.environment_id == bindparam("environment_id"),
        _Current.target_for_index == bindparam("target"),
    )
)


def current_deployment(
    session: Session, pacticipant_id: int, environment_id: int, target: str
) -> DeployedVersion | None:
    """The deployment currently recorded for the application instance (`target`, '' for none)."""
    params = {"pacticipant_id": pacticipant_id, "environment_id": environment_id, "target": target}
    found = entities(session, DeployedVersion, _CURRENT.rows(session, params))
    return found[0] if found else None


_deployed = DeployedVersion.__table__.c
_UNDEPLOY = Direct(
    update(cast(Table, DeployedVersion.__table__))
    .where(_deployed.id == bindparam("deployed_id"))
    .values(undeployed_at=bindparam("now"), updated_at=bindparam("now"))
)


def mark_undeployed(session: Session, deployed: DeployedVersion, now: datetime) -> None:
    _UNDEPLOY.run(session, {"deployed_id": deployed.id, "now": now})
    # Keep the session's copy true to the row without a flush.
    attributes.set_committed_value(deployed, "undeployed_at", now)
    attributes.set_committed_value(deployed, "updated_at", now)


_INSERT_DEPLOYED = Direct(
    lambda dialect: dialect.insert(DeployedVersion.__table__).returning(_deployed.id),
    columns=["uuid", "version_id", "pacticipant_id", "environment_id", "target", "created_at", "updated_at"],
)


def _upsert_current(dialect: ModuleType) -> Any:
    stmt = dialect.insert(CurrentlyDeployedVersionId.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["pacticipant_id", "environment_id", "target_for_index"],
        set_={
            "deployed_version_id": stmt.excluded.deployed_version_id,
            "version_id": stmt.excluded.version_id,
        },
    )


_UPSERT_CURRENT = Direct(
    _upsert_current,
    columns=["pacticipant_id", "environment_id", "target_for_index", "deployed_version_id", "version_id"],
)


def add_deployment(session: Session, values: dict[str, Any]) -> DeployedVersion:
    """Records the deployment and makes it the current one for its application instance."""
    (inserted_id,) = _INSERT_DEPLOYED.rows(session, values)[0]
    deployed = attach_written(session, DeployedVersion, id=inserted_id, undeployed_at=None, **values)
    pointer = {
        "pacticipant_id": deployed.pacticipant_id,
        "environment_id": deployed.environment_id,
        "target_for_index": deployed.target or "",
        "deployed_version_id": deployed.id,
        "version_id": deployed.version_id,
    }
    _UPSERT_CURRENT.run(session, pointer)
    return deployed


_TARGET_PARTS = Entities(Pacticipant, Version, Environment)
_TARGET = Direct(
    select(*_TARGET_PARTS.columns)
    .select_from(Pacticipant)
    .join(Version, Version.pacticipant_id == Pacticipant.id)
    .join(Environment, Environment.uuid == bindparam("environment_uuid"))
    .where(Pacticipant.name == bindparam("name"), Version.number == bindparam("number"))
)


def version_and_environment(
    session: Session, pacticipant_name: str, number: str, environment_uuid: str
) -> tuple[Pacticipant, Version, Environment] | None:
    params = {"name": pacticipant_name, "number": number, "environment_uuid": environment_uuid}
    found = _TARGET_PARTS.objects(session, _TARGET.rows(session, params))
    return (found[0][0], found[0][1], found[0][2]) if found else None


def deployed_by_uuid(session: Session, uuid: str) -> DeployedRow | None:
    stmt = (
        select(DeployedVersion, Version, Pacticipant, Environment)
        .join(Version, Version.id == DeployedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == DeployedVersion.pacticipant_id)
        .join(Environment, Environment.id == DeployedVersion.environment_id)
        .where(DeployedVersion.uuid == uuid)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def remove_current(session: Session, deployed_version_id: int) -> None:
    session.execute(
        delete(CurrentlyDeployedVersionId).where(
            CurrentlyDeployedVersionId.deployed_version_id == deployed_version_id
        )
    )


def is_current(session: Session, deployed_version_id: int) -> bool:
    stmt = select(CurrentlyDeployedVersionId.id).where(
        CurrentlyDeployedVersionId.deployed_version_id == deployed_version_id
    )
    return session.execute(stmt).first() is not None


def currently_deployed(
    session: Session, environment_id: int, pacticipant_id: int | None = None, target: str | None = None
) -> list[DeployedRow]:
    stmt = (
        select(DeployedVersion, Version, Pacticipant, Environment)
        .join(
            CurrentlyDeployedVersionId, CurrentlyDeployedVersionId.deployed_version_id == DeployedVersion.id
        )
        .join(Version, Version.id == DeployedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == DeployedVersion.pacticipant_id)
        .join(Environment, Environment.id == DeployedVersion.environment_id)
        .where(CurrentlyDeployedVersionId.environment_id == environment_id)
        .order_by(Pacticipant.name, DeployedVersion.created_at)
    )
    if pacticipant_id is not None:
        stmt = stmt.where(CurrentlyDeployedVersionId.pacticipant_id == pacticipant_id)
    if target is not None:
        stmt = stmt.where(CurrentlyDeployedVersionId.target_for_index == target)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(stmt)]


def deployments_of_version(
    session: Session, version_id: int, environment_id: int | None = None
) -> list[DeployedRow]:
    stmt = (
        select(DeployedVersion, Version, Pacticipant, Environment)
        .join(Version, Version.id == DeployedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == DeployedVersion.pacticipant_id)
        .join(Environment, Environment.id == DeployedVersion.environment_id)
        .where(DeployedVersion.version_id == version_id)
        .order_by(DeployedVersion.created_at)
    )
    if environment_id is not None:
        stmt = stmt.where(DeployedVersion.environment_id == environment_id)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(stmt)]


# --- releases ---------------------------------------------------------------------------------------


def find_or_create_release(session: Session, version: Version, environment: Environment, uuid: str) -> bool:
    now = utcnow()
    values = {
        "uuid": uuid,
        "version_id": version.id,
        "pacticipant_id": version.pacticipant_id,
        "environment_id": environment.id,
        "created_at": now,
        "updated_at": now,
    }
    return insert_ignore(session, ReleasedVersion, values, ["version_id", "environment_id"])


def release_for(session: Session, version_id: int, environment_id: int) -> ReleasedRow | None:
    stmt = (
        select(ReleasedVersion, Version, Pacticipant, Environment)
        .join(Version, Version.id == ReleasedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == ReleasedVersion.pacticipant_id)
        .join(Environment, Environment.id == ReleasedVersion.environment_id)
        .where(ReleasedVersion.version_id == version_id, ReleasedVersion.environment_id == environment_id)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def released_by_uuid(session: Session, uuid: str) -> ReleasedRow | None:
    stmt = (
        select(ReleasedVersion, Version, Pacticipant, Environment)
        .join(Version, Version.id == ReleasedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == ReleasedVersion.pacticipant_id)
        .join(Environment, Environment.id == ReleasedVersion.environment_id)
        .where(ReleasedVersion.uuid == uuid)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def currently_supported(
    session: Session, environment_id: int, pacticipant_id: int | None = None
) -> list[ReleasedRow]:
    stmt = (
        select(ReleasedVersion, Version, Pacticipant, Environment)
        .join(Version, Version.id == ReleasedVersion.version_id)
        .join(Pacticipant, Pacticipant.id == ReleasedVersion.pacticipant_id)
        .join(Environment, Environment.id == ReleasedVersion.environment_id)
        .where(ReleasedVersion.environment_id == environment_id, ReleasedVersion.support_ended_at.is_(None))
        .order_by(Pacticipant.name, ReleasedVersion.created_at)
    )
    if pacticipant_id is not None:
        stmt = stmt.where(ReleasedVersion.pacticipant_id == pacticipant_id)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(stmt)]


def environments_of_version(session: Session, version_id: int) -> tuple[list[Environment], list[Environment]]:
    """Where the version is currently deployed, and where it is released and still supported."""
    deployed = (
        select(Environment)
        .join(CurrentlyDeployedVersionId, CurrentlyDeployedVersionId.environment_id == Environment.id)
        .where(CurrentlyDeployedVersionId.version_id == version_id)
    )
    released = (
        select(Environment)
        .join(ReleasedVersion, ReleasedVersion.environment_id == Environment.id)
        .where(ReleasedVersion.version_id == version_id, ReleasedVersion.support_ended_at.is_(None))
    )
    return (
        list(session.execute(deployed.distinct().order_by(Environment.name)).scalars()),
        list(session.execute(released.order_by(Environment.name)).scalars()),
    )
