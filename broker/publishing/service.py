"""Rules for publishing contracts (reference: contracts/service.rb, api/contracts/publish_contracts_*).

Everything is validated before anything is written, and the whole publication is one transaction: a
refused request (400/409) leaves the broker exactly as it was. Each published pact fires the webhook
events (`contract_published`, ...) in that transaction; the webhooks run once it commits.

`publish` serves `POST /contracts/publish`; `publish_pact` the legacy `PUT`/`PATCH /pacts/...`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from broker.answer_cache import generations
from broker.db.engine import reads_before_write_lock
from broker.db.models import Pacticipant, Version
from broker.errors import Conflict, ValidationFailed
from broker.pacticipants import repository as pacticipant_repo
from broker.pacts import content as pact_content
from broker.pacts import repository as pact_repo
from broker.pacts import service as pacts
from broker.pacts.service import PublishOutcome
from broker.versions import repository as version_repo
from broker.versions import service as versions
from broker.webhooks import service as webhooks
from broker.webhooks.service import Triggered
from broker.webhooks.settings import WebhookSettings


@dataclass(frozen=True)
class Contract:
    consumer_name: str
    provider_name: str
    pact: dict[str, Any]
    sha: str
    merge: bool = False  # onConflict=merge


@dataclass(frozen=True)
class PublishRequest:
    pacticipant_name: str
    version_number: str
    branch: str | None
    tags: list[str]
    build_url: str | None
    contracts: list[Contract]


@dataclass
class PublishResult:
    consumer: Pacticipant
    version: Version
    version_created: bool
    request: PublishRequest
    outcomes: list[PublishOutcome] = field(default_factory=list)
    # What each outcome's events triggered, in the same order as `outcomes`.
    triggered: list[list[Triggered]] = field(default_factory=list)


def _single_line(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\n" not in value and "\r" not in value


def parse(body: dict[str, Any]) -> PublishRequest:
    """Validates the request body; every broken rule is reported, each under the field it concerns."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    name = body.get("pacticipantName")
    if not _single_line(name):
        add("pacticipantName", "is required: a non-blank, single-line string")
    number = body.get("pacticipantVersionNumber")
    if not _single_line(number):
        add("pacticipantVersionNumber", "is required: a non-blank, single-line string")
    branch = body.get("branch")
    if branch is not None and not _single_line(branch):
        add("branch", "must be a non-blank, single-line string")
    tags = body.get("tags", [])
    if not isinstance(tags, list):
        add("tags", "must be a list of strings")
        tags = []
    for i, tag in enumerate(tags):
        if not _single_line(tag):
            add(f"tags.{i}", "must be a non-blank, single-line string")
    build_url = body.get("buildUrl")
    if build_url is not None and not isinstance(build_url, str):
        add("buildUrl", "must be a string")
    raw_contracts = body.get("contracts")
    contracts: list[Contract] = []
    if not isinstance(raw_contracts, list) or not raw_contracts:
        add("contracts", "is required: a non-empty list")
        raw_contracts = []
    for i, raw in enumerate(raw_contracts):
        key = f"contracts.{i}"
        if not isinstance(raw, dict):
            add(key, "must be an object")
            continue
        contract = _parse_contract(raw, key, name, add)
        if contract is not None:
            contracts.append(contract)
    if errors:
        raise ValidationFailed(errors)
    return PublishRequest(
        pacticipant_name=str(name),
        version_number=str(number),
        branch=branch,
        tags=[str(t) for t in tags],
        build_url=build_url,
        contracts=contracts,
    )


def _parse_contract(raw: dict[str, Any], key: str, pacticipant_name: Any, add: Any) -> Contract | None:
    ok = True
    consumer, provider = raw.get("consumerName"), raw.get("providerName")
    if not _single_line(consumer):
        add(f"{key}.consumerName", "is required: a non-blank string")
        ok = False
    elif isinstance(pacticipant_name, str) and consumer != pacticipant_name:
        add(f"{key}.consumerName", f"must match pacticipantName ({pacticipant_name!r}), got {consumer!r}")
        ok = False
    if not _single_line(provider):
        add(f"{key}.providerName", "is required: a non-blank string")
        ok = False
    if raw.get("specification") != "pact":
        add(f"{key}.specification", "must be 'pact'")
        ok = False
    if raw.get("contentType") != "application/json":
        add(f"{key}.contentType", "must be 'application/json'")
        ok = False
    on_conflict = raw.get("onConflict")
    if on_conflict is not None and on_conflict not in ("overwrite", "merge"):
        add(f"{key}.onConflict", "must be 'overwrite' or 'merge'")
        ok = False
    content = raw.get("content")
    pact: dict[str, Any] | None = None
    if not isinstance(content, str) or not content:
        add(f"{key}.content", "is required: the base64-encoded pact")
        ok = False
    else:
        try:
            text = base64.b64decode(content, validate=True).decode("utf-8")
        except binascii.Error:
            add(f"{key}.content", "is not valid base64 (strict encoding, RFC 4648)")
            return None
        except UnicodeDecodeError:
            add(f"{key}.content", "does not decode to UTF-8 text")
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            add(f"{key}.content", f"is not valid JSON once decoded: {exc.msg} at line {exc.lineno}")
            return None
        if not isinstance(parsed, dict):
            add(f"{key}.content", "must decode to a JSON object (the pact)")
            return None
        pact = parsed
        for role, expected in (("consumer", consumer), ("provider", provider)):
            party = pact.get(role)
            actual = party.get("name") if isinstance(party, dict) else None
            if isinstance(expected, str) and actual != expected:
                add(
                    f"{key}.content",
                    f"the {role} name in the pact ({actual!r}) does not match {role}Name ({expected!r})",
                )
                ok = False
    if not ok or pact is None:
        return None
    sha = pact_content.sha_of_text(text, pact)
    return Contract(str(consumer), str(provider), pact, sha, merge=on_conflict == "merge")


