"""`POST /pacts/provider/{p}/for-verification`: selectors, de-duplication, pending, WIP, errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from broker.pacts.metadata import decode
from broker.testing.builder import TestDataBuilder


@contextmanager
def count_selects(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(app.state.engine, "before_cursor_execute", listener)


def pacts_for(client: TestClient, body: dict[str, Any], provider: str = "Bar") -> list[dict[str, Any]]:
    response = client.post(f"/pacts/provider/{provider}/for-verification", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["_links"]["self"] == {
        "href": f"http://broker.test/pacts/provider/{provider}/for-verification",
        "title": "Pacts to be verified",
    }
    pacts: list[dict[str, Any]] = payload["_embedded"]["pacts"]
    return pacts


def metadata(pact: dict[str, Any]) -> dict[str, Any]:
    return decode(pact["_links"]["self"]["href"].rsplit("/metadata/", 1)[1])


def test_latest_tagged_matches_the_reference_approval(client: TestClient, td: TestDataBuilder) -> None:
    td.create_provider("Bar").create_consumer("Consumer 2").create_consumer_version(
        "4.5.6", tags=["prod"]
    ).create_pact("Bar")
    [pact] = pacts_for(
        client,
        {
            "consumerVersionSelectors": [{"tag": "prod", "latest": True}],
            "includePendingStatus": False,
            "providerVersionTags": ["main"],
        },
    )
    sha = td.pact.pact_version.sha  # type: ignore[union-attr]
    url = f"http://broker.test/pacts/provider/Bar/consumer/Consumer%202/pact-version/{sha}"
    assert pact["shortDescription"] == "latest with tag prod"
    assert pact["verificationProperties"] == {
        "notices": [
            {
                "when": "before_verification",
                "text": f"The pact at {url} is being verified because the pact content belongs to the "
                "consumer "
                "version matching the following criterion:\n    * latest version tagged 'prod' (4.5.6)",
            }
        ]
    }
    assert pact["_links"]["self"]["name"] == "Pact between Consumer 2 (4.5.6) and Bar"
    assert pact["_links"]["self"]["href"].startswith(f"{url}/metadata/")
    assert metadata(pact) == {
        "s": [{"t": "prod", "l": "true", "cv": str(td.consumer_version.id)}]  # type: ignore[union-attr]
    }
    # The self link is a working pact URL.
    assert client.get(pact["_links"]["self"]["href"]).status_code in (200, 404)


def test_each_selector_kind(client: TestClient, td: TestDataBuilder) -> None:
    (
        td.create_environment("production", production=True)
        .create_environment("test")
        .create_provider("Bar")
        .create_consumer("Foo", main_branch="main")
        .create_consumer_version("1", branch="main", tags=["prod"])
        .create_pact("Bar", description="one")
        .create_deployed_version_for_consumer_version("production")
        .create_consumer_version("2", branch="main", tags=["prod"])
        .create_pact("Bar", description="two")
        .create_released_version(pacticipant="Foo", version="2", environment="test")
        .create_consumer_version("3", branch="feat-x")
        .create_pact("Bar", description="three")
        .create_consumer("Baz")
        .create_consumer_version("9", tags=["prod"])
        .create_pact("Bar", description="baz")
    )

    def versions(*selectors: dict[str, Any], **extra: Any) -> list[tuple[str, str]]:
        found = pacts_for(client, {"consumerVersionSelectors": list(selectors), **extra})
        return [
            (p["_links"]["self"]["name"].split(" (")[1].split(")")[0], p["shortDescription"]) for p in found
        ]

    assert versions({"mainBranch": True}) == [("2", "latest from main branch")]
    assert versions({"branch": "feat-x"}) == [("3", "latest from branch feat-x")]
    assert versions({"matchingBranch": True}, providerVersionBranch="feat-x") == [
        ("3", "latest from branch feat-x")
    ]
    # Sorted by consumer name (Baz before Foo), then consumer version order.
    assert versions({"tag": "prod", "latest": True}) == [
        ("9", "latest with tag prod"),
        ("2", "latest with tag prod"),
    ]
    assert versions({"tag": "prod"}) == [("9", "one of prod"), ("1", "one of prod"), ("2", "one of prod")]
    assert versions({"tag": "prod", "consumer": "Baz"}) == [("9", "one of Baz prod")]
    assert versions({"latest": True}) == [("9", "latest"), ("3", "latest")]
    assert versions({"deployed": True}) == [("1", "deployed to production")]
    assert versions({"released": True}) == [("2", "released in test")]
    assert versions({"deployedOrReleased": True}) == [
        ("1", "deployed to production"),
        ("2", "released in test"),
    ]
    assert versions({"environment": "test"}) == [("2", "in environment test")]
    assert versions({"tag": "nope", "fallbackTag": "prod", "latest": True, "consumer": "Foo"}) == [
        ("2", "latest with tag prod")
    ]
    assert versions({"branch": "nope", "fallbackBranch": "feat-x"}) == [("3", "latest from branch feat-x")]
    assert versions({"branch": True, "latest": True}) == [
        ("2", "latest from branch main"),
        ("3", "latest from branch feat-x"),
    ]


def test_same_content_is_verified_once_with_merged_selectors(client: TestClient, td: TestDataBuilder) -> None:
    (
        td.create_environment("production", production=True)
        .create_provider("Bar")
        .create_consumer("Foo", main_branch="main")
        .create_consumer_version("1", branch="main")
        .create_pact("Bar")
        .create_deployed_version_for_consumer_version("production")
        .create_consumer_version("2", branch="main")
        .create_pact("Bar")  # same content as version 1
    )
    [pact] = pacts_for(client, {"consumerVersionSelectors": [{"mainBranch": True}, {"deployed": True}]})
    assert pact["_links"]["self"]["name"] == "Pact between Foo (2) and Bar"
    assert pact["shortDescription"] == "deployed to production, latest from main branch"
    assert pact["verificationProperties"]["notices"][0]["text"].endswith(
        "belongs to the consumer versions matching the following criteria:\n"
        "    * consumer version(s) currently deployed to production (1)\n"
        "    * latest version from the main branch 'main' (2)"
    )
    assert len(metadata(pact)["s"]) == 2


def test_default_selectors_are_main_branch_and_deployed_or_released(
    client: TestClient, td: TestDataBuilder
) -> None:
    (
        td.create_environment("production", production=True)
        .create_provider("Bar")
        .create_consumer("Foo", main_branch="main")
        .create_consumer_version("1", branch="main")
        .create_pact("Bar", description="one")
        .create_deployed_version_for_consumer_version("production")
        .create_consumer_version("2", branch="main")
        .create_pact("Bar", description="two")
        .create_consumer_version("3", branch="feat")
        .create_pact("Bar", description="three")
        .create_consumer("Untracked")
        .create_consumer_version("7")
        .create_pact("Bar", description="seven")
    )
    found = pacts_for(client, {})
    assert [(p["_links"]["self"]["name"], p["shortDescription"]) for p in found] == [
        ("Pact between Foo (1) and Bar", "deployed to production"),
        ("Pact between Foo (2) and Bar", "latest from main branch"),
        ("Pact between Untracked (7) and Bar", "latest"),
    ]


def test_pending_until_the_provider_branch_verifies_the_content(
    client: TestClient, td: TestDataBuilder
) -> None:
    td.create_provider("Bar").create_consumer("Foo", main_branch="main").create_consumer_version(
        "1", branch="main"
    )
    td.create_pact("Bar")
    body = {"consumerVersionSelectors": [{"mainBranch": True}], "providerVersionBranch": "main"}
    [pact] = pacts_for(client, body)
    properties = pact["verificationProperties"]
    assert properties["pending"] is True
    assert properties["notices"][1] == {
        "when": "before_verification",
        "text": "This pact is in pending state for this version of Bar because a successful verification "
        "result "
        "for a version of Bar from branch 'main' has not yet been published. If this verification fails, it "
        "will not cause the overall build to fail. Read more at https://docs.pact.io/go/pending",
    }
    assert metadata(pact)["p"] == "true"
    td.create_verification("1", branch="main", success=False)
    assert pacts_for(client, body)[0]["verificationProperties"]["pending"] is True
    td.create_verification("2", branch="main", success=True)
    [verified] = pacts_for(client, body)
    assert verified["verificationProperties"]["pending"] is False
    assert verified["verificationProperties"]["notices"][1]["text"].startswith(
        "This pact has previously been successfully verified by a version of Bar from branch 'main'."
    )
    # A branch created after main verified the content inherits that; pending defaults to on.
    td.create_provider_version("3", branch="feat")
    assert (
        pacts_for(client, {**body, "providerVersionBranch": "feat"})[0]["verificationProperties"]["pending"]
        is False
    )
    # Without a branch or tags: pending until any successful verification.
    assert (
        pacts_for(client, {"consumerVersionSelectors": [{"mainBranch": True}]})[0]["verificationProperties"][
            "pending"
        ]
        is False
    )


def test_pending_per_provider_tag(client: TestClient, td: TestDataBuilder) -> None:
    td.create_provider("Bar").create_consumer("Foo").create_consumer_version("1", tags=["main"]).create_pact(
        "Bar"
    )
    # `prod` existed before `dev` verified the content, so it does not inherit that verification.
    td.create_provider_version("0", tags=["prod"]).create_verification("1", tags=["dev"])
    body = {
        "consumerVersionSelectors": [{"tag": "main", "latest": True}],
        "providerVersionTags": ["dev", "prod"],
    }
    [pact] = pacts_for(client, body)
    assert pact["verificationProperties"]["pending"] is True
    assert (
        "a successful verification result for a version of Bar with tag 'prod'"
        in pact["verificationProperties"]["notices"][1]["text"]
    )
    # A tag never used yet inherits every earlier verification (`dev`'s), so only `prod` is pending.
    [pact] = pacts_for(client, {**body, "providerVersionTags": ["dev", "prod", "new"]})
    assert (
        "a successful verification result for a version of Bar with tag 'prod' has not yet been published"
        in pact["verificationProperties"]["notices"][1]["text"]
    )
    [pact] = pacts_for(client, {**body, "providerVersionTags": ["new"]})
    assert pact["verificationProperties"]["pending"] is False


def test_wip_pacts_are_the_unverified_heads_not_already_selected(
    client: TestClient, td: TestDataBuilder, broker_app: FastAPI
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    (
        td.create_provider("Bar")
        .create_consumer("Foo", main_branch="main")
        .create_consumer_version("1", branch="main")
        .create_pact("Bar", description="main")
        .create_consumer_version("2", branch="feat-a")
        .create_pact("Bar", description="feat a")
        .create_consumer_version("3", branch="feat-b")
        .create_pact("Bar", description="feat b")
        .create_verification("7", branch="main")  # feat-b already verified by the provider's main
        .create_consumer_version("4", branch="old")
        .create_pact("Bar", description="old", created_at=long_ago)
    )
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "providerVersionBranch": "main",
        "includeWipPactsSince": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
    }
    with count_selects(broker_app) as statements:
        found = pacts_for(client, body)
    print(f"for-verification SELECT statements (selectors + pending + WIP): {len(statements)}")
    assert [(p["_links"]["self"]["name"], p["verificationProperties"].get("wip")) for p in found] == [
        ("Pact between Foo (1) and Bar", None),
        ("Pact between Foo (2) and Bar", True),
    ]
    wip = found[1]
    assert wip["shortDescription"] == "latest from branch feat-a"
    assert wip["verificationProperties"]["pending"] is True
    assert metadata(wip) == {"w": "true"}
    assert wip["verificationProperties"]["notices"][0]["text"].startswith(
        "The pact at http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/"
    )
    assert (
        "is being verified because it is a 'work in progress' pact"
        in wip["verificationProperties"]["notices"][0]["text"]
    )
    # A WIP verification does not take the pact out of WIP; a normal one does.
    td.use_consumer("Foo")
    td.create_consumer_version("2", consumer="Foo").create_pact("Bar", description="feat a")
    td.create_verification("8", branch="main", wip=True)
    assert len(pacts_for(client, body)) == 2
    td.create_verification("9", branch="main")
    assert len(pacts_for(client, body)) == 1
    # No provider branch or tags: no WIP pacts.
    assert len(pacts_for(client, {**body, "providerVersionBranch": None})) == 1
    assert len(statements) <= 14


def test_a_new_provider_branch_starts_with_what_other_branches_verified_before_it(
    client: TestClient, td: TestDataBuilder
) -> None:
    """WIP for a provider branch also ends with a successful verification from another branch made before the
    branch's first version (not one made after it, nor a WIP run): the other half of the one check that
    PostgreSQL runs over each content's verifications once."""
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    (
        td.create_provider("Bar")
        .create_consumer("Foo", main_branch="main")
        .create_consumer_version("1", branch="main")
        .create_pact("Bar", description="main")
        .create_consumer_version("2", branch="feat-a")
        .create_pact("Bar", description="feat a")
        .create_verification("7", branch="main")  # before the provider's feat branch began: inherited
        .create_consumer_version("3", branch="feat-b")
        .create_pact("Bar", description="feat b")
        .create_verification("8", branch="main", wip=True)  # a WIP run ends WIP for no branch
        .create_provider_version("9", branch="feat")
        .create_consumer_version("4", branch="feat-c")
        .create_pact("Bar", description="feat c")
        .create_verification("10", branch="main")  # after feat began: not inherited
    )

    def wip_for(branch: str) -> list[str]:
        body = {
            "consumerVersionSelectors": [{"mainBranch": True}],
            "providerVersionBranch": branch,
            "includeWipPactsSince": since,
        }
        found = pacts_for(client, body)
        return [p["shortDescription"] for p in found if p["verificationProperties"].get("wip")]

    assert wip_for("feat") == ["latest from branch feat-b", "latest from branch feat-c"]
    assert wip_for("main") == ["latest from branch feat-b"]
    assert wip_for("new") == ["latest from branch feat-b"]  # no version yet: every earlier one counts


