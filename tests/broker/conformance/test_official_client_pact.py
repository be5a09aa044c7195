"""Our broker verified as the provider "Pact Broker" against the official Ruby client's consumer pact.

The pact is pact_broker-client's `spec/pacts/pact_broker_client-pact_broker.json` (64 interactions); the
reference broker verifies the same file in its CI (`spec/service_consumers/`). It is not committed here
(fetched files stay out of the repository), so the test finds it at run time:

    PACT_BROKER_CLIENT_PACT=/path/to/pact_broker_client-pact_broker.json \
        .venv/bin/pytest tests/broker/conformance -q

else `<repo>/../shared/reference/pact_broker_client-pact_broker.json`, else the test is skipped.
The client's newer pact, `Pact Broker Client V2-Pact Broker.json` (67 interactions, the same states), is
verified too when `PACT_BROKER_CLIENT_V2_PACT` (or the same fallback folder) provides it.

`KNOWN_FAILING` lists the interactions we do not pass yet, each with the reason. The test fails when any
other interaction fails, and also when a listed one passes, so the list always says where we stand.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pact import Verifier
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp

from broker.app import create_app
from broker.settings import BrokerSettings
from tests.broker.conformance.hal_relation_proxy import HalRelationProxy
from tests.broker.conformance.provider_states import reset, set_up

REPO = Path(__file__).resolve().parents[3]
PACT_FILE_NAME = "pact_broker_client-pact_broker.json"
INTERACTION_COUNT = 64
V2_PACT_FILE_NAME = "Pact Broker Client V2-Pact Broker.json"
V2_INTERACTION_COUNT = 67

# "<description> [given <state>]" -> why it fails (and whose part of the broker it is).
KNOWN_FAILING: dict[str, str] = {}

# The V2 pact repeats the V1 interactions (same descriptions and states) and adds three for environments.
KNOWN_FAILING_V2: dict[str, str] = dict(KNOWN_FAILING)


class ConformanceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    pact_broker_client_pact: Path | None = None
    pact_broker_client_v2_pact: Path | None = None


def _located(configured: Path | None, file_name: str) -> Path | None:
    if configured is not None:
        return configured
    fallback = REPO.parent / "shared" / "reference" / file_name
    return fallback if fallback.is_file() else None


def client_pact_path() -> Path | None:
    return _located(ConformanceSettings().pact_broker_client_pact, PACT_FILE_NAME)


def client_v2_pact_path() -> Path | None:
    return _located(ConformanceSettings().pact_broker_client_v2_pact, V2_PACT_FILE_NAME)


def interaction_key(description: str, states: list[str]) -> str:
    return description + (f" [given {'; '.join(states)}]" if states else "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """The app over real HTTP from a uvicorn thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the broker did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def client_pact() -> Path:
    path = client_pact_path()
    if path is None or not path.is_file():
        pytest.skip(
            "the official client's pact is not available: set PACT_BROKER_CLIENT_PACT=<path> "
            f"(pact_broker-client spec/pacts/{PACT_FILE_NAME})"
        )
    return path


def verify_against_client_pact(
    settings: BrokerSettings, pact_path: Path, query_order_from: Path | None = None
) -> tuple[dict[str, bool], str]:
    """Runs the Verifier; returns each interaction's outcome and a readable report of the failures."""
    # The client's pact has literal http://example.org hrefs: the reference verifies with that base URL.
    app = create_app(settings.model_copy(update={"base_url": "http://example.org"}))
    pact: dict[str, Any] = json.loads(pact_path.read_text())
    order = [json.loads(query_order_from.read_text())] if query_order_from else []
    proxy = HalRelationProxy(app, pact, *order)
    state_errors: dict[str, str] = {}

    def state_handler(state: str, action: str, parameters: dict[str, Any] | None) -> None:
        # Errors are recorded, not raised: the core retries a failing state change with back-off for
        # minutes. An interaction whose state could not be set up counts as failed below.
        try:
            if action == "setup":
                set_up(app.state.engine, app.state.session_factory, state)
            else:
                reset(app.state.engine)
        except Exception as exc:
            state_errors[state] = f"{action}: {type(exc).__name__}: {exc}"

    with serve(proxy) as url:
        verifier = (
            Verifier("Pact Broker", host="127.0.0.1")
            .add_transport(url=url)
            .add_source(pact_path)
            .state_handler(state_handler, teardown=True)
        )
        # A failed run raises; the failures are read from the results below, per interaction.
        with suppress(RuntimeError):
            verifier.verify()
        results: dict[str, Any] = verifier.results
        output = verifier.output(strip_ansi=True)
    reset(app.state.engine)
    app.state.engine.dispose()

    outcomes: dict[str, bool] = {}
    report: list[str] = []
    for item in results.get("interactionResults", []):
        states = [str(s) for s in item.get("providerStates", [])]
        key = interaction_key(str(item.get("description")), states)
        broken_states = [f"state {s!r} -> {state_errors[s]}" for s in states if s in state_errors]
        outcomes[key] = item.get("result") == "OK" and not broken_states
        if not outcomes[key]:
            details = broken_states or [json.dumps(item.get("mismatch"))[:1500]]
            report.append(f"FAILED {key}\n    " + "\n    ".join(details))
    report.extend(f"placeholder {a} -> {b}" for a, b in proxy.rewrites if b.startswith("UNRESOLVED"))
    if not outcomes:
        report.append(output[-5000:])
    return outcomes, "\n".join(report)


def check(outcomes: dict[str, bool], report: str, count: int, known_failing: dict[str, str]) -> None:
    passed = sum(outcomes.values())
    print(f"\n{passed}/{len(outcomes)} interactions pass\n{report}")
    assert len(outcomes) == count, report
    failing = {key for key, ok in outcomes.items() if not ok}
    unexpected = sorted(failing - known_failing.keys())
    now_passing = sorted(known_failing.keys() - failing)
    assert not unexpected, f"{len(unexpected)} interactions fail that are not listed as known:\n{report}"
    assert not now_passing, f"these pass now; remove them from the known failures: {now_passing}"
    assert passed == count - len(known_failing)


@pytest.mark.timeout(900)
def test_the_broker_honours_the_official_client_pact(
    broker_settings: BrokerSettings, client_pact: Path
) -> None:
    outcomes, report = verify_against_client_pact(broker_settings, client_pact)
    check(outcomes, report, INTERACTION_COUNT, KNOWN_FAILING)


@pytest.mark.timeout(900)
def test_the_broker_honours_the_official_client_v2_pact(
    broker_settings: BrokerSettings, client_pact: Path
) -> None:
    v2 = client_v2_pact_path()
    if v2 is None or not v2.is_file():
        pytest.skip("the official client's V2 pact is not available: set PACT_BROKER_CLIENT_V2_PACT=<path>")
    # Its matrix queries were recorded key-grouped; the V1 pact gives the order the client sends.
    outcomes, report = verify_against_client_pact(broker_settings, v2, query_order_from=client_pact)
    check(outcomes, report, V2_INTERACTION_COUNT, KNOWN_FAILING_V2)
