"""The in-process CPU benchmark: every operation of the load test's mix runs through the broker's app and
answers as expected, its CPU on the event loop (inline, as served by several workers) or split between the
event loop and the endpoint's thread; an answer other than the one expected stops the run instead of being
measured."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import uvloop
from fastapi.testclient import TestClient

from benchmarks import shapes
from benchmarks.app_cpu import (
    EXTRA,
    PROVIDER_TAGS,
    StatementTimes,
    UnexpectedStatus,
    WriterLockHold,
    broker_settings,
    measure,
    mix_total,
)
from benchmarks.broker_bench import environment_uuid
from benchmarks.dataset import TINY, seed
from benchmarks.load_test import MIX, operations
from broker.app import create_app
from broker.db import direct
from broker.settings import BrokerSettings


def _settings(tmp_path: Path, threads: int = 1) -> BrokerSettings:
    return broker_settings(f"sqlite:///{tmp_path / 'b.sqlite'}", threads)


@pytest.mark.parametrize("threads", [1, 2], ids=["inline", "threaded"])
def test_every_operation_of_the_mix_is_measured(tmp_path: Path, threads: int) -> None:
    settings = _settings(tmp_path, threads)
    known = seed(settings.database_url, TINY)
    with TestClient(create_app(settings)) as client:
        env_uuid = environment_uuid(client, known.environment)
    ops = operations(known, f"test-{int(time.time())}", env_uuid)
    figures = uvloop.run(measure(create_app(settings), ops, list(MIX), requests=20, warmup=2))
    assert list(figures) == list(MIX)
    for fig in figures.values():
        assert fig["total"] > 0 and fig["event_loop"] > 0
        assert fig["event_loop"] + fig["endpoint"] == pytest.approx(fig["total"], abs=0.002)
        if threads == 1:  # the work ran on the loop; other threads (WAL checkpoints) use next to nothing
            assert fig["endpoint"] < 0.25 * fig["total"], fig
        else:
            assert fig["endpoint"] > 0.25 * fig["total"], fig
    mix = mix_total(figures)
    assert mix is not None and min(f["total"] for f in figures.values()) <= mix
    assert mix_total({k: v for k, v in figures.items() if k != "can-i-deploy"}) is None


def test_an_unexpected_answer_stops_the_run(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    missing = "/pacts/provider/Nobody/consumer/None/pact-version/abc/verification-results"

    def result_for_a_missing_pact(_i: int) -> shapes.Request:
        return shapes.Request("POST", missing, json={"success": True}, expect=(201,))

    with pytest.raises(UnexpectedStatus, match="404"):
        uvloop.run(
            measure(create_app(settings), {"x": result_for_a_missing_pact}, ["x"], requests=1, warmup=0)
        )


def test_the_writer_lock_is_held_by_writes_only_and_for_part_of_them(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    known = seed(settings.database_url, TINY)
    with TestClient(create_app(settings)) as client:
        env_uuid = environment_uuid(client, known.environment)
    ops = operations(known, f"lock-{int(time.time())}", env_uuid)
    names = ["can-i-deploy", "publish verification", "publish contract"]
    with WriterLockHold.instrumented():
        figures = uvloop.run(measure(create_app(settings), ops, names, requests=20, warmup=2))
    assert figures["can-i-deploy"]["writer_lock"] == 0
    for write in names[1:]:
        assert 0 < figures[write]["writer_lock"] < figures[write]["total"], figures[write]
    untimed = uvloop.run(measure(create_app(settings), ops, names[1:], requests=5, warmup=0))
    assert all(f["writer_lock"] == 0 for f in untimed.values())  # instrumentation removed on exit


@pytest.mark.parametrize("tags", [None, PROVIDER_TAGS])
def test_computed_for_verification_is_measured_outside_the_mix(
    tmp_path: Path, tags: list[str] | None
) -> None:
    """`--only "for-verification (computed)"` (and `(tags, computed)`, for provider version tags): every
    request a new question (no kept answer), its wall clock beside its CPU."""
    settings = _settings(tmp_path)
    known = seed(settings.database_url, TINY)
    name = "for-verification (tags, computed)" if tags else "for-verification (computed)"
    ops = {name: shapes.for_verification(known, computed=True, provider_tags=tags)}
    assert name in EXTRA and name not in MIX
    app = create_app(settings)
    figures = uvloop.run(measure(app, ops, list(ops), requests=10, warmup=1))
    fig = figures[name]
    assert fig["total"] > 0 and fig["wall"] >= fig["total"] * 0.5
    questions = [ops[name](i).json or {} for i in range(11)]
    assert len({str(q) for q in questions}) == 11, "each request a new question: no answer kept for it"
    if tags:
        assert all(q["providerVersionTags"] == tags and "providerVersionBranch" not in q for q in questions)


def test_the_statements_of_each_operation_are_timed_and_counted(tmp_path: Path) -> None:
    """`--statements`: per operation, each SQL text with its runs, time and rows, counted for the measured
    requests only (not the warm-up), whether run directly on the cursor (`broker.db.direct`) or by
    SQLAlchemy; the instrumentation is gone afterwards."""
    settings = _settings(tmp_path)
    known = seed(settings.database_url, TINY)
    ops = {
        "for-verification (computed)": shapes.for_verification(known, computed=True),
        "publish contract": shapes.publish(known, f"sql-{int(time.time())}"),
    }
    app = create_app(settings)
    run_before = direct._run
    with StatementTimes.instrumented(app):
        uvloop.run(measure(app, ops, list(ops), requests=10, warmup=3))
    assert direct._run is run_before
    found = StatementTimes.found
    assert list(found) == list(ops)
    publish = found["publish contract"]
    inserts = [s for sql, s in publish.items() if sql.startswith("INSERT INTO pact_publications")]
    assert len(inserts) == 1 and inserts[0].runs == 10, "once per measured request, the warm-up left out"
    assert all(s.runs > 0 and s.seconds > 0 for s in publish.values())
    questions = found["for-verification (computed)"]
    default_pacts = [s for sql, s in questions.items() if "latest_pact_publication_ids" in sql]
    assert default_pacts and all(s.runs == 10 and s.rows for s in default_pacts)
    report = StatementTimes.report(requests=10, top=3)
    assert report[0].startswith("for-verification (computed): ") and "ms per request" in report[0]
    assert sum(1 for line in report if line.startswith("  ")) == 6  # the top 3 of each
    # Not instrumented: nothing is recorded.
    StatementTimes.found = {}
    uvloop.run(measure(create_app(settings), ops, list(ops), requests=2, warmup=0))
    assert StatementTimes.found == {}
