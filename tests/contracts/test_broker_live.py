"""The framework against a live broker: ours (`broker.app.create_app`, SQLite in a temporary folder) served by
uvicorn on a free port, spoken to over real HTTP; and the official `pact` CLI on the same broker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.broker_client import BrokerClient, BrokerError
from contracts.cli import app as cli
from contracts.pipeline import embedded_broker
from contracts.verification import ProviderVerification, VerificationFailed
from tests.contracts.conftest import create_event_app, write_event_pacts, write_gateway_sample_pact

PACT_CLI = Path(sys.executable).parent / "pact"


@pytest.fixture
def broker_url() -> Iterator[str]:
    with embedded_broker() as url:
        yield url


@pytest.fixture
def broker(broker_url: str) -> Iterator[BrokerClient]:
    with BrokerClient(broker_url) as client:
        yield client


def test_published_pacts_can_be_read_back(broker: BrokerClient, tmp_path: Path) -> None:
    pact_file = write_gateway_sample_pact(tmp_path)
    published = broker.publish_contracts(
        "gateway", "c1", "main", pact_files=[pact_file], build_url="http://ci/1"
    )
    assert published.pact_urls and any("c1" in url for url in published.pact_urls)

    pact = broker.latest_pact("sample", "gateway")
    assert pact["consumer"]["name"] == "gateway"
    assert sorted(i["description"] for i in pact["interactions"]) == [
        "a request for a missing sample",
        "a request for a sample",
    ]
    assert "pb:publish-verification-results" in pact["_links"]
    with pytest.raises(BrokerError, match="storage"):  # the broker's own words: no such provider
        broker.latest_pact("storage", "gateway")


def test_changing_a_published_pact_under_the_same_version_is_refused_with_the_brokers_reason(
    broker: BrokerClient, tmp_path: Path
) -> None:
    write_gateway_sample_pact(tmp_path)
    pact_file = tmp_path / "gateway-sample.json"
    broker.publish_contracts("gateway", "c1", "main", pact_files=[pact_file])
    changed = pact_file.read_text().replace("a request for a missing sample", "another request")
    pact_file.write_text(changed)
    with pytest.raises(BrokerError) as refused:
        broker.publish_contracts("gateway", "c1", "main", pact_files=[pact_file])
    assert refused.value.status == 409
    assert "Cannot change the content of the pact" in refused.value.message


def test_verification_against_the_broker_publishes_and_a_breaking_change_cannot_deploy(
    broker: BrokerClient, broker_url: str, tmp_path: Path, sample_verification: Callable[..., Any]
) -> None:
    broker.publish_contracts("gateway", "c1", "main", pact_files=[write_gateway_sample_pact(tmp_path)])

    # Before sample's main branch ever verified this pact it is pending there: the failure of a breaking
    # provider is reported but does not fail sample's build.
    broken, _, _ = sample_verification(name_field="label")
    pending = broken.verify(broker_url=broker_url, provider_version="p0", provider_branch="main")
    assert pending.success and not pending.failures
    [pending_failure] = pending.pending_failures
    assert "PENDING, FAILED gateway -> 'a request for a sample'" in pending.report()
    assert pending_failure.mismatches

    good, _, log = sample_verification()
    result = good.verify(broker_url=broker_url, provider_version="p1", provider_branch="main", publish=True)
    assert result.success and result.published and len(result.interactions) == 2
    assert ("setup", "S-1") in log

    with pytest.raises(VerificationFailed) as failed:
        broken.verify(broker_url=broker_url, provider_version="p2", provider_branch="main", publish=True)
    assert "gateway -> 'a request for a sample' (given a sample exists)" in str(failed.value)
    assert "missing the following keys: name" in str(failed.value)

    broker.ensure_environment("production", production=True)
    broker.record_deployment("gateway", "c1", "production")

    unchanged = broker.can_i_deploy("sample", "p1", "production")
    assert unchanged.deployable is True, unchanged.reason
    [row] = unchanged.rows
    assert (row.consumer, row.consumer_version, row.provider, row.provider_version, row.verified) == (
        "gateway",
        "c1",
        "sample",
        "p1",
        True,
    )
    renamed = broker.can_i_deploy("sample", "p2", "production")
    assert renamed.deployable is False
    assert [r.verified for r in renamed.rows] == [False]


def test_contracts_can_i_deploy_agrees_with_the_official_cli(
    broker: BrokerClient, broker_url: str, tmp_path: Path, sample_verification: Callable[..., Any]
) -> None:
    broker.publish_contracts("gateway", "c1", "main", pact_files=[write_gateway_sample_pact(tmp_path)])
    sample_verification()[0].verify(
        broker_url=broker_url, provider_version="p1", provider_branch="main", publish=True
    )
    sample_verification("label")[0].verify(
        broker_url=broker_url, provider_version="p2", provider_branch="main", publish=True, raises=False
    )
    broker.ensure_environment("production", production=True)
    runner = CliRunner()
    base = ["--broker-url", broker_url]
    assert (
        runner.invoke(
            cli, ["record-deployment", "gateway", "--version", "c1", "--environment", "production", *base]
        ).exit_code
        == 0
    )

    cases = {
        ("sample", "p1"): 0,
        ("sample", "p2"): 1,
        ("gateway", "c1"): 1,
    }  # gateway: no sample in production
    for (service, version), expected in cases.items():
        ours = runner.invoke(
            cli, ["can-i-deploy", service, "--version", version, "--to-environment", "production", *base]
        )
        official = subprocess.run(
            [
                str(PACT_CLI),
                "broker",
                "can-i-deploy",
                "--pacticipant",
                service,
                "--version",
                version,
                "--to-environment",
                "production",
                "--broker-base-url",
                broker_url,
            ],
            capture_output=True,
            text=True,
            env={"PACT_DO_NOT_TRACK": "true", "PATH": "/usr/bin:/bin"},
            timeout=120,
            check=False,
        )
        assert (service, version, ours.exit_code) == (service, version, expected), ours.output
        assert (service, version, official.returncode) == (service, version, expected), (
            official.stdout + official.stderr
        )
    assert (
        "may NOT deploy"
        in runner.invoke(
            cli, ["can-i-deploy", "sample", "--version", "p2", "--to-environment", "production", *base]
        ).output
    )


def test_http_and_message_consumers_verified_through_the_broker(
    broker: BrokerClient, broker_url: str, tmp_path: Path
) -> None:
    write_event_pacts(tmp_path)
    broker.publish_contracts("storage", "s1", "main", pact_files=[tmp_path / "storage-event.json"])
    broker.publish_contracts("notification", "n1", "main", pact_files=[tmp_path / "notification-event.json"])

    verification = ProviderVerification("event", app_factory=create_event_app)

    @verification.state("a sample was stored")
    def stored(parameters: dict[str, Any]) -> None:
        return None

    @verification.message("an event of type sample.stored")
    def sample_stored(parameters: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        return {"type": "sample.stored", "sampleId": parameters["id"]}, {"topic": "samples"}

    result = verification.verify(
        broker_url=broker_url, provider_version="e1", provider_branch="main", publish=True
    )
    assert sorted(i.consumer for i in result.interactions) == ["notification", "storage"]
    matrix = broker.matrix([{"pacticipant": "event", "version": "e1"}], latestby="cvpv")
    assert sorted((r.consumer, r.verified) for r in matrix.rows) == [
        ("notification", True),
        ("storage", True),
    ]


def test_cli_publish_and_verify(broker: BrokerClient, broker_url: str, tmp_path: Path) -> None:
    pacts = tmp_path / "pacts"
    write_gateway_sample_pact(pacts)
    write_event_pacts(pacts)
    runner = CliRunner()
    published = runner.invoke(
        cli,
        [
            "publish",
            str(pacts),
            "--consumer-app-version",
            "v9",
            "--branch",
            "feat/a",
            "--broker-url",
            broker_url,
        ],
    )
    assert published.exit_code == 0, published.output
    assert "Published gateway v9 (branch feat/a)" in published.output
    assert broker.latest_pact("event", "notification")["consumer"]["name"] == "notification"
    assert broker.version("gateway", "v9")["number"] == "v9"

    broker.ensure_environment("staging")
    release = broker.record_release("gateway", "v9", "staging")
    assert release["currentlySupported"] is True
    with pytest.raises(BrokerError, match="'qa' does not exist"):
        broker.record_release("gateway", "v9", "qa")

    empty = runner.invoke(
        cli, ["publish", str(tmp_path / "none"), "-a", "1", "--branch", "x", "--broker-url", broker_url]
    )
    assert empty.exit_code == 1 and "No pact files" in empty.output


def test_cli_publish_detects_the_version_and_branch_from_git(
    broker: BrokerClient, broker_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    write_gateway_sample_pact(repo / "pacts")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "feat/git"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "pacts"], cwd=repo, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout
    for name in (
        "GITHUB_SHA",
        "CI_COMMIT_SHA",
        "GIT_COMMIT",
        "PACT_CONSUMER_VERSION",
        "PACT_BRANCH",
        "PACT_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(repo)
    outcome = CliRunner().invoke(cli, ["publish", "--broker-url", broker_url])
    assert outcome.exit_code == 0, outcome.output
    version = broker.version("gateway", sha.strip())
    assert [b["name"] for b in version["_embedded"]["branchVersions"]] == ["feat/git"]


def test_message_pacts_without_a_producer_are_named_not_sent_to_the_http_app(
    broker: BrokerClient, broker_url: str, tmp_path: Path
) -> None:
    write_event_pacts(tmp_path)
    broker.publish_contracts("storage", "s1", "main", pact_files=[tmp_path / "storage-event.json"])
    broker.publish_contracts("notification", "n1", "main", pact_files=[tmp_path / "notification-event.json"])
    http_only = ProviderVerification("event", app_factory=create_event_app)

    @http_only.state("a sample was stored")
    def stored(parameters: dict[str, Any]) -> None:
        return None

    result = http_only.verify(
        broker_url=broker_url, provider_version="e1", provider_branch="main", raises=False
    )
    assert not result.success
    assert "no producer for message 'an event of type sample.stored' of 'event' (known messages: none)" in (
        result.report()
    )
    assert ("storage", True) in {(i.consumer, i.success) for i in result.interactions}
