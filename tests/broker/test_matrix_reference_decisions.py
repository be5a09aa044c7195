"""The reference broker's distilled matrix decisions (its `features_get_matrix_approval_spec` snapshots),
replayed against our broker over the same fixture graph:

    Foo -> Bar: v1 verified successfully by Bar v10 (no branch)
                v2 (branch main) verified, but failed, by Bar v20
                v3 (branch main) has an unverified pact
    Foo -> Baz: v3 verified successfully by Baz v30, deployed to "production"
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broker.testing.builder import TestDataBuilder

NO_ENV = (
    "WARN: It is recommended to specify the environment into which you are deploying. Without the "
    "environment, "
    "this result will not be reliable."
)
BROWSE = (
    "The verification for the pact between any version of Foo and any version of Bar failed\n"
    "There is no verified pact between any version of Foo and any version of Bar"
)
OK = "All required verification results are published and successful"

CASES = {
    "single selector to latest": (
        "/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvpv&latest=true",
        None,
        f"{NO_ENV}\nThere is no verified pact between version 1 of Foo and the latest version of Bar (20)",
        (0, 0, 1),
        ["warning", "error"],
    ),
    "can-i-deploy to environment": (
        "/matrix?q[][pacticipant]=Foo&q[][version]=1&latestby=cvpv&environment=production",
        None,
        "There is no verified pact between version 1 of Foo and a version of Bar currently in production "
        "(no version is currently recorded as deployed/released in this environment)",
        (0, 0, 1),
        ["error"],
    ),
    "can-i-deploy to mainBranch": (
        "/matrix?q[][pacticipant]=Foo&q[][version]=2&latestby=cvpv&mainBranch=true",
        None,
        "There is no verified pact between version 2 of Foo and any version of Bar from the main branch "
        "(no versions exist for this branch)",
        (0, 0, 1),
        ["error"],
    ),
    "matrix UI browse": (
        "/matrix?q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv",
        None,
        BROWSE,
        (1, 1, 1),
        ["error", "error"],
    ),
    "flat encoding, two selectors": (
        "/matrix?q[]pacticipant=Foo&q[]version=1&q[]pacticipant=Bar&q[]version=10&latestby=cvpv",
        True,
        OK,
        (1, 0, 0),
        ["success"],
    ),
    "success filter true": (
        "/matrix?q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv&success=true",
        True,
        OK,
        (1, 0, 0),
        ["success"],
    ),
    "path endpoint": ("/matrix/provider/Bar/consumer/Foo", None, BROWSE, (1, 1, 1), ["error", "error"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_reference_decision(case: str, client: TestClient, td: TestDataBuilder) -> None:
    (
        td.create_consumer("Foo")
        .create_provider("Bar")
        .create_consumer_version("1")
        .create_pact("Bar", description="/things/1")
        .create_verification("10", success=True)
        .create_consumer_version("2", branch="main")
        .create_pact("Bar", description="/things/2")
        .create_verification("20", success=False)
        .create_consumer_version("3", branch="main")
        .create_pact("Bar", description="/things/3")
        .create_pact("Baz", description="/things/1")
        .create_verification("30", success=True)
        .create_environment("production")
        .create_deployed_version_for_provider_version("production")
    )
    url, deployable, reason, (success, failed, unknown), notice_types = CASES[case]
    response = client.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {
        "deployable": deployable,
        "reason": reason,
        "success": success,
        "failed": failed,
        "unknown": unknown,
    }
    assert [n["type"] for n in body["notices"]] == notice_types


def test_full_body_row_shape(client: TestClient, td: TestDataBuilder) -> None:
    """One row of the reference's `matrix_full_body_ui_browse` snapshot, field for field."""
    (
        td.create_consumer("Foo")
        .create_provider("Bar")
        .create_consumer_version("2", branch="main")
        .create_pact("Bar")
        .create_verification("20", success=False)
    )
    [row] = client.get("/matrix?q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv").json()["matrix"]
    sha = td.pact.pact_version.sha  # type: ignore[union-attr]
    number = td.verification.number  # type: ignore[union-attr]
    assert row["verificationResult"]["_links"]["self"]["href"] == (
        f"http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/{sha}/metadata/Y3ZuPTI"
        f"/verification-results/{number}"
    )
    del row["pact"]["createdAt"], row["verificationResult"]["verifiedAt"], row["verificationResult"]["_links"]
    branch = {
        "name": "main",
        "latest": True,
        "_links": {
            "self": {
                "title": "Branch version",
                "name": "main",
                "href": "http://broker.test/pacticipants/Foo/branches/main/versions/2",
            }
        },
    }
    assert row == {
        "consumer": {
            "name": "Foo",
            "version": {
                "number": "2",
                "branch": "main",
                "branches": [branch],
                "branchVersions": [branch],
                "environments": [],
                "_links": {"self": {"href": "http://broker.test/pacticipants/Foo/versions/2"}},
                "tags": [],
            },
            "_links": {"self": {"href": "http://broker.test/pacticipants/Foo"}},
        },
        "provider": {
            "name": "Bar",
            "version": {
                "number": "20",
                "branch": None,
                "branches": [],
                "branchVersions": [],
                "environments": [],
                "_links": {"self": {"href": "http://broker.test/pacticipants/Bar/versions/20"}},
                "tags": [],
            },
            "_links": {"self": {"href": "http://broker.test/pacticipants/Bar"}},
        },
        "pact": {
            "_links": {"self": {"href": "http://broker.test/pacts/provider/Bar/consumer/Foo/version/2"}}
        },
        "verificationResult": {"success": False},
    }
