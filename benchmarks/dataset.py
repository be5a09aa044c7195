"""A large, realistic broker history, written straight into the tables (bulk SQL, not HTTP calls).

    python -m benchmarks.dataset sqlite:///./.data/bench.sqlite            # the default sizes
    python -m benchmarks.dataset postgresql://postgres@127.0.0.1/bench --scale 0.1

What it builds (all sizes are `DatasetSpec` fields; the defaults are the issue's figures):

- a platform-like dependency graph: front ends (pure consumers) over mid-tier APIs (consumers and
  providers) over core services (pure providers), with exactly `integrations` consumer/provider pairs;
- `versions` pacticipant versions over 90 days, on `main` and short-lived `feature/*` branches;
- `publications` pacts: every build of a consumer publishes to all its providers, the content changing now
  and then (so most publications share content with the previous version), a few revision-2 overwrites;
- `verifications` results: every provider build verifies its consumers' main-branch heads (and sometimes
  feature heads, as WIP), plus scheduled re-verifications every few minutes (the reference's #487 bloat),
  plus webhook-triggered verifications of each consumer's newest pact by the deployed provider versions;
- 4 environments with deployment histories (two application instances for some services in production)
  and a released-not-deployed mobile app; tags named after environments on deployed versions.

Rows are computed in Python first, with ids assigned in time order, so every "latest" pointer table
(`branch_heads`, `latest_pact_publication_ids_for_consumer_versions`,
`latest_verification_id_for_pact_version_and_provider_version`, `currently_deployed_version_ids`,
`integrations`) holds exactly what the broker's own write paths would have left there.

`Oracle` answers can-i-deploy from the generated rows independently of the broker's code; the generator
plants three versions of the benchmark consumer whose verdicts are known (deployable / failed / unknown)
and checks the oracle agrees before writing anything.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from broker.db.engine import is_postgres, make_engine
from broker.db.migrate import upgrade
from broker.db.models import Base, Pacticipant
from broker.pacts import content as pact_content
from broker.versions import head_pacts, tag_heads

FRONT_ENDS = [
    "lab-portal-web",
    "sample-tracker-web",
    "clinician-portal-web",
    "admin-console-web",
    "partner-portal-web",
    "kiosk-app",
    "field-collection-app",
    "courier-mobile-app",  # released to production (app store), never "deployed"
]
DOMAINS = [
    "sample-intake", "specimen-registry", "barcode", "storage-locations", "freezer-monitor",
    "instrument-gateway", "sequencing-runs", "library-prep", "qc-metrics", "reporting", "billing",
    "identity", "notifications", "audit-log", "inventory", "shipping", "workflow-engine", "scheduler",
    "lims-core", "patient-registry", "orders", "consent", "results", "analysis-pipeline", "data-export",
    "label-printing", "reagent-lots", "plate-layout", "chain-of-custody", "courier-tracking",
    "lab-calendar", "equipment-booking", "search", "documents", "pricing", "tenant-config",
    "feature-flags", "metadata-catalog", "file-transfer", "ontology", "accessioning", "aliquoting",
    "extraction", "pcr-setup", "imaging", "pathology", "biobank", "study-management", "site-management",
    "kits", "returns", "compliance", "retention", "archive", "integration-hub", "hl7-bridge",
    "fhir-gateway", "email", "sms", "geo-lookup",
]  # fmt: skip
ENVIRONMENTS = ("development", "test", "staging", "production")
# Share of main-branch builds deployed to each environment, and how long after the build it happens.
DEPLOY_RATE = (0.5, 0.25, 0.12, 0.06)
DEPLOY_DELAY = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=4), timedelta(days=1))
# Where the last (current) deployment of each environment sits in a service's main-branch history.
CURRENT_AT = (1.0, 0.97, 0.93, 0.88)
HISTORY = timedelta(days=90)
BENCH_CONSUMER = FRONT_ENDS[0]


@dataclass(frozen=True)
class DatasetSpec:
    pacticipants: int = 60
    integrations: int = 200
    versions: int = 25_000
    publications: int = 30_000
    verifications: int = 150_000
    seed: int = 20261126

    def scaled(self, factor: float) -> DatasetSpec:
        """The same platform (pacticipants, integrations) with `factor` times the history."""
        return replace(
            self,
            versions=max(self.pacticipants * 6, round(self.versions * factor)),
            publications=max(self.integrations * 4, round(self.publications * factor)),
            verifications=max(self.integrations * 6, round(self.verifications * factor)),
        )


TINY = DatasetSpec(pacticipants=16, integrations=30, versions=480, publications=450, verifications=1500)


@dataclass
class KnownAnswers:
    """Names and versions the benchmark and the tests ask the seeded broker about."""

    consumer: str
    providers: list[str]
    environment: str
    deployable_version: str
    failing_version: str
    unknown_version: str
    failing_provider: str
    unknown_provider: str
    matrix_provider: str
    matrix_provider_version: str
    verifying_provider: str
    verifying_provider_consumers: int
    publishing_consumer: str
    publishing_providers: list[str]
    verification_consumer: str
    verification_provider: str
    verification_sha: str
    deploying_pacticipant: str
    deploying_version: str
    # (consumer, version, environment, expected deployable) for versions the oracle was asked about.
    sampled_verdicts: list[tuple[str, str, str, bool | None]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Dataset:
    spec: DatasetSpec
    rows: dict[str, list[dict[str, Any]]]
    known: KnownAnswers


# --- the graph ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    names: list[str]  # index = pacticipant id - 1
    front: list[int]
    mid: list[int]
    core: list[int]
    edges: list[tuple[int, int]]  # (consumer index, provider index)
    released_only: int


def build_graph(spec: DatasetSpec, rng: random.Random) -> Graph:
    n = spec.pacticipants
    n_front = max(2, min(len(FRONT_ENDS), n * 8 // 60))
    n_core = max(4, n * 20 // 60)
    n_mid = n - n_front - n_core
    if n_mid < 1:
        raise ValueError("need at least 7 pacticipants")
    names = FRONT_ENDS[:n_front]
    domains = [f"{d}-api" for d in DOMAINS[:n_mid]] + [
        f"{d}-service" for d in DOMAINS[n_mid : n_mid + n_core]
    ]
    domains += [f"service-{i}" for i in range(len(domains), n_mid + n_core)]
    names = names + domains
    front = list(range(n_front))
    mid = list(range(n_front, n_front + n_mid))
    core = list(range(n_front + n_mid, n))
    below = mid + core
    bench_providers = below[:: max(1, len(below) // 10)][:10]
    edges = {(front[0], p) for p in bench_providers}
    candidates = [(c, p) for c in front[1:] for p in below]
    candidates += [(c, p) for c in mid for p in below if p > c]
    rng.shuffle(candidates)
    # Every consumer needs a provider and every core service a consumer, before the rest is filled in.
    for c in front[1:] + mid:
        edges.add(next(e for e in candidates if e[0] == c))
    for p in core:
        if not any(e[1] == p for e in edges):
            edges.add(next(e for e in candidates if e[1] == p))
    for e in candidates:
        if len(edges) >= spec.integrations:
            break
        edges.add(e)
    return Graph(names, front, mid, core, sorted(edges), released_only=front[-1])


# --- content --------------------------------------------------------------------------------------------


def pact_document(consumer: str, provider: str, variant: int) -> dict[str, Any]:
    """A V3 pact of 4-9 interactions; each variant changes one interaction's expected body."""
    seed = int(hashlib.sha1(f"{consumer}>{provider}".encode()).hexdigest()[:8], 16)
    count = 4 + seed % 6
    resource = provider.rsplit("-", 1)[0]
    interactions = []
    for i in range(count):
        body: dict[str, Any] = {"id": f"{resource}-{i}", "status": "active", "labels": ["a", "b"]}
        if i == variant % count:
            body["revision"] = variant
        interactions.append(
            {
                "description": f"a request for {resource} {i}",
                "providerStates": [{"name": f"{resource} {i} exists", "params": {"id": i}}],
                "request": {
                    "method": "GET",
                    "path": f"/{resource}/{i}",
                    "headers": {"Accept": "application/json"},
                },
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": "application/json"},
                    "body": body,
                    "matchingRules": {"body": {"$.id": {"matchers": [{"match": "type"}]}}},
                },
            }
        )
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": interactions,
        "metadata": {"pactSpecification": {"version": "3.0.0"}, "pactRust": {"ffi": "0.4.22"}},
    }


