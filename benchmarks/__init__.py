"""Broker performance tooling: a large-history dataset generator, a latency benchmark and a load test.

    python -m benchmarks.broker_bench      # p50/p95/p99 and req/s per request shape, SQLite and PostgreSQL
    python -m benchmarks.load_test         # 100 virtual CI clients against one broker, checked against SLOs

Neither runs in the test suite; `tests/benchmarks/` only checks that the generator seeds a consistent broker.
"""
