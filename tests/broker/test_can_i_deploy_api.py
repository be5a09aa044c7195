"""`GET /can-i-deploy` and the release-gate stories, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def can_i_deploy(client: TestClient, pacticipant: str, version: str, **params: Any) -> dict[str, Any]:
    response = client.get("/can-i-deploy", params={"pacticipant": pacticipant, "version": version, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def summary(client: TestClient, pacticipant: str, version: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = can_i_deploy(client, pacticipant, version, **params)["summary"]
    return result


def _foo_needs_bar(td: TestDataBuilder) -> TestDataBuilder:
    return (
        td.create_environment("production", production=True)
        .create_consumer("Foo", main_branch="main")
        .create_provider("Bar", main_branch="main")
        .create_consumer_version("1", branch="main")
        .create_pact("Bar")
    )


def test_an_unverified_pact_blocks_the_consumer(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td)
    assert summary(client, "Foo", "1", environment="production") == {
        "deployable": None,
        "reason": "There is no verified pact between version 1 of Foo and a version of Bar currently in "
        "production (no version is currently recorded as deployed/released in this environment)",
        "success": 0,
        "failed": 0,
        "unknown": 1,
    }


def test_a_verified_and_deployed_provider_lets_the_consumer_through(
    client: TestClient, td: TestDataBuilder
) -> None:
    _foo_needs_bar(td).create_verification("2", branch="main").create_deployed_version_for_provider_version()
    body = can_i_deploy(client, "Foo", "1", environment="production")
    assert body["summary"] == {
        "deployable": True,
        "reason": "All required verification results are published and successful",
        "success": 1,
        "failed": 0,
        "unknown": 0,
    }
    assert body["notices"] == [
        {"type": "success", "text": "All required verification results are published and successful"}
    ]
    [row] = body["matrix"]
    assert row["consumer"]["version"]["number"] == "1"
    assert row["consumer"]["version"]["branch"] == "main"
    assert row["provider"]["version"]["number"] == "2"
    assert row["provider"]["version"]["environments"][0]["name"] == "production"
    assert row["verificationResult"]["success"] is True
    assert row["verificationResult"]["_links"]["self"]["href"].startswith(
        "http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/"
    )
    assert (
        row["pact"]["_links"]["self"]["href"]
        == "http://broker.test/pacts/provider/Bar/consumer/Foo/version/1"
    )


def test_a_provider_may_deploy_before_its_consumers(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_provider_version("2", branch="main")
    assert summary(client, "Bar", "2", environment="production") == {
        "deployable": True,
        "reason": "There are no missing dependencies",
        "success": 0,
        "failed": 0,
        "unknown": 0,
    }


def test_a_failed_verification_blocks_a_provider_whose_consumer_is_deployed(
    client: TestClient, td: TestDataBuilder
) -> None:
    _foo_needs_bar(td).create_deployed_version_for_consumer_version().create_verification("2", success=False)
    result = summary(client, "Bar", "2", environment="production")
    assert result["deployable"] is False
    assert result["failed"] == 1
    assert result["reason"] == (
        "The verification for the pact between the version of Foo currently in production (1) and "
        "version 2 of Bar failed"
    )


def test_a_provider_without_results_for_a_deployed_consumer_is_unknown(
    client: TestClient, td: TestDataBuilder
) -> None:
    _foo_needs_bar(td).create_deployed_version_for_consumer_version().create_provider_version("3")
    result = summary(client, "Bar", "3", environment="production")
    assert result["deployable"] is None
    assert result["unknown"] == 1


def test_identical_content_from_a_new_consumer_version_is_already_verified(
    client: TestClient, td: TestDataBuilder
) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    td.create_consumer_version("2", branch="main").create_pact("Bar")  # same content, same SHA
    assert summary(client, "Foo", "2", environment="production")["deployable"] is True


def test_changed_pact_content_needs_a_new_verification(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    td.create_consumer_version("2", branch="main").create_pact("Bar", description="a changed request")
    result = summary(client, "Foo", "2", environment="production")
    assert result["deployable"] is None
    assert result["reason"] == (
        "There is no verified pact between version 2 of Foo and the version of Bar currently in "
        "production (2)"
    )
    td.create_verification("2")
    assert summary(client, "Foo", "2", environment="production")["deployable"] is True


def test_a_new_deployment_replaces_the_old_one(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    td.create_verification("3", success=False).create_deployed_version_for_provider_version()
    result = summary(client, "Foo", "1", environment="production")
    assert result["deployable"] is False
    assert result["reason"].endswith("version of Bar currently in production (3) failed")
    td.create_deployed_version(pacticipant="Bar", version="2", environment="production")
    assert summary(client, "Foo", "1", environment="production")["deployable"] is True


def test_every_coresident_released_version_is_checked(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2", success=False).create_released_version()
    td.create_verification("3").create_released_version()
    body = can_i_deploy(client, "Foo", "1", environment="production")
    assert body["summary"]["deployable"] is False
    assert body["summary"]["success"] == 1 and body["summary"]["failed"] == 1


def test_ignored_pacticipants_do_not_block(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    td.create_pact("Baz")
    blocked = summary(client, "Foo", "1", environment="production")
    assert blocked["deployable"] is None
    body = client.get("/can-i-deploy?pacticipant=Foo&version=1&environment=production&ignore[]=Baz").json()
    assert body["summary"] == {
        "deployable": True,
        "reason": "All required verification results are published and successful",
        "success": 1,
        "failed": 0,
        "unknown": 0,
        "ignored": 1,
    }
    assert body["matrix"][-1]["ignored"] is True
    assert body["matrix"][-1]["provider"]["name"] == "Baz"


def test_ignoring_a_pacticipant_that_does_not_exist_warns(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    body = client.get("/can-i-deploy?pacticipant=Foo&version=1&environment=production&ignore[]=Nope").json()
    assert body["summary"]["deployable"] is True
    assert body["notices"][0] == {
        "type": "warning",
        "text": "WARN: Cannot ignore any version of Nope (no such pacticipant exists)",
    }


def test_a_version_that_does_not_exist_is_not_deployable(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td)
    result = summary(client, "Foo", "99", environment="production")
    assert result["deployable"] is False
    assert result["reason"] == "No pacts or verifications have been published for version 99 of Foo"


def test_to_tag_uses_the_latest_tagged_version(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2", tags=["prod"])
    assert summary(client, "Foo", "1", to="prod")["deployable"] is True
    td.create_verification("3", success=False, tags=["prod"])
    assert summary(client, "Foo", "1", to="prod")["deployable"] is False


def test_bad_queries_get_400_naming_the_field(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td)
    missing = client.get("/can-i-deploy", params={"pacticipant": "Foo", "environment": "production"})
    assert missing.status_code == 400
    assert "version" in missing.json()["errors"]
    both = client.get(
        "/can-i-deploy", params={"pacticipant": "Foo", "version": "1", "to": "x", "environment": "production"}
    )
    assert both.json()["errors"] == {"base": ["Cannot specify both a 'to' tag and an environment."]}
    unknown = client.get(
        "/can-i-deploy", params={"pacticipant": "Nope", "version": "1", "environment": "nowhere"}
    )
    assert set(unknown.json()["errors"]) == {"pacticipant", "environment"}


def test_branch_latest_version_to_environment(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    url = "/pacticipants/Foo/branches/{}/latest-version/can-i-deploy/to-environment/{}"
    response = client.get(url.format("main", "production"))
    assert response.status_code == 200
    assert response.json()["summary"]["deployable"] is True
    assert client.get(url.format("nope", "production")).status_code == 404
    assert client.get(url.format("main", "nowhere")).status_code == 404


def test_latest_tagged_version_to_tag(client: TestClient, td: TestDataBuilder) -> None:
    """The reference's tag-to-tag URL: a warning for not naming a version, then the verdict."""
    (
        td.create_consumer("Foo")
        .create_consumer_version("1.2.3", tags=["dev"])
        .create_pact("Bar")
        .create_verification("2", tags=["prod"])
    )
    response = client.get("/pacticipants/Foo/latest-version/dev/can-i-deploy/to/prod")
    assert response.status_code == 200
    assert response.json()["summary"] == {
        "deployable": True,
        "reason": "WARN: It is recommended to specify the version number (rather than the tag or branch) "
        "of the pacticipant you wish to deploy to avoid race conditions. Without a version number, this "
        "result will not be reliable.\nAll required verification results are published and successful",
        "success": 1,
        "failed": 0,
        "unknown": 0,
    }
    assert client.get("/pacticipants/Foo/latest-version/nope/can-i-deploy/to/prod").status_code == 404


