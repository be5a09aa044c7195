"""Rules for pacticipants: creation, updates, and main-branch auto-detection."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.db.models import Pacticipant, utcnow
from broker.errors import NotFound, ValidationFailed
from broker.pacticipants import repository

# The reference's `main_branch_candidates`: the first of these a pacticipant uses becomes its main branch.
MAIN_BRANCH_CANDIDATES = ("develop", "main", "master")
# Wire name -> column, for create/update bodies.
_FIELDS = {"displayName": "display_name", "mainBranch": "main_branch", "repositoryUrl": "repository_url"}


def get(session: Session, name: str) -> Pacticipant:
    pacticipant = repository.find_by_name(session, name)
    if pacticipant is None:
        raise NotFound(f"No pacticipant with name '{name}' found")
    return pacticipant


def find_or_create(session: Session, name: str) -> Pacticipant:
    return repository.find_or_create(session, name)[0]


def validate(body: dict[str, Any], *, name_required: bool) -> dict[str, str | None]:
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if name_required and (not isinstance(name, str) or not name.strip()):
        errors["name"] = ["is required and must be a non-blank string"]
    values: dict[str, str | None] = {}
    for wire, column in _FIELDS.items():
        if wire not in body:
            continue
        value = body[wire]
        if value is not None and not isinstance(value, str):
            errors[wire] = ["must be a string"]
            continue
        if (
            wire == "mainBranch"
            and value is not None
            and (not value.strip() or any(c.isspace() for c in value))
        ):
            errors[wire] = ["cannot contain spaces or be blank"]
            continue
        values[column] = value
    if errors:
        raise ValidationFailed(errors)
    return values


def create(session: Session, body: dict[str, Any]) -> tuple[Pacticipant, bool]:
    """POST /pacticipants: creates, or (like the reference) updates the given fields of an existing one."""
    values = validate(body, name_required=True)
    pacticipant, created = repository.find_or_create(session, str(body["name"]).strip())
    _apply(pacticipant, values, replace=False)
    return pacticipant, created


def update(session: Session, name: str, body: dict[str, Any], *, replace: bool) -> tuple[Pacticipant, bool]:
    """PUT (replace) or PATCH (merge) /pacticipants/{name}; creates it if missing."""
    if "name" in body and body["name"] != name:
        raise ValidationFailed.one("name", f"does not match the name in the URL ({name!r})")
    values = validate(body, name_required=False)
    pacticipant, created = repository.find_or_create(session, name)
    _apply(pacticipant, values, replace=replace)
    return pacticipant, created


def _apply(pacticipant: Pacticipant, values: dict[str, str | None], *, replace: bool) -> None:
    for column in _FIELDS.values():
        if column in values:
            setattr(pacticipant, column, values[column])
        elif replace:
            setattr(pacticipant, column, None)
    pacticipant.updated_at = utcnow()


def maybe_set_main_branch(pacticipant: Pacticipant, branch_or_tag: str) -> None:
    """The reference's auto_detect_main_branch: the first develop/main/master seen becomes the main branch."""
    if pacticipant.main_branch is None and branch_or_tag in MAIN_BRANCH_CANDIDATES:
        pacticipant.main_branch = branch_or_tag
        pacticipant.updated_at = utcnow()
