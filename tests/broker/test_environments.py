"""Environments, record deployment/undeployment, record release/support ended."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.db.models import CurrentlyDeployedVersionId, DeployedVersion, Environment
from broker.testing import TestDataBuilder


def _env(client: TestClient, name: str = "production", production: bool = True) -> dict[str, object]:
    response = client.post("/environments", json={"name": name, "production": production})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_environment_crud(client: TestClient, session: Session) -> None:
    created = client.post(
        "/environments",
        json={
            "name": "production",
            "displayName": "Production",
            "production": True,
            "contacts": [{"name": "Ops"}],
        },
    )
    assert created.status_code == 201
    env = created.json()
    assert created.headers["location"].endswith(f"/environments/{env['uuid']}")
    assert env["_links"]["pb:currently-deployed-deployed-versions"]["href"].endswith(
        "/deployed-versions/currently-deployed"
    )
    listing = client.get("/environments").json()
    assert [e["name"] for e in listing["_embedded"]["environments"]] == ["production"]
    assert listing["_links"]["pb:environments"][0]["name"] == "production"
    assert client.get("/environments", params={"name": "nope"}).json()["_embedded"]["environments"] == []

    duplicate = client.post("/environments", json={"name": "production", "production": False})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["errors"]["name"][0]
    assert client.post("/environments", json={"name": "has space", "production": True}).status_code == 400
    assert client.post("/environments", json={"name": "x"}).status_code == 400  # production is required

    updated = client.put(f"/environments/{env['uuid']}", json={"name": "prod", "production": True})
    assert updated.status_code == 200 and updated.json()["name"] == "prod"
    assert client.get("/environments/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.delete(f"/environments/{env['uuid']}").status_code == 204
    assert session.execute(select(func.count()).select_from(Environment)).scalar_one() == 0


def test_record_deployment_replaces_the_previous_version_of_the_same_instance(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.create_version("Foo", "1").create_version("Foo", "2")
    env = _env(client)

    def deploy(version: str, instance: str | None = None) -> dict[str, object]:
        links = client.get(f"/pacticipants/Foo/versions/{version}").json()["_links"]["pb:record-deployment"]
        href = next(link["href"] for link in links if link["name"] == "production")
        body = {"applicationInstance": instance} if instance else {}
        response = client.post(href, json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    first = deploy("1")
    assert first["currentlyDeployed"] is True and first["applicationInstance"] is None
    again = client.post(f"/pacticipants/Foo/versions/1/deployed-versions/environment/{env['uuid']}", json={})
    assert again.status_code == 200 and again.json()["uuid"] == first["uuid"]  # already current: same record
    version_links = client.get("/pacticipants/Foo/versions/1").json()["_links"]
    assert [link["name"] for link in version_links["pb:deployed-environments"]] == ["production"]
    blue = deploy("1", "blue")
    second = deploy("2")
    current = client.get(
        f"/environments/{env['uuid']}/deployed-versions/currently-deployed", params={"pacticipant": "Foo"}
    ).json()["_embedded"]["deployedVersions"]
    assert sorted((d["_embedded"]["version"]["number"], d["applicationInstance"]) for d in current) == [
        ("1", "blue"),
        ("2", None),
    ]
    assert client.get(f"/deployed-versions/{first['uuid']}").json()["currentlyDeployed"] is False
    only_blue = client.get(
        f"/environments/{env['uuid']}/deployed-versions/currently-deployed",
        params={"pacticipant": "Foo", "applicationInstance": "blue"},
    ).json()["_embedded"]["deployedVersions"]
    assert [d["uuid"] for d in only_blue] == [blue["uuid"]]

    undeploy = client.patch(
        f"/deployed-versions/{second['uuid']}",
        content=b'{"currentlyDeployed": false}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert undeploy.status_code == 200 and undeploy.json()["currentlyDeployed"] is False
    assert undeploy.json()["undeployedAt"]
    redeploy = client.patch(f"/deployed-versions/{second['uuid']}", json={"currentlyDeployed": True})
    assert redeploy.status_code == 422
    assert session.execute(select(func.count()).select_from(CurrentlyDeployedVersionId)).scalar_one() == 1
    assert session.execute(select(func.count()).select_from(DeployedVersion)).scalar_one() == 3


def test_deployment_to_unknown_things_is_404_and_changes_nothing(
    client: TestClient, td: TestDataBuilder, session: Session
) -> None:
    td.create_version("Foo", "1")
    env = _env(client)
    base = "/pacticipants/{p}/versions/{v}/deployed-versions/environment/{e}"
    assert client.post(base.format(p="Foo", v="1", e="no-such-env"), json={}).status_code == 404
    assert client.post(base.format(p="Nobody", v="1", e=env["uuid"]), json={}).status_code == 404
    assert client.post(base.format(p="Foo", v="9", e=env["uuid"]), json={}).status_code == 404
    assert client.patch("/deployed-versions/nope", json={"currentlyDeployed": False}).status_code == 404
    bad = client.post(base.format(p="Foo", v="1", e=env["uuid"]), json={"applicationInstance": 5})
    assert bad.status_code == 400
    assert (
        client.get(
            f"/environments/{env['uuid']}/deployed-versions/currently-deployed",
            params={"pacticipant": "Nobody"},
        ).status_code
        == 404
    )
    assert session.execute(select(func.count()).select_from(DeployedVersion)).scalar_one() == 0


def test_releases_accumulate_and_support_can_end(client: TestClient, td: TestDataBuilder) -> None:
    td.create_version("App", "1").create_version("App", "2")
    env = _env(client, "app-store")
    url = "/pacticipants/App/versions/{v}/released-versions/environment/" + str(env["uuid"])
    one = client.post(url.format(v="1"), json={})
    assert one.status_code == 201 and one.json()["currentlySupported"] is True
    assert client.post(url.format(v="1")).status_code == 200  # idempotent
    assert client.post(url.format(v="2"), json={}).status_code == 201
    supported = client.get(f"/environments/{env['uuid']}/released-versions/currently-supported").json()
    assert sorted(
        r["_embedded"]["version"]["number"] for r in supported["_embedded"]["releasedVersions"]
    ) == ["1", "2"]
    ended = client.patch(f"/released-versions/{one.json()['uuid']}", json={"currentlySupported": False})
    assert ended.status_code == 200 and ended.json()["currentlySupported"] is False
    assert (
        client.patch(
            f"/released-versions/{one.json()['uuid']}", json={"currentlySupported": True}
        ).status_code
        == 422
    )
    supported = client.get(f"/environments/{env['uuid']}/released-versions/currently-supported").json()
    assert [r["_embedded"]["version"]["number"] for r in supported["_embedded"]["releasedVersions"]] == ["2"]
    rereleased = client.post(url.format(v="1"), json={})
    assert rereleased.json()["currentlySupported"] is True
