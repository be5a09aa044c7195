"""Provider states of the official client's pact, ported from pact_broker
`spec/service_consumers/shared_provider_states.rb` (`shared_provider_states`, `shared_noop_provider_states`).

Every handler starts from an empty broker; each builds exactly the data its Ruby original builds, with our
`TestDataBuilder` (environments through the environments service, which takes a fixed UUID). Deployed
versions, which the pact names by UUID too, are recorded normally and their UUID set afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from broker.db.engine import begin_write
from broker.db.models import Base
from broker.environments import service as environments
from broker.testing import TestDataBuilder
from broker.webhooks import service as webhooks

Build = Callable[[TestDataBuilder], object]

ENV_DEPLOY = "cb632df3-0a0d-4227-aac3-60114dd36479"
ENV_16926 = "16926ef3-590f-4e3f-838e-719717aa88c9"
DEPLOYED_VERSION = "ff3adecf-cfc5-4653-a4e3-f1861092f8e0"
WEBHOOK = "696c5f93-1b7f-44bc-8d03-59440fcaa9a0"
SHA = "5556b8149bf8bac76bc30f50a8a2dd4c22c85f30"


def empty_pact(consumer: str, provider: str) -> dict[str, Any]:
    """The Ruby builder's default content: no interactions (the client's pact expects `interactions: []`)."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def reset(engine: Engine) -> None:
    """Empty every table, children first: the next state starts from a blank broker."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


# --- helpers the Ruby builder has and ours does not ---


def _environment(
    td: TestDataBuilder, name: str, uuid: str | None = None, contacts: list[dict[str, Any]] | None = None
) -> TestDataBuilder:
    """The Ruby builder's `create_environment(name, uuid:, contacts:)`, through our environments service."""
    body: dict[str, Any] = {"name": name, "displayName": name.title(), "production": False}
    if contacts is not None:
        body["contacts"] = contacts
    begin_write(td.session)
    td.environment = environments.create(td.session, body, uuid=uuid)
    td.session.commit()
    return td


def _deployed(td: TestDataBuilder, uuid: str, target: str | None = None) -> TestDataBuilder:
    td.create_deployed_version(
        pacticipant="Foo", version=SHA, environment="test", application_instance=target
    )
    assert td.deployed_version is not None
    td.deployed_version.uuid = uuid
    td.session.commit()
    return td


def _verified_twice(consumer: str) -> Build:
    """'the pact for {consumer} version 1.2.3 has been verified by Bar version 4.5.6'."""

    def build(td: TestDataBuilder) -> object:
        return (
            td.publish_pact(consumer, "1.2.3", "Bar", description="1.2.3")
            .create_pact(description="1.2.3 revised")
            .create_verification("4.5.6")
            .create_verification("7.8.9")
            .create_consumer_version("2.0.0")
            .create_pact(description="2.0.0")
            .create_pact(description="2.0.0 revised")
            .create_verification("4.5.6")
        )

    return build


def _pricing_service(td: TestDataBuilder) -> TestDataBuilder:
    td.create_provider("Pricing Service")
    assert td.provider is not None
    td.provider.repository_url = "git@git.realestate.com.au:business-systems/pricing-service"
    td.session.commit()
    return td


def _condor_pact(td: TestDataBuilder, tags: tuple[str, ...] = ()) -> TestDataBuilder:
    td.create_consumer("Condor").create_consumer_version("1.3.0", tags=tags)
    return _pricing_service(td).create_pact(content=empty_pact("Condor", "Pricing Service"))


def _webhook(td: TestDataBuilder) -> object:
    td.create_consumer("Condor").create_provider("Pricing Service")
    webhooks.create(
        td.session,
        {
            "description": "a webhook",
            "events": [{"name": "contract_content_changed"}],
            "request": {"method": "POST", "url": "https://example.org/hook"},
            "consumer": {"name": "Condor"},
            "provider": {"name": "Pricing Service"},
        },
        uuid=WEBHOOK,
    )
    td.session.commit()
    return td


