"""The `/matrix` requests of the Ruby client's own consumer pact (pact_broker-client
`spec/pacts/pact_broker_client-pact_broker.json`), with their provider states built by `td`: the exact
query strings the client sends, and the parts of the response its pact pins down."""

from __future__ import annotations

from fastapi.testclient import TestClient

from broker.testing.builder import TestDataBuilder


def test_ignoring_one_failed_consumer_version(client: TestClient, td: TestDataBuilder) -> None:
    # provider Bar version 4.5.6 has a successful verification for Foo version 1.2.3 tagged prod and a
    # failed verification for version 3.4.5 tagged prod
    (
        td.create_consumer("Foo")
        .create_consumer_version("1.2.3", tags=["prod"])
        .create_pact("Bar", description="one")
        .create_verification("4.5.6", success=True)
        .create_consumer_version("3.4.5", tags=["prod"])
        .create_pact("Bar", description="three")
        .create_verification("4.5.6", success=False)
    )
    response = client.get(
        "/matrix?q%5B%5D%5Bpacticipant%5D=Bar&q%5B%5D%5Bversion%5D=4.5.6&q%5B%5D%5Bpacticipant%5D=Foo"
        "&q%5B%5D%5Btag%5D=prod&latestby=cvpv&ignore%5B%5D%5Bpacticipant%5D=Foo&ignore%5B%5D%5Bversion%5D=3.4.5"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["summary"]["deployable"] is True and body["summary"]["ignored"] == 1
    assert all(set(n) == {"text", "type"} for n in body["notices"]) and body["notices"]
    rows = [
        (
            r["consumer"]["version"]["number"],
            r["provider"]["version"]["number"],
            r["verificationResult"]["success"],
            r.get("ignored"),
        )
        for r in body["matrix"]
    ]
    assert rows == [("1.2.3", "4.5.6", True, None), ("3.4.5", "4.5.6", False, True)]
    assert all(r["verificationResult"]["_links"]["self"]["href"].startswith("http") for r in body["matrix"])


def test_latest_prod_versions_of_all_other_pacticipants(client: TestClient, td: TestDataBuilder) -> None:
    # the pact for Foo version 1.2.3 has been successfully verified by Bar version 4.5.6 (tagged prod) and
    # version 5.6.7
    (
        td.create_consumer("Foo")
        .create_consumer_version("1.2.3")
        .create_pact("Bar")
        .create_verification("4.5.6", tags=["prod"])
        .create_verification("5.6.7")
    )
    response = client.get(
        "/matrix?q%5B%5D%5Bpacticipant%5D=Foo&q%5B%5D%5Bversion%5D=1.2.3&latestby=cvp&latest=true&tag=prod"
    )
    assert response.status_code == 200
    # The client's pact has no matchers here: exactly this one row.
    assert [
        (
            r["consumer"]["name"],
            r["consumer"]["version"]["number"],
            r["provider"]["name"],
            r["provider"]["version"]["number"],
        )
        for r in response.json()["matrix"]
    ] == [("Foo", "1.2.3", "Bar", "4.5.6")]


def test_a_version_that_does_not_exist_still_answers_200_with_a_reason(
    client: TestClient, td: TestDataBuilder
) -> None:
    td.create_consumer("Foo").create_consumer_version("1.2.3").create_pact("Bar").create_verification("4.5.6")
    response = client.get(
        "/matrix?q%5B%5D%5Bpacticipant%5D=Foo&q%5B%5D%5Bversion%5D=1.2.3&q%5B%5D%5Bpacticipant%5D=Bar"
        "&q%5B%5D%5Bversion%5D=9.9.9&latestby=cvpv"
    )
    assert response.status_code == 200
    assert response.json()["summary"]["reason"] == (
        "No pacts or verifications have been published for version 9.9.9 of Bar"
    )


def test_pacticipants_that_do_not_exist_are_a_400_with_a_list_of_errors(client: TestClient) -> None:
    response = client.get(
        "/matrix?q%5B%5D%5Bpacticipant%5D=Wiffle&q%5B%5D%5Bversion%5D=1.2.3&q%5B%5D%5Bpacticipant%5D=Meep"
        "&q%5B%5D%5Bversion%5D=9.9.9&latestby=cvpv"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": ["Pacticipant Wiffle not found", "Pacticipant Meep not found"]}


def test_a_name_with_a_space(client: TestClient, td: TestDataBuilder) -> None:
    td.create_consumer("Foo Thing").create_consumer_version("1.2.3").create_pact("Bar").create_verification(
        "4.5.6"
    )
    response = client.get(
        "/matrix?q%5B%5D%5Bpacticipant%5D=Foo%20Thing&q%5B%5D%5Bversion%5D=1.2.3&q%5B%5D%5Bpacticipant%5D=Bar"
        "&q%5B%5D%5Bversion%5D=4.5.6&latestby=cvpv"
    )
    assert response.status_code == 200
    [row] = response.json()["matrix"]
    assert row["consumer"]["_links"]["self"]["href"] == "http://broker.test/pacticipants/Foo%20Thing"
    assert response.json()["summary"]["deployable"] is True
