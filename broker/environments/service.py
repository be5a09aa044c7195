"""Rules and SQL for environments (small enough to keep together)."""

from __future__ import annotations

import json
import uuid as uuid_lib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Environment, utcnow
from broker.errors import NotFound, ValidationFailed


def validate(body: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["is required: a non-blank string"]
    elif any(c.isspace() for c in name):
        errors["name"] = ["cannot contain spaces"]
    if not isinstance(body.get("production"), bool):
        errors["production"] = ["is required and must be true or false"]
    display_name = body.get("displayName")
    if display_name is not None and not isinstance(display_name, str):
        errors["displayName"] = ["must be a string"]
    contacts = body.get("contacts")
    if contacts is not None and (
        not isinstance(contacts, list) or not all(isinstance(c, dict) and c.get("name") for c in contacts)
    ):
        errors["contacts"] = ["must be a list of objects, each with a name"]
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "display_name": display_name,
        "production": body["production"],
        "contacts": json.dumps(contacts) if contacts is not None else None,
    }


def find_by_name(session: Session, name: str) -> Environment | None:
    return session.execute(select(Environment).where(Environment.name == name)).scalar_one_or_none()


def get(session: Session, uuid: str) -> Environment:
    environment = session.execute(select(Environment).where(Environment.uuid == uuid)).scalar_one_or_none()
    if environment is None:
        raise NotFound(f"No environment with uuid '{uuid}' found")
    return environment


def get_by_name(session: Session, name: str) -> Environment:
    environment = find_by_name(session, name)
    if environment is None:
        raise NotFound(f"No environment with name '{name}' found")
    return environment


def list_all(session: Session, name: str | None = None) -> list[Environment]:
    stmt = select(Environment).order_by(Environment.name)
    if name is not None:
        stmt = stmt.where(Environment.name == name)
    return list(session.execute(stmt).scalars())


def create(session: Session, body: dict[str, Any], uuid: str | None = None) -> Environment:
    values = validate(body)
    if find_by_name(session, values["name"]) is not None:
        raise ValidationFailed.one(
            "name", f"Another environment with name '{values['name']}' already exists."
        )
    now = utcnow()
    environment = Environment(uuid=uuid or str(uuid_lib.uuid4()), created_at=now, updated_at=now, **values)
    session.add(environment)
    session.flush()
    return environment


def replace(session: Session, uuid: str, body: dict[str, Any]) -> tuple[Environment, bool]:
    """PUT /environments/{uuid}: replaces the fields; creates the environment with that uuid when missing."""
    values = validate(body)
    clash = find_by_name(session, values["name"])
    existing = session.execute(select(Environment).where(Environment.uuid == uuid)).scalar_one_or_none()
    if clash is not None and (existing is None or clash.id != existing.id):
        raise ValidationFailed.one(
            "name", f"Another environment with name '{values['name']}' already exists."
        )
    if existing is None:
        return create(session, body, uuid=uuid), True
    for key, value in values.items():
        setattr(existing, key, value)
    existing.updated_at = utcnow()
    return existing, False


def delete(session: Session, uuid: str) -> None:
    session.delete(get(session, uuid))


def contacts(environment: Environment) -> list[Any] | None:
    return json.loads(environment.contacts) if environment.contacts else None
