"""Latency of the broker's hot requests on a large seeded history, SQLite and PostgreSQL, full and 1/10th.

    python -m benchmarks.broker_bench                       # both backends, full and 1/10th datasets
    python -m benchmarks.broker_bench --backends postgresql --scales 1 --requests 100

For each backend, each dataset size is seeded into a throwaway database (`benchmarks.dataset`) and served
by a broker of its own in a subprocess (`broker.serving`, one worker, 127.0.0.1), all at once; one httpx
client per broker sends each request shape `--requests` times in a row after a warm-up (`--interleave`:
the shapes in turn, one of each per round), the full and the 1/10th history taking turns request by
request, so the growth between them is measured in the same moments of the machine (whose speed drifts
up to 2x within minutes here; measured one after the other, a growth moved x0.9-x2.3 between runs).
Printed per shape: p50/p95/p99 latency, requests per second (sequential, one client: 1 / mean latency) and
the latency divided by the heartbeat's latency in the same run (the cost of the work itself, free of how
busy the machine was). Results also go to `benchmarks/results/bench-<UTC time>.json`.

Targets (issue 6): can-i-deploy and matrix p95 < 10 ms, for-verification and publish p95 < 25 ms, each at
most 1.5x its own p95 on the 1/10th dataset. can-i-deploy, matrix and for-verification are measured twice:
the same question again and again (release pipelines and a provider's builds between two writes: the
broker serves the answer it kept), and `(computed)`: every answer computed, as after each write that
changes it (a fresh answer asked for with `Cache-Control: no-cache`; for for-verification, a new question
each time).

for-verification's WIP pacts are those of the last 30 days, and the 1/10th history has a tenth of the
activity in those days (both span 90 days): its computed answer is ~7x smaller, and its cost is per pact.
`for-verification (same WIP)` asks each history, computed, with the look-back window (`wip_window`) that
gives as many WIP pacts as the smallest history's 30 days: the growth that is left is the history's own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import shapes
from benchmarks.dataset import DatasetSpec, KnownAnswers, seed
from benchmarks.server import broker_process, throwaway_database

RESULTS_DIR = Path(__file__).parent / "results"
SAME_WIP = "for-verification (same WIP)"
WIP_DAYS = 30.0
TARGET_P95_MS = {
    "can-i-deploy": 10.0,
    "can-i-deploy (computed)": 10.0,
    "matrix": 10.0,
    "matrix (computed)": 10.0,
    "for-verification": 25.0,
    "for-verification (computed)": 25.0,
    SAME_WIP: 25.0,
    "publish contract": 25.0,
}
MAX_GROWTH = 1.5


@dataclass
class Figures:
    shape: str
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    req_per_s: float
    p50_vs_heartbeat: float = 0.0
    p95_vs_heartbeat: float = 0.0
    # Size of the last answer: a query whose answer grows with the dataset cannot stay flat.
    answer_kb: float = 0.0


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


# One broker's client and the shapes to send it, named.
Plan = list[tuple[str, shapes.Shape]]


def measure(
    targets: list[tuple[httpx.Client, Plan]],
    requests: int,
    warmup: int,
    max_seconds: float,
) -> list[list[Figures]]:
    """Sends each target's shapes in turn, one request of each shape to each target per round, until each
    has `requests` (or `max_seconds` per shape have passed, with at least 20 each); the figures per target.
    Several targets (the same shapes on the full and the 1/10th history) take turns request by request,
    so the machine's drift in speed meets both alike and their ratio (the growth) is free of it."""
    counters = {(t, name): 0 for t, (_, plan) in enumerate(targets) for name, _ in plan}
    answer_bytes = dict.fromkeys(counters, 0)

    def send(t: int, client: httpx.Client, name: str, shape: shapes.Shape) -> float:
        req = shape(counters[(t, name)])
        counters[(t, name)] += 1
        started = time.perf_counter()
        response = client.request(req.method, req.url, json=req.json, headers=req.headers)
        elapsed = time.perf_counter() - started
        if response.status_code not in req.expect:
            raise RuntimeError(
                f"{name}: {req.method} {req.url} -> {response.status_code} {response.text[:300]}"
            )
        answer_bytes[(t, name)] = len(response.content)
        return elapsed

    def one_round(record: dict[tuple[int, str], list[float]] | None) -> None:
        for i in range(max(len(plan) for _, plan in targets)):
            for t, (client, plan) in enumerate(targets):
                if i < len(plan):
                    name, shape = plan[i]
                    elapsed = send(t, client, name, shape)
                    if record is not None:
                        record[(t, name)].append(elapsed)

    for _ in range(warmup):
        one_round(None)
    latencies: dict[tuple[int, str], list[float]] = {key: [] for key in counters}
    deadline = time.perf_counter() + max_seconds * max(len(plan) for _, plan in targets) * len(targets)
    rounds = 0
    while rounds < requests and (time.perf_counter() < deadline or rounds < 20):
        one_round(latencies)
        rounds += 1
    found: list[list[Figures]] = []
    for t, (_, plan) in enumerate(targets):
        figures = []
        for name, _ in plan:
            ms = sorted(x * 1000 for x in latencies[(t, name)])
            figures.append(
                Figures(
                    name,
                    len(ms),
                    round(percentile(ms, 50), 2),
                    round(percentile(ms, 95), 2),
                    round(percentile(ms, 99), 2),
                    round(len(ms) / sum(latencies[(t, name)]), 1),
                    answer_kb=round(answer_bytes[(t, name)] / 1024, 1),
                )
            )
        found.append(figures)
    return found