def test_the_deprecated_get_warns(client: TestClient, td: TestDataBuilder) -> None:
    td.create_provider("Bar").create_consumer("Foo").create_consumer_version("1", tags=["prod"]).create_pact(
        "Bar"
    )
    response = client.get(
        "/pacts/provider/Bar/for-verification?consumer_version_selectors[][tag]=prod"
        "&consumer_version_selectors[][latest]=true&include_pending_status=false"
    )
    assert response.status_code == 200
    [pact] = response.json()["_embedded"]["pacts"]
    assert pact["verificationProperties"]["notices"][0]["text"].startswith(
        "WARNING - this version of the Pact library"
    )
    assert "pending" not in pact["verificationProperties"]


def test_unknown_provider_is_404_and_bad_selectors_are_400(client: TestClient, td: TestDataBuilder) -> None:
    td.create_provider("Bar")
    missing = client.post("/pacts/provider/Nope/for-verification", json={})
    assert missing.status_code == 404
    bad = client.post(
        "/pacts/provider/Bar/for-verification",
        json={"consumerVersionSelectors": [{"tag": "x", "fallbackTag": "y"}, {"environment": "nowhere"}]},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "consumerVersionSelectors": [
            "fallbackTag can only be set if latest is true (at index 0)",
            "environment with name 'nowhere' does not exist (at index 1)",
        ]
    }
    wrong_type = client.post("/pacts/provider/Bar/for-verification", json={"includePendingStatus": "yes"})
    assert wrong_type.status_code == 400
    assert "includePendingStatus" in wrong_type.json()["errors"]
    not_json = client.post(
        "/pacts/provider/Bar/for-verification", content="x", headers={"Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415


def test_wip_by_provider_tags(client: TestClient, td: TestDataBuilder) -> None:
    (
        td.create_provider("Bar")
        .create_consumer("Foo")
        .create_consumer_version("1", tags=["main"])
        .create_pact("Bar", description="main")
        .create_consumer_version("2", tags=["feat"])
        .create_pact("Bar", description="feat")
    )
    body = {
        "consumerVersionSelectors": [{"tag": "main", "latest": True}],
        "providerVersionTags": ["dev"],
        "includeWipPactsSince": "2000-01-01",
    }
    found = pacts_for(client, body)
    assert [(p["shortDescription"], p["verificationProperties"].get("wip")) for p in found] == [
        ("latest with tag main", None),
        ("latest with tag feat", True),
    ]
    assert "a version of Bar with tag 'dev'" in found[1]["verificationProperties"]["notices"][0]["text"]
    # Without pending status only the WIP half of the tag's check runs (no pending contents to check).
    unpended = pacts_for(client, {**body, "includePendingStatus": False})
    assert [p["verificationProperties"].get("wip") for p in unpended] == [None, True]
    assert "pending" not in unpended[0]["verificationProperties"]
    td.create_provider_version("4", tags=["early"])
    td.create_verification("5", tags=["dev"])
    assert len(pacts_for(client, body)) == 1
    # Another tag's verification counts for a tag first used after it (or never), not before it.
    assert len(pacts_for(client, {**body, "providerVersionTags": ["next"]})) == 1
    assert len(pacts_for(client, {**body, "providerVersionTags": ["early"]})) == 2


def test_for_verification_runs_a_bounded_number_of_queries(
    client: TestClient, td: TestDataBuilder, broker_app: FastAPI
) -> None:
    """Statements depend on the selectors, never on how many consumers, pacts or WIP candidates there are."""
    td.create_environment("production").create_provider("Bar")
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}, {"deployedOrReleased": True}, {"tag": "prod"}],
        "providerVersionBranch": "main",
        "includeWipPactsSince": "2000-01-01",
    }
    counts = []
    for batch in range(3):
        for i in range(4):
            name = f"Consumer{batch}-{i}"
            td.create_consumer(name, main_branch="main").create_consumer_version(
                "1", branch="main", tags=["prod"]
            )
            td.create_pact("Bar").create_deployed_version_for_consumer_version("production")
            td.create_consumer_version("2", branch="feat").create_pact("Bar", description="feature")
        with count_selects(broker_app) as statements:
            found = pacts_for(client, body)
        counts.append((len(found), len(statements)))
    print(f"for-verification (pacts, SELECT statements): {counts}")
    assert [pacts for pacts, _ in counts] == [8, 16, 24]
    assert len({n for _, n in counts}) == 1


