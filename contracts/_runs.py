"""Running a project's contract suites with pytest in a subprocess: the consumer tests (which write and
publish the pacts) and each provider's verification modules (`provider_verification/test_<provider>*.py`).

The suites are pytest modules whose fixtures build what a verification needs (a provider's own dependencies,
its state handlers), so they are run as pytest runs them; the broker, versions and publishing reach them
through the standard variables the plugin and the harness read: `PACT_BROKER_BASE_URL`,
`PACT_CONSUMER_VERSION`/`PACT_BRANCH`, `PACT_PUBLISH_VERIFICATION_RESULTS`,
`PACT_PROVIDER_VERSION`/`PACT_PROVIDER_BRANCH`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from contracts import _gate

__all__ = [
    "StartedRun",
    "StartedVerifications",
    "SuiteRun",
    "run_consumer_tests",
    "run_provider_verification",
    "run_provider_verifications",
    "start_consumer_tests",
    "verification_modules",
]

# pytest's final line, with or without `=` decoration: "3 passed, 1 skipped in 2.10s".
_SUMMARY = re.compile(r"^=*\s*(?P<summary>(\d+ \w+,? ?)+|no tests ran)\s+in [\d.]+s.*$", re.MULTILINE)


@dataclass(frozen=True)
class SuiteRun:
    name: str
    success: bool
    exit_code: int
    output: str
    seconds: float

    @property
    def summary(self) -> str:
        """pytest's last line, e.g. `3 passed, 1 skipped`."""
        found = list(_SUMMARY.finditer(self.output))
        return found[-1].group("summary").strip(" ,") if found else f"exit code {self.exit_code}"

    @property
    def skipped_everything(self) -> bool:
        return "skipped" in self.summary and "passed" not in self.summary and "failed" not in self.summary


def verification_modules(folder: Path) -> dict[str, list[Path]]:
    """Provider name -> its verification modules (`test_<provider>.py`, `test_<provider>_<more>.py`)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else []:
        provider = path.stem.removeprefix("test_").split("_")[0]
        found.setdefault(provider, []).append(path)
    return found


class StartedRun:
    """A pytest run in its own process, started; `wait()` for its outcome. Started with `gated`, it imports
    and collects, then waits before its first test until `release()` (see `contracts._gate`)."""

    def __init__(
        self,
        name: str,
        project_dir: Path,
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        capture: bool = True,
        gated: bool = False,
    ) -> None:
        self.name = name
        environment = {**os.environ, "PACT_DO_NOT_TRACK": "true", **env}
        command = [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "-q", "-rfEs"]
        command += ["-p", "contracts._gate", "--exit-at-once"]
        self._signal: int | None = None
        passed_fds: tuple[int, ...] = ()
        if gated:
            wait_end, self._signal = os.pipe()
            command.append(f"--start-signal-fd={wait_end}")
            passed_fds = (wait_end,)
        # A file, not a pipe: nobody has to drain the output while the run goes on. `wait()` closes it.
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8") if capture else None  # noqa: SIM115
        self.started = time.perf_counter()
        self._released = self.started
        try:
            self._process = subprocess.Popen(
                command,
                cwd=project_dir,
                env=environment,
                stdout=self._log,
                stderr=subprocess.STDOUT if capture else None,
                text=True,
                pass_fds=passed_fds,
            )
        finally:
            for fd in passed_fds:
                os.close(fd)  # the child's end

    def release(self, only: Sequence[Path] | None = None) -> None:
        """Let a gated run start its tests, `only` those of these modules when given (a run that already
        ended, e.g. on a collection error, is fine)."""
        if self._signal is None:
            return
        self._released = time.perf_counter()
        try:
            os.write(self._signal, _gate.go_line(only))
        except BrokenPipeError:
            pass
        finally:
            os.close(self._signal)
            self._signal = None

    def wait(self) -> SuiteRun:
        """The run's outcome once it ended; `seconds` counts from its release (its start if not gated)."""
        try:
            exit_code = self._process.wait()
        finally:
            self.stop()
        output = ""
        if self._log is not None:
            self._log.seek(0)
            output = self._log.read()
            self._log.close()
            self._log = None
        return SuiteRun(self.name, exit_code == 0, exit_code, output, time.perf_counter() - self._released)

    def stop(self) -> None:
        """End the run if it still goes on (the pipeline gave up), closing the gate untested."""
        if self._signal is not None:
            os.close(self._signal)  # a gated run reads end-of-file: it stops without testing
            self._signal = None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def start_consumer_tests(
    project_dir: Path,
    folder: str,
    *,
    broker_url: str | None,
    pact_dir: Path,
    version: str,
    branch: str | None,
    capture: bool = True,
) -> StartedRun:
    """`pytest <folder> --pact-dir <pact_dir> [--publish --broker-url URL]` under the given version."""
    env = {"PACT_CONSUMER_VERSION": version, **({"PACT_BRANCH": branch} if branch else {})}
    args = [folder, "--pact-dir", str(pact_dir)]
    if broker_url:
        args += ["--publish", "--broker-url", broker_url]
    return StartedRun("consumer tests", project_dir, args, env, capture=capture)


