"""`GET /matrix`: Rack-style selectors, latestby, limit, success filter and validation, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from broker.testing.builder import TestDataBuilder


@contextmanager
def count_selects(app: FastAPI) -> Iterator[list[str]]:
    """The SELECT statements the app's engine runs inside the block."""
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(app.state.engine, "before_cursor_execute", listener)


def matrix(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/matrix?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/hal+json")
    body: dict[str, Any] = response.json()
    return body


def _history(td: TestDataBuilder) -> TestDataBuilder:
    """Foo 1 verified by Bar 1; Foo 2 (same content) failed by Bar 2; Foo 3 (new content) unverified."""
    (
        td.create_consumer("Foo", main_branch="main")
        .create_provider("Bar")
        .create_consumer_version("1", branch="main", tags=["prod"])
        .create_pact("Bar")
        .create_verification("1")
        .create_consumer_version("2", branch="main")
        .create_pact("Bar")
        .create_verification("2", success=False)
        .create_consumer_version("3", branch="main")
        .create_pact("Bar", description="changed")
    )
    return td


def test_matrix_between_two_pacticipants_matches_the_reference_summary(
    client: TestClient, td: TestDataBuilder
) -> None:
    _history(td)
    body = matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv")
    assert body["summary"] == {
        "deployable": None,
        "reason": "The verification for the pact between any version of Foo and any version of Bar failed\n"
        "There is no verified pact between any version of Foo and any version of Bar",
        "success": 2,
        "failed": 2,
        "unknown": 1,
    }
    rows = [
        (r["consumer"]["version"]["number"], (r["provider"]["version"] or {}).get("number"))
        for r in body["matrix"]
    ]
    # Newest consumer version first, unverified rows before verified ones, newest provider first.
    assert rows == [("3", None), ("2", "2"), ("2", "1"), ("1", "2"), ("1", "1")]
    first = body["matrix"][0]
    assert first["provider"]["version"] is None and first["verificationResult"] is None
    branch = first["consumer"]["version"]["branchVersions"][0]
    assert branch["name"] == "main" and branch["latest"] is True
    assert branch["_links"]["self"] == {
        "title": "Branch version",
        "name": "main",
        "href": "http://broker.test/pacticipants/Foo/branches/main/versions/3",
    }
    tagged = body["matrix"][-1]["consumer"]["version"]
    assert tagged["tags"] == [
        {
            "name": "prod",
            "latest": True,
            "_links": {"self": {"href": "http://broker.test/pacticipants/Foo/versions/1/tags/prod"}},
        }
    ]
    assert tagged["branches"][0]["latest"] is False


def test_flat_encoding_and_a_specific_version(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    body = matrix(client, "q[]pacticipant=Foo&q[]version=2&q[]pacticipant=Bar&q[]version=1&latestby=cvpv")
    assert body["summary"]["deployable"] is True
    # Both numbers exist for both pacticipants: each selector keeps its own (Foo 2, Bar 1), not the pairs
    # the one look-up of names and numbers also finds.
    assert [r["provider"]["version"]["number"] for r in body["matrix"]] == ["1"]
    assert [r["consumer"]["version"]["number"] for r in body["matrix"]] == ["2"]
    unknown = matrix(client, "q[]pacticipant=Foo&q[]version=9&q[]pacticipant=Bar&q[]version=1&latestby=cvpv")
    assert unknown["matrix"] == [] and unknown["summary"]["deployable"] is False
    reason = "No pacts or verifications have been published for version 9 of Foo"
    assert unknown["summary"]["reason"] == reason


def test_latestby_cvp_keeps_the_newest_provider_version(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    body = matrix(client, "q[][pacticipant]=Foo&q[][version]=2&latestby=cvp&latest=true")
    assert [
        (r["provider"]["version"]["number"], r["verificationResult"]["success"]) for r in body["matrix"]
    ] == [("2", False)]
    assert body["summary"]["deployable"] is False


def test_success_filter_and_limit(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    failed = matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&success[]=false")
    assert {r["verificationResult"]["success"] for r in failed["matrix"]} == {False}
    unknown = matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&success[]=")
    assert [r["verificationResult"] for r in unknown["matrix"]] == [None]
    limited = matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&limit=1")
    assert len(limited["matrix"]) == 1


def test_ignore_with_a_version(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    body = matrix(
        client,
        "q[][pacticipant]=Foo&q[][version]=2&latestby=cvp&latest=true&ignore[][pacticipant]=Bar&ignore[][version]=2",
    )
    assert body["summary"]["ignored"] == 1
    assert body["matrix"][0]["ignored"] is True


def test_invalid_matrix_queries_list_every_error(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    response = client.get(
        "/matrix?q[][pacticipant]=Wiffle&q[][pacticipant]=Meep&q[][version]=1&q[][latest]=true"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "A version number and latest flag cannot both be specified for Meep",
        "Pacticipant Wiffle not found",
        "Pacticipant Meep not found",
    ]
    assert client.get("/matrix").json()["errors"] == ["Please provide 1 or more version selectors."]
    malformed = client.get("/matrix?q=Foo&q[][pacticipant]=Bar")
    assert malformed.status_code == 400
    assert "query" in malformed.json()["errors"]
    options = client.get("/matrix?q[][pacticipant]=Foo&tag=prod&environment=nowhere&latest=true&limit=0")
    assert options.json()["errors"] == [
        "Cannot specify more than one of tag, environment and mainBranch.",
        "Cannot specify both latest=true and an environment.",
        "Environment with name 'nowhere' does not exist",
        "The limit must be 1 or greater.",
    ]


def test_matrix_runs_a_bounded_number_of_queries(
    client: TestClient, td: TestDataBuilder, broker_app: FastAPI
) -> None:
    _history(td)
    with count_selects(broker_app) as small:
        matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv")
    for n in range(4, 14):
        td.create_consumer_version(str(n), branch="main", tags=["t"]).create_pact("Bar").create_verification(
            str(n)
        )
    with count_selects(broker_app) as large:
        body = matrix(client, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv")
    print(f"matrix SELECT statements: {len(small)} for 5 rows, {len(large)} for {len(body['matrix'])} rows")
    assert len(small) == len(large) <= 10


def test_matrix_for_one_integration(client: TestClient, td: TestDataBuilder) -> None:
    _history(td)
    response = client.get("/matrix/provider/Bar/consumer/Foo?latestby=cvpv")
    assert response.status_code == 200
    body = response.json()
    assert len(body["matrix"]) == 5
    assert body["summary"]["deployable"] is None
    assert client.get("/matrix/provider/Bar/consumer/Nope").status_code == 404
    assert client.get("/matrix/provider/Bar/consumer/Foo?limit=0").json()["errors"] == [
        "The limit must be 1 or greater."
    ]


def test_main_branch_target_checks_the_head_of_each_main_branch(
    client: TestClient, td: TestDataBuilder
) -> None:
    """`can-i-merge`: is this version compatible with the latest main of everything it integrates with?"""
    (
        td.create_consumer("Foo", main_branch="main")
        .create_provider("Bar", main_branch="main")
        .create_consumer_version("1", branch="feat")
        .create_pact("Bar")
        .create_verification("1", branch="main")
    )
    query = "q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&mainBranch=true&latest=true"
    body = matrix(client, query)
    assert body["summary"]["deployable"] is True
    td.create_provider_version("2", branch="main")  # a newer main head that has not verified the pact
    body = matrix(client, query)
    assert body["summary"]["deployable"] is None
    assert body["summary"]["reason"] == (
        "There is no verified pact between version 1 of Foo and the latest version of Bar from branch main "
        "(2)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/matrix?q[][pacticipant][]=Foo",
        "/matrix?q[][pacticipant]=Foo&latestby[]=cvp&limit[]=1&success[x]=1",
        "/matrix?q[][pacticipant]=Foo&ignore[]=Bar&ignore[][pacticipant][x]=1",
        "/can-i-deploy?pacticipant[]=Foo&version=1&environment=production",
        "/can-i-deploy?pacticipant=Foo&version=1&environment=production&ignore[][pacticipant][]=Bar",
        "/can-i-deploy?pacticipant=Foo&version=1&to[x]=y",
        "/pacts/provider/Bar/for-verification?consumer_version_selectors=x&provider_version_tags=main",
        "/pacts/provider/Bar/for-verification?consumer_version_selectors[][branch]=true&include_wip_pacts_since=x",
    ],
)
def test_odd_queries_never_crash(url: str, client: TestClient, td: TestDataBuilder) -> None:
    _history(td).create_environment("production")
    response = client.get(url)
    assert response.status_code in (200, 400), response.text
