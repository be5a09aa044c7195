"""The can-i-deploy and for-verification queries keep using their indexes on PostgreSQL.

A seeded history (the benchmark generator at 1/5th of the issue's sizes: 5,000 versions, 6,000 pacts,
30,000 verifications; at 1/10th the planner still reads some tables whole because they are small) is large
enough that the planner prefers an index wherever one fits. The SQL the broker really issues for each
request is captured with a `before_cursor_execute` listener and EXPLAINed with the planner's normal
settings (no `enable_seqscan=off`): no statement may scan a big table sequentially, and the indexes named
below must appear in the plans. A dropped index or a rewrite that defeats one fails here, not in
production.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import event

from benchmarks import shapes
from benchmarks.dataset import DatasetSpec, KnownAnswers, generate, write
from broker.app import create_app
from broker.db.engine import make_engine
from broker.db.migrate import upgrade
from broker.settings import BrokerSettings

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# Tables that grow with history; a sequential scan of any of them is a plan gone wrong.
BIG_TABLES = {
    "versions",
    "branch_versions",
    "tags",
    "pact_versions",
    "pact_publications",
    "latest_pact_publication_ids_for_consumer_versions",
    "verifications",
    "latest_verification_id_for_pact_version_and_provider_version",
    "deployed_versions",
}
EXPECTED_INDEXES = {
    "can-i-deploy": {
        "uq_versions_pacticipant_id_number",  # the version being deployed, by its number
        "pk_latest_pact_publication_ids_for_consumer_versions",  # the consumer version's pacts
        "pk_latest_verification_id_for_pact_version_and_provider_version",  # their latest results
    },
    "for-verification": {
        "ix_lpp_provider_id_consumer_id",  # the provider's pacts
        "pk_latest_pact_publication_ids_for_consumer_versions",  # a head's pact, by primary key
        "ix_branch_heads_pacticipant_id_branch_name",  # the consumers' branch heads (main branch, WIP)
        "ix_tags_pacticipant_id_name_version_order",  # the consumers' tag heads, newest entry first (WIP)
        "ix_verifications_pact_version_id_success",  # pending and WIP: successfully verified contents
        "ix_branch_versions_pacticipant_branch_order",  # the provider branch's versions (pending, WIP)
        "ix_versions_pacticipant_id_order",  # the provider branch's first version (WIP)
    },
}
# Known, accepted sequential scans: (table, a snippet of the statement). None at the moment: the WIP
# candidates' tag heads used to read the whole tags table, and now read each consumer tag's newest entry
# from its index.
ACCEPTED_SEQ_SCANS: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[str, KnownAnswers]]:
    name = f"plans_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc}); start it, see COMMON.md")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        dataset = generate(DatasetSpec().scaled(0.2))
        engine = make_engine(url)
        try:
            write(engine, dataset)  # ends with VACUUM ANALYZE: the planner sees real statistics
        finally:
            engine.dispose()
        yield url, dataset.known
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def captured_selects(
    url: str, request: shapes.Request, before: Sequence[shapes.Request] | None = None
) -> list[tuple[str, Any]]:
    """The SELECTs the broker runs to answer `request`, after `before` (default: `request` itself, a
    warm-up call)."""
    settings = BrokerSettings(
        database_url=url,
        base_url=None,
        basic_auth_username=None,
        basic_auth_password=None,
        auto_migrate=False,
        answer_cache_entries=0,  # the SQL that computes each answer, not a kept one's counters
    )
    app = create_app(settings)
    statements: list[tuple[str, Any]] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    with TestClient(app, base_url="http://broker.test") as client:
        for earlier in [request] if before is None else before:
            response = client.request(earlier.method, earlier.url, json=earlier.json)
            assert response.status_code in earlier.expect, response.text
        event.listen(app.state.engine, "before_cursor_execute", listener)
        response = client.request(request.method, request.url, json=request.json)
        event.remove(app.state.engine, "before_cursor_execute", listener)
        assert response.status_code in request.expect, response.text
    return statements


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(url: str, statements: list[tuple[str, Any]]) -> tuple[set[str], list[str]]:
    """Index names used across the statements' plans, and the big tables they scan sequentially."""
    indexes: set[str] = set()
    seq_scans: list[str] = []
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        for statement, parameters in statements:
            row = conn.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters).fetchone()
            assert row is not None
            doc = row[0] if not isinstance(row[0], str) else json.loads(row[0])
            for node in plan_nodes(doc[0]["Plan"]):
                if "Index Name" in node:
                    indexes.add(node["Index Name"])
                accepted = any(
                    node.get("Relation Name") == table and snippet in statement
                    for table, snippet in ACCEPTED_SEQ_SCANS
                )
                if node["Node Type"] == "Seq Scan" and node["Relation Name"] in BIG_TABLES and not accepted:
                    seq_scans.append(f"{node['Relation Name']} in: {' '.join(statement.split())[:160]}")
    return indexes, seq_scans


