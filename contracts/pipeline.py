"""The whole contract-testing pipeline in one call, as CI runs it:

1. a broker (the one given, else our embedded broker: SQLite in a temporary folder, uvicorn in a thread);
2. the consumer tests (`pytest consumer_tests`), which write the pacts;
3. publish: once every consumer test passed, each consumer's pacts go to the broker (consumers in parallel);
4. every provider's verification against the broker, results published;
5. for every service, in dependency order (providers before their consumers), can-i-deploy to the target
   environment (created if missing) and, when allowed, record-deployment, so each consumer is judged
   against the provider versions just deployed.

What nothing orders runs side by side: the consumer tests start first and run while the broker starts,
and the verification runs start up (their imports and collection cost seconds) while the consumer tests
run, then wait to be released once the pacts are published.

Every service of the monorepo carries the same version: the commit (or `<sha>+dirty.<hash>`) being tested.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from contracts._runs import (
    StartedRun,
    StartedVerifications,
    SuiteRun,
    start_consumer_tests,
    verification_modules,
)
from contracts._serving import serve_in_thread
from contracts.broker_client import BrokerClient, BrokerError, MatrixRow
from contracts.settings import BrokerSettings
from contracts.versioning import VersionInfo, detect_version

__all__ = [
    "DEFAULT_VERIFICATION_RUNS",
    "DEPENDENCY_ORDER",
    "Pipeline",
    "PipelineReporter",
    "PipelineResult",
    "ServiceVerdict",
    "deployment_order",
    "embedded_broker",
]

# Verifications mostly wait (on the Pact core, the provider, its callbacks), so two runs side by side take
# about half the time for one more start-up; the platform's largest providers still fill both.
DEFAULT_VERIFICATION_RUNS = 2

# The platform's known order, used to break ties in the order derived from the pacts.
DEPENDENCY_ORDER = ("event", "notification", "storage", "sequencing", "sample", "gateway")


@dataclass(frozen=True)
class ServiceVerdict:
    service: str
    version: str
    deployable: bool | None
    reason: str
    rows: list[MatrixRow]
    recorded: bool = False
    error: str | None = None


@dataclass
class PipelineResult:
    version: VersionInfo
    broker_url: str
    environment: str
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds; stages overlap
    seconds: float = 0.0  # the whole pipeline, wall-clock
    consumer_tests: SuiteRun | None = None
    verifications: list[SuiteRun] = field(default_factory=list)
    verdicts: list[ServiceVerdict] = field(default_factory=list)
    publish_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.consumer_tests is not None
            and self.consumer_tests.success
            and not self.publish_errors
            and all(v.success for v in self.verifications)
            and bool(self.verdicts)
            and all(v.deployable is True for v in self.verdicts)
        )


class PipelineReporter(Protocol):
    def stage_started(self, name: str, total: int | None = None) -> None: ...
    def step(self, text: str) -> None: ...
    def stage_finished(self, name: str, seconds: float, summary: str) -> None: ...


class _Silent:
    def stage_started(self, name: str, total: int | None = None) -> None:
        pass

    def step(self, text: str) -> None:
        pass

    def stage_finished(self, name: str, seconds: float, summary: str) -> None:
        pass


@contextmanager
def embedded_broker() -> Iterator[str]:
    """Our broker on a free port with a throw-away SQLite database; yields its base URL."""
    from broker.app import create_app
    from broker.settings import BrokerSettings as ServerSettings

    with tempfile.TemporaryDirectory(prefix="contracts-broker-") as folder:
        settings = ServerSettings(database_url=f"sqlite:///{folder}/broker.sqlite", base_url=None)
        with serve_in_thread(create_app(settings)) as url:
            yield url


def deployment_order(pairs: set[tuple[str, str]], services: set[str]) -> list[str]:
    """Providers before their consumers (`pairs` are (consumer, provider)); ties in DEPENDENCY_ORDER."""

    def rank(name: str) -> tuple[int, str]:
        return (DEPENDENCY_ORDER.index(name) if name in DEPENDENCY_ORDER else len(DEPENDENCY_ORDER), name)

    remaining = set(services)
    order: list[str] = []
    while remaining:
        ready = [s for s in remaining if not any(c == s and p in remaining and p != s for c, p in pairs)]
        if not ready:  # a cycle: fall back to the known order for what is left
            ready = list(remaining)
        chosen = min(ready, key=rank)
        order.append(chosen)
        remaining.remove(chosen)
    return order


class Pipeline:
    def __init__(
        self,
        project_dir: Path,
        *,
        broker_url: str | None = None,
        environment: str = "production",
        version: VersionInfo | None = None,
        consumer_tests: str = "consumer_tests",
        verifications: str = "provider_verification",
        reporter: PipelineReporter | None = None,
        parallel: int = DEFAULT_VERIFICATION_RUNS,
    ) -> None:
        self.project_dir = project_dir.resolve()
        self.broker_url = broker_url
        self.environment = environment
        self.version = version
        self.consumer_tests = consumer_tests
        self.verifications = verifications
        self.reporter: PipelineReporter = reporter or _Silent()
        self.parallel = max(1, parallel)

    def run(self) -> PipelineResult:
        version = self.version or detect_version(self.project_dir)
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="contracts-pacts-") as folder, ExitStack() as running:
            pact_dir = Path(folder)
            # The stages overlap where nothing orders them: the consumer tests need no broker (the pipeline
            # publishes their pacts once they all passed), and the verifications start up (imports,
            # collection: seconds) while the consumer tests run, waiting to be released once the pacts are
            # published.
            consumer_folder = self.project_dir / self.consumer_tests
            consumers: StartedRun | None = None
            consumers_began = time.perf_counter()
            if consumer_folder.is_dir():
                consumers = start_consumer_tests(
                    self.project_dir,
                    self.consumer_tests,
                    broker_url=None,
                    pact_dir=pact_dir,
                    version=version.number,
                    branch=version.branch,
                )
                running.callback(consumers.stop)

            started = time.perf_counter()
            self.reporter.stage_started("broker")
            if self.broker_url:
                with self._client(self.broker_url) as client:
                    client.index()  # fail early if it is not there
                url, kind = self.broker_url, "external broker"
            else:
                url, kind = running.enter_context(embedded_broker()), "embedded broker (SQLite)"
            result = PipelineResult(version=version, broker_url=url, environment=self.environment)
            self._finish(result, "broker", started, f"{kind} at {url}")

            modules = verification_modules(self.project_dir / self.verifications)
            verifications = StartedVerifications(
                self.project_dir,
                modules,
                broker_url=url,
                provider_version=version.number,
                provider_branch=version.branch,
                processes=self.parallel,
            )
            running.callback(verifications.stop)

            self.reporter.stage_started("consumer tests")
            if consumers is not None:
                result.consumer_tests = consumers.wait()
            pairs = _pairs(pact_dir)
            ran = result.consumer_tests.summary if result.consumer_tests else f"no {consumer_folder}"
            self._finish(result, "consumer tests", consumers_began, f"{ran}; {len(pairs)} pact(s) written")

            started = time.perf_counter()
            self.reporter.stage_started("publish")
            if result.consumer_tests is not None and result.consumer_tests.success:
                summary, result.publish_errors = self._publish(url, version, pact_dir)
            else:  # as `pytest --publish`: a contract the consumer does not honour must not reach the broker
                summary = "nothing published: the consumer tests did not pass"
            self._finish(result, "publish", started, summary)

            started = time.perf_counter()
            self.reporter.stage_started("provider verification", total=len(modules))
            verifications.release(_verification_costs(pact_dir))
            runs = verifications.wait()
            for provider in deployment_order(pairs, set(runs)):
                run = runs[provider]
                self.reporter.step(f"{provider}: {run.summary} ({run.seconds:.2f}s)")
                result.verifications.append(run)
            passed = sum(1 for v in result.verifications if v.success)
            self._finish(
                result, "provider verification", started, f"{passed}/{len(result.verifications)} passed"
            )

            started = time.perf_counter()
            services = {c for c, _ in pairs} | {p for _, p in pairs} | set(modules)
            order = deployment_order(pairs, services)
            self.reporter.stage_started("can-i-deploy & record-deployment", total=len(order))
            with self._client(url) as client:
                client.ensure_environment(self.environment, production=self.environment == "production")
                for service in order:
                    verdict = self._gate(client, service, version.number)
                    said = {True: "may deploy", False: "may NOT deploy", None: "unknown: may NOT deploy"}
                    recorded = ", deployment recorded" if verdict.recorded else ""
                    self.reporter.step(f"{service}: {said[verdict.deployable]}{recorded}")
                    result.verdicts.append(verdict)
            allowed = sum(1 for v in result.verdicts if v.deployable)
            self._finish(
                result,
                "can-i-deploy & record-deployment",
                started,
                f"{allowed}/{len(result.verdicts)} may deploy to {self.environment}",
            )
        result.seconds = time.perf_counter() - began
        return result

    def _client(self, url: str) -> BrokerClient:
        settings = BrokerSettings()
        same = url == self.broker_url  # credentials only belong to the broker they were given for
        return BrokerClient(
            url,
            settings.username if same else None,
            settings.password if same else None,
            settings.token if same else None,
        )

    def _publish(self, url: str, version: VersionInfo, pact_dir: Path) -> tuple[str, list[str]]:
        """Every consumer's pacts, one request per consumer, the consumers side by side; the summary and
        what failed."""
        by_consumer: dict[str, list[Path]] = {}
        for path in sorted(pact_dir.glob("*.json")):
            consumer = json.loads(path.read_text(encoding="utf-8"))["consumer"]["name"]
            by_consumer.setdefault(consumer, []).append(path)
        if not by_consumer:
            return "no pact was written", []

        def publish(consumer: str) -> str | None:
            try:
                client.publish_contracts(
                    consumer,
                    version.number,
                    version.branch,
                    pact_files=by_consumer[consumer],
                    build_url=version.build_url,
                )
            except (BrokerError, OSError, ValueError) as exc:
                return f"publishing {consumer} {version.number} failed: {exc}"
            return None

        with self._client(url) as client, ThreadPoolExecutor(max_workers=len(by_consumer)) as pool:
            failures = dict(zip(by_consumer, pool.map(publish, by_consumer), strict=True))
        for consumer, failure in failures.items():
            providers = ", ".join(path.stem.removeprefix(f"{consumer}-") for path in by_consumer[consumer])
            self.reporter.step(failure or f"{consumer} -> {providers}")
        errors = [failure for failure in failures.values() if failure]
        published = [paths for consumer, paths in by_consumer.items() if not failures[consumer]]
        files = sum(map(len, published))
        summary = f"{files} pact(s) of {len(published)} consumer(s) published as {version.number}"
        return summary + (f"; {len(errors)} consumer(s) failed" if errors else ""), errors

    def _gate(self, client: BrokerClient, service: str, version: str) -> ServiceVerdict:
        try:
            answer = client.can_i_deploy(service, version, self.environment)
        except BrokerError as exc:
            return ServiceVerdict(service, version, False, exc.message, [], error=str(exc))
        recorded = False
        error = None
        if answer.deployable:
            try:
                client.record_deployment(service, version, self.environment)
                recorded = True
            except BrokerError as exc:
                error = str(exc)
        return ServiceVerdict(
            service, version, answer.deployable, answer.reason, answer.rows, recorded, error
        )

    def _finish(self, result: PipelineResult, stage: str, started: float, summary: str) -> None:
        seconds = time.perf_counter() - started
        result.timings[stage] = seconds
        self.reporter.stage_finished(stage, seconds, summary)


# What verifying one more pact costs (a verifier run, the provider app and its dependencies started and
# stopped, the broker asked and told), in interactions: measured on the platform, about 0.5 s against 0.07 s.
_PACT_COST_IN_INTERACTIONS = 7


def _verification_costs(pact_dir: Path) -> dict[str, float]:
    """Provider -> what verifying it costs, in interactions, to share the providers out between runs."""
    costs: dict[str, float] = {}
    for path in pact_dir.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        provider = doc["provider"]["name"]
        interactions = len(doc.get("interactions", [])) + len(doc.get("messages", []))
        costs[provider] = costs.get(provider, 0.0) + _PACT_COST_IN_INTERACTIONS + interactions
    return costs


def _pairs(pact_dir: Path) -> set[tuple[str, str]]:
    pairs = set()
    for path in pact_dir.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        pairs.add((doc["consumer"]["name"], doc["provider"]["name"]))
    return pairs