def test_can_i_deploy_runs_a_bounded_number_of_queries(
    client: TestClient, td: TestDataBuilder, broker_app: FastAPI
) -> None:
    """The statement count must not grow with the number of integrations (selectors resolved once)."""
    _foo_needs_bar(td).create_verification("2").create_deployed_version_for_provider_version()
    counts = []
    for n in range(3):
        for i in range(5):
            td.create_consumer_version("1", consumer="Foo").create_pact(f"P{n}-{i}")
            td.create_verification("1").create_deployed_version_for_provider_version()
        with count_selects(broker_app) as statements:
            assert summary(client, "Foo", "1", environment="production")["deployable"] is True
        counts.append(len(statements))
    print(f"can-i-deploy SELECT statements with 6/11/16 integrations: {counts}")
    assert counts[0] == counts[1] == counts[2]
    # 11 at first: the answer cache's counters, names, environment and the selector's version (one
    # statement, reused by the query), integrations on both sides (one), versions in the environment, rows,
    # and branches + tags + environments of the versions in one.
    assert counts[0] <= 6


def test_badges_redirect_to_shields(client: TestClient, td: TestDataBuilder) -> None:
    _foo_needs_bar(td).create_verification("2", branch="main", tags=["prod"])
    td.use_consumer("Foo").create_tag("dev", pacticipant="Foo", version="1")

    def badge(url: str) -> str:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["cache-control"] == "max-age=30"
        location: str = response.headers["location"]
        return location

    branch_badge = (
        "/pacticipants/Foo/branches/main/latest-version/can-i-deploy/to-environment/production/badge"
    )
    assert badge(branch_badge) == "https://img.shields.io/badge/can--i--deploy-main%20to%20production-red.svg"
    td.create_deployed_version_for_provider_version("production")
    assert badge(branch_badge).endswith("-brightgreen.svg")
    assert badge("/pacticipants/Foo/latest-version/dev/can-i-deploy/to/prod/badge?label=ship") == (
        "https://img.shields.io/badge/ship-dev%20to%20prod-brightgreen.svg"
    )
    assert badge("/pacticipants/Foo/main-branch/can-i-merge/badge") == (
        "https://img.shields.io/badge/can--i--merge-success-brightgreen.svg"
    )
    assert badge("/pacticipants/Nope/main-branch/can-i-merge/badge").endswith(
        "/pacticipant-not%20found-lightgrey.svg"
    )
    assert badge(branch_badge.replace("production", "nowhere")).endswith(
        "/environment-not%20found-lightgrey.svg"
    )