def publish(
    session: Session,
    request: PublishRequest,
    *,
    allow_modification: bool,
    base_url: str,
    webhook_settings: WebhookSettings | None = None,
) -> PublishResult:
    """`base_url` is the broker's external base URL, for the links webhooks send (`${pactbroker.pactUrl}`)."""
    names = [request.pacticipant_name, *(contract.provider_name for contract in request.contracts)]
    with reads_before_write_lock(session):  # a pacticipant that exists stays what it is
        existing = pacticipant_repo.find_by_names(session, names)
    by_name = pacticipant_repo.find_or_create_all(session, names, found=existing)
    consumer = by_name[request.pacticipant_name]
    version, created = version_repo.find_or_create(
        session, consumer.id, request.version_number, build_url=request.build_url, likely_new=True
    )
    if request.build_url is not None and version.build_url != request.build_url:
        version.build_url = request.build_url
    if request.branch:
        versions.add_to_branch(session, consumer, version, request.branch, version_is_new=created)
    versions.add_tags(session, consumer, version, request.tags)
    result = PublishResult(consumer, version, created, request)
    conflicts: list[Conflict] = []
    for contract in request.contracts:
        try:
            outcome = pacts.publish(
                session,
                consumer,
                by_name[contract.provider_name],
                version,
                contract.pact,
                allow_modification=allow_modification,
                sha=contract.sha,
                merge=contract.merge,
                version_created=created,
            )
        except Conflict as conflict:
            conflicts.append(conflict)
            continue
        result.outcomes.append(outcome)
    if conflicts:
        # Raising rolls the whole transaction back: nothing of this request is kept.
        notices = [n for c in conflicts for n in c.body.get("notices", [])]
        messages = [c.message for c in conflicts]
        raise Conflict(messages[0], {"notices": notices, "errors": {"contracts": messages}})
    for outcome in result.outcomes:
        result.triggered.append(
            _fire_webhooks(session, outcome, base_url, request.build_url, webhook_settings)
        )
    # Integrations last, once, in a stable order (reference PR #654: less lock contention).
    pacts.touch_integrations(session, [(o.row.consumer.id, o.row.provider.id) for o in result.outcomes])
    # The consumer's data changed, and each provider's when the integration is new (its set of consumers
    # did): the providers are counted always, one statement either way. A version that was already there
    # may be deployed: what it holds now is seen by deployment questions.
    generations.changes(session, consumer.id, *(o.row.provider.id for o in result.outcomes))
    if not created:
        generations.changes(session, generations.deployed(consumer.id))
    return result


def publish_pact(
    session: Session,
    consumer_name: str,
    provider_name: str,
    version_number: str,
    pact: dict[str, Any],
    *,
    allow_modification: bool,
    merge: bool = False,
    base_url: str,
    webhook_settings: WebhookSettings | None = None,
) -> tuple[PublishOutcome, bool]:
    """One pact for one consumer version (legacy `PUT`, or `PATCH` with `merge`: its interactions are added
    to the version's pact, a changed one is a 409). Returns the outcome and whether the version already
    had a pact with this provider."""
    pacts.check_names(pact, consumer_name, provider_name)
    versions.check_name("version", version_number, "version number")
    by_name = pacticipant_repo.find_or_create_all(session, [consumer_name, provider_name])
    consumer, provider = by_name[consumer_name], by_name[provider_name]
    version, created = versions.find_or_create(session, consumer, version_number)
    existing = None if created else pact_repo.latest_for_consumer_version(session, version.id, provider.id)
    if merge and existing is not None:
        pact = pact_content.merge(json.loads(existing.pact_version.content), pact)
    outcome = pacts.publish(
        session,
        consumer,
        provider,
        version,
        pact,
        allow_modification=allow_modification,
        version_created=created,
    )
    _fire_webhooks(session, outcome, base_url, None, webhook_settings)
    pacts.touch_integrations(session, [(consumer.id, provider.id)])
    generations.changes(session, consumer.id, provider.id)
    if not created:
        generations.changes(session, generations.deployed(consumer.id))
    return outcome, existing is not None


def _fire_webhooks(
    session: Session,
    outcome: PublishOutcome,
    base_url: str,
    build_url: str | None,
    settings: WebhookSettings | None,
) -> list[Triggered]:
    # `contract_published` on every publication, also of unchanged content (as the reference);
    # `contract_content_changed` only when this publication brought content new to the integration.
    return webhooks.pact_published(
        session,
        outcome.row,
        content_changed=outcome.created and outcome.content_changed,
        base_url=base_url,
        build_url=build_url,
        settings=settings,
    )
