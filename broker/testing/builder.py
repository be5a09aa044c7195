"""A fluent builder that sets up broker scenarios through the real services (reference: test_data_builder.rb).

    td = TestDataBuilder(session)
    (td.create_consumer("Foo")
       .create_consumer_version("1", branch="main")
       .create_pact(provider="Bar")
       .create_verification(provider_version="2", success=True, branch="main")
       .create_environment("production", production=True)
       .create_deployed_version(pacticipant="Bar", version="2", environment="production"))

Each step commits, so an app under test (with its own sessions) sees the data at once. The builder keeps
the "current" consumer, provider, versions, pact and environment, so later steps default to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from broker.answer_cache import generations
from broker.db.engine import begin_write
from broker.db.models import (
    DeployedVersion,
    Environment,
    LatestPactPublicationIdForConsumerVersion,
    Pacticipant,
    PactPublication,
    PactVersion,
    ReleasedVersion,
    Verification,
    Version,
)
from broker.deployments import service as deployments
from broker.environments import service as environments
from broker.pacticipants import service as pacticipants
from broker.pacts import service as pacts
from broker.pacts.metadata import PactMetadata
from broker.pacts.repository import PactRow
from broker.verifications import service as verifications
from broker.versions import head_pacts
from broker.versions import service as versions


def pact_content(consumer: str, provider: str, description: str = "a request for a sample") -> dict[str, Any]:
    """A minimal valid V3 pact; different `description`s give different content (a different SHA)."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": description,
                "providerStates": [{"name": "a sample exists"}],
                "request": {"method": "GET", "path": "/samples/1"},
                "response": {"status": 200, "body": {"id": 1}},
            }
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


