"""The release-gate stories with the official clients over real HTTP: the `pact broker can-i-deploy` and
`record-deployment` CLI (Rust) and pact-python's `Verifier` (the Rust verifier core), against a live broker
and a tiny real provider served by uvicorn. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pact import Verifier
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.db.models import Pacticipant, Verification, Version
from broker.testing.builder import TestDataBuilder, pact_content
from broker.testing.live import LiveBroker
from tests.broker.helpers import SERVED_THREADED_AND_INLINE

pytestmark = SERVED_THREADED_AND_INLINE
PACT_CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "pact"
ENV = {**os.environ, "PACT_DO_NOT_TRACK": "true"}


# --- the provider under verification ----------------------------------------------------------------


class Provider:
    """`Bar`: GET /samples/{id} answers {"id": id}, or a wrong body while `broken`."""

    def __init__(self) -> None:
        self.broken = False
        app = FastAPI()

        @app.get("/samples/{sample_id}")
        def sample(sample_id: int) -> dict[str, Any]:
            return {"id": "broken" if self.broken else sample_id}

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "provider did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider() as running:
        yield running


# --- the clients -------------------------------------------------------------------------------------------


def pact_cli(broker: LiveBroker, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PACT_CLI), "broker", *args, "--broker-base-url", broker.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )


def can_i_deploy(broker: LiveBroker, *args: str) -> int:
    """The CLI's verdict as its exit code (0 = deploy, 1 = do not), after checking the JSON agrees."""
    result = pact_cli(broker, "can-i-deploy", *args)
    as_json = pact_cli(broker, "can-i-deploy", *args, "--output", "json")
    assert as_json.returncode == 0, as_json.stderr
    deployable = json.loads(as_json.stdout)["summary"]["deployable"]
    assert result.returncode == (0 if deployable is True else 1), (result.stdout, result.stderr, deployable)
    return result.returncode


def record_deployment(broker: LiveBroker, pacticipant: str, version: str) -> None:
    result = pact_cli(
        broker,
        "record-deployment",
        "--pacticipant",
        pacticipant,
        "--version",
        version,
        "--environment",
        "production",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def verify(broker: LiveBroker, provider: Provider, version: str, *, wip_since: str | None = None) -> bool:
    """Runs pact-python's Verifier as a provider build on `main` would; True when the build passes."""
    builder = (
        Verifier("Bar", host="127.0.0.1")
        .add_transport(url=provider.url)
        .broker_source(broker.url, selector=True, use_env=False)
        .consumer_version(main_branch=True)
        .consumer_version(deployed_or_released=True)
        .include_pending()
        .provider_branch("main")
    )
    if wip_since:
        builder = builder.include_wip_since(wip_since)
    verifier = builder.build().set_publish_options(version=version, branch="main")
    try:
        verifier.verify()
    except RuntimeError:
        return False
    return True


def verifications_by(session: Session, provider_version: str) -> list[tuple[bool, bool]]:
    """(success, wip) of the results a Bar version published."""
    session.commit()  # end the previous read transaction: the broker wrote since then
    rows = session.execute(
        select(Verification.success, Verification.wip)
        .join(Version, Version.id == Verification.provider_version_id)
        .join(Pacticipant, Pacticipant.id == Version.pacticipant_id)
        .where(Pacticipant.name == "Bar", Version.number == provider_version)
        .order_by(Verification.id)
    )
    found = [(bool(s), bool(w)) for s, w in rows]
    session.commit()  # and end this one, so the builder's next write starts a fresh (IMMEDIATE) transaction
    return found


def failing_pact() -> dict[str, Any]:
    content = pact_content("Foo", "Bar", "a sample the provider cannot give")
    content["interactions"][0]["response"]["body"] = {"id": 999}
    return content


# --- the stories -------------------------------------------------------------------------------------------


def test_release_gate_with_the_real_clients(
    live_broker: LiveBroker, provider: Provider, td: TestDataBuilder, session: Session
) -> None:
    env = ("--to-environment", "production")
    td.create_environment("production", production=True)
    td.create_provider("Bar", main_branch="main").create_consumer("Foo", main_branch="main")
    td.create_consumer_version("1", branch="main").create_pact("Bar")

    # An unverified pact blocks the consumer.
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "1", *env) == 1

    # The provider verifies it on main and is deployed: the consumer may follow.
    assert verify(live_broker, provider, "1")
    assert verifications_by(session, "1") == [(True, False)]
    record_deployment(live_broker, "Bar", "1")
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "1", *env) == 0
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--branch", "main", *env) == 0
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--latest", *env) == 0
    # Two selectors (a can-i-merge style check): Foo 1 with the latest Bar.
    assert (
        can_i_deploy(
            live_broker, "--pacticipant", "Foo", "--version", "1", "--pacticipant", "Bar", "--latest"
        )
        == 0
    )
    record_deployment(live_broker, "Foo", "1")

    # A failed verification blocks a provider whose consumer is deployed (the pact is not pending any more,
    # so the provider build fails too).
    provider.broken = True
    assert not verify(live_broker, provider, "2")
    assert verifications_by(session, "2") == [(False, False)]
    assert can_i_deploy(live_broker, "--pacticipant", "Bar", "--version", "2", *env) == 1
    assert can_i_deploy(live_broker, "--pacticipant", "Bar", "--version", "2", *env, "--ignore", "Foo") == 0

    # A new deployment replaces the old one: with Bar 2 in production, Foo 1 is no longer safe.
    record_deployment(live_broker, "Bar", "2")
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "1", *env) == 1
    record_deployment(live_broker, "Bar", "1")
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "1", *env) == 0
    provider.broken = False

    # Changed pact content needs a new verification by the deployed provider version.
    td.create_consumer_version("2", branch="main").create_pact("Bar", description="a changed request")
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "2", *env) == 1
    assert verify(live_broker, provider, "3")  # new content is pending, and passes
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "2", *env) == 1  # Bar 1 is deployed
    record_deployment(live_broker, "Bar", "3")
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "2", *env) == 0
    # Bar 3 also verified what is deployed (Foo 1, via the deployedOrReleased selector).
    assert can_i_deploy(live_broker, "--pacticipant", "Bar", "--version", "3", *env) == 0

    # A pending pact does not fail the provider build, but its failed result is recorded and blocks Foo 3.
    td.create_consumer_version("3", branch="main").create_pact("Bar", content=failing_pact())
    assert verify(live_broker, provider, "4")
    assert sorted(verifications_by(session, "4")) == [(False, False), (True, False)]
    assert can_i_deploy(live_broker, "--pacticipant", "Foo", "--version", "3", *env) == 1

    # A WIP pact from a feature branch is verified, and its result recorded as WIP.
    td.create_consumer_version("4", branch="feat-x").create_pact("Bar", description="a new feature request")
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert verify(live_broker, provider, "5", wip_since=since)
    assert (True, True) in verifications_by(session, "5")
    still_wip = httpx.post(
        f"{live_broker.url}/pacts/provider/Bar/for-verification",
        json={
            "consumerVersionSelectors": [{"mainBranch": True}],
            "providerVersionBranch": "main",
            "includeWipPactsSince": since,
        },
    ).json()["_embedded"]["pacts"]
    assert [p["verificationProperties"].get("wip") for p in still_wip] == [None, True]
