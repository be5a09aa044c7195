"""`contracts pipeline` end to end on a tiny project of its own: a gateway consuming a sample service."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts._runs import (
    StartedRun,
    StartedVerifications,
    run_consumer_tests,
    run_provider_verifications,
    verification_modules,
)
from contracts.broker_client import BrokerClient
from contracts.cli import app as cli
from contracts.pipeline import Pipeline, deployment_order, embedded_broker
from contracts.versioning import VersionInfo

CONSUMER_TEST = """
import httpx
from pact import match


def test_gateway_reads_a_sample(pact):
    p = pact("gateway", "sample")
    (p.upon_receiving("a request for a sample")
      .given("a sample exists", id="S-1")
      .with_request("GET", "/samples/S-1")
      .will_respond_with(200)
      .with_body({"id": match.str("S-1"), "name": match.str("blood")}, content_type="application/json"))
    with p.serve() as srv:
        assert httpx.get(f"{srv.url}/samples/S-1").json()["name"] == "blood"
"""

PROVIDER_VERIFICATION = """
from typing import Any

from fastapi import FastAPI

from contracts import ProviderVerification

SAMPLES: dict[str, str] = {}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/samples/{sample_id}")
    def get_sample(sample_id: str) -> dict[str, str]:
        return {"id": sample_id, "NAME_FIELD": SAMPLES[sample_id]}

    return app


verification = ProviderVerification("sample", app_factory=create_app)


@verification.state("a sample exists")
def sample_exists(parameters: dict[str, Any]):
    SAMPLES[parameters["id"]] = "blood"
    return SAMPLES.clear


def test_sample_honours_its_consumers() -> None:
    verification.verify()