def run_consumer_tests(
    project_dir: Path,
    folder: str,
    *,
    broker_url: str | None,
    pact_dir: Path,
    version: str,
    branch: str | None,
    capture: bool = True,
) -> SuiteRun:
    """`start_consumer_tests(...)`, waited for."""
    return start_consumer_tests(
        project_dir,
        folder,
        broker_url=broker_url,
        pact_dir=pact_dir,
        version=version,
        branch=branch,
        capture=capture,
    ).wait()


def _verification_run(
    project_dir: Path,
    name: str,
    modules: Sequence[Path],
    *,
    broker_url: str | None = None,
    pact_dir: Path | None = None,
    provider_version: str | None = None,
    provider_branch: str | None = None,
    publish: bool = False,
    capture: bool = True,
    extra_args: Sequence[str] = (),
    gated: bool = False,
) -> StartedRun:
    env: dict[str, str] = {"PACT_PUBLISH_VERIFICATION_RESULTS": "true" if publish else "false"}
    if provider_version:
        env["PACT_PROVIDER_VERSION"] = provider_version
    if provider_branch:
        env["PACT_PROVIDER_BRANCH"] = provider_branch
    args = [*(str(m) for m in modules), *extra_args]
    if broker_url:
        args += ["--broker-url", broker_url]
        env["PACT_BROKER_BASE_URL"] = broker_url
    if pact_dir is not None:
        args += ["--pact-dir", str(pact_dir)]
        env["PACT_DIR"] = str(pact_dir)  # for a bare `verification.verify()` in the module
    return StartedRun(name, project_dir, args, env, capture=capture, gated=gated)


def run_provider_verification(
    project_dir: Path,
    provider: str,
    modules: list[Path],
    *,
    broker_url: str | None = None,
    pact_dir: Path | None = None,
    provider_version: str | None = None,
    provider_branch: str | None = None,
    publish: bool = False,
    capture: bool = True,
    extra_args: Sequence[str] = (),
) -> SuiteRun:
    """pytest over `provider`'s verification modules, against the broker (results published when asked)
    or the local `pact_dir`."""
    return _verification_run(
        project_dir,
        provider,
        modules,
        broker_url=broker_url,
        pact_dir=pact_dir,
        provider_version=provider_version,
        provider_branch=provider_branch,
        publish=publish,
        capture=capture,
        extra_args=extra_args,
    ).wait()


