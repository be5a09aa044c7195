"""The embedded path for real: `contracts broker serve` as a subprocess, SQLite in a temporary folder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from contracts.testing import (
    BrokerFixtureSettings,
    BrokerKind,
    BrokerStartError,
    _wait_for_heartbeat,
    docker_problem,
    embedded_broker,
    running_broker,
)

from .broker_checks import HEARTBEAT, assert_accepts_a_publish


def test_the_embedded_broker_answers_accepts_a_publish_and_is_gone_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The developer's own broker settings must not leak into the throwaway broker (auth would refuse the PUT).
    monkeypatch.setenv("PACT_BROKER_BASIC_AUTH_USERNAME", "someone")
    monkeypatch.setenv("PACT_BROKER_BASIC_AUTH_PASSWORD", "secret")
    with embedded_broker(startup_timeout=60) as url:
        assert url.startswith("http://127.0.0.1:")
        assert_accepts_a_publish(url)
    with pytest.raises(httpx.TransportError):
        httpx.get(url + HEARTBEAT, timeout=2)


def test_without_docker_the_choice_is_embedded_and_the_reason_is_announced() -> None:
    problem = docker_problem()
    if problem is None:
        pytest.skip("a Docker engine answers here: the embedded broker is chosen only without one")
    lines: list[str] = []
    with running_broker(BrokerFixtureSettings(base_url=None, image=None), announce=lines.append) as broker:
        assert broker.choice.kind is BrokerKind.EMBEDDED
        assert broker.choice.reason == f"no Docker engine: {problem}"
        assert httpx.get(broker.url + HEARTBEAT, timeout=5).status_code == 200
    assert lines == [f"pact broker: embedded at {broker.url} (no Docker engine: {problem})"]


def test_an_external_broker_is_used_as_it_is_and_nothing_is_started() -> None:
    with embedded_broker(startup_timeout=60) as url:
        lines: list[str] = []
        with running_broker(BrokerFixtureSettings(base_url=url + "/"), announce=lines.append) as broker:
            assert broker.choice.kind is BrokerKind.EXTERNAL
            assert broker.url == url
        assert lines == [f"pact broker: external at {url} (PACT_BROKER_BASE_URL is set)"]
        # Leaving the external broker's context stops nothing.
        assert httpx.get(url + HEARTBEAT, timeout=5).status_code == 200


def test_a_broker_process_that_dies_is_reported_with_its_output() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "print('cannot open the database'); raise SystemExit(3)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    process.wait(timeout=30)
    output = process.stdout.read() if process.stdout else ""
    with pytest.raises(BrokerStartError, match="exited before answering its heartbeat") as raised:
        _wait_for_heartbeat(
            "http://127.0.0.1:9", 30, alive=lambda: process.poll() is None, output=lambda: output
        )
    assert "cannot open the database" in str(raised.value)


def test_the_pact_broker_fixture_in_a_pytest_session_announces_its_choice(tmp_path: Path) -> None:
    # A separate pytest run, as a team's project would have: the fixture comes from the pytest11 entry point.
    (tmp_path / "test_uses_broker.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_heartbeat(pact_broker):
                assert httpx.get(pact_broker + "/diagnostic/status/heartbeat").status_code == 200
            """
        )
    )
    env_without_base_url = {"PACT_DO_NOT_TRACK": "true", "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env_without_base_url,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "pact broker: " in done.stdout, done.stdout