# --- the generator --------------------------------------------------------------------------------------


@dataclass
class _Content:
    id: int
    consumer: int
    provider: int
    variant: int
    ok: bool
    created_at: datetime
    verifiable: bool = True


@dataclass
class _Pub:
    consumer: int
    provider: int
    version_id: int
    revision: int
    content: _Content
    created_at: datetime


def generate(spec: DatasetSpec = DatasetSpec(), now: datetime | None = None) -> Dataset:
    rng = random.Random(spec.seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start, history_end, webhook_time = now - HISTORY, now - timedelta(hours=2), now - timedelta(hours=1)
    graph = build_graph(spec, rng)
    n = len(graph.names)
    pid = [i + 1 for i in range(n)]  # pacticipant ids
    providers_of: dict[int, list[int]] = defaultdict(list)
    consumers_of: dict[int, list[int]] = defaultdict(list)
    for c, p in graph.edges:
        providers_of[c].append(p)
        consumers_of[p].append(c)
    bench = graph.front[0]

    # Versions: per pacticipant, evenly spread over the history with jitter, on main or feature branches.
    weights = [rng.uniform(0.7, 1.3) for _ in range(n)]
    counts = [max(6, round(spec.versions * w / sum(weights))) for w in weights]
    planned: list[tuple[datetime, int, int, str]] = []  # (time, pacticipant index, n-th, branch)
    for p in range(n):
        k, branch_no, i = counts[p], 0, 0
        branches: list[str] = []
        while i < k:
            if rng.random() < 0.3 and i < k - 4:
                branch_no += 1
                length = rng.randint(1, 4)
                branches += [f"feature/LAB-{1000 + 37 * p + branch_no}"] * length
                i += length
            else:
                branches.append("main")
                i += 1
        branches = branches[:k]
        if p == bench:
            branches[-3:] = ["main", "feature/breaking-change", "feature/untested-change"]
        span = (history_end - start) / k
        for i, branch in enumerate(branches):
            t = start + span * (i + rng.random() * 0.8)
            planned.append((t.replace(microsecond=0) + timedelta(microseconds=p), p, i, branch))
    planned.sort()
    version_rows: list[dict[str, Any]] = []
    versions_of: dict[int, list[int]] = defaultdict(list)  # pacticipant index -> version ids, in order
    vinfo: dict[int, tuple[int, str, datetime, str]] = {}  # version id -> (p, number, time, branch)
    for order, (t, p, i, branch) in enumerate(planned, start=1):
        number = hashlib.sha1(f"{graph.names[p]}/{i}".encode()).hexdigest()[:12]
        version_rows.append(
            {
                "id": order,
                "pacticipant_id": pid[p],
                "number": number,
                "order": order,
                "build_url": f"https://ci.tracseq.example/{graph.names[p]}/builds/{i + 1}",
                "created_at": t,
                "updated_at": t,
            }
        )
        versions_of[p].append(order)
        vinfo[order] = (p, number, t, branch)

    # Branches, branch versions and heads.
    branch_ids: dict[tuple[int, str], int] = {}
    branch_rows: list[dict[str, Any]] = []
    bv_rows: list[dict[str, Any]] = []
    heads: dict[int, tuple[int, int]] = {}  # branch id -> (branch_version id, version id)
    for vid in sorted(vinfo):
        p, _number, t, branch = vinfo[vid]
        key = (p, branch)
        if key not in branch_ids:
            branch_ids[key] = len(branch_rows) + 1
            branch_rows.append(
                {
                    "id": branch_ids[key],
                    "pacticipant_id": pid[p],
                    "name": branch,
                    "created_at": t,
                    "updated_at": t,
                }
            )
        bv_id = len(bv_rows) + 1
        bv_rows.append(
            {
                "id": bv_id,
                "branch_id": branch_ids[key],
                "version_id": vid,
                "pacticipant_id": pid[p],
                "branch_name": branch,
                "version_order": vid,
                "created_at": t,
                "updated_at": t,
            }
        )
        heads[branch_ids[key]] = (bv_id, vid)
    head_rows = [
        {
            "branch_id": bid,
            "branch_version_id": bv_id,
            "version_id": vid,
            "pacticipant_id": pid[vinfo[vid][0]],
            "branch_name": vinfo[vid][3],
        }
        for bid, (bv_id, vid) in sorted(heads.items())
    ]
    main_versions = {p: [v for v in versions_of[p] if vinfo[v][3] == "main"] for p in range(n)}

    # Publications: the last m builds of each consumer publish to every provider.
    per_consumer = max(1, round(spec.publications / max(1, len(graph.edges))))
    contents: dict[tuple[int, int, int], _Content] = {}
    pubs: list[_Pub] = []
    next_variant: dict[tuple[int, int], int] = defaultdict(int)

    def content(c: int, p: int, variant: int, t: datetime, ok_rate: float) -> _Content:
        key = (c, p, variant)
        if key not in contents:
            contents[key] = _Content(len(contents) + 1, c, p, variant, rng.random() < ok_rate, t)
        return contents[key]

    def new_variant(c: int, p: int) -> int:
        next_variant[(c, p)] += 1
        return next_variant[(c, p)]

    bench_versions = versions_of[bench]
    ok_id, failing_id, unknown_id = bench_versions[-3:]
    failing_provider, unknown_provider = providers_of[bench][0], providers_of[bench][1]
    for c in sorted(providers_of):
        main_state: dict[int, int] = {}
        branch_state: dict[tuple[int, str], int] = {}
        for vid in versions_of[c][-per_consumer:]:
            _p, _num, t, branch = vinfo[vid]
            for k, p in enumerate(providers_of[c]):
                at = t + timedelta(seconds=30 + k)
                if branch == "main":
                    if p not in main_state or rng.random() < 0.12:
                        main_state[p] = new_variant(c, p)
                    variant, ok_rate = main_state[p], 0.98
                elif (p, branch) not in branch_state:
                    base = main_state.get(p)
                    branch_state[(p, branch)] = base if base and rng.random() < 0.5 else new_variant(c, p)
                    variant, ok_rate = branch_state[(p, branch)], 0.85
                else:
                    if rng.random() < 0.3:
                        branch_state[(p, branch)] = new_variant(c, p)
                    variant, ok_rate = branch_state[(p, branch)], 0.85
                if vid == ok_id:
                    ok_rate = 1.0
                if vid in (failing_id, unknown_id):
                    # The planted versions differ from the deployable one only where the verdict needs it.
                    planted = {failing_id: failing_provider, unknown_id: unknown_provider}[vid]
                    variant = new_variant(c, p) if p == planted else main_state[p]
                pc = content(c, p, variant, at, ok_rate)
                if vid == ok_id:
                    pc.ok = True
                if (vid, p) == (failing_id, failing_provider):
                    pc.ok = False
                if (vid, p) == (unknown_id, unknown_provider):
                    pc.verifiable = False
                pubs.append(_Pub(c, p, vid, 1, pc, at))
                if c != bench and rng.random() < 0.003:
                    # An overwrite (allow_dangerous_contract_modification): revision 2, new content.
                    v2 = content(c, p, new_variant(c, p), at + timedelta(minutes=5), ok_rate)
                    pubs.append(_Pub(c, p, vid, 2, v2, at + timedelta(minutes=5)))
                    if branch == "main":
                        main_state[p] = v2.variant
    pubs.sort(key=lambda x: (x.created_at, x.consumer, x.provider, x.revision))
    latest_pub: dict[tuple[int, int], tuple[int, _Pub]] = {}  # (version id, provider) -> (pub id, pub)
    for pub_id, pub in enumerate(pubs, start=1):
        latest_pub[(pub.version_id, pub.provider)] = (pub_id, pub)  # higher revisions come later
    # Per integration, the main-branch and feature-branch pacts in time order (for "head at time t").
    main_heads: dict[tuple[int, int], list[tuple[datetime, _Content]]] = defaultdict(list)
    feature_heads: dict[tuple[int, int], list[tuple[datetime, _Content]]] = defaultdict(list)
    for (vid, p), (_pub_id, pub) in sorted(latest_pub.items(), key=lambda kv: kv[1][0]):
        heads_of = main_heads if vinfo[vid][3] == "main" else feature_heads
        heads_of[(pub.consumer, p)].append((pub.created_at, pub.content))

    def head_at(lst: list[tuple[datetime, _Content]], t: datetime) -> tuple[datetime, _Content] | None:
        """The newest entry published at or before `t`."""
        lo, hi = 0, len(lst)
        while lo < hi:
            mid = (lo + hi) // 2
            if lst[mid][0] <= t:
                lo = mid + 1
            else:
                hi = mid
        return lst[lo - 1] if lo else None

    # Deployments and releases.
    env_ids = {name: i + 1 for i, name in enumerate(ENVIRONMENTS)}
    multi_instance = set(graph.core[:2])
    deployments: dict[tuple[int, int, str], list[tuple[datetime, int]]] = defaultdict(list)
    for p in range(n):
        if p == graph.released_only:
            continue
        mains = main_versions[p]
        for e, _env in enumerate(ENVIRONMENTS):
            targets = ["eu", "us"] if (p in multi_instance and ENVIRONMENTS[e] == "production") else [""]
            for target in targets:
                for vid in mains:
                    if rng.random() < DEPLOY_RATE[e] / len(targets):
                        at = min(vinfo[vid][2] + DEPLOY_DELAY[e], webhook_time - timedelta(minutes=30))
                        deployments[(p, e, target)].append((at, vid))
                shift = 1 if target == "us" else 0
                idx = max(0, min(len(mains) - 1, int(len(mains) * CURRENT_AT[e]) - 1 - shift))
                vid = mains[idx]
                last = max((t for t, _ in deployments[(p, e, target)]), default=start)
                at = max(vinfo[vid][2] + DEPLOY_DELAY[e], last + timedelta(minutes=1))
                deployments[(p, e, target)].append((min(at, webhook_time - timedelta(minutes=20)), vid))
    flat = sorted((at, p, e, target, vid) for (p, e, target), lst in deployments.items() for at, vid in lst)
    deployed_rows: list[dict[str, Any]] = []
    current: dict[tuple[int, int, str], tuple[int, int]] = {}  # -> (deployed id, version id)
    tags: dict[tuple[int, str], datetime] = {}
    for dep_id, (at, p, e, target, vid) in enumerate(flat, start=1):
        previous = current.get((p, e, target))
        if previous is not None:
            deployed_rows[previous[0] - 1]["undeployed_at"] = at
        current[(p, e, target)] = (dep_id, vid)
        deployed_rows.append(
            {
                "id": dep_id,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "version_id": vid,
                "pacticipant_id": pid[p],
                "environment_id": e + 1,
                "target": target or None,
                "created_at": at,
                "updated_at": at,
                "undeployed_at": None,
            }
        )
        tags.setdefault((vid, ENVIRONMENTS[e]), at)
    released_rows: list[dict[str, Any]] = []
    rel = graph.released_only
    releases = main_versions[rel][::8] or main_versions[rel][-1:]
    for k, vid in enumerate(releases):
        at = vinfo[vid][2] + timedelta(days=2)
        ended = vinfo[releases[k + 3]][2] + timedelta(days=2) if k + 3 < len(releases) else None
        released_rows.append(
            {
                "id": k + 1,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "version_id": vid,
                "pacticipant_id": pid[rel],
                "environment_id": env_ids["production"],
                "created_at": min(at, webhook_time),
                "updated_at": min(ended or at, webhook_time),
                "support_ended_at": min(ended, webhook_time) if ended else None,
            }
        )
        tags.setdefault((vid, "production"), min(at, webhook_time))
    in_env: dict[tuple[int, int], set[int]] = defaultdict(set)  # (pacticipant index, env id) -> versions
    for (p, e, _target), (_dep, vid) in current.items():
        in_env[(p, e + 1)].add(vid)
    for r in released_rows:
        if r["support_ended_at"] is None:
            in_env[(rel, r["environment_id"])].add(r["version_id"])

    # Verifications: (time, content, provider version, success, wip).
    planned_v: list[tuple[datetime, _Content, int, bool, bool]] = []

    def verify(t: datetime, head: tuple[datetime, _Content] | None, pv: int, wip: bool = False) -> bool:
        if head is None or not head[1].verifiable:
            return False
        pc = head[1]
        planned_v.append((t, pc, pv, pc.ok and rng.random() >= 0.01, wip))  # 1% flaky failures
        return True

    for p in sorted(consumers_of):
        for pv in versions_of[p]:
            t = vinfo[pv][2] + timedelta(minutes=2)
            for c in consumers_of[p]:
                verify(t, head_at(main_heads[(c, p)], t), pv)
                if rng.random() < 0.25:
                    head = head_at(feature_heads[(c, p)], t)
                    if head is not None and t - head[0] < timedelta(days=3):
                        verify(t + timedelta(seconds=20), head, pv, wip=rng.random() < 0.5)
    # Webhook-triggered: each consumer's newest main pact (and the planted failing one) by the provider
    # versions in every environment, at the very end, so they are the latest results for those pairs.
    webhook: list[tuple[datetime, _Content, int, bool, bool]] = []
    for c in sorted(providers_of):
        newest = next((v for v in reversed(versions_of[c]) if vinfo[v][3] == "main"), 0)
        for p in providers_of[c]:
            pcs = {
                latest_pub[(vid, p)][1].content.id: latest_pub[(vid, p)][1].content
                for vid in (newest, failing_id)
                if (vid, p) in latest_pub
            }
            for pc in pcs.values():
                for e in range(1, len(ENVIRONMENTS) + 1):
                    for pv in sorted(in_env[(p, e)]):
                        if pc.verifiable:
                            webhook.append((webhook_time, pc, pv, pc.ok, False))
    repeats = spec.verifications - len(planned_v) - len(webhook)
    providers = sorted(consumers_of)
    cum_weights = list(itertools.accumulate(len(consumers_of[p]) for p in providers))
    first_pub = min((pub.created_at for pub in pubs), default=start)
    mains_t = {p: [vinfo[v][2] for v in main_versions[p]] for p in providers}
    attempts = 0
    while repeats > 0 and attempts < spec.verifications * 5:
        attempts += 1
        p = rng.choices(providers, cum_weights=cum_weights)[0]
        t = first_pub + (history_end - first_pub) * rng.random()
        i = bisect.bisect_right(mains_t[p], t)
        if not i:
            continue
        c = rng.choice(consumers_of[p])
        if verify(t.replace(microsecond=0), head_at(main_heads[(c, p)], t), main_versions[p][i - 1]):
            repeats -= 1
    planned_v.sort(key=lambda x: (x[0], x[1].id, x[2]))
    planned_v += webhook
    verification_rows: list[dict[str, Any]] = []
    latest_v: dict[tuple[int, int], int] = {}
    verified_by = json.dumps({"implementation": "Pact-Rust", "version": "1.2.5"})
    test_results = {
        ok: json.dumps({"summary": {"testCount": 6, "failureCount": 0 if ok else 1}}) for ok in (True, False)
    }
    for vr_id, (t, pc, pv, ok, wip) in enumerate(planned_v, start=1):
        verification_rows.append(
            {
                "id": vr_id,
                "number": vr_id,
                "pact_version_id": pc.id,
                "provider_version_id": pv,
                "provider_id": pid[pc.provider],
                "consumer_id": pid[pc.consumer],
                "success": ok,
                "wip": wip,
                "pact_pending": None,
                "build_url": f"https://ci.tracseq.example/{graph.names[pc.provider]}/verify/{vr_id}",
                "test_results": test_results[ok],
                "verified_by": verified_by,
                "execution_date": t,
                "created_at": t,
            }
        )
        latest_v[(pc.id, pv)] = vr_id

    # Assemble the tables.
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["pacticipants"] = [
        {
            "id": pid[p],
            "name": graph.names[p],
            "display_name": None,
            "main_branch": "main",
            "repository_url": f"https://git.tracseq.example/{graph.names[p]}",
            "created_at": vinfo[versions_of[p][0]][2],
            "updated_at": vinfo[versions_of[p][0]][2],
        }
        for p in range(n)
    ]
    rows["environments"] = [
        {
            "id": env_ids[name],
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": name,
            "display_name": name.capitalize(),
            "production": name == "production",
            "contacts": None,
            "created_at": start,
            "updated_at": start,
        }
        for name in ENVIRONMENTS
    ]
    rows["versions"] = version_rows
    rows["branches"] = branch_rows
    rows["branch_versions"] = bv_rows
    rows["branch_heads"] = head_rows
    rows["tags"] = [
        {
            "version_id": vid,
            "name": name,
            "pacticipant_id": pid[vinfo[vid][0]],
            "version_order": vid,
            "created_at": at,
            "updated_at": at,
        }
        for (vid, name), at in sorted(tags.items())
    ]
    rows["pact_versions"] = []
    for pc in sorted(contents.values(), key=lambda x: x.id):
        doc = pact_document(graph.names[pc.consumer], graph.names[pc.provider], pc.variant)
        rows["pact_versions"].append(
            {
                "id": pc.id,
                "consumer_id": pid[pc.consumer],
                "provider_id": pid[pc.provider],
                "sha": pact_content.sha(doc),
                "content": json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
                "created_at": pc.created_at,
            }
        )
    rows["pact_publications"] = [
        {
            "id": pub_id,
            "consumer_version_id": pub.version_id,
            "consumer_id": pid[pub.consumer],
            "provider_id": pid[pub.provider],
            "pact_version_id": pub.content.id,
            "revision_number": pub.revision,
            "consumer_version_order": pub.version_id,
            "created_at": pub.created_at,
        }
        for pub_id, pub in enumerate(pubs, start=1)
    ]
    rows["latest_pact_publication_ids_for_consumer_versions"] = [
        {
            "consumer_version_id": vid,
            "provider_id": pid[p],
            "pact_publication_id": pub_id,
            "pact_version_id": pub.content.id,
            "consumer_id": pid[pub.consumer],
            "created_at": pub.created_at,
        }
        for (vid, p), (pub_id, pub) in sorted(latest_pub.items())
    ]
    rows["verifications"] = verification_rows
    rows["latest_verification_id_for_pact_version_and_provider_version"] = [
        {
            "pact_version_id": pvid,
            "provider_version_id": pv,
            "verification_id": vr_id,
            "provider_id": verification_rows[vr_id - 1]["provider_id"],
            "consumer_id": verification_rows[vr_id - 1]["consumer_id"],
            "created_at": verification_rows[vr_id - 1]["created_at"],
        }
        for (pvid, pv), vr_id in sorted(latest_v.items())
    ]
    rows["deployed_versions"] = deployed_rows
    rows["currently_deployed_version_ids"] = [
        {
            "id": k,
            "pacticipant_id": pid[p],
            "environment_id": e + 1,
            "target_for_index": target,
            "deployed_version_id": dep_id,
            "version_id": vid,
        }
        for k, ((p, e, target), (dep_id, vid)) in enumerate(sorted(current.items()), start=1)
    ]
    rows["released_versions"] = released_rows
    integ: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for pub in pubs:
        integ[(pub.consumer, pub.provider)].append(pub.created_at)
    rows["integrations"] = [
        {
            "id": k,
            "consumer_id": pid[c],
            "provider_id": pid[p],
            "contract_data_updated_at": max(ts),
            "created_at": min(ts),
        }
        for k, ((c, p), ts) in enumerate(sorted(integ.items()), start=1)
    ]

    # The answers the benchmark and tests rely on.
    names: list[str] = graph.names
    oracle = Oracle(rows)
    production = "production"
    number_of = {vid: vinfo[vid][1] for vid in vinfo}
    expected = {
        number_of[ok_id]: True,
        number_of[failing_id]: False,
        number_of[unknown_id]: None,
    }
    for version, verdict in expected.items():
        got = oracle.can_i_deploy(names[bench], version, production)
        if got is not verdict:
            raise AssertionError(f"generator bug: planted {version} should be {verdict}, oracle says {got}")
    sampled: list[tuple[str, str, str, bool | None]] = [
        (names[bench], v, production, verdict) for v, verdict in expected.items()
    ]
    pure_consumers = [c for c in graph.front if c in providers_of]
    for _ in range(12):
        c = rng.choice(pure_consumers)
        # Recent versions: the ones whose verdicts are a mix of deployable, failed and unknown.
        vid = rng.choice(versions_of[c][-6:])
        env = rng.choice(ENVIRONMENTS)
        sampled.append((names[c], number_of[vid], env, oracle.can_i_deploy(names[c], number_of[vid], env)))
    verifying = max(consumers_of, key=lambda p: (len(consumers_of[p]), -p))
    matrix_provider = providers_of[bench][2]
    prod_versions = sorted(in_env[(matrix_provider, env_ids[production])])
    publishing = next(c for c in graph.mid if c in providers_of)
    vc = consumers_of[verifying][0]
    newest_vc = next(v for v in reversed(versions_of[vc]) if (v, verifying) in latest_pub)
    vsha = next(
        r["sha"] for r in rows["pact_versions"] if r["id"] == latest_pub[(newest_vc, verifying)][1].content.id
    )
    deploying = graph.core[-1]
    known = KnownAnswers(
        consumer=names[bench],
        providers=[names[p] for p in providers_of[bench]],
        environment=production,
        deployable_version=number_of[ok_id],
        failing_version=number_of[failing_id],
        unknown_version=number_of[unknown_id],
        failing_provider=names[failing_provider],
        unknown_provider=names[unknown_provider],
        matrix_provider=names[matrix_provider],
        matrix_provider_version=number_of[prod_versions[-1]],
        verifying_provider=names[verifying],
        verifying_provider_consumers=len(consumers_of[verifying]),
        publishing_consumer=names[publishing],
        publishing_providers=[names[p] for p in providers_of[publishing]],
        verification_consumer=names[vc],
        verification_provider=names[verifying],
        verification_sha=vsha,
        deploying_pacticipant=names[deploying],
        deploying_version=number_of[main_versions[deploying][-1]],
        sampled_verdicts=sampled,
        counts={table: len(r) for table, r in rows.items()},
    )
    return Dataset(spec, rows, known)


# --- an independent can-i-deploy ------------------------------------------------------------------------


class Oracle:
    """can-i-deploy to an environment for a pure consumer, computed from the rows alone (reference §2.4-2.5):
    for each provider of the version's pacts, the latest result of that content by each provider version
    currently in the environment; none in the environment or none verified is unknown; unknown beats
    failed; no pacts at all is deployable."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.pacticipant_ids = {r["name"]: r["id"] for r in rows["pacticipants"]}
        self.version_ids = {(r["pacticipant_id"], r["number"]): r["id"] for r in rows["versions"]}
        self.env_ids = {r["name"]: r["id"] for r in rows["environments"]}
        self.pacts: dict[int, dict[int, int]] = defaultdict(dict)
        for r in rows["latest_pact_publication_ids_for_consumer_versions"]:
            self.pacts[r["consumer_version_id"]][r["provider_id"]] = r["pact_version_id"]
        success = {r["id"]: r["success"] for r in rows["verifications"]}
        self.results = {
            (r["pact_version_id"], r["provider_version_id"]): success[r["verification_id"]]
            for r in rows["latest_verification_id_for_pact_version_and_provider_version"]
        }
        self.in_env: dict[tuple[int, int], set[int]] = defaultdict(set)
        for r in rows["currently_deployed_version_ids"]:
            self.in_env[(r["pacticipant_id"], r["environment_id"])].add(r["version_id"])
        for r in rows["released_versions"]:
            if r["support_ended_at"] is None:
                self.in_env[(r["pacticipant_id"], r["environment_id"])].add(r["version_id"])

    def can_i_deploy(self, consumer: str, version: str, environment: str) -> bool | None:
        cid = self.pacticipant_ids[consumer]
        vid = self.version_ids[(cid, version)]
        env = self.env_ids[environment]
        verdicts: list[bool | None] = []
        for provider_id, pact_version_id in self.pacts.get(vid, {}).items():
            found = [
                self.results[(pact_version_id, pv)]
                for pv in self.in_env[(provider_id, env)]
                if (pact_version_id, pv) in self.results
            ]
            verdicts += found or [None]
        if any(v is None for v in verdicts):
            return None
        return all(verdicts)


# --- writing --------------------------------------------------------------------------------------------


def write(engine: Engine, dataset: Dataset) -> None:
    """Bulk-insert every table (parents first) into an empty, migrated database."""
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(Pacticipant)).scalar_one():
            raise RuntimeError("the database already holds a broker; seed an empty one")
    postgres = is_postgres(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            rows = dataset.rows.get(table.name, [])
            if not rows:
                continue
            if postgres:
                cols = list(rows[0])
                raw = conn.connection.driver_connection
                quoted = ", ".join(f'"{c}"' for c in cols)
                with raw.cursor().copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:  # type: ignore[union-attr]
                    for row in rows:
                        copy.write_row([row[c] for c in cols])
            else:
                for chunk in _chunks(rows, 5000):
                    conn.execute(table.insert(), chunk)
        head_pacts.rebuild(conn)  # a stored join of two tables loaded above
        tag_heads.rebuild(conn)  # the tags loaded above, grouped
        if postgres:
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table.name}"), false)'
                        )
                    )
            conn.execute(text("SELECT setval('version_order_seq', (SELECT MAX(\"order\") FROM versions))"))
            conn.execute(
                text("SELECT setval('verification_number_seq', (SELECT MAX(number) FROM verifications))")
            )
    # Written to disk now, not by the database's next checkpoint during the measurement: 110 MB of freshly
    # written pages flushed under load held up every commit behind them (load test at 50 req/s on
    # PostgreSQL: p50 27 ms, p95 0.7 s, every operation alike).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if postgres:
            # What autovacuum would have done on a broker that grew this history over months.
            conn.execute(text("VACUUM ANALYZE"))
            try:
                conn.execute(text("CHECKPOINT"))
            except DBAPIError as exc:  # needs superuser or pg_checkpoint; the figures then carry the flush
                print(f"note: CHECKPOINT refused ({exc.orig}); the first seconds measured include it")
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def seed(url: str, spec: DatasetSpec = DatasetSpec()) -> KnownAnswers:
    """Migrate the (empty) database at `url` and fill it; returns what the benchmark will ask about."""
    upgrade(url)
    dataset = generate(spec)
    engine = make_engine(url)
    try:
        write(engine, dataset)
    finally:
        engine.dispose()
    return dataset.known


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--scale", type=float, default=1.0, help="history size factor (0.1 = 1/10th)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    known = seed(args.database_url, DatasetSpec().scaled(args.scale))
    print(json.dumps(asdict(known), indent=2, default=str))
    print(f"seeded in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
