"""`/integrations`, `/metrics` and the latest untagged pact."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.db.models import Pacticipant, PactVersion, Verification, Version
from broker.testing import TestDataBuilder


def test_list_and_delete_integrations(client: TestClient, td: TestDataBuilder, session: Session) -> None:
    td.publish_pact("Foo", "1", "Bar").create_verification("2").publish_pact("Foo", "1", "Baz")
    listed = client.get("/integrations").json()["_embedded"]["integrations"]
    assert [(i["consumer"]["name"], i["provider"]["name"]) for i in listed] == [
        ("Foo", "Bar"),
        ("Foo", "Baz"),
    ]
    assert client.delete("/integrations/provider/Bar/consumer/Foo").status_code == 204
    assert client.delete("/integrations/provider/Bar/consumer/Foo").status_code == 404
    assert client.get("/pacts/provider/Bar/consumer/Foo/version/1").status_code == 404
    assert client.get("/pacts/provider/Baz/consumer/Foo/version/1").status_code == 200
    session.rollback()
    assert session.execute(select(func.count()).select_from(Verification)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(PactVersion)).scalar_one() == 1
    assert (
        session.execute(select(func.count()).select_from(Pacticipant)).scalar_one() == 3
    )  # pacticipants stay
    assert session.execute(select(func.count()).select_from(Version)).scalar_one() == 2


def test_metrics_count_rows(client: TestClient, td: TestDataBuilder) -> None:
    td.publish_pact("Foo", "1", "Bar").create_verification("2").create_verification("3")
    metrics = client.get("/metrics").json()
    assert metrics["pacticipants"]["count"] == 2
    assert metrics["verificationResults"]["count"] == 2
    assert metrics["pacticipantVersions"]["count"] == 3


def test_latest_untagged_pact(client: TestClient, td: TestDataBuilder) -> None:
    td.publish_pact("Foo", "1", "Bar").publish_pact("Foo", "2", "Bar", tags=["prod"])
    response = client.get("/pacts/provider/Bar/consumer/Foo/latest-untagged")
    assert response.status_code == 200 and response.headers["x-pact-consumer-version"] == "1"
    td.create_tag("dev", pacticipant="Foo", version="1")
    assert client.get("/pacts/provider/Bar/consumer/Foo/latest-untagged").status_code == 404