def environment_uuid(client: httpx.Client, name: str) -> str:
    body = client.get("/environments").json()
    for env in body["_embedded"]["environments"]:
        if env["name"] == name:
            return str(env["uuid"])
    raise RuntimeError(f"environment {name} not found")


def check_answers(client: httpx.Client, known: KnownAnswers) -> None:
    """The seeded broker must give the verdicts the generator planted before its speed means anything."""
    for consumer, version, env, expected in known.sampled_verdicts:
        got = client.get(
            "/can-i-deploy", params={"pacticipant": consumer, "version": version, "environment": env}
        ).json()["summary"]["deployable"]
        if got is not expected:
            raise RuntimeError(
                f"can-i-deploy {consumer} {version} to {env}: broker says {got}, expected {expected}"
            )


def wip_pacts(client: httpx.Client, known: KnownAnswers, days: float) -> int:
    """How many WIP pacts the benchmark's for-verification question finds with a look-back of `days`."""
    req = shapes.for_verification(known, computed=True, wip_days=days)(0)
    response = client.request(req.method, req.url, json=req.json)
    response.raise_for_status()
    pacts = response.json()["_embedded"]["pacts"]
    return sum(1 for p in pacts if p["verificationProperties"].get("wip"))


def wip_window(client: httpx.Client, known: KnownAnswers, wanted: int, steps: int = 12) -> float:
    """The longest look-back, in days up to `WIP_DAYS`, whose answer has at most `wanted` WIP pacts (by
    halving: the count only grows with the window), to 30 days / 2**steps (11 minutes by default)."""
    if wip_pacts(client, known, WIP_DAYS) <= wanted:
        return WIP_DAYS
    shorter, longer = 0.0, WIP_DAYS
    for _ in range(steps):
        middle = (shorter + longer) / 2
        if wip_pacts(client, known, middle) <= wanted:
            shorter = middle
        else:
            longer = middle
    return round(shorter, 3)


def _plan(known: KnownAnswers, run: str, same_wip_days: float = WIP_DAYS) -> Plan:
    return [
        ("heartbeat", shapes.heartbeat),
        ("can-i-deploy", shapes.can_i_deploy(known)),
        ("can-i-deploy (computed)", shapes.can_i_deploy(known, computed=True)),
        ("matrix", shapes.matrix(known)),
        ("matrix (computed)", shapes.matrix(known, computed=True)),
        ("for-verification", shapes.for_verification(known)),
        ("for-verification (computed)", shapes.for_verification(known, computed=True)),
        (SAME_WIP, shapes.for_verification(known, computed=True, wip_days=same_wip_days, later=True)),
        ("publish contract", shapes.publish(known, run)),
        ("publish verification", shapes.verification_result(known, run)),
        ("index", shapes.index),
    ]


