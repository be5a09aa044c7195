"""Branch and tag selectors pick the pact of the branch/tag *head*, not the newest version that has a pact.

This is the reference broker's rule since 2.100 (pact_broker commits 6dac495e "return the pacts for the branch
heads when using the branch selector" and 374c77ce for tags, PR #668 for WIP): a consumer decommissions an
integration by publishing a version without that pact, so an older pact must not come back. The price: a
pacticipant that is also a provider, and gets a newer version on its main branch by publishing verification
results only, hides its own pacts from `mainBranch` until it publishes them for that version too. These tests
pin that behaviour (and what brings the pact back) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from broker.testing.builder import TestDataBuilder


def selected(client: TestClient, body: dict[str, Any], provider: str = "event") -> list[tuple[str, str]]:
    """(consumer, consumer version) of each pact to verify, in the response's order."""
    response = client.post(f"/pacts/provider/{provider}/for-verification", json=body)
    assert response.status_code == 200, response.text
    found = []
    for pact in response.json()["_embedded"]["pacts"]:
        name = pact["_links"]["self"]["name"]  # "Pact between storage (1) and event"
        consumer, rest = name.removeprefix("Pact between ").split(" (", 1)
        found.append((consumer, rest.split(")", 1)[0]))
    return found


def storage_moves_on_without_its_event_pact(td: TestDataBuilder) -> None:
    """storage publishes its pact with event at 1 (branch and tag main); then, as the provider of sample, it
    publishes verification results as version 2 on main (tagged main too), which has no pact with event.
    gateway, a second consumer of event, keeps its pact on its main head, so an empty answer cannot pass
    for a broken query."""
    (
        td.create_provider("event")
        .create_consumer("storage", main_branch="main")
        .create_consumer_version("1", branch="main", tags=["main"])
        .create_pact("event", description="storage v1")
        .create_consumer("gateway", main_branch="main")
        .create_consumer_version("7", branch="main", tags=["main"])
        .create_pact("event", description="gateway v7")
        .create_consumer("sample", main_branch="main")
        .create_consumer_version("10", branch="main")
        .create_pact("storage", description="sample v10")
        .create_verification("2", branch="main", tags=["main"])
    )


def test_branch_and_tag_selectors_skip_a_consumer_whose_head_has_no_pact(
    client: TestClient, td: TestDataBuilder
) -> None:
    storage_moves_on_without_its_event_pact(td)
    gateway_only = [("gateway", "7")]
    assert selected(client, {"consumerVersionSelectors": [{"mainBranch": True}]}) == gateway_only
    assert selected(client, {"consumerVersionSelectors": [{"branch": "main"}]}) == gateway_only
    assert (
        selected(
            client, {"consumerVersionSelectors": [{"matchingBranch": True}], "providerVersionBranch": "main"}
        )
        == gateway_only
    )
    assert selected(client, {"consumerVersionSelectors": [{"branch": True, "latest": True}]}) == gateway_only
    assert selected(client, {"consumerVersionSelectors": [{"tag": "main", "latest": True}]}) == gateway_only
    # No selectors: storage has a main branch with versions, so its default is its main head, as above.
    assert selected(client, {}) == gateway_only
    # The selectors that do not look at heads still find storage's pact.
    assert selected(client, {"consumerVersionSelectors": [{"latest": True}]}) == [
        ("gateway", "7"),
        ("storage", "1"),
    ]
    assert selected(client, {"consumerVersionSelectors": [{"tag": "main"}]}) == [
        ("gateway", "7"),
        ("storage", "1"),
    ]
    assert selected(client, {"consumerVersionSelectors": [{"tag": "main", "consumer": "storage"}]}) == [
        ("storage", "1")
    ]


def test_the_pact_comes_back_when_the_head_publishes_it(client: TestClient, td: TestDataBuilder) -> None:
    storage_moves_on_without_its_event_pact(td)
    # What a pipeline that publishes every consumer's pacts for each commit does: storage 2 carries its pact.
    td.create_consumer_version("2", consumer="storage").create_pact("event", description="storage v1")
    body = {"consumerVersionSelectors": [{"mainBranch": True}, {"tag": "main", "latest": True}]}
    assert selected(client, body) == [("gateway", "7"), ("storage", "2")]
    # A newer main version without the pact, made over HTTP this time, hides it again.
    response = client.put("/pacticipants/storage/branches/main/versions/3", json={})
    assert response.status_code in (200, 201), response.text
    assert selected(client, {"consumerVersionSelectors": [{"mainBranch": True}]}) == [("gateway", "7")]
    # The tag head is still 2 (3 is not tagged), so the tag selector keeps storage 2.
    assert selected(client, {"consumerVersionSelectors": [{"tag": "main", "latest": True}]}) == [
        ("gateway", "7"),
        ("storage", "2"),
    ]


def test_wip_takes_only_branch_and_tag_heads_that_have_a_pact(
    client: TestClient, td: TestDataBuilder
) -> None:
    storage_moves_on_without_its_event_pact(td)
    # storage's feat-x: 3 has a pact with event (WIP), then 4 (newer, same branch and tag) has none.
    td.create_consumer_version("3", consumer="storage", branch="feat-x", tags=["feat-x"]).create_pact(
        "event", description="storage feat-x"
    )
    # gateway's feat-y head has its pact: the control that WIP is computed at all.
    td.create_consumer_version("8", consumer="gateway", branch="feat-y", tags=["feat-y"]).create_pact(
        "event", description="gateway feat-y"
    )
    since = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    base = {"consumerVersionSelectors": [{"mainBranch": True}], "includeWipPactsSince": since}
    bodies = ({**base, "providerVersionBranch": "main"}, {**base, "providerVersionTags": ["dev"]})

    def wip(body: dict[str, Any]) -> list[tuple[str, bool | None]]:
        response = client.post("/pacts/provider/event/for-verification", json=body)
        assert response.status_code == 200, response.text
        pacts = response.json()["_embedded"]["pacts"]
        return [(p["_links"]["self"]["name"], p["verificationProperties"].get("wip")) for p in pacts]

    for body in bodies:
        assert wip(body) == [
            ("Pact between gateway (7) and event", None),
            ("Pact between gateway (8) and event", True),
            ("Pact between storage (3) and event", True),
        ], body
    td.create_consumer_version("4", consumer="storage", branch="feat-x", tags=["feat-x"])
    for body in bodies:
        assert wip(body) == [
            ("Pact between gateway (7) and event", None),
            ("Pact between gateway (8) and event", True),
        ], body
