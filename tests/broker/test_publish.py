"""`POST /contracts/publish` and legacy `PUT /pacts/...`: validation, notices, 409 on changed content."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.db.models import Integration, Pacticipant, PactPublication, PactVersion, Tag, Version
from broker.settings import BrokerSettings
from broker.testing import TestDataBuilder, pact_content
from tests.broker.helpers import publish_body


def counts(session: Session) -> dict[str, int]:
    session.rollback()  # see what other transactions committed
    return {
        model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Pacticipant, Version, Tag, PactVersion, PactPublication, Integration)
    }


def test_publish_creates_everything_and_answers_like_the_reference(
    client: TestClient, session: Session
) -> None:
    response = client.post("/contracts/publish", json=publish_body(tags=["a", "b"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["_embedded"]["version"]["number"] == "1"
    assert body["_embedded"]["version"]["_links"]["self"]["title"] == "Version"
    assert [t["name"] for t in body["_links"]["pb:pacticipant-version-tags"]] == ["a", "b"]
    contracts = body["_links"]["pb:contracts"]
    assert contracts[0]["href"] == "http://broker.test/pacts/provider/Bar/consumer/Foo/version/1"
    assert contracts[0]["name"] == "Pact between Foo (1) and Bar"
    texts = [n["text"] for n in body["notices"]]
    assert "Created Foo version 1 with branch main and tags a, b" in texts
    assert "Pact successfully published for Foo version 1 and provider Bar." in texts
    assert len(body["logs"]) == len(body["notices"]) and body["logs"][0]["deprecationWarning"]
    assert counts(session) == {
        "pacticipants": 2,
        "versions": 1,
        "tags": 2,
        "pact_versions": 1,
        "pact_publications": 1,
        "integrations": 1,
    }
    foo = client.get("/pacticipants/Foo").json()
    assert foo["mainBranch"] == "main"


def test_republishing_identical_content_is_idempotent(client: TestClient, session: Session) -> None:
    assert client.post("/contracts/publish", json=publish_body()).status_code == 200
    before = counts(session)
    # Same interactions, different key order and metadata: the same content as far as verification goes.
    pact = pact_content("Foo", "Bar")
    pact = {
        "metadata": {"pactSpecification": {"version": "3.0.0"}, "client": "x"},
        **{k: pact[k] for k in reversed(list(pact))},
    }
    response = client.post("/contracts/publish", json=publish_body(pact=pact))
    assert response.status_code == 200
    assert any("republished" in n["text"] for n in response.json()["notices"])
    assert counts(session) == before


def test_changed_content_for_an_existing_version_is_a_409_and_keeps_the_original(
    client: TestClient, session: Session
) -> None:
    assert client.post("/contracts/publish", json=publish_body()).status_code == 200
    original = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    before = counts(session)
    response = client.post(
        "/contracts/publish", json=publish_body(description="something else", tags=["new"])
    )
    assert response.status_code == 409
    body = response.json()
    assert (
        "Cannot change the content of the pact for Foo version 1 and provider Bar"
        in body["errors"]["contracts"][0]
    )
    assert body["notices"][0]["type"] == "error" and "something else" in body["notices"][1]["text"]
    assert counts(session) == before  # not even the new tag was kept
    assert client.get("/pacts/provider/Bar/consumer/Foo/version/1").json() == original


def test_a_new_version_with_other_content_is_fine(client: TestClient) -> None:
    assert client.post("/contracts/publish", json=publish_body()).status_code == 200
    response = client.post("/contracts/publish", json=publish_body(version="2", description="other"))
    assert response.status_code == 200
    assert "contract_content_changed" in " ".join(n["text"] for n in response.json()["notices"])


def _with_content(content: str) -> dict[str, object]:
    body = publish_body()
    body["contracts"][0]["content"] = content  # type: ignore[index]
    return body


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({**publish_body(), "pacticipantVersionNumber": ""}, "pacticipantVersionNumber", "required"),
        (
            {k: v for k, v in publish_body().items() if k != "pacticipantVersionNumber"},
            "pacticipantVersionNumber",
            "required",
        ),
        ({**publish_body(), "pacticipantVersionNumber": "1\n2"}, "pacticipantVersionNumber", "single-line"),
        ({**publish_body(), "branch": " "}, "branch", "non-blank"),
        ({**publish_body(), "tags": ["ok", ""]}, "tags.1", "non-blank"),
        ({**publish_body(), "contracts": []}, "contracts", "non-empty"),
        (_with_content("%%% not base64 %%%"), "contracts.0.content", "base64"),
        (_with_content(base64.b64encode(b"\xff\xfe\xfa").decode()), "contracts.0.content", "UTF-8"),
        (_with_content(base64.b64encode(b"{not json").decode()), "contracts.0.content", "not valid JSON"),
        (_with_content(base64.b64encode(b"[1, 2]").decode()), "contracts.0.content", "JSON object"),
        (
            _with_content(base64.b64encode(json.dumps(pact_content("Foo", "Baz")).encode()).decode()),
            "contracts.0.content",
            "does not match providerName",
        ),
        (
            {**publish_body(), "pacticipantName": "Other"},
            "contracts.0.consumerName",
            "must match pacticipantName",
        ),
    ],
)
def test_bad_publish_bodies_are_400s_naming_the_field_and_store_nothing(
    client: TestClient, session: Session, body: dict[str, object], field: str, fragment: str
) -> None:
    assert client.post("/contracts/publish", json=publish_body(version="0")).status_code == 200
    before = counts(session)
    response = client.post("/contracts/publish", json=body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert field in errors, errors
    assert any(fragment in message for message in errors[field]), errors
    assert counts(session) == before


def test_malformed_json_is_400_and_non_json_is_415(client: TestClient, session: Session) -> None:
    assert client.post("/contracts/publish", json=publish_body()).status_code == 200
    before = counts(session)
    bad = client.post(
        "/contracts/publish", content=b'{"pacticipantName": ', headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["errors"]["body"][0]
    not_utf8 = client.post(
        "/contracts/publish", content=b'{"a": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert not_utf8.status_code == 400
    xml = client.post("/contracts/publish", content=b"<pact/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415
    assert counts(session) == before


def test_problem_json_when_asked(client: TestClient) -> None:
    response = client.post(
        "/contracts/publish", json={"contracts": []}, headers={"Accept": "application/problem+json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Validation errors" and body["status"] == 400
    assert {e["pointer"] for e in body["errors"]} >= {"/pacticipantName", "/contracts"}


# --- legacy PUT -------------------------------------------------------------------------------------


def test_legacy_put_creates_then_is_idempotent(client: TestClient, session: Session) -> None:
    url = "/pacts/provider/Bar/consumer/Foo/version/1.0.0"
    first = client.put(url, json=pact_content("Foo", "Bar"))
    assert first.status_code == 201, first.text
    assert first.json()["_links"]["pb:publish-verification-results"]["href"].endswith("/verification-results")
    assert client.put(url, json=pact_content("Foo", "Bar")).status_code == 200
    before = counts(session)
    changed = client.put(url, json=pact_content("Foo", "Bar", "changed"))
    assert changed.status_code == 409
    assert counts(session) == before


def test_legacy_put_with_names_that_do_not_match_the_path_is_400(
    client: TestClient, session: Session
) -> None:
    response = client.put("/pacts/provider/Bar/consumer/Foo/version/1", json=pact_content("Foo", "Other"))
    assert response.status_code == 400
    assert "does not match" in response.json()["errors"]["body"][0]
    assert counts(session)["pacticipants"] == 0
    empty = client.put(
        "/pacts/provider/Bar/consumer/Foo/version/1",
        content=b"",
        headers={"Content-Type": "application/json"},
    )
    assert empty.status_code == 400


def test_legacy_patch_merges_interactions_and_delete_removes(client: TestClient) -> None:
    url = "/pacts/provider/Bar/consumer/Foo/version/1"
    assert client.put(url, json=pact_content("Foo", "Bar", "one")).status_code == 201
    assert client.patch(url, json=pact_content("Foo", "Bar", "two")).status_code == 200
    descriptions = [i["description"] for i in client.get(url).json()["interactions"]]
    assert descriptions == ["one", "two"]
    clash = pact_content("Foo", "Bar", "one")
    clash["interactions"][0]["response"]["status"] = 500
    assert client.patch(url, json=clash).status_code == 409
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_allowed_modification_moves_the_latest_pointer_to_the_new_revision(
    broker_settings: BrokerSettings, td: TestDataBuilder
) -> None:
    td.publish_pact("Other", "1", "Bar").publish_pact("Foo", "0", "Bar").publish_pact("Foo", "1", "Baz")
    settings = broker_settings.model_copy(update={"allow_dangerous_contract_modification": True})
    with TestClient(create_app(settings)) as client:
        assert client.post("/contracts/publish", json=publish_body()).status_code == 200
        assert client.post("/contracts/publish", json=publish_body(description="changed")).status_code == 200
        latest = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
        assert latest["interactions"][0]["description"] == "changed"
        other = client.get("/pacts/provider/Bar/consumer/Other/version/1").json()
        assert other["interactions"][0]["description"] == "a request for a sample"


def test_on_conflict_merge_adds_interactions_when_modification_is_allowed(
    broker_settings: BrokerSettings,
) -> None:
    settings = broker_settings.model_copy(update={"allow_dangerous_contract_modification": True})
    with TestClient(create_app(settings)) as client:
        assert client.post("/contracts/publish", json=publish_body(description="one")).status_code == 200
        body = publish_body(description="two")
        body["contracts"][0]["onConflict"] = "merge"
        assert client.post("/contracts/publish", json=body).status_code == 200
        pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
        assert [i["description"] for i in pact["interactions"]] == ["one", "two"]
        bad = publish_body()
        bad["contracts"][0]["onConflict"] = "clobber"
        assert "contracts.0.onConflict" in client.post("/contracts/publish", json=bad).json()["errors"]