def run_backend(backend: str, scales: list[float], args: argparse.Namespace) -> list[dict[str, Any]]:
    """One backend's histories, each seeded into a throwaway database and served by a broker of its own,
    all running at once: the requests take turns between them (`measure`)."""
    with ExitStack() as stack:
        seeded: list[tuple[float, DatasetSpec, KnownAnswers, float]] = []
        clients: list[httpx.Client] = []
        for scale in scales:
            spec = DatasetSpec().scaled(scale)
            url = stack.enter_context(throwaway_database(backend))
            started = time.perf_counter()
            known = seed(url, spec)
            seeded_in = time.perf_counter() - started
            print(f"[{backend} x{scale}] seeded {known.counts} in {seeded_in:.1f} s", flush=True)
            broker = stack.enter_context(broker_process(url))
            client = stack.enter_context(httpx.Client(base_url=broker.url, timeout=60))
            check_answers(client, known)
            seeded.append((scale, spec, known, seeded_in))
            clients.append(client)
        smallest = min(range(len(scales)), key=lambda i: scales[i])
        wanted = wip_pacts(clients[smallest], seeded[smallest][2], WIP_DAYS)
        windows = [
            wip_window(client, known, wanted)
            for client, (_, _, known, _) in zip(clients, seeded, strict=True)
        ]
        print(f"[{backend}] {SAME_WIP}: look-back {windows} days for {wanted} WIP pacts", flush=True)
        targets: list[tuple[httpx.Client, Plan]] = [
            (client, _plan(known, f"{backend[:2]}{int(scale * 100)}-{int(time.time())}", days))
            for client, (scale, _, known, _), days in zip(clients, seeded, windows, strict=True)
        ]
        plan_length = len(targets[0][1])
        if args.interleave:
            per_target = measure(targets, args.requests, args.warmup, args.max_seconds)
            heartbeats = [(figures[0].p50_ms, figures[0].p95_ms) for figures in per_target]
        else:
            per_target = [[] for _ in targets]
            for i in range(plan_length):
                one_shape = [(client, plan[i : i + 1]) for client, plan in targets]
                for figures, found in zip(
                    per_target, measure(one_shape, args.requests, args.warmup, args.max_seconds), strict=True
                ):
                    figures.extend(found)
            # A second heartbeat pass after the others: the ratio uses the mean of both passes.
            again = measure(
                [(c, plan[:1]) for c, plan in targets], args.requests, args.warmup, args.max_seconds
            )
            heartbeats = [
                ((figures[0].p50_ms + more[0].p50_ms) / 2, (figures[0].p95_ms + more[0].p95_ms) / 2)
                for figures, more in zip(per_target, again, strict=True)
            ]
    results = []
    for (scale, spec, known, seeded_in), figures, (hb50, hb95), days in zip(
        seeded, per_target, heartbeats, windows, strict=True
    ):
        for f in figures:
            f.p50_vs_heartbeat = round(f.p50_ms / hb50, 1)
            f.p95_vs_heartbeat = round(f.p95_ms / hb95, 1)
        results.append(
            {
                "backend": backend,
                "scale": scale,
                "spec": asdict(spec),
                "rows": known.counts,
                "seed_seconds": round(seeded_in, 1),
                "same_wip": {"wip_pacts": wanted, "look_back_days": days},
                "figures": [asdict(f) for f in figures],
            }
        )
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    header = f"{'backend':<11}{'dataset':<9}{'request':<31}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
    header += f"{'req/s':>8}{'p50/hb':>8}{'p95/hb':>8}{'answer KB':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        label = "full" if r["scale"] == 1 else f"x{r['scale']}"
        for f in r["figures"]:
            print(
                f"{r['backend']:<11}{label:<9}{f['shape']:<31}{f['p50_ms']:>8.2f}{f['p95_ms']:>8.2f}"
                f"{f['p99_ms']:>8.2f}{f['req_per_s']:>8.1f}{f['p50_vs_heartbeat']:>8.1f}{f['p95_vs_heartbeat']:>8.1f}"
                f"{f.get('answer_kb', 0.0):>11.1f}"
            )


def check_targets(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    by = {(r["backend"], r["scale"]): {f["shape"]: f for f in r["figures"]} for r in results}
    for (backend, scale), figs in sorted(by.items()):
        if scale != 1:
            continue
        small = next((by[(b, s)] for (b, s) in by if b == backend and s != 1), None)
        for shape, target in TARGET_P95_MS.items():
            p95 = figs[shape]["p95_ms"]
            verdict = "ok " if p95 < target else "MISS"
            line = f"{verdict} {backend:<11}{shape:<31} p95 {p95:7.2f} ms (target < {target:.0f} ms)"
            if small is not None:
                growth = p95 / small[shape]["p95_ms"]
                mark = "ok" if growth <= MAX_GROWTH else "MISS"
                line += f"; growth vs 1/10th x{growth:.2f} ({mark}, target <= {MAX_GROWTH})"
                answer_kb, small_kb = figs[shape].get("answer_kb", 0.0), small[shape].get("answer_kb", 0.0)
                answer_growth = answer_kb / max(small_kb, 0.1)
                if answer_growth > MAX_GROWTH:
                    # Not history to scan but more to say: for-verification's WIP pacts are those of the
                    # last 30 days, and the 1/10th history has a tenth of the activity in those days.
                    per_kb = growth / answer_growth
                    line += f" with an answer x{answer_growth:.1f} as large (x{per_kb:.2f} per KB)"
            lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Broker latency benchmark (issue 6)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scales", default="1,0.1", help="history size factors; 1 = the issue's sizes")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per shape")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="send the shapes in turn, one of each per round, instead of each in a row: every shape meets "
        "the same machine (whose speed can drift 2x within a minute here), but each then also carries the "
        "tail of the request before it (heartbeat p50 1.4 -> 2.2 ms, the others 10-40 %% slower)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="cap per shape (at least 20 requests)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    results = []
    scales = [float(s) for s in args.scales.split(",")]
    for backend in args.backends.split(","):
        results.extend(run_backend(backend.strip(), scales, args))
    print()
    print_table(results)
    print()
    targets = check_targets(results)
    print("\n".join(targets))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "command": " ".join(
                    [Path(sys.executable).name, "-m", "benchmarks.broker_bench", *sys.argv[1:]]
                ),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load": os.getloadavg(),
                },
                "results": results,
                "targets": targets,
            },
            indent=2,
        )
    )
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
