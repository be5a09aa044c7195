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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

__all__ = [
    "SuiteRun",
    "run_consumer_tests",
    "run_provider_verification",
    "run_provider_verifications",
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


def _pytest(name: str, project_dir: Path, args: list[str], env: Mapping[str, str], capture: bool) -> SuiteRun:
    environment = {**os.environ, "PACT_DO_NOT_TRACK": "true", **env}
    command = [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "-q", "-rfEs"]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=project_dir, env=environment, capture_output=capture, text=True, check=False
    )
    output = (done.stdout or "") + (done.stderr or "")
    return SuiteRun(name, done.returncode == 0, done.returncode, output, time.perf_counter() - started)


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
    """`pytest <folder> --pact-dir <pact_dir> [--publish --broker-url URL]` under the given version."""
    env = {"PACT_CONSUMER_VERSION": version, **({"PACT_BRANCH": branch} if branch else {})}
    args = [folder, "--pact-dir", str(pact_dir)]
    if broker_url:
        args += ["--publish", "--broker-url", broker_url]
    return _pytest("consumer tests", project_dir, args, env, capture)


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
    return _pytest(provider, project_dir, args, env, capture)


def run_provider_verifications(
    project_dir: Path,
    modules: Mapping[str, list[Path]],
    *,
    broker_url: str,
    provider_version: str,
    provider_branch: str | None,
    processes: int = 1,
) -> dict[str, SuiteRun]:
    """Every provider's verification against the broker, results published, in `processes` pytest runs
    (pytest's start-up costs seconds, a verification about one): one run per group of providers, whose
    per-provider outcome is read from the run's JUnit XML."""
    providers = sorted(modules)
    groups = [providers[i :: max(1, processes)] for i in range(min(max(1, processes), len(providers)))]

    def run_group(group: list[str]) -> dict[str, SuiteRun]:
        with tempfile.TemporaryDirectory(prefix="contracts-junit-") as folder:
            report = Path(folder) / "junit.xml"
            paths = [path for provider in group for path in modules[provider]]
            run = run_provider_verification(
                project_dir,
                ",".join(group),
                paths,
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
            )
            cases = _junit_cases(report)
        return {provider: _provider_run(provider, modules[provider], run, cases) for provider in group}

    results: dict[str, SuiteRun] = {}
    with ThreadPoolExecutor(max_workers=len(groups) or 1) as pool:
        for outcome in pool.map(run_group, groups):
            results.update(outcome)
    return results


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
