"""The official `pact broker` CLI (pact-broker-cli, Rust) against a live broker, as users drive it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from broker.testing import LiveBroker, pact_content
from tests.broker.helpers import SERVED_THREADED_AND_INLINE

pytestmark = SERVED_THREADED_AND_INLINE
PACT = str(Path(sys.executable).parent / "pact")


def pact_cli(broker: LiveBroker, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_BROKER_")}
    env["PACT_DO_NOT_TRACK"] = "true"
    return subprocess.run(
        [PACT, "broker", *args, "-b", broker.url], env=env, capture_output=True, text=True, timeout=120
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture
def pact_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pacts"
    folder.mkdir()
    (folder / "Web-SampleService.json").write_text(json.dumps(pact_content("Web", "SampleService")))
    (folder / "Web-StorageService.json").write_text(
        json.dumps(pact_content("Web", "StorageService", "a rack"))
    )
    return folder


def test_publish_tag_describe_and_list(live_broker: LiveBroker, pact_dir: Path) -> None:
    out = ok(pact_cli(live_broker, "publish", str(pact_dir), "-a", "1.0.0", "--branch", "main", "-t", "dev"))
    assert "Pact successfully published for Web version 1.0.0 and provider SampleService" in out
    again = ok(pact_cli(live_broker, "publish", str(pact_dir), "-a", "1.0.0", "--branch", "main"))
    assert "republished" in again  # identical content: idempotent

    changed = pact_dir / "Web-SampleService.json"
    changed.write_text(json.dumps(pact_content("Web", "SampleService", "another request")))
    refused = pact_cli(live_broker, "publish", str(changed), "-a", "1.0.0", "--branch", "main")
    assert refused.returncode != 0
    assert "Cannot change the content of the pact for Web version 1.0.0" in refused.stdout + refused.stderr
    pact = httpx.get(f"{live_broker.url}/pacts/provider/SampleService/consumer/Web/version/1.0.0").json()
    assert pact["interactions"][0]["description"] == "a request for a sample"  # the original is intact

    ok(pact_cli(live_broker, "create-version-tag", "-a", "Web", "-e", "1.0.0", "-t", "prod"))
    described = json.loads(
        ok(pact_cli(live_broker, "describe-version", "-a", "Web", "-e", "1.0.0", "-o", "json"))
    )
    assert described["number"] == "1.0.0"
    assert sorted(t["name"] for t in described["_embedded"]["tags"]) == ["dev", "prod"]
    latest = json.loads(
        ok(pact_cli(live_broker, "describe-version", "-a", "Web", "-l", "prod", "-o", "json"))
    )
    assert latest["number"] == "1.0.0"
    table = ok(pact_cli(live_broker, "describe-version", "-a", "Web", "-o", "table"))
    assert "1.0.0" in table and "prod" in table

    listed = ok(pact_cli(live_broker, "list-latest-pact-versions", "-o", "table"))
    assert "SampleService" in listed and "StorageService" in listed and "1.0.0" in listed
    as_json = json.loads(ok(pact_cli(live_broker, "list-latest-pact-versions", "-o", "json")))
    assert sorted(p["_embedded"]["provider"]["name"] for p in as_json["pacts"]) == [
        "SampleService",
        "StorageService",
    ]

    missing = pact_cli(live_broker, "describe-version", "-a", "Web", "-e", "9.9.9", "-o", "json")
    assert missing.returncode != 0


def test_environments_deployments_and_releases(live_broker: LiveBroker, pact_dir: Path) -> None:
    ok(pact_cli(live_broker, "publish", str(pact_dir), "-a", "1.0.0", "--branch", "main"))
    ok(pact_cli(live_broker, "publish", str(pact_dir), "-a", "1.0.1", "--branch", "main"))
    created = ok(pact_cli(live_broker, "create-environment", "--name", "production", "--production"))
    assert "production" in created
    ok(pact_cli(live_broker, "create-environment", "--name", "app-store", "--display-name", "App Store"))
    listed = ok(pact_cli(live_broker, "list-environments"))
    assert "production" in listed and "App Store" in listed
    duplicate = pact_cli(live_broker, "create-environment", "--name", "production", "--production")
    assert duplicate.returncode != 0

    out = ok(
        pact_cli(
            live_broker,
            "record-deployment",
            "--pacticipant",
            "Web",
            "--version",
            "1.0.0",
            "--environment",
            "production",
        )
    )
    assert "Recorded deployment of Web version 1.0.0 to production" in out
    ok(
        pact_cli(
            live_broker,
            "record-deployment",
            "--pacticipant",
            "Web",
            "--version",
            "1.0.1",
            "--environment",
            "production",
        )
    )
    env_uuid = next(
        e["uuid"]
        for e in httpx.get(f"{live_broker.url}/environments").json()["_embedded"]["environments"]
        if e["name"] == "production"
    )
    current = httpx.get(
        f"{live_broker.url}/environments/{env_uuid}/deployed-versions/currently-deployed"
    ).json()
    assert [d["_embedded"]["version"]["number"] for d in current["_embedded"]["deployedVersions"]] == [
        "1.0.1"
    ]

    unknown_env = pact_cli(
        live_broker,
        "record-deployment",
        "--pacticipant",
        "Web",
        "--version",
        "1.0.1",
        "--environment",
        "mars",
    )
    assert unknown_env.returncode != 0 and "mars" in unknown_env.stdout + unknown_env.stderr
    unknown_app = pact_cli(
        live_broker,
        "record-deployment",
        "--pacticipant",
        "Nobody",
        "--version",
        "1",
        "--environment",
        "production",
    )
    assert unknown_app.returncode != 0

    ok(pact_cli(live_broker, "record-undeployment", "--pacticipant", "Web", "--environment", "production"))
    current = httpx.get(
        f"{live_broker.url}/environments/{env_uuid}/deployed-versions/currently-deployed"
    ).json()
    assert current["_embedded"]["deployedVersions"] == []
    not_deployed = pact_cli(
        live_broker, "record-undeployment", "--pacticipant", "Web", "--environment", "production"
    )
    assert not_deployed.returncode != 0

    ok(
        pact_cli(
            live_broker,
            "record-release",
            "--pacticipant",
            "Web",
            "--version",
            "1.0.0",
            "--environment",
            "app-store",
        )
    )
    ok(
        pact_cli(
            live_broker,
            "record-release",
            "--pacticipant",
            "Web",
            "--version",
            "1.0.1",
            "--environment",
            "app-store",
        )
    )
    in_store = json.loads(
        ok(pact_cli(live_broker, "describe-version", "-a", "Web", "--environment", "app-store", "-o", "json"))
    )
    assert sorted(v["_embedded"]["version"]["number"] for v in in_store) == ["1.0.0", "1.0.1"]
    ok(
        pact_cli(
            live_broker,
            "record-support-ended",
            "--pacticipant",
            "Web",
            "--version",
            "1.0.0",
            "--environment",
            "app-store",
        )
    )
    store_uuid = next(
        e["uuid"]
        for e in httpx.get(f"{live_broker.url}/environments").json()["_embedded"]["environments"]
        if e["name"] == "app-store"
    )
    supported = httpx.get(
        f"{live_broker.url}/environments/{store_uuid}/released-versions/currently-supported"
    ).json()
    assert [r["_embedded"]["version"]["number"] for r in supported["_embedded"]["releasedVersions"]] == [
        "1.0.1"
    ]
