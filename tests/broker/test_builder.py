"""The test-data builder writes through the real services; the scenario it builds is what the app serves."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.db.models import (
    BranchHead,
    CurrentlyDeployedVersionId,
    LatestVerificationIdForPactVersionAndProviderVersion,
    Pacticipant,
    PactPublication,
    Verification,
)
from broker.testing import TestDataBuilder


def test_builds_a_scenario_that_reads_like_its_sentence(td: TestDataBuilder, session: Session) -> None:
    (
        td.create_consumer("Foo")
        .create_consumer_version("1", branch="main", tags=["prod"])
        .create_pact(provider="Bar")
        .create_verification(provider_version="2", success=True, branch="main")
        .create_verification(provider_version="2", success=False)
        .create_environment("production", production=True)
        .create_deployed_version(pacticipant="Bar", version="2", environment="production")
    )
    assert td.pact is not None and td.pact.consumer.name == "Foo" and td.pact.provider.name == "Bar"
    foo = session.execute(select(Pacticipant).where(Pacticipant.name == "Foo")).scalar_one()
    assert foo.main_branch == "main"  # auto-detected
    assert session.execute(select(func.count()).select_from(PactPublication)).scalar_one() == 1
    assert session.execute(select(func.count()).select_from(Verification)).scalar_one() == 2
    latest = session.execute(select(LatestVerificationIdForPactVersionAndProviderVersion)).scalar_one()
    newest = session.execute(select(Verification).order_by(Verification.number.desc()).limit(1)).scalar_one()
    assert latest.verification_id == newest.id and newest.success is False
    assert session.execute(select(func.count()).select_from(BranchHead)).scalar_one() == 2
    assert (
        session.execute(select(CurrentlyDeployedVersionId)).scalar_one().version_id == td.provider_version.id
    )  # type: ignore[union-attr]


def test_branch_head_only_moves_forwards(td: TestDataBuilder, session: Session) -> None:
    td.create_consumer("Bar").create_consumer_version("1", branch="main").create_consumer_version(
        "2", branch="dev"
    )
    td.create_consumer("Foo").create_consumer_version("1").create_consumer_version("2", branch="main")
    td.create_version("Foo", "1", branch="main")  # older version joins the branch later
    head = session.execute(
        select(BranchHead).where(
            BranchHead.pacticipant_id == td.consumer.id, BranchHead.branch_name == "main"
        )  # type: ignore[union-attr]
    ).scalar_one()
    assert head.version_id == td.consumer_version.id  # type: ignore[union-attr]
    assert session.execute(select(func.count()).select_from(BranchHead)).scalar_one() == 3
