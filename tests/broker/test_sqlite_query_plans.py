"""The statements of the writes CI fleets send most (a verification result, a contract publication) seek
whole index keys on SQLite, where each one runs under the single writer's lock: a look-up that reads more
rows as history grows slows every writer behind it.

The SQL the broker really issues is captured with a `before_cursor_execute` listener on a seeded history
(the benchmark generator at 1/20th of the issue's sizes) and EXPLAINed with EXPLAIN QUERY PLAN: no statement
may SCAN a big table, and every look-up in the verifications (which grow by every provider build) must seek
by the provider version too: by content and provider alone it reads every result of that content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import shapes
from benchmarks.dataset import DatasetSpec, KnownAnswers, seed
from broker.db.engine import make_engine
from tests.broker.test_query_plans import BIG_TABLES, captured_selects


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, KnownAnswers]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('plans')) / 'broker.sqlite'}"
    return url, seed(url, DatasetSpec().scaled(0.05))


def plans(url: str, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each statement with its plan's lines (EXPLAIN QUERY PLAN's `detail` column)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            explain = conn.exec_driver_sql
            return [
                (statement, [row[3] for row in explain(f"EXPLAIN QUERY PLAN {statement}", params)])
                for statement, params in statements
            ]
    finally:
        engine.dispose()


def bad_plans(explained: list[tuple[str, list[str]]]) -> list[str]:
    bad = []
    for statement, lines in explained:
        for line in lines:
            words = line.split()
            scanned = len(words) > 1 and words[0] == "SCAN" and words[1] in BIG_TABLES
            thin_seek = words[:2] == ["SEARCH", "verifications"] and "provider_version_id=" not in line
            if scanned or thin_seek:
                bad.append(f"{line}  <-  {' '.join(statement.split())[:200]}")
    return bad


def test_a_verification_result_seeks_whole_keys(seeded: tuple[str, KnownAnswers]) -> None:
    url, known = seeded
    build = shapes.verification_result(known, "plans")
    # Two successes from one provider version: the second asks whether that version succeeded before.
    explained = plans(url, captured_selects(url, build(2), before=[build(1)]))
    assert any("verifications" in statement for statement, _ in explained), "no look-up in verifications ran"
    assert bad_plans(explained) == []


def test_a_contract_publication_seeks_whole_keys(seeded: tuple[str, KnownAnswers]) -> None:
    url, known = seeded
    build = shapes.publish(known, "plans")
    explained = plans(url, captured_selects(url, build(2), before=[build(1)]))
    assert explained, "the publication ran no SELECT at all"
    assert bad_plans(explained) == []


def test_the_check_catches_a_thin_seek() -> None:
    """The rule itself: the look-up as it was before it sought by provider version fails it."""
    thin = "SEARCH verifications USING COVERING INDEX ix (pact_version_id=? AND provider_id=? AND success=?)"
    whole = thin.replace("success=?", "provider_version_id=?")
    assert bad_plans([("SELECT verifications.id FROM verifications", [thin])])
    assert bad_plans([("SELECT 1", ["SCAN verifications"])])
    assert not bad_plans([("SELECT 1", ["SCAN pacticipants", whole])])
