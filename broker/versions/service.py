"""Rules for versions, tags and branches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from broker.db.models import Branch, BranchVersion, Pacticipant, Version, utcnow
from broker.errors import NotFound, ValidationFailed
from broker.pacticipants import service as pacticipants
from broker.versions import repository, tag_heads


def check_name(field: str, value: object, what: str = "name") -> str:
    """Version numbers, tags and branches: a non-blank single-line string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.one(field, f"is required: a non-blank {what}")
    if "\n" in value or "\r" in value:
        raise ValidationFailed.one(field, f"must be a single line ({what})")
    return value


def get(session: Session, pacticipant: Pacticipant, number: str) -> Version:
    version = repository.find(session, pacticipant.id, number)
    if version is None:
        raise NotFound(f"No version '{number}' of pacticipant '{pacticipant.name}' found")
    return version


def find(session: Session, pacticipant: Pacticipant, number: str) -> Version | None:
    check_name("pacticipantVersionNumber", number, "version number")
    return repository.find(session, pacticipant.id, number)


def find_or_create(
    session: Session, pacticipant: Pacticipant, number: str, *, build_url: str | None = None
) -> tuple[Version, bool]:
    check_name("pacticipantVersionNumber", number, "version number")
    version, created = repository.find_or_create(session, pacticipant.id, number, build_url=build_url)
    if build_url is not None and version.build_url != build_url:
        version.build_url = build_url
        version.updated_at = utcnow()
    return version, created


def has_branch_or_tags(session: Session, version_id: int) -> bool:
    return repository.has_branch_or_tags(session, version_id)


def ensure(
    session: Session,
    pacticipant: Pacticipant,
    number: str,
    *,
    branch: str | None = None,
    tags: Iterable[str] = (),
    build_url: str | None = None,
) -> Version:
    """Create-or-update a version with its branch and tags: what publishing and the builder need."""
    version, _ = find_or_create(session, pacticipant, number, build_url=build_url)
    if branch:
        add_to_branch(session, pacticipant, version, branch)
    for tag in tags:
        add_tag(session, pacticipant, version, tag)
    return version


def add_tags(session: Session, pacticipant: Pacticipant, version: Version, tags: Sequence[str]) -> None:
    """`add_tag` of each tag, in one statement."""
    for tag in tags:
        check_name("tag", tag, "tag name")
    repository.add_tags(session, version, tags)
    for tag in tags:
        pacticipants.maybe_set_main_branch(pacticipant, tag)


def add_tag(session: Session, pacticipant: Pacticipant, version: Version, tag: str) -> bool:
    check_name("tag", tag, "tag name")
    created = repository.add_tag(session, version, tag)
    pacticipants.maybe_set_main_branch(pacticipant, tag)
    return created


def add_to_branch(
    session: Session,
    pacticipant: Pacticipant,
    version: Version,
    branch_name: str,
    *,
    version_is_new: bool = False,
) -> tuple[BranchVersion, bool]:
    """`version_is_new`: the version was created in this transaction, so it has no pact yet and is on no
    branch: it joins an existing branch in one statement fewer."""
    check_name("branch", branch_name, "branch name")
    result = (
        repository.add_to_existing_branch(session, version, branch_name, version_is_new=True)
        if version_is_new
        else None
    )
    if result is None:  # a new branch, or a version that may be on it already
        branch_id = repository.find_or_create_branch(session, pacticipant.id, branch_name)
        result = repository.add_to_branch(
            session, version, branch_id, branch_name, version_is_new=version_is_new
        )
    pacticipants.maybe_set_main_branch(pacticipant, branch_name)
    return result


def get_branch(session: Session, pacticipant: Pacticipant, name: str) -> Branch:
    branch = repository.find_branch(session, pacticipant.id, name)
    if branch is None:
        raise NotFound(f"No branch '{name}' found for pacticipant '{pacticipant.name}'")
    return branch


def latest(session: Session, pacticipant: Pacticipant, tag: str | None = None) -> Version:
    version = (
        repository.latest_with_tag(session, pacticipant.id, tag)
        if tag is not None
        else repository.latest(session, pacticipant.id)
    )
    if version is None:
        suffix = f" with tag '{tag}'" if tag is not None else ""
        raise NotFound(f"No version of pacticipant '{pacticipant.name}'{suffix} found")
    return version


def latest_on_branch(session: Session, pacticipant: Pacticipant, branch: str) -> Version:
    version = repository.branch_head(session, pacticipant.id, branch)
    if version is None:
        raise NotFound(f"No version of pacticipant '{pacticipant.name}' on branch '{branch}' found")
    return version


def delete(session: Session, version: Version) -> None:
    """Deletes the version (its tags, branch memberships, pacts and results go with it, by cascade) and
    moves the heads of its branches back to the newest remaining version."""
    branch_ids = [bv.branch_id for bv in repository.branch_versions_for(session, [version.id])[version.id]]
    tag_names = [t.name for t in repository.tags_for(session, [version.id]).get(version.id, [])]
    pacticipant_id = version.pacticipant_id
    session.delete(version)
    session.flush()
    for branch_id in branch_ids:
        repository.reset_head(session, branch_id)
    tag_heads.refresh(session, pacticipant_id, tag_names)
