"""Publish, verify and read back over real HTTP against a fresh broker; prints throughput and latencies.

    .venv/bin/python -m broker.benchmarks.publish_and_read                       # SQLite in a temp folder
    .venv/bin/python -m broker.benchmarks.publish_and_read --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python -m broker.benchmarks.publish_and_read --publishes 400 --workers 16

The database must be empty (a fresh SQLite file is made when no URL is given).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from broker.app import create_app
from broker.settings import BrokerSettings
from broker.testing import LiveBroker
from broker.testing.builder import pact_content


def _publish_body(consumer: str, version: str, provider: str, description: str) -> dict[str, object]:
    content = base64.b64encode(json.dumps(pact_content(consumer, provider, description)).encode()).decode()
    return {
        "pacticipantName": consumer,
        "pacticipantVersionNumber": version,
        "branch": "main",
        "tags": ["dev"],
        "contracts": [
            {
                "consumerName": consumer,
                "providerName": provider,
                "specification": "pact",
                "contentType": "application/json",
                "content": content,
            }
        ],
    }


def _timed(
    pool: ThreadPoolExecutor, count: int, call: Callable[[int], int]
) -> tuple[float, list[float], list[int]]:
    def run(n: int) -> tuple[float, int]:
        start = time.perf_counter()
        status = call(n)
        return time.perf_counter() - start, status

    start = time.perf_counter()
    results = list(pool.map(run, range(count)))
    return time.perf_counter() - start, [r[0] for r in results], [r[1] for r in results]


def _report(name: str, wall: float, latencies: list[float], statuses: list[int]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1] if len(ms) >= 20 else ms[-1]
    errors = sum(1 for s in statuses if s >= 400)
    print(
        f"{name:<28} {len(ms):>5} requests  {len(ms) / wall:>8.1f} req/s  "
        f"p50 {statistics.median(ms):>7.1f} ms  p95 {p95:>7.1f} ms  errors {errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--publishes", type=int, default=200)
    parser.add_argument("--consumers", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="broker-bench-")
    url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
    broker = LiveBroker(create_app(BrokerSettings(database_url=url)))
    broker.start()
    print(f"broker {broker.url} on {url.split('://')[0]}, {args.workers} client threads")
    try:
        with (
            httpx.Client(base_url=broker.url, timeout=120) as client,
            ThreadPoolExecutor(args.workers) as pool,
        ):
            n_calls = args.publishes

            def publish(n: int) -> int:
                body = _publish_body(f"C{n % args.consumers}", f"1.0.{n}", "Provider", f"request {n % 3}")
                return client.post("/contracts/publish", json=body).status_code

            _report("publish (new version)", *_timed(pool, n_calls, publish))
            pact = client.get("/pacts/provider/Provider/consumer/C0/latest").json()
            results_url = pact["_links"]["pb:publish-verification-results"]["href"]

            def verify(n: int) -> int:
                body = {"success": True, "providerApplicationVersion": f"2.0.{n}"}
                return client.post(results_url, json=body).status_code

            _report("verification result", *_timed(pool, n_calls, verify))

            def latest_pact(n: int) -> int:
                return client.get(
                    f"/pacts/provider/Provider/consumer/C{n % args.consumers}/latest"
                ).status_code

            _report("GET latest pact", *_timed(pool, n_calls, latest_pact))

            def provider_pacts(_n: int) -> int:
                return client.get("/pacts/provider/Provider/latest").status_code

            _report("GET provider latest pacts", *_timed(pool, n_calls, provider_pacts))

            def version(n: int) -> int:
                return client.get(f"/pacticipants/C{n % args.consumers}/versions/1.0.{n}").status_code

            _report("GET version", *_timed(pool, n_calls, version))
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