"""


def make_project(root: Path, name_field: str = "name") -> Path:
    (root / "consumer_tests").mkdir(parents=True)
    (root / "provider_verification").mkdir()
    (root / "consumer_tests" / "test_gateway_sample.py").write_text(textwrap.dedent(CONSUMER_TEST))
    (root / "provider_verification" / "test_sample.py").write_text(
        textwrap.dedent(PROVIDER_VERIFICATION).replace("NAME_FIELD", name_field)
    )
    return root


def test_deployment_order_puts_providers_before_their_consumers() -> None:
    pairs = {("gateway", "sample"), ("sample", "storage"), ("notification", "event"), ("storage", "event")}
    services = {"gateway", "sample", "storage", "notification", "event", "sequencing"}
    order = deployment_order(pairs, services)
    for consumer, provider in pairs:
        assert order.index(provider) < order.index(consumer)
    assert order == ["event", "notification", "storage", "sequencing", "sample", "gateway"]


def test_pipeline_publishes_verifies_and_deploys_in_dependency_order(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    result = Pipeline(project, version=VersionInfo("1.0.0", "main")).run()
    assert result.consumer_tests is not None and result.consumer_tests.success, result.consumer_tests
    assert [(v.name, v.success, v.summary) for v in result.verifications] == [("sample", True, "1 passed")]
    assert [(v.service, v.deployable, v.recorded) for v in result.verdicts] == [
        ("sample", True, True),
        ("gateway", True, True),
    ]
    [row] = result.verdicts[1].rows
    assert (row.consumer_version, row.provider_version, row.verified) == ("1.0.0", "1.0.0", True)
    assert list(result.timings) == [
        "broker",
        "consumer tests",
        "publish",
        "provider verification",
        "can-i-deploy & record-deployment",
    ]
    assert result.seconds > 0
    assert result.ok


def test_pipeline_with_a_breaking_provider_blocks_its_consumer(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", name_field="label")
    result = Pipeline(project, version=VersionInfo("2.0.0", "main")).run()
    assert result.consumer_tests is not None and result.consumer_tests.success, result.consumer_tests
    # The pact was never verified by sample's main branch: pending, so sample's own build is not broken...
    [verification] = result.verifications
    assert verification.success, verification.output
    verdicts = {v.service: v for v in result.verdicts}
    assert verdicts["sample"].deployable is True  # no consumer of it is in production yet
    # ...but the failure is published, and the gateway may not go where this sample now runs.
    assert verdicts["gateway"].deployable is False
    assert not verdicts["gateway"].recorded
    assert not result.ok


def test_a_failing_consumer_test_publishes_nothing_and_blocks_the_release(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "consumer_tests" / "test_gateway_broken.py").write_text(
        "def test_broken():\n    assert False\n"
    )
    result = Pipeline(project, version=VersionInfo("4.0.0", "main")).run()
    assert result.consumer_tests is not None and not result.consumer_tests.success
    assert [v.name for v in result.verifications] == ["sample"]  # still run, with nothing to verify
    verdicts = {v.service: v for v in result.verdicts}
    # Nothing was published: the broker never heard of the gateway.
    assert verdicts["gateway"].reason == "Pacticipant gateway not found"
    assert verdicts["gateway"].deployable is False and not verdicts["gateway"].recorded
    assert not result.ok


def test_the_pipeline_command_prints_matrix_verdicts_and_timings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "project")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "tiny project"], cwd=project, check=True)
    for name in (
        "PACT_BROKER_BASE_URL",
        "GITHUB_SHA",
        "CI_COMMIT_SHA",
        "GIT_COMMIT",
        "PACT_CONSUMER_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(project)
    outcome = CliRunner().invoke(cli, ["pipeline", "--project-dir", str(project)])
    assert outcome.exit_code == 0, outcome.output
    for expected in (
        "stage timings",
        "consumer tests",
        "can-i-deploy to production",
        "may deploy",
        "C.version",
    ):
        assert expected in outcome.output


@pytest.mark.parametrize(("name_field", "exit_code"), [("name", 0), ("label", 1)])
def test_the_verify_command_runs_a_providers_modules_against_local_pacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name_field: str, exit_code: int
) -> None:
    project = make_project(tmp_path / "project", name_field=name_field)
    pacts = tmp_path / "pacts"
    written = run_consumer_tests(
        project, "consumer_tests", broker_url=None, pact_dir=pacts, version="1", branch=None
    )
    assert written.success and (pacts / "gateway-sample.json").exists(), written.output
    monkeypatch.delenv("PACT_BROKER_BASE_URL", raising=False)
    monkeypatch.chdir(project)
    outcome = CliRunner().invoke(cli, ["verify", "sample", "--pact-dir", str(pacts)])
    assert outcome.exit_code == exit_code, outcome.output
    if exit_code:
        assert "sample does not honour its consumers' pacts" in outcome.output
    unknown = CliRunner().invoke(cli, ["verify", "storage", "--pact-dir", str(pacts)])
    assert unknown.exit_code == 2 and "No verification module for 'storage'" in unknown.output


def test_pipeline_against_a_given_broker_can_be_run_again_for_the_same_version(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    with embedded_broker() as url:
        first = Pipeline(project, broker_url=url, version=VersionInfo("3.0.0", "main")).run()
        again = Pipeline(project, broker_url=url, version=VersionInfo("3.0.0", "main")).run()
        with BrokerClient(url) as broker:
            assert broker.can_i_deploy("gateway", "3.0.0", "production").deployable is True
    assert first.broker_url == again.broker_url == url
    assert first.ok and again.ok
    assert [v.recorded for v in again.verdicts] == [True, True]


def test_one_pytest_run_for_several_providers_reports_each_provider_on_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "provider_verification"
    folder.mkdir()
    (folder / "test_fine.py").write_text("def test_fine():\n    pass\n")
    (folder / "test_broken.py").write_text("def test_broken():\n    assert False, 'the provider broke'\n")
    (folder / "test_typo.py").write_text("def test_typo(:\n")
    modules = verification_modules(folder)
    assert sorted(modules) == ["broken", "fine", "typo"]
    runs = run_provider_verifications(
        tmp_path, modules, broker_url="http://127.0.0.1:9", provider_version="1", provider_branch="main"
    )
    assert (runs["fine"].success, runs["fine"].summary) == (True, "1 passed")
    assert (runs["broken"].success, runs["broken"].summary) == (False, "1 failed")
    assert "the provider broke" in runs["broken"].output
    assert not runs["typo"].success  # a module that does not even import is no verification


def test_verification_runs_started_ahead_share_the_providers_out_and_report_each(tmp_path: Path) -> None:
    folder = tmp_path / "provider_verification"
    folder.mkdir()
    for name in ("big", "small", "tiny"):
        (folder / f"test_{name}.py").write_text(f"def test_{name}():\n    pass\n")
    (folder / "test_broken.py").write_text("def test_broken():\n    assert False, 'the provider broke'\n")
    started = StartedVerifications(
        tmp_path,
        verification_modules(folder),
        broker_url="http://127.0.0.1:9",
        provider_version="1",
        provider_branch="main",
        processes=2,
    )
    started.release({"big": 10, "small": 2, "tiny": 1, "broken": 1})
    runs = started.wait()
    assert {p: (r.success, r.summary) for p, r in runs.items()} == {
        "big": (True, "1 passed"),
        "small": (True, "1 passed"),
        "tiny": (True, "1 passed"),
        "broken": (False, "1 failed"),
    }
    assert "the provider broke" in runs["broken"].output
    # The costliest provider had a run to itself; each run ran only its share (the rest deselected).
    assert "1 passed, 3 deselected" in runs["big"].output
    assert "1 failed, 2 passed, 1 deselected" in runs["small"].output


def test_a_run_waiting_to_be_released_runs_nothing_when_the_pipeline_stops(tmp_path: Path) -> None:
    (tmp_path / "test_side_effect.py").write_text(
        "from pathlib import Path\n\ndef test_side_effect():\n    Path('ran').write_text('yes')\n"
    )
    run = StartedRun("gated", tmp_path, ["test_side_effect.py"], {}, gated=True)
    run.stop()  # closes the gate without `go`
    outcome = run.wait()
    assert not outcome.success
    assert not (tmp_path / "ran").exists()
    released = StartedRun("gated", tmp_path, ["test_side_effect.py"], {}, gated=True)
    released.release()
    assert released.wait().success and (tmp_path / "ran").read_text() == "yes"
