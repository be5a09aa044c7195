"""Pacticipants, versions, tags, branches and latest-version endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing import TestDataBuilder, pact_content


def test_create_update_describe_and_list_pacticipants(client: TestClient) -> None:
    created = client.post("/pacticipants", json={"name": "sample-tracker", "repositoryUrl": "https://git/x"})
    assert created.status_code == 201
    assert created.headers["location"] == "http://broker.test/pacticipants/sample-tracker"
    body = created.json()
    assert body["displayName"] == "Sample Tracker"
    links = body["_links"]
    assert links["pb:version-tag"]["href"].endswith(
        "/pacticipants/sample-tracker/versions/{version}/tags/{tag}"
    )
    assert links["pb:branch-version"]["href"].endswith("/branches/{branch}/versions/{version}")
    assert links["pb:version-tag"]["templated"] is True

    patched = client.patch("/pacticipants/sample-tracker", json={"mainBranch": "trunk"})
    assert patched.status_code == 200 and patched.json()["mainBranch"] == "trunk"
    assert patched.json()["repositoryUrl"] == "https://git/x"  # PATCH merges
    put = client.put("/pacticipants/sample-tracker", json={"displayName": "Tracker"})
    assert put.json()["repositoryUrl"] is None and put.json()["mainBranch"] is None  # PUT replaces
    assert client.patch("/pacticipants/NewOne", json={}).status_code == 201

    for name in ("a", "b", "c"):
        client.post("/pacticipants", json={"name": name})
    page = client.get("/pacticipants", params={"pageNumber": 2, "pageSize": 2}).json()
    assert [p["name"] for p in page["_embedded"]["pacticipants"]] == [
        "b",
        "c",
    ]  # NewOne, a | b, c | sample-tracker
    assert "previous" in page["_links"] and "next" in page["_links"]
    assert page["page"]["totalElements"] == 5
    assert [link["name"] for link in page["_links"]["pb:pacticipants"]] == ["b", "c"]


def test_pacticipant_validation_and_unknown_names(client: TestClient) -> None:
    assert client.post("/pacticipants", json={"name": ""}).status_code == 400
    bad_branch = client.post("/pacticipants", json={"name": "X", "mainBranch": "has space"})
    assert bad_branch.status_code == 400 and "mainBranch" in bad_branch.json()["errors"]
    assert client.get("/pacticipants/X").status_code == 404
    assert client.get("/pacticipants", params={"pageSize": "0"}).status_code == 400
    missing = client.get("/pacticipants/Nobody")
    assert missing.status_code == 404 and "Nobody" in missing.json()["error"]["message"]


def test_tags_are_201_then_200_and_detect_the_main_branch(client: TestClient) -> None:
    url = "/pacticipants/Foo/versions/1/tags/main"
    first = client.put(url, json={})
    assert first.status_code == 201 and first.headers["location"].endswith(url)
    assert client.put(url).status_code == 200
    assert client.get(url).json()["name"] == "main"
    assert client.get("/pacticipants/Foo").json()["mainBranch"] == "main"
    assert client.get("/pacticipants/Foo/versions/1/tags/nope").status_code == 404
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_branch_versions_and_latest_versions(client: TestClient, td: TestDataBuilder) -> None:
    td.create_environment("test").create_environment("production", production=True)
    first = client.put("/pacticipants/Foo/branches/feat-x/versions/1", json={})
    assert first.status_code == 201
    assert client.put("/pacticipants/Foo/branches/feat-x/versions/1", json={}).status_code == 200
    client.put("/pacticipants/Foo/branches/feat-x/versions/2", json={})
    client.put("/pacticipants/Foo/versions/2/tags/prod")
    client.put("/pacticipants/Foo/versions/3", json={"buildUrl": "http://ci/3"})

    assert client.get("/pacticipants/Foo/latest-version").json()["number"] == "3"
    assert client.get("/pacticipants/Foo/latest-version/prod").json()["number"] == "2"
    assert client.get("/pacticipants/Foo/branches/feat-x/latest-version").json()["number"] == "2"
    assert client.get("/pacticipants/Foo/latest-version/none").status_code == 404

    version = client.get("/pacticipants/Foo/versions/2").json()
    assert version["_embedded"]["branchVersions"][0] == version["_embedded"]["branchVersions"][0] | {
        "name": "feat-x",
        "latest": True,
    }
    assert version["_embedded"]["tags"][0]["name"] == "prod"
    deploy_links = version["_links"]["pb:record-deployment"]
    assert [link["name"] for link in deploy_links] == ["production", "test"]
    assert all("/deployed-versions/environment/" in link["href"] for link in deploy_links)
    assert [link["name"] for link in version["_links"]["pb:record-release"]] == ["production", "test"]
    one = client.get("/pacticipants/Foo/versions/1").json()
    assert one["_embedded"]["branchVersions"][0]["latest"] is False

    versions = client.get("/pacticipants/Foo/versions").json()
    assert [v["number"] for v in versions["_embedded"]["versions"]] == ["3", "2", "1"]
    branches = client.get("/pacticipants/Foo/branches").json()["_embedded"]["branches"]
    assert [b["name"] for b in branches] == ["feat-x"]
    assert client.delete("/pacticipants/Foo/branches/feat-x").status_code == 204
    assert client.get("/pacticipants/Foo/branches/feat-x").status_code == 404
    assert client.get("/pacticipants/Foo/versions/2").status_code == 200  # versions stay


def test_version_put_and_patch(client: TestClient) -> None:
    created = client.put(
        "/pacticipants/Foo/versions/1", json={"buildUrl": "http://ci/1", "tags": [{"name": "dev"}]}
    )
    assert created.status_code == 201
    assert created.json()["buildUrl"] == "http://ci/1"
    assert (
        client.patch("/pacticipants/Foo/versions/1", json={"tags": [{"name": "qa"}]}).json()["buildUrl"]
        == "http://ci/1"
    )
    replaced = client.put("/pacticipants/Foo/versions/1", json={})
    assert replaced.status_code == 200 and replaced.json()["buildUrl"] is None
    assert sorted(t["name"] for t in replaced.json()["_embedded"]["tags"]) == ["dev", "qa"]
    assert client.put("/pacticipants/Foo/versions/2", json={"tags": "x"}).status_code == 400
    assert client.get("/pacticipants/Foo/versions/2").status_code == 404


def test_deleting_a_version_moves_its_branch_head_back(client: TestClient) -> None:
    for number in ("1", "2", "3"):
        assert client.put(f"/pacticipants/Foo/branches/main/versions/{number}", json={}).status_code == 201
    client.put("/pacts/provider/Bar/consumer/Foo/version/3", json=pact_content("Foo", "Bar"))
    assert client.delete("/pacticipants/Foo/versions/3").status_code == 204
    assert client.get("/pacticipants/Foo/branches/main/latest-version").json()["number"] == "2"
    assert client.get("/pacts/provider/Bar/consumer/Foo/version/3").status_code == 404
    assert client.delete("/pacticipants/Foo/versions/3").status_code == 404
    assert client.delete("/pacticipants/Foo").status_code == 204
    assert client.get("/pacticipants/Foo/versions/2").status_code == 404


def test_links_use_the_configured_base_url(broker_settings: BrokerSettings) -> None:
    settings = broker_settings.model_copy(update={"base_url": "https://broker.example.org/pact/"})
    with TestClient(create_app(settings)) as client:
        links = client.get("/").json()["_links"]
        assert links["pb:pacticipants"]["href"] == "https://broker.example.org/pact/pacticipants"
        created = client.post("/pacticipants", json={"name": "Sample Service"})
        assert created.headers["location"] == "https://broker.example.org/pact/pacticipants/Sample%20Service"
