"""The load test's virtual users against a real broker: the closed loop sends back to back, the open loop
offers the rate asked for and counts latency from when each request was due."""

from __future__ import annotations

from pathlib import Path

import uvloop

from benchmarks import shapes
from benchmarks.load_test import MIX, Sample, drive, figures, summarise, timeline
from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing.live import LiveBroker


def test_open_loop_offers_the_rate_asked_for_and_closed_loop_runs_flat_out(tmp_path: Path) -> None:
    broker = LiveBroker(create_app(BrokerSettings(database_url=f"sqlite:///{tmp_path / 'b.sqlite'}")))
    broker.start()
    try:
        ops: dict[str, shapes.Shape] = {name: shapes.heartbeat for name in MIX}
        samples, kinds, elapsed = uvloop.run(drive(broker.url, ops, 10, 2.0, 10_000, 1, rate=25.0))
        flat_out, *_ = uvloop.run(drive(broker.url, ops, 10, 2.0, 10_000, 1))
    finally:
        broker.stop()
    assert all(x.ok for x in samples) and not kinds
    sent = len(samples)
    # 50 expected over 2 s (Poisson: standard deviation ~7); a broker answering in milliseconds keeps up.
    assert 20 <= sent <= 90, sent
    assert len(flat_out) > 2 * sent
    figures = summarise([x.latency for x in samples], 0, elapsed)
    assert figures["requests"] == sent and figures["error_rate"] == 0.0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    # Each request is in the timeline once, in the window of when it was due.
    dues = [x.due for x in samples]
    assert min(dues) >= 0 and max(dues) < 2.0, (min(dues), max(dues))
    windows = timeline(samples, window=1.0)
    assert sum(w["requests"] for w in windows) == sent
    assert [w["from_s"] for w in windows] == [0.0, 1.0]


def _samples(start: float, latency: float, operation: str = "can-i-deploy", ok: bool = True) -> list[Sample]:
    """20 requests 0.1 s apart from `start`, each answered in `latency` seconds."""
    return [Sample(start + 0.1 * i, latency, operation, ok) for i in range(20)]


def test_the_timeline_shows_when_the_latency_was_high() -> None:
    """A stall in the second window shows there, not spread over the run's p95."""
    samples = _samples(0.0, 0.002) + _samples(2.0, 0.400) + _samples(4.0, 0.003)
    assert timeline(samples) == [
        {"from_s": 0.0, "requests": 20, "p95_ms": 2.0},
        {"from_s": 2.0, "requests": 20, "p95_ms": 400.0},
        {"from_s": 4.0, "requests": 20, "p95_ms": 3.0},
    ]


def test_the_warm_up_is_left_out_of_the_figures_and_given_apart() -> None:
    """Requests due in the first `warmup` seconds count in neither the figures nor the verdicts; they are
    summarised on their own. Every request after it counts, errors included."""
    warm = _samples(0.0, 0.300, ok=False)
    measured = _samples(2.0, 0.004) + _samples(2.05, 0.006, "publish contract") + _samples(4.0, 0.005)
    measured[-1] = measured[-1]._replace(ok=False)
    per_op, total, warmup = figures(warm + measured, {"can-i-deploy": 0.5, "publish contract": 0.5}, 2.0, 4.0)
    assert warmup["requests"] == 20 and warmup["p50_ms"] == 300.0 and warmup["error_rate"] == 1.0
    assert total["requests"] == 60 and total["p99_ms"] == 6.0 and total["req_per_s"] == 15.0
    assert total["error_rate"] == round(1 / 60, 4)
    assert per_op["can-i-deploy"]["requests"] == 40 and per_op["publish contract"]["p95_ms"] == 6.0