def test_wip_candidates_with_the_same_content_are_one_pact_of_the_newest_version(
    client: TestClient, td: TestDataBuilder
) -> None:
    """The same content at the head of two consumer tags, pending for two provider tags: one WIP pact, of the
    newer consumer version, pending for both tags. Its selectors are every candidate's for every provider
    tag, repeats kept, as the reference's merge (`VerifiablePact#+`: `selectors + other.selectors`)."""
    (
        td.create_provider("Bar")
        .create_consumer("Foo")
        .create_consumer_version("1", tags=["main"])
        .create_pact("Bar", description="main")
        .create_consumer_version("2", tags=["feat-x"])
        .create_pact("Bar", description="feat")
        .create_consumer_version("3", tags=["feat-y"])
        .create_pact("Bar", description="feat")
        .create_consumer_version("4", tags=["feat-z"])
        .create_pact("Bar", description="other")
    )
    body = {
        "consumerVersionSelectors": [{"tag": "main", "latest": True}],
        "providerVersionTags": ["dev", "qa"],
        "includeWipPactsSince": "2000-01-01",
    }
    found = pacts_for(client, body)
    assert [(p["_links"]["self"]["name"], p["shortDescription"]) for p in found] == [
        ("Pact between Foo (1) and Bar", "latest with tag main"),
        (
            "Pact between Foo (3) and Bar",
            "latest with tag feat-x, latest with tag feat-x, latest with tag feat-y, latest with tag feat-y",
        ),
        ("Pact between Foo (4) and Bar", "latest with tag feat-z, latest with tag feat-z"),
    ]
    for pact in found[1:]:
        assert pact["verificationProperties"]["wip"] is True
        assert "of Bar with tag 'dev' and 'qa'" in pact["verificationProperties"]["notices"][0]["text"]