def test_a_provider_must_support_every_consumer_version_in_the_environment(
    client: TestClient, td: TestDataBuilder
) -> None:
    """Reference `integration_environment_spec`: two released consumer versions, each must be verified."""
    (
        td.create_environment("production", production=True)
        .create_consumer("Foo")
        .create_consumer_version("1")
        .create_pact("Bar", description="one")
        .create_released_version(pacticipant="Foo", version="1")
        .create_consumer_version("2")
        .create_pact("Bar", description="two")
        .create_released_version(pacticipant="Foo", version="2")
        .create_verification("5")
    )
    result = summary(client, "Bar", "5", environment="production")
    assert (result["deployable"], result["success"], result["unknown"]) == (None, 1, 1)
    assert result["reason"] == (
        "There is no verified pact between one of the versions of Foo currently in production (1) and "
        "version 5 of Bar"
    )
    td.create_consumer_version("1").create_pact("Bar", description="one").create_verification("5")
    assert summary(client, "Bar", "5", environment="production")["deployable"] is True


def test_every_application_instance_of_a_provider_counts(client: TestClient, td: TestDataBuilder) -> None:
    """Two instances of Bar in production (different targets): an older failing one blocks Foo."""
    _foo_needs_bar(td).create_verification("2", success=False)
    td.create_deployed_version(
        pacticipant="Bar", version="2", environment="production", application_instance="eu"
    )
    td.create_verification("3")
    td.create_deployed_version(
        pacticipant="Bar", version="3", environment="production", application_instance="us"
    )
    result = summary(client, "Foo", "1", environment="production")
    assert (result["deployable"], result["success"], result["failed"]) == (False, 1, 1)
