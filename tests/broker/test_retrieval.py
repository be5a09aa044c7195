"""Reading pacts back: by version, latest, tag, branch, content SHA (with metadata), and the lists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from broker.pacts import metadata
from broker.testing import TestDataBuilder


def scenario(td: TestDataBuilder) -> TestDataBuilder:
    (
        td.create_consumer("Foo")
        .create_consumer_version("1", branch="main", tags=["prod"])
        .create_pact(provider="Bar")
        .create_consumer_version("2", branch="feat")
        .create_pact(provider="Bar", description="v2")
        .create_pact(provider="Baz")
        .create_consumer("Qux")
        .create_consumer_version("9", branch="main")
        .create_pact(provider="Bar")
    )
    return td


def test_pact_by_version_has_links_and_interaction_ids(client: TestClient, td: TestDataBuilder) -> None:
    scenario(td)
    pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    assert pact["consumer"] == {"name": "Foo"} and pact["interactions"][0]["_id"]
    links = pact["_links"]
    sha = links["pb:pact-version"]["name"]
    assert links["pb:publish-verification-results"]["href"] == (
        f"http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/{sha}/verification-results"
    )
    assert links["pb:provider"]["href"] == "http://broker.test/pacticipants/Bar"
    assert client.get("/pacts/provider/Bar/consumer/Foo/version/404").status_code == 404
    assert client.get("/pacts/provider/Nope/consumer/Foo/version/1").status_code == 404


def test_latest_tag_and_branch(client: TestClient, td: TestDataBuilder) -> None:
    scenario(td)
    latest = client.get("/pacts/provider/Bar/consumer/Foo/latest")
    assert latest.headers["x-pact-consumer-version"] == "2"
    assert latest.json()["interactions"][0]["description"] == "v2"
    token = (
        latest.json()["_links"]["pb:publish-verification-results"]["href"]
        .split("/metadata/")[1]
        .split("/")[0]
    )
    assert metadata.parse(token).consumer_version_ids  # ties results back to the consumer version
    tagged = client.get("/pacts/provider/Bar/consumer/Foo/latest/prod")
    assert tagged.headers["x-pact-consumer-version"] == "1"
    assert client.get("/pacts/provider/Bar/consumer/Foo/latest/nope").status_code == 404
    on_branch = client.get("/pacts/provider/Bar/consumer/Foo/branch/main/latest")
    assert on_branch.headers["x-pact-consumer-version"] == "1"


def test_by_sha_with_and_without_metadata(client: TestClient, td: TestDataBuilder) -> None:
    scenario(td)
    pact = client.get("/pacts/provider/Bar/consumer/Foo/version/1").json()
    sha = pact["_links"]["pb:pact-version"]["name"]
    by_sha = client.get(f"/pacts/provider/Bar/consumer/Foo/pact-version/{sha}")
    assert by_sha.status_code == 200 and by_sha.json()["interactions"] == pact["interactions"]
    token = metadata.encode({"s": [{"b": "main", "l": True, "cv": 1}], "p": True})
    with_meta = client.get(f"/pacts/provider/Bar/consumer/Foo/pact-version/{sha}/metadata/{token}").json()
    assert with_meta["_links"]["pb:publish-verification-results"]["href"].endswith(
        f"/pact-version/{sha}/metadata/{token}/verification-results"
    )
    assert (
        client.get(f"/pacts/provider/Bar/consumer/Foo/pact-version/{sha}/metadata/%25%25").status_code == 400
    )
    assert client.get("/pacts/provider/Bar/consumer/Foo/pact-version/0000").status_code == 404


def test_provider_lists_and_latest_pacts(client: TestClient, td: TestDataBuilder) -> None:
    scenario(td)
    latest = client.get("/pacts/provider/Bar/latest").json()
    assert [(p["name"], p["href"].rsplit("/", 1)[1]) for p in latest["_links"]["pb:pacts"]] == [
        ("Foo", "2"),
        ("Qux", "9"),
    ]
    tagged = client.get("/pacts/provider/Bar/latest/prod").json()
    assert [p["name"] for p in tagged["_links"]["pb:pacts"]] == ["Foo"]
    main = client.get("/pacts/provider/Bar/branch/main/latest").json()["_links"]["pb:pacts"]
    assert [p["href"].rsplit("/", 1)[1] for p in main] == ["1", "9"]
    every = client.get("/pacts/provider/Bar").json()["_links"]["pb:pacts"]
    assert len(every) == 3
    assert client.get("/pacts/provider/Nobody/latest").status_code == 404

    all_latest = client.get("/pacts/latest").json()["pacts"]
    rows = [
        (
            p["_embedded"]["consumer"]["name"],
            p["_embedded"]["consumer"]["_embedded"]["version"]["number"],
            p["_embedded"]["provider"]["name"],
        )
        for p in all_latest
    ]
    assert rows == [("Foo", "2", "Bar"), ("Foo", "2", "Baz"), ("Qux", "9", "Bar")]
