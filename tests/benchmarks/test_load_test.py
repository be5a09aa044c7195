"""The load test's virtual users against a real broker: the closed loop sends back to back, the open loop
offers the rate asked for and counts latency from when each request was due."""

from __future__ import annotations

from pathlib import Path

import uvloop

from benchmarks import shapes
from benchmarks.load_test import MIX, drive, summarise
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.live import LiveBroker


def test_open_loop_offers_the_rate_asked_for_and_closed_loop_runs_flat_out(tmp_path: Path) -> None:
    broker = LiveBroker(create_app(BrokerSettings(database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")))
    broker.start()
    try:
        ops: dict[str, shapes.Shape] = {name: shapes.heartbeat for name in MIX}
        paced, errors, kinds, elapsed = uvloop.run(drive(broker.url, ops, 10, 2.0, 10_000, 1, rate=25.0))
        flat_out, *_ = uvloop.run(drive(broker.url, ops, 10, 2.0, 10_000, 1))
    finally:
        broker.stop()
    assert not errors and not kinds
    sent = sum(len(x) for x in paced.values())
    # 50 expected over 2 s (Poisson: standard deviation ~7); a broker answering in milliseconds keeps up.
    assert 20 <= sent <= 90, sent
    assert sum(len(x) for x in flat_out.values()) > 2 * sent
    figures = summarise([x for xs in paced.values() for x in xs], 0, elapsed)
    assert figures["requests"] == sent and figures["error_rate"] == 0.0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