STATES: dict[str, Build] = {
    "'Condor' exists in the pact-broker with the latest tagged 'production' version 1.2.3": lambda td: (
        td.create_consumer("Condor")
        .create_consumer_version("1.2.3", tags=["production"])
        .create_consumer_version("2.0.0")
    ),
    "'Condor' exists in the pact-broker with the latest version 1.2.3": lambda td: (
        td.create_consumer("Condor").create_consumer_version("1.0.0").create_consumer_version("1.2.3")
    ),
    "the 'Pricing Service' and 'Condor' already exist in the pact-broker": lambda td: td.create_consumer(
        "Condor"
    ).create_provider("Pricing Service"),
    "the pact for Foo Thing version 1.2.3 has been verified by Bar version 4.5.6": _verified_twice(
        "Foo Thing"
    ),
    "the pact for Foo version 1.2.3 has been verified by Bar version 4.5.6": _verified_twice("Foo"),
    "the pact for Foo version 1.2.3 and 1.2.4 has been verified by Bar version 4.5.6": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar", description="1.2.3")
        .create_pact(description="1.2.3 revised")
        .create_verification("4.5.6")
        .create_consumer_version("1.2.4")
        .create_pact(description="1.2.4")
        .create_pact(description="1.2.4 revised")
        .create_verification("4.5.6")
    ),
    "the pact for Foo version 1.2.3 has been successfully verified by Bar version 4.5.6, "
    "and 1.2.4 unsuccessfully by 9.9.9": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar", description="1.2.3")
        .create_pact(description="1.2.3 revised")
        .create_verification("4.5.6")
        .create_consumer_version("1.2.4")
        .create_pact(description="1.2.4")
        .create_pact(description="1.2.4 revised")
        .create_verification("9.9.9", success=False)
    ),
    "the pact for Foo version 1.2.3 has been successfully verified by Bar version 4.5.6 with tag prod, "
    "and 1.2.4 unsuccessfully by 9.9.9": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar", description="1.2.3")
        .create_pact(description="1.2.3 revised")
        .create_verification("4.5.6")
        .create_tag("prod", pacticipant="Bar", version="4.5.6")
        .create_consumer_version("1.2.4", consumer="Foo")
        .create_pact(description="1.2.4")
        .create_pact(description="1.2.4 revised")
        .create_verification("9.9.9", success=False)
    ),
    "the pact for Foo version 1.2.3 has been verified by Bar version 4.5.6 and version 5.6.7": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar", description="1.2.3")
        .create_pact(description="1.2.3 revised")
        .create_verification("4.5.6")
        .create_verification("5.6.7")
    ),
    "the pact for Foo version 1.2.3 has been successfully verified by Bar version 4.5.6 (tagged prod) "
    "and version 5.6.7": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar")
        .create_verification("4.5.6", tags=["prod"])
        .create_verification("5.6.7")
    ),
    "the 'Pricing Service' already exists in the pact-broker": lambda td: _pricing_service(
        td
    ).create_provider_version("1.3.0"),
    "a pact between Condor and the Pricing Service exists": lambda td: _condor_pact(td),
    "the 'Pricing Service' and 'Condor' already exist in the pact-broker, and Condor already has a pact "
    "published for version 1.3.0": lambda td: _condor_pact(td),
    "'Condor' already exist in the pact-broker, but the 'Pricing Service' does not": lambda td: (
        td.create_consumer("Condor")
    ),
    "'Condor' exists in the pact-broker": lambda td: td.create_consumer("Condor").create_consumer_version(
        "1.3.0"
    ),
    "'Condor' exists in the pact-broker with version 1.3.0, tagged with 'prod'": lambda td: (
        td.create_consumer("Condor").create_consumer_version("1.3.0", tags=["prod"])
    ),
    "a pact between Condor and the Pricing Service exists for the production version of Condor": lambda td: (
        _condor_pact(td, ("prod",))
    ),
    "a latest pact between Condor and the Pricing Service exists": lambda td: _condor_pact(td),
    "tagged as prod pact between Condor and the Pricing Service exists": lambda td: _condor_pact(
        td, ("prod",)
    ),
    "a webhook with the uuid 696c5f93-1b7f-44bc-8d03-59440fcaa9a0 exists": _webhook,
    "a pacticipant with name Foo exists": lambda td: td.create_consumer("Foo"),
    "version 26f353580936ad3b9baddb17b00e84f33c69e7cb of pacticipant Foo does exist": lambda td: (
        td.create_consumer("Foo").create_consumer_version("26f353580936ad3b9baddb17b00e84f33c69e7cb")
    ),
    "provider Bar version 4.5.6 has a successful verification for Foo version 1.2.3 tagged prod and a failed "
    "verification for version 3.4.5 tagged prod": lambda td: (
        td.publish_pact("Foo", "1.2.3", "Bar", tags=["prod"], description="1.2.3")
        .create_verification("4.5.6")
        .publish_pact("Foo", "3.4.5", "Bar", tags=["prod"], description="3.4.5")
        .create_verification("4.5.6", success=False)
    ),
    "an environment exists": lambda td: _environment(
        td, "test", contacts=[{"name": "foo", "details": {"emailAddress": "foo@bar.com"}}]
    ),
    f"version {SHA} of pacticipant Foo exists with a test environment available for release": lambda td: (
        _environment(td, "test", ENV_DEPLOY).create_consumer("Foo").create_consumer_version(SHA)
    ),
    f"an environment with name test and UUID {ENV_16926} exists": lambda td: _environment(
        td, "test", ENV_16926
    ),
    f"an version is deployed to environment with UUID {ENV_16926} with target customer-1": lambda td: (
        _deployed(
            _environment(td, "test", ENV_16926).create_consumer("Foo").create_consumer_version(SHA),
            DEPLOYED_VERSION,
            target="customer-1",
        )
    ),
    "a currently deployed version exists": lambda td: _deployed(
        _environment(td, "test", ENV_DEPLOY).create_consumer("Foo").create_consumer_version(SHA),
        DEPLOYED_VERSION,
    ),
    "a branch named main exists for pacticipant Foo": lambda td: td.create_consumer(
        "Foo"
    ).create_consumer_version("1", branch="main"),
    "an environment with name test exists": lambda td: _environment(td, "test"),
    f"version {SHA} of pacticipant Foo exists with a test environment available for deployment": lambda td: (
        _environment(td.create_consumer("Foo").create_consumer_version(SHA), "test", ENV_DEPLOY)
    ),
    f"version {SHA} of pacticipant Foo exists with 2 environments that aren't test available for "
    "deployment": lambda td: _environment(
        _environment(td.create_consumer("Foo").create_consumer_version(SHA), "prod"), "dev"
    ),
}