class StartedVerifications:
    """Every provider's verification against the broker, results published, in `processes` pytest runs
    started at once (pytest's start-up costs seconds, a verification about one). Each run imports and
    collects every provider's modules, then waits: `release(costs)` shares the providers out between the
    runs, the most costly first to the least loaded run, and lets them go. `wait()` reads each provider's
    outcome from its run's JUnit XML."""

    def __init__(
        self,
        project_dir: Path,
        modules: Mapping[str, list[Path]],
        *,
        broker_url: str,
        provider_version: str,
        provider_branch: str | None,
        processes: int = 1,
    ) -> None:
        self.modules = {provider: list(paths) for provider, paths in sorted(modules.items())}
        self._folder = tempfile.TemporaryDirectory(prefix="contracts-junit-")
        count = max(1, min(processes, len(self.modules)))
        every = [path for paths in self.modules.values() for path in paths]
        self._runs: list[tuple[Path, StartedRun]] = []
        self._shares: list[list[str]] = [[] for _ in range(count)]
        for index in range(count):
            report = Path(self._folder.name) / f"junit-{index}.xml"
            run = _verification_run(
                project_dir,
                f"provider verification {index + 1}/{count}",
                every,
                broker_url=broker_url,
                provider_version=provider_version,
                provider_branch=provider_branch,
                publish=True,
                # One provider whose module does not import must not stop the others being verified.
                extra_args=[
                    f"--junitxml={report}",
                    "-o",
                    "junit_family=xunit2",
                    "--continue-on-collection-errors",
                ],
                gated=True,
            )
            self._runs.append((report, run))

    def release(self, costs: Mapping[str, float] | None = None) -> None:
        """Start verifying; `costs` (provider -> any relative measure, default 1 each) guide the sharing."""
        loads = [0.0] * len(self._runs)
        for provider in sorted(self.modules, key=lambda p: -(costs or {}).get(p, 1.0)):
            least = loads.index(min(loads))
            self._shares[least].append(provider)
            loads[least] += (costs or {}).get(provider, 1.0)
        for share, (_, run) in zip(self._shares, self._runs, strict=True):
            run.release([path for provider in share for path in self.modules[provider]])

    def wait(self) -> dict[str, SuiteRun]:
        results: dict[str, SuiteRun] = {}
        try:
            for share, (report, run) in zip(self._shares, self._runs, strict=True):
                outcome = run.wait()
                cases = _junit_cases(report)
                results.update({p: _provider_run(p, self.modules[p], outcome, cases) for p in share})
        finally:
            self.stop()
        return results

    def stop(self) -> None:
        for _, run in self._runs:
            run.stop()
        self._folder.cleanup()


def run_provider_verifications(
    project_dir: Path,
    modules: Mapping[str, list[Path]],
    *,
    broker_url: str,
    provider_version: str,
    provider_branch: str | None,
    processes: int = 1,
) -> dict[str, SuiteRun]:
    """`StartedVerifications`, released at once and waited for."""
    started = StartedVerifications(
        project_dir,
        modules,
        broker_url=broker_url,
        provider_version=provider_version,
        provider_branch=provider_branch,
        processes=processes,
    )
    started.release()
    return started.wait()


@dataclass(frozen=True)
class _Case:
    module: str
    outcome: str  # passed, failed, error, skipped
    seconds: float


def _junit_cases(report: Path) -> list[_Case]:
    if not report.exists():
        return []
    cases = []
    for case in ElementTree.parse(report).iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
        module = (case.get("classname") or "").split(".")[-1]
        cases.append(_Case(module, outcome, float(case.get("time") or 0.0)))
    return cases


def _provider_run(provider: str, paths: list[Path], run: SuiteRun, cases: list[_Case]) -> SuiteRun:
    mine = [c for c in cases if c.module in {p.stem for p in paths}]
    counts: dict[str, int] = {}
    for case in mine:
        counts[case.outcome] = counts.get(case.outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no tests ran"
    # No test of this provider ran at all while the run failed: a collection or usage error.
    success = bool(mine) and not counts.get("failed") and not counts.get("error")
    exit_code = 0 if success else (run.exit_code or 1)
    seconds = sum(c.seconds for c in mine)
    return SuiteRun(provider, success, exit_code, f"{run.output}\n{summary} in {seconds:.2f}s\n", seconds)