@pytest.mark.parametrize("shape", ["can-i-deploy", "for-verification"])
def test_hot_queries_use_their_indexes(seeded: tuple[str, KnownAnswers], shape: str) -> None:
    url, known = seeded
    build = shapes.can_i_deploy(known) if shape == "can-i-deploy" else shapes.for_verification(known)
    statements = captured_selects(url, build(0))
    assert statements, "the request ran no SELECT at all"
    indexes, seq_scans = explain(url, statements)
    assert seq_scans == [], "sequential scans of big tables:\n" + "\n".join(seq_scans)
    missing = EXPECTED_INDEXES[shape] - indexes
    assert not missing, f"indexes no longer used: {sorted(missing)} (used: {sorted(indexes)})"


def explain_generic(url: str, statement: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The plan PostgreSQL keeps for any values of a statement (its generic plan, which it may switch to once
    psycopg prepares the statement, from its fifth run), for these values."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(statement, parameters, prepare=True)
        row = conn.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE '_pg3_%'").fetchone()
        assert row is not None, "psycopg did not prepare the statement"
        # psycopg numbers the named parameters in order of first appearance ($1, $2...).
        names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
        values = sql.SQL(", ").join(sql.Literal(parameters[n]) for n in names)
        query = sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})").format(sql.Identifier(row[0]), values)
        found = conn.execute(query).fetchone()
    assert found is not None
    doc = found[0] if not isinstance(found[0], str) else json.loads(found[0])
    return dict(doc[0]["Plan"])


# The provider's side of a for-verification question: a branch, tags (two: one check each), or neither.
PROVIDER_SIDES = {
    "branch": {"providerVersionBranch": "main"},
    "tags": {"providerVersionBranch": None, "providerVersionTags": ["development", "test"]},
    "neither": {"providerVersionBranch": None, "includeWipPactsSince": None},
}


@pytest.mark.parametrize("side", PROVIDER_SIDES)
def test_the_verified_checks_plan_for_any_values_starts_from_the_contents(
    seeded: tuple[str, KnownAnswers], side: str
) -> None:
    """The pending and WIP checks (of a provider branch, of provider tags, or of any success) are not planned
    per call: the plan kept for any values must reach each content's verifications by the content, and
    probe their versions' branch or tags. Joined to the branch's versions instead, it guessed one version on
    the branch and started from there, walking every verification of the branch (full benchmark history:
    66 ms against 2)."""
    url, known = seeded
    request = shapes.for_verification(known)(0)
    body = {k: v for k, v in {**(request.json or {}), **PROVIDER_SIDES[side]}.items() if v is not None}
    captured = captured_selects(url, shapes.Request(request.method, request.url, json=body))
    checks = [(s, p) for s, p in captured if "unnest" in s and "verifications" in s]
    assert checks, "for-verification ran no pending/WIP check"
    for statement, parameters in checks:
        scans = [
            n
            for n in plan_nodes(explain_generic(url, statement, parameters))
            if n.get("Relation Name") == "verifications"
        ]
        assert scans, "the check reads no verifications"
        for scan in scans:
            assert "pact_version_id = " in scan.get("Index Cond", ""), (
                f"verifications not reached by content: {scan.get('Index Name')} {scan.get('Index Cond')}"
            )