# States that only name what the client expects of the index or of an empty broker.
NO_OP_STATES = frozenset(
    {
        "the pb:latest-tagged-version relation exists in the index resource",
        "the pb:latest-version relation exists in the index resource",
        f"version {SHA} of pacticipant Foo does not exist",
        "the 'Pricing Service' does not exist in the pact-broker",
        "no pact between Condor and the Pricing Service exists",
        "'Condor' does not exist in the pact-broker",
        "no pacticipant version exists for the Pricing Service",
        "the pacticipant relations are present",
        "the pb:pacticipant-version relation exists in the index resource",
        "version 26f353580936ad3b9baddb17b00e84f33c69e7cb of pacticipant Foo does not exist",
        "the pb:publish-contracts relations exists in the index resource",
        "the pb:environments relation exists in the index resource",
        "the pb:pacticipant-branch relation exists in the index resource",
        "the pb:pacticipant-version and pb:environments relations exist in the index resource",
        "the pb:latest-pact-versions relation exists in the index resource",
        "the pb:pacticipants relation exists in the index resource",
        "the pb:pacticipant relation exists in the index resource",
        "a webhook with uuid non-existent-uuid does not exist",
    }
)


def set_up(engine: Engine, session_factory: Callable[[], Session], state: str) -> None:
    """Blank broker, then the state's data. An unknown state is an error, not a silent no-op."""
    reset(engine)
    if state in NO_OP_STATES:
        return
    if state not in STATES:
        raise KeyError(f"no provider state handler for {state!r}")
    with session_factory() as session:
        STATES[state](TestDataBuilder(session))
