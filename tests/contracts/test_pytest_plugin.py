"""The pytest plugin, exercised the way a consumer team uses it: a real test project run by pytest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONSUMER_TESTS = """
import httpx
from pact import match


def test_get_sample(pact):
    p = pact("gateway", "sample")
    (p.upon_receiving("a request for a sample")
      .given("a sample exists", id="S-1")
      .with_request("GET", "/samples/S-1")
      .will_respond_with(200)
      .with_body({"id": match.str("S-1"), "name": match.str("blood")}, content_type="application/json"))
    with p.serve() as srv:
        assert httpx.get(f"{srv.url}/samples/S-1").json()["id"] == "S-1"


def test_missing_sample(pact):
    p = pact("gateway", "sample")
    (p.upon_receiving("a request for a missing sample")
      .with_request("GET", "/samples/X")
      .will_respond_with(404))
    with p.serve() as srv:
        assert httpx.get(f"{srv.url}/samples/X").status_code == 404


def test_sample_stored_event(pact):
    p = pact("notification", "event")
    (p.upon_receiving("an event of type sample.stored", "Async")
      .with_body({"type": "sample.stored", "sampleId": match.str("S-1")}, content_type="application/json"))
    received = []
    p.verify(lambda body, metadata: received.append(body), "Async")
    assert received
"""


@pytest.fixture(autouse=True)
def _no_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    for name in ("PACT_DIR", "PACT_BROKER_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def descriptions(path: Path) -> list[str]:
    return sorted(i["description"] for i in json.loads(path.read_text())["interactions"])


def test_passing_tests_write_merged_pacts_per_pair(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    result = pytester.runpytest_subprocess("-m", "contract")
    result.assert_outcomes(passed=3)
    pacts = pytester.path / "pacts"
    assert sorted(p.name for p in pacts.iterdir()) == ["gateway-sample.json", "notification-event.json"]
    doc = json.loads((pacts / "gateway-sample.json").read_text())
    assert doc["metadata"]["pactSpecification"]["version"] == "4.0"
    assert descriptions(pacts / "gateway-sample.json") == [
        "a request for a missing sample",
        "a request for a sample",
    ]
    event = json.loads((pacts / "notification-event.json").read_text())
    assert event["interactions"][0]["type"] == "Asynchronous/Messages"


def test_failing_test_writes_nothing_and_a_new_session_drops_stale_interactions(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    pytester.runpytest_subprocess().assert_outcomes(passed=3)

    broken = CONSUMER_TESTS.replace('httpx.get(f"{srv.url}/samples/X").status_code == 404', "False")
    pytester.makepyfile(test_consumer=broken)
    out = pytester.runpytest_subprocess("--pact-dir", "out")
    out.assert_outcomes(passed=2, failed=1)
    assert descriptions(pytester.path / "out" / "gateway-sample.json") == ["a request for a sample"]

    # Same folder, new session: the interaction of the test that no longer passes is gone.
    pytester.runpytest_subprocess().assert_outcomes(passed=2, failed=1)
    assert descriptions(pytester.path / "pacts" / "gateway-sample.json") == ["a request for a sample"]


def test_pact_dir_from_the_environment(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_DIR", str(pytester.path / "from-env"))
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    pytester.runpytest_subprocess("-k", "get_sample").assert_outcomes(passed=1)
    assert (pytester.path / "from-env" / "gateway-sample.json").exists()


def test_publish_needs_a_broker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    result = pytester.runpytest_subprocess("--publish")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--publish needs --broker-url or PACT_BROKER_BASE_URL*"])


def test_contract_marker_is_declared(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.contract:*"])


def test_publish_sends_the_sessions_pacts_once_everything_passed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contracts.broker_client import BrokerClient, BrokerError
    from contracts.pipeline import embedded_broker

    monkeypatch.setenv("PACT_CONSUMER_VERSION", "7.0.0")
    monkeypatch.setenv("PACT_BRANCH", "feat/plugin")
    with embedded_broker() as url, BrokerClient(url) as broker:
        broken = CONSUMER_TESTS.replace('httpx.get(f"{srv.url}/samples/X").status_code == 404', "False")
        pytester.makepyfile(test_consumer=broken)
        failed = pytester.runpytest_subprocess("--publish", "--broker-url", url)
        failed.assert_outcomes(passed=2, failed=1)
        with pytest.raises(BrokerError):
            broker.version("gateway", "7.0.0")  # a failing session publishes nothing

        pytester.makepyfile(test_consumer=CONSUMER_TESTS)
        passed = pytester.runpytest_subprocess("--publish", "--broker-url", url)
        passed.assert_outcomes(passed=3)
        passed.stdout.fnmatch_lines(["*contracts: published gateway 7.0.0 (branch feat/plugin) -> sample*"])
        pact = broker.latest_pact("sample", "gateway")
        assert sorted(i["description"] for i in pact["interactions"]) == [
            "a request for a missing sample",
            "a request for a sample",
        ]
        assert (
            broker.latest_pact("event", "notification")["interactions"][0]["type"] == "Asynchronous/Messages"
        )
        branches = [b["name"] for b in broker.version("gateway", "7.0.0")["_embedded"]["branchVersions"]]
        assert branches == ["feat/plugin"]