class TestDataBuilder:
    __test__ = False  # not a pytest test class

    def __init__(self, session: Session) -> None:
        self.session = session
        self.consumer: Pacticipant | None = None
        self.provider: Pacticipant | None = None
        self.consumer_version: Version | None = None
        self.provider_version: Version | None = None
        self.pact: PactRow | None = None
        self.verification: Verification | None = None
        self.environment: Environment | None = None
        self.deployed_version: DeployedVersion | None = None
        self.released_version: ReleasedVersion | None = None

    # --- plumbing ---

    def _begin(self) -> None:
        if not self.session.in_transaction():
            begin_write(self.session)

    def _commit(self) -> TestDataBuilder:
        # A step mixes writes the services declare narrowly (a result) with others (the provider version's
        # branch): kept answers all go, as after any write nobody declared.
        generations.changes(self.session, generations.BROKER_WIDE)
        self.session.commit()
        return self

    def _pacticipant(
        self, name: str | Pacticipant | None, fallback: Pacticipant | None, role: str
    ) -> Pacticipant:
        if isinstance(name, Pacticipant):
            return name
        if name is not None:
            return pacticipants.find_or_create(self.session, name)
        if fallback is None:
            raise ValueError(f"no current {role}: create one first or pass its name")
        return fallback

    # --- pacticipants and versions ---

    def create_pacticipant(self, name: str, *, main_branch: str | None = None) -> TestDataBuilder:
        self._begin()
        pacticipant = pacticipants.find_or_create(self.session, name)
        if main_branch is not None:
            pacticipant.main_branch = main_branch
        return self._commit()

    def create_consumer(self, name: str = "Consumer", *, main_branch: str | None = None) -> TestDataBuilder:
        self.create_pacticipant(name, main_branch=main_branch)
        self.consumer = pacticipants.get(self.session, name)
        return self

    def create_provider(self, name: str = "Provider", *, main_branch: str | None = None) -> TestDataBuilder:
        self.create_pacticipant(name, main_branch=main_branch)
        self.provider = pacticipants.get(self.session, name)
        return self

    def use_consumer(self, name: str) -> TestDataBuilder:
        self.consumer = pacticipants.get(self.session, name)
        return self

    def use_provider(self, name: str) -> TestDataBuilder:
        self.provider = pacticipants.get(self.session, name)
        return self

    def _version(
        self,
        pacticipant: Pacticipant,
        number: str,
        branch: str | None,
        tags: Sequence[str],
        created_at: datetime | None,
    ) -> Version:
        self._begin()
        version = versions.ensure(self.session, pacticipant, number, branch=branch, tags=tags)
        if created_at is not None:
            version.created_at = created_at
        self._commit()
        return version

    def create_version(
        self,
        pacticipant: str,
        number: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        created_at: datetime | None = None,
    ) -> TestDataBuilder:
        self._begin()
        p = pacticipants.find_or_create(self.session, pacticipant)
        self._version(p, number, branch, tags, created_at)
        return self

    def create_consumer_version(
        self,
        number: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        consumer: str | None = None,
        created_at: datetime | None = None,
    ) -> TestDataBuilder:
        self._begin()
        self.consumer = self._pacticipant(consumer, self.consumer, "consumer")
        self.consumer_version = self._version(self.consumer, number, branch, tags, created_at)
        return self

    def create_provider_version(
        self,
        number: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        provider: str | None = None,
        created_at: datetime | None = None,
    ) -> TestDataBuilder:
        self._begin()
        self.provider = self._pacticipant(provider, self.provider, "provider")
        self.provider_version = self._version(self.provider, number, branch, tags, created_at)
        return self

    def create_tag(
        self, tag: str, *, pacticipant: str | None = None, version: str | None = None
    ) -> TestDataBuilder:
        self._begin()
        p = self._pacticipant(pacticipant, self.consumer, "pacticipant")
        v = versions.get(self.session, p, version) if version else self.consumer_version
        assert v is not None, "no current version"
        versions.add_tag(self.session, p, v, tag)
        return self._commit()

    # --- pacts and verifications ---

    def create_pact(
        self,
        provider: str | None = None,
        *,
        content: dict[str, Any] | None = None,
        description: str | None = None,
        consumer: str | None = None,
        consumer_version: str | None = None,
        created_at: datetime | None = None,
    ) -> TestDataBuilder:
        """Publishes a pact for the current (or named) consumer version; `description` varies the content."""
        self._begin()
        self.consumer = self._pacticipant(consumer, self.consumer, "consumer")
        self.provider = self._pacticipant(provider, self.provider, "provider")
        if consumer_version is not None:
            self.consumer_version = versions.ensure(self.session, self.consumer, consumer_version)
        if self.consumer_version is None or self.consumer_version.pacticipant_id != self.consumer.id:
            raise ValueError("no current consumer version: call create_consumer_version first")
        body = content or pact_content(
            self.consumer.name, self.provider.name, *([description] if description else [])
        )
        outcome = pacts.publish(
            self.session, self.consumer, self.provider, self.consumer_version, body, allow_modification=True
        )
        pacts.touch_integrations(self.session, [(self.consumer.id, self.provider.id)])
        if created_at is not None:
            self._backdate_pact(outcome.row, created_at)
        self.pact = outcome.row
        return self._commit()

    def _backdate_pact(self, row: PactRow, created_at: datetime) -> None:
        publication_id = row.publication.id
        self.session.execute(
            update(PactPublication).where(PactPublication.id == publication_id).values(created_at=created_at)
        )
        self.session.execute(
            update(LatestPactPublicationIdForConsumerVersion)
            .where(LatestPactPublicationIdForConsumerVersion.pact_publication_id == publication_id)
            .values(created_at=created_at)
        )
        # The stored pacts of branch heads carry the pointer's date: kept in step like a real write would.
        head_pacts.point_heads_at_pact(
            self.session, row.publication.consumer_version_id, row.publication.provider_id
        )
        self.session.execute(
            update(PactVersion).where(PactVersion.id == row.pact_version.id).values(created_at=created_at)
        )
        self.session.expire_all()

    def publish_pact(
        self,
        consumer: str,
        consumer_version: str,
        provider: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        content: dict[str, Any] | None = None,
        description: str | None = None,
    ) -> TestDataBuilder:
        """Consumer version (with branch/tags) plus its pact in one step, like `pact broker publish`."""
        self.create_consumer_version(consumer_version, consumer=consumer, branch=branch, tags=tags)
        return self.create_pact(provider, content=content, description=description)

    def create_verification(
        self,
        provider_version: str,
        *,
        success: bool = True,
        branch: str | None = None,
        tags: Sequence[str] = (),
        wip: bool = False,
        pending: bool | None = None,
        test_results: Any = None,
        execution_date: datetime | None = None,
    ) -> TestDataBuilder:
        """A verification of the current pact by `provider_version` of its provider."""
        if self.pact is None:
            raise ValueError("no current pact: call create_pact first")
        self._begin()
        provider = pacticipants.get(self.session, self.pact.provider.name)
        self.provider = provider
        self.provider_version = versions.ensure(
            self.session, provider, provider_version, branch=branch, tags=tags
        )
        body: dict[str, Any] = {"success": success, "providerApplicationVersion": provider_version}
        if test_results is not None:
            body["testResults"] = test_results
        self.verification, _ = verifications.create(
            self.session,
            self.pact.pact_version,
            provider,
            body,
            PactMetadata(wip=wip, pending=pending),
            execution_date=execution_date,
        )
        if execution_date is not None:
            self.verification.created_at = execution_date
        return self._commit()

    # --- environments, deployments, releases ---

    def create_environment(
        self, name: str, *, production: bool = False, display_name: str | None = None
    ) -> TestDataBuilder:
        self._begin()
        body = {"name": name, "production": production, "displayName": display_name}
        self.environment = environments.create(self.session, body)
        return self._commit()

    def _target(
        self, pacticipant: str | None, version: str | None, environment: str | None
    ) -> tuple[Version, Environment]:
        if pacticipant is not None:
            p = pacticipants.get(self.session, pacticipant)
            v = versions.get(self.session, p, version) if version else versions.latest(self.session, p)
        else:
            if version is not None:
                raise ValueError("pass pacticipant= together with version=")
            v_or_none = self.provider_version or self.consumer_version
            if v_or_none is None:
                raise ValueError("no current version: create one first or pass pacticipant= and version=")
            v = v_or_none
        env = environments.get_by_name(self.session, environment) if environment else self.environment
        if env is None:
            raise ValueError("no current environment: call create_environment first")
        return v, env

    def create_deployed_version(
        self,
        *,
        pacticipant: str | None = None,
        version: str | None = None,
        environment: str | None = None,
        application_instance: str | None = None,
    ) -> TestDataBuilder:
        """Deploys a version (default: the current provider, else consumer, version) to an environment."""
        self._begin()
        v, env = self._target(pacticipant, version, environment)
        (self.deployed_version, *_), _created = deployments.record_deployment(
            self.session, v, env, application_instance
        )
        return self._commit()

    def create_deployed_version_for_consumer_version(self, environment: str | None = None) -> TestDataBuilder:
        assert self.consumer is not None and self.consumer_version is not None
        return self.create_deployed_version(
            pacticipant=self.consumer.name, version=self.consumer_version.number, environment=environment
        )

    def create_deployed_version_for_provider_version(self, environment: str | None = None) -> TestDataBuilder:
        assert self.provider is not None and self.provider_version is not None
        return self.create_deployed_version(
            pacticipant=self.provider.name, version=self.provider_version.number, environment=environment
        )

    def undeploy(self, uuid: str | None = None) -> TestDataBuilder:
        self._begin()
        target = uuid or (self.deployed_version.uuid if self.deployed_version else None)
        assert target is not None, "no deployed version"
        deployments.set_currently_deployed(self.session, target, False)
        return self._commit()

    def create_released_version(
        self, *, pacticipant: str | None = None, version: str | None = None, environment: str | None = None
    ) -> TestDataBuilder:
        self._begin()
        v, env = self._target(pacticipant, version, environment)
        (self.released_version, *_), _created = deployments.record_release(self.session, v, env)
        return self._commit()

    def end_support(self, uuid: str | None = None) -> TestDataBuilder:
        self._begin()
        target = uuid or (self.released_version.uuid if self.released_version else None)
        assert target is not None, "no released version"
        deployments.set_currently_supported(self.session, target, False)
        return self._commit()
